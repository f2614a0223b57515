"""The exporter registry's contract: every format is an `Exporter`, the ones
with a combined file a `CombinedExporter`, and an unknown name is one error,
`UnknownFormat`, wherever it is looked up (library and both commands)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from bitext.align.pipeline import AlignOptions, AlignRequestError, align_paths
from bitext.cli import app
from bitext.exporters import (
    CombinedExporter,
    Exporter,
    UnknownFormat,
    can_combine,
    check_formats,
    combined_exporter,
    formats,
    get_exporter,
    parse_formats,
)
from bitext.pipeline import RequestError, TranslateOptions, translate_paths

MESSAGE = f"unknown format 'pdf'; choose from {', '.join(formats())}"


@pytest.mark.parametrize("name", formats())
def test_every_format_keeps_the_contract(name):
    exporter = get_exporter(name)
    assert isinstance(exporter, Exporter)
    assert exporter.suffix.startswith(".") and len(exporter.suffix) > 1
    assert can_combine(name) == isinstance(exporter, CombinedExporter)
    assert combined_exporter(name) is (exporter if can_combine(name) else None)


def test_docx_has_no_combined_file_and_tsv_has():
    assert not can_combine("docx")
    assert can_combine("tsv")


@pytest.mark.parametrize("lookup", [get_exporter, can_combine, parse_formats])
def test_an_unknown_name_is_unknown_format_everywhere(lookup):
    with pytest.raises(UnknownFormat) as caught:
        lookup("pdf")
    assert str(caught.value) == MESSAGE
    assert caught.value.name == "pdf"
    assert isinstance(caught.value, ValueError)


def test_a_list_of_formats_is_checked_name_by_name():
    check_formats(formats())
    with pytest.raises(UnknownFormat, match=re.escape(MESSAGE)):
        check_formats(["tsv", "pdf", "docx"])


def test_the_pipelines_refuse_an_unknown_format_before_anything(tmp_path):
    """Both library entry points say so with their request error, the same words."""
    out = tmp_path / "out"
    with pytest.raises(RequestError, match=re.escape(MESSAGE)):
        translate_paths([tmp_path / "none"], TranslateOptions(output_dir=out, formats=["pdf"]))
    with pytest.raises(AlignRequestError, match=re.escape(MESSAGE)):
        align_paths(tmp_path / "none", None, AlignOptions(output_dir=out, formats=["pdf"]))
    assert not out.exists()


@pytest.mark.parametrize("command", [["translate", "{tmp}"], ["align", "{tmp}", "{tmp}"]])
def test_both_commands_exit_2_with_the_same_message(tmp_path, command):
    args = [a.format(tmp=tmp_path) for a in command]
    result = CliRunner().invoke(app, [*args, "--format", "tsv,pdf", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert f"error: {MESSAGE}" in result.output
