"""The store of installed Argos packages: install, list, find, remove, verify.

argostranslate's own `install_from_path`/`uninstall` import its translation
module (and so stanza), which bitext's environment leaves out; they also unzip
straight into the packages folder. Here an archive is checked first, unpacked
into a temporary folder beside the destination and renamed into place, so a
package is either fully installed or not there at all. Packages are read with
`argostranslate.package.Package`, exactly as Argos reads them.

Crash safety: every change to the store happens under a lock file, ends with a
rename, and leaves only dot-named temporaries behind if interrupted; the next
install, removal, `list` or `verify` cleans them (and puts back a package that
was moved aside for a replacement that never arrived).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

#: Environment variable naming the models folder (default: ./models).
MODELS_DIR_ENV = "BITEXT_MODELS_DIR"
#: Written inside each installed package: digest and origin of its archive,
#: and the size and SHA-256 of every file (what `verify` re-checks).
RECORD_NAME = ".bitext-install.json"
#: The lock file that serialises changes to a models folder.
LOCK_NAME = ".lock"
#: Unpacked size and member count above which an archive is refused.
MAX_UNPACKED_BYTES = 4 * 1024**3
MAX_MEMBERS = 10_000
_TEMP_PREFIX = ".tmp-install-"
_TRASH_PREFIX = ".tmp-remove-"
_REPLACE_PREFIX = ".tmp-replace-"

#: For crash tests and debugging: a comma-separated list of install stages
#: (download, downloaded, unpacked, validated, replacing, installed, removing)
#: at which the process announces itself on stderr and sleeps, so a test can
#: kill it exactly there.
PAUSE_ENV = "BITEXT_TEST_PAUSE_AT"

#: Where Argos packages are published, for the error shown when one is missing.
ARGOS_DOWNLOAD_HINT = (
    "https://www.argosopentech.com/argospm/index/ (file translate-{frm}_{to}-*.argosmodel)"
)


@dataclass(frozen=True)
class Pinned:
    """A package whose archive digest bitext knows in advance."""

    sha256: str
    url: str


#: Known archive digests, by (code, package_version). A download or file of
#: that code and version with another digest is refused. They live with the
#: store, which checks every archive it installs; the index reads them too.
PINNED: dict[tuple[str, str], Pinned] = {
    ("translate-nb_en", "1.9"): Pinned(
        "ee2e3b3541abecb51566b095d3409d97c61b920c9e37956d211fb8b9e9e7d027",
        "https://argos-net.com/v1/translate-nb_en-1_9.argosmodel",
    ),
}


def pinned_sha256(code: str, version: str) -> str | None:
    pinned = PINNED.get((code, version))
    return pinned.sha256 if pinned else None


class ModelError(Exception):
    """A package that cannot be installed, found or loaded; the message says why."""


def checkpoint(stage: str) -> None:
    """Pause at `stage` when $BITEXT_TEST_PAUSE_AT names it (crash tests only)."""
    wanted = os.environ.get(PAUSE_ENV)
    if wanted and stage in wanted.split(","):
        sys.stderr.write(f"bitext: paused at {stage} ({PAUSE_ENV})\n")
        sys.stderr.flush()
        time.sleep(3600)


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
    files: dict = field(default_factory=dict, repr=False)
    tree_sha256: str | None = None

    @property
    def pair(self) -> str:
        return f"{self.from_code}-{self.to_code}"

    @property
    def label(self) -> str:
        """Code and version, as exports name the model."""
        return f"{self.code} {self.version}".strip()

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


# --- the lock ---------------------------------------------------------------


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextmanager
def store_lock(
    directory: str | os.PathLike[str] | None = None,
    *,
    timeout: float | None = 600.0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the models folder's lock; wait up to `timeout` s for another holder.

    An OS lock (flock) on `.lock`, so a killed holder releases it at once and a
    stale file never blocks anyone.
    """
    store = models_dir(directory)
    store.mkdir(parents=True, exist_ok=True)
    fd = os.open(store / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        start = time.monotonic()
        told = False
        while not _try_lock(fd):
            if not told and on_wait is not None:
                on_wait(f"waiting for another bitext install or removal in {store} to finish")
                told = True
            if timeout is not None and time.monotonic() - start > timeout:
                raise ModelError(
                    f"{store} is locked by another bitext models command "
                    f"(still running after {timeout:.0f} s); try again when it has finished"
                )
            time.sleep(0.1)
        yield
    finally:
        os.close(fd)


def recover_store(directory: str | os.PathLike[str] | None = None) -> None:
    """Clean what an interrupted command left, unless another one is running now."""
    store = models_dir(directory)
    if not store.is_dir():
        return
    fd = os.open(store / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if _try_lock(fd):
            clean_temporaries(store)
    finally:
        os.close(fd)


def clean_temporaries(directory: Path) -> None:
    """Remove what an interrupted install or removal left behind.

    A package moved aside for a replacement whose new copy never arrived is
    put back, so an interrupted upgrade leaves the old version installed.
    Call with the lock held.
    """
    if not directory.is_dir():
        return
    for entry in directory.iterdir():
        if entry.name.startswith(_REPLACE_PREFIX):
            old, dest = entry / "old", entry / "destination"
            if old.is_dir() and dest.is_file():
                name = dest.read_text(encoding="utf-8").strip()
                target = directory / name
                if name and "/" not in name and not target.exists():
                    os.replace(old, target)
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith((_TEMP_PREFIX, _TRASH_PREFIX)):
            shutil.rmtree(entry, ignore_errors=True)


# --- checks -----------------------------------------------------------------


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
    spm = package_dir / "sentencepiece.model"
    if not (spm.is_file() or (package_dir / "bpe.model").is_file()):
        raise ModelError(
            f"{origin}: no tokenizer (sentencepiece.model or bpe.model) in the package"
        )
    if load:
        import ctranslate2

        try:
            ctranslate2.Translator(str(package_dir / "model"), device="cpu", intra_threads=1)
        except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError
            raise ModelError(f"{origin}: CTranslate2 cannot load the model ({exc})") from exc
        if spm.is_file():
            import sentencepiece

            try:
                sentencepiece.SentencePieceProcessor(model_file=str(spm))
            except Exception as exc:
                raise ModelError(f"{origin}: the tokenizer does not load ({exc})") from exc
    return metadata


def _package_folder_name(metadata: dict) -> str:
    code = metadata.get("code") or f"translate-{metadata['from_code']}_{metadata['to_code']}"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(code))
    return safe.strip(".") or "package"


def _manifest(package_dir: Path) -> dict[str, dict]:
    """Size and SHA-256 of every file of a package, by POSIX relative path."""
    files = {}
    for path in sorted(package_dir.rglob("*")):
        if path.is_file() and path.name != RECORD_NAME:
            rel = path.relative_to(package_dir).as_posix()
            files[rel] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    return files


def _tree_digest(files: dict[str, dict]) -> str:
    lines = "".join(f"{info['sha256']}  {rel}\n" for rel, info in sorted(files.items()))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


# --- install ----------------------------------------------------------------


def install_archive(
    archive_path: str | os.PathLike[str],
    directory: str | os.PathLike[str] | None = None,
    *,
    source: str | None = None,
    expected_sha256: str | None = None,
    lock_timeout: float | None = 600.0,
    on_wait: Callable[[str], None] | None = None,
) -> InstalledPackage:
    """Install an `.argosmodel` file, replacing any package of the same code.

    Nothing is written to the models folder until the archive has passed
    every check (and matched `expected_sha256` or bitext's pinned digest for
    its code and version); the final step is a rename.
    """
    # The cheap checks first, so a refused archive leaves no trace at all.
    _check_archive(Path(archive_path), expected_sha256)
    with store_lock(directory, timeout=lock_timeout, on_wait=on_wait):
        return install_archive_locked(
            archive_path, directory, source=source, expected_sha256=expected_sha256
        )


def _check_archive(archive_path: Path, expected_sha256: str | None) -> tuple[str, str]:
    """Digest, zip structure and member checks; returns (digest, top folder)."""
    if not archive_path.is_file():
        raise ModelError(f"{archive_path}: no such file")
    digest = sha256_file(archive_path)
    if expected_sha256 and digest.lower() != expected_sha256.strip().lower():
        raise ModelError(
            f"{archive_path}: SHA-256 {digest} does not match the expected "
            f"{expected_sha256.strip().lower()}; refusing it (a corrupt or altered file?)"
        )
    try:
        with zipfile.ZipFile(archive_path) as zf:
            return digest, _check_members(zf, archive_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{archive_path}: not a zip archive ({exc})") from exc


def install_archive_locked(
    archive_path: str | os.PathLike[str],
    directory: str | os.PathLike[str] | None = None,
    *,
    source: str | None = None,
    expected_sha256: str | None = None,
) -> InstalledPackage:
    """`install_archive` for a caller that already holds `store_lock`."""
    archive_path = Path(archive_path)
    store = models_dir(directory)
    digest, top = _check_archive(archive_path, expected_sha256)
    with zipfile.ZipFile(archive_path) as zf:
        store.mkdir(parents=True, exist_ok=True)
        clean_temporaries(store)
        staging = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=store))
        try:
            written = 0
            for info in zf.infolist():
                target = staging / info.filename
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with zf.open(info) as src, open(target, "wb") as dst:
                        # The sizes in the directory were checked; the data
                        # itself is bounded too, in case they lie.
                        for chunk in iter(lambda: src.read(1 << 20), b""):
                            written += len(chunk)
                            if written > MAX_UNPACKED_BYTES:
                                raise ModelError(
                                    f"{archive_path}: unpacks to more than "
                                    f"{MAX_UNPACKED_BYTES // 1024**3} GiB (zip bomb?)"
                                )
                            dst.write(chunk)
                except (zipfile.BadZipFile, EOFError, ValueError) as exc:
                    raise ModelError(f"{archive_path}: corrupt archive ({exc})") from exc
                except OSError as exc:
                    raise ModelError(
                        f"{archive_path}: could not unpack into {store} ({exc}); "
                        "nothing was installed"
                    ) from exc
            checkpoint("unpacked")
            package_dir = staging / top
            metadata = validate_package_dir(package_dir, str(archive_path))
            _check_pinned(metadata, digest, archive_path)
            record = {"sha256": digest, "source": source or str(archive_path.resolve())}
            destination = _finish(package_dir, metadata, record, store)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return read_installed(destination)


def _check_pinned(metadata: dict, digest: str, origin: Path) -> None:
    """Refuse a package whose code and version bitext knows, with another digest."""
    pinned = pinned_sha256(str(metadata.get("code") or ""), str(metadata.get("package_version")))
    if pinned and digest.lower() != pinned:
        raise ModelError(
            f"{origin}: SHA-256 {digest} differs from the known digest {pinned} of "
            f"{metadata.get('code')} {metadata.get('package_version')}; refusing it "
            "(a corrupt or altered file?)"
        )


def _finish(package_dir: Path, metadata: dict, record: dict, store: Path) -> Path:
    """Record the manifest and rename the checked package into place."""
    files = _manifest(package_dir)
    record = {**record, "tree_sha256": _tree_digest(files), "files": files}
    (package_dir / RECORD_NAME).write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    checkpoint("validated")
    destination = store / _package_folder_name(metadata)
    _replace_dir(package_dir, destination, store)
    return destination


def install_folder(
    folder: str | os.PathLike[str],
    directory: str | os.PathLike[str] | None = None,
    *,
    lock_timeout: float | None = 600.0,
    on_wait: Callable[[str], None] | None = None,
) -> InstalledPackage:
    """Install an unpacked package (a folder with metadata.json, or its parent).

    The folder is checked like an archive (no links, bounded size, metadata,
    tokenizer, loadable model), copied to a temporary folder and renamed in.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelError(f"{folder}: no such folder")
    package_dir = folder
    if not (folder / "metadata.json").is_file():
        subs = [p for p in folder.iterdir() if p.is_dir() and (p / "metadata.json").is_file()]
        if len(subs) != 1:
            raise ModelError(f"{folder}: no metadata.json in the folder (not a package)")
        package_dir = subs[0]
    total = count = 0
    for root, dirs, files in os.walk(package_dir):
        for name in dirs + files:
            path = Path(root) / name
            if path.is_symlink():
                raise ModelError(f"{folder}: {path} is a symbolic link")
            count += 1
            if path.is_file():
                total += path.stat().st_size
        if count > MAX_MEMBERS or total > MAX_UNPACKED_BYTES:
            raise ModelError(f"{folder}: too large for a package")
    validate_package_dir(package_dir, str(folder), load=False)
    store = models_dir(directory)
    with store_lock(store, timeout=lock_timeout, on_wait=on_wait):
        clean_temporaries(store)
        staging = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=store))
        try:
            copy = staging / "package"
            try:
                shutil.copytree(package_dir, copy, symlinks=True, ignore=_ignore_record)
            except OSError as exc:
                raise ModelError(f"{folder}: could not copy into {store} ({exc})") from exc
            checkpoint("unpacked")
            metadata = validate_package_dir(copy, str(folder))
            record = {"sha256": None, "source": str(package_dir.resolve())}
            destination = _finish(copy, metadata, record, store)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return read_installed(destination)


def _ignore_record(_dir: str, names: list[str]) -> list[str]:
    return [n for n in names if n == RECORD_NAME]


def _replace_dir(new: Path, destination: Path, store: Path) -> None:
    """Move `new` to `destination`; an old package there is moved aside first.

    The aside folder names its destination, so if the process dies between the
    two renames, `clean_temporaries` puts the old package back.
    """
    trash = None
    if destination.exists():
        trash = Path(tempfile.mkdtemp(prefix=_REPLACE_PREFIX, dir=store))
        (trash / "destination").write_text(destination.name, encoding="utf-8")
        os.replace(destination, trash / "old")
        checkpoint("replacing")
    os.replace(new, destination)
    checkpoint("installed")
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


# --- reading the store --------------------------------------------------------


def _read_record(package_dir: Path) -> dict:
    record_path = package_dir / RECORD_NAME
    if record_path.is_file():
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            return record if isinstance(record, dict) else {}
        except ValueError:
            return {}
    return {}


def read_installed(package_dir: Path) -> InstalledPackage:
    metadata = _read_metadata(package_dir, str(package_dir))
    record = _read_record(package_dir)
    return InstalledPackage(
        path=package_dir,
        code=metadata.get("code") or package_dir.name,
        from_code=metadata["from_code"],
        to_code=metadata["to_code"],
        version=str(metadata.get("package_version", "")),
        sha256=record.get("sha256"),
        source=record.get("source"),
        target_prefix=metadata.get("target_prefix", "") or "",
        files=record.get("files") or {},
        tree_sha256=record.get("tree_sha256"),
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


def version_key(version: str):
    """Sort key of a package version; one that does not parse sorts first."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version)
    except InvalidVersion:
        return Version("0")


def find_package(
    from_code: str, to_code: str, directory: str | os.PathLike[str] | None = None
) -> InstalledPackage | None:
    """The installed package for a pair (the newest version if several)."""
    matches = [
        p for p in list_installed(directory) if (p.from_code, p.to_code) == (from_code, to_code)
    ]
    return max(matches, key=lambda p: version_key(p.version)) if matches else None


def missing_model_message(from_code: str, to_code: str, directory: Path) -> str:
    """What to do when a pair is not installed: the command and where to get the file."""
    return (
        f"No translation model for {from_code} -> {to_code} is installed in {directory}.\n"
        f"Download and install it (needs network):\n"
        f"  bitext models install {from_code}-{to_code} --models-dir {directory}\n"
        f"  (or add --download to bitext translate)\n"
        f"Offline, install it from an .argosmodel file:\n"
        f"  bitext models install translate-{from_code}_{to_code}-1_9.argosmodel"
        f" --models-dir {directory}\n"
        f"Get the file on a connected machine from the Argos package index:\n"
        f"  {ARGOS_DOWNLOAD_HINT.format(frm=from_code, to=to_code)}"
        # The project's copy model is nb -> en only: never suggested for another pair.
        + (
            "\nFor an offline test, build the project's copy model:\n"
            "  python -m bitext.copymodel models/copy.argosmodel"
            if (from_code, to_code) == ("nb", "en")
            else ""
        )
    )


def remove_package(
    code_or_pair: str,
    directory: str | os.PathLike[str] | None = None,
    *,
    lock_timeout: float | None = 600.0,
) -> list[Path]:
    """Remove packages by code (`translate-nb_en`) or pair (`nb-en`); returns what went."""
    store = models_dir(directory)
    if not store.is_dir():
        return []
    removed = []
    with store_lock(store, timeout=lock_timeout):
        clean_temporaries(store)
        for pkg in list_installed(store):
            if code_or_pair in (pkg.code, pkg.pair, pkg.path.name):
                trash = Path(tempfile.mkdtemp(prefix=_TRASH_PREFIX, dir=store))
                os.replace(pkg.path, trash / "old")
                checkpoint("removing")
                shutil.rmtree(trash, ignore_errors=True)
                removed.append(pkg.path)
    return removed


# --- verify -------------------------------------------------------------------


@dataclass
class VerifyResult:
    """What `verify` found in one folder of the store."""

    path: Path
    package: InstalledPackage | None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_package(package_dir: Path, *, load: bool = True) -> VerifyResult:
    """Re-check one installed package against its record, then load it."""
    try:
        package = read_installed(package_dir)
    except ModelError as exc:
        return VerifyResult(package_dir, None, [str(exc)])
    result = VerifyResult(package_dir, package)
    if not package.files:
        result.warnings.append(
            "no recorded checksums (installed by another tool or an older bitext); "
            "reinstall it to record them"
        )
    else:
        present = {
            p.relative_to(package_dir).as_posix()
            for p in package_dir.rglob("*")
            if p.is_file() and p.name != RECORD_NAME
        }
        for rel, info in sorted(package.files.items()):
            path = package_dir / rel
            if rel not in present:
                result.problems.append(f"missing file {rel}")
            elif path.stat().st_size != info.get("size") or sha256_file(path) != info.get("sha256"):
                result.problems.append(f"changed file {rel} (checksum differs from the record)")
        for rel in sorted(present - set(package.files)):
            result.problems.append(f"unexpected file {rel}")
    if not result.problems:
        try:
            validate_package_dir(package_dir, str(package_dir), load=load)
        except ModelError as exc:
            result.problems.append(str(exc))
    return result


def verify_installed(directory: str | os.PathLike[str] | None = None) -> list[VerifyResult]:
    """Verify every folder of the store (folders that are not packages are problems)."""
    store = models_dir(directory)
    if not store.is_dir():
        return []
    recover_store(store)
    return [
        verify_package(entry)
        for entry in sorted(store.iterdir())
        if entry.is_dir() and not entry.name.startswith(".")
    ]
