"""/console — the staff console's pages: sign-in, sign-out and the signed-in frame (issue 18).

Server-rendered (Jinja2, gateway/api/templates/console/); the guards are in console_auth.py.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Final, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from appointments import booking
from appointments.errors import AppointmentError, AppointmentNotFound, OutcomeSettled
from appointments.schemas import AppointmentStatus
from gateway.api.console_auth import (
    LOGIN_CSRF_COOKIE,
    LOGIN_PATH,
    PREFIX,
    SESSION_COOKIE,
    CheckedStaff,
    CurrentStaff,
    client_ip,
    login_csrf_key,
    page,
    policy,
    set_cookie,
)
from gateway.console import agenda, inbox, signin
from gateway.console.outbox import MAX_REASON
from gateway.console.signin import CsrfRefused
from gateway.deps import AppServices
from gateway.security.rate_limit import RateLimited

router = APIRouter(prefix=PREFIX, include_in_schema=False)
# Included after every console page and the static files (gateway/app.py): what none of them matched.
unmatched = APIRouter(prefix=PREFIX, include_in_schema=False)

WRONG_CREDENTIALS: Final = "Correo o contraseña incorrectos."
_WEEKDAYS: Final = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_MONTHS: Final = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip
_NONCE: Final = re.compile(r"[A-Za-z0-9_-]{43}")
_REFERENCE: Final = re.compile(r"[0-9A-F]{8}")


def spanish_date(day: date) -> str:
    """'jueves 3 de diciembre de 2026'."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} de {_MONTHS[day.month - 1]} de {day.year}"


def _login_form(
    request: Request, services: AppServices, *, status_code: int = 200, error: str | None = None, email: str = ""
) -> Response:
    settings = services.settings
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not _NONCE.fullmatch(nonce):
        nonce, _ = signin.login_csrf_pair(login_csrf_key(settings))
    context = {
        "csrf": signin.login_csrf_token(login_csrf_key(settings), nonce),
        "error": error,
        "email": email,
        "max_failed": settings.console_max_failed_logins,
        "lockout_minutes": settings.console_lockout_minutes,
    }
    response = page(request, "console/login.html", status_code=status_code, **context)
    # Kept while it is well formed, so two tabs' forms both work; it lives under the sign-in path only.
    set_cookie(response, request, settings, LOGIN_CSRF_COOKIE, nonce, path=LOGIN_PATH)
    return response


@router.get("/login")
async def login_page(request: Request, services: AppServices) -> Response:
    """The sign-in form (or the console, for someone already signed in)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with services.pool.acquire() as conn:
            session = await signin.resume(conn, token, now=services.clock(), policy=policy(services.settings))
        if session is not None:
            return RedirectResponse(PREFIX + "/", status_code=303)
    return _login_form(request, services)


@router.post("/login")
async def login(
    request: Request,
    services: AppServices,
    email: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the e-mail and password; on success a session cookie and the console."""
    settings = services.settings
    if not signin.login_csrf_valid(login_csrf_key(settings), request.cookies.get(LOGIN_CSRF_COOKIE), csrf):
        raise CsrfRefused("the sign-in form's CSRF token does not match this browser")
    email = email.strip()
    ip = client_ip(request)
    try:
        await services.rate_limiter.check("console_login", ip)
    except RateLimited as limited:
        message = f"Demasiados intentos desde esta conexión. Espere {limited.retry_after} segundos e intente de nuevo."
        response = _login_form(request, services, status_code=429, error=message, email=email)
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    async with services.pool.acquire() as conn:
        signed = await signin.sign_in(
            conn, email=email, password=password, now=services.clock(), policy=policy(settings), client_ip=ip
        )
    if signed is None:
        return _login_form(request, services, status_code=401, error=WRONG_CREDENTIALS, email=email)
    response = RedirectResponse(PREFIX + "/", status_code=303)
    set_cookie(response, request, settings, SESSION_COOKIE, signed.token, path=PREFIX)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=LOGIN_PATH)
    return response


@router.post("/logout")
async def logout(services: AppServices, session: CheckedStaff) -> Response:
    """End the session and go back to the sign-in form."""
    async with services.pool.acquire() as conn:
        await signin.sign_out(conn, session)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


def _today(services: AppServices) -> date:
    return services.clock().astimezone(ZoneInfo(services.settings.clinic_timezone)).date()


@router.get("/")
async def home(request: Request, services: AppServices, session: CurrentStaff) -> Response:
    """The console's frame: who is signed in, the clinic's day, sign-out."""
    today = _today(services)
    async with services.pool.acquire() as conn:
        waiting = await inbox.waiting_count(conn, user=session.user)
    return page(
        request,
        "console/home.html",
        waiting_count=waiting,
        user=session.user,
        csrf=session.csrf_token,
        today=spanish_date(today),
        today_iso=today.isoformat(),
    )


_CORRECTION_HOURS: Final = int(booking.CORRECTION_WINDOW.total_seconds() // 3600)
_OUTCOME_REFUSED: Final[dict[str, tuple[int, str]]] = {
    AppointmentNotFound.code: (404, "Esa cita no existe o no es de su agenda."),
    OutcomeSettled.code: (
        409,
        f"El resultado de esa cita ya no se puede corregir: pasaron más de {_CORRECTION_HOURS} horas desde su inicio.",
    ),
}
_NOT_NOW: Final = "Esa cita todavía no empezó o fue cancelada: no admite ese cambio."
# How much of a mistyped ?dia= the page repeats back.
_SHOWN_TYPO: Final = 30


async def day_page(
    request: Request,
    services: AppServices,
    session: CurrentStaff,
    day: date,
    *,
    status_code: int = 200,
    error: str | None = None,
    cancelled: str | None = None,
    typo: str | None = None,
) -> Response:
    zone = ZoneInfo(services.settings.clinic_timezone)
    async with services.pool.acquire() as conn:
        shown = await agenda.day(conn, user=session.user, day=day, zone=zone, now=services.clock())
    return page(
        request,
        "console/hoy.html",
        status_code=status_code,
        user=session.user,
        csrf=session.csrf_token,
        doctors=shown.doctors,
        clinic_override=shown.clinic_override,
        day=day,
        day_name=spanish_date(day),
        is_today=day == _today(services),
        previous=(day - timedelta(days=1)).isoformat(),
        next=(day + timedelta(days=1)).isoformat(),
        error=error,
        cancelled=cancelled,
        typo=typo,
        max_reason=MAX_REASON,
    )


def day_or_none(text: str | None) -> date | None:
    try:
        return None if text is None else date.fromisoformat(text)
    except ValueError:
        return None


@router.get("/hoy")
async def hoy(
    request: Request, services: AppServices, session: CurrentStaff, dia: str | None = None, cancelada: str = ""
) -> Response:
    """Each doctor's appointments on `dia` (YYYY-MM-DD; default today in the clinic's time zone); `cancelada`, the
    reference of an appointment just cancelled here, says the patient was told. A date it cannot read shows today
    and says so."""
    day = day_or_none(dia)
    typo = None
    if dia and day is None:  # an empty ?dia= is the date box left blank: today, nothing to say
        typo = dia if len(dia) <= _SHOWN_TYPO else dia[:_SHOWN_TYPO] + "…"
    cancelled = cancelada if _REFERENCE.fullmatch(cancelada) else None
    return await day_page(request, services, session, day or _today(services), cancelled=cancelled, typo=typo)


@router.post("/hoy/{appointment_id}/resultado")
async def set_outcome(
    request: Request,
    appointment_id: UUID,
    services: AppServices,
    session: CheckedStaff,
    estado: Annotated[Literal["completed", "no_show"], Form()],
    dia: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Mark an appointment that has started as attended or a no-show (or correct that mark), then back to that day."""
    day = day_or_none(dia) or _today(services)
    try:
        async with services.pool.acquire() as conn:
            await agenda.record_outcome(
                conn,
                user=session.user,
                appointment_id=appointment_id,
                status=AppointmentStatus(estado),
                now=services.clock(),
            )
    except AppointmentError as refused:
        status_code, message = _OUTCOME_REFUSED.get(refused.code, (409, _NOT_NOW))
        return await day_page(request, services, session, day, status_code=status_code, error=message)
    return RedirectResponse(f"{request.url_for('hoy').path}?dia={day.isoformat()}", status_code=303)


@unmatched.get("/{rest:path}")
async def page_not_found(request: Request, session: CurrentStaff, rest: str) -> Response:
    """A console address that is no page: a Spanish page with the way home, not the API's JSON."""
    return page(
        request, "console/pagina_no_encontrada.html", status_code=404, user=session.user, csrf=session.csrf_token
    )
