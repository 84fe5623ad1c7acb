"""The clinic specialty a message asks for, by its canonical name.

A named specialist ("pediatra", "cardiología") outweighs a body part or complaint ("corazón",
"muela"); among equals the first mentioned wins. "Médico" or "doctor" alone names none.
Specialist names forgive typos ("oftamologo"); everyday hint words must be spelled right
("visto" is not "vista").
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from gateway.understanding.patterns import Pattern, Words, compile_patterns, lexicon

SPECIALTIES: Final = (
    "medicina_general",
    "pediatria",
    "ginecologia",
    "cardiologia",
    "dermatologia",
    "odontologia",
    "traumatologia",
    "oftalmologia",
    "psicologia",
)

_VACCINE = "vacuna|vacunas|vacunar|vacunarlo|vacunarla|vacunarlos|vacunarlas|vacunacion|vacunaciones"
_CHILD = "hijo|hija|hijos|hijas|hijito|hijita|hijitos|hijitas|nieto|nieta|nietos|nietas|sobrino|sobrina"
_JOINTS = "rodilla|rodillas|tobillo|tobillos|columna|hombro|hombros|muneca|munecas|cadera|caderas"
# (names of the specialty or its specialist, words that point to it)
_WORDS: Final[Mapping[str, tuple[tuple[Pattern, ...], tuple[Pattern, ...]]]] = MappingProxyType(
    {
        "medicina_general": (
            compile_patterns(
                [
                    "medicina|medico|medica|doctor|doctora|consulta|chequeo|control|revision|cita|turno|ficha general",
                    "medicina|medico|medica familiar",
                    "medico|medica de cabecera|familia",
                    "medicina interna",
                    "internista|generalista",
                ]
            ),
            (),
        ),
        "pediatria": (
            compile_patterns(["pediatr*", "pediatria"]),
            compile_patterns(
                [
                    "nino|nina|ninos|ninas|nene|nena|nenes|nenas|bebe|bebes|wawa|wawas|guagua|guaguas|infantil|lactante|neonato",
                    "recien nacido|nacida",
                    # A child's vaccines are given in pediatrics: "cita para vacunas de mi hijo".
                    _VACCINE + " ... " + _CHILD,
                    _CHILD + " ... " + _VACCINE,
                ],
                fuzzy=False,
            ),
        ),
        "ginecologia": (
            compile_patterns(["ginecolog*", "gineco", "ginecologia", "obstetr*", "ginecobstetr*"]),
            compile_patterns(["prenatal", "papanicolau|papanicolaou|pap", "embaraz*", "menstrua*"], fuzzy=False),
        ),
        "cardiologia": (
            compile_patterns(["cardiolog*", "cardiologia", "cardio"]),
            compile_patterns(
                [
                    "corazon",
                    "presion",
                    "hipertens*",
                    "arritmia*",
                    "palpitacion*",
                    "electrocardiograma|electro",
                ],
                fuzzy=False,
            ),
        ),
        "dermatologia": (
            compile_patterns(["dermatolog*", "dermatologia", "derma", "dermato"]),
            compile_patterns(
                [
                    "piel",
                    "acne",
                    "lunar|lunares",
                    "mancha|manchas",
                    "granos|granitos|espinillas",
                    "verruga*",
                    "psoriasis",
                ],
                fuzzy=False,
            ),
        ),
        "odontologia": (
            compile_patterns(["odontolog*", "odontologia", "dentist*", "dental|dentales", "ortodonc*"]),
            compile_patterns(
                ["diente|dientes", "muela|muelas", "caries", "encia|encias", "brackets|frenillos"], fuzzy=False
            ),
        ),
        "traumatologia": (
            compile_patterns(["traumatolog*", "traumatologia", "trauma", "ortoped*"]),
            compile_patterns(
                [
                    "hueso|huesos",
                    "fractur*",
                    "esguince",
                    "torcedura|torci|torcio",
                    "luxacion|zafe|zafo",
                    # A joint alone is no complaint ("se raspó la rodilla" is a scrape): it hurts, swells or was hit.
                    "duele|duelen|dolia|dolor|dolores|golpe|golpee|golpeo|golpie|lesion|lesione|lesiono|hinchada"
                    "|hinchado|inflamada|inflamado|operaron|operar|cirugia ..3 " + _JOINTS,
                    _JOINTS + " ..3 duele|duelen|dolia|dolor|dolores|hinchada|hinchado|inflamada|inflamado|lesionada"
                    "|lesionado|golpeada|golpeado|trabada|trabado|suena|truena",
                    "para|por|de|problema|problemas|molestia|molestias la|el|los|las|mi|mis? " + _JOINTS,
                ],
                fuzzy=False,
            ),
        ),
        "oftalmologia": (
            compile_patterns(["oftalmolog*", "oftamolog*", "oftalmologia", "oftalmo", "oculist*", "optometr*"]),
            compile_patterns(["ojo|ojos", "vista", "lentes|anteojos|gafas", "vision"], fuzzy=False),
        ),
        # Named only: feelings are no hint ("estoy triste" is small talk, and words of despair an emergency).
        "psicologia": (compile_patterns(["psicolog*", "psicologia", "psiquiatr*", "terapia psicologica"]), ()),
    }
)
SPECIALTY_WORDS: Final = lexicon(
    pattern for names, hints in _WORDS.values() for group in (names, hints) for pattern in group
)


def find_specialty(words: Words) -> str | None:
    """The canonical specialty named or implied by the message, if any."""
    best: tuple[int, int, str] | None = None  # (strength, -position, name): higher wins
    for name, (names, hints) in _WORDS.items():
        for strength, patterns in ((2, names), (1, hints)):
            for span in words.spans(patterns):
                candidate = (strength, -span.start, name)
                if best is None or candidate > best:
                    best = candidate
    return best[2] if best else None
