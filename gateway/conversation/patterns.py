"""A small pattern language over words, matched by sound and forgiving of typos.

    "cancel*"                       a word that starts with "cancel" (cancelar, cancele, cancelenla)
    "quiero|necesito ... cita"      either word, up to four other words, then "cita"
    "quiero ..2 cita"               ... up to two other words
    "mi|la? cita"                   an optional word
    "_"                             any one word ("_?" for an optional one)

Words are compared by `phonetic` key ("sita" is "cita"), and words of five letters or
more also match with one typo (two from eight letters), as long as the first letter is right
and the word written is not itself one the patterns know ("buenos" never stands for "bueno").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from gateway.conversation.normalize import fold, normalize, phonetic

GAP = "..."
GAP_WORDS = 4
FUZZY_FROM = 5
FUZZIER_FROM = 8
# Where one clause ends and the next begins: "no, quiero agendar" is a no and then a wish.
_CLAUSE_BREAK = re.compile(r"[,;!?¿¡\n]+|\.(?!\d)")


@dataclass(frozen=True)
class _Word:
    keys: frozenset[str]
    prefixes: frozenset[str]
    optional: bool
    fuzzy: bool


@dataclass(frozen=True)
class _Any:
    optional: bool


@dataclass(frozen=True)
class _Gap:
    most: int


_Step = _Word | _Any | _Gap


@dataclass(frozen=True)
class Pattern:
    source: str
    steps: tuple[_Step, ...]


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _stem_keys(stem: str) -> set[str]:
    # A stem's last letter sounds different before different vowels (ginecolog-o / ginecolog-ía),
    # so key it with each ending and keep what comes before the ending.
    return {phonetic(stem + vowel)[:-1] for vowel in "aeio"}


def _step(written: str, *, fuzzy: bool) -> _Step:
    if written == GAP:
        return _Gap(GAP_WORDS)
    if written.startswith("..") and written[2:].isdigit():
        return _Gap(int(written[2:]))
    optional = written.endswith("?")
    written = written.removesuffix("?")
    if written == "_":
        return _Any(optional)
    keys: set[str] = set()
    prefixes: set[str] = set()
    for alternative in written.split("|"):
        word = fold(alternative)
        if word.endswith("*"):
            prefixes |= _stem_keys(word.removesuffix("*"))
        else:
            keys.add(phonetic(word))
    return _Word(frozenset(keys), frozenset(prefixes), optional, fuzzy)


def compile_pattern(source: str, *, fuzzy: bool = True) -> Pattern:
    """`Pattern` from its written form (see the module docstring); `fuzzy=False`: no typos allowed."""
    steps = tuple(_step(token, fuzzy=fuzzy) for token in source.split())
    if not steps or isinstance(steps[0], _Gap) or isinstance(steps[-1], _Gap):
        raise ValueError(f"a pattern cannot start or end with a gap: {source!r}")
    return Pattern(source, steps)


def compile_patterns(sources: Iterable[str], *, fuzzy: bool = True) -> tuple[Pattern, ...]:
    return tuple(compile_pattern(source, fuzzy=fuzzy) for source in sources)


def lexicon(patterns: Iterable[Pattern]) -> frozenset[str]:
    """The whole words the patterns spell out, as sound keys: words never taken for a typo."""
    return frozenset(
        key for pattern in patterns for step in pattern.steps if isinstance(step, _Word) for key in step.keys
    )


def _close(token: str, key: str) -> bool:
    if len(key) < FUZZY_FROM or token[:1] != key[:1]:
        return False
    limit = 1 if len(key) < FUZZIER_FROM else 2
    return OSA.distance(token, key, score_cutoff=limit) <= limit


def _close_prefix(token: str, stem: str) -> bool:
    if len(stem) < FUZZY_FROM or token[:1] != stem[:1]:
        return False
    lengths = [len(stem), len(stem) + 1] + ([len(stem) - 1] if len(stem) >= 7 else [])
    return any(len(token) >= n and OSA.distance(token[:n], stem, score_cutoff=1) <= 1 for n in lengths)


class Words:
    """A message as the matcher sees it: its normalized words and their sound keys."""

    def __init__(self, text: str, *, known: frozenset[str] = frozenset()) -> None:
        words: list[str] = []
        clause_starts: set[int] = set()
        for clause in _CLAUSE_BREAK.split(text):
            clause_starts.add(len(words))
            words += normalize(clause).split()
        self.words: tuple[str, ...] = tuple(words)
        self._clause_starts = frozenset(clause_starts)
        self.keys: tuple[str, ...] = tuple(phonetic(word) for word in self.words)
        self._known = known
        self._seen: dict[tuple[str, _Word], bool] = {}

    def __len__(self) -> int:
        return len(self.words)

    def _is(self, index: int, step: _Word) -> bool:
        token = self.keys[index]
        remembered = self._seen.get((token, step))
        if remembered is None:
            exact = token in step.keys or any(token.startswith(prefix) for prefix in step.prefixes)
            remembered = exact or (
                step.fuzzy
                and token not in self._known
                and (
                    any(_close(token, key) for key in step.keys)
                    or any(_close_prefix(token, prefix) for prefix in step.prefixes)
                )
            )
            self._seen[(token, step)] = remembered
        return remembered

    def _match(self, steps: Sequence[_Step], at: int) -> int | None:
        if not steps:
            return at
        step, rest = steps[0], steps[1:]
        if isinstance(step, _Gap):
            for skip in range(step.most + 1):
                if at + skip > len(self.words):
                    break
                end = self._match(rest, at + skip)
                if end is not None:
                    return end
            return None
        if at < len(self.words) and (isinstance(step, _Any) or self._is(at, step)):
            end = self._match(rest, at + 1)
            if end is not None:
                return end
        return self._match(rest, at) if step.optional else None

    def find_all(self, pattern: Pattern) -> list[Span]:
        """Every place the pattern matches, one per starting word."""
        spans = []
        for start in range(len(self.words)):
            end = self._match(pattern.steps, start)
            if end is not None and end > start:
                spans.append(Span(start, end))
        return spans

    def spans(self, patterns: Iterable[Pattern]) -> list[Span]:
        return [span for pattern in patterns for span in self.find_all(pattern)]

    def has(self, patterns: Iterable[Pattern]) -> bool:
        return any(self.find_all(pattern) for pattern in patterns)

    def preceded_by(self, start: int, words: Iterable[str], *, within: int = 2, same_clause: bool = False) -> bool:
        """Whether one of `words` comes in the `within` words before `start` ("no" before "dolor"),
        looking back no further than the clause's first word when `same_clause`."""
        first = max(0, start - within)
        if same_clause:
            first = max(first, *(clause for clause in self._clause_starts if clause <= start))
        wanted = {phonetic(fold(word)) for word in words}
        return any(key in wanted for key in self.keys[first:start])
