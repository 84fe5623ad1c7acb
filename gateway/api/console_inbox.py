"""/console/conversaciones — conversations waiting for a person: the list, one transcript, *Resolver* (issue 18).

Server-rendered pages that work without JavaScript; with it, htmx (vendored: static/vendor/htmx.min.js) polls the
fragments below every 5 s and swaps them in, so a newly flagged conversation appears without a reload. Each fragment
carries the version of what it shows in its poll's URL (`?v=`); while that has not changed the poll is answered
204 No Content and htmx swaps nothing, so the focus of someone moving with the keyboard stays where it is. Rules and
SQL are in gateway/console/inbox.py.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Annotated, Any, Final
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from gateway.api.console_auth import PREFIX, CheckedStaff, CurrentStaff, page
from gateway.console import inbox, outbox
from gateway.console.repository import Session
from gateway.deps import AppServices, Services
from gateway.jobs import JobQueue

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


def version(*shown: object) -> str:
    """A short fingerprint of what a fragment shows: the same while nothing on it changed."""
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:16]


def _unchanged(asked: str, current: str) -> Response | None:
    """204 No Content when the poll already shows `current` (htmx then swaps nothing); None: send the fragment."""
    return Response(status_code=204) if asked == current else None


async def _list_context(services: Services, session: Session) -> dict[str, Any]:
    # Read-only and polled every few seconds by every open console: the replica's work, when there is one.
    async with services.read_pool.acquire() as conn:
        rows = await inbox.waiting(conn, user=session.user)
        wrote_after = await inbox.wrote_after_resolved(conn, user=session.user)
    zone, now = _zone(services), services.clock()
    # The relative waits ("hace 2 min") are left out, or the list would change every minute; the clinic's date is in
    # because the times read "09:12" today and "2 jun 09:12" from tomorrow on.
    shown = [
        (r.conversation_id, r.reason, r.flagged_at, r.phone, r.patient_name, r.last_message, r.replied_by, r.replied_at)
        for r in rows
    ]
    since = [(w.conversation_id, w.resolved_at, w.new_messages, w.last_message) for w in wrote_after]
    return {
        "rows": rows,
        "wrote_after": wrote_after,
        "waiting_count": len(rows),
        "version": version(now.astimezone(zone).date(), shown, since),
        "waited": waited,
        "at": lambda moment: clock_time(moment, zone, now),
    }


@router.get("/conversaciones")
async def conversaciones(request: Request, services: AppServices, session: CurrentStaff) -> Response:
    """Conversations waiting for a person: emergencies first, then the longest waiting."""
    context = await _list_context(services, session)
    return page(request, "console/conversaciones.html", user=session.user, csrf=session.csrf_token, **context)


@router.get("/fragmentos/conversaciones")
async def conversaciones_fragmento(
    request: Request, services: AppServices, session: CurrentStaff, v: str = ""
) -> Response:
    """The list alone, for the page's poll (htmx swaps it in place); 204 while version `v` is still current."""
    context = await _list_context(services, session)
    unchanged = _unchanged(v, context["version"])
    return unchanged or page(request, "console/conversaciones_lista.html", user=session.user, **context)


@router.get("/fragmentos/esperando")
async def esperando(request: Request, services: AppServices, session: CurrentStaff, v: str = "") -> Response:
    """The navigation's count of waiting conversations, for its poll; 204 while `v` is still the count."""
    async with services.read_pool.acquire() as conn:
        count = await inbox.waiting_count(conn, user=session.user)
    return _unchanged(v, str(count)) or page(request, "console/esperando.html", waiting_count=count)


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
    # Messages are only ever added, so the last one's id stands for the transcript (the clinic's date for its times).
    last = found.lines[-1].id if found.lines else None
    shown = version(now.astimezone(zone).date(), last, found.reason, found.flagged_at)
    return {"conversation": found, "version": shown, "at": lambda moment: clock_time(moment, zone, now)}


_REPLY_REFUSED: Final[dict[str, str]] = {
    "empty": "Escriba la respuesta antes de enviarla.",
    "too_long": f"La respuesta es demasiado larga: escriba como máximo {outbox.MAX_TEXT} caracteres.",
    "too_long_for_template": (
        f"Fuera de las 24 horas la respuesta va dentro de la plantilla, que admite como máximo "
        f"{outbox.MAX_TEMPLATE_TEXT} caracteres: acórtela."
    ),
}


async def _conversation_page(
    request: Request,
    services: Services,
    session: Session,
    found: inbox.Conversation,
    *,
    status_code: int = 200,
    error: str | None = None,
    draft: str = "",
    sent: bool = False,
) -> Response:
    async with services.pool.acquire() as conn:
        window_open = await outbox.window_open(conn, conversation_id=found.id, now=services.clock())
    return page(
        request,
        "console/conversacion.html",
        status_code=status_code,
        user=session.user,
        csrf=session.csrf_token,
        window_open=window_open,
        max_text=outbox.MAX_TEXT if window_open else outbox.MAX_TEMPLATE_TEXT,
        error=error,
        draft=draft,
        sent=sent,
        **_transcript_context(services, found),
    )


@router.get("/conversaciones/{conversation_id}")
async def conversacion(
    request: Request, conversation_id: str, services: AppServices, session: CurrentStaff, enviado: str = ""
) -> Response:
    """One conversation's transcript, oldest message first, the reply form, and *Resolver* while it waits."""
    parsed = _conversation_id(conversation_id)
    found = None if parsed is None else await _conversation(services, session, parsed)
    if found is None:
        return _not_found(request, session)
    return await _conversation_page(request, services, session, found, sent=enviado == "1")


@router.post("/conversaciones/{conversation_id}/responder")
async def responder(
    request: Request,
    conversation_id: str,
    services: AppServices,
    session: CheckedStaff,
    texto: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """Send the patient a reply from the signed-in person (WhatsApp, through the notification service's outbox)."""
    parsed = _conversation_id(conversation_id)
    if parsed is None:
        return _not_found(request, session)
    try:
        async with services.pool.acquire() as conn:
            queued = await inbox.reply(
                conn, user=session.user, conversation_id=parsed, text=texto, now=services.clock()
            )
    except inbox.ConversationNotFound:
        return _not_found(request, session)
    except outbox.StaffMessageRefused as refused:
        found = await _conversation(services, session, parsed)
        if found is None:
            return _not_found(request, session)
        message = _REPLY_REFUSED.get(refused.code, _REPLY_REFUSED["empty"])
        return await _conversation_page(request, services, session, found, status_code=400, error=message, draft=texto)
    jobs: JobQueue = request.app.state.jobs
    await outbox.send_now(jobs, queued)
    path = request.url_for("conversacion", conversation_id=str(parsed)).path
    return RedirectResponse(f"{path}?enviado=1#respuesta", status_code=303)


@router.get("/fragmentos/conversaciones/{conversation_id}")
async def conversacion_fragmento(
    request: Request, conversation_id: str, services: AppServices, session: CurrentStaff, v: str = ""
) -> Response:
    """The transcript alone, for the page's poll; 204 while version `v` is still current."""
    parsed = _conversation_id(conversation_id)
    found = None if parsed is None else await _conversation(services, session, parsed)
    if found is None:
        return _not_found(request, session)
    context = _transcript_context(services, found)
    return _unchanged(v, context["version"]) or page(request, "console/transcripcion.html", **context)


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
