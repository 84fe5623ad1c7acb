"""How much of what a model writes for small talk the gateway's gate lets through (``make eval-smalltalk``).

    python -m tools.eval_smalltalk [--model DIR_OR_HUB_ID] [--messages FILE] [--passed-out FILE] [--labels FILE]

Each message of the set (``tools/data/smalltalk_es.txt``: small talk and off-script messages a patient
might write; ``tools/data/smalltalk_heldout_es.txt`` was written blind to it, to measure on) is routed as the
gateway routes a conversation's first message: small talk the gateway answers from a template
(``small_talk.py``) gets that template; the rest goes through the real inference server serving
``--model`` with the gateway's default generation parameters, and its reply through the same check
the gateway applies before sending one (``check_generated``, as ``ConversationService._model_reply``
calls it: with the patient's message, the clinic's time and the model's mean log-probability). Messages
the gateway would not send to the model (an intent with its own template, a
question for medical advice) are skipped and listed. Prints, per kind and in all, how many got a
template, how many went to the model and how many of those passed, with a sample, and writes every reply
a patient would read (templates and passed ones) to ``--passed-out`` (JSON lines with an empty ``label``)
for a person to mark ``ok`` or ``wrong``; ``--labels`` reads such a marked file back and counts the wrong
ones among this run's replies.

Each message is sampled with a fixed seed (its line number), so a run is repeatable on one machine.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from appointments.demo import DOCTORS, MARIA
from devstack.processes import start_until
from gateway.conversation import replies
from gateway.conversation.reply_check import asks_for_medical_advice, check_generated
from gateway.inference_client import GenerationParameters, InferenceClient
from gateway.settings import Settings
from gateway.understanding.intents import Intent
from gateway.understanding.nlu import understand
from gateway.understanding.small_talk import SmallTalk

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MESSAGES = ROOT / "tools" / "data" / "smalltalk_es.txt"
HELDOUT_MESSAGES = ROOT / "tools" / "data" / "smalltalk_heldout_es.txt"
DEFAULT_MODEL = ROOT / "models" / "dialogpt-clinic-es"
DEFAULT_PASSED = ROOT / ".data" / "eval_smalltalk" / "passed.jsonl"
CLINIC_TZ = ZoneInfo("America/La_Paz")
# Intents the dialog answers with no template when no flow is under way (see Dialog.respond).
MODEL_INTENTS = frozenset({Intent.OTHER, Intent.CONFIRM, Intent.DENY})
# Intents whose small talk gets a template (a compliment is read as thanks, and is not a goodbye).
TEMPLATE_INTENTS = MODEL_INTENTS | {Intent.THANKS_GOODBYE}
# Who the demo clinic lets the model name: its doctors and the patient (as the service passes them).
ALLOWED_NAMES = [name for name, _ in DOCTORS] + [MARIA.full_name]
SAMPLE_SIZE = 20
CONCURRENCY = 32


@dataclass(frozen=True)
class Message:
    """One line of the set."""

    number: int  # line number in the file; also the sampling seed
    kind: str
    text: str


@dataclass(frozen=True)
class Result:
    message: Message
    reply: str
    passed: bool
    reason: str | None
    source: str = "model"  # or "template"
    mean_logprob: float | None = None  # the model's score of its reply


def load_messages(path: Path) -> list[Message]:
    """The set's messages: ``# kind: name`` starts a group, other ``#`` lines are comments."""
    kind = "unsorted"
    messages = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if text.startswith("# kind:"):
            kind = text.removeprefix("# kind:").strip()
        elif text and not text.startswith("#"):
            messages.append(Message(number, kind, text))
    return messages


def reaches_model(text: str, *, now: dt.datetime) -> bool:
    """Whether the gateway would ask the model to answer `text` as a conversation's first message."""
    understood = understand(text, now=now, tz=CLINIC_TZ, doctors=ALLOWED_NAMES[:-1])
    return understood.intent in MODEL_INTENTS and understood.small_talk is None and not asks_for_medical_advice(text)


def template_reply(message: Message, *, now: dt.datetime) -> Result | None:
    """The template the gateway answers `message` with as a conversation's first message, if small talk."""
    understood = understand(message.text, now=now, tz=CLINIC_TZ, doctors=ALLOWED_NAMES[:-1])
    if understood.intent is Intent.GREETING and understood.small_talk is SmallTalk.HOW_ARE_YOU:
        return Result(message, replies.GREETING_AND_HOW_ARE_YOU, True, None, source="template")
    if understood.small_talk is None or understood.intent not in TEMPLATE_INTENTS:
        return None
    if asks_for_medical_advice(message.text):
        return None
    return Result(message, replies.SMALL_TALK[understood.small_talk][0], True, None, source="template")


def gateway_parameters(seed: int) -> GenerationParameters:
    """The gateway's default generation parameters (its Settings), with a fixed seed."""
    fields = Settings.model_fields
    return GenerationParameters(
        max_new_tokens=fields["reply_max_new_tokens"].default,
        temperature=fields["reply_temperature"].default,
        top_p=fields["reply_top_p"].default,
        seed=seed,
    )


async def generate_all(target: str, messages: Sequence[Message], *, now: dt.datetime, seconds: float) -> list[Result]:
    """Every message's reply from the server at `target` (`seconds` each), judged by the gateway's check at `now`."""
    client = InferenceClient(target, timeout_seconds=seconds)
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(message: Message) -> Result:
        async with slots:
            generated = await client.generate(
                [("user", message.text)], gateway_parameters(message.number), request_id=f"eval-{message.number}"
            )
        verdict = check_generated(
            generated.text,
            allowed_names=ALLOWED_NAMES,
            patient_message=message.text,
            now=now,
            mean_logprob=generated.mean_logprob,
            min_logprob=Settings.model_fields["reply_min_logprob"].default,
        )
        return Result(message, generated.text.strip(), verdict.ok, verdict.reason, mean_logprob=generated.mean_logprob)

    try:
        return list(await asyncio.gather(*(one(message) for message in messages)))
    finally:
        await client.close()


@contextmanager
def inference_server(model: str, *, timeout: float = 300) -> Iterator[str]:
    """``python -m inference`` serving `model` on a free port, as the tests start it; yields its target."""
    env = {
        **os.environ,
        "MODEL_NAME": model,
        "INFERENCE_PORT": "0",
        "INFERENCE_METRICS_PORT": "0",
    }
    child, ready = start_until(
        [sys.executable, "-m", "inference"], ready=r"^INFERENCE_READY port=(\d+)", env=env, timeout=timeout
    )
    try:
        yield f"127.0.0.1:{ready[1]}"
    finally:
        child.stop()


def read_labels(path: Path) -> dict[tuple[str, str], str]:
    """(message, reply) → label from a marked passed-replies file; unmarked lines are left out."""
    labels = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("label"):
                labels[(row["message"], row["reply"])] = str(row["label"])
    return labels


def report(
    results: Sequence[Result],
    skipped: Sequence[Message],
    *,
    model: str,
    now: dt.datetime,
    labels: dict[tuple[str, str], str] | None,
) -> str:
    """The table, the reasons for rejections, a sample of replies, and the wrong count if labelled."""
    lines = [f"small talk through templates and the reply gate: model {model}, clinic time {now:%Y-%m-%d %H:%M}", ""]
    lines.append(f"{'kind':<24}{'template':>9}{'sent':>6}{'passed':>8}{'rate':>8}")
    kinds = sorted({r.message.kind for r in results}, key=[r.message.kind for r in results].index)
    for kind in kinds:
        mine = [r for r in results if r.message.kind == kind]
        templated = sum(r.source == "template" for r in mine)
        generated = [r for r in mine if r.source == "model"]
        passed = sum(r.passed for r in generated)
        lines.append(f"{kind:<24}{templated:>9}{len(generated):>6}{passed:>8}{_percent(passed, len(generated)):>8}")
    model_results = [r for r in results if r.source == "model"]
    templated_total = len(results) - len(model_results)
    total = len(model_results)
    passed_total = sum(r.passed for r in model_results)
    lines.append(f"{'total':<24}{templated_total:>9}{total:>6}{passed_total:>8}{_percent(passed_total, total):>8}")
    lines += [
        "",
        f"answered from a template: {templated_total}",
        f"total: {total}",
        f"passed: {passed_total}",
        f"pass rate: {_percent(passed_total, total)}",
    ]
    reasons = Counter(r.reason for r in model_results if not r.passed)
    if reasons:
        lines.append("rejected: " + ", ".join(f"{reason} {count}" for reason, count in reasons.most_common()))
    if skipped:
        lines.append(f"skipped (the gateway would not ask the model): {len(skipped)}")
        lines += [f"  line {m.number}: {m.text!r}" for m in skipped]
    passed_results = [r for r in model_results if r.passed]
    if passed_results:
        lines += ["", f"sample of passed replies ({min(SAMPLE_SIZE, len(passed_results))} of {len(passed_results)}):"]
        step = max(1, len(passed_results) // SAMPLE_SIZE)
        for r in passed_results[::step][:SAMPLE_SIZE]:
            lines.append(f"  {r.message.text!r} -> {r.reply!r}")
    if labels is not None:
        for name, read in (("passed", passed_results), ("template", [r for r in results if r.source == "template"])):
            marked = [labels.get((r.message.text, r.reply)) for r in read]
            wrong = sum(label == "wrong" for label in marked)
            unlabelled = sum(label is None for label in marked)
            lines.append(f"labelled wrong: {wrong} of {len(read)} {name} ({unlabelled} unlabelled)")
    return "\n".join(lines)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def write_passed(results: Sequence[Result], path: Path) -> None:
    """Replies a patient would read (passed or templates) as JSON lines with an empty label, for a person to
    mark ``ok`` or ``wrong``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for r in results:
            if r.passed:
                row = {
                    "line": r.message.number,
                    "kind": r.message.kind,
                    "source": r.source,
                    "message": r.message.text,
                    "reply": r.reply,
                    "mean_logprob": None if r.mean_logprob is None else round(r.mean_logprob, 4),
                }
                out.write(json.dumps({**row, "label": ""}, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.eval_smalltalk", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="checkpoint directory or hub id (MODEL_NAME)")
    parser.add_argument("--messages", type=Path, default=DEFAULT_MESSAGES)
    parser.add_argument("--passed-out", type=Path, default=DEFAULT_PASSED)
    parser.add_argument("--labels", type=Path, default=None, help="a marked passed-replies file to count wrong ones")
    parser.add_argument("--target", default=None, help="a running inference server (host:port) instead of starting one")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per generation")
    parser.add_argument(
        "--now",
        type=dt.datetime.fromisoformat,
        default=None,
        help="the clinic's local time the gate judges greetings by (ISO, e.g. 2026-12-02T10:30); default: now",
    )
    args = parser.parse_args(argv)

    now = dt.datetime.now(CLINIC_TZ) if args.now is None else args.now.replace(tzinfo=args.now.tzinfo or CLINIC_TZ)
    messages = load_messages(args.messages)
    templated = [r for r in (template_reply(m, now=now) for m in messages) if r is not None]
    sent = [m for m in messages if reaches_model(m.text, now=now)]
    skipped = [m for m in messages if m not in sent and m not in {r.message for r in templated}]
    if args.target:
        results = asyncio.run(generate_all(args.target, sent, now=now, seconds=args.timeout))
    else:
        with inference_server(args.model) as target:
            results = asyncio.run(generate_all(target, sent, now=now, seconds=args.timeout))
    results = sorted([*templated, *results], key=lambda r: r.message.number)
    labels = read_labels(args.labels) if args.labels else None
    print(report(results, skipped, model=args.model, now=now, labels=labels))
    write_passed(results, args.passed_out)
    print(f"\nreplies written to {args.passed_out} (mark each label 'ok' or 'wrong')")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
