"""/console/pacientes — find a patient by phone or name, read their record, unlock their phone's verification.

HTTP only: the rules (who may see whom, what is audited) are in gateway/console/patients.py.
"""

from __future__ import annotations

import re
from typing import Annotated, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from appointments.repository import Connection
from gateway.api.console import spanish_date
from gateway.api.console_auth import PREFIX, CheckedStaff, CurrentStaff, page
from gateway.console import patients
from gateway.console.patients import PatientNotFound
from gateway.console.repository import Session
from gateway.deps import AppServices
from gateway.verification.errors import VerificationUnavailable

router = APIRouter(prefix=PREFIX, include_in_schema=False)

# A patient id as the path carries it: digits that fit a bigint; anything else is a patient that does not exist.
_PATIENT_ID: Final = re.compile(r"[1-9][0-9]{0,17}")
NOTICES: Final = {
    "desbloqueada": "Listo: la verificación de este teléfono quedó desbloqueada. El paciente ya puede pedir un código.",
    "no_bloqueada": "Este teléfono no estaba bloqueado; se reiniciaron sus intentos de verificación.",
}
UNAVAILABLE: Final = "No se pudo consultar el servicio de verificación. Intente de nuevo en un momento."


@router.get("/pacientes")
async def patients_search(
    request: Request,
    services: AppServices,
    session: CurrentStaff,
    q: Annotated[str, Query(max_length=patients.MAX_QUERY)] = "",
) -> Response:
    """The search form; with `q`, the patients found by phone or name."""
    query = q.strip()
    found = None
    if query:
        async with services.pool.acquire() as conn:
            found = await _search(conn, session, query)
    return page(
        request,
        "console/pacientes.html",
        user=session.user,
        csrf=session.csrf_token,
        q=query,
        found=found,
        min_digits=patients.MIN_DIGITS,
        max_results=patients.MAX_RESULTS,
    )


async def _search(conn: Connection, session: Session, query: str) -> patients.Search | None:
    try:
        return await patients.search(conn, user=session.user, query=query)
    except PatientNotFound:  # a medico linked to no doctor: nobody to find
        return patients.Search(by="name", patients=[])


def _patient_id(text: str) -> int | None:
    return int(text) if _PATIENT_ID.fullmatch(text) else None


async def _record_page(
    request: Request,
    services: AppServices,
    session: Session,
    patient_id: int | None,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        if patient_id is None:
            raise PatientNotFound("not a patient id")
        async with services.pool.acquire() as conn:
            record = await patients.record(
                conn,
                services.otp,
                user=session.user,
                patient_id=patient_id,
                now=services.clock(),
                zone=ZoneInfo(services.settings.clinic_timezone),
            )
    except PatientNotFound:
        return page(
            request, "console/paciente_no_encontrado.html", status_code=404, user=session.user, csrf=session.csrf_token
        )
    return page(
        request,
        "console/paciente.html",
        status_code=status_code,
        user=session.user,
        csrf=session.csrf_token,
        patient=record,
        date_name=spanish_date,
        notice=notice,
        error=error,
    )


@router.get("/pacientes/{patient_id}")
async def patient_page(
    request: Request, patient_id: str, services: AppServices, session: CurrentStaff, aviso: str | None = None
) -> Response:
    """One patient: who they are, their family, their appointments and whether their verification is locked."""
    return await _record_page(request, services, session, _patient_id(patient_id), notice=NOTICES.get(aviso or ""))


@router.post("/pacientes/{patient_id}/desbloquear")
async def unlock_verification(
    request: Request, patient_id: str, services: AppServices, session: CheckedStaff
) -> Response:
    """Lift the lockout of the phone that speaks for the patient (audited), then back to their page."""
    number = _patient_id(patient_id)
    try:
        if number is None:
            raise PatientNotFound("not a patient id")
        async with services.pool.acquire() as conn:
            was_locked = await patients.unlock_verification(conn, services.otp, user=session.user, patient_id=number)
    except PatientNotFound:
        return await _record_page(request, services, session, None)
    except VerificationUnavailable:
        return await _record_page(request, services, session, number, error=UNAVAILABLE, status_code=503)
    aviso = "desbloqueada" if was_locked else "no_bloqueada"
    path = request.url_for("patient_page", patient_id=str(number)).path
    return RedirectResponse(f"{path}?aviso={aviso}", status_code=303)
