"""Spanish and Lithuanian are complete, and the compiled catalogues match their sources."""

import ast
import gettext
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def catalogue(language: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for each entry of the language's django.po, the header left out."""
    entries: list[tuple[str, str, bool]] = []
    msgid = msgstr = ""
    fuzzy = False
    field = ""
    lines = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text().splitlines()
    for line in [*lines, ""]:
        if line.startswith("#,"):
            fuzzy = "fuzzy" in line
        elif line.startswith(("msgid ", "msgstr ")):
            field, text = line.split(" ", 1)
            if field == "msgid":
                msgid = ast.literal_eval(text)
            else:
                msgstr = ast.literal_eval(text)
        elif line.startswith('"'):
            if field == "msgid":
                msgid += ast.literal_eval(line)
            else:
                msgstr += ast.literal_eval(line)
        elif not line.strip() and field == "msgstr":
            if msgid:
                entries.append((msgid, msgstr, fuzzy))
            msgid = msgstr = field = ""
            fuzzy = False
    return entries


@pytest.mark.parametrize("language", ["es", "lt"])
def test_every_string_is_translated(language: str) -> None:
    entries = catalogue(language)

    assert len(entries) > 100
    assert [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy] == []


@pytest.mark.parametrize("language", ["es", "lt"])
def test_compiled_catalogue_matches_its_source(language: str) -> None:
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)

    assert [msgid for msgid, msgstr, _ in catalogue(language) if translations.gettext(msgid) != msgstr] == []
