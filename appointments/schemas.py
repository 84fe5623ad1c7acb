"""The appointments domain's values: frozen, typed, built from database rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from uuid import UUID

import asyncpg


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class CreatedBy(StrEnum):
    PATIENT = "patient"
    STAFF = "staff"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Doctor:
    id: int
    full_name: str
    specialty_code: str
    specialty_name: str

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Doctor:
        return cls(
            id=row["id"],
            full_name=row["full_name"],
            specialty_code=row["specialty_code"],
            specialty_name=row["specialty_name"],
        )


@dataclass(frozen=True, slots=True)
class Patient:
    """A patient: a phone's holder, or a family member the holder speaks for (`holder_id` set)."""

    id: int
    # The phone that speaks for the patient: their own, or their holder's.
    phone: str
    full_name: str
    document_number: str | None
    # The identity question's answer; None for patients registered before it was asked.
    date_of_birth: date | None
    holder_id: int | None = None
    # How the holder calls a family member ("hijo", "madre"); None for a holder or when not said.
    relation: str | None = None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Patient:
        return cls(
            id=row["id"],
            phone=row["phone"],
            full_name=row["full_name"],
            document_number=row["document_number"],
            date_of_birth=row["date_of_birth"],
            holder_id=row.get("holder_id"),
            relation=row.get("relation"),
        )


@dataclass(frozen=True, slots=True)
class PatientContact:
    """Who a patient is, as staff need to see it next to an appointment; a family member's phone is the holder's."""

    id: int
    full_name: str
    phone: str

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> PatientContact:
        return cls(id=row["id"], full_name=row["full_name"], phone=row["phone"])


@dataclass(frozen=True, slots=True)
class ScheduleBlock:
    """A doctor's working hours on one ISO weekday (1 = Monday), cut into equal slots."""

    doctor_id: int
    weekday: int
    start: time
    end: time
    slot_minutes: int

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> ScheduleBlock:
        return cls(
            doctor_id=row["doctor_id"],
            weekday=row["weekday"],
            start=row["start_time"],
            end=row["end_time"],
            slot_minutes=row["slot_minutes"],
        )


@dataclass(frozen=True, slots=True)
class ScheduleOverride:
    """A date off the weekly schedule: `doctor_id` None is the whole clinic; no hours is closed."""

    on_date: date
    doctor_id: int | None
    start: time | None
    end: time | None
    reason: str
    slot_minutes: int | None = None

    @property
    def closed(self) -> bool:
        return self.start is None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> ScheduleOverride:
        return cls(
            on_date=row["on_date"],
            doctor_id=row["doctor_id"],
            start=row["start_time"],
            end=row["end_time"],
            reason=row["reason"],
            slot_minutes=row["slot_minutes"],
        )


@dataclass(frozen=True, slots=True)
class Busy:
    """Time a doctor or patient is already committed (a non-cancelled appointment)."""

    starts_at: datetime
    ends_at: datetime
    doctor_id: int
    patient_id: int


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable time with a doctor; times are aware, in the clinic's zone."""

    doctor_id: int
    doctor_name: str
    specialty_code: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class Appointment:
    id: UUID
    patient_id: int
    doctor_id: int
    doctor_name: str
    specialty_code: str
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    created_by: CreatedBy
    channel: str
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Appointment:
        return cls(
            id=row["id"],
            patient_id=row["patient_id"],
            doctor_id=row["doctor_id"],
            doctor_name=row["doctor_name"],
            specialty_code=row["specialty_code"],
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            status=AppointmentStatus(row["status"]),
            created_by=CreatedBy(row["created_by"]),
            channel=row["channel"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            cancelled_at=row["cancelled_at"],
        )
