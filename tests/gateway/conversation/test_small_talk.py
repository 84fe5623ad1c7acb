"""Small talk about the assistant, the conversation or a feeling gets a template; the rest stays the model's.

Recognition is unit-tested on `understand`; the answers go through POST /chat on real Postgres and Redis,
with the model a real gRPC server (tests/support/fake_inference.py) that records whether it was asked.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from appointments import demo
from appointments.demo import seed_demo_clinic
from gateway.conversation import replies
from gateway.understanding.intents import Intent
from gateway.understanding.nlu import understand
from gateway.understanding.small_talk import SmallTalk
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.chat import ChatPatient
from tests.support.fake_inference import FakeInference, Model, fake_inference_server
from tests.support.gateway import MakeClient

TZ = ZoneInfo("America/La_Paz")
NOW = dt.datetime(2026, 12, 2, 15, 0, tzinfo=TZ)
MARIA = demo.MARIA.phone
MODEL_SAYS = "Qué bueno, me alegra leerle."


def model_saying(reply: str) -> Model:
    def model(turns: Sequence[tuple[str, str]]) -> tuple[str, float]:
        return reply, -1.0

    return model


def kind_of(text: str) -> SmallTalk | None:
    return understand(text, now=NOW, tz=TZ).small_talk


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("sos un robot o una persona?", SmallTalk.ABOUT_ME),
        ("con quien estoy hablando", SmallTalk.ABOUT_ME),
        ("¿y usted cómo se llama?", SmallTalk.ABOUT_ME),
        ("¿tiene sentimientos?", SmallTalk.ABOUT_ME),
        ("¿guardan mis mensajes?", SmallTalk.PRIVACY),
        ("¿me están grabando?", SmallTalk.PRIVACY),
        ("do you speak english?", SmallTalk.LANGUAGE),
        ("¿puede atender en quechua?", SmallTalk.LANGUAGE),
        ("holaaa alguien ahí??", SmallTalk.PRESENCE),
        ("¿me escucha?", SmallTalk.PRESENCE),
        ("¿qué tal su semana?", SmallTalk.HOW_ARE_YOU),
        ("no me entienden nada", SmallTalk.COMPLAINT),
        ("que lento contestan", SmallTalk.COMPLAINT),
        ("😡😡", SmallTalk.COMPLAINT),
        ("no entendí lo que me dijo", SmallTalk.CONFUSED),
        ("¿cómo funciona esto?", SmallTalk.CONFUSED),
        ("?", SmallTalk.CONFUSED),
        ("perdón, era para mi hermana", SmallTalk.APOLOGY),
        ("un ratito porfa", SmallTalk.WAIT),
        ("qué amable, gracias a usted", None),  # thanks with a compliment: a goodbye, not small talk
        ("qué buena atención tienen", SmallTalk.COMPLIMENT),
        ("🥰", SmallTalk.COMPLIMENT),
        ("me siento muy sola estos días", SmallTalk.FEELING_LOW),
        ("ando preocupada por mi mamá", SmallTalk.FEELING_LOW),
        ("nadie se acordó de mi cumpleaños hoy", SmallTalk.FEELING_LOW),  # hurt, not a birthday to celebrate
        ("hoy no tengo ganas de nada", SmallTalk.FEELING_LOW),
        ("jajajaja", SmallTalk.LAUGHTER),
        ("jsjsjs ok", SmallTalk.LAUGHTER),
        ("🤣", SmallTalk.LAUGHTER),
        ("okey", SmallTalk.ACKNOWLEDGE),
        ("ya, listo", SmallTalk.ACKNOWLEDGE),
        ("👍", SmallTalk.ACKNOWLEDGE),
        ("saluditos desde Sucre", SmallTalk.HELLO),
        ("¿le gusta el fútbol?", SmallTalk.TASTES),
        ("¿qué opina de la política?", SmallTalk.TASTES),
        ("cuénteme un chiste", SmallTalk.PLAY),
        ("adivine cuántos años tengo", SmallTalk.PLAY),
        ("perdón, estaba ocupada", SmallTalk.BACK),
        ("ya volví, se me cortó el internet", SmallTalk.BACK),
        ("hoy es mi cumple!!", SmallTalk.BIRTHDAY),
        ("ya soy abuela, nació mi nieta", SmallTalk.GOOD_NEWS),
        ("me casé la semana pasada jaja", SmallTalk.GOOD_NEWS),  # not "me cansé"
        ("ya me cansé", SmallTalk.COMPLAINT),
        ("🎉", SmallTalk.GOOD_NEWS),
        ("¿quién ganó el partido?", SmallTalk.OTHER_QUESTION),
        ("sabe de computadoras", SmallTalk.OTHER_QUESTION),  # a question without its marks
        ("¿qué?", SmallTalk.CONFUSED),
        ("buenas noches quiero saber una cosa", SmallTalk.WILL_ASK),
        ("le puedo hacer una pregunta?", SmallTalk.WILL_ASK),
        ("te puedo preguntar algo personal? tienes novio?", SmallTalk.OTHER_QUESTION),  # asked at once
        ("que malo su servicio 😡", SmallTalk.COMPLAINT),
        ("perdon estaba cocinando jaja", SmallTalk.BACK),
        ("cumplo 60 jaja", SmallTalk.BIRTHDAY),
        ("qué cuenta?", SmallTalk.HOW_ARE_YOU),  # not "¿qué?"
        ("ud tb come? jaja", SmallTalk.ABOUT_ME),
        ("otra vez la misma respuesta??", SmallTalk.COMPLAINT),
        ("quien canta esa cancion de los kjarkas", SmallTalk.OTHER_QUESTION),  # not asked to sing
        # Left to the model: statements that are neither about us, a feeling nor news.
        ("qué lindo día hace", None),
        ("a mi hijo le gusta el fútbol", None),  # not asked of us
        ("se me quemó el arroz", None),
        ("jarabe", None),  # a word that starts like laughter
    ],
)
def test_small_talk_is_recognised_by_kind(text: str, kind: SmallTalk | None) -> None:
    assert kind_of(text) is kind


@pytest.mark.parametrize(
    "text",
    [
        "ok, quiero una cita para mañana",
        "jaja quiero cancelar mi cita",
        "no me entiende, quiero hablar con una persona",
    ],
)
def test_small_talk_never_hides_a_request(text: str) -> None:
    understood = understand(text, now=NOW, tz=TZ)
    assert understood.small_talk is None
    assert understood.intent is not Intent.OTHER


@pytest.mark.parametrize("text", ["persona", "una persona", "con una persona por favor", "operador"])
def test_persona_alone_as_the_replies_ask_for_it_is_a_hand_over(text: str) -> None:
    assert understand(text, now=NOW, tz=TZ).intent is Intent.HUMAN_HANDOFF


@pytest.mark.parametrize("text", ["es para una persona mayor", "¿cuántas personas atienden por día?"])
def test_persona_inside_a_sentence_is_not_a_hand_over(text: str) -> None:
    assert understand(text, now=NOW, tz=TZ).intent is not Intent.HUMAN_HANDOFF


@pytest.mark.parametrize("text", ["hola, ¿cómo amaneció?", "¿cómo está?", "hola, ¿cómo está usted? yo bien"])
def test_a_greeting_that_asks_after_us_stays_a_greeting(text: str) -> None:
    understood = understand(text, now=NOW, tz=TZ)
    assert (understood.intent, understood.small_talk) == (Intent.GREETING, SmallTalk.HOW_ARE_YOU)


@pytest.mark.parametrize("text", ["ya me voy a dormir chau", "bueno me voy, buenas noches", "gracias que amable"])
def test_a_message_that_takes_leave_is_a_goodbye(text: str) -> None:
    assert understand(text, now=NOW, tz=TZ).intent is Intent.THANKS_GOODBYE


def test_every_kind_has_two_wordings_or_more_all_different() -> None:
    for kind in SmallTalk:
        wordings = replies.SMALL_TALK[kind]
        assert len(wordings) >= 2 and len(set(wordings)) == len(wordings), kind


@pytest.fixture
def model() -> Iterator[FakeInference]:
    """The model, recording whether it was asked."""
    with fake_inference_server(model_saying(MODEL_SAYS)) as fake:
        yield fake


@pytest.fixture
async def maria(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer, model: FakeInference
) -> ChatPatient:
    await seed_demo_clinic(conn)
    return ChatPatient(await make_client(INFERENCE_TARGET=model.target), api_key, MARIA, sms)


async def test_small_talk_about_the_assistant_gets_a_template_and_the_model_is_not_asked(
    maria: ChatPatient, model: FakeInference, conn: asyncpg.Connection
) -> None:
    robot = await maria.say("eres un robot?")
    weather = await maria.say("hace mucho calor aquí")

    assert robot["response"] == replies.SMALL_TALK[SmallTalk.ABOUT_ME][0]
    assert robot["action"] == "none"
    assert weather["response"] == MODEL_SAYS
    assert len(model.requests) == 1  # the weather only
    rows = await conn.fetch("SELECT meta FROM messages WHERE role = 'assistant' ORDER BY id")
    metas = [json.loads(row["meta"]) for row in rows]
    assert metas[0] == {"source": "template", "small_talk": "about_me"}
    assert metas[1]["source"] == "model"


async def test_a_patient_who_keeps_saying_ok_never_reads_the_same_line_twice_in_a_row(
    maria: ChatPatient, model: FakeInference
) -> None:
    answers = [(await maria.say(text))["response"] for text in ("ok", "bueno", "👍", "ya", "dale")]

    assert all(answer in replies.SMALL_TALK[SmallTalk.ACKNOWLEDGE] for answer in answers)
    assert all(a != b for a, b in itertools.pairwise(answers)), answers
    assert model.requests == []


async def test_a_closing_ok_while_a_person_has_the_conversation_gets_a_small_reply_that_keeps_them_waiting(
    maria: ChatPatient, model: FakeInference
) -> None:
    await maria.say("quiero hablar con una persona")
    ok = await maria.say("ok")
    waiting = await maria.say("hola?? alguien??")

    assert ok["response"] not in replies.SMALL_TALK[SmallTalk.ACKNOWLEDGE]  # not "si necesita algo más…"
    assert ok["response"].startswith("De acuerdo.") and "persona de la clínica" in ok["response"]
    assert waiting["response"] not in replies.SMALL_TALK[SmallTalk.PRESENCE]  # told a person will answer
    assert "persona" in waiting["response"]
    assert model.requests == []


async def test_a_complaint_offers_a_person_with_a_button_that_hands_over(
    maria: ChatPatient, model: FakeInference
) -> None:
    complaint = await maria.say("esto es una pérdida de tiempo, no me entiende nada")
    tapped = await maria.say(complaint["options"][0]["id"])

    assert complaint["response"] in replies.SMALL_TALK[SmallTalk.COMPLAINT]
    assert complaint["options"] == [
        {"id": "hablar con una persona", "title": "Hablar con persona", "description": None}
    ]
    assert tapped["action"] == "human_handoff"
    assert model.requests == []


async def test_a_compliment_is_thanked_not_answered_with_a_goodbye(maria: ChatPatient, model: FakeInference) -> None:
    kind = await maria.say("usted es muy amable")
    thanks = await maria.say("muchas gracias, muy amable, chau")

    assert kind["response"] == replies.SMALL_TALK[SmallTalk.COMPLIMENT][0]
    assert thanks["response"].startswith("¡Gracias por escribirnos!")


async def test_a_greeting_that_asks_how_we_are_is_answered_before_the_menu(
    maria: ChatPatient, model: FakeInference
) -> None:
    answer = await maria.say("buenas, ¿cómo amaneció?")

    assert answer["response"] == replies.GREETING_AND_HOW_ARE_YOU
    assert model.requests == []


async def test_small_talk_in_the_middle_of_a_booking_asks_the_pending_question_again(
    maria: ChatPatient, model: FakeInference
) -> None:
    asked = await maria.verify("quiero una cita", f"nací el {demo.MARIA.date_of_birth:%d/%m/%Y}")
    laughed = await maria.say("jajaja")

    assert "¿Con qué especialidad" in asked["response"], asked
    assert "¿Con qué especialidad" in laughed["response"], laughed
    assert model.requests == []


async def test_what_a_patient_who_feels_low_says_next_is_heard_as_part_of_the_same_feeling(
    maria: ChatPatient, model: FakeInference
) -> None:
    low = await maria.say("me siento sola")
    more = await maria.say("mis hijos ya no me visitan y paso todo el dia sin hablar con nadie")
    later = await maria.say("hace mucho calor aquí")

    feeling = replies.SMALL_TALK[SmallTalk.FEELING_LOW]
    assert low["response"] in feeling and more["response"] in feeling and more["response"] != low["response"]
    assert later["response"] not in feeling  # once the patient moves on, so do we
