"""The simulated patients, and what each of their deliveries went through.

Our own asyncio client rather than locust: every delivery's id, each attempt's status and time, and the moment it
was acknowledged are the drill's record, and a booking patient's next message depends on the last answer (the
code texted to the fake SMS provider, the slots offered), which locust's per-endpoint statistics would not keep.
One event loop in the drill's process also costs this shared 2-core machine less than locust's gevent workers.

A delivery is retried with the same id, as n8n and Meta do, until it is acknowledged (HTTP 200) or
`GIVE_UP_SECONDS` after its first try: after the `Retry-After` the gateway asked for, else after a backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from bench.chaos.stack import APP_SECRET, PHONE_NUMBER_ID, Booker, Stack
from gateway.whatsapp.signature import sign

Channel = Literal["chat", "whatsapp"]
GIVE_UP_SECONDS = 120.0
ATTEMPT_TIMEOUT_SECONDS = 70.0  # past nginx's own limit (35 s over two copies): a missing answer is the gateway's
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0)
RETRY_AFTER_CAP_SECONDS = 10.0
# What patients write: greetings, small talk the model answers, questions answered from the clinic's data.
SMALL_TALK = [
    "Hola, buenos días",
    "hola q tal",
    "¿Cómo está usted?",
    "Gracias por la atención",
    "hoy hace mucho frío en La Paz",
    "me gusta caminar por el parque los domingos",
    "estoy un poco cansado del trabajo",
    "mi hijo empezó el colegio esta semana",
    "qué lindo día hace hoy",
    "ayer vi un partido de fútbol muy bueno",
    "¿cuánto cuesta la consulta de pediatría?",
    "q horario tienen",
    "¿atienden los domingos?",
    "donde quedan?",
    "aceptan seguro? tengo caja nacional",
    "qué debo llevar a la consulta",
    "¿tienen cardiólogo?",
    "jaja ok",
    "muchas gracias, muy amable",
    "buenas noches",
]


@dataclass
class Attempt:
    """One try of a delivery: when it was sent (drill seconds), its HTTP status (None: no answer), how long."""

    at: float
    status: int | None
    seconds: float
    retry_after: bool = False


@dataclass
class Delivery:
    """One message a patient sent, under one id, with every try."""

    channel: Channel
    id: str
    phone: str  # E.164, as the gateway stores it
    attempts: list[Attempt] = field(default_factory=list)
    acknowledged_at: float | None = None  # drill seconds of the 200
    action: str | None = None  # /chat: the answer's action

    @property
    def first_at(self) -> float:
        return self.attempts[0].at if self.attempts else 0.0


@dataclass
class Load:
    """The patients' record, and the clock every time in it is measured on (time.monotonic() at the start)."""

    t0: float
    deliveries: list[Delivery] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.t0


async def _deliver(
    load: Load, client: httpx.AsyncClient, delivery: Delivery, send: Any, stop_retrying: float
) -> httpx.Response | None:
    """Try `send()` until it is answered 200, retrying with the same id; the 200, or None when given up."""
    load.deliveries.append(delivery)
    tries = 0
    while True:
        at = load.now()
        started = time.monotonic()
        response: httpx.Response | None = None
        with contextlib.suppress(httpx.HTTPError):
            response = await send()
        seconds = time.monotonic() - started
        retry_after = response is not None and "retry-after" in response.headers
        status = None if response is None else response.status_code
        delivery.attempts.append(Attempt(at, status, seconds, retry_after))
        if response is not None and status == 200:
            delivery.acknowledged_at = load.now()
            return response
        if status is not None and 400 <= status < 500 and status not in (409, 429):
            return None  # refused for good: a bug of the drill, visible in the figures
        if load.now() - delivery.first_at > GIVE_UP_SECONDS or load.now() > stop_retrying:
            return None
        wait = BACKOFF_SECONDS[min(tries, len(BACKOFF_SECONDS) - 1)]
        if response is not None and retry_after:
            with contextlib.suppress(ValueError):
                wait = min(RETRY_AFTER_CAP_SECONDS, float(response.headers["retry-after"]))
        tries += 1
        await asyncio.sleep(wait)


@dataclass
class ChatPatient:
    """Someone writing through n8n: POST /chat with a `message_id`, through nginx."""

    load: Load
    client: httpx.AsyncClient
    stack: Stack
    phone: str
    stop_retrying: float

    async def say(self, text: str) -> dict[str, Any] | None:
        delivery = Delivery("chat", uuid.uuid4().hex, self.phone)
        body = {"messages": [{"role": "user", "content": text}], "user_id": self.phone, "message_id": delivery.id}
        headers = {"X-API-Key": self.stack.api_key}

        async def send() -> httpx.Response:
            return await self.client.post("/chat", json=body, headers=headers)

        response = await _deliver(self.load, self.client, delivery, send, self.stop_retrying)
        if response is None:
            return None
        answer: dict[str, Any] = response.json()
        delivery.action = answer.get("action")
        return answer


def _codes_to(stack: Stack, phone: str) -> list[str]:
    texts = [r.body.get("text", "") for r in list(stack.sms.received) if r.body.get("to") == phone]
    return [m[1] for t in texts if (m := re.search(r"\b(\d{6})\b", t))]


async def small_talker(patient: ChatPatient, rng: random.Random, until: float) -> None:
    while patient.load.now() < until:
        await patient.say(rng.choice(SMALL_TALK))
        await asyncio.sleep(rng.uniform(2.0, 6.0))


async def booker(patient: ChatPatient, who: Booker, rng: random.Random, until: float, bookings: int = 2) -> None:
    """Book pediatrics `bookings` times (every booker races for the same first slots), then make small talk.

    Each next message is read off the last answer, whatever a fault made of it: the identity question gets the
    date of birth, the code question the latest code texted, slots the first one, a confirmation "sí".
    """
    booked = 0
    answer: dict[str, Any] | None = None
    codes_seen = 0
    while patient.load.now() < until:
        if booked >= bookings:
            text = rng.choice(SMALL_TALK)
        elif answer is None or answer.get("action") not in ("verification_required", "none"):
            text = "quiero una cita con pediatría"
        elif answer["action"] == "verification_required" and "código" in answer["response"]:
            codes = _codes_to(patient.stack, patient.phone)
            text = codes[-1] if len(codes) > codes_seen else "quiero una cita con pediatría"
            codes_seen = len(codes)
        elif answer["action"] == "verification_required":
            text = f"nací el {who.date_of_birth}"
        elif answer.get("options") and "Confirma" in answer["response"]:
            text = "sí"
        elif answer.get("options"):
            text = str(answer["options"][0]["id"])
        else:
            text = "quiero una cita con pediatría"
        answer = await patient.say(text)
        if answer is not None and answer.get("action") == "schedule_appointment":
            booked += 1
            answer = None
        await asyncio.sleep(rng.uniform(2.0, 5.0))  # under the per-patient limit (20 a minute)


def _answers_to(stack: Stack, wa_id: str) -> int:
    return sum(s.to == wa_id for s in list(stack.graph.sends))


def _webhook_body(wa_id: str, wamid: str, text: str) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "59122001122", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Paciente"}, "wa_id": wa_id}],
        "messages": [
            {"from": wa_id, "id": wamid, "timestamp": str(int(time.time())), "type": "text", "text": {"body": text}}
        ],
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(payload, ensure_ascii=False).encode()


async def whatsapp_patient(
    load: Load, client: httpx.AsyncClient, stack: Stack, wa_id: str, rng: random.Random, until: float, stop: float
) -> None:
    """Meta delivering a patient's messages to the gateway's own webhook (signed), through nginx; the patient
    writes again once answered (or after 30 s without an answer)."""
    while load.now() < until:
        wamid = f"wamid.chaos-{uuid.uuid4().hex}"
        body = _webhook_body(wa_id, wamid, rng.choice(SMALL_TALK))
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, APP_SECRET.encode())}
        answered_before = _answers_to(stack, wa_id)

        async def send(body: bytes = body, headers: dict[str, str] = headers) -> httpx.Response:
            return await client.post("/webhooks/whatsapp", content=body, headers=headers)

        if await _deliver(load, client, Delivery("whatsapp", wamid, f"+{wa_id}"), send, stop) is not None:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and _answers_to(stack, wa_id) <= answered_before:  # noqa: ASYNC110
                await asyncio.sleep(0.2)  # the fake Graph API runs in its own threads: polling is the simple way
        await asyncio.sleep(rng.uniform(2.0, 6.0))


async def run_patients(
    stack: Stack, load: Load, *, talkers: int, booking: list[Booker], whatsapp: int, seconds: float, seed: int
) -> None:
    """Every patient at once for `seconds` (their starts spread over the first few); returns when the last delivery
    is acknowledged or given up on."""
    rng = random.Random(seed)
    stop_retrying = seconds + GIVE_UP_SECONDS
    limits = httpx.Limits(max_connections=talkers + len(booking) + whatsapp + 8)
    timeout = httpx.Timeout(ATTEMPT_TIMEOUT_SECONDS)
    async with httpx.AsyncClient(base_url=stack.url, timeout=timeout, limits=limits) as client:

        def chat(phone: str) -> ChatPatient:
            return ChatPatient(load, client, stack, phone, stop_retrying)

        async def later(delay: float, coroutine: Any) -> None:
            await asyncio.sleep(delay)
            await coroutine

        tasks = [
            later(rng.uniform(0, 5), small_talker(chat(f"+5916200{i:04d}"), random.Random(rng.random()), seconds))
            for i in range(talkers)
        ]
        tasks += [
            later(rng.uniform(0, 5), booker(chat(b.phone), b, random.Random(rng.random()), seconds)) for b in booking
        ]
        tasks += [
            later(
                rng.uniform(0, 5),
                whatsapp_patient(
                    load, client, stack, f"5917300{i:04d}", random.Random(rng.random()), seconds, stop_retrying
                ),
            )
            for i in range(whatsapp)
        ]
        await asyncio.gather(*tasks)
