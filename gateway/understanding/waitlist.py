"""Whether a message is about the waitlist: joining it ("anóteme en la lista de espera", "avíseme si se libera"),
seeing it ("mi lista de espera") or leaving it ("salir de la lista de espera"); and whether it answers a slot the
waitlist offered ("no, gracias", "la tomo").

Read on the normalized message with plain expressions: these are few, fixed phrases.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

from gateway.understanding.intents import Intent
from gateway.understanding.nlu import no_in, yes_in
from gateway.understanding.normalize import fold, normalize
from gateway.understanding.vocabulary import word_list


class WaitlistWish(StrEnum):
    JOIN = "join"
    LIST = "list"
    LEAVE = "leave"


_LIST_WORDS = r"(?:la )?lista de espera"
# "La lista", "la lista de espera": in a clinic's chat the only list a patient is on; never another ("de precios").
_THE_LIST = r" (?:la )?lista(?: de espera)?\b(?! de (?!espera))"
_LEAVE: Final = re.compile(
    rf"\b(?:salir|salirme|sacar ?me|saquen ?me|sacame|saqueme|quitar ?me|quiten ?me|borrar ?me|borren ?me|"
    rf"darme de baja|dar de baja|retirar ?me|eliminar ?me)(?: de)? {_LIST_WORDS}\b"
    rf"|\b(?:ya )?no (?:quiero|kiero|deseo) (?:estar|seguir|quedar ?me)(?: en)?{_THE_LIST}"
    rf"|\bya no (?:quiero|deseo) {_LIST_WORDS}\b"
)
_LIST: Final = re.compile(
    rf"\b(?:mi|mis|ver|mostrar|muestreme|mostrarme) (?:mi )?listas? de espera\b"
    rf"|\b(?:en que|en cual|que) {_LIST_WORDS}s? (?:estoy|tengo)\b"
    rf"|\bestoy en {_LIST_WORDS}\b"
)
# "Anóteme", "me puede anotar", "póngame", "quiero entrar a": a request to be put on a list.
_JOIN_VERB = (
    r"(?:anot\w*|apunt\w*|pong\w*|pon(?:er|erme|e|eme|me)|agreg\w*|inscrib\w*|met(?:er|a|e) ?me|"
    r"(?:quiero|quisiera|deseo|puedo) (?:estar|entrar|quedar)|entrar)"
)
# "En la lista", "a la lista de espera": `_THE_LIST` with the preposition that puts someone on it; never
# another one ("la lista de precios").
_ON_THE_LIST = rf"(?: en| a)?{_THE_LIST}"
# Words around a bare "lista de espera" that add nothing to it: "ya, lista de espera entonces", "ok, la lista de espera
# nomás", "mejor lista de espera, gracias". Never "no" ("no, lista de espera no") nor a question's words.
_FILLER = (
    r"(?:ya|ok|okay|bueno|entonces|mejor|pues|si|dale|listo|claro|vale|nomas|porfa|por favor|gracias|muchas gracias"
    r"|prefiero|quiero|quisiera|y|en|a)"
)
_JOIN: Final = re.compile(
    rf"\b{_JOIN_VERB}{_ON_THE_LIST}"
    r"|\bavis(?:ar ?me|eme|enme|ame) (?:cuando|si) se (?:libera|desocupa|abre)\b"
    rf"|^(?:{_FILLER} )*{_LIST_WORDS}(?: {_FILLER})*$"
)


def waitlist_wish(text: str) -> WaitlistWish | None:
    """What the message asks of the waitlist, or None when it does not name it."""
    said = normalize(text)
    if _LEAVE.search(said):
        return WaitlistWish.LEAVE
    if _LIST.search(said):
        return WaitlistWish.LIST
    if _JOIN.search(said):
        return WaitlistWish.JOIN
    return None


class OfferAnswer(StrEnum):
    TAKE = "take"
    DECLINE = "decline"


# Where the message's first clause ends: a no said alone ("no, ya no la necesito") answers; a no that negates what
# follows it ("no es una emergencia, solo quiero el horario") is about something else.
_CLAUSE_END: Final = re.compile(r"[,.;:!?¿¡…()\n-]")
# A first clause that turns the slot down: "no", "no gracias", "no la quiero", "no me sirve", "no puedo ir".
_DECLINES: Final = re.compile(
    r"^(?:(?:no|nop|nel|nunca|tampoco)(?: muchas)?(?: gracias)?"
    r"|no (?:gracias|muchas gracias)\b.*"
    r"|(?:no|ya no) (?:la|lo) (?:quiero|necesito|puedo|podre|voy|tomo|tomare|acepto|agarro)\b.*"
    r"|no me (?:sirve|conviene|queda|interesa|acomoda|viene)\b.*"
    r"|no (?:puedo|podre|podria|alcanzo|llego|voy a poder)"
    r"(?: (?:ir|asistir|venir|llegar|tomarla|a esa|a ese|ese|esa|en ese|en esa|ni|gracias)\b.*)?"
    r"|no (?:la )?(?:quiero|necesito|acepto)(?: (?:ese|esa|este|esta) (?:horario|hora|cita|turno|ficha))?)$"
)


# Words that take the slot by themselves: "la tomo", "me la quedo", "acepto esa cita".
_TAKE_WORDS: Final = (
    r"(?:(?:yo |esa |ese |esta |este )?(?:la|lo) (?:tomo|quiero|acepto|agarro|reservo|agendo)"
    r"|me (?:la|lo) (?:quedo|reserva|reservan|agenda|agendan|guarda|guardan)"
    r"|(?:tomo|quiero|acepto) (?:ese|esa|este|esta)(?: (?:horario|hora|cita|turno|ficha))?)"
)
# Those words after a "sí", "bueno" or "ok" or none, opening the message: "la tomo", "bueno, me la quedo".
_TAKES: Final = re.compile(
    rf"^(?:(?:si|bueno|ok|okay|dale|claro|perfecto|listo|ya|entonces|pues|muy bien|esta bien|gracias) )*{_TAKE_WORDS}\b"
)
# Those words as the whole of the last clause of a longer message, after "así que", "entonces" or a "sí": a voice
# note written out, "…el lunes a las 10 sí llego, así que la tomo, gracias diosito".
_TAKES_LAST: Final = re.compile(
    r"^(?:(?:asi que|por eso|entonces|pues|y|bueno|ok|okay|si|dale|claro|perfecto|listo|ya|muy bien|esta bien) )*"
    rf"{_TAKE_WORDS}(?: (?:nomas|entonces|pues|por favor|porfa|ya))*$"
)
# A closing clause that only thanks or blesses ("gracias diosito", "Dios le pague"): not the last word on the offer.
_CLOSING_WORDS: Final = frozenset(
    word_list(
        "gracias muchas mil diosito dios le les pague bendiga bendiciones saludos amen porfa por favor nomas "
        "doctor doctora doctorcito doctorcita senorita senor jaja jajaja a de nuevo"
    )
)


# The words of a clear yes, where a message that confirms could also be choosing from a list ("1", "la primera").
_YES_WORD: Final = re.compile(
    r"\b(?:si|claro|ok|okay|dale|bueno|perfecto|listo|vale|acepto|confirm\w*|de acuerdo|por supuesto|afirmativo)\b"
)


def offer_answer(text: str, intent: Intent, *, clear: bool = False) -> OfferAnswer | None:
    """Whether the message takes or turns down a slot offered to the patient; None when it answers neither.

    `intent` is the message's (`understand`): a message that is only a no (and filler words) turns it down, and
    so does a no said alone or of the offer ("no, ya no la necesito", "no me sirve, gracias"), never a no that
    starts a sentence about something else ("no es una emergencia, solo quiero el horario"). A message that is only
    a yes takes it, and so do words of taking it ("la tomo", "bueno, me la quedo"); unless `clear`, so does any yes
    with no no ("sí, pero ¿a qué hora llego?"). `clear`: only a yes word counts, never an option's number or "la
    primera", which answer a list of times.
    """
    if _takes_at_the_end(text):
        return OfferAnswer.TAKE  # the last words are the answer, whatever came before (pain, a question, a story)
    if intent is Intent.DENY:
        return OfferAnswer.DECLINE
    first = normalize(_CLAUSE_END.split(fold(text).strip(), maxsplit=1)[0])
    if _DECLINES.match(first) and no_in(text):
        return OfferAnswer.DECLINE
    said = normalize(text)
    if _TAKES.match(said):
        return OfferAnswer.TAKE
    if clear:
        yes = intent is Intent.CONFIRM and _YES_WORD.search(said) is not None
    else:
        yes = intent is Intent.CONFIRM or yes_in(text)
    return OfferAnswer.TAKE if yes else None


def _takes_at_the_end(text: str) -> bool:
    """Whether the message's last clause, past any closing thanks, is words that take the slot ("…así que la tomo,
    gracias diosito", "…sí, la quiero")."""
    clauses = [normalize(clause) for clause in _CLAUSE_END.split(fold(text))]
    said = [clause for clause in clauses if clause]
    while said and set(said[-1].split()) <= _CLOSING_WORDS:
        said.pop()
    return bool(said) and _TAKES_LAST.match(said[-1]) is not None
