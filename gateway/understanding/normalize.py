"""Patient text to one plain form, and the sound-alike keys that words are matched by.

`normalize("Kiero una SITA pa mñn!! 🙏")` → `"kiero una sita para manana gracias"`;
`phonetic("quiero") == phonetic("kiero")` and `phonetic("cita") == phonetic("sita")`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from gateway.understanding.vocabulary import ABBREVIATIONS, EMOJI_WORDS

_CLOCK_H = re.compile(r"(\d{1,2})h(\d{2})\b")  # 15h30
_CLOCK_DOT = re.compile(r"\b(\d{1,2})\.(\d{2})\b")  # 9.30
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")  # 3pm → 3 pm
_NOT_WORD = re.compile(r"[^a-z0-9:/]+")
_LOOSE_SEPARATOR = re.compile(r"(?<!\d)[:/]|[:/](?!\d)")
# Letters Spanish writes doubled (ll, rr, cc, lee, coordinar, innato); every other double is a typo.
_DOUBLED_OK = "lrceon"
_RUN = re.compile(r"([a-z])\1+")


# A turn reads its message several times over (its intent, an offer's answer, the emergency model), and patients
# write the same short messages ("hola", "gracias", "sí") again and again: both are remembered for a while.
_REMEMBERED = 256


@lru_cache(maxsize=_REMEMBERED)
def fold(text: str) -> str:
    """Lowercase, accents and ñ folded to plain letters, answer-carrying emoji spelled out."""
    if text.isascii():
        return text.lower()  # no emoji, nothing to decompose
    for emoji, word in EMOJI_WORDS.items():
        text = text.replace(emoji, f" {word} ")
    lowered = text.lower()
    if lowered.isascii():
        return lowered  # nothing to decompose
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _collapse_repeats(word: str) -> str:
    """holaaa → hola, siii → si, nooo → no, but llamar, carro and acción stay as written."""

    def shorten(run: re.Match[str]) -> str:
        letter, length = run.group(1), len(run.group(0))
        if letter in "lrc" and length >= 2:
            return letter * 2
        if letter in _DOUBLED_OK and length == 2:
            return letter * 2
        return letter

    return _RUN.sub(shorten, word)


@lru_cache(maxsize=_REMEMBERED)
def normalize(text: str) -> str:
    """The message as lowercase plain words and numbers ("9:30", "15/12" kept), shorthand expanded."""
    folded = fold(text)
    folded = _CLOCK_H.sub(r"\1:\2", folded)
    folded = _CLOCK_DOT.sub(r"\1:\2", folded)
    folded = _DIGIT_LETTER.sub(" ", folded)
    folded = _NOT_WORD.sub(" ", folded)
    folded = _LOOSE_SEPARATOR.sub(" ", folded)
    raw_words = folded.split()
    # Each distinct word is read once: a long message repeats its words.
    read = {raw: _read_word(raw) for raw in dict.fromkeys(raw_words)}
    return " ".join(read[raw] for raw in raw_words)


def _read_word(raw: str) -> str:
    word = _collapse_repeats(raw) if raw.isalpha() else raw
    return ABBREVIATIONS.get(word, word)


_QU, _CE, _GE = re.compile(r"qu(?=[ei])"), re.compile(r"c(?=[ei])"), re.compile(r"g(?=[ei])")
_X_AS_CH = re.compile(r"(?<=[aeiou])x(?=[aeiou])")
_FINAL_Y = re.compile(r"y$")


def phonetic(word: str) -> str:
    """A key that spellings which sound alike share: c/s/z, qu/k, ll/y, b/v, silent h, x/ch, doubles."""
    key = word.replace("ch", "\0")
    key = _QU.sub("k", key)
    key = _CE.sub("s", key)
    key = _GE.sub("j", key)
    key = key.replace("ll", "y").replace("c", "k").replace("q", "k").replace("z", "s").replace("v", "b")
    key = _X_AS_CH.sub("\0", key)  # WhatsApp "pexo" is "pecho"
    key = key.replace("x", "ks").replace("h", "")
    key = _FINAL_Y.sub("i", key)
    key = key.replace("\0", "ch")
    return _RUN.sub(r"\1", key)


def is_question(text: str) -> bool:
    """Whether the patient wrote a question mark."""
    return "?" in text or "¿" in text
