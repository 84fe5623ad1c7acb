"""HttpSmsSender against a real local HTTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from gateway.verification.sms import HttpSmsSender, SmsDeliveryError
from tests.gateway.verification.fake_sms import FakeSmsServer, fake_sms_server
from tests.support.services import free_port


@pytest.fixture
def provider() -> Iterator[FakeSmsServer]:
    with fake_sms_server() as fake:
        yield fake


@pytest.fixture
async def sender(provider: FakeSmsServer) -> AsyncIterator[HttpSmsSender]:
    async with HttpSmsSender(base_url=provider.url + "/", token="tok-123", timeout=0.5) as sms:
        yield sms


async def test_message_is_posted_as_json_with_bearer_token(provider: FakeSmsServer, sender: HttpSmsSender) -> None:
    await sender.send("+59170123456", "Hola")

    [received] = provider.received
    assert received.path == "/messages"
    assert received.body == {"to": "+59170123456", "text": "Hola"}
    assert received.headers["authorization"] == "Bearer tok-123"
    assert received.headers["content-type"] == "application/json"


async def test_without_a_token_no_authorization_header_is_sent(provider: FakeSmsServer) -> None:
    async with HttpSmsSender(base_url=provider.url, token="", timeout=0.5) as sms:
        await sms.send("+59170123456", "Hola")
    [received] = provider.received
    assert "authorization" not in received.headers


@pytest.mark.parametrize("status", [400, 401, 500, 503])
async def test_provider_refusal_raises_sms_delivery_error(
    provider: FakeSmsServer, sender: HttpSmsSender, status: int
) -> None:
    provider.status = status

    with pytest.raises(SmsDeliveryError, match=str(status)):
        await sender.send("+59170123456", "Hola")


async def test_provider_down_raises_sms_delivery_error() -> None:
    async with HttpSmsSender(base_url=f"http://127.0.0.1:{free_port()}", token="t", timeout=0.5) as sms:
        with pytest.raises(SmsDeliveryError, match="unreachable"):
            await sms.send("+59170123456", "Hola")


async def test_slow_provider_times_out_as_sms_delivery_error(provider: FakeSmsServer) -> None:
    provider.delay = 0.5

    async with HttpSmsSender(base_url=provider.url, token="t", timeout=0.1) as sms:
        with pytest.raises(SmsDeliveryError, match="Timeout"):
            await sms.send("+59170123456", "Hola")
