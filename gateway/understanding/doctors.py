"""Which of the clinic's doctors a message names: "la dra quispe" → "Dra. Carmen Quispe"."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz.distance import OSA

from gateway.understanding.normalize import normalize, phonetic
from gateway.understanding.patterns import Words

_TITLES = frozenset({"doctor", "doctora", "doctores", "lic", "licenciado", "licenciada", "ing", "prof"})
_FEMININE = frozenset({phonetic("doctora"), "la", phonetic("licenciada")})
_MASCULINE = frozenset({phonetic("doctor"), "el", phonetic("licenciado")})
_NAME_PARTICLES = frozenset({"de", "del", "la", "las", "los", "y"})
# "con" or a title before a name; "la" is not enough ("estoy en La Paz").
_CUES = ("doctor", "doctora", "con", "licenciado", "licenciada")
_DISTINCTIVE = 6
# A doctor's surname alone, with no "con" or title before it, names the doctor only in a message this short ("Mamani",
# "quispe nomás"): in a longer one it is far more often a patient's own surname ("para mi mamá, Justina López
# Mamani"); Mamani, Quispe and Choque are the commonest surnames in Bolivia.
_BARE_SURNAME_WORDS = 3


# A clinic's doctors are few and every message is compared with each: their keys are worked out once.
@lru_cache(maxsize=1024)
def _name_keys(doctor: str) -> tuple[str, ...]:
    return tuple(
        phonetic(word) for word in normalize(doctor).split() if word not in _TITLES | _NAME_PARTICLES and word.isalpha()
    )


@lru_cache(maxsize=1024)
def _gender(doctor: str) -> str | None:
    first = normalize(doctor).split()[:1]
    if first == ["doctora"] or first == ["licenciada"]:
        return "f"
    if first == ["doctor"] or first == ["licenciado"]:
        return "m"
    return None


def _same_name(written: str, name: str) -> bool:
    if written == name:
        return True
    return len(name) >= 5 and written[:1] == name[:1] and OSA.distance(written, name, score_cutoff=1) <= 1


def _score(words: Words, doctor: str) -> float:
    """0 when the doctor is not named; more for each part of the name and a title that agrees."""
    names = _name_keys(doctor)
    # Each distinct word is compared once: a long message repeats its words.
    named = {key: [name for name in names if _same_name(key, name)] for key in words.distinct_keys}
    hits = [(index, name) for index, key in enumerate(words.keys) for name in named[key]]
    if not hits:
        return 0.0
    first = min(index for index, _ in hits)
    parts = len({name for _, name in hits})
    cued = words.preceded_by(first, _CUES, within=3)
    # A lone short name ("Paz", "Luz") counts only after "dra"/"con"; it is too often a plain word.
    if not cued and parts < 2 and all(len(words.keys[index]) < _DISTINCTIVE for index, _ in hits):
        return 0.0
    if not cued and parts < 2 and len(words.keys) > _BARE_SURNAME_WORDS:
        return 0.0
    before = set(words.keys[max(0, first - 3) : first])
    gender = "f" if before & _FEMININE else "m" if before & _MASCULINE else None
    agrees = gender is not None and gender == _gender(doctor)
    return parts * 2 + (1 if cued else 0) + (0.5 if agrees else 0)


def find_doctor(words: Words, doctors: Sequence[str]) -> str | None:
    """The one doctor the message names best, or None when none or two equally."""
    scored = sorted(((_score(words, doctor), doctor) for doctor in doctors), reverse=True)
    if not scored or scored[0][0] == 0:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]
