"""Replay a scripted conversation through POST /chat on real Postgres and Redis, and read where it ended.

Each script gets a fresh database (cloned from one migrated template holding the demo clinic), its own Redis
prefix and its own in-process gateway; the SMS provider and the model are local fakes from tests/support.
The gateway's clock starts at the script's `now` and runs on from there, so "el viernes" always means the same day.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx

from appointments import booking, demo
from appointments import repository as clinic_repository
from appointments.demo import seed_demo_clinic
from devstack.embedded import with_database
from gateway.app import create_app
from gateway.clock import Clock
from gateway.security.api_keys import create_api_key
from tests.gateway.verification.fake_sms import FakeSmsServer, fake_sms_server
from tests.support.chat import sms_codes
from tests.support.fake_inference import fake_inference_server
from tests.support.gateway import gateway_settings
from tests.support.services import migrate_with_runtime_login, run_as_owner
from tools.dialog_scripts import CLINIC_ZONE, EndState, Script

# The stand-in model's small talk: the end states never depend on it, only on the templated flows.
SMALL_TALK = "Con gusto le ayudo. ¿Desea agendar, cambiar o cancelar una cita?"
# Identity question, code, and one spare: a verification needs no more answers than these.
MOST_VERIFICATION_ANSWERS = 3
FACT_ORDER = (EndState.MOVED, EndState.BOOKED, EndState.CANCELLED, EndState.HANDED_OVER)


@dataclass(frozen=True)
class Exchange:
    """One message and the gateway's answer: HTTP status, reply text and action."""

    said: str
    status: int
    reply: str
    action: str
    scripted: bool


@dataclass(frozen=True)
class Row:
    status: str
    starts_at: datetime
    specialty: str
    patient: str


@dataclass
class Result:
    """Where one script ended, and why it does not count if it does not."""

    name: str
    script: Script
    reached: str
    problems: list[str] = field(default_factory=list)
    transcript: list[Exchange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.reached == self.script.expect.end.value and not self.problems


def clock_from(start: datetime) -> Clock:
    """A clock that reads `start` now and runs on in real time from there."""
    began = time.monotonic()

    def now() -> datetime:
        return start + timedelta(seconds=time.monotonic() - began)

    return now


def _small_talk(turns: Sequence[tuple[str, str]]) -> str:
    return SMALL_TALK


def demo_birth_date(phone: str) -> str | None:
    """The date of birth the demo seed registered for `phone`, as a patient types it."""
    return next((p.date_of_birth.strftime("%d/%m/%Y") for p in demo.PATIENTS if p.phone == phone), None)


async def _rows(conn: asyncpg.Connection) -> dict[uuid.UUID, Row]:
    found = await conn.fetch(
        "SELECT a.id, a.status, a.starts_at, s.code, p.full_name FROM appointments a "
        "JOIN doctors d ON d.id = a.doctor_id JOIN specialties s ON s.id = d.specialty_id "
        "JOIN patients p ON p.id = a.patient_id"
    )
    return {r["id"]: Row(r["status"], r["starts_at"], r["code"], r["full_name"]) for r in found}


def end_facts(before: dict[uuid.UUID, Row], after: dict[uuid.UUID, Row], flagged: bool) -> list[EndState]:
    """What changed: appointments moved, booked or cancelled, and a person asked for; in FACT_ORDER."""
    facts: set[EndState] = set()
    for key, row in after.items():
        old = before.get(key)
        if old is None:
            if row.status == "booked":
                facts.add(EndState.BOOKED)
        elif old.status == "booked" and row.status == "cancelled":
            facts.add(EndState.CANCELLED)
        elif old.status == "booked" and row.status == "booked" and old.starts_at != row.starts_at:
            facts.add(EndState.MOVED)
    if flagged:
        facts.add(EndState.HANDED_OVER)
    return [fact for fact in FACT_ORDER if fact in facts]


def concerned(before: dict[uuid.UUID, Row], after: dict[uuid.UUID, Row]) -> list[Row]:
    """The appointments the conversation booked or moved."""
    return [
        row
        for key, row in after.items()
        if row.status == "booked" and (key not in before or before[key].starts_at != row.starts_at)
    ]


def check(script: Script, before: dict[uuid.UUID, Row], after: dict[uuid.UUID, Row]) -> list[str]:
    """The expectation's optional checks that fail, each in a few words."""
    expect, problems = script.expect, []
    rows = concerned(before, after)
    if script.checks_appointment:
        if len(rows) != 1:
            problems.append(f"{len(rows)} appointments booked or moved, not 1")
        else:
            problems += _appointment_problems(script, rows[0])
    if expect.upcoming is not None:
        upcoming = sum(1 for r in after.values() if r.status == "booked" and r.starts_at >= script.now)
        if upcoming != expect.upcoming:
            problems.append(f"{upcoming} upcoming appointments, not {expect.upcoming}")
    return problems


def _appointment_problems(script: Script, row: Row) -> list[str]:
    expect, problems = script.expect, []
    local = row.starts_at.astimezone(CLINIC_ZONE)
    if expect.at is not None and local != expect.at:
        problems.append(f"at {local:%Y-%m-%d %H:%M}, not {expect.at:%Y-%m-%d %H:%M}")
    if expect.day is not None and local.date() != expect.day:
        problems.append(f"on {local:%Y-%m-%d}, not {expect.day:%Y-%m-%d}")
    if expect.specialty is not None and row.specialty != expect.specialty:
        problems.append(f"{row.specialty}, not {expect.specialty}")
    if expect.patient is not None and expect.patient.casefold() not in row.patient.casefold():
        problems.append(f"for another patient, not {expect.patient}")
    return problems


class Replayer:
    """A seeded template database, a fake SMS provider and a fake model, shared by the scripts it replays."""

    def __init__(
        self, server_url: str, redis_url: str, template: str, api_key: str, sms: FakeSmsServer, model: str
    ) -> None:
        self._server_url = server_url
        self._redis_url = redis_url
        self._template = template
        self._api_key = api_key
        self._sms = sms
        self._model = model

    @classmethod
    @asynccontextmanager
    async def start(cls, server_url: str, redis_url: str) -> AsyncIterator[Replayer]:
        """`server_url`: a Postgres server where databases may be created (as their owner); `redis_url`: Redis."""
        template = f"clinic_evaldialog_tpl_{uuid.uuid4().hex[:12]}"
        await run_as_owner(server_url, f'CREATE DATABASE "{template}"')
        try:
            url = with_database(server_url, template)
            await migrate_with_runtime_login(url)
            conn = await asyncpg.connect(url)
            try:
                await seed_demo_clinic(conn)
                api_key = (await create_api_key(conn, name="eval-dialog", scopes={"chat"})).secret
            finally:
                await conn.close()
            with fake_sms_server() as sms, fake_inference_server(_small_talk) as model:
                yield cls(server_url, redis_url, template, api_key, sms, model.target)
        finally:
            await run_as_owner(server_url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')

    async def replay(self, name: str, script: Script) -> Result:
        """Run `script` on a database of its own and say where it ended."""
        async with self._database() as url:
            conn = await asyncpg.connect(url)
            try:
                await _arrange(conn, script)
                before = await _rows(conn)
                transcript = await self._talk(url, script)
                after = await _rows(conn)
                flagged = bool(
                    await conn.fetchval("SELECT count(*) FROM conversations WHERE needs_human_reason IS NOT NULL")
                )
            finally:
                await conn.close()
        facts = end_facts(before, after, flagged)
        result = Result(name, script, "+".join(facts) or EndState.NOTHING_BOOKED.value, transcript=transcript)
        result.problems += [f"'{e.said[:40]}' answered HTTP {e.status}" for e in transcript if e.status != 200]
        result.problems += check(script, before, after)
        return result

    @asynccontextmanager
    async def _database(self) -> AsyncIterator[str]:
        name = f"clinic_evaldialog_{uuid.uuid4().hex[:12]}"
        await run_as_owner(self._server_url, f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        try:
            yield with_database(self._server_url, name)
        finally:
            await run_as_owner(self._server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def _talk(self, database_url: str, script: Script) -> list[Exchange]:
        settings = gateway_settings(
            database_url,
            self._redis_url,
            self._model,
            self._sms.url,
            LOG_LEVEL="ERROR",
            REDIS_KEY_PREFIX=f"evaldialog-{uuid.uuid4().hex}",
        )
        app = create_app(settings, clock=clock_from(script.now))
        born = script.born or demo_birth_date(script.phone)
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway", timeout=60)
            )
            patient = _Patient(client, self._api_key, script.phone, self._sms, born)
            for message in script.messages():
                await patient.say(message, scripted=True)
                await patient.pass_verification()
        return patient.transcript


@dataclass
class _Patient:
    """Writes to /chat as `phone`, and answers verification (date of birth, SMS code) when the gateway asks."""

    client: httpx.AsyncClient
    api_key: str
    phone: str
    sms: FakeSmsServer
    born: str | None
    transcript: list[Exchange] = field(default_factory=list)
    codes_sent: int = 0

    def __post_init__(self) -> None:
        # The SMS provider is shared by the scripts of a run: codes texted before this one are not its own.
        self.codes_sent = len(self._codes())

    def _codes(self) -> list[str]:
        return [c for r in self.sms.received if r.body["to"] == self.phone for c in sms_codes(r.body["text"])]

    async def say(self, text: str, *, scripted: bool) -> dict[str, Any]:
        answer = await self.client.post(
            "/chat",
            json={"messages": [{"role": "user", "content": text}], "user_id": self.phone},
            headers={"X-API-Key": self.api_key},
        )
        body: dict[str, Any] = answer.json() if answer.status_code == 200 else {}
        reply = str(body.get("response", answer.text))
        self.transcript.append(Exchange(text, answer.status_code, reply, str(body.get("action", "")), scripted))
        return body

    async def pass_verification(self) -> None:
        """While the last answer asks for verification: the newest code texted, else the date of birth."""
        for _ in range(MOST_VERIFICATION_ANSWERS):
            if self.transcript[-1].action != "verification_required":
                return
            codes = self._codes()
            if len(codes) > self.codes_sent:
                self.codes_sent = len(codes)
                await self.say(codes[-1], scripted=False)
            elif self.born is not None:
                await self.say(self.born, scripted=False)
            else:
                return


async def _arrange(conn: asyncpg.Connection, script: Script) -> None:
    """Book the setup's appointments for the script's phone, at the script's clock."""
    if not script.setup.appointments:
        return
    patient = await clinic_repository.patient_by_phone(conn, phone=script.phone)
    if patient is None:
        raise ValueError(f"setup books for {script.phone}, who is not a demo patient")
    for wanted in script.setup.appointments:
        if wanted.doctor is not None:
            doctor_id = await conn.fetchval("SELECT id FROM doctors WHERE full_name = $1", wanted.doctor)
        else:
            doctor_id = await conn.fetchval(
                "SELECT d.id FROM doctors d JOIN specialties s ON s.id = d.specialty_id WHERE s.code = $1 "
                "ORDER BY d.id LIMIT 1",
                wanted.specialty,
            )
        if doctor_id is None:
            raise ValueError(f"setup names no demo doctor: {wanted.doctor or wanted.specialty}")
        await booking.book(
            conn, patient_id=patient.id, doctor_id=doctor_id, starts_at=wanted.at, now=script.now, tz=CLINIC_ZONE
        )
