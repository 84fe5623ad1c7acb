"""Which free slots to offer: the policy, with no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from zoneinfo import ZoneInfo

from appointments.schemas import Slot
from gateway.conversation.state import DialogState, OfferedSlot, Wishes

# As patients here say them: "la tarde" starts after lunch (a doctor's 12:00 slot ends his morning), "la noche"
# at 19:00.
TIME_OF_DAY_HOURS = {
    "morning": (time(0), time(12)),
    "afternoon": (time(13), time(19)),
    "evening": (time(19), time(23, 59)),
}


def pick(
    slots: Sequence[Slot], wishes: Wishes, after: datetime | None, *, tz: ZoneInfo, count: int
) -> list[OfferedSlot]:
    """The `count` slots to offer: after `after`, in the part of the day asked, nearest the time asked.

    Only one slot per start time, so three options are three different times.
    """
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
        wanted = wishes.clock.hour * 60 + wishes.clock.minute

        def distance(slot: OfferedSlot) -> int:
            local = slot.starts_at.astimezone(tz)
            return abs(local.hour * 60 + local.minute - wanted)

        nearest = sorted(same_day, key=distance)[:count]
        return sorted(nearest, key=lambda s: s.starts_at)
    return ordered[:count]


def later_options(state: DialogState) -> DialogState:
    """The state for "otro horario": search after the last time offered, without the exact time asked."""
    seen = [*state.offered, *([state.chosen] if state.chosen is not None else [])]
    last = max((slot.starts_at for slot in seen), default=None)
    wishes = state.wishes.but(clock=None)
    return state.but(wishes=wishes, search_after=last, step=None, chosen=None, offered=())
