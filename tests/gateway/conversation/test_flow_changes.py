"""Cancelling and moving an appointment, one step at a time: which appointment, which new time, and the "sí".

State in, message understood, state and reply out, through `Dialog.respond` on the demo clinic at Monday 09:00
(no HTTP, no model). María holds pediatrics on Tuesday at 10:00 and, in some tests, cardiology on Wednesday at 09:00.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime

import asyncpg
import pytest

from appointments import booking, demo, repository
from appointments.schemas import Appointment
from gateway.conversation import choices, replies, wording
from gateway.conversation.reply import Action
from gateway.conversation.state import DialogState, Flow, ListedAppointment, Step, Wishes
from tests.support.dialog import LA_PAZ, SETTINGS, DialogBench, dialog_bench

MARIA = demo.MARIA.phone
CANCEL = DialogState(flow=Flow.CANCEL)
MOVE = DialogState(flow=Flow.RESCHEDULE)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=LA_PAZ)


@pytest.fixture
async def bench(conn: asyncpg.Connection, redis_url: str) -> AsyncIterator[DialogBench]:
    async with dialog_bench(conn, redis_url) as bench:
        await bench.verified(MARIA)
        yield bench


async def book_at(bench: DialogBench, specialty: str, starts_at: datetime) -> Appointment:
    [slot] = [s for s in await bench.free(specialty) if s.starts_at == starts_at]
    return await bench.booked(MARIA, slot)


@pytest.fixture
async def tuesday(bench: DialogBench) -> ListedAppointment:
    return ListedAppointment.of(await book_at(bench, "pediatria", at(5, 10)))


@pytest.fixture
async def wednesday(bench: DialogBench, tuesday: ListedAppointment) -> ListedAppointment:
    return ListedAppointment.of(await book_at(bench, "cardiologia", at(6, 9)))


def appointment_text(appointment: ListedAppointment) -> str:
    return wording.appointment_text(
        appointment, LA_PAZ, {"pediatria": "Pediatría", "cardiologia": "Cardiología", "dermatologia": "Dermatología"}
    )


async def test_one_appointment_is_the_one_to_cancel(bench: DialogBench, tuesday: ListedAppointment) -> None:
    outcome = await bench.say(MARIA, "quiero cancelar mi cita")

    assert outcome.state == CANCEL.but(step=Step.CONFIRM, appointment=tuesday)
    assert outcome.text == replies.confirm_cancel(appointment_text(tuesday))


# With two appointments: (what the patient says, the step asked next, which one is chosen: 0 Tuesday, 1 Wednesday)
WHICH = {
    "no detail: both listed": ("quiero cancelar una cita", Step.APPOINTMENT_CHOICE, None),
    "the day names one": ("quiero cancelar mi cita del miércoles", Step.CONFIRM, 1),
}


@pytest.mark.parametrize(("says", "step", "chosen"), WHICH.values(), ids=WHICH.keys())
async def test_which_appointment(
    bench: DialogBench,
    tuesday: ListedAppointment,
    wednesday: ListedAppointment,
    says: str,
    step: Step,
    chosen: int | None,
) -> None:
    outcome = await bench.say(MARIA, says)

    assert outcome.state.step is step
    if chosen is None:
        assert outcome.state.listed == (tuesday, wednesday)
        lines = [f"{i}) {appointment_text(a)}" for i, a in enumerate((tuesday, wednesday), start=1)]
        assert outcome.text == replies.choose_appointment(lines, "cancelar")
    else:
        assert outcome.state.appointment == (tuesday, wednesday)[chosen]


# At the list of both: (what the patient says, which is chosen)
CHOICES = {
    "a number": ("2", 1),
    "a reference": (None, 0),
    "a day": ("la del martes", 0),
}


@pytest.mark.parametrize(("says", "chosen"), CHOICES.values(), ids=CHOICES.keys())
async def test_appointment_choice(
    bench: DialogBench, tuesday: ListedAppointment, wednesday: ListedAppointment, says: str | None, chosen: int
) -> None:
    listed = (tuesday, wednesday)
    state = CANCEL.but(step=Step.APPOINTMENT_CHOICE, listed=listed)

    outcome = await bench.say(MARIA, says or f"la {choices.reference_of(tuesday.id)}", state)

    assert outcome.state == CANCEL.but(step=Step.CONFIRM, appointment=listed[chosen])


async def test_an_answer_to_nothing_lists_them_again(
    bench: DialogBench, tuesday: ListedAppointment, wednesday: ListedAppointment
) -> None:
    state = CANCEL.but(step=Step.APPOINTMENT_CHOICE, listed=(tuesday, wednesday))

    outcome = await bench.say(MARIA, "el perro ladra", state)

    assert outcome.state == state
    assert outcome.text is not None and appointment_text(wednesday) in outcome.text


async def test_a_reference_not_among_hers_is_refused(bench: DialogBench, tuesday: ListedAppointment) -> None:
    outcome = await bench.say(MARIA, "quiero cancelar la cita 3F2A91C0")

    assert (outcome.state, outcome.text) == (DialogState(), replies.NOT_AMONG_YOURS)
    assert ("appointment.cancelled", "denied") in bench.audited


# At the cancel confirmation: (what the patient says, the reply, the action, the appointment's status after)
CONFIRMS = {
    "yes cancels": ("sí", None, Action.CANCEL_APPOINTMENT, "cancelled"),
    "no keeps it": ("no", replies.CANCEL_KEPT, Action.NONE, "booked"),
    "a yes naming the cancel cancels": ("si, cancele nomas", None, Action.CANCEL_APPOINTMENT, "cancelled"),
    "so does a polite one": ("sí, cancélela por favor", None, Action.CANCEL_APPOINTMENT, "cancelled"),
    "a no naming it keeps it": ("no, no la cancele", replies.CANCEL_KEPT, Action.NONE, "booked"),
}


@pytest.mark.parametrize(("says", "reply", "action", "status"), CONFIRMS.values(), ids=CONFIRMS.keys())
async def test_cancel_confirmation(
    bench: DialogBench,
    conn: asyncpg.Connection,
    tuesday: ListedAppointment,
    says: str,
    reply: str | None,
    action: Action,
    status: str,
) -> None:
    outcome = await bench.say(MARIA, says, CANCEL.but(step=Step.CONFIRM, appointment=tuesday))

    # "Si desea, puedo ayudarle a agendar otra." after a cancellation: the offer is remembered for the next message.
    cancelled = action is Action.CANCEL_APPOINTMENT
    assert (outcome.state, outcome.action) == (DialogState(offered_booking=cancelled), action)
    assert outcome.text == (reply or replies.cancelled(appointment_text(tuesday)))
    assert await conn.fetchval("SELECT status::text FROM appointments WHERE id = $1", tuesday.id) == status


async def test_a_move_offers_the_same_doctor(bench: DialogBench, tuesday: ListedAppointment) -> None:
    outcome = await bench.say(MARIA, "quiero cambiar mi cita para el jueves")

    assert outcome.state.step is Step.SLOT_CHOICE and outcome.state.appointment == tuesday
    assert outcome.state.wishes == Wishes(day=at(7, 0).date())
    assert [s.starts_at for s in outcome.state.offered] == [at(7, 8), at(7, 8, 30), at(7, 9)]
    assert {s.doctor_id for s in outcome.state.offered} == {tuesday.doctor_id}


@pytest.mark.parametrize("step", ["slots", "confirmation"])
async def test_leaving_a_move_keeps_the_appointment(
    bench: DialogBench, conn: asyncpg.Connection, tuesday: ListedAppointment, step: str
) -> None:
    offered = await bench.say(MARIA, "quiero cambiar mi cita para el jueves")
    asked = offered if step == "slots" else await bench.say(MARIA, "1", offered.state)

    left = await bench.say(MARIA, "no gracias, después le escribo", asked.state)

    assert (left.state, left.text, left.action) == (DialogState(), replies.CANCEL_KEPT, Action.NONE)
    assert await conn.fetchval("SELECT starts_at FROM appointments WHERE id = $1", tuesday.id) == tuesday.starts_at


async def test_a_move_is_confirmed_old_and_new(bench: DialogBench, tuesday: ListedAppointment) -> None:
    offered = await bench.say(MARIA, "quiero cambiar mi cita para el jueves")

    outcome = await bench.say(MARIA, "1", offered.state)

    new = offered.state.offered[0]
    assert outcome.state == offered.state.but(step=Step.CONFIRM, chosen=new)
    old_when, new_when = (wording.day_and_time(t, LA_PAZ) for t in (tuesday.starts_at, new.starts_at))
    assert outcome.text == replies.confirm_reschedule(old_when, new_when)


async def test_yes_moves_the_appointment(
    bench: DialogBench, conn: asyncpg.Connection, tuesday: ListedAppointment
) -> None:
    offered = await bench.say(MARIA, "quiero cambiar mi cita para el jueves")
    new = offered.state.offered[0]

    outcome = await bench.say(MARIA, "sí", offered.state.but(step=Step.CONFIRM, chosen=new))

    assert (outcome.state, outcome.action) == (DialogState(), Action.RESCHEDULE_APPOINTMENT)
    assert outcome.appointment is not None and outcome.appointment.starts_at == new.starts_at
    assert await conn.fetchval("SELECT starts_at FROM appointments WHERE id = $1", tuesday.id) == new.starts_at
    assert ("appointment.rescheduled", "success") in bench.audited


# --- moving is never booking (issue 16) ---------------------------------------------------------------------------

BOOK = DialogState(flow=Flow.BOOK)


@pytest.fixture
async def friday(bench: DialogBench) -> ListedAppointment:
    return ListedAppointment.of(await book_at(bench, "dermatologia", at(8, 15)))


async def upcoming_starts(conn: asyncpg.Connection) -> list[datetime]:
    rows = await conn.fetch("SELECT starts_at FROM appointments WHERE status = 'booked' ORDER BY starts_at")
    return [r["starts_at"] for r in rows]


# With Friday's 15:00 dermatology alone: (what the patient says, the wishes left for the new time)
MOVE_WORDS = {
    # QA C2: "del viernes" names the appointment (the earliest times are offered), it is not the new day.
    "the day names it": ("mover la del viernes", Wishes()),
    "its day, said as hers": ("quiero cambiar mi cita del viernes", Wishes()),
    "cannot go, change it": ("no puedo ir el viernes, ¿me la cambia?", Wishes()),
    "postpone": ("postergar", Wishes()),
    "bring forward": ("adelantar", Wishes()),
    "to another day": ("pasarla para el jueves", Wishes(day=at(7, 0).date())),
    "its hour names it": ("yo quería cambiar la de las 15:00, no sacar otra", Wishes()),
    "the one she holds": ("no, quería cambiar la que tengo", Wishes()),
}


@pytest.mark.parametrize(("says", "wishes"), MOVE_WORDS.values(), ids=MOVE_WORDS.keys())
async def test_move_words_move_the_appointment_held(
    bench: DialogBench, friday: ListedAppointment, says: str, wishes: Wishes
) -> None:
    outcome = await bench.say(MARIA, says)

    assert (outcome.state.flow, outcome.state.step) == (Flow.RESCHEDULE, Step.SLOT_CHOICE)
    assert (outcome.state.appointment, outcome.state.wishes) == (friday, wishes)
    assert {s.doctor_id for s in outcome.state.offered} == {friday.doctor_id}


# With Tuesday's pediatrics at 10:00 and Wednesday's cardiology at 09:00: (what the patient says, which is chosen:
# 0 Tuesday, 1 Wednesday, None both listed, the wishes left for the new time)
NAMED = {
    "its hour": ("quiero cambiar la de las 10", 0, Wishes()),
    "its specialty": ("quiero cambiar la de cardiología", 1, Wishes(specialty="cardiologia")),
    "its day, and a new hour that day": (
        "cambiar la del martes a las 11",
        0,
        Wishes(day=at(5, 0).date(), clock=at(5, 11).time()),
    ),
    "a new day names neither": ("quiero cambiar mi cita para el jueves", None, Wishes(day=at(7, 0).date())),
}


@pytest.mark.parametrize(("says", "chosen", "wishes"), NAMED.values(), ids=NAMED.keys())
async def test_the_words_name_which_to_move(
    bench: DialogBench,
    tuesday: ListedAppointment,
    wednesday: ListedAppointment,
    says: str,
    chosen: int | None,
    wishes: Wishes,
) -> None:
    outcome = await bench.say(MARIA, says)

    assert outcome.state.wishes == wishes
    if chosen is None:
        assert (outcome.state.step, outcome.state.listed) == (Step.APPOINTMENT_CHOICE, (tuesday, wednesday))
    else:
        assert (outcome.state.step, outcome.state.appointment) == (Step.SLOT_CHOICE, (tuesday, wednesday)[chosen])


# At the list of both, moving: (what the patient says, which is chosen, the first slot offered)
MOVE_CHOICES = {
    "its hour": ("la de las 9", 1, at(7, 9)),
    "a number, the new day asked before kept": ("1", 0, at(7, 8)),
}


@pytest.mark.parametrize(("says", "chosen", "first"), MOVE_CHOICES.values(), ids=MOVE_CHOICES.keys())
async def test_a_move_choice_keeps_the_new_time_asked(
    bench: DialogBench,
    tuesday: ListedAppointment,
    wednesday: ListedAppointment,
    says: str,
    chosen: int,
    first: datetime,
) -> None:
    listed = (tuesday, wednesday)
    state = MOVE.but(step=Step.APPOINTMENT_CHOICE, listed=listed, wishes=Wishes(day=at(7, 0).date()))

    outcome = await bench.say(MARIA, says, state)

    assert (outcome.state.step, outcome.state.appointment) == (Step.SLOT_CHOICE, listed[chosen])
    assert outcome.state.offered[0].starts_at == first


async def test_a_booking_turned_into_a_move_moves_at_the_time_asked(
    bench: DialogBench, conn: asyncpg.Connection, friday: ListedAppointment
) -> None:
    asked = await bench.say(MARIA, "quiero una cita de dermatología el viernes a las 5 de la tarde", BOOK)
    assert asked.state.offered[1].starts_at == at(8, 17)

    turned = await bench.say(MARIA, "no, quería cambiar la que tengo", asked.state)

    assert (turned.state.flow, turned.state.appointment) == (Flow.RESCHEDULE, friday)
    assert [s.starts_at for s in turned.state.offered] == [at(8, 16, 30), at(8, 17), at(8, 17, 30)]
    chosen = await bench.say(MARIA, "2", turned.state)
    moved = await bench.say(MARIA, "sí", chosen.state)
    assert moved.action is Action.RESCHEDULE_APPOINTMENT
    assert await upcoming_starts(conn) == [at(8, 17)]


async def test_a_booking_turned_into_a_move_by_the_held_hour_moves_to_the_hour_booked(
    bench: DialogBench, conn: asyncpg.Connection, friday: ListedAppointment
) -> None:
    # The patient: Friday at 5 asked for, then "the one at 15:00": 15:00 names hers, 17:00 is where to.
    asked = await bench.say(MARIA, "quiero una cita de dermatología el viernes a las 5 de la tarde", BOOK)

    turned = await bench.say(MARIA, "yo quería cambiar la de las 15:00, no sacar otra", asked.state)

    assert (turned.state.flow, turned.state.appointment) == (Flow.RESCHEDULE, friday)
    assert [s.starts_at for s in turned.state.offered] == [at(8, 16, 30), at(8, 17), at(8, 17, 30)]
    chosen = await bench.say(MARIA, "la de las 5", turned.state)
    moved = await bench.say(MARIA, "sí", chosen.state)
    assert moved.action is Action.RESCHEDULE_APPOINTMENT
    assert await upcoming_starts(conn) == [at(8, 17)]


async def test_a_move_at_a_bookings_slots_is_not_a_choice_of_them(
    bench: DialogBench, conn: asyncpg.Connection, friday: ListedAppointment
) -> None:
    asked = await bench.say(MARIA, "quiero una cita de dermatología el viernes a las 3 de la tarde", BOOK)
    assert at(8, 15, 30) in [s.starts_at for s in asked.state.offered]

    turned = await bench.say(MARIA, "yo quería cambiar la de las 15:30, no sacar otra", asked.state)

    assert (turned.state.flow, turned.state.step) == (Flow.RESCHEDULE, Step.SLOT_CHOICE)
    assert turned.state.appointment == friday
    assert await upcoming_starts(conn) == [at(8, 15)]


async def test_a_change_of_hour_at_a_bookings_slots_asks_other_times(
    bench: DialogBench, conn: asyncpg.Connection, friday: ListedAppointment
) -> None:
    asked = await bench.say(MARIA, "quiero una cita de dermatología el viernes a las 3 de la tarde", BOOK)

    other = await bench.say(MARIA, "¿puedo cambiar de hora?", asked.state)

    assert (other.state.flow, other.state.step, other.state.appointment) == (Flow.BOOK, Step.SLOT_CHOICE, None)
    assert min(s.starts_at for s in other.state.offered) > max(s.starts_at for s in asked.state.offered)


async def test_a_move_choice_by_its_day_with_a_new_hour_free_confirms_that_hour(
    bench: DialogBench, tuesday: ListedAppointment, wednesday: ListedAppointment
) -> None:
    # Issue 16: "lunes 28 de diciembre a las 10" for the one on Monday 28 at 08:30 offered today's 10:00.
    state = MOVE.but(step=Step.APPOINTMENT_CHOICE, listed=(tuesday, wednesday), wishes=Wishes(day=at(7, 0).date()))

    outcome = await bench.say(MARIA, "el martes 5 de marzo a las 11", state)

    assert (outcome.state.step, outcome.state.appointment) == (Step.CONFIRM, tuesday)
    assert outcome.state.chosen is not None and outcome.state.chosen.starts_at == at(5, 11)


async def test_an_appointment_named_in_passing_is_said_with_the_earliest_times(
    bench: DialogBench, friday: ListedAppointment
) -> None:
    # QA C2: "quiero cambiar mi cita del viernes" listed the Friday she is leaving and never said which one moves.
    outcome = await bench.say(MARIA, "quiero cambiar mi cita del viernes")

    assert (outcome.state.step, outcome.state.appointment) == (Step.SLOT_CHOICE, friday)
    assert outcome.state.offered[0].starts_at == at(5, 14)
    assert outcome.text is not None
    assert outcome.text.startswith(f"{replies.moving(appointment_text(friday))} Estos son")


async def test_a_free_hour_at_the_new_times_of_a_move_is_confirmed(
    bench: DialogBench, friday: ListedAppointment
) -> None:
    # QA C2: "me la puede pasar para el lunes?", then "la de las 4 porfa" listed 15:40 to 16:20 again.
    offered = await bench.say(MARIA, "quiero cambiar mi cita del viernes")
    thursday = await bench.say(MARIA, "me la puede pasar para el jueves?", offered.state)
    assert thursday.state.offered[0].starts_at.date() == at(7, 0).date()

    outcome = await bench.say(MARIA, "la de las 4 porfa", thursday.state)

    assert (outcome.state.step, outcome.state.appointment) == (Step.CONFIRM, friday)
    assert outcome.state.chosen is not None and outcome.state.chosen.starts_at == at(7, 16)


@pytest.fixture
async def husbands(bench: DialogBench, conn: asyncpg.Connection) -> ListedAppointment:
    """María's husband's cardiology on Wednesday at 09:00, booked from her phone."""
    maria = await bench.patient(MARIA)
    husband = await repository.add_dependent(
        conn, holder_id=maria.id, full_name="Pedro Mamani Quispe", date_of_birth=date(1979, 3, 3), relation="esposo"
    )
    assert husband is not None
    [slot] = [s for s in await bench.free("cardiologia") if s.starts_at == at(6, 9)]
    held = await booking.book(
        conn,
        patient_id=husband.id,
        doctor_id=slot.doctor_id,
        starts_at=slot.starts_at,
        now=bench.now,
        tz=LA_PAZ,
        min_notice=SETTINGS.min_notice,
        max_upcoming=SETTINGS.max_upcoming,
    )
    return ListedAppointment.of(held, husband.full_name)


# At the list of hers and her husband's, moving: (what she says, which is chosen: 0 hers, 1 his)
WHOSE = {
    "hers, not her husband's": ("la mía, no la de mi esposo", 0),
    "her husband's": ("la de mi esposo", 1),
}


@pytest.mark.parametrize(("says", "chosen"), WHOSE.values(), ids=WHOSE.keys())
async def test_whose_it_is_names_the_appointment(
    bench: DialogBench, tuesday: ListedAppointment, husbands: ListedAppointment, says: str, chosen: int
) -> None:
    listed = (tuesday, husbands)
    state = MOVE.but(step=Step.APPOINTMENT_CHOICE, listed=listed)

    outcome = await bench.say(MARIA, says, state)

    assert (outcome.state.step, outcome.state.appointment) == (Step.SLOT_CHOICE, listed[chosen])


async def test_a_new_time_at_the_appointment_list_is_kept_until_she_says_which(
    bench: DialogBench, tuesday: ListedAppointment, husbands: ListedAppointment
) -> None:
    # QA C10: "me la puede pasar para el martes?" listed all three again; "la de las 10" started a booking.
    listed = (tuesday, husbands)
    state = MOVE.but(step=Step.APPOINTMENT_CHOICE, listed=listed)
    asked_again = (await bench.say(MARIA, "el perro ladra", state)).text  # the list, as asked again

    day = await bench.say(MARIA, "me la puede pasar para el jueves?", state)
    assert (day.state, day.text) == (state.but(wishes=Wishes(day=at(7, 0).date())), asked_again)

    hour = await bench.say(MARIA, "la de las 11", day.state)
    assert hour.state == day.state.but(wishes=Wishes(day=at(7, 0).date(), clock=at(7, 11).time()))
    assert hour.text == asked_again

    outcome = await bench.say(MARIA, "la mía, no la de mi esposo", hour.state)
    assert (outcome.state.flow, outcome.state.step, outcome.state.appointment) == (
        Flow.RESCHEDULE,
        Step.CONFIRM,
        tuesday,
    )
    assert outcome.state.chosen is not None and outcome.state.chosen.starts_at == at(7, 11)
