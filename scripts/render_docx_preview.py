"""Render the first page of a seed article's DOCX to docs/docx-preview.png.

The picture in the README comes from the real file: the seed is translated
with the installed nb->en model (or, when none is installed, the project's
copy test model, built and installed in a temporary folder, whose
"translations" repeat the source), the DOCX is converted to PDF by
LibreOffice, and pdftoppm renders page 1 at 80 dpi.

Needs `soffice` (LibreOffice) and `pdftoppm` (poppler-utils) on PATH.
Run: uv run python scripts/render_docx_preview.py [--models-dir DIR] [-o PNG]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_971f0af4c1b6c782.txt"


def _models(models_dir: Path | None, work: Path) -> Path:
    from bitext.models import find_package, install_archive

    if models_dir is not None and find_package("nb", "en", models_dir) is not None:
        return models_dir
    from bitext.copymodel import build_copy_package

    print("no nb->en model given: using the copy test model", file=sys.stderr)
    store = work / "models"
    install_archive(build_copy_package(work / "copy.argosmodel", size="test"), store)
    return store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--seed", type=Path, default=SEED)
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "docx-preview.png")
    parser.add_argument("--dpi", type=int, default=80)
    args = parser.parse_args(argv)
    for tool in ("soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            print(f"error: {tool} is not installed", file=sys.stderr)
            return 2

    from bitext.pipeline import TranslateOptions, translate_paths

    with tempfile.TemporaryDirectory(prefix="bitext-preview-") as tmp:
        work = Path(tmp)
        options = TranslateOptions(
            output_dir=work / "out",
            formats=["docx"],
            models_dir=_models(args.models_dir, work),
            cache=False,
            overwrite=True,
        )
        summary = translate_paths([args.seed], options)
        docx = Path(summary.files[0])
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(work), str(docx)],
            check=True,
            capture_output=True,
            timeout=300,
            env={"HOME": str(work), "PATH": "/usr/bin:/bin"},
        )
        pdf = work / f"{docx.stem}.pdf"
        prefix = work / "page"
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(args.dpi), "-f", "1", "-l", "1", "-singlefile"]
            + [str(pdf), str(prefix)],
            check=True,
        )
        args.output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(prefix.with_suffix(".png"), args.output)
    print(args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
