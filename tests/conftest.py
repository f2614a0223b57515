"""Shared fixtures: the project's copy model, built once per test session.

The model is built by `bitext.copymodel` into a real `.argosmodel` archive and
installed with `bitext.models.install_archive`, the same path a downloaded
package takes. It translates every sentence into itself, so a test can check
that each translation sits beside its own source.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.capabilities import soffice
from tests.model_server import model_server  # noqa: F401  (the HTTP server fixture)

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT / "seeds"


@pytest.fixture(scope="session", autouse=True)
def _private_translation_memory(tmp_path_factory):
    """Every test's translation memory lives in a temporary folder, never ~/.cache.

    Session-wide, so through `pytest.MonkeyPatch.context()` (the `monkeypatch`
    fixture is per test); the old value comes back at the end.
    """
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BITEXT_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session")
def copy_model_archive(tmp_path_factory) -> Path:
    from bitext.copymodel import build_copy_package

    archive = tmp_path_factory.mktemp("model") / "translate-nb_en-copy.argosmodel"
    return build_copy_package(archive, size="test")


@pytest.fixture(scope="session")
def installed_models(tmp_path_factory, copy_model_archive) -> Path:
    """A models folder with the copy model installed; treat as read-only."""
    from bitext.models import install_archive

    store = tmp_path_factory.mktemp("models")
    install_archive(copy_model_archive, store)
    return store


@pytest.fixture()
def models_copy(tmp_path, installed_models) -> Path:
    """A private, writable copy of the installed models folder."""
    target = tmp_path / "models"
    shutil.copytree(installed_models, target)
    return target


@pytest.fixture(scope="session")
def translator(installed_models):
    from bitext.engine import Translator
    from bitext.models import find_package

    return Translator(find_package("nb", "en", installed_models), threads=1)


def docx_to_pdf(docx: Path, outdir: Path) -> Path:
    """The PDF LibreOffice makes of `docx` (its profile kept in `outdir`)."""
    soffice(["--convert-to", "pdf", "--outdir", str(outdir), str(docx)], outdir)
    return outdir / f"{docx.stem}.pdf"


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (the system's) driven by Playwright: one per test session,
    since Playwright allows one `sync_playwright()` per process. Skips, saying
    which, when Chromium or the playwright package is missing; once playwright
    is installed, a broken import fails instead of hiding as a skip."""
    from tests.capabilities import chromium_path, missing_distribution

    chromium = chromium_path()
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian package chromium)")
    missing = missing_distribution("playwright", "dev group")
    if missing is not None:
        pytest.skip(missing)
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        try:
            yield launched
        finally:
            launched.close()
