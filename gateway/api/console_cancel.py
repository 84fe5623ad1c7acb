"""/console/hoy/{id}/cancelar — staff cancel an upcoming appointment with a reason the patient is told on WhatsApp.

The rules and the transaction are in gateway/console/cancellation.py; this maps its refusals to the day's page with
a Spanish message, and queues the notice's send job once the cancellation committed.
"""

from __future__ import annotations

from typing import Annotated, Final
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from appointments.errors import AppointmentError, AppointmentNotFound
from gateway.api.console import day_or_none, day_page
from gateway.api.console_auth import PREFIX, CheckedStaff
from gateway.console import cancellation, outbox
from gateway.console.outbox import MAX_REASON, StaffMessageRefused
from gateway.conversation.choices import reference_of
from gateway.deps import AppServices
from gateway.jobs import JobQueue

router = APIRouter(prefix=PREFIX, include_in_schema=False)

_REASON_REFUSED: Final[dict[str, str]] = {
    "empty": "Escriba el motivo de la cancelación: se lo enviaremos al paciente.",
    "too_long": f"El motivo es demasiado largo: escriba como máximo {MAX_REASON} caracteres.",
}
_NOT_FOUND: Final = "Esa cita no existe o no es de su agenda."
_NOT_CANCELLABLE: Final = "Esa cita ya no se puede cancelar: ya empezó, ya pasó o ya estaba cancelada."


@router.post("/hoy/{appointment_id}/cancelar")
async def cancel_appointment(
    request: Request,
    appointment_id: UUID,
    services: AppServices,
    session: CheckedStaff,
    motivo: Annotated[str, Form(max_length=5000)] = "",
    dia: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Cancel an upcoming appointment for `motivo`, tell the patient, then back to that day."""
    zone = ZoneInfo(services.settings.clinic_timezone)
    now = services.clock()
    day = day_or_none(dia) or now.astimezone(zone).date()
    try:
        async with services.pool.acquire() as conn:
            done = await cancellation.cancel(
                conn, user=session.user, appointment_id=appointment_id, reason=motivo, now=now
            )
    except StaffMessageRefused as refused:
        message = _REASON_REFUSED.get(refused.code, _REASON_REFUSED["empty"])
        return await day_page(request, services, session, day, status_code=400, error=message)
    except AppointmentError as refused:
        found = not isinstance(refused, AppointmentNotFound)
        status_code, message = (409, _NOT_CANCELLABLE) if found else (404, _NOT_FOUND)
        return await day_page(request, services, session, day, status_code=status_code, error=message)
    jobs: JobQueue = request.app.state.jobs
    await outbox.send_now(jobs, done.notice)
    where = f"{request.url_for('hoy').path}?dia={day.isoformat()}&cancelada={reference_of(appointment_id)}"
    return RedirectResponse(where, status_code=303)
