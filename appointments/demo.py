"""A small demo clinic, so a fresh `make run` has someone to talk about."""

from __future__ import annotations

from appointments import repository

SPECIALTIES: dict[str, str] = {
    "medicina_general": "Medicina general",
    "pediatria": "Pediatría",
    "ginecologia": "Ginecología",
    "cardiologia": "Cardiología",
    "dermatologia": "Dermatología",
    "odontologia": "Odontología",
    "traumatologia": "Traumatología",
    "oftalmologia": "Oftalmología",
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

PATIENTS: list[tuple[str, str, str]] = [
    ("+59170000001", "María Fernanda López", "4567891 LP"),
    ("+59170000002", "Juan Carlos Condori", "6789123 CB"),
    ("+59171234567", "Ana Gabriela Torrez", "5678912 SC"),
]


async def seed_demo_clinic(conn: repository.Connection) -> dict[str, int]:
    """Insert (or refresh) the demo clinic in one transaction; return the row counts."""
    async with conn.transaction():
        specialty_ids = {
            code: await repository.upsert_specialty(conn, code=code, name=name) for code, name in SPECIALTIES.items()
        }
        for full_name, specialty in DOCTORS:
            await repository.upsert_doctor(conn, full_name=full_name, specialty_id=specialty_ids[specialty])
        for phone, full_name, document in PATIENTS:
            await repository.upsert_patient(conn, phone=phone, full_name=full_name, document_number=document)
    return await repository.count_clinic_rows(conn)
