"""Word lists shared by the understanding steps: WhatsApp spellings, emoji meanings, filler words.

Everything here is written without accents, lowercase, as `normalize.fold` leaves text.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# WhatsApp shorthand → the words it stands for (after accents are folded, ñ is n).
ABBREVIATIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "q": "que",
        "k": "que",
        "ke": "que",
        "qe": "que",
        "xq": "porque",
        "xk": "porque",
        "pq": "porque",
        "pk": "porque",
        "porq": "porque",
        "x": "por",
        "xfa": "por favor",
        "xfas": "por favor",
        "xfis": "por favor",
        "xfavor": "por favor",
        "porfa": "por favor",
        "porfi": "por favor",
        "porfis": "por favor",
        "porfas": "por favor",
        "porfavor": "por favor",
        "plis": "por favor",
        "pls": "por favor",
        "plz": "por favor",
        "tmb": "tambien",
        "tb": "tambien",
        "tbn": "tambien",
        "tmbn": "tambien",
        "tambn": "tambien",
        "pa": "para",
        "pal": "para el",
        "xa": "para",
        "mnn": "manana",
        "mna": "manana",
        "mnna": "manana",
        "mnana": "manana",
        "mana": "manana",
        "manan": "manana",
        "mananna": "manana",
        "maniana": "manana",
        "d": "de",
        "dl": "del",
        "cn": "con",
        "dr": "doctor",
        "dra": "doctora",
        "doc": "doctor",
        "drs": "doctores",
        "hrs": "horas",
        "hr": "horas",
        "hs": "horas",
        "min": "minutos",
        "mins": "minutos",
        "msj": "mensaje",
        "bn": "bien",
        "okey": "ok",
        "oki": "ok",
        "okis": "ok",
        "okay": "ok",
        "oka": "ok",
        "sip": "si",
        "sep": "si",
        "shi": "si",
        "nop": "no",
        "nel": "no",
        "nope": "no",
        "grax": "gracias",
        "grx": "gracias",
        "grs": "gracias",
        "grcs": "gracias",
        "gcs": "gracias",
        "graxias": "gracias",
        "tmpc": "tampoco",
        "ud": "usted",
        "uds": "ustedes",
        "sta": "esta",
        "ta": "esta",
        "stoy": "estoy",
        "toy": "estoy",
        "nd": "nada",
        "hla": "hola",
        "holis": "hola",
        "holi": "hola",
        "oli": "hola",
        "bns": "buenas",
        "bnas": "buenas",
        "wenas": "buenas",
        "guenas": "buenas",
        "bnos": "buenos",
        "wenos": "buenos",
        "guenos": "buenos",
        "weno": "bueno",
        "bno": "bueno",
        "tdo": "todo",
        "aki": "aqui",
        "ps": "pues",
        "dsp": "despues",
        "dps": "despues",
        "dsps": "despues",
        "tons": "entonces",
        "oy": "hoy",
        "hoi": "hoy",
        "bb": "bebe",
        "ntp": "no te preocupes",
        "info": "informacion",
    }
)

# Emoji that carry a patient's answer; every other symbol is dropped.
EMOJI_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "👍": "ok",
        "👌": "ok",
        "✅": "si",
        "✔": "si",
        "🆗": "ok",
        "👎": "no",
        "❌": "no",
        "🙏": "gracias",
        "👋": "hola",
    }
)


def word_list(text: str) -> tuple[str, ...]:
    """The words of a whitespace-separated list, in order: long lists read better as text."""
    return tuple(text.split())


# Words that add nothing to a short social reply ("sí, doctora, por favor"): a greeting,
# a yes, a no or a thank-you may contain them and still be only that.
FILLER: Final[frozenset[str]] = frozenset(
    word_list(
        """
    el la los las un una unos unas de del a al en con por para que me mi mis te tu se lo le les nos
    y o e es esta este ese esa eso esto estos esas esos aqui ahi ya pues nomas muy mucho mucha muchos
    muchas todo todos toda todas bien tambien igual igualmente entonces asi favor senor senora senorita
    joven doctor doctora licenciado licenciada enfermera usted ustedes hora horario dia fecha cita
    turno consulta opcion ah oh eh mm mmm jaja jajaja jeje amigo amiga disculpe disculpa disculpen perdon
    perdone molestia molestar tengo horarios horas dias fechas citas turnos opciones
    """
    )
)

# Words about when: a "sí, mañana a las 10" is still a yes.
WHEN_WORDS: Final[frozenset[str]] = frozenset(
    word_list(
        """
    hoy manana pasado tarde noche temprano mediodia medio lunes martes miercoles jueves viernes
    sabado domingo semana proxima proximo siguiente am pm media cuarto punto horas minutos
    enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre
    """
    )
)
