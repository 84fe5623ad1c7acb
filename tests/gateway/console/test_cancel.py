"""POST /console/hoy/{id}/cancelar: staff cancel an upcoming appointment with a reason, audited, the patient's notice
queued and its send job deferred in the same breath; refusals are Spanish pages that change nothing."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import httpx
import pytest

from appointments.demo import MARIA
from gateway import audit
from gateway.console import admin
from gateway.console.outbox import SEND_TASK
from gateway.console.repository import StaffUser
from gateway.conversation.choices import reference_of
from tests.gateway.console.conftest import PASSWORD, Console, book, form_csrf, sign_in
from tests.support.clinic import MONDAY, Clinic

DAY = MONDAY.isoformat()


async def _signed_in(console: Console, email: str) -> tuple[httpx.AsyncClient, str]:
    browser = await console.make()
    assert (await sign_in(browser, email)).status_code == 303
    day = await browser.get(f"/console/hoy?dia={DAY}", headers={"accept": "text/html"})
    return browser, form_csrf(day)


async def _cancel(browser: httpx.AsyncClient, appointment: UUID, **form: str) -> httpx.Response:
    return await browser.post(
        f"/console/hoy/{appointment}/cancelar", data={"dia": DAY, **form}, headers={"accept": "text/html"}
    )


async def _status(conn: asyncpg.Connection, appointment: UUID) -> str:
    status: str = await conn.fetchval("SELECT status FROM appointments WHERE id = $1", appointment)
    return status


async def test_a_receptionist_cancels_with_a_reason_audited_and_the_patients_notice_queued_and_deferred(
    console: Console, ana: StaffUser, conn: asyncpg.Connection, clinic: Clinic
) -> None:
    later = await book(conn, console.clock, clinic.maria, clinic.quispe, 15)
    browser, csrf = await _signed_in(console, ana.email)

    done = await _cancel(browser, later, csrf=csrf, motivo="  la doctora tiene una emergencia  ")

    assert done.status_code == 303
    assert done.headers["location"] == f"/console/hoy?dia={DAY}&cancelada={reference_of(later)}"
    shown = await browser.get(done.headers["location"], headers={"accept": "text/html"})
    assert f"Cita {reference_of(later)} cancelada. Le avisamos al" in shown.text
    assert await _status(conn, later) == "cancelled"
    [entry] = await audit.recent(conn, action="appointment.cancelled")
    assert (entry.actor, entry.outcome, entry.target) == (f"staff_user:{ana.id}", "success", f"appointment:{later}")
    assert entry.detail["cancel_reason"] == "la doctora tiene una emergencia"
    notice = await conn.fetchrow("SELECT * FROM staff_messages")
    assert notice is not None
    assert (notice["purpose"], notice["appointment_id"], notice["phone"], notice["text"], notice["status"]) == (
        "cancellation", later, MARIA.phone, "la doctora tiene una emergencia", "pending",
    )  # fmt: skip
    assert entry.detail["notice_id"] == notice["id"]
    # Its send job waits for the notification service, named by the row.
    job = await conn.fetchrow(
        "SELECT task_name, queue_name, args FROM procrastinate_jobs WHERE task_name = $1", SEND_TASK
    )
    assert job is not None
    assert (job["task_name"], job["queue_name"]) == (SEND_TASK, "notifications")
    page = await browser.get(f"/console/hoy?dia={DAY}", headers={"accept": "text/html"})
    assert "Cancelada" in page.text


async def test_a_form_without_its_csrf_token_cancels_nothing(
    console: Console, ana: StaffUser, conn: asyncpg.Connection, clinic: Clinic
) -> None:
    later = await book(conn, console.clock, clinic.maria, clinic.quispe, 15)
    browser, _ = await _signed_in(console, ana.email)

    refused = await _cancel(browser, later, motivo="la doctora tiene una emergencia")

    assert refused.status_code == 403
    assert await _status(conn, later) == "booked"
    assert await conn.fetchval("SELECT count(*) FROM staff_messages") == 0


@pytest.mark.parametrize(
    ("reason", "says"),
    [("", "Escriba el motivo de la cancelación"), ("   \n ", "Escriba el motivo"), ("x" * 201, "como máximo 200")],
    ids=["missing", "blank", "too long"],
)
async def test_a_missing_or_overlong_reason_is_refused_in_spanish_and_cancels_nothing(
    console: Console, ana: StaffUser, conn: asyncpg.Connection, clinic: Clinic, reason: str, says: str
) -> None:
    later = await book(conn, console.clock, clinic.maria, clinic.quispe, 15)
    browser, csrf = await _signed_in(console, ana.email)

    refused = await _cancel(browser, later, csrf=csrf, motivo=reason)

    assert refused.status_code == 400
    assert says in refused.text and 'role="alert"' in refused.text
    assert await _status(conn, later) == "booked"
    assert await conn.fetchval("SELECT count(*) FROM staff_messages") == 0


async def test_an_appointment_that_started_or_was_cancelled_cannot_be_cancelled(
    console: Console, ana: StaffUser, conn: asyncpg.Connection, clinic: Clinic
) -> None:
    started = await book(conn, console.clock, clinic.maria, clinic.quispe, 8)  # 09:00 in La Paz now
    later = await book(conn, console.clock, clinic.juan, clinic.quispe, 15)
    browser, csrf = await _signed_in(console, ana.email)
    assert (await _cancel(browser, later, csrf=csrf, motivo="emergencia")).status_code == 303

    for appointment in (started, later):
        refused = await _cancel(browser, appointment, csrf=csrf, motivo="emergencia")
        assert refused.status_code == 409
        assert "ya no se puede cancelar" in refused.text

    assert await _status(conn, started) == "booked"
    assert await conn.fetchval("SELECT count(*) FROM staff_messages") == 1
    entries = await audit.recent(conn, action="appointment.cancelled")
    assert [(e.outcome, e.detail.get("reason")) for e in entries] == [
        ("failure", "invalid_status_change"), ("failure", "invalid_status_change"), ("success", None),
    ]  # fmt: skip


async def test_a_medico_cancels_their_own_appointments_but_not_another_doctors(
    console: Console, conn: asyncpg.Connection, clinic: Clinic
) -> None:
    carmen = await admin.create(
        conn, email="carmen@clinica.bo", full_name="Carmen Quispe", role="medico", doctor_id=clinic.quispe,
        password=PASSWORD,
    )  # fmt: skip
    own = await book(conn, console.clock, clinic.maria, clinic.quispe, 15)
    others = await book(conn, console.clock, clinic.ana, clinic.mamani, 16)
    browser, csrf = await _signed_in(console, carmen.email)

    refused = await _cancel(browser, others, csrf=csrf, motivo="emergencia")
    done = await _cancel(browser, own, csrf=csrf, motivo="tengo una emergencia")

    assert refused.status_code == 404 and "no es de su agenda" in refused.text
    assert await _status(conn, others) == "booked"
    [_, denied] = await audit.recent(conn, action="appointment.cancelled")
    assert denied.outcome == "denied"
    assert (denied.actor, denied.target) == (f"staff_user:{carmen.id}", f"appointment:{others}")
    assert done.status_code == 303 and await _status(conn, own) == "cancelled"
