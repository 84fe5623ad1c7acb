"""The WhatsApp Cloud API webhook: Meta's verification handshake and the messages it delivers."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, SecretStr, ValidationError

from gateway.api.errors import error_body
from gateway.deps import AppServices
from gateway.errors import Forbidden, InvalidRequest, Unauthorized, WhatsAppNotConfigured
from gateway.whatsapp.payloads import WebhookPayload, delivery_reports, inbound_messages
from gateway.whatsapp.service import WhatsAppInbox
from gateway.whatsapp.signature import signature_matches

router = APIRouter(prefix="/webhooks/whatsapp", tags=["whatsapp"])


class WebhookAccepted(BaseModel):
    received: int
    accepted: int


async def get_inbox(request: Request) -> WhatsAppInbox:
    inbox: WhatsAppInbox = request.app.state.whatsapp
    return inbox


Inbox = Annotated[WhatsAppInbox, Depends(get_inbox)]


def _configured(secret: SecretStr | None) -> str | None:
    value = secret.get_secret_value() if secret is not None else ""
    return value or None


def _error(code: str, message: str) -> dict[str, Any]:
    return {"description": message, "content": {"application/json": {"example": error_body(code, message)}}}


@router.get(
    "",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {"example": "1158201444"}}, "description": "The challenge, echoed"},
        403: _error("forbidden", "wrong mode or verify token"),
        503: _error("whatsapp_not_configured", "WHATSAPP_VERIFY_TOKEN is not set"),
    },
)
async def verify_subscription(
    services: AppServices,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=200)] = None,
) -> PlainTextResponse:
    """Meta's handshake when the webhook is registered: echo `hub.challenge` if the verify token matches."""
    expected = _configured(services.settings.whatsapp_verify_token)
    if expected is None:
        raise WhatsAppNotConfigured("WHATSAPP_VERIFY_TOKEN is not set")
    token_ok = token is not None and hmac.compare_digest(token.encode(), expected.encode())
    if mode != "subscribe" or not token_ok or not challenge:
        raise Forbidden("wrong hub.mode or hub.verify_token")
    return PlainTextResponse(challenge)


@router.post(
    "",
    response_model=WebhookAccepted,
    responses={
        401: _error("unauthorized", "missing or invalid X-Hub-Signature-256"),
        503: _error("whatsapp_not_configured", "WHATSAPP_APP_SECRET or WHATSAPP_ACCESS_TOKEN is not set"),
    },
)
async def receive(request: Request, services: AppServices, inbox: Inbox) -> WebhookAccepted:
    """Messages and status callbacks from Meta: each new message is stored before the 200, then answered by a job.

    A status callback that reports one of our messages sent records it sent (see gateway/whatsapp/service.py).
    """
    settings = services.settings
    secret = _configured(settings.whatsapp_app_secret)
    if secret is None or _configured(settings.whatsapp_access_token) is None:
        raise WhatsAppNotConfigured("WHATSAPP_APP_SECRET and WHATSAPP_ACCESS_TOKEN must be set")
    body = await request.body()
    if not signature_matches(body, request.headers.get("x-hub-signature-256"), secret.encode()):
        raise Unauthorized("missing or invalid X-Hub-Signature-256")
    try:
        payload = WebhookPayload.model_validate_json(body)
    except ValidationError:
        raise InvalidRequest("the body is not a WhatsApp webhook payload") from None
    messages = inbound_messages(payload)
    accepted = await inbox.accept(messages)
    await inbox.record_reports(delivery_reports(payload))
    return WebhookAccepted(received=len(messages), accepted=accepted)
