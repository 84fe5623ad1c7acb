"""Console sessions: idle and absolute expiry, sign-out, CSRF on every POST, the page headers."""

from __future__ import annotations

import re

import asyncpg
import httpx
import pytest

from gateway import audit
from gateway.console import admin
from gateway.console.repository import StaffUser
from tests.gateway.console.conftest import Console, form_csrf, set_cookies, sign_in

PAGE = {"accept": "text/html"}
JSON = {"accept": "application/json"}


async def _home(browser: httpx.AsyncClient) -> httpx.Response:
    return await browser.get("/console/", headers=PAGE)


async def test_a_session_slides_while_used_and_ends_after_the_idle_time(console: Console, ana: StaffUser) -> None:
    browser = await console.make(CONSOLE_IDLE_MINUTES=30)
    await sign_in(browser, ana.email)

    for _ in range(3):  # an hour and a half of work, a request every 29 minutes
        console.clock.advance(minutes=29)
        assert (await _home(browser)).status_code == 200
    console.clock.advance(minutes=30)

    page = await _home(browser)
    assert page.status_code == 303 and page.headers["location"] == "/console/login"
    assert 'console_session=""' in set_cookies(page)["console_session"]
    fetch = await browser.get("/console/", headers=JSON)
    assert fetch.status_code == 401 and fetch.json()["error"]["code"] == "unauthorized"


async def test_a_session_ends_after_twelve_hours_however_busy(console: Console, ana: StaffUser) -> None:
    browser = await console.make()
    await sign_in(browser, ana.email)
    for _ in range(28):  # 11 h 40 min of work
        console.clock.advance(minutes=25)
        assert (await _home(browser)).status_code == 200

    console.clock.advance(minutes=20)

    assert (await _home(browser)).status_code == 303


async def test_signing_out_ends_the_session_for_good(
    console: Console, ana: StaffUser, conn: asyncpg.Connection
) -> None:
    browser = await console.make()
    signed = await sign_in(browser, ana.email)
    token = signed.cookies["console_session"]
    home = await _home(browser)

    out = await browser.post("/console/logout", data={"csrf": form_csrf(home)}, headers=PAGE)

    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    assert await conn.fetchval("SELECT count(*) FROM staff_sessions") == 0
    replay = await console.make()
    replay.cookies.set("console_session", token, domain="clinica.test", path="/console")
    assert (await replay.get("/console/", headers=JSON)).status_code == 401
    [entry] = await audit.recent(conn, action="staff.logout")
    assert entry.actor == f"staff_user:{ana.id}"


async def test_a_post_without_the_sessions_csrf_token_is_refused(console: Console, ana: StaffUser) -> None:
    browser = await console.make()
    await sign_in(browser, ana.email)

    as_form = await browser.post("/console/logout", data={}, headers=PAGE)
    as_fetch = await browser.post("/console/logout", headers=JSON | {"X-CSRF-Token": "nope"})

    assert as_form.status_code == 403 and "No se pudo enviar el formulario" in as_form.text
    assert as_fetch.status_code == 403 and as_fetch.json()["error"]["code"] == "csrf_failed"
    assert (await _home(browser)).status_code == 200  # still signed in: nothing happened


async def test_the_csrf_token_of_another_session_is_refused(
    console: Console, ana: StaffUser, conn: asyncpg.Connection
) -> None:
    other = await admin.create(
        conn, email="luis@clinica.bo", full_name="Luis Rojas", role="admin", doctor_id=None, password="otra-clave-larga"
    )
    anas, luiss = await console.make(), await console.make()
    await sign_in(anas, ana.email)
    await sign_in(luiss, other.email, "otra-clave-larga")
    luis_token = form_csrf(await _home(luiss))

    refused = await anas.post("/console/logout", data={"csrf": luis_token}, headers=PAGE)
    by_header = await anas.post("/console/logout", headers=JSON | {"X-CSRF-Token": luis_token})

    assert refused.status_code == by_header.status_code == 403
    accepted = await anas.post("/console/logout", headers=JSON | {"X-CSRF-Token": form_csrf(await _home(anas))})
    assert accepted.status_code == 303


async def test_someone_signed_in_is_sent_from_the_form_to_the_console(console: Console, ana: StaffUser) -> None:
    browser = await console.make()
    await sign_in(browser, ana.email)

    again = await browser.get("/console/login", headers=PAGE)

    assert again.status_code == 303 and again.headers["location"] == "/console/"


@pytest.mark.parametrize("path", ["/console/login", "/console/"])
async def test_console_pages_forbid_framing_and_caching_and_load_nothing_from_elsewhere(
    console: Console, ana: StaffUser, path: str
) -> None:
    browser = await console.make()
    await sign_in(browser, ana.email)
    if path == "/console/login":
        browser.cookies.clear()  # signed out, or the form sends the browser on to the console

    page = await browser.get(path, headers=PAGE)

    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<style" not in page.text and "style=" not in page.text
    # The one script is the vendored htmx file, from this server, on signed-in pages; nothing inline.
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page.text, flags=re.S)
    assert all(body.strip() == "" for body in scripts)
    assert re.findall(r"<script\b[^>]*>", page.text) == (
        []
        if path == "/console/login"
        else ['<script src="https://clinica.test/console/static/vendor/htmx.min.js" defer>']
    )
    stylesheet = await browser.get("/console/static/console.css")
    assert stylesheet.status_code == 200 and stylesheet.headers["content-type"].startswith("text/css")


async def test_the_sign_in_form_labels_every_field(console: Console) -> None:
    form = await (await console.make()).get("/console/login", headers=PAGE)

    assert '<html lang="es">' in form.text
    for field in ("email", "password"):
        assert f'<label for="{field}">' in form.text and f'id="{field}"' in form.text


async def test_a_console_address_that_is_no_page_is_a_spanish_404_not_json(console: Console, ana: StaffUser) -> None:
    browser = await console.make()
    stranger = await browser.get("/console/nope", headers={"accept": "text/html"})
    await sign_in(browser, ana.email)

    missing = await browser.get("/console/nope/otra", headers={"accept": "text/html"})
    styles = await browser.get("/console/static/console.css")

    assert stranger.status_code == 303 and stranger.headers["location"] == "/console/login"
    assert missing.status_code == 404 and "No encontramos esa página" in missing.text
    assert styles.status_code == 200  # the static files are matched before the catch-all
