"""The drill's figures as a printed table, bench/CHAOS.md, its PNG, and a line per run in bench/chaos-runs.jsonl."""

from __future__ import annotations

import json
import math
import platform
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.chaos.accounting import ChannelFigures, Figures
from bench.chaos.faults import FaultEvent
from bench.chaos.load import Delivery

NOTES = re.compile(r"<!-- notes -->.*?<!-- /notes -->", re.DOTALL)


@dataclass(frozen=True)
class RunInfo:
    patients: int
    bookers: int
    whatsapp: int
    seconds: float
    drained_seconds: float
    settings: dict[str, str]
    overrides: dict[str, str]


def _ms(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds:.2f} s"


def table(figures: Figures) -> str:
    """The figures as a Markdown table: /chat, WhatsApp, both, and the target."""
    c, w = figures.chat, figures.whatsapp
    both = figures.latencies
    rows: list[tuple[str, Any, Any, Any, str]] = [
        ("sent", c.sent, w.sent, figures.total("sent"), ""),
        ("acknowledged", c.acknowledged, w.acknowledged, figures.total("acknowledged"), ""),
        ("not acknowledged (gave up)", c.unacknowledged, w.unacknowledged, figures.total("unacknowledged"), ""),
        ("**lost**", c.lost, w.lost, figures.total("lost"), "0"),
        ("**stored twice**", c.stored_twice, w.stored_twice, figures.total("stored_twice"), "0"),
        ("**5xx** (tries)", c.server_errors, w.server_errors, figures.total("server_errors"), "0"),
        ("of which 503 + Retry-After", c.retry_after_503, w.retry_after_503, figures.total("retry_after_503"), ""),
        ("**acknowledged without a reply**", c.without_reply, w.without_reply, figures.total("without_reply"), "0"),
        ("**answered twice** (same wamid)", "–", w.answered_twice, w.answered_twice, "0"),
        ("**double bookings**", "", "", figures.double_bookings, "0"),
        ("delivery latency p50", _ms(c.latency(50)), _ms(w.latency(50)), _ms(both.latency(50)), ""),
        ("delivery latency p99", _ms(c.latency(99)), _ms(w.latency(99)), _ms(both.latency(99)), ""),
    ]
    lines = ["| | /chat | WhatsApp | both | target |", "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {name} | {a} | {b} | {t} | {target} |" for name, a, b, t, target in rows]
    return "\n".join(lines)


def _outcomes(figures: ChannelFigures) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(figures.outcomes.items())) or "none"


def printed(figures: Figures, events: Sequence[FaultEvent]) -> str:
    lines = [table(figures), ""]
    lines += [f"non-200 tries, /chat: {_outcomes(figures.chat)}; WhatsApp: {_outcomes(figures.whatsapp)}"]
    lines += [f"whatsapp_inbound statuses: {dict(figures.whatsapp_statuses)}"]
    failures = figures.failures()
    lines += ["targets: all met" if not failures else "targets missed: " + "; ".join(failures)]
    return "\n".join(lines)


def plot(deliveries: Sequence[Delivery], figures: Figures, events: Sequence[FaultEvent], path: Path) -> None:
    """Delivery latency (each delivery at its first try) and failed tries per 2 s, with the faults marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 7), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    latency = figures.latencies.latency_by_id
    for channel, colour in (("chat", "tab:blue"), ("whatsapp", "tab:green")):
        mine = [d for d in deliveries if d.channel == channel]
        answered = [d for d in mine if d.id in latency]
        top.scatter(
            [d.first_at for d in answered],
            [latency[d.id] for d in answered],
            s=6,
            alpha=0.5,
            color=colour,
            label=f"{channel}: delivered",
        )
        missing = [d.first_at for d in mine if d.id not in latency]
        if missing:
            top.scatter(
                missing,
                [0.05] * len(missing),
                marker="x",
                color="red",
                label=f"{channel}: never acknowledged or answered",
            )
    top.set_yscale("log")
    top.set_ylabel("delivery latency (s)")
    top.legend(loc="upper right", fontsize=8)
    top.grid(alpha=0.3)

    end = max((a.at for d in deliveries for a in d.attempts), default=1.0)
    buckets = int(end // 2) + 1
    kinds = {"5xx": "tab:red", "503 + Retry-After": "tab:orange", "409/429": "tab:purple", "no answer": "black"}
    counts = {kind: [0] * buckets for kind in kinds}
    for delivery in deliveries:
        for attempt in delivery.attempts:
            if attempt.status == 200:
                continue
            if attempt.status is None:
                kind = "no answer"
            elif attempt.status == 503 and attempt.retry_after:
                kind = "503 + Retry-After"
            elif attempt.status >= 500:
                kind = "5xx"
            else:
                kind = "409/429"
            counts[kind][int(attempt.at // 2)] += 1
    xs = [2 * i for i in range(buckets)]
    bottom_stack = [0] * buckets
    for kind, colour in kinds.items():
        bottom.bar(xs, counts[kind], width=2, align="edge", bottom=bottom_stack, color=colour, label=kind)
        bottom_stack = [a + b for a, b in zip(bottom_stack, counts[kind], strict=True)]
    bottom.set_ylabel("failed tries / 2 s")
    bottom.set_xlabel("seconds into the drill")
    bottom.legend(loc="upper right", fontsize=8)
    bottom.grid(alpha=0.3)
    for event in events:
        for axis in (top, bottom):
            axis.axvline(event.at, color="grey", linestyle="--", linewidth=1)
            if event.until is not None:
                axis.axvspan(event.at, event.until, color="grey", alpha=0.12)
        top.annotate(
            event.name, (event.at, 1), xycoords=("data", "axes fraction"), rotation=90, fontsize=7, va="top", ha="right"
        )
    fig.suptitle("make chaos: delivery latency and failed tries, faults marked")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "gateway"], capture_output=True, text=True, check=False
        ).stdout.strip()
        return out.stdout.strip() + ("+uncommitted gateway changes" if dirty else "")
    except OSError:
        return "unknown"


def history_line(figures: Figures, info: RunInfo) -> dict[str, Any]:
    both = figures.latencies
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "patients": f"{info.patients}+{info.bookers}b+{info.whatsapp}wa",
        "gateway_env": " ".join(f"{k}={v}" for k, v in info.overrides.items()),
        "seconds": info.seconds,
        **{k: figures.total(k) for k in ("sent", "acknowledged", "lost", "stored_twice", "server_errors")},
        "retry_after_503": figures.total("retry_after_503"),
        "without_reply": figures.total("without_reply"),
        "answered_twice": figures.whatsapp.answered_twice,
        "double_bookings": figures.double_bookings,
        "p50_s": round(both.latency(50), 3),
        "p99_s": round(both.latency(99), 3),
        "met": not figures.failures(),
    }


def write_markdown(
    path: Path, png: Path, figures: Figures, events: Sequence[FaultEvent], info: RunInfo, history: list[dict[str, Any]]
) -> None:
    previous = path.read_text() if path.exists() else ""
    kept = NOTES.search(previous)
    notes = kept[0] if kept else "<!-- notes -->\n<!-- /notes -->"
    failures = figures.failures()
    faults = "\n".join(
        f"| {e.name} | {e.at:.1f} s | {'–' if e.until is None else f'{e.until:.1f} s'} | {e.note} |" for e in events
    )
    runs = "\n".join(
        f"| {h['when']} | {h['commit']} | {h['patients']} | {h.get('gateway_env') or 'defaults'} |"
        f" {h['sent']} | {h['acknowledged']} | {h['lost']} |"
        f" {h['stored_twice']} | {h['server_errors']} ({h['retry_after_503']}) | {h['without_reply']} |"
        f" {h['answered_twice']} | {h['double_bookings']} | {h['p50_s']} | {h['p99_s']} |"
        f" {'yes' if h['met'] else '**no**'} |"
        for h in history[-10:]
    )
    settings = ", ".join(f"`{k}={v}`" for k, v in info.settings.items())
    text = f"""# The fault drill (`make chaos`)

Written by `make chaos` ({history[-1]["when"]}, commit {history[-1]["commit"]}, {platform.machine()},
{platform.python_version()}); the section between the notes markers is kept from one run to the next.

Real nginx (deploy/nginx, rendered as the deploy tests do) in front of two gateway copies under uvicorn; the
inference server with the offline model; a PostgreSQL and a Redis of the drill's own; fake SMS and Graph API
servers. {info.patients} patients making small talk and asking about the clinic and {info.bookers} patients
booking pediatrics (all racing for the same first slots) post to `/chat` through nginx with a `message_id`;
{info.whatsapp} WhatsApp patients are delivered as signed webhook calls with their wamid, through nginx, and the
fake Graph API posts Meta's `sent` status callbacks back through nginx. Every delivery is retried with its id until
acknowledged, as n8n and Meta do (`Retry-After` honoured). Load for {info.seconds:.0f} s, then up to
{info.drained_seconds:.0f} s of drain for WhatsApp answers. Settings of the drill, and of the gateway where it is not
left at its production defaults: {settings}.

Figures come from the drill's database and the fake Graph API's record (bench/chaos/accounting.py says how each
is counted), never from the gateway's answers.

## Latest run: {"targets met" if not failures else "targets missed: " + "; ".join(failures)}

{table(figures)}

Tries not answered 200, by status: /chat {_outcomes(figures.chat)}; WhatsApp {_outcomes(figures.whatsapp)}.
WhatsApp messages by `whatsapp_inbound.status`: {dict(figures.whatsapp_statuses)}.

| fault | at | back at | |
| --- | ---: | ---: | --- |
{faults}

![delivery latency and failed tries over time, faults marked]({png.name})

## Runs on this machine (newest last)

| when | commit | patients | gateway settings | sent | acked | lost | stored twice | 5xx (503+RA) \
| acked, no reply | answered twice | double bookings | p50 | p99 | targets |
| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
{runs}

## Notes

{notes}
"""
    path.write_text(text)


def append_history(path: Path, line: dict[str, Any]) -> list[dict[str, Any]]:
    with path.open("a") as out:
        out.write(json.dumps(line) + "\n")
    return [json.loads(raw) for raw in path.read_text().splitlines() if raw.strip()]
