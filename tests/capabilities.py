"""What a test needs from the machine, checked part by part, with the reason to skip.

A test that needs LibreOffice Calc asks for Calc, not for `soffice`: Debian
installs Writer and Calc as separate packages behind one `soffice`, and a
machine with Writer alone must skip the Calc tests, saying so, rather than
fail them. Each check looks for the part itself (the component's library
beside the `soffice` that PATH finds, the program, the installed package).

Ray is in the dev group, so it is normally there: the tests skip only when
its distribution is not installed at all (`uv sync --no-dev` plus pytest);
when it is installed, it is imported for real, so a broken Ray fails.
`.ci/run` installs every part, and prints the skip count after the tests.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: The library each LibreOffice component puts in the program folder.
_OFFICE_LIBRARIES = {"Writer": "libswlo.so", "Calc": "libsclo.so"}


def office_program() -> Path | None:
    """The folder of the `soffice` that PATH finds (links resolved), or None."""
    found = shutil.which("soffice")
    return Path(found).resolve().parent if found else None


def office_component(name: str) -> str | None:
    """Why LibreOffice `name` ("Writer", "Calc") cannot be used here, or None."""
    program = office_program()
    if program is None:
        return f"LibreOffice {name} is not installed (no soffice on PATH)"
    library = _OFFICE_LIBRARIES[name]
    if not (program / library).exists():
        return f"LibreOffice {name} is not installed (soffice has no {library} in {program})"
    return None


def missing_program(name: str, package: str) -> str | None:
    """Why the program `name` cannot be run here (its Debian package named), or None."""
    if shutil.which(name) is None:
        return f"{name} is not installed (Debian package {package})"
    return None


def chromium_path() -> str | None:
    """The Chromium executable on PATH (Debian's `chromium`), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing_distribution(name: str, extra: str) -> str | None:
    """Why the Python distribution `name` is absent, or None when it is installed."""
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return f"{name} is not installed (the {extra})"
    return None


def _mark(why: str | None) -> pytest.MarkDecorator:
    return pytest.mark.skipif(why is not None, reason=why or "")


#: Marks, one per part; each skip reason names what is missing.
needs_writer = _mark(office_component("Writer"))
needs_calc = _mark(office_component("Calc"))
needs_pdftotext = _mark(missing_program("pdftotext", "poppler-utils"))
needs_omegat = _mark(missing_program("omegat", "omegat"))
needs_chromium = _mark(
    None if chromium_path() else "Chromium is not installed (Debian package chromium)"
)
needs_ray = _mark(missing_distribution("ray", "optional extra 'ray'"))


def soffice(arguments: list[str], workdir: Path) -> subprocess.CompletedProcess:
    """Run LibreOffice headless with its profile in `workdir` (the caller's PATH kept)."""
    return subprocess.run(
        ["soffice", "--headless", *arguments],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(workdir)},
    )


#: Under root, children run without the capabilities that override file modes.
_DROP_OVERRIDES = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def run_python_unprivileged(code: str, *args: str, workdir: Path) -> subprocess.CompletedProcess:
    """Run `code` in a child Python where file modes apply, even under root.

    Root reads and writes whatever the mode, so a test of a permission error
    would have to skip there (and CI runs as root). As root, the child runs
    through util-linux's `setpriv` without CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH: still root (it owns the test's folders), but held
    to the modes like any user.
    """
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv (util-linux) to obey file modes")
        prefix = _DROP_OVERRIDES
    return subprocess.run(
        [*prefix, sys.executable, "-c", code, *args],
        cwd=workdir,
        env={**os.environ, "BITEXT_CACHE_DIR": str(workdir / "cache")},
        capture_output=True,
        text=True,
        timeout=300,
    )
