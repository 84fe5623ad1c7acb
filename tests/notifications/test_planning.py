"""When reminders go out (notifications/planning.py): pure, table-driven."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from notifications.planning import Planned, QuietHours, at_send_time, plan

LA_PAZ = ZoneInfo("America/La_Paz")
NIGHT = QuietHours(time(21), time(8))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A La Paz time in March 2030 (Monday the 4th)."""
    return datetime(2030, 3, day, hour, minute, tzinfo=LA_PAZ)


def local(planned: list[Planned]) -> list[tuple[int, str | None, str | None]]:
    return [
        (p.hours_before, None if p.due_at is None else p.due_at.astimezone(LA_PAZ).strftime("%d %H:%M"), p.skipped)
        for p in planned
    ]


@pytest.mark.parametrize(
    ("starts", "booked", "hours", "expected"),
    [
        # Booked days ahead: 24 h before, at the same clock time.
        (at(6, 10), at(4, 9), (24,), [(24, "05 10:00", None)]),
        # Two reminders, longest first.
        (at(6, 10), at(4, 9), (2, 24), [(24, "05 10:00", None), (2, "06 08:00", None)]),
        # Booked 5 h before: the 24 h one would be late, only the 2 h one goes.
        (at(6, 15), at(6, 10), (24, 2), [(24, None, "booked_late"), (2, "06 13:00", None)]),
        # Booked 1 h before: none.
        (at(6, 15), at(6, 14), (24, 2), [(24, None, "booked_late"), (2, None, "booked_late")]),
        # 24 h before an 07:30 appointment is in quiet hours: the morning's 08:00 of that day.
        (at(6, 7, 30), at(4, 9), (24,), [(24, "05 08:00", None)]),
        # 2 h before an 08:30 appointment is 06:30, quiet: 08:00 still arrives before it.
        (at(6, 8, 30), at(4, 9), (2,), [(2, "06 08:00", None)]),
        # 2 h before a 07:45 appointment: the morning comes too late, skipped.
        (at(6, 7, 45), at(4, 9), (2,), [(2, None, "quiet_hours")]),
        # 22:30 reminder (appointment 22:30 next day): the next morning 08:00.
        (at(7, 22, 30), at(4, 9), (24,), [(24, "07 08:00", None)]),
        # Exactly at the end of quiet hours is allowed; exactly at their start is not.
        (at(6, 8), at(4, 9), (24,), [(24, "05 08:00", None)]),
        (at(6, 21), at(4, 9), (24,), [(24, "06 08:00", None)]),
    ],
)
def test_plan(
    starts: datetime, booked: datetime, hours: tuple[int, ...], expected: list[tuple[int, str | None, str | None]]
) -> None:
    assert local(plan(starts_at=starts, booked_at=booked, hours_before=hours, quiet=NIGHT, tz=LA_PAZ)) == expected


def test_without_quiet_hours_a_night_reminder_goes_at_night() -> None:
    planned = plan(starts_at=at(6, 7, 30), booked_at=at(4, 9), hours_before=(24,), quiet=None, tz=LA_PAZ)
    assert local(planned) == [(24, "05 07:30", None)]


def test_quiet_hours_within_one_day() -> None:
    lunch = QuietHours.parse("13:00-14:00")
    assert lunch is not None
    assert lunch.contains(time(13, 30)) and not lunch.contains(time(14)) and not lunch.contains(time(12, 59))
    planned = plan(starts_at=at(6, 14, 30), booked_at=at(4, 9), hours_before=(1,), quiet=lunch, tz=LA_PAZ)
    assert local(planned) == [(1, "06 14:00", None)]


@pytest.mark.parametrize("text", ["21-08", "25:00-08:00", "08:00-08:00", "21:00 08:00"])
def test_quiet_hours_refuse_what_they_cannot_read(text: str) -> None:
    with pytest.raises(ValueError, match="quiet hours"):
        QuietHours.parse(text)


def test_empty_quiet_hours_are_none() -> None:
    assert QuietHours.parse(" ") is None
    assert QuietHours.parse("21:00-08:00") == NIGHT


@pytest.mark.parametrize(
    ("now", "hours", "expected"),
    [
        (at(5, 10), 24, (True, None, None)),
        # A worker late by hours: still worth it while the 2 h one is not due yet.
        (at(5, 20), 24, (True, None, None)),
        # Once the closer reminder is due, the farther one is not sent too.
        (at(6, 8, 30), 24, (False, None, "superseded")),
        # A retry that lands in quiet hours waits for the morning.
        (at(5, 22), 24, (False, "06 08:00", None)),
        (at(6, 10, 30), 2, (False, None, "too_late")),
    ],
)
def test_at_send_time(now: datetime, hours: int, expected: tuple[bool, str | None, str | None]) -> None:
    decision = at_send_time(now=now, starts_at=at(6, 10), hours_before=hours, all_hours=(24, 2), quiet=NIGHT, tz=LA_PAZ)
    wait = None if decision.wait_until is None else decision.wait_until.astimezone(LA_PAZ).strftime("%d %H:%M")
    assert (decision.send, wait, decision.skipped) == expected


def test_a_retry_in_quiet_hours_whose_morning_is_too_late_is_skipped() -> None:
    decision = at_send_time(
        now=at(6, 6), starts_at=at(6, 7, 30), hours_before=2, all_hours=(2,), quiet=NIGHT, tz=LA_PAZ
    )
    assert (decision.send, decision.skipped) == (False, "quiet_hours")
