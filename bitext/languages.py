"""Language codes: which ones exist, their names, and the one line for a missing model.

`--from xx` used to be reported as a missing `xx -> en` model with install
commands for a file that cannot exist; a Danish article got ten lines naming
a guessed file and the nb->en test model. Here a code is checked against the
ISO 639 codes Babel knows (Babel comes with trafilatura; a short table of
the languages langdetect tells apart stands in without it), so an unknown
code is refused at once (exit 2) and a known language without a model is
named in one line with the command that lists its models.
"""

from __future__ import annotations

import functools

#: Codes that mean "detect it" rather than a language.
AUTO = "auto"
#: The languages langdetect tells apart (the fallback when Babel is missing).
_DETECTABLE = (
    "af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv "
    "mk ml mr nb ne nl nn no pa pl pt ro ru sk sl so sq sv sw ta te th tl tr uk ur vi zh"
).split()


class UnknownLanguage(ValueError):
    """A code that names no language: "unknown language code 'xx'"."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown language code {code!r}")
        self.code = code


@functools.cache
def _names() -> dict[str, str]:
    try:
        from babel import Locale
    except ImportError:
        return {code: code for code in _DETECTABLE}
    names = {code: name for code, name in Locale("en").languages.items() if "_" not in code}
    names.pop("und", None)  # "Unknown language" is no language
    return names


def primary(code: str) -> str:
    """`nb-NO` -> `nb`, `EN_us` -> `en`, `zh-cn` -> `zh`."""
    return code.strip().replace("_", "-").split("-")[0].lower()


def is_known(code: str) -> bool:
    """Whether `code` (its primary subtag) is a language code."""
    part = primary(code)
    if not (2 <= len(part) <= 3 and part.isalpha()):
        return False
    # The common codes without loading Babel's names (a twentieth of a second).
    return part in _DETECTABLE or part in _names()


def check_code(code: str, *, auto: bool = False) -> str:
    """`code` as given when it names a language (or is `auto` where allowed);
    else UnknownLanguage."""
    if auto and code == AUTO:
        return code
    if not is_known(code):
        raise UnknownLanguage(code)
    return code


def language_name(code: str) -> str:
    """The English name of a language code (`da` -> `Danish`), or the code itself."""
    return _names().get(primary(code), code)


def no_model_line(source: str, target: str) -> str:
    """One line for a document whose language has no installed model."""
    return (
        f"no model for {language_name(source)} ({source}) -> {language_name(target)} "
        f"({target}) is installed; see bitext models available --from {source}"
    )
