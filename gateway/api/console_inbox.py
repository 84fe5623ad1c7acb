"""/console/conversaciones — conversations waiting for a person: the list, one transcript, *Resolver* (issue 18).

Server-rendered pages that work without JavaScript; with it, htmx (vendored: static/vendor/htmx.min.js) polls the
fragments below every 5 s and swaps them in, so a newly flagged conversation appears without a reload. Rules and
SQL are in gateway/console/inbox.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from gateway.api.console_auth import PREFIX, CheckedStaff, CurrentStaff, page
from gateway.console import inbox
from gateway.console.repository import Session
from gateway.deps import AppServices, Services

router = APIRouter(prefix=PREFIX, include_in_schema=False)

_MONTHS: Final = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")


def waited(span: timedelta) -> str:
    """'hace 12 min', in the words a receptionist reads at a glance."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "hace menos de 1 min"
    if minutes < 60:
        return f"hace {minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"hace {hours} h {rest} min" if rest else f"hace {hours} h"
    days = hours // 24
    return "hace 1 día" if days == 1 else f"hace {days} días"


def clock_time(moment: datetime, zone: ZoneInfo, today: datetime) -> str:
    """'09:12' today, '2 jun 09:12' another day (clinic time)."""
    local = moment.astimezone(zone)
    if local.date() == today.astimezone(zone).date():
        return f"{local:%H:%M}"
    return f"{local.day} {_MONTHS[local.month - 1]} {local:%H:%M}"


def _zone(services: Services) -> ZoneInfo:
    return ZoneInfo(services.settings.clinic_timezone)


async def _list_context(services: Services, session: Session) -> dict[str, Any]:
    async with services.pool.acquire() as conn:
        rows = await inbox.waiting(conn, user=session.user)
    zone, now = _zone(services), services.clock()
    return {
        "rows": rows,
        "waiting_count": len(rows),
        "waited": waited,
        "at": lambda moment: clock_time(moment, zone, now),
    }


@router.get("/conversaciones")
async def conversaciones(request: Request, services: AppServices, session: CurrentStaff) -> Response:
    """Conversations waiting for a person: emergencies first, then the longest waiting."""
    context = await _list_context(services, session)
    return page(request, "console/conversaciones.html", user=session.user, csrf=session.csrf_token, **context)


@router.get("/fragmentos/conversaciones")
async def conversaciones_fragmento(request: Request, services: AppServices, session: CurrentStaff) -> Response:
    """The list alone, for the page's poll (htmx swaps it in place)."""
    context = await _list_context(services, session)
    return page(request, "console/conversaciones_lista.html", user=session.user, **context)


@router.get("/fragmentos/esperando")
async def esperando(request: Request, services: AppServices, session: CurrentStaff) -> Response:
    """The navigation's count of waiting conversations, for its poll."""
    async with services.pool.acquire() as conn:
        count = await inbox.waiting_count(conn, user=session.user)
    return page(request, "console/esperando.html", waiting_count=count)


def _conversation_id(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def _not_found(request: Request, session: Session) -> Response:
    return page(request, "console/no_encontrada.html", status_code=404, user=session.user, csrf=session.csrf_token)


async def _conversation(services: Services, session: Session, conversation_id: UUID) -> inbox.Conversation | None:
    async with services.pool.acquire() as conn:
        try:
            return await inbox.conversation(conn, user=session.user, conversation_id=conversation_id)
        except inbox.ConversationNotFound:
            return None


def _transcript_context(services: Services, found: inbox.Conversation) -> dict[str, Any]:
    zone, now = _zone(services), services.clock()
    return {"conversation": found, "at": lambda moment: clock_time(moment, zone, now)}


@router.get("/conversaciones/{conversation_id}")
async def conversacion(
    request: Request, conversation_id: str, services: AppServices, session: CurrentStaff
) -> Response:
    """One conversation's transcript, oldest message first, and *Resolver* while it waits."""
    parsed = _conversation_id(conversation_id)
    found = None if parsed is None else await _conversation(services, session, parsed)
    if found is None:
        return _not_found(request, session)
    context = _transcript_context(services, found)
    return page(request, "console/conversacion.html", user=session.user, csrf=session.csrf_token, **context)


@router.get("/fragmentos/conversaciones/{conversation_id}")
async def conversacion_fragmento(
    request: Request, conversation_id: str, services: AppServices, session: CurrentStaff
) -> Response:
    """The transcript alone, for the page's poll."""
    parsed = _conversation_id(conversation_id)
    found = None if parsed is None else await _conversation(services, session, parsed)
    if found is None:
        return _not_found(request, session)
    return page(request, "console/transcripcion.html", **_transcript_context(services, found))


@router.post("/conversaciones/{conversation_id}/resolver")
async def resolver(request: Request, conversation_id: str, services: AppServices, session: CheckedStaff) -> Response:
    """Hand the conversation back to the assistant (audited), then back to the list."""
    parsed = _conversation_id(conversation_id)
    if parsed is None:
        return _not_found(request, session)
    try:
        async with services.pool.acquire() as conn:
            await inbox.resolve(conn, user=session.user, conversation_id=parsed)
    except inbox.ConversationNotFound:
        return _not_found(request, session)
    return RedirectResponse(request.url_for("conversaciones").path, status_code=303)
