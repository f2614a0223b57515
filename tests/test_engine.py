"""The translation engine on the real copy model (issue 6)."""

from __future__ import annotations

import pytest

from bitext.engine import (
    MAX_INPUT_TOKENS,
    DecodeOptions,
    Translator,
    resolve_device,
)
from bitext.layout import rule_layout
from bitext.memory import TranslationMemory
from bitext.models import find_package
from bitext.readers import read_document
from bitext.segmentation import split_sentences

from .conftest import SEEDS_DIR


@pytest.fixture(scope="module")
def seed_sentences() -> list[str]:
    out = []
    for path in sorted(SEEDS_DIR.glob("*.txt")):
        for block in read_document(path).blocks:
            out.extend(split_sentences(block.text))
    return out


def test_thread_layout_rule():
    # Without a measurement: one replica per core (issue 27: on 2 cores,
    # 2 replicas x 1 thread ran 1.39x faster than 1 x 2).
    for cores in (1, 2, 4, 16):
        layout = rule_layout(cores)
        assert (layout.replicas, layout.threads, layout.source) == (cores, 1, "rule")


def test_auto_device_is_cuda_only_when_ctranslate2_sees_a_gpu():
    import ctranslate2

    expected = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    assert resolve_device("auto") == expected
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="device"):
        resolve_device("tpu")


def test_defaults_int8_on_cpu(translator):
    assert translator.device == "cpu"
    assert translator.compute_type == "int8"
    assert (translator.inter_threads, translator.intra_threads) == (1, 1)


def test_copy_model_output_in_order_with_duplicates_and_blanks(translator, seed_sentences):
    sentences = seed_sentences + ["", "   "] + seed_sentences[:5]
    out = translator.translate(sentences)
    assert out == [s if s.strip() else "" for s in sentences]
    stats = translator.last_stats
    assert stats.unique == len(set(seed_sentences))
    assert stats.translated == stats.unique and stats.cached == 0


def test_batched_equals_one_by_one(installed_models, seed_sentences):
    """Batch invariance: a big length-sorted batch gives what single calls give."""
    package = find_package("nb", "en", installed_models)
    big = Translator(package, threads=1, max_batch_tokens=100_000, spread_batches=1)
    batched = big.translate(seed_sentences)
    assert big.last_stats.batches == 1
    alone = [big.translate([s])[0] for s in seed_sentences]
    assert batched == alone
    small = Translator(package, threads=1, max_batch_tokens=64)
    assert small.translate(seed_sentences) == batched
    assert small.last_stats.batches > 10


def test_batches_are_token_bounded_and_length_sorted(installed_models, seed_sentences):
    package = find_package("nb", "en", installed_models)
    engine = Translator(package, threads=1, max_batch_tokens=200)
    seen: list[list[str]] = []
    engine.translate(seed_sentences, on_translated=lambda done: seen.append(list(done)))
    lengths = [[len(engine.tokenize(s)) for s in batch] for batch in seen]
    for batch in lengths:
        assert sum(n + 1 for n in batch) <= 200 or len(batch) == 1
    flat = [n for batch in lengths for n in batch]
    assert flat == sorted(flat)
    assert sorted(s for batch in seen for s in batch) == sorted(set(seed_sentences))


def test_long_sentence_is_cut_and_rejoined(translator, seed_sentences):
    long = " ".join(seed_sentences[:20])
    assert len(translator.tokenize(long)) > MAX_INPUT_TOKENS
    (out,) = translator.translate([long])
    # Pieces are joined with a space: the words and their order survive.
    assert "".join(out.split()) == "".join(long.split())


def test_memory_makes_a_rerun_translate_nothing(translator, seed_sentences, tmp_path):
    with TranslationMemory(tmp_path / "m.sqlite3") as memory:
        progress: list[int] = []
        first = translator.translate(seed_sentences, progress=progress.append, memory=memory)
        assert sum(progress) == len(set(seed_sentences))
        assert memory.info()["entries"] == len(set(seed_sentences))
        second = translator.translate(seed_sentences, memory=memory)
        assert second == first
        assert translator.last_stats.cached == len(set(seed_sentences))
        assert translator.last_stats.translated == 0
        # A new sentence is the only one translated.
        translator.translate(seed_sentences + ["Helt ny setning her."], memory=memory)
        assert translator.last_stats.translated == 1


def test_memory_entries_are_not_shared_across_settings(installed_models, tmp_path):
    package = find_package("nb", "en", installed_models)
    beam = Translator(package, threads=1)
    greedy = Translator(package, threads=1, options=DecodeOptions.fast())
    assert beam.model_key != greedy.model_key
    assert package.sha256 and package.sha256 in beam.model_key
    assert "beam=4" in beam.model_key and "int8" in beam.model_key
    with TranslationMemory(tmp_path / "m.sqlite3") as memory:
        memory.put_many(beam.model_key, {"Hei.": "stale beam result"})
        assert beam.translate(["Hei."], memory=memory) == ["stale beam result"]
        assert greedy.translate(["Hei."], memory=memory) == ["Hei."]


def test_a_run_served_from_memory_never_loads_the_model(installed_models, tmp_path):
    package = find_package("nb", "en", installed_models)
    with TranslationMemory(tmp_path / "m.sqlite3") as memory:
        Translator(package, threads=1).translate(["Hei på deg.", "God morgen."], memory=memory)
        fresh = Translator(package, threads=1)
        assert fresh.translate(["God morgen."], memory=memory) == ["God morgen."]
        assert fresh._loaded is None
        fresh.translate(["Helt ny."], memory=memory)
        assert fresh._loaded is not None


def test_cuda_without_a_gpu_is_a_request_error(tmp_path, installed_models):
    import ctranslate2

    from bitext.pipeline import RequestError, TranslateOptions, translate_paths

    if ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("a GPU is visible here")
    with pytest.raises(ValueError, match="no CUDA device"):
        resolve_device("cuda")
    options = TranslateOptions(
        output_dir=tmp_path / "out", models_dir=installed_models, device="cuda", cache=False
    )
    with pytest.raises(RequestError, match="no CUDA device"):
        translate_paths([SEEDS_DIR], options)
    assert not (tmp_path / "out").exists()


def test_several_replicas_give_the_same_output(installed_models, seed_sentences):
    """Batches spread over the replicas come back complete and in place."""
    package = find_package("nb", "en", installed_models)
    engine = Translator(package, threads=8, replicas=2, max_batch_tokens=128)
    assert (engine.inter_threads, engine.intra_threads) == (2, 4)
    assert engine.translate(seed_sentences) == seed_sentences
    assert engine.last_stats.batches > 2


def test_documents_are_written_as_soon_as_their_sentences_are_done(tmp_path, installed_models):
    """One engine call per chunk, and each export is written from its callback."""
    from bitext.pipeline import TranslateOptions, translate_paths

    calls: list[int] = []
    files_seen: list[int] = []
    out = tmp_path / "out"

    class Watching(Translator):
        def translate(self, sentences, progress=None, *, memory=None, on_translated=None):
            calls.append(len(sentences))

            def watch(done):
                on_translated(done)
                files_seen.append(len(list(out.glob("*.tsv"))))

            return super().translate(sentences, progress, memory=memory, on_translated=watch)

    def factory(package, options):
        return Watching(package, threads=1, max_batch_tokens=64)

    translate_paths(
        [SEEDS_DIR],
        TranslateOptions(output_dir=out, models_dir=installed_models, formats=["tsv"], cache=False),
        translator_factory=factory,
    )
    assert len(calls) == 1  # both seed articles in one engine call
    assert files_seen[-1] == 2
    # The first article was on disk before the last batch was translated.
    assert files_seen.index(1) < len(files_seen) - 1


def test_auto_says_on_stderr_why_it_chose_the_cpu_when_a_gpu_is_present(monkeypatch, capsys):
    """The message path only: no GPU here, so the kernel's view of one is simulated."""
    import ctranslate2

    from bitext import engine

    if ctranslate2.get_cuda_device_count() > 0 and engine.load_cublas() is not None:
        pytest.skip("CTranslate2 can use the GPU here")
    monkeypatch.setattr(engine, "gpu_present", lambda: True)
    assert resolve_device("auto") == "cpu"
    note = capsys.readouterr().err
    assert note.startswith("note: translating on the CPU although a GPU is present: ")
    monkeypatch.setattr(engine, "gpu_present", lambda: False)
    assert resolve_device("auto") == "cpu"
    assert capsys.readouterr().err == ""
