"""Train the emergency model the gateway reads (``make emergency-model``).

    python -m tools.train_emergency_model [--output gateway/understanding/data/emergency_model.json.gz]

Trains scikit-learn's tf-idf over character (2–5, within words) and word (1–2) n-grams of the normalized
message, and a multinomial logistic regression over three classes: none, medical, self-harm. Data
(`TRAINING_SETS`): the training corpus written for it, the labelled emergency sets in ``eval/`` but the newest
(``emergency_fourth.jsonl``, kept blind to measure it) and the small-talk dev set (all negatives). The kind of an
emergency is the patterns' reading of it, or ``tools/data/emergency_kinds.jsonl`` where they read none.

The threshold comes from 5-fold cross-validation: the lowest that keeps false alarms at most
`MAX_FALSE_ALARMS` of the negatives seen by no fold. The file records the threshold, the cross-validated
recall and false alarms, and a hash of the training data, so a test can tell when the data changed and the
file was not rebuilt. Before writing, the gateway's own reader (`EmergencyModel`) scores every training line
and must agree with scikit-learn.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline

from gateway.understanding import emergency_model
from gateway.understanding.emergencies import ruled_out
from gateway.understanding.emergency_model import CLASSES, EmergencyModel, model_text
from gateway.understanding.intents import Intent
from gateway.understanding.nlu import KNOWN_WORDS, understand
from gateway.understanding.normalize import normalize
from gateway.understanding.patterns import Words

ROOT = Path(__file__).resolve().parents[1]
TRAINING_SETS = (
    ROOT / "tools" / "data" / "emergency_train_es.jsonl",
    # false alarms the QA pass met (sad small talk, farewells before a move) and their kin, with a few real ones
    ROOT / "tools" / "data" / "emergency_train_qa_es.jsonl",
    # indirect self-harm (goodbyes, plans, a method, heights, things given away) and indirect medical emergencies
    # written as WhatsApp users type, the kind the blind set still missed, with at least as many look-alikes that
    # are none (resolved events, figures of speech, ordinary farewells, films, pets)
    ROOT / "tools" / "data" / "emergency_train_indirect_es.jsonl",
    ROOT / "eval" / "emergency.jsonl",
    ROOT / "eval" / "emergency_heldout.jsonl",
    ROOT / "eval" / "emergency_final.jsonl",
    ROOT / "eval" / "emergency_third.jsonl",
    ROOT / "tools" / "data" / "smalltalk_es.txt",
)
KINDS = ROOT / "tools" / "data" / "emergency_kinds.jsonl"
CLINIC_TZ = ZoneInfo("America/La_Paz")
NOW = dt.datetime(2026, 12, 4, 18, 0, tzinfo=CLINIC_TZ)
MAX_FALSE_ALARMS = 0.015
MIN_WORDS = 3
REGULARIZATION = 10.0
# How far the gateway's reader may drift from scikit-learn (weights are stored with 6 significant digits).
AGREEMENT = 1e-3


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # one of CLASSES


def read_examples(paths: Sequence[Path], kinds: Path) -> list[Example]:
    """Every labelled line of `paths`, deduplicated by normalized text, with the kind of each emergency."""
    known_kinds = _read_kinds(kinds)
    seen: set[str] = set()
    examples: list[Example] = []
    for text, is_emergency in _lines(paths):
        key = normalize(text)
        if not key or key in seen:
            continue
        seen.add(key)
        label = _kind(text, known_kinds) if is_emergency else "none"
        examples.append(Example(text, label))
    return examples


def _lines(paths: Sequence[Path]) -> Iterable[tuple[str, bool]]:
    for path in paths:
        for raw in path.read_text(encoding="utf-8").splitlines():
            if not raw.strip() or raw.startswith("#"):
                continue
            if path.suffix == ".txt":  # small talk, one message per line
                yield raw.strip(), False
                continue
            row = json.loads(raw)
            yield row["text"], bool(row["emergency"]) if "emergency" in row else row["intent"] == "emergency"


def _read_kinds(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {normalize(row["text"]): row["kind"] for row in rows}


def _kind(text: str, known: dict[str, str]) -> str:
    """The kind of an emergency: the hand label if there is one, else the patterns', else medical."""
    if (label := known.get(normalize(text))) is not None:
        return label
    understood = understand(text, now=NOW, tz=CLINIC_TZ)
    if understood.intent is Intent.EMERGENCY and understood.emergency is not None:
        return understood.emergency.value
    return CLASSES[1]


def pipeline() -> Pipeline:
    features = FeatureUnion(
        [
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=2)),
        ]
    )
    classifier = LogisticRegression(C=REGULARIZATION, max_iter=5000)
    return Pipeline([("features", features), ("classifier", classifier)])


def emergency_probability(model: Pipeline, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """P(medical) + P(self-harm) for each normalized text."""
    columns = [list(model.classes_).index(name) for name in CLASSES[1:]]
    probabilities: np.ndarray[Any, np.dtype[np.float64]] = model.predict_proba(list(texts))[:, columns].sum(axis=1)
    return probabilities


@dataclass(frozen=True)
class CrossValidation:
    threshold: float
    recall: float  # patterns and model together, as the gateway reads messages
    false_alarms: float
    model_only_false_alarms: float


def cross_validate(examples: Sequence[Example], *, seed: int = 0) -> CrossValidation:
    """The lowest threshold at which the model, asked only where the gateway asks it (the patterns silent, the
    message not ruled out), adds at most `MAX_FALSE_ALARMS` false alarms on out-of-fold negatives."""
    texts = [model_text(example.text) for example in examples]
    labels = [example.label for example in examples]
    is_emergency = np.array([label != "none" for label in labels])
    out_of_fold = np.zeros(len(texts))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    for train, test in folds.split(texts, labels):
        model = pipeline().fit([texts[i] for i in train], [labels[i] for i in train])
        out_of_fold[test] = emergency_probability(model, [texts[i] for i in test])
    readings = [_patterns_reading(example.text) for example in examples]
    by_patterns = np.array([found for found, _ in readings])
    asked = np.array(
        [
            not found and not out and len(text.split()) >= MIN_WORDS
            for (found, out), text in zip(readings, texts, strict=True)
        ]
    )
    candidates = np.sort(out_of_fold[asked & ~is_emergency])[::-1]
    allowed = int(MAX_FALSE_ALARMS * (~is_emergency).sum())
    threshold = float(0.5 * (candidates[allowed] + candidates[allowed + 1])) if allowed + 1 < len(candidates) else 0.5
    by_model = asked & (out_of_fold >= threshold)
    flagged = by_patterns | by_model
    return CrossValidation(
        threshold=round(threshold, 4),
        recall=float(flagged[is_emergency].mean()),
        false_alarms=float(flagged[~is_emergency].mean()),
        model_only_false_alarms=float(by_model[~is_emergency].mean()),
    )


def _patterns_reading(text: str) -> tuple[bool, bool]:
    """Whether the patterns read an emergency in `text`, and whether they rule the model out of reading it."""
    understood = understand(text, now=NOW, tz=CLINIC_TZ)
    return understood.intent is Intent.EMERGENCY, ruled_out(Words(text, known=KNOWN_WORDS))


def export(model: Pipeline, *, threshold: float, extra: dict[str, object]) -> dict[str, object]:
    """The model as the gateway reads it (`EmergencyModel.load`)."""
    classifier: LogisticRegression = model.named_steps["classifier"]
    order = [list(classifier.classes_).index(name) for name in CLASSES]
    blocks = []
    offset = 0
    for name, vectorizer in model.named_steps["features"].transformer_list:
        vocabulary: dict[str, int] = vectorizer.vocabulary_
        features = {
            gram: [_round(vectorizer.idf_[index]), *(_round(classifier.coef_[k, offset + index]) for k in order)]
            for gram, index in sorted(vocabulary.items())
        }
        blocks.append(
            {
                "name": name,
                "analyzer": vectorizer.analyzer,
                "ngram_range": list(vectorizer.ngram_range),
                "features": features,
            }
        )
        offset += len(vocabulary)
    return {
        "format": emergency_model.FORMAT,
        "classes": list(CLASSES),
        "threshold": threshold,
        "min_words": MIN_WORDS,
        "intercepts": [_round(classifier.intercept_[k]) for k in order],
        "blocks": blocks,
        **extra,
    }


def _round(value: float) -> float:
    return float(f"{value:.6g}")


def data_hash(paths: Sequence[Path]) -> str:
    """A hash of the training data, recorded in the model file (see tests/conversation/test_emergency_model.py)."""
    digest = hashlib.sha256()
    for path in (*paths, KINDS):
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def train(paths: Sequence[Path], output: Path) -> dict[str, object]:
    examples = read_examples(paths, KINDS)
    texts = [model_text(example.text) for example in examples]
    labels = [example.label for example in examples]
    cv = cross_validate(examples)
    model = pipeline().fit(texts, labels)
    counts = {name: labels.count(name) for name in CLASSES}
    summary: dict[str, object] = {
        "trained_on": {"sha256": data_hash(paths), "files": [p.name for p in paths], "examples": counts},
        "cross_validation": {
            "recall": round(cv.recall, 4),
            "false_alarms": round(cv.false_alarms, 4),
            "model_only_false_alarms": round(cv.model_only_false_alarms, 4),
        },
    }
    exported = export(model, threshold=cv.threshold, extra=summary)
    output.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(output, "wb", mtime=0) as file:  # mtime 0: the same data gives the same bytes
        file.write(json.dumps(exported, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    _check_agreement(model, EmergencyModel.load(output), [e.text for e in examples])
    return {"threshold": cv.threshold, **summary}


def _check_agreement(model: Pipeline, reader: EmergencyModel, texts: Sequence[str]) -> None:
    """The gateway's reader must give scikit-learn's probabilities, or the file is not what was trained."""
    expected = emergency_probability(model, [model_text(text) for text in texts])
    for text, want in zip(texts, expected, strict=True):
        p = reader.probabilities(text)
        got = 1.0 - p["none"]
        if abs(got - want) > AGREEMENT:
            raise SystemExit(f"the gateway's reader disagrees with scikit-learn ({got:.5f} vs {want:.5f})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=emergency_model.DEFAULT_PATH)
    args = parser.parse_args(argv)
    summary = train(TRAINING_SETS, args.output)
    json.dump(summary, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
