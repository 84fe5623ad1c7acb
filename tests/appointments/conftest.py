"""A seeded demo clinic and fixed clock for the appointments tests (times are La Paz, UTC-4)."""

from __future__ import annotations

import asyncpg
import pytest

from tests.support.clinic import Clinic, seeded_clinic


@pytest.fixture
async def clinic(conn: asyncpg.Connection) -> Clinic:
    return await seeded_clinic(conn)
