"""The store of installed Argos packages: install, list, find, remove, load.

argostranslate's own `install_from_path`/`uninstall` import its translation
module (and so stanza), which bitext's environment leaves out; they also unzip
straight into the packages folder. Here an archive is checked first, unpacked
into a temporary folder beside the destination and renamed into place, so a
package is either fully installed or not there at all. Packages are read with
`argostranslate.package.Package`, exactly as Argos reads them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

#: Environment variable naming the models folder (default: ./models).
MODELS_DIR_ENV = "BITEXT_MODELS_DIR"
#: Written inside each installed package: digest and origin of its archive.
RECORD_NAME = ".bitext-install.json"
#: Unpacked size and member count above which an archive is refused.
MAX_UNPACKED_BYTES = 4 * 1024**3
MAX_MEMBERS = 10_000
_TEMP_PREFIX = ".tmp-install-"
_TRASH_PREFIX = ".tmp-remove-"

#: Where Argos packages are published, for the error shown when one is missing.
ARGOS_DOWNLOAD_HINT = (
    "https://www.argosopentech.com/argospm/index/ (file translate-{frm}_{to}-*.argosmodel)"
)


class ModelError(Exception):
    """A package that cannot be installed, found or loaded; the message says why."""


@dataclass
class InstalledPackage:
    """An installed package as bitext sees it."""

    path: Path
    code: str
    from_code: str
    to_code: str
    version: str
    sha256: str | None
    source: str | None
    target_prefix: str = ""

    @property
    def pair(self) -> str:
        return f"{self.from_code}-{self.to_code}"

    @property
    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def load_argos(self):
        """The argostranslate Package (its tokenizer is what bitext uses)."""
        from argostranslate.package import Package

        return Package(self.path)


def models_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The models folder: the explicit one, $BITEXT_MODELS_DIR, or ./models."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(MODELS_DIR_ENV) or "models")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_members(archive: zipfile.ZipFile, path: Path) -> str:
    """Refuse hostile or malformed archives; return the single top-level folder."""
    infos = archive.infolist()
    if not infos:
        raise ModelError(f"{path}: empty archive")
    if len(infos) > MAX_MEMBERS:
        raise ModelError(f"{path}: {len(infos)} members, more than the limit of {MAX_MEMBERS}")
    total = 0
    tops = set()
    for info in infos:
        name = info.filename
        pure = PurePosixPath(name)
        if name.startswith(("/", "\\")) or pure.is_absolute() or (len(name) > 1 and name[1] == ":"):
            raise ModelError(f"{path}: member {name!r} has an absolute path")
        if ".." in pure.parts or "\\" in name:
            raise ModelError(f"{path}: member {name!r} points outside the package folder")
        mode = info.external_attr >> 16
        if (mode & 0o170000) == 0o120000:
            raise ModelError(f"{path}: member {name!r} is a symbolic link")
        total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise ModelError(
                f"{path}: unpacks to more than {MAX_UNPACKED_BYTES // 1024**3} GiB (zip bomb?)"
            )
        tops.add(pure.parts[0])
    if len(tops) != 1:
        raise ModelError(f"{path}: expected one top-level folder, found {len(tops)}")
    return tops.pop()


def _read_metadata(package_dir: Path, origin: str) -> dict:
    meta_path = package_dir / "metadata.json"
    if not meta_path.is_file():
        raise ModelError(f"{origin}: no metadata.json in the package")
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"{origin}: metadata.json does not parse ({exc})") from exc
    if (
        not isinstance(metadata, dict)
        or not metadata.get("from_code")
        or not metadata.get("to_code")
    ):
        raise ModelError(f"{origin}: metadata.json names no from_code and to_code")
    return metadata


def validate_package_dir(package_dir: Path, origin: str, load: bool = True) -> dict:
    """Check an unpacked package: metadata, tokenizer and a loadable model."""
    metadata = _read_metadata(package_dir, origin)
    if not (package_dir / "model" / "model.bin").is_file():
        raise ModelError(f"{origin}: no CTranslate2 model (model/model.bin) in the package")
    if not (
        (package_dir / "sentencepiece.model").is_file() or (package_dir / "bpe.model").is_file()
    ):
        raise ModelError(
            f"{origin}: no tokenizer (sentencepiece.model or bpe.model) in the package"
        )
    if load:
        import ctranslate2

        try:
            ctranslate2.Translator(str(package_dir / "model"), device="cpu", intra_threads=1)
        except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError
            raise ModelError(f"{origin}: CTranslate2 cannot load the model ({exc})") from exc
    return metadata


def _package_folder_name(metadata: dict) -> str:
    code = metadata.get("code") or f"translate-{metadata['from_code']}_{metadata['to_code']}"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(code))
    return safe.strip(".") or "package"


def install_archive(
    archive_path: str | os.PathLike[str],
    directory: str | os.PathLike[str] | None = None,
    *,
    source: str | None = None,
    expected_sha256: str | None = None,
) -> InstalledPackage:
    """Install an `.argosmodel` file, replacing any package of the same code.

    Nothing is written to the models folder until the archive has passed
    every check; the final step is a rename.
    """
    archive_path = Path(archive_path)
    store = models_dir(directory)
    if not archive_path.is_file():
        raise ModelError(f"{archive_path}: no such file")
    digest = sha256_file(archive_path)
    if expected_sha256 and digest.lower() != expected_sha256.lower():
        raise ModelError(
            f"{archive_path}: SHA-256 {digest} does not match the expected {expected_sha256}"
        )
    try:
        zf = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{archive_path}: not a zip archive ({exc})") from exc
    with zf:
        top = _check_members(zf, archive_path)
        store.mkdir(parents=True, exist_ok=True)
        clean_temporaries(store)
        staging = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=store))
        try:
            for info in zf.infolist():
                target = staging / info.filename
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            package_dir = staging / top
            metadata = validate_package_dir(package_dir, str(archive_path))
            record = {"sha256": digest, "source": source or str(archive_path.resolve())}
            (package_dir / RECORD_NAME).write_text(json.dumps(record, indent=2) + "\n", "utf-8")
            destination = store / _package_folder_name(metadata)
            _replace_dir(package_dir, destination, store)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return read_installed(destination)


def _replace_dir(new: Path, destination: Path, store: Path) -> None:
    """Move `new` to `destination`; an old package there is moved aside first."""
    trash = None
    if destination.exists():
        trash = Path(tempfile.mkdtemp(prefix=_TRASH_PREFIX, dir=store))
        os.replace(destination, trash / "old")
    os.replace(new, destination)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


def clean_temporaries(directory: Path) -> None:
    """Remove what an interrupted install or removal left behind."""
    if not directory.is_dir():
        return
    for entry in directory.iterdir():
        if entry.name.startswith((_TEMP_PREFIX, _TRASH_PREFIX)):
            shutil.rmtree(entry, ignore_errors=True)


def read_installed(package_dir: Path) -> InstalledPackage:
    metadata = _read_metadata(package_dir, str(package_dir))
    record_path = package_dir / RECORD_NAME
    record = {}
    if record_path.is_file():
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except ValueError:
            record = {}
    return InstalledPackage(
        path=package_dir,
        code=metadata.get("code") or package_dir.name,
        from_code=metadata["from_code"],
        to_code=metadata["to_code"],
        version=str(metadata.get("package_version", "")),
        sha256=record.get("sha256"),
        source=record.get("source"),
        target_prefix=metadata.get("target_prefix", "") or "",
    )


def list_installed(directory: str | os.PathLike[str] | None = None) -> list[InstalledPackage]:
    """Installed packages, sorted by pair; folders that are not packages are skipped."""
    store = models_dir(directory)
    if not store.is_dir():
        return []
    packages = []
    for entry in sorted(store.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        try:
            packages.append(read_installed(entry))
        except ModelError:
            continue
    return sorted(packages, key=lambda p: (p.pair, p.version, p.path.name))


def find_package(
    from_code: str, to_code: str, directory: str | os.PathLike[str] | None = None
) -> InstalledPackage | None:
    """The installed package for a pair (the newest version if several)."""
    from packaging.version import InvalidVersion, Version

    def version_key(pkg: InstalledPackage):
        try:
            return Version(pkg.version)
        except InvalidVersion:
            return Version("0")

    matches = [
        p for p in list_installed(directory) if (p.from_code, p.to_code) == (from_code, to_code)
    ]
    return max(matches, key=version_key) if matches else None


def missing_model_message(from_code: str, to_code: str, directory: Path) -> str:
    """What to do when a pair is not installed: the command and where to get the file."""
    return (
        f"No translation model for {from_code} -> {to_code} is installed in {directory}.\n"
        f"Install one from an .argosmodel file:\n"
        f"  bitext models install translate-{from_code}_{to_code}-1_9.argosmodel"
        f" --models-dir {directory}\n"
        f"Get the file on a connected machine from the Argos package index:\n"
        f"  {ARGOS_DOWNLOAD_HINT.format(frm=from_code, to=to_code)}\n"
        f"For an offline test, build the project's copy model:\n"
        f"  python -m bitext.copymodel models/copy.argosmodel"
    )


def remove_package(
    code_or_pair: str, directory: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Remove packages by code (`translate-nb_en`) or pair (`nb-en`); returns what went."""
    store = models_dir(directory)
    removed = []
    for pkg in list_installed(store):
        if code_or_pair in (pkg.code, pkg.pair, pkg.path.name):
            trash = Path(tempfile.mkdtemp(prefix=_TRASH_PREFIX, dir=store))
            os.replace(pkg.path, trash / "old")
            shutil.rmtree(trash, ignore_errors=True)
            removed.append(pkg.path)
    return removed
