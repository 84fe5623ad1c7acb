"""The slot-picking policy on its own: which free slots are offered for what the patient wished (pure, no I/O)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from appointments.schemas import Slot
from gateway.conversation.flows import slots
from gateway.conversation.state import DialogState, Flow, OfferedSlot, Step, Wishes

LA_PAZ = ZoneInfo("America/La_Paz")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=LA_PAZ)


def slot(starts_at: datetime, doctor: int = 1) -> Slot:
    return Slot(doctor, f"Dr. {doctor}", "medicina_general", starts_at, starts_at + timedelta(minutes=30))


# Monday: doctors 1 and 2 both free at 08:00 and 08:30; doctor 1 at 11:00, 14:00, 19:00. Tuesday: 09:00 and 10:00.
FREE = [
    slot(at(4, 8)),
    slot(at(4, 8), doctor=2),
    slot(at(4, 8, 30), doctor=2),
    slot(at(4, 8, 30)),
    slot(at(4, 11)),
    slot(at(4, 12, 20)),
    slot(at(4, 14)),
    slot(at(4, 19)),
    slot(at(5, 9)),
    slot(at(5, 10)),
]

# (what was wished, offered after, the start times offered)
CASES = {
    "nothing: the first three times, one slot each": (Wishes(), None, [at(4, 8), at(4, 8, 30), at(4, 11)]),
    "the afternoon, after lunch (12:20 is not)": (Wishes(time_of_day="afternoon"), None, [at(4, 14)]),
    "the evening": (Wishes(time_of_day="evening"), None, [at(4, 19)]),
    "a part of the day with nothing free: any time": (
        Wishes(time_of_day="evening"),
        at(4, 19),
        [at(5, 9), at(5, 10)],
    ),
    "an hour: the nearest three on the first day, in order": (
        Wishes(clock=time(13)),
        None,
        [at(4, 11), at(4, 12, 20), at(4, 14)],
    ),
    "an hour on a later first day": (Wishes(clock=time(10)), at(4, 20), [at(5, 9), at(5, 10)]),
    "after the last offered": (Wishes(), at(4, 11), [at(4, 12, 20), at(4, 14), at(4, 19)]),
    "nothing left": (Wishes(), at(5, 10), []),
}


@pytest.mark.parametrize(("wishes", "after", "offered"), CASES.values(), ids=CASES.keys())
def test_pick(wishes: Wishes, after: datetime | None, offered: list[datetime]) -> None:
    picked = slots.pick(FREE, wishes, after, tz=LA_PAZ, count=3)

    assert [s.starts_at for s in picked] == offered


def test_the_first_doctor_keeps_a_shared_time() -> None:
    picked = slots.pick(FREE, Wishes(), None, tz=LA_PAZ, count=2)

    assert [s.doctor_id for s in picked] == [1, 2]  # 08:00 with doctor 1 (listed first), 08:30 with doctor 2


def test_other_times_search_after_the_last_seen_and_forget_the_hour() -> None:
    offered = tuple(OfferedSlot.of(s) for s in FREE[:3])
    chosen = OfferedSlot.of(FREE[4])
    wishes = Wishes(specialty="medicina_general", day=date(2030, 3, 4), clock=time(8))
    state = DialogState(flow=Flow.BOOK, step=Step.CONFIRM, wishes=wishes, offered=offered, chosen=chosen)

    later = slots.later_options(state)

    assert later == DialogState(flow=Flow.BOOK, wishes=wishes.but(clock=None), search_after=at(4, 11))
