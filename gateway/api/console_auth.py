"""The console's HTTP guards: the session cookie, `current_staff`, CSRF on every POST, and their refusals.

Pages get a redirect to the sign-in form (no session) or a Spanish page (CSRF); fetch/JSON callers get the house
error shape with 401 or 403.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Final

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api.errors import error_body, http_status
from gateway.console import signin
from gateway.console.repository import Session
from gateway.console.signin import CsrfRefused, Policy, SignInRequired
from gateway.deps import AppServices, Services
from gateway.settings import Settings

SESSION_COOKIE: Final = "console_session"
LOGIN_CSRF_COOKIE: Final = "console_login_csrf"
CSRF_HEADER: Final = "X-CSRF-Token"
CSRF_FIELD: Final = "csrf"
PREFIX: Final = "/console"
LOGIN_PATH: Final = PREFIX + "/login"

_HERE = Path(__file__).parent
templates = Jinja2Templates(directory=_HERE / "templates")

# default-src 'self': no inline script or style, nothing from elsewhere; nobody may frame a page (clickjacking).
_PAGE_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def policy(settings: Settings) -> Policy:
    return Policy(
        max_failed=settings.console_max_failed_logins,
        lockout=timedelta(minutes=settings.console_lockout_minutes),
        idle=timedelta(minutes=settings.console_idle_minutes),
        absolute=timedelta(hours=settings.console_session_hours),
    )


def login_csrf_key(settings: Settings) -> bytes:
    """The key that signs the sign-in form's CSRF token, derived from OTP_SECRET (never used as is)."""
    assert settings.otp_secret is not None  # create_app refuses to build without it
    return hmac.new(settings.otp_secret.get_secret_value().encode(), b"console-login-csrf", hashlib.sha256).digest()


def client_ip(request: Request) -> str:
    """The caller's address as uvicorn saw it (behind nginx: X-Forwarded-For, which nginx overwrites)."""
    return request.client.host if request.client else "unknown"


def secure_cookies(request: Request, settings: Settings) -> bool:
    """Cookies carry Secure when the browser spoke HTTPS (to nginx, as X-Forwarded-Proto says) or when forced."""
    return settings.console_secure_cookies or request.url.scheme == "https"


def set_cookie(response: Response, request: Request, settings: Settings, name: str, value: str, *, path: str) -> None:
    max_age = int(timedelta(hours=settings.console_session_hours).total_seconds())
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, settings),
    )


def wants_page(request: Request) -> bool:
    """A browser navigating (HTML) rather than a script fetching (JSON, htmx)."""
    return "text/html" in request.headers.get("accept", "") and "hx-request" not in request.headers


async def current_staff(request: Request, services: AppServices) -> Session:
    """The signed-in person's live session (its idle time restarted), or SignInRequired."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired("sign in to the console first")
    async with services.pool.acquire() as conn:
        session = await signin.resume(conn, token, now=services.clock(), policy=policy(services.settings))
    if session is None:
        raise SignInRequired("the console session ended; sign in again")
    return session


CurrentStaff = Annotated[Session, Depends(current_staff)]


async def csrf_checked(request: Request, session: CurrentStaff) -> Session:
    """`current_staff` for a POST: it must carry the session's CSRF token (form field `csrf` or X-CSRF-Token)."""
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        field = (await request.form()).get(CSRF_FIELD)
        presented = field if isinstance(field, str) else None
    if not signin.tokens_match(session.csrf_token, presented):
        raise CsrfRefused("this form is missing its CSRF token, or it belongs to another session")
    return session


CheckedStaff = Annotated[Session, Depends(csrf_checked)]


def page(request: Request, template: str, *, status_code: int = 200, **context: object) -> Response:
    """A console page from `template`, with the clinic's name in its frame."""
    services: Services = request.app.state.services
    return templates.TemplateResponse(
        request, template, {"clinic_name": services.settings.clinic_name, **context}, status_code=status_code
    )


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    if wants_page(request):
        response: Response = RedirectResponse(LOGIN_PATH, status_code=303)
    else:
        response = JSONResponse(error_body(exc.code, exc.message), status_code=http_status(exc))
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CsrfRefused)
    if wants_page(request):
        return page(request, "console/refused.html", status_code=http_status(exc))
    return JSONResponse(error_body(exc.code, exc.message), status_code=http_status(exc))


class SecurityHeaders:
    """ASGI middleware for console responses: a strict CSP, no framing; nothing but the stylesheet is kept in
    any cache. Plain ASGI: Starlette's `@app.middleware("http")` costs every request a task group."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        cached = path.startswith(PREFIX + "/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(_PAGE_HEADERS)
                if not cached:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """The console's refusals and headers (its routes: gateway.api.console.router)."""
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_middleware(SecurityHeaders)
    app.mount(PREFIX + "/static", StaticFiles(directory=_HERE / "static"), name="console-static")
