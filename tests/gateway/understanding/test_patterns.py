"""The pattern matcher's step index finds exactly what trying every step on every word would find."""

from __future__ import annotations

import random
import string

from gateway.understanding.normalize import phonetic
from gateway.understanding.patterns import _INDEX, Words, _close, _close_prefix, compile_pattern


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
