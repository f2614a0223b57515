"""bitext: offline Norwegian-to-English translation with aligned bilingual exports."""

__version__ = "0.1.0"
