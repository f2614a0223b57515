"""The Argos package index and downloads: find a package, fetch it safely.

argostranslate 1.11 reads a whole download into memory and checks nothing.
Here a download streams to a `.part` file in the models folder, resumes with
an HTTP Range request (or restarts cleanly when the server cannot), retries
transient failures, and is installed by `bitext.models` only after its
SHA-256 matches a pinned digest when one is known. The index address follows
argostranslate's `ARGOS_PACKAGE_INDEX` setting, so a mirror works for both.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bitext import __version__

# The index address lives with the rest of the Argos format; named here too.
from bitext.argos import DEFAULT_INDEX, INDEX_ENV, index_url  # noqa: F401
from bitext.invocation import command
from bitext.models import (
    PINNED,
    InstalledPackage,
    ModelError,
    Pinned,
    checkpoint,
    install_archive,
    install_archive_locked,
    install_folder,
    list_installed,
    models_dir,
    pinned_sha256,
    store_lock,
    version_key,
)

#: Cached copy of the last index fetched, in the models folder.
CACHE_NAME = ".index-cache.json"
#: Partial and finished downloads, in the models folder.
DOWNLOADS_NAME = ".downloads"
#: A download larger than this is refused (the nb->en package is ~90 MB).
MAX_DOWNLOAD_BYTES = 2 * 1024**3
_MAX_INDEX_BYTES = 16 * 1024**2
_TRANSIENT_HTTP = {408, 425, 429, 500, 502, 503, 504}


class DownloadError(ModelError):
    """The network failed (after retries); the message says what to do offline."""


class IndexUnreachable(DownloadError):
    """The index cannot be fetched and none is cached."""

    def __init__(self, message: str, url: str, reason: str) -> None:
        super().__init__(message)
        self.url, self.reason = url, reason


ProgressCallback = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class IndexEntry:
    """One package of the index, in the fields of argospm's index.json."""

    code: str
    from_code: str
    to_code: str
    package_version: str
    links: tuple[str, ...]
    from_name: str = ""
    to_name: str = ""
    argos_version: str = ""

    @property
    def pair(self) -> str:
        return f"{self.from_code}-{self.to_code}"

    @property
    def download_links(self) -> list[str]:
        return [u for u in self.links if u.startswith(("https://", "http://", "file://"))]

    @property
    def filename(self) -> str:
        """The archive's file name (as in its link), for offline instructions."""
        for link in self.download_links:
            name = PurePosixPath(urllib.parse.urlsplit(link).path).name
            if name.endswith(".argosmodel") and re.fullmatch(r"[\w.\-]+", name):
                return name
        return f"{self.code}-{self.package_version.replace('.', '_')}.argosmodel"

    @property
    def pinned_sha256(self) -> str | None:
        return pinned_sha256(self.code, self.package_version)


def parse_index(data: bytes | str, origin: str) -> list[IndexEntry]:
    """Entries of an index.json; malformed entries are skipped, a malformed file is an error."""
    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise ModelError(f"{origin}: the package index is not JSON ({exc})") from exc
    if not isinstance(raw, list):
        raise ModelError(f"{origin}: the package index is not a list of packages")
    entries = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        try:
            entries.append(
                IndexEntry(
                    code=str(item["code"]),
                    from_code=str(item["from_code"]),
                    to_code=str(item["to_code"]),
                    package_version=str(item.get("package_version", "")),
                    links=tuple(str(u) for u in item.get("links") or ()),
                    from_name=str(item.get("from_name", "")),
                    to_name=str(item.get("to_name", "")),
                    argos_version=str(item.get("argos_version", "")),
                )
            )
        except KeyError:
            continue
    return sorted(entries, key=lambda e: (e.from_code, e.to_code, version_key(e.package_version)))


def _request(url: str, headers: dict | None = None) -> urllib.request.Request:
    return urllib.request.Request(
        url, headers={"User-Agent": f"bitext/{__version__}", **(headers or {})}
    )


@dataclass
class IndexResult:
    entries: list[IndexEntry]
    url: str
    from_cache: bool
    warning: str | None = None


def fetch_index(
    url: str | None = None,
    directory: str | os.PathLike[str] | None = None,
    *,
    refresh: bool = False,
    timeout: float = 30.0,
) -> IndexResult:
    """The index, from the local cache unless `refresh` (or none cached for this address).

    When the network fails, a cached copy is used with a warning; with none,
    DownloadError explains how to install offline.
    """
    url = index_url(url)
    store = models_dir(directory)
    cache = store / CACHE_NAME
    cached = _read_cache(cache, url)
    if cached is not None and not refresh:
        return IndexResult(cached, url, True)
    try:
        with urllib.request.urlopen(_request(url), timeout=timeout) as response:
            data = response.read(_MAX_INDEX_BYTES + 1)
        if len(data) > _MAX_INDEX_BYTES:
            raise ModelError(f"{url}: the package index is larger than 16 MB; refusing it")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = _reason(exc)
        if cached is not None:
            return IndexResult(
                cached, url, True, f"cannot reach {url} ({reason}); using the cached index"
            )
        raise IndexUnreachable(offline_message(url, reason, store), url, reason) from exc
    entries = parse_index(data, url)
    from bitext.outputs import atomic_write_bytes

    payload = {"url": url, "fetched": int(time.time()), "index": json.loads(data)}
    atomic_write_bytes(cache, json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    return IndexResult(entries, url, False)


def _read_cache(cache: Path, url: str) -> list[IndexEntry] | None:
    try:
        payload = json.loads(cache.read_text(encoding="utf-8"))
        if payload.get("url") != url:
            return None
        return parse_index(json.dumps(payload["index"]), str(cache))
    except (OSError, ValueError, KeyError, AttributeError, ModelError):
        return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def offline_message(
    url: str,
    reason: str,
    store: Path,
    entry: IndexEntry | None = None,
    wanted: str | None = None,
) -> str:
    """What to do without network: the file to fetch elsewhere and the command to install it."""
    lines = [f"Cannot download from {url}: {reason}."]
    pinned = None
    if entry is None and wanted:
        pinned = _pinned_for(wanted)
    if entry is not None:
        links = entry.download_links or [f"the package index {url}"]
        filename, link = entry.filename, links[0]
    elif pinned is not None:
        filename = PurePosixPath(pinned[1].url).name
        link = pinned[1].url
    else:
        filename = "translate-<from>_<to>-<version>.argosmodel"
        link = f"the package index {url}"
    lines += [
        "On a connected machine, download",
        f"  {filename}",
        "from",
        f"  {link}",
        "copy it to this machine and install it with:",
        f"  {command('models', 'install', filename, '--models-dir', str(store))}",
    ]
    return "\n".join(lines)


def _pinned_for(wanted: str) -> tuple[tuple[str, str], Pinned] | None:
    code = _code_for(wanted)
    for key, pinned in PINNED.items():
        if key[0] == code:
            return key, pinned
    return None


def _code_for(wanted: str) -> str:
    if "-" in wanted and not wanted.startswith("translate-"):
        frm, to = wanted.split("-", 1)
        return f"translate-{frm}_{to}"
    return wanted


def find_entry(entries: list[IndexEntry], wanted: str) -> IndexEntry | None:
    """The newest entry for a pair (`nb-en`) or a code (`translate-nb_en`)."""
    matches = [e for e in entries if wanted in (e.pair, e.code)]
    return max(matches, key=lambda e: version_key(e.package_version)) if matches else None


class _PauseOnce:
    """The `download` test checkpoint, once per download, after its first chunk is on disk."""

    def __init__(self) -> None:
        self.done = False

    def __call__(self, out) -> None:
        if not self.done:
            out.flush()
            self.done = True
            checkpoint("download")


def _receive(url: str, response, part: Path, have: int, progress, pause: _PauseOnce) -> None:
    """Write one response into `part`: appended when it resumes at `have`
    bytes, from the start otherwise. A body shorter than announced raises
    IncompleteRead (the caller retries); one too large, DownloadError."""
    total = _content_length(response)
    start = _range_start(response) if have and response.status == 206 else None
    if start == have:
        mode = "ab"
        total = _range_total(response) or (have + total if total else None)
    else:
        mode, have = "wb", 0
    if total is not None and total > MAX_DOWNLOAD_BYTES:
        raise DownloadError(f"{url}: {total} bytes, larger than any package should be; refusing it")
    if progress:
        progress(have, total)
    with open(part, mode) as out:
        for chunk in iter(lambda: response.read(1 << 16), b""):
            out.write(chunk)
            have += len(chunk)
            if have > MAX_DOWNLOAD_BYTES:
                raise DownloadError(f"{url}: larger than any package should be")
            if progress:
                progress(have, total)
            pause(out)
        out.flush()
        os.fsync(out.fileno())
    if total is not None and have < total:
        raise http.client.IncompleteRead(b"", total - have)


def download(
    url: str,
    destination: Path,
    *,
    progress: ProgressCallback | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 30.0,
) -> Path:
    """Stream `url` to `destination` through `destination.part`.

    A `.part` left by an earlier attempt (for the same address) is resumed
    with a Range request; a server that answers with the whole file restarts
    it. Connection errors, truncated bodies and HTTP 5xx/429 are retried
    `retries` times with exponential backoff.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    part = destination.with_name(destination.name + ".part")
    origin = destination.with_name(destination.name + ".url")
    if not origin.is_file() or origin.read_text(encoding="utf-8") != url:
        part.unlink(missing_ok=True)
        origin.write_text(url, encoding="utf-8")
    attempt = 0
    pause = _PauseOnce()
    while True:
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with urllib.request.urlopen(_request(url, headers), timeout=timeout) as response:
                _receive(url, response, part, have, progress, pause)
            break
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # our part is no prefix the server knows
                part.unlink(missing_ok=True)
                if attempt < retries:
                    attempt += 1
                    continue
            if exc.code in _TRANSIENT_HTTP and attempt < retries:
                time.sleep(backoff * 2**attempt)
                attempt += 1
                continue
            raise DownloadError(f"{url}: {_reason(exc)}") from exc
        except DownloadError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            if _is_transient(exc) and attempt < retries:
                time.sleep(backoff * 2**attempt)
                attempt += 1
                continue
            raise DownloadError(f"{url}: {_reason(exc)}") from exc
    checkpoint("downloaded")
    os.replace(part, destination)
    origin.unlink(missing_ok=True)
    return destination


def _is_transient(exc: BaseException) -> bool:
    """Worth another try: not a name that cannot be resolved, not a bad address."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, socket.gaierror):
        return False  # no DNS: offline, retrying will not help
    if isinstance(exc, urllib.error.URLError) and isinstance(reason, str):
        return False  # e.g. unknown url type
    return True


def _content_length(response) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value and value.isdigit() else None


def _range_start(response) -> int | None:
    match = re.match(r"bytes (\d+)-(\d+)/(\d+|\*)", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def _range_total(response) -> int | None:
    match = re.match(r"bytes \d+-\d+/(\d+)", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


@dataclass
class InstallResult:
    package: InstalledPackage
    #: "installed", "already installed"
    status: str
    origin: str


def install_from_index(
    wanted: str,
    directory: str | os.PathLike[str] | None = None,
    *,
    index: str | None = None,
    refresh: bool = False,
    expected_sha256: str | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
    on_message: Callable[[str], None] | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 30.0,
) -> InstallResult:
    """Download a pair (`nb-en`) or code (`translate-nb_en`) from the index and install it."""
    store = models_dir(directory)
    try:
        found = fetch_index(index, store, refresh=refresh, timeout=timeout)
    except IndexUnreachable as exc:
        message = offline_message(exc.url, exc.reason, store, wanted=wanted)
        raise DownloadError(message) from exc
    if found.warning and on_message:
        on_message(f"warning: {found.warning}")
    entry = find_entry(found.entries, wanted)
    if entry is None:
        raise ModelError(
            f"no package {wanted!r} in the index {found.url}; "
            "see `bitext models available` (add --refresh to fetch the index again)"
        )
    expected = expected_sha256 or entry.pinned_sha256
    with store_lock(store, on_wait=on_message):
        for pkg in list_installed(store):
            if pkg.code == entry.code and pkg.version == entry.package_version and not force:
                return InstallResult(pkg, "already installed", pkg.source or "")
        target = store / DOWNLOADS_NAME / entry.filename
        errors = []
        for link in entry.download_links:
            if on_message:
                on_message(f"downloading {entry.code} {entry.package_version} from {link}")
            try:
                download(
                    link,
                    target,
                    progress=progress,
                    retries=retries,
                    backoff=backoff,
                    timeout=timeout,
                )
                break
            except DownloadError as exc:
                errors.append(str(exc).split(": ", 1)[-1])
        else:
            reason = "; ".join(errors) or "the index gives no download address"
            raise DownloadError(
                offline_message(
                    entry.download_links[0] if entry.download_links else found.url,
                    reason,
                    store,
                    entry=entry,
                )
            )
        try:
            package = install_archive_locked(target, store, source=link, expected_sha256=expected)
        finally:
            target.unlink(missing_ok=True)  # installed, or refused: never reused
    return InstallResult(package, "installed", link)


def install(
    target: str,
    directory: str | os.PathLike[str] | None = None,
    **options,
) -> InstallResult:
    """Install from an `.argosmodel` file, an unpacked package folder, a pair or a code.

    A path that exists wins; otherwise `nb-en` and `translate-nb_en` are
    looked up in the index (see `install_from_index` for `options`).
    """
    path = Path(target)
    sha = options.get("expected_sha256")
    if path.is_file():
        pkg = install_archive(
            path, directory, expected_sha256=sha, on_wait=options.get("on_message")
        )
        return InstallResult(pkg, "installed", str(path))
    if path.is_dir():
        if sha:
            raise ModelError("--sha256 applies to archives, not to folders")
        pkg = install_folder(path, directory, on_wait=options.get("on_message"))
        return InstallResult(pkg, "installed", str(path))
    if target.endswith((".argosmodel", ".zip")) or os.sep in target or "/" in target:
        raise ModelError(f"{target}: no such file or folder")
    if not re.fullmatch(r"[A-Za-z_]+-[A-Za-z_]+|translate-[A-Za-z]+_[A-Za-z_]+", target):
        raise ModelError(
            f"{target!r} is neither a file, a folder, a pair like nb-en, "
            "nor a package code like translate-nb_en"
        )
    return install_from_index(target, directory, **options)
