"""The drill's figures, from what the patients saw and the ground truth: the drill's database and what the fake
Graph API took. Nothing here believes the gateway's own account (its answers say only what the patient saw).

- **sent**: deliveries (distinct ids); **acknowledged**: answered 200 at some try;
- **lost**: acknowledged, yet not in the database (a /chat message not among `messages`, a webhook message not in
  `whatsapp_inbound`);
- **stored twice**: patient messages stored beyond one per id (per phone: rows minus the distinct ids among them);
- **5xx**: tries answered with a status of 500 or more (those with `Retry-After` counted apart as well);
- **acknowledged without a reply**: a /chat message stored with no reply stored for it; a webhook message that
  no Graph API send answered by the end of the drain;
- **answered twice**: an outbox part the Graph API took more than once (a WhatsApp patient got it twice);
- **double bookings**: overlapping appointments of one doctor, plus appointments beyond the replies that booked.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import asyncpg

from bench.chaos.load import Channel, Delivery
from gateway.conversation.service import api_message_key, whatsapp_message_key
from gateway.whatsapp.service import CALLBACK_PREFIX


@dataclass(frozen=True)
class StoredMessage:
    """A patient's message as the drill's database holds it."""

    phone: str
    inbound_key: str | None
    replied: bool


@dataclass(frozen=True)
class TakenSend:
    """A message the fake Graph API took: when (drill seconds) and the outbox part it carried."""

    at: float
    callback: str


@dataclass(frozen=True)
class GroundTruth:
    messages: Sequence[StoredMessage]
    whatsapp_inbound: Mapping[str, str]  # wamid -> status
    outbox_parts: Mapping[str, str]  # biz_opaque_callback_data -> inbound wamid
    sends: Sequence[TakenSend]
    bookings: Mapping[str, int]  # phone -> appointments patients booked
    booking_replies: Mapping[str, int]  # phone -> replies that said a booking was made
    overlapping_appointments: int = 0


@dataclass(frozen=True)
class ChannelFigures:
    sent: int = 0
    acknowledged: int = 0
    lost: int = 0
    stored_twice: int = 0
    server_errors: int = 0  # tries answered >= 500
    retry_after_503: int = 0  # of which 503 with Retry-After
    without_reply: int = 0
    answered_twice: int = 0
    # Seconds from a delivery's first try to its answer reaching the patient, by id.
    latency_by_id: Mapping[str, float] = field(default_factory=dict)
    outcomes: Mapping[str, int] = field(default_factory=dict)  # every try that was not a 200, by status

    @property
    def latencies(self) -> tuple[float, ...]:
        return tuple(self.latency_by_id.values())

    @property
    def unacknowledged(self) -> int:
        return self.sent - self.acknowledged

    def latency(self, q: float) -> float:
        """The q-th percentile (linear between closest ranks); NaN without deliveries."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[round(q) - 1]


@dataclass(frozen=True)
class Figures:
    chat: ChannelFigures
    whatsapp: ChannelFigures
    double_bookings: int
    whatsapp_statuses: Mapping[str, int] = field(default_factory=dict)

    def total(self, name: str) -> int:
        return int(getattr(self.chat, name) + getattr(self.whatsapp, name))

    @property
    def latencies(self) -> ChannelFigures:
        return ChannelFigures(latency_by_id={**self.chat.latency_by_id, **self.whatsapp.latency_by_id})

    def failures(self) -> list[str]:
        """The targets missed, as sentences; empty when all are met."""
        checks = {
            "lost": self.total("lost"),
            "stored twice": self.total("stored_twice"),
            "5xx": self.total("server_errors"),
            "acknowledged without a reply": self.total("without_reply"),
            "answered twice": self.total("answered_twice"),
            "double bookings": self.double_bookings,
        }
        return [f"{name}: {count} (target 0)" for name, count in checks.items() if count]


def _tries(deliveries: Iterable[Delivery]) -> tuple[int, int, Counter[str]]:
    errors = retry_after = 0
    outcomes: Counter[str] = Counter()
    for delivery in deliveries:
        for attempt in delivery.attempts:
            if attempt.status == 200:
                continue
            outcomes["no answer" if attempt.status is None else str(attempt.status)] += 1
            if attempt.status is not None and attempt.status >= 500:
                errors += 1
                retry_after += attempt.status == 503 and attempt.retry_after
    return errors, retry_after, outcomes


def _stored_twice(mine: Sequence[Delivery], stored: Sequence[StoredMessage], key: dict[str, str]) -> int:
    """Per phone of these deliveries: its stored messages beyond one per id of ours (a row under another key, or
    none, is a message stored again)."""
    phones = {d.phone for d in mine}
    ours = set(key.values())
    rows = [m for m in stored if m.phone in phones]
    return len(rows) - len({m.inbound_key for m in rows if m.inbound_key in ours})


def account(deliveries: Sequence[Delivery], truth: GroundTruth, *, api_key_id: int) -> Figures:
    by_channel: dict[Channel, list[Delivery]] = {"chat": [], "whatsapp": []}
    for delivery in deliveries:
        by_channel[delivery.channel].append(delivery)
    stored = {m.inbound_key: m for m in truth.messages if m.inbound_key is not None}

    chat = by_channel["chat"]
    chat_keys = {d.id: api_message_key(api_key_id, d.id) for d in chat}
    acked = [d for d in chat if d.acknowledged_at is not None]
    errors, retry_after, outcomes = _tries(chat)
    chat_figures = ChannelFigures(
        sent=len(chat),
        acknowledged=len(acked),
        lost=sum(chat_keys[d.id] not in stored for d in acked),
        stored_twice=_stored_twice(chat, truth.messages, chat_keys),
        server_errors=errors,
        retry_after_503=retry_after,
        without_reply=sum(chat_keys[d.id] in stored and not stored[chat_keys[d.id]].replied for d in acked),
        latency_by_id={d.id: d.acknowledged_at - d.first_at for d in acked if d.acknowledged_at is not None},
        outcomes=dict(outcomes),
    )

    whatsapp = by_channel["whatsapp"]
    wa_keys = {d.id: whatsapp_message_key(d.id) for d in whatsapp}
    wa_acked = [d for d in whatsapp if d.acknowledged_at is not None]
    first_send: dict[str, float] = {}
    taken: Counter[str] = Counter()
    for send in sorted(truth.sends, key=lambda s: s.at):
        taken[send.callback] += 1
        wamid = truth.outbox_parts.get(send.callback)
        if wamid is not None:
            first_send.setdefault(wamid, send.at)
    errors, retry_after, outcomes = _tries(whatsapp)
    wa_figures = ChannelFigures(
        sent=len(whatsapp),
        acknowledged=len(wa_acked),
        lost=sum(d.id not in truth.whatsapp_inbound for d in wa_acked),
        stored_twice=_stored_twice(whatsapp, truth.messages, wa_keys),
        server_errors=errors,
        retry_after_503=retry_after,
        without_reply=sum(d.id not in first_send for d in wa_acked),
        answered_twice=sum(n - 1 for n in taken.values() if n > 1),
        latency_by_id={d.id: first_send[d.id] - d.first_at for d in wa_acked if d.id in first_send},
        outcomes=dict(outcomes),
    )

    extra_bookings = sum(max(0, n - truth.booking_replies.get(phone, 0)) for phone, n in truth.bookings.items())
    ours = {d.id for d in whatsapp}
    statuses = Counter(status for wamid, status in truth.whatsapp_inbound.items() if wamid in ours)
    return Figures(chat_figures, wa_figures, truth.overlapping_appointments + extra_bookings, dict(statuses))


async def read_ground_truth(owner_url: str, sends: Sequence[TakenSend]) -> GroundTruth:
    """What the drill's database holds, read as the owner of its tables once the drill has drained."""
    conn = await asyncpg.connect(owner_url)
    try:
        messages = [
            StoredMessage(r["user_phone"], r["inbound_key"], r["replied"])
            for r in await conn.fetch(
                "SELECT m.user_phone, m.inbound_key,"
                " EXISTS (SELECT 1 FROM messages r WHERE r.reply_to = m.id) AS replied"
                " FROM messages m WHERE m.role = 'user'"
            )
        ]
        inbound = {r["wamid"]: r["status"] for r in await conn.fetch("SELECT wamid, status FROM whatsapp_inbound")}
        parts = {
            f"{CALLBACK_PREFIX}{r['id']}": r["inbound_wamid"]
            for r in await conn.fetch("SELECT id, inbound_wamid FROM whatsapp_outbound")
        }
        bookings = {
            r["phone"]: r["n"]
            for r in await conn.fetch(
                "SELECT p.phone, count(*) AS n FROM appointments a JOIN patients p ON p.id = a.patient_id"
                " WHERE a.created_by = 'patient' GROUP BY p.phone"
            )
        }
        replies = {
            r["user_phone"]: r["n"]
            for r in await conn.fetch(
                "SELECT user_phone, count(*) AS n FROM messages"
                " WHERE role = 'assistant' AND action = 'schedule_appointment' GROUP BY user_phone"
            )
        }
        overlapping = await conn.fetchval(
            "SELECT count(*) FROM appointments a JOIN appointments b ON a.doctor_id = b.doctor_id AND a.id < b.id"
            " WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'"
            " AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)"
        )
    finally:
        await conn.close()
    return GroundTruth(messages, inbound, parts, sends, bookings, replies, overlapping)
