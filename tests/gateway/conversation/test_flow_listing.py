"""Listing the patient's appointments: state in, message understood, state and reply out (no HTTP, no model)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from appointments import demo
from gateway.conversation import replies, wording
from gateway.conversation.reply import Action
from gateway.conversation.state import DialogState, Flow, ListedAppointment, Step
from tests.support.dialog import LA_PAZ, DialogBench, dialog_bench

MARIA = demo.MARIA.phone


@pytest.fixture
async def bench(conn: asyncpg.Connection, redis_url: str) -> AsyncIterator[DialogBench]:
    async with dialog_bench(conn, redis_url) as bench:
        yield bench


async def test_an_unverified_phone_is_asked_who_it_is_first(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA, "mis citas")

    assert outcome.state == DialogState(flow=Flow.LIST, step=Step.IDENTITY)
    assert outcome.text == replies.ASK_BIRTH_DATE


async def test_no_appointments(bench: DialogBench) -> None:
    await bench.verified(MARIA)

    outcome = await bench.say(MARIA, "mis citas")

    assert (outcome.state, outcome.text, outcome.action) == (
        DialogState(offered_booking=True),
        replies.NO_UPCOMING,
        Action.LIST_APPOINTMENTS,
    )
    assert bench.audited == [("appointments.viewed", "success")]


async def test_upcoming_appointments_are_listed_in_order_and_the_flow_ends(bench: DialogBench) -> None:
    await bench.verified(MARIA)
    pediatrics, cardiology = (await bench.free("pediatria"))[5], (await bench.free("cardiologia"))[0]
    held = [ListedAppointment.of(await bench.booked(MARIA, slot)) for slot in (pediatrics, cardiology)]
    held.sort(key=lambda a: a.starts_at)

    outcome = await bench.say(MARIA, "¿qué citas tengo?", DialogState(flow=Flow.BOOK, step=Step.SPECIALTY))

    names = {"pediatria": "Pediatría", "cardiologia": "Cardiología"}
    lines = [f"{i}) {wording.appointment_text(a, LA_PAZ, names)}" for i, a in enumerate(held, start=1)]
    assert (outcome.state, outcome.text, outcome.action) == (
        DialogState(),
        replies.upcoming(lines),
        Action.LIST_APPOINTMENTS,
    )
