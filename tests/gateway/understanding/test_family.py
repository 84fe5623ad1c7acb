"""Who an appointment is for, read from the patient's words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gateway.understanding import Emergency, Intent, understand
from gateway.understanding.emergency_model import EmergencyModel
from gateway.understanding.family import Mention, Relation, names_in, only_whom, whom

TZ = ZoneInfo("America/La_Paz")
NOW = datetime(2030, 3, 4, 9, tzinfo=TZ)

MENTIONS = {
    "a yes with a son's name": (
        "sí confirmo, a nombre de mi hijo Mateo porfa",
        Mention(relation=Relation.HIJO, name="Mateo"),
    ),
    "a son": ("para mi hijo", Mention(relation=Relation.HIJO)),
    "a husband in a request": ("quiero una cita para mi esposo", Mention(relation=Relation.ESPOSO)),
    "mum, with the accent": ("para mi mamá", Mention(relation=Relation.MADRE)),
    "dad, without it": ("es para mi papa", Mention(relation=Relation.PADRE)),
    "a wife as 'mi señora'": ("la cita es para mi señora", Mention(relation=Relation.ESPOSA)),
    "a daughter with a full name": (
        "Para mi hija Sofía Quispe, pediatría",
        Mention(relation=Relation.HIJA, name="Sofía Quispe"),
    ),
    "a name announced in small letters": ("a nombre de mateo lópez por favor", Mention(name="Mateo López")),
    "se llama": ("se llama Luis Alberto", Mention(name="Luis Alberto")),
    "para and a capitalized name": ("para Mateo", Mention(name="Mateo")),
    "myself": ("para mí", Mention(myself=True)),
    "myself, with nomás": ("es para mi nomas", Mention(myself=True)),
    "yo": ("yo", Mention(myself=True)),
    "a mi nombre": ("a mi nombre porfa", Mention(myself=True)),
    "someone else": ("otra persona", Mention(someone_else=True)),
    "a son alone": ("mi hijo", Mention(relation=Relation.HIJO)),
    "whose appointment": ("quiero cancelar la cita de mi mamá", Mention(relation=Relation.MADRE)),
    "a name and who he is": ("él se llama Ricardo, es mi esposo", Mention(relation=Relation.ESPOSO, name="Ricardo")),
    "a name after 'a nombre de él'": (
        "La cita sería a nombre de él, Pedro Mamani Quispe, su carnet es 4.512.377 LP",
        Mention(name="Pedro Mamani Quispe"),
    ),
    # A relative told about may be the one the appointment is for, or not: the conversation asks.
    "a relative told about": (
        "quiero una cita con medicina general para el sábado, mi esposo se queja de dolor de garganta",
        Mention(relation=Relation.ESPOSO, uncertain=True),
    ),
    "a child with fever": ("mi hijo tiene fiebre", Mention(relation=Relation.HIJO, uncertain=True)),
    # "Para mí" followed by anything but a person: the patient themself (QA: "para mí, Rosa…" was read as nobody).
    "para mí, then the request": ("ahora una para mí, medicina general el lunes", Mention(myself=True)),
    "para mí and her own name": (
        "quiero una cita para mí, Rosa Quispe Choque, medicina general el martes",
        Mention(myself=True),
    ),
    "para mi control": ("cita para mi control", Mention(myself=True)),
    "a relative the clinic keeps no relation for": ("es para mi cuñada", Mention(someone_else=True)),
    "a baby": ("para mi bebé", Mention(someone_else=True)),
}


@pytest.mark.parametrize(("text", "mention"), MENTIONS.values(), ids=MENTIONS.keys())
def test_whom(text: str, mention: Mention) -> None:
    assert whom(text) == mention


@pytest.mark.parametrize(
    "text",
    [
        "para mañana",
        "quiero cita para el lunes",
        "Mateo",
        "sí",
        "Quiero una cita Para Pediatría",
        "hijo",
        # Two relatives told about: no one to ask about.
        "quiero cita, mi hijo y mi esposo están bien",
    ],
)
def test_no_mention(text: str) -> None:
    assert whom(text) is None


def test_a_small_letter_word_after_a_relation_is_no_name_unless_announced() -> None:
    assert whom("para mi hijo mateo") == Mention(relation=Relation.HIJO)
    assert whom("a nombre de mi hijo mateo") == Mention(relation=Relation.HIJO, name="Mateo")


@pytest.mark.parametrize(
    ("text", "found"),
    [("para mateo porfa", [0]), ("sofia", [1]), ("MATEO LOPEZ", [0]), ("para mi hija", []), ("mateito", [])],
)
def test_names_in(text: str, found: list[int]) -> None:
    assert names_in(text, ["Mateo López", "Sofía"]) == found


@pytest.mark.parametrize(
    ("text", "only"),
    [
        ("para mi hijo", True),
        ("sí, es para mi mamá porfa", True),
        ("para mi hijo Mateo", True),
        ("para mi hijo mateo", False),  # a small-letter word is not known to be a name
        ("para mi hijo, se quiere matar", False),
        ("quiero una cita para mi hijo", False),
        ("para mañana", False),
    ],
)
def test_only_whom(text: str, only: bool) -> None:
    assert only_whom(text, whom(text)) is only


@pytest.fixture(scope="module")
def shipped() -> EmergencyModel:
    return EmergencyModel.load()


@pytest.mark.parametrize("text", ["para mi hijo", "para mi mamá", "para mi hermano", "sí, para mi hijo"])
def test_saying_who_an_appointment_is_for_is_no_emergency(shipped: EmergencyModel, text: str) -> None:
    # The shipped model alone reads these as self-harm or a medical emergency.
    assert understand(text, now=NOW, tz=TZ, emergency_model=shipped).intent is not Intent.EMERGENCY


def test_an_emergency_after_the_mention_is_still_one(shipped: EmergencyModel) -> None:
    understood = understand("para mi hijo, se quiere matar", now=NOW, tz=TZ, emergency_model=shipped)

    assert (understood.intent, understood.emergency) == (Intent.EMERGENCY, Emergency.SELF_HARM)
