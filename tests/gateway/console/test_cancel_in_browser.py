"""Cancelling with a reason on /console/hoy in real Chromium, with the notification service running in this process:
the row reads Cancelada and the patient's notice reaches the (fake) Graph API as text."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest
from playwright.async_api import Page, expect

from appointments import repository
from appointments.demo import MARIA
from appointments.schemas import CreatedBy
from gateway.console.repository import StaffUser
from gateway.conversation.choices import reference_of
from notifications.service import NotificationService
from tests.e2e.fake_whatsapp import FakeGraphApi
from tests.gateway.console.conftest import PASSWORD, MovableClock
from tests.support.browser import screenshot
from tests.support.clinic import MONDAY, local, seeded_clinic

pytestmark = pytest.mark.browser


async def test_staff_cancel_with_a_reason_and_the_patient_gets_it_on_whatsapp(
    page: Page,
    ana: StaffUser,
    conn: asyncpg.Connection,
    clock: MovableClock,
    graph: FakeGraphApi,
    notifications: NotificationService,
) -> None:
    clinic = await seeded_clinic(conn)
    starts = local(MONDAY, 15)  # 09:00 in La Paz now
    booked = await repository.insert_appointment(
        conn,
        patient_id=clinic.maria,
        doctor_id=clinic.quispe,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=20),
        created_by=CreatedBy.PATIENT,
        channel="whatsapp",
        now=clock.now - timedelta(days=3),
    )
    # María wrote an hour ago: her 24-hour window is open, so the notice goes as free text.
    chat = await conn.fetchval(
        "INSERT INTO conversations (user_phone, vouched_by, channel) VALUES ($1, 'whatsapp:1', 'whatsapp') "
        "RETURNING id",
        MARIA.phone,
    )
    await conn.execute(
        "INSERT INTO messages (conversation_id, user_phone, role, content, created_at) VALUES ($1, $2, 'user', $3, $4)",
        chat,
        MARIA.phone,
        "¿A qué hora abren?",
        clock.now - timedelta(hours=1),
    )
    await page.goto("/console/login")
    await page.get_by_label("Correo electrónico").fill(ana.email)
    await page.get_by_label("Contraseña").fill(PASSWORD)
    await page.get_by_role("button", name="Ingresar").click()
    await page.get_by_role("link", name="Hoy", exact=True).click()

    row = page.locator(f"#cita-{reference_of(booked.id)}")
    await row.get_by_text("Cancelar…").click()
    await row.get_by_label("Motivo").fill("la doctora tiene una emergencia")
    await screenshot(page, "console-cancelar")
    await row.get_by_role("button", name="Cancelar la cita").click()

    await expect(page.locator(f"#cita-{reference_of(booked.id)}")).to_contain_text("Cancelada")
    assert page.url.endswith(f"/console/hoy?dia=2026-06-01&cancelada={reference_of(booked.id)}")
    await expect(page.get_by_role("status")).to_contain_text("Le avisamos al paciente por WhatsApp")
    [sent] = await graph.await_for(1, MARIA.phone.removeprefix("+"), within=20)
    first_name = MARIA.full_name.split()[0]
    assert sent.body["type"] == "text"
    assert sent.text == (
        f"Hola, {first_name}. La clínica tuvo que cancelar su cita con la Dra. Carmen Quispe del lunes 1 de junio a "
        "las 15:00. Motivo: la doctora tiene una emergencia. Disculpe las molestias; si desea otra fecha, escríbanos "
        "por aquí y le ayudamos."
    )
    assert await conn.fetchval("SELECT status FROM appointments WHERE id = $1", booked.id) == "cancelled"
