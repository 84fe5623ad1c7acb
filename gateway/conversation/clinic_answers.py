"""Answers to questions about the clinic, written only from its data: the `clinic_info` rows, the
doctors and specialties, and the clinic-wide days off. Where the data is silent the answer says so
and offers a person; nothing here guesses a price, a day or an insurer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Final, TypeVar

from appointments.clinic_info import ClinicInfo, Hours, Named, Period, Topic
from appointments.schemas import Doctor, ScheduleBlock, ScheduleOverride
from gateway.conversation import wording
from gateway.conversation.reply import Option
from gateway.understanding.clinic_topics import ClinicTopic
from gateway.understanding.normalize import normalize

OFFER_PERSON = "Si lo desea, escriba «hablar con una persona» y alguien de nuestro equipo le responderá por este chat."
PERSON_OPTION = Option(id="hablar con una persona", title="Hablar con una persona")
RESUME_BIRTH_DATE = "Para continuar con su registro, escriba su fecha de nacimiento (por ejemplo: 12/03/1985)."
RESUME_DOCUMENT = "Para continuar con su registro, escriba su número de carnet de identidad (por ejemplo: 4567891 LP)."

_UNKNOWN: Final[Mapping[ClinicTopic, str]] = {
    ClinicTopic.PRICES: "No tengo información sobre los precios de las consultas.",
    ClinicTopic.HOURS: "No tengo información sobre los horarios de atención.",
    ClinicTopic.ADDRESS: "No tengo información sobre la dirección de la clínica.",
    ClinicTopic.PAYMENT: "No tengo información sobre las formas de pago ni los seguros que aceptamos.",
    ClinicTopic.PREPARATION: "No tengo información sobre qué debe traer a la consulta.",
    ClinicTopic.DOCTORS: "No tengo información sobre nuestros médicos en este momento.",
    ClinicTopic.SERVICES: "No tengo información sobre ese servicio.",
    ClinicTopic.GENERAL: "No tengo esa información.",
}
_WEEKDAY_WORDS: Final = {
    "lunes": 1,
    "martes": 2,
    "miercoles": 3,
    "jueves": 4,
    "viernes": 5,
    "sabado": 6,
    "sabados": 6,
    "domingo": 7,
    "domingos": 7,
}
_PLURAL_DAYS: Final = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábados", "domingos")
_WEEKEND = re.compile(r"\b(fin de semana|finde|fines de semana)\b")
_HOLIDAYS = re.compile(r"\bferiad")
# "¿A qué hora abren el sábado?", "¿hasta qué hora atienden hoy?", "¿cuándo abren?": asks when or which, not
# whether, so the answer does not open with "Sí," or "No,".
_ASKS_WHEN = re.compile(r"\b(que (horas?|dias?)|hasta que|desde que|cuando|horarios?|cuales?)\b")
# A holiday line that says the clinic is closed, with no hours in it: the answer to "¿atienden los feriados?" is a no.
_CLOSED = re.compile(r"\b(cerrad[oa]s?|no atendemos|no abrimos|no abre)\b")
_LOWER_OPENERS = frozenset({"en", "el", "la", "los", "las", "durante", "todo", "todos"})
# Asking where the clinic is, as opposed to only about parking.
_WHERE = re.compile(r"\b(donde|direccion|ubicacion|ubicados|quedan|queda|llego|llegar)\b")
_PARKING = re.compile(r"\b(parqueo|estacionamiento|estacionar|parquear|parqueadero)\b")
_FASTING = re.compile(r"\bayun")
_HAVE = re.compile(r"\b(tienen|tiene|hay|cuentan)\b")
_INSURANCE = re.compile(r"\b(seguro|seguros|aseguradora|caja|prepaga|cns)\b")
_EMERGENCIES = re.compile(r"\b(emergencia|emergencias|urgencia|urgencias)\b")
# Ways to pay patients ask about; one no method's aliases cover is one we have no information on.
_N = TypeVar("_N", bound=Named)
_ROW_OF: Final = {topic.value: topic for topic in Topic}
_PAY_WORDS: Final = ("tarjeta", "qr", "efectivo", "transferencia", "cheque", "deposito", "dolares")


@dataclass(frozen=True)
class Question:
    """What was asked: the topics, the message, and a specialty or day it names (or the flow had)."""

    topics: tuple[ClinicTopic, ...]
    text: str
    specialty: str | None = None
    day: date | None = None
    # A doctor the message names, by full name.
    doctor: str | None = None


@dataclass(frozen=True)
class ClinicAnswer:
    text: str
    # False when the data could not answer some part: the reply offers a person.
    complete: bool

    @property
    def options(self) -> tuple[Option, ...]:
        return () if self.complete else (PERSON_OPTION,)


@dataclass(frozen=True)
class Facts:
    """Everything an answer may draw on for one turn."""

    info: ClinicInfo
    doctors: Sequence[Doctor]
    specialty_names: Mapping[str, str]
    # The clinic-wide override on `Question.day`, if any (a holiday, a short day).
    day_override: ScheduleOverride | None = None
    # The weekly blocks of the doctors asked about, by doctor id.
    schedules: Mapping[int, Sequence[ScheduleBlock]] = field(default_factory=dict)
    # The number a patient in an emergency is told to call (settings), if the clinic set one.
    emergency_number: str | None = None


def answer(question: Question, facts: Facts) -> ClinicAnswer:
    """The reply to a question about the clinic; each topic answered from the data or said to be unknown."""
    said = normalize(question.text)
    parts: list[str] = []
    complete = True
    for topic in question.topics or (ClinicTopic.GENERAL,):
        text, known = _ANSWERERS[topic](question, facts, said)
        parts.append(text)
        complete = complete and known
        row = _ROW_OF.get(topic.value)
        note = facts.info.note(row) if row is not None else ""
        if known and note:
            parts.append(note)
    if not complete:
        parts.append(OFFER_PERSON)
    return ClinicAnswer("\n".join(parts), complete)


def _clock(value: time) -> str:
    return f"{value:%H:%M}"


def _periods(periods: Sequence[Period]) -> str:
    return " y ".join(f"de {_clock(p.opens)} a {_clock(p.closes)}" for p in periods)


def _listing(items: Sequence[str], conjunction: str = "y") -> str:
    """ "a, b y c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _week(hours: Hours) -> str:
    """ "de lunes a viernes de 08:00 a 19:00; sábados de 08:00 a 12:00; domingos cerrado"."""
    return _week_of(hours.weekdays, say_closed=True)


def _week_of(weekdays: Mapping[int, Sequence[Period]], *, say_closed: bool) -> str:
    """A week of periods, days with the same hours in a row said together; closed days named or left out."""
    runs: list[tuple[int, int, list[Period]]] = []
    for weekday in range(1, 8):
        periods = list(weekdays.get(weekday, []))
        if runs and runs[-1][2] == periods and runs[-1][1] == weekday - 1:
            runs[-1] = (runs[-1][0], weekday, periods)
        else:
            runs.append((weekday, weekday, periods))
    lines = []
    for first, last, periods in runs:
        days = (
            _PLURAL_DAYS[first - 1]
            if first == last
            else f"de {wording.WEEKDAYS[first - 1]} a {wording.WEEKDAYS[last - 1]}"
        )
        if periods:
            lines.append(f"{days} {_periods(periods)}")
        elif say_closed:
            lines.append(f"{days} cerrado")
    return "; ".join(lines)


def names_days(text: str) -> bool:
    """Whether the message names days of the week or the weekend ("¿y los sábados?", "¿y el finde?"): after an
    answer about opening hours, that is the same question about those days."""
    said = normalize(text)
    return _WEEKEND.search(said) is not None or any(word in _WEEKDAY_WORDS for word in said.split())


def _hours(question: Question, facts: Facts, said: str) -> tuple[str, bool]:
    hours = facts.info.hours
    if hours is None:
        return _UNKNOWN[ClinicTopic.HOURS], False
    yes_or_no = _ASKS_WHEN.search(said) is None
    if _HOLIDAYS.search(said) and question.day is None:
        if hours.holidays:
            return _on_holidays(hours.holidays, yes_or_no=yes_or_no), True
        return "No tengo información sobre la atención en días feriados.", False
    if question.day is not None:
        return _on_day(hours, question.day, facts.day_override, yes_or_no=yes_or_no), True
    asked = sorted({_WEEKDAY_WORDS[w] for w in said.split() if w in _WEEKDAY_WORDS})
    if _WEEKEND.search(said):
        asked = sorted({*asked, 6, 7})
    if asked:
        # One day asked whether gets a yes or a no; a closed day also gets the days that are open.
        one = len(asked) == 1 and yes_or_no
        lines = []
        for weekday in asked:
            periods = hours.weekdays.get(weekday)
            days = f"los {_PLURAL_DAYS[weekday - 1]}"
            if periods:
                lines.append(_answered(f"{days} atendemos {_periods(periods)}.", "Sí" if one else None))
            else:
                lines.append(_answered(f"{days} no atendemos.", "No" if one else None))
        if any(not hours.weekdays.get(weekday) for weekday in asked):
            lines.append(f"Nuestro horario: {_week(hours)}.")
        return " ".join(lines), True
    return f"Nuestro horario de atención es {_week(hours)}.", True


def _answered(sentence: str, yes_or_no: str | None) -> str:
    """ "Sí, el sábado atendemos…" to a yes/no question (`yes_or_no` the word), "El sábado atendemos…" to one that
    asks when."""
    if yes_or_no is None:
        return sentence[0].upper() + sentence[1:]
    return f"{yes_or_no}, {sentence}"


def _on_holidays(line: str, *, yes_or_no: bool) -> str:
    """What staff wrote about holidays; to "¿atienden los feriados?" a line that says the clinic is closed then is
    a no ("No, en los feriados nacionales la clínica está cerrada."). Hours in it, or a first word that may be a
    name, keep it as written."""
    said = normalize(line)
    first = said.split()[0] if said.split() else ""
    if yes_or_no and _CLOSED.search(said) and not any(c.isdigit() for c in line) and first in _LOWER_OPENERS:
        return _answered(line[0].lower() + line[1:], "No")
    return line


def _on_day(hours: Hours, day: date, override: ScheduleOverride | None, *, yes_or_no: bool = True) -> str:
    when = wording.day(day)
    yes, no = ("Sí", "No") if yes_or_no else (None, None)
    if override is not None and override.doctor_id is None:
        reason = f" ({override.reason})" if override.reason else ""
        if override.closed or override.start is None or override.end is None:
            return _answered(f"el {when} la clínica está cerrada{reason}.", no)
        return _answered(f"el {when} atendemos de {_clock(override.start)} a {_clock(override.end)}{reason}.", yes)
    periods = hours.weekdays.get(day.isoweekday())
    if periods:
        return _answered(f"el {when} atendemos {_periods(periods)}.", yes)
    return _answered(f"el {when} no atendemos.", no) + f" Nuestro horario: {_week(hours)}."


def _offered(facts: Facts) -> dict[str, list[Doctor]]:
    """Specialty codes with at least one active doctor, by specialty name."""
    by_code: dict[str, list[Doctor]] = {}
    for doctor in facts.doctors:
        by_code.setdefault(doctor.specialty_code, []).append(doctor)
    return dict(sorted(by_code.items(), key=lambda item: facts.specialty_names.get(item[0], item[0])))


def _name(facts: Facts, code: str) -> str:
    return facts.specialty_names.get(code, code)


def _prices(question: Question, facts: Facts, said: str) -> tuple[str, bool]:
    prices = facts.info.prices
    offered = _offered(facts)
    code = question.specialty
    if code is not None and code not in offered:
        return f"Por ahora no tenemos médicos de {_name(facts, code)}.", True
    if prices is None:
        return _UNKNOWN[ClinicTopic.PRICES], False
    if code is not None:
        price = prices.consultation_bs.get(code)
        if price is None:
            return f"No tengo el precio de la consulta de {_name(facts, code)}.", False
        return f"La consulta de {_name(facts, code)} cuesta Bs {price}.", True
    lines = [f"• {_name(facts, c)}: Bs {prices.consultation_bs[c]}" for c in offered if c in prices.consultation_bs]
    if not lines:
        return _UNKNOWN[ClinicTopic.PRICES], False
    return "El precio de la consulta es:\n" + "\n".join(lines), True


def _address(question: Question, facts: Facts, said: str) -> tuple[str, bool]:
    address = facts.info.address
    if address is None:
        return _UNKNOWN[ClinicTopic.ADDRESS], False
    if address.parking and _PARKING.search(said) and not _WHERE.search(said):
        return address.parking, True  # "¿hay parqueo?" after the address: the parking line, not the block again
    place = ", ".join(part for part in (address.street, address.area, address.city) if part)
    lines = [f"Estamos en {place}" + (f", {address.reference}." if address.reference else ".")]
    if address.maps_url:
        lines.append(f"Ubicación en el mapa: {address.maps_url}")
    if address.parking:
        lines.append(address.parking)
    elif _PARKING.search(said):
        lines.append("No tengo información sobre el parqueo.")
        return "\n".join(lines), False
    return "\n".join(lines), True


def _mentioned(items: Sequence[_N], said: str) -> list[_N]:
    """The items the message names by one of their aliases."""
    padded = f" {said} "
    return [item for item in items if any(f" {normalize(alias)} " in padded for alias in item.aliases)]


def _payment(question: Question, facts: Facts, said: str) -> tuple[str, bool]:
    payment = facts.info.payment
    if payment is None:
        return _UNKNOWN[ClinicTopic.PAYMENT], False
    lines: list[str] = []
    known = True
    if _INSURANCE.search(said):
        named = _mentioned(payment.insurers, said)
        for insurer in named:
            yes, no = f"Sí, trabajamos con {insurer.name}.", f"No, no trabajamos con {insurer.name}."
            lines.append(yes if insurer.accepted else no)
        accepted = [i.name for i in payment.insurers if i.accepted and i not in named]
        if accepted and any(not i.accepted for i in named):
            # An honest no also says which insurers the clinic does work with.
            lines.append(f"Los seguros con los que sí trabajamos son: {_listing(accepted)}.")
        if not named:
            accepted_names = [i.name for i in payment.insurers if i.accepted]
            refused = [i.name for i in payment.insurers if not i.accepted]
            if accepted_names:
                lines.append(f"Trabajamos con {_listing(accepted_names)}.")
            if refused:
                lines.append(f"No trabajamos con {_listing(refused, 'ni con')}.")
            if payment.insurers:
                lines.append("Sobre otros seguros no tengo información.")
            else:
                lines.append("No tengo información sobre los seguros que aceptamos.")
            known = False
    covered = {normalize(alias) for method in payment.methods for alias in method.aliases}
    for word in _PAY_WORDS:
        if f" {word} " in f" {said} " and word not in covered:
            lines.append(f"No tengo información sobre el pago con {word}.")
            known = False
    for method in _mentioned(payment.methods, said):
        lines.append(f"Sí, aceptamos {method.name}.")
    if payment.methods:
        lines.append(f"Formas de pago: {_listing([m.name for m in payment.methods])}.")
    return "\n".join(lines), known


def _preparation(question: Question, facts: Facts, said: str) -> tuple[str, bool]:
    preparation = facts.info.preparation
    if preparation is None:
        return _UNKNOWN[ClinicTopic.PREPARATION], False
    lines = ["Para su consulta traiga:", *(f"• {item}" for item in preparation.bring)]
    if _FASTING.search(said):
        if not preparation.fasting:
            lines.append("No tengo información sobre si debe ir en ayunas.")
            return "\n".join(lines), False
        lines.append(preparation.fasting)
    return "\n".join(lines), True


def _doctor_week(facts: Facts, doctor: Doctor) -> str | None:
    """ "de lunes a viernes de 08:00 a 12:00 y de 14:00 a 18:00; sábados de 08:00 a 12:00", or None without blocks."""
    weekdays: dict[int, list[Period]] = {}
    for block in sorted(facts.schedules.get(doctor.id, ()), key=lambda b: (b.weekday, b.start)):
        weekdays.setdefault(block.weekday, []).append(Period(opens=block.start, closes=block.end))
    return _week_of(weekdays, say_closed=False) if weekdays else None


def _doctors(question: Question, facts: Facts, said: str) -> tuple[str, bool]:
    offered = _offered(facts)
    if not offered:
        return _UNKNOWN[ClinicTopic.DOCTORS], False
    named = next((d for d in facts.doctors if d.full_name == question.doctor), None)
    if named is not None:
        week = _doctor_week(facts, named)
        who = f"{_titled(named)} ({_name(facts, named.specialty_code)})"
        if week is None:
            return f"No tengo información sobre los horarios de {who}.", False
        return f"{who[0].upper()}{who[1:]} atiende {week}.", True
    code = question.specialty
    if code is not None:
        doctors = offered.get(code)
        if not doctors:
            return f"Por ahora no tenemos médicos de {_name(facts, code)}.", True
        verb = "atiende" if len(doctors) == 1 else "atienden"
        yes = "Sí, en" if _HAVE.search(said) else "En"
        text = f"{yes} {_name(facts, code)} {verb} {_listing([_titled(d) for d in doctors])}."
        weeks = [(d, week) for d in doctors if (week := _doctor_week(facts, d)) is not None]
        if len(weeks) == 1 and len(doctors) == 1:
            text = f"{text[:-1]}, {weeks[0][1]}."
        elif weeks:
            text += "\n" + "\n".join(f"• {d.full_name}: {week}" for d, week in weeks)
        return text, True
    lines = [f"• {_name(facts, c)}: {_listing([d.full_name for d in ds])}" for c, ds in offered.items()]
    return "Estas son nuestras especialidades y médicos:\n" + "\n".join(lines), True


def _titled(doctor: Doctor) -> str:
    """ "la Dra. Lucía Vargas", "el Dr. Jorge Mamani": a name with its title reads with an article."""
    name = doctor.full_name
    if name.startswith("Dra."):
        return f"la {name}"
    return f"el {name}" if name.startswith("Dr.") else name


def opens_next(hours: Hours | None, now: datetime) -> str | None:
    """When a person can answer if the clinic is closed at `now` (its local time): "mañana a las 08:00", or
    "en horario de atención" when the hours are unknown; None while it is open."""
    if hours is None or not any(hours.weekdays.values()):
        return "en horario de atención"
    for ahead in range(8):
        day = now.date() + timedelta(days=ahead)
        for period in sorted(hours.weekdays.get(day.isoweekday(), ()), key=lambda p: p.opens):
            if ahead == 0 and period.opens <= now.time() < period.closes:
                return None
            if ahead > 0 or period.opens > now.time():
                when = "hoy" if ahead == 0 else "mañana" if ahead == 1 else f"el {wording.day(day)}"
                return f"{when} a las {_clock(period.opens)}"
    return "en horario de atención"


def _emergencies(facts: Facts) -> str:
    """Whether the clinic takes emergencies: it is no emergency service, and whom to call instead."""
    call = f"llame ahora al {facts.emergency_number}" if facts.emergency_number else "llame al número de emergencias"
    return (
        f"La clínica no es un servicio de emergencias. Si tiene una emergencia, {call} o acuda a la emergencia "
        "más cercana."
    )


def _services(question: Question, facts: Facts, said: str) -> tuple[str, bool]:
    if _EMERGENCIES.search(said):
        return _emergencies(facts), False
    services = facts.info.services
    if services is None:
        return _UNKNOWN[ClinicTopic.SERVICES], False
    named = _mentioned(services.offered, said)
    if named:
        return f"Sí, ofrecemos {_listing([s.name for s in named])}.", True
    listed = _listing([s.name for s in services.offered]) if services.offered else ""
    more = f" Estos son los servicios que ofrecemos: {listed}." if listed else ""
    return _UNKNOWN[ClinicTopic.SERVICES] + more, False


def _general(question: Question, facts: Facts, said: str) -> tuple[str, bool]:
    if _EMERGENCIES.search(said):
        return _emergencies(facts), False
    return _UNKNOWN[ClinicTopic.GENERAL], False


_ANSWERERS: Final = {
    ClinicTopic.PRICES: _prices,
    ClinicTopic.HOURS: _hours,
    ClinicTopic.ADDRESS: _address,
    ClinicTopic.PAYMENT: _payment,
    ClinicTopic.PREPARATION: _preparation,
    ClinicTopic.DOCTORS: _doctors,
    ClinicTopic.SERVICES: _services,
    ClinicTopic.GENERAL: _general,
}
