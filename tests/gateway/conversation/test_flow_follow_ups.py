"""What the message right after a reply means because of that reply: a "sí" to the assistant's own offer to book,
and a request after a price (a booking, not the price again); state in, message understood, state and reply out
(no HTTP, no model)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest

from appointments import demo
from gateway.conversation import replies
from gateway.conversation.reply import Action
from gateway.conversation.state import DialogState, Flow, ListedAppointment, Step
from gateway.understanding.clinic_topics import ClinicTopic
from tests.support.dialog import DialogBench, dialog_bench

MARIA = demo.MARIA.phone
FRIDAY = date(2030, 3, 8)
NEXT_MONDAY = date(2030, 3, 11)
OFFERED = DialogState(offered_booking=True)
AFTER_A_PRICE = DialogState(asked_about=(ClinicTopic.PRICES,))


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
