"""A small pattern language over words, matched by sound and forgiving of typos.

    "cancel*"                       a word that starts with "cancel" (cancelar, cancele, cancelenla)
    "quiero|necesito ... cita"      either word, up to four other words, then "cita"
    "quiero ..2 cita"               ... up to two other words
    "mi|la? cita"                   an optional word
    "_"                             any one word ("_?" for an optional one)

Words are compared by `phonetic` key ("sita" is "cita"), and words of five letters or
more also match with one typo (two from eight letters), as long as the first letter is right
and the word written is not itself one the patterns know ("buenos" never stands for "bueno").

Matching costs time linear in the message: every word step compiled is kept in one index, so each
distinct word of a message finds the steps it matches with a bounded amount of work, whatever the number
of patterns; a pattern is then tried only where its first word matched.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from gateway.understanding.normalize import fold, normalize, phonetic

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
    # Steps that match the same words share an id: the index's name for them.
    id: int = field(default=-1, compare=False)


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
    # The ids of the word steps it cannot match without: a message lacking one of them is not tried.
    required: frozenset[int] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        needed = frozenset(s.id for s in self.steps if isinstance(s, _Word) and not s.optional)
        object.__setattr__(self, "required", needed)

    @property
    def anchor(self) -> int | None:
        """The id of the first word step the pattern cannot match without (None: it has none)."""
        return next((s.id for s in self.steps if isinstance(s, _Word) and not s.optional), None)


class Patterns(tuple[Pattern, ...]):
    """Patterns matched together, filed by the word each cannot match without: a message tries only those
    whose word it has (a few of hundreds), in their order, and finds what trying them all would."""

    _by_anchor: dict[int, list[int]]
    _anchors: frozenset[int]
    _always: list[int]
    _always_patterns: tuple[Pattern, ...]

    def __new__(cls, patterns: Iterable[Pattern]) -> Patterns:
        self = super().__new__(cls, patterns)
        by_anchor: defaultdict[int, list[int]] = defaultdict(list)
        self._always = []
        for at, pattern in enumerate(self):
            anchor = pattern.anchor
            (self._always if anchor is None else by_anchor[anchor]).append(at)
        self._by_anchor = dict(by_anchor)
        self._anchors = frozenset(by_anchor)
        self._always_patterns = tuple(self[i] for i in self._always)
        return self

    def tried_by(self, present: frozenset[int]) -> Sequence[Pattern]:
        """The patterns whose words are all among the word steps `present` in a message, and those without one."""
        if len(self) <= _TRIED_WHOLE:
            return self
        # Most messages hold none of a set's words. Both frozensets: the intersection walks the smaller.
        if self._anchors.isdisjoint(present):
            return self._always_patterns
        hits = self._anchors & present
        at = [i for step in hits for i in self._by_anchor[step] if self[i].required <= present]
        if self._always or len(hits) > 1:
            at += self._always
            at.sort()
        return [self[i] for i in at]


# Sets this small are tried whole: filtering them costs more than trying them.
_TRIED_WHOLE = 4


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
    return _INDEX.add(_Word(frozenset(keys), frozenset(prefixes), optional, fuzzy))


def compile_pattern(source: str, *, fuzzy: bool = True) -> Pattern:
    """`Pattern` from its written form (see the module docstring); `fuzzy=False`: no typos allowed."""
    steps = tuple(_step(token, fuzzy=fuzzy) for token in source.split())
    if not steps or isinstance(steps[0], _Gap) or isinstance(steps[-1], _Gap):
        raise ValueError(f"a pattern cannot start or end with a gap: {source!r}")
    return Pattern(source, steps)


def compile_patterns(sources: Iterable[str], *, fuzzy: bool = True) -> Patterns:
    return Patterns(compile_pattern(source, fuzzy=fuzzy) for source in sources)


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
    return any(len(token) >= n and OSA.distance(token[:n], stem, score_cutoff=1) <= 1 for n in _stem_cuts(stem))


def _deletions(word: str) -> list[str]:
    """`word` and every string left by deleting one of its letters."""
    return [word, *(word[:at] + word[at + 1 :] for at in range(len(word)))]


class _StepIndex:
    """Every word step compiled, found from a message's word with a bounded amount of work.

    Exact keys and prefixes are dictionary lookups. A typo is looked for among the keys that begin with the
    word's first letter (as `_close` demands), all at once in rapidfuzz; a typo in a stem among the stems
    filed under their one-letter deletions (two strings one edit apart share a one-letter deletion).
    Every candidate is confirmed with `_close` / `_close_prefix`, the tests a step-by-step search makes.
    """

    def __init__(self) -> None:
        self._ids: dict[tuple[frozenset[str], frozenset[str], bool], int] = {}
        self._exact: defaultdict[str, set[int]] = defaultdict(set)
        self._prefixes: defaultdict[str, set[int]] = defaultdict(set)
        self._prefix_lengths: list[int] = []
        # Only fuzzy steps: keys by first letter, stems by deletion, and each key (stem) → the steps that have it.
        self._keys_by_letter: defaultdict[str, list[str]] = defaultdict(list)
        self._key_steps: defaultdict[str, set[int]] = defaultdict(set)
        self._stem_deletions: defaultdict[str, set[str]] = defaultdict(set)
        self._stem_steps: defaultdict[str, set[int]] = defaultdict(set)
        self._stem_cuts: list[int] = []  # lengths of the word's beginning a stem is compared with
        self._longest_key = 0
        self._matched: dict[str, tuple[frozenset[int], frozenset[int]]] = {}

    def add(self, step: _Word) -> _Word:
        """The step with its id, filing it when its words are new."""
        identity = (step.keys, step.prefixes, step.fuzzy)
        known = self._ids.get(identity)
        if known is not None:
            return _Word(step.keys, step.prefixes, step.optional, step.fuzzy, known)
        number = self._ids[identity] = len(self._ids)
        for key in step.keys:
            self._exact[key].add(number)
        for prefix in step.prefixes:
            self._prefixes[prefix].add(number)
        self._prefix_lengths = sorted({len(prefix) for prefix in self._prefixes})
        if step.fuzzy:
            for key in step.keys:
                if len(key) >= FUZZY_FROM:
                    if key not in self._key_steps:
                        self._keys_by_letter[key[0]].append(key)
                    self._longest_key = max(self._longest_key, len(key))
                    self._key_steps[key].add(number)
            cuts = set(self._stem_cuts)
            for stem in step.prefixes:
                if len(stem) >= FUZZY_FROM:
                    self._stem_steps[stem].add(number)
                    for variant in _deletions(stem):
                        self._stem_deletions[variant].add(stem)
                    cuts |= set(_stem_cuts(stem))
            self._stem_cuts = sorted(cuts)
        self._matched.clear()
        return _Word(step.keys, step.prefixes, step.optional, step.fuzzy, number)

    def matches(self, token: str) -> tuple[frozenset[int], frozenset[int]]:
        """The steps `token` matches as written (or by prefix), and the fuzzy steps it matches only by a typo."""
        found = self._matched.get(token)
        if found is None:
            if len(self._matched) >= _REMEMBERED_TOKENS:
                self._matched.clear()
            found = self._matched[token] = self._look_up(token)
        return found

    def _look_up(self, token: str) -> tuple[frozenset[int], frozenset[int]]:
        exact = set(self._exact.get(token, ()))
        for length in self._prefix_lengths:
            if length > len(token):
                break
            exact |= self._prefixes.get(token[:length], set())
        typo: set[int] = set()
        keys = self._keys_by_letter.get(token[:1])
        if keys and FUZZY_FROM - 1 <= len(token) <= self._longest_key + 2:
            near = process.extract(token, keys, scorer=OSA.distance, score_cutoff=2, limit=None)
            for key, _, _ in near:
                if _close(token, key):
                    typo |= self._key_steps[key]
        stems: set[str] = set()
        for length in self._stem_cuts:
            if length > len(token):
                break
            stems.update(
                stem for variant in _deletions(token[:length]) for stem in self._stem_deletions.get(variant, ())
            )
        for stem in stems:
            if _close_prefix(token, stem):
                typo |= self._stem_steps[stem]
        return frozenset(exact), frozenset(typo - exact)


def _stem_cuts(stem: str) -> list[int]:
    """How much of a word `_close_prefix` compares with `stem`."""
    return [len(stem), len(stem) + 1] + ([len(stem) - 1] if len(stem) >= 7 else [])


_INDEX = _StepIndex()
# Distinct words whose matches the index remembers across messages before it starts afresh.
_REMEMBERED_TOKENS = 50_000


class Words:
    """A message as the matcher sees it: its normalized words and their sound keys."""

    def __init__(self, text: str, *, known: frozenset[str] = frozenset()) -> None:
        words: list[str] = []
        clause_starts: list[int] = []
        for clause in _CLAUSE_BREAK.split(text):
            clause_starts.append(len(words))
            words += normalize(clause).split()
        self.words: tuple[str, ...] = tuple(words)
        self._clause_starts = tuple(clause_starts)
        sounds = {word: phonetic(word) for word in dict.fromkeys(self.words)}
        self.keys: tuple[str, ...] = tuple(sounds[word] for word in self.words)
        self.distinct_keys: tuple[str, ...] = tuple(dict.fromkeys(self.keys))
        # The ids of the word steps each distinct word matches; typos are forgiven only in words the patterns
        # do not know.
        steps_of = {
            token: exact if token in known else exact | typo
            for token in self.distinct_keys
            for exact, typo in [_INDEX.matches(token)]
        }
        self._steps_at = tuple(steps_of[token] for token in self.keys)
        self._tokens_of: defaultdict[int, list[str]] = defaultdict(list)
        for token, steps in steps_of.items():
            for step in steps:
                self._tokens_of[step].append(token)
        self._present = frozenset(self._tokens_of)
        self._starts: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self.words)

    def _is(self, index: int, step: _Word) -> bool:
        return step.id in self._steps_at[index]

    def _starts_of(self, step: _Word) -> list[int]:
        """The positions where `step` matches, in order."""
        starts = self._starts.get(step.id)
        if starts is None:
            tokens = set(self._tokens_of.get(step.id, ()))
            starts = self._starts[step.id] = (
                [at for at, token in enumerate(self.keys) if token in tokens] if tokens else []
            )
        return starts

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
        if not pattern.required <= self._present:
            return []  # a word the pattern needs is nowhere in the message
        first, rest = pattern.steps[0], pattern.steps[1:]
        spans = []
        if isinstance(first, _Word) and not first.optional:
            # A pattern can only start where its first word is: the rest is matched from the word after.
            for start in self._starts_of(first):
                end = self._match(rest, start + 1)
                if end is not None:
                    spans.append(Span(start, end))
            return spans
        for start in range(len(self.words)):
            end = self._match(pattern.steps, start)
            if end is not None and end > start:
                spans.append(Span(start, end))
        return spans

    def tried(self, patterns: Iterable[Pattern]) -> Iterable[Pattern]:
        """Of `patterns`, those that may match here, in their order (all of them unless they are `Patterns`)."""
        return patterns.tried_by(self._present) if isinstance(patterns, Patterns) else patterns

    def spans(self, patterns: Iterable[Pattern]) -> list[Span]:
        return [span for pattern in self.tried(patterns) for span in self.find_all(pattern)]

    def has(self, patterns: Iterable[Pattern]) -> bool:
        return any(self.find_all(pattern) for pattern in self.tried(patterns))

    def clause_start(self, index: int) -> int:
        """Where the clause holding the word at `index` begins (clauses end at commas, stops, ? and !)."""
        return self._clause_starts[bisect_right(self._clause_starts, index) - 1]

    def preceded_by(self, start: int, words: Iterable[str], *, within: int = 2, same_clause: bool = False) -> bool:
        """Whether one of `words` comes in the `within` words before `start` ("no" before "dolor"),
        looking back no further than the clause's first word when `same_clause`."""
        first = max(0, start - within)
        if same_clause:
            first = max(first, self.clause_start(start))
        wanted = _sound_keys(tuple(words))
        return any(key in wanted for key in self.keys[first:start])


@cache
def _sound_keys(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(phonetic(fold(word)) for word in words)
