"""What the message right after a reply means because of that reply: after a price, a request is a booking and a
bare detail the same question; state in, message understood, state and reply out (no HTTP, no model)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest

from appointments import demo
from gateway.conversation.state import DialogState, Flow
from gateway.understanding.clinic_topics import ClinicTopic
from tests.support.dialog import DialogBench, dialog_bench

MARIA = demo.MARIA.phone
NEXT_MONDAY = date(2030, 3, 11)
AFTER_A_PRICE = DialogState(asked_about=(ClinicTopic.PRICES,))


@pytest.fixture
async def bench(conn: asyncpg.Connection, redis_url: str) -> AsyncIterator[DialogBench]:
    async with dialog_bench(conn, redis_url) as bench:
        await bench.verified(MARIA)
        yield bench


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
