"""What a test compares in an output folder: the exports, without bitext's run record.

The run record (`bitext.record.RECORD_NAME`) holds run ids and dates, so two
runs that write byte-identical exports write different records.
"""

from __future__ import annotations

from pathlib import Path

from bitext.record import RECORD_NAME


def exported(folder: Path) -> list[Path]:
    """The files and folders in `folder` but the run record, sorted."""
    return sorted(p for p in Path(folder).iterdir() if p.name != RECORD_NAME)
