"""Each request's id, log line and metrics (gateway/request_context.py), on a small app and on the gateway."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
import structlog
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from gateway.app import create_app
from gateway.body_limit import BodyLimit
from gateway.metrics import GatewayMetrics
from gateway.request_context import RequestContext
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.gateway import MakeClient, gateway_settings
from tests.support.services import InferenceProcess


async def _echo_id(request: Request) -> JSONResponse:
    return JSONResponse(
        {"request_id": request.state.request_id, "bound": structlog.contextvars.get_contextvars().get("request_id")},
        headers={"X-Request-ID": "set-by-the-endpoint"},
    )


async def _fail(_: Request) -> JSONResponse:
    raise RuntimeError("boom")


def small_app(metrics: GatewayMetrics) -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/things/{thing_id}", _echo_id), Route("/chat", _fail, methods=["POST"])])
    app.add_middleware(BodyLimit, max_bytes=16)
    app.add_middleware(RequestContext, metrics=metrics)
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


def sample(metrics: GatewayMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def test_the_endpoint_sees_the_callers_request_id_and_the_answer_carries_it_once() -> None:
    metrics = GatewayMetrics()
    async with small_app(metrics) as client:
        answer = await client.get("/things/7", headers={"X-Request-ID": "n8n-exec-42"})

    assert answer.json() == {"request_id": "n8n-exec-42", "bound": "n8n-exec-42"}
    assert answer.headers.get_list("X-Request-ID") == ["n8n-exec-42"]
    # Timed by the route's template, not the path the caller sent.
    assert sample(metrics, "response_time_seconds_count", endpoint="/things/{thing_id}") == 1
    assert "request_id" not in structlog.contextvars.get_contextvars()


@pytest.mark.parametrize("sent", [None, "", "has spaces", "x" * 65, "a/b"])
async def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(sent: str | None) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent}
    async with small_app(GatewayMetrics()) as client:
        answer = await client.get("/things/7", headers=headers)

    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])
    assert answer.json()["request_id"] == answer.headers["X-Request-ID"]


async def test_a_refused_body_and_an_unknown_path_still_carry_the_request_id() -> None:
    metrics = GatewayMetrics()
    async with small_app(metrics) as client:
        too_big = await client.post("/chat", content=b"x" * 17, headers={"X-Request-ID": "big"})
        unknown = await client.get("/nowhere", headers={"X-Request-ID": "lost"})

    assert (too_big.status_code, too_big.headers["X-Request-ID"]) == (413, "big")
    assert (unknown.status_code, unknown.headers["X-Request-ID"]) == (404, "lost")
    assert sample(metrics, "response_time_seconds_count", endpoint="unmatched") == 2
    assert sample(metrics, "chat_requests_total", status="413") is None  # refused before any route matched


async def test_an_endpoint_that_raises_is_counted_as_500_and_its_error_goes_on() -> None:
    metrics = GatewayMetrics()
    async with small_app(metrics) as client:
        with pytest.raises(RuntimeError, match="boom"):
            await client.post("/chat", content=b"{}")

    assert sample(metrics, "chat_requests_total", status="500") == 1
    assert sample(metrics, "response_time_seconds_count", endpoint="/chat") == 1
    assert "request_id" not in structlog.contextvars.get_contextvars()


@pytest.mark.parametrize("kind", ["lifespan", "websocket"])
async def test_scopes_other_than_http_pass_through_untouched(kind: str) -> None:
    seen: list[tuple[Scope, Send]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((scope, send))

    async def receive() -> Message:
        return {"type": f"{kind}.connect"}

    async def send(_: Message) -> None:
        pass

    scope: Scope = {"type": kind, "path": "/", "headers": []}
    await RequestContext(app, metrics=GatewayMetrics())(scope, receive, send)

    assert seen == [({"type": kind, "path": "/", "headers": []}, send)]


def test_no_middleware_of_the_gateway_costs_a_task_group_per_request(
    database_url: str, redis_url: str, inference_server: InferenceProcess, sms: FakeSmsServer
) -> None:
    app = create_app(gateway_settings(database_url, redis_url, inference_server.target, sms.url))

    kinds = [m.cls for m in app.user_middleware]

    assert RequestContext in kinds and BodyLimit in kinds
    assert not [k for k in kinds if isinstance(k, type) and issubclass(k, BaseHTTPMiddleware)]
    # Outermost of ours, so the 413 of BodyLimit (and every other answer) carries the id.
    assert kinds[0] is RequestContext


async def test_the_gateways_error_answers_carry_the_request_id_and_each_request_is_logged_once(
    make_client: MakeClient, api_key: str, capfd: pytest.CaptureFixture[str]
) -> None:
    client = await make_client(MAX_BODY_BYTES=2048)
    chat: dict[str, Any] = {"messages": [{"role": "user", "content": "hola"}], "user_id": "+59170000001"}
    too_big = {**chat, "messages": [{"role": "user", "content": "x" * 3000}]}
    capfd.readouterr()

    answers = {
        "ok": await client.post("/chat", json=chat, headers={"X-API-Key": api_key, "X-Request-ID": "ok"}),
        "no-key": await client.post("/chat", json=chat, headers={"X-Request-ID": "no-key"}),
        "invalid": await client.post("/chat", json={}, headers={"X-API-Key": api_key, "X-Request-ID": "invalid"}),
        "too-big": await client.post("/chat", json=too_big, headers={"X-API-Key": api_key, "X-Request-ID": "too-big"}),
        "nowhere": await client.get("/nowhere", headers={"X-Request-ID": "nowhere"}),
    }

    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {"ok": 200, "no-key": 401, "invalid": 422, "too-big": 413, "nowhere": 404}
    assert {name: answer.headers["X-Request-ID"] for name, answer in answers.items()} == {n: n for n in answers}
    assert all(set(answer.json()["error"]) >= {"code", "message"} for answer in answers.values() if answer.is_error)
    logged = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    requests = {e["request_id"]: (e["endpoint"], e["status"]) for e in logged if e["event"] == "http_request"}
    assert requests == {
        "ok": ("/chat", 200),
        "no-key": ("/chat", 401),
        "invalid": ("/chat", 422),
        "too-big": ("unmatched", 413),
        "nowhere": ("unmatched", 404),
    }
    assert sum(1 for e in logged if e["event"] == "http_request") == len(answers)
