"""A real gateway (Postgres, Redis) with a clock the test moves, and people who sign in to its console."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, Page

from appointments import repository
from appointments.schemas import CreatedBy
from gateway.app import create_app
from gateway.console import admin
from gateway.console.repository import StaffUser
from notifications.service import NotificationService
from notifications.settings import NotificationSettings
from tests.e2e.fake_whatsapp import FakeGraphApi, fake_graph_api
from tests.support.browser import chromium, new_page, served
from tests.support.clinic import MONDAY, Clinic, local, seeded_clinic
from tests.support.gateway import gateway_settings
from tests.support.services import free_port

PASSWORD = "correcto-caballo-bateria"


class MovableClock:
    """What time the gateway thinks it is; tests move it forward."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 13, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Console:
    """Build browsers (httpx clients with their own cookies) against one gateway app."""

    make: Callable[..., Awaitable[httpx.AsyncClient]]
    clock: MovableClock


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def console(database_url: str, redis_url: str, clock: MovableClock) -> AsyncIterator[Console]:
    """`await console.make(**settings)`: a browser on a gateway with those settings (https unless base_url says)."""
    lifespans: list[Any] = []
    clients: list[httpx.AsyncClient] = []

    async def make(base_url: str = "https://clinica.test", **overrides: Any) -> httpx.AsyncClient:
        # Signing in needs neither the model nor SMS: nothing listens at these addresses.
        dead = f"127.0.0.1:{free_port()}"
        overrides.setdefault("CLINIC_NAME", "Clínica San Martín")
        settings = gateway_settings(database_url, redis_url, dead, f"http://{dead}", **overrides)
        app = create_app(settings, clock=clock)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        lifespans.append(lifespan)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
        clients.append(client)
        return client

    yield Console(make=make, clock=clock)
    for client in clients:
        await client.aclose()
    for lifespan in reversed(lifespans):
        await lifespan.__aexit__(None, None, None)


@pytest.fixture
async def console_url(database_url: str, redis_url: str, clock: MovableClock) -> AsyncIterator[str]:
    """A gateway served by uvicorn on a loopback port (a browser needs a real one), on `clock`'s time."""
    dead = f"127.0.0.1:{free_port()}"
    settings = gateway_settings(database_url, redis_url, dead, f"http://{dead}", CLINIC_NAME="Clínica San Martín")
    async with served(create_app(settings, clock=clock)) as url:
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium (skips without it; fails in CI)."""
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def page(browser: Browser, console_url: str) -> AsyncIterator[Page]:
    """A fresh browser tab on the served console (one person's cookies)."""
    async with new_page(browser, console_url) as opened:
        yield opened


@pytest.fixture
async def ana(conn: asyncpg.Connection) -> StaffUser:
    """A receptionist."""
    return await admin.create(
        conn, email="Ana.Perez@clinica.bo", full_name="Ana Pérez", role="recepcion", doctor_id=None, password=PASSWORD
    )


def form_csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


async def sign_in(browser: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """Open the sign-in form and send it, as a person would."""
    form = await browser.get("/console/login", headers={"accept": "text/html"})
    assert form.status_code == 200
    return await browser.post(
        "/console/login",
        data={"email": email, "password": password, "csrf": form_csrf(form)},
        headers={"accept": "text/html"},
    )


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Each Set-Cookie header of `response` by cookie name."""
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


@pytest.fixture
def graph() -> Iterator[FakeGraphApi]:
    with fake_graph_api() as fake:
        yield fake


@pytest.fixture
async def notifications(
    runtime_database_url: str, graph: FakeGraphApi, clock: MovableClock
) -> AsyncIterator[NotificationService]:
    """The notification service, as deployed but on the test's clock, sending to the fake Graph API."""
    settings = NotificationSettings.model_validate(
        {
            "DATABASE_URL": runtime_database_url,
            "WHATSAPP_ACCESS_TOKEN": "test-token",
            "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
            "WHATSAPP_GRAPH_BASE_URL": graph.url,
            "NOTIFICATIONS_HOST": "127.0.0.1",
            "NOTIFICATIONS_PORT": 0,
            "NOTIFICATIONS_TICK_SECONDS": 1,
            "JOB_RECOVER_EVERY_SECONDS": 1,
            "NOTIFICATIONS_SHUTDOWN_GRACE_SECONDS": 1,
        }
    )
    service = NotificationService(settings, clock=clock)
    await service.start()
    try:
        yield service
    finally:
        await service.aclose()


@pytest.fixture
async def clinic(conn: asyncpg.Connection) -> Clinic:
    """The seeded test clinic (tests/support/clinic.py): its doctors and patients."""
    return await seeded_clinic(conn)


async def book(
    conn: asyncpg.Connection,
    clock: MovableClock,
    patient: int,
    doctor: int,
    hour: int,
    *,
    day: date = MONDAY,
    booked_days_before: int = 3,
) -> UUID:
    """A 20-minute appointment at `hour` (tests.support.clinic.local) on `day`, booked by the patient on WhatsApp
    `booked_days_before` days before the test's clock."""
    starts = local(day, hour)
    booked = await repository.insert_appointment(
        conn,
        patient_id=patient,
        doctor_id=doctor,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=20),
        created_by=CreatedBy.PATIENT,
        channel="whatsapp",
        now=clock.now - timedelta(days=booked_days_before),
    )
    return booked.id
