"""/console/pacientes in real Chromium: find a seeded patient by part of their name, open them, unlock a lockout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Page, expect

from appointments import repository
from appointments.demo import MARIA
from appointments.schemas import CreatedBy
from gateway import audit
from gateway.app import create_app
from gateway.console.repository import StaffUser
from gateway.conversation.choices import reference_of
from gateway.verification.errors import LockedOut
from gateway.verification.otp import OtpService
from gateway.verification.vouching import VouchedBy
from tests.gateway.console.conftest import PASSWORD, MovableClock
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.browser import new_page, screenshot, served
from tests.support.clinic import MONDAY, local, seeded_clinic
from tests.support.gateway import gateway_settings
from tests.support.services import free_port

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Served:
    url: str
    app: FastAPI

    @property
    def otp(self) -> OtpService:
        otp: OtpService = self.app.state.services.otp
        return otp


@pytest.fixture
async def gateway(database_url: str, redis_url: str, clock: MovableClock, sms: FakeSmsServer) -> AsyncIterator[Served]:
    """The console served by uvicorn, its OTP service texting the fake SMS provider."""
    dead = f"127.0.0.1:{free_port()}"
    settings = gateway_settings(database_url, redis_url, dead, sms.url, CLINIC_NAME="Clínica San Martín")
    app = create_app(settings, clock=clock)
    async with served(app) as url:
        yield Served(url, app)


@pytest.fixture
async def tab(browser: Browser, gateway: Served) -> AsyncIterator[Page]:
    async with new_page(browser, gateway.url) as opened:
        yield opened


async def test_find_a_patient_by_part_of_the_name_see_the_appointment_and_unlock_the_verification(
    tab: Page, gateway: Served, ana: StaffUser, conn: asyncpg.Connection, clock: MovableClock, sms: FakeSmsServer
) -> None:
    clinic = await seeded_clinic(conn)
    await repository.add_dependent(
        conn, holder_id=clinic.maria, full_name="Mateo López", date_of_birth=date(2018, 3, 2), relation="hijo"
    )
    starts = local(MONDAY, 10)
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
    await gateway.otp.send_code(MARIA.phone, VouchedBy("test"))
    with pytest.raises(LockedOut):
        for _ in range(20):
            await gateway.otp.check_code(MARIA.phone, f"{(int(sms.codes()[-1]) + 1) % 1_000_000:06d}")
    await tab.goto("/console/login")
    await tab.get_by_label("Correo electrónico").fill(ana.email)
    await tab.get_by_label("Contraseña").fill(PASSWORD)
    await tab.get_by_role("button", name="Ingresar").click()

    await tab.get_by_role("link", name="Pacientes", exact=True).click()
    await tab.get_by_label("Teléfono o nombre").fill("fernanda lopez")
    await tab.get_by_label("Teléfono o nombre").press("Enter")
    await tab.get_by_role("link", name=MARIA.full_name).click()

    await expect(tab.get_by_role("heading", name=MARIA.full_name, level=1)).to_be_visible()
    row = tab.locator(f"#cita-{reference_of(booked.id)}")
    await expect(row).to_contain_text("lunes 1 de junio de 2026")
    await expect(row).to_contain_text("10:00")
    await expect(row).to_contain_text("Dra. Carmen Quispe")
    await expect(row).to_contain_text("Reservada")
    await expect(tab.locator("#estado-verificacion")).to_contain_text("Bloqueada")
    await expect(tab.get_by_role("link", name="Mateo López")).to_be_visible()
    assert MARIA.phone not in await tab.content()
    await screenshot(tab, "console-pacientes")

    await tab.get_by_role("button", name="Desbloquear verificación").click()

    await expect(tab.get_by_role("status")).to_contain_text("quedó desbloqueada")
    await expect(tab.locator("#estado-verificacion")).to_have_text("No está bloqueada.")
    assert not await gateway.otp.is_locked(MARIA.phone)
    [entry] = await audit.recent(conn, action="verification.unlocked")
    assert (entry.actor, entry.target, entry.outcome) == (f"staff_user:{ana.id}", f"patient:{clinic.maria}", "success")
