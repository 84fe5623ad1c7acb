"""OWASP API4:2023 Unrestricted Resource Consumption.

Attacks held here:
- a staff key (leaked, or a script gone wrong) hammers /staff: past RATE_LIMIT_STAFF_BURST the key gets
  429 with Retry-After in the usual error shape, while other staff keys are unaffected.
- a flood of bad keys against /staff, each refusal an audit row: past RATE_LIMIT_STAFF_REFUSED_BURST
  from one client address the refusals are 429s and write nothing, so the audit log cannot be flooded.
- a 4096-character message of dates written oddly (two-digit years), each once a slow `dateparser` call
  on the event loop: dates are read directly, and at most MAX_SLOW_PARSES per message go to dateparser.
"""

from __future__ import annotations

import datetime as dt

import asyncpg

from appointments.demo import seed_demo_clinic
from gateway import audit
from gateway.security.api_keys import create_api_key
from gateway.understanding.dates import MAX_SLOW_PARSES, find_dates
from gateway.understanding.nlu import MAX_CHARS
from tests.support.gateway import MakeClient


async def test_a_staff_key_past_its_burst_gets_429_with_retry_after_and_other_keys_do_not(
    make_client: MakeClient, conn: asyncpg.Connection
) -> None:
    await seed_demo_clinic(conn)
    gateway = await make_client(RATE_LIMIT_STAFF_PER_MINUTE=1, RATE_LIMIT_STAFF_BURST=3)
    hammering = await create_api_key(conn, name="script", scopes={"staff"})
    reception = await create_api_key(conn, name="reception", scopes={"staff"})

    statuses = [
        (await gateway.get("/staff/doctors", headers={"X-API-Key": hammering.secret})).status_code for _ in range(3)
    ]
    refused = await gateway.get("/staff/doctors", headers={"X-API-Key": hammering.secret})
    other = await gateway.get("/staff/doctors", headers={"X-API-Key": reception.secret})

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    assert other.status_code == 200
    # Only the calls that ran are on record.
    viewed = await audit.recent(conn, action="staff.doctors.viewed")
    assert len(viewed) == 4


async def test_a_flood_of_bad_keys_is_cut_off_before_it_floods_the_audit_log(
    make_client: MakeClient, conn: asyncpg.Connection
) -> None:
    gateway = await make_client(RATE_LIMIT_STAFF_REFUSED_PER_MINUTE=1, RATE_LIMIT_STAFF_REFUSED_BURST=5)
    staff = await create_api_key(conn, name="reception", scopes={"staff"})
    await seed_demo_clinic(conn)

    statuses = [
        (await gateway.get("/staff/doctors", headers={"X-API-Key": f"ck_{i:08x}_{'g' * 40}"})).status_code
        for i in range(20)
    ]

    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert len(await audit.recent(conn, action="staff.auth")) == 5
    # A valid key from the same address is not held back by the flood.
    assert (await gateway.get("/staff/doctors", headers={"X-API-Key": staff.secret})).status_code == 200


def test_a_message_of_oddly_written_dates_sends_only_a_few_to_the_slow_parser() -> None:
    today = dt.date(2026, 11, 25)
    odd = " ".join(f"{day}/{month}/{year}" for year in range(27, 99) for month in (3, 7, 11) for day in (2, 14, 25))
    plain = " ".join(f"{day}/{month}/20{year}" for year in range(27, 99) for month in (3, 7, 11) for day in (2, 14, 25))

    odd, plain = (dates[:MAX_CHARS].rsplit(" ", 1)[0] for dates in (odd, plain))

    read_oddly = find_dates(odd, today=today)
    read_plainly = find_dates(plain, today=today)

    # Each odd date takes a dateparser call (about a millisecond); only MAX_SLOW_PARSES of them are read.
    assert [found.value for found in read_oddly] == [dt.date(2027, 3, 2), dt.date(2027, 3, 14)]
    assert MAX_SLOW_PARSES == 2
    # Plain dates cost microseconds and are all read: the bound is on the slow parser, not on the meaning.
    assert len(read_plainly) == len(plain.split()) > 100
