"""The dialog on its own: one message at a time through `Dialog.respond`, with no HTTP and no model.

A `DialogBench` runs on a real Postgres connection holding the demo clinic, a real Redis for verification and a
local SMS provider, at a fixed clinic time (`MONDAY_9AM`), so flow tests can say: this state, this message, then
this state and this reply.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import redis.asyncio as redis

from appointments import booking, repository
from appointments.availability import free_slots
from appointments.demo import seed_demo_clinic
from appointments.schemas import Appointment, Patient, Slot
from gateway.conversation.dialog import Clinic, Dialog, DialogSettings, Outcome, Turn
from gateway.conversation.state import DialogState
from gateway.understanding import understand
from gateway.understanding.nlu import Understanding
from gateway.verification.identity import KnowledgeCheck
from gateway.verification.otp import OtpService
from gateway.verification.sms import HttpSmsSender
from gateway.verification.vouching import by_api_key
from tests.gateway.verification.fake_sms import FakeSmsServer, fake_sms_server

LA_PAZ = ZoneInfo("America/La_Paz")
# A Monday morning with no holiday near it: the demo doctors all work this week.
MONDAY_9AM = datetime(2030, 3, 4, 9, 0, tzinfo=LA_PAZ)
KEY = by_api_key(1)
SETTINGS = DialogSettings(
    tz=LA_PAZ,
    min_notice=timedelta(minutes=60),
    search_days=14,
    slots_offered=3,
    verified_ttl=600,
    knowledge_check=KnowledgeCheck.DATE_OF_BIRTH,
    identity_attempts=3,
    identity_lockout=timedelta(minutes=15),
    max_upcoming=3,
    code_minutes=5,
    emergency_number="168",
)


@dataclass
class DialogBench:
    """Say one message to the dialog in a given state; what it audited and texted is kept for the test."""

    conn: asyncpg.Connection
    otp: OtpService
    sms: FakeSmsServer
    clinic: Clinic
    now: datetime = MONDAY_9AM
    audited: list[tuple[str, str]] = field(default_factory=list)

    async def say(
        self, phone: str, text: str, state: DialogState | None = None, *, understood: Understanding | None = None
    ) -> Outcome:
        """The dialog's outcome for `text` from `phone` in `state` (none: a new conversation); `understood` stands
        for the reading of `text` where a test needs one the patterns alone would not give (the learned model's)."""
        if understood is None:
            doctors = [d.full_name for d in self.clinic.doctors]
            understood = understand(text, now=self.now, tz=SETTINGS.tz, doctors=doctors)
        dialog = Dialog(self.conn, otp=self.otp, clinic=self.clinic, settings=SETTINGS)
        turn = Turn(phone=phone, text=text, understood=understood, now=self.now, vouched_by=KEY)
        outcome = await dialog.respond(state or DialogState(), turn)
        self.audited = dialog.audited
        return outcome

    async def verified(self, phone: str) -> None:
        """`phone` passed verification a moment ago."""
        await self.otp.mark_verified(phone, KEY, SETTINGS.verified_ttl)

    async def patient(self, phone: str) -> Patient:
        found = await repository.patient_by_phone(self.conn, phone=phone)
        assert found is not None
        return found

    async def free(self, specialty: str) -> list[Slot]:
        """Free slots in `specialty` from now, as the dialog would search them."""
        first = self.now.date()
        return await free_slots(
            self.conn,
            first_day=first,
            last_day=first + timedelta(days=SETTINGS.search_days),
            now=self.now,
            doctor_id=None,
            specialty_code=specialty,
            patient_id=None,
            tz=SETTINGS.tz,
            min_notice=SETTINGS.min_notice,
            limit=None,
        )

    async def booked(self, phone: str, slot: Slot) -> Appointment:
        """An appointment the patient already holds, booked outside the dialog."""
        patient = await self.patient(phone)
        return await booking.book(
            self.conn,
            patient_id=patient.id,
            doctor_id=slot.doctor_id,
            starts_at=slot.starts_at,
            now=self.now,
            tz=SETTINGS.tz,
            min_notice=SETTINGS.min_notice,
            max_upcoming=SETTINGS.max_upcoming,
        )


@asynccontextmanager
async def dialog_bench(conn: asyncpg.Connection, redis_url: str) -> AsyncIterator[DialogBench]:
    """A bench on the demo clinic, with verification in Redis under a key prefix of its own."""
    await seed_demo_clinic(conn)
    prefix = f"test-dialog-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)
    try:
        with fake_sms_server() as provider:
            async with HttpSmsSender(base_url=provider.url, token="tok", timeout=2) as sender:
                otp = OtpService(client, sender, secret=b"test-secret-of-32-bytes-at-least", key_prefix=prefix)
                yield DialogBench(conn, otp, provider, await Clinic.load(conn))
    finally:
        async for key in client.scan_iter(match=f"{prefix}:*"):
            await client.delete(key)
        await client.aclose()
