"""SQL for the clinic: people, schedules and appointments. Upserts are idempotent, so seeding
can run on every start; appointment queries return rows joined with the doctor and specialty.

Callers use the package as one module (`repository.insert_appointment`); its queries live in
`clinic` (people), `schedules`, `appointments` and `answers` (consent to reminders, confirmations).
"""

from appointments.repository.answers import confirm_attendance, confirmed_at, reminders_consent, set_reminders_consent
from appointments.repository.appointments import (
    appointments_between,
    doctor_appointments,
    get_appointment,
    insert_appointment,
    lock_patient_upcoming_count,
    upcoming_for_family,
    upcoming_for_patient,
    update_appointment_status,
    update_appointment_time,
)
from appointments.repository.clinic import (
    active_doctors,
    add_dependent,
    count_clinic_rows,
    dependents_of,
    doctor_exists,
    document_on_file,
    family_member,
    patient_by_phone,
    patient_contacts,
    register_patient,
    specialty_names,
    upsert_doctor,
    upsert_patient,
    upsert_specialty,
)
from appointments.repository.connection import Connection
from appointments.repository.schedules import (
    busy_between,
    held_for_another,
    replace_weekly_schedule,
    schedule_overrides,
    upsert_schedule_override,
    weekly_schedules,
)

__all__ = [
    "Connection",
    "active_doctors",
    "add_dependent",
    "appointments_between",
    "busy_between",
    "confirm_attendance",
    "confirmed_at",
    "count_clinic_rows",
    "dependents_of",
    "doctor_appointments",
    "doctor_exists",
    "document_on_file",
    "family_member",
    "get_appointment",
    "held_for_another",
    "insert_appointment",
    "lock_patient_upcoming_count",
    "patient_by_phone",
    "patient_contacts",
    "register_patient",
    "reminders_consent",
    "replace_weekly_schedule",
    "schedule_overrides",
    "set_reminders_consent",
    "specialty_names",
    "upcoming_for_family",
    "upcoming_for_patient",
    "update_appointment_status",
    "update_appointment_time",
    "upsert_doctor",
    "upsert_patient",
    "upsert_schedule_override",
    "upsert_specialty",
    "weekly_schedules",
]
