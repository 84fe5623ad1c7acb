"""The Clínica edit forms: a topic's facts as the form's fields, and the fields typed back into facts.

Fields are plain strings by name (no HTTP here). A mistake comes back as `Invalid` with one Spanish sentence per
field, so the page can show it beside what was typed. Lists (payment methods, insurers, what to bring, services)
are one item per line; an item's aliases, the words patients call it by, follow a colon: `pago por QR: qr, codigo qr`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import time
from typing import Final

from appointments.clinic_info import (
    Address,
    Facts,
    Hours,
    Insurer,
    Named,
    Payment,
    Period,
    Preparation,
    Prices,
    Services,
    Topic,
)
from gateway.console.clinic import MAX_NOTE, Invalid, Stored, readable
from gateway.understanding.normalize import normalize

Form = Mapping[str, str]
WEEKDAYS: Final = (
    (1, "Lunes"),
    (2, "Martes"),
    (3, "Miércoles"),
    (4, "Jueves"),
    (5, "Viernes"),
    (6, "Sábado"),
    (7, "Domingo"),
)
# Each weekday has up to two periods (morning and afternoon, with a break between them).
PERIODS: Final = (1, 2)
MAX_TEXT: Final = 300
MAX_PRICE: Final = 100_000
MAX_ITEMS: Final = 30
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
# Bolivians write thousands with a dot (1.200), some with a comma (1,200): a separator followed by exactly three digits.
_PRICE = re.compile(r"(?:bs\.?\s*)?(\d{1,3}(?:([.,])\d{3})(?:\2\d{3})*|\d+)(?:\s*bs\.?)?", re.IGNORECASE)
_DECIMAL = re.compile(r"(?:bs\.?\s*)?\d+[.,]\d+(?:\s*bs\.?)?", re.IGNORECASE)
_MAPS_URL = re.compile(r"https://\S+")
_NOTHING: Final[Form] = {}


def bolivian(number: int) -> str:
    """100000 → '100.000', thousands the way Bolivians write them."""
    return f"{number:,}".replace(",", ".")


def labels(specialties: Mapping[str, str]) -> dict[str, str]:
    """The name a refusal's summary line gives each field that shares its wording with others (prices, hours)."""
    named = {price_field(code): name for code, name in specialties.items()}
    for weekday, day in WEEKDAYS:
        named[closed_field(weekday)] = day
        for number in PERIODS:
            turn = " (2.º turno)" if number == 2 else ""
            opens, closes = period_fields(weekday, number)
            named[opens], named[closes] = f"{day}, abre{turn}", f"{day}, cierra{turn}"
    return named


def price_field(code: str) -> str:
    return f"price_{code}"


def period_fields(weekday: int, period: int) -> tuple[str, str]:
    return f"d{weekday}_opens{period}", f"d{weekday}_closes{period}"


def closed_field(weekday: int) -> str:
    return f"d{weekday}_closed"


# --- facts to fields ------------------------------------------------------------------------------------------


def values(stored: Stored, specialties: Mapping[str, str]) -> dict[str, str]:
    """What the edit form of `stored` shows before anything is typed."""
    shown: dict[str, str] = {"note": stored.note}
    facts = stored.facts
    if isinstance(facts, Address):
        shown |= {name: str(getattr(facts, name)) for name in Address.model_fields}
    elif isinstance(facts, Hours):
        shown |= _hours_values(facts)
    elif isinstance(facts, Prices):
        shown |= {price_field(code): str(price) for code, price in facts.consultation_bs.items()}
    elif isinstance(facts, Payment):
        shown["methods"] = _lines(facts.methods)
        shown["insurers_yes"] = _lines([i for i in facts.insurers if i.accepted])
        shown["insurers_no"] = _lines([i for i in facts.insurers if not i.accepted])
    elif isinstance(facts, Preparation):
        shown["bring"] = "\n".join(facts.bring)
        shown["fasting"] = facts.fasting
    elif isinstance(facts, Services):
        shown["offered"] = _lines(facts.offered)
    elif stored.topic is Topic.HOURS and facts is None:
        shown |= {closed_field(weekday): "on" for weekday, _ in WEEKDAYS}
    return shown


def _hours_values(hours: Hours) -> dict[str, str]:
    shown = {"holidays": hours.holidays}
    for weekday, _ in WEEKDAYS:
        periods = hours.weekdays.get(weekday, [])
        if not periods:
            shown[closed_field(weekday)] = "on"
        for number, period in zip(PERIODS, periods, strict=False):
            opens, closes = period_fields(weekday, number)
            shown[opens], shown[closes] = f"{period.opens:%H:%M}", f"{period.closes:%H:%M}"
    return shown


def _lines(items: Sequence[Named]) -> str:
    """One item a line, its aliases after a colon; an only alias that is the name itself goes without saying."""
    lines = []
    for item in items:
        said = item.aliases and item.aliases != [normalize(item.name)]
        lines.append(f"{item.name}: {', '.join(item.aliases)}" if said else item.name)
    return "\n".join(lines)


# --- fields to facts ------------------------------------------------------------------------------------------


def parse(topic: Topic, form: Form, specialties: Mapping[str, str], *, before: Form = _NOTHING) -> Facts:
    """The facts the form says, as the assistant will read them; Invalid with a sentence per wrong field.

    `before`: what the form showed when it was opened (`values` of what is saved), to tell typed from left over.
    """
    errors: dict[str, str] = {}
    if len(form.get("note", "").strip()) > MAX_NOTE:
        errors["note"] = f"La nota puede tener hasta {MAX_NOTE} caracteres."
    if topic is Topic.HOURS:
        facts = _hours(form, specialties, errors, before)
    else:
        facts = _PARSERS[topic](form, specialties, errors)
    if errors or facts is None:
        raise Invalid(errors or {"details": "Revise los datos del formulario."})
    return readable(topic, facts)


def _text(form: Form, name: str, errors: dict[str, str], *, required: str | None = None) -> str:
    """The field trimmed, one line; `required`: the sentence when it is empty."""
    value = " ".join(form.get(name, "").split())
    if required and not value:
        errors[name] = required
    elif len(value) > MAX_TEXT:
        errors[name] = f"Máximo {MAX_TEXT} caracteres (tiene {len(value)})."
    return value


def _address(form: Form, specialties: Mapping[str, str], errors: dict[str, str]) -> Facts | None:
    street = _text(form, "street", errors, required="Escriba la calle y el número.")
    city = _text(form, "city", errors, required="Escriba la ciudad.")
    maps_url = _text(form, "maps_url", errors)
    if maps_url and not _MAPS_URL.fullmatch(maps_url):
        errors["maps_url"] = "El enlace del mapa debe empezar con https:// (cópielo de Google Maps), sin espacios."
    rest = {name: _text(form, name, errors) for name in ("area", "reference", "parking")}
    if errors:
        return None
    return Address(street=street, city=city, maps_url=maps_url, **rest)


def _clock(form: Form, name: str, errors: dict[str, str]) -> time | None:
    value = form.get(name, "").strip()
    if not value:
        return None
    found = _CLOCK.fullmatch(value)
    if found is None:
        errors[name] = "Escriba la hora como 08:00 o 14:30."
        return None
    return time(int(found[1]), int(found[2]))


def _day(form: Form, weekday: int, errors: dict[str, str], before: Form) -> list[Period]:
    """The periods of one weekday; none when it is marked closed.

    Ticking «Cerrado» on a day that was open closes it, whatever times the form still shows from before; times typed
    (not the ones shown) on a day also marked closed are refused, as nobody can tell which of the two was meant.
    """
    if form.get(closed_field(weekday)):
        names = [name for number in PERIODS for name in period_fields(weekday, number)]
        if any(form.get(name, "").strip() not in ("", before.get(name, "")) for name in names):
            errors[closed_field(weekday)] = "Marcó «Cerrado» pero escribió horas: quite una de las dos."
        return []
    periods: list[Period] = []
    for number in PERIODS:
        opens_name, closes_name = period_fields(weekday, number)
        opens, closes = _clock(form, opens_name, errors), _clock(form, closes_name, errors)
        if opens_name in errors or closes_name in errors:
            continue
        if opens is None and closes is None:
            if number == 1:
                errors[opens_name] = "Escriba la hora de apertura y la de cierre, o marque «Cerrado»."
            continue
        if opens is None or closes is None:
            errors[opens_name if opens is None else closes_name] = "Falta esta hora."
        elif closes <= opens:
            errors[closes_name] = "La hora de cierre debe ser posterior a la de apertura."
        elif periods and opens <= periods[-1].closes:
            errors[opens_name] = "El segundo horario debe empezar después de que termine el primero."
        else:
            periods.append(Period(opens=opens, closes=closes))
    return periods


def _hours(form: Form, specialties: Mapping[str, str], errors: dict[str, str], before: Form = _NOTHING) -> Facts | None:
    weekdays = {weekday: _day(form, weekday, errors, before) for weekday, _ in WEEKDAYS}
    holidays = _text(form, "holidays", errors)
    if not errors and not any(weekdays.values()):
        errors[closed_field(1)] = "Indique al menos un día con horario de atención."
    if errors:
        return None
    return Hours(weekdays={day: periods for day, periods in weekdays.items() if periods}, holidays=holidays)


def _prices(form: Form, specialties: Mapping[str, str], errors: dict[str, str]) -> Facts | None:
    prices: dict[str, int] = {}
    for code in specialties:
        name = price_field(code)
        value = form.get(name, "").strip()
        if not value:
            continue  # no price: the assistant says it does not have it
        found = _PRICE.fullmatch(value)
        price = None if found is None else int(re.sub(r"[.,]", "", found[1]))
        if price is None and _DECIMAL.fullmatch(value):
            errors[name] = "Sin centavos: escriba un número entero de bolivianos; los miles, con tres cifras (1.200)."
        elif price is None:
            errors[name] = "Escriba el precio en bolivianos, un número entero (por ejemplo 250 o 1.200)."
        elif not 0 < price <= MAX_PRICE:
            errors[name] = f"El precio debe ser mayor que 0 y hasta Bs {bolivian(MAX_PRICE)}."
        else:
            prices[code] = price
    if not errors and not prices:
        errors[price_field(next(iter(specialties), ""))] = "Indique el precio de al menos una especialidad."
    if errors:
        return None
    return Prices(consultation_bs=prices)


def _named(form: Form, name: str, errors: dict[str, str], *, required: str | None = None) -> list[Named]:
    """`name`'s lines as items: `Nombre: alias, alias`; a name without aliases is its own, as patients type it."""
    items: list[Named] = []
    lines = [line.strip() for line in form.get(name, "").splitlines() if line.strip()]
    if required and not lines:
        errors[name] = required
    if len(lines) > MAX_ITEMS:
        errors[name] = f"Como máximo {MAX_ITEMS} líneas."
    for number, line in enumerate(lines, start=1):
        title, _, rest = line.partition(":")
        title = " ".join(title.split())
        aliases = [normalize(a) for a in rest.split(",") if normalize(a)] or [normalize(title)]
        if not title:
            errors[name] = f"Línea {number}: falta el nombre antes de los dos puntos."
        elif any(len(part) > MAX_TEXT for part in [title, *aliases]):
            errors[name] = f"Línea {number}: máximo {MAX_TEXT} caracteres por nombre."
        else:
            items.append(Named(name=title, aliases=list(dict.fromkeys(aliases))))
    return items


def _payment(form: Form, specialties: Mapping[str, str], errors: dict[str, str]) -> Facts | None:
    methods = _named(form, "methods", errors, required="Escriba al menos una forma de pago, una por línea.")
    accepted = _named(form, "insurers_yes", errors)
    refused = _named(form, "insurers_no", errors)
    both = {i.name.lower() for i in accepted} & {i.name.lower() for i in refused}
    if both:
        errors["insurers_no"] = f"{sorted(both)[0]} figura también entre los seguros aceptados."
    if errors:
        return None
    insurers = [Insurer(name=i.name, aliases=i.aliases, accepted=True) for i in accepted]
    insurers += [Insurer(name=i.name, aliases=i.aliases, accepted=False) for i in refused]
    return Payment(methods=methods, insurers=insurers)


def _preparation(form: Form, specialties: Mapping[str, str], errors: dict[str, str]) -> Facts | None:
    bring = [" ".join(line.split()) for line in form.get("bring", "").splitlines() if line.strip()]
    if not bring:
        errors["bring"] = "Escriba al menos una cosa que traer, una por línea."
    elif len(bring) > MAX_ITEMS:
        errors["bring"] = f"Como máximo {MAX_ITEMS} líneas."
    elif any(len(item) > MAX_TEXT for item in bring):
        errors["bring"] = f"Máximo {MAX_TEXT} caracteres por línea."
    fasting = _text(form, "fasting", errors)
    if errors:
        return None
    return Preparation(bring=bring, fasting=fasting)


def _services(form: Form, specialties: Mapping[str, str], errors: dict[str, str]) -> Facts | None:
    offered = _named(form, "offered", errors, required="Escriba al menos un servicio, uno por línea.")
    return None if errors else Services(offered=offered)


_PARSERS: Final[Mapping[Topic, Callable[[Form, Mapping[str, str], dict[str, str]], Facts | None]]] = {
    Topic.ADDRESS: _address,
    Topic.HOURS: _hours,
    Topic.PRICES: _prices,
    Topic.PAYMENT: _payment,
    Topic.PREPARATION: _preparation,
    Topic.SERVICES: _services,
}
