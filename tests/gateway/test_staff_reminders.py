"""GET /staff/reminders on a real gateway and database: a day's reminders with their status, and nothing more
of the patient than a first name and a masked phone (times are La Paz, UTC-4)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import asyncpg
import httpx
import pytest

from appointments import repository as clinic_repository
from appointments.demo import ANA, JUAN, MARIA
from gateway import audit
from gateway.security.api_keys import IssuedKey, create_api_key
from notifications import repository
from notifications.planning import Planned
from tests.gateway.test_staff import add_appointment, error_code
from tests.support.clinic import Clinic, local, seeded_clinic

DAY = date(2026, 6, 2)  # a Tuesday; listing a day does not care whether it is past or future


@pytest.fixture
async def clinic(conn: asyncpg.Connection) -> Clinic:
    return await seeded_clinic(conn)


@pytest.fixture
async def staff_key(conn: asyncpg.Connection) -> IssuedKey:
    return await create_api_key(conn, name="recepción", scopes={"staff"})


@pytest.fixture
def staff(staff_key: IssuedKey) -> dict[str, str]:
    return {"X-API-Key": staff_key.secret}


async def reminder(conn: asyncpg.Connection, appointment_id: UUID, starts_at: datetime, hours: int = 24) -> int:
    """A pending reminder planned `hours` before `starts_at`, as the notification service plans it."""
    due = starts_at - timedelta(hours=hours)
    await repository.insert_planned(
        conn, appointment_id=appointment_id, planned_start=starts_at, plans=[Planned(hours, due)]
    )
    reminder_id: int = await conn.fetchval(
        "SELECT id FROM reminders WHERE appointment_id = $1 AND hours_before = $2", appointment_id, hours
    )
    return reminder_id


async def a_day_of_reminders(conn: asyncpg.Connection, clinic: Clinic) -> dict[str, int]:
    """María's sent, Juan's skipped for want of consent, Ana's failed (another doctor), and one the next day."""
    maria, juan, ana = (clinic.patients[p.phone] for p in (MARIA, JUAN, ANA))
    at_nine, at_ten, at_eleven = local(DAY, 9), local(DAY, 10), local(DAY, 11)
    sent = await reminder(
        conn, await add_appointment(conn, patient_id=maria, doctor_id=clinic.quispe, starts_at=at_nine), at_nine
    )
    await conn.execute("UPDATE reminders SET attempts = 1 WHERE id = $1", sent)
    await repository.record_sent(conn, reminder_id=sent, wamid="wamid.1", now=at_nine - timedelta(hours=24))
    skipped = await reminder(
        conn, await add_appointment(conn, patient_id=juan, doctor_id=clinic.quispe, starts_at=at_ten), at_ten
    )
    await repository.finish(
        conn, reminder_id=skipped, status="skipped", reason="no_consent", now=at_ten - timedelta(days=1)
    )
    failed = await reminder(
        conn, await add_appointment(conn, patient_id=ana, doctor_id=clinic.mamani, starts_at=at_eleven), at_eleven
    )
    await conn.execute("UPDATE reminders SET attempts = 6 WHERE id = $1", failed)
    await repository.finish(
        conn, reminder_id=failed, status="failed", reason="send_failed", now=at_eleven - timedelta(hours=23),
        error="WhatsAppSendError: 503 for +59171234567",
    )  # fmt: skip
    next_day = local(DAY + timedelta(days=1), 9)
    later = await reminder(
        conn, await add_appointment(conn, patient_id=maria, doctor_id=clinic.quispe, starts_at=next_day), next_day
    )
    return {"sent": sent, "skipped": skipped, "failed": failed, "later": later}


async def test_a_days_reminders_come_with_status_reason_and_local_times(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str], staff_key: IssuedKey
) -> None:
    ids = await a_day_of_reminders(conn, clinic)
    answer = await client.get(f"/staff/reminders?date={DAY}", headers=staff)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["date"], body["timezone"]) == ("2026-06-02", "America/La_Paz")
    listed = body["reminders"]
    assert [r["id"] for r in listed] == [ids["sent"], ids["skipped"], ids["failed"]]  # by start; not the next day's
    sent, skipped, failed = listed
    assert sent["appointment_starts_at"] == "2026-06-02T09:00:00-04:00"
    assert sent["due_at"] == "2026-06-01T09:00:00-04:00" and sent["sent_at"] == "2026-06-01T09:00:00-04:00"
    assert (sent["status"], sent["reason"], sent["attempts"], sent["hours_before"]) == ("sent", None, 1, 24)
    assert (sent["doctor_id"], sent["doctor_name"], sent["specialty_name"]) == (
        clinic.quispe, "Dra. Carmen Quispe", "Medicina general",
    )  # fmt: skip
    assert (skipped["status"], skipped["reason"], skipped["sent_at"]) == ("skipped", "no_consent", None)
    assert (failed["status"], failed["reason"], failed["attempts"]) == ("failed", "send_failed", 6)
    assert failed["doctor_name"] == "Dr. Jorge Mamani"
    # Who: a first name and a masked phone; never the full name, the number, the error or the message.
    assert [(r["patient_first_name"], r["phone"]) for r in listed] == [
        ("María", "+591*****001"), ("Juan", "+591*****002"), ("Ana", "+591*****567"),
    ]  # fmt: skip
    for secret in ("López", "Condori", "Torrez", "59170000001", "59171234567", "WhatsAppSendError", "wamid"):
        assert secret not in answer.text
    [entry] = await audit.recent(conn)
    assert (entry.actor, entry.action, entry.outcome) == (
        f"staff:recepción#{staff_key.key.id}", "staff.reminders.viewed", "success",
    )  # fmt: skip
    assert entry.detail == {"date": "2026-06-02", "doctor_id": None, "status": None, "count": 3}


async def test_a_family_members_reminder_goes_to_the_holders_masked_phone(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str]
) -> None:
    son = await clinic_repository.add_dependent(
        conn, holder_id=clinic.patients[MARIA.phone], full_name="Mateo López", date_of_birth=date(2018, 3, 1),
        relation="hijo",
    )  # fmt: skip
    assert son is not None
    at_nine = local(DAY, 9)
    await reminder(
        conn, await add_appointment(conn, patient_id=son.id, doctor_id=clinic.vargas, starts_at=at_nine), at_nine
    )
    [listed] = (await client.get(f"/staff/reminders?date={DAY}", headers=staff)).json()["reminders"]
    assert (listed["patient_first_name"], listed["phone"], listed["status"]) == ("Mateo", "+591*****001", "pending")
    assert listed["due_at"] == "2026-06-01T09:00:00-04:00" and listed["sent_at"] is None


async def test_reminders_filter_by_doctor_and_status(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str]
) -> None:
    ids = await a_day_of_reminders(conn, clinic)
    failed = (await client.get(f"/staff/reminders?date={DAY}&status=failed", headers=staff)).json()["reminders"]
    assert [r["id"] for r in failed] == [ids["failed"]]
    quispe = await client.get(f"/staff/reminders?date={DAY}&doctor_id={clinic.quispe}", headers=staff)
    assert [r["id"] for r in quispe.json()["reminders"]] == [ids["sent"], ids["skipped"]]
    none = await client.get(f"/staff/reminders?date={DAY}&doctor_id={clinic.vargas}&status=sent", headers=staff)
    assert none.status_code == 200 and none.json()["reminders"] == []
    later = await client.get(f"/staff/reminders?date={DAY + timedelta(days=1)}&status=pending", headers=staff)
    assert [r["id"] for r in later.json()["reminders"]] == [ids["later"]]


async def test_bad_parameters_are_refused_naming_them(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str]
) -> None:
    unknown = await client.get(f"/staff/reminders?date={DAY}&doctor_id=999999", headers=staff)
    assert unknown.status_code == 404 and error_code(unknown) == "not_found"
    [entry] = await audit.recent(conn)
    assert (entry.action, entry.outcome, entry.detail["reason"]) == ("staff.reminders.viewed", "failure", "not_found")
    for query, parameter in [("date=2026-02-30", "date"), ("", "date"), (f"date={DAY}&status=lost", "status")]:
        answer = await client.get(f"/staff/reminders?{query}", headers=staff)
        assert answer.status_code == 422, query
        assert parameter in answer.json()["error"]["message"], query


@pytest.mark.parametrize("scopes", [None, {"chat"}])
async def test_reminders_need_a_staff_key(
    client: httpx.AsyncClient, conn: asyncpg.Connection, scopes: set[str] | None
) -> None:
    headers = {} if scopes is None else {"X-API-Key": (await create_api_key(conn, name="n8n", scopes=scopes)).secret}
    answer = await client.get(f"/staff/reminders?date={DAY}", headers=headers)
    assert answer.status_code == (401 if scopes is None else 403)
