"""The console in real Chromium (Playwright): signing in and out, a wrong password, a form without its CSRF token."""

from __future__ import annotations

import asyncpg
import pytest
from playwright.async_api import Page, expect

from gateway.console.repository import StaffUser
from tests.gateway.console.conftest import PASSWORD
from tests.support.browser import screenshot

pytestmark = pytest.mark.browser


async def _sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Type into the sign-in form and send it with Enter, as a person at a keyboard would."""
    await page.goto("/console/login")
    await page.get_by_label("Correo electrónico").fill(email)
    await page.get_by_label("Contraseña").fill(password)
    await page.get_by_label("Contraseña").press("Enter")


async def test_signing_in_leads_to_the_console_that_greets_by_name(page: Page, ana: StaffUser) -> None:
    await page.goto("/console/")  # not signed in: sent to the form
    await expect(page).to_have_url(page.url.split("/console")[0] + "/console/login")
    await expect(page.get_by_role("heading", name="Ingresar a la consola")).to_be_visible()
    await screenshot(page, "console-login")

    await _sign_in(page, ana.email)

    await expect(page.get_by_role("heading", name="Hola, Ana Pérez")).to_be_visible()
    assert page.url.endswith("/console/")
    await expect(page.locator("time")).to_have_text("lunes 1 de junio de 2026")
    await screenshot(page, "console-home")


async def test_a_wrong_password_shows_the_one_message_and_keeps_the_email(page: Page, ana: StaffUser) -> None:
    await _sign_in(page, ana.email, "no-es-la-contraseña")

    await expect(page.get_by_role("alert")).to_contain_text("Correo o contraseña incorrectos")
    assert page.url.endswith("/console/login")
    await expect(page.get_by_label("Correo electrónico")).to_have_value(ana.email)
    await expect(page.get_by_label("Contraseña")).to_have_value("")
    assert "console_session" not in {c["name"] for c in await page.context.cookies()}


async def test_a_form_sent_without_its_csrf_token_is_refused_and_changes_nothing(
    page: Page, ana: StaffUser, conn: asyncpg.Connection
) -> None:
    await _sign_in(page, ana.email)
    await expect(page.get_by_role("heading", name="Hola, Ana Pérez")).to_be_visible()

    # As a forged form would arrive: the sign-out form, its hidden token taken out, sent by the browser.
    await page.locator('form input[name="csrf"]').evaluate("input => input.remove()")
    async with page.expect_response(lambda r: r.url.endswith("/console/logout")) as sent:
        await page.get_by_role("button", name="Cerrar sesión").click()

    assert (await sent.value).status == 403
    await expect(page.get_by_role("heading", name="No se pudo enviar el formulario")).to_be_visible()
    assert await conn.fetchval("SELECT count(*) FROM staff_sessions WHERE user_id = $1", ana.id) == 1
    await page.get_by_role("link", name="Volver a la consola").click()
    await expect(page.get_by_role("heading", name="Hola, Ana Pérez")).to_be_visible()


async def test_a_sign_in_form_without_its_token_is_refused_too(page: Page, ana: StaffUser) -> None:
    await page.goto("/console/login")

    refused = await page.request.post("/console/login", form={"email": ana.email, "password": PASSWORD})

    assert refused.status == 403
    assert "console_session" not in {c["name"] for c in await page.context.cookies()}


async def test_signing_out_ends_the_session_and_the_console_asks_to_sign_in_again(
    page: Page, ana: StaffUser, conn: asyncpg.Connection
) -> None:
    await _sign_in(page, ana.email)
    await expect(page.get_by_role("heading", name="Hola, Ana Pérez")).to_be_visible()

    await page.get_by_role("button", name="Cerrar sesión").click()

    await expect(page.get_by_role("heading", name="Ingresar a la consola")).to_be_visible()
    assert await conn.fetchval("SELECT count(*) FROM staff_sessions WHERE user_id = $1", ana.id) == 0
    await page.goto("/console/")
    await expect(page.get_by_role("heading", name="Ingresar a la consola")).to_be_visible()
