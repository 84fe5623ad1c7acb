"""Reminders in the conversation: the consent question, "baja" and "quiero recordatorios", and a reminder's buttons.

State in, message understood, state and reply out, through `Dialog.respond` on the demo clinic at Monday 09:00
(no HTTP, no model). María holds pediatrics on Tuesday at 10:00 in the button tests; Juan is another phone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime

import asyncpg
import pytest

from appointments import booking, demo, repository
from appointments.schemas import Appointment
from gateway.conversation import replies, wording
from gateway.conversation.buttons import ButtonKind, bare_title, payload, reminder_button
from gateway.conversation.state import DialogState, Flow, ListedAppointment, Step, Wishes
from tests.support.dialog import KEY, LA_PAZ, DialogBench, dialog_bench

MARIA = demo.MARIA.phone
JUAN = demo.JUAN.phone
STRANGER = "+59177777777"
ASKED = DialogState(step=Step.REMINDERS_CONSENT, reminders_asked=True)
SPECIALTIES = {"pediatria": "Pediatría", "cardiologia": "Cardiología"}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=LA_PAZ)


@pytest.fixture
async def bench(conn: asyncpg.Connection, redis_url: str) -> AsyncIterator[DialogBench]:
    async with dialog_bench(conn, redis_url) as bench:
        yield bench


async def book_at(bench: DialogBench, phone: str, specialty: str, starts_at: datetime) -> Appointment:
    [slot] = [s for s in await bench.free(specialty) if s.starts_at == starts_at]
    return await bench.booked(phone, slot)


@pytest.fixture
async def tuesday(bench: DialogBench) -> Appointment:
    return await book_at(bench, MARIA, "pediatria", at(5, 10))


async def consent(conn: asyncpg.Connection, phone: str) -> tuple[bool | None, datetime | None]:
    row = await conn.fetchrow("SELECT reminders_consent, reminders_consent_at FROM patients WHERE phone = $1", phone)
    assert row is not None
    return row["reminders_consent"], row["reminders_consent_at"]


async def confirmed_at(conn: asyncpg.Connection, appointment: Appointment) -> datetime | None:
    when: datetime | None = await conn.fetchval("SELECT confirmed_at FROM appointments WHERE id = $1", appointment.id)
    return when


def said(appointment: Appointment, for_name: str | None = None) -> str:
    return wording.appointment_text(ListedAppointment.of(appointment, for_name), LA_PAZ, SPECIALTIES)


# --- consent -----------------------------------------------------------------------------------


async def book_by_dialog(bench: DialogBench, state: DialogState | None = None) -> str | None:
    """María books the first pediatrics slot offered, in three messages; the last reply."""
    offered = await bench.say(MARIA, "quiero una cita con pediatría", state)
    chosen = await bench.say(MARIA, "1", offered.state)
    booked = await bench.say(MARIA, "sí", chosen.state)
    assert booked.appointment is not None
    return booked.text


async def test_the_question_follows_a_first_booking_and_not_one_answered(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    await bench.verified(MARIA)

    first = await book_by_dialog(bench)
    answered = await bench.say(MARIA, "sí, por favor", ASKED)
    second = await book_by_dialog(bench)

    assert first is not None and first.endswith(replies.REMINDERS_QUESTION)
    assert answered.text == replies.REMINDERS_ON
    assert second is not None and replies.REMINDERS_QUESTION not in second


async def test_a_question_left_unanswered_is_not_asked_again_in_the_conversation(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    await bench.verified(MARIA)

    moved_on = await bench.say(MARIA, "muchas gracias", ASKED)
    again = await book_by_dialog(bench, moved_on.state)

    assert moved_on.state.step is None and moved_on.text != replies.REMINDERS_ON
    assert again is not None and replies.REMINDERS_QUESTION not in again
    assert await consent(conn, MARIA) == (None, None)


# (the answer, what is stored, the reply)
ANSWERS = {
    "yes": ("sí", True, replies.REMINDERS_ON),
    "yes with words": ("Sí, me parece bien", True, replies.REMINDERS_ON),
    "no": ("no", False, replies.REMINDERS_DECLINED),
    "no thanks": ("no gracias", False, replies.REMINDERS_DECLINED),
}


@pytest.mark.parametrize(("says", "stored", "reply"), ANSWERS.values(), ids=ANSWERS.keys())
async def test_the_answer_is_stored_with_its_time_and_audited(
    bench: DialogBench, conn: asyncpg.Connection, says: str, stored: bool, reply: str
) -> None:
    await bench.verified(MARIA)

    outcome = await bench.say(MARIA, says, ASKED)

    assert (outcome.state, outcome.text) == (DialogState(reminders_asked=True), reply)
    assert await consent(conn, MARIA) == (stored, bench.now)
    assert bench.audited == [("patient.reminders_consent", "success")]
    actor = await conn.fetchval("SELECT actor FROM audit_log WHERE action = 'patient.reminders_consent'")
    assert actor == f"patient:{(await bench.patient(MARIA)).id}"


OPT_OUTS = ["baja", "STOP", "no quiero recordatorios", "ya no me manden mensajes", "quiero darme de baja"]


@pytest.mark.parametrize("says", OPT_OUTS)
async def test_opting_out_needs_no_verification(bench: DialogBench, conn: asyncpg.Connection, says: str) -> None:
    outcome = await bench.say(MARIA, says)  # María is not verified

    assert (outcome.state, outcome.text) == (DialogState(), replies.REMINDERS_OFF)
    assert await consent(conn, MARIA) == (False, bench.now)


async def test_opting_out_keeps_a_booking_under_way_and_ends_a_pending_question(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    booking = DialogState(flow=Flow.BOOK, step=Step.SPECIALTY)

    during = await bench.say(MARIA, "stop", booking)
    after_question = await bench.say(MARIA, "no quiero recordatorios", ASKED)

    assert (during.state, during.text) == (booking, replies.REMINDERS_OFF)
    assert (after_question.state.step, after_question.text) == (None, replies.REMINDERS_OFF)


async def test_opting_out_from_a_phone_the_clinic_does_not_know_is_confirmed_and_stores_nothing(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    outcome = await bench.say(STRANGER, "baja")

    assert outcome.text == replies.REMINDERS_OFF
    assert await conn.fetchval("SELECT count(*) FROM patients WHERE phone = $1", STRANGER) == 0
    assert bench.audited == []


async def test_a_sentence_with_baja_in_it_opts_nobody_out(bench: DialogBench, conn: asyncpg.Connection) -> None:
    outcome = await bench.say(MARIA, "tengo la presión baja")

    assert outcome.text != replies.REMINDERS_OFF
    assert await consent(conn, MARIA) == (None, None)


async def test_opting_in_needs_verification(bench: DialogBench, conn: asyncpg.Connection) -> None:
    asked = await bench.say(MARIA, "quiero recordatorios")

    assert (asked.state.flow, asked.state.step) == (Flow.REMINDERS, Step.IDENTITY)
    assert await consent(conn, MARIA) == (None, None)

    await bench.verified(MARIA)
    stored = await bench.say(MARIA, "quiero recibir recordatorios")

    assert (stored.state, stored.text) == (DialogState(), replies.REMINDERS_ON)
    assert await consent(conn, MARIA) == (True, bench.now)


async def test_a_yes_to_the_question_once_the_verification_lapsed_asks_for_it_first(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    outcome = await bench.say(MARIA, "sí", ASKED)

    assert (outcome.state.flow, outcome.state.step) == (Flow.REMINDERS, Step.IDENTITY)
    assert await consent(conn, MARIA) == (None, None)


async def test_a_registration_with_nothing_else_under_way_asks_the_question(bench: DialogBench) -> None:
    await bench.otp.send_code(STRANGER, KEY)
    [code] = bench.sms.codes()
    registering = DialogState(
        step=Step.CODE,
        registering_name="Pedro Mamani",
        registering_birth_date=date(1990, 3, 12),
        registering_document="1234567 LP",
    )

    registered = await bench.say(STRANGER, code, registering)

    assert registered.text == f"{replies.VERIFIED}\n\n{replies.REMINDERS_QUESTION}"
    # Left unanswered, it is asked again at the first booking (QA: a question ignored at registration was never
    # asked again, and the patient's wish never known).
    assert registered.state == DialogState(step=Step.REMINDERS_CONSENT)
    booking = await bench.say(STRANGER, "quiero una cita con pediatría", registered.state)
    chosen = await bench.say(STRANGER, "1", booking.state)
    booked = await bench.say(STRANGER, "sí", chosen.state)
    assert booked.text is not None and booked.text.endswith(replies.REMINDERS_QUESTION)
    assert booked.state == ASKED


# --- a reminder's buttons --------------------------------------------------------------------------


def test_a_payload_is_read_and_the_title_alone_is_no_button() -> None:
    found = reminder_button("confirm:3f2a91c0-0000-4000-8000-000000000001")

    assert found is not None and found.kind is ButtonKind.CONFIRM
    assert str(found.appointment_id) == "3f2a91c0-0000-4000-8000-000000000001"
    assert reminder_button("Confirmar") is None
    assert bare_title("Confirmar") is ButtonKind.CONFIRM
    assert reminder_button("cancelar mi cita") is None
    malformed = reminder_button("cancel:abc")
    assert malformed is not None and malformed.appointment_id is None


async def test_confirmar_records_the_confirmation_once(
    bench: DialogBench, conn: asyncpg.Connection, tuesday: Appointment
) -> None:
    await bench.verified(MARIA)
    tap = payload(ButtonKind.CONFIRM, tuesday.id)

    confirmed = await bench.say(MARIA, tap, DialogState(flow=Flow.BOOK, step=Step.SPECIALTY))
    audited = bench.audited
    again = await bench.say(MARIA, tap)

    assert (confirmed.state, confirmed.text) == (DialogState(), replies.attendance_confirmed(said(tuesday)))
    assert audited == [("appointment.confirmed", "success")]
    assert again.text == replies.attendance_already_confirmed(said(tuesday))
    assert await confirmed_at(conn, tuesday) == bench.now


async def test_a_button_tapped_while_a_move_awaits_its_yes_says_the_move_was_not_made(
    bench: DialogBench, tuesday: Appointment
) -> None:
    # QA: "¿Confirma que cambiamos su cita…?" was pending, the old reminder's Confirmar came in, and the move was
    # dropped without a word; the next "sí" got a generic answer.
    await bench.verified(MARIA)
    moving = DialogState(
        flow=Flow.RESCHEDULE,
        step=Step.CONFIRM,
        appointment=ListedAppointment.of(tuesday),
        wishes=Wishes(reference=str(tuesday.id)),
    )

    outcome = await bench.say(MARIA, payload(ButtonKind.CONFIRM, tuesday.id), moving)

    assert outcome.text == f"{replies.attendance_confirmed(said(tuesday))}\n\n{replies.LEFT_UNFINISHED['reschedule']}"
    assert outcome.state.flow is None


async def test_confirmar_on_an_unverified_phone_asks_who_it_is_first(
    bench: DialogBench, conn: asyncpg.Connection, tuesday: Appointment
) -> None:
    outcome = await bench.say(MARIA, payload(ButtonKind.CONFIRM, tuesday.id))

    assert (outcome.state.flow, outcome.state.step) == (Flow.ATTEND, Step.IDENTITY)
    assert await confirmed_at(conn, tuesday) is None
    # Once the code is right, the same state goes on to the confirmation.
    await bench.otp.send_code(MARIA, KEY)
    [code] = bench.sms.codes()
    resumed = await bench.say(MARIA, code, outcome.state.but(step=Step.CODE))
    assert resumed.text == f"{replies.VERIFIED}\n{replies.attendance_confirmed(said(tuesday))}"
    assert await confirmed_at(conn, tuesday) == bench.now


async def test_cambiar_offers_new_times_for_that_appointment(bench: DialogBench, tuesday: Appointment) -> None:
    await bench.verified(MARIA)
    await book_at(bench, MARIA, "cardiologia", at(6, 9))  # a second one: the button still names one

    outcome = await bench.say(MARIA, payload(ButtonKind.CHANGE, tuesday.id))

    assert outcome.state.flow is Flow.RESCHEDULE
    assert outcome.state.appointment == ListedAppointment.of(tuesday)
    assert outcome.state.step is Step.SLOT_CHOICE and outcome.state.offered


async def test_cancelar_asks_to_confirm_and_cancels_on_yes(
    bench: DialogBench, conn: asyncpg.Connection, tuesday: Appointment
) -> None:
    await bench.verified(MARIA)

    asked = await bench.say(MARIA, payload(ButtonKind.CANCEL, tuesday.id))
    done = await bench.say(MARIA, "sí", asked.state)

    assert (asked.state.step, asked.state.appointment) == (Step.CONFIRM, ListedAppointment.of(tuesday))
    assert asked.text == replies.confirm_cancel(said(tuesday))
    assert done.appointment is not None and done.appointment.id == tuesday.id
    assert await conn.fetchval("SELECT status FROM appointments WHERE id = $1", tuesday.id) == "cancelled"


@pytest.mark.parametrize("kind", list(ButtonKind))
async def test_another_phones_appointment_is_unknown_and_untouched(
    bench: DialogBench, conn: asyncpg.Connection, kind: ButtonKind
) -> None:
    juans = await book_at(bench, JUAN, "pediatria", at(5, 10))
    await bench.verified(MARIA)

    outcome = await bench.say(MARIA, payload(kind, juans.id))

    assert (outcome.state, outcome.text) == (DialogState(), replies.NOT_AMONG_YOURS)
    assert bench.audited[-1][1] == "denied"
    row = await conn.fetchrow("SELECT status, confirmed_at FROM appointments WHERE id = $1", juans.id)
    assert row is not None and (row["status"], row["confirmed_at"]) == ("booked", None)


@pytest.mark.parametrize("kind", list(ButtonKind))
async def test_a_cancelled_appointment_gets_a_clear_answer(
    bench: DialogBench, conn: asyncpg.Connection, tuesday: Appointment, kind: ButtonKind
) -> None:
    await bench.verified(MARIA)
    await conn.execute(
        "UPDATE appointments SET status = 'cancelled', cancelled_at = $2 WHERE id = $1", tuesday.id, bench.now
    )

    outcome = await bench.say(MARIA, payload(kind, tuesday.id))

    assert (outcome.state, outcome.text) == (DialogState(), replies.already_cancelled(said(tuesday)))
    assert await confirmed_at(conn, tuesday) is None


@pytest.mark.parametrize("kind", list(ButtonKind))
async def test_a_past_appointment_gets_a_clear_answer(
    bench: DialogBench, conn: asyncpg.Connection, tuesday: Appointment, kind: ButtonKind
) -> None:
    bench.now = at(5, 11)
    await bench.verified(MARIA)

    outcome = await bench.say(MARIA, payload(kind, tuesday.id))

    assert (outcome.state, outcome.text) == (DialogState(), replies.already_past(said(tuesday)))
    assert await conn.fetchval("SELECT status FROM appointments WHERE id = $1", tuesday.id) == "booked"


async def test_a_malformed_payload_is_answered_as_unknown(bench: DialogBench) -> None:
    await bench.verified(MARIA)

    outcome = await bench.say(MARIA, "cancel:no-es-un-id")

    assert (outcome.state, outcome.text) == (DialogState(), replies.NOT_AMONG_YOURS)


async def test_the_buttons_title_alone_confirms_nothing(
    bench: DialogBench, conn: asyncpg.Connection, tuesday: Appointment
) -> None:
    await bench.verified(MARIA)

    outcome = await bench.say(MARIA, "Confirmar")

    assert await conn.fetchval("SELECT count(*) FROM appointments WHERE confirmed_at IS NOT NULL") == 0
    assert ("appointment.confirmed", "success") not in bench.audited
    assert (outcome.state, outcome.text) == (DialogState(), replies.CONFIRM_WITHOUT_APPOINTMENT)


async def test_confirmar_on_a_sons_appointment_names_him(bench: DialogBench, conn: asyncpg.Connection) -> None:
    maria = await bench.patient(MARIA)
    mateo = await repository.add_dependent(
        conn, holder_id=maria.id, full_name="Mateo López", date_of_birth=date(2020, 3, 12), relation="hijo"
    )
    assert mateo is not None
    [slot] = [s for s in await bench.free("pediatria") if s.starts_at == at(5, 10)]
    his = await booking.book(
        conn, patient_id=mateo.id, doctor_id=slot.doctor_id, starts_at=slot.starts_at, now=bench.now, tz=LA_PAZ
    )
    await bench.verified(MARIA)

    outcome = await bench.say(MARIA, payload(ButtonKind.CONFIRM, his.id))

    assert outcome.text == replies.attendance_confirmed(said(his, "Mateo López"), "Mateo López")
    assert await confirmed_at(conn, his) == bench.now
