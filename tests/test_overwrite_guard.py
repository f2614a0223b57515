"""No export may replace an input: `runs.claim_outputs` and a whole run (issue 29)."""

from __future__ import annotations

import pytest

from bitext.pipeline import TranslateOptions, translate_paths
from bitext.runs import ALREADY_EXPORTED, OVERWRITES_INPUT, claim_outputs


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


def test_an_export_whose_path_leads_to_an_input_leaves_the_input_whole(
    tmp_path, installed_models
):
    """The -o folder holds a link named like `notat.docx`'s DOCX export that
    leads to the article itself: the file fails with the reason, the article
    is left as it was, and nothing else is written.

    (Exports into the article's own folder are refused before this guard: a
    folder given as both input and -o, or an article inside the output folder.)
    """
    from docx import Document

    folder, out = tmp_path / "articles", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    note = Document()
    note.add_paragraph("Dette er en norsk artikkel om været i Oslo i dag, og om vinden.")
    note.save(str(folder / "notat.docx"))
    (out / "notat.docx").symlink_to(folder / "notat.docx")
    before = (folder / "notat.docx").read_bytes()
    options = TranslateOptions(
        output_dir=out, formats=["docx", "tsv"], models_dir=installed_models, cache=False
    )
    summary = translate_paths([folder / "notat.docx"], options)
    (result,) = summary.results
    assert (result.status, result.reason) == ("failed", OVERWRITES_INPUT)
    assert (folder / "notat.docx").read_bytes() == before
    assert (out / "notat.docx").is_symlink()
    assert not (out / "notat.tsv").exists()
