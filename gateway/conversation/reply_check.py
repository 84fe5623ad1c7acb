"""Whether a model's reply may go to a patient, and whether a patient asks for medical advice.

The assistant never diagnoses, doses or prescribes, and the model only makes small talk.
`check_generated` judges its text before it is sent: Spanish, not empty, not looping, no phone
numbers, contacts or strangers' names, no medical advice, no clinic facts (numbers, prices, days,
dates, times, insurers, payment methods, the address), no yes or no to a patient's question, no
gendered address ("señorita": the assistant says "usted"), no greeting wrong for the clinic's hour,
no blessing, nothing cheerful or indifferent to a patient who says they feel bad, finished and well
written (every sentence ends in ".", "!" or "?", "¿" and "¡" closed, a capital letter first, no clause
said twice, not only a yes, a no or a thanks), and fluent: every word a Spanish word (wordfreq's
Spanish list) or an allowed name, and the model's own mean log-probability of the reply above a
measured threshold (docs/reply-gate.md). On a failed check the caller sends one of
`replies.GATE_FALLBACKS` instead.
`asks_for_medical_advice` spots the patient questions that get `replies.NO_MEDICAL_ADVICE`.

Heuristics, tuned to refuse when unsure: a harmless reply lost is a template sent, a harmful one
sent cannot be taken back.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Final

import phonenumbers

from gateway.understanding.nlu import KNOWN_WORDS
from gateway.understanding.normalize import fold, is_question, normalize
from gateway.understanding.patterns import Pattern, Words, compile_patterns, lexicon
from gateway.understanding.vocabulary import word_list


class Reason(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_SPANISH = "not_spanish"
    REPETITIVE = "repetitive"
    CONTACT_DETAILS = "contact_details"
    PHONE_NUMBER = "phone_number"
    MEDICAL_ADVICE = "medical_advice"
    FOREIGN_NAME = "foreign_name"
    NUMBER = "number"
    PRICE = "price"
    DAY_OR_DATE = "day_or_date"
    CLOCK_TIME = "clock_time"
    PAYMENT_OR_INSURER = "payment_or_insurer"
    CLINIC_FACT = "clinic_fact"
    ACTION_CLAIM = "action_claim"
    YES_NO_ANSWER = "yes_no_answer"
    GENDERED_ADDRESS = "gendered_address"
    WRONG_GREETING = "wrong_greeting"
    BROKEN_PUNCTUATION = "broken_punctuation"
    BROKEN_GRAMMAR = "broken_grammar"
    UNKNOWN_WORD = "unknown_word"
    UNFINISHED = "unfinished"
    UNPAIRED_MARK = "unpaired_mark"
    LOWERCASE_START = "lowercase_start"
    REPEATED_CLAUSE = "repeated_clause"
    BARE_ANSWER = "bare_answer"
    RELIGIOUS = "religious"
    CHEERFUL_TO_DISTRESS = "cheerful_to_distress"
    IGNORES_FEELING = "ignores_feeling"
    LOW_LOGPROB = "low_logprob"
    PERSONAL = "personal"  # fit for one patient, not to be cached for others (see `is_impersonal`)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None  # a `Reason` when not ok


PASSED: Final = Verdict(ok=True, reason=None)


def check_generated(
    text: str,
    *,
    allowed_names: Collection[str] = (),
    patient_message: str | None = None,
    now: datetime | None = None,
    mean_logprob: float | None = None,
    min_logprob: float | None = None,
    max_chars: int = 600,
) -> Verdict:
    """Whether a generated reply may be sent.

    `allowed_names`: the patient's and the clinic doctors' names; `patient_message`: the message it
    answers (a yes or no to a question is refused); `now`: the clinic's local time (greetings must fit
    it); `mean_logprob`: the model's score of the reply, refused below `min_logprob`. A check whose
    input is not given is skipped.
    """
    text = text.strip()
    if not any(ch.isalnum() for ch in text):
        return Verdict(ok=False, reason=Reason.EMPTY)
    if len(text) > max_chars:
        return Verdict(ok=False, reason=Reason.TOO_LONG)
    if _has_contact_details(text):
        return Verdict(ok=False, reason=Reason.CONTACT_DETAILS)
    if _has_phone_number(text):
        return Verdict(ok=False, reason=Reason.PHONE_NUMBER)
    if not _looks_spanish(text):
        return Verdict(ok=False, reason=Reason.NOT_SPANISH)
    if _is_repetitive(text):
        return Verdict(ok=False, reason=Reason.REPETITIVE)
    if _gives_medical_advice(text):
        return Verdict(ok=False, reason=Reason.MEDICAL_ADVICE)
    if _foreign_names(text, allowed_names=allowed_names):
        return Verdict(ok=False, reason=Reason.FOREIGN_NAME)
    fact = _clinic_fact(text)
    if fact is not None:
        return Verdict(ok=False, reason=fact)
    if patient_message is not None and _answers_yes_or_no(text, patient_message):
        return Verdict(ok=False, reason=Reason.YES_NO_ANSWER)
    if _GENDERED.search(fold(text)):
        return Verdict(ok=False, reason=Reason.GENDERED_ADDRESS)
    if _claims_an_action(text):
        return Verdict(ok=False, reason=Reason.ACTION_CLAIM)
    if now is not None and _greeting_out_of_time(text, now):
        return Verdict(ok=False, reason=Reason.WRONG_GREETING)
    if _broken_punctuation(text):
        return Verdict(ok=False, reason=Reason.BROKEN_PUNCTUATION)
    if _broken_grammar(text):
        return Verdict(ok=False, reason=Reason.BROKEN_GRAMMAR)
    if unknown_words(text, allowed_names=allowed_names):
        return Verdict(ok=False, reason=Reason.UNKNOWN_WORD)
    written = _badly_written(text)
    if written is not None:
        return Verdict(ok=False, reason=written)
    if _RELIGIOUS.search(fold(text)):
        return Verdict(ok=False, reason=Reason.RELIGIOUS)
    if patient_message is not None:
        mood = _misses_the_feeling(text, patient_message)
        if mood is not None:
            return Verdict(ok=False, reason=mood)
    if mean_logprob is not None and min_logprob is not None and mean_logprob < min_logprob:
        return Verdict(ok=False, reason=Reason.LOW_LOGPROB)
    return PASSED


# --- clinic facts: numbers, prices, days, dates, times, insurers, payment, address ----------------

_NUMBER_WORDS: Final = word_list(
    """
    dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince dieciseis diecisiete
    dieciocho diecinueve veinte veintiun veintiuno veintiuna veintidos veintitres veinticuatro veinticinco
    veintiseis veintisiete veintiocho veintinueve treinta cuarenta cincuenta sesenta setenta ochenta
    noventa cien ciento cientos doscientos doscientas trescientos trescientas cuatrocientos quinientos
    seiscientos setecientos ochocientos novecientos mil miles millon millones docena media
    """
)
_PRICE_WORDS: Final = word_list(
    """
    bs bolivianos boliviano pesos peso dolares dolar usd precio precios costo costos cuesta cuestan
    cobra cobran cobramos tarifa tarifas arancel gratis gratuito gratuita gratuitos descuento descuentos
    """
)
_DAY_WORDS: Final = word_list(
    """
    lunes martes miercoles jueves viernes sabado sabados domingo domingos feriado feriados finde enero
    febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre hoy
    ayer manana semana semanas mes meses fecha fechas calendario
    """
)
_TIME_WORDS: Final = word_list(
    """
    hora horas horario horarios minuto minutos mediodia medianoche am pm hrs abrimos cerramos atendemos
    atiende atienden turno turnos
    """
)
_PAYMENT_WORDS: Final = word_list(
    """
    seguro seguros asegurado asegurada aseguradora aseguradoras caja cajas cns cps cossmil sumi
    prosalud tarjeta tarjetas debito credito efectivo qr transferencia transferencias deposito
    depositar pago pagos pagar paga pague pagan factura facturas nit tigo visa mastercard
    """
)
_PLACE_WORDS: Final = word_list(
    """
    ubicacion direccion direcciones calle avenida av mapa maps parqueo estacionamiento piso edificio
    consultorio sucursal sucursales zona esquina
    """
)
_FACT_WORDS: Final[dict[str, Reason]] = {
    **dict.fromkeys(_NUMBER_WORDS, Reason.NUMBER),
    **dict.fromkeys(_PRICE_WORDS, Reason.PRICE),
    **dict.fromkeys(_DAY_WORDS, Reason.DAY_OR_DATE),
    **dict.fromkeys(_TIME_WORDS, Reason.CLOCK_TIME),
    **dict.fromkeys(_PAYMENT_WORDS, Reason.PAYMENT_OR_INSURER),
    **dict.fromkeys(_PLACE_WORDS, Reason.CLINIC_FACT),
}
# Only the dialog books, cancels, moves or registers: a model that says it did ("Su cita fue cancelada")
# tells the patient something that did not happen.
_ACTION_CLAIM_WORDS: Final = word_list(
    """
    cancelada cancelado canceladas cancelados cancelamos confirmada confirmado confirmadas confirmados
    confirmamos agendada agendado agendadas agendados agendamos reservada reservado reservadas reservados
    reservamos reprogramada reprogramado reprogramadas reprogramados reprogramamos registrada registrado
    registramos
    """
)


def _claims_an_action(text: str) -> bool:
    return any(word.strip(".,;:!?¡¿()\"'«»-") in _ACTION_CLAIM_WORDS for word in fold(text).split())


# "Por la mañana" is a time of day, not a date; "a las" and "a la una" are clock times.
_MORNING = re.compile(r"\b(?:por|en|de|esta|toda) la manana\b")
_CLOCK = re.compile(r"\ba (?:las|la una)\b")
_SUS = re.compile(r"\bSUS\b")  # the public health insurance; "sus" is "your"


def _clinic_fact(text: str) -> Reason | None:
    """What clinic fact the reply states or promises, if any: only the clinic's data may."""
    if any(ch.isdigit() for ch in text):
        return Reason.NUMBER
    if "$" in text:
        return Reason.PRICE
    if _SUS.search(text):
        return Reason.PAYMENT_OR_INSURER
    folded = fold(text)
    if _CLOCK.search(folded):
        return Reason.CLOCK_TIME
    for word in _MORNING.sub(" ", folded).split():
        reason = _FACT_WORDS.get(word.strip(".,;:!?¡¿()\"'«»-"))
        if reason is not None:
            return reason
    return None


# --- yes or no to a patient's question ------------------------------------------------------------

_YES_NO_START = re.compile(
    r"^\W*(?:si|no|nop|sip|claro|por supuesto|desde luego|asi es|exacto|correcto|efectivamente|tampoco"
    r"|obvio|seguro)\b"
)
# A question without its mark: "atienden los domingos", "tienen pediatra".
_QUESTION_START = re.compile(
    r"^\W*(?:atienden|atiende|tienen|tiene|hay|aceptan|acepta|puedo|pueden|puede|hacen|hace|trabajan"
    r"|abren|cobran|es|son|estan|esta|dan|venden|recibe|reciben)\b"
)


def _answers_yes_or_no(text: str, patient_message: str) -> bool:
    """The patient asked something and the reply opens with a yes or a no: only clinic data may answer."""
    asked = is_question(patient_message) or _QUESTION_START.search(fold(patient_message)) is not None
    return asked and _YES_NO_START.search(fold(text)) is not None


# --- how the patient is addressed, and greetings --------------------------------------------------

# Words that address the patient as a man or a woman (or too familiarly); "usted" needs none.
_GENDERED = re.compile(
    r"\b(?:senorita|senoritas|senor|senora|senores|senoras|srta|sra|sr|amigo|amiga|amigos|amigas|amiguito"
    r"|amiguita|querida|querido|reina|mi rey|mi amor|mi corazon|mi vida|mi carino|mamita|papito|mamacita"
    r"|papacito|caballero|jefe|jefa|bienvenido|bienvenida|nena|nene|mija|mijo|hija mia|hijo mio)\b"
)
_MORNING_GREETING = re.compile(r"\bbuenos dias\b")
_DAY_WISH = re.compile(r"\b(?:buen|feliz|lindo|bonito|excelente) dia\b")
_AFTERNOON_GREETING = re.compile(r"\bbuenas? tardes?\b")
_NIGHT_GREETING = re.compile(r"\bbuenas? noches?\b|\bfeliz noche\b|\bque descanse\b")


def _greeting_out_of_time(text: str, now: datetime) -> bool:
    """A greeting or wish for another part of the clinic's day: "buenos días" after noon,
    "buenas noches" in the morning, "que tenga un buen día" at night."""
    folded = fold(text)
    hour = now.hour
    morning, afternoon, night = 5 <= hour < 12, 12 <= hour < 19, hour >= 19 or hour < 5
    return bool(
        (_MORNING_GREETING.search(folded) and not morning)
        or (_AFTERNOON_GREETING.search(folded) and not afternoon)
        or (_NIGHT_GREETING.search(folded) and not night)
        or (_DAY_WISH.search(folded) and night)
    )


# --- fluency --------------------------------------------------------------------------------------

_OPENERS = {"¿": "?", "¡": "!"}


_SPACED_MARK = re.compile(r"[¿¡]\s|\s[?!]")


def _broken_punctuation(text: str) -> bool:
    """An opening "¿" or "¡" closed by the other mark ("¡Cuídese mucho?"), or set apart from the words
    it encloses by a space ("¿ o qué le gusta?")."""
    if _SPACED_MARK.search(text):
        return True
    for opener, closer in _OPENERS.items():
        other = "!" if closer == "?" else "?"
        for match in re.finditer(re.escape(opener) + r"[^¿¡?!.]*([?!.]|$)", text):
            if match.group(1) == other:
                return True
    return False


_ARTICLE_NOT_BEFORE = "le les lo la las los el su sus mi tu un una para por con en a y o se me te nos"
_POSSESSIVE_NOT_BEFORE = _ARTICLE_NOT_BEFORE + " de del que no"
_CLITIC_NOT_BEFORE = "su sus mi tu el un una de del para por con en y o que"
# Word pairs Spanish never has: a determiner must be followed by a noun or adjective ("su le", "la
# para"), a clitic pronoun by a verb or another clitic ("le su", "le la"; "se la" is fine).
_NEVER_FOLLOWS: Final[dict[str, frozenset[str]]] = {
    **dict.fromkeys(("el", "la", "los", "las", "un", "una", "unos", "unas"), frozenset(word_list(_ARTICLE_NOT_BEFORE))),
    **dict.fromkeys(("su", "sus", "mi", "mis", "tu", "tus"), frozenset(word_list(_POSSESSIVE_NOT_BEFORE))),
    **dict.fromkeys(("le", "les"), frozenset(word_list(_CLITIC_NOT_BEFORE + " la las los le les"))),
    **dict.fromkeys(("me", "te", "se", "nos"), frozenset(word_list(_CLITIC_NOT_BEFORE))),
    "lo": frozenset(word_list("su sus mi tu el la le un una para por con")),
}
# Words no Spanish sentence ends with ("Por necesito su médico, lo").
_NEVER_LAST: Final = frozenset(
    word_list(
        "el la los las un su sus mi mis tu tus de del a en con para por y o que le les me te se nos lo dr dra lic"
    )
)
# A clitic pronoun goes with a verb, never an adverb ("le cerca", "me muy"); "lo antes" only as
# "lo antes posible" or "lo antes que pueda".
_ADVERBS: Final = frozenset(
    word_list(
        """
    cerca lejos aquí ahí allí allá acá bien mal muy más menos antes después también tampoco siempre nunca
    hoy mañana pronto tarde temprano mucho poco gracias favor sí
    """
    )
)
_LO_ADVERB = re.compile(r"\blo (?:antes|después|pronto|cerca|lejos|temprano)\b(?! (?:posible|que|de)\b)")
# A wish takes the subjunctive: "¿Desea que le agende?", never "¿Desea que prefiere?".
_WISH_THEN_INDICATIVE = re.compile(
    r"\b(?:desea|desean|quiere|quieren|prefiere|prefieren|necesita|espera|gustaría) que (?:prefiere|quiere"
    r"|desea|necesita|puede|tiene|es|está|va|hace|sabe|dice|pide|agenda|viene|llega)\b"
)
# Sentences; the dot of "Dr." or "Dra." does not end one, so "la Dra." with no name after it does.
_SENTENCE_PARTS = re.compile(r"(?:[^.!?\n]|(?<=\b[Dd]r)\.|(?<=\b[Dd]ra)\.|(?<=\b[Ll]ic)\.)+")
_TOKEN = re.compile(r"[^\W_]+")  # words and numbers: "a las 10:30 y" has no "las y"


def _broken_grammar(text: str) -> bool:
    """Word salad a grammar would refuse at a glance: "su le", "la para", a sentence ending in "de"."""
    for part in _SENTENCE_PARTS.findall(text):
        words = [word.lower() for word in _TOKEN.findall(part)]
        if words and words[-1] in _NEVER_LAST:
            return True
        if any(after in _NEVER_FOLLOWS.get(word, ()) for word, after in itertools.pairwise(words)):
            return True
        if any(word in _CLITICS and after in _ADVERBS for word, after in itertools.pairwise(words)):
            return True
    lowered = text.lower()
    return bool(_LO_ADVERB.search(lowered) or _WISH_THEN_INDICATIVE.search(lowered))


_CLITICS: Final = frozenset(word_list("le les me te se nos"))

# --- how a finished reply is written --------------------------------------------------------------

# What may follow the last sentence mark: spaces, closing quotes and brackets, emoji.
_TRAILING = re.compile(r"[\s\"'»”)\]\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+$")
_TRAILING_OFF = re.compile(r"(?:\.\.|…)$")
_NEW_SENTENCE = re.compile(r"(?<![.…])(?:\.|[!?]+)(?![.…])\s+[\"'«“(]*[¿¡]?[\"'«“(]*([^\W\d_])")
_FIRST_LETTER = re.compile(r"[^\W\d_]")
_ABBREVIATION = re.compile(r"\b(?:[Dd]ra?|[Ll]ic|[Ss]ra?|[Ss]rta)\.")
_CLAUSE = re.compile(r"[,.;:!?¿¡\n…]+")
# A whole reply that only says yes, no or thanks answers nothing the model can know.
_BARE_WORDS: Final = frozenset(
    word_list("si no sip nop ok okay vale bueno ya claro exacto correcto cierto por supuesto desde luego asi es")
)


def _unfinished(text: str) -> bool:
    """A line that does not end with ".", "!" or "?": cut off at the token limit, or trailing off ("…")."""
    for line in text.splitlines():
        line = _TRAILING.sub("", line)
        if line and (line[-1] not in ".!?" or _TRAILING_OFF.search(line)):
            return True
    return False


def _unpaired_mark(text: str) -> bool:
    """Spanish opens what it closes: every "¿" closed by "?" and every "¡" by "!" before the sentence
    ends, and no "?" or "!" without its opener ("¿cómo le bendiga", "ok, pero le cerca?")."""
    open_marks: list[str] = []
    text = _ABBREVIATION.sub("", re.sub(r"\.{2,}|…", "", text))  # "la Dra. Rojas" ends no sentence
    for mark in re.sub(r"([?!])\1+", r"\1", text):
        if mark in "¿¡":
            open_marks.append(mark)
        elif mark in "?!":
            if not open_marks or _OPENERS[open_marks.pop()] != mark:
                return True
        elif mark in ".\n" and open_marks:
            return True
    return bool(open_marks)


def _lowercase_start(text: str) -> bool:
    """The reply, or a sentence after a full stop, "!" or "?", starting with a small letter."""
    first = _FIRST_LETTER.search(text)
    if first is not None and first.group().islower():
        return True
    return any(match.group(1).islower() for match in _NEW_SENTENCE.finditer(text))


def _repeated_clause(text: str) -> bool:
    """A clause of two words or more said twice ("dígame qué necesita. Cuando quiera, dígame qué necesita.")."""
    clauses = [" ".join(_TOKEN.findall(fold(part))) for part in _CLAUSE.split(text)]
    said = [clause for clause in clauses if " " in clause]
    return len(said) != len(set(said))


def _bare_answer(text: str) -> bool:
    """Only a yes, a no or a thanks: "Gracias, no", "Sí, claro.", "Gracias cocino"."""
    words = [fold(word) for word in _TOKEN.findall(text)]
    if not words:
        return False
    return (words[0] == "gracias" and len(words) <= 2) or all(word in _BARE_WORDS for word in words)


def _badly_written(text: str) -> Reason | None:
    """How a reply fails to be finished, well-formed writing, if it does."""
    if _unfinished(text):
        return Reason.UNFINISHED
    if _unpaired_mark(text):
        return Reason.UNPAIRED_MARK
    if _lowercase_start(text):
        return Reason.LOWERCASE_START
    if _repeated_clause(text):
        return Reason.REPEATED_CLAUSE
    if _bare_answer(text):
        return Reason.BARE_ANSWER
    return None


# --- the clinic's register and the patient's mood -------------------------------------------------

# A clinic's assistant does not bless patients or speak for a faith; a patient may ("bendiciones"), and
# is thanked. The small model also strews "bendiciones" where they mean nothing ("muchas bendiciones
# para ayudarle").
_RELIGIOUS = re.compile(
    r"\b(?:bendicion|bendiciones|bendiga|bendigan|bendecir|bendito|bendita|benditos|benditas|dios|diosito"
    r"|amen|rezar|rezo|rezamos|rezaremos|oracion|oraciones|oremos|virgen|santisima|cristo|jesus|jesucristo)\b"
)
_FEELING_WORDS = (
    r"triste|tristeza|aburrido|aburrida|aburrimiento|cansado|cansada|cansancio|agotado|agotada|preocupado"
    r"|preocupada|preocupacion|nervioso|nerviosa|nervios|miedo|asustado|asustada|angustiado|angustiada"
    r"|angustia|ansioso|ansiosa|ansiedad|deprimido|deprimida|depre|desanimado|desanimada|estresado|estresada"
    r"|estres|harto|harta|llorando|lloro|soledad|desesperado|desesperada"
)
# A feeling the patient states: "me siento solo", "estoy mal", "tengo miedo"; "solo" and "mal" only after
# a verb of feeling ("solo quería saludar" is not one). "No estoy triste" is not one either.
_DISTRESS = re.compile(
    rf"\b(?:{_FEELING_WORDS})\b"
    r"|\b(?:me siento|me sentia|estoy|ando|me encuentro|me quede|me va|me fue|sentirme|me da|me dio)"
    r"(?: (?:muy|tan|un poco|bastante|algo|re|medio|super))? (?:solo|sola|mal|fatal|pesimo)\b"
)
_NEGATED_FEELING = re.compile(rf"\bno (?:\w+ ){{0,2}}(?:{_FEELING_WORDS}|solo|sola|mal)\b")
_CHEERFUL = re.compile(
    r"\b(?:que (?:bien|bueno|buena|lindo|linda|alegria|gusto|genial|maravilla)|me alegra|me alegro|excelente"
    r"|genial|perfecto|buen animo|buen humor|muy bien|felicidades|estupendo)\b"
)
# What a person says first to someone who says they feel bad: sorry, understood, not alone, hang on.
_ACKNOWLEDGED = re.compile(
    r"\b(?:lamento|lamentamos|lo siento|lo sentimos|siento mucho|cuanto lo siento|que pena|entiendo|entendemos"
    r"|comprendo|comprendemos|es normal|es comprensible|no se preocupe|animo|aqui estoy|aqui estamos"
    r"|estoy aqui|estamos aqui|estoy para|estamos para|le acompan\w*|acompanarle|espero que|ojala"
    r"|tranquilicese|respire|no esta solo|no esta sola)\b"
)


# Sorry for an inconvenience the clinic caused, not for how the patient feels.
_INCONVENIENCE = re.compile(r"\b(?:lamento|lamentamos|disculpe|disculpen) (?:la|las|cualquier) molestias?\b")


def _states_distress(patient_message: str) -> bool:
    folded = fold(patient_message)
    return bool(_DISTRESS.search(folded)) and not _NEGATED_FEELING.search(folded)


def _misses_the_feeling(text: str, patient_message: str) -> Reason | None:
    """To a patient who says they feel bad ("estoy aburrido", "me siento solo"), a cheerful reply
    ("¡Qué bien!") or one that does not acknowledge the feeling at all ("Gracias por contarme.")."""
    if not _states_distress(patient_message):
        return None
    folded = fold(text)
    if _CHEERFUL.search(folded):
        return Reason.CHEERFUL_TO_DISTRESS
    if not _ACKNOWLEDGED.search(_INCONVENIENCE.sub(" ", folded)):
        return Reason.IGNORES_FEELING
    return None


# Below this Zipf frequency (occurrences per billion words, log10, + 9: 1.0 is once per billion) a
# "word" in wordfreq's Spanish list is mostly typos and fragments.
MIN_ZIPF: Final = 1.5


@cache
def _spanish_frequencies() -> dict[str, float]:
    """wordfreq's large Spanish list (subtitles, Wikipedia, web, books), word -> frequency."""
    from wordfreq import get_frequency_dict

    return get_frequency_dict("es", wordlist="best")


def _known_word(word: str) -> bool:
    lowered = word.lower()
    frequency = _spanish_frequencies().get(lowered, 0.0)
    if frequency > 0 and math.log10(frequency) + 9 >= MIN_ZIPF:
        return True
    return fold(lowered) in _spanish_words()


def unknown_words(text: str, *, allowed_names: Collection[str] = ()) -> list[str]:
    """The words of `text` that are neither Spanish (wordfreq's list) nor one of `allowed_names`."""
    allowed = {fold(word) for name in allowed_names for word in _WORD.findall(name)}
    return [
        word
        for word in _WORD.findall(text)
        if fold(word) not in allowed and not all(_known_word(part) for part in re.split(r"['-]", word))
    ]


# --- Spanish or not -------------------------------------------------------------------------------

_ENGLISH: Final = frozenset(
    word_list(
        """
    the and you your yours i is are was were be been being to of in on at for with my we they she it
    its this that these those what how why where who which can could would should will do does did have
    has had not dont im youre thanks thank hello hi hey please yes yeah sure welcome good morning
    afternoon evening night help appointment sorry about from just get got like know want need today
    tomorrow here there an as if or but so all any some our us them their then than very much more
    time see call book great nice week
    """
    )
)
_PORTUGUESE: Final = frozenset(
    word_list(
        """
    voce voces nao sim obrigado obrigada com uma um em os ao aos isso isto tudo bem muito muita muitos
    entao agora hoje amanha ontem posso pode eu ele ela minha meu seu sua estou tenho quero
    fazer faz tchau oi ola pela pelo nosso nossa dele dela ate logo tambem mais bom boa noite sao
    ajudar ajuda gostaria atendimento essa esse isso obrigadao informacao
    """
    )
)
_SPANISH_MARKS = "ñ¿¡áéíóú"
_FOREIGN_MARKS = "ãõçàèìòùâêîôûëïößœæ"
_LETTERS = re.compile(r"[^\W\d_]+")
_ODD_SPELLING = re.compile(
    r"^[^aeiouy]+$"  # no vowel
    r"|[kw]|q(?!u)|th|sh|ph|wh|gh|ck|nh|lh"  # letters and pairs Spanish words do not have
    r"|([bdfgmpstvz])\1"  # doubles other than ll, rr, cc, nn, ee, oo
    r"|^s[bcdfgkmnpqtvw]"  # "st", "sp": Spanish says "est", "esp"
    r"|[bcfghkmptvw]$"  # Spanish words end in a vowel or l n r s d z j x y
    r"|[^aeiouy]{5}"
)
_MIN_SPANISH_SHARE = 0.25
_MAX_ODD_SHARE = 0.34


def _looks_spanish(text: str) -> bool:
    """Spanish words outnumber English and Portuguese ones, and most words could be Spanish."""
    words = [fold(word) for word in _LETTERS.findall(text)]
    if not words:
        return False
    spanish = sum(word in _spanish_words() for word in words)
    if spanish == 0:
        return False
    lowered = text.lower()
    marks = min(2.0, 0.5 * sum(lowered.count(ch) for ch in _SPANISH_MARKS))
    foreign = sum(word in _ENGLISH or word in _PORTUGUESE for word in words)
    foreign += sum(lowered.count(ch) for ch in _FOREIGN_MARKS)
    foreign += sum(word.endswith(("cao", "coes", "oes")) for word in words)
    if foreign and foreign >= spanish + marks:
        return False
    unknown = [word for word in words if word not in _spanish_words() and word not in _first_names()]
    odd = sum(bool(_ODD_SPELLING.search(word)) for word in unknown)
    if len(words) >= 3 and odd / len(words) > _MAX_ODD_SHARE:
        return False
    return len(words) < 6 or spanish / len(words) >= _MIN_SPANISH_SHARE


# --- loops ----------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?¡¿\n]+")
_LONGEST_LOOP = 12
_MIN_DISTINCT_SHARE = 0.4


def _is_repetitive(text: str) -> bool:
    """A word said three times running, a phrase said twice running, a sentence or a long phrase
    said twice, a short phrase said three times, or too few distinct words."""
    tokens = re.findall(r"\w+", fold(text))
    n = len(tokens)
    for size in range(1, min(_LONGEST_LOOP, n // 2) + 1):
        times = 3 if size == 1 else 2
        for start in range(n - size * times + 1):
            unit = tokens[start : start + size]
            if all(tokens[start + size * k : start + size * (k + 1)] == unit for k in range(1, times)):
                return True
    trigrams = Counter(tuple(tokens[i : i + 3]) for i in range(n - 2))
    if trigrams and max(trigrams.values()) >= 3:
        return True
    six = Counter(tuple(tokens[i : i + 6]) for i in range(n - 5))
    if six and max(six.values()) >= 2:
        return True
    sentences = [normalize(part) for part in _SENTENCE_END.split(text)]
    said = [sentence for sentence in sentences if sentence]
    if len(said) != len(set(said)):
        return True
    return n >= 12 and len(set(tokens)) / n < _MIN_DISTINCT_SHARE


# --- contacts and phone numbers -------------------------------------------------------------------

_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|(?<![\w@])@[a-z_][\w.]{2,}"  # social handle
    r"|\b(?:https?://|www\.)\S+"
    r"|\b(?:wa|t)\.me/\S*"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|io|ly|app|site|online|bo)\b"
    r"|\b(?:arroba|gmail|hotmail|yahoo|outlook)\b",
    re.IGNORECASE,
)
# Seven digits or more, maybe split by spaces or dashes: any number a patient could dial.
_DIGIT_RUN = re.compile(r"(?<!\d)(?:\d[ -]?){6,}\d(?!\d)")


def _has_contact_details(text: str) -> bool:
    return _CONTACT.search(text) is not None


def _has_phone_number(text: str) -> bool:
    if _DIGIT_RUN.search(text):
        return True
    return any(True for _ in phonenumbers.PhoneNumberMatcher(text, "BO"))


# --- medical advice in a reply --------------------------------------------------------------------

_DRUGS: Final = word_list(
    """
    paracetamol acetaminofen ibuprofeno amoxicilina diclofenac omeprazol metformina aspirina naproxeno
    ketorolac metamizol dipirona loratadina cetirizina azitromicina ciprofloxacin cefalexina penicilina
    prednison dexametasona salbutamol enalapril losartan atorvastatina insulina clonazepam diazepam
    alprazolam tramadol ranitidina loperamida metronidazol albendazol mebendazol ambroxol clorfenamina
    buscapina hioscina sildenafil levotiroxina amlodipino ketoconazol fluconazol nistatina aciclovir
    ampicilina ceftriaxona
    """
)


def _normalized(words: Sequence[str]) -> frozenset[str]:
    """Words as `normalize` leaves a reply, which is what they are compared with."""
    return frozenset(normalize(word) for word in words)


# Kinds of medicine that count as naming one: "un antibiótico", "antiinflamatorios".
_DRUG_KINDS: Final = word_list("antibiotic antiinflamatori analgesic antihistaminic antipiretic antigripal corticoid")
_MEDICINES: Final = _normalized(
    word_list(
        """
    pastilla pastillas pastillita pastillitas tableta tabletas comprimido comprimidos capsula capsulas
    jarabe jarabes gotas gotitas pomada pomadas crema cremas unguento inyeccion inyecciones ampolla
    ampollas medicamento medicamentos medicina medicinas remedio remedios farmaco farmacos suero vitamina
    vitaminas calmante calmantes liquido liquidos hielo compresa compresas infusion infusiones mate
    manzanilla
    """
    )
)
# Verbs that prescribe when a medicine follows: always advice, even "no tome pastillas".
_TAKE: Final = _normalized(
    word_list(
        """
    tome tomar tomarse tomese tomelo tomela tomelos tomelas tomarlo tomarla tomarlos tomarlas tomen toma
    tomes tomando tomara beba beber use usar usese utilice utilizar aplique aplicar apliquese
    aplicarse apliquele ponga pongase ponerse pongale ponerle administre administrar administrarle
    consuma consumir suspenda suspender
    """
    )
)
# Verbs that prescribe unless denied: "no puedo recomendarle medicamentos" is the right answer.
_RECOMMEND: Final = _normalized(
    word_list(
        """
    recomiendo recomendamos recomendaria recomendar recomendarle sugiero sugerimos sugerirle aconsejo
    aconsejamos aconsejarle receto recetare recetaria recetar recetarle indico indicarle dele darle dale
    denle dar
    """
    )
)
_DENIALS: Final = frozenset({"no", "ni", "nunca", "sin", "tampoco", "evite", "evitar"})
_NUMBER = (
    r"(?:\d+(?:[/:]\d+)?(?: \d+)?|un|una|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce"
    r"|quince|veinte|treinta|cuarenta|cincuenta|cien|media|medio)"
)
_UNIT = (
    r"(?:mg|miligramos?|mcg|microgramos?|ml|mililitros?|cc|g|gr|gramos?|ui|gotas?|gotitas?|comprimidos?"
    r"|pastillas?|pastillitas?|tabletas?|capsulas?|cucharadas?|cucharaditas?|cucharitas?"
    r"|ampollas?|ampolletas?|inyecciones?|unidades|dosis|puffs?|inhalaciones?)"
)
_DISEASE = (
    r"(?:infecci\w*|gripe|gripa|resfri\w*|covid\w*|coronavirus|gastritis|gastroenteritis|diabetes"
    r"|hipertension|hipotension|anemia|migrana|bronquitis|neumonia|pulmonia|faringitis|amigdalitis"
    r"|laringitis|otitis|sinusitis|conjuntivitis|dermatitis|colitis|cistitis|apendicitis|dengue|zika"
    r"|chikungunya|malaria|paludismo|chagas|tuberculosis|hepatitis|tifoidea|tifus|salmonel\w*|ulceras?"
    r"|virus|viral|bacteria\w*|parasit\w*|amebas?|lombrices|hongos?|micosis|alergias?|asma|artritis|artrosis"
    r"|cancer|tumor\w*|quistes?|calculos?|hernias?|esguince|fractura|tendinitis|lumbalgia|ciatica"
    r"|depresion|intoxicacion|deshidratacion|reflujo|varicela|sarampion|rubeola|paperas|escarlatina"
    r"|herpes|vih|sida|preeclampsia|trombosis|epilepsia|arritmia|tiroid\w*|hipotiroidismo"
    r"|hipertiroidismo|soroche|infarto|embolia|anginas|contractura|torcedura|inflamacion|sindrome"
    r"|presion (?:alta|baja)|colico\w*)"
)
_FILLERS = r"(?:un|una|de|del|la|el|los|las|algun|alguna|posible|leve|fuerte|cuadro|principio|poco|tipo)"
_DOSAGE = [
    re.compile(rf"(?:^| ){_NUMBER} {_UNIT}(?= |$)"),
    re.compile(r"(?:^| )(?:cada|c) (?:\d+|una|dos|tres|cuatro|seis|ocho|doce|veinticuatro) horas?(?= |$)"),
    re.compile(r"(?:^| )(?:\d+|una|dos|tres|cuatro) (?:vez|veces) (?:al|por|cada) dia(?= |$)"),
    re.compile(r"(?:^| )(?:antes|despues) de (?:cada |las |sus )?comidas?(?= |$)"),
    re.compile(r"(?:^| )(?:" + "|".join(map(normalize, _DRUGS + _DRUG_KINDS)) + r")\w*(?= |$)"),
]
# A diagnosis, said of someone: a question ("¿tiene alergia a algún medicamento?") or an "if" is not one.
_DIAGNOSIS_STATED = re.compile(
    r"(?:^| )(?:tiene|tienen|tendria|tendra|tenga|padece|padecer|sufre|presenta|es|sea|seria|sera|parece"
    r"|parece ser|se trata de|debe ser|puede ser|podria ser|sintomas de|signos de|cuadro de|caso de"
    r"|diagnosticado con|diagnosticada con)"
    rf"(?: {_FILLERS}){{0,2}} {_DISEASE}(?= |$)"
)
_DIAGNOSIS_ANYWAY = re.compile(
    r"(?:^| )(?:padece de|sufre de|es probable que (?:sea|tenga|se trate|usted)|probablemente (?:sea|es|tenga|tiene"
    r"|se trate)|seguramente (?:sea|es|tenga|tiene|se trate)|lo que (?:usted )?tiene es|su diagnostico"
    r"|el diagnostico es|le diagnostico|mi diagnostico|diagnostico (?:presuntivo|probable)"
    r"|no es (?:nada )?(?:grave|serio|preocupante|de cuidado)|nada (?:grave|serio)"
    r"|es algo (?:leve|pasajero|normal))(?= |$)"
    r"|(?:^| )se (?:le )?(?:va a pasar|pasara)(?: (?:pronto|solo|sola|solito|rapido|ya))?$"
)
_IF = re.compile(r"(?:^| )si(?: \w+){0,3}$")
_SENTENCE = re.compile(r"[^.!?\n¿¡]*[?]|[¿¡][^.!?\n]*[.!?]*|[^.!?\n¿¡]+[.!\n]*")
_YES = re.compile(r"\bsí\b", re.IGNORECASE)


def _sentences(text: str) -> list[tuple[str, bool]]:
    """Each sentence normalized, and whether it asks something."""
    text = _YES.sub("claro", text)  # folded, "sí" would read as the "si" of a condition
    return [(normalize(part), is_question(part)) for part in _SENTENCE.findall(text) if part.strip()]


_SPECIALTY_AFTER: Final = frozenset(word_list("general interna familiar"))


def _is_medicine(words: Sequence[str], index: int) -> bool:
    """A medicine word, but not the "medicina" of "consulta de medicina general"."""
    word = words[index]
    if word not in _MEDICINES:
        return False
    if word.startswith("medicina"):
        following = words[index + 1] if index + 1 < len(words) else ""
        return following not in _SPECIALTY_AFTER and words[index - 1 : index] != ["de"]
    return True


def _prescribes(words: Sequence[str]) -> bool:
    for index, word in enumerate(words):
        if word not in _TAKE and word not in _RECOMMEND:
            continue
        if not any(_is_medicine(words, later) for later in range(index + 1, min(index + 5, len(words)))):
            continue
        if word in _TAKE or not _denied(words, index):
            return True
    return False


_REFUSAL = re.compile(r"(?:^| )no (?:(?:le|les|te|se|lo|la) )?(?:puedo|podemos|podria|podriamos|debo|debemos) ")


def _denied(words: Sequence[str], index: int) -> bool:
    """Negated just before ("ni recomendar"), or refused earlier in the sentence ("no puedo dar
    diagnósticos, recomendar medicamentos ni ...") with no "pero" since."""
    if _DENIALS.intersection(words[max(0, index - 3) : index]):
        return True
    before = " ".join(words[:index]) + " "
    refusals = list(_REFUSAL.finditer(before))
    return bool(refusals) and " pero " not in before[refusals[-1].end() - 1 :]


def _self_medication(words: Sequence[str]) -> bool:
    return any(word.startswith("automedi") and not _denied(words, index) for index, word in enumerate(words))


def _gives_medical_advice(text: str) -> bool:
    """A diagnosis, a dose, a medicine named or prescribed."""
    for sentence, question in _sentences(text):
        if any(pattern.search(sentence) for pattern in _DOSAGE) or _DIAGNOSIS_ANYWAY.search(sentence):
            return True
        words = sentence.split()
        if _prescribes(words) or _self_medication(words):
            return True
        if not question:
            for found in _DIAGNOSIS_STATED.finditer(sentence):
                if not _IF.search(sentence[: found.start()]):
                    return True
    return False


# --- names ----------------------------------------------------------------------------------------

_TITLE_ABBREVIATIONS: Final = frozenset(word_list("dr dra drs sr sra srta sres lic ing prof profa dna"))
_TITLE_WORDS: Final = frozenset(
    word_list(
        """
    doctor doctora senor senora senorita licenciado licenciada ingeniero ingeniera profesor profesora
    don dona enfermero enfermera
    """
    )
)
# Words a name never is, so a capitalized one ends the name ("Dra. Quispe Le atenderá").
_FUNCTION_WORDS: Final = frozenset(
    word_list(
        """
    el la los las lo un una unos unas al del de a en con por para sin y o u ni que como cuando donde
    le les me te se nos su sus mi mis tu usted ustedes yo es esta son fue era hay ya no si muy mas
    """
    )
)
_PARTICLES: Final = frozenset(word_list("de del la las los"))
_SAINTS: Final = frozenset(word_list("san santa santo virgen"))
_WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")


def _word_file(name: str) -> frozenset[str]:
    text = files("gateway.conversation").joinpath("data", name).read_text(encoding="utf-8")
    return frozenset(fold(line.strip()) for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def _first_names() -> frozenset[str]:
    """Common Spanish and Latin American first names, folded."""
    return _word_file("first_names.txt")


@cache
def _spanish_words() -> frozenset[str]:
    """Frequent Spanish words, folded."""
    return _word_file("spanish_words.txt")


def _name_keys(names: Collection[str]) -> frozenset[str]:
    keys = {fold(word) for name in names for word in _WORD.findall(name)}
    return frozenset(keys - _TITLE_ABBREVIATIONS - _TITLE_WORDS - _PARTICLES)


def _capitalized(word: str) -> bool:
    return word[:1].isupper()


def _name_after(matches: Sequence[re.Match[str]], text: str, start: int) -> tuple[list[str], int]:
    """The capitalized words from `start` on, joined by spaces or name particles ("De la Cruz"),
    and the index of the first word after them."""
    name: list[str] = []
    index = start
    while index < len(matches):
        word = matches[index].group()
        if index > start and not text[matches[index - 1].end() : matches[index].start()].isspace():
            break
        folded = fold(word)
        if folded in _PARTICLES:
            ahead = matches[index + 1 : index + 3]
            if any(_capitalized(m.group()) and fold(m.group()) not in _PARTICLES for m in ahead):
                index += 1
                continue
            break
        if not _capitalized(word) or folded in _FUNCTION_WORDS | _TITLE_ABBREVIATIONS | _TITLE_WORDS:
            break
        name.append(folded)
        index += 1
    return name, index


def _foreign_names(text: str, *, allowed_names: Collection[str]) -> list[str]:
    """People named in `text` (after a title, or by a common first name) who are not in `allowed_names`."""
    allowed = _name_keys(allowed_names)
    matches = list(_WORD.finditer(text))
    found: list[str] = []
    index = 0
    while index < len(matches):
        word = matches[index].group()
        folded = fold(word)
        name: list[str] = []
        after = index + 1
        if index + 1 < len(matches) and _capitalized(matches[index + 1].group()):
            gap = text[matches[index].end() : matches[index + 1].start()]
            abbreviation = folded in _TITLE_ABBREVIATIONS and gap.strip() in ("", ".")
            title = folded in _TITLE_WORDS and gap.isspace()
            if abbreviation or title:
                name, after = _name_after(matches, text, index + 1)
        saint = any(fold(m.group()) in _SAINTS for m in matches[max(0, index - 2) : index])  # "Virgen del Carmen"
        if not name and _capitalized(word) and folded in _first_names() and not saint:
            name, after = _name_after(matches, text, index)
        if name and not set(name) <= allowed:
            found.append(" ".join(name))
        index = max(after, index + 1)
    return found


_SENTENCE_END_MARKS = ".!?¡¿\n…"
_OPENING_MARKS = " \t\"'«“(-"


def is_impersonal(text: str, *, names: Collection[str] = ()) -> bool:
    """Whether a reply could be said to any patient: no digit, contact detail or phone number, and no one
    named (after a title, by a common first name, by a word of `names`, or by a capitalized word that
    does not open a sentence). Only such replies may be cached: one patient's cache hit is another's reply.
    """
    if any(ch.isdigit() for ch in text) or _has_contact_details(text) or _has_phone_number(text):
        return False
    if _foreign_names(text, allowed_names=()):
        return False
    named = _name_keys(names)
    for match in _WORD.finditer(text):
        word = match.group()
        if fold(word) in named:
            return False
        before = text[: match.start()].rstrip(_OPENING_MARKS)
        if _capitalized(word) and before and before[-1] not in _SENTENCE_END_MARKS:
            return False
    return True


# --- patients asking for advice -------------------------------------------------------------------

_MEDICINE_WORDS = (
    "pastilla*|medicament*|medicinas|remedio*|jarabe*|tableta*|capsula*|comprimido*|gotas|gotitas"
    "|pomada*|crema|cremas|unguento|inyeccion*|ampolla*|calmante*|vitamina*|"
    + "|".join((*_DRUGS, *(f"{kind}*" for kind in _DRUG_KINDS)))
)
_GIVE = (
    "tomo|tomar|tome|tomamos|tomarme|tomarlo|tomarla|toma|doy|dar|darle|darme|damos|uso|usar|aplico|aplicar"
    "|aplicarle|aplicarme|pongo|poner|ponerle|ponerme|recetan|recetar|recetarme|recomienda|recomiendan"
    "|recomendar|recomendarme|aconseja|aconsejan|sirve|sirven"
)
_SYMPTOMS = (
    "dolor*|duele|duelen|doliendo|dolio|fiebre|calentura|temperatura|tos|tose|tosiendo|gripe|gripa|resfri*"
    "|diarrea|vomit*|nausea*|mareo*|mareada|mareado|presion|tension|infecc*|infectad*|alergi*|picazon|pica"
    "|comezon|ardor|arde|hinchaz*|hinchad*|inflama*|herida|cortada|quemadura|quemado|colico*|gases"
    "|estrenid*|estrenimiento|insomnio|ansiedad|garganta|cabeza|estomago|barriga|panza|muela*|diente*"
    "|oido|oidos|ojo|ojos|sangr*|granos|ronchas|manchas|sarpullido|cansancio|debilidad|azucar|colesterol"
    "|sintoma*|contagi*|moco*|congestion|flema*|golpe|torcedura|esguince|orina|pecho|espalda|rodilla"
    "|enfermo|enferma|enfermedad*|malestar|mal|covid*|dengue|diabetes|gastritis|migrana|infeccion*|asma"
    "|bronquitis|neumonia|herpes|hongos|parasit*|virus|anemia|soroche"
)
_DISEASES = (
    "infeccion*|gripe|gripa|resfri*|covid*|coronavirus|gastritis|diabetes|hipertension|anemia|migrana"
    "|bronquitis|neumonia|pulmonia|faringitis|amigdalitis|otitis|sinusitis|conjuntivitis|dengue|zika"
    "|chikungunya|malaria|chagas|tuberculosis|hepatitis|tifoidea|ulcera*|virus|bacteria*|parasit*|amebas"
    "|hongos|alergia*|asma|artritis|cancer|tumor*|quiste*|hernia*|fractura*|depresion|apendicitis|herpes"
    "|varicela|sarampion|anginas|soroche|infarto|embarazada|embarazo"
)

# Asked outright, whatever else the message says.
_ADVICE: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        f"que|cual|cuales|cuanto|cuanta|cuantos|cuantas ... {_MEDICINE_WORDS}",
        "que|cual|cuanto|cuanta ..2 dosis",
        f"puedo|podemos|puede|podria|debo|debe|deberia|conviene|necesito|quiero|quisiera ..2 {_GIVE} ... "
        + _MEDICINE_WORDS,
        "cada cuanto ..3 tomo|toma|tomar|tome|doy|dar|darle|aplico|aplicar|pongo|poner",
        "necesito|quiero|quisiera|puede|pueden|podria|podrian|da|dan|dar|darme|den|denme|dame|deme|hacer|hacerme"
        "|renovar|sacar ..3 receta|recetas",
        f"algo|nada ..2 para|contra ..2 {_SYMPTOMS}",
        "puede|pueden|podria|podrian|dar|darme|decir|decirme|dime|digame|deme|dame|saber ..3 diagnostic*",
        "que enfermedad|enfermedades",
        f"sera|seria ..2 {_DISEASES}",
        f"puede|podria ser ..2 {_DISEASES}",
        f"{_MEDICINE_WORDS} ... que|cual es|sera mejor|bueno|buena|recomendable",
        f"tendre|tendra|tendria|tendremos ..2 {_DISEASES}",
    ]
)
# Prescribing verbs, spelled right: "me recetaron lentes" is not "recétenme".
_PRESCRIBE: Final[tuple[Pattern, ...]] = compile_patterns(
    ["recetar|recetarme|recetarle|recetenme|receteme|recetame|receten|recete|recetaria|recetarian|recetan"],
    fuzzy=False,
)
# Asked only with a question mark: "¿le doy jarabe?", but "tomo pastillas para la presión" is said.
_ADVICE_IN_QUESTION: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        f"{_GIVE}|doy ... {_MEDICINE_WORDS}",
        f"{_MEDICINE_WORDS} ... {_GIVE}|bueno|buena|malo|mala",
        f"es|sea ..2 {_DISEASES}",
    ]
)
# Advice about a complaint: asked only when the message names a symptom ("¿qué micro tomo?" is not).
_ADVICE_ABOUT: Final[tuple[Pattern, ...]] = compile_patterns(
    [
        "que|cual|como ..3 tomo|tomar|tome|tomamos|doy|dar|darle|aplico|aplicar|pongo|poner|ponerle|hago|hacer"
        "|hacemos|recomienda|recomiendan|aconseja|aconsejan|sirve|sirven|bajar|bajarle|bajo|calmar|calmo|quitar"
        "|quito|aliviar|alivio|curar|curo|tratar",
        "puedo|podemos|debo|puede|podria ..2 tomar|darle|dar|aplicar|aplicarle|ponerle|poner|usar ..2 algo|nada",
        "que puede|podria ser",
        "que sera|seria|sea",
        "que es esto|eso",
        "es|sera|seria|esta ..3 grave|peligroso|peligrosa|normal|malo|mala|serio|preocupante|contagioso|contagiosa",
        "debo|deberia|tengo|hay ..3 preocupar*",
    ]
)
_SYMPTOM: Final[tuple[Pattern, ...]] = compile_patterns([_SYMPTOMS])
_CLAUSE_BREAK = re.compile(r"[,;!?¿¡\n]+|\.(?!\d)")
_WHAT_I_HAVE: Final[tuple[Pattern, ...]] = compile_patterns(["que tengo|tendre|tendra|tendria|tiene|tendremos"])
# "¿Qué tengo que llevar?", "la cita que tengo mañana": having, not an ailment.
_NOT_AILMENT: Final = frozenset(
    word_list(
        """
    que cita citas turno turnos ficha fichas consulta consultas control hora dia fecha reserva examen
    analisis resultados papeles documentos orden
    """
    )
)
_KNOWN: Final = KNOWN_WORDS | lexicon(
    (*_ADVICE, *_PRESCRIBE, *_ADVICE_IN_QUESTION, *_ADVICE_ABOUT, *_SYMPTOM, *_WHAT_I_HAVE)
)


def _asks_what_they_have(text: str) -> bool:
    """ "¿Qué tengo?", "¿qué tiene mi hijo?", but not "¿qué tengo que llevar?", "la cita que tengo
    mañana" or "mi mamá, que tiene presión alta"."""
    for clause in _CLAUSE_BREAK.split(text):
        words = Words(clause, known=_KNOWN)
        for span in words.spans(_WHAT_I_HAVE):
            before = words.words[span.start - 1] if span.start else ""
            after = words.words[span.end] if span.end < len(words) else ""
            if before in _NOT_AILMENT or after in _NOT_AILMENT:
                continue
            if span.start and words.words[span.end - 1] == "tiene":
                continue
            return True
    return False


def asks_for_medical_advice(text: str) -> bool:
    """Whether a patient's message asks for a diagnosis, a medicine or a dose."""
    words = Words(text, known=_KNOWN)
    if words.has(_ADVICE) or words.has(_PRESCRIBE):
        return True
    if is_question(text) and words.has(_ADVICE_IN_QUESTION):
        return True
    return words.has(_SYMPTOM) and (words.has(_ADVICE_ABOUT) or _asks_what_they_have(text))
