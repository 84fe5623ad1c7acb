"""Whether a reply is Spanish: its words in the dictionary (wordfreq's Spanish list and the word files
under data/) or allowed names, and not outnumbered by English or Portuguese ones."""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from functools import cache
from importlib.resources import files
from typing import Final

from gateway.understanding.normalize import fold
from gateway.understanding.vocabulary import word_list

# A word: letters, maybe joined by an apostrophe or a hyphen ("D'Angelo", "Ruiz-Paz").
WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")


def _word_file(name: str) -> frozenset[str]:
    text = files("gateway.conversation").joinpath("data", name).read_text(encoding="utf-8")
    return frozenset(fold(line.strip()) for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def first_names() -> frozenset[str]:
    """Common Spanish and Latin American first names, folded."""
    return _word_file("first_names.txt")


@cache
def spanish_words() -> frozenset[str]:
    """Frequent Spanish words, folded."""
    return _word_file("spanish_words.txt")


# Below this Zipf frequency (occurrences per billion words, log10, + 9: 1.0 is once per billion) a
# "word" in wordfreq's Spanish list is mostly typos and fragments.
MIN_ZIPF: Final = 1.5


@cache
def _spanish_frequencies() -> dict[str, float]:
    """wordfreq's large Spanish list (subtitles, Wikipedia, web, books), word -> frequency."""
    from wordfreq import get_frequency_dict

    return get_frequency_dict("es", wordlist="best")


def _known_word(word: str) -> bool:
    lowered = word.lower()
    frequency = _spanish_frequencies().get(lowered, 0.0)
    if frequency > 0 and math.log10(frequency) + 9 >= MIN_ZIPF:
        return True
    return fold(lowered) in spanish_words()


def unknown_words(text: str, *, allowed_names: Collection[str] = ()) -> list[str]:
    """The words of `text` that are neither Spanish (wordfreq's list) nor one of `allowed_names`."""
    allowed = {fold(word) for name in allowed_names for word in WORD.findall(name)}
    return [
        word
        for word in WORD.findall(text)
        if fold(word) not in allowed and not all(_known_word(part) for part in re.split(r"['-]", word))
    ]


# --- Spanish or not -------------------------------------------------------------------------------

_ENGLISH: Final = frozenset(
    word_list(
        """
    the and you your yours i is are was were be been being to of in on at for with my we they she it
    its this that these those what how why where who which can could would should will do does did have
    has had not dont im youre thanks thank hello hi hey please yes yeah sure welcome good morning
    afternoon evening night help appointment sorry about from just get got like know want need today
    tomorrow here there an as if or but so all any some our us them their then than very much more
    time see call book great nice week
    """
    )
)
_PORTUGUESE: Final = frozenset(
    word_list(
        """
    voce voces nao sim obrigado obrigada com uma um em os ao aos isso isto tudo bem muito muita muitos
    entao agora hoje amanha ontem posso pode eu ele ela minha meu seu sua estou tenho quero
    fazer faz tchau oi ola pela pelo nosso nossa dele dela ate logo tambem mais bom boa noite sao
    ajudar ajuda gostaria atendimento essa esse isso obrigadao informacao
    """
    )
)
_SPANISH_MARKS = "ñ¿¡áéíóú"
_FOREIGN_MARKS = "ãõçàèìòùâêîôûëïößœæ"
_LETTERS = re.compile(r"[^\W\d_]+")
_ODD_SPELLING = re.compile(
    r"^[^aeiouy]+$"  # no vowel
    r"|[kw]|q(?!u)|th|sh|ph|wh|gh|ck|nh|lh"  # letters and pairs Spanish words do not have
    r"|([bdfgmpstvz])\1"  # doubles other than ll, rr, cc, nn, ee, oo
    r"|^s[bcdfgkmnpqtvw]"  # "st", "sp": Spanish says "est", "esp"
    r"|[bcfghkmptvw]$"  # Spanish words end in a vowel or l n r s d z j x y
    r"|[^aeiouy]{5}"
)
_MIN_SPANISH_SHARE = 0.25
_MAX_ODD_SHARE = 0.34


def looks_spanish(text: str) -> bool:
    """Spanish words outnumber English and Portuguese ones, and most words could be Spanish."""
    words = [fold(word) for word in _LETTERS.findall(text)]
    if not words:
        return False
    spanish = sum(word in spanish_words() for word in words)
    if spanish == 0:
        return False
    lowered = text.lower()
    marks = min(2.0, 0.5 * sum(lowered.count(ch) for ch in _SPANISH_MARKS))
    foreign = sum(word in _ENGLISH or word in _PORTUGUESE for word in words)
    foreign += sum(lowered.count(ch) for ch in _FOREIGN_MARKS)
    foreign += sum(word.endswith(("cao", "coes", "oes")) for word in words)
    if foreign and foreign >= spanish + marks:
        return False
    unknown = [word for word in words if word not in spanish_words() and word not in first_names()]
    odd = sum(bool(_ODD_SPELLING.search(word)) for word in unknown)
    if len(words) >= 3 and odd / len(words) > _MAX_ODD_SHARE:
        return False
    return len(words) < 6 or spanish / len(words) >= _MIN_SPANISH_SHARE
