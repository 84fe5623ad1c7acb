"""/console/pacientes on a real gateway (Postgres, Redis, the OTP service): search, a patient's record, unlock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from appointments import repository
from appointments.demo import ANA, JUAN, MARIA
from gateway import audit
from gateway.app import create_app
from gateway.console import admin
from gateway.console.patients import fold, name_terms, phone_digits
from gateway.console.repository import StaffUser
from gateway.conversation.choices import reference_of
from gateway.verification.errors import LockedOut
from gateway.verification.otp import OtpService
from gateway.verification.vouching import VouchedBy
from tests.gateway.console.conftest import PASSWORD, MovableClock, book, form_csrf, sign_in
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.clinic import MONDAY, Clinic, seeded_clinic
from tests.support.gateway import gateway_settings
from tests.support.services import free_port

HTML = {"accept": "text/html"}


@dataclass
class Gateway:
    """One gateway app; `browser()` is a new person's httpx client (own cookies) against it."""

    app: FastAPI
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def otp(self) -> OtpService:
        otp: OtpService = self.app.state.services.otp
        return otp

    def browser(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="https://clinica.test")
        self.clients.append(client)
        return client


@pytest.fixture
async def gateway(database_url: str, redis_url: str, clock: MovableClock, sms: FakeSmsServer) -> AsyncIterator[Gateway]:
    dead = f"127.0.0.1:{free_port()}"
    settings = gateway_settings(database_url, redis_url, dead, sms.url, CLINIC_NAME="Clínica San Martín")
    app = create_app(settings, clock=clock)
    lifespan: Any = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    made = Gateway(app)
    yield made
    for client in made.clients:
        await client.aclose()
    await lifespan.__aexit__(None, None, None)


@dataclass(frozen=True)
class Seeded:
    clinic: Clinic
    mateo: int
    booked: Any  # María's upcoming appointment with Dra. Quispe
    past: Any  # María's past one with Dr. Mamani, attended


@pytest.fixture
async def seeded(conn: asyncpg.Connection, clock: MovableClock) -> Seeded:
    """The demo clinic; María has a son, an appointment at 10:00 today (Quispe) and one last week (Mamani)."""
    clinic = await seeded_clinic(conn)
    mateo = await repository.add_dependent(
        conn, holder_id=clinic.maria, full_name="Mateo López", date_of_birth=date(2018, 3, 2), relation="hijo"
    )
    assert mateo is not None
    booked = await book(conn, clock, clinic.maria, clinic.quispe, 10, day=MONDAY, booked_days_before=10)
    past = await book(
        conn, clock, clinic.maria, clinic.mamani, 8, day=MONDAY - timedelta(days=7), booked_days_before=10
    )
    await conn.execute("UPDATE appointments SET status = 'completed' WHERE id = $1", past)
    await book(conn, clock, clinic.ana, clinic.mamani, 11, day=MONDAY, booked_days_before=10)
    return Seeded(clinic=clinic, mateo=mateo.id, booked=booked, past=past)


async def _signed_in(gateway: Gateway, user: StaffUser) -> httpx.AsyncClient:
    browser = gateway.browser()
    assert (await sign_in(browser, user.email)).status_code == 303
    return browser


async def _search(browser: httpx.AsyncClient, q: str) -> str:
    found = await browser.get("/console/pacientes", params={"q": q}, headers=HTML)
    assert found.status_code == 200, found.text
    return found.text


async def _lock(gateway: Gateway, sms: FakeSmsServer, phone: str) -> None:
    """Lock `phone` out as a patient would: a code sent, then wrong codes until the OTP service refuses."""
    await gateway.otp.send_code(phone, VouchedBy("test"))
    wrong = f"{(int(sms.codes()[-1]) + 1) % 1_000_000:06d}"
    with pytest.raises(LockedOut):
        for _ in range(20):
            await gateway.otp.check_code(phone, wrong)
    assert await gateway.otp.is_locked(phone)


@pytest.mark.parametrize("typed", ["70000001", "+591 70000001", "591-70-000-001", "(+591) 700-00-001", "0001"])
def test_any_way_of_typing_a_phone_reads_the_same_digits(typed: str) -> None:
    assert MARIA.phone.removeprefix("+").endswith(phone_digits(typed) or "-")


def test_a_name_is_folded_and_its_wildcards_escaped() -> None:
    assert fold("María ÑUÑEZ") == "maria nunez"
    assert name_terms("  50%  ana_maría \\ ") == ["50\\%", "ana\\_maria", "\\\\"]
    assert phone_digits("700") is None


@pytest.mark.parametrize("typed", ["70000001", "+591 70000001", "591-70-000-001", "+59170000001", "0001"])
async def test_a_phone_in_any_format_finds_the_holder_and_their_family(
    gateway: Gateway, ana: StaffUser, seeded: Seeded, typed: str
) -> None:
    browser = await _signed_in(gateway, ana)

    page = await _search(browser, typed)

    assert MARIA.full_name in page and "Mateo López" in page
    assert page.index(MARIA.full_name) < page.index("Mateo López")
    assert "familiar (hijo)" in page
    assert JUAN.full_name not in page and ANA.full_name not in page
    assert f'/console/pacientes/{seeded.clinic.maria}"' in page
    assert f'/console/pacientes/{seeded.mateo}"' in page
    results = page[page.index('<ul class="results">') :]  # the typed number is echoed above, as typed
    assert "+591 7•••• 001" in results and MARIA.phone not in results


async def test_too_few_digits_or_an_unknown_phone_say_so(gateway: Gateway, ana: StaffUser, seeded: Seeded) -> None:
    browser = await _signed_in(gateway, ana)

    assert "Escriba al menos 4 dígitos" in await _search(browser, "001")
    assert "No se encontró ningún paciente con ese teléfono." in await _search(browser, "79999999")
    assert "No se encontró ningún paciente con ese nombre." in await _search(browser, "Zapata")
    form = await _search(browser, "")
    assert 'id="q"' in form and "Resultados" not in form and "No se encontró" not in form


@pytest.mark.parametrize("typed", ["maria", "MARÍA", "lopez", "López", "fern lóp", "maría fernanda"])
async def test_a_name_is_found_by_partial_words_whatever_the_case_and_accents(
    gateway: Gateway, ana: StaffUser, seeded: Seeded, typed: str
) -> None:
    browser = await _signed_in(gateway, ana)

    page = await _search(browser, typed)

    assert MARIA.full_name in page
    assert JUAN.full_name not in page and ANA.full_name not in page


async def test_like_wildcards_are_searched_as_themselves(
    gateway: Gateway, ana: StaffUser, seeded: Seeded, conn: asyncpg.Connection
) -> None:
    await repository.upsert_patient(
        conn, phone="+59176000001", full_name="Rosa_Lía Mamani", document_number=None, date_of_birth=None
    )
    await repository.upsert_patient(
        conn, phone="+59176000002", full_name="Rosa Lía Mamani", document_number=None, date_of_birth=None
    )
    browser = await _signed_in(gateway, ana)

    underscore = await _search(browser, "rosa_")
    assert "Rosa_Lía Mamani" in underscore and "Rosa Lía Mamani" not in underscore
    assert "No se encontró" in await _search(browser, "%")
    assert "No se encontró" in await _search(browser, "m_m")


async def test_the_record_shows_the_patient_their_appointments_and_family(
    gateway: Gateway, ana: StaffUser, seeded: Seeded, conn: asyncpg.Connection
) -> None:
    browser = await _signed_in(gateway, ana)

    record = await browser.get(f"/console/pacientes/{seeded.clinic.maria}", headers=HTML)

    assert record.status_code == 200
    page = record.text
    assert MARIA.full_name in page and "+591 7•••• 001" in page and MARIA.phone not in page
    assert "21/05/1987 (39 años)" in page
    upcoming = page[page.index("Próximas citas") : page.index("Citas anteriores")]
    assert reference_of(seeded.booked) in upcoming and "lunes 1 de junio de 2026" in upcoming
    assert "10:00" in upcoming and "Dra. Carmen Quispe" in upcoming and "Reservada" in upcoming
    past = page[page.index("Citas anteriores") : page.index("Familiares")]
    assert reference_of(seeded.past) in past and "lunes 25 de mayo de 2026" in past and "Atendido" in past
    assert f'/console/pacientes/{seeded.mateo}"' in page[page.index("Familiares") :]
    assert "No está bloqueada." in page and "Desbloquear verificación" not in page
    [viewed] = await audit.recent(conn, action="patient.viewed")
    assert (viewed.actor, viewed.target, viewed.outcome) == (
        f"staff_user:{ana.id}",
        f"patient:{seeded.clinic.maria}",
        "success",
    )
    assert await audit.recent(conn, action="patients.searched") == []  # nothing searched: only the view


async def test_a_family_members_record_links_to_the_holder(gateway: Gateway, ana: StaffUser, seeded: Seeded) -> None:
    browser = await _signed_in(gateway, ana)

    page = (await browser.get(f"/console/pacientes/{seeded.mateo}", headers=HTML)).text

    assert "Mateo López" in page and "Familiar de" in page
    assert f'/console/pacientes/{seeded.clinic.maria}">{MARIA.full_name}</a>' in page
    assert "(hijo)" in page and "+591 7•••• 001" in page
    assert "Sin citas próximas." in page and "Familiares" not in page


async def test_searches_are_audited_without_what_was_typed(
    gateway: Gateway, ana: StaffUser, seeded: Seeded, conn: asyncpg.Connection
) -> None:
    browser = await _signed_in(gateway, ana)
    await _search(browser, "70000001")
    await _search(browser, "maria")

    by_name, by_phone = await audit.recent(conn, action="patients.searched")

    assert (by_phone.actor, dict(by_phone.detail)) == (f"staff_user:{ana.id}", {"by": "phone", "count": 2})
    assert dict(by_name.detail) == {"by": "name", "count": 1}


async def test_a_medico_finds_and_reads_only_their_own_doctors_patients(
    gateway: Gateway, seeded: Seeded, conn: asyncpg.Connection
) -> None:
    carmen = await admin.create(
        conn,
        email="carmen@clinica.bo",
        full_name="Carmen Quispe",
        role="medico",
        doctor_id=seeded.clinic.quispe,
        password=PASSWORD,
    )
    browser = await _signed_in(gateway, carmen)

    assert MARIA.full_name in await _search(browser, "maria")
    assert "No se encontró" in await _search(browser, "ana")
    by_phone = await _search(browser, "70000001")
    assert MARIA.full_name in by_phone and "Mateo" not in by_phone  # he never saw Dra. Quispe
    record = (await browser.get(f"/console/pacientes/{seeded.clinic.maria}", headers=HTML)).text
    assert reference_of(seeded.booked) in record
    assert reference_of(seeded.past) not in record and "Dr. Jorge Mamani" not in record
    assert "Mateo" not in record
    for hidden in (seeded.clinic.ana, seeded.mateo):
        refused = await browser.get(f"/console/pacientes/{hidden}", headers=HTML)
        assert refused.status_code == 404 and "Paciente no encontrado" in refused.text
        assert ANA.full_name not in refused.text
    denied = await audit.recent(conn, action="patient.viewed", actor=f"staff_user:{carmen.id}")
    assert [(e.target, e.outcome) for e in denied] == [
        (f"patient:{seeded.mateo}", "denied"),
        (f"patient:{seeded.clinic.ana}", "denied"),
        (f"patient:{seeded.clinic.maria}", "success"),
    ]
    csrf = form_csrf(await browser.get("/console/pacientes", headers=HTML))
    unlock = await browser.post(f"/console/pacientes/{seeded.clinic.ana}/desbloquear", data={"csrf": csrf})
    assert unlock.status_code == 404


@pytest.mark.parametrize("path", ["/console/pacientes/999999", "/console/pacientes/abc", "/console/pacientes/0"])
async def test_an_unknown_patient_is_a_spanish_404(gateway: Gateway, ana: StaffUser, seeded: Seeded, path: str) -> None:
    browser = await _signed_in(gateway, ana)

    missing = await browser.get(path, headers=HTML)

    assert missing.status_code == 404
    assert "Paciente no encontrado" in missing.text and "Buscar un paciente" in missing.text


async def test_the_pages_ask_for_a_sign_in(gateway: Gateway, seeded: Seeded) -> None:
    browser = gateway.browser()
    for path in ("/console/pacientes?q=maria", f"/console/pacientes/{seeded.clinic.maria}"):
        answer = await browser.get(path, headers=HTML)
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")


async def test_unlocking_a_locked_verification_is_audited_with_the_phone_masked(
    gateway: Gateway, ana: StaffUser, seeded: Seeded, conn: asyncpg.Connection, sms: FakeSmsServer
) -> None:
    await _lock(gateway, sms, MARIA.phone)
    browser = await _signed_in(gateway, ana)
    record = await browser.get(f"/console/pacientes/{seeded.mateo}", headers=HTML)
    assert "Bloqueada" in record.text  # the son's record: the phone that speaks for him is his mother's

    unlocked = await browser.post(f"/console/pacientes/{seeded.mateo}/desbloquear", data={"csrf": form_csrf(record)})

    assert unlocked.status_code == 303
    assert unlocked.headers["location"] == f"/console/pacientes/{seeded.mateo}?aviso=desbloqueada"
    assert not await gateway.otp.is_locked(MARIA.phone)
    after = (await browser.get(unlocked.headers["location"], headers=HTML)).text
    assert "quedó desbloqueada" in after and "No está bloqueada." in after
    [entry] = await audit.recent(conn, action="verification.unlocked")
    assert (entry.actor, entry.target, entry.outcome) == (
        f"staff_user:{ana.id}",
        f"patient:{seeded.clinic.maria}",
        "success",
    )
    assert dict(entry.detail) == {"phone": "+591*****001", "was_locked": True}
    await gateway.otp.send_code(MARIA.phone, VouchedBy("test"))  # a new code at once
    assert await gateway.otp.check_code(MARIA.phone, sms.codes()[-1]) is True


async def test_an_unlock_without_its_csrf_token_is_refused(
    gateway: Gateway, ana: StaffUser, seeded: Seeded, conn: asyncpg.Connection, sms: FakeSmsServer
) -> None:
    await _lock(gateway, sms, MARIA.phone)
    browser = await _signed_in(gateway, ana)
    path = f"/console/pacientes/{seeded.clinic.maria}/desbloquear"

    for data in ({}, {"csrf": "x" * 43}):
        refused = await browser.post(path, data=data, headers=HTML)
        assert refused.status_code == 403
        assert "No se pudo enviar el formulario" in refused.text

    assert await gateway.otp.is_locked(MARIA.phone)
    assert await audit.recent(conn, action="verification.unlocked") == []


async def test_unlocking_an_unknown_patient_is_a_404(gateway: Gateway, ana: StaffUser, seeded: Seeded) -> None:
    browser = await _signed_in(gateway, ana)
    csrf = form_csrf(await browser.get("/console/pacientes", headers=HTML))

    missing = await browser.post("/console/pacientes/999999/desbloquear", data={"csrf": csrf}, headers=HTML)

    assert missing.status_code == 404 and "Paciente no encontrado" in missing.text


async def test_hoy_links_each_patient_to_their_record(gateway: Gateway, ana: StaffUser, seeded: Seeded) -> None:
    browser = await _signed_in(gateway, ana)

    day = (await browser.get("/console/hoy?dia=2026-06-01", headers=HTML)).text

    assert f'/console/pacientes/{seeded.clinic.maria}">{MARIA.full_name}</a>' in day
