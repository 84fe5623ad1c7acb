"""A Bolivian identity card (carnet, CI) number as patients type it, in the one form the clinic stores.

"6.234.871 lp", "6 234 871 LP", "CI 6234871-1A LPZ", "mi carnet es 6234871 expedido en Santa Cruz" → "6234871 LP",
"6234871-1A LP", "6234871 SC": the digits, the duplicate's complement after a hyphen, and the department it was
issued in by SEGIP's two letters.
"""

from __future__ import annotations

import re

from gateway.understanding.normalize import fold

# Each department's two letters, and how patients also write it (with dots and spaces removed).
DEPARTMENTS: dict[str, str] = {
    **dict.fromkeys(("lp", "lpz", "lapaz"), "LP"),
    **dict.fromkeys(("cb", "cba", "cbb", "cbba", "cochabamba"), "CB"),
    **dict.fromkeys(("sc", "scz", "stacruz", "santacruz"), "SC"),
    **dict.fromkeys(("or", "oru", "oruro"), "OR"),
    **dict.fromkeys(("pt", "pts", "pot", "potosi"), "PT"),
    **dict.fromkeys(("ch", "chq", "chu", "chuq", "chuquisaca", "sucre"), "CH"),
    **dict.fromkeys(("tj", "tja", "tarija"), "TJ"),
    **dict.fromkeys(("be", "bn", "ben", "beni"), "BE"),
    **dict.fromkeys(("pd", "pa", "pnd", "pando"), "PD"),
}
_LABEL = re.compile(
    r"^(?:(?:mi|el|su|nro|numero|n[o°º]|de|del|es|:|#|\.)\s*"
    r"|(?:carnet|carne|cedula|identidad|documento|ci|c\.\s*i\.?)(?![a-z])\s*)+"
)
_NUMBER = r"(?P<number>\d{1,3}(?:[ .,]\d{3})+|\d{5,10})"
# A duplicate's complement: a digit, then a letter or digit ("-1A"), after a hyphen or a space.
_COMPLEMENT = r"(?:\s*-\s*|\s+)(?P<complement>\d[a-z0-9]?)(?![a-z0-9])"
_ISSUED = r"(?:(?:exp(?:edido)?|ext|emitido)\.?(?:\s+(?:en|de))?\s*)?"
_DEPARTMENT = r"(?P<department>[a-z][a-z. ]{0,14})"
_DOCUMENT = re.compile(rf"{_NUMBER}(?:{_COMPLEMENT})?(?:\s*-?\s*{_ISSUED}{_DEPARTMENT})?")
_MIN_DIGITS, _MAX_DIGITS = 5, 10


def parse_document(text: str) -> str | None:
    """The carnet number in `text` as stored ("6234871-1A LP"), or None when `text` is not one."""
    folded = _LABEL.sub("", fold(text).strip()).rstrip(" .")
    found = _DOCUMENT.fullmatch(folded)
    if found is None:
        return None
    digits = re.sub(r"\D", "", found["number"])
    if not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
        return None
    stored = digits
    if found["complement"]:
        stored += f"-{found['complement'].upper()}"
    if found["department"]:
        department = DEPARTMENTS.get(re.sub(r"[ .]", "", found["department"]))
        if department is None:
            return None
        stored += f" {department}"
    return stored
