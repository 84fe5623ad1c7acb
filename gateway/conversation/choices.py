"""Reading a patient's answer to what the assistant just asked: a code, an option, a reference.

These complement the NLU: it says what a message wants; these read the short answers a step
expects ("la 2", "1234", "123 456", "otro horario", "reenviar").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Final
from uuid import UUID

from gateway.understanding.dates import WEEKDAYS, FoundDate, find_dates, is_refused, spell_calendar_words
from gateway.understanding.normalize import normalize

# Read here too, where a step expects one ("la 3F2A91C0"); the understanding sets them aside.
from gateway.understanding.references import appointment_reference as appointment_reference
from gateway.understanding.times import find_times

_DIGIT_RUN = re.compile(r"\d(?:[\s.-]?\d)*")

_ORDINALS: Final = (
    ("1", "uno", "una", "primero", "primera", "primer"),
    ("2", "dos", "segundo", "segunda"),
    ("3", "tres", "tercero", "tercera", "tercer"),
    ("4", "cuatro", "cuarto", "cuarta"),
    ("5", "cinco", "quinto", "quinta"),
    ("6", "seis", "sexto", "sexta"),
    ("7", "siete", "septimo", "septima"),
    ("8", "ocho", "octavo", "octava"),
    ("9", "nueve", "noveno", "novena"),
    ("10", "diez", "decimo", "decima"),
)
_LAST: Final = ("ultimo", "ultima")
# Words around an option number that do not change it ("la opcion 2 por favor").
_OPTION_FILLER: Final = frozenset(
    [
        "el",
        "la",
        "lo",
        "los",
        "las",
        "de",
        "del",
        "a",
        "al",
        "opcion",
        "opciones",
        "numero",
        "nro",
        "n",
        "no",
        "num",
        "quiero",
        "prefiero",
        "me",
        "sirve",
        "elijo",
        "escojo",
        "tomo",
        "esa",
        "ese",
        "esta",
        "este",
        "por",
        "favor",
        "porfa",
        "si",
        "ok",
        "gracias",
        "dale",
        "va",
        "horario",
        "turno",
        "cita",
        "y",
        "con",
        # How patients here soften a choice: "la segunda nomás", "la primera pues", "bueno, la 2 entonces".
        "nomas",
        "noma",
        "nada",
        "mas",
        "pues",
        "entonces",
        "mejor",
        "bueno",
        "ya",
    ]
)
_OTHER_OPTIONS: Final = re.compile(
    r"\b(otr[oa]s?|ningun[oa]?|mas tarde|mas temprano|diferente|distint[oa]|no me (sirve|conviene|queda|puedo)"
    r"|no puedo|cambiar (de )?(hora|horario|dia|fecha))\b"
)
# Leaving the booking, not asking for other slots: "no quiero ninguna, gracias", "ya no", "déjelo así nomás",
# "después le escribo", "olvídese", "mejor no". "Ya no puedo el jueves" only refuses a day.
_DROPS_IT: Final = re.compile(
    r"\b(ya no(?! (puedo|me (sirve|conviene|queda)|hay))|no,? gracias|ningun[oa]?,? gracias|no quiero ningun[oa]?"
    r"|dej(e|elo|emoslo|alo) asi|despues (le |les )?(escribo|aviso|veo)|luego (le |les )?(escribo|aviso)"
    r"|olvid(e|ese|elo|alo)|ya no quiero|mejor no( gracias| nomas| mas)*$)\b"
)
# A cancellation and nothing else ("cancele todo nomás", "mejor cancélelo"): while booking, the booking is left;
# the patient may mean the appointments already held too, so the reply says how to cancel those.
_CANCELS_IT: Final = re.compile(r"^(mejor |ya )?cancel\w*( (todo|eso|nomas|mejor|por favor|gracias))*$")
_CANCEL_WORD: Final = re.compile(r"\bcancel\w*")
# "Más temprano", "antes": earlier than the times offered, the same day.
_EARLIER: Final = re.compile(r"\b(mas temprano|mas tempranito|antes|mas antes|mas pronto)\b")
# "Más tarde", "el mismo día pero después": later than the times offered, the same day.
_LATER_SAME_DAY: Final = re.compile(
    r"\b(mas tarde|mas tardecito|mismo dia|ese mismo dia|ese dia pero|mas despues|un poco despues)\b"
)
# "Otro día", "otro día esa semana", "ese día no puedo": another day than the one offered.
_OTHER_DAY: Final = re.compile(r"\b(otro dia|otra fecha|diferente dia|distinto dia|ese dia no|otros dias)\b")
_DAY_WORD: Final = r"(lunes|martes|miercoles|jueves|viernes|sabado|domingo|hoy|manana|\d{1,2})\b"
_HELD_DAY: Final = re.compile(rf"\b(del|de este|de esta|de)( dia)? {_DAY_WORD}")
_NEW_DAY: Final = re.compile(rf"\b(para|al|a)( el| este| esta)?( dia)? {_DAY_WORD}")
_OWN: Final = re.compile(r"\b(la|el|lo) mi[ao]\b|\b(la|mi) (cita )?propia\b|\bpara mi( mism[ao]| nomas| nada mas)?$")
_NOT_OWN: Final = re.compile(r"\bno (es )?(la|el|lo) mi[ao]\b")
# "Otro día esa semana", "algún otro día de esta semana", "la misma semana": the week of the day offered.
_SAME_WEEK: Final = re.compile(r"\b(esa|esta|la misma|misma) semana\b")
# "Solo puedo los sábados", "los sábados nomás", "prefiero los lunes o los martes": every such weekday, and only
# those, are the days the patient can come ("los" + a weekday names every one of them: no one date, for
# `find_dates`).
_WEEKDAY_NAME: Final = r"(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo)s?\b"
_EVERY_DAY: Final = rf"(?P<days>los {_WEEKDAY_NAME}(?: (?:o|y|e|u) (?:los )?{_WEEKDAY_NAME})*)"
_ISO_WEEKDAY: Final = {spelled: iso for iso, name in enumerate(WEEKDAYS, start=1) for spelled in (name, f"{name}s")}
_ONLY_ON: Final = (
    re.compile(
        r"\b(?:solo|solamente|unicamente|puedo|podria|podre|prefiero|mejor|quiero|vengo"
        rf"|me (?:queda|sirve|conviene|acomoda))(?: \w+){{0,3}}? {_EVERY_DAY}"
    ),
    re.compile(rf"\b{_EVERY_DAY} (?:nomas|no mas|nada mas|solamente)\b"),
)
_RESEND: Final = re.compile(r"\b(reenvi\w*|re enviar|otro codigo|nuevo codigo|no (me )?(llego|lleg[oa]|recibi))\b")
# "Registrarme", "regístreme", "inscribirme" and their usual misspellings; "registro"/"registrado" are not asking.
_REGISTER_VERB: Final = r"(?:re?s?[gj]r?istr|inscrib)(?:ar|ir|arme|irme|arse|irse|ame|eme|enme|ese|anos|arnos)"
_REGISTER: Final = re.compile(rf"\b{_REGISTER_VERB}\b")
_NOT_REGISTER: Final = re.compile(rf"\b(?:no|nunca)\s+(?:\w+\s+){{0,3}}{_REGISTER_VERB}\b")


def digits(text: str, count: int) -> str | None:
    """The only run of exactly `count` digits in `text` ("1 2 3 4", "123-456" count), or None.

    Two candidate runs is ambiguous and gives None too.
    """
    found = [re.sub(r"\D", "", run) for run in _DIGIT_RUN.findall(text)]
    matching = [run for run in found if len(run) == count]
    return matching[0] if len(matching) == 1 else None


def option_number(text: str, count: int) -> int | None:
    """The option (0-based) a reply like "2", "la segunda", "opción 3" or "el último" picks among `count`.

    A clock time is never an option number: "la de las 3" names 15:00, not the third option.
    """
    normalized = normalize(text)
    if find_times(normalized):
        return None
    words = normalized.split()
    meaningful = [w for w in words if w not in _OPTION_FILLER]
    if len(meaningful) != 1:
        return None
    word = meaningful[0]
    if word in _LAST:
        return count - 1
    for index, names in enumerate(_ORDINALS):
        if word in names:
            return index if index < count else None
    return None


def option_at_time(text: str, starts: Sequence[dt.datetime]) -> int | None:
    """The option whose local start time the reply names ("la de las 9:30", "a las 3"), if exactly one.

    An hour from 1 to 7 said with no am/pm names the afternoon one when only that is offered ("la de las 7": 19:00).
    """
    times = find_times(normalize(text))
    if len(times) != 1:
        return None
    said = times[0]
    readings = [said.value]
    if said.bare and 1 <= said.value.hour <= 7:
        readings.append(said.value.replace(hour=said.value.hour + 12))
    for wanted in readings:
        matches = [i for i, start in enumerate(starts) if start.time().replace(second=0, microsecond=0) == wanted]
        if matches:
            return matches[0] if len(matches) == 1 else None
    return None


def wants_other_options(text: str) -> bool:
    """ "Otro horario", "ninguno", "no me sirve": none of the options offered."""
    return _OTHER_OPTIONS.search(normalize(text)) is not None


def drops_the_booking(text: str) -> bool:
    """ "No quiero ninguna, gracias", "ya no", "déjelo así nomás", "después le escribo": no slot, and no more."""
    return _DROPS_IT.search(normalize(text)) is not None


def only_cancels(text: str) -> bool:
    """ "Cancele todo nomás", "mejor cancélelo": a cancellation that names no appointment."""
    return _CANCELS_IT.search(normalize(text)) is not None


def says_cancel(text: str) -> bool:
    """Whether the message speaks of cancelling ("ya no quiero ninguna cita, cancele todo")."""
    return _CANCEL_WORD.search(normalize(text)) is not None


def wants_earlier(text: str) -> bool:
    """ "Más temprano", "antes": a time before the ones offered, the same day."""
    return _EARLIER.search(normalize(text)) is not None


def wants_later_same_day(text: str) -> bool:
    """ "El mismo día pero más tarde", "más tarde": a time after the ones offered, the same day."""
    return _LATER_SAME_DAY.search(normalize(text)) is not None


def wants_another_day(text: str) -> bool:
    """ "Otro día esa semana", "ese día no puedo": a day other than the one offered."""
    return _OTHER_DAY.search(normalize(text)) is not None


def names_held_day(text: str) -> bool:
    """ "La del viernes", "mi cita de este viernes": the day is the appointment's, not where to move it ("para el
    lunes", "al martes")."""
    said = normalize(text)
    return _HELD_DAY.search(said) is not None and _NEW_DAY.search(said) is None


def names_own(text: str) -> bool:
    """ "La mía, no la de mi esposo", "la que es para mí nomás": the holder's own appointment, not a relative's."""
    said = normalize(text)
    return _OWN.search(said) is not None and _NOT_OWN.search(said) is None


def wants_same_week(text: str) -> bool:
    """ "Otro día esa semana": another day, in the calendar week of the day offered."""
    return wants_another_day(text) and _SAME_WEEK.search(normalize(text)) is not None


def days_named(text: str, today: dt.date) -> tuple[list[dt.date], list[dt.date]]:
    """The days a message asks for and the days it refuses: "mejor el lunes, el jueves no puedo" → lunes, jueves."""
    words = spell_calendar_words(normalize(text))
    wanted: list[dt.date] = []
    refused: list[dt.date] = []
    for found in find_dates(words, today=today):
        (refused if is_refused(words, found) else wanted).append(found.value)
    return wanted, refused


def only_weekdays(text: str) -> tuple[int, ...]:
    """The ISO weekdays (1 is Monday) a message says are the only ones the patient can come on: "yo solo puedo los
    sábados" → (6,); "los sábados no puedo", "trabajo los sábados" or "el sábado" name none."""
    words = spell_calendar_words(normalize(text))
    found: set[int] = set()
    for pattern in _ONLY_ON:
        for match in pattern.finditer(words):
            start, end = match.span("days")
            if not is_refused(words, FoundDate(start, end, dt.date.min)):
                found.update(_ISO_WEEKDAY[word] for word in words[start:end].split() if word in _ISO_WEEKDAY)
    return tuple(sorted(found))


def asks_to_resend(text: str) -> bool:
    """ "Reenviar", "otro código", "no me llegó": send the code again."""
    return _RESEND.search(normalize(text)) is not None


def registration_answer(text: str) -> bool | None:
    """ "Sí, quiero registrarme" → True, "no quiero registrarme" → False; None when it names no registering."""
    words = normalize(text)
    if _NOT_REGISTER.search(words) is not None:
        return False
    return True if _REGISTER.search(words) is not None else None


def reference_of(appointment_id: UUID) -> str:
    """The short reference a patient sees: the id's first 8 hex digits, upper-case."""
    return appointment_id.hex[:8].upper()


def matches_reference(appointment_id: UUID, reference: str) -> bool:
    return str(appointment_id) == reference or appointment_id.hex[:8] == reference
