"""A small demo clinic, so a fresh `make run` has someone to talk about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from appointments import clinic_info, repository
from appointments.clinic_info import Address, Hours, Insurer, Named, Payment, Period, Preparation, Prices, Topic
from appointments.schemas import ScheduleBlock, ScheduleOverride

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
    holidays="Los feriados nacionales la clínica permanece cerrada.",
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
