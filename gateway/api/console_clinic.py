"""/console/clinica — what the clinic tells patients: every topic on one page, and a form per topic (issue 18, item 5).

HTTP only; the rules are gateway/console/clinic.py and clinic_forms.py. recepcion and admin edit; a medico reads,
and a form posted by one is refused with a Spanish page (403).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from appointments import clinic_info
from appointments.clinic_info import Prices
from appointments.repository import specialty_names
from gateway.api.console import spanish_date
from gateway.api.console_auth import PREFIX, CheckedStaff, CurrentStaff, page
from gateway.console import clinic, clinic_forms
from gateway.console.clinic import EditedMeanwhile, Invalid, NotAnEditor, Stored
from gateway.console.repository import Session
from gateway.db import Connection
from gateway.deps import AppServices

router = APIRouter(prefix=PREFIX, include_in_schema=False)

INVALID: Final = "Revise los campos marcados: no se guardó nada."
CHANGED: Final = (
    "Otra persona guardó esta sección mientras usted la editaba, así que no se guardó nada. "
    "Abajo está lo que usted escribió; ábrala de nuevo para ver lo último guardado."
)


async def _specialties(conn: Connection, stored: Stored) -> dict[str, str]:
    """Each specialty's code and name; a priced code with no specialty row keeps its price, shown by its code."""
    names = await specialty_names(conn)
    if isinstance(stored.facts, Prices):
        names |= {code: code for code in stored.facts.consultation_bs if code not in names}
    return names


def _updated(stored: Stored, zone: ZoneInfo) -> str:
    if stored.updated_at is None:
        return ""
    local = stored.updated_at.astimezone(zone)
    return f"{spanish_date(local.date())}, {local:%H:%M}"


@router.get("/clinica")
async def clinica(request: Request, services: AppServices, session: CurrentStaff, guardado: str = "") -> Response:
    """Every topic the assistant answers from, as it stands; edit links for those who may edit."""
    zone = ZoneInfo(services.settings.clinic_timezone)
    async with services.pool.acquire() as conn:
        topics = await clinic.load_all(conn)
        specialties = await specialty_names(conn)
        hours = next((t.facts for t in topics if isinstance(t.facts, clinic_info.Hours)), None)
        outside = [] if hours is None else await clinic.schedules_outside(conn, hours)
    saved = clinic.TOPIC_OF_SLUG.get(guardado)
    return page(
        request,
        "console/clinica.html",
        user=session.user,
        csrf=session.csrf_token,
        topics=topics,
        updated={t.topic: _updated(t, zone) for t in topics},
        specialties=specialties,
        weekdays=clinic_forms.WEEKDAYS,
        weekday_names=dict(clinic_forms.WEEKDAYS),
        can_edit=clinic.can_edit(session.user),
        saved=clinic.TITLES[saved] if saved else None,
        outside=outside,
    )


def _refused(request: Request, session: Session) -> Response:
    return page(request, "console/clinica_prohibido.html", status_code=403, user=session.user, csrf=session.csrf_token)


def _form_page(
    request: Request,
    session: Session,
    stored: Stored,
    specialties: Mapping[str, str],
    shown: Mapping[str, str],
    *,
    version: str,
    status_code: int = 200,
    error: str | None = None,
    errors: Mapping[str, str] | None = None,
) -> Response:
    return page(
        request,
        "console/clinica_editar.html",
        status_code=status_code,
        user=session.user,
        csrf=session.csrf_token,
        stored=stored,
        topic=stored.topic.value,
        specialties=specialties,
        weekdays=clinic_forms.WEEKDAYS,
        periods=clinic_forms.PERIODS,
        values=shown,
        version=version,
        error=error,
        errors=errors or {},
        labels=clinic_forms.labels(specialties),
        max_note=clinic.MAX_NOTE,
    )


@router.get("/clinica/{tema}")
async def clinica_editar(request: Request, tema: str, services: AppServices, session: CurrentStaff) -> Response:
    """One topic's form, filled with what is saved."""
    topic = clinic.TOPIC_OF_SLUG.get(tema)
    if topic is None:
        return RedirectResponse(request.url_for("clinica").path, status_code=303)
    if not clinic.can_edit(session.user):
        return _refused(request, session)
    async with services.pool.acquire() as conn:
        stored = await clinic.load(conn, topic)
        specialties = await _specialties(conn, stored)
    shown = clinic_forms.values(stored, specialties)
    return _form_page(request, session, stored, specialties, shown, version=stored.version)


@router.post("/clinica/{tema}")
async def clinica_guardar(request: Request, tema: str, services: AppServices, session: CheckedStaff) -> Response:
    """Save one topic; the same form again, with what was typed and why, when it cannot be saved."""
    topic = clinic.TOPIC_OF_SLUG.get(tema)
    if topic is None:
        return RedirectResponse(request.url_for("clinica").path, status_code=303)
    typed = {key: value for key, value in (await request.form()).multi_items() if isinstance(value, str)}
    version = typed.get("version", "")
    async with services.pool.acquire() as conn:
        stored = await clinic.load(conn, topic)
        specialties = await _specialties(conn, stored)
        try:
            await clinic.check_editor(conn, user=session.user, topic=topic)
            facts = clinic_forms.parse(topic, typed, specialties, before=clinic_forms.values(stored, specialties))
            await clinic.save(
                conn, user=session.user, topic=topic, facts=facts, note=typed.get("note", ""), version=version
            )
        except NotAnEditor:
            return _refused(request, session)
        except Invalid as invalid:
            return _form_page(
                request,
                session,
                stored,
                specialties,
                typed,
                version=version,
                status_code=422,
                error=INVALID,
                errors=invalid.errors,
            )
        except EditedMeanwhile:
            return _form_page(
                request, session, stored, specialties, typed, version=version, status_code=409, error=CHANGED
            )
    return RedirectResponse(f"{request.url_for('clinica').path}?guardado={tema}#{tema}", status_code=303)
