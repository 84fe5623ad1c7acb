"""GET /staff/waitlist on a real gateway and database: who waits for a slot, first in line first, with the slot each
is being offered; a first name and a masked phone, nothing more of the patient."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from appointments import waitlist
from appointments.demo import ANA, JUAN, MARIA
from gateway import audit
from gateway.security.api_keys import IssuedKey, create_api_key
from tests.support.clinic import Clinic, seeded_clinic

LA_PAZ = ZoneInfo("America/La_Paz")


@pytest.fixture
async def clinic(conn: asyncpg.Connection) -> Clinic:
    return await seeded_clinic(conn)


@pytest.fixture
async def staff_key(conn: asyncpg.Connection) -> IssuedKey:
    return await create_api_key(conn, name="recepción", scopes={"staff"})


async def three_waiting(conn: asyncpg.Connection, clinic: Clinic) -> None:
    """María waits for Dra. Quispe, then Juan for any general doctor, then Ana for pediatrics; Juan is being
    offered a freed slot now."""
    today = datetime.now(LA_PAZ).date()
    now = datetime.now(UTC)
    for phone, doctor_id, specialty, joined in (
        (MARIA.phone, clinic.quispe, None, now - timedelta(hours=3)),
        (JUAN.phone, None, "medicina_general", now - timedelta(hours=2)),
        (ANA.phone, clinic.vargas, None, now - timedelta(hours=1)),
    ):
        assert await waitlist.join(
            conn,
            patient_id=clinic.patients[phone],
            doctor_id=doctor_id,
            specialty_code=specialty,
            first_day=today,
            last_day=today + timedelta(days=7),
            now=joined,
        )
    await conn.execute("UPDATE waitlist_entries SET created_at = updated_at")
    starts = now + timedelta(days=2)
    await conn.execute(
        """
        INSERT INTO waitlist_offers (entry_id, doctor_id, starts_at, ends_at, offered_at, hold_until)
        SELECT e.id, $2, $3::timestamptz, $3::timestamptz + interval '20 minutes', $4::timestamptz,
               $4::timestamptz + interval '30 minutes'
        FROM waitlist_entries e WHERE e.patient_id = $1
        """,
        clinic.patients[JUAN.phone],
        clinic.mamani,
        starts,
        now,
    )


async def test_the_line_for_a_doctor_holds_those_for_any_doctor_of_the_specialty(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff_key: IssuedKey
) -> None:
    await three_waiting(conn, clinic)
    # Ana waits for Dr. Mamani too: behind Juan (any general doctor), not behind María (Dra. Quispe's only).
    today = datetime.now(LA_PAZ).date()
    await waitlist.join(
        conn,
        patient_id=clinic.patients[ANA.phone],
        doctor_id=clinic.mamani,
        specialty_code=None,
        first_day=today,
        last_day=today + timedelta(days=7),
        now=datetime.now(UTC),
    )
    staff = {"X-API-Key": staff_key.secret}

    everyone = await client.get("/staff/waitlist", headers=staff)
    quispe = await client.get(f"/staff/waitlist?doctor_id={clinic.quispe}", headers=staff)

    assert everyone.status_code == quispe.status_code == 200, everyone.text
    listed = everyone.json()["entries"]
    # Each in their own line: Ana waits for the pediatrician and nobody is ahead of her there (QA read 3).
    assert [(e["position"], e["patient_first_name"], e["phone"]) for e in listed] == [
        (1, "María", "+591*****001"), (2, "Juan", "+591*****002"), (1, "Ana", "+591*****567"),
        (2, "Ana", "+591*****567"),
    ]  # fmt: skip
    assert [(e["position"], e["patient_first_name"]) for e in quispe.json()["entries"]] == [(1, "María"), (2, "Juan")]
    mamani = (await client.get(f"/staff/waitlist?doctor_id={clinic.mamani}", headers=staff)).json()["entries"]
    assert [(e["position"], e["patient_first_name"]) for e in mamani] == [(1, "Juan"), (2, "Ana")]
    maria, juan, _, _ = listed
    assert (maria["doctor_name"], maria["specialty_name"], maria["offered_starts_at"]) == (
        "Dra. Carmen Quispe", "Medicina general", None,
    )  # fmt: skip
    assert (juan["doctor_id"], juan["specialty_name"]) == (None, "Medicina general")
    assert juan["offered_starts_at"] is not None and juan["offered_until"] is not None
    for secret in ("López", "Condori", "Torrez", "59170000001"):
        assert secret not in everyone.text
    entries = await audit.recent(conn)
    assert {(e.action, e.outcome) for e in entries} == {("staff.waitlist.viewed", "success")}


async def test_an_unknown_doctor_is_a_404_and_a_chat_key_is_refused(
    client: httpx.AsyncClient, conn: asyncpg.Connection, staff_key: IssuedKey
) -> None:
    chat_key = await create_api_key(conn, name="n8n", scopes={"chat"})

    unknown = await client.get("/staff/waitlist?doctor_id=999999", headers={"X-API-Key": staff_key.secret})
    refused = await client.get("/staff/waitlist", headers={"X-API-Key": chat_key.secret})

    assert unknown.status_code == 404 and refused.status_code == 403
