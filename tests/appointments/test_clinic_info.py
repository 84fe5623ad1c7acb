"""The clinic_info table on a real Postgres: what is stored is what is read, a row that does not parse
is no fact at all, the gateway's role may only read it, and the demo's hours agree with its doctors."""

from __future__ import annotations

from datetime import time

import asyncpg
import pytest

from appointments import clinic_info, demo
from appointments.clinic_info import ClinicInfo, Hours, Period, Prices, Topic
from appointments.demo import seed_demo_clinic, weekly_blocks


async def test_an_empty_table_holds_no_facts(conn: asyncpg.Connection) -> None:
    assert await clinic_info.load(conn) == ClinicInfo()


async def test_the_seeded_demo_facts_are_read_back_as_seeded(conn: asyncpg.Connection) -> None:
    await seed_demo_clinic(conn)
    await seed_demo_clinic(conn)
    info = await clinic_info.load(conn)
    assert info.hours == demo.CLINIC_HOURS
    assert info.prices == demo.CLINIC_PRICES
    assert info.address == demo.CLINIC_ADDRESS
    assert info.payment == demo.CLINIC_PAYMENT
    assert info.preparation == demo.CLINIC_PREPARATION
    assert info.services is None
    assert await conn.fetchval("SELECT count(*) FROM clinic_info") == len(demo.CLINIC_INFO)


async def test_a_row_is_replaced_with_its_note_and_removed(conn: asyncpg.Connection) -> None:
    await clinic_info.put(conn, topic=Topic.PRICES, details=Prices(consultation_bs={"pediatria": 180}))
    await clinic_info.put(
        conn, topic=Topic.PRICES, details=Prices(consultation_bs={"pediatria": 220}), note="Precios de 2027."
    )
    info = await clinic_info.load(conn)
    assert info.prices == Prices(consultation_bs={"pediatria": 220})
    assert info.note(Topic.PRICES) == "Precios de 2027."
    await clinic_info.remove(conn, topic=Topic.PRICES)
    assert (await clinic_info.load(conn)).prices is None


async def test_a_row_staff_broke_is_no_fact_and_leaves_the_others(conn: asyncpg.Connection) -> None:
    await seed_demo_clinic(conn)
    await conn.execute(
        'UPDATE clinic_info SET details = \'{"consultation_bs": {"pediatria": "gratis"}}\' WHERE topic = \'prices\''
    )
    await conn.execute("UPDATE clinic_info SET details = '{\"weekdays\": {\"9\": []}}' WHERE topic = 'hours'")
    info = await clinic_info.load(conn)
    assert info.prices is None and info.hours is None
    assert info.address == demo.CLINIC_ADDRESS


@pytest.mark.parametrize(
    ("topic", "details"),
    [("weather", "{}"), ("prices", "[]"), ("prices", '"Bs 100"')],
)
async def test_the_table_refuses_unknown_topics_and_details_that_are_not_objects(
    conn: asyncpg.Connection, topic: str, details: str
) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute("INSERT INTO clinic_info (topic, details) VALUES ($1, $2::jsonb)", topic, details)


def test_a_period_must_open_before_it_closes() -> None:
    with pytest.raises(ValueError, match="open before"):
        Period(opens=time(19), closes=time(8))


async def test_the_gateway_role_reads_and_saves_the_facts_but_cannot_remove_a_topic(
    conn: asyncpg.Connection, runtime_database_url: str
) -> None:
    # Staff save topics from the console (0028); removing one stays with operators.
    await seed_demo_clinic(conn)
    runtime = await asyncpg.connect(runtime_database_url)
    try:
        assert (await clinic_info.load(runtime)).hours == demo.CLINIC_HOURS
        sundays = Hours(weekdays={7: [Period(opens=time(9), closes=time(12))]})
        await clinic_info.put(runtime, topic=Topic.HOURS, details=sundays)
        assert (await clinic_info.load(runtime)).hours == sundays
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await clinic_info.remove(runtime, topic=Topic.PRICES)
    finally:
        await runtime.close()


def test_the_demo_hours_hold_every_doctor_block_and_no_day_is_open_without_a_doctor() -> None:
    hours = demo.CLINIC_HOURS.weekdays
    blocks = [block for name in demo.SCHEDULES for block in weekly_blocks(0, demo.SCHEDULES[name])]
    for block in blocks:
        periods = hours.get(block.weekday, [])
        assert any(p.opens <= block.start and block.end <= p.closes for p in periods), block
    for weekday, periods in hours.items():
        that_day = [b for b in blocks if b.weekday == weekday]
        assert that_day, f"open on weekday {weekday} with no doctor"
        # The clinic opens when the first doctor starts and closes when the last one ends.
        assert min(p.opens for p in periods) == min(b.start for b in that_day)
        assert max(p.closes for p in periods) == max(b.end for b in that_day)
    assert 7 not in hours  # closed on Sundays


def test_the_demo_prices_cover_exactly_the_specialties_with_doctors() -> None:
    with_doctors = {code for _, code in demo.DOCTORS}
    assert set(demo.CLINIC_PRICES.consultation_bs) == with_doctors


def test_the_demo_refuses_the_public_insurers_and_names_them() -> None:
    refused = [i for i in demo.CLINIC_PAYMENT.insurers if not i.accepted]
    assert any("Caja Nacional de Salud" in i.name for i in refused)
    assert any(i.accepted for i in demo.CLINIC_PAYMENT.insurers)
