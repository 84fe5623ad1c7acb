"""Signing in to /console: the cookie, the one message for every failure, lockout, disabled users, the limit."""

from __future__ import annotations

import hashlib
import re

import asyncpg
import pytest
from argon2 import PasswordHasher

from gateway import audit
from gateway.console import admin
from gateway.console.repository import StaffUser
from tests.gateway.console.conftest import PASSWORD, Console, set_cookies, sign_in

WRONG = "Correo o contraseña incorrectos."


def _without_form_state(html: str) -> str:
    """A sign-in page with what differs per attempt (the typed e-mail, the CSRF token) taken out."""
    return re.sub(r'value="[^"]*"', 'value=""', html)


async def test_signing_in_sets_a_session_cookie_only_the_console_sees_and_greets_by_name_and_role(
    console: Console, ana: StaffUser, conn: asyncpg.Connection
) -> None:
    browser = await console.make()

    signed = await sign_in(browser, "  ana.perez@CLINICA.bo ")  # any case, stray spaces

    assert signed.status_code == 303 and signed.headers["location"] == "/console/"
    cookie = set_cookies(signed)["console_session"]
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "path=/console", "samesite=lax"} <= attributes
    assert "max-age=43200" in attributes  # the absolute end, 12 h
    token = cookie.split(";")[0].split("=", 1)[1]
    stored = await conn.fetchrow("SELECT token_hash, csrf_token FROM staff_sessions WHERE user_id = $1", ana.id)
    assert stored is not None
    assert bytes(stored["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert token not in str(await conn.fetch("SELECT * FROM staff_sessions"))

    home = await browser.get("/console/", headers={"accept": "text/html"})
    assert home.status_code == 200
    assert "Hola, Ana Pérez" in home.text and "Recepción" in home.text and "Clínica San Martín" in home.text
    assert "lunes 1 de junio de 2026" in home.text  # 09:00 in La Paz
    assert f'value="{stored["csrf_token"]}"' in home.text  # the sign-out form carries the session's token
    assert (await conn.fetchval("SELECT last_login_at FROM staff_users WHERE id = $1", ana.id)) == console.clock.now
    [entry] = await audit.recent(conn, action="staff.login")
    assert (entry.actor, entry.outcome, entry.detail["client_ip"]) == (f"staff_user:{ana.id}", "success", "127.0.0.1")


async def test_over_plain_http_the_cookie_is_secure_only_when_a_setting_forces_it(
    console: Console, ana: StaffUser
) -> None:
    plain = await console.make(base_url="http://clinica.test")
    forced = await console.make(base_url="http://clinica.test", CONSOLE_SECURE_COOKIES=True)

    plain_cookie = set_cookies(await sign_in(plain, ana.email))["console_session"].lower()
    # Forced, even the sign-in form's cookie is Secure: a browser on plain HTTP would not send it back.
    forced_cookie = set_cookies(await forced.get("/console/login"))["console_login_csrf"].lower()

    assert "secure" not in plain_cookie and "httponly" in plain_cookie
    assert "; secure" in forced_cookie and "path=/console/login" in forced_cookie


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    console: Console, ana: StaffUser, conn: asyncpg.Connection
) -> None:
    browser = await console.make()

    wrong = await sign_in(browser, ana.email, "no-es-la-contraseña")
    unknown = await sign_in(browser, "nadie@clinica.bo", "no-es-la-contraseña")

    assert wrong.status_code == unknown.status_code == 401
    assert WRONG in wrong.text and "console_session" not in set_cookies(wrong)
    assert _without_form_state(wrong.text) == _without_form_state(unknown.text)
    assert f'value="{ana.email}"' in wrong.text  # what was typed stays, so only the password is typed again
    entries = await audit.recent(conn, action="staff.login")
    assert [(e.actor, e.outcome, e.detail["reason"]) for e in entries] == [
        ("anonymous", "failure", "unknown_email"),
        (f"staff_user:{ana.id}", "failure", "wrong_password"),
    ]
    assert "nadie@clinica.bo" not in str(entries)


async def test_wrong_passwords_lock_the_account_until_the_lockout_has_passed(
    console: Console, ana: StaffUser, conn: asyncpg.Connection
) -> None:
    browser = await console.make(CONSOLE_MAX_FAILED_LOGINS=3, CONSOLE_LOCKOUT_MINUTES=15)
    for _ in range(3):
        assert (await sign_in(browser, ana.email, "adivinando-otra-vez")).status_code == 401

    console.clock.advance(minutes=14, seconds=59)
    locked = await sign_in(browser, ana.email)  # the right password, too early
    assert locked.status_code == 401 and WRONG in locked.text
    assert "se bloquea 15 minutos" in locked.text
    console.clock.advance(seconds=1)
    assert (await sign_in(browser, ana.email)).status_code == 303

    outcomes = [e.outcome for e in reversed(await audit.recent(conn, action="staff.login"))]
    assert outcomes == ["failure", "failure", "locked", "locked", "success"]
    row = await conn.fetchrow("SELECT failed_attempts, locked_until FROM staff_users WHERE id = $1", ana.id)
    assert row is not None
    assert (row["failed_attempts"], row["locked_until"]) == (0, None)


async def test_a_disabled_user_cannot_sign_in_and_their_open_sessions_end(
    console: Console, ana: StaffUser, conn: asyncpg.Connection
) -> None:
    browser = await console.make()
    await sign_in(browser, ana.email)

    await admin.disable(conn, email=ana.email, now=console.clock.now)

    assert (await browser.get("/console/", headers={"accept": "text/html"})).headers["location"] == "/console/login"
    refused = await sign_in(browser, ana.email)
    assert refused.status_code == 401 and WRONG in refused.text
    assert (await audit.recent(conn, action="staff.login"))[0].detail["reason"] == "disabled"


async def test_sign_in_attempts_from_one_address_are_rate_limited(console: Console, ana: StaffUser) -> None:
    browser = await console.make(RATE_LIMIT_CONSOLE_LOGIN_BURST=2, RATE_LIMIT_CONSOLE_LOGIN_PER_MINUTE=1)
    for _ in range(2):
        assert (await sign_in(browser, ana.email, "adivinando-otra-vez")).status_code == 401

    limited = await sign_in(browser, ana.email)

    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "Demasiados intentos" in limited.text


async def test_a_password_hashed_under_old_parameters_is_rehashed_when_its_owner_signs_in(
    console: Console, conn: asyncpg.Connection
) -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    user = await admin.create(
        conn, email="luis@clinica.bo", full_name="Luis Rojas", role="admin", doctor_id=None, password=PASSWORD
    )
    await conn.execute("UPDATE staff_users SET password_hash = $1 WHERE id = $2", old, user.id)

    assert (await sign_in(await console.make(), user.email)).status_code == 303

    stored = await conn.fetchval("SELECT password_hash FROM staff_users WHERE id = $1", user.id)
    assert stored != old and not PasswordHasher().check_needs_rehash(stored)
    assert (await audit.recent(conn, action="staff.login"))[0].detail["rehashed"] is True


@pytest.mark.parametrize("csrf", ["", "forged"])
async def test_the_sign_in_form_is_refused_without_its_own_csrf_token(
    console: Console, ana: StaffUser, csrf: str
) -> None:
    browser = await console.make()
    await browser.get("/console/login")

    refused = await browser.post(
        "/console/login",
        data={"email": ana.email, "password": PASSWORD, "csrf": csrf},
        headers={"accept": "text/html"},
    )

    assert refused.status_code == 403 and "No se pudo enviar el formulario" in refused.text
    assert "console_session" not in set_cookies(refused)


async def test_sign_ins_leave_no_personal_data_in_the_logs(
    console: Console, ana: StaffUser, capsys: pytest.CaptureFixture[str]
) -> None:
    browser = await console.make()
    await sign_in(browser, ana.email, "una-contraseña-errada")
    await sign_in(browser, ana.email)
    await browser.get("/console/")

    logs = capsys.readouterr()
    written = (logs.out + logs.err).lower()
    assert "console_sign_in" in written
    for secret in (ana.email.lower(), "ana pérez", "ana p\\u00e9rez", PASSWORD, "una-contraseña-errada"):
        assert secret not in written
