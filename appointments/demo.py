"""A small demo clinic, so a fresh `make run` has someone to talk about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from appointments import availability, clinic_info, repository
from appointments.clinic_info import Address, Hours, Insurer, Named, Payment, Period, Preparation, Prices, Topic
from appointments.schemas import Appointment, CreatedBy, ScheduleBlock, ScheduleOverride

SPECIALTIES: dict[str, str] = {
    "medicina_general": "Medicina general",
    "pediatria": "Pediatría",
    "ginecologia": "Ginecología",
    "cardiologia": "Cardiología",
    "dermatologia": "Dermatología",
    "odontologia": "Odontología",
    "traumatologia": "Traumatología",
    "oftalmologia": "Oftalmología",
    "psicologia": "Psicología",
}

DOCTORS: list[tuple[str, str]] = [
    ("Dra. Carmen Quispe", "medicina_general"),
    ("Dr. Jorge Mamani", "medicina_general"),
    ("Dra. Lucía Vargas", "pediatria"),
    ("Dra. Patricia Rojas", "ginecologia"),
    ("Dr. Fernando Gutiérrez", "cardiologia"),
    ("Dra. Valeria Choque", "dermatologia"),
    ("Dr. Marco Antonio Flores", "odontologia"),
]


@dataclass(frozen=True)
class DemoPatient:
    """A demo patient; tests answer the identity question with `date_of_birth`."""

    phone: str
    full_name: str
    document_number: str
    date_of_birth: date


MARIA = DemoPatient("+59170000001", "María Fernanda López", "4567891 LP", date(1987, 5, 21))
JUAN = DemoPatient("+59170000002", "Juan Carlos Condori", "6789123 CB", date(1978, 11, 4))
ANA = DemoPatient("+59171234567", "Ana Gabriela Torrez", "5678912 SC", date(1992, 7, 27))
PATIENTS: list[DemoPatient] = [MARIA, JUAN, ANA]

MON_FRI = (1, 2, 3, 4, 5)
SATURDAY = (6,)
MORNING = (time(8), time(12))
AFTERNOON = (time(14), time(18))

# Each doctor's week: (ISO weekdays, (start, end), slot minutes). General medicine runs 20-minute slots.
SCHEDULES: dict[str, list[tuple[tuple[int, ...], tuple[time, time], int]]] = {
    "Dra. Carmen Quispe": [(MON_FRI, MORNING, 20), (MON_FRI, AFTERNOON, 20), (SATURDAY, MORNING, 20)],
    "Dr. Jorge Mamani": [(MON_FRI, (time(8), time(13)), 20), (MON_FRI, (time(15), time(19)), 20)],
    "Dra. Lucía Vargas": [(MON_FRI, MORNING, 30), (MON_FRI, (time(14), time(17)), 30), (SATURDAY, MORNING, 30)],
    "Dra. Patricia Rojas": [((1, 3, 5), MORNING, 30), ((2, 4), AFTERNOON, 30)],
    "Dr. Fernando Gutiérrez": [(MON_FRI, (time(9), time(13)), 30)],
    "Dra. Valeria Choque": [((2, 3, 4, 5), AFTERNOON, 30), (SATURDAY, (time(9), time(12)), 30)],
    "Dr. Marco Antonio Flores": [
        (MON_FRI, MORNING, 30),
        (MON_FRI, (time(14, 30), time(18, 30)), 30),
        (SATURDAY, MORNING, 30),
    ],
}

# Clinic-wide days off the weekly schedule: closed (no hours) or shortened.
CLINIC_OVERRIDES: list[ScheduleOverride] = [
    ScheduleOverride(
        on_date=date(2026, 12, 24), doctor_id=None, start=time(8), end=time(12), reason="Nochebuena: media jornada"
    ),
    ScheduleOverride(on_date=date(2026, 12, 25), doctor_id=None, start=None, end=None, reason="Feriado: Navidad"),
    ScheduleOverride(on_date=date(2027, 1, 1), doctor_id=None, start=None, end=None, reason="Feriado: Año Nuevo"),
]


# What the demo clinic tells patients (clinic_info). The hours span the doctors' weeks above: Monday to
# Friday 8:00-19:00, Saturday 8:00-12:00, closed on Sunday. Specialties without a doctor have no price.
CLINIC_HOURS = Hours(
    weekdays={
        **{weekday: [Period(opens=time(8), closes=time(19))] for weekday in MON_FRI},
        6: [Period(opens=time(8), closes=time(12))],
    },
    holidays="En los feriados nacionales la clínica está cerrada.",
)
CLINIC_PRICES = Prices(
    consultation_bs={
        "medicina_general": 150,
        "pediatria": 200,
        "ginecologia": 250,
        "cardiologia": 300,
        "dermatologia": 250,
        "odontologia": 180,
    }
)
CLINIC_ADDRESS = Address(
    street="Av. 20 de Octubre 2150, esquina Belisario Salinas",
    area="Sopocachi",
    city="La Paz",
    reference="a media cuadra de la Plaza Abaroa",
    maps_url="https://maps.google.com/?q=-16.5098,-68.1262",
    parking="Tenemos parqueo para pacientes en la entrada de la calle Belisario Salinas.",
)
CLINIC_PAYMENT = Payment(
    methods=[
        Named(name="efectivo", aliases=["efectivo", "cash", "particular"]),
        Named(name="tarjeta de débito o crédito", aliases=["tarjeta", "debito", "credito", "visa", "mastercard"]),
        Named(name="pago por QR", aliases=["qr", "codigo qr"]),
    ],
    insurers=[
        Insurer(name="BISA Seguros", aliases=["bisa"], accepted=True),
        Insurer(name="Nacional Seguros", aliases=["nacional seguros"], accepted=True),
        Insurer(
            name="la Caja Nacional de Salud (CNS)",
            aliases=["caja nacional", "cns", "caja nacional de salud"],
            accepted=False,
        ),
        Insurer(name="la Caja Petrolera de Salud", aliases=["caja petrolera", "petrolera", "cps"], accepted=False),
    ],
)
CLINIC_PREPARATION = Preparation(
    bring=[
        "su carnet de identidad",
        "la orden médica, si tiene una",
        "sus estudios y recetas anteriores relacionados con la consulta",
    ]
)
CLINIC_INFO: dict[Topic, clinic_info.Facts] = {
    Topic.HOURS: CLINIC_HOURS,
    Topic.PRICES: CLINIC_PRICES,
    Topic.ADDRESS: CLINIC_ADDRESS,
    Topic.PAYMENT: CLINIC_PAYMENT,
    Topic.PREPARATION: CLINIC_PREPARATION,
}


def weekly_blocks(doctor_id: int, week: list[tuple[tuple[int, ...], tuple[time, time], int]]) -> list[ScheduleBlock]:
    """Expand a doctor's compact week into one block per weekday and period."""
    return [
        ScheduleBlock(doctor_id=doctor_id, weekday=weekday, start=start, end=end, slot_minutes=minutes)
        for weekdays, (start, end), minutes in week
        for weekday in weekdays
    ]


async def seed_demo_clinic(conn: repository.Connection) -> dict[str, int]:
    """Insert (or refresh) the demo clinic in one transaction; return the row counts."""
    async with conn.transaction():
        specialty_ids = {
            code: await repository.upsert_specialty(conn, code=code, name=name) for code, name in SPECIALTIES.items()
        }
        for full_name, specialty in DOCTORS:
            doctor_id = await repository.upsert_doctor(conn, full_name=full_name, specialty_id=specialty_ids[specialty])
            blocks = weekly_blocks(doctor_id, SCHEDULES[full_name])
            await repository.replace_weekly_schedule(conn, doctor_id=doctor_id, blocks=blocks)
        for override in CLINIC_OVERRIDES:
            await repository.upsert_schedule_override(conn, override=override)
        for topic, facts in CLINIC_INFO.items():
            await clinic_info.put(conn, topic=topic, details=facts)
        for patient in PATIENTS:
            await repository.upsert_patient(
                conn,
                phone=patient.phone,
                full_name=patient.full_name,
                document_number=patient.document_number,
                date_of_birth=patient.date_of_birth,
            )
    return await repository.count_clinic_rows(conn)


# The demo reminder's appointment was booked this long ago, before its reminder's time: one booked inside the
# horizon gets no reminder (notifications/planning.py), and the demo is of the reminder a patient normally gets.
DEMO_BOOKED_AGO = timedelta(days=3)
# It starts at least this long after `make run` starts, so the patient can still come.
DEMO_MIN_LEAD = timedelta(hours=1)
# It takes the latest free slot inside the horizon: by day, one in its last hour, so its first reminder (the
# horizon's hours before) is due as `make run` starts and the reminder staff see due is the one that goes out.
# At night the latest free slot is earlier (the clinic is closed a day later): its reminder was due while no
# worker ran and goes out at once, late, as after any outage; a visit at 04:20 would be no demo of this clinic.
# Only when the whole horizon has no free slot (a Sunday), the clinic fits the patient in, on these steps.
_FIT_IN_STEP = timedelta(minutes=20)


@dataclass(frozen=True)
class DemoReminder:
    """What the demo seed did for the notification service to have one reminder to send."""

    appointment: Appointment | None
    # Why there is no appointment to remind (the patient declined reminders); None when there is one.
    why_not: str | None = None
    created: bool = False


async def seed_demo_reminder(
    conn: repository.Connection, *, now: datetime, tz: ZoneInfo, horizon: timedelta, patient: DemoPatient = MARIA
) -> DemoReminder:
    """Make sure `patient` (who consents, unless they declined in a conversation) has a booked appointment
    starting within `horizon` of `now`, so the notification service sends its reminder within a tick: a new one
    starts as near the horizon's end as it can, so that reminder is due now, as staff see it, and not long ago.

    Idempotent: an appointment already inside the horizon is kept (its reminder goes once, as any other).
    """
    async with conn.transaction():
        found = await repository.patient_by_phone(conn, phone=patient.phone)
        if found is None:
            raise LookupError(f"demo patient {patient.phone} missing: seed the demo clinic first")
        consent = await repository.reminders_consent(conn, patient_id=found.id)
        if consent is False:
            return DemoReminder(None, why_not="the demo patient declined reminders in a conversation")
        if consent is None:
            await repository.set_reminders_consent(conn, patient_id=found.id, consent=True, now=now - DEMO_BOOKED_AGO)
        upcoming = await repository.upcoming_for_patient(conn, patient_id=found.id, now=now + DEMO_MIN_LEAD, limit=1)
        if upcoming and upcoming[0].starts_at <= now + horizon:
            return DemoReminder(upcoming[0])
    booked = await _book_in_horizon(conn, patient_id=found.id, now=now, tz=tz, horizon=horizon)
    return DemoReminder(booked, created=True)


async def _book_in_horizon(
    conn: repository.Connection, *, patient_id: int, now: datetime, tz: ZoneInfo, horizon: timedelta
) -> Appointment:
    """The latest free slot starting in [now + lead, now + horizon]; without one, a visit fitted in with the first
    general practitioner, as near the horizon's end as it goes."""
    earliest, latest = now + DEMO_MIN_LEAD, now + horizon
    slots = await availability.free_slots(
        conn,
        first_day=earliest.astimezone(tz).date(),
        last_day=latest.astimezone(tz).date(),
        now=now,
        specialty_code="medicina_general",
        patient_id=patient_id,
        tz=tz,
        min_notice=DEMO_MIN_LEAD,
        limit=None,
    )
    free = sorted((s for s in slots if earliest <= s.starts_at <= latest), key=lambda s: s.starts_at, reverse=True)
    times = [(s.doctor_id, s.starts_at, s.ends_at) for s in free]
    if not times:
        doctor_id = await repository.upsert_doctor(
            conn, full_name=DOCTORS[0][0], specialty_id=await _specialty_id(conn, DOCTORS[0][1])
        )
        start = _floor(latest, _FIT_IN_STEP)
        while start >= earliest:
            times.append((doctor_id, start, start + _FIT_IN_STEP))
            start -= _FIT_IN_STEP
    for doctor_id, starts_at, ends_at in times:
        try:
            async with conn.transaction():
                return await repository.insert_appointment(
                    conn,
                    patient_id=patient_id,
                    doctor_id=doctor_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    created_by=CreatedBy.STAFF,
                    channel="demo",
                    now=now - DEMO_BOOKED_AGO,
                )
        except asyncpg.ExclusionViolationError:
            continue  # taken since it was listed: the next one
    raise LookupError("no free time for the demo appointment inside the reminder horizon")


async def _specialty_id(conn: repository.Connection, code: str) -> int:
    return await repository.upsert_specialty(conn, code=code, name=SPECIALTIES[code])


def _floor(moment: datetime, step: timedelta) -> datetime:
    """`moment` rounded down to a whole `step` since the hour."""
    base = moment.replace(minute=0, second=0, microsecond=0)
    return base + ((moment - base) // step) * step
