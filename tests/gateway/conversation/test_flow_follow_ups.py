"""What the message right after a reply means because of that reply: a "sí" to the assistant's own offer to book,
a request after a price (a booking, not the price again), a second complaint while a person is already called,
and asking to register; state in, message understood, state and reply out (no HTTP, no model)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest

from appointments import demo
from gateway.conversation import replies
from gateway.conversation.reply import Action
from gateway.conversation.state import DialogState, Flow, ListedAppointment, Step, Whom, Wishes
from gateway.understanding.clinic_topics import ClinicTopic
from gateway.understanding.family import Relation
from tests.support.dialog import DialogBench, dialog_bench

MARIA = demo.MARIA.phone
STRANGER = "+59176543210"
FRIDAY = date(2030, 3, 8)
NEXT_MONDAY = date(2030, 3, 11)
OFFERED = DialogState(offered_booking=True)
AFTER_A_PRICE = DialogState(asked_about=(ClinicTopic.PRICES,))
HANDED_OVER = DialogState(handed_over=True)


@pytest.fixture
async def bench(conn: asyncpg.Connection, redis_url: str) -> AsyncIterator[DialogBench]:
    async with dialog_bench(conn, redis_url) as bench:
        await bench.verified(MARIA)
        yield bench


# --- a yes to the assistant's own offer to book ------------------------------------------------------------------

# (the answer to "¿Desea agendar una?", the day the booking keeps)
YES_TO_THE_OFFER = {
    "sí": ("sí", None),
    "si porfa": ("si porfa", None),
    "ya, sí": ("ya, sí", None),
    "sí, para el viernes: Friday kept": ("sí, para el viernes", FRIDAY),
}


@pytest.mark.parametrize(("says", "day"), YES_TO_THE_OFFER.values(), ids=YES_TO_THE_OFFER.keys())
async def test_a_yes_to_the_offer_starts_the_booking(bench: DialogBench, says: str, day: date | None) -> None:
    asked = await bench.say(MARIA, "quiero agendar una cita")

    outcome = await bench.say(MARIA, says, OFFERED)

    assert outcome.state.flow is Flow.BOOK
    assert outcome.state.wishes.day == day
    if day is None:
        assert (outcome.state, outcome.text) == (asked.state, asked.text)


@pytest.mark.parametrize("says", ["no", "no gracias", "ahorita no"])
async def test_a_no_to_the_offer_closes_politely(bench: DialogBench, says: str) -> None:
    outcome = await bench.say(MARIA, says, OFFERED)

    assert (outcome.state, outcome.text) == (DialogState(), replies.BOOKING_OFFER_DECLINED)


async def test_a_yes_with_no_offer_before_it_starts_nothing(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "sí")

    assert outcome.state.flow is None


async def test_the_offer_is_answered_by_the_next_message_or_not_at_all(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "mi perro se llama Toby", OFFERED)

    assert (outcome.state, outcome.text) == (DialogState(), None)


async def test_no_upcoming_appointments_offers_a_booking_that_a_yes_takes(bench: DialogBench) -> None:
    listed = await bench.say(MARIA, "mis citas")

    assert (listed.state, listed.text) == (OFFERED, replies.NO_UPCOMING)
    taken = await bench.say(MARIA, "sí, para el viernes", listed.state)
    assert (taken.state.flow, taken.state.wishes.day) == (Flow.BOOK, FRIDAY)


async def test_a_cancellation_offers_another_booking_that_a_yes_takes(bench: DialogBench) -> None:
    held = await bench.booked(MARIA, (await bench.free("pediatria"))[0])
    confirming = DialogState(flow=Flow.CANCEL, step=Step.CONFIRM, appointment=ListedAppointment.of(held))

    cancelled = await bench.say(MARIA, "sí", confirming)

    assert (cancelled.action, cancelled.state) == (Action.CANCEL_APPOINTMENT, OFFERED)
    taken = await bench.say(MARIA, "sí, para el viernes", cancelled.state)
    assert (taken.state.flow, taken.state.wishes.day) == (Flow.BOOK, FRIDAY)


# --- after a price: a request is a booking, a bare detail the same question ---------------------------------------

REQUESTS_AFTER_A_PRICE = [
    "otra vez necesito para mi hijo mateo con la pediatra el lunes, le salieron unas ronchas",
    "necesito para mi hijo mateo con la pediatra el lunes",
    "quiero para el lunes con la pediatra",
    "me da con la pediatra para el lunes",
]


@pytest.mark.parametrize("says", REQUESTS_AFTER_A_PRICE)
async def test_a_request_after_a_price_is_a_booking(bench: DialogBench, says: str) -> None:
    outcome = await bench.say(MARIA, says, AFTER_A_PRICE)

    assert (outcome.state.flow, outcome.state.wishes.specialty) == (Flow.BOOK, "pediatria")
    assert outcome.state.wishes.day == NEXT_MONDAY
    assert outcome.text is not None and "cuesta" not in outcome.text


@pytest.mark.parametrize(
    ("says", "specialty"), [("¿y con el pediatra?", "Pediatría"), ("y cardiología?", "Cardiología")]
)
async def test_a_bare_specialty_after_a_price_is_still_the_same_question(
    bench: DialogBench, says: str, specialty: str
) -> None:
    outcome = await bench.say(MARIA, says, AFTER_A_PRICE)

    assert outcome.state == AFTER_A_PRICE
    assert outcome.text is not None and specialty in outcome.text and "cuesta" in outcome.text


AFTER_THE_HOURS = DialogState(asked_about=(ClinicTopic.HOURS,))


@pytest.mark.parametrize(
    ("says", "answer"),
    [
        ("y los sabados?", "Sí, los sábados atendemos"),
        ("¿y los domingos?", "No, los domingos no atendemos"),
        ("y el fin de semana?", "Los sábados atendemos"),
    ],
)
async def test_days_named_after_the_hours_are_the_same_question(bench: DialogBench, says: str, answer: str) -> None:
    outcome = await bench.say(MARIA, says, AFTER_THE_HOURS)

    assert outcome.text is not None and outcome.text.startswith(answer)
    assert outcome.state.flow is None


async def test_days_named_after_a_price_are_not_an_hours_question(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "y los sabados?", AFTER_A_PRICE)

    assert outcome.text is None or "atendemos" not in outcome.text


# --- a hand-over already under way -------------------------------------------------------------------------------

# (first message, the one after it, what the second is answered)
SAID_TWICE = {
    "a complaint, then what happened": (
        "buenas tardes quiero poner un reclamo",
        "me atendieron pésimo ayer en recepción, me hicieron esperar 2 horas y nadie me dio razón",
        replies.handoff_noted(complaint=True),
    ),
    "a person asked for twice": (
        "quiero hablar con una persona",
        "por favor con una persona",
        replies.handoff_noted(complaint=False),
    ),
}


@pytest.mark.parametrize(("first", "second", "reply"), SAID_TWICE.values(), ids=SAID_TWICE.keys())
async def test_the_second_message_to_a_person_is_acknowledged_in_other_words(
    bench: DialogBench, first: str, second: str, reply: str
) -> None:
    handed = await bench.say(MARIA, first)
    again = await bench.say(MARIA, second, handed.state)

    assert (handed.state, handed.flag) == (HANDED_OVER, "human_handoff")
    assert (again.state, again.text, again.action, again.flag) == (
        HANDED_OVER,
        reply,
        Action.HUMAN_HANDOFF,
        "human_handoff",
    )
    assert again.text != handed.text


async def test_a_booking_while_a_person_is_awaited_is_made(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "quiero sacar una cita de medicina general", HANDED_OVER)

    assert (outcome.state.flow, outcome.state.step) == (Flow.BOOK, Step.SLOT_CHOICE)


# --- asking to register ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [DialogState(), HANDED_OVER], ids=["no hand-over", "a person awaited"])
async def test_asking_to_register_asks_the_name_at_once(bench: DialogBench, state: DialogState) -> None:
    outcome = await bench.say(STRANGER, "si quiero registrarme", state)

    assert (outcome.state, outcome.text) == (DialogState(step=Step.REGISTER_NAME), replies.ASK_NAME)
    named = await bench.say(STRANGER, "Rosa Mamani Choque", outcome.state)
    assert (named.state.step, named.state.registering_name) == (Step.REGISTER_BIRTH_DATE, "Rosa Mamani Choque")


async def test_a_registered_patient_asking_to_register_is_told_and_offered_a_booking(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "quiero registrarme")

    assert (outcome.state, outcome.text) == (OFFERED, replies.ALREADY_REGISTERED)


async def test_not_wanting_to_register_is_no_request(bench: DialogBench) -> None:
    outcome = await bench.say(STRANGER, "no quiero registrarme, solo preguntaba")

    assert outcome.state.step is None


# --- a family member's date of birth: an example that fits who it is --------------------------------------------

EXAMPLES = {
    "a son: a child's date": (Relation.HIJO, "14/02/2019"),
    "a husband: an adult's date": (Relation.ESPOSO, "12/03/1985"),
    "someone unnamed: an adult's date": (None, "12/03/1985"),
}


@pytest.mark.parametrize(("relation", "example"), EXAMPLES.values(), ids=EXAMPLES.keys())
async def test_the_birth_date_example_fits_the_relative(
    bench: DialogBench, relation: Relation | None, example: str
) -> None:
    naming = DialogState(
        flow=Flow.BOOK,
        step=Step.MEMBER_NAME,
        wishes=Wishes(specialty="medicina_general", whom=Whom(someone_else=relation is None, relation=relation)),
    )

    asked = await bench.say(MARIA, "Pedro Mamani Quispe", naming)
    again = await bench.say(MARIA, "no sé", asked.state)

    assert asked.state.step is Step.MEMBER_BIRTH_DATE
    assert asked.text is not None and asked.text.endswith(f"por ejemplo: {example}.")
    assert again.text is not None and again.text.endswith(f"por ejemplo: {example}.")
