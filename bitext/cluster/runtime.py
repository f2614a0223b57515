"""Starting or joining Ray for one run.

Without an address (and without RAY_ADDRESS) a private Ray runtime is started
on this machine, on 127.0.0.1 only, and stopped at the end of the run. With
`auto` or HOST:PORT the run joins a cluster someone started with
`ray start`, following Ray's own RAY_ADDRESS convention, and leaves it running.
"""

from __future__ import annotations

import logging
import os

#: What `--engine ray` needs when Ray is missing.
INSTALL_HINT = "pip install 'bitext[ray]'  (with uv: uv sync --extra ray)"

#: Set before Ray is imported, for every run: no usage reports (no network
#: at run time), and no shipping of the working folder to the workers, which
#: Ray does for a driver started by `uv run` (the user's articles may lie
#: there, and the driver alone owns files; workers need bitext installed).
DRIVER_ENVIRONMENT = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",
}
#: Also set when Ray runs on this machine only: it keeps every Ray process on
#: 127.0.0.1 (without it Ray advertises the network interface's address here).
LOOPBACK_ENVIRONMENT = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


class RayMissing(ImportError):
    """The `ray` extra is not installed."""


def import_ray():
    """The `ray` module, or RayMissing naming the install command."""
    try:
        import ray
    except ImportError as exc:
        raise RayMissing(
            f"--engine ray needs the optional extra 'ray', which is not installed: {INSTALL_HINT}"
        ) from exc
    return ray


def loopback_environment() -> None:
    """Put DRIVER_ENVIRONMENT and LOOPBACK_ENVIRONMENT into this process's
    environment (Ray's children inherit it); Ray reads them when it is first
    imported, so call this before `import ray`."""
    _set(DRIVER_ENVIRONMENT)
    _set(LOOPBACK_ENVIRONMENT)


def _set(variables: dict[str, str]) -> None:
    for name, value in variables.items():
        os.environ.setdefault(name, value)


def is_loopback(address: str) -> bool:
    return address.rsplit(":", 1)[0] in ("127.0.0.1", "localhost", "[::1]")


class Connection:
    """One run's use of Ray: what it started or joined, undone by `close()`."""

    def __init__(self, address: str | None = None, *, verbose: bool = False) -> None:
        address = address or os.environ.get("RAY_ADDRESS") or None
        local = address is None or is_loopback(address)
        _set(DRIVER_ENVIRONMENT)  # Ray reads these when it is imported, so before that
        if local:
            _set(LOOPBACK_ENVIRONMENT)
        ray = import_ray()
        self.ray = ray
        self.owned = False  # ray.init called here (else a Python caller's session is reused)
        if ray.is_initialized():
            return
        quiet = {} if verbose else {"logging_level": logging.ERROR, "log_to_driver": False}
        if address is None:  # a private runtime on this machine, loopback only
            # "local": a new runtime even when another user's Ray runs here
            # (a plain ray.init() joins the newest cluster it finds in /tmp/ray).
            ray.init(
                address="local", _node_ip_address="127.0.0.1", include_dashboard=False, **quiet
            )
        else:  # a driver joining a loopback cluster must find its raylet there too
            node = {"_node_ip_address": "127.0.0.1"} if local else {}
            ray.init(address=address, **node, **quiet)
        self.owned = True

    def close(self) -> None:
        if self.owned and self.ray.is_initialized():
            self.ray.shutdown()
        self.owned = False
