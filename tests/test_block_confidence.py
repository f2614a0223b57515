"""`bitext detect --blocks`: each block's confidence is its own (issue 26).

Before, every block that followed its document got the document's
confidence, the one-line headline included. Now a block's confidence says
how strongly its own words name its language (docs/detection.md, "What a
block's confidence means"): a long Bokmål paragraph high, a one-word
headline that takes the document's language by the short-block rule low,
an English quote in a Bokmål article high for English.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bitext.detection import SHORT_BLOCK_WORDS, UNCERTAIN_BELOW

HEADLINE = "Flyktninger"
BOKMAL = (
    "Regjeringen la tirsdag fram en ny plan for hvordan kommunene skal ta imot flere "
    "flyktninger i år, og statsministeren sier at det er viktig at alle bidrar. Det er ikke "
    "lenge siden forrige plan ble lagt fram, men situasjonen har endret seg mye siden da."
)
ENGLISH = (
    '"We are doing everything we can to help the people who have lost their homes," '
    "the minister said in a statement on Tuesday."
)
MORE = (
    "Flere organisasjoner mener at planen kommer for sent, og at kommunene trenger mer "
    "penger for å klare oppgaven som venter dem i løpet av høsten."
)


def test_block_confidences_are_the_blocks_own(tmp_path):
    article = tmp_path / "artikkel.txt"
    article.write_text("\n\n".join([HEADLINE, BOKMAL, ENGLISH, MORE]) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "bitext", "detect", "--json", "--blocks", str(article)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["language"] == "nb"
    headline, bokmal, english, more = report["blocks"]
    assert [b["language"] for b in report["blocks"]] == ["nb", "nb", "en", "nb"]
    # A one-word headline follows the document (short-block rule, fewer than
    # SHORT_BLOCK_WORDS words) but its own word says little: low confidence.
    assert len(HEADLINE.split()) < SHORT_BLOCK_WORDS
    assert headline["confidence"] < UNCERTAIN_BELOW
    # A long Bokmål paragraph names its language by its own words.
    assert bokmal["confidence"] >= 0.7
    assert more["confidence"] >= 0.7
    # The English quote is English on its own, and surely so.
    assert english["confidence"] >= 0.9
    # Three different numbers, none of them the document's copied.
    confidences = [headline["confidence"], bokmal["confidence"], english["confidence"]]
    assert len(set(confidences)) == 3
    assert report["confidence"] not in confidences
