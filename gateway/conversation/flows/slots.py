"""Which free slots to offer: the policy, with no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from appointments.schemas import Slot
from gateway.conversation.state import DialogState, OfferedSlot, Wishes
from gateway.understanding.times import TimeOfDay

# As patients here say them: "la tarde" starts after lunch (a doctor's 12:00 slot ends his morning), "la noche"
# at 19:00.
TIME_OF_DAY_HOURS: dict[TimeOfDay, tuple[time, time]] = {
    "morning": (time(0), time(12)),
    "afternoon": (time(13), time(19)),
    "evening": (time(19), time(23, 59)),
}


def pick(
    slots: Sequence[Slot],
    wishes: Wishes,
    after: datetime | None,
    *,
    tz: ZoneInfo,
    count: int,
    before: datetime | None = None,
) -> list[OfferedSlot]:
    """The `count` slots to offer: after `after`, in the part of the day asked, nearest the time asked.

    With `before`, the `count` times just before it on its day ("más temprano"). Only one slot per start time, so
    three options are three different times.
    """
    if before is not None:
        return _just_before(slots, before, tz=tz, count=count)
    candidates = [OfferedSlot.of(s) for s in slots if after is None or s.starts_at > after]
    if wishes.time_of_day is not None:
        start, end = TIME_OF_DAY_HOURS[wishes.time_of_day]
        in_part = [s for s in candidates if start <= s.starts_at.astimezone(tz).time() < end]
        candidates = in_part or candidates
    distinct: dict[datetime, OfferedSlot] = {}
    for slot in candidates:
        distinct.setdefault(slot.starts_at, slot)
    ordered = list(distinct.values())
    if wishes.clock is not None and ordered:
        first_day = ordered[0].starts_at.astimezone(tz).date()
        same_day = [s for s in ordered if s.starts_at.astimezone(tz).date() == first_day]
        wanted = _clinic_minute(wishes.clock, same_day, tz)

        def distance(slot: OfferedSlot) -> int:
            local = slot.starts_at.astimezone(tz)
            return abs(local.hour * 60 + local.minute - wanted)

        nearest = sorted(same_day, key=distance)[:count]
        return sorted(nearest, key=lambda s: s.starts_at)
    return ordered[:count]


def _clinic_minute(clock: time, day: Sequence[OfferedSlot], tz: ZoneInfo) -> int:
    """The minute of the day meant by `clock`: "a las 7" is 19:00 where the doctors work nearer 19:00 than 7:00.

    Only an hour of 1 to 7 in the morning is read again, and only when the doctors do not work at it that day.
    """
    wanted = clock.hour * 60 + clock.minute
    spans = [(_minute(s.starts_at.astimezone(tz)), _minute(s.ends_at.astimezone(tz))) for s in day]

    def away(minute: int) -> int:
        return min((max(start - minute, minute - end, 0) for start, end in spans), default=0)

    afternoon = wanted + 12 * 60
    if 1 <= clock.hour <= 7 and away(wanted) > 0 and away(afternoon) <= away(wanted):
        return afternoon
    return wanted


def at_clock(offered: Sequence[OfferedSlot], clock: time, tz: ZoneInfo) -> OfferedSlot | None:
    """The slot among `offered` (one day's) that starts at the hour asked ("las 3" is 15:00 there), if any."""
    wanted = _clinic_minute(clock, offered, tz)
    return next((s for s in offered if _minute(s.starts_at.astimezone(tz)) == wanted), None)


def clock_meant(clock: time, offered: Sequence[OfferedSlot], tz: ZoneInfo) -> time:
    """The hour `clock` means on the day of `offered` ("las 3" where the doctors work afternoons is 15:00)."""
    minute = _clinic_minute(clock, offered, tz)
    return time(minute // 60, minute % 60)


def _minute(local: datetime) -> int:
    return local.hour * 60 + local.minute


def only_in_part_of_day(starts: Sequence[datetime], part: TimeOfDay) -> int | None:
    """The one local start time offered in the part of the day named ("la de la tarde"), if exactly one."""
    start, end = TIME_OF_DAY_HOURS[part]
    inside = [i for i, local in enumerate(starts) if start <= local.time() < end]
    return inside[0] if len(inside) == 1 else None


def _just_before(slots: Sequence[Slot], before: datetime, *, tz: ZoneInfo, count: int) -> list[OfferedSlot]:
    day = before.astimezone(tz).date()
    distinct: dict[datetime, OfferedSlot] = {}
    for slot in slots:
        if slot.starts_at < before and slot.starts_at.astimezone(tz).date() == day:
            distinct.setdefault(slot.starts_at, OfferedSlot.of(slot))
    return sorted(distinct.values(), key=lambda s: s.starts_at)[-count:] if count > 0 else []


def _seen(state: DialogState) -> list[OfferedSlot]:
    """The slots the patient has in view: those offered, and the one chosen."""
    return [*state.offered, *([state.chosen] if state.chosen is not None else [])]


def days_seen(state: DialogState, tz: ZoneInfo) -> set[date]:
    """The days of the slots the patient has in view."""
    return {slot.starts_at.astimezone(tz).date() for slot in _seen(state)}


def nearest_day(days: Sequence[date], to: date) -> date | None:
    """The day of `days` nearest `to`; of two as near, the later ("otro día esa semana" from a Thursday: Friday)."""
    return min(days, key=lambda d: (abs((d - to).days), -d.toordinal()), default=None)


def on_day(state: DialogState, day: date) -> DialogState:
    """The state for the first times of `day`, whatever hour was asked before."""
    wishes = state.wishes.but(day=day, clock=None)
    return state.but(wishes=wishes, search_after=None, search_before=None, step=None, chosen=None, offered=())


def day_in_view(state: DialogState, tz: ZoneInfo) -> date | None:
    """The day of the slot chosen, or of the first offered: "ese mismo día" names it."""
    seen = [state.chosen] if state.chosen is not None else list(state.offered)
    return seen[0].starts_at.astimezone(tz).date() if seen else None


def earlier_options(state: DialogState, tz: ZoneInfo) -> DialogState:
    """The state for "más temprano": the times just before the one chosen, or the first offered, that day.

    The day asked stays the patient's: the day of the times shown is not one they asked for (QA's waitlist entry
    came out for it)."""
    seen = [state.chosen] if state.chosen is not None else list(state.offered)
    if not seen:
        return later_options(state)
    first = min(slot.starts_at for slot in seen)
    wishes = state.wishes.but(clock=None, time_of_day=None)
    return state.but(wishes=wishes, search_after=None, search_before=first, step=None, chosen=None, offered=())


def later_same_day(state: DialogState, tz: ZoneInfo) -> DialogState:
    """The state for "el mismo día pero más tarde": after the one chosen, or the last offered, that day first."""
    later = later_options(state.but(offered=()) if state.chosen is not None else state)
    if later.search_after is None:
        return later
    return later.but(wishes=later.wishes.but(day=later.search_after.astimezone(tz).date(), time_of_day=None))


def another_day(state: DialogState, tz: ZoneInfo, refused: date | None = None) -> DialogState:
    """The state for "otro día" or "el jueves no puedo": the days after the one offered (the one refused, when the
    times offered span more than one), any of them."""
    days = days_seen(state, tz)
    last = refused if refused in days else max(days, default=refused)
    wishes = state.wishes.but(day=None, clock=None)
    after = datetime.combine(last, time.max, tzinfo=tz) if last is not None else None
    return state.but(wishes=wishes, search_after=after, search_before=None, step=None, chosen=None, offered=())


def later_options(state: DialogState) -> DialogState:
    """The state for "otro horario": search after the last time offered, without the exact time asked."""
    last = max((slot.starts_at for slot in _seen(state)), default=None)
    wishes = state.wishes.but(clock=None)
    return state.but(wishes=wishes, search_after=last, search_before=None, step=None, chosen=None, offered=())
