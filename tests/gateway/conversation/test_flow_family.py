"""Family members: one phone, several patients. Who a booking is for, adding a member, and the family's listing
and cancelling.

State in, message understood, state and reply out, through `Dialog.respond` on the demo clinic at Monday 09:00
(no HTTP, no model). María (verified) is the phone's holder; Mateo, her son, is added in the tests that need him.
Pediatrics has one doctor with 30-minute slots, and an hour's notice: 10:00 is the first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime

import asyncpg
import pytest

from appointments import booking, demo, repository
from appointments.schemas import Appointment, Patient, Slot
from gateway.conversation import choices, replies, wording
from gateway.conversation.flows.common import appointment_lines
from gateway.conversation.reply import Action
from gateway.conversation.state import DialogState, Flow, ListedAppointment, Member, OfferedSlot, Step, Wishes
from tests.support.dialog import LA_PAZ, SETTINGS, DialogBench, dialog_bench

MARIA = demo.MARIA.phone
JUAN = demo.JUAN.phone
PEDIATRICS = DialogState(flow=Flow.BOOK, wishes=Wishes(specialty="pediatria"))
NAMES = {"pediatria": "Pediatría", "medicina_general": "Medicina general"}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=LA_PAZ)


@pytest.fixture
async def bench(conn: asyncpg.Connection, redis_url: str) -> AsyncIterator[DialogBench]:
    async with dialog_bench(conn, redis_url) as bench:
        await bench.verified(MARIA)
        yield bench


async def add(bench: DialogBench, phone: str, name: str, relation: str | None = "hijo") -> Patient:
    holder = await bench.patient(phone)
    added = await repository.add_dependent(
        bench.conn, holder_id=holder.id, full_name=name, date_of_birth=date(2027, 1, 15), relation=relation
    )
    assert added is not None
    return added


async def book_for(bench: DialogBench, patient: Patient, slot: Slot) -> Appointment:
    """An appointment a family member already holds, booked outside the dialog."""
    return await booking.book(
        bench.conn,
        patient_id=patient.id,
        doctor_id=slot.doctor_id,
        starts_at=slot.starts_at,
        now=bench.now,
        tz=LA_PAZ,
        min_notice=SETTINGS.min_notice,
    )


@pytest.fixture
async def mateo(bench: DialogBench) -> Patient:
    return await add(bench, MARIA, "Mateo López")


def member(patient: Patient) -> Member:
    return Member(id=patient.id, full_name=patient.full_name, holder=patient.holder_id is None)


def starts(state: DialogState) -> list[datetime]:
    return [slot.starts_at for slot in state.offered]


@pytest.fixture
async def confirming(bench: DialogBench) -> DialogState:
    """Asked to confirm pediatrics on Monday at 10:00, nobody named yet."""
    first = OfferedSlot.of((await bench.free("pediatria"))[0])
    return PEDIATRICS.but(step=Step.CONFIRM, offered=(first,), chosen=first)


async def test_a_phone_without_family_is_never_asked_who_it_is_for(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "quiero una cita con pediatría")

    assert (outcome.state.step, outcome.state.member) == (Step.SLOT_CHOICE, None)


async def test_a_phone_with_family_is_asked_who_the_appointment_is_for(bench: DialogBench, mateo: Patient) -> None:
    outcome = await bench.say(MARIA, "quiero una cita con pediatría")

    assert outcome.state == PEDIATRICS.but(step=Step.FOR_WHOM)
    assert outcome.text == replies.for_whom(["Mateo López"])
    assert [o.title for o in outcome.options] == ["Para mí", "Mateo López", "Otra persona"]


async def test_a_relative_told_about_in_a_request_asks_who_it_is_for(bench: DialogBench) -> None:
    # QA: "mi esposo se queja…, quiero cita" was booked under the wife's own name.
    asked = await bench.say(MARIA, "mi esposo se queja de dolor de espalda, quiero cita con medicina general")

    assert (asked.state.step, asked.text) == (Step.FOR_WHOM, replies.for_whom([]))
    for_him = await bench.say(MARIA, "para mi esposo", asked.state)
    assert (for_him.state.step, for_him.text) == (Step.MEMBER_NAME, replies.ask_member_name("esposo"))
    for_her = await bench.say(MARIA, "1", asked.state)
    assert for_her.state.step is Step.SLOT_CHOICE
    assert for_her.state.member == member(await bench.patient(MARIA))


@pytest.mark.parametrize("step", ["slots", "confirmation"])
async def test_who_it_is_for_said_again_at_the_slots_settles_it_again(
    bench: DialogBench, mateo: Patient, step: str
) -> None:
    # QA: the son was chosen, then "no, la cita es para mí" at the slots still asked to confirm the son's.
    for_him = await bench.say(MARIA, "2", PEDIATRICS.but(step=Step.FOR_WHOM))
    at = for_him if step == "slots" else await bench.say(MARIA, "1", for_him.state)
    assert at.state.member == member(mateo)

    for_her = await bench.say(MARIA, "no, la cita es para mí", at.state)

    assert (for_her.state.step, for_her.state.member) == (Step.SLOT_CHOICE, member(await bench.patient(MARIA)))


# At "¿Para quién es la cita?" with María and Mateo on the phone: (says, the step next, who it is for: None,
# "maria" or "mateo")
FOR_WHOM_ANSWERS = {
    "the holder's number": ("1", Step.SLOT_CHOICE, "maria"),
    "the son's number": ("2", Step.SLOT_CHOICE, "mateo"),
    "para mí": ("para mí", Step.SLOT_CHOICE, "maria"),
    "para mi hijo": ("es para mi hijo", Step.SLOT_CHOICE, "mateo"),
    "his name": ("mateo", Step.SLOT_CHOICE, "mateo"),
    "someone else's number": ("3", Step.MEMBER_NAME, None),
    "otra persona": ("otra persona", Step.MEMBER_NAME, None),
    "a daughter not yet registered: her name": ("para mi hija", Step.MEMBER_NAME, None),
    "nothing of the kind": ("el perro ladra", Step.FOR_WHOM, None),
}


@pytest.mark.parametrize(("says", "step", "who"), FOR_WHOM_ANSWERS.values(), ids=FOR_WHOM_ANSWERS.keys())
async def test_for_whom(bench: DialogBench, mateo: Patient, says: str, step: Step, who: str | None) -> None:
    maria = await bench.patient(MARIA)

    outcome = await bench.say(MARIA, says, PEDIATRICS.but(step=Step.FOR_WHOM))

    assert outcome.state.step is step
    expected = {"maria": member(maria), "mateo": member(mateo), None: None}[who]
    assert outcome.state.member == expected


async def test_an_answer_to_nothing_asks_who_again(bench: DialogBench, mateo: Patient) -> None:
    outcome = await bench.say(MARIA, "el perro ladra", PEDIATRICS.but(step=Step.FOR_WHOM))

    assert outcome.text == replies.for_whom_again(["Mateo López"])


async def test_a_request_that_names_the_son_is_not_asked_who(bench: DialogBench, mateo: Patient) -> None:
    outcome = await bench.say(MARIA, "quiero una cita con pediatría para mi hijo")

    assert (outcome.state.step, outcome.state.member) == (Step.SLOT_CHOICE, member(mateo))


async def test_two_sons_and_para_mi_hijo_asks_which(bench: DialogBench, mateo: Patient) -> None:
    await add(bench, MARIA, "Lucas López")

    outcome = await bench.say(MARIA, "quiero una cita con pediatría para mi hijo")

    assert outcome.state.step is Step.FOR_WHOM
    assert outcome.text == replies.for_whom(["Mateo López", "Lucas López"])


async def test_availability_is_the_family_members_own(bench: DialogBench, mateo: Patient) -> None:
    one_per_time = {s.starts_at: s for s in await bench.free("medicina_general")}
    await bench.booked(MARIA, one_per_time[at(4, 10, 20)])
    asking = DialogState(flow=Flow.BOOK, wishes=Wishes(specialty="medicina_general"), step=Step.FOR_WHOM)

    for_her = await bench.say(MARIA, "1", asking)
    for_him = await bench.say(MARIA, "2", asking)

    # María is busy at 10:20; her son is not, and the clinic's other general doctor is free then.
    assert starts(for_her.state) == [at(4, 10), at(4, 10, 40), at(4, 11)]
    assert starts(for_him.state) == [at(4, 10), at(4, 10, 20), at(4, 10, 40)]


async def test_moving_the_sons_appointment_looks_for_times_free_for_him(bench: DialogBench, mateo: Patient) -> None:
    free = await bench.free("medicina_general")
    his = await book_for(bench, mateo, free[-1])
    same_doctor = [s for s in free if s.doctor_id == his.doctor_id]
    # María holds 10:20 with the other general doctor: busy for her, not for her son.
    other_doctor = next(s for s in free if s.doctor_id != his.doctor_id and s.starts_at == same_doctor[1].starts_at)
    await bench.booked(MARIA, other_doctor)

    offered = await bench.say(MARIA, "quiero cambiar la cita de mi hijo")

    assert offered.state.appointment == ListedAppointment.of(his, "Mateo López")
    assert starts(offered.state) == [s.starts_at for s in same_doctor[:3]]
    old, new = (wording.day_and_time(t, LA_PAZ) for t in (his.starts_at, same_doctor[1].starts_at))
    asked = await bench.say(MARIA, "2", offered.state)
    assert asked.text == replies.confirm_reschedule(old, new, "Mateo López")
    moved = await bench.say(MARIA, "sí", asked.state)
    assert moved.action is Action.RESCHEDULE_APPOINTMENT
    assert moved.text.startswith("¡Listo! La cita de Mateo López con ")


async def test_leaving_a_move_of_the_sons_appointment_says_his_stays(bench: DialogBench, mateo: Patient) -> None:
    free = await bench.free("pediatria")
    await book_for(bench, mateo, free[-1])
    offered = await bench.say(MARIA, "quiero cambiar la cita de mi hijo")

    left = await bench.say(MARIA, "ya olvídese", offered.state)

    assert left.text == replies.kept("Mateo López") == "De acuerdo, la cita de Mateo López se mantiene."


async def test_a_new_family_member_is_added_with_name_and_date_of_birth(bench: DialogBench) -> None:
    asked = await bench.say(MARIA, "quiero una cita para mi esposo")
    assert (asked.state.step, asked.text) == (Step.MEMBER_NAME, replies.ask_member_name("esposo"))

    named = await bench.say(MARIA, "roberto quispe mamani", asked.state)
    assert (named.state.step, named.text) == (
        Step.MEMBER_BIRTH_DATE,
        replies.ask_member_birth_date("Roberto Quispe Mamani"),
    )

    added = await bench.say(MARIA, "12/03/1980", named.state)

    [roberto] = await repository.dependents_of(bench.conn, holder_id=(await bench.patient(MARIA)).id)
    assert (roberto.full_name, roberto.date_of_birth, roberto.relation) == (
        "Roberto Quispe Mamani",
        date(1980, 3, 12),
        "esposo",
    )
    assert (added.state.step, added.state.member) == (Step.SPECIALTY, member(roberto))
    assert added.text is not None and added.text.startswith(replies.member_added("Roberto Quispe Mamani"))
    assert ("patient.member_added", "success") in bench.audited


async def test_a_name_or_date_not_read_is_asked_again(bench: DialogBench) -> None:
    naming = PEDIATRICS.but(step=Step.MEMBER_NAME)
    dating = naming.but(step=Step.MEMBER_BIRTH_DATE, wishes=PEDIATRICS.wishes.but(whom=None))

    not_a_name = await bench.say(MARIA, "123", naming)
    assert (not_a_name.state, not_a_name.text) == (naming, replies.MEMBER_NAME_AGAIN)
    named = await bench.say(MARIA, "Sofía López", naming)
    not_a_date = await bench.say(MARIA, "no me acuerdo", named.state)
    assert (not_a_date.state, not_a_date.text) == (named.state, replies.member_birth_date_again("Sofía López"))
    # With no name kept, the date question cannot stand: the name is asked.
    assert (await bench.say(MARIA, "12/03/2020", dating)).state.step is Step.MEMBER_NAME


async def test_yes_with_a_registered_sons_name_books_for_him(
    bench: DialogBench, mateo: Patient, confirming: DialogState
) -> None:
    assert confirming.chosen is not None
    outcome = await bench.say(MARIA, "sí confirmo, a nombre de mi hijo Mateo porfa", confirming)

    # Mateo uses his mother's phone: she is the one asked about reminders.
    asked = DialogState(step=Step.REMINDERS_CONSENT, reminders_asked=True)
    assert (outcome.state, outcome.action) == (asked, Action.SCHEDULE_APPOINTMENT)
    assert outcome.appointment is not None and outcome.appointment.patient_id == mateo.id
    when = wording.day_and_time(confirming.chosen.starts_at, LA_PAZ)
    reference = choices.reference_of(outcome.appointment.id)
    booked = replies.booked(when, "Dra. Lucía Vargas", "Pediatría", reference, "Mateo López")
    assert outcome.text == f"{booked}\n\n{replies.REMINDERS_QUESTION}"


async def test_yes_with_a_new_sons_name_asks_his_surnames_and_date_of_birth_then_books(
    bench: DialogBench, conn: asyncpg.Connection, confirming: DialogState
) -> None:
    asked = await bench.say(MARIA, "sí confirmo, a nombre de mi hijo Mateo porfa", confirming)
    assert (asked.state.step, asked.text) == (Step.MEMBER_NAME, replies.ask_member_full_name("Mateo"))
    # Only the surnames is enough: the first name was said already.
    named = await bench.say(MARIA, "López Quispe", asked.state)
    assert (named.state.step, named.text) == (
        Step.MEMBER_BIRTH_DATE,
        replies.ask_member_birth_date("Mateo López Quispe", "hijo"),
    )
    assert await conn.fetchval("SELECT count(*) FROM appointments") == 0

    booked = await bench.say(MARIA, "15 de enero de 2027", named.state)

    [new] = await repository.dependents_of(conn, holder_id=(await bench.patient(MARIA)).id)
    assert (new.full_name, new.relation, new.date_of_birth) == ("Mateo López Quispe", "hijo", date(2027, 1, 15))
    assert booked.action is Action.SCHEDULE_APPOINTMENT
    assert booked.appointment is not None and booked.appointment.patient_id == new.id
    assert booked.text is not None and booked.text.startswith(replies.member_added("Mateo López Quispe"))


async def test_a_full_name_typed_again_is_not_doubled(bench: DialogBench, confirming: DialogState) -> None:
    asked = await bench.say(MARIA, "sí, a nombre de mi hijo Mateo", confirming)

    named = await bench.say(MARIA, "mateo lópez quispe", asked.state)

    assert named.text == replies.ask_member_birth_date("Mateo López Quispe", "hijo")


async def test_a_name_without_a_yes_asks_to_confirm_for_him(
    bench: DialogBench, mateo: Patient, confirming: DialogState
) -> None:
    assert confirming.chosen is not None
    outcome = await bench.say(MARIA, "a nombre de mi hijo Mateo", confirming)

    when = wording.day_and_time(confirming.chosen.starts_at, LA_PAZ)
    assert outcome.state == confirming.but(
        member=member(mateo), wishes=outcome.state.wishes, confirmed=False, step=Step.CONFIRM
    )
    assert outcome.text == replies.confirm_booking(when, "Dra. Lucía Vargas", "Pediatría", "Mateo López")
    assert outcome.action is Action.NONE


async def test_a_yes_for_herself_on_a_phone_without_family_books_as_always(
    bench: DialogBench, confirming: DialogState
) -> None:
    outcome = await bench.say(MARIA, "sí, es para mí", confirming)

    maria = await bench.patient(MARIA)
    assert outcome.appointment is not None and outcome.appointment.patient_id == maria.id


async def test_the_listing_says_whose_each_appointment_is(bench: DialogBench, mateo: Patient) -> None:
    free = await bench.free("pediatria")
    hers = await bench.booked(MARIA, free[0])
    his = await book_for(bench, mateo, free[1])

    outcome = await bench.say(MARIA, "mis citas")

    listed = (ListedAppointment.of(hers), ListedAppointment.of(his, "Mateo López"))
    lines = appointment_lines(listed, LA_PAZ, NAMES)
    assert outcome.text == replies.upcoming(lines)
    assert lines[0].endswith("— para usted") and lines[1].endswith("— para Mateo López")


async def test_cancelling_the_sons_appointment(bench: DialogBench, mateo: Patient) -> None:
    free = await bench.free("pediatria")
    await bench.booked(MARIA, free[0])
    his = await book_for(bench, mateo, free[1])
    listed = ListedAppointment.of(his, "Mateo López")
    text = wording.appointment_text(listed, LA_PAZ, NAMES)

    asked = await bench.say(MARIA, "quiero cancelar la cita de mi hijo")
    assert (asked.state.step, asked.state.appointment) == (Step.CONFIRM, listed)
    assert asked.text == replies.confirm_cancel(text, "Mateo López")

    done = await bench.say(MARIA, "sí", asked.state)

    assert done.action is Action.CANCEL_APPOINTMENT
    assert done.text == replies.cancelled(text, "Mateo López")


async def test_another_phones_family_is_never_reached(bench: DialogBench) -> None:
    juans_son = await add(bench, JUAN, "Mateo Condori")
    await book_for(bench, juans_son, (await bench.free("pediatria"))[0])

    listing = await bench.say(MARIA, "mis citas")
    booking = await bench.say(MARIA, "quiero una cita con pediatría para Mateo")

    assert listing.text == replies.NO_UPCOMING
    # Juan's Mateo is not María's: she is asked his full name, to add a Mateo of her own.
    assert (booking.state.step, booking.state.member) == (Step.MEMBER_NAME, None)
    assert booking.text == replies.ask_member_full_name("Mateo")


async def test_a_yes_for_one_of_two_sons_asks_which_and_then_books(
    bench: DialogBench, mateo: Patient, confirming: DialogState
) -> None:
    lucas = await add(bench, MARIA, "Lucas López")

    asked = await bench.say(MARIA, "sí, para mi hijo", confirming)
    assert (asked.state.step, asked.state.confirmed) == (Step.FOR_WHOM, True)

    booked = await bench.say(MARIA, "3", asked.state)

    # The yes was said: choosing Lucas books at once, without asking to confirm again.
    assert booked.action is Action.SCHEDULE_APPOINTMENT
    assert booked.appointment is not None and booked.appointment.patient_id == lucas.id
    assert booked.state == DialogState(step=Step.REMINDERS_CONSENT, reminders_asked=True)
