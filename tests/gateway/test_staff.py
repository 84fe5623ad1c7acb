"""The staff API on a real gateway and database, with the demo clinic (times are La Paz, UTC-4)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest

from appointments import repository
from appointments.demo import CLINIC_OVERRIDES
from appointments.schemas import AppointmentStatus, CreatedBy
from gateway import audit
from gateway.security.api_keys import IssuedKey, create_api_key
from tests.support.clinic import ZONE, Clinic, local, seeded_clinic

DAY = date(2026, 6, 2)  # a Tuesday; listing a day does not care whether it is past or future


def coming_tuesday() -> date:
    """A Tuesday at least three days ahead whose Tuesday and Wednesday follow the weekly schedules."""
    special = {o.on_date for o in CLINIC_OVERRIDES}
    day = datetime.now(ZONE).date() + timedelta(days=3)
    while day.isoweekday() != 2 or day in special or day + timedelta(days=1) in special:
        day += timedelta(days=1)
    return day


@pytest.fixture
async def clinic(conn: asyncpg.Connection) -> Clinic:
    return await seeded_clinic(conn)


@pytest.fixture
async def staff_key(conn: asyncpg.Connection) -> IssuedKey:
    return await create_api_key(conn, name="recepción", scopes={"staff"})


@pytest.fixture
def staff(staff_key: IssuedKey) -> dict[str, str]:
    return {"X-API-Key": staff_key.secret}


async def add_appointment(
    conn: asyncpg.Connection,
    *,
    patient_id: int,
    doctor_id: int,
    starts_at: datetime,
    minutes: int = 20,
    status: AppointmentStatus = AppointmentStatus.BOOKED,
) -> UUID:
    """An appointment put straight into the table (listings and staff actions do not check schedules)."""
    appointment = await repository.insert_appointment(
        conn,
        patient_id=patient_id,
        doctor_id=doctor_id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        created_by=CreatedBy.PATIENT,
        channel="whatsapp",
        now=starts_at - timedelta(days=7),
    )
    if status is not AppointmentStatus.BOOKED:
        await repository.update_appointment_status(conn, appointment_id=appointment.id, status=status, now=starts_at)
    return appointment.id


async def status_of(conn: asyncpg.Connection, appointment_id: UUID) -> str:
    status: str = await conn.fetchval("SELECT status FROM appointments WHERE id = $1", appointment_id)
    return status


def error_code(answer: httpx.Response) -> str:
    code: str = answer.json()["error"]["code"]
    return code


# --- who may call --------------------------------------------------------------------------

ROUTES = [
    ("GET", "/staff/doctors", None),
    ("GET", f"/staff/appointments?date={DAY}", None),
    ("GET", f"/staff/availability?date={DAY}&specialty=pediatria", None),
    ("POST", f"/staff/appointments/{uuid.uuid4()}/cancel", None),
    ("POST", f"/staff/appointments/{uuid.uuid4()}/outcome", {"status": "completed"}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_every_staff_route_needs_a_key(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    answer = await client.request(method, path, json=body)
    assert answer.status_code == 401
    assert error_code(answer) == "unauthorized"


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_a_chat_only_key_is_forbidden_everywhere_under_staff(
    client: httpx.AsyncClient, conn: asyncpg.Connection, method: str, path: str, body: dict[str, Any] | None
) -> None:
    chat_key = await create_api_key(conn, name="n8n", scopes={"chat"})
    answer = await client.request(method, path, json=body, headers={"X-API-Key": chat_key.secret})
    assert answer.status_code == 403
    assert error_code(answer) == "forbidden"
    assert "staff" in answer.json()["error"]["message"]
    # Refused, and the refusal is on record (tests/security/test_api5_*: what the row holds).
    [entry] = await audit.recent(conn)
    assert (entry.actor, entry.action, entry.outcome) == (f"api_key:{chat_key.key.prefix}", "staff.auth", "denied")


async def test_an_admin_key_is_let_in(client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic) -> None:
    admin = await create_api_key(conn, name="ops", scopes={"admin"})
    answer = await client.get("/staff/doctors", headers={"X-API-Key": admin.secret})
    assert answer.status_code == 200
    [entry] = await audit.recent(conn)
    assert entry.actor == f"staff:ops#{admin.key.id}"


# --- doctors -----------------------------------------------------------------------------


async def test_doctors_are_listed_with_the_ids_and_specialty_codes_the_other_routes_take(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str], staff_key: IssuedKey
) -> None:
    answer = await client.get("/staff/doctors", headers=staff)
    assert answer.status_code == 200
    doctors = answer.json()["doctors"]
    assert len(doctors) == len(clinic.doctors)
    assert {"id": clinic.vargas, "name": "Dra. Lucía Vargas", "specialty": "pediatria"}.items() <= next(
        d for d in doctors if d["id"] == clinic.vargas
    ).items()
    [entry] = await audit.recent(conn)
    assert (entry.actor, entry.action, entry.target, entry.outcome) == (
        f"staff:recepción#{staff_key.key.id}",
        "staff.doctors.viewed",
        None,
        "success",
    )
    assert entry.detail == {"count": len(clinic.doctors)}


# --- a day's appointments ------------------------------------------------------------------


async def test_a_days_appointments_are_those_of_the_clinics_local_day_with_patient_and_offset(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str], staff_key: IssuedKey
) -> None:
    morning = await add_appointment(conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(DAY, 9))
    # 23:30 in La Paz is already the next day in UTC; 21:00 the day before is already this day in UTC.
    late = await add_appointment(
        conn, patient_id=clinic.juan, doctor_id=clinic.vargas, starts_at=local(DAY, 23, 30), minutes=30
    )
    await add_appointment(
        conn, patient_id=clinic.ana, doctor_id=clinic.mamani, starts_at=local(DAY - timedelta(days=1), 21)
    )
    cancelled = await add_appointment(
        conn,
        patient_id=clinic.juan,
        doctor_id=clinic.quispe,
        starts_at=local(DAY, 10),
        status=AppointmentStatus.CANCELLED,
    )

    answer = await client.get("/staff/appointments", params={"date": DAY.isoformat()}, headers=staff)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["date"], body["timezone"]) == ("2026-06-02", "America/La_Paz")
    assert [a["id"] for a in body["appointments"]] == [str(morning), str(late)]
    first = body["appointments"][0]
    assert (first["starts_at"], first["ends_at"]) == ("2026-06-02T09:00:00-04:00", "2026-06-02T09:20:00-04:00")
    assert first["patient"] == {"id": clinic.maria, "name": "María Fernanda López", "phone": "+59170000001"}
    assert (first["doctor_id"], first["doctor_name"], first["specialty"]) == (
        clinic.quispe,
        "Dra. Carmen Quispe",
        "medicina_general",
    )
    assert (first["status"], first["created_by"], first["cancelled_at"]) == ("booked", "patient", None)
    assert body["appointments"][1]["starts_at"] == "2026-06-02T23:30:00-04:00"

    [entry] = await audit.recent(conn)
    assert (entry.actor, entry.action, entry.outcome) == (
        f"staff:recepción#{staff_key.key.id}",
        "staff.appointments.viewed",
        "success",
    )
    assert entry.detail == {"date": "2026-06-02", "doctor_id": None, "count": 2}

    one_doctor = await client.get(f"/staff/appointments?date={DAY}&doctor_id={clinic.vargas}", headers=staff)
    assert [a["id"] for a in one_doctor.json()["appointments"]] == [str(late)]
    with_cancelled = await client.get(f"/staff/appointments?date={DAY}&include_cancelled=true", headers=staff)
    listed = {a["id"]: a["status"] for a in with_cancelled.json()["appointments"]}
    assert listed == {str(morning): "booked", str(cancelled): "cancelled", str(late): "booked"}


async def test_an_unknown_doctor_is_404_and_audited_as_a_failure(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str]
) -> None:
    answer = await client.get(f"/staff/appointments?date={DAY}&doctor_id=999999", headers=staff)
    assert answer.status_code == 404
    assert error_code(answer) == "not_found"
    [entry] = await audit.recent(conn)
    assert (entry.action, entry.outcome) == ("staff.appointments.viewed", "failure")
    assert entry.detail == {"date": DAY.isoformat(), "doctor_id": 999999, "reason": "not_found"}


@pytest.mark.parametrize(
    "query",
    [
        "date=2026-02-30",
        "date=02/06/2026",
        "date=2026-6-2",
        "date=86400",
        "date=",
        "date=1999-12-31",
        "date=9999-12-31",
        "",
        f"date={DAY}&doctor_id=abc",
        f"date={DAY}&doctor_id=0",
        f"date={DAY}&doctor_id=99999999999999999999",
    ],
)
async def test_a_bad_date_or_doctor_is_422_naming_the_parameter(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str], query: str
) -> None:
    answer = await client.get(f"/staff/appointments?{query}", headers=staff)
    assert answer.status_code == 422
    assert error_code(answer) == "validation_error"
    expected = "doctor_id" if "doctor_id" in query else "date"
    assert answer.json()["error"]["message"].startswith(f"{expected}:")
    assert await audit.recent(conn) == []


# --- availability --------------------------------------------------------------------------


async def test_availability_of_a_doctor_lists_free_slots_in_the_clinics_zone(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str], staff_key: IssuedKey
) -> None:
    tuesday = coming_tuesday()
    await add_appointment(conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(tuesday, 9))

    answer = await client.get(f"/staff/availability?date={tuesday}&doctor_id={clinic.quispe}", headers=staff)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["first_day"], body["last_day"], body["timezone"]) == (
        tuesday.isoformat(),
        tuesday.isoformat(),
        "America/La_Paz",
    )
    starts = [s["starts_at"] for s in body["slots"]]
    assert len(starts) == 24 - 1  # 08-12 and 14-18 in 20-minute slots, less the booked 09:00
    assert starts[0] == f"{tuesday}T08:00:00-04:00"
    assert f"{tuesday}T09:00:00-04:00" not in starts
    assert f"{tuesday}T09:20:00-04:00" in starts
    assert {s["doctor_id"] for s in body["slots"]} == {clinic.quispe}

    two_days = await client.get(
        "/staff/availability",
        params={"date": tuesday.isoformat(), "doctor_id": clinic.quispe, "days": 2},
        headers=staff,
    )
    assert two_days.json()["last_day"] == (tuesday + timedelta(days=1)).isoformat()
    assert len(two_days.json()["slots"]) == 23 + 24

    entry = (await audit.recent(conn, action="staff.availability.viewed"))[-1]
    assert (entry.actor, entry.outcome) == (f"staff:recepción#{staff_key.key.id}", "success")
    assert entry.detail == {
        "date": tuesday.isoformat(),
        "days": 1,
        "doctor_id": clinic.quispe,
        "specialty": None,
        "count": 23,
    }


async def test_availability_of_a_specialty_covers_its_doctors(
    client: httpx.AsyncClient, clinic: Clinic, staff: dict[str, str]
) -> None:
    tuesday = coming_tuesday()
    answer = await client.get(f"/staff/availability?date={tuesday}&specialty=pediatria", headers=staff)
    assert answer.status_code == 200
    slots = answer.json()["slots"]
    assert len(slots) == 8 + 6  # 08-12 and 14-17 in 30-minute slots
    assert {(s["doctor_id"], s["specialty"]) for s in slots} == {(clinic.vargas, "pediatria")}


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        (f"date={DAY}", 422, "exactly one of doctor_id or specialty"),
        (f"date={DAY}&doctor_id=1&specialty=pediatria", 422, "exactly one of doctor_id or specialty"),
        (f"date={DAY}&specialty=pediatria&days=15", 422, "days:"),
        (f"date={DAY}&specialty=pediatria&days=0", 422, "days:"),
        (f"date={DAY}&specialty=Pediatría", 422, "specialty:"),
        ("date=2026-13-01&specialty=pediatria", 422, "date:"),
        (f"date={DAY}&specialty=urologia", 404, "specialty:"),
        (f"date={DAY}&doctor_id=999999", 404, "doctor_id:"),
    ],
)
async def test_availability_refuses_unclear_questions(
    client: httpx.AsyncClient, clinic: Clinic, staff: dict[str, str], query: str, status: int, message: str
) -> None:
    answer = await client.get(f"/staff/availability?{query}", headers=staff)
    assert answer.status_code == status
    assert message in answer.json()["error"]["message"]


# --- cancelling ----------------------------------------------------------------------------


async def test_staff_cancel_any_patients_appointment_once_and_each_try_is_audited(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str], staff_key: IssuedKey
) -> None:
    tuesday = coming_tuesday()
    appointment_id = await add_appointment(
        conn, patient_id=clinic.juan, doctor_id=clinic.quispe, starts_at=local(tuesday, 10)
    )

    answer = await client.post(f"/staff/appointments/{appointment_id}/cancel", headers=staff)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["id"], body["status"], body["created_by"]) == (str(appointment_id), "cancelled", "patient")
    assert body["cancelled_at"].endswith("-04:00")
    assert body["patient"]["id"] == clinic.juan
    assert await status_of(conn, appointment_id) == "cancelled"

    again = await client.post(f"/staff/appointments/{appointment_id}/cancel", headers=staff)
    assert again.status_code == 409
    assert error_code(again) == "invalid_status_change"

    entries = await audit.recent(conn, target=audit.appointment_target(appointment_id))
    assert [(e.actor, e.action, e.outcome) for e in entries] == [
        (f"staff:recepción#{staff_key.key.id}", "appointment.cancelled", "failure"),
        (f"staff:recepción#{staff_key.key.id}", "appointment.cancelled", "success"),
    ]
    assert entries[1].detail == {"patient_id": clinic.juan}
    assert entries[0].detail == {"reason": "invalid_status_change"}


async def test_cancelling_an_unknown_appointment_is_404_and_audited(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str]
) -> None:
    unknown = uuid.uuid4()
    answer = await client.post(f"/staff/appointments/{unknown}/cancel", headers=staff)
    assert answer.status_code == 404
    assert error_code(answer) == "appointment_not_found"
    [entry] = await audit.recent(conn)
    assert (entry.action, entry.target, entry.outcome) == (
        "appointment.cancelled",
        f"appointment:{unknown}",
        "failure",
    )
    assert entry.detail == {"reason": "appointment_not_found"}


async def test_an_appointment_that_has_started_cannot_be_cancelled(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str]
) -> None:
    yesterday = datetime.now(ZONE) - timedelta(days=1)
    past = await add_appointment(conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=yesterday)
    answer = await client.post(f"/staff/appointments/{past}/cancel", headers=staff)
    assert answer.status_code == 409
    assert await status_of(conn, past) == "booked"


async def test_a_malformed_appointment_id_is_422(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    answer = await client.post("/staff/appointments/not-a-uuid/cancel", headers=staff)
    assert answer.status_code == 422
    assert answer.json()["error"]["message"].startswith("appointment_id:")


async def test_a_cancellation_whose_audit_entry_cannot_be_written_is_not_applied(
    client: httpx.AsyncClient,
    conn: asyncpg.Connection,
    clinic: Clinic,
    staff: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    appointment_id = await add_appointment(
        conn, patient_id=clinic.juan, doctor_id=clinic.quispe, starts_at=local(coming_tuesday(), 10)
    )
    record = audit.record

    async def record_then_fail(*args: Any, **kwargs: Any) -> None:
        await record(*args, **kwargs)
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(audit, "record", record_then_fail)
    with pytest.raises(RuntimeError, match="audit log"):
        await client.post(f"/staff/appointments/{appointment_id}/cancel", headers=staff)
    assert await status_of(conn, appointment_id) == "booked"
    assert await audit.recent(conn) == []


# --- outcomes ------------------------------------------------------------------------------


async def test_staff_record_how_a_past_appointment_went(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str], staff_key: IssuedKey
) -> None:
    earlier = datetime.now(ZONE) - timedelta(hours=3)
    appointment_id = await add_appointment(conn, patient_id=clinic.ana, doctor_id=clinic.vargas, starts_at=earlier)

    answer = await client.post(
        f"/staff/appointments/{appointment_id}/outcome", json={"status": "no_show"}, headers=staff
    )
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["patient"]["id"]) == ("no_show", clinic.ana)
    assert await status_of(conn, appointment_id) == "no_show"
    [entry] = await audit.recent(conn)
    assert (entry.actor, entry.action, entry.target, entry.outcome) == (
        f"staff:recepción#{staff_key.key.id}",
        "appointment.outcome_set",
        f"appointment:{appointment_id}",
        "success",
    )
    assert entry.detail == {"status": "no_show", "patient_id": clinic.ana}


@pytest.mark.parametrize(
    "body", [{"status": "done"}, {"status": "cancelled"}, {}, {"status": "completed", "note": "x"}, None]
)
async def test_an_outcome_other_than_completed_or_no_show_is_422(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str], body: Any
) -> None:
    earlier = datetime.now(ZONE) - timedelta(hours=3)
    appointment_id = await add_appointment(conn, patient_id=clinic.ana, doctor_id=clinic.vargas, starts_at=earlier)
    answer = await client.post(f"/staff/appointments/{appointment_id}/outcome", json=body, headers=staff)
    assert answer.status_code == 422
    assert error_code(answer) == "validation_error"
    assert await status_of(conn, appointment_id) == "booked"


@pytest.mark.parametrize("state", ["future", "cancelled"])
async def test_an_outcome_for_an_appointment_not_yet_started_or_cancelled_is_409(
    client: httpx.AsyncClient, conn: asyncpg.Connection, clinic: Clinic, staff: dict[str, str], state: str
) -> None:
    if state == "future":
        starts_at, status = local(coming_tuesday(), 9), AppointmentStatus.BOOKED
    else:
        starts_at, status = datetime.now(ZONE) - timedelta(hours=3), AppointmentStatus.CANCELLED
    appointment_id = await add_appointment(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=starts_at, status=status
    )
    answer = await client.post(
        f"/staff/appointments/{appointment_id}/outcome", json={"status": "completed"}, headers=staff
    )
    assert answer.status_code == 409
    assert error_code(answer) == "invalid_status_change"
    assert await status_of(conn, appointment_id) == str(status)
    [entry] = await audit.recent(conn)
    assert (entry.outcome, entry.detail) == ("failure", {"status": "completed", "reason": "invalid_status_change"})


async def test_an_outcome_for_an_unknown_appointment_is_404(
    client: httpx.AsyncClient, clinic: Clinic, staff: dict[str, str]
) -> None:
    answer = await client.post(
        f"/staff/appointments/{uuid.uuid4()}/outcome", json={"status": "completed"}, headers=staff
    )
    assert answer.status_code == 404
    assert error_code(answer) == "appointment_not_found"
