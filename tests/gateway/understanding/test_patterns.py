"""The pattern matcher finds exactly what trying every step on every word, and every pattern of a set, would find."""

from __future__ import annotations

import random
import string

from gateway.understanding import emergency_patterns as e
from gateway.understanding import intent_patterns as p
from gateway.understanding.normalize import phonetic
from gateway.understanding.patterns import _INDEX, Patterns, Words, _close, _close_prefix, compile_pattern


def step_by_step(token: str) -> tuple[set[int], set[int]]:
    """What the index answers, found the slow way: every compiled step tried on `token`."""
    exact: set[int] = set()
    typo: set[int] = set()
    for (keys, prefixes, fuzzy), number in _INDEX._ids.items():
        if token in keys or any(token.startswith(prefix) for prefix in prefixes):
            exact.add(number)
        elif fuzzy and (any(_close(token, key) for key in keys) or any(_close_prefix(token, p) for p in prefixes)):
            typo.add(number)
    return exact, typo


def slips(word: str, rng: random.Random) -> list[str]:
    """`word` with one or two typos of every kind: a letter dropped, added, changed, two swapped."""
    out = [word]
    for _ in range(2):
        at = rng.randrange(len(word) + 1)
        letter = rng.choice("aeioubkslnrtdmpy")
        out += [word[:at] + letter + word[at:], word[:at] + word[at + 1 :], word[:at] + letter + word[at + 1 :]]
        if at + 1 < len(word):
            out.append(word[:at] + word[at + 1] + word[at] + word[at + 2 :])
    return out


def test_the_index_finds_the_same_steps_as_trying_each_one() -> None:
    rng = random.Random(12)
    words = sorted({key for (keys, prefixes, _) in _INDEX._ids for key in (*keys, *prefixes)})
    tokens = {slip for word in rng.sample(words, 400) for slip in slips(word, rng)}
    for slipped in list(tokens)[:300]:
        tokens.update(slips(slipped, rng))  # two typos
    tokens |= {"".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 24))) for _ in range(300)}
    tokens |= {"12/12", "9:30", "2027", "a" * 40, phonetic("mañana"), ""}

    for token in sorted(tokens):
        exact, typo = _INDEX.matches(token)
        assert (set(exact), set(typo)) == step_by_step(token), token


def test_a_pattern_compiled_later_is_found_too() -> None:
    pattern = compile_pattern("zarzaparrilla ... quetzalcoatl")

    assert Words("quiero zarzaparila con quetzalcoatl").find_all(pattern)
    assert not Words("quiero zarzaparrilla").find_all(pattern)


def spoken(source: str, rng: random.Random) -> str:
    """A message a pattern's written form describes: one alternative of each word, gaps and `_` as filler words,
    optional words sometimes left out."""
    said: list[str] = []
    for token in source.split():
        if token.startswith(".."):
            said += ["pues"] * rng.randint(0, 2)
        elif token.rstrip("?") == "_":
            said.append("algo")
        elif not (token.endswith("?") and rng.random() < 0.5):
            said.append(rng.choice(token.rstrip("?").split("|")).rstrip("*"))
    return " ".join(said)


def test_a_pattern_set_finds_what_trying_each_of_its_patterns_finds() -> None:
    rng = random.Random(7)
    groups = [group for group in (*p.ALL, *e.ALL) if isinstance(group, Patterns)]
    sources = [pattern.source for group in groups for pattern in group]
    messages = [" ".join(spoken(source, rng) for source in rng.sample(sources, rng.randint(1, 3))) for _ in range(400)]
    messages += ["", "hola", "no quiero la cita, quiero cancelar la cita del lunes"]

    for message in messages:
        words = Words(message)
        for group in groups:
            every = [span for pattern in tuple(group) for span in words.find_all(pattern)]
            assert words.spans(group) == every, (message, group[0].source)
            assert words.has(group) == bool(every)
