"""SMS and Graph API sends behind the gateway's own guards, against real local HTTP servers.

Retried only when the provider cannot have taken the message (no connection, 500, 503); a lost answer
(timeout, dropped connection, 502, 504) may mean it was delivered, so it is never sent again; a 4xx is
neither retried nor held against the provider. A breaker per provider opens and refuses at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from appointments import demo
from appointments.demo import seed_demo_clinic
from gateway.app import guards
from gateway.conversation import replies as conversation_replies
from gateway.resilience import Guard
from gateway.verification.sms import HttpSmsSender, SmsDeliveryError
from gateway.whatsapp.client import GraphClient, WhatsAppSendError, text_message
from tests.e2e.fake_whatsapp import FakeGraphApi, fake_graph_api
from tests.gateway.scripted_provider import Answer, ScriptedProvider, scripted_provider
from tests.gateway.test_whatsapp import MARIA, deliver, text, whatsapp_settings
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.chat import ChatPatient
from tests.support.gateway import MakeClient, gateway_settings
from tests.support.services import free_port

MARIA_PHONE = "+" + MARIA


@dataclass
class Channel:
    """One send through the gateway's SMS sender or Graph client, and what it raises when it fails."""

    send: Callable[[], Awaitable[None]]
    error: type[Exception]
    guard: Guard


MakeChannel = Callable[..., Channel]


@pytest.fixture
def provider() -> Iterator[ScriptedProvider]:
    with scripted_provider() as fake:
        yield fake


@pytest.fixture
def graph() -> Iterator[FakeGraphApi]:
    with fake_graph_api() as fake:
        yield fake


@pytest.fixture(params=["sms", "whatsapp"])
async def make_channel(request: pytest.FixtureRequest) -> AsyncIterator[MakeChannel]:
    """Build a sender to `url` guarded as the app guards it: `attempts`, `fail_max`, `reset` override the settings."""
    kind: str = request.param
    async with AsyncExitStack() as stack:

        def make(url: str, *, timeout: float = 0.5, attempts: int = 3, fail_max: int = 5, reset: float = 60) -> Channel:
            settings = gateway_settings(
                "postgresql://unused@127.0.0.1/unused",
                "redis://127.0.0.1:1",
                "127.0.0.1:1",
                url,
                RETRY_ATTEMPTS=attempts,
                RETRY_BACKOFF_SECONDS=0.01,
                BREAKER_FAIL_MAX=fail_max,
                BREAKER_RESET_SECONDS=reset,
            )
            process_guards = guards(settings)
            client = httpx.AsyncClient()
            stack.push_async_callback(client.aclose)
            if kind == "sms":
                sms = HttpSmsSender(base_url=url, token="t", timeout=timeout, client=client, guard=process_guards.sms)
                return Channel(
                    lambda: sms.send("+59170123456", "Su código es 123456"), SmsDeliveryError, process_guards.sms
                )
            graph = GraphClient(
                base_url=url,
                api_version="v21.0",
                access_token="t",
                timeout=timeout,
                client=client,
                guard=process_guards.whatsapp,
            )

            async def send() -> None:
                await graph.send("106540352242922", text_message("59170123456", "Le enviamos su cita"))

            return Channel(send, WhatsAppSendError, process_guards.whatsapp)

        yield make


async def test_a_500_or_503_is_sent_again_and_the_message_goes_once(
    provider: ScriptedProvider, make_channel: MakeChannel
) -> None:
    provider.script = [Answer(500), Answer(503)]
    channel = make_channel(provider.url)

    await channel.send()

    assert provider.requests() == 3
    assert provider.received[0] == provider.received[1] == provider.received[2]
    assert channel.guard.state == "closed"


@pytest.mark.parametrize("status", [400, 401, 404, 429])
async def test_a_4xx_is_never_retried_nor_held_against_the_provider(
    provider: ScriptedProvider, make_channel: MakeChannel, status: int
) -> None:
    provider.then = Answer(status)
    channel = make_channel(provider.url, fail_max=1)

    for _ in range(3):
        with pytest.raises(channel.error, match=str(status)) as refused:
            await channel.send()

    assert provider.requests() == 3  # one request per send
    assert channel.guard.state == "closed"
    if isinstance(refused.value, WhatsAppSendError):
        assert refused.value.status == status
        assert not refused.value.maybe_delivered
        assert refused.value.retry_later is (status == 429)


async def test_a_timeout_after_the_request_went_out_is_not_sent_again(
    provider: ScriptedProvider, make_channel: MakeChannel
) -> None:
    provider.script = [Answer(200, delay=0.6)]
    channel = make_channel(provider.url, timeout=0.2, fail_max=1)

    with pytest.raises(channel.error, match="ReadTimeout") as failed:
        await channel.send()
    await asyncio.sleep(0.6)  # a retry would have reached the provider by now

    assert provider.requests() == 1
    assert channel.guard.state == "open"  # a slow provider counts against it
    if isinstance(failed.value, WhatsAppSendError):
        assert failed.value.maybe_delivered
        assert not failed.value.retry_later


@pytest.mark.parametrize("answer", [Answer(drop=True), Answer(502), Answer(504)], ids=["dropped", "502", "504"])
async def test_a_lost_answer_may_mean_delivered_so_it_is_not_sent_again(
    provider: ScriptedProvider, make_channel: MakeChannel, answer: Answer
) -> None:
    provider.script = [answer]
    channel = make_channel(provider.url)

    with pytest.raises(channel.error) as failed:
        await channel.send()

    assert provider.requests() == 1
    if isinstance(failed.value, WhatsAppSendError):
        assert failed.value.maybe_delivered
        assert not failed.value.retry_later


async def test_no_connection_is_retried_then_opens_the_breaker(make_channel: MakeChannel) -> None:
    channel = make_channel(f"http://127.0.0.1:{free_port()}", attempts=2, fail_max=4)

    with pytest.raises(channel.error, match="ConnectError") as failed:
        await channel.send()
    assert channel.guard.state == "closed"
    with pytest.raises(channel.error):
        await channel.send()

    assert channel.guard.state == "open"  # 2 sends x 2 attempts
    if isinstance(failed.value, WhatsAppSendError):
        assert not failed.value.maybe_delivered
        assert failed.value.retry_later


async def test_the_breaker_opens_after_n_failures_and_refuses_at_once(
    provider: ScriptedProvider, make_channel: MakeChannel
) -> None:
    provider.then = Answer(500, delay=0.1)
    channel = make_channel(provider.url, attempts=1, fail_max=3)
    for _ in range(3):
        with pytest.raises(channel.error, match="500"):
            await channel.send()
    assert channel.guard.state == "open"

    started = time.monotonic()
    with pytest.raises(channel.error, match="circuit open") as refused:
        await channel.send()

    assert time.monotonic() - started < 0.05
    assert provider.requests() == 3
    if isinstance(refused.value, WhatsAppSendError):
        assert refused.value.retry_later
        assert not refused.value.maybe_delivered


async def test_after_the_reset_a_trial_send_closes_the_breaker(
    provider: ScriptedProvider, make_channel: MakeChannel
) -> None:
    provider.then = Answer(503)
    channel = make_channel(provider.url, attempts=1, fail_max=2, reset=0.3)
    for _ in range(2):
        with pytest.raises(channel.error):
            await channel.send()
    assert channel.guard.state == "open"

    provider.then = Answer(200)
    await asyncio.sleep(0.35)
    await channel.send()

    assert channel.guard.state == "closed"
    await channel.send()
    assert provider.requests() == 4


async def test_retries_stop_at_the_send_timeout(provider: ScriptedProvider, make_channel: MakeChannel) -> None:
    provider.then = Answer(503, delay=0.15)
    channel = make_channel(provider.url, timeout=0.4, attempts=10, fail_max=100)

    started = time.monotonic()
    with pytest.raises(channel.error):
        await channel.send()

    assert time.monotonic() - started < 0.7
    assert 2 <= provider.requests() < 10


# --- what a patient sees with a provider's breaker open ------------------------------------------------------


async def test_with_the_sms_breaker_open_the_patient_is_told_the_code_could_not_be_sent(
    make_client: MakeClient, sms: FakeSmsServer, api_key: str, conn: asyncpg.Connection
) -> None:
    await seed_demo_clinic(conn)
    gateway = await make_client(RETRY_ATTEMPTS=1, BREAKER_FAIL_MAX=1, BREAKER_RESET_SECONDS=1)
    maria = ChatPatient(gateway, api_key, MARIA_PHONE, sms)
    [seeded] = [p for p in demo.PATIENTS if p.phone == MARIA_PHONE]
    sms.status = 500

    await maria.say("quiero ver mis citas")
    first = await maria.say(seeded.date_of_birth.strftime("%d/%m/%Y"))
    assert first["response"] == conversation_replies.SMS_FAILED
    assert (await gateway.get("/health")).json()["breakers"]["sms"] == "open"

    refused = await maria.say("reenviar")
    assert refused["response"] == conversation_replies.SMS_FAILED
    assert refused["action"] == "verification_required"
    assert len(sms.received) == 1  # the open breaker sent nothing

    sms.status = 200
    await asyncio.sleep(1.1)
    sent = await maria.say("reenviar")
    assert "Le enviamos un código" in sent["response"]
    assert (await gateway.get("/health")).json()["breakers"]["sms"] == "closed"
    assert (await maria.say(maria.last_code()))["action"] == "list_appointments"


async def test_with_the_graph_breaker_open_messages_are_still_acknowledged_and_nothing_is_sent(
    make_client: MakeClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    await seed_demo_clinic(conn)
    webhook = await make_client(RETRY_ATTEMPTS=1, BREAKER_FAIL_MAX=2, **whatsapp_settings(graph))
    graph.status = 500

    for wording in ("hola", "quiero una cita"):
        assert (await deliver(webhook, text(MARIA, wording))).json()["accepted"] == 1
    deadline = time.monotonic() + 120  # generous: a loaded CI machine has stalled Postgres for minutes
    while (await webhook.get("/health")).json()["breakers"]["whatsapp"] != "open":
        assert time.monotonic() < deadline, graph.received
        await asyncio.sleep(0.05)
    assert len(graph.received) == 2

    acknowledged = await deliver(webhook, text(MARIA, "¿hay alguien?"))
    assert acknowledged.status_code == 200
    assert acknowledged.json()["accepted"] == 1
    await asyncio.sleep(1)  # time enough to answer it, were the breaker not open
    assert len(graph.received) == 2
