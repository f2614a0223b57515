"""Engines plug in (issue 24): `--engine` names map to engines in `bitext.engines`,
and the pipeline runs whatever engine object it is given.

The Ray engine itself is tested on a real cluster in tests/test_ray_engine.py;
here the pipeline runs a caller's engine (the local one, wrapped so each call
is seen) on the seeds with the copy model, and unknown names are refused.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bitext.engines import UnknownEngine, engine_names, open_engine
from bitext.pipeline import LocalEngine, RequestError, TranslateOptions, translate_paths

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


class Watched:
    """An engine of the caller's: the local engine, with every call written down."""

    def __init__(self, options: TranslateOptions) -> None:
        self.inner = LocalEngine(options)
        self.renderer = self
        self.calls: list[str] = []

    def translator(self, package, options):
        self.calls.append(f"translator {package.from_code}->{package.to_code}")
        return self.inner.translator(package, options)

    def analyser(self, files, forced, memory, stems, wanted, checkpoint):
        prepare = self.inner.analyser(files, forced, memory, stems, wanted, checkpoint)

        def watched(path, doc_id):
            self.calls.append(f"analyse {Path(path).name}")
            return prepare(path, doc_id)

        return watched

    def submit(self, request, done):
        self.calls.append(f"render {request.document.id}")
        self.inner.renderer.submit(request, done)

    def settle(self, timeout=None):
        self.inner.renderer.settle(timeout)

    def close(self):
        self.calls.append("close")


def _options(tmp_path: Path, models: Path, **extra) -> TranslateOptions:
    return TranslateOptions(
        output_dir=tmp_path / "out", models_dir=models, formats=["tsv"], cache=False, **extra
    )


def test_the_registry_names_the_engines_and_opens_the_local_one(tmp_path, installed_models):
    assert engine_names()[0] == "local" and "ray" in engine_names()
    engine = open_engine("local", _options(tmp_path, installed_models))
    assert isinstance(engine, LocalEngine)
    engine.close()


def test_the_pipeline_runs_the_engine_it_is_given_and_leaves_it_open(tmp_path, installed_models):
    options = _options(tmp_path, installed_models)
    engine = Watched(options)
    summary = translate_paths([SEEDS], options, engine=engine)
    seeds = sorted(p.name for p in SEEDS.glob("*.txt"))
    assert summary.count("done") == len(seeds) == 2
    assert sorted(c.split()[1] for c in engine.calls if c.startswith("analyse")) == seeds
    assert [c for c in engine.calls if c.startswith("translator")] == ["translator nb->en"]
    assert len([c for c in engine.calls if c.startswith("render")]) == 2
    assert "close" not in engine.calls  # the caller opened it, the caller closes it
    # The same bytes as the engine the options name (local).
    plain = _options(tmp_path / "plain", installed_models)
    translate_paths([SEEDS], plain)
    for tsv in (tmp_path / "out").glob("*.tsv"):
        assert tsv.read_bytes() == (plain.output_dir / tsv.name).read_bytes()


def test_an_unknown_engine_name_is_a_request_error_naming_the_choices(tmp_path, installed_models):
    with pytest.raises(UnknownEngine, match="'local' or 'ray', not 'spark'"):
        open_engine("spark", None)
    with pytest.raises(RequestError, match="--engine must be 'local' or 'ray', not 'spark'"):
        translate_paths([SEEDS], _options(tmp_path, installed_models, engine="spark"))
    assert not list((tmp_path / "out").glob("*"))  # nothing written


def test_the_cli_refuses_an_unknown_engine_with_exit_2(tmp_path, installed_models):
    result = subprocess.run(
        [sys.executable, "-m", "bitext", "translate", str(SEEDS), "-o", str(tmp_path / "out")]
        + ["--models-dir", str(installed_models), "--engine", "spark"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "--engine must be 'local' or 'ray', not 'spark'" in result.stderr
