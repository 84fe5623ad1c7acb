"""Who an appointment is for, as a parent or a spouse says it: "para mi hijo", "a nombre de Mateo", "para mí".

`whom(text)` reads the mention, if any: the patient themself, someone else not yet named ("otra persona"), a
relation ("para mi hijo", "la cita de mi mamá", "es mi esposo") and a name. A relation counts only after a word
that makes the person the one the appointment is for, or alone ("mi hijo"): in "mi esposo se queja de dolor, quiero
una cita" the patient may well want it for herself. A name is taken after words that announce one ("a nombre de",
"se llama", "para") or after a relation; without "a nombre de" or "se llama" it must be written with a capital
("mi hijo Mateo"), because "para mañana" names nobody. Names of people already registered are matched by the
conversation, which knows them (`names_in`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Final

from gateway.understanding.normalize import fold


class Relation(StrEnum):
    """How the phone's holder calls a family member; the values are what the clinic stores."""

    HIJO = "hijo"
    HIJA = "hija"
    MADRE = "madre"
    PADRE = "padre"
    ESPOSO = "esposo"
    ESPOSA = "esposa"
    HERMANO = "hermano"
    HERMANA = "hermana"
    ABUELO = "abuelo"
    ABUELA = "abuela"
    NIETO = "nieto"
    NIETA = "nieta"


# Folded words after "mi" that say who: diminutives and the everyday words Bolivians use.
_RELATIONS: Final = {
    "hijo": Relation.HIJO,
    "hijito": Relation.HIJO,
    "nino": Relation.HIJO,
    "hija": Relation.HIJA,
    "hijita": Relation.HIJA,
    "nina": Relation.HIJA,
    "mama": Relation.MADRE,
    "mami": Relation.MADRE,
    "mamita": Relation.MADRE,
    "madre": Relation.MADRE,
    "papa": Relation.PADRE,
    "papi": Relation.PADRE,
    "papito": Relation.PADRE,
    "padre": Relation.PADRE,
    "esposo": Relation.ESPOSO,
    "marido": Relation.ESPOSO,
    "esposa": Relation.ESPOSA,
    "senora": Relation.ESPOSA,
    "hermano": Relation.HERMANO,
    "hermanito": Relation.HERMANO,
    "hermana": Relation.HERMANA,
    "hermanita": Relation.HERMANA,
    "abuelo": Relation.ABUELO,
    "abuelito": Relation.ABUELO,
    "abuela": Relation.ABUELA,
    "abuelita": Relation.ABUELA,
    "nieto": Relation.NIETO,
    "nieta": Relation.NIETA,
}
# Words that end a name: courtesy, small words and what commonly follows a name in a request.
_NOT_NAME: Final = frozenset(
    {
        "a", "al", "con", "de", "del", "el", "en", "es", "esta", "favor", "gracias", "la", "las", "lo", "los", "mi",
        "mis", "nomas", "nada", "o", "para", "pls", "please", "por", "porfa", "porfis", "porfavor", "que", "se", "si",
        "su", "sus", "tiene", "un", "una", "uno", "y", "ya", "yo", "cita", "citas", "consulta", "hoy", "manana",
        "tarde", "noche", "pasado", "lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo", "mismo",
        "misma", "pues", "ps", "nombre", "doctor", "doctora", "dr", "dra", "medicina", "general", "pediatria",
        "pediatra", "cardiologia", "cardiologo", "ginecologia", "ginecologo", "dermatologia", "dermatologo",
        "odontologia", "odontologo", "dentista", "traumatologia", "traumatologo", "oftalmologia", "oftalmologo",
        "psicologia", "psicologo",
    }
)  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")
_MAX_NAME_WORDS = 4
# "A mi nombre", "yo", "soy yo": the patient themself. "Para mí" is read word by word (`_for_myself`): folded, it
# also begins "para mi hijo".
_MYSELF = re.compile(r"\ba mi nombre\b|^(?:es )?(?:yo|soy yo|yo mism[oa])$")
# People "mi …" may be besides the relations the clinic stores: the appointment is someone else's, name unknown.
_OTHER_PEOPLE: Final = frozenset(
    {
        "bebe", "bebito", "bebita", "nene", "nena", "wawa", "wawita", "guagua", "cunado", "cunada", "tio", "tia",
        "sobrino", "sobrina", "primo", "prima", "suegro", "suegra", "nuera", "yerno", "amigo", "amiga", "vecino",
        "vecina", "novio", "novia", "pareja", "ahijado", "ahijada", "padrino", "madrina", "empleada", "empleado",
    }
)  # fmt: skip
_SOMEONE_ELSE = re.compile(r"\b(?:otra persona|otro familiar|alguien mas|otro paciente)\b")
# The words before "mi hijo" that make him the one the appointment is for: "para", "de" (la cita de), "a nombre de",
# "a" (sacar ficha a mi hijo), "es" (es mi esposo).
_FOR_THEM: Final = frozenset({"para", "de", "a", "es"})
# Words that announce a name; with these a name may be written in small letters.
_NAMING = (("a", "nombre", "de"), ("se", "llama"), ("nombre", "es"))
_PRONOUNS: Final = frozenset({"el", "ella"})


@dataclass(frozen=True, slots=True)
class Mention:
    """Who the message says the appointment is for; every field empty means it said nothing about it."""

    myself: bool = False
    someone_else: bool = False
    relation: Relation | None = None
    name: str | None = None
    # A relative only told about ("mi esposo se queja de la espalda, quiero una cita"): the appointment may be
    # theirs or the patient's own, so the conversation asks.
    uncertain: bool = False


def whom(text: str) -> Mention | None:
    """The mention of who the appointment is for, or None when the message makes none."""
    words = [(m.group(0), fold(m.group(0))) for m in _WORD.finditer(text)]
    folded = [plain for _, plain in words]
    relation, name = _relation_and_name(words)
    if name is None:
        name = _announced_name(words)
    joined = " ".join(folded)
    myself = relation is None and name is None and (_for_myself(folded) or bool(_MYSELF.search(joined)))
    someone_else = (
        relation is None and name is None and not myself and (bool(_SOMEONE_ELSE.search(joined)) or _for_other(folded))
    )
    if not (myself or someone_else or relation or name):
        told = _relative_told_about(folded)
        return None if told is None else Mention(relation=told, uncertain=True)
    return Mention(myself=myself, someone_else=someone_else, relation=relation, name=name)


def _for_myself(folded: list[str]) -> bool:
    """ "Para mí", "una para mí, medicina general", "para mi control": "para mi" not followed by a person."""
    for at in range(len(folded) - 1):
        if folded[at : at + 2] == ["para", "mi"]:
            after = folded[at + 2] if at + 2 < len(folded) else None
            if after is None or (after not in _RELATIONS and after not in _OTHER_PEOPLE):
                return True
    return False


def _for_other(folded: list[str]) -> bool:
    """ "Para mi cuñada", "es para mi bebé": someone the clinic keeps no relation for."""
    return any(
        word == "mi" and after in _OTHER_PEOPLE and (at == 0 or folded[at - 1] in _FOR_THEM)
        for at, (word, after) in enumerate(pairwise(folded))
    )


def _relative_told_about(folded: list[str]) -> Relation | None:
    """The one relative a message tells about ("mi esposo", "mi hijita"), or None when none or several."""
    told = {_RELATIONS[word] for before, word in pairwise(folded) if before == "mi" and word in _RELATIONS}
    return told.pop() if len(told) == 1 else None


# What may stand around a mention in a message that says nothing else: "sí, es para mi hijo Mateo, porfa".
_AROUND_A_MENTION: Final = frozenset(
    {
        "para", "mi", "a", "nombre", "de", "es", "la", "el", "cita", "si", "confirmo", "porfa", "por", "favor",
        "gracias", "nomas", "pues", "ok", "ya", "bueno", "seria", "otra", "persona", "misma", "mismo", "yo",
    }
)  # fmt: skip


def only_whom(text: str, mention: Mention | None) -> bool:
    """Whether the message says who an appointment is for and nothing else ("para mi hijo", "sí, para mi mamá").

    Such a message tells of no emergency, whatever the learned emergency model makes of it: it read "para mi
    hijo" and "para mi mamá" as self-harm. A name in small letters is not known to be one, so with it this is
    False and the message is read as any other. `mention` is `whom(text)`, read once by the caller.
    """
    if mention is None:
        return False
    named = {fold(word) for word in _WORD.findall(mention.name or "")}
    allowed = _AROUND_A_MENTION | _RELATIONS.keys() | named
    return all(fold(word) in allowed for word in _WORD.findall(text))


def names_in(text: str, names: Sequence[str]) -> list[int]:
    """Which of `names` the message names, by index: a name matches when its first word, or the whole name,
    is written ("Mateo", "para mateo", "la de Mateo López"), accents and case aside."""
    said = f" {' '.join(fold(w) for w in _WORD.findall(text))} "
    found = []
    for i, name in enumerate(names):
        parts = [fold(w) for w in _WORD.findall(name)]
        if parts and (f" {' '.join(parts)} " in said or f" {parts[0]} " in said):
            found.append(i)
    return found


def _relation_and_name(words: list[tuple[str, str]]) -> tuple[Relation | None, str | None]:
    """ "Para mi hijo Mateo": the relation and the name written after it, if any."""
    for i, (_, plain) in enumerate(words[:-1]):
        relation = _RELATIONS.get(words[i + 1][1])
        if plain != "mi" or relation is None:
            continue
        announced = any(_follows(words, i, naming) for naming in _NAMING)
        name = _name_at(words, i + 2, small_letters=announced)
        if i > 0 and words[i - 1][1] in _FOR_THEM:
            return relation, name
        # "Mi hijo", "mi hijo Mateo, porfa" as the whole answer; not "mi hijo tiene fiebre".
        rest = words[i + 2 + len(name.split() if name else []) :]
        if i == 0 and all(plain in _AROUND_A_MENTION for _, plain in rest):
            return relation, name
    return None, None


def _announced_name(words: list[tuple[str, str]]) -> str | None:
    """ "a nombre de Mateo", "se llama mateo", "para Mateo": the name announced."""
    folded = [plain for _, plain in words]
    for i in range(len(words)):
        for naming in _NAMING:
            if tuple(folded[i : i + len(naming)]) == naming:
                after = i + len(naming)
                if after < len(words) and folded[after] in _PRONOUNS:  # "a nombre de él, Pedro Mamani"
                    after += 1
                name = _name_at(words, after, small_letters=True)
                if name is not None:
                    return name
        if folded[i] == "para":
            name = _name_at(words, i + 1, small_letters=False)
            if name is not None:
                return name
    return None


def _follows(words: list[tuple[str, str]], at: int, naming: tuple[str, ...]) -> bool:
    """Whether the words just before position `at` are `naming` ("a nombre de" mi hijo ...)."""
    start = at - len(naming)
    return start >= 0 and tuple(plain for _, plain in words[start:at]) == naming


def _name_at(words: list[tuple[str, str]], start: int, *, small_letters: bool) -> str | None:
    """The name that starts at `start`: up to four words that are not small words, capitalized unless announced."""
    taken: list[str] = []
    for written, plain in words[start : start + _MAX_NAME_WORDS]:
        if plain in _NOT_NAME or plain in _RELATIONS or len(plain) < 2:
            break
        if not small_letters and not written[0].isupper():
            break
        taken.append(written)
    if not taken:
        return None
    return " ".join(word[:1].upper() + word[1:].lower() for word in taken)
