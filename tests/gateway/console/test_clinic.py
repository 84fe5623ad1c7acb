"""The Clínica domain on real Postgres: forms typed into facts the assistant reads, saves audited with before/after."""

from __future__ import annotations

import asyncpg
import pytest

from appointments import clinic_info, demo
from appointments.clinic_info import Address, Hours, Prices, Topic
from gateway import audit
from gateway.console import admin, clinic, clinic_forms
from gateway.console.clinic import EditedMeanwhile, Invalid, NotAnEditor
from gateway.console.repository import StaffUser
from tests.gateway.console.conftest import PASSWORD
from tests.support.clinic import Clinic, seeded_clinic


@pytest.fixture
async def clinic_rows(conn: asyncpg.Connection) -> Clinic:
    return await seeded_clinic(conn)


@pytest.fixture
async def carmen(conn: asyncpg.Connection, clinic_rows: Clinic) -> StaffUser:
    return await admin.create(
        conn, email="carmen@clinica.bo", full_name="Carmen Quispe", role="medico", doctor_id=clinic_rows.quispe,
        password=PASSWORD,
    )  # fmt: skip


async def _form(conn: asyncpg.Connection, topic: Topic) -> tuple[dict[str, str], dict[str, str], str]:
    stored = await clinic.load(conn, topic)
    specialties = dict(demo.SPECIALTIES)
    return clinic_forms.values(stored, specialties), specialties, stored.version


async def test_every_seeded_topic_round_trips_through_its_form_unchanged(
    conn: asyncpg.Connection, clinic_rows: Clinic
) -> None:
    for topic, facts in demo.CLINIC_INFO.items():
        shown, specialties, _ = await _form(conn, topic)
        assert clinic_forms.parse(topic, shown, specialties) == facts, topic


@pytest.mark.parametrize(
    ("typed", "field", "says"),
    [
        ("trescientos", "price_cardiologia", "número entero"),
        ("300.50", "price_cardiologia", "Sin centavos: escriba un número entero"),
        ("12.5", "price_cardiologia", "los miles, con tres cifras (1.200)"),
        ("1.200,50", "price_cardiologia", "número entero"),
        ("1.200,000", "price_cardiologia", "número entero"),
        ("0", "price_cardiologia", "mayor que 0"),
        ("1000000", "price_cardiologia", "hasta Bs 100.000."),
        ("1.000.000", "price_cardiologia", "hasta Bs 100.000."),
    ],
)
async def test_a_bad_price_is_refused_beside_its_field(
    conn: asyncpg.Connection, clinic_rows: Clinic, typed: str, field: str, says: str
) -> None:
    shown, specialties, _ = await _form(conn, Topic.PRICES)
    with pytest.raises(Invalid) as refused:
        clinic_forms.parse(Topic.PRICES, {**shown, field: typed}, specialties)
    assert list(refused.value.errors) == [field]
    assert says in refused.value.errors[field]


async def test_a_price_typed_with_bs_is_read_as_bolivianos(conn: asyncpg.Connection, clinic_rows: Clinic) -> None:
    shown, specialties, _ = await _form(conn, Topic.PRICES)
    facts = clinic_forms.parse(
        Topic.PRICES, {**shown, "price_cardiologia": "Bs 350", "price_pediatria": ""}, specialties
    )
    assert isinstance(facts, Prices)
    assert facts.consultation_bs["cardiologia"] == 350 and "pediatria" not in facts.consultation_bs


@pytest.mark.parametrize(
    ("typed", "bolivianos"), [("1.200", 1200), ("1,200", 1200), ("12.500", 12500), ("Bs 1.200", 1200), ("1200", 1200)]
)
async def test_a_price_written_with_thousands_separated_is_read_whole(
    conn: asyncpg.Connection, clinic_rows: Clinic, typed: str, bolivianos: int
) -> None:
    shown, specialties, _ = await _form(conn, Topic.PRICES)
    facts = clinic_forms.parse(Topic.PRICES, {**shown, "price_cardiologia": typed}, specialties)
    assert isinstance(facts, Prices)
    assert facts.consultation_bs["cardiologia"] == bolivianos


async def test_several_wrong_prices_are_told_apart_by_their_specialty(
    conn: asyncpg.Connection, clinic_rows: Clinic
) -> None:
    shown, specialties, _ = await _form(conn, Topic.PRICES)
    with pytest.raises(Invalid) as refused:
        clinic_forms.parse(Topic.PRICES, {**shown, "price_cardiologia": "x", "price_pediatria": "y"}, specialties)
    labels = clinic_forms.labels(specialties)
    assert {labels[f] for f in refused.value.errors} == {"Cardiología", "Pediatría"}


async def test_a_day_marked_closed_with_times_typed_is_refused_beside_the_checkbox(
    conn: asyncpg.Connection, clinic_rows: Clinic
) -> None:
    shown, specialties, _ = await _form(conn, Topic.HOURS)
    assert "d7_closed" in shown and "d6_opens1" in shown  # Sunday closed, Saturday open in the demo
    typed = {**shown, "d7_opens1": "09:00", "d7_closes1": "12:00"}
    with pytest.raises(Invalid) as refused:
        clinic_forms.parse(Topic.HOURS, typed, specialties, before=shown)
    assert refused.value.errors == {"d7_closed": "Marcó «Cerrado» pero escribió horas: quite una de las dos."}
    # Ticking Cerrado on an open day closes it: the times still there are the ones the form showed.
    facts = clinic_forms.parse(Topic.HOURS, {**shown, "d6_closed": "on"}, specialties, before=shown)
    assert isinstance(facts, Hours) and 6 not in facts.weekdays
    with pytest.raises(Invalid) as changed:
        clinic_forms.parse(Topic.HOURS, {**shown, "d6_closed": "on", "d6_closes1": "11:00"}, specialties, before=shown)
    assert list(changed.value.errors) == ["d6_closed"]


async def test_closing_before_opening_and_overlapping_turns_are_refused(
    conn: asyncpg.Connection, clinic_rows: Clinic
) -> None:
    shown, specialties, _ = await _form(conn, Topic.HOURS)
    typed = {**shown, "d1_opens1": "12:00", "d1_closes1": "08:00", "d2_opens2": "18:00", "d2_closes2": "20:00"}
    typed |= {"d3_opens1": "8:00", "d3_closes1": "", "d4_opens1": "8 de la mañana"}
    with pytest.raises(Invalid) as refused:
        clinic_forms.parse(Topic.HOURS, typed, specialties)
    assert refused.value.errors == {
        "d1_closes1": "La hora de cierre debe ser posterior a la de apertura.",
        "d2_opens2": "El segundo horario debe empezar después de que termine el primero.",
        "d3_closes1": "Falta esta hora.",
        "d4_opens1": "Escriba la hora como 08:00 o 14:30.",
    }


async def test_a_morning_and_an_afternoon_and_a_closed_saturday_make_the_week(
    conn: asyncpg.Connection, clinic_rows: Clinic
) -> None:
    shown, specialties, _ = await _form(conn, Topic.HOURS)
    typed = {**shown, "d1_closes1": "12:00", "d1_opens2": "14:30", "d1_closes2": "18:30", "d6_closed": "on"}
    facts = clinic_forms.parse(Topic.HOURS, typed, specialties, before=shown)
    assert isinstance(facts, Hours)
    assert [(f"{p.opens:%H:%M}", f"{p.closes:%H:%M}") for p in facts.weekdays[1]] == [
        ("08:00", "12:00"),
        ("14:30", "18:30"),
    ]
    assert 6 not in facts.weekdays and 7 not in facts.weekdays


async def test_a_maps_link_that_is_not_https_is_refused(conn: asyncpg.Connection, clinic_rows: Clinic) -> None:
    shown, specialties, _ = await _form(conn, Topic.ADDRESS)
    for typed in ("maps.google.com/?q=-16.5", "http://maps.google.com", "javascript:alert(1)"):
        with pytest.raises(Invalid) as refused:
            clinic_forms.parse(Topic.ADDRESS, {**shown, "maps_url": typed, "city": ""}, specialties)
        assert refused.value.errors["maps_url"].startswith("El enlace del mapa debe empezar con https://")
        assert refused.value.errors["city"] == "Escriba la ciudad."


async def test_payment_lines_become_methods_and_insurers_with_plain_aliases(
    conn: asyncpg.Connection, clinic_rows: Clinic
) -> None:
    typed = {
        "methods": "Efectivo\n\nTransferencia bancaria: transferencia, depósito\n",
        "insurers_yes": "BISA Seguros: bisa",
        "insurers_no": "Caja Nacional de Salud (CNS): cns, caja nacional",
    }
    facts = clinic_forms.parse(Topic.PAYMENT, typed, {})
    assert facts.model_dump() == {
        "methods": [
            {"name": "Efectivo", "aliases": ["efectivo"]},
            {"name": "Transferencia bancaria", "aliases": ["transferencia", "deposito"]},
        ],
        "insurers": [
            {"name": "BISA Seguros", "aliases": ["bisa"], "accepted": True},
            {"name": "Caja Nacional de Salud (CNS)", "aliases": ["cns", "caja nacional"],
             "accepted": False},
        ],
    }  # fmt: skip
    with pytest.raises(Invalid) as refused:
        clinic_forms.parse(Topic.PAYMENT, {"methods": ": efectivo", "insurers_no": ""}, {})
    assert refused.value.errors == {"methods": "Línea 1: falta el nombre antes de los dos puntos."}


async def test_a_save_is_read_by_the_assistant_and_audited_with_before_and_after(
    conn: asyncpg.Connection, clinic_rows: Clinic, ana: StaffUser
) -> None:
    shown, specialties, version = await _form(conn, Topic.PRICES)
    facts = clinic_forms.parse(Topic.PRICES, {**shown, "price_cardiologia": "350"}, specialties)

    saved = await clinic.save(conn, user=ana, topic=Topic.PRICES, facts=facts, note="Incluye control.", version=version)

    info = await clinic_info.load(conn)
    assert info.prices is not None and info.prices.consultation_bs["cardiologia"] == 350
    assert info.note(Topic.PRICES) == "Incluye control."
    assert saved.changed == ("consultation_bs.cardiologia", "note")
    [entry] = await audit.recent(conn, action="clinic_info.updated")
    assert (entry.actor, entry.target, entry.outcome) == (f"staff_user:{ana.id}", "clinic_info:prices", "success")
    assert entry.detail == {
        "topic": "prices",
        "revision_id": saved.revision_id,
        "changed": "consultation_bs.cardiologia, note",
    }
    [revision] = await clinic.revisions(conn, topic=Topic.PRICES)
    assert revision.actor == f"staff_user:{ana.id}"
    seeded = demo.CLINIC_PRICES.consultation_bs
    assert revision.details_before == {"consultation_bs": seeded}
    assert revision.details_after == {"consultation_bs": {**seeded, "cardiologia": 350}}
    assert (revision.note_before, revision.note_after) == ("", "Incluye control.")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await conn.execute("DELETE FROM clinic_info_revisions")


async def test_a_topic_without_a_row_is_created(conn: asyncpg.Connection, clinic_rows: Clinic, ana: StaffUser) -> None:
    stored = await clinic.load(conn, Topic.SERVICES)
    assert stored.facts is None and stored.version == ""
    facts = clinic_forms.parse(Topic.SERVICES, {"offered": "Laboratorio: analisis\nEcografía"}, {})

    await clinic.save(conn, user=ana, topic=Topic.SERVICES, facts=facts, note="", version="")

    info = await clinic_info.load(conn)
    assert info.services is not None and [s.name for s in info.services.offered] == ["Laboratorio", "Ecografía"]
    [revision] = await clinic.revisions(conn, topic=Topic.SERVICES)
    assert revision.details_before is None and revision.note_before is None


async def test_a_save_over_an_edit_made_meanwhile_is_refused(
    conn: asyncpg.Connection, clinic_rows: Clinic, ana: StaffUser
) -> None:
    shown, specialties, version = await _form(conn, Topic.ADDRESS)
    first = clinic_forms.parse(Topic.ADDRESS, {**shown, "area": "Sopocachi Alto"}, specialties)
    await clinic.save(conn, user=ana, topic=Topic.ADDRESS, facts=first, note="", version=version)
    second = clinic_forms.parse(Topic.ADDRESS, {**shown, "city": "El Alto"}, specialties)

    with pytest.raises(EditedMeanwhile):
        await clinic.save(conn, user=ana, topic=Topic.ADDRESS, facts=second, note="", version=version)

    address = (await clinic_info.load(conn)).address
    assert isinstance(address, Address) and (address.area, address.city) == ("Sopocachi Alto", "La Paz")
    outcomes = [e.outcome for e in await audit.recent(conn, action="clinic_info.updated")]
    assert outcomes == ["conflict", "success"]


async def test_a_medico_cannot_save_and_the_refusal_is_audited(
    conn: asyncpg.Connection, clinic_rows: Clinic, carmen: StaffUser
) -> None:
    shown, specialties, version = await _form(conn, Topic.PRICES)
    facts = clinic_forms.parse(Topic.PRICES, {**shown, "price_cardiologia": "1"}, specialties)

    with pytest.raises(NotAnEditor):
        await clinic.save(conn, user=carmen, topic=Topic.PRICES, facts=facts, note="", version=version)

    prices = (await clinic_info.load(conn)).prices
    assert prices is not None and prices.consultation_bs["cardiologia"] == 300
    [entry] = await audit.recent(conn, action="clinic_info.updated")
    assert (entry.actor, entry.outcome, entry.detail) == (
        f"staff_user:{carmen.id}",
        "denied",
        {"topic": "prices", "role": "medico"},
    )


async def test_a_note_too_long_is_refused(conn: asyncpg.Connection, clinic_rows: Clinic) -> None:
    shown, specialties, _ = await _form(conn, Topic.PREPARATION)
    with pytest.raises(Invalid) as refused:
        clinic_forms.parse(Topic.PREPARATION, {**shown, "note": "x" * 501, "bring": " \n "}, specialties)
    assert refused.value.errors == {
        "note": "La nota puede tener hasta 500 caracteres.",
        "bring": "Escriba al menos una cosa que traer, una por línea.",
    }


def test_changed_fields_name_the_paths_that_differ() -> None:
    before = {"weekdays": {"1": [1], "6": [2]}, "holidays": ""}
    after = {"weekdays": {"1": [1], "7": [3]}, "holidays": "Cerrado."}
    assert clinic.changed_fields(before, after) == ["holidays", "weekdays.6", "weekdays.7"]


async def test_the_gateways_runtime_role_may_save_but_never_rewrite_a_revision(
    runtime_database_url: str, conn: asyncpg.Connection, clinic_rows: Clinic, ana: StaffUser
) -> None:
    runtime = await asyncpg.connect(runtime_database_url)
    try:
        shown, specialties, version = await _form(runtime, Topic.PRICES)
        facts = clinic_forms.parse(Topic.PRICES, {**shown, "price_pediatria": "220"}, specialties)
        await clinic.save(runtime, user=ana, topic=Topic.PRICES, facts=facts, note="", version=version)
        for statement in ("UPDATE clinic_info_revisions SET note_after = ''", "DELETE FROM clinic_info"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await runtime.execute(statement)
    finally:
        await runtime.close()
    prices = (await clinic_info.load(conn)).prices
    assert prices is not None and prices.consultation_bs["pediatria"] == 220
