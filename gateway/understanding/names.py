"""A patient's full name as typed when registration asks for it: "me llamo Rosa Mamani." → "Rosa Mamani"."""

from __future__ import annotations

import re

# What patients write before the name itself ("Hola, mi nombre completo es …", "soy …", "nombre: …").
_LEAD_IN = re.compile(
    r"^(?:(?:hola|buenas|buenos d[ií]as|buenas tardes|buenas noches)\s*[,.!]*\s*)?"
    r"(?:(?:mi|su)\s+nombre(?:\s+completo)?\s+es|me\s+llamo|soy|yo\s+soy|nombre(?:\s+completo)?\s*:)\s+",
    re.IGNORECASE,
)
# Two words or more, each of letters, joined by a space, an apostrophe, a dot or a hyphen ("María José Pérez-Quispe").
_NAME = re.compile(r"^[^\W\d_]+(?:[ '.-][^\W\d_]+)+$")
MAX_NAME_CHARS = 80


def parse_full_name(text: str) -> str | None:
    """The name and at least one surname in `text`, spaced once and title-cased; None when `text` is not one."""
    name = " ".join(_LEAD_IN.sub("", text.strip()).split()).rstrip(".!,;")
    if not (_NAME.match(name) and len(name) <= MAX_NAME_CHARS):
        return None
    return name.title()
