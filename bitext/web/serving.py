"""`bitext serve` as a library call: keys, the app's parts, the socket, the run.

Binding beyond loopback exposes the model to the network, so it needs API
keys; on loopback, the Host check of the security layer holds instead (and
keys are still checked when given).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bitext.runs import RequestError
from bitext.web.app import Settings
from bitext.web.service import ServeOptions

if TYPE_CHECKING:
    from bitext.pipeline import TranslateOptions


def load_api_keys(path: Path) -> frozenset[str]:
    """One key per line; blank lines and lines starting with # are left out."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RequestError(f"cannot read the API keys file {path}: {exc}") from exc
    keys = frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))
    if not keys:
        raise RequestError(f"the API keys file {path} holds no key")
    return keys


def serve_settings(host: str, api_keys: Path | None) -> Settings:
    """The security settings for a server on `host` (keys required off loopback)."""
    from bitext.web.server import is_loopback

    keys = load_api_keys(api_keys) if api_keys is not None else frozenset()
    if is_loopback(host):
        return Settings(api_keys=keys)
    if not keys:
        raise RequestError(
            f"--host {host} makes the server reachable from other machines: "
            "give --api-keys FILE (one key per line)"
        )
    return Settings(allowed_hosts=None, api_keys=keys)


def build_app(options: ServeOptions, settings: Settings, exports: Path | None = None):
    """The one web app: the API, and the review pages of `exports` when given."""
    from bitext.web.api import ApiPart
    from bitext.web.app import create_app
    from bitext.web.service import Service

    parts: list = []
    if exports is not None:  # checked first: a folder that cannot be reviewed loads no model
        parts.append(review_part(exports, settings, options.translate))
    parts.insert(0, ApiPart(Service(options), settings))
    return create_app(settings, parts)


def review_part(exports: Path, settings: Settings, options: TranslateOptions):
    """The review pages of `bitext review` over a run folder, in the same app."""
    from bitext.revision import ReviewError, ReviewFolder
    from bitext.web.review import ReviewPart

    try:
        return ReviewPart(ReviewFolder(exports, options), settings)
    except ReviewError as exc:
        raise RequestError(str(exc)) from exc


def serve(
    host: str,
    port: int,
    options: ServeOptions,
    *,
    api_keys: Path | None = None,
    exports: Path | None = None,
    on_started: Callable[[str], None] | None = None,
) -> None:
    """Serve until Ctrl+C or SIGTERM; returns after a clean shutdown.

    `on_started` gets the API's address; with `exports`, then the review
    pages' address too, with the session token (as `bitext review` prints it).

    Raises RequestError before anything listens when the request cannot work
    (no model, no keys off loopback, a port in use).
    """
    from bitext.web import server

    settings = serve_settings(host, api_keys)
    app = build_app(options, settings, exports)
    try:
        sock = server.bind(host, port)
    except OSError as exc:
        raise RequestError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{server.port_of(sock)}"

    def started() -> None:
        if on_started is not None:
            on_started(url)
            if exports is not None:
                on_started(f"{url}/?token={settings.token}")

    server.run(app, sock, on_started=started)
