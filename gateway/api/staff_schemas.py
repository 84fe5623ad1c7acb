"""What the staff API answers; times are ISO 8601 with the offset of the clinic's zone."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from appointments.schemas import Appointment, AppointmentStatus, CreatedBy, Doctor, PatientContact, Slot
from gateway.schemas import PhoneNumber


class StaffDoctor(BaseModel):
    id: int
    name: str
    specialty: str = Field(description="Specialty code, as `/staff/availability?specialty=` takes it.")
    specialty_name: str

    @classmethod
    def of(cls, doctor: Doctor) -> StaffDoctor:
        return cls(
            id=doctor.id, name=doctor.full_name, specialty=doctor.specialty_code, specialty_name=doctor.specialty_name
        )


class DoctorList(BaseModel):
    doctors: list[StaffDoctor]


class StaffPatient(BaseModel):
    id: int
    name: str
    phone: str


class StaffAppointment(BaseModel):
    id: UUID
    status: AppointmentStatus
    starts_at: dt.datetime
    ends_at: dt.datetime
    doctor_id: int
    doctor_name: str
    specialty: str
    patient: StaffPatient
    created_by: CreatedBy
    channel: str
    cancelled_at: dt.datetime | None

    @classmethod
    def of(cls, appointment: Appointment, patient: PatientContact, zone: ZoneInfo) -> StaffAppointment:
        cancelled_at = appointment.cancelled_at
        return cls(
            id=appointment.id,
            status=appointment.status,
            starts_at=appointment.starts_at.astimezone(zone),
            ends_at=appointment.ends_at.astimezone(zone),
            doctor_id=appointment.doctor_id,
            doctor_name=appointment.doctor_name,
            specialty=appointment.specialty_code,
            patient=StaffPatient(id=patient.id, name=patient.full_name, phone=patient.phone),
            created_by=appointment.created_by,
            channel=appointment.channel,
            cancelled_at=None if cancelled_at is None else cancelled_at.astimezone(zone),
        )


class DayAppointments(BaseModel):
    date: dt.date
    timezone: str
    appointments: list[StaffAppointment]


class StaffSlot(BaseModel):
    doctor_id: int
    doctor_name: str
    specialty: str
    starts_at: dt.datetime
    ends_at: dt.datetime

    @classmethod
    def of(cls, slot: Slot, zone: ZoneInfo) -> StaffSlot:
        return cls(
            doctor_id=slot.doctor_id,
            doctor_name=slot.doctor_name,
            specialty=slot.specialty_code,
            starts_at=slot.starts_at.astimezone(zone),
            ends_at=slot.ends_at.astimezone(zone),
        )


class Availability(BaseModel):
    first_day: dt.date
    last_day: dt.date
    timezone: str
    slots: list[StaffSlot]


class OutcomeRequest(BaseModel):
    """How an appointment that has started went."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "completed"}]})

    status: Literal["completed", "no_show"]


class UnlockRequest(BaseModel):
    """The phone whose verification lockout to lift, in E.164."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"phone": "+59170123456"}]})

    phone: PhoneNumber


class VerificationUnlocked(BaseModel):
    was_locked: bool = Field(description="Whether the phone was locked out when staff unlocked it.")
    patient_id: int | None = Field(description="The patient registered with this phone, if any.")


class FailedWhatsAppMessage(BaseModel):
    """A WhatsApp message the assistant gave up answering; the patient may still be waiting."""

    wamid: str = Field(description="WhatsApp's id of the patient's message.")
    phone: str = Field(description="The sender, masked (+591*****001).")
    message_type: str
    received_at: dt.datetime
    failed_at: dt.datetime | None
    attempts: int = Field(description="Runs of its job (the first and each retry).")
    error: str | None = Field(description="Why the last attempt failed.")
    parts: int = Field(description="Messages the stored answer has (0: none was worked out).")
    parts_sent: int = Field(description="How many of those WhatsApp accepted.")


class FailedWhatsAppMessages(BaseModel):
    messages: list[FailedWhatsAppMessage]


ReminderStatus = Literal["pending", "sent", "failed", "skipped", "dropped"]


class StaffReminder(BaseModel):
    """One appointment reminder and what became of it; never the message's text, only the patient's first name."""

    id: int
    appointment_id: UUID
    appointment_starts_at: dt.datetime = Field(description="The start the reminder was planned for.")
    doctor_id: int
    doctor_name: str
    specialty_name: str
    patient_first_name: str
    phone: str | None = Field(description="Where it goes, masked (+591*****001); null when the patient has none.")
    hours_before: int
    due_at: dt.datetime | None = Field(description="When it goes (or went) out; null when it was never due.")
    status: ReminderStatus
    reason: str | None = Field(
        description="Why it was not sent: no_consent, quiet_hours, booked_late, too_late, superseded, no_phone, "
        "cancelled, moved, send_failed, send_refused."
    )
    attempts: int = Field(description="Posts tried (more than one only after a failure).")
    sent_at: dt.datetime | None


class DayReminders(BaseModel):
    date: dt.date
    timezone: str
    reminders: list[StaffReminder]


class StaffWaitlistEntry(BaseModel):
    """One patient waiting for a slot, in line order; only the first name and a masked phone."""

    id: int
    position: int = Field(
        description="The place in its line, 1 being offered the next slot that fits: with `doctor_id`, that "
        "doctor's line (entries for the doctor and for any doctor of the specialty); without, the entry's own: "
        "its doctor's, or for an entry for any doctor, its specialty's."
    )
    patient_first_name: str
    phone: str | None = Field(description="Where an offer goes, masked (+591*****001).")
    doctor_id: int | None = Field(description="null: any doctor of the specialty.")
    doctor_name: str | None
    specialty_name: str
    first_day: dt.date
    last_day: dt.date
    weekdays: list[int] | None = Field(
        default=None, description="The only ISO weekdays asked for (1 is Monday) between the days; null: any day."
    )
    waiting_since: dt.datetime
    offered_starts_at: dt.datetime | None = Field(description="The freed slot held for this patient now, if any.")
    offered_until: dt.datetime | None


class Waitlist(BaseModel):
    timezone: str
    entries: list[StaffWaitlistEntry]
