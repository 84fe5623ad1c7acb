"""Score the understanding step on a labelled JSONL file.

    python -m gateway.conversation.eval_nlu [path]    (default: ../shared/eval/nlu_dev.jsonl)

Intent accuracy is over every line; entity accuracy over every (line, field) pair the
line labels (`date`, `time`, `specialty`, and `doctor`/`time_of_day` where present), exact match.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from gateway.conversation.nlu import understand

CLINIC_TZ = ZoneInfo("America/La_Paz")
DEFAULT_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "nlu_dev.jsonl"
ENTITY_FIELDS = ("date", "time", "specialty", "doctor", "time_of_day")


@dataclass
class Score:
    lines: int = 0
    intents_right: int = 0
    entities: int = 0
    entities_right: int = 0
    misses: list[str] = field(default_factory=list)

    def report(self) -> str:
        lines = [
            f"intent accuracy: {self.intents_right}/{self.lines} = {_percent(self.intents_right, self.lines)}",
            f"entity accuracy: {self.entities_right}/{self.entities} = {_percent(self.entities_right, self.entities)}",
        ]
        if self.misses:
            lines += [f"misses ({len(self.misses)}):", *(f"  {miss}" for miss in self.misses)]
        return "\n".join(lines)


# The dev set predates clinic_info and labels questions about the clinic "other"; a set that labels
# clinic_info is scored exactly.
_SCORED_AS = {"clinic_info": "other"}


def _scored(got: object, expected: str) -> object:
    """The predicted intent as the labelled set names it."""
    return got if got == expected else _SCORED_AS.get(str(got), got)


def _percent(right: int, total: int) -> str:
    return f"{100 * right / total:.1f}%" if total else "n/a"


def evaluate(path: Path) -> Score:
    """Run `understand` on every line of `path` and count what it got right."""
    score = Score()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        case = json.loads(raw)
        now = dt.datetime.fromisoformat(case["now"])
        got = understand(case["text"], now=now, tz=CLINIC_TZ, doctors=case.get("doctors", ())).as_json()
        score.lines += 1
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
    parser = argparse.ArgumentParser(prog="python -m gateway.conversation.eval_nlu", description=__doc__.split("\n")[0])
    parser.add_argument(
        "path", nargs="?", type=Path, default=DEFAULT_PATH, help="labelled JSONL (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    print(evaluate(args.path).report())


if __name__ == "__main__":
    main()
