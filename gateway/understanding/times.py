"""Clock times ("a las 10 y media", "3pm", "15:00", "mediodía") and parts of the day ("por la tarde").

Rules for an hour written without am/pm, in a clinic's day:
- "de la mañana/tarde/noche", "am/pm", or a part of the day said elsewhere in the message decide;
- otherwise 1 to 6 are afternoon ("a las 3" → 15:00) and 7 to 12 are as written ("a las 10" → 10:00);
- 13 to 23 ("15:00", "a las 15") are already 24-hour.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

TimeOfDay = Literal["morning", "afternoon", "evening"]

_HOURS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "una": 1,
        "uno": 1,
        "dos": 2,
        "tres": 3,
        "cuatro": 4,
        "cinco": 5,
        "seis": 6,
        "siete": 7,
        "ocho": 8,
        "nueve": 9,
        "diez": 10,
        "once": 11,
        "doce": 12,
    }
)
_MINUTES: Final[Mapping[str, int]] = MappingProxyType(
    {
        "media": 30,
        "cuarto": 15,
        "cinco": 5,
        "diez": 10,
        "quince": 15,
        "veinte": 20,
        "veinticinco": 25,
        "treinta": 30,
        "cuarenta": 40,
        "cuarenta y cinco": 45,
    }
)
_PARTS: Final[Mapping[str, TimeOfDay]] = MappingProxyType(
    {
        "manana": "morning",
        "mananas": "morning",
        "temprano": "morning",
        "madrugada": "morning",
        "tarde": "afternoon",
        "tardes": "afternoon",
        "tardecita": "afternoon",
        "noche": "evening",
        "noches": "evening",
        "nochecita": "evening",
    }
)


def _words(options: Mapping[str, int], *, without: tuple[str, ...] = ()) -> str:
    return "|".join(sorted((word for word in options if word not in without), key=len, reverse=True))


_HOUR = rf"(?P<hour>\d{{1,2}}|{_words(_HOURS)})"
_HOUR_NOT_ONE = rf"(?P<hour>\d{{1,2}}|{_words(_HOURS, without=('una', 'uno'))})"  # "una de la tarde" may be "one slot"
_MINUTE = (
    rf"(?:\s*:\s*(?P<clock>\d{{2}})|\s+y\s+(?P<plus>{_words(_MINUTES)}|\d{{1,2}})"
    rf"|\s+menos\s+(?P<minus>{_words(_MINUTES)}|\d{{1,2}}))?"
)
_MARK = r"\s*(?P<ampm>[ap])\s?m\b|\s+(?:de|en|por)\s+la\s+(?P<part>manana|tarde|noche)\b"
_FORMS: Final = (
    # a las 10, a la una y media, las 3 de la tarde
    re.compile(rf"\b(?:a\s+la|las)\s+{_HOUR}{_MINUTE}(?:{_MARK}|\s+(?:horas|en\s+punto)\b)?"),
    # 9:30, 15:00 hrs
    re.compile(rf"\b(?P<hour>\d{{1,2}})\s*:\s*(?P<clock>\d{{2}})(?:{_MARK})?"),
    # 3pm, 4 de la tarde, diez y media de la mañana
    re.compile(rf"\b{_HOUR_NOT_ONE}{_MINUTE}(?:{_MARK})"),
    # 15 horas (not "en 2 horas", "durante 3 horas")
    re.compile(r"(?<!\ben )(?<!\bde )(?<!\bpor )(?<!durante )\b(?P<hour>\d{1,2})\s+horas\b"),
)
_NOON = re.compile(r"\b(?:medio\s*dia|mediodia)\b")
_MIDNIGHT = re.compile(r"\bmedia\s*noche\b")
_PART_OF_DAY = re.compile(
    r"\b(?:en|por|de|a|para|durante|toda)\s+la\s+(?P<a>manana|tarde|noche)\b"
    r"|\b(?:en|por)\s+las\s+(?P<b>mananas|tardes|noches)\b"
    r"|\besta\s+(?P<c>manana|tarde|noche)\b"
    r"|\b(?P<d>temprano|madrugada|tardecita|nochecita)\b"
)


@dataclass(frozen=True)
class FoundTime:
    start: int
    end: int
    value: dt.time
    # A morning hour read from a number alone, with no am/pm or part of the day ("a las 7"): where the clinic is
    # open in the evening and not at dawn, 19:00 is meant.
    bare: bool = False


def find_part_of_day(text: str) -> TimeOfDay | None:
    """The first part of the day mentioned: "por la tarde" → "afternoon"."""
    found = _PART_OF_DAY.search(text)
    if found is None:
        return None
    return _PARTS[found.group("a") or found.group("b") or found.group("c") or found.group("d")]


def _number(word: str, table: Mapping[str, int]) -> int:
    return int(word) if word.isdigit() else table[word]


def _to_24h(hour: int, *, ampm: str | None, part: str | None, day_part: TimeOfDay | None) -> int:
    if ampm == "p" or part in ("tarde", "noche"):
        return hour + 12 if hour < 12 else hour
    if ampm == "a":
        return 0 if hour == 12 else hour
    if part == "manana" or hour >= 12:
        return hour
    if day_part in ("afternoon", "evening"):
        return hour + 12
    if day_part == "morning":
        return hour
    return hour + 12 if 1 <= hour <= 6 else hour


def _resolve(found: re.Match[str], day_part: TimeOfDay | None) -> dt.time | None:
    groups = found.groupdict()
    hour = _number(found.group("hour"), _HOURS)
    minute = 0
    if groups.get("clock"):
        minute = int(groups["clock"])
    elif groups.get("plus"):
        minute = _number(groups["plus"], _MINUTES)
    if hour > 23 or minute > 59:
        return None
    hour = _to_24h(hour, ampm=groups.get("ampm"), part=groups.get("part"), day_part=day_part)
    if groups.get("minus"):
        minus = _number(groups["minus"], _MINUTES)
        if not 0 < minus < 60:
            return None
        hour, minute = (hour - 1) % 24, 60 - minus
    return dt.time(hour % 24, minute)


def find_times(text: str) -> list[FoundTime]:
    """Every clock time in a normalized message, in order, none overlapping another."""
    day_part = find_part_of_day(text)
    found: list[FoundTime] = []
    for form in _FORMS:
        for match in form.finditer(text):
            value = _resolve(match, day_part)
            if value is not None:
                groups = match.groupdict()
                bare = not (groups.get("ampm") or groups.get("part") or day_part) and value.hour < 12
                found.append(FoundTime(match.start(), match.end(), value, bare=bare))
    found += [FoundTime(m.start(), m.end(), dt.time(12, 0)) for m in _NOON.finditer(text)]
    found += [FoundTime(m.start(), m.end(), dt.time(0, 0)) for m in _MIDNIGHT.finditer(text)]
    kept: list[FoundTime] = []
    for candidate in sorted(found, key=lambda t: (t.start, -t.end)):
        # Kept times are in order and apart, so only the last one kept can overlap a later start.
        if not kept or candidate.start >= kept[-1].end:
            kept.append(candidate)
    return kept
