"""Whether a reply is written as a person writes: no loops, paired and closed marks, word pairs Spanish
has, finished sentences with capital letters, nothing said twice, more than a bare yes or no."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import Final

from gateway.conversation.reply_check.verdict import Reason
from gateway.understanding.normalize import fold, normalize
from gateway.understanding.vocabulary import word_list

# --- punctuation and grammar ----------------------------------------------------------------------

_OPENERS = {"¿": "?", "¡": "!"}


_SPACED_MARK = re.compile(r"[¿¡]\s|\s[?!]")


def broken_punctuation(text: str) -> bool:
    """An opening "¿" or "¡" closed by the other mark ("¡Cuídese mucho?"), or set apart from the words
    it encloses by a space ("¿ o qué le gusta?")."""
    if _SPACED_MARK.search(text):
        return True
    for opener, closer in _OPENERS.items():
        other = "!" if closer == "?" else "?"
        for match in re.finditer(re.escape(opener) + r"[^¿¡?!.]*([?!.]|$)", text):
            if match.group(1) == other:
                return True
    return False


_ARTICLE_NOT_BEFORE = "le les lo la las los el su sus mi tu un una para por con en a y o se me te nos"
_POSSESSIVE_NOT_BEFORE = _ARTICLE_NOT_BEFORE + " de del que no"
_CLITIC_NOT_BEFORE = "su sus mi tu el un una de del para por con en y o que"
# Word pairs Spanish never has: a determiner must be followed by a noun or adjective ("su le", "la
# para"), a clitic pronoun by a verb or another clitic ("le su", "le la"; "se la" is fine).
_NEVER_FOLLOWS: Final[dict[str, frozenset[str]]] = {
    **dict.fromkeys(("el", "la", "los", "las", "un", "una", "unos", "unas"), frozenset(word_list(_ARTICLE_NOT_BEFORE))),
    **dict.fromkeys(("su", "sus", "mi", "mis", "tu", "tus"), frozenset(word_list(_POSSESSIVE_NOT_BEFORE))),
    **dict.fromkeys(("le", "les"), frozenset(word_list(_CLITIC_NOT_BEFORE + " la las los le les"))),
    **dict.fromkeys(("me", "te", "se", "nos"), frozenset(word_list(_CLITIC_NOT_BEFORE))),
    "lo": frozenset(word_list("su sus mi tu el la le un una para por con")),
}
# Words no Spanish sentence ends with ("Por necesito su médico, lo").
_NEVER_LAST: Final = frozenset(
    word_list(
        "el la los las un su sus mi mis tu tus de del a en con para por y o que le les me te se nos lo dr dra lic"
    )
)
# A clitic pronoun goes with a verb, never an adverb ("le cerca", "me muy"); "lo antes" only as
# "lo antes posible" or "lo antes que pueda".
_ADVERBS: Final = frozenset(
    word_list(
        """
    cerca lejos aquí ahí allí allá acá bien mal muy más menos antes después también tampoco siempre nunca
    hoy mañana pronto tarde temprano mucho poco gracias favor sí
    """
    )
)
_LO_ADVERB = re.compile(r"\blo (?:antes|después|pronto|cerca|lejos|temprano)\b(?! (?:posible|que|de)\b)")
# A wish takes the subjunctive: "¿Desea que le agende?", never "¿Desea que prefiere?".
_WISH_THEN_INDICATIVE = re.compile(
    r"\b(?:desea|desean|quiere|quieren|prefiere|prefieren|necesita|espera|gustaría) que (?:prefiere|quiere"
    r"|desea|necesita|puede|tiene|es|está|va|hace|sabe|dice|pide|agenda|viene|llega)\b"
)
# Sentences; the dot of "Dr." or "Dra." does not end one, so "la Dra." with no name after it does.
_SENTENCE_PARTS = re.compile(r"(?:[^.!?\n]|(?<=\b[Dd]r)\.|(?<=\b[Dd]ra)\.|(?<=\b[Ll]ic)\.)+")
_TOKEN = re.compile(r"[^\W_]+")  # words and numbers: "a las 10:30 y" has no "las y"


def broken_grammar(text: str) -> bool:
    """Word salad a grammar would refuse at a glance: "su le", "la para", a sentence ending in "de"."""
    for part in _SENTENCE_PARTS.findall(text):
        words = [word.lower() for word in _TOKEN.findall(part)]
        if words and words[-1] in _NEVER_LAST:
            return True
        if any(after in _NEVER_FOLLOWS.get(word, ()) for word, after in itertools.pairwise(words)):
            return True
        if any(word in _CLITICS and after in _ADVERBS for word, after in itertools.pairwise(words)):
            return True
    lowered = text.lower()
    return bool(_LO_ADVERB.search(lowered) or _WISH_THEN_INDICATIVE.search(lowered))


_CLITICS: Final = frozenset(word_list("le les me te se nos"))

# --- how a finished reply is written --------------------------------------------------------------

# What may follow the last sentence mark: spaces, closing quotes and brackets, emoji.
_TRAILING = re.compile(r"[\s\"'»”)\]\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+$")
_TRAILING_OFF = re.compile(r"(?:\.\.|…)$")
_NEW_SENTENCE = re.compile(r"(?<![.…])(?:\.|[!?]+)(?![.…])\s+[\"'«“(]*[¿¡]?[\"'«“(]*([^\W\d_])")
_FIRST_LETTER = re.compile(r"[^\W\d_]")
_ABBREVIATION = re.compile(r"\b(?:[Dd]ra?|[Ll]ic|[Ss]ra?|[Ss]rta)\.")
_CLAUSE = re.compile(r"[,.;:!?¿¡\n…]+")
# A whole reply that only says yes, no or thanks answers nothing the model can know.
_BARE_WORDS: Final = frozenset(
    word_list("si no sip nop ok okay vale bueno ya claro exacto correcto cierto por supuesto desde luego asi es")
)


def _unfinished(text: str) -> bool:
    """A line that does not end with ".", "!" or "?": cut off at the token limit, or trailing off ("…")."""
    for line in text.splitlines():
        line = _TRAILING.sub("", line)
        if line and (line[-1] not in ".!?" or _TRAILING_OFF.search(line)):
            return True
    return False


def _unpaired_mark(text: str) -> bool:
    """Spanish opens what it closes: every "¿" closed by "?" and every "¡" by "!" before the sentence
    ends, and no "?" or "!" without its opener ("¿cómo le bendiga", "ok, pero le cerca?")."""
    open_marks: list[str] = []
    text = _ABBREVIATION.sub("", re.sub(r"\.{2,}|…", "", text))  # "la Dra. Rojas" ends no sentence
    for mark in re.sub(r"([?!])\1+", r"\1", text):
        if mark in "¿¡":
            open_marks.append(mark)
        elif mark in "?!":
            if not open_marks or _OPENERS[open_marks.pop()] != mark:
                return True
        elif mark in ".\n" and open_marks:
            return True
    return bool(open_marks)


def _lowercase_start(text: str) -> bool:
    """The reply, or a sentence after a full stop, "!" or "?", starting with a small letter."""
    first = _FIRST_LETTER.search(text)
    if first is not None and first.group().islower():
        return True
    return any(match.group(1).islower() for match in _NEW_SENTENCE.finditer(text))


def _repeated_clause(text: str) -> bool:
    """A clause of two words or more said twice ("dígame qué necesita. Cuando quiera, dígame qué necesita.")."""
    clauses = [" ".join(_TOKEN.findall(fold(part))) for part in _CLAUSE.split(text)]
    said = [clause for clause in clauses if " " in clause]
    return len(said) != len(set(said))


def _bare_answer(text: str) -> bool:
    """Only a yes, a no or a thanks: "Gracias, no", "Sí, claro.", "Gracias cocino"."""
    words = [fold(word) for word in _TOKEN.findall(text)]
    if not words:
        return False
    return (words[0] == "gracias" and len(words) <= 2) or all(word in _BARE_WORDS for word in words)


def badly_written(text: str) -> Reason | None:
    """How a reply fails to be finished, well-formed writing, if it does."""
    if _unfinished(text):
        return Reason.UNFINISHED
    if _unpaired_mark(text):
        return Reason.UNPAIRED_MARK
    if _lowercase_start(text):
        return Reason.LOWERCASE_START
    if _repeated_clause(text):
        return Reason.REPEATED_CLAUSE
    if _bare_answer(text):
        return Reason.BARE_ANSWER
    return None


# --- loops ----------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?¡¿\n]+")
_LONGEST_LOOP = 12
_MIN_DISTINCT_SHARE = 0.4


def is_repetitive(text: str) -> bool:
    """A word said three times running, a phrase said twice running, a sentence or a long phrase
    said twice, a short phrase said three times, or too few distinct words."""
    tokens = re.findall(r"\w+", fold(text))
    n = len(tokens)
    for size in range(1, min(_LONGEST_LOOP, n // 2) + 1):
        times = 3 if size == 1 else 2
        for start in range(n - size * times + 1):
            unit = tokens[start : start + size]
            if all(tokens[start + size * k : start + size * (k + 1)] == unit for k in range(1, times)):
                return True
    trigrams = Counter(tuple(tokens[i : i + 3]) for i in range(n - 2))
    if trigrams and max(trigrams.values()) >= 3:
        return True
    six = Counter(tuple(tokens[i : i + 6]) for i in range(n - 5))
    if six and max(six.values()) >= 2:
        return True
    sentences = [normalize(part) for part in _SENTENCE_END.split(text)]
    said = [sentence for sentence in sentences if sentence]
    if len(said) != len(set(said)):
        return True
    return n >= 12 and len(set(tokens)) / n < _MIN_DISTINCT_SHARE
