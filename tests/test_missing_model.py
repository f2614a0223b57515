"""A model missing for one detected language fails only those documents."""

from __future__ import annotations

import shutil

import pytest

from bitext.pipeline import RequestError, TranslateOptions, translate_paths

from .conftest import SEEDS_DIR
from .exported import exported

DANISH = (
    "Regeringen har besluttet at hæve skatten på benzin fra næste år. "
    "Det sker efter en lang forhandling, hvor partierne ikke kunne blive enige om, "
    "hvordan pengene skulle bruges. Mange bilister er utilfredse med beslutningen, "
    "og de siger, at det bliver dyrere at køre til arbejde hver dag.\n"
)


def test_danish_article_fails_alone_when_no_da_en_model(tmp_path, installed_models):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS_DIR / "000_971f0af4c1b6c782.txt", folder)
    (folder / "dansk.txt").write_text(DANISH, encoding="utf-8")
    out = tmp_path / "out"
    summary = translate_paths(
        [folder],
        TranslateOptions(
            output_dir=out, models_dir=installed_models, threads=1, formats=["tsv"], cache=False
        ),
    )
    by_doc = {r.document: r for r in summary.results}
    assert by_doc["000_971f0af4c1b6c782"].status == "done"
    assert by_doc["dansk"].status == "failed"
    assert by_doc["dansk"].language == "da"
    assert by_doc["dansk"].reason == (
        "no model for Danish (da) -> English (en) is installed; "
        "see bitext models available --from da"
    )
    assert sorted(p.name for p in exported(out)) == ["000_971f0af4c1b6c782.tsv"]


def test_only_documents_without_a_model_is_a_request_error(tmp_path, installed_models):
    (tmp_path / "dansk.txt").write_text(DANISH, encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(RequestError, match=r"no model for Danish \(da\) -> English \(en\)"):
        translate_paths(
            [tmp_path / "dansk.txt"],
            TranslateOptions(output_dir=out, models_dir=installed_models, threads=1, cache=False),
        )
    assert not out.exists() or not any(out.iterdir())
