"""/console/clinica over HTTP on a real gateway: who may edit, CSRF, errors beside their fields, and /chat answering
from what was just saved, on another gateway copy too."""

from __future__ import annotations

import html
import json
import re

import asyncpg
import httpx
import pytest

from appointments import clinic_info, demo
from gateway import audit
from gateway.console import admin
from gateway.console.repository import StaffUser
from gateway.security.api_keys import create_api_key
from tests.gateway.console.conftest import PASSWORD, Console, form_csrf, sign_in
from tests.support.clinic import Clinic, seeded_clinic

PAGE = {"accept": "text/html"}
STRANGER = "+59176543210"


@pytest.fixture
async def clinic_rows(conn: asyncpg.Connection) -> Clinic:
    return await seeded_clinic(conn)


@pytest.fixture
async def carmen(conn: asyncpg.Connection, clinic_rows: Clinic) -> StaffUser:
    return await admin.create(
        conn,
        email="carmen@clinica.bo",
        full_name="Carmen Quispe",
        role="medico",
        doctor_id=clinic_rows.quispe,
        password=PASSWORD,
    )


def form_fields(page: httpx.Response) -> dict[str, str]:
    """The edit form's inputs and textareas as a browser would send them untouched (checked boxes only)."""
    fields: dict[str, str] = {}
    for tag in re.finditer(r"<input\b[^>]*>", page.text):
        name = re.search(r'name="([^"]+)"', tag[0])
        value = re.search(r'value="([^"]*)"', tag[0])
        if name is None or ('type="checkbox"' in tag[0] and " checked" not in tag[0]):
            continue
        fields[name[1]] = html.unescape(value[1]) if value else ""
    for area in re.finditer(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page.text, re.DOTALL):
        fields[area[1]] = html.unescape(area[2])
    return fields


async def ask_price(gateway: httpx.AsyncClient, key: str) -> str:
    answer = await gateway.post(
        "/chat",
        json={"messages": [{"role": "user", "content": "¿cuánto cuesta la consulta de cardiología?"}],
              "user_id": STRANGER},
        headers={"X-API-Key": key},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    reply: str = answer.json()["response"]
    return reply


async def test_reception_saves_a_price_and_every_gateway_copy_answers_it_at_once(
    console: Console, conn: asyncpg.Connection, clinic_rows: Clinic, ana: StaffUser
) -> None:
    key = (await create_api_key(conn, name="test n8n", scopes={"chat"})).secret
    browser = await console.make()
    other_copy = await console.make()
    assert await ask_price(other_copy, key) == "La consulta de Cardiología cuesta Bs 300."
    await sign_in(browser, ana.email)
    overview = await browser.get("/console/clinica", headers=PAGE)
    assert overview.status_code == 200
    assert '/console/clinica/precios"' in overview.text and "Bs 300" in overview.text
    form = await browser.get("/console/clinica/precios", headers=PAGE)
    assert '<label for="f-price_cardiologia">Cardiología (Bs)' in form.text

    saved = await browser.post(
        "/console/clinica/precios", data={**form_fields(form), "price_cardiologia": "350"}, headers=PAGE
    )

    assert saved.status_code == 303 and saved.headers["location"] == "/console/clinica?guardado=precios#precios"
    shown = await browser.get(saved.headers["location"], headers=PAGE)
    assert "Se guardó «Precios de consulta»" in shown.text and "Bs 350" in shown.text
    prices = (await clinic_info.load(conn)).prices
    assert prices is not None and prices.consultation_bs == {**demo.CLINIC_PRICES.consultation_bs, "cardiologia": 350}
    assert await ask_price(other_copy, key) == "La consulta de Cardiología cuesta Bs 350."
    assert await ask_price(browser, key) == "La consulta de Cardiología cuesta Bs 350."


async def test_a_wrong_field_comes_back_in_spanish_beside_what_was_typed(
    console: Console, conn: asyncpg.Connection, clinic_rows: Clinic, ana: StaffUser
) -> None:
    browser = await console.make()
    await sign_in(browser, ana.email)
    form = await browser.get("/console/clinica/horario", headers=PAGE)
    typed = {**form_fields(form), "d1_opens1": "12:00", "d1_closes1": "08:00", "holidays": "Cerrado el 6 de agosto"}

    refused = await browser.post("/console/clinica/horario", data=typed, headers=PAGE)

    assert refused.status_code == 422
    assert "Revise los campos marcados: no se guardó nada." in refused.text
    assert (
        '<p class="field-error" id="e-d1_closes1">La hora de cierre debe ser posterior a la de apertura.</p>'
        in refused.text
    )
    assert re.search(r'id="f-d1_closes1" name="d1_closes1" type="time" value="08:00"', refused.text)
    assert 'value="Cerrado el 6 de agosto"' in refused.text
    assert (await clinic_info.load(conn)).hours == demo.CLINIC_HOURS
    assert await audit.recent(conn, action="clinic_info.updated") == []


async def test_a_medico_reads_the_page_but_cannot_edit(
    console: Console, conn: asyncpg.Connection, clinic_rows: Clinic, carmen: StaffUser
) -> None:
    browser = await console.make()
    await sign_in(browser, carmen.email)

    overview = await browser.get("/console/clinica", headers=PAGE)
    form = await browser.get("/console/clinica/precios", headers=PAGE)
    home = await browser.get("/console/", headers=PAGE)
    posted = await browser.post(
        "/console/clinica/precios", data={"csrf": form_csrf(home), "price_cardiologia": "1"}, headers=PAGE
    )

    assert overview.status_code == 200 and "Bs 300" in overview.text
    assert "/console/clinica/precios" not in overview.text and "Solo recepción y administración" in overview.text
    assert form.status_code == 403 and "No puede cambiar la información de la clínica" in form.text
    assert posted.status_code == 403 and "no se hizo ningún cambio" in posted.text
    prices = (await clinic_info.load(conn)).prices
    assert prices is not None and prices.consultation_bs["cardiologia"] == 300
    [entry] = await audit.recent(conn, action="clinic_info.updated")
    assert (entry.actor, entry.outcome) == (f"staff_user:{carmen.id}", "denied")


async def test_a_form_without_its_csrf_token_changes_nothing(
    console: Console, conn: asyncpg.Connection, clinic_rows: Clinic, ana: StaffUser
) -> None:
    browser = await console.make()
    await sign_in(browser, ana.email)
    form = await browser.get("/console/clinica/precios", headers=PAGE)
    fields = {**form_fields(form), "price_cardiologia": "999"}

    missing = await browser.post("/console/clinica/precios", data={**fields, "csrf": ""}, headers=PAGE)
    forged = await browser.post("/console/clinica/precios", data={**fields, "csrf": "x" * 43}, headers=PAGE)

    assert missing.status_code == forged.status_code == 403
    assert "No se pudo enviar el formulario" in missing.text
    prices = (await clinic_info.load(conn)).prices
    assert prices is not None and prices.consultation_bs["cardiologia"] == 300


async def test_a_save_over_someone_elses_edit_keeps_what_was_typed_and_says_so(
    console: Console, conn: asyncpg.Connection, clinic_rows: Clinic, ana: StaffUser
) -> None:
    browser = await console.make()
    await sign_in(browser, ana.email)
    form = await browser.get("/console/clinica/direccion", headers=PAGE)
    await conn.execute("UPDATE clinic_info SET note = 'Otra persona', updated_at = now() WHERE topic = 'address'")

    late = await browser.post("/console/clinica/direccion", data={**form_fields(form), "city": "El Alto"}, headers=PAGE)

    assert late.status_code == 409
    assert "Otra persona guardó esta sección" in late.text and 'value="El Alto"' in late.text
    address = (await clinic_info.load(conn)).address
    assert address is not None and address.city == "La Paz"


async def _set_hours(conn: asyncpg.Connection, weekdays: dict[str, list[dict[str, str]]]) -> None:
    await conn.execute(
        """
        INSERT INTO clinic_info (topic, details) VALUES ('hours', $1::jsonb)
        ON CONFLICT (topic) DO UPDATE SET details = excluded.details
        """,
        json.dumps({"weekdays": weekdays}),
    )


async def test_the_page_says_which_doctors_bookable_hours_fall_outside_the_opening_hours(
    console: Console, ana: StaffUser, conn: asyncpg.Connection, clinic_rows: Clinic
) -> None:
    browser = await console.make()
    await sign_in(browser, ana.email)
    all_day = [{"opens": "06:00", "closes": "22:00"}]
    await _set_hours(conn, {str(day): all_day for day in range(1, 8)})
    agreeing = await browser.get("/console/clinica", headers=PAGE)
    # Monday opens at 09:00 now; Dra. Quispe still sees patients from 08:00 on Mondays.
    await _set_hours(conn, {"1": [{"opens": "09:00", "closes": "19:00"}], **{str(day): all_day for day in range(2, 8)}})

    disagreeing = await browser.get("/console/clinica", headers=PAGE)

    assert agreeing.status_code == 200 and 'id="fuera-de-horario"' not in agreeing.text
    warning = disagreeing.text.split('id="fuera-de-horario"')[1].split("</div>")[0]
    assert re.search(r"Carmen Quispe: lunes de 08:00 a\s+12:00", warning), warning
    assert "martes" not in warning


async def test_the_summary_names_each_wrong_price_and_each_closed_day_with_times(
    console: Console, conn: asyncpg.Connection, clinic_rows: Clinic, ana: StaffUser
) -> None:
    browser = await console.make()
    await sign_in(browser, ana.email)
    form = await browser.get("/console/clinica/precios", headers=PAGE)
    typed = {**form_fields(form), "price_cardiologia": "12.5", "price_pediatria": "1000000"}

    refused = await browser.post("/console/clinica/precios", data=typed, headers=PAGE)

    assert refused.status_code == 422
    assert '<a href="#f-price_cardiologia">Cardiología: Sin centavos:' in refused.text
    assert '<a href="#f-price_pediatria">Pediatría: El precio debe ser mayor que 0 y hasta Bs 100.000.</a>' in (
        refused.text
    )
    hours = await browser.get("/console/clinica/horario", headers=PAGE)
    typed = {**form_fields(hours), "d7_closed": "on", "d7_opens1": "09:00", "d7_closes1": "12:00"}
    closed = await browser.post("/console/clinica/horario", data=typed, headers=PAGE)
    assert closed.status_code == 422
    assert '<p class="field-error" id="e-d7_closed">Marcó «Cerrado» pero escribió horas: quite una de las dos.</p>' in (
        closed.text
    )
    assert '<a href="#f-d7_closed">Domingo: Marcó «Cerrado»' in closed.text
    assert (await clinic_info.load(conn)).hours == demo.CLINIC_HOURS
