"""A long message cut into its sentences, so that each can be read on its own.

A voice note typed out or a long message tells a story around its request ("Buenas tardes… mi esposo se queja
de la espalda… ¿me lo pueden atender el sábado?… que Dios le bendiga"); read whole, the story's words and the
closing thanks speak as loudly as the request. Sentences end at ".", "!", "?", "…" or a line break; a dot
between digits ("6.234.871", "9.30") ends nothing.
"""

from __future__ import annotations

import re

# A sentence's end: its closing marks (and a closing quote or bracket after them), or line breaks.
_END = re.compile(r"(?:[!?…]|\.(?!\d))+[\"'»”)\]]*|\n+")
_HAS_WORD = re.compile(r"\w")


def split_sentences(text: str, *, most: int) -> list[str]:
    """The sentences of `text` with their closing marks, in order, blank ones left out; at most `most` of them,
    the last holding the rest of the message."""
    sentences: list[str] = []
    start = 0
    for end in _END.finditer(text):
        if len(sentences) == most - 1:
            break
        sentence = text[start : end.end()].strip()
        start = end.end()
        if _HAS_WORD.search(sentence):
            sentences.append(sentence)
    rest = text[start:].strip()
    if _HAS_WORD.search(rest):
        sentences.append(rest)
    return sentences
