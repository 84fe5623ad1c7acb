"""Negation: a match a "no", "sin" or "nunca" just before it takes back ("no me duele el pecho")."""

from __future__ import annotations

from gateway.understanding.patterns import Pattern, Span, Words

NEGATIONS = ("no", "sin", "nunca", "ni", "tampoco")


def affirmed(words: Words, patterns: tuple[Pattern, ...]) -> list[Span]:
    """Matches not negated by a "no"/"sin" just before them (unless the phrase starts with one)."""
    return [
        span
        for pattern in words.tried(patterns)
        for span in words.find_all(pattern)
        if pattern.source.startswith(NEGATIONS) or not words.preceded_by(span.start, NEGATIONS, same_clause=True)
    ]
