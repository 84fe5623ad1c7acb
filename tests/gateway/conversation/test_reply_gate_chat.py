"""What the model writes reaches a patient only through the reply gate, and not at all once a person
has the conversation: POST /chat on real Postgres and Redis, with the model a real gRPC server
(tests/support/fake_inference.py) that says what each test chooses."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

import asyncpg
import pytest

from appointments import demo
from appointments.demo import seed_demo_clinic
from gateway.conversation import replies
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.chat import ChatPatient
from tests.support.clock import NIGHT, open_zone, zone_at
from tests.support.fake_inference import Model, fake_inference_server
from tests.support.gateway import MakeClient

MARIA = demo.MARIA.phone


def saying(reply: str, logprob: float = -1.0) -> Model:
    """A model that always says `reply`, scoring it `logprob`."""

    def model(turns: Sequence[tuple[str, str]]) -> tuple[str, float]:
        return reply, logprob

    return model


async def stored_assistant_meta(conn: asyncpg.Connection) -> list[dict[str, object]]:
    rows = await conn.fetch("SELECT meta FROM messages WHERE role = 'assistant' ORDER BY id")
    return [json.loads(row["meta"]) for row in rows]


@pytest.mark.parametrize(
    ("patient_says", "model_says", "reason"),
    [
        ("mi perrito se llama Toby", "Gracias señorita", "gendered_address"),
        ("😴", "Jimenado  recomiendo una llevar una orden. Por necesito su médico, lo", "broken_grammar"),
        ("qué lindo día", "Perfecto. ¡Cuídese mucho?", "broken_punctuation"),
        ("hace mucho calor aquí", "Sí, dolor de Bs 200. Puede pagar en efectivo.", "number"),
        ("ok, pero le cerca", "ok, pero le cerca?", "broken_grammar"),
        ("estoy cocinando", "Qué rico, el lunes le espero.", "day_or_date"),
    ],
)
async def test_a_reply_the_gate_refuses_never_reaches_the_patient_and_a_template_answers(
    make_client: MakeClient,
    conn: asyncpg.Connection,
    api_key: str,
    sms: FakeSmsServer,
    patient_says: str,
    model_says: str,
    reason: str,
) -> None:
    await seed_demo_clinic(conn)
    with fake_inference_server(saying(model_says)) as model:
        gateway = await make_client(INFERENCE_TARGET=model.target)
        answer = await ChatPatient(gateway, api_key, MARIA, sms).say(patient_says)

    assert len(model.requests) == 1  # the model was asked
    assert answer["response"] == replies.GATE_FALLBACKS[0]
    assert answer["action"] == "none"
    [meta] = await stored_assistant_meta(conn)
    assert meta["source"] == "template"
    assert meta["rejected"] == reason


async def test_a_patient_who_keeps_writing_gets_the_honest_templates_in_turn_never_twice_in_a_row(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    with fake_inference_server(saying("Gracias señorita")) as model:
        gateway = await make_client(INFERENCE_TARGET=model.target)
        maria = ChatPatient(gateway, api_key, MARIA, sms)
        said = ("hace calor", "se me quemó el arroz", "qué lindo día", "estoy cocinando")
        answers = [(await maria.say(text))["response"] for text in said]

    assert answers == [*replies.GATE_FALLBACKS, replies.GATE_FALLBACKS[0]]
    assert all(a != b for a, b in itertools.pairwise(answers))


async def test_a_reply_the_model_itself_scores_below_the_threshold_is_not_sent(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    fluent = "Con gusto, aquí estamos para ayudarle."
    with fake_inference_server(saying(fluent, logprob=-9.5)) as unlikely:
        gateway = await make_client(INFERENCE_TARGET=unlikely.target, REPLY_MIN_LOGPROB=-7.0)
        refused = await ChatPatient(gateway, api_key, MARIA, sms).say("está lloviendo fuerte")
    with fake_inference_server(saying(fluent, logprob=-4.0)) as likely:
        gateway = await make_client(INFERENCE_TARGET=likely.target, REPLY_MIN_LOGPROB=-7.0)
        sent = await ChatPatient(gateway, api_key, demo.JUAN.phone, sms).say("está lloviendo fuerte")

    assert refused["response"] == replies.GATE_FALLBACKS[0]
    assert sent["response"] == fluent
    metas = await stored_assistant_meta(conn)
    assert metas[0]["rejected"] == "low_logprob"
    assert metas[0]["mean_logprob"] == -9.5
    assert metas[1]["source"] == "model"


async def test_after_a_hand_over_the_model_is_not_called_and_the_patient_is_told_what_happens_next(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    with fake_inference_server(saying("Gracias por avisar. Estamos para hoy?")) as model:
        gateway = await make_client(INFERENCE_TARGET=model.target, CLINIC_TIMEZONE=open_zone(), EMERGENCY_NUMBER="168")
        maria = ChatPatient(gateway, api_key, MARIA, sms)
        handed = await maria.say("quiero hablar con una persona")
        waiting = [
            (await maria.say(text))["response"]
            for text in ("hola?? alguien??", "alguien me lee??", "???", "sigo esperando")
        ]

    assert handed["action"] == "human_handoff"
    assert model.requests == []
    expected = replies.handoff_waiting("168", None)
    assert waiting == [*expected, expected[0]]
    assert "persona de la clínica" in waiting[0] and "le responderá por aquí lo antes posible" in waiting[0]
    # The one that speaks of emergencies says whom to call.
    assert [text for text in expected if "emergencia" in text] == [expected[2]]
    assert "llame al 168" in expected[2]
    metas = await stored_assistant_meta(conn)
    assert [m.get("rejected") for m in metas[1:]] == ["awaiting_person"] * 4


async def test_after_a_hand_over_at_night_a_person_answers_when_the_clinic_opens_and_emergencies_get_the_number(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    with fake_inference_server(saying("Gracias por avisar.")) as model:
        gateway = await make_client(
            INFERENCE_TARGET=model.target, CLINIC_TIMEZONE=zone_at(NIGHT), EMERGENCY_NUMBER="168"
        )
        maria = ChatPatient(gateway, api_key, MARIA, sms)
        await maria.say("quiero hablar con una persona")
        waiting = [
            (await maria.say(text))["response"] for text in ("alguien me lee??", "sigo esperando", "hola?? alguien??")
        ]

    assert model.requests == []
    assert len(set(waiting)) == 3
    assert waiting[0].startswith("Ahora la clínica está cerrada.")
    for text in waiting:
        assert "cuando abramos" in text and "a las 08:00" in text, text  # the demo clinic opens at 08:00
        assert "lo antes posible" not in text
    assert "Si es una emergencia, llame al 168" in waiting[2]


async def test_greetings_and_small_talk_while_a_person_has_the_conversation_only_say_that_person_will_answer(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    with fake_inference_server(saying("Qué frío, ¿verdad?")) as model:
        gateway = await make_client(INFERENCE_TARGET=model.target, CLINIC_TIMEZONE=open_zone(), EMERGENCY_NUMBER="168")
        maria = ChatPatient(gateway, api_key, MARIA, sms)
        await maria.say("quiero hablar con una persona")
        said = (
            "gracias señorita, ¿y cómo está usted? qué frío hace hoy",
            "hola?",
            "buenos días",
            "saludos desde El Alto",
        )
        waiting = [await maria.say(text) for text in said]

    assert model.requests == []
    answers = [answer["response"] for answer in waiting]
    expected = replies.handoff_waiting("168", None)
    assert answers == [*expected, expected[0]], answers
    for answer in waiting:
        assert answer["action"] == "none"
        assert answer["response"] not in (replies.GREETING, replies.GREETING_AND_HOW_ARE_YOU)
    metas = await stored_assistant_meta(conn)
    assert [m.get("rejected") for m in metas[1:]] == ["awaiting_person"] * 4


async def test_thanks_while_a_person_has_the_conversation_keeps_the_patient_waiting_in_other_words_each_time(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    with fake_inference_server(saying("De nada.")) as model:
        gateway = await make_client(INFERENCE_TARGET=model.target, CLINIC_TIMEZONE=open_zone())
        maria = ChatPatient(gateway, api_key, MARIA, sms)
        await maria.say("quiero hablar con una persona")
        thanked = [(await maria.say(text))["response"] for text in ("muchas gracias", "gracias", "ok", "jajaja")]

    assert model.requests == []
    closing = replies.handoff_closing(None, None)
    assert thanked[:2] == [closing[0], closing[1]]
    assert thanked[0] == "Con gusto. Una persona de la clínica le responderá por aquí."
    assert thanked[2].startswith("De acuerdo.") and "persona" in thanked[2]
    assert thanked[3].startswith("😊")
    for text in thanked:
        assert "buen día" not in text and "Gracias por escribirnos" not in text, text


async def test_at_night_thanks_while_waiting_says_when_a_person_will_answer(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    with fake_inference_server(saying("De nada.")) as model:
        gateway = await make_client(INFERENCE_TARGET=model.target, CLINIC_TIMEZONE=zone_at(NIGHT))
        maria = ChatPatient(gateway, api_key, MARIA, sms)
        await maria.say("quiero hablar con una persona")
        thanks = await maria.say("muchas gracias")

    assert model.requests == []
    assert thanks["response"].startswith("Con gusto. Una persona de la clínica le responderá por aquí cuando abramos,")
    assert "a las 08:00" in thanks["response"]


async def test_requests_while_a_person_has_the_conversation_are_still_answered_and_emergencies_always(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    with fake_inference_server(saying("Con gusto.")) as model:
        gateway = await make_client(INFERENCE_TARGET=model.target, CLINIC_TIMEZONE=open_zone(), EMERGENCY_NUMBER="168")
        maria = ChatPatient(gateway, api_key, MARIA, sms)
        await maria.say("quiero hablar con una persona")
        hours = await maria.say("¿cuál es su horario de atención?")
        urgent = await maria.say("hola, mi papá no respira y está morado")

    assert model.requests == []
    assert "horario" in hours["response"] and "persona" not in hours["response"], hours
    assert urgent["action"] == "emergency", urgent
    assert "168" in urgent["response"]


async def test_after_an_identity_lockout_the_model_is_not_called(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    with fake_inference_server(saying("Con gusto, aquí estamos para ayudarle.")) as model:
        gateway = await make_client(INFERENCE_TARGET=model.target, CLINIC_TIMEZONE=open_zone())
        maria = ChatPatient(gateway, api_key, MARIA, sms)
        await maria.say("quiero una cita")
        for wrong in ("22/05/1987", "23/05/1987", "21 de mayo de 1978"):
            locked = await maria.say(wrong)
        after = await maria.say("hola?? alguien??")

    assert locked["action"] == "human_handoff"
    assert model.requests == []
    # Locked out, the patient cannot book here: a person helps them verify, and no appointments are offered.
    assert after["response"] == replies.handoff_waiting(None, None, locked=True)[0]
    assert "verificar su identidad" in after["response"]
    assert "agendar" not in after["response"]


async def test_after_a_code_lockout_the_model_is_not_called(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    with fake_inference_server(saying("Con gusto, aquí estamos para ayudarle.")) as model:
        gateway = await make_client(INFERENCE_TARGET=model.target, CLINIC_TIMEZONE=open_zone())
        maria = ChatPatient(gateway, api_key, MARIA, sms)
        await maria.say("mis citas")
        born = next(p for p in demo.PATIENTS if p.phone == MARIA).date_of_birth.strftime("%d/%m/%Y")
        await maria.say(born)
        wrong = f"{(int(maria.last_code()) + 1) % 1_000_000:06d}"
        for _ in range(5):
            locked = await maria.say(wrong)
        after = await maria.say("hola?? alguien??")

    assert "bloqueada" in locked["response"]
    assert model.requests == []
    assert after["response"] == replies.handoff_waiting(None, None, locked=True)[0]


async def test_a_booking_request_after_a_hand_over_brings_the_model_back_for_small_talk(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    with fake_inference_server(saying("Con gusto, aquí estamos para ayudarle.")) as model:
        gateway = await make_client(INFERENCE_TARGET=model.target)
        maria = ChatPatient(gateway, api_key, MARIA, sms)
        await maria.say("quiero hablar con una persona")
        born = next(p for p in demo.PATIENTS if p.phone == MARIA).date_of_birth.strftime("%d/%m/%Y")
        listed = await maria.verify("mis citas", f"nací el {born}")
        after = await maria.say("está lloviendo fuerte")

    assert listed["action"] == "list_appointments", listed
    assert after["response"] == "Con gusto, aquí estamos para ayudarle."
    assert len(model.requests) == 1
