"""Score the understanding step on a labelled JSONL file.

    python -m tools.eval_nlu [path ...]    (default: ../shared/eval/nlu_dev.jsonl)

Intent accuracy is over every line; entity accuracy over every (line, field) pair the
line labels (`date`, `time`, `specialty`, and `doctor`/`time_of_day` where present), exact match.
Emergency recall (emergencies recognised), precision and false alarms (other lines read as an
emergency) get a line of their own: a missed emergency is the one mistake a clinic cannot afford.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gateway.understanding.emergency_model import EmergencyModel
from gateway.understanding.nlu import understand

CLINIC_TZ = ZoneInfo("America/La_Paz")
DEFAULT_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "nlu_dev.jsonl"
_SMALL_TALK_NOW = "2026-12-04T18:00:00-04:00"
ENTITY_FIELDS = ("date", "time", "specialty", "doctor", "time_of_day")


@dataclass
class Score:
    lines: int = 0
    intents_right: int = 0
    entities: int = 0
    entities_right: int = 0
    emergencies: int = 0
    emergencies_found: int = 0
    false_alarms: int = 0
    # Of those found and of the false alarms, how many the learned model alone read (the patterns saw none).
    found_by_model: int = 0
    alarms_by_model: int = 0
    misses: list[str] = field(default_factory=list)

    def report(self) -> str:
        lines = [
            f"intent accuracy: {self.intents_right}/{self.lines} = {_percent(self.intents_right, self.lines)}",
            f"entity accuracy: {self.entities_right}/{self.entities} = {_percent(self.entities_right, self.entities)}",
            self.emergency_line(),
        ]
        if self.misses:
            lines += [f"misses ({len(self.misses)}):", *(f"  {miss}" for miss in self.misses)]
        return "\n".join(lines)

    def emergency_line(self) -> str:
        found, alarms, others = self.emergencies_found, self.false_alarms, self.lines - self.emergencies
        return (
            f"emergency recall: {found}/{self.emergencies} = {_percent(found, self.emergencies)}; "
            f"precision: {found}/{found + alarms} = {_percent(found, found + alarms)}; "
            f"false alarms: {alarms}/{others} (by the learned model alone: {self.found_by_model} found, "
            f"{self.alarms_by_model} false alarms)"
        )


# The dev set predates clinic_info and labels questions about the clinic "other"; a set that labels
# clinic_info is scored exactly.
_SCORED_AS = {"clinic_info": "other"}


def _scored(got: object, expected: str) -> object:
    """The predicted intent as the labelled set names it."""
    return got if got == expected else _SCORED_AS.get(str(got), got)


def _percent(right: int, total: int) -> str:
    return f"{100 * right / total:.1f}%" if total else "n/a"


def _cases(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The labelled lines of a JSONL file; a .txt file is small talk, one message per line, none an emergency."""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or (path.suffix == ".txt" and raw.startswith("#")):
            continue
        if path.suffix == ".txt":
            yield number, {"text": raw.strip(), "now": _SMALL_TALK_NOW, "intent": "other"}
        else:
            yield number, json.loads(raw)


def evaluate(path: Path, emergency_model: EmergencyModel | None = None) -> Score:
    """Run `understand` on every line of `path` and count what it got right."""
    score = Score()
    for number, case in _cases(path):
        now = dt.datetime.fromisoformat(case["now"])
        understood = understand(
            case["text"], now=now, tz=CLINIC_TZ, doctors=case.get("doctors", ()), emergency_model=emergency_model
        )
        got = understood.as_json()
        score.lines += 1
        expected_emergency, got_emergency = case["intent"] == "emergency", got["intent"] == "emergency"
        score.emergencies += expected_emergency
        score.emergencies_found += expected_emergency and got_emergency
        score.false_alarms += got_emergency and not expected_emergency
        score.found_by_model += expected_emergency and understood.emergency_learned
        score.alarms_by_model += understood.emergency_learned and not expected_emergency
        if _scored(got["intent"], case["intent"]) == case["intent"]:
            score.intents_right += 1
        else:
            score.misses.append(f"line {number}: {case['text']!r} intent {got['intent']} != {case['intent']}")
        for name in ENTITY_FIELDS:
            if name not in case:
                continue
            score.entities += 1
            if got[name] == case[name]:
                score.entities_right += 1
            else:
                score.misses.append(f"line {number}: {case['text']!r} {name} {got[name]} != {case[name]}")
    return score


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.eval_nlu", description=__doc__.split("\n")[0])
    parser.add_argument(
        "paths", nargs="*", type=Path, metavar="path", help=f"labelled JSONL files (default: {DEFAULT_PATH})"
    )
    parser.add_argument(
        "--patterns-only", action="store_true", help="leave the learned emergency model out (the patterns alone)"
    )
    args = parser.parse_args(argv)
    paths: list[Path] = args.paths or [DEFAULT_PATH]
    model = None if args.patterns_only else EmergencyModel.load()
    for path in paths:
        if len(paths) > 1:
            print(f"== {path}")
        print(evaluate(path, model).report())


if __name__ == "__main__":
    main()
