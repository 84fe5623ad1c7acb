"""An emergency and the messages that follow it, answered as a person on a triage line would.

The first message gets the emergency number and where to go (self-harm: a crisis line too). For a while
after it (`DialogState.emergency`), whatever the patient writes is part of the same emergency: asking for
the number gets it again, "no llega" gets what to do when help is late, "hola??" hears that staff were
told, "¿le pongo pasta dental?" is told to give nothing on their own. Never the model, never small talk,
never a booking flow, and never the same paragraph twice in a row. The emergency ends when the patient says
all is well, that they are being cared for, or that it was not one; or when it has gone quiet for a while.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.conversation import replies
from gateway.conversation.state import DialogState, EmergencyMode
from gateway.understanding import emergency_patterns as e
from gateway.understanding.emergencies import Emergency, told_emergency, told_overdose
from gateway.understanding.intents import Intent
from gateway.understanding.negation import NEGATIONS
from gateway.understanding.nlu import KNOWN_WORDS, Understanding
from gateway.understanding.patterns import Pattern, Words, compile_patterns

# An appointment mentioned in an emergency is not a booking: "tengo cita el jueves, ¿puedo esperar?" asks whether
# to wait, and "ya no voy a necesitar la cita", after words of suicide, is a farewell.
_APPOINTMENT_TALK = (
    Intent.SCHEDULE_APPOINTMENT,
    Intent.CANCEL_APPOINTMENT,
    Intent.RESCHEDULE_APPOINTMENT,
    Intent.LIST_APPOINTMENTS,
)
# After an emergency only the learned model read, these say the patient has moved on (it was likely a false alarm).
_MOVES_ON = frozenset({*_APPOINTMENT_TALK, Intent.CLINIC_INFO, Intent.HUMAN_HANDOFF})
# "Le pongo pasta dental?", "¿le doy agua?": a home remedy asked about; nothing is to be given on one's own.
_REMEDY = compile_patterns(
    [
        "le|me|se pongo|pone|echo|echamos|paso|unto|doy|damos|hago|aplico ..3 pasta|crema|aceite|mantequilla|hielo"
        "|agua|leche|alcohol|remedio|pastilla|pastillas|algo|vomitar|sal|clara|huevo|manteca|pomada",
        "puedo|podemos|debo darle|ponerle|echarle|hacerle",
        "le|lo|la hago vomitar",
    ]
)
# "¿La levanto?", "¿lo puedo mover?": moving someone who fell or fainted.
_MOVE = compile_patterns(
    [
        "la|lo|le|los levanto|levantamos|muevo|movemos|cargo|cargamos|sentamos|acostamos",
        "puedo|podemos|debo|debemos moverlo|moverla|levantarlo|levantarla|cargarlo|cargarla|sentarlo|sentarla",
        "la|lo|le puedo|podemos|debo mover|levantar|cargar|sentar",
    ]
)
# "¿Es grave?", "¿se va a morir?": a judgement no message can give.
_SERIOUS = compile_patterns(
    [
        "es|sera|esta|estara grave|peligroso|serio",
        "se va a morir",
        "se puede morir",
        "se muere|morira",
        "que tiene|tendra|sera",
        "que le pasa|pasara|paso",
    ]
)
# "Estamos yendo al hospital": on the way, not yet cared for.
_ON_THE_WAY = compile_patterns(
    [
        "yendo|vamos|voy|llevando|llevamos|llevo|saliendo|salimos|camino ..3 hospital|emergencia|emergencias"
        "|clinica|posta|centro",
        "en camino",
        "ya salimos|salio|sale la ambulancia",
    ]
)
# "Me equivoqué", "era broma": it never was one ("no era broma" is no such thing; see also e.NOT_ONE).
_NOT_ONE = compile_patterns(
    [
        "me equivoque|equivoco",
        "me confundi|confundio",
        "era|es broma|chiste",
        "estaba|estoy bromeando",
    ]
)
# After an emergency only the learned model read, also "se confundió", "no es eso", "nada que ver": QA's patient
# misread as in crisis wrote them and was not let go. After words the patterns read, "no es eso" may well be part
# of the crisis, and they do not end it.
_NOT_ONE_OF_THE_MODEL = compile_patterns(
    [
        "se|te confundio|confundieron|equivoco|equivocaron",
        "no es|era eso",
        "nada que ver",
    ]
)
# "Ya llamamos al 168": help is called, and nothing says it is late.
_CALLED = compile_patterns(["ya llame|llamamos|llamo|llamaron|marque|marcamos", "ya esta|estan viniendo|en camino"])
# What a follow-up asks, most specific first; the topics of `replies.EMERGENCY_FOLLOW_UPS`.
_TOPICS: tuple[tuple[str, tuple[Pattern, ...]], ...] = (
    ("number", e.ASKS_NUMBER),
    ("remedy", _REMEDY),
    ("move", _MOVE),
    ("on_the_way", _ON_THE_WAY),
    ("accompanied", e.ACCOMPANIED),
    # "Ya llamé y no llega, ¿qué hago?": help is late, before what to do meanwhile.
    ("waiting", e.WAITING),
    ("meanwhile", e.MEANWHILE),
    ("called", _CALLED),
    ("where", e.WHERE),
    ("serious", _SERIOUS),
)
# A poison named, whatever the verb: with an overdose, a danger to the body that the emergency number answers first.
_POISONED = compile_patterns(
    ["envenen*", "intoxic*", "sobredosis", "veneno|lavandina|lejia|cloro|raticida|insecticida|plaguicida"]
)


@dataclass(frozen=True)
class Contacts:
    """Whom a patient in an emergency is told to call."""

    number: str | None
    crisis_line: str | None
    crisis_line_name: str | None

    @property
    def call(self) -> str:
        return f"al {self.number}" if self.number else "al número de emergencias"

    @property
    def crisis_line_text(self) -> str:
        """The crisis line as a sentence, after the emergency number; empty without one."""
        if not self.crisis_line:
            return ""
        line = f"{self.crisis_line_name} ({self.crisis_line})" if self.crisis_line_name else f"el {self.crisis_line}"
        return f"Cuando pueda, también puede hablar con {line}."

    @property
    def help(self) -> str:
        """Whom to call about suicidal thoughts: the crisis line if there is one, and the emergency number."""
        if not self.crisis_line:
            return self.call
        line = f"a {self.crisis_line_name} ({self.crisis_line})" if self.crisis_line_name else f"al {self.crisis_line}"
        return f"{line} o, si corre peligro ahora, {self.call}"


@dataclass(frozen=True)
class EmergencyReply:
    """The answer, the next state, and whether the emergency goes on (the turn is flagged as one)."""

    state: DialogState
    text: str
    ongoing: bool
    # The patient said it never was one ("no, entendió mal"): the rest of the message may ask for something.
    called_off: bool = False


def answer(
    state: DialogState, understood: Understanding, text: str, *, now: datetime, contacts: Contacts, lasts: timedelta
) -> EmergencyReply | None:
    """The reply when `text` tells of an emergency or follows one; None when there is none or the patient moved on."""
    mode = state.emergency if state.emergency is not None and now < state.emergency.until else None
    emergency = (understood.emergency or Emergency.MEDICAL) if understood.intent is Intent.EMERGENCY else None
    if mode is None and emergency is None:
        over_at = state.emergency_over_at
        if understood.intent is Intent.THANKS_GOODBYE and over_at and now - over_at < lasts:
            take_care = replies.EMERGENCY_FOLLOW_UPS["thanks"][0].format(call=contacts.call)
            return EmergencyReply(state.but(emergency_over_at=None), take_care, ongoing=False)
        return None  # no emergency, and none under way: the message is read no further here
    if mode is not None and mode.learned and emergency is None and understood.intent in _MOVES_ON:
        return None  # read by the model alone, and the patient goes on to a booking or a question: they moved on
    words = Words(text, known=KNOWN_WORDS)
    swallowed = told_overdose(words) or words.has(_POISONED)
    if mode is None:
        first = (
            replies.self_harm(contacts.number, contacts.crisis_line, contacts.crisis_line_name)
            if emergency is Emergency.SELF_HARM
            else replies.emergency(contacts.number)
        )
        if understood.emergency_learned and emergency is Emergency.MEDICAL:
            # Read by the model alone: it may be wrong, and the patient is told how to say so. Not after words of
            # self-harm, where a way out of the crisis reply is the last thing to offer.
            first = f"{first} {replies.EMERGENCY_MAYBE_NOT}"
        started = EmergencyMode(
            kind=emergency,
            until=now + lasts,
            last_reply="first",
            replies=1,
            said=first,
            swallowed=swallowed,
            learned=understood.emergency_learned,
        )
        return EmergencyReply(state.idle().in_emergency(started), first, ongoing=True)
    # "Ya llegó la ambulancia" ends it; "ya llegó la ambulancia pero no respira" does not.
    calm = told_emergency(words) is None
    over = _over(words, mode.kind, contacts) if calm else None
    # e.NOT_ONE holds its own "no": a negation found in it is the one it means.
    never_one = words.has(e.NOT_ONE) or _affirmed(words, _NOT_ONE)
    if mode.learned and not never_one:
        never_one = words.has(_NOT_ONE_OF_THE_MODEL)
    if over is None and calm and never_one:
        ended = state.in_emergency(None).but(emergency_over_at=now)
        return EmergencyReply(ended, replies.EMERGENCY_NOT_ONE, ongoing=False, called_off=True)
    if over is not None:
        return EmergencyReply(state.in_emergency(None).but(emergency_over_at=now), over, ongoing=False)
    # Only the patterns turn a medical emergency into one of self-harm: the model reads "¿se va a morir?" as one.
    told_kind = None if understood.emergency_learned else emergency
    kind = Emergency.SELF_HARM if Emergency.SELF_HARM in (mode.kind, told_kind) else Emergency.MEDICAL
    swallowed = swallowed or mode.swallowed
    topic = _topic(words, understood, kind)
    wordings = _wordings(topic, kind, contacts, swallowed=swallowed)
    # The wordings in turn, skipping the one just sent, whatever it answered: never the same paragraph twice in a row.
    order = [(mode.replies + i) % len(wordings) for i in range(len(wordings))]
    variant = next((v for v in order if wordings[v] != mode.said and f"{topic}:{v}" != mode.last_reply), order[0])
    reply = wordings[variant]
    following = EmergencyMode(
        kind=kind,
        until=now + lasts,
        last_reply=f"{topic}:{variant}",
        replies=mode.replies + 1,
        said=reply,
        swallowed=swallowed,
        # A message the patterns read as an emergency makes it certain.
        learned=mode.learned and (emergency is None or understood.emergency_learned),
    )
    return EmergencyReply(state.in_emergency(following), reply, ongoing=True)


def _affirmed(words: Words, patterns: tuple[Pattern, ...]) -> bool:
    """Whether a phrase matches with no "no" in it or just before it ("ya no está bien" is not all clear)."""
    negations = set(NEGATIONS)
    return any(not negations & set(words.words[max(0, span.start - 2) : span.end]) for span in words.spans(patterns))


def _over(words: Words, kind: Emergency, contacts: Contacts) -> str | None:
    """The closing answer when the patient is being cared for or says all is well."""
    if words.has(_ON_THE_WAY):
        return None  # "ya estamos yendo al hospital": not cared for yet
    if _affirmed(words, e.IN_CARE):
        return replies.EMERGENCY_IN_CARE.format(call=contacts.call)
    if _affirmed(words, e.ALL_CLEAR):
        template = replies.SELF_HARM_OVER if kind is Emergency.SELF_HARM else replies.EMERGENCY_OVER
        return template.format(call=contacts.call, help=contacts.help)
    return None


def _topic(words: Words, understood: Understanding, kind: Emergency) -> str:
    found = next((topic for topic, patterns in _TOPICS if words.has(patterns)), None)
    if found is None and understood.intent is Intent.EMERGENCY:
        found = "worse"
    if found is None and understood.intent in _APPOINTMENT_TALK:
        found = "appointment"
    if found is None and understood.intent is Intent.THANKS_GOODBYE:
        found = "thanks"
    found = found or "present"
    table = replies.SELF_HARM_FOLLOW_UPS if kind is Emergency.SELF_HARM else replies.EMERGENCY_FOLLOW_UPS
    return found if found in table else "present"


def _wordings(topic: str, kind: Emergency, contacts: Contacts, *, swallowed: bool) -> tuple[str, ...]:
    """The ways to answer `topic`, filled in with whom to call."""
    templates: tuple[str, ...]
    if topic == "number" and swallowed and contacts.number:
        # Pills or a poison: the emergency number first and without condition, the crisis line after it.
        templates = replies.EMERGENCY_NUMBER_SWALLOWED
    elif kind is Emergency.MEDICAL and topic == "number" and not contacts.number:
        templates = replies.EMERGENCY_NUMBER_UNKNOWN
    else:
        table = replies.SELF_HARM_FOLLOW_UPS if kind is Emergency.SELF_HARM else replies.EMERGENCY_FOLLOW_UPS
        templates = table[topic]
    line = contacts.crisis_line_text if kind is Emergency.SELF_HARM else ""
    return tuple(
        t.format(call=contacts.call, number=contacts.number, help=contacts.help, line=line).strip() for t in templates
    )
