"""The demo clinic as the appointments tests see it, and a fixed clock (times are La Paz, UTC-4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import asyncpg

from appointments.demo import seed_demo_clinic

# The demo clinic's zone, as its gateway settings (CLINIC_TIMEZONE) give it.
ZONE = ZoneInfo("America/La_Paz")
MONDAY = date(2026, 6, 1)

TUESDAY = date(2026, 6, 2)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A clinic wall-clock time on `day`, as an aware datetime."""
    return datetime.combine(day, time(hour, minute), ZONE)


@dataclass(frozen=True)
class Clinic:
    doctors: dict[str, int]
    patients: dict[str, int]

    @property
    def quispe(self) -> int:  # general medicine, 20-minute slots, 08-12 and 14-18
        return self.doctors["Dra. Carmen Quispe"]

    @property
    def mamani(self) -> int:  # general medicine, 20-minute slots, 08-13 and 15-19
        return self.doctors["Dr. Jorge Mamani"]

    @property
    def vargas(self) -> int:  # pediatrics, 30-minute slots
        return self.doctors["Dra. Lucía Vargas"]

    @property
    def maria(self) -> int:
        return self.patients["+59170000001"]

    @property
    def juan(self) -> int:
        return self.patients["+59170000002"]

    @property
    def ana(self) -> int:
        return self.patients["+59171234567"]


async def seeded_clinic(conn: asyncpg.Connection) -> Clinic:
    """Seed the demo clinic and name its rows' ids."""
    await seed_demo_clinic(conn)
    doctors = {r["full_name"]: r["id"] for r in await conn.fetch("SELECT id, full_name FROM doctors")}
    patients = {r["phone"]: r["id"] for r in await conn.fetch("SELECT id, phone FROM patients")}
    return Clinic(doctors=doctors, patients=patients)
