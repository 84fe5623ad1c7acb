"""Which of the twelve intents a message carries, and how sure we are.

Order decides: an emergency beats everything; then asking for a person; then what the
patient wants done with an appointment (reschedule, cancel, list, book); then questions
about the clinic; then short social replies (yes, no, thanks, hello), which must make up
the whole message; then a bare appointment word or date is read as wanting to book.
"""

from __future__ import annotations

from enum import StrEnum

from gateway.understanding import emergency_patterns as e
from gateway.understanding import intent_patterns as p
from gateway.understanding.clinic_topics import ClinicTopic
from gateway.understanding.emergencies import emergency_of
from gateway.understanding.negation import affirmed
from gateway.understanding.normalize import phonetic
from gateway.understanding.patterns import Pattern, Words, lexicon
from gateway.understanding.vocabulary import FILLER, WHEN_WORDS


class Intent(StrEnum):
    GREETING = "greeting"
    SCHEDULE_APPOINTMENT = "schedule_appointment"
    CANCEL_APPOINTMENT = "cancel_appointment"
    RESCHEDULE_APPOINTMENT = "reschedule_appointment"
    LIST_APPOINTMENTS = "list_appointments"
    CONFIRM = "confirm"
    DENY = "deny"
    HUMAN_HANDOFF = "human_handoff"
    EMERGENCY = "emergency"
    THANKS_GOODBYE = "thanks_goodbye"
    # A question about the clinic (prices, hours, address...): answered from its data, never by the model.
    CLINIC_INFO = "clinic_info"
    OTHER = "other"


PATIENT_OBJECT = ("me", "nos", "le", "lo", "la", "los", "las")
INTENT_WORDS = lexicon(pattern for group in (*p.ALL, *e.ALL) for pattern in group) | frozenset(
    phonetic(word) for word in FILLER | WHEN_WORDS
)
_FILLER_KEYS = frozenset(phonetic(word) for word in FILLER)
_WHEN_KEYS = frozenset(phonetic(word) for word in WHEN_WORDS)


def says_yes(words: Words) -> bool:
    """Whether the message holds a yes, and no no ("sí, cancélela nomás" says yes while it names the cancel)."""
    return bool(affirmed(words, p.CONFIRM)) and not words.has(p.DENY)


def says_no(words: Words) -> bool:
    """Whether the message starts with a no, and holds no yes ("no, no la cancele")."""
    denials = words.spans(p.DENY)
    return bool(denials) and min(span.start for span in denials) == 0 and not affirmed(words, p.CONFIRM)


def _is_emergency(words: Words) -> bool:
    return emergency_of(words) is not None


def _only(words: Words, patterns: tuple[Pattern, ...]) -> bool:
    """Whether `patterns` cover the whole message, filler words aside."""
    covered = {index for span in words.spans(patterns) for index in range(span.start, span.end)}
    return bool(covered) and all(index in covered or key in _FILLER_KEYS for index, key in enumerate(words.keys))


def _social(words: Words) -> tuple[Intent, float] | None:
    """A greeting, yes, no or thank-you, if the message is only that (and filler words)."""
    confirm = affirmed(words, p.CONFIRM)
    # "no me sirve": a negated yes is part of the no.
    meant = set(confirm)
    negated = [span for span in words.spans(p.CONFIRM) if span not in meant]
    found = {
        Intent.DENY: words.spans(p.DENY) + negated,
        Intent.CONFIRM: confirm,
        Intent.THANKS_GOODBYE: words.spans(p.THANKS_GOODBYE),
        Intent.GREETING: words.spans(p.GREETING),
    }
    soft_yes = affirmed(words, p.CONFIRM_SOFT)
    spans = [span for group in (*found.values(), soft_yes) for span in group]
    if not spans:
        return None
    covered = {index for span in spans for index in range(span.start, span.end)}
    # "sí, mañana a las 10", "gracias, hasta el lunes": dates and times may go with a reply, not a greeting.
    answering = bool(found[Intent.DENY] or found[Intent.CONFIRM] or soft_yes or found[Intent.THANKS_GOODBYE])
    for index, key in enumerate(words.keys):
        if index in covered or key in _FILLER_KEYS:
            continue
        if answering and (key in _WHEN_KEYS or key.isdigit() or ":" in key):
            continue
        return None
    kinds = sum(1 for group in (*found.values(), soft_yes) if group)
    confidence = 0.95 if kinds == 1 else 0.85
    deny = found[Intent.DENY]
    if deny and (not confirm or min(span.start for span in deny) <= min(span.start for span in confirm)):
        return Intent.DENY, confidence
    for intent in (Intent.CONFIRM, Intent.THANKS_GOODBYE):
        if found[intent]:
            return intent, confidence
    if soft_yes:
        return Intent.CONFIRM, confidence
    return Intent.GREETING, confidence


# Topics a booking request names by itself: the service or doctor the patient wants to see.
_NAMED_IN_A_REQUEST = frozenset({ClinicTopic.SERVICES, ClinicTopic.DOCTORS})


def _asks_to_be_seen(words: Words, *, question: bool, clinic_topics: tuple[ClinicTopic, ...]) -> bool:
    """ "Cita para vacunas del bebé", "quiero traumatólogo": a service or doctor named in a plain request."""
    if not set(clinic_topics) <= _NAMED_IN_A_REQUEST:
        return False
    if words.has(p.SEE_ME):
        return True  # "quería saber si hay algún doctor que me pueda ver esta semana"
    if question:
        return False
    if words.has(p.INFORMATION) or words.has(p.WANT_TO_KNOW):
        return False
    return bool(affirmed(words, p.APPOINTMENT_WORD) or affirmed(words, p.WANT))


def complains_of_the_clinic(words: Words) -> bool:
    """A complaint about the clinic ("quiero hacer un reclamo", "pésima atención"), not pain complained of ("se
    queja de la espalda")."""
    ailing = words.spans(p.COMPLAINING_OF_PAIN)
    return any(
        not any(pain.start <= span.start < pain.end for pain in ailing) for span in affirmed(words, p.CLINIC_COMPLAINT)
    )


def classify(
    words: Words, *, question: bool, has_details: bool, clinic_topics: tuple[ClinicTopic, ...] = ()
) -> tuple[Intent, float]:
    """The intent of a message and a confidence in [0, 1].

    `question`: the patient wrote a question mark; `has_details`: a date, time, specialty or
    doctor was found, which makes an otherwise unclear message a booking request; `clinic_topics`:
    what the message asks about the clinic (`clinic_topics.find_topics`).
    """
    if _is_emergency(words):
        return Intent.EMERGENCY, 0.97
    # "Una persona", "sí, con una persona" (answering "escriba «persona»").
    if words.has(p.HUMAN_HANDOFF) or (words.has(p.A_PERSON_ALONE) and _only(words, p.A_PERSON_ALONE + p.CONFIRM)):
        return Intent.HUMAN_HANDOFF, 0.9
    if complains_of_the_clinic(words):
        return Intent.HUMAN_HANDOFF, 0.9
    cancel, cannot_attend = words.has(p.CANCEL), words.has(p.CANNOT_ATTEND)
    if words.has(p.RESCHEDULE) or _only(words, p.MOVE_ALONE):
        return Intent.RESCHEDULE_APPOINTMENT, 0.8 if cancel else 0.9
    if cannot_attend and not cancel and words.has(p.OTHER_TIME):
        return Intent.RESCHEDULE_APPOINTMENT, 0.75
    if cancel or cannot_attend:
        return Intent.CANCEL_APPOINTMENT, 0.9 if cancel else 0.8
    if words.has(p.LIST) or (question and affirmed(words, p.HAVE_APPOINTMENT)):
        return Intent.LIST_APPOINTMENTS, 0.88
    if words.has(p.CONFIRM_BOOKING) and not has_details:
        return Intent.CONFIRM, 0.85
    if affirmed(words, p.SCHEDULE):
        return Intent.SCHEDULE_APPOINTMENT, 0.93 if has_details else 0.9
    if clinic_topics and _asks_to_be_seen(words, question=question, clinic_topics=clinic_topics):
        return Intent.SCHEDULE_APPOINTMENT, 0.85
    if clinic_topics:
        return Intent.CLINIC_INFO, 0.85
    if has_details and affirmed(words, p.SCHEDULE_WISH) and not words.has(p.INFORMATION):
        # "Quería ver si me puede dar una cita para el sábado, porque él no trabaja": the working is his.
        return Intent.SCHEDULE_APPOINTMENT, 0.9
    if words.has(p.INFORMATION) or [
        span for span in words.spans(p.CLINIC_OPEN) if not words.preceded_by(span.start, PATIENT_OBJECT, within=1)
    ]:
        return Intent.OTHER, 0.8
    if affirmed(words, p.SCHEDULE_WISH):
        return Intent.SCHEDULE_APPOINTMENT, 0.9 if has_details else 0.85
    if words.has(p.UNSURE) and not has_details:
        return Intent.OTHER, 0.6
    social = _social(words)
    if social is not None:
        return social
    if affirmed(words, p.APPOINTMENT_WORD) or (has_details and not words.has(p.CHATTER)):
        return Intent.SCHEDULE_APPOINTMENT, 0.6
    return Intent.OTHER, 0.4
