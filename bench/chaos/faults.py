"""The faults, when each goes off, and what each does to the stack.

A killed program is started again after `RESTART_SECONDS`, as a container's restart policy would; Postgres and
Redis stay down for `DOWN_SECONDS` before they are started again. Two kills are aimed at work in flight: a copy
killed in the middle of a /chat turn (while the turn waits on the SMS provider, the inbound message stored), and a
copy killed while its Graph API send is in flight (Meta took the message; the copy never hears so).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench.chaos.fakes import Tripwire
from bench.chaos.processes import GatewayCopy
from bench.chaos.stack import FAULT_PATIENT, Stack

RESTART_SECONDS = 2.0
POSTGRES_DOWN_SECONDS = 3.0
REDIS_DOWN_SECONDS = 3.0
TRIPWIRE_WAIT_SECONDS = 30.0

Say = Callable[[str, str], Awaitable[dict[str, Any] | None]]
"""Send a patient's /chat message through nginx, recorded with the load (phone, text) -> the answer."""


@dataclass
class FaultEvent:
    """What happened (drill seconds): `at` it went off, `until` the part was back, `note` what it hit."""

    name: str
    at: float
    until: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Drill:
    """What a fault acts on."""

    stack: Stack
    now: Callable[[], float]
    say: Say
    # Deliveries a fault set off and left to finish (retried with their ids until acknowledged).
    pending: list[asyncio.Future[Any]] = field(default_factory=list)


Act = Callable[[Drill, FaultEvent], Awaitable[None]]


@dataclass(frozen=True)
class Fault:
    name: str
    share: float  # of the load's duration
    act: Act


async def _restart(drill: Drill, gateway: GatewayCopy, event: FaultEvent) -> None:
    await asyncio.sleep(RESTART_SECONDS)
    await asyncio.to_thread(gateway.start)
    event.until = drill.now()


def kill_gateway(index: int) -> Act:
    async def act(drill: Drill, event: FaultEvent) -> None:
        gateway = drill.stack.gateways[index]
        gateway.kill()
        await _restart(drill, gateway, event)

    return act


async def _kill_sender(drill: Drill, tripwire: Tripwire, trigger: Awaitable[Any] | None = None) -> GatewayCopy | None:
    """Arm `tripwire` to SIGKILL the copy whose request reaches the fake next; run `trigger`; the copy killed."""
    loop = asyncio.get_running_loop()
    hit: asyncio.Future[GatewayCopy | None] = loop.create_future()

    def on_request(client_port: int) -> None:  # in the fake's thread, before it answers
        sender = next((g for g in drill.stack.gateways if g.has_local_port(client_port)), None)
        if sender is not None:
            sender.kill()
        loop.call_soon_threadsafe(_settle, hit, sender)

    tripwire.arm(on_request)
    if trigger is not None:
        drill.pending.append(asyncio.ensure_future(trigger))
    try:
        return await asyncio.wait_for(hit, TRIPWIRE_WAIT_SECONDS)
    except TimeoutError:
        tripwire.disarm()
        return None


def _settle(future: asyncio.Future[GatewayCopy | None], sender: GatewayCopy | None) -> None:
    if not future.done():
        future.set_result(sender)


async def kill_mid_turn(drill: Drill, event: FaultEvent) -> None:
    """A patient gives her date of birth; the copy answering is SIGKILLed while the turn waits on the SMS provider
    to take the code (the inbound message is stored by then). nginx passes the delivery on to the other copy."""
    asked = await drill.say(FAULT_PATIENT.phone, "quiero una cita con pediatría")
    if asked is None or asked.get("action") != "verification_required":
        event.note = f"the identity question was not asked ({asked and asked.get('action')})"
        return
    sender = await _kill_sender(
        drill, drill.stack.sms_tripwire, drill.say(FAULT_PATIENT.phone, f"nací el {FAULT_PATIENT.date_of_birth}")
    )
    if sender is None:
        event.note = "no SMS send came to crash on"
        return
    event.note = f"copy {sender.name} killed mid-turn"
    await _restart(drill, sender, event)


async def kill_mid_graph_send(drill: Drill, event: FaultEvent) -> None:
    """SIGKILL the copy whose Graph API send has just arrived, before the Graph API answers it."""
    sender = await _kill_sender(drill, drill.stack.graph.tripwire)
    if sender is None:
        event.note = "no Graph API send came to crash on"
        return
    event.note = f"copy {sender.name} killed mid-send"
    await _restart(drill, sender, event)


async def kill_inference(drill: Drill, event: FaultEvent) -> None:
    drill.stack.inference.kill()
    await asyncio.sleep(RESTART_SECONDS)
    await asyncio.to_thread(drill.stack.inference.start)
    event.until = drill.now()


async def restart_postgres(drill: Drill, event: FaultEvent) -> None:
    await asyncio.to_thread(drill.stack.postgres.stop)
    event.note = f"stopped in {drill.now() - event.at:.1f} s"
    await asyncio.sleep(POSTGRES_DOWN_SECONDS)
    await asyncio.to_thread(drill.stack.postgres.start)
    event.until = drill.now()


async def restart_redis(drill: Drill, event: FaultEvent) -> None:
    await asyncio.to_thread(drill.stack.redis.stop)
    await asyncio.sleep(REDIS_DOWN_SECONDS)
    await asyncio.to_thread(drill.stack.redis.start)
    event.until = drill.now()


# Postgres goes last: its breaker keeps every copy answering 503 for BREAKER_RESET_SECONDS (60 s) after any
# outage, which would hide what the faults after it do. Spaced so that no fault lands on another's recovery: the
# copy that takes over a turn cut short does so REQUEST_DEADLINE_SECONDS + 2 s (17 s) later; Redis is up by then.
SCHEDULE: tuple[Fault, ...] = (
    Fault("SIGKILL gateway a", 0.08, kill_gateway(0)),
    Fault("SIGKILL inference", 0.16, kill_inference),
    Fault("SIGKILL a copy mid-turn", 0.24, kill_mid_turn),
    Fault("Redis restart", 0.40, restart_redis),
    Fault("WhatsApp crash mid-send", 0.50, kill_mid_graph_send),
    Fault("SIGKILL gateway b", 0.60, kill_gateway(1)),
    Fault("Postgres stop/start", 0.72, restart_postgres),
)


async def run_faults(drill: Drill, seconds: float) -> list[FaultEvent]:
    """Set each fault off at its share of `seconds`; returns once every one is over and its part back."""
    events: list[FaultEvent] = []
    for fault in SCHEDULE:
        await asyncio.sleep(max(0.0, fault.share * seconds - drill.now()))
        event = FaultEvent(fault.name, drill.now())
        events.append(event)
        started = time.monotonic()
        try:
            await fault.act(drill, event)
        except Exception as exc:  # a part that did not come back is the drill's finding, not its end
            event.note = f"{event.note} failed: {exc!r}".strip()
        took = time.monotonic() - started
        print(f"[chaos] {event.at:6.1f} s  {fault.name}: {event.note or 'done'} (back after {took:.1f} s)", flush=True)
    await asyncio.gather(*drill.pending)
    return events
