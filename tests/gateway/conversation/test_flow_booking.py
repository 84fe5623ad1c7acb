"""The booking flow, one step at a time: which specialty, which slot, and the "sí" that books it.

State in, message understood, state and reply out, through `Dialog.respond` on the demo clinic at Monday 09:00
(no HTTP, no model). Pediatrics has one doctor with 30-minute slots, and an hour's notice: 10:00 is the first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time

import asyncpg
import pytest

from appointments import demo
from gateway.conversation import choices, replies, wording
from gateway.conversation.reply import Action
from gateway.conversation.state import DialogState, Flow, OfferedSlot, Step, Wishes
from tests.support.dialog import LA_PAZ, SETTINGS, DialogBench, dialog_bench

MARIA = demo.MARIA.phone
JUAN = demo.JUAN.phone
BOOK = DialogState(flow=Flow.BOOK)
PEDIATRICS = BOOK.but(wishes=Wishes(specialty="pediatria"))


@pytest.fixture
async def bench(conn: asyncpg.Connection, redis_url: str) -> AsyncIterator[DialogBench]:
    async with dialog_bench(conn, redis_url) as bench:
        await bench.verified(MARIA)
        yield bench


@pytest.fixture
async def first_three(bench: DialogBench) -> tuple[OfferedSlot, ...]:
    """The pediatric slots the flow offers first: Monday 10:00, 10:30 and 11:00."""
    return tuple(OfferedSlot.of(s) for s in (await bench.free("pediatria"))[:3])


@pytest.fixture
def confirming(first_three: tuple[OfferedSlot, ...]) -> DialogState:
    """Asked to confirm Monday 10:00, the first slot offered."""
    return PEDIATRICS.but(step=Step.CONFIRM, offered=first_three, chosen=first_three[0])


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=LA_PAZ)


def starts(outcome_state: DialogState) -> list[datetime]:
    return [slot.starts_at for slot in outcome_state.offered]


async def test_first_three_are_the_first_free_times(first_three: tuple[OfferedSlot, ...]) -> None:
    assert [s.starts_at for s in first_three] == [at(4, 10), at(4, 10, 30), at(4, 11)]
    assert {s.doctor_name for s in first_three} == {"Dra. Lucía Vargas"}


# (what the patient says with nothing under way, the step asked next, the wishes kept, the first times offered)
STARTS = {
    "no specialty: asked for one": ("quiero una cita", Step.SPECIALTY, Wishes(), []),
    "a specialty: its first slots": (
        "quiero una cita con pediatría",
        Step.SLOT_CHOICE,
        Wishes(specialty="pediatria"),
        [at(4, 10), at(4, 10, 30), at(4, 11)],
    ),
    "a day and a part of it": (
        "quiero una cita con pediatría el miércoles por la tarde",
        Step.SLOT_CHOICE,
        Wishes(specialty="pediatria", day=at(6, 0).date(), time_of_day="afternoon"),
        [at(6, 14), at(6, 14, 30), at(6, 15)],
    ),
    "an hour: the nearest three that day": (
        "quiero una cita con pediatría el martes a las 11",
        Step.SLOT_CHOICE,
        Wishes(specialty="pediatria", day=at(5, 0).date(), clock=time(11)),
        [at(5, 10, 30), at(5, 11), at(5, 11, 30)],
    ),
    "a doctor: her specialty": (
        "quiero una cita con la dra lucía vargas",
        Step.SLOT_CHOICE,
        None,
        [at(4, 10), at(4, 10, 30), at(4, 11)],
    ),
}


@pytest.mark.parametrize(("says", "step", "wishes", "offered"), STARTS.values(), ids=STARTS.keys())
async def test_start(bench: DialogBench, says: str, step: Step, wishes: Wishes | None, offered: list[datetime]) -> None:
    outcome = await bench.say(MARIA, says)

    assert (outcome.state.flow, outcome.state.step, starts(outcome.state)) == (Flow.BOOK, step, offered)
    if wishes is not None:
        assert outcome.state.wishes == wishes
    assert len(outcome.options) == (len(offered) or len(bench.clinic.offered_specialties()))


async def test_the_specialty_question_lists_what_the_clinic_offers(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "quiero una cita")

    names = [bench.clinic.specialty_name(code) for code in bench.clinic.offered_specialties()]
    assert outcome.text == replies.ask_specialty(names)


async def test_a_number_answers_the_specialty_question(bench: DialogBench) -> None:
    second = bench.clinic.offered_specialties()[1]

    outcome = await bench.say(MARIA, "2", BOOK.but(step=Step.SPECIALTY))

    assert (outcome.state.step, outcome.state.wishes.specialty) == (Step.SLOT_CHOICE, second)


async def test_a_specialty_without_doctors_is_said_and_asked_again(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "quiero una cita con psicología")

    assert outcome.state == BOOK.but(step=Step.SPECIALTY)
    assert outcome.text is not None and outcome.text.startswith(replies.specialty_not_offered("Psicología"))


# At the slot question with 10:00, 10:30 and 11:00 offered: (says, step, the slot chosen, the first times offered)
SLOT_ANSWERS = {
    "a number": ("2", Step.CONFIRM, 1, None),
    "the time of one": ("la de las 10:30", Step.CONFIRM, 1, None),
    "other times: after the last offered": ("otro horario", Step.SLOT_CHOICE, None, [at(4, 11, 30), at(4, 14)]),
    "no: other times too": ("no", Step.SLOT_CHOICE, None, [at(4, 11, 30), at(4, 14)]),
    "another day: offered that day": ("mejor el jueves", Step.SLOT_CHOICE, None, [at(7, 8), at(7, 8, 30)]),
}


@pytest.mark.parametrize(("says", "step", "chosen", "offered"), SLOT_ANSWERS.values(), ids=SLOT_ANSWERS.keys())
async def test_slot_choice(
    bench: DialogBench,
    first_three: tuple[OfferedSlot, ...],
    says: str,
    step: Step,
    chosen: int | None,
    offered: list[datetime] | None,
) -> None:
    state = PEDIATRICS.but(step=Step.SLOT_CHOICE, offered=first_three)

    outcome = await bench.say(MARIA, says, state)

    assert outcome.state.step is step
    if chosen is not None:
        slot = first_three[chosen]
        assert outcome.state.chosen == slot
        when = wording.day_and_time(slot.starts_at, LA_PAZ)
        assert outcome.text == replies.confirm_booking(when, slot.doctor_name, "Pediatría")
    if offered is not None:
        assert starts(outcome.state)[:2] == offered


@pytest.mark.parametrize(
    "says",
    [
        "no quiero ninguna, gracias",
        "ya no, gracias",
        "dejelo asi nomas",
        "no gracias, despues le escribo",
        "ya no quiero la cita",
    ],
)
async def test_leaving_the_slot_list_leaves_the_booking(
    bench: DialogBench, first_three: tuple[OfferedSlot, ...], says: str
) -> None:
    state = PEDIATRICS.but(step=Step.SLOT_CHOICE, offered=first_three)

    outcome = await bench.say(MARIA, says, state)

    assert (outcome.state, outcome.text) == (DialogState(), replies.BOOKING_LEFT)


async def test_an_answer_to_nothing_asks_for_an_option_again(
    bench: DialogBench, first_three: tuple[OfferedSlot, ...]
) -> None:
    state = PEDIATRICS.but(step=Step.SLOT_CHOICE, offered=first_three)

    outcome = await bench.say(MARIA, "el perro ladra", state)

    assert (outcome.state, outcome.text, len(outcome.options)) == (state, replies.ASK_OPTION_AGAIN, 3)


async def test_yes_books_the_slot_chosen(
    bench: DialogBench, conn: asyncpg.Connection, first_three: tuple[OfferedSlot, ...], confirming: DialogState
) -> None:
    slot = first_three[0]

    outcome = await bench.say(MARIA, "sí", confirming)

    assert (outcome.state, outcome.action) == (DialogState(), Action.SCHEDULE_APPOINTMENT)
    assert outcome.appointment is not None and outcome.appointment.starts_at == slot.starts_at
    when = wording.day_and_time(slot.starts_at, LA_PAZ)
    reference = choices.reference_of(outcome.appointment.id)
    assert outcome.text == replies.booked(when, "Dra. Lucía Vargas", "Pediatría", reference)
    assert await conn.fetchval("SELECT count(*) FROM appointments WHERE status = 'booked'") == 1
    assert ("appointment.booked", "success") in bench.audited


async def test_no_drops_the_slot_and_offers_later_ones(
    bench: DialogBench, first_three: tuple[OfferedSlot, ...], confirming: DialogState
) -> None:
    outcome = await bench.say(MARIA, "no", confirming)

    assert outcome.text is not None and outcome.text.startswith(replies.BOOKING_DROPPED)
    assert outcome.state.step is Step.SLOT_CHOICE and outcome.state.chosen is None
    assert min(starts(outcome.state)) > first_three[-1].starts_at


async def test_a_slot_taken_meanwhile_is_said_and_others_offered(
    bench: DialogBench, first_three: tuple[OfferedSlot, ...], confirming: DialogState
) -> None:
    [juans] = [s for s in await bench.free("pediatria") if s.starts_at == first_three[0].starts_at]
    await bench.booked(JUAN, juans)

    outcome = await bench.say(MARIA, "sí", confirming)

    assert outcome.text is not None and outcome.text.startswith(replies.SLOT_GONE)
    assert outcome.state.step is Step.SLOT_CHOICE
    assert first_three[0].starts_at not in starts(outcome.state)
    assert ("appointment.booked", "conflict") in bench.audited


async def test_the_confirmation_is_asked_again_after_an_answer_to_nothing(
    bench: DialogBench, confirming: DialogState
) -> None:
    outcome = await bench.say(MARIA, "el perro ladra", confirming)

    assert (outcome.state, outcome.text) == (confirming, replies.ASK_CONFIRM_AGAIN)


async def test_at_the_limit_of_upcoming_appointments_no_more_are_offered(bench: DialogBench) -> None:
    one_per_time = {slot.starts_at: slot for slot in await bench.free("medicina_general")}
    for slot in list(one_per_time.values())[: SETTINGS.max_upcoming]:
        await bench.booked(MARIA, slot)

    outcome = await bench.say(MARIA, "quiero una cita con pediatría")

    assert (outcome.state, outcome.text) == (DialogState(), replies.too_many_upcoming(SETTINGS.max_upcoming))
