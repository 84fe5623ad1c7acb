"""Waitlist offers: a cancelled appointment's slot offered to the next patient in line, one at a time, exactly once.

- **Tick.** A periodic job ends entries whose days have passed, expires offers whose hold ran out unanswered, then
  offers each freed slot nobody holds to its next patient in line (`waitlist_repository`), and queues one
  `notifications.waitlist_send` job per offer not sent yet, its queueing lock named by the offer. The partial unique
  indexes of migration 0022 refuse a second offer of one slot, or a second offer to one entry, whatever races.
- **Send.** As `delivery.Delivery` sends any notification, once it has checked that the offer still stands (the slot
  is still free and bookable at the end of the hold, the patient still consents); the hold counts from the post. An
  offer that cannot stand or is given up on is `withdrawn`, and the slot passes to the next in line.
- **Answers** come through the gateway's dialog ("sí" books the slot, "no" declines it); a declined, expired or
  withdrawn offer leaves the slot free for the next tick to offer to the next in line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from appointments.repository.connection import Connection
from notifications import callbacks
from notifications import waitlist_repository as repository
from notifications.delivery import SEND, Delivery, End, Names, Sending, Verdict
from notifications.template import OfferFacts, offer_message

log = structlog.get_logger(__name__)

SEND_TASK = "notifications.waitlist_send"
TICK_TASK = "notifications.waitlist_tick"
KIND = "waitlist_offer"
# Freed slots looked at per tick; the rest on the next one.
_BATCH = 200


class Waitlist:
    """Offers freed slots to waiting patients."""

    def __init__(
        self,
        sending: Sending,
        *,
        tz: ZoneInfo,
        hold_minutes: int,
        min_notice_minutes: int,
        template: str,
        language: str,
    ) -> None:
        self._pool = sending.pool
        self._metrics = sending.metrics
        self._clock = sending.clock
        self._tz = tz
        self._hold = timedelta(minutes=hold_minutes)
        self._min_notice = timedelta(minutes=min_notice_minutes)
        kind = _OfferKind(tz=tz, hold=self._hold, min_notice=self._min_notice, template=template, language=language)
        self._delivery = Delivery(kind, sending, task=SEND_TASK)
        sending.every_tick(TICK_TASK, "waitlist_tick", self.tick)

    # --- the tick -------------------------------------------------------------------------------------------------

    async def tick(self) -> int:
        """End, expire, offer and queue; how many offers were queued for sending."""
        now = self._clock()
        async with self._pool.acquire() as conn:
            await repository.end_past_entries(conn, today=now.astimezone(self._tz).date())
            expired = await repository.expire_holds(conn, now=now)
            if expired:
                self._metrics.sent.labels(KIND, "expired").inc(expired)
            # Only slots a "sí" at the end of the hold can still book.
            earliest = now + self._hold + self._min_notice
            for slot in await repository.freed_slots(conn, after=earliest, limit=_BATCH):
                offer_id = await repository.offer_next(
                    conn, slot=slot, tz_name=self._tz.key, now=now, hold_until=now + self._hold
                )
                if offer_id is not None:
                    log.info("waitlist_offer_made", offer_id=offer_id)
            ids = await repository.unsent(conn, limit=_BATCH)
        for offer_id in ids:
            await self._delivery.defer(offer_id)  # False: its job waits already
        return len(ids)

    # --- the job --------------------------------------------------------------------------------------------------

    async def send(self, offer_id: int) -> None:
        """Send one offer if it still stands; raises RetryAt to be run again later."""
        await self._delivery.send(offer_id)


@dataclass(frozen=True)
class _OfferKind:
    """A waitlist offer's parts of the send (`delivery.Kind`): every end unsent withdraws it."""

    # Logs waitlist_offer_sent, waitlist_offer_attempt_failed, waitlist_offer_failed and waitlist_offer_withdrawn.
    names = Names(kind=KIND, id_key="offer_id", not_sent="waitlist_offer_withdrawn")
    tz: ZoneInfo
    hold: timedelta
    min_notice: timedelta
    template: str
    language: str

    async def lock(self, conn: Connection, row_id: int) -> repository.LockedOffer | None:
        row = await repository.lock(conn, offer_id=row_id)
        return row if row is not None and row.status == "offered" and not row.sent else None  # else answered, ended

    async def verdict(self, conn: Connection, row: repository.LockedOffer, now: datetime) -> Verdict:
        reason = self._why_not(row, now + self.min_notice)
        return SEND if reason is None else End("withdrawn", reason)

    @staticmethod
    def _why_not(row: repository.LockedOffer, bookable_from: datetime) -> str | None:
        """Why the offer can no longer be sent; None when it can (`bookable_from`: the earliest bookable start)."""
        if row.slot_taken:
            return "slot_taken"
        if row.starts_at <= bookable_from:
            return "slot_passed"
        if row.consent is not True:
            return "no_consent"
        if row.phone is None:
            return "no_phone"
        return None

    async def claim(self, conn: Connection, row_id: int, lease_seconds: float) -> int:
        return await repository.claim(conn, offer_id=row_id, lease_seconds=lease_seconds)

    def message(self, row: repository.LockedOffer) -> dict[str, Any]:
        assert row.phone is not None
        facts = OfferFacts(
            offer_id=row.id,
            phone=row.phone,
            full_name=row.full_name,
            doctor_name=row.doctor_name,
            specialty_name=row.specialty_name,
            starts_at=row.starts_at,
            hold_minutes=int(self.hold.total_seconds() // 60),
            holder_name=row.holder_name,
        )
        data = callbacks.offer_callback_data(row.id)
        return offer_message(facts, template=self.template, language=self.language, tz=self.tz, callback_data=data)

    async def record_sent(self, conn: Connection, row_id: int, wamid: str | None, now: datetime) -> None:
        """The hold counts from the post."""
        await repository.record_sent(conn, offer_id=row_id, wamid=wamid, now=now, hold_until=now + self.hold)

    async def retry_later(self, conn: Connection, row_id: int, seconds: float, error: str, now: datetime) -> None:
        await repository.record_failed_attempt(conn, offer_id=row_id, error=error, hold_seconds=seconds, now=now)

    async def end(self, conn: Connection, row_id: int, how: End, now: datetime, error: str | None = None) -> None:
        """However it ends, the offer is withdrawn and its slot passes to the next in line."""
        await repository.withdraw(conn, offer_id=row_id, reason=how.reason, now=now, error=error)

    def sent_facts(self, row: repository.LockedOffer) -> Mapping[str, object]:
        return {}
