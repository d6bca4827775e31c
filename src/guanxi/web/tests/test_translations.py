"""Every string of the apps the web helper translates has a Chinese translation,
and the committed .mo holds exactly what the .po says."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest

import guanxi

ROOT = Path(guanxi.__file__).parent
# Every app with a catalogue (a new app's catalogue is checked without a change here).
APPS = tuple(sorted(p.parent.name for p in ROOT.glob("*/locale")))


def _entries(po: Path) -> list[tuple[str | None, str, str]]:
    """(context, msgid, msgstr) of every live entry after the header."""
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" ")
            if head in {"msgctxt", "msgid", "msgid_plural", "msgstr", "msgstr[0]"}:
                key = head
                fields[key] = ast.literal_eval(rest)
            elif key is not None and line.startswith('"'):
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
            entries.append((fields.get("msgctxt"), fields["msgid"], msgstr))
    return entries


@pytest.mark.parametrize("app", APPS)
def test_every_string_is_translated_and_compiled(app: str) -> None:
    folder = ROOT / app / "locale" / "zh_Hans" / "LC_MESSAGES"
    text = (folder / "django.po").read_text(encoding="utf-8")
    # Left by a merge: git's markers, or msgcat's for two different translations.
    markers = [
        line
        for line in text.splitlines()
        if line.startswith(("<<<<<<<", "=======", ">>>>>>>", "#-#-#-#-#"))
    ]
    assert markers == [], f"{app}: an unresolved merge in django.po"
    entries = _entries(folder / "django.po")
    assert entries, f"{app}: no strings"
    untranslated = [msgid for _, msgid, msgstr in entries if not msgstr]
    assert untranslated == []
    assert "#, fuzzy" not in (folder / "django.po").read_text(encoding="utf-8")
    with (folder / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = [
        msgid
        for context, msgid, msgstr in entries
        if (compiled.pgettext(context, msgid) if context else compiled.gettext(msgid))
        != msgstr
    ]
    assert stale == [], f"{app}: run compilemessages"
