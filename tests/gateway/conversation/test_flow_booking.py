"""The booking flow, one step at a time: which specialty, which slot, and the "sí" that books it.

State in, message understood, state and reply out, through `Dialog.respond` on the demo clinic at Monday 09:00
(no HTTP, no model). Pediatrics has one doctor with 30-minute slots, and an hour's notice: 10:00 is the first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, time

import asyncpg
import pytest

from appointments import demo, repository
from appointments.schemas import ScheduleOverride
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

    # María was never asked about reminders: her first booking asks, once.
    asked = DialogState(step=Step.REMINDERS_CONSENT, reminders_asked=True)
    assert (outcome.state, outcome.action) == (asked, Action.SCHEDULE_APPOINTMENT)
    assert outcome.appointment is not None and outcome.appointment.starts_at == slot.starts_at
    when = wording.day_and_time(slot.starts_at, LA_PAZ)
    reference = choices.reference_of(outcome.appointment.id)
    booked = replies.booked(when, "Dra. Lucía Vargas", "Pediatría", reference)
    assert outcome.text == f"{booked}\n\n{replies.REMINDERS_QUESTION}"
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


# Issue 16: odontology on Thursday afternoon, where Dr. Flores works 8:00-12:00 and 14:30-18:30 in 30 minutes.
THURSDAY_AFTERNOON = BOOK.but(wishes=Wishes(specialty="odontologia", day=at(7, 0).date(), time_of_day="afternoon"))


async def offered_at(bench: DialogBench, *times: datetime) -> tuple[OfferedSlot, ...]:
    """The free odontology slots at `times`, as the flow would have offered them."""
    free = {slot.starts_at: slot for slot in await bench.free("odontologia")}
    return tuple(OfferedSlot.of(free[when]) for when in times)


AFTERNOON_OFFER = (at(7, 14, 30), at(7, 15), at(7, 15, 30))
# At the slot list: (offered, says, the time chosen, or the first times offered next)
SAID_AT_THE_LIST = {
    "'la de las 3' is 15:00, not option 3": (AFTERNOON_OFFER, "la de las 3", at(7, 15), None),
    "half past three in words": (AFTERNOON_OFFER, "la de las tres y media", at(7, 15, 30), None),
    "the first": (AFTERNOON_OFFER, "la primera", at(7, 14, 30), None),
    "the last": (AFTERNOON_OFFER, "la última", at(7, 15, 30), None),
    "the one in the afternoon": ((at(7, 11), at(7, 11, 30), at(7, 14, 30)), "la de la tarde", at(7, 14, 30), None),
    "'a las 6' is 18:00": ((at(7, 17), at(7, 17, 30), at(7, 18)), "a las 6", at(7, 18), None),
    "'la de las 7', with the doctor working until 18:30: the evening, not 07:00": (
        AFTERNOON_OFFER,
        "la de las 7",
        None,
        [at(7, 17), at(7, 17, 30)],
    ),
    "the same day, later": (AFTERNOON_OFFER, "el mismo día pero más tarde", None, [at(7, 16), at(7, 16, 30)]),
    "earlier: just before, that day": (AFTERNOON_OFFER, "más temprano", None, [at(7, 10, 30), at(7, 11)]),
    "another day that week": (AFTERNOON_OFFER, "otro día esa semana", None, [at(8, 14, 30), at(8, 15)]),
    "the day refused said last": (
        AFTERNOON_OFFER,
        "mejor el lunes, el jueves no puedo",
        None,
        [at(11, 14, 30), at(11, 15)],
    ),
    "the day refused said first": (
        AFTERNOON_OFFER,
        "el jueves no puedo, mejor el lunes",
        None,
        [at(11, 14, 30), at(11, 15)],
    ),
    "only the day refused": (AFTERNOON_OFFER, "el jueves no puedo", None, [at(8, 14, 30), at(8, 15)]),
    # QA C1: an hour not on the list but free is that time, to confirm, not another list to pick it from.
    "an hour not offered but free": (AFTERNOON_OFFER, "mejor a las 5", at(7, 17), None),
    "'la de las 3' with the morning offered, 15:00 free": (
        (at(7, 10), at(7, 10, 30), at(7, 11)),
        "la de las 3",
        at(7, 15),
        None,
    ),
    "another day at an hour, free": (AFTERNOON_OFFER, "el martes a las 10", at(5, 10), None),
    "other times in the afternoon already offered: the later ones": (
        AFTERNOON_OFFER,
        "otro horario en la tarde",
        None,
        [at(7, 16), at(7, 16, 30)],
    ),
}


@pytest.mark.parametrize(
    ("offered", "says", "chosen", "next_offer"), SAID_AT_THE_LIST.values(), ids=SAID_AT_THE_LIST.keys()
)
async def test_slot_answers_as_people_say_them(
    bench: DialogBench,
    offered: tuple[datetime, ...],
    says: str,
    chosen: datetime | None,
    next_offer: list[datetime] | None,
) -> None:
    state = THURSDAY_AFTERNOON.but(step=Step.SLOT_CHOICE, offered=await offered_at(bench, *offered))

    outcome = await bench.say(MARIA, says, state)

    if chosen is not None:
        assert outcome.state.step is Step.CONFIRM
        assert outcome.state.chosen is not None and outcome.state.chosen.starts_at == chosen
    else:
        assert (outcome.state.step, outcome.state.chosen) == (Step.SLOT_CHOICE, None)
        assert starts(outcome.state)[:2] == next_offer
        assert outcome.text is not None and "No hay horarios libres el jueves" not in outcome.text


@pytest.mark.parametrize(
    ("says", "offered"),
    [
        ("ese mismo día pero en la tarde", [at(5, 14, 30), at(5, 15), at(5, 15, 30)]),
    ],
)
async def test_the_same_day_with_a_part_or_an_hour_is_the_day_in_view(
    bench: DialogBench, says: str, offered: list[datetime]
) -> None:
    """The patient asked for odontology and was offered Tuesday morning: "ese mismo día" is Tuesday, not today."""
    tuesday_morning = await offered_at(bench, at(5, 10), at(5, 10, 30), at(5, 11))
    state = BOOK.but(wishes=Wishes(specialty="odontologia"), step=Step.SLOT_CHOICE, offered=tuesday_morning)

    outcome = await bench.say(MARIA, says, state)

    assert (outcome.state.step, starts(outcome.state)) == (Step.SLOT_CHOICE, offered)


async def test_later_at_an_hour_free_that_day_is_that_time_to_confirm(bench: DialogBench) -> None:
    tuesday_morning = await offered_at(bench, at(5, 10), at(5, 10, 30), at(5, 11))
    state = BOOK.but(wishes=Wishes(specialty="odontologia"), step=Step.SLOT_CHOICE, offered=tuesday_morning)

    outcome = await bench.say(MARIA, "más tarde, a las 4", state)

    assert outcome.state.step is Step.CONFIRM
    assert outcome.state.chosen is not None and outcome.state.chosen.starts_at == at(5, 16)


async def test_an_hour_the_doctor_does_not_work_that_day_is_said_before_the_nearest(bench: DialogBench) -> None:
    # QA C5: the dermatologist works Saturday mornings only; "la de las 3" silently showed the morning.
    saturday = BOOK.but(wishes=Wishes(specialty="dermatologia", day=at(9, 0).date()))
    listed = await bench.say(MARIA, "quiero ver a la dermatóloga el sábado", BOOK)
    assert starts(listed.state)[0] == at(9, 9)

    outcome = await bench.say(MARIA, "la de las 3", listed.state)

    assert outcome.state.wishes == saturday.wishes.but(clock=time(15))
    assert (outcome.state.step, starts(outcome.state)) == (Step.SLOT_CHOICE, [at(9, 10, 30), at(9, 11), at(9, 11, 30)])
    assert outcome.text is not None
    assert outcome.text.startswith(f"{replies.no_slot_at('sábado 9 de marzo a las 15:00')} Estos son")


SATURDAY_DERMATOLOGY = (at(9, 9), at(9, 9, 30), at(9, 10))


async def saturday_dermatology(bench: DialogBench) -> DialogState:
    """Saturday's first dermatology times offered: the dermatologist works Tuesday to Friday afternoons too."""
    free = {slot.starts_at: slot for slot in await bench.free("dermatologia")}
    offered = tuple(OfferedSlot.of(free[when]) for when in SATURDAY_DERMATOLOGY)
    return BOOK.but(
        wishes=Wishes(specialty="dermatologia", day=at(9, 0).date()), step=Step.SLOT_CHOICE, offered=offered
    )


async def test_another_day_that_week_from_a_saturday_is_an_earlier_day_of_it(bench: DialogBench) -> None:
    # QA C5: "otro día esa semana" at Saturday's list jumped to next Tuesday though Friday had free times.
    outcome = await bench.say(MARIA, "otro día esa semana", await saturday_dermatology(bench))

    assert (outcome.state.step, starts(outcome.state)) == (Step.SLOT_CHOICE, [at(8, 14), at(8, 14, 30), at(8, 15)])
    assert outcome.text is not None and outcome.text.startswith("Estos son")


async def test_another_day_that_week_with_none_free_says_so_and_offers_the_next(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    [dermatologist] = [d.id for d in bench.clinic.doctors if d.specialty_code == "dermatologia"]
    for day in (5, 6, 7, 8):
        closed = ScheduleOverride(on_date=at(day, 0).date(), doctor_id=dermatologist, start=None, end=None, reason="x")
        await repository.upsert_schedule_override(conn, override=closed)

    outcome = await bench.say(MARIA, "otro día esa semana", await saturday_dermatology(bench))

    assert (outcome.state.step, starts(outcome.state)[0]) == (Step.SLOT_CHOICE, at(12, 14))
    assert outcome.text is not None and outcome.text.startswith(f"{replies.NO_OTHER_DAY_THAT_WEEK} Estos son")


async def test_the_part_of_the_day_every_option_is_in_asks_which_again(bench: DialogBench) -> None:
    state = THURSDAY_AFTERNOON.but(step=Step.SLOT_CHOICE, offered=await offered_at(bench, *AFTERNOON_OFFER))

    outcome = await bench.say(MARIA, "la de la tarde", state)

    assert (outcome.state, outcome.text) == (state, replies.ASK_OPTION_AGAIN)


async def test_another_specialty_at_the_list_offers_it(bench: DialogBench) -> None:
    cardiology = THURSDAY_AFTERNOON.but(wishes=Wishes(specialty="cardiologia", day=at(7, 0).date()))
    offered = tuple(OfferedSlot.of(s) for s in (await bench.free("cardiologia"))[:3])
    state = cardiology.but(step=Step.SLOT_CHOICE, offered=offered)

    outcome = await bench.say(MARIA, "sabe que, mejor con medicina general nomás", state)

    assert (outcome.state.step, outcome.state.wishes.specialty) == (Step.SLOT_CHOICE, "medicina_general")
    assert {slot.specialty_code for slot in outcome.state.offered} == {"medicina_general"}


LEAVING = [
    "ya olvídese, ya no quiero ninguna cita, cancele todo nomás",
    "no gracias, después le escribo",
    "mejor no",
    "cancele todo nomás",
]


@pytest.mark.parametrize("step", [Step.SLOT_CHOICE, Step.CONFIRM])
@pytest.mark.parametrize("says", LEAVING)
async def test_leaving_at_the_list_or_the_confirmation_books_nothing(
    bench: DialogBench, conn: asyncpg.Connection, says: str, step: Step
) -> None:
    offered = await offered_at(bench, *AFTERNOON_OFFER)
    state = THURSDAY_AFTERNOON.but(step=step, offered=offered, chosen=offered[1] if step is Step.CONFIRM else None)

    outcome = await bench.say(MARIA, says, state)

    assert (outcome.state, outcome.text, outcome.action) == (DialogState(), replies.BOOKING_LEFT, Action.NONE)
    assert await conn.fetchval("SELECT count(*) FROM appointments") == 0


async def test_cancel_all_leaves_the_booking_and_keeps_the_appointments_held(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    held = await bench.booked(MARIA, (await bench.free("pediatria"))[0])
    state = THURSDAY_AFTERNOON.but(step=Step.SLOT_CHOICE, offered=await offered_at(bench, *AFTERNOON_OFFER))

    outcome = await bench.say(MARIA, "ya olvídese, ya no quiero ninguna cita, cancele todo nomás", state)

    assert (outcome.state, outcome.text) == (DialogState(), f"{replies.BOOKING_LEFT} {replies.HOW_TO_CANCEL_HELD}")
    assert await conn.fetchval("SELECT status FROM appointments WHERE id = $1", held.id) == "booked"


# At the confirmation of Thursday 15:00: (says, the first times offered next, the clock now wished)
SAID_AT_THE_CONFIRMATION = {
    "another day": ("mejor el lunes", [at(11, 14, 30), at(11, 15)], None),
    "earlier than the one chosen": ("más temprano", [at(7, 11), at(7, 11, 30)], None),
    "later the same day": ("el mismo día pero más tarde", [at(7, 15, 30), at(7, 16)], None),
    "another day that week": ("otro día esa semana", [at(8, 14, 30), at(8, 15)], None),
}


@pytest.mark.parametrize(
    ("says", "next_offer", "clock"), SAID_AT_THE_CONFIRMATION.values(), ids=SAID_AT_THE_CONFIRMATION.keys()
)
async def test_a_change_of_mind_at_the_confirmation_offers_fresh_times(
    bench: DialogBench, conn: asyncpg.Connection, says: str, next_offer: list[datetime], clock: time | None
) -> None:
    offered = await offered_at(bench, *AFTERNOON_OFFER)
    state = THURSDAY_AFTERNOON.but(step=Step.CONFIRM, offered=offered, chosen=offered[1])

    outcome = await bench.say(MARIA, says, state)

    assert (outcome.state.step, outcome.state.chosen, outcome.action) == (Step.SLOT_CHOICE, None, Action.NONE)
    assert starts(outcome.state)[:2] == next_offer
    assert outcome.state.wishes.clock == clock
    assert await conn.fetchval("SELECT count(*) FROM appointments") == 0


async def test_a_yes_with_a_but_and_a_free_hour_confirms_that_hour(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    offered = await offered_at(bench, *AFTERNOON_OFFER)
    state = THURSDAY_AFTERNOON.but(step=Step.CONFIRM, offered=offered, chosen=offered[1])

    outcome = await bench.say(MARIA, "sí, pero mejor a las 4", state)

    assert outcome.state.step is Step.CONFIRM
    assert outcome.state.chosen is not None and outcome.state.chosen.starts_at == at(7, 16)
    assert await conn.fetchval("SELECT count(*) FROM appointments") == 0


@pytest.mark.parametrize("says", ["la de las 3", "el jueves a las 15:00"])
async def test_the_hour_being_confirmed_said_again_asks_the_confirmation_again(
    bench: DialogBench, conn: asyncpg.Connection, says: str
) -> None:
    # A free hour goes straight to "¿Confirma …?"; repeating it must not start another booking nor book unasked.
    offered = await offered_at(bench, *AFTERNOON_OFFER)
    state = THURSDAY_AFTERNOON.but(step=Step.CONFIRM, offered=offered, chosen=offered[1])

    outcome = await bench.say(MARIA, says, state)

    assert outcome.state == state
    assert outcome.text is not None and outcome.text.startswith("¿Confirma su cita")
    assert await conn.fetchval("SELECT count(*) FROM appointments") == 0


async def test_a_yes_with_polite_words_is_a_yes(bench: DialogBench, confirming: DialogState) -> None:
    outcome = await bench.say(MARIA, "sí confirmo, por favor, gracias", confirming)

    assert (outcome.state.flow, outcome.action) == (None, Action.SCHEDULE_APPOINTMENT)


async def test_later_pages_say_nothing_about_a_day_left_behind(bench: DialogBench) -> None:
    last_of_thursday = await offered_at(bench, at(7, 17), at(7, 17, 30), at(7, 18))
    state = THURSDAY_AFTERNOON.but(step=Step.SLOT_CHOICE, offered=last_of_thursday, search_after=at(7, 16, 30))

    friday = await bench.say(MARIA, "otro horario", state)
    later = await bench.say(MARIA, "otro horario", friday.state)

    assert starts(friday.state)[0] == at(8, 14, 30)
    assert friday.text is not None and friday.text.startswith(replies.no_more_slots_on("jueves 7 de marzo"))
    assert later.text is not None and "jueves" not in later.text.split("\n")[0]
    assert starts(later.state)[0] == at(8, 16)


async def test_a_day_with_nothing_free_is_said_on_the_first_page_only(bench: DialogBench) -> None:
    first = await bench.say(MARIA, "quiero una cita con odontología el domingo")
    second = await bench.say(MARIA, "otro horario", first.state)

    assert first.text is not None and first.text.startswith(
        replies.not_attending("los domingos", specialty="Odontología")
    )
    assert second.text is not None and "domingo" not in second.text


async def test_an_appointment_already_held_that_day_in_that_specialty_is_recalled(bench: DialogBench) -> None:
    # QA booked a husband twice on one Saturday with the same doctor, 08:20 and 09:00, without a word.
    held = (await bench.free("pediatria"))[0]
    await bench.booked(MARIA, held)

    offered = await bench.say(MARIA, "quiero una cita con pediatría")
    other = await bench.say(MARIA, "quiero una cita con cardiología")

    recalled = replies.already_holds("lunes 4 de marzo a las 10:00", "Dra. Lucía Vargas")
    assert offered.text is not None and offered.text.startswith(recalled), offered.text
    assert recalled == "Le recuerdo que ya tiene una cita el lunes 4 de marzo a las 10:00 con la Dra. Lucía Vargas."
    assert other.text is not None and "Le recuerdo" not in other.text


async def close_wednesday(bench: DialogBench) -> None:
    """Dr. Gutiérrez away on Wednesday 6, a day of his week."""
    await repository.upsert_schedule_override(
        bench.conn, override=ScheduleOverride(at(6, 0).date(), await gutierrez(bench), None, None, "congreso")
    )


async def give_one_saturday_slot_taken(bench: DialogBench) -> None:
    """Dr. Gutiérrez works half an hour on Saturday 9, off his week, and Juan has booked it."""
    saturday = at(9, 0).date()
    hours = ScheduleOverride(saturday, await gutierrez(bench), time(9), time(9, 30), "campaña")
    await repository.upsert_schedule_override(bench.conn, override=hours)
    [slot] = [s for s in await bench.free("cardiologia") if s.starts_at.astimezone(LA_PAZ).date() == saturday]
    await bench.booked(JUAN, slot)


async def gutierrez(bench: DialogBench) -> int:
    doctor: int = await bench.conn.fetchval("SELECT id FROM doctors WHERE full_name = 'Dr. Fernando Gutiérrez'")
    return doctor


# (what the patient asks, how the clinic stands, what is said before the slots of the days after) QA: "No hay
# horarios libres con el Dr. Fernando Gutiérrez el sábado" for a doctor whose week has no Saturday, as if it were full.
DAY_NOT_FREE: dict[str, tuple[str, Callable[[DialogBench], Awaitable[None]] | None, str]] = {
    "a doctor who never works Saturdays": (
        "quiero una cita con el Dr. Gutiérrez para el sábado",
        None,
        "El Dr. Fernando Gutiérrez no atiende los sábados.",
    ),
    # Dra. Quispe (general medicine too) works Saturdays: it is the doctor's week, not the specialty's.
    "another, his specialty open that day": (
        "quiero una cita con el doctor Mamani el sábado",
        None,
        "El Dr. Jorge Mamani no atiende los sábados.",
    ),
    "a specialty nobody in it works on Sundays": (
        "quiero una cita con odontología el domingo",
        None,
        "En Odontología no hay atención los domingos.",
    ),
    "a day of his week, closed: not free": (
        "quiero una cita con el Dr. Gutiérrez para el miércoles",
        close_wednesday,
        "No hay horarios libres con el Dr. Fernando Gutiérrez el miércoles 6 de marzo.",
    ),
    "hours given him on a Saturday, taken: not free": (
        "quiero una cita con el Dr. Gutiérrez para el sábado",
        give_one_saturday_slot_taken,
        "No hay horarios libres con el Dr. Fernando Gutiérrez el sábado 9 de marzo.",
    ),
}


@pytest.mark.parametrize(("says", "setup", "said"), DAY_NOT_FREE.values(), ids=DAY_NOT_FREE.keys())
async def test_a_day_with_nothing_free_says_why(
    bench: DialogBench, says: str, setup: Callable[[DialogBench], Awaitable[None]] | None, said: str
) -> None:
    if setup is not None:
        await setup(bench)

    first = await bench.say(MARIA, says)

    assert first.state.step is Step.SLOT_CHOICE
    assert first.text is not None and first.text.startswith(f"{said} Estos son los horarios disponibles:")


ONLY_SATURDAYS = "tampoco, yo solo puedo los sabados pues, trabajo toda la semana"
# (what was asked first, what is said at its slots, the step next, the start of the reply, the times offered) QA: at
# the slot list "yo solo puedo los sábados" got "Responda con el número de la opción…", the weekday never read.
WEEKDAY_ONLY = {
    "a doctor who works Saturdays: hers": (
        "quiero una cita con la Dra. Lucía Vargas",
        ONLY_SATURDAYS,
        Step.SLOT_CHOICE,
        "Estos son los horarios disponibles:",
        [at(9, 8), at(9, 8, 30), at(9, 9)],
    ),
    "one who does not, another of the specialty does: the other's": (
        "quiero una cita con el Dr. Mamani",
        ONLY_SATURDAYS,
        Step.SLOT_CHOICE,
        "El Dr. Jorge Mamani no atiende los sábados, pero otros médicos de Medicina general sí. Estos son",
        [at(9, 8), at(9, 8, 20), at(9, 8, 40)],
    ),
    "nobody of the specialty does: said, and another day asked for": (
        "quiero una cita con el Dr. Gutiérrez para el sábado",
        ONLY_SATURDAYS,
        Step.SLOT_CHOICE,
        "Ni el Dr. Fernando Gutiérrez ni otro médico de Cardiología atienden los sábados. Si puede otro día,",
        [],
    ),
    "said when asking": (
        "quiero una cita de pediatría, solo los sábados nomás",
        None,
        Step.SLOT_CHOICE,
        "Estos son los horarios disponibles:",
        [at(9, 8), at(9, 8, 30), at(9, 9)],
    ),
    "two weekdays": (
        "quiero una cita con la Dra. Patricia Rojas",
        "solo puedo los martes o los jueves",
        Step.SLOT_CHOICE,
        "Estos son los horarios disponibles:",
        [at(5, 14), at(5, 14, 30), at(5, 15)],
    ),
    "a weekday refused is no such wish": (
        "quiero una cita con la Dra. Lucía Vargas",
        "los sábados no puedo",
        Step.SLOT_CHOICE,
        "Estos son los horarios disponibles:",
        [at(4, 11, 30), at(4, 14), at(4, 14, 30)],
    ),
}


@pytest.mark.parametrize(("asked", "says", "step", "said", "offered"), WEEKDAY_ONLY.values(), ids=WEEKDAY_ONLY.keys())
async def test_only_some_weekdays_searches_those(
    bench: DialogBench, asked: str, says: str | None, step: Step | None, said: str, offered: list[datetime]
) -> None:
    outcome = await bench.say(MARIA, asked)
    if says is not None:
        assert outcome.state.step is Step.SLOT_CHOICE
        outcome = await bench.say(MARIA, says, outcome.state)

    assert (outcome.state.flow, outcome.state.step, starts(outcome.state)) == (Flow.BOOK, step, offered)
    assert outcome.text is not None and outcome.text.startswith(said), outcome.text


async def test_another_day_named_after_only_some_weekdays_is_that_day(bench: DialogBench) -> None:
    asked = await bench.say(MARIA, "quiero una cita con el Dr. Gutiérrez para el sábado")
    none_that_day = await bench.say(MARIA, ONLY_SATURDAYS, asked.state)
    assert none_that_day.state.wishes.weekdays == (6,)

    unclear = await bench.say(MARIA, "mmm", none_that_day.state)
    monday = await bench.say(MARIA, "bueno, el lunes entonces", none_that_day.state)

    assert (unclear.state, unclear.text, unclear.options) == (none_that_day.state, replies.ASK_ANOTHER_DAY, ())
    assert monday.state.step is Step.SLOT_CHOICE and monday.state.wishes.weekdays == ()
    assert starts(monday.state)[0] == at(11, 9)


# (what was asked, the reply to "no hay más temprano?" at its times begins, the times offered then) QA: "No hay
# horarios más temprano el lunes 7 de diciembre." with Thursday 3 and Friday 4 free with that doctor.
EARLIER = {
    "the day asked never worked, the days before it free": (
        "quiero una cita con el Dr. Gutiérrez para el sábado",
        "El lunes 11 de marzo no hay nada más temprano, pero sí en días anteriores. Estos son los horarios",
        [at(4, 10), at(4, 10, 30), at(4, 11)],
    ),
    "nothing earlier on the day asked, the days before it free": (
        "quiero una cita con el Dr. Gutiérrez para el miércoles",
        "El miércoles 6 de marzo no hay nada más temprano, pero sí en días anteriores. Estos son los horarios",
        [at(4, 10), at(4, 10, 30), at(4, 11)],
    ),
    "earlier that day: those": (
        "quiero una cita con el Dr. Gutiérrez para el miércoles a las 11",
        "Estos son los horarios disponibles:",
        [at(6, 9), at(6, 9, 30), at(6, 10)],
    ),
    "nothing earlier at all: said, and that day again": (
        "quiero una cita con el Dr. Gutiérrez",
        "No hay horarios más temprano el lunes 4 de marzo. Estos son los horarios disponibles:",
        [at(4, 10), at(4, 10, 30), at(4, 11)],
    ),
}


@pytest.mark.parametrize(("asked", "said", "offered"), EARLIER.values(), ids=EARLIER.keys())
async def test_earlier_is_that_day_else_the_days_before_it(
    bench: DialogBench, asked: str, said: str, offered: list[datetime]
) -> None:
    shown = await bench.say(MARIA, asked)

    earlier = await bench.say(MARIA, "no hay mas temprano?", shown.state)

    assert (earlier.state.step, starts(earlier.state)) == (Step.SLOT_CHOICE, offered)
    assert earlier.text is not None and earlier.text.startswith(said), earlier.text


async def test_while_moving_a_bare_cancel_cancels_the_appointment_and_a_later_keeps_it(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    """Leaving by "cancele" is the booking's alone: while moving it asks to cancel the appointment being moved."""
    held = await bench.booked(MARIA, (await bench.free("pediatria"))[0])
    offered = await bench.say(MARIA, "quiero cambiar mi cita para el jueves")
    assert offered.state.step is Step.SLOT_CHOICE

    cancelling = await bench.say(MARIA, "mejor cancélela nomás", offered.state)
    later = await bench.say(
        MARIA, "después le escribo", offered.state.but(step=Step.CONFIRM, chosen=offered.state.offered[0])
    )

    assert (cancelling.state.flow, cancelling.state.step) == (Flow.CANCEL, Step.CONFIRM)
    assert (later.state, later.text) == (DialogState(), replies.CANCEL_KEPT)
    assert await conn.fetchval("SELECT status FROM appointments WHERE id = $1", held.id) == "booked"
