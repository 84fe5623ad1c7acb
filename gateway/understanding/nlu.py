"""Understanding one patient message: intent, date, time, specialty and doctor.

Deterministic and fast: normalize WhatsApp Spanish, match phrase patterns by sound with
room for typos, and resolve dates and times against the clinic's clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import TypeVar
from zoneinfo import ZoneInfo

from gateway.understanding import intent_patterns as p
from gateway.understanding.clinic_topics import TOPIC_WORDS, ClinicTopic, find_topics
from gateway.understanding.dates import find_dates, is_refused, spell_calendar_words
from gateway.understanding.doctors import find_doctor
from gateway.understanding.emergencies import Emergency, emergency_of, ruled_out_kinds
from gateway.understanding.emergency_model import EmergencyModel
from gateway.understanding.family import Mention, only_whom, whom
from gateway.understanding.intent_patterns import GREETING
from gateway.understanding.intents import INTENT_WORDS, Intent, classify, complains_of_the_clinic, says_no, says_yes
from gateway.understanding.normalize import is_question
from gateway.understanding.patterns import Words
from gateway.understanding.references import without_references
from gateway.understanding.sentences import split_sentences
from gateway.understanding.small_talk import ASKS_AFTER_US, SmallTalk, ends_with_farewell, small_talk_of
from gateway.understanding.specialties import SPECIALTY_WORDS, find_specialty
from gateway.understanding.times import TimeOfDay, find_part_of_day, find_times
from gateway.understanding.vocabulary import EMOJI_WORDS

_SINCE = re.compile(r"\b(?:desde|hace)\s+(?:el\s+|la\s+)?$")
# "No trabaja hasta el mediodía", "estoy ocupada hasta las 5": an hour after "hasta" is a limit, not the hour wanted.
_UNTIL = re.compile(r"\bhasta\s+(?:el\s+|la\s+|las\s+|eso\s+de\s+las\s+)?$")
# The same character or two said over and over ("🙏🙏🙏…", "gracias gracias gracias…", "jajajaja") are read as said
# three times: more adds nothing to what the message asks, only to the time it takes to read. Digits are left be.
_REPEATED = re.compile(r"(\D{1,3}?)\1{3,}")
# The emoji read as words ("👍" is "ok"): a message's first ones answer; a wall of them only costs time to read.
_SPELLED_EMOJI = re.compile("|".join(re.escape(emoji) for emoji in EMOJI_WORDS))
_EMOJI_READ = 200
# Longer messages are cut here (WhatsApp's own limit): matching time grows with length.
MAX_CHARS = 4096
# From this length a message is also read sentence by sentence, and the sentence that asks for something wins
# over the greetings, thanks and story around it.
LONG_MESSAGE = 280
# A long message is cut into at most this many sentences, and at most `PARTS_READ` of those that hold words of a
# request are read on their own (with the one after the request): each costs about as much as a short message, so
# the extra work stays bounded.
_MOST_SENTENCES = 40
PARTS_READ = 6
# Words the patterns spell out are never read as typos of other words ("muela" is not "mueva").
KNOWN_WORDS = INTENT_WORDS | SPECIALTY_WORDS | TOPIC_WORDS
# Intents that may be only small talk: "ok" is a yes, "usted es muy amable" a thanks, "¿qué tal su día?" other.
_SMALL_TALK_INTENTS = frozenset({Intent.OTHER, Intent.CONFIRM, Intent.DENY, Intent.GREETING, Intent.THANKS_GOODBYE})
T = TypeVar("T")


@dataclass(frozen=True)
class Understanding:
    intent: Intent
    date: dt.date | None
    time: dt.time | None
    specialty: str | None
    doctor: str | None
    confidence: float
    # "por la tarde" said without a clock time; None whenever `time` is set.
    time_of_day: TimeOfDay | None = None
    # What the message asks about the clinic, also alongside a booking ("quiero una cita, ¿cuánto cuesta?").
    clinic_topics: tuple[ClinicTopic, ...] = ()
    # Which emergency, when `intent` is one: self-harm gets a reply of its own.
    emergency: Emergency | None = None
    # The emergency was read by the learned model alone, the patterns saw none: it may be a false alarm.
    emergency_learned: bool = False
    # A complaint about the clinic ("pésima atención"): handed to a person, with an apology.
    complaint: bool = False
    # Small talk answered from a template rather than by the model ("¿eres un robot?", "ok", "muy amable").
    small_talk: SmallTalk | None = None
    # Who the message says an appointment is for ("para mi hijo", "a nombre de Mateo", "para mí"), if it says.
    whom: Mention | None = None

    def as_json(self) -> dict[str, str | float | None]:
        """The JSON shape the CLI prints and the evaluation compares (dates ISO, times HH:MM)."""
        return {
            "intent": self.intent.value,
            "date": self.date.isoformat() if self.date else None,
            "time": self.time.strftime("%H:%M") if self.time else None,
            "specialty": self.specialty,
            "doctor": self.doctor,
            "time_of_day": self.time_of_day,
            "clinic_topics": ",".join(self.clinic_topics) or None,
            "small_talk": self.small_talk,
            "confidence": self.confidence,
        }


def yes_in(text: str) -> bool:
    """Whether `text` holds a yes and no no, whatever else it says (see `intents.says_yes`)."""
    return says_yes(Words(text[:MAX_CHARS], known=KNOWN_WORDS))


def no_in(text: str) -> bool:
    """Whether `text` starts with a no and holds no yes (see `intents.says_no`)."""
    return says_no(Words(text[:MAX_CHARS], known=KNOWN_WORDS))


def understand(
    text: str,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    doctors: Sequence[str] = (),
    emergency_model: EmergencyModel | None = None,
) -> Understanding:
    """What the patient asks for, with dates resolved against `now` in the clinic's zone `tz`.

    A naive `now` is taken as clinic time. `doctors` are the names a mention is matched
    against ("la dra quispe" → "Dra. Carmen Quispe"). `emergency_model`, when given, reads the
    messages the emergency patterns let pass, unless they place their words in the past or in a film.
    """
    local_now = now.astimezone(tz) if now.tzinfo is not None else now.replace(tzinfo=tz)
    text = without_references(_fewer_emoji(_REPEATED.sub(r"\1\1\1", text[:MAX_CHARS])))
    mention = whom(text)
    whole = _read(
        text,
        Words(text, known=KNOWN_WORDS),
        local_now=local_now,
        doctors=doctors,
        emergency_model=emergency_model,
        mention=mention,
    )
    if len(text) < LONG_MESSAGE or whole.intent in (Intent.EMERGENCY, Intent.HUMAN_HANDOFF):
        return whole
    sentences = split_sentences(text, most=_MOST_SENTENCES)
    if len(sentences) < 2:
        return whole
    parts: dict[int, Understanding] = {}
    for at, sentence in enumerate(sentences):
        words = Words(sentence, known=KNOWN_WORDS)
        if words.has(_REQUEST_WORDS):
            # The learned model has read the whole message already: an emergency it saw was returned above.
            parts[at] = _read(sentence, words, local_now=local_now, doctors=doctors, emergency_model=None, mention=None)
            if len(parts) == PARTS_READ:
                break
    chosen = _chosen(whole, parts)
    if chosen is None:
        return whole
    # "Quiero una cita para mi hijo. Puede ser el jueves en la tarde.": the sentence after the request may finish it.
    after = chosen + 1
    following = parts.get(after)
    if following is None and after < len(sentences):
        words = Words(sentences[after], known=KNOWN_WORDS)
        following = _read(
            sentences[after], words, local_now=local_now, doctors=doctors, emergency_model=None, mention=None
        )
    return replace(by_parts(whole, parts, chosen, following), whom=mention)


def _fewer_emoji(text: str) -> str:
    """`text` with the spelled-out emoji after the first `_EMOJI_READ` taken out."""
    beyond = next(islice(_SPELLED_EMOJI.finditer(text), _EMOJI_READ, None), None)
    if beyond is None:
        return text
    return text[: beyond.start()] + _SPELLED_EMOJI.sub(" ", text[beyond.start() :])


def _read(
    text: str,
    words: Words,
    *,
    local_now: dt.datetime,
    doctors: Sequence[str],
    emergency_model: EmergencyModel | None,
    mention: Mention | None,
) -> Understanding:
    """`understand` of one text, whole: `words` are its words, `local_now` the clinic's time, `mention` who the
    text says an appointment is for (given for the whole message, None for a sentence of it)."""
    normalized = spell_calendar_words(" ".join(words.words))
    # "Me duele desde ayer", "hace dos días": when something began, not a day wanted.
    dates = [
        day
        for day in find_dates(normalized, today=local_now.date())
        if not (day.value < local_now.date() and _SINCE.search(normalized, 0, day.start))
    ]
    # "Sábado 5 en la mañana": the 5 is the day's, not 05:00; "hasta las 5" is a limit.
    times = [
        found
        for found in find_times(normalized)
        if not _UNTIL.search(normalized, 0, found.start)
        and not any(found.start < day.end and day.start < found.end for day in dates)
    ]
    specialty = find_specialty(words)
    doctor = find_doctor(words, doctors)
    topics = find_topics(words, has_when=bool(dates or times), has_whom=bool(specialty or doctor))
    intent, confidence = classify(
        words,
        question=is_question(text),
        has_details=bool([day for day in dates if day.value >= local_now.date()] or times or specialty or doctor),
        clinic_topics=topics,
    )
    learned = None
    # "Para mi hijo" answers who an appointment is for; the model alone took it for self-harm.
    if intent is not Intent.EMERGENCY and emergency_model is not None and not only_whom(text, mention):
        excluded = ruled_out_kinds(words)
        if len(excluded) < len(Emergency):
            verdict = emergency_model.verdict(text)
            learned = None if verdict in excluded else verdict
        if learned is not None:
            intent, confidence = Intent.EMERGENCY, 0.8
    small_talk = small_talk_of(words, text) if intent in _SMALL_TALK_INTENTS else None
    if intent is Intent.GREETING and words.has(ASKS_AFTER_US):
        small_talk = SmallTalk.HOW_ARE_YOU
    if intent is Intent.OTHER and small_talk is None and ends_with_farewell(words):
        intent = Intent.THANKS_GOODBYE  # "ya me voy a dormir, chau"
    if (small_talk is SmallTalk.HOW_ARE_YOU and words.has(GREETING)) or small_talk is SmallTalk.HELLO:
        intent = Intent.GREETING  # "hola, ¿cómo amaneció?", "saludos desde El Alto"
    if intent is Intent.SCHEDULE_APPOINTMENT and not (specialty or doctor):
        # "¿Hay algún doctor que me pueda ver?": the booking asks which specialty with the list; answering the
        # doctors as a question too printed it twice.
        topics = tuple(topic for topic in topics if topic is not ClinicTopic.DOCTORS)
    # Moving an appointment names the old day first and the new one last ("del lunes al martes").
    pick = -1 if intent is Intent.RESCHEDULE_APPOINTMENT else 0
    clock = times[pick].value if times else None
    # "Ya no puedo el viernes, mejor el lunes": the day wanted is the one not refused, wherever it was said.
    wanted = [day for day in dates if not is_refused(normalized, day)] or dates
    return Understanding(
        intent=intent,
        date=wanted[pick].value if wanted else None,
        time=clock,
        specialty=specialty,
        doctor=doctor,
        confidence=round(confidence, 2),
        time_of_day=None if clock else find_part_of_day(normalized),
        clinic_topics=topics if intent not in (Intent.EMERGENCY, Intent.HUMAN_HANDOFF) else (),
        emergency=(learned or emergency_of(words)) if intent is Intent.EMERGENCY else None,
        emergency_learned=learned is not None,
        complaint=intent is Intent.HUMAN_HANDOFF and complains_of_the_clinic(words),
        small_talk=small_talk,
        whom=mention,
    )


# Words a sentence must hold to be read on its own: an appointment asked for, changed, listed, or a question
# about the clinic.
_REQUEST_WORDS = (
    *p.SCHEDULE,
    *p.SCHEDULE_WISH,
    *p.APPOINTMENT_WORD,
    *p.CANCEL,
    *p.CANNOT_ATTEND,
    *p.RESCHEDULE,
    *p.LIST,
    *p.INFORMATION,
    *p.SEE_ME,
)
_FLOWS = (
    Intent.SCHEDULE_APPOINTMENT,
    Intent.CANCEL_APPOINTMENT,
    Intent.RESCHEDULE_APPOINTMENT,
    Intent.LIST_APPOINTMENTS,
)
# The confidence of a message that is only a date, time, specialty or doctor: a detail, not a request.
_BARE_DETAIL = 0.6


def _chosen(whole: Understanding, parts: Mapping[int, Understanding]) -> int | None:
    """Which sentence's request the message is: the strongest, the first among equals, an appointment before a
    question about the clinic, and the whole message's own intent when it has one; None when no sentence requests
    anything, or when the whole found a request no single sentence holds (words of it in two sentences)."""
    requests = {at: part for at, part in parts.items() if _requests(part)}
    if whole.intent in _FLOWS or whole.intent is Intent.CLINIC_INFO:
        requests = {at: part for at, part in requests.items() if part.intent is whole.intent}
    flows = [at for at, part in requests.items() if part.intent in _FLOWS]
    candidates = flows or list(requests)
    if not candidates:
        return None
    return max(candidates, key=lambda at: requests[at].confidence)


def _requests(part: Understanding) -> bool:
    """Whether a sentence asks for something: an appointment in words that say so, or the clinic's data."""
    return part.intent is Intent.CLINIC_INFO or (part.intent in _FLOWS and part.confidence > _BARE_DETAIL)


def by_parts(
    whole: Understanding, parts: Mapping[int, Understanding], chosen: int, following: Understanding | None
) -> Understanding:
    """A long message understood from the request in its sentence `chosen` (see `_chosen`): its details, those
    of other sentences with the same request and of a bare detail right after it (`following`), else the
    specialty or doctor the whole message names; and the clinic questions asked in any sentence."""
    request = parts[chosen]
    same = [request] + [
        part for at, part in sorted(parts.items()) if at != chosen and part.intent is request.intent and _requests(part)
    ]
    finishing = following is not None and following.intent is Intent.SCHEDULE_APPOINTMENT and not _requests(following)
    if following is not None and finishing:
        same.append(following)  # a bare detail: "Puede ser el jueves."
    # A request that says its day or part of the day ("el sábado en la mañana") takes its hour from itself or the
    # detail after it, never from another sentence ("sale de la casa a las cinco de la mañana… tiene que ir al
    # doctor").
    own = [request, *([following] if following is not None and finishing else [])]
    timed = own if request.date is not None or request.time_of_day is not None else same
    asked = [part.clinic_topics for part in parts.values() if part.intent is Intent.CLINIC_INFO]
    topics = tuple(dict.fromkeys(topic for found in (request.clinic_topics, *asked) for topic in found))
    # The whole message's specialty or doctor, unless it belongs to another of its requests ("cancele la del
    # viernes; también quiero una cita con pediatría").
    others = [part for part in parts.values() if part.intent is not request.intent]
    specialty = _first(part.specialty for part in same) or _unless_in(
        whole.specialty, (part.specialty for part in others)
    )
    doctor = _first(part.doctor for part in same) or _unless_in(whole.doctor, (part.doctor for part in others))
    if request.intent is Intent.SCHEDULE_APPOINTMENT and not (specialty or doctor):
        topics = tuple(topic for topic in topics if topic is not ClinicTopic.DOCTORS)
    clock = _first(part.time for part in timed)
    return replace(
        request,
        date=_first(part.date for part in same),
        time=clock,
        time_of_day=None if clock else _first(part.time_of_day for part in timed),
        specialty=specialty,
        doctor=doctor,
        clinic_topics=topics,
    )


def _unless_in(value: T | None, taken: Iterable[T | None]) -> T | None:
    return None if value in set(taken) else value


def _first(values: Iterable[T | None]) -> T | None:
    return next((value for value in values if value is not None), None)
