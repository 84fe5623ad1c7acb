"""The learned emergency model: read as scikit-learn trained it, current with its data, and heard in the chat.

The chat tests load a small model trained here on made-up words (through `EMERGENCY_MODEL_PATH`), so what they
prove does not move when the shipped model is retrained; the shipped one is tested on phrasings from the blind
set (`eval/emergency_fourth.jsonl`) that the patterns miss.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from appointments import demo
from appointments.demo import seed_demo_clinic
from gateway.conversation import replies
from gateway.understanding.emergencies import Emergency
from gateway.understanding.emergency_model import DEFAULT_PATH, EmergencyModel, model_text
from gateway.understanding.intents import Intent
from gateway.understanding.nlu import understand
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.chat import ChatPatient
from tests.support.fake_inference import FakeInference, fake_inference_server
from tests.support.gateway import MakeClient
from tools import train_emergency_model as training

TZ = ZoneInfo("America/La_Paz")
NOW = dt.datetime(2026, 12, 9, 20, 15, tzinfo=TZ)

# Made-up words, so that only the tiny model below can read them as an emergency.
TINY_DATA = [
    *(("el zorblax de mi tio esta muy mal", "medical"),) * 2,
    *(("mi abuela tiene zorblax fuerte y grave ahora", "medical"),) * 2,
    *(("quiero plimbar para siempre esta noche", "self_harm"),) * 2,
    *(("ya decidi plimbar, nadie me va a extrañar", "self_harm"),) * 2,
    *(("quiero una cita con el doctor el lunes", "none"),) * 2,
    *(("hola buenas tardes, cuanto cuesta la consulta", "none"),) * 2,
    *(("gracias por todo, hasta luego", "none"),) * 2,
]


def tiny_model(path: Path) -> tuple[Path, object]:
    texts = [model_text(text) for text, _ in TINY_DATA]
    labels = [label for _, label in TINY_DATA]
    model = training.pipeline().fit(texts, labels)
    exported = training.export(model, threshold=0.5, extra={})
    with gzip.open(path, "wt", encoding="utf-8") as file:
        json.dump(exported, file)
    return path, model


def test_the_gateway_reads_the_model_as_scikit_learn_computes_it(tmp_path: Path) -> None:
    path, model = tiny_model(tmp_path / "tiny.json.gz")
    reader = EmergencyModel.load(path)
    probes = [
        *(text for text, _ in TINY_DATA),
        "zorblax",  # a word shorter than the longest n-gram
        "mi tio tiene zorblax y quiere plimbar",
        "¿Cuánto cuesta?",
        "",
    ]

    for text in probes:
        expected = training.emergency_probability(model, [model_text(text)])[0]  # type: ignore[arg-type]
        got = reader.probabilities(text)
        assert abs((1 - got["none"]) - expected) < training.AGREEMENT, text


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as file:
        json.dump({"format": 0, "classes": ["none", "medical", "self_harm"]}, file)

    with pytest.raises(ValueError, match="rebuild"):
        EmergencyModel.load(path)


def test_the_shipped_model_was_trained_on_the_data_as_it_is_now() -> None:
    """Change the training data without `make emergency-model` and this fails."""
    with gzip.open(DEFAULT_PATH, "rt", encoding="utf-8") as file:
        recorded = json.load(file)["trained_on"]["sha256"]

    assert recorded == training.data_hash(training.TRAINING_SETS)


def test_the_blind_set_is_not_trained_on() -> None:
    assert not [
        path for path in training.TRAINING_SETS if path.name in {"emergency_fourth.jsonl", "emergency_fifth.jsonl"}
    ]


@pytest.fixture(scope="module")
def shipped() -> EmergencyModel:
    return EmergencyModel.load()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("estoy en el puente mirando para abajo", Emergency.SELF_HARM),
        ("solo queria decir gracias por todo, ya no me van a ver mas", Emergency.SELF_HARM),
        ("mi esposa tiene epoc y esta boqueando, el oxigeno de la casa ya no le alcanza", Emergency.MEDICAL),
        ("hola hola mi abuela no sonrie parejo y tiene el brazo flojito, que hago??", Emergency.MEDICAL),
        # a pet named does not hide the owner's goodbye
        (
            "ya deje todo pagado y arreglado, mi perrito se lo dejo a mi vecina, solo queria avisarle a alguien",
            Emergency.SELF_HARM,
        ),
    ],
)
def test_the_shipped_model_reads_blind_phrasings_the_patterns_miss(
    shipped: EmergencyModel, text: str, kind: Emergency
) -> None:
    assert understand(text, now=NOW, tz=TZ).intent is not Intent.EMERGENCY

    understood = understand(text, now=NOW, tz=TZ, emergency_model=shipped)

    assert (understood.intent, understood.emergency, understood.emergency_learned) == (Intent.EMERGENCY, kind, True)


@pytest.mark.parametrize(
    "text",
    [
        "quiero una cita con cardiología para el lunes a las 10",
        "me duele un poco la cabeza desde ayer, hay ficha para mañana?",
        "el año pasado tuve un infarto, ahora estoy bien y quiero un control",  # long past: not asked
        "vi en una película que se tomó un veneno, ¿eso pasa de verdad?",  # a film: not asked
        "y?",  # too short to read
        "gracias, hasta luego",
    ],
)
def test_the_shipped_model_leaves_ordinary_messages_alone(shipped: EmergencyModel, text: str) -> None:
    understood = understand(text, now=NOW, tz=TZ, emergency_model=shipped)

    assert not understood.emergency_learned
    assert understood.intent is not Intent.EMERGENCY


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("el zorblax de mi perro esta muy mal", None),  # the animal's emergency is the vet's
        ("a mi perrito se lo deje a mi vecina, quiero plimbar para siempre esta noche", Emergency.SELF_HARM),
        ("ya decidi plimbar, cuiden a mi gatito", Emergency.SELF_HARM),
    ],
)
def test_an_animal_named_rules_out_only_its_own_emergency(tmp_path: Path, text: str, kind: Emergency | None) -> None:
    """A pet named once kept the model from reading the owner's own farewell ("ya regalé mis cosas, a mi perro se
    lo dejé a mi vecina")."""
    path, _ = tiny_model(tmp_path / "tiny.json.gz")
    tiny = EmergencyModel.load(path)
    assert tiny.verdict(text) is not None  # the model reads an emergency: whose it is decides

    understood = understand(text, now=NOW, tz=TZ, emergency_model=tiny)

    assert understood.emergency is kind


@pytest.fixture
def model() -> Iterator[FakeInference]:
    def small_talk(turns: Sequence[tuple[str, str]]) -> str:
        return "Con gusto le ayudo."

    with fake_inference_server(small_talk) as fake:
        yield fake


@pytest.fixture
async def gateway(
    make_client: MakeClient, conn: asyncpg.Connection, model: FakeInference, tmp_path: Path
) -> httpx.AsyncClient:
    await seed_demo_clinic(conn)
    path, _ = tiny_model(tmp_path / "tiny.json.gz")
    return await make_client(
        INFERENCE_TARGET=model.target,
        EMERGENCY_NUMBER="168",
        CRISIS_LINE="800 113040",
        EMERGENCY_MODEL_PATH=str(path),
    )


@pytest.fixture
def patient(gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer) -> ChatPatient:
    return ChatPatient(gateway, api_key, demo.MARIA.phone, sms)


async def test_an_emergency_only_the_model_reads_is_answered_flagged_and_can_be_called_off(
    patient: ChatPatient, conn: asyncpg.Connection, model: FakeInference
) -> None:
    answer = await patient.say("el zorblax de mi tio esta muy mal, ayuda")

    assert answer["action"] == "emergency"
    assert answer["response"] == f"{replies.emergency('168')} {replies.EMERGENCY_MAYBE_NOT}"
    reason = await conn.fetchval("SELECT needs_human_reason FROM conversations WHERE user_phone = $1", patient.phone)
    assert reason == "emergency"

    called_off = await patient.say("no, entendió mal, no se trata de una emergencia")

    assert called_off["response"] == replies.EMERGENCY_NOT_ONE
    assert model.requests == []


async def test_self_harm_only_the_model_reads_gets_the_crisis_reply_with_no_way_out_offered(
    patient: ChatPatient,
) -> None:
    answer = await patient.say("ya decidi plimbar esta noche")

    assert answer["action"] == "emergency"
    assert "800 113040" in answer["response"] and "168" in answer["response"]
    assert replies.EMERGENCY_MAYBE_NOT not in answer["response"]


async def test_after_an_emergency_only_the_model_read_a_clinic_question_is_answered(patient: ChatPatient) -> None:
    await patient.say("el zorblax de mi tio esta muy mal, ayuda")

    answer = await patient.say("cuanto cuesta la consulta de pediatria?")

    assert answer["action"] == "none"
    assert answer["response"] == "La consulta de Pediatría cuesta Bs 200."


async def test_after_an_emergency_the_patterns_read_a_clinic_question_is_still_part_of_it(
    patient: ChatPatient,
) -> None:
    await patient.say("mi papá no reacciona")

    answer = await patient.say("cuanto cuesta la consulta de pediatria?")

    assert answer["action"] == "emergency"


def test_an_appointment_reference_never_reads_as_an_emergency(shipped: EmergencyModel) -> None:
    """Random hex once tipped the model now and then ("quiero cancelar la cita 3f2a9c1e-…"): words with digits
    are not read at all."""
    rng = random.Random(7)
    references = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(300)]

    learned = [r for r in references if shipped.verdict(f"quiero cancelar la cita {r}") is not None]

    assert learned == []
