"""Measure the reply gate's fluency threshold on labelled replies (``make measure-reply-gate``).

    python -m tools.measure_reply_gate [--model DIR_OR_HUB_ID] [--data FILE]

Each reply of ``eval/reply_fluency.jsonl`` (good small-talk replies and broken ones, each after the
patient message it answers) is scored by the model as the inference server scores what it writes:
the mean, over the reply's tokens and the closing EOS, of the log-softmax of the raw logits
(teacher-forced, ``inference.generation.forced_logprobs``). The threshold is chosen on the even
rows (the one that best separates good from broken: highest balanced accuracy, ties to the lower,
more permissive threshold) and reported on the odd rows, which did not choose it, then on all rows,
both for the log-probability alone and for the whole gate (``check_generated`` with that score).

"Positive" is a rejected reply: precision is the share of rejected replies that were broken, recall
the share of broken replies rejected. The number to set is ``REPLY_MIN_LOGPROB`` in the gateway.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import torch

from gateway.conversation.reply_check import check_generated
from inference.generation import forced_logprobs
from inference.model import LoadedModel, build_prompt, load_model

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "eval" / "reply_fluency.jsonl"
DEFAULT_MODEL = "models/dialogpt-clinic-es"
# The clinic's mid-morning, so that no greeting in the set is out of time.
_MORNING = datetime(2026, 3, 10, 10, 0)


@dataclass(frozen=True)
class Scored:
    patient: str
    reply: str
    broken: bool
    mean_logprob: float


def score(loaded: LoadedModel, patient: str, reply: str) -> float:
    """The model's mean log-probability of `reply` (and its EOS) as the answer to `patient`."""
    tokenizer = loaded.tokenizer
    reply_ids = [*tokenizer.encode(reply, add_special_tokens=False), loaded.eos_token_id]
    prompt = build_prompt(tokenizer, [patient], loaded.context_length - len(reply_ids))
    logprobs = forced_logprobs(loaded, prompt.token_ids, reply_ids)
    return sum(logprobs) / len(logprobs)


def read_rows(path: Path) -> list[tuple[str, str, bool]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row["label"] not in ("good", "broken"):
                raise ValueError(f"unknown label {row['label']!r}")
            rows.append((row["patient"], row["reply"], row["label"] == "broken"))
    return rows


def counts(rejected: Sequence[bool], broken: Sequence[bool]) -> tuple[float, float, float]:
    """Precision and recall of rejection, and the share of good replies let through."""
    true_positive = sum(r and b for r, b in zip(rejected, broken, strict=True))
    precision = true_positive / max(1, sum(rejected))
    recall = true_positive / max(1, sum(broken))
    good = [not r for r, b in zip(rejected, broken, strict=True) if not b]
    return precision, recall, sum(good) / max(1, len(good))


def pick_threshold(scored: Sequence[Scored]) -> float:
    """The threshold (reject below it) with the best balanced accuracy on `scored`."""
    best: tuple[float, float] | None = None
    candidates = sorted({s.mean_logprob for s in scored})
    for low, high in zip([candidates[0] - 1.0, *candidates], [*candidates, candidates[-1] + 1.0], strict=True):
        threshold = (low + high) / 2
        _, recall, good_passed = counts([s.mean_logprob < threshold for s in scored], [s.broken for s in scored])
        balanced = (recall + good_passed) / 2
        if best is None or balanced > best[1]:
            best = (threshold, balanced)
    assert best is not None
    return round(best[0], 2)


def report(name: str, scored: Sequence[Scored], threshold: float) -> None:
    broken = [s.broken for s in scored]
    by_logprob = [s.mean_logprob < threshold for s in scored]
    by_gate = [
        not check_generated(
            s.reply, patient_message=s.patient, now=_MORNING, mean_logprob=s.mean_logprob, min_logprob=threshold
        ).ok
        for s in scored
    ]
    for what, rejected in (("log-probability alone", by_logprob), ("whole gate", by_gate)):
        precision, recall, good_passed = counts(rejected, broken)
        print(
            f"{name:<18} {what:<22} precision {precision:6.1%}  recall {recall:6.1%}  "
            f"good replies passed {good_passed:6.1%}  (n={len(scored)})"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    loaded = load_model(args.model, torch.device("cpu"), cpu_prepack=False)
    scored = [Scored(p, r, b, score(loaded, p, r)) for p, r, b in read_rows(args.data)]
    tuning, held_out = scored[0::2], scored[1::2]
    threshold = pick_threshold(tuning)
    good = sorted(s.mean_logprob for s in scored if not s.broken)
    bad = sorted(s.mean_logprob for s in scored if s.broken)
    print(f"model {args.model}: {len(good)} good and {len(bad)} broken replies")
    print(f"mean log-probability, good: median {good[len(good) // 2]:.2f}, lowest {good[0]:.2f}")
    print(f"mean log-probability, broken: median {bad[len(bad) // 2]:.2f}, highest {bad[-1]:.2f}")
    print(f"threshold chosen on the even rows: REPLY_MIN_LOGPROB={threshold}")
    report("held-out odd rows", held_out, threshold)
    report("all rows", scored, threshold)
    for s in scored:
        verdict = check_generated(
            s.reply, patient_message=s.patient, now=_MORNING, mean_logprob=s.mean_logprob, min_logprob=threshold
        )
        if s.broken and verdict.ok:
            print(f"  broken, let through ({s.mean_logprob:.2f}): {s.reply}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
