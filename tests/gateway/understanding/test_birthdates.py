"""Reading a date of birth the way patients in Bolivia write it: day first, always."""

from __future__ import annotations

import time
from datetime import date

import pytest

from gateway.understanding.birthdates import parse_birth_date

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("12/03/1985", date(1985, 3, 12)),
        ("12-03-85", date(1985, 3, 12)),
        ("12.03.1985", date(1985, 3, 12)),
        ("12 de marzo de 1985", date(1985, 3, 12)),
        ("12 marzo 1985", date(1985, 3, 12)),
        ("Nací el 12 de Marzo del 1985", date(1985, 3, 12)),
        ("12 mar. 85", date(1985, 3, 12)),
        ("1ro de enero de 2000", date(2000, 1, 1)),
        ("7 de setiembre de 1970", date(1970, 9, 7)),
        ("07 sept 1970", date(1970, 9, 7)),
        ("1985-03-12", date(1985, 3, 12)),
        ("3/4/05", date(2005, 4, 3)),
        ("01/12/26", date(2026, 12, 1)),
        ("29/02/2000", date(2000, 2, 29)),
        ("es el 12/03/1985, o sea 12 de marzo de 1985", date(1985, 3, 12)),
    ],
)
def test_common_spanish_spellings_are_read_day_first(text: str, born: date) -> None:
    assert parse_birth_date(text, today=TODAY) == born


def test_a_two_digit_year_is_the_latest_one_not_in_the_future() -> None:
    assert parse_birth_date("03/12/26", today=TODAY) == date(1926, 12, 3)
    assert parse_birth_date("02/12/26", today=TODAY) == date(2026, 12, 2)


@pytest.mark.parametrize(
    "text",
    [
        "31/02/1990",  # no such day
        "12/13/1985",  # month first is not how it is written here
        "12/03/2030",  # future
        "03/12/2026",  # tomorrow
        "1/1/1899",  # before 1900
        "12/03",  # no year
        "12 de marzo",
        "12/03-1985",  # mixed separators
        "12 de marzzo de 1985",
        "12/03/1985 o 13/03/1985",  # two different dates
        "4567891 LP",
        "1234",
        "",
    ],
)
def test_what_is_not_one_possible_date_of_birth_is_not_read(text: str) -> None:
    assert parse_birth_date(text, today=TODAY) is None


@pytest.mark.parametrize("text", ["12/03/1985 " * 180, "1 de " * 400, "1/1/1/1/" * 250, "1" * 2000])
def test_a_long_message_of_date_like_tokens_is_read_quickly(text: str) -> None:
    # About half a millisecond here; the bound leaves room for a loaded machine.
    started = time.perf_counter()
    parse_birth_date(text, today=TODAY)
    assert time.perf_counter() - started < 0.05
