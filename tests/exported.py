"""What a test compares in an output folder: the exports, without what says what the run was.

The run record (`bitext.record.RECORD_NAME`) holds run ids and dates, so two
runs that write byte-identical exports write different records; the run's
report (`bitext.report.REPORT_FILES`) says how far each run got. Neither is
an export. Tests of the report itself (tests/test_report.py) read it directly.
"""

from __future__ import annotations

from pathlib import Path

from bitext.record import RECORD_NAME
from bitext.report import REPORT_FILES

NOT_EXPORTS = frozenset({RECORD_NAME, *REPORT_FILES})


def exported(folder: Path) -> list[Path]:
    """The files and folders in `folder` but the run record and report, sorted."""
    return sorted(p for p in Path(folder).iterdir() if p.name not in NOT_EXPORTS)
