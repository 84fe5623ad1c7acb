"""A learned second opinion on emergencies, for the phrasings no pattern was written for.

The patterns of `emergency_patterns` read what they were written for, with negations and the past, but on
messages nobody had seen they missed about one emergency in six ("ya regalé mis cosas y escribí las cartas",
"estoy en el puente de la autopista"). This model is a linear classifier over character and word n-grams of the
normalized message, trained by `tools/train_emergency_model.py` on labelled messages; its file holds the
vocabularies, the inverse document frequencies and the weights, and is read here without scikit-learn: the
arithmetic below is scikit-learn's `TfidfVectorizer` (sublinear tf, idf, l2 norm per block) and multinomial
`LogisticRegression`, checked against it when the file is built.

It speaks only when the patterns said nothing: it adds emergencies, never removes one.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gateway.understanding.emergencies import Emergency
from gateway.understanding.normalize import normalize

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "emergency_model.json.gz"
FORMAT = 1
# Classes in the order of the weights.
CLASSES = ("none", Emergency.MEDICAL.value, Emergency.SELF_HARM.value)

# Distinct words whose n-grams a block remembers before it starts afresh.
_REMEMBERED_WORDS = 20_000
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
_DIGIT = re.compile(r"\d")


def model_text(text: str) -> str:
    """What the model reads of a message, in training and here: its normalized words without the ones holding a
    digit. Quantities are the patterns' to read; an appointment reference or a code ("cancelar la cita
    3f2a9c1e…") only brought the model random character n-grams, and with them the odd false alarm."""
    words = normalize(text).split()
    # Each distinct word is looked at once: a long message repeats its words.
    kept = {word: not _DIGIT.search(word) for word in set(words)}
    return " ".join(word for word in words if kept[word])


@dataclass(frozen=True)
class Block:
    """One vectorizer of the union: its analyzer, n-gram range and, per n-gram, its idf and one weight per class."""

    analyzer: str  # "char_wb" or "word"
    ngram_range: tuple[int, int]
    features: Mapping[str, Sequence[float]]  # n-gram → (idf, weight per class...)
    # A word's n-grams of the vocabulary, remembered: patients use the same words over and over.
    _word_grams: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def ngram_counts(self, text: str) -> Counter[str]:
        """How often each n-gram of the vocabulary occurs in `text`, as scikit-learn's analyzer counts them."""
        low, high = self.ngram_range
        counts: Counter[str] = Counter()
        if self.analyzer == "char_wb":
            # N-grams never cross words: a repeated word (2,000 emoji read as "gracias") is cut up once.
            for word, times in Counter(text.split()).items():
                for gram in self._grams_of(word):
                    counts[gram] += times
        else:
            tokens = _TOKEN.findall(text)
            for n in range(low, high + 1):
                counts.update(" ".join(tokens[start : start + n]) for start in range(len(tokens) - n + 1))
        return Counter({gram: count for gram, count in counts.items() if gram in self.features})

    def _grams_of(self, word: str) -> tuple[str, ...]:
        """The vocabulary's character n-grams of `word`, padded with a space each side, one per occurrence."""
        found = self._word_grams.get(word)
        if found is not None:
            return found
        low, high = self.ngram_range
        padded = f" {word} "
        grams: list[str] = []
        for n in range(low, high + 1):
            for start in range(max(1, len(padded) - n + 1)):
                gram = padded[start : start + n]
                if gram in self.features:  # only the vocabulary's n-grams are counted at all
                    grams.append(gram)
            if n >= len(padded):
                break  # like scikit-learn: a word no longer than n gives itself, padded, once
        if len(self._word_grams) >= _REMEMBERED_WORDS:
            self._word_grams.clear()
        found = self._word_grams[word] = tuple(grams)
        return found

    def scores(self, text: str) -> list[float]:
        """This block's contribution to each class's score: its l2-normalized tf-idf vector times the weights."""
        counts = self.ngram_counts(text)
        values = {gram: (1 + math.log(count)) * self.features[gram][0] for gram, count in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values()))
        totals = [0.0] * len(CLASSES)
        if not norm:
            return totals
        for gram, value in values.items():
            weights = self.features[gram]
            for k in range(len(CLASSES)):
                totals[k] += value / norm * weights[k + 1]
        return totals


@dataclass(frozen=True)
class EmergencyModel:
    """Reads a message and tells whether it is likely an emergency, and which kind."""

    blocks: tuple[Block, ...]
    intercepts: tuple[float, ...]
    # The probability of an emergency (medical + self-harm) from which it speaks, measured when it was trained.
    threshold: float
    # Shorter messages ("¿y?", "ya veo") are left to the patterns: the model has too little to read in them.
    min_words: int

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> EmergencyModel:
        """The model written by `tools/train_emergency_model.py`."""
        with gzip.open(path, "rt", encoding="utf-8") as file:
            data = json.load(file)
        if data.get("format") != FORMAT or tuple(data.get("classes", ())) != CLASSES:
            raise ValueError(f"{path} is not an emergency model of format {FORMAT}; rebuild it")
        blocks = tuple(
            Block(
                analyzer=b["analyzer"], ngram_range=(b["ngram_range"][0], b["ngram_range"][1]), features=b["features"]
            )
            for b in data["blocks"]
        )
        return cls(
            blocks=blocks,
            intercepts=tuple(data["intercepts"]),
            threshold=float(data["threshold"]),
            min_words=int(data["min_words"]),
        )

    def probabilities(self, text: str) -> dict[str, float]:
        """The probability of each class for `text` (raw patient text; it is normalized here, as in training)."""
        return self._probabilities(model_text(text))

    def verdict(self, text: str) -> Emergency | None:
        """The kind of emergency `text` likely tells of, or None."""
        normalized = model_text(text)
        if len(normalized.split()) < self.min_words:
            return None
        p = self._probabilities(normalized)
        medical, self_harm = p[Emergency.MEDICAL.value], p[Emergency.SELF_HARM.value]
        if medical + self_harm < self.threshold:
            return None
        return Emergency.SELF_HARM if self_harm >= medical else Emergency.MEDICAL

    def _probabilities(self, normalized: str) -> dict[str, float]:
        scores = list(self.intercepts)
        for block in self.blocks:
            for k, value in enumerate(block.scores(normalized)):
                scores[k] += value
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {name: e / total for name, e in zip(CLASSES, exps, strict=True)}
