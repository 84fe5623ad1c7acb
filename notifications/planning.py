"""When each reminder of an appointment goes out: pure, no I/O.

A reminder is due `hours_before` the appointment. One whose time came before the appointment was booked (or moved)
is never sent late; one that falls in quiet hours waits for the end of them, if that is still before the
appointment, and is skipped otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

SkipReason = Literal["booked_late", "quiet_hours", "too_late", "superseded"]
_WINDOW = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$")


@dataclass(frozen=True)
class QuietHours:
    """Local hours when no message goes out; `start` > `end` spans midnight (21:00-08:00)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """ "21:00-08:00" (None for an empty text: no quiet hours)."""
        if not text.strip():
            return None
        found = _WINDOW.match(text)
        if found is None:
            raise ValueError(f"quiet hours must read HH:MM-HH:MM, not {text!r}")
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if (h1, m1) == (h2, m2):
            raise ValueError("quiet hours must not start and end at the same time")
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def end_after(self, moment: datetime, tz: ZoneInfo) -> datetime:
        """The first end of quiet hours after `moment` (when `moment` is inside them: the morning it may go)."""
        local = moment.astimezone(tz)
        end = datetime.combine(local.date(), self.end, tzinfo=tz)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=tz)
        return end


@dataclass(frozen=True)
class Planned:
    """One reminder of an appointment: its due time, or why it will not be sent."""

    hours_before: int
    due_at: datetime | None
    skipped: SkipReason | None = None


def _quiet(moment: datetime, quiet: QuietHours | None, tz: ZoneInfo) -> bool:
    return quiet is not None and quiet.contains(moment.astimezone(tz).time())


def plan(
    *,
    starts_at: datetime,
    booked_at: datetime,
    hours_before: Sequence[int],
    quiet: QuietHours | None,
    tz: ZoneInfo,
) -> list[Planned]:
    """The reminders of an appointment starting at `starts_at`, booked (or last moved) at `booked_at`."""
    planned: list[Planned] = []
    for hours in sorted(set(hours_before), reverse=True):
        due = starts_at - timedelta(hours=hours)
        if booked_at >= due:
            planned.append(Planned(hours, None, "booked_late"))
            continue
        if _quiet(due, quiet, tz):
            assert quiet is not None
            due = quiet.end_after(due, tz)
            if due >= starts_at:
                planned.append(Planned(hours, None, "quiet_hours"))
                continue
        planned.append(Planned(hours, due))
    return planned


@dataclass(frozen=True)
class Decision:
    """What a worker does with a due reminder now: send it, wait until `wait_until`, or skip it."""

    send: bool
    wait_until: datetime | None = None
    skipped: SkipReason | None = None


def at_send_time(
    *,
    now: datetime,
    starts_at: datetime,
    hours_before: int,
    all_hours: Sequence[int],
    quiet: QuietHours | None,
    tz: ZoneInfo,
) -> Decision:
    """Whether a due reminder may still go out at `now` (a retry or a late worker may reach it late).

    Never after the appointment started, nor once a closer reminder of it is due (that one goes instead), nor in
    quiet hours: then it waits for their end, if that is still before the appointment.
    """
    if now >= starts_at:
        return Decision(send=False, skipped="too_late")
    if any(h < hours_before and now >= starts_at - timedelta(hours=h) for h in all_hours):
        return Decision(send=False, skipped="superseded")
    if _quiet(now, quiet, tz):
        assert quiet is not None
        end = quiet.end_after(now, tz)
        if end >= starts_at:
            return Decision(send=False, skipped="quiet_hours")
        return Decision(send=False, wait_until=end)
    return Decision(send=True)
