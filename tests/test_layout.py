"""Replicas x threads chosen by measurement, kept as wisdom (issue 27).

The calibrations are counted, never timed: `bitext.layout.calibrate` is
wrapped by a counter that calls the real function on the real copy model.
"""

from __future__ import annotations

import json
import threading

import pytest
from typer.testing import CliRunner

from bitext import layout as layouts
from bitext.engine import Translator
from bitext.layout import Layout
from bitext.models import find_package
from bitext.pipeline import TranslateOptions, translate_paths
from bitext.readers import read_document
from bitext.segmentation import split_sentences

from .conftest import SEEDS_DIR


@pytest.fixture()
def calibrations(monkeypatch, tmp_path) -> list[int]:
    """A private wisdom folder, and the core count of each calibration run."""
    monkeypatch.setenv("BITEXT_CACHE_DIR", str(tmp_path / "cache"))
    counted: list[int] = []
    real = layouts.calibrate

    def counting(load, run, sample, cores):
        counted.append(cores)
        return real(load, run, sample, cores)

    monkeypatch.setattr(layouts, "calibrate", counting)
    monkeypatch.setattr(layouts, "MEASURE_SECONDS", 0.05)  # counted, not timed
    monkeypatch.setenv(layouts.CALIBRATE_ENV, "force")  # even on a busy machine
    return counted


@pytest.fixture(scope="module")
def package(installed_models):
    return find_package("nb", "en", installed_models)


@pytest.fixture(scope="module")
def seed_sentences() -> list[str]:
    return [
        s
        for path in sorted(SEEDS_DIR.glob("*.txt"))
        for block in read_document(path).blocks
        for s in split_sentences(block.text)
    ]


def test_calibration_runs_once_per_model_and_machine(calibrations, package, tmp_path):
    first = Translator(package, threads=2)
    assert first.layout.source == "calibrated"
    assert (first.layout.replicas, first.layout.threads) in layouts.candidates(2)
    assert calibrations == [2]
    wisdom = json.loads((tmp_path / "cache" / layouts.WISDOM_FILE).read_text())
    (key,) = wisdom["layouts"]
    assert package.sha256 in key and "cores=2" in key and "int8" in key
    assert set(wisdom["layouts"][key]["tokens_per_second"]) == {"2x1", "1x2"}
    # A new engine (a later run) on the same model and machine reads the wisdom.
    again = Translator(package, threads=2)
    assert again.layout == Layout(first.layout.replicas, first.layout.threads, "wisdom")
    assert calibrations == [2]
    # Another compute type or core count is another measurement.
    assert Translator(package, threads=2, compute_type="float32").layout.source == "calibrated"
    assert Translator(package, threads=4).layout.source == "calibrated"
    assert calibrations == [2, 2, 4]
    assert len(json.loads((tmp_path / "cache" / layouts.WISDOM_FILE).read_text())["layouts"]) == 3


def test_two_runs_of_the_pipeline_calibrate_once(calibrations, installed_models, tmp_path):
    for n in range(2):
        options = TranslateOptions(
            output_dir=tmp_path / f"out{n}",
            models_dir=installed_models,
            formats=["tsv"],
            threads=2,
            cache=False,
        )
        summary = translate_paths([SEEDS_DIR], options)
        assert summary.count("done") == 2
        source = summary.as_dict()["layouts"]["nb-en"]["source"]
        assert source == ("calibrated" if n == 0 else "wisdom")
    assert calibrations == [2]


def test_overrides_and_switch_off_never_calibrate(calibrations, package, monkeypatch, tmp_path):
    asked = Translator(package, threads=2, replicas=2)
    assert asked.layout == Layout(2, 1, "options")
    assert Translator(package, replicas=1, threads=2).layout == Layout(1, 2, "options")
    assert Translator(package, threads=1).layout == Layout(1, 1, "rule")  # nothing to choose
    monkeypatch.setenv(layouts.CALIBRATE_ENV, "0")
    assert Translator(package, threads=2).layout == Layout(2, 1, "rule")
    assert Translator(package, threads=2, calibrate=False).layout.source == "rule"
    assert calibrations == []
    assert not (tmp_path / "cache" / layouts.WISDOM_FILE).exists()


def test_a_broken_wisdom_file_is_measured_again_and_replaced(calibrations, package, tmp_path):
    path = tmp_path / "cache" / layouts.WISDOM_FILE
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert Translator(package, threads=2).layout.source == "calibrated"
    assert json.loads(path.read_text())["version"] == layouts.WISDOM_VERSION
    assert [p.name for p in path.parent.iterdir()] == [layouts.WISDOM_FILE]  # no temporaries


@pytest.mark.parametrize("asked", [(1, 2), (2, 1), (3, 1), (1, 1)])
def test_output_is_the_same_whatever_the_layout(package, seed_sentences, asked):
    replicas, threads = asked
    engine = Translator(package, threads=replicas * threads, replicas=replicas)
    one = Translator(package, threads=1)
    assert engine.translate(seed_sentences) == one.translate(seed_sentences)
    assert sorted(engine.last_stats.calls) == sorted(one.last_stats.calls)  # same batches
    assert engine.last_stats.batches >= layouts.usable_cores()  # a small run is spread


def test_a_busy_machine_uses_the_rule_and_measures_later(calibrations, package, monkeypatch):
    monkeypatch.setenv(layouts.CALIBRATE_ENV, "1")
    monkeypatch.setattr(layouts.os, "getloadavg", lambda: (2.0, 2.0, 2.0))
    assert Translator(package, threads=2).layout == Layout(2, 1, "rule")
    monkeypatch.setattr(layouts.os, "getloadavg", lambda: (0.5, 2.0, 2.0))
    assert Translator(package, threads=2).layout.source == "calibrated"
    assert calibrations == [2]


def test_replicas_are_capped_by_available_memory():
    per_replica = layouts.REPLICA_BYTES_PER_TOKEN_BEAM * 2048 * 4
    assert layouts.replica_cap(2048, 4, available=2 * per_replica) == 1
    assert layouts.replica_cap(2048, 4, available=10 * per_replica) == 5
    assert layouts.replica_cap(2048, 4, available=0) == 1
    assert layouts.capped(Layout(8, 1, "rule"), 5) == Layout(5, 1, "rule", capped=True)
    assert layouts.capped(Layout(2, 1, "rule"), 5) == Layout(2, 1, "rule")


def test_the_model_loads_in_the_background_while_articles_are_read(installed_models, tmp_path):
    """The first freshly read document starts the load; translation finds it done."""
    loaded_by: list[str] = []

    class Watching(Translator):
        def _load(self):
            loaded_by.append(threading.current_thread().name)
            return super()._load()

    def factory(package, options):
        return Watching(package, threads=2, replicas=2)

    options = TranslateOptions(
        output_dir=tmp_path / "out", models_dir=installed_models, formats=["tsv"], cache=False
    )
    summary = translate_paths([SEEDS_DIR], options, translator_factory=factory)
    assert summary.count("done") == 2
    assert loaded_by[0] == "bitext-load"


def test_verbose_and_json_say_the_layout(installed_models, tmp_path):
    from bitext.cli import app

    args = ["translate", str(SEEDS_DIR), "-o", str(tmp_path / "o"), "--format", "tsv"]
    args += ["--models-dir", str(installed_models), "--no-cache", "--threads", "2"]
    result = CliRunner().invoke(app, [*args, "--replicas", "2", "--verbose", "--json"])
    assert result.exit_code == 0, result.output
    assert "layout nb-en: 2 replicas x 1 thread (options)" in result.stderr
    data = json.loads(result.stdout)
    assert data["layouts"] == {
        "nb-en": {"replicas": 2, "threads": 1, "source": "options", "capped": False}
    }
