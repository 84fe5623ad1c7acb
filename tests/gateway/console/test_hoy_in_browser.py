"""/console/hoy in real Chromium: the seeded day per doctor, marking a no-show, and a medico's own agenda only."""

from __future__ import annotations

import asyncpg
import pytest
from playwright.async_api import Page, expect

from appointments.demo import ANA, JUAN, MARIA
from gateway import audit
from gateway.console import admin
from gateway.console.repository import StaffUser
from gateway.conversation.choices import reference_of
from tests.gateway.console.conftest import PASSWORD, MovableClock, book
from tests.support.browser import screenshot
from tests.support.clinic import Clinic

pytestmark = pytest.mark.browser


async def _sign_in(page: Page, email: str) -> None:
    await page.goto("/console/login")
    await page.get_by_label("Correo electrónico").fill(email)
    await page.get_by_label("Contraseña").fill(PASSWORD)
    await page.get_by_role("button", name="Ingresar").click()
    await expect(page.get_by_role("heading", name="Hola,")).to_be_visible()


async def test_the_day_shows_each_doctors_appointments_and_a_no_show_reaches_the_database(
    page: Page, ana: StaffUser, conn: asyncpg.Connection, clinic: Clinic, clock: MovableClock
) -> None:
    # 09:00 in La Paz: Maria's 08:00 has started, Juan's 10:00 has not.
    maria = await book(conn, clock, clinic.maria, clinic.quispe, 8)
    juan = await book(conn, clock, clinic.juan, clinic.quispe, 10)
    await book(conn, clock, clinic.ana, clinic.mamani, 8)
    await _sign_in(page, ana.email)

    await page.get_by_role("link", name="Hoy", exact=True).click()

    await expect(page.get_by_role("heading", name="Agenda del lunes 1 de junio de 2026 (hoy)")).to_be_visible()
    quispe = page.locator("section.doctor", has=page.get_by_role("heading", name="Dra. Carmen Quispe"))
    await expect(quispe.locator("tbody tr")).to_have_count(2)
    first = quispe.locator(f"#cita-{reference_of(maria)}")
    await expect(first).to_contain_text("08:00")
    await expect(first).to_contain_text(MARIA.full_name)
    await expect(first).to_contain_text("+591 7•••• 001")
    await expect(first).to_contain_text("Reservada")
    await expect(first).to_contain_text(reference_of(maria))
    assert MARIA.phone not in await page.content()
    later = quispe.locator(f"#cita-{reference_of(juan)}")
    await expect(later).to_contain_text(JUAN.full_name)
    await expect(later).to_contain_text("Aún no empieza")
    await expect(later.get_by_role("button")).to_have_count(0)
    mamani = page.locator("section.doctor", has=page.get_by_role("heading", name="Dr. Jorge Mamani"))
    await expect(mamani).to_contain_text(ANA.full_name)
    vargas = page.locator("section.doctor", has=page.get_by_role("heading", name="Dra. Lucía Vargas"))
    await expect(vargas).to_contain_text("Sin citas este día.")
    await screenshot(page, "console-hoy")

    await first.get_by_role("button", name="No se presentó").click()

    await expect(page.locator(f"#cita-{reference_of(maria)}")).to_contain_text("No se presentó")
    assert page.url.endswith("/console/hoy?dia=2026-06-01")
    assert await conn.fetchval("SELECT status FROM appointments WHERE id = $1", maria) == "no_show"
    assert await conn.fetchval("SELECT status FROM appointments WHERE id = $1", juan) == "booked"
    [entry] = await audit.recent(conn, action="appointment.outcome_set")
    assert (entry.actor, entry.outcome, entry.target) == (f"staff_user:{ana.id}", "success", f"appointment:{maria}")
    assert entry.detail["status"] == "no_show"

    await (
        page.locator(f"#cita-{reference_of(maria)}")
        .get_by_role("button", name="Corregir: marcar como Atendido")
        .click()
    )

    await expect(page.locator(f"#cita-{reference_of(maria)}")).to_contain_text("Atendido")
    assert await conn.fetchval("SELECT status FROM appointments WHERE id = $1", maria) == "completed"


async def test_an_appointment_that_has_not_started_cannot_be_marked(
    page: Page, ana: StaffUser, conn: asyncpg.Connection, clinic: Clinic, clock: MovableClock
) -> None:
    later = await book(conn, clock, clinic.juan, clinic.quispe, 10)
    await _sign_in(page, ana.email)
    csrf = await page.locator('input[name="csrf"]').first.get_attribute("value")

    refused = await page.request.post(
        f"/console/hoy/{later}/resultado", form={"csrf": csrf or "", "estado": "completed", "dia": "2026-06-01"}
    )

    assert refused.status == 409
    assert "todavía no empezó" in await refused.text()
    assert await conn.fetchval("SELECT status FROM appointments WHERE id = $1", later) == "booked"
    [entry] = await audit.recent(conn, action="appointment.outcome_set")
    assert (entry.outcome, entry.detail["reason"]) == ("failure", "invalid_status_change")


async def test_a_medico_sees_and_marks_only_their_own_doctors_agenda(
    page: Page, conn: asyncpg.Connection, clinic: Clinic, clock: MovableClock
) -> None:
    await admin.create(
        conn,
        email="carmen@clinica.bo",
        full_name="Carmen Quispe",
        role="medico",
        doctor_id=clinic.quispe,
        password=PASSWORD,
    )
    own = await book(conn, clock, clinic.maria, clinic.quispe, 8)
    others = await book(conn, clock, clinic.ana, clinic.mamani, 8)
    await _sign_in(page, "carmen@clinica.bo")

    await page.goto("/console/hoy?dia=2026-06-01")

    await expect(page.locator("section.doctor h2")).to_have_count(1)
    await expect(page.locator("section.doctor h2")).to_contain_text("Dra. Carmen Quispe")
    await expect(page.locator(f"#cita-{reference_of(own)}")).to_contain_text(MARIA.full_name)
    assert ANA.full_name not in await page.content() and "Dr. Jorge Mamani" not in await page.content()
    csrf = await page.locator('input[name="csrf"]').first.get_attribute("value")

    refused = await page.request.post(
        f"/console/hoy/{others}/resultado", form={"csrf": csrf or "", "estado": "no_show", "dia": "2026-06-01"}
    )

    assert refused.status == 404
    assert ANA.full_name not in await refused.text()
    assert await conn.fetchval("SELECT status FROM appointments WHERE id = $1", others) == "booked"


async def test_a_mistyped_day_goes_to_today_and_the_arrows_move_a_day(page: Page, ana: StaffUser) -> None:
    await _sign_in(page, ana.email)

    await page.goto("/console/hoy?dia=2026-13-45")
    await expect(page.get_by_role("heading", name="Agenda del lunes 1 de junio de 2026 (hoy)")).to_be_visible()
    await page.get_by_role("link", name="Día siguiente →").click()

    await expect(page.get_by_role("heading", name="Agenda del martes 2 de junio de 2026")).to_be_visible()
    assert page.url.endswith("/console/hoy?dia=2026-06-02")
