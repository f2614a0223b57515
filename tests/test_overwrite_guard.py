"""No export may replace an input: `runs.claim_outputs` and a whole run (issue 29)."""

from __future__ import annotations

import pytest

from bitext.pipeline import TranslateOptions, translate_paths
from bitext.runs import ALREADY_EXPORTED, OVERWRITES_INPUT, claim_outputs

from .conftest import SEEDS_DIR


@pytest.mark.parametrize("overwrite", [False, True])
def test_an_output_that_is_an_input_fails_the_file_even_with_overwrite(tmp_path, overwrite):
    article = tmp_path / "notat.docx"
    article.write_bytes(b"the input")
    outputs = [tmp_path / "notat.tsv", tmp_path / "sub" / ".." / "notat.docx"]
    assert claim_outputs(outputs, {article.resolve()}, overwrite) == ("failed", OVERWRITES_INPUT)
    assert article.read_bytes() == b"the input"


def test_outputs_that_all_exist_are_skipped_unless_overwrite(tmp_path):
    outputs = [tmp_path / "a.tsv", tmp_path / "a.docx"]
    assert claim_outputs(outputs, set(), False) is None
    outputs[0].write_text("x")
    assert claim_outputs(outputs, set(), False) is None  # one missing: redo the file
    outputs[1].write_text("x")
    assert claim_outputs(outputs, set(), False) == ("skipped", ALREADY_EXPORTED)
    assert claim_outputs(outputs, set(), True) is None


def test_a_run_into_its_input_folder_leaves_the_input_whole(tmp_path, installed_models):
    """`notat.docx` is an article; its DOCX export would have its name: the
    file fails with the reason, is left as it was, and the other is done."""
    from docx import Document

    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "artikkel.txt").write_bytes((SEEDS_DIR / "000_971f0af4c1b6c782.txt").read_bytes())
    note = Document()
    note.add_paragraph("Dette er en norsk artikkel om været i Oslo i dag, og om vinden.")
    note.save(str(folder / "notat.docx"))
    before = (folder / "notat.docx").read_bytes()
    options = TranslateOptions(
        output_dir=folder, formats=["docx", "tsv"], models_dir=installed_models, cache=False
    )
    summary = translate_paths([folder], options)
    by_name = {r.path.rsplit("/", 1)[-1]: r for r in summary.results}
    assert by_name["notat.docx"].status == "failed"
    assert by_name["notat.docx"].reason == OVERWRITES_INPUT
    assert by_name["artikkel.txt"].status == "done"
    assert (folder / "notat.docx").read_bytes() == before
    assert not (folder / "notat.tsv").exists()
