"""A clinic time zone in which it is now a chosen local hour, so that /chat tests of time-of-day wording
run against the real clock: the gateway reads the hour from CLINIC_TIMEZONE and nothing else."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest


def zone_at(hours: Iterable[int], weekdays: Iterable[int] = range(1, 8)) -> str:
    """A fixed-offset zone ("Etc/GMT-4" is UTC+4) where the local hour is now one of `hours`, the first that
    some offset gives, on one of `weekdays` (ISO, Monday 1)."""
    now = datetime.now(UTC)
    days = set(weekdays)
    for hour in hours:
        for offset in range(-12, 15):
            local = now + timedelta(hours=offset)
            if local.hour == hour and local.isoweekday() in days:
                return f"Etc/GMT{-offset:+d}"
    raise LookupError(f"no zone has one of the hours {hours} now")


# The demo clinic opens Monday to Saturday from 08:00 (to 12:00 on Saturdays): these leave an hour's margin.
OPEN = (9, 10, 11)
OPEN_DAYS = range(1, 7)
NIGHT = (2, 3, 1)


def open_zone() -> str:
    """A zone where the demo clinic is open now; skips the test in the hours when it is open nowhere (around
    Sunday noon UTC, every offset gives a Sunday or a Saturday afternoon)."""
    try:
        return zone_at(OPEN, OPEN_DAYS)
    except LookupError:
        pytest.skip("the demo clinic is closed in every time zone now")
