"""bitext: offline Norwegian-to-English translation with aligned bilingual exports."""

__version__ = "0.1.0"


def version_line() -> str:
    """`bitext X (CTranslate2 Y, Python Z)`: what a bug report needs, without importing
    CTranslate2 (its installed metadata is read instead)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    try:
        ct2 = version("ctranslate2")
    except PackageNotFoundError:
        ct2 = "not installed"
    return f"bitext {__version__} (CTranslate2 {ct2}, Python {platform.python_version()})"
