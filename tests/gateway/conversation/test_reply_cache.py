"""The small-talk reply cache keys on the model the inference server says wrote the reply."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from gateway.conversation.reply_cache import ReplyCache
from gateway.inference_client import GenerationParameters

HISTORY = [("user", "está lloviendo fuerte")]
PARAMETERS = GenerationParameters(max_new_tokens=48, temperature=0.8, top_p=0.9)


@pytest.fixture
async def cache(redis_url: str) -> AsyncIterator[ReplyCache]:
    client = redis.Redis.from_url(redis_url)
    yield ReplyCache(client, prefix="test-reply-cache", ttl_seconds=60)
    await client.delete(*[key async for key in client.scan_iter("test-reply-cache:*")] or ["none"])
    await client.aclose()


async def test_a_reply_is_served_only_for_the_model_that_wrote_it(cache: ReplyCache) -> None:
    assert await cache.put("models/dialogpt-clinic-es", HISTORY, PARAMETERS, "Qué bueno, abríguese.", names=[])

    assert await cache.get("models/dialogpt-clinic-es", HISTORY, PARAMETERS) == "Qué bueno, abríguese."
    assert await cache.get("microsoft/DialoGPT-medium", HISTORY, PARAMETERS) is None


async def test_before_the_server_has_named_its_model_nothing_is_looked_up_or_kept(cache: ReplyCache) -> None:
    assert await cache.put("", HISTORY, PARAMETERS, "Qué bueno, abríguese.", names=[]) is False
    assert await cache.get(None, HISTORY, PARAMETERS) is None
