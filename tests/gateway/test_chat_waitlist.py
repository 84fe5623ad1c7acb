"""A waitlist offer answered through /chat: the service remembers when it last answered, so an offer sent after
that is the newest thing the clinic said and a clear yes takes it, even in the middle of a booking."""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg
import httpx

from appointments import demo
from appointments.demo import seed_demo_clinic

MARIA = demo.MARIA.phone


def chat_body(text: str) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": text}], "user_id": MARIA}


async def dialog_state(conn: asyncpg.Connection, conversation_id: str) -> dict[str, object]:
    stored = await conn.fetchval("SELECT dialog_state FROM conversations WHERE id = $1", UUID(conversation_id))
    state: dict[str, object] = json.loads(stored) if isinstance(stored, str) else stored
    return state


async def test_an_offer_sent_mid_booking_is_taken_by_a_clear_yes(
    client: httpx.AsyncClient, api_key: str, conn: asyncpg.Connection
) -> None:
    await seed_demo_clinic(conn)
    headers = {"X-API-Key": api_key}
    booking = (await client.post("/chat", json=chat_body("quiero una cita de pediatría"), headers=headers)).json()
    before = await dialog_state(conn, booking["conversation_id"])
    assert before["flow"] == "book" and before["answered_at"] is not None
    # The notification service sends María an offer after that answer.
    offer = await conn.fetchval(
        """
        WITH entry AS (
            INSERT INTO waitlist_entries (patient_id, doctor_id, specialty_id, first_day, last_day)
            SELECT p.id, d.id, d.specialty_id, current_date, current_date + 14 FROM patients p, doctors d
            WHERE p.phone = $1 AND d.full_name = 'Dra. Lucía Vargas' RETURNING id, doctor_id
        )
        INSERT INTO waitlist_offers (entry_id, doctor_id, starts_at, ends_at, offered_at, hold_until, sent_at)
        SELECT id, doctor_id, date_trunc('hour', now()) + interval '3 days',
               date_trunc('hour', now()) + interval '3 days 30 minutes', now(), now() + interval '30 minutes', now()
        FROM entry RETURNING id
        """,
        MARIA,
    )

    taking = (await client.post("/chat", json=chat_body("la tomo"), headers=headers)).json()

    after = await dialog_state(conn, taking["conversation_id"])
    # Taking it needs verification, as every booking does: the offer is what is being verified for.
    assert (after["flow"], after["waitlist_offer"]) == ("waitlist_take", offer)
