"""`python -m bitext` runs the command line."""

from bitext.cli import app

app(prog_name="bitext")
