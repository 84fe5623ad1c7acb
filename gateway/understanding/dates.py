"""Calendar dates in a message, resolved against the clinic's today.

- Absolute dates ("15 de diciembre", "3/12", "diciembre 15 del 2027") are found here and read
  directly; without a year they are the next such day, today included. Odd ones (a two-digit
  year, "31/13") are left to `dateparser`, at most `MAX_SLOW_PARSES` per message.
- "hoy", "mañana", "pasado mañana", "en 3 días" count from today. "mañana" after "la"
  ("por la mañana", "de la mañana") is the morning, not tomorrow.
- A weekday ("el lunes", "este viernes", "el próximo martes") is the next one after today,
  never today (today is "hoy") — on a Monday, "el lunes" is in seven days. With "de la
  próxima semana" / "la semana que viene" anywhere in the message it is that day of next
  calendar week (Monday to Sunday). "los lunes" (every Monday) is no date.
- A weekday with a day number ("el jueves 10") is the next date that is both; a bare
  "el 15" is the next 15th, today included.
- "la próxima semana" alone names no single day, so no date (`next_week` gives the week).
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Final

import dateparser  # type: ignore[import-untyped]
from rapidfuzz.distance import OSA

from gateway.understanding.vocabulary import word_list

WEEKDAYS: Final = ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo")
_MONTHS: Final = word_list(
    "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre"
)
_MONTH_ABBREVIATIONS: Final = word_list("ene feb mar abr may jun jul ago sept sep set oct nov dic")
_MONTH_NUMBERS: Final[Mapping[str, int]] = MappingProxyType(
    {
        written: number
        for number, spellings in enumerate(
            (
                "enero ene",
                "febrero feb",
                "marzo mar",
                "abril abr",
                "mayo may",
                "junio jun",
                "julio jul",
                "agosto ago",
                "septiembre setiembre sept sep set",
                "octubre oct",
                "noviembre nov",
                "diciembre dic",
            ),
            start=1,
        )
        for written in spellings.split()
    }
)
# Dates written oddly are parsed by dateparser, which takes about a millisecond each: this many per message.
MAX_SLOW_PARSES = 2
# Four-digit years read directly; others go to dateparser.
_PLAIN_YEARS = (1900, 2100)
_DAY_NAMES: Final = word_list(
    "primero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince dieciseis"
    " diecisiete dieciocho diecinueve veinte veintiuno veintidos veintitres veinticuatro veinticinco veintiseis"
    " veintisiete veintiocho veintinueve treinta"
)
_DAY_WORDS: Final[Mapping[str, int]] = MappingProxyType(
    {"primero": 1, **{word: number for number, word in enumerate(_DAY_NAMES[1:], start=1)}, "treinta y uno": 31}
)
_NUMBER_WORDS: Final[Mapping[str, int]] = MappingProxyType(
    {"un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "diez": 10, "quince": 15}
)
# Words worth correcting when misspelled ("mierkoles", "dicienbre", "mañna"), but never these.
_CALENDAR_WORDS: Final = (*WEEKDAYS, *_MONTHS, "manana", "pasado", "mediodia")
_NOT_CALENDAR: Final = frozenset(
    {"manzana", "mananas", "entero", "abrir", "marco", "mayor", "pesado", "pasada", "pasados", "pasadas", "juntos"}
)


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_WEEKDAY = rf"(?:{_alternatives(WEEKDAYS)})"
_MONTH = rf"(?P<month>{_alternatives([*_MONTHS, *_MONTH_ABBREVIATIONS])})"
_DAY = rf"(?:\d{{1,2}}|{_alternatives(_DAY_WORDS)})"
_NOT_A_TIME = r"(?!\s*(?::|/|[ap]\s?m\b|horas\b|y\s+media|y\s+cuarto|menos\b|de\s+la\b|en\s+punto))"
_ABSOLUTE: Final = (
    re.compile(
        rf"\b(?:{_WEEKDAY}\s+)?(?P<day>{_DAY})\s+(?:de\s+)?{_MONTH}\b(?:\s+(?:de\s+|del\s+)?(?P<year>\d{{4}})\b)?"
    ),
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})\b(?:\s+(?:de\s+|del\s+)?(?P<year>\d{{4}})\b)?"),
    re.compile(r"\b(?P<day>\d{1,2})/(?P<month>\d{1,2})(?:/(?P<year>\d{2,4}))?\b"),
)
_WEEKDAY_FORM = re.compile(
    rf"\b(?P<weekday>{_WEEKDAY})\b"
    r"(?P<next>\s+(?:que\s+viene|de\s+la\s+(?:proxima|otra|siguiente)\s+semana|de\s+la\s+semana\s+que\s+viene))?"
    rf"(?:\s+(?P<day>\d{{1,2}})\b{_NOT_A_TIME})?"
)
_EVERY = re.compile(r"(?:^|\W)los$")  # "los lunes": every Monday, no one date
_NEXT_WEEK = re.compile(r"\b(?:(?:proxima|otra|siguiente)\s+semana|semana\s+(?:que\s+viene|proxima|siguiente))\b")
_RELATIVE: Final[tuple[tuple[re.Pattern[str], int], ...]] = (
    (re.compile(r"\bpasado\s+manana\b"), 2),
    (re.compile(r"(?<!\bla )(?<!\blas )(?<!\besta )(?<!\bpasado )\bmanana\b"), 1),
    (re.compile(r"\bhoy\b"), 0),
    (re.compile(r"\besta\s+(?:manana|tarde|noche)\b"), 0),
    (re.compile(r"\banteayer\b"), -2),
    (re.compile(r"\bayer\b"), -1),
)
_IN_DAYS = re.compile(
    rf"\b(?:en|dentro\s+de)\s+(?P<count>\d{{1,2}}|{_alternatives(_NUMBER_WORDS)})\s+(?P<unit>dias?|semanas?)\b"
)
_BARE_DAY = re.compile(rf"\b(?:el|al|dia|para\s+el|hasta\s+el)\s+(?P<day>\d{{1,2}})\b{_NOT_A_TIME}")


@dataclass(frozen=True)
class FoundDate:
    start: int
    end: int
    value: dt.date


# The calendar words worth correcting, by first letter (a slip in the first letter is not corrected).
_CALENDAR_BY_LETTER: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        letter: tuple(target for target in _CALENDAR_WORDS if len(target) >= 5 and target[0] == letter)
        for letter in {target[0] for target in _CALENDAR_WORDS}
    }
)


def _calendar_spelling(word: str) -> str:
    if word.isalpha() and len(word) >= 5 and word not in _CALENDAR_WORDS and word not in _NOT_CALENDAR:
        for target in _CALENDAR_BY_LETTER.get(word[0], ()):
            limit = 1 if len(target) < 8 else 2
            if word != target + "s" and OSA.distance(word, target, score_cutoff=limit) <= limit:
                return target
    return word


def spell_calendar_words(text: str) -> str:
    """Fix one-letter slips in weekday and month names and "mañana": "mierkoles" → "miercoles"."""
    words = text.split()
    fixed = {word: _calendar_spelling(word) for word in dict.fromkeys(words)}
    return " ".join(fixed[word] for word in words)


def _day_number(written: str) -> int:
    return int(written) if written.isdigit() else _DAY_WORDS[written]


def _first_date(today: dt.date, day: int, weekday: int | None = None) -> dt.date | None:
    """The first date from today on with this day of the month (and weekday, if given)."""
    year, month = today.year, today.month
    for _ in range(28):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today and weekday in (None, candidate.weekday()):
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _next_on(today: dt.date, month: int, day: int) -> dt.date | None:
    """The first date from today on that is this day of this month (29 February: the next leap year's)."""
    for year in range(today.year, today.year + 9):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _absolute(found: re.Match[str], today: dt.date, slow_parses: list[None]) -> dt.date | None:
    """The date a day, month and maybe year mean; without a year the next such day, today included.

    Plain dates are read directly. Odd ones (a two-digit year, a day or month out of range) are left to
    `dateparser`, which is slow: at most `MAX_SLOW_PARSES` per message, counted in `slow_parses`.
    """
    day, month, year = _day_number(found.group("day")), found.group("month"), found.group("year")
    number = int(month) if month.isdigit() else _MONTH_NUMBERS[month]
    if 1 <= day <= 31 and 1 <= number <= 12:
        if year is None:
            return _next_on(today, number, day)
        if len(year) == 4 and _PLAIN_YEARS[0] <= int(year) <= _PLAIN_YEARS[1]:
            try:
                return dt.date(int(year), number, day)
            except ValueError:
                return None
    if len(slow_parses) >= MAX_SLOW_PARSES:
        return None
    slow_parses.append(None)
    if month.isdigit():
        written = f"{day}/{month}" + (f"/{year}" if year else "")
    else:
        written = f"{day} de {month}" + (f" de {year}" if year else "")
    return _parsed(written, today, has_year=year is not None)


@lru_cache(maxsize=1024)
def _parsed(written: str, today: dt.date, *, has_year: bool) -> dt.date | None:
    base = dt.datetime(today.year, today.month, today.day)
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "DATE_ORDER": "DMY", "REQUIRE_PARTS": ["day"]}
    parsed: dt.datetime | None = dateparser.parse(written, languages=["es"], settings=settings)
    if parsed is None:
        return None
    value = parsed.date()
    if not has_year and value.year > today.year:
        # dateparser's "future" skips today ("25 de noviembre" on the 25th → next year).
        try:
            this_year = value.replace(year=today.year)
        except ValueError:
            return value
        if this_year >= today:
            return this_year
    return value


def _next_weekday(today: dt.date, weekday: int, *, next_week: bool) -> dt.date:
    if next_week:
        return today + dt.timedelta(days=7 - today.weekday() + weekday)
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 or 7)


def _every(text: str, start: int) -> bool:
    """Whether "los" comes right before `start` ("los lunes": every Monday, no one date)."""
    end = start
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end < start and _EVERY.search(text[max(0, end - 4) : end]) is not None


def _weekday(found: re.Match[str], message: _Message, today: dt.date) -> dt.date | None:
    if _every(message.text, found.start()):
        return None
    weekday = WEEKDAYS.index(found.group("weekday"))
    if found.group("day"):
        on_day = _first_date(today, int(found.group("day")), weekday)
        if on_day is not None:
            return on_day
    next_week = bool(found.group("next") and "que viene" not in found.group("next")) or message.next_week
    return _next_weekday(today, weekday, next_week=next_week)


def _in_days(found: re.Match[str], today: dt.date) -> dt.date:
    count = found.group("count")
    number = int(count) if count.isdigit() else _NUMBER_WORDS[count]
    return today + dt.timedelta(days=number * (7 if found.group("unit").startswith("semana") else 1))


# How each form's match becomes a date: (match, message, today, slow parses so far) → date or None.
_Resolve = Callable[[re.Match[str], "_Message", dt.date, list[None]], "dt.date | None"]


@dataclass(frozen=True)
class _Message:
    text: str
    next_week: bool  # "la próxima semana" said anywhere


def _bare_day(match: re.Match[str], today: dt.date) -> dt.date | None:
    day = int(match.group("day"))
    return _first_date(today, day) if 1 <= day <= 31 else None


def _after(days: int) -> _Resolve:
    return lambda match, message, today, slow: today + dt.timedelta(days=days)


# Every form, in the order its matches are read: earlier rules win where two overlap.
_FORMS: Final[tuple[tuple[re.Pattern[str], _Resolve], ...]] = (
    *((form, lambda match, message, today, slow: _absolute(match, today, slow)) for form in _ABSOLUTE),
    (_WEEKDAY_FORM, lambda match, message, today, slow: _weekday(match, message, today)),
    *((pattern, _after(days)) for pattern, days in _RELATIVE),
    (_IN_DAYS, lambda match, message, today, slow: _in_days(match, today)),
    (_BARE_DAY, lambda match, message, today, slow: _bare_day(match, today)),
)


def find_dates(text: str, *, today: dt.date) -> list[FoundDate]:
    """Every date in a normalized message, in order; earlier rules win where two overlap.

    Time grows with the text and the dates in it, never faster: each match is resolved at most once
    and placed among the dates found by bisection, and `dateparser` is asked at most `MAX_SLOW_PARSES` times.
    """
    message = _Message(text, next_week=_NEXT_WEEK.search(text) is not None)
    found: list[FoundDate] = []  # in order and apart
    starts: list[int] = []
    slow_parses: list[None] = []
    for form, resolve in _FORMS:
        for match in form.finditer(text):
            at = bisect_right(starts, match.start())
            if (at and found[at - 1].end > match.start()) or (at < len(found) and found[at].start < match.end()):
                continue
            value = resolve(match, message, today, slow_parses)
            if value is not None:
                found.insert(at, FoundDate(match.start(), match.end(), value))
                starts.insert(at, match.start())
    return found


def next_week(text: str, *, today: dt.date) -> dt.date | None:
    """The Monday of the calendar week after today's when the normalized message names that week ("la próxima
    semana", "la semana que viene", "la otra semana"), else None; whether a day of it is named too is not asked."""
    if _NEXT_WEEK.search(text) is None:
        return None
    return today + dt.timedelta(days=7 - today.weekday())


# "No puedo", "no voy a poder", "no me sirve": said of a day, the day is refused, not wanted.
_REFUSAL: Final = r"(?:ya\s+)?no\s+(?:puedo|podre|podria|podemos|voy\s+a\s+poder|me\s+(?:sirve|conviene|queda|da))"
# "El jueves no puedo", "el viernes ya no me sirve".
_REFUSED_AFTER: Final = re.compile(rf"\s+{_REFUSAL}\b")
# "No puedo el jueves", "no voy a poder ir el viernes", "ya no puedo ir a mi cita del viernes".
_REFUSED_BEFORE: Final = re.compile(rf"\b{_REFUSAL}(?:\s+\w+){{0,4}}\s*$")
# What separates one clause from the next: a refusal before it never reaches over one.
_CLAUSE_BREAK: Final = re.compile(r"[,;.!?]|\b(?:pero|mejor|sino)\b")
# How far before a day a refusal is looked for: "no voy a poder ir a mi cita del" is 31 characters. Bounded, so a
# message of many dates costs no more per date than a short one.
_REFUSAL_REACH: Final = 60


def is_refused(text: str, found: FoundDate) -> bool:
    """Whether the normalized message refuses the day it names at `found` ("el jueves no puedo", "no puedo el
    viernes"), rather than asking for it ("mejor el lunes")."""
    if _REFUSED_AFTER.match(text, found.end) is not None:
        return True
    before = text[max(0, found.start - _REFUSAL_REACH) : found.start]
    breaks = [match.end() for match in _CLAUSE_BREAK.finditer(before)]
    return _REFUSED_BEFORE.search(before[breaks[-1] if breaks else 0 :]) is not None
