"""Verification and registration, one step at a time: state in, message, state and reply out (no HTTP, no model)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import asyncpg
import pytest

from appointments import demo
from gateway.conversation import replies
from gateway.conversation.reply import Action
from gateway.conversation.state import DialogState, Flow, Step, Wishes
from tests.support.dialog import KEY, SETTINGS, DialogBench, dialog_bench

MARIA = demo.MARIA
STRANGER = "+59176543210"
BOOKING = DialogState(flow=Flow.BOOK)


@pytest.fixture
async def bench(conn: asyncpg.Connection, redis_url: str) -> AsyncIterator[DialogBench]:
    async with dialog_bench(conn, redis_url) as bench:
        yield bench


@dataclass(frozen=True)
class Row:
    phone: str
    state: DialogState
    says: str
    step: Step | None
    reply: str
    then: DialogState | None = None  # the whole next state, where the step alone says too little
    action: Action = Action.VERIFICATION_REQUIRED


ROWS = {
    "a stranger asking to book is offered registration": Row(
        STRANGER, DialogState(), "quiero una cita", Step.REGISTER_OFFER, replies.REGISTER_OFFER
    ),
    "yes to registering asks the name": Row(
        STRANGER, BOOKING.but(step=Step.REGISTER_OFFER), "sí", Step.REGISTER_NAME, replies.ASK_NAME
    ),
    "'sí, quiero registrarme' is a yes too": Row(
        STRANGER, BOOKING.but(step=Step.REGISTER_OFFER), "sí, quiero registrarme", Step.REGISTER_NAME, replies.ASK_NAME
    ),
    "no to registering ends the flow": Row(
        STRANGER,
        BOOKING.but(step=Step.REGISTER_OFFER),
        "no",
        None,
        replies.REGISTER_DECLINED,
        then=DialogState(),
        action=Action.NONE,
    ),
    "a name is kept, title-cased, and the birth date asked": Row(
        STRANGER,
        BOOKING.but(step=Step.REGISTER_NAME),
        "pedro mamani",
        Step.REGISTER_BIRTH_DATE,
        replies.ASK_REGISTER_BIRTH_DATE,
        then=BOOKING.but(step=Step.REGISTER_BIRTH_DATE, registering_name="Pedro Mamani"),
    ),
    "digits are no name": Row(
        STRANGER, BOOKING.but(step=Step.REGISTER_NAME), "12345", Step.REGISTER_NAME, replies.ASK_NAME_AGAIN
    ),
    "a birth date is kept and the document asked": Row(
        STRANGER,
        BOOKING.but(step=Step.REGISTER_BIRTH_DATE, registering_name="Pedro Mamani"),
        "12/03/1990",
        Step.REGISTER_DOCUMENT,
        replies.ASK_DOCUMENT,
        then=BOOKING.but(
            step=Step.REGISTER_DOCUMENT, registering_name="Pedro Mamani", registering_birth_date=date(1990, 3, 12)
        ),
    ),
    "no birth date, asked again": Row(
        STRANGER,
        BOOKING.but(step=Step.REGISTER_BIRTH_DATE),
        "no sé",
        Step.REGISTER_BIRTH_DATE,
        replies.ASK_BIRTH_DATE_AGAIN,
    ),
    "a known patient is asked the identity question": Row(
        MARIA.phone, DialogState(), "quiero una cita", Step.IDENTITY, replies.ASK_BIRTH_DATE
    ),
    "a wrong birth date counts a failure": Row(
        MARIA.phone,
        BOOKING.but(step=Step.IDENTITY),
        "01/01/2000",
        Step.IDENTITY,
        replies.BIRTH_DATE_WRONG,
        then=BOOKING.but(step=Step.IDENTITY, identity_failures=1),
    ),
    "the last wrong answer locks and hands over": Row(
        MARIA.phone,
        BOOKING.but(step=Step.IDENTITY, identity_failures=SETTINGS.identity_attempts - 1),
        "01/01/2000",
        None,
        replies.IDENTITY_LOCKED,
        action=Action.HUMAN_HANDOFF,
    ),
    "a code with none sent has expired": Row(
        MARIA.phone, BOOKING.but(step=Step.CODE), "123456", Step.CODE, replies.CODE_EXPIRED
    ),
    "anything else at the code step asks for the code again": Row(
        MARIA.phone, BOOKING.but(step=Step.CODE), "el perro ladra", Step.CODE, replies.ASK_CODE_AGAIN
    ),
}


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
async def test_step(bench: DialogBench, row: Row) -> None:
    outcome = await bench.say(row.phone, row.says, row.state)

    assert (outcome.state.step, outcome.text, outcome.action) == (row.step, row.reply, row.action)
    if row.then is not None:
        assert outcome.state == row.then
    assert not bench.sms.received


async def test_right_birth_date_texts_a_code(bench: DialogBench) -> None:
    outcome = await bench.say(MARIA.phone, MARIA.date_of_birth.strftime("%d/%m/%Y"), BOOKING.but(step=Step.IDENTITY))

    assert outcome.state == BOOKING.but(step=Step.CODE)
    assert outcome.text == replies.code_sent(SETTINGS.code_minutes)
    assert [r.body["to"] for r in bench.sms.received] == [MARIA.phone]
    assert bench.audited == [("verification.identity", "success"), ("verification.code_sent", "success")]


async def test_a_document_texts_a_code_to_a_stranger(bench: DialogBench) -> None:
    state = BOOKING.but(
        step=Step.REGISTER_DOCUMENT, registering_name="Pedro Mamani", registering_birth_date=date(1990, 3, 12)
    )

    outcome = await bench.say(STRANGER, "1234567 lp", state)

    assert outcome.state == state.but(step=Step.CODE, registering_document="1234567 LP")
    assert len(bench.sms.codes()) == 1


REGISTERING_DOCUMENT = BOOKING.but(
    step=Step.REGISTER_DOCUMENT, registering_name="Pedro Mamani", registering_birth_date=date(1990, 3, 12)
)


@pytest.mark.parametrize(
    ("says", "stored"),
    [
        ("6.234.871 lp", "6234871 LP"),
        ("6 234 871 LP", "6234871 LP"),
        ("6234871 cb", "6234871 CB"),
        ("6234871 SCZ", "6234871 SC"),
        ("6234871-1A", "6234871-1A"),
        ("6234871-1a LP", "6234871-1A LP"),
        ("CI 6.234.871 L.P.", "6234871 LP"),
        ("mi carnet es 6234871 expedido en Santa Cruz", "6234871 SC"),
    ],
)
async def test_a_carnet_in_its_common_forms_is_stored_in_one(bench: DialogBench, says: str, stored: str) -> None:
    outcome = await bench.say(STRANGER, says, REGISTERING_DOCUMENT)

    assert outcome.state == REGISTERING_DOCUMENT.but(step=Step.CODE, registering_document=stored)
    assert len(bench.sms.codes()) == 1


@pytest.mark.parametrize("says", ["6234871 XY", "1234", "no tengo carnet", "Mamani"])
async def test_what_is_no_carnet_asks_for_it_again(bench: DialogBench, says: str) -> None:
    outcome = await bench.say(STRANGER, says, REGISTERING_DOCUMENT)

    assert (outcome.state, outcome.text) == (REGISTERING_DOCUMENT, replies.ASK_DOCUMENT_AGAIN)
    assert not bench.sms.received


@pytest.mark.parametrize(
    ("says", "name"),
    [
        ("me llamo Rosa Mamani.", "Rosa Mamani"),
        ("Mi nombre completo es ana mamani quispe", "Ana Mamani Quispe"),
        ("Jorge Mamani", "Jorge Mamani"),
    ],
)
async def test_a_name_typed_at_registration_is_a_name_not_a_doctor(bench: DialogBench, says: str, name: str) -> None:
    outcome = await bench.say(STRANGER, says, BOOKING.but(step=Step.REGISTER_NAME))

    assert outcome.state == BOOKING.but(step=Step.REGISTER_BIRTH_DATE, registering_name=name)
    assert outcome.text == replies.ASK_REGISTER_BIRTH_DATE


async def test_a_surname_alone_at_registration_asks_for_the_whole_name_and_books_nothing(bench: DialogBench) -> None:
    state = BOOKING.but(step=Step.REGISTER_NAME)

    outcome = await bench.say(STRANGER, "Mamani", state)

    assert (outcome.state, outcome.text) == (state, replies.ASK_NAME_AGAIN)


@pytest.mark.parametrize(
    "state",
    [
        BOOKING.but(step=Step.REGISTER_OFFER),
        DialogState(flow=Flow.LIST, step=Step.REGISTER_OFFER),
        REGISTERING_DOCUMENT.but(step=Step.CODE, registering_document="6234871 LP"),
    ],
    ids=["at the booking's offer", "at the offer to list appointments", "while the code is awaited"],
)
async def test_a_surname_that_is_a_doctors_during_registration_searches_no_doctor(
    bench: DialogBench, state: DialogState
) -> None:
    outcome = await bench.say(STRANGER, "Mamani", state)

    # The question asked stays asked: no booking with Dr. Jorge Mamani, no registration started over.
    assert outcome.state == state
    assert outcome.action is Action.VERIFICATION_REQUIRED
    assert outcome.text in (replies.REGISTER_OFFER, replies.ASK_CODE_AGAIN)


async def test_the_right_code_verifies_and_the_flow_goes_on(bench: DialogBench) -> None:
    await bench.otp.send_code(MARIA.phone, KEY)
    [code] = bench.sms.codes()

    outcome = await bench.say(MARIA.phone, code, BOOKING.but(step=Step.CODE))

    assert outcome.state.step is Step.SPECIALTY  # verified, the booking asks which specialty
    assert outcome.text is not None and outcome.text.startswith(f"{replies.VERIFIED}\n")
    assert await bench.otp.is_verified(MARIA.phone, KEY)


# (the flow the code was asked for, how the reply after it begins) QA: "¡Listo, su identidad está verificada!\nListo,
# ya tiene su lugar en la lista de espera…": the line that says so drops the opener the next reply repeats.
AFTER_THE_CODE = {
    "joining the waitlist": (
        DialogState(flow=Flow.WAITLIST_JOIN, wishes=Wishes(specialty="pediatria")),
        "Su identidad está verificada.\nListo, ya tiene su lugar en la lista de espera para un horario en Pediatría",
    ),
    "another opener: both said": (BOOKING, f"{replies.VERIFIED}\n¿Con qué especialidad"),
}


@pytest.mark.parametrize(("state", "begins"), AFTER_THE_CODE.values(), ids=AFTER_THE_CODE.keys())
async def test_the_verified_line_and_the_next_reply_never_open_alike(
    bench: DialogBench, conn: asyncpg.Connection, state: DialogState, begins: str
) -> None:
    await conn.execute(
        "UPDATE patients SET reminders_consent = true, reminders_consent_at = now() WHERE phone = $1", MARIA.phone
    )
    await bench.otp.send_code(MARIA.phone, KEY)
    [code] = bench.sms.codes()

    outcome = await bench.say(MARIA.phone, code, state.but(step=Step.CODE))

    assert outcome.text is not None and outcome.text.startswith(begins), outcome.text
    assert outcome.text.count("Listo") <= 1


async def test_the_right_code_registers_a_stranger(bench: DialogBench) -> None:
    await bench.otp.send_code(STRANGER, KEY)
    [code] = bench.sms.codes()
    state = BOOKING.but(
        step=Step.CODE,
        registering_name="Pedro Mamani",
        registering_birth_date=date(1990, 3, 12),
        registering_document="1234567 LP",
    )

    outcome = await bench.say(STRANGER, code, state)

    patient = await bench.patient(STRANGER)
    assert (patient.full_name, patient.date_of_birth) == ("Pedro Mamani", date(1990, 3, 12))
    assert outcome.state == BOOKING.but(step=Step.SPECIALTY)
    assert ("patient.registered", "success") in bench.audited


async def test_a_verified_patient_skips_verification(bench: DialogBench) -> None:
    await bench.verified(MARIA.phone)

    outcome = await bench.say(MARIA.phone, "quiero una cita")

    assert outcome.state == BOOKING.but(step=Step.SPECIALTY)


@pytest.mark.parametrize(
    "state",
    [DialogState(), BOOKING.but(step=Step.REGISTER_OFFER), BOOKING.but(step=Step.REGISTER_NAME)],
    ids=["first message", "at the registration offer", "while registration asks the name"],
)
@pytest.mark.parametrize("says", ["reclamo", "Queja", "quiero hacer un reclamo", "tengo una queja"])
async def test_a_complaint_from_a_stranger_goes_to_a_person_wherever_registration_stands(
    bench: DialogBench, state: DialogState, says: str
) -> None:
    outcome = await bench.say(STRANGER, says, state)

    assert (outcome.action, outcome.flag, outcome.state.step) == (Action.HUMAN_HANDOFF, "human_handoff", None)
    assert outcome.text is not None and outcome.text.startswith("Lamento mucho lo ocurrido.")
    assert not bench.sms.received


# A carnet already on file for another patient (QA C11: two people with 6234871 LP): (what the stranger types)
CARNETS_ON_FILE = {
    "as stored": MARIA.document_number,
    "with dots and lowercase": "4.567.891 lp",
    "without its department": "4567891",
}


@pytest.mark.parametrize("says", CARNETS_ON_FILE.values(), ids=CARNETS_ON_FILE.keys())
async def test_a_carnet_on_file_is_not_registered_again(bench: DialogBench, says: str) -> None:
    outcome = await bench.say(STRANGER, says, REGISTERING_DOCUMENT)

    assert (outcome.state, outcome.text, outcome.action) == (
        DialogState(),
        replies.DOCUMENT_ON_FILE,
        Action.HUMAN_HANDOFF,
    )
    assert outcome.flag == "human_handoff"
    assert not bench.sms.received
    assert bench.audited == [("patient.registered", "denied")]


async def test_a_carnet_taken_while_the_code_was_awaited_is_not_registered(
    bench: DialogBench, conn: asyncpg.Connection
) -> None:
    sent = await bench.say(STRANGER, "7654321 LP", REGISTERING_DOCUMENT)
    [code] = bench.sms.codes()
    await conn.execute("UPDATE patients SET document_number = '7654321 LP' WHERE phone = $1", MARIA.phone)

    outcome = await bench.say(STRANGER, code, sent.state)

    assert (outcome.text, outcome.action) == (replies.DOCUMENT_ON_FILE, Action.HUMAN_HANDOFF)
    assert await conn.fetchval("SELECT count(*) FROM patients WHERE phone = $1", STRANGER) == 0


async def test_another_carnet_number_registers(bench: DialogBench) -> None:
    outcome = await bench.say(STRANGER, "4567892 LP", REGISTERING_DOCUMENT)

    assert outcome.state.step is Step.CODE
