"""Waitlist offers on real Postgres and the fake Graph API, with a clock the test sets: the chain of offers, one slot
never offered twice, one patient offered one slot at a time, and nothing to a patient without consent."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from appointments import booking, repository
from gateway.jobs import JobQueue
from notifications import callbacks
from notifications.delivery import QUEUE
from notifications.metrics import NotificationMetrics
from notifications.template import OFFER_TEXT, render
from notifications.waitlist import Waitlist
from tests.e2e.fake_whatsapp import FakeGraphApi
from tests.notifications.conftest import MakeSending
from tests.notifications.support import DOCTOR, PEDIATRICS, SetClock, add_patient, book

LA_PAZ = ZoneInfo("America/La_Paz")
MONDAY = datetime(2030, 3, 4, 9, tzinfo=LA_PAZ)
HOLD_MINUTES = 30


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=LA_PAZ)


class Bench:
    """The waitlist service on its own job queue; `step` ticks at the clock's time and runs what it queued."""

    def __init__(self, waitlist: Waitlist, queue: JobQueue, clock: SetClock, metrics: NotificationMetrics) -> None:
        self.waitlist = waitlist
        self.queue = queue
        self.clock = clock
        self.metrics = metrics

    async def step(self, now: datetime) -> None:
        self.clock.now = now
        await self.waitlist.tick()
        await self.queue.app.run_worker_async(queues=[QUEUE], wait=False, install_signal_handlers=False)

    def count(self, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "notifications_sent_total", {"kind": "waitlist_offer", "outcome": outcome}
        )
        return value or 0.0


MakeBench = Callable[[], Awaitable[Bench]]


@pytest.fixture
def make_bench(make_sending: MakeSending) -> MakeBench:
    async def make() -> Bench:
        clock = SetClock(MONDAY)
        sending = await make_sending(clock, retries=2)
        service = Waitlist(
            sending,
            tz=LA_PAZ,
            hold_minutes=HOLD_MINUTES,
            min_notice_minutes=60,
            template="oferta_lista_espera",
            language="es",
        )
        return Bench(service, sending.queue, clock, sending.metrics)

    return make


async def join(
    conn: asyncpg.Connection, patient_id: int, doctor_id: int, *, first: date, last: date, at_: datetime
) -> int:
    entry: int = await conn.fetchval(
        """
        INSERT INTO waitlist_entries (patient_id, doctor_id, specialty_id, first_day, last_day, created_at, updated_at)
        SELECT $1, d.id, d.specialty_id, $3, $4, $5, $5 FROM doctors d WHERE d.id = $2 RETURNING id
        """,
        patient_id,
        doctor_id,
        first,
        last,
        at_,
    )
    return entry


async def cancel(conn: asyncpg.Connection, appointment: Any, when: datetime) -> None:
    await conn.execute(
        "UPDATE appointments SET status = 'cancelled', cancelled_at = $2, updated_at = $2 WHERE id = $1",
        appointment,
        when,
    )


async def offers(conn: asyncpg.Connection) -> list[tuple[str, str, str]]:
    """(patient, slot start in La Paz as HH:MM of day D, status) of every offer, in the order made."""
    rows = await conn.fetch(
        """
        SELECT p.full_name, o.starts_at, o.status FROM waitlist_offers o
        JOIN waitlist_entries e ON e.id = o.entry_id JOIN patients p ON p.id = e.patient_id ORDER BY o.id
        """
    )
    return [(r["full_name"], r["starts_at"].astimezone(LA_PAZ).strftime("%d %H:%M"), r["status"]) for r in rows]


def recipients(graph: FakeGraphApi) -> list[str]:
    return [str(message.body["to"]) for message in graph.received]


WEEK = (date(2030, 3, 4), date(2030, 3, 8))


async def test_a_freed_slot_goes_to_the_first_in_line_as_the_documented_template(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    holder = await add_patient(conn, "+59170000009", "Raúl Mamani")
    ana = await add_patient(conn, "+59170000001", "Ana María Quispe")
    beto = await add_patient(conn, "+59170000002", "Beto Choque")
    await join(conn, ana, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY)
    await join(conn, beto, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY + timedelta(minutes=1))
    taken = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(6, 10, 30), booked_at=MONDAY)

    await bench.step(at(4, 10))
    assert graph.received == []  # nothing freed yet

    await cancel(conn, taken, at(4, 10, 5))
    await bench.step(at(4, 10, 6))
    await bench.step(at(4, 10, 7))

    [sent] = graph.received
    offer = await conn.fetchval("SELECT id FROM waitlist_offers")

    def button(index: int, answer: str) -> dict[str, Any]:
        payload = {"type": "payload", "payload": f"waitlist_{answer}:{offer}"}
        return {"type": "button", "sub_type": "quick_reply", "index": str(index), "parameters": [payload]}

    body = ["Ana", "para usted", f"la {DOCTOR}", PEDIATRICS, "miércoles 6 de marzo a las 10:30", "30"]
    assert sent.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "59170000001",
        "type": "template",
        "template": {
            "name": "oferta_lista_espera",
            "language": {"code": "es"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": t} for t in body]},
                button(0, "yes"),
                button(1, "no"),
            ],
        },
        # Echoed in Meta's status callbacks, which the gateway's webhook records (notifications.callbacks).
        "biz_opaque_callback_data": f"clinic-waitlist:{offer}",
    }
    assert await offers(conn) == [("Ana María Quispe", "06 10:30", "offered")]
    hold = await conn.fetchval("SELECT hold_until FROM waitlist_offers")
    assert hold == at(4, 10, 6) + timedelta(minutes=HOLD_MINUTES)
    assert bench.count("sent") == 1


async def test_a_family_members_offer_greets_the_holder_who_reads_it(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    # QA: on Rosa's phone the offer for her son read "Hola, Mateo".
    bench = await make_bench()
    holder = await add_patient(conn, "+59170000009", "Raúl Mamani")
    rosa = await add_patient(conn, "+59170000003", "Rosa López")
    mateo = await add_patient(conn, None, "Mateo López", consent=None, holder_id=rosa)
    await join(conn, mateo, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY)
    taken = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(6, 10, 30), booked_at=MONDAY)
    await cancel(conn, taken, at(4, 10, 5))

    await bench.step(at(4, 10, 6))
    await bench.step(at(4, 10, 7))

    [sent] = graph.received
    assert sent.body["to"] == "59170000003"
    parameters = [p["text"] for p in sent.body["template"]["components"][0]["parameters"]]
    assert render(OFFER_TEXT, parameters) == (
        f"Hola, Rosa. Por la lista de espera: se liberó una cita para Mateo con la {DOCTOR} ({PEDIATRICS}) el "
        "miércoles 6 de marzo a las 10:30. Se la guardamos 30 minutos: ¿la quiere?"
    )


async def test_an_unanswered_hold_expires_and_the_slot_passes_to_the_next_then_a_no_to_the_one_after(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    holder = await add_patient(conn, "+59170000009", "Raúl Mamani")
    names = ["Ana Quispe", "Beto Choque", "Carla Flores"]
    for minute, name in enumerate(names):
        patient = await add_patient(conn, f"+5917000000{minute + 1}", name)
        await join(conn, patient, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY + timedelta(minutes=minute))
    taken = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(7, 9), booked_at=MONDAY)
    await cancel(conn, taken, at(4, 11))

    await bench.step(at(4, 11, 1))
    await bench.step(at(4, 11, 30))  # within the hold: nobody else hears of it
    assert recipients(graph) == ["59170000001"]

    await bench.step(at(4, 11, 31))  # the hold ran out: Beto is next
    assert await offers(conn) == [("Ana Quispe", "07 09:00", "expired"), ("Beto Choque", "07 09:00", "offered")]
    assert recipients(graph) == ["59170000001", "59170000002"]
    assert bench.count("expired") == 1

    await conn.execute("UPDATE waitlist_offers SET status = 'declined' WHERE status = 'offered'")  # Beto: "no"
    await bench.step(at(4, 11, 35))
    assert recipients(graph) == ["59170000001", "59170000002", "59170000003"]
    assert [o[2] for o in await offers(conn)] == ["expired", "declined", "offered"]

    await bench.step(at(4, 12, 6))  # Carla lets it lapse too, and the line is empty: Ana is not asked again
    assert [o[2] for o in await offers(conn)] == ["expired", "declined", "expired"]
    assert len(graph.received) == 3


async def test_one_slot_is_never_offered_to_two_patients_even_by_racing_ticks(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    first, second = await make_bench(), await make_bench()
    holder = await add_patient(conn, "+59170000009", "Raúl Mamani")
    for minute in range(4):
        patient = await add_patient(conn, f"+5917000000{minute + 1}", f"Paciente {minute}")
        await join(conn, patient, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY + timedelta(minutes=minute))
    taken = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(5, 15), booked_at=MONDAY)
    await cancel(conn, taken, at(4, 10))

    first.clock.now = second.clock.now = at(4, 10, 1)

    await asyncio.gather(first.waitlist.tick(), second.waitlist.tick(), first.waitlist.tick())
    await first.step(at(4, 10, 1))
    await second.step(at(4, 10, 1))

    assert await offers(conn) == [("Paciente 0", "05 15:00", "offered")]
    assert recipients(graph) == ["59170000001"]
    with pytest.raises(asyncpg.UniqueViolationError):
        await conn.execute(
            """
            INSERT INTO waitlist_offers (entry_id, doctor_id, starts_at, ends_at, offered_at, hold_until)
            SELECT e.id, o.doctor_id, o.starts_at, o.ends_at, o.offered_at, o.hold_until
            FROM waitlist_offers o, waitlist_entries e WHERE e.id <> o.entry_id LIMIT 1
            """
        )


async def test_two_freed_slots_are_offered_to_one_waiting_patient_one_at_a_time(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    holder = await add_patient(conn, "+59170000009", "Raúl Mamani")
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    await join(conn, ana, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY)
    early = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(5, 9), booked_at=MONDAY)
    late = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(6, 9), booked_at=MONDAY)
    await cancel(conn, early, at(4, 10))
    await cancel(conn, late, at(4, 10))

    await bench.step(at(4, 10, 1))
    await bench.step(at(4, 10, 2))
    assert await offers(conn) == [("Ana Quispe", "05 09:00", "offered")]
    assert len(graph.received) == 1

    await conn.execute("UPDATE waitlist_offers SET status = 'declined'")  # "no" to the first
    await bench.step(at(4, 10, 5))
    assert await offers(conn) == [("Ana Quispe", "05 09:00", "declined"), ("Ana Quispe", "06 09:00", "offered")]
    assert len(graph.received) == 2


async def test_no_offer_goes_to_a_patient_without_consent_and_an_opt_out_withdraws_an_unsent_one(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    holder = await add_patient(conn, "+59170000009", "Raúl Mamani")
    never = await add_patient(conn, "+59170000001", "Nunca Preguntada", consent=None)
    refused = await add_patient(conn, "+59170000002", "Dijo No", consent=False)
    ana = await add_patient(conn, "+59170000003", "Ana Quispe")
    for minute, patient in enumerate((never, refused, ana)):
        await join(conn, patient, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY + timedelta(minutes=minute))
    taken = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(5, 9), booked_at=MONDAY)
    await cancel(conn, taken, at(4, 10))

    bench.clock.now = at(4, 10, 1)
    await bench.waitlist.tick()  # offered to Ana, not sent yet
    await conn.execute("UPDATE patients SET reminders_consent = false, reminders_consent_at = now() WHERE id = $1", ana)
    await bench.queue.app.run_worker_async(queues=[QUEUE], wait=False, install_signal_handlers=False)

    assert graph.received == []
    assert [tuple(r) for r in await conn.fetch("SELECT status, reason FROM waitlist_offers")] == [
        ("withdrawn", "no_consent")
    ]
    await bench.step(at(4, 10, 2))
    assert graph.received == []  # and nobody else in line may be messaged
    assert bench.count("withdrawn") == 1


async def test_a_slot_booked_by_someone_else_or_a_clashing_patient_gets_no_offer(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    holder = await add_patient(conn, "+59170000009", "Raúl Mamani")
    busy = await add_patient(conn, "+59170000001", "Ocupada Ya")
    late_joiner = await add_patient(conn, "+59170000002", "Llegó Tarde")
    await join(conn, busy, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY)
    taken = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(5, 9), booked_at=MONDAY)
    await cancel(conn, taken, at(4, 10))
    await join(conn, late_joiner, doctor, first=WEEK[0], last=WEEK[1], at_=at(4, 10, 30))
    # The busy patient holds an appointment of another doctor at that very time.
    other = await conn.fetchval(
        "INSERT INTO doctors (full_name, specialty_id) SELECT 'Dr. Otro', specialty_id FROM doctors LIMIT 1 "
        "RETURNING id"
    )
    await book(conn, patient_id=busy, doctor_id=other, starts_at=at(5, 9), booked_at=MONDAY)

    await bench.step(at(4, 11))
    assert await offers(conn) == []
    assert graph.received == []


async def test_an_entry_for_some_weekdays_is_offered_only_a_slot_on_one_of_them(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    # QA: "solo puedo los sábados" must never bring an offer for a Wednesday.
    bench = await make_bench()
    holder = await add_patient(conn, "+59170000009", "Raúl Mamani")
    saturdays = await add_patient(conn, "+59170000001", "Sábados Nomás")
    entry = await join(conn, saturdays, doctor, first=date(2030, 3, 4), last=date(2030, 3, 16), at_=MONDAY)
    await conn.execute("UPDATE waitlist_entries SET weekdays = '{6}' WHERE id = $1", entry)
    wednesday = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(6, 9), booked_at=MONDAY)
    saturday = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(9, 9), booked_at=MONDAY)

    await cancel(conn, wednesday, at(4, 10))
    await bench.step(at(4, 10, 1))
    assert await offers(conn) == []

    await cancel(conn, saturday, at(4, 10, 2))
    await bench.step(at(4, 10, 3))
    assert await offers(conn) == [("Sábados Nomás", "09 09:00", "offered")]


async def test_slots_cancelled_by_the_patient_and_by_staff_through_booking_are_offered(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    holder = await add_patient(conn, "+59170000009", "Raúl Mamani")
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    beto = await add_patient(conn, "+59170000002", "Beto Choque")
    await join(conn, ana, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY)
    await join(conn, beto, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY + timedelta(minutes=1))
    by_patient = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(5, 9), booked_at=MONDAY)
    by_staff = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(6, 9), booked_at=MONDAY)

    await booking.cancel(conn, appointment_id=by_patient, patient_id=holder, now=at(4, 10))
    await booking.cancel_for_staff(conn, appointment_id=by_staff, now=at(4, 10))
    await bench.step(at(4, 10, 1))
    await bench.step(at(4, 10, 2))

    # Ana, first in line, gets the first slot; the second goes to Beto rather than waiting on Ana.
    assert await offers(conn) == [("Ana Quispe", "05 09:00", "offered"), ("Beto Choque", "06 09:00", "offered")]
    assert sorted(recipients(graph)) == ["59170000001", "59170000002"]


async def test_the_time_a_moved_appointment_leaves_is_offered(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    holder = await add_patient(conn, "+59170000009", "Raúl Mamani")
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    await join(conn, ana, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY)
    moved = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(5, 9), booked_at=MONDAY)

    # As booking.reschedule moves it (the test doctor has no schedule for reschedule to check against).
    await repository.update_appointment_time(
        conn, appointment_id=moved, starts_at=at(6, 9), ends_at=at(6, 9, 30), now=at(4, 10)
    )
    await bench.step(at(4, 10, 1))

    # Tuesday 09:00 is free again: Ana, waiting for it, is offered it; Raúl keeps Wednesday.
    assert await offers(conn) == [("Ana Quispe", "05 09:00", "offered")]
    assert recipients(graph) == ["59170000001"]


async def test_an_offer_meta_reports_sent_is_not_posted_again(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    holder = await add_patient(conn, "+59170000009", "Raúl Mamani")
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    await join(conn, ana, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY)
    taken = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(5, 9), booked_at=MONDAY)
    await cancel(conn, taken, at(4, 10))
    bench.clock.now = at(4, 10, 1)
    await bench.waitlist.tick()  # made and queued; its post's answer is lost, but Meta reports it sent
    offer = await conn.fetchval("SELECT id FROM waitlist_offers")

    assert await callbacks.record_sent(conn, data=callbacks.offer_callback_data(offer), wamid="wamid.meta-1")
    assert not await callbacks.record_sent(conn, data=callbacks.offer_callback_data(offer), wamid="wamid.meta-1")
    await bench.step(at(4, 10, 2))

    assert graph.received == []
    assert await conn.fetchval("SELECT sent_wamid FROM waitlist_offers") == "wamid.meta-1"
    assert callbacks.offer_of("clinic-waitlist:x") is None and callbacks.offer_of("clinic-reminder:3") is None


async def test_a_slot_too_soon_to_book_at_the_end_of_its_hold_is_not_offered(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    holder = await add_patient(conn, "+59170000009", "Raúl Mamani")
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    await join(conn, ana, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY)
    soon = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(4, 11, 30), booked_at=MONDAY)
    later = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(4, 12), booked_at=MONDAY)
    await cancel(conn, soon, at(4, 10))
    await cancel(conn, later, at(4, 10))

    # At 10:00 a 30-minute hold and an hour's notice reach 11:30: that slot could not be booked by then.
    await bench.step(at(4, 10))
    assert await offers(conn) == [("Ana Quispe", "04 12:00", "offered")]


async def test_an_offer_whose_posts_keep_failing_is_withdrawn_and_the_slot_passes_to_the_next_in_line(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()  # two retries
    holder = await add_patient(conn, "+59170000009", "Raúl Mamani")
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    beto = await add_patient(conn, "+59170000002", "Beto Choque")
    await join(conn, ana, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY)
    await join(conn, beto, doctor, first=WEEK[0], last=WEEK[1], at_=MONDAY + timedelta(minutes=1))
    taken = await book(conn, patient_id=holder, doctor_id=doctor, starts_at=at(5, 9), booked_at=MONDAY)
    await cancel(conn, taken, at(4, 10))
    graph.status = 503

    deadline = asyncio.get_running_loop().time() + 10
    first_offer = "SELECT status FROM waitlist_offers ORDER BY id LIMIT 1"
    await bench.step(at(4, 10, 1))
    while await conn.fetchval(first_offer) == "offered":
        assert asyncio.get_running_loop().time() < deadline, await offers(conn)
        await asyncio.sleep(0.05)
        await bench.step(at(4, 10, 1))

    to_ana = [s.status for s in graph.received if s.body["to"] == "59170000001"]
    assert to_ana == [503, 503, 503]
    row = await conn.fetchrow("SELECT status, reason, attempts, last_error FROM waitlist_offers ORDER BY id LIMIT 1")
    assert row is not None
    assert (row["status"], row["reason"], row["attempts"]) == ("withdrawn", "send_failed", 3)
    assert "answered 503" in row["last_error"]
    assert bench.count("failed") == 1 and bench.count("sent") == 0

    # The slot passes to Beto: in the tick that withdrew Ana's offer or the next one (his first post may still
    # have met the 503), and his offer is sent once the API answers again.
    graph.status = 200
    await bench.step(at(4, 10, 2))
    while bench.count("sent") == 0:
        assert asyncio.get_running_loop().time() < deadline + 10, await offers(conn)
        await asyncio.sleep(0.05)
        await bench.step(at(4, 10, 2))
    assert await offers(conn) == [("Ana Quispe", "05 09:00", "withdrawn"), ("Beto Choque", "05 09:00", "offered")]
    assert recipients(graph)[-1] == "59170000002" and graph.received[-1].status == 200
    assert bench.count("failed") == 1 and bench.count("sent") == 1
