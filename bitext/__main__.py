"""`python -m bitext` runs the command line."""

from bitext.interrupts import exit_on_signals

exit_on_signals()  # Ctrl+C while the rest is imported: exit 130, not a traceback

from bitext.cli import app  # noqa: E402

app(prog_name="bitext")
