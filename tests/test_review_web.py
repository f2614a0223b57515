"""`bitext review` in a real headless Chromium, over a real server on 127.0.0.1.

The run is the seed articles translated with the test model (a real Argos
package, real CTranslate2) into DOCX, TSV, XLIFF and JSONL, with a private
translation memory. The browser drives the pages as a reviewer does: the
keyboard, the filter, Ctrl+Enter; the files and the memory are then checked
with the programs that read them. Screenshots land in the test's temporary
folder, and in `$BITEXT_SCREENSHOTS` when set (the docs' images come from
there: `BITEXT_SCREENSHOTS=docs pytest tests/test_review_web.py`).
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree

from bitext.exporters.docx import REVIEWED_MARK
from bitext.exporters.tsv import quote, read_rows
from bitext.memory import TranslationMemory
from bitext.pipeline import TranslateOptions, translate_paths
from bitext.revision import ReviewFolder
from bitext.web.app import SESSION_COOKIE, Settings, create_app
from bitext.web.review import ReviewPart
from bitext.web.server import running

from .conftest import SEEDS_DIR

FORMATS = ["docx", "tsv", "xliff", "jsonl"]
DEADLINE_MS = 20_000


@pytest.fixture(scope="module")
def review_run(tmp_path_factory, installed_models):
    """The seeds translated into a folder of their own, with their own memory."""
    base = tmp_path_factory.mktemp("review")
    options = TranslateOptions(
        output_dir=base / "exports",
        formats=FORMATS,
        models_dir=installed_models,
        cache_path=base / "memory.sqlite3",
    )
    summary = translate_paths([SEEDS_DIR], options)
    assert summary.count("done") == 2
    return base


def _options(base: Path, installed_models: Path) -> TranslateOptions:
    return TranslateOptions(models_dir=installed_models, cache_path=base / "memory.sqlite3")


@pytest.fixture(scope="module")
def server(review_run, installed_models):
    folder = ReviewFolder(review_run / "exports", _options(review_run, installed_models))
    settings = Settings()
    with running(create_app(settings, [ReviewPart(folder, settings)])) as url:
        yield url, settings


@pytest.fixture()
def page(browser, server):
    url, settings = server
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(DEADLINE_MS)
    tab.goto(f"{url}/?token={settings.token}")
    try:
        yield tab
    finally:
        context.close()


def _screenshot(page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    folder = os.environ.get("BITEXT_SCREENSHOTS")
    if folder:
        shutil.copyfile(shot, Path(folder) / name)


def _reviewed(base: Path, sources: list[str]) -> dict[str, str]:
    with TranslationMemory(base / "memory.sqlite3") as memory:
        return memory.get_reviewed("nb", "en", sources)


def _tsv_row(path: Path, unit: str) -> dict[str, str]:
    document, place = unit.split(":")
    block, sentence = place.split(".")
    rows = read_rows(path.read_bytes())
    return next(r for r in rows if (r["block"], r["sentence"]) == (block, sentence))


def _edit_with_keyboard(page, text: str) -> None:
    """`e` opens the current row's editor; its text replaced; Ctrl+Enter saves."""
    page.keyboard.press("e")
    page.keyboard.press("Control+a")
    page.keyboard.type(text)
    page.keyboard.press("Control+Enter")


def test_the_overview_lists_every_document(page, review_run, tmp_path):
    page.wait_for_selector("table.documents")
    for name in ("000_971f0af4c1b6c782", "002_a3320b0741197cf2"):
        link = page.get_by_role("link", name=name)
        assert link.count() == 1 and link.get_attribute("href") == f"/doc/{name}"
    assert page.locator("figure.chart svg").count() == 3
    assert "translate-nb_en" in page.locator("dl.facts").inner_text()
    _screenshot(page, tmp_path, "review-overview.png")
    page.get_by_role("link", name="002_a3320b0741197cf2").click()
    page.wait_for_selector("[data-unit]")
    assert page.locator("h1").inner_text() == "002_a3320b0741197cf2"


def test_the_flagged_filter_shows_only_flagged_rows(page):
    page.goto(page.url.rstrip("/") + "/doc/000_971f0af4c1b6c782")
    rows = page.locator(".row[data-unit]")
    total = rows.count()
    assert total == 29
    page.get_by_label("Filter rows").select_option("flagged")
    visible = page.locator(".row[data-unit]:not([hidden])")
    shown = visible.count()
    flagged = page.locator('.row[data-unit]:not([data-flags=""])').count()
    assert 0 < shown == flagged < total
    assert all(visible.nth(i).get_attribute("data-flags") for i in range(shown))
    page.get_by_label("Filter rows").select_option("all")
    assert page.locator(".row[data-unit]:not([hidden])").count() == total


def test_keys_follow_the_filter_and_question_mark_shows_the_key_map(page):
    page.goto(page.url.rstrip("/") + "/doc/000_971f0af4c1b6c782")
    page.wait_for_selector(".row.current")
    page.keyboard.press("?")
    assert page.locator("dialog#keymap[open]").count() == 1
    assert "Ctrl" in page.locator("dialog#keymap").inner_text()
    page.keyboard.press("Escape")
    assert page.locator("dialog#keymap[open]").count() == 0

    def current() -> tuple[str, str]:
        return page.evaluate(
            "(() => { const r = document.querySelector('.row.current');"
            " return [r.dataset.unit, r.dataset.flags]; })()"
        )

    clean = page.locator('.row[data-unit][data-flags=""]').first
    clean.focus()
    unflagged = clean.get_attribute("data-unit")
    page.keyboard.press("n")  # the next flagged row, after this one
    unit, flags = current()
    assert flags and unit != unflagged
    order = page.eval_on_selector_all(".row[data-unit]", "rows => rows.map(r => r.dataset.unit)")
    assert order.index(unit) > order.index(unflagged)
    page.keyboard.press("k")
    page.keyboard.press("k")  # back past the unflagged row
    page.get_by_label("Filter rows").select_option("flagged")
    page.locator(".row[data-unit]:not([hidden])").first.focus()
    for _ in range(order.index(unflagged) + 2):  # j steps over the rows the filter hides
        page.keyboard.press("j")
        assert current()[1]


def test_the_search_box_covers_the_whole_run(page):
    page.wait_for_selector("table.documents")
    page.keyboard.press("/")
    page.keyboard.type("Putin")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=Putin")
    hits = page.locator("ol.hits li")
    assert hits.count() > 1
    for i in range(hits.count()):
        assert "Putin" in hits.nth(i).inner_text()
    links = [hits.nth(i).locator("a").get_attribute("href") for i in range(hits.count())]
    assert {link.split("#")[0] for link in links} == {
        "/doc/000_971f0af4c1b6c782",
        "/doc/002_a3320b0741197cf2",
    }
    hits.first.locator("a").click()
    page.wait_for_selector(".row.current")
    unit = links[0].split("#u-")[1]
    assert page.evaluate("document.querySelector('.row.current').dataset.unit") == unit


def test_every_control_has_an_accessible_name(page):
    nameless = """() => Array.from(document.querySelectorAll(
        'textarea, select, input, button, a[href]')).filter(e => !(
        e.getAttribute('aria-label') || (e.labels && e.labels.length) || e.textContent.trim()
    )).map(e => e.outerHTML)"""
    assert page.evaluate(nameless) == []
    page.goto(page.url.rstrip("/") + "/doc/000_971f0af4c1b6c782")
    assert page.evaluate(nameless) == []
    assert page.get_by_role("textbox", name="Target of sentence 2.1").count() == 1
    assert page.get_by_role("combobox", name="Filter rows").count() == 1
    assert page.get_by_role("searchbox", name="Search the whole run").count() == 1
    assert page.get_by_role("button", name="Keyboard shortcuts (?)").count() == 1


def test_a_target_edited_with_the_keyboard_is_reviewed_everywhere(page, review_run, tmp_path):
    name = "002_a3320b0741197cf2"
    page.goto(page.url.rstrip("/") + f"/doc/{name}")
    page.wait_for_selector(".row.current")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")
    unit = page.evaluate("document.querySelector('.row.current').dataset.unit")
    row = page.locator(f'[data-unit="{unit}"]')
    assert row.get_attribute("data-origin") == "model"
    source = row.locator(".source").inner_text()
    edited = "Putin called Xi a close friend, and said the ties are stronger than ever."
    _edit_with_keyboard(page, edited)
    page.wait_for_selector(f'[data-unit="{unit}"][data-origin="reviewed"]')
    assert row.locator(".diff .d-ins").count() > 0  # the machine output beside the edit
    _screenshot(page, tmp_path, "review-document.png")

    exports = review_run / "exports"
    assert _reviewed(review_run, [source]) == {source: edited}
    tsv = _tsv_row(exports / f"{name}.tsv", unit)
    assert (tsv["target"], tsv["origin"]) == (edited, "reviewed")
    xliff = etree.parse(str(exports / f"{name}.xlf"))
    targets = xliff.xpath(
        "//*[local-name()='trans-unit'][@id=$id]/*[local-name()='target']", id=unit
    )
    assert [t.text for t in targets] == [edited]
    from docx import Document

    block = unit.split(":")[1].split(".")[0]
    table = Document(str(exports / f"{name}.docx")).tables[0]
    cells = next(
        r.cells for r in table.rows[1:] if r.cells[0].text.strip(" " + REVIEWED_MARK) == block
    )
    assert REVIEWED_MARK in cells[0].text and edited in cells[2].text
    jsonl = [json.loads(line) for line in (exports / f"{name}.jsonl").read_text().splitlines()]
    assert next(r for r in jsonl if r["id"] == unit)["origin"] == "reviewed"
    page.reload()  # the page is drawn again from the memory: the edit is there
    assert page.locator(f'[data-unit="{unit}"] textarea').input_value() == edited


def test_a_file_edit_then_a_page_edit_of_the_same_row_loses_neither(page, review_run):
    name = "000_971f0af4c1b6c782"
    tsv = review_run / "exports" / f"{name}.tsv"
    units = [f"{name}:4.1", f"{name}:5.1"]  # the same row in both, and one in the file only
    header = tsv.read_text(encoding="utf-8").split("\n", 1)[0].split("\t")
    rows = read_rows(tsv.read_bytes())
    edits = {units[0]: "Edited in the file, first.", units[1]: "Edited in the file only."}
    sources = {}
    for row in rows:
        unit = f"{name}:{row['block']}.{row['sentence']}"
        if unit in edits:
            row["target"] = edits[unit]
            sources[unit] = row["source"]
    lines = ["\t".join(quote(r[c]) for c in header) for r in rows]
    tsv.write_text("\t".join(header) + "\n" + "\n".join(lines) + "\n", encoding="utf-8")

    page.goto(page.url.rstrip("/") + f"/doc/{name}")
    page.locator(f'[data-unit="{units[0]}"] textarea').focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("Edited in the page, later.")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(f'[data-unit="{units[0]}"][data-origin="reviewed"]')

    memory = _reviewed(review_run, list(sources.values()))
    assert memory == {
        sources[units[0]]: "Edited in the page, later.",  # the later edit wins
        sources[units[1]]: "Edited in the file only.",  # the file's edit is not lost
    }
    assert _tsv_row(tsv, units[0])["target"] == "Edited in the page, later."
    assert _tsv_row(tsv, units[1])["target"] == "Edited in the file only."
    assert {_tsv_row(tsv, u)["origin"] for u in units} == {"reviewed"}
    # The file as the reviewer left it is kept aside (translate's own rule): the
    # earlier edit of the same row is still there to read.
    kept = list(tsv.parent.glob(f"{name}.edited-*.tsv"))
    assert len(kept) == 1 and "Edited in the file, first." in kept[0].read_text("utf-8")
    page.reload()
    assert page.locator(f'[data-unit="{units[1]}"]').get_attribute("data-origin") == "reviewed"


def test_the_report_opens_from_disk_without_a_single_request(browser, review_run, tmp_path):
    report = review_run / "exports" / "report.html"
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    requests: list[str] = []
    try:
        tab = context.new_page()
        tab.on("request", lambda request: requests.append(request.url))
        tab.goto(report.as_uri())
        tab.wait_for_load_state("load")
        assert tab.locator("table.documents tbody tr").count() == 2
        assert tab.locator("figure.chart svg").count() == 3
        _screenshot(tab, tmp_path, "report.png")
    finally:
        context.close()
    # The page itself is the only thing loaded: no style, script, font or image.
    assert requests == [report.as_uri()]


def _request(port: int, method: str, path: str, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_review_server_refuses_what_it_must(server, review_run):
    url, settings = server
    port = urlsplit(url).port
    name = "002_a3320b0741197cf2"
    session = {"Cookie": f"{SESSION_COOKIE}={settings.session_value}"}
    csrf = {"X-CSRF-Token": settings.csrf_token, "Content-Type": "application/json"}
    body = json.dumps({"unit": f"{name}:5.1", "target": "Sneaked in."}).encode()
    save = f"/doc/{name}/save"
    assert _request(port, "GET", "/")[0] in (401, 403)
    assert _request(port, "GET", "/?token=wrong")[0] in (401, 403)
    assert _request(port, "GET", f"/doc/{name}", {**session, "Host": "evil.example"})[0] == 400
    assert _request(port, "POST", save, {**session, "Host": "evil.example", **csrf}, body)[0] == 400
    assert (
        _request(port, "POST", save, {**session, "Content-Type": "application/json"}, body)[0]
        == 403
    )
    foreign = {**session, **csrf, "Origin": "http://evil.example"}
    assert _request(port, "POST", save, foreign, body)[0] == 403
    assert _request(port, "POST", save, csrf, body)[0] == 403  # no session
    assert _request(port, "GET", f"/doc/{name}", session)[0] == 200
    assert "Sneaked in." not in (review_run / "exports" / f"{name}.tsv").read_text()
    status, answer = _request(
        port, "POST", save, {**session, **csrf, "Origin": url}, b'{"unit": "x:1.1", "target": "t"}'
    )
    assert status == 400 and "no row" in json.loads(answer)["error"]


def _first_line(stream, deadline_s: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    return lines.get(timeout=deadline_s)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_bitext_review_stops_cleanly_on_ctrl_c(review_run, installed_models, signum):
    env = {**os.environ, "BITEXT_CACHE_DIR": str(review_run), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bitext", "review", str(review_run / "exports"), "--no-browser",
         "--models-dir", str(installed_models)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        line = _first_line(process.stdout, 60)
        assert line.startswith("Review at http://127.0.0.1:"), line
        address = urlsplit(line.split()[-1])
        status, _ = _request(address.port, "GET", f"/?{address.query}")
        assert status == 303
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
