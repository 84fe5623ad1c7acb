"""Whether a message tells of an emergency, and of which kind: medical or self-harm.

The patterns of `emergency_patterns` say what is an emergency; this module reads them against a message the way a
triage line listens: a medicine with an amount is an overdose, a sign said of a film's character or of an episode
long past and well now is none, an animal's trouble is not the clinic's, and signs that are serious only together
(a fall and vomiting) count together. `gateway.understanding.intents` asks `emergency_of` first: an emergency beats
every other intent.
"""

from __future__ import annotations

import re
from enum import StrEnum

from gateway.understanding import emergency_patterns as e
from gateway.understanding import intent_patterns as p
from gateway.understanding.negation import affirmed
from gateway.understanding.normalize import phonetic
from gateway.understanding.patterns import Pattern, Span, Words
from gateway.understanding.vocabulary import word_list

_NUMBER_WORDS = {
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
    "once": 11, "doce": 12, "quince": 15, "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50,
}  # fmt: skip
# A medicine amount that is an overdose whoever took it; a smaller one when someone else ("se") took it.
_OVERDOSE_COUNT = 5
# How far after "me tomé" the medicine and its amount may come ("se tomó unas pastillas ... como 10 de").
_SWALLOWED_REACH = 10


class Emergency(StrEnum):
    """What kind of emergency a message is: the reply differs."""

    MEDICAL = "medical"
    SELF_HARM = "self_harm"


# "Tomo"/"trago" are the present as well as a "tomó"/"tragó" written without its accent.
_PRESENT_KEYS = frozenset(phonetic(word) for word in ("tomo", "trago"))
# How far before and after the verb "cada día", "todas las noches" are looked for.
_HABIT_BEFORE, _HABIT_AFTER = 4, 6
# What may come between a clause's start and "tomo" said of oneself ("ya tomo", "hola doctora, también tomo").
_BEFORE_ONESELF = frozenset(
    word_list("yo me ya tambien siempre solo solamente ahora actualmente aun todavia normalmente igual no")
)
# Words after which "tomo" starts afresh, said of oneself ("tengo diabetes y tomo", "porque tomo").
_JOINS = frozenset(word_list("porque pues y e pero como cuando si hola buenas buenos doctor doctora senorita bueno ok"))


def _said_of_oneself(words: Words, at: int) -> bool:
    """Whether "tomo" at `at` is said by the patient of themselves: "yo tomo", or no one else named before it in
    its clause ("tomo pastillas", "porque tomo"). Never with a child in the message, unless "yo" is said."""
    if words.preceded_by(at, ("yo",), within=3, same_clause=True):
        return True
    if words.has(e.CHILD):
        return False
    start, before = words.clause_start(at), at - 1
    while before >= start and words.words[before] in _BEFORE_ONESELF:
        before -= 1
    return before < start or words.words[before] in _JOINS


def _habit(words: Words, verb: Span) -> bool:
    """ "Tomo pastillas para la presión", "mi mamá tomo 5 pastillas al día": medicine taken as a habit, not pills
    swallowed. Only the present-looking "tomo"/"trago", never "se tomo" (the "se tomó" of an overdose)."""
    if words.keys[verb.start] not in _PRESENT_KEYS or words.preceded_by(verb.start, ("se",), within=1):
        return False
    near = range(verb.start - _HABIT_BEFORE, verb.end + _HABIT_AFTER)
    if any(span.start in near for span in words.spans(e.HABIT)):
        return True
    after = range(verb.end, verb.end + _SWALLOWED_REACH)
    return (
        any(span.start in after for span in words.spans(e.TAKEN_FOR))
        and not any(span.start in after for span in words.spans(e.WHOLE_SUPPLY))
        and _said_of_oneself(words, verb.start)
    )


def _count(word: str) -> int:
    return int(word) if word.isdigit() and len(word) <= 4 else _NUMBER_WORDS.get(word, 0)


def _overdose(words: Words) -> bool:
    """A medicine swallowed with an amount: "me tomé 20 pastillas", "se tomó unas … como 10 de clonazepam"."""
    pills = {span.start for span in words.spans(e.PILL)}
    # Emptied packs of pills, unless the message asks for more ("los blísters vacíos, necesito receta").
    if pills and affirmed(words, e.EMPTY_PACK) and not words.has(e.REFILL):
        return True
    many = {span.start for span in words.spans(e.MANY)}
    some = {span.start for span in words.spans(e.SOME)}
    swallowed = [verb for verb in affirmed(words, e.SWALLOWED) if not _habit(words, verb)]
    for verb in swallowed:
        someone_else = words.preceded_by(verb.start, ("se",), within=2)
        for at in range(verb.end, min(len(words), verb.end + _SWALLOWED_REACH)):
            # The amount goes with the medicine: "20 pastillas", "10 de clonazepam", "un frasco entero de jarabe";
            # a dose ("500 mg de paracetamol") does not.
            if at in many and pills & {at - 1, at + 1, at + 2, at + 3}:
                return True
            # ... or is said after it, roughly: "se tomó mis pastillas de la presión, como 8".
            counted = at + 1 in pills or (at + 2 in pills and words.words[at + 1 : at + 2] == ("de",))
            counted = counted or (at - 1 in some and bool(pills) and min(pills) < at)
            amount = _count(words.words[at]) if counted else 0
            if amount >= _OVERDOSE_COUNT or (someone_else and (amount >= 2 or (at in some and counted))):
                return True
    return bool(
        swallowed and words.has(e.CHILD) and any(span.start > swallowed[0].start for span in words.spans(e.PILLS))
    )


# A reading in a crisis: the top number from 180, or the bottom one from 120 ("220/130").
_CRISIS_SYSTOLIC, _CRISIS_DIASTOLIC = 180, 120
_READING = re.compile(r"(\d{2,3})/(\d{2,3})")
# How far after "presión" its reading may come ("la presión en 220/130").
_READING_REACH = 4


def _pressure_crisis(words: Words) -> bool:
    """A blood pressure in crisis written as a reading, with a sign it harms: "presión en 220/130, veo borroso"."""
    for span in words.spans(e.PRESSURE):
        for word in words.words[span.end : span.end + _READING_REACH]:
            reading = _READING.fullmatch(word)
            if reading and (int(reading[1]) >= _CRISIS_SYSTOLIC or int(reading[2]) >= _CRISIS_DIASTOLIC):
                return bool(affirmed(words, e.PRESSURE_SIGNS))
    return False


def _long_past(words: Words) -> bool:
    """An episode long past, well now, told to ask for an appointment ("el año pasado me desmayé, quiero control"),
    or one of the last days said to be over (`_recently_over`)."""
    if words.has(e.NOW_AGAIN):
        return False
    wants_a_visit = affirmed(words, p.SCHEDULE) or affirmed(words, p.APPOINTMENT_WORD)
    if words.has(e.DISCHARGED) and bool(words.has(e.MOVED_ON) or wants_a_visit):
        # Sent home and wanting a control, unless something is told after "ahora" ("pero ahora le duele el pecho").
        return not _told_after_now(words)
    if not words.has(e.LONG_AGO):
        return _recently_over(words)
    # "Ahora" tells of now: all well, or only a visit wanted ("ahora queremos cita"), and nothing told after it.
    if words.has(e.NOW) and (not (affirmed(words, e.FINE_NOW) or words.has(e.VISIT_NOW)) or _told_after_now(words)):
        return False
    # A visit wanted, or a question asked about it ("tuvo un derrame el año pasado, ¿qué tan común es eso?").
    asked = words.has(e.CURIOUS)
    return bool(words.has(e.MOVED_ON) or affirmed(words, p.SCHEDULE) or affirmed(words, p.SCHEDULE_WISH) or asked)


def _told_after_now(words: Words) -> bool:
    """Whether an emergency is told after "ahora" or "hoy" ("pero ahora le duele el pecho"), not only a visit wanted
    ("la semana pasada tuvo una reacción alérgica, ahora queremos cita con alergología")."""
    now = [span.start for span in words.spans(e.NOW)]
    return bool(now) and any(span.start > min(now) for span in _emergency_spans(words, what_happened=False))


def _recently_over(words: Words) -> bool:
    """An episode of the last days, said to be over, told to ask for a visit: "mi hijo tuvo un ataque de asma el
    domingo, ya está bien, quiero cita". A recent one needs the all-clear said and nothing told after it ("ayer se
    golpeó la cabeza, ya está bien pero hoy vomitó"), where one long past needs neither."""
    if not words.has(e.RECENTLY):
        return False
    all_clear = affirmed(words, e.FINE_NOW)
    wanted = words.has(e.FOLLOW_UP) or affirmed(words, p.SCHEDULE) or affirmed(words, p.SCHEDULE_WISH)
    if not all_clear or not wanted:
        return False
    said = min(span.end for span in all_clear)
    return not any(span.start >= said for span in _emergency_spans(words, what_happened=False))


def _emergency_spans(words: Words, *, what_happened: bool = True) -> list[Span]:
    """Where the message holds words of an emergency, of any kind: a sign, self-harm, a call, and the halves of the
    signs serious together; of those, only the sign when not `what_happened` (an allergy named again in
    "alergólogo" tells nothing new)."""
    groups = (p.EMERGENCY, p.EMERGENCY_CALL, e.SELF_HARM, e.FAREWELL, e.CHEMICAL, e.SWALLOWED_HARM, e.UNANSWERING)
    pairs = (
        patterns for happened, sign in e.SERIOUS_PAIRS for patterns in ((happened, sign) if what_happened else (sign,))
    )
    return [span for patterns in (*groups, *pairs) for span in words.spans(patterns)]


def _in_a_story(words: Words) -> bool:
    """Emergency words told of the characters of a film, a series or a book ("en la serie el protagonista se
    suicida, me dejó pensando"), or of a subject read about ("leyendo sobre venenos para la clase de química"): no
    one of the writer's own named, nothing said to happen now, and the writer in none of the emergency phrases nor
    just before one ("estoy viendo una serie y me duele el pecho")."""
    if not (words.has(e.STORY) or words.has(e.TOLD_OF)) or words.has(e.OWN_PEOPLE) or words.has(e.NOW_HERE):
        return False
    writer = {span.start for span in words.spans(e.FIRST_PERSON)}
    # With no emergency phrase the patterns cannot tell whose words they are: the learned model reads them.
    spans = _emergency_spans(words)
    return bool(spans) and not any(writer & set(range(span.start - 2, span.end)) for span in spans)


def _animal_in_trouble(words: Words) -> bool:
    """An animal, not a person, in trouble ("mi gato se tragó un hilo"); a bite or a scratch is the person's."""
    return words.has(e.ANIMAL) and not words.has(e.ANIMAL_ATTACK) and not words.has(e.PERSON)


def _not_happening(words: Words, *, animals: bool = True) -> bool:
    """Emergency words not told of a person now: a film, the news, homework or a first-aid course asked about out of
    curiosity, a story's characters, what to do if it ever happens, an animal in trouble (unless `animals` is
    False), an appointment cancelled by someone already in hospital; unless something is happening now ("y ahora no
    respira")."""
    if words.has(e.NOW_HERE):
        return False
    in_hospital = words.has(e.IN_HOSPITAL) and bool(words.has(p.CANCEL) or words.has(p.RESCHEDULE))
    return (
        in_hospital
        or (words.has(e.TOLD_OF) and words.has(e.CURIOUS))
        or words.has(e.IF_EVER)
        or (words.has(e.WAS_NOTHING) and bool(affirmed(words, e.FINE_NOW)))
        or (animals and _animal_in_trouble(words))
        or _in_a_story(words)
    )


_EVERY_KIND = frozenset(Emergency)


def ruled_out_kinds(words: Words) -> frozenset[Emergency]:
    """The kinds of emergency the learned model (`emergency_model`) may not add to the message: every kind when the
    message places its emergency words elsewhere than in a person now (a film, curiosity, an episode long past and
    well now); only a medical one when an animal is in trouble, which is the vet's: the owner's own words of
    self-harm ("ya regalé mis cosas, a mi perro se lo dejé a mi vecina") are still theirs."""
    if _not_happening(words, animals=False) or _long_past(words):
        return _EVERY_KIND
    if _not_happening(words):
        return frozenset({Emergency.MEDICAL})  # an animal in trouble
    return frozenset()


def ruled_out(words: Words) -> bool:
    """Whether the learned model is not asked about the message at all (see `ruled_out_kinds`)."""
    return ruled_out_kinds(words) == _EVERY_KIND


def emergency_of(words: Words) -> Emergency | None:
    """The kind of emergency the message tells of, if any; a doubt about an overdose counts as one."""
    told = told_emergency(words)
    if (
        told is None
        and affirmed(words, p.EMERGENCY_CALL)
        and not words.has(p.EMERGENCY_QUESTION)
        and not words.has(e.NOT_ONE)
        and not _not_happening(words)
        and not _urgent_errand(words)
        and not _thanks_for_one_past(words)
        and not _long_past(words)
    ):
        return Emergency.MEDICAL
    return told


def _thanks_for_one_past(words: Words) -> bool:
    """ "Qué buena atención en emergencias el otro día, gracias", "ya me siento mejor después de la emergencia de la
    semana pasada, gracias": the word of a call said of care already given, thanked, with nothing of now."""
    past = words.has(e.LONG_AGO) or words.has(e.RECENTLY)
    now = words.has(e.NOW_HERE) or words.has(e.NOW_AGAIN)
    return past and not now and words.has(p.THANKS_GOODBYE)


def _urgent_errand(words: Words) -> bool:
    """ "Tengo una emergencia: necesito cambiar mi cita": the word used for an urgent appointment errand, with
    nothing told that is one."""
    return bool(words.has(p.RESCHEDULE) or words.has(p.CANCEL) or words.has(p.LIST) or affirmed(words, p.SCHEDULE))


def _ending_clause(words: Words, patterns: tuple[Pattern, ...]) -> bool:
    """Whether one of `patterns` ends its clause, with nothing said after it ("no quiero seguir.")."""
    return any(span.end == len(words) or words.clause_start(span.end) == span.end for span in words.spans(patterns))


def _crisis_signs(words: Words) -> int:
    """How many kinds of crisis sign the message holds: despair, the means or place at hand, being shut in, a
    farewell, love sent or someone entrusted."""
    # "No quiero seguir" ends its clause: said of living, not of a treatment ("no quiero seguir con la dieta").
    despair = _ending_clause(words, e.GIVING_UP) or bool(affirmed(words, e.DESPAIR))
    legacy = _ending_clause(words, e.LOVE_SENT) or bool(affirmed(words, e.LEGACY))
    kinds = (e.MEANS_AT_HAND, e.ISOLATED, e.ENDING)
    return despair + legacy + sum(bool(affirmed(words, patterns)) for patterns in kinds)


def _self_harm(words: Words) -> bool:
    """Suicidal thoughts, a plan or its means, a farewell; pills hoarded or a goodbye only when the message is not
    about a refill or a move, and "suicidio" named as a topic ("una tarea sobre el suicidio") is not one."""
    idioms = words.spans(e.IDIOM) + words.spans(e.DENIED)
    spans = [
        span
        for span in affirmed(words, e.SELF_HARM)
        if not any(i.start < span.end and span.start < i.end for i in idioms)
    ]
    if not words.has(e.REFILL):
        spans += affirmed(words, e.HOARDED)
    if not words.has(e.LEAVING):
        spans += affirmed(words, e.FAREWELL)
    # Last words, unless the message is about a trip or an appointment moved ("el lunes ya no voy a estar, cambien
    # mi cita").
    errand = words.has(e.LEAVING) or words.has(p.RESCHEDULE) or words.has(p.CANCEL)
    # Two kinds of crisis sign; three in a message about an appointment ("estoy en la carretera, ya no aguanto, no
    # llego a la cita").
    appointment = errand or words.has(p.APPOINTMENT_WORD) or words.has(p.SCHEDULE)
    if not spans and (
        (_ending_clause(words, e.LAST_WORDS) and not errand) or _crisis_signs(words) >= (3 if appointment else 2)
    ):
        return True
    topics = {span.start for span in words.spans(e.SELF_HARM_TOPIC)}
    if spans and {span.start for span in spans} <= topics and (words.has(e.TOLD_OF) or _not_happening(words)):
        return False
    # A character's act in a story, or a death by suicide long past in the family ("mi papá se suicidó cuando yo
    # era niña, necesito terapia"): told of someone else, not the writer's danger now.
    deaths = words.spans(e.SUICIDE_DEATH)
    if (
        spans
        and words.has(e.LONG_AGO)
        and all(any(d.start <= s.start and s.end <= d.end for d in deaths) for s in spans)
    ):
        return False
    if spans and _in_a_story(words):
        return False
    return bool(spans)


def told_emergency(words: Words) -> Emergency | None:
    """The emergency the message describes (a symptom, an overdose, self-harm), not counting a bare call for
    help ("¡ambulancia!", "auxilio"), which also says "ya llegó la ambulancia"."""
    # A long-past episode, well now, with an appointment wanted, is a booking; never a doubt about an overdose.
    long_past = _long_past(words)
    if _self_harm(words) and not (long_past and words.has(e.PAST_ATTEMPT) and not words.has(e.ONGOING)):
        return Emergency.SELF_HARM
    if _not_happening(words):
        return None
    if (_overdose(words) or affirmed(words, e.SWALLOWED_HARM)) and not long_past:
        return Emergency.MEDICAL
    # "Casi me da un infarto cuando vi la factura", "me ahogo de calor", "me quemé con el sol": a manner of speaking,
    # or something milder than the words.
    idioms = words.spans(e.MEDICAL_IDIOM) + words.spans(e.IDIOM)

    def told(patterns: tuple[Pattern, ...]) -> bool:
        return any(
            not any(i.start < span.end and span.start < i.end for i in idioms) for span in affirmed(words, patterns)
        )

    # Signs serious only together are not, when said to be mild or over.
    together = not affirmed(words, e.MILD) and any(told(happened) and told(sign) for happened, sign in e.SERIOUS_PAIRS)
    # A poison named is one, unless asked about for cleaning.
    chemical = told(e.CHEMICAL) and not words.has(e.CLEANING)
    serious = told(p.EMERGENCY) or told(e.UNANSWERING) or chemical or together or _pressure_crisis(words)
    if serious and not long_past:
        return Emergency.MEDICAL
    return None


def told_overdose(words: Words) -> bool:
    """Whether the message tells of pills, a poison or a chemical swallowed: a danger to the body, even in a
    message about self-harm."""
    return _overdose(words) or bool(affirmed(words, e.SWALLOWED_HARM))
