"""/console/hoy over HTTP: correcting a mis-clicked outcome within its window (audited with the status before), a
mistyped date said so, a holiday or a doctor's day off said with its reason, and doctors in name order."""

from __future__ import annotations

from datetime import date, time, timedelta
from uuid import UUID

import asyncpg
import httpx
import pytest

from appointments import booking, repository
from appointments.errors import OutcomeSettled
from appointments.schemas import AppointmentStatus, ScheduleOverride
from gateway import audit
from gateway.console.repository import StaffUser
from tests.gateway.console.conftest import Console, MovableClock, book, form_csrf, sign_in
from tests.support.clinic import MONDAY, Clinic, local

DAY = MONDAY.isoformat()
PAGE = {"accept": "text/html"}


async def _signed_in(console: Console, email: str) -> tuple[httpx.AsyncClient, str]:
    browser = await console.make()
    assert (await sign_in(browser, email)).status_code == 303
    return browser, form_csrf(await browser.get(f"/console/hoy?dia={DAY}", headers=PAGE))


async def _mark(
    browser: httpx.AsyncClient, csrf: str, appointment: UUID, estado: str, day: str = DAY
) -> httpx.Response:
    return await browser.post(
        f"/console/hoy/{appointment}/resultado", data={"csrf": csrf, "estado": estado, "dia": day}, headers=PAGE
    )


async def _status(conn: asyncpg.Connection, appointment: UUID) -> str:
    status: str = await conn.fetchval("SELECT status FROM appointments WHERE id = $1", appointment)
    return status


async def test_a_mis_clicked_outcome_is_corrected_and_audited_with_the_status_before(
    console: Console, ana: StaffUser, conn: asyncpg.Connection, clinic: Clinic
) -> None:
    maria = await book(conn, console.clock, clinic.maria, clinic.quispe, 8)
    browser, csrf = await _signed_in(console, ana.email)
    assert (await _mark(browser, csrf, maria, "completed")).status_code == 303

    marked = await browser.get(f"/console/hoy?dia={DAY}", headers=PAGE)
    assert "Corregir: marcar como No se presentó" in marked.text
    console.clock.advance(minutes=5)
    corrected = await _mark(browser, csrf, maria, "no_show")

    assert corrected.status_code == 303
    assert await _status(conn, maria) == "no_show"
    shown = await browser.get(f"/console/hoy?dia={DAY}", headers=PAGE)
    assert "Corregir: marcar como Atendido" in shown.text
    first, second = sorted(await audit.recent(conn, action="appointment.outcome_set"), key=lambda e: e.id)
    assert first.detail == {"status": "completed", "previous_status": "booked", "patient_id": clinic.maria}
    assert (second.actor, second.outcome) == (f"staff_user:{ana.id}", "success")
    assert second.detail == {"status": "no_show", "previous_status": "completed", "patient_id": clinic.maria}


async def test_an_outcome_past_the_correction_window_stays_and_the_page_says_why(
    console: Console, ana: StaffUser, conn: asyncpg.Connection, clinic: Clinic
) -> None:
    saturday = MONDAY - timedelta(days=2)  # Saturday 08:00, 49 hours before "now"
    maria = await book(conn, console.clock, clinic.maria, clinic.quispe, 8, day=saturday)
    await booking.set_outcome(conn, appointment_id=maria, status=AppointmentStatus.NO_SHOW, now=local(saturday, 9))
    browser, csrf = await _signed_in(console, ana.email)
    shown = await browser.get(f"/console/hoy?dia={saturday.isoformat()}", headers=PAGE)
    assert "No se presentó" in shown.text and "Corregir:" not in shown.text

    refused = await _mark(browser, csrf, maria, "completed", day=saturday.isoformat())

    assert refused.status_code == 409
    assert "ya no se puede corregir: pasaron más de 24 horas" in refused.text
    assert await _status(conn, maria) == "no_show"
    [entry] = await audit.recent(conn, action="appointment.outcome_set")
    assert (entry.outcome, entry.detail["reason"], entry.detail["previous_status"]) == (
        "failure", "outcome_settled", "no_show",
    )  # fmt: skip


async def test_a_correction_is_allowed_up_to_24_hours_after_the_start_and_a_repeat_changes_nothing(
    conn: asyncpg.Connection, clinic: Clinic, clock: MovableClock
) -> None:
    maria = await book(conn, clock, clinic.maria, clinic.quispe, 8)
    starts = local(MONDAY, 8)
    done = await booking.set_outcome(conn, appointment_id=maria, status=AppointmentStatus.COMPLETED, now=starts)
    again = await booking.set_outcome(
        conn, appointment_id=maria, status=AppointmentStatus.COMPLETED, now=starts + timedelta(days=9)
    )
    assert again == done
    last_minute = starts + booking.CORRECTION_WINDOW
    corrected = await booking.set_outcome(conn, appointment_id=maria, status=AppointmentStatus.NO_SHOW, now=last_minute)
    assert corrected.status is AppointmentStatus.NO_SHOW
    with pytest.raises(OutcomeSettled):
        await booking.set_outcome(
            conn, appointment_id=maria, status=AppointmentStatus.COMPLETED, now=last_minute + timedelta(seconds=1)
        )


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("abc", "«abc»"),
        ("<b>2026</b>", "«&lt;b&gt;2026&lt;/b&gt;»"),
        ("x" * 200, "«" + "x" * 30 + "…»"),
    ],
)
async def test_a_mistyped_day_shows_today_and_says_so(
    console: Console, ana: StaffUser, clinic: Clinic, typed: str, shown: str
) -> None:
    browser, _ = await _signed_in(console, ana.email)

    page = await browser.get("/console/hoy", params={"dia": typed}, headers=PAGE)

    assert page.status_code == 200
    assert "Agenda del lunes 1 de junio de 2026 (hoy)" in page.text
    assert f"No entendimos la fecha\n    {shown}; le mostramos hoy." in page.text
    assert "<b>2026" not in page.text


async def test_today_and_an_empty_date_say_nothing_about_the_date(
    console: Console, ana: StaffUser, clinic: Clinic
) -> None:
    browser, _ = await _signed_in(console, ana.email)
    for query in ("", "?dia=", f"?dia={DAY}"):
        page = await browser.get(f"/console/hoy{query}", headers=PAGE)
        assert "No entendimos la fecha" not in page.text, query


async def test_a_clinic_holiday_and_a_doctors_leave_are_said_with_their_reasons(
    console: Console, ana: StaffUser, conn: asyncpg.Connection, clinic: Clinic
) -> None:
    browser, _ = await _signed_in(console, ana.email)
    new_year = await browser.get("/console/hoy?dia=2027-01-01", headers=PAGE)
    assert "La clínica no atiende este día: Feriado: Año Nuevo." in new_year.text
    christmas_eve = await browser.get("/console/hoy?dia=2026-12-24", headers=PAGE)
    assert "de 08:00 a\n    12:00: Nochebuena: media jornada." in christmas_eve.text

    await repository.upsert_schedule_override(
        conn,
        override=ScheduleOverride(on_date=MONDAY, doctor_id=clinic.vargas, start=None, end=None, reason="Vacaciones"),
    )
    await repository.upsert_schedule_override(
        conn,
        override=ScheduleOverride(
            on_date=MONDAY, doctor_id=clinic.mamani, start=time(15), end=time(17), reason="Congreso por la mañana"
        ),
    )
    monday = await browser.get(f"/console/hoy?dia={DAY}", headers=PAGE)
    assert f'id="dia-medico-{clinic.vargas}">\n      No atiende este día: Vacaciones.' in monday.text
    assert "de 15:00 a\n      17:00: Congreso por la mañana." in monday.text
    assert "La clínica no atiende" not in monday.text and 'id="dia-clinica"' not in monday.text
    assert await conn.fetchval("SELECT count(*) FROM schedule_overrides WHERE on_date = $1", date(2027, 1, 1)) == 1


async def test_doctors_are_in_name_order_whatever_their_title(console: Console, ana: StaffUser, clinic: Clinic) -> None:
    browser, _ = await _signed_in(console, ana.email)
    page = await browser.get(f"/console/hoy?dia={DAY}", headers=PAGE)
    names = ["Dra. Carmen Quispe", "Dr. Fernando Gutiérrez", "Dr. Jorge Mamani", "Dra. Lucía Vargas"]
    where = [page.text.index(f">{name}\n") for name in names]
    assert where == sorted(where)
