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


def test_before_offers_the_times_just_before_it_that_day() -> None:
    picked = slots.pick(FREE, Wishes(time_of_day="evening"), None, tz=LA_PAZ, count=2, before=at(4, 14))

    assert [s.starts_at for s in picked] == [at(4, 11), at(4, 12, 20)]
    assert slots.pick(FREE, Wishes(), None, tz=LA_PAZ, count=3, before=at(5, 9)) == []


# Doctor 3 works afternoons only: 15:00 to 19:00.
AFTERNOONS = [slot(at(4, hour, minute), doctor=3) for hour in range(15, 19) for minute in (0, 30)]


MORNING_AND_EARLY_AFTERNOON = [s for s in FREE if s.starts_at < at(4, 15)]


@pytest.mark.parametrize(
    ("free", "clock", "offered"),
    [
        (AFTERNOONS, time(7), [at(4, 17, 30), at(4, 18), at(4, 18, 30)]),
        (AFTERNOONS, time(3), [at(4, 15), at(4, 15, 30), at(4, 16)]),
        (FREE, time(7), [at(4, 12, 20), at(4, 14), at(4, 19)]),  # doctor 1 works at 19:00, nobody at 7:00
        (MORNING_AND_EARLY_AFTERNOON, time(7), [at(4, 8), at(4, 8, 30), at(4, 11)]),
        (FREE, time(20), [at(4, 12, 20), at(4, 14), at(4, 19)]),
    ],
    ids=["afternoons only", "at 3 (15:00) already", "open at 19:00", "open near 7:00, not 19:00", "20:00 as said"],
)
def test_an_early_hour_is_the_afternoon_one_where_the_doctors_work_only_then(
    free: list[Slot], clock: time, offered: list[datetime]
) -> None:
    picked = slots.pick(free, Wishes(clock=clock), None, tz=LA_PAZ, count=3)

    assert [s.starts_at for s in picked] == offered


def test_only_in_part_of_day() -> None:
    starts = [at(4, 11), at(4, 11, 30), at(4, 14)]
    assert slots.only_in_part_of_day(starts, "afternoon") == 2
    assert slots.only_in_part_of_day(starts, "morning") is None  # two of them
    assert slots.only_in_part_of_day(starts, "evening") is None


OFFERED = tuple(OfferedSlot.of(s) for s in (FREE[4], FREE[5], FREE[6]))  # Monday 11:00, 12:20, 14:00
AT_THE_LIST = DialogState(
    flow=Flow.BOOK,
    step=Step.SLOT_CHOICE,
    wishes=Wishes(specialty="medicina_general", time_of_day="morning", clock=time(11)),
    offered=OFFERED,
)


def test_earlier_searches_before_the_first_offered_that_day() -> None:
    earlier = slots.earlier_options(AT_THE_LIST, LA_PAZ)

    # No day asked becomes the day of the times shown (QA's waitlist entry came out for it).
    wishes = Wishes(specialty="medicina_general")
    assert earlier == DialogState(flow=Flow.BOOK, wishes=wishes, search_before=at(4, 11))
    asked_saturday = AT_THE_LIST.but(wishes=AT_THE_LIST.wishes.but(day=date(2030, 3, 9)))
    assert slots.earlier_options(asked_saturday, LA_PAZ).wishes.day == date(2030, 3, 9)


def test_earlier_than_the_one_chosen() -> None:
    confirming = AT_THE_LIST.but(step=Step.CONFIRM, chosen=OFFERED[1])

    assert slots.earlier_options(confirming, LA_PAZ).search_before == at(4, 12, 20)


def test_later_the_same_day_searches_after_the_last_seen_on_its_day() -> None:
    later = slots.later_same_day(AT_THE_LIST, LA_PAZ)

    wishes = Wishes(specialty="medicina_general", day=date(2030, 3, 4))
    assert later == DialogState(flow=Flow.BOOK, wishes=wishes, search_after=at(4, 14))


def test_another_day_searches_after_the_day_offered_or_refused() -> None:
    other = slots.another_day(AT_THE_LIST, LA_PAZ)

    assert other.wishes == Wishes(specialty="medicina_general", time_of_day="morning")
    assert other.search_after is not None and other.search_after.date() == date(2030, 3, 4)
    assert [s.starts_at for s in slots.pick(FREE, other.wishes, other.search_after, tz=LA_PAZ, count=3)] == [
        at(5, 9),
        at(5, 10),
    ]


@pytest.mark.parametrize(
    ("refused", "after"),
    [(None, date(2030, 3, 5)), (date(2030, 3, 4), date(2030, 3, 4)), (date(2030, 3, 6), date(2030, 3, 5))],
    ids=["another day: after the last offered", "the first of two refused", "a day not offered: as another day"],
)
def test_another_day_over_a_page_of_two_days(refused: date | None, after: date) -> None:
    two_days = AT_THE_LIST.but(offered=(OfferedSlot.of(FREE[7]), OfferedSlot.of(FREE[8])))  # Monday 19:00, Tuesday 9:00

    other = slots.another_day(two_days, LA_PAZ, refused)

    assert other.search_after == datetime.combine(after, time.max, tzinfo=LA_PAZ)


# (the free days, the day in view, the nearest of them)
NEAREST = {
    "from a Saturday, the Friday before": ([date(2030, 3, 5), date(2030, 3, 8)], date(2030, 3, 9), date(2030, 3, 8)),
    "as near either side: the later": ([date(2030, 3, 6), date(2030, 3, 8)], date(2030, 3, 7), date(2030, 3, 8)),
    "none": ([], date(2030, 3, 7), None),
}


@pytest.mark.parametrize(("days", "shown", "nearest"), NEAREST.values(), ids=NEAREST.keys())
def test_nearest_day(days: list[date], shown: date, nearest: date | None) -> None:
    assert slots.nearest_day(days, shown) == nearest


@pytest.mark.parametrize(
    ("said", "meant", "found"),
    [(time(15), time(15), True), (time(3), time(15), True), (time(16), time(16), False)],
)
def test_the_hour_asked_among_the_offered(said: time, meant: time, found: bool) -> None:
    offered = [
        OfferedSlot.of(slot(at(4, 14, 30))),
        OfferedSlot.of(slot(at(4, 15))),
        OfferedSlot.of(slot(at(4, 15, 30))),
    ]

    assert slots.clock_meant(said, offered, LA_PAZ) == meant
    assert (slots.at_clock(offered, said, LA_PAZ) is not None) is found
