"""The waitlist in the conversation: the invitation when nothing is free, joining (with and without consent),
listing and leaving, and the answers to an offer the notification service sent.

State in, message understood, state and reply out, through `Dialog.respond` on the demo clinic at Monday 09:00.
Cardiology (Dr. Fernando Gutiérrez) is closed for the whole search in the tests that need nothing free.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import partial

import asyncpg
import pytest

from appointments import booking, demo
from appointments.errors import SlotTaken
from gateway.conversation import choices, replies
from gateway.conversation.buttons import offer_button, offer_payload
from gateway.conversation.reply import Action
from gateway.conversation.state import DialogState, Flow, OfferedSlot, Step, Wishes
from gateway.understanding import understand
from gateway.understanding.emergencies import Emergency
from gateway.understanding.intents import Intent
from gateway.understanding.waitlist import OfferAnswer, WaitlistWish, offer_answer, waitlist_wish
from tests.support.dialog import KEY, LA_PAZ, MONDAY_9AM, SETTINGS, DialogBench, dialog_bench

MARIA = demo.MARIA.phone
JUAN = demo.JUAN.phone
CARDIOLOGIST = "Dr. Fernando Gutiérrez"


@pytest.fixture
async def bench(conn: asyncpg.Connection, redis_url: str) -> AsyncIterator[DialogBench]:
    async with dialog_bench(conn, redis_url) as bench:
        yield bench


async def close_cardiology(conn: asyncpg.Connection) -> None:
    doctor = await conn.fetchval("SELECT id FROM doctors WHERE full_name = $1", CARDIOLOGIST)
    for days in range(0, 20):
        await conn.execute(
            "INSERT INTO schedule_overrides (on_date, doctor_id, reason) VALUES ($1, $2, 'congress')",
            date(2030, 3, 4) + timedelta(days=days),
            doctor,
        )


async def set_consent(conn: asyncpg.Connection, phone: str, consent: bool | None) -> None:
    await conn.execute(
        "UPDATE patients SET reminders_consent = $2, reminders_consent_at = CASE WHEN $2::boolean IS NULL "
        "THEN NULL ELSE now() END WHERE phone = $1",
        phone,
        consent,
    )


async def entries(conn: asyncpg.Connection) -> list[tuple[str, str | None, str, date, date, str]]:
    rows = await conn.fetch(
        """
        SELECT p.full_name, d.full_name AS doctor, s.code, e.first_day, e.last_day, e.status
        FROM waitlist_entries e JOIN patients p ON p.id = e.patient_id JOIN specialties s ON s.id = e.specialty_id
        LEFT JOIN doctors d ON d.id = e.doctor_id ORDER BY e.id
        """
    )
    return [tuple(r) for r in rows]


def test_the_waitlist_words_are_read_and_nothing_else() -> None:
    assert waitlist_wish("mi lista de espera") is WaitlistWish.LIST
    assert waitlist_wish("¿En qué lista de espera estoy?") is WaitlistWish.LIST
    assert waitlist_wish("salir de la lista de espera") is WaitlistWish.LEAVE
    assert waitlist_wish("Sáqueme de la lista de espera por favor") is WaitlistWish.LEAVE
    assert waitlist_wish("darme de baja de la lista de espera") is WaitlistWish.LEAVE
    assert waitlist_wish("ya no kiero estar en la lista, saqueme nomas") is WaitlistWish.LEAVE
    assert waitlist_wish("no quiero seguir en la lista de espera") is WaitlistWish.LEAVE
    assert waitlist_wish("ya no quiero estar en la lista de precios") is None
    assert waitlist_wish("lista de espera") is WaitlistWish.JOIN
    assert waitlist_wish("anóteme en la lista de espera") is WaitlistWish.JOIN
    assert waitlist_wish("avíseme si se libera") is WaitlistWish.JOIN
    assert waitlist_wish("quiero entrar a la lista de espera") is WaitlistWish.JOIN
    assert waitlist_wish("me puede anotar en la lista") is WaitlistWish.JOIN
    others = (
        "quiero una cita",
        "tengo la presión baja",
        "¿hay espera larga?",
        "me pasa la lista de precios",
        "no, lista de espera no",
        "¿qué es la lista de espera?",
        "¿la lista de espera es larga?",
    )
    for other in others:
        assert waitlist_wish(other) is None, other


def test_an_offer_button_payload_reads_back() -> None:
    yes = offer_payload(accept=True, offer_id=42)
    assert yes == "waitlist_yes:42"
    assert offer_button(yes) is not None and offer_button(yes) == offer_button(" waitlist_yes:42 ")
    tapped = offer_button("waitlist_no:7")
    assert tapped is not None and (tapped.accept, tapped.offer_id) == (False, 7)
    assert offer_button("waitlist_yes:abc") is None
    assert offer_button("confirm:42") is None


async def test_nothing_free_invites_to_the_list_and_si_joins_a_consenting_patient(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    await close_cardiology(conn)
    await set_consent(conn, MARIA, True)
    await bench.verified(MARIA)

    invited = await bench.say(MARIA, "quiero una cita de cardiología")
    assert invited.state.step is Step.WAITLIST_JOIN
    assert invited.text == (
        "No encontré horarios libres en Cardiología en los próximos 14 días. "
        "¿Desea que le avisemos si se libera un horario en Cardiología entre el lunes 4 de marzo "
        "y el lunes 18 de marzo? Responda «sí» o «no»."
    )

    joined = await bench.say(MARIA, "sí, por favor", invited.state)
    assert joined.text is not None and joined.text.startswith("Listo, ya tiene su lugar en la lista de espera")
    assert "30 minutos" in joined.text
    assert joined.state.flow is None and joined.state.step is None
    assert await entries(conn) == [
        (demo.MARIA.full_name, None, "cardiologia", date(2030, 3, 4), date(2030, 3, 18), "waiting")
    ]
    assert ("waitlist.joined", "success") in bench.audited

    nothing_in_view = await bench.say(MARIA, "lista de espera")
    assert nothing_in_view.text == replies.WAITLIST_NEEDS_WHAT
    again = await bench.say(
        MARIA, "lista de espera", DialogState(flow=Flow.BOOK, wishes=Wishes(specialty="cardiologia"))
    )
    assert again.text is not None and again.text.startswith(
        "Ya está en la lista de espera para un horario en Cardiología"
    )
    assert len(await entries(conn)) == 1


async def test_no_to_the_invitation_joins_nothing(bench: DialogBench, conn: asyncpg.Connection) -> None:
    await close_cardiology(conn)
    await set_consent(conn, MARIA, True)
    await bench.verified(MARIA)
    invited = await bench.say(MARIA, "quiero una cita de cardiología")
    unclear = await bench.say(MARIA, "hola", invited.state)
    assert unclear.state.step is Step.WAITLIST_JOIN
    assert unclear.text is not None and unclear.text.startswith("Disculpe, no le entendí. ¿Desea que le avisemos")
    assert unclear.text.endswith("entre el lunes 4 de marzo y el lunes 18 de marzo? Responda «sí» o «no».")
    other = await bench.say(MARIA, "mejor con pediatría", invited.state)
    assert other.state.step is Step.SLOT_CHOICE  # another specialty named: its times, not the question
    declined = await bench.say(MARIA, "no, gracias", invited.state)
    assert declined.text == replies.WAITLIST_NOT_JOINED
    assert await entries(conn) == []


async def test_joining_asks_for_consent_when_never_asked_and_refuses_when_refused(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    await close_cardiology(conn)
    await bench.verified(MARIA)
    await bench.verified(JUAN)
    await set_consent(conn, MARIA, None)
    await set_consent(conn, JUAN, False)

    maria = await bench.say(MARIA, "sí", (await bench.say(MARIA, "quiero una cita de cardiología")).state)
    assert maria.text is not None and maria.text.endswith(replies.WAITLIST_ASK_CONSENT)
    assert maria.state.step is Step.REMINDERS_CONSENT
    consented = await bench.say(MARIA, "sí", maria.state)
    assert consented.text == replies.REMINDERS_ON
    assert await conn.fetchval("SELECT reminders_consent FROM patients WHERE phone = $1", MARIA) is True

    juan = await bench.say(JUAN, "sí", (await bench.say(JUAN, "quiero una cita de cardiología")).state)
    assert juan.text == replies.WAITLIST_CONSENT_AGAIN and juan.state.step is Step.REMINDERS_CONSENT
    assert [e[0] for e in await entries(conn)] == [demo.MARIA.full_name]  # nothing without consent
    still_no = await bench.say(JUAN, "no", juan.state)
    assert still_no.text == replies.WAITLIST_STILL_NO_MESSAGES and still_no.state == DialogState()
    assert [e[0] for e in await entries(conn)] == [demo.MARIA.full_name]


async def test_messages_turned_back_on_for_the_waitlist_keep_what_was_asked(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    # QA: after the consent question asked for a waitlist, the doctor and days asked for were forgotten.
    await close_cardiology(conn)
    await bench.verified(JUAN)
    await set_consent(conn, JUAN, False)
    invited = await bench.say(JUAN, f"quiero una cita con el {CARDIOLOGIST} para el miércoles 6 de marzo")
    asked = await bench.say(JUAN, "sí", invited.state)
    assert asked.text == replies.WAITLIST_CONSENT_AGAIN

    for yes in ("sí", "quiero recordatorios"):
        joined = await bench.say(JUAN, yes, asked.state)
        # "Listo, volveremos…" and then "Listo, ya tiene su lugar…": the first drops its "Listo".
        assert joined.text is not None and "volveremos a enviarle avisos" in joined.text.lower(), yes
        assert joined.text.count("Listo") == 1, yes
        assert f"con el {CARDIOLOGIST} el miércoles 6 de marzo." in joined.text
        assert joined.state.flow is None and joined.state.step is None
    assert await conn.fetchval("SELECT reminders_consent FROM patients WHERE phone = $1", JUAN) is True
    assert await entries(conn) == [
        (demo.JUAN.full_name, CARDIOLOGIST, "cardiologia", date(2030, 3, 6), date(2030, 3, 6), "waiting")
    ]
    # Another matter instead of an answer: the request ends with the question, nothing joined.
    await set_consent(conn, JUAN, False)
    other = await bench.say(JUAN, "¿a qué hora abren?", asked.state)
    assert other.state.flow is None and other.state.step is None


async def test_the_doctor_day_or_week_the_message_names_is_the_entrys(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    # QA: "anóteme en la lista de espera del Dr. Gutiérrez" and "para la próxima semana" were not read into the entry,
    # and one day asked made an entry of two weeks.
    await close_cardiology(conn)
    await set_consent(conn, MARIA, True)
    await set_consent(conn, JUAN, True)
    await bench.verified(MARIA)
    await bench.verified(JUAN)

    doctor = await bench.say(MARIA, f"anóteme en la lista de espera del {CARDIOLOGIST}")
    assert doctor.text is not None and f"con el {CARDIOLOGIST} entre el lunes 4 de marzo y el lunes 18" in doctor.text
    week = await bench.say(MARIA, "póngame en la lista de espera de pediatría para la próxima semana")
    assert week.text is not None and "en Pediatría entre el lunes 11 de marzo y el domingo 17 de marzo" in week.text

    invited = await bench.say(JUAN, "quiero una cita de cardiología")
    assert invited.state.step is Step.WAITLIST_JOIN
    await bench.say(JUAN, "sí, para la próxima semana", invited.state)
    one_day = await bench.say(JUAN, "quiero una cita de cardiología para el viernes 8 de marzo")
    assert one_day.text is not None and one_day.text.endswith(
        "¿Desea que le avisemos si se libera un horario en Cardiología el viernes 8 de marzo? Responda «sí» o «no»."
    )
    await bench.say(JUAN, "sí", one_day.state)

    maria, juan = demo.MARIA.full_name, demo.JUAN.full_name
    assert await entries(conn) == [
        (maria, CARDIOLOGIST, "cardiologia", date(2030, 3, 4), date(2030, 3, 18), "waiting"),
        (maria, None, "pediatria", date(2030, 3, 11), date(2030, 3, 17), "waiting"),
        # Juan's two cardiology requests are one entry, widened to cover both.
        (juan, None, "cardiologia", date(2030, 3, 8), date(2030, 3, 17), "waiting"),
    ]


async def test_a_booking_for_next_week_searches_from_its_monday(bench: DialogBench) -> None:
    await bench.verified(MARIA)
    offered = await bench.say(MARIA, "quiero una cita de pediatría para la próxima semana")
    assert offered.state.step is Step.SLOT_CHOICE
    assert offered.state.offered[0].starts_at.astimezone(LA_PAZ).date() == date(2030, 3, 11)


async def test_the_list_is_shown_and_left_by_message(bench: DialogBench, conn: asyncpg.Connection) -> None:
    await set_consent(conn, MARIA, True)
    await bench.verified(MARIA)
    empty = await bench.say(MARIA, "mi lista de espera")
    assert empty.text == replies.WAITLIST_EMPTY

    asking = DialogState(flow=Flow.BOOK, wishes=Wishes(specialty="pediatria", day=date(2030, 3, 6)))
    joined = await bench.say(MARIA, "anóteme en la lista de espera", asking)
    assert joined.text is not None and "en Pediatría el miércoles 6 de marzo." in joined.text

    listed = await bench.say(MARIA, "¿en qué lista de espera estoy?")
    assert listed.text == replies.waitlist_entries(["• en Pediatría, el miércoles 6 de marzo"])

    left = await bench.say(MARIA, "salir de la lista de espera")
    assert left.text == replies.waitlist_left(1)
    assert bench.audited == [("waitlist.left", "success")]
    assert [e[5] for e in await entries(conn)] == ["left"]
    assert (await bench.say(MARIA, "salir de la lista de espera")).text == replies.waitlist_left(0)


async def test_leaving_the_list_is_no_emergency_the_model_alone_read(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    # QA: the learned model read "ya no kiero estar en la lista, saqueme nomas" as self-harm: the crisis reply, staff
    # alerted, and two hours of crisis follow-ups to "solo quiero salir de la lista de espera".
    await set_consent(conn, MARIA, True)
    await bench.verified(MARIA)
    asking = DialogState(flow=Flow.BOOK, wishes=Wishes(specialty="pediatria", day=date(2030, 3, 6)))
    await bench.say(MARIA, "anóteme en la lista de espera", asking)
    text = "ya no kiero estar en la lista, saqueme nomas"
    learned = replace(
        understand(text, now=bench.now, tz=LA_PAZ),
        intent=Intent.EMERGENCY,
        emergency=Emergency.SELF_HARM,
        emergency_learned=True,
    )

    left = await bench.say(MARIA, text, understood=learned)

    assert left.text == replies.waitlist_left(1) and left.action is not Action.EMERGENCY
    assert left.state.emergency is None


async def test_leaving_the_list_does_not_end_an_emergency_the_patterns_read(bench: DialogBench) -> None:
    crisis = await bench.say(MARIA, "ya no quiero vivir")
    assert crisis.action is Action.EMERGENCY

    still = await bench.say(MARIA, "sáquenme de la lista de espera", crisis.state)

    assert still.action is Action.EMERGENCY


async def test_stopping_messages_ends_the_waitlist_entries_and_says_so(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    # QA: "baja" left the entries waiting for offers that can no longer be sent, without a word.
    await set_consent(conn, MARIA, True)
    await bench.verified(MARIA)
    asking = DialogState(flow=Flow.BOOK, wishes=Wishes(specialty="pediatria"))
    await bench.say(MARIA, "anóteme en la lista de espera", asking)
    offer = await make_offer(conn, MARIA, (await bench.free("pediatria"))[3].starts_at)

    stopped = await bench.say(MARIA, "baja")  # no verification needed, as for reminders

    assert stopped.text == f"{replies.REMINDERS_OFF} {replies.waitlist_left_without_messages(2)}"
    assert [e[5] for e in await entries(conn)] == ["left", "left"]
    assert await offer_status(conn, offer) == ("declined", "left")
    assert ("waitlist.left", "success") in bench.audited
    # Nothing left to end: the confirmation alone.
    assert (await bench.say(MARIA, "no quiero recordatorios")).text == replies.REMINDERS_OFF


async def test_no_to_messages_after_joining_ends_the_entry_just_made(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    await close_cardiology(conn)
    await set_consent(conn, MARIA, None)
    await bench.verified(MARIA)
    asked = await bench.say(MARIA, "sí", (await bench.say(MARIA, "quiero una cita de cardiología")).state)
    assert asked.state.step is Step.REMINDERS_CONSENT

    refused = await bench.say(MARIA, "no", asked.state)

    assert refused.text == f"{replies.REMINDERS_DECLINED} {replies.waitlist_left_without_messages(1)}"
    assert [e[5] for e in await entries(conn)] == ["left"]


def test_the_waitlists_words_guess_no_gender_and_use_no_leismo() -> None:
    # QA: "quedó anotado", "Ya estaba en la lista", "anotarle".
    said = [
        replies.waitlist_joined("en Pediatría", "el lunes 4 de marzo", already=False, hold_minutes=30),
        replies.waitlist_joined("en Pediatría", "el lunes 4 de marzo", already=True, hold_minutes=30),
        replies.waitlist_joined(
            "en Pediatría", "el lunes 4 de marzo", already=False, hold_minutes=30, for_name="Mateo"
        ),
        replies.WAITLIST_NOT_JOINED,
        replies.WAITLIST_NEEDS_WHAT,
        replies.WAITLIST_EMPTY,
        replies.WAITLIST_ASK_CONSENT,
        replies.WAITLIST_CONSENT_AGAIN,
        replies.WAITLIST_STILL_NO_MESSAGES,
    ]
    for text in said:
        for word in ("anotado", "anotada", "inscrito", "inscrita", "anotarle", "le anoto", "lo anote", "la anote"):
            assert word not in text.lower(), (word, text)
    assert said[1].startswith("Ya está en la lista de espera para un horario en Pediatría el lunes 4 de marzo.")
    assert said[2].startswith("Listo, Mateo ya tiene su lugar en la lista de espera")


async def make_offer(conn: asyncpg.Connection, phone: str, starts_at: datetime, *, hold_minutes: int = 30) -> int:
    """An offer the notification service made and sent to `phone`'s patient for the pediatrician's slot."""
    entry = await conn.fetchval(
        """
        INSERT INTO waitlist_entries (patient_id, doctor_id, specialty_id, first_day, last_day)
        SELECT p.id, d.id, d.specialty_id, '2030-03-04', '2030-03-18' FROM patients p, doctors d
        WHERE p.phone = $1 AND d.full_name = 'Dra. Lucía Vargas' RETURNING id
        """,
        phone,
    )
    offer: int = await conn.fetchval(
        """
        INSERT INTO waitlist_offers (entry_id, doctor_id, starts_at, ends_at, offered_at, hold_until, sent_at)
        SELECT $1, doctor_id, $2, $2::timestamptz + interval '30 minutes', $3,
               $3::timestamptz + $4 * interval '1 minute', $3
        FROM waitlist_entries WHERE id = $1 RETURNING id
        """,
        entry,
        starts_at,
        datetime(2030, 3, 4, 9, tzinfo=LA_PAZ),
        hold_minutes,
    )
    return offer


async def offer_status(conn: asyncpg.Connection, offer: int) -> tuple[str, str]:
    row = await conn.fetchrow(
        "SELECT o.status, e.status AS entry FROM waitlist_offers o JOIN waitlist_entries e ON e.id = o.entry_id "
        "WHERE o.id = $1",
        offer,
    )
    assert row is not None
    return row["status"], row["entry"]


async def test_the_offer_button_books_the_slot_after_verification(bench: DialogBench, conn: asyncpg.Connection) -> None:
    slot = [s for s in await bench.free("pediatria")][3]
    offer = await make_offer(conn, MARIA, slot.starts_at)

    unverified = await bench.say(MARIA, offer_payload(accept=True, offer_id=offer))
    assert unverified.state.flow is Flow.WAITLIST_TAKE and unverified.state.step is Step.IDENTITY
    assert await offer_status(conn, offer) == ("offered", "waiting")

    # Once the code is right, the same state goes on to take the slot.
    await bench.otp.send_code(MARIA, KEY)
    [code] = bench.sms.codes()
    taken = await bench.say(MARIA, code, unverified.state.but(step=Step.CODE))
    assert taken.appointment is not None and taken.appointment.starts_at == slot.starts_at
    assert taken.text is not None and taken.text.startswith("Su identidad está verificada.\n¡Listo! Su cita")
    assert taken.text.endswith(
        "¡Listo! Su cita con la Dra. Lucía Vargas (Pediatría) quedó reservada para el lunes 4 de marzo a las 11:30. "
        f"Referencia: {choices.reference_of(taken.appointment.id)}. Por favor llegue 10 minutos antes."
    )
    assert ("appointment.booked", "success") in bench.audited
    assert await offer_status(conn, offer) == ("accepted", "booked")
    # Tapped again: the offer is answered already.
    again = await bench.say(MARIA, offer_payload(accept=True, offer_id=offer))
    assert again.text == replies.WAITLIST_OFFER_ACCEPTED_BEFORE and again.appointment is None


async def test_another_phones_offer_or_a_lapsed_hold_books_nothing(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    slots = await bench.free("pediatria")
    offer = await make_offer(conn, MARIA, slots[3].starts_at)
    await bench.verified(JUAN)
    stranger = await bench.say(JUAN, offer_payload(accept=True, offer_id=offer))
    assert ("waitlist.offer_taken", "denied") in bench.audited
    # Another patient's offer reads as one that does not exist: nobody learns that someone was offered a slot.
    unknown = await bench.say(JUAN, offer_payload(accept=True, offer_id=offer + 1000))
    assert stranger.text == unknown.text == replies.WAITLIST_OFFER_UNKNOWN and stranger.appointment is None
    assert (await bench.say(JUAN, offer_payload(accept=False, offer_id=offer))).text == replies.WAITLIST_OFFER_UNKNOWN
    assert await offer_status(conn, offer) == ("offered", "waiting")

    await bench.verified(MARIA)
    bench.now = datetime(2030, 3, 4, 9, 31, tzinfo=LA_PAZ)
    lapsed = await bench.say(MARIA, offer_payload(accept=True, offer_id=offer))
    assert lapsed.text == replies.waitlist_offer_expired(waiting=True) and lapsed.appointment is None
    assert "Sigue en la lista de espera" in lapsed.text
    assert (await bench.say(MARIA, offer_payload(accept=False, offer_id=offer))).text == lapsed.text
    await conn.execute("UPDATE waitlist_offers SET status = 'expired' WHERE id = $1", offer)
    assert (await bench.say(MARIA, offer_payload(accept=True, offer_id=offer))).text == lapsed.text


async def test_a_stale_offer_button_says_what_became_of_the_offer(bench: DialogBench, conn: asyncpg.Connection) -> None:
    slots = await bench.free("pediatria")
    taken = await make_offer(conn, MARIA, slots[3].starts_at)
    await conn.execute("UPDATE waitlist_offers SET status = 'withdrawn', reason = 'slot_taken' WHERE id = $1", taken)
    # Unverified: nothing to take, so nothing to verify; the phone is told at once.
    gone = await bench.say(MARIA, offer_payload(accept=True, offer_id=taken))
    assert gone.text == replies.waitlist_offer_withdrawn(waiting=True) and gone.state.step is None

    declined = await make_offer(conn, JUAN, slots[4].starts_at)
    assert (await bench.say(JUAN, offer_payload(accept=False, offer_id=declined))).text == (
        replies.WAITLIST_OFFER_DECLINED
    )
    again = replies.waitlist_offer_declined_before(waiting=True, left=False)
    assert (await bench.say(JUAN, offer_payload(accept=True, offer_id=declined))).text == again
    assert (await bench.say(JUAN, offer_payload(accept=False, offer_id=declined))).text == again

    still_open = await make_offer(conn, JUAN, slots[5].starts_at)
    await bench.say(JUAN, "salir de la lista de espera")
    left = replies.waitlist_offer_declined_before(waiting=False, left=True)
    assert (await bench.say(JUAN, offer_payload(accept=True, offer_id=still_open))).text == left
    no_more = replies.waitlist_offer_declined_before(waiting=False, left=False)
    assert (await bench.say(JUAN, offer_payload(accept=True, offer_id=declined))).text == no_more
    assert "Sigue" not in left + no_more


async def test_no_by_button_or_by_word_passes_the_slot_on(bench: DialogBench, conn: asyncpg.Connection) -> None:
    slots = await bench.free("pediatria")
    first = await make_offer(conn, MARIA, slots[3].starts_at)
    declined = await bench.say(MARIA, offer_payload(accept=False, offer_id=first))  # no verification needed
    assert declined.text == replies.WAITLIST_OFFER_DECLINED
    assert await offer_status(conn, first) == ("declined", "waiting")

    second = await make_offer(conn, JUAN, slots[4].starts_at)
    assert (await bench.say(JUAN, "no")).text == replies.WAITLIST_OFFER_DECLINED
    assert await offer_status(conn, second) == ("declined", "waiting")


def test_a_no_answers_an_offer_only_when_said_of_it() -> None:
    def read(text: str) -> OfferAnswer | None:
        return offer_answer(text, understand(text, now=MONDAY_9AM, tz=LA_PAZ).intent)

    for declined in ("no", "No, gracias", "no, ya no la necesito", "no me sirve", "no puedo ir", "no la quiero"):
        assert read(declined) is OfferAnswer.DECLINE, declined
    # QA: a leading "no" of a sentence about something else declined the offer held.
    for other in ("no es una emergencia, solo quiero el horario", "no sé, ¿a qué hora abren?", "no puedo creerlo"):
        assert read(other) is None, other
    assert read("Sí, la quiero") is OfferAnswer.TAKE


async def test_a_no_about_something_else_keeps_the_offer(bench: DialogBench, conn: asyncpg.Connection) -> None:
    slots = await bench.free("pediatria")
    offer = await make_offer(conn, MARIA, slots[3].starts_at)

    other = await bench.say(MARIA, "no es una emergencia, solo quiero el horario")

    assert other.text != replies.WAITLIST_OFFER_DECLINED
    assert await offer_status(conn, offer) == ("offered", "waiting")
    assert (await bench.say(MARIA, "no, gracias")).text == replies.WAITLIST_OFFER_DECLINED


# QA: "la tomo" and "la tomo, gracias" were not read as a yes to the offer.
@pytest.mark.parametrize("says", ["Sí, la quiero", "la tomo, gracias"])
async def test_a_yes_takes_the_open_offer(bench: DialogBench, conn: asyncpg.Connection, says: str) -> None:
    slots = await bench.free("pediatria")
    offer = await make_offer(conn, MARIA, slots[3].starts_at)
    await bench.verified(MARIA)
    taken = await bench.say(MARIA, says)
    assert taken.appointment is not None and taken.appointment.starts_at == slots[3].starts_at
    assert await offer_status(conn, offer) == ("accepted", "booked")
    # With no offer open, "sí" is what it always was.
    assert (await bench.say(MARIA, "sí")).appointment is None


VOICE_NOTE = (
    "hola, no he podido dormir por el dolor de rodilla, que me puedo tomar? ya vi el mensaje de la cita, a las 10 si "
    "llego, asi que la tomo, gracias diosito"
)
MID_FLOW = DialogState(
    flow=Flow.BOOK,
    step=Step.SLOT_CHOICE,
    wishes=Wishes(specialty="pediatria"),
    answered_at=MONDAY_9AM - timedelta(minutes=1),  # the offer went out at 09:00, after the last answer
)
# (the state when the message comes, the message, whether it takes the offer, whether the reply then adds the
# medical-advice note) QA: a long voice note ending "…así que la tomo, gracias diosito" that mentioned pain got only
# the no-medical-advice reply, and the slot was lost.
LAST_WORDS = {
    "the voice note, nothing under way": (DialogState(), VOICE_NOTE, True, True),
    "the voice note, mid-flow": (MID_FLOW, VOICE_NOTE, True, True),
    "a story, then 'sí, la quiero'": (
        DialogState(),
        "mi hijo ya esta mejor, ayer estuvo con fiebre pero ya paso. si, la quiero",
        True,
        False,
    ),
    "taking words not last": (
        DialogState(),
        "no se si la tomo, que pastilla me recomienda para el dolor de cabeza",
        False,
        True,
    ),
    # Not taken; the rest is read as it always was (here the knee asks for a specialty).
    "a no at the end": (
        MID_FLOW,
        "me duele la rodilla, que me puedo tomar? y la cita no la tomo, gracias",
        False,
        False,
    ),
}


@pytest.mark.parametrize(("state", "says", "takes", "noted"), LAST_WORDS.values(), ids=LAST_WORDS.keys())
async def test_the_last_words_of_a_long_message_answer_the_offer(
    bench: DialogBench, conn: asyncpg.Connection, state: DialogState, says: str, takes: bool, noted: bool
) -> None:
    await bench.verified(MARIA)
    slots = await bench.free("pediatria")
    offer = await make_offer(conn, MARIA, slots[3].starts_at)

    outcome = await bench.say(MARIA, says, state)

    assert (outcome.appointment is not None) is takes
    assert await offer_status(conn, offer) == (("accepted", "booked") if takes else ("offered", "waiting"))
    assert outcome.text is not None and outcome.text.endswith(replies.no_medical_advice("168")) is noted
    if takes:
        assert outcome.text.startswith("¡Listo! Su cita con la Dra. Lucía Vargas")


HELD = "Sigue guardada para usted la cita del lunes 4 de marzo a las 11:30 hasta las 09:30."
# (minutes after the offer went out, the state, whether the reply recalls the slot held) QA: "¿cuánto cuesta la
# consulta?" with an offer pending got the prices and not a word of the slot kept for the patient.
HELD_WHILE_ASKING = {
    "nothing under way": (10, DialogState(), True),
    "at a slot list: before its question again": (10, MID_FLOW, True),
    "the hold over": (31, DialogState(), False),
}


@pytest.mark.parametrize(("after", "state", "recalled"), HELD_WHILE_ASKING.values(), ids=HELD_WHILE_ASKING.keys())
async def test_a_clinic_question_with_an_offer_held_recalls_it(
    bench: DialogBench, conn: asyncpg.Connection, after: int, state: DialogState, recalled: bool
) -> None:
    slots = await bench.free("pediatria")
    offer = await make_offer(conn, MARIA, slots[3].starts_at)
    bench.now = MONDAY_9AM + timedelta(minutes=after)
    if state.step is Step.SLOT_CHOICE:
        state = state.but(offered=tuple(OfferedSlot.of(slot) for slot in slots[:3]))

    prices = await bench.say(MARIA, "cuanto cuesta la consulta?", state)

    assert prices.text is not None and "Bs" in prices.text
    assert (HELD in prices.text) is recalled
    if state.step is not None:
        assert prices.text.index(HELD) < prices.text.index(replies.ASK_OPTION_AGAIN)
    assert await offer_status(conn, offer) == ("offered", "waiting")


async def test_an_offer_sent_after_the_last_answer_is_answered_even_mid_flow(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    # QA: "sí, la quiero" could not take an open offer while a booking was under way.
    await bench.verified(MARIA)
    slots = await bench.free("pediatria")
    offered = await bench.say(MARIA, "quiero una cita de pediatría")
    confirming = await bench.say(MARIA, "1", offered.state)
    assert confirming.state.step is Step.CONFIRM
    offer = await make_offer(conn, MARIA, slots[3].starts_at)  # sent at 09:00

    # Answered at 08:59, before the offer went out: the offer is the newest thing said, and a clear yes takes it.
    before = confirming.state.but(answered_at=MONDAY_9AM - timedelta(minutes=1))
    assert (await bench.say(MARIA, "2", before)).appointment is None  # an option's number is no answer to it
    taken = await bench.say(MARIA, "sí, la quiero", before)
    assert taken.appointment is not None and taken.appointment.starts_at == slots[3].starts_at
    assert await offer_status(conn, offer) == ("accepted", "booked")
    assert taken.state.flow is None


async def test_an_offer_older_than_the_last_answer_leaves_the_flows_question_to_the_yes(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    await bench.verified(MARIA)
    slots = await bench.free("pediatria")
    offer = await make_offer(conn, MARIA, slots[3].starts_at)  # sent at 09:00
    offered = await bench.say(MARIA, "quiero una cita de pediatría")
    confirming = await bench.say(MARIA, "1", offered.state)
    after = confirming.state.but(answered_at=MONDAY_9AM + timedelta(seconds=30))

    booked = await bench.say(MARIA, "sí", after)

    assert booked.appointment is not None and booked.appointment.starts_at == confirming.state.offered[0].starts_at
    assert await offer_status(conn, offer) == ("offered", "waiting")


async def test_ninguno_me_sirve_tells_how_to_wait_and_lista_de_espera_joins_for_that_specialty(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    await set_consent(conn, MARIA, True)
    await bench.verified(MARIA)
    offered = await bench.say(MARIA, "quiero una cita de pediatría")
    assert offered.text is not None and replies.WAITLIST_HINT not in offered.text  # nothing refused yet

    others = await bench.say(MARIA, "ninguno me sirve", offered.state)
    assert others.state.step is Step.SLOT_CHOICE
    assert others.text is not None and others.text.endswith(replies.WAITLIST_HINT)

    joined = await bench.say(MARIA, "lista de espera", others.state)
    assert joined.text is not None and joined.text.startswith(
        "Listo, ya tiene su lugar en la lista de espera para un horario en Pediatría entre el lunes 4 de marzo"
    )
    assert [(e[2], e[5]) for e in await entries(conn)] == [("pediatria", "waiting")]


async def test_asking_for_the_list_in_other_words_while_slots_are_listed_joins_it(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    # QA: "quiero entrar a la lista de espera" at the slots offered was read as small talk ("espera").
    await set_consent(conn, MARIA, True)
    await bench.verified(MARIA)
    offered = await bench.say(MARIA, "quiero una cita de pediatría")
    assert offered.state.step is Step.SLOT_CHOICE
    for asked in (
        "quiero entrar a la lista de espera",
        "anóteme en la lista de espera",
        "póngame en lista de espera",
        "me puede anotar en la lista",
    ):
        joined = await bench.say(MARIA, asked, offered.state)
        assert joined.text is not None and "en la lista de espera para un horario en Pediatría" in joined.text, asked
        assert joined.state.step is None
    assert [(e[2], e[5]) for e in await entries(conn)] == [("pediatria", "waiting")]


# QA: "ya, lista de espera entonces" at the slot list, right after the hint to write «lista de espera», got
# "Responda con el número de la opción…": only the bare words were read.
@pytest.mark.parametrize(
    "says",
    [
        "ya, lista de espera entonces",
        "ok, la lista de espera nomás",
        "mejor lista de espera, gracias",
        "lista de espera",
    ],
)
async def test_the_bare_words_with_fillers_join_at_the_slot_list(
    bench: DialogBench, conn: asyncpg.Connection, says: str
) -> None:
    await set_consent(conn, MARIA, True)
    await bench.verified(MARIA)
    offered = await bench.say(MARIA, "quiero una cita de pediatría")
    others = await bench.say(MARIA, "ninguno me sirve", offered.state)
    assert others.text is not None and others.text.endswith(replies.WAITLIST_HINT)

    joined = await bench.say(MARIA, says, others.state)

    assert joined.text is not None and joined.text.startswith(
        "Listo, ya tiene su lugar en la lista de espera para un horario en Pediatría"
    )
    assert joined.state.step is None
    assert [(e[2], e[5]) for e in await entries(conn)] == [("pediatria", "waiting")]


async def close(conn: asyncpg.Connection, doctor: str, *days: date) -> None:
    for day in days:
        await conn.execute(
            "INSERT INTO schedule_overrides (on_date, doctor_id, reason) SELECT $1, id, 'congreso' FROM doctors "
            "WHERE full_name = $2",
            day,
            doctor,
        )


PEDIATRICIAN = "Dra. Lucía Vargas"  # she works Saturday mornings too
SATURDAY, NEXT_SATURDAY = date(2030, 3, 9), date(2030, 3, 16)
ONLY_SATURDAYS = "tampoco, yo solo puedo los sabados pues, trabajo toda la semana"
# (days closed for the pediatrician, what the patient says in turn, what one reply says, the entries made as
# (doctor, first day, last day, weekdays), the entry as listed) QA: after "no hay más temprano?" at the Monday shown
# for the Saturday she asked, and "solo puedo los sábados", the entry was made for that Monday only.
ENTRY_DAYS: dict[str, tuple[tuple[date, ...], list[str], str, list[tuple[str, date, date, list[int] | None]], str]] = {
    "the day asked, after 'más temprano' at the days after it": (
        (SATURDAY,),
        [f"quiero una cita con la {PEDIATRICIAN} el sábado", "no hay más temprano?", "lista de espera"],
        "en la lista de espera para un horario con la Dra. Lucía Vargas el sábado 9 de marzo.",
        [(PEDIATRICIAN, SATURDAY, SATURDAY, None)],
        "• con la Dra. Lucía Vargas (Pediatría), el sábado 9 de marzo",
    ),
    "only Saturdays, with times on them": (
        (),
        [f"quiero una cita con la {PEDIATRICIAN}", ONLY_SATURDAYS, "ya, lista de espera entonces"],
        "con la Dra. Lucía Vargas los sábados del 9 al 16 de marzo.",
        [(PEDIATRICIAN, SATURDAY, NEXT_SATURDAY, [6])],
        "• con la Dra. Lucía Vargas (Pediatría), los sábados del 9 al 16 de marzo",
    ),
    "only Saturdays, none free: asked for them": (
        (SATURDAY, NEXT_SATURDAY),
        [f"quiero una cita con la {PEDIATRICIAN}", ONLY_SATURDAYS, "sí"],
        "No encontré horarios libres con la Dra. Lucía Vargas los sábados en los próximos 14 días. ¿Desea que le "
        "avisemos si se libera un horario con la Dra. Lucía Vargas los sábados del 9 al 16 de marzo?",
        [(PEDIATRICIAN, SATURDAY, NEXT_SATURDAY, [6])],
        "• con la Dra. Lucía Vargas (Pediatría), los sábados del 9 al 16 de marzo",
    ),
    "QA's: a doctor who never works Saturdays is said so, and the usual span asked about": (
        (),
        [
            f"quiero una cita con el {CARDIOLOGIST} para el sábado",
            "no hay mas temprano?",
            ONLY_SATURDAYS,
            "ya, lista de espera entonces",
            "sí",
        ],
        "El Dr. Fernando Gutiérrez no atiende los sábados. ¿Desea que le avisemos si se libera un horario con el "
        "Dr. Fernando Gutiérrez entre el lunes 4 de marzo y el lunes 18 de marzo?",
        [(CARDIOLOGIST, date(2030, 3, 4), date(2030, 3, 18), None)],
        "• con el Dr. Fernando Gutiérrez (Cardiología), del lunes 4 de marzo al lunes 18 de marzo",
    ),
}


@pytest.mark.parametrize(("closed", "says", "said", "made", "listed"), ENTRY_DAYS.values(), ids=ENTRY_DAYS.keys())
async def test_the_entrys_days_are_those_the_patient_asked_for(
    bench: DialogBench,
    conn: asyncpg.Connection,
    closed: tuple[date, ...],
    says: list[str],
    said: str,
    made: list[tuple[str, date, date, list[int] | None]],
    listed: str,
) -> None:
    await set_consent(conn, MARIA, True)
    await bench.verified(MARIA)
    await close(conn, PEDIATRICIAN, *closed)
    state, replied = DialogState(), list[str]()
    for text in says:
        outcome = await bench.say(MARIA, text, state)
        state = outcome.state
        replied.append(outcome.text or "")

    assert any(said in text for text in replied), replied
    rows = await conn.fetch(
        "SELECT d.full_name, e.first_day, e.last_day, e.weekdays FROM waitlist_entries e "
        "JOIN doctors d ON d.id = e.doctor_id ORDER BY e.id"
    )
    assert [tuple(row) for row in rows] == made
    assert (await bench.say(MARIA, "mi lista de espera")).text == replies.waitlist_entries([listed])


async def test_a_family_members_entry_is_listed_under_their_name(bench: DialogBench, conn: asyncpg.Connection) -> None:
    await set_consent(conn, MARIA, True)
    await bench.verified(MARIA)
    holder = await bench.patient(MARIA)
    mateo = await conn.fetchval(
        "INSERT INTO patients (full_name, holder_id, relation) VALUES ('Mateo López', $1, 'hijo') RETURNING id",
        holder.id,
    )
    await conn.execute(
        """
        INSERT INTO waitlist_entries (patient_id, doctor_id, specialty_id, first_day, last_day)
        SELECT $1, d.id, d.specialty_id, '2030-03-04', '2030-03-10'
        FROM doctors d WHERE d.full_name = 'Dra. Lucía Vargas'
        """,
        mateo,
    )
    listed = await bench.say(MARIA, "mi lista de espera")
    assert listed.text == replies.waitlist_entries(
        ["• con la Dra. Lucía Vargas (Pediatría), para Mateo López, del lunes 4 de marzo al domingo 10 de marzo"]
    )


async def test_no_hay_mas_temprano_with_nothing_earlier_tells_how_to_wait(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    await bench.verified(MARIA)
    offered = await bench.say(MARIA, "quiero una cita de pediatría")
    earlier = await bench.say(MARIA, "¿no hay más temprano?", offered.state)
    assert earlier.text is not None and earlier.text.endswith(replies.WAITLIST_HINT)
    assert replies.nothing_earlier_on("lunes 4 de marzo") in earlier.text


async def test_the_hour_asked_taken_tells_how_to_wait(bench: DialogBench, conn: asyncpg.Connection) -> None:
    # QA: "No hay un horario libre … a las 14:00" came without the «lista de espera» hint.
    await set_consent(conn, MARIA, True)
    await bench.verified(MARIA)
    slot = (await bench.free("pediatria"))[5]
    await bench.booked(JUAN, slot)
    local = slot.starts_at.astimezone(LA_PAZ)
    asked = f"quiero una cita de pediatría el {local.day} de marzo a las {local:%H:%M}"

    offered = await bench.say(MARIA, asked)

    assert offered.state.step is Step.SLOT_CHOICE
    assert offered.text is not None and offered.text.startswith("No hay un horario libre el ")
    assert offered.text.endswith(replies.WAITLIST_HINT)
    joined = await bench.say(MARIA, "lista de espera", offered.state)
    assert [(e[2], e[3], e[4]) for e in await entries(conn)] == [("pediatria", local.date(), local.date())]
    assert joined.state.step is None


async def test_a_held_slot_is_offered_to_nobody_else_until_its_offer_ends(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    slots = await bench.free("pediatria")
    offer = await make_offer(conn, MARIA, slots[0].starts_at)
    assert slots[0].starts_at not in [s.starts_at for s in await bench.free("pediatria")]
    await bench.verified(JUAN)
    offered = await bench.say(JUAN, "quiero una cita de pediatría")
    assert offered.state.offered[0].starts_at != slots[0].starts_at

    await conn.execute("UPDATE waitlist_offers SET status = 'expired' WHERE id = $1", offer)
    assert (await bench.free("pediatria"))[0].starts_at == slots[0].starts_at


async def test_a_held_slot_cannot_be_booked_by_naming_its_time_but_its_patient_may(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    # Searches hide it; a booking that names its time (staff, or a patient typing "a las 10") must be refused too.
    slot = (await bench.free("pediatria"))[0]
    await make_offer(conn, MARIA, slot.starts_at)
    juan, maria = await bench.patient(JUAN), await bench.patient(MARIA)
    book = partial(
        booking.book,
        conn,
        doctor_id=slot.doctor_id,
        starts_at=slot.starts_at,
        now=bench.now,
        tz=LA_PAZ,
        min_notice=SETTINGS.min_notice,
    )

    with pytest.raises(SlotTaken):
        await book(patient_id=juan.id)
    mine = await book(patient_id=maria.id)

    assert mine.starts_at == slot.starts_at
