"""A date of birth as Bolivians write it: "12/03/1985", "12-03-85", "12.03.1985", "12 de marzo de 1985".

A small strict parser rather than dateparser: the answer is compared with the one on file, so it
must be read one way only. Day first always; a two-digit year is the latest that is not in the
future ("85" → 1985, "05" → 2005); impossible dates ("31/02/1990"), future dates and years before
1900 are not dates of birth. A message with two different dates is not an answer either.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_MONTHS = {
    "enero": 1, "ene": 1,
    "febrero": 2, "feb": 2,
    "marzo": 3, "mar": 3,
    "abril": 4, "abr": 4,
    "mayo": 5, "may": 5,
    "junio": 6, "jun": 6,
    "julio": 7, "jul": 7,
    "agosto": 8, "ago": 8,
    "septiembre": 9, "setiembre": 9, "sept": 9, "sep": 9, "set": 9,
    "octubre": 10, "oct": 10,
    "noviembre": 11, "nov": 11,
    "diciembre": 12, "dic": 12,
}  # fmt: skip
_DAY = r"(\d{1,2})(?:ro|er|o|º|°)?"
_YEAR = r"(\d{4}|\d{2})"
# One separator, the same twice: "12/03/1985", "12-03-85", "12.03.1985", "12 / 03 / 1985".
_NUMERIC = re.compile(rf"(?<![\d/.-]){_DAY}\s*([/.-])\s*(\d{{1,2}})\s*\2\s*{_YEAR}(?![\d/.-])", re.IGNORECASE)
_WORDS = re.compile(rf"(?<!\d){_DAY}\s*(?:de\s+)?([a-z]+)\.?\s*(?:de(?:l)?\s+)?,?\s*{_YEAR}(?!\d)", re.IGNORECASE)
_YEAR_FIRST = re.compile(r"(?<![\d/.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d/.-])")
_FIRST_YEAR = 1900


def parse_birth_date(text: str, *, today: date) -> date | None:
    """The one date of birth written in `text`, or None when there is none, or more than one."""
    plain = _plain(text)
    found: set[date] = set()
    for match in _NUMERIC.finditer(plain):
        found |= _valid(int(match[1]), int(match[3]), match[4], today)
    for match in _WORDS.finditer(plain):
        month = _MONTHS.get(match[2])
        if month is not None:
            found |= _valid(int(match[1]), month, match[3], today)
    for match in _YEAR_FIRST.finditer(plain):
        found |= _valid(int(match[3]), int(match[2]), match[1], today)
    return found.pop() if len(found) == 1 else None


def redact_dates(text: str, token: str) -> str:
    """`text` with everything written like a date (valid or not) replaced by `token`."""
    for pattern in (_YEAR_FIRST, _NUMERIC, _WORDS):
        text = pattern.sub(token, text)
    return text


def _plain(text: str) -> str:
    """Lower case without accents ("Març" → "marc"), the ordinal signs kept."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _valid(day: int, month: int, year_text: str, today: date) -> set[date]:
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if 2000 + year <= today.year else 1900
    if len(year_text) == 2 and (year, month, day) > (today.year, today.month, today.day):
        year -= 100
    try:
        born = date(year, month, day)
    except ValueError:
        return set()
    return {born} if date(_FIRST_YEAR, 1, 1) <= born <= today else set()
