"""Appointment reminders, each sent exactly once (`notifications.delivery`).

- **Tick.** A periodic job (deferred once per tick by whichever copy gets there first) plans the reminders of
  booked appointments (`planning.plan`; rows keyed by appointment, hours and start, so planning twice inserts
  nothing), drops pending ones whose appointment was cancelled or moved (the move gets new rows for its new
  start), and queues one `notifications.send` job per due reminder, its queueing lock named by the reminder.
- **Send.** The job sends it as `delivery.Delivery` does any notification, once it has checked again that the
  appointment is still booked at that start, that the patient (or their family holder) consented and that the time
  is still right (`planning.at_send_time`: it may put the reminder off past quiet hours). A reminder given up on is
  `failed`; one whose claim lapsed with its copy is queued again by the next tick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from appointments.repository.connection import Connection
from notifications import callbacks, planning, repository
from notifications.delivery import POSTPONED, SEND, Delivery, End, Names, Sending, Verdict
from notifications.planning import QuietHours
from notifications.template import ReminderFacts, reminder_message

log = structlog.get_logger(__name__)

SEND_TASK = "notifications.send"
TICK_TASK = "notifications.tick"
KIND = "reminder"
# Reminders queued per tick; the rest go on the next one.
_BATCH = 500
# Appointments are planned this long before their earliest reminder, so staff see the rows ahead.
_PLAN_AHEAD = timedelta(days=1)


class Reminders:
    """Plans, queues and sends appointment reminders."""

    def __init__(
        self,
        sending: Sending,
        *,
        hours_before: Sequence[int],
        quiet: QuietHours | None,
        tz: ZoneInfo,
        template: str,
        language: str,
    ) -> None:
        self._pool = sending.pool
        self._metrics = sending.metrics
        self._clock = sending.clock
        self._hours = tuple(sorted(set(hours_before), reverse=True))
        self._quiet = quiet
        self._tz = tz
        kind = _ReminderKind(hours=self._hours, quiet=quiet, tz=tz, template=template, language=language)
        self._delivery = Delivery(kind, sending, task=SEND_TASK)
        sending.every_tick(TICK_TASK, "tick", self.tick)

    # --- the tick -------------------------------------------------------------------------------------------------

    async def tick(self) -> int:
        """Plan, drop and queue; how many reminders were queued."""
        now = self._clock()
        await self.plan(now)
        await self.drop(now)
        return await self.queue_due(now)

    async def plan(self, now: datetime) -> int:
        until = now + timedelta(hours=max(self._hours)) + _PLAN_AHEAD
        planned = 0
        async with self._pool.acquire() as conn:
            for candidate in await repository.unplanned(conn, now=now, until=until, hours=self._hours):
                plans = planning.plan(
                    starts_at=candidate.starts_at,
                    booked_at=candidate.booked_at,
                    hours_before=self._hours,
                    quiet=self._quiet,
                    tz=self._tz,
                )
                new = await repository.insert_planned(
                    conn, appointment_id=candidate.appointment_id, planned_start=candidate.starts_at, plans=plans
                )
                planned += new
                skipped = sum(1 for p in plans if p.skipped is not None)
                if new and skipped:
                    self._metrics.sent.labels(KIND, "skipped").inc(skipped)
        return planned

    async def drop(self, now: datetime) -> None:
        async with self._pool.acquire() as conn:
            reasons = await repository.drop_stale(conn, now=now)
        for reason in reasons:
            self._metrics.sent.labels(KIND, "dropped").inc()
            log.info("reminder_dropped", reason=reason)

    async def queue_due(self, now: datetime) -> int:
        async with self._pool.acquire() as conn:
            ids = await repository.due(conn, now=now, limit=_BATCH)
        await self.measure_lag()
        queued = 0
        for reminder_id in ids:
            queued += await self._delivery.defer(reminder_id)  # False: its job waits already
        return queued

    async def measure_lag(self) -> None:
        """Set the queue-lag gauge: how long the longest-waiting due reminder has waited (0: none waits)."""
        now = self._clock()
        async with self._pool.acquire() as conn:
            oldest = await repository.oldest_due_at(conn, now=now)
        self._metrics.queue_lag.set(0 if oldest is None else max(0.0, (now - oldest).total_seconds()))

    # --- the job --------------------------------------------------------------------------------------------------

    async def send(self, reminder_id: int) -> None:
        """Send one reminder if it is still due and still meant; raises RetryAt to be run again later."""
        await self._delivery.send(reminder_id)


@dataclass(frozen=True)
class _ReminderKind:
    """A reminder's parts of the send (`delivery.Kind`): still meant while its appointment is booked at the start it
    was planned for, the patient consents and `planning.at_send_time` agrees."""

    # Logs reminder_sent, reminder_attempt_failed, reminder_failed and reminder_not_sent.
    names = Names(kind=KIND, id_key="reminder_id", not_sent="reminder_not_sent")
    hours: tuple[int, ...]
    quiet: QuietHours | None
    tz: ZoneInfo
    template: str
    language: str

    async def lock(self, conn: Connection, row_id: int) -> repository.Locked | None:
        row = await repository.lock(conn, reminder_id=row_id)
        return row if row is not None and row.status == "pending" else None

    async def verdict(self, conn: Connection, row: repository.Locked, now: datetime) -> Verdict:
        if row.appointment_status != "booked" or row.starts_at != row.planned_start:
            return End("dropped", "cancelled" if row.appointment_status != "booked" else "moved")
        if row.consent is not True:
            return End("skipped", "no_consent")
        if row.phone is None:
            return End("skipped", "no_phone")
        decision = planning.at_send_time(
            now=now,
            starts_at=row.starts_at,
            hours_before=row.hours_before,
            all_hours=self.hours,
            quiet=self.quiet,
            tz=self.tz,
        )
        if decision.wait_until is not None:
            await repository.postpone(conn, reminder_id=row.id, due_at=decision.wait_until, now=now)
            return POSTPONED
        if not decision.send and decision.skipped is not None:
            return End("skipped", decision.skipped)
        return SEND

    async def claim(self, conn: Connection, row_id: int, lease_seconds: float) -> int:
        return await repository.claim(conn, reminder_id=row_id, lease_seconds=lease_seconds)

    def message(self, row: repository.Locked) -> dict[str, Any]:
        facts = ReminderFacts(
            appointment_id=row.appointment_id,
            phone=row.phone or "",
            full_name=row.full_name,
            doctor_name=row.doctor_name,
            specialty_name=row.specialty_name,
            starts_at=row.starts_at,
            holder_name=row.holder_name,
        )
        data = callbacks.callback_data(row.id)
        return reminder_message(facts, template=self.template, language=self.language, tz=self.tz, callback_data=data)

    async def record_sent(self, conn: Connection, row_id: int, wamid: str | None, now: datetime) -> None:
        await repository.record_sent(conn, reminder_id=row_id, wamid=wamid, now=now)

    async def retry_later(self, conn: Connection, row_id: int, seconds: float, error: str, now: datetime) -> None:
        await repository.record_failed_attempt(conn, reminder_id=row_id, error=error, hold_seconds=seconds, now=now)

    async def end(self, conn: Connection, row_id: int, how: End, now: datetime, error: str | None = None) -> None:
        status = how.outcome
        assert status != "withdrawn"  # a reminder ends failed, skipped or dropped: its status is its outcome
        await repository.finish(conn, reminder_id=row_id, status=status, reason=how.reason, now=now, error=error)

    def sent_facts(self, row: repository.Locked) -> Mapping[str, object]:
        return {"hours_before": row.hours_before}
