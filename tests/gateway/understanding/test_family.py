"""Who an appointment is for, read from the patient's words."""

from __future__ import annotations

import pytest

from gateway.understanding.family import Mention, Relation, names_in, whom

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
    "a son with a symptom": ("mi hijo tiene fiebre", Mention(relation=Relation.HIJO)),
}


@pytest.mark.parametrize(("text", "mention"), MENTIONS.values(), ids=MENTIONS.keys())
def test_whom(text: str, mention: Mention) -> None:
    assert whom(text) == mention


@pytest.mark.parametrize(
    "text",
    [
        "para mañana",
        "quiero cita para el lunes",
        "para mi control",
        "Mateo",
        "sí",
        "Quiero una cita Para Pediatría",
        "hijo",
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
