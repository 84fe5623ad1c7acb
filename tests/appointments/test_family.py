"""Family members: one phone's holder and the dependents it speaks for, and nobody else's."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest

from appointments import booking, repository
from appointments.errors import NotYourAppointment, PatientBusy
from appointments.schemas import AppointmentStatus
from tests.support.clinic import MONDAY, TUESDAY, ZONE, Clinic, local

NOW = local(MONDAY, 9)
MATEO_BORN = date(2027, 1, 15)


async def test_a_dependent_is_a_patient_without_a_phone_reached_through_the_holder(
    conn: asyncpg.Connection, clinic: Clinic
) -> None:
    mateo = await repository.add_dependent(
        conn, holder_id=clinic.maria, full_name="Mateo López", date_of_birth=MATEO_BORN, relation="hijo"
    )

    assert mateo is not None
    assert (mateo.holder_id, mateo.phone, mateo.relation) == (clinic.maria, "+59170000001", "hijo")
    assert await conn.fetchval("SELECT phone FROM patients WHERE id = $1", mateo.id) is None
    assert await repository.dependents_of(conn, holder_id=clinic.maria) == [mateo]
    assert await repository.dependents_of(conn, holder_id=clinic.juan) == []
    # Lookups by phone still find the holder only.
    holder = await repository.patient_by_phone(conn, phone="+59170000001")
    assert holder is not None and holder.id == clinic.maria


async def test_adding_the_same_name_again_finds_the_one_already_there(conn: asyncpg.Connection, clinic: Clinic) -> None:
    first = await repository.add_dependent(
        conn, holder_id=clinic.maria, full_name="Mateo López", date_of_birth=MATEO_BORN, relation="hijo"
    )
    again = await repository.add_dependent(
        conn, holder_id=clinic.maria, full_name="mateo lópez", date_of_birth=date(2020, 1, 1), relation=None
    )

    assert again == first
    assert len(await repository.dependents_of(conn, holder_id=clinic.maria)) == 1


async def test_a_dependent_cannot_hold_dependents(conn: asyncpg.Connection, clinic: Clinic) -> None:
    mateo = await repository.add_dependent(
        conn, holder_id=clinic.maria, full_name="Mateo López", date_of_birth=MATEO_BORN, relation="hijo"
    )
    assert mateo is not None

    nested = await repository.add_dependent(
        conn, holder_id=mateo.id, full_name="Otro Niño", date_of_birth=MATEO_BORN, relation=None
    )

    assert nested is None


async def test_the_database_refuses_a_dependent_with_a_phone_or_a_holder_without_one(
    conn: asyncpg.Connection, clinic: Clinic
) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(
            "INSERT INTO patients (phone, holder_id, full_name) VALUES ('+59170009999', $1, 'Con Teléfono')",
            clinic.maria,
        )
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute("INSERT INTO patients (full_name) VALUES ('Sin Nadie')")


async def test_another_phones_dependent_is_never_reachable(conn: asyncpg.Connection, clinic: Clinic) -> None:
    mateo = await repository.add_dependent(
        conn, holder_id=clinic.maria, full_name="Mateo López", date_of_birth=MATEO_BORN, relation="hijo"
    )
    assert mateo is not None
    his = await booking.book(
        conn, patient_id=mateo.id, doctor_id=clinic.vargas, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
    )

    assert await repository.family_member(conn, holder_id=clinic.juan, patient_id=mateo.id) is None
    assert await repository.family_member(conn, holder_id=clinic.juan, patient_id=clinic.maria) is None
    # A dependent's id does not stand in for a holder: it reaches nobody, not even its own holder.
    assert await repository.family_member(conn, holder_id=mateo.id, patient_id=clinic.maria) is None
    assert await booking.upcoming_for_family(conn, holder_id=clinic.juan, now=NOW) == []
    with pytest.raises(NotYourAppointment):
        await booking.cancel(conn, appointment_id=his.id, patient_id=clinic.juan, now=NOW)
    with pytest.raises(NotYourAppointment):
        await booking.reschedule(
            conn, appointment_id=his.id, patient_id=clinic.juan, new_starts_at=local(TUESDAY, 9), now=NOW, tz=ZONE
        )
    assert await repository.get_appointment(conn, appointment_id=his.id) == his


async def test_the_holder_sees_and_cancels_the_familys_appointments(conn: asyncpg.Connection, clinic: Clinic) -> None:
    mateo = await repository.add_dependent(
        conn, holder_id=clinic.maria, full_name="Mateo López", date_of_birth=MATEO_BORN, relation="hijo"
    )
    assert mateo is not None
    hers = await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
    )
    his = await booking.book(
        conn, patient_id=mateo.id, doctor_id=clinic.vargas, starts_at=local(TUESDAY, 9), now=NOW, tz=ZONE
    )

    family = await booking.upcoming_for_family(conn, holder_id=clinic.maria, now=NOW)
    cancelled = await booking.cancel(conn, appointment_id=his.id, patient_id=clinic.maria, now=NOW)

    assert [a.id for a in family] == [hers.id, his.id]
    assert cancelled.status is AppointmentStatus.CANCELLED
    contacts = await repository.patient_contacts(conn, patient_ids=[mateo.id])
    assert contacts[mateo.id].phone == "+59170000001"


async def test_no_overlap_is_per_family_member(conn: asyncpg.Connection, clinic: Clinic) -> None:
    mateo = await repository.add_dependent(
        conn, holder_id=clinic.maria, full_name="Mateo López", date_of_birth=MATEO_BORN, relation="hijo"
    )
    assert mateo is not None
    await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
    )

    # The mother's 08:00 does not keep her son from his own 08:00 with another doctor...
    await booking.book(
        conn, patient_id=mateo.id, doctor_id=clinic.mamani, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
    )
    # ...but he cannot be in two places at once.
    with pytest.raises(PatientBusy):
        await booking.book(
            conn, patient_id=mateo.id, doctor_id=clinic.vargas, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
        )
