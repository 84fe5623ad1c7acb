"""/console/clinica in real Chromium: a receptionist edits a price, sees it saved, and the assistant answers it."""

from __future__ import annotations

import asyncpg
import pytest
from playwright.async_api import Page, expect

from appointments import clinic_info
from gateway import audit
from gateway.console.repository import StaffUser
from gateway.security.api_keys import create_api_key
from tests.gateway.console.conftest import PASSWORD
from tests.support.browser import screenshot
from tests.support.clinic import Clinic, seeded_clinic

pytestmark = pytest.mark.browser


@pytest.fixture
async def clinic(conn: asyncpg.Connection) -> Clinic:
    return await seeded_clinic(conn)


async def _sign_in(page: Page, email: str) -> None:
    await page.goto("/console/login")
    await page.get_by_label("Correo electrónico").fill(email)
    await page.get_by_label("Contraseña").fill(PASSWORD)
    await page.get_by_role("button", name="Ingresar").click()
    await expect(page.get_by_role("heading", name="Hola,")).to_be_visible()


async def _ask(page: Page, key: str, text: str) -> str:
    answer = await page.request.post(
        "/chat",
        data={"messages": [{"role": "user", "content": text}], "user_id": "+59176543210"},
        headers={"X-API-Key": key},
    )
    assert answer.status == 200, await answer.text()
    reply: str = (await answer.json())["response"]
    return reply


async def test_reception_edits_a_price_sees_it_saved_and_the_assistant_answers_it(
    page: Page, ana: StaffUser, conn: asyncpg.Connection, clinic: Clinic
) -> None:
    key = (await create_api_key(conn, name="test n8n", scopes={"chat"})).secret
    await _sign_in(page, ana.email)

    await page.get_by_role("link", name="Clínica", exact=True).click()
    await expect(page.get_by_role("heading", name="Información de la clínica")).to_be_visible()
    prices = page.locator("section#precios")
    await expect(prices).to_contain_text("Cardiología")
    await expect(prices).to_contain_text("Bs 300")
    await page.get_by_role("link", name="Editar Precios de consulta").click()
    await expect(page.get_by_role("heading", name="Precios de consulta")).to_be_visible()
    cardiology = page.get_by_label("Cardiología (Bs)")
    await expect(cardiology).to_have_value("300")
    await cardiology.fill("trescientos")
    await page.get_by_role("button", name="Guardar").click()

    await expect(page.locator("#e-price_cardiologia")).to_have_text(
        "Escriba el precio en bolivianos, un número entero (por ejemplo 250 o 1.200)."
    )
    await expect(cardiology).to_have_value("trescientos")
    await expect(cardiology).to_have_attribute("aria-invalid", "true")
    await cardiology.fill("350")
    await page.get_by_role("button", name="Guardar").click()

    await expect(page.get_by_role("status")).to_contain_text("Se guardó «Precios de consulta»")
    await expect(page.locator("section#precios")).to_contain_text("Bs 350")
    saved = (await clinic_info.load(conn)).prices
    assert saved is not None and saved.consultation_bs["cardiologia"] == 350
    [entry] = await audit.recent(conn, action="clinic_info.updated")
    assert (entry.actor, entry.outcome) == (f"staff_user:{ana.id}", "success")
    assert await _ask(page, key, "¿cuánto cuesta la consulta de cardiología?") == (
        "La consulta de Cardiología cuesta Bs 350."
    )
    await screenshot(page, "console-clinica")


async def test_the_hours_form_is_a_week_of_labelled_times_and_a_closed_day_is_said_so(
    page: Page, ana: StaffUser, conn: asyncpg.Connection, clinic: Clinic
) -> None:
    key = (await create_api_key(conn, name="test n8n", scopes={"chat"})).secret
    await _sign_in(page, ana.email)
    await page.goto("/console/clinica/horario")

    await expect(page.get_by_label("Abre el sábado", exact=True)).to_have_value("08:00")
    await page.get_by_label("Cerrado", exact=True).nth(5).check()
    await page.get_by_label("Abre el lunes", exact=True).fill("13:00")
    await page.get_by_label("Cierra el lunes", exact=True).fill("09:00")
    await page.get_by_role("button", name="Guardar").click()
    await expect(page.locator("#e-d1_closes1")).to_have_text("La hora de cierre debe ser posterior a la de apertura.")
    await screenshot(page, "console-clinica-horario")
    await page.get_by_label("Abre el lunes", exact=True).fill("08:00")
    await page.get_by_role("button", name="Guardar").click()

    await expect(page.locator("#guardado")).to_contain_text("Se guardó «Horario de atención»")
    hours = (await clinic_info.load(conn)).hours
    assert hours is not None and 6 not in hours.weekdays
    assert (await _ask(page, key, "¿atienden los sábados?")).startswith("No, los sábados no atendemos.")
