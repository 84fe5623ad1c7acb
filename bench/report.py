"""Turning measurements into the printed table, the target checks and RESULTS.md."""

import math
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Row:
    """One line of the main table; NaN where a mode has no such number."""

    name: str
    tokens_per_s: float
    useful_tokens: int
    seconds: float
    p50_latency_s: float = math.nan
    p99_latency_s: float = math.nan
    p50_ttft_s: float = math.nan
    p99_ttft_s: float = math.nan

    @classmethod
    def of(
        cls, name: str, *, useful_tokens: int, seconds: float, latencies: Sequence[float], ttfts: Sequence[float]
    ) -> "Row":
        return cls(
            name,
            useful_tokens / seconds if seconds > 0 else 0.0,
            useful_tokens,
            seconds,
            percentile(latencies, 50),
            percentile(latencies, 99),
            percentile(ttfts, 50),
            percentile(ttfts, 99),
        )


@dataclass(frozen=True)
class Check:
    """A target as measured; `passed` is None when it could not be measured, or when the line
    only reports a number next to the targets (`target` "info")."""

    name: str
    measured: str
    target: str
    passed: bool | None

    @property
    def mark(self) -> str:
        if self.target == INFO:
            return ""
        return {True: "✓", False: "✗", None: "n/a"}[self.passed]


INFO = "info"


def info_check(name: str, value: float) -> Check:
    """A number shown among the targets without being one."""
    return Check(name, "n/a" if math.isnan(value) else f"{value:.2f}", INFO, None)


def ms_check(name: str, seconds: Sequence[float], *, at_most: float) -> Check:
    """The p99 of `seconds`, in milliseconds, against `at_most` ms."""
    if not seconds:
        return Check(name, "n/a", f"<= {at_most:g}", None)
    p99_ms = percentile(seconds, 99) * 1000
    return Check(name, f"{p99_ms:.1f}", f"<= {at_most:g}", p99_ms <= at_most)


def ratio_check(name: str, value: float, *, at_least: float | None = None, at_most: float | None = None) -> Check:
    if at_least is not None:
        target, passed = f">= {at_least:g}", value >= at_least
    elif at_most is not None:
        target, passed = f"<= {at_most:g}", value <= at_most
    else:
        raise ValueError("a check needs a bound")
    if math.isnan(value):
        return Check(name, "n/a", target, None)
    return Check(name, f"{value:.2f}", target, passed)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 and not math.isnan(denominator) else math.nan


def _ms(seconds: float) -> str:
    return "—" if math.isnan(seconds) else f"{seconds * 1000:.0f}"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell: the first left aligned, the rest right aligned."""
    widths = [max(len(headers[i]), *(len(row[i]) for row in rows)) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)])


def mode_table(rows: Sequence[Row]) -> str:
    headers = ["mode", "useful tok/s", "tokens", "seconds", "p50 lat ms", "p99 lat ms", "p50 TTFT ms", "p99 TTFT ms"]
    return format_table(
        headers,
        [
            [
                r.name,
                f"{r.tokens_per_s:.1f}",
                str(r.useful_tokens),
                f"{r.seconds:.2f}",
                _ms(r.p50_latency_s),
                _ms(r.p99_latency_s),
                _ms(r.p50_ttft_s),
                _ms(r.p99_ttft_s),
            ]
            for r in rows
        ],
    )


def checks_table(checks: Sequence[Check]) -> str:
    return format_table(["target", "measured", "goal", ""], [[c.name, c.measured, c.target, c.mark] for c in checks])


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_lines(device: str) -> list[str]:
    """CPU model, cores, torch and transformers versions, device."""
    # Imported here: the gateway bench reports without torch (and its seconds of import).
    import torch
    import transformers

    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    device_line = device
    if device == "cuda" and torch.cuda.is_available():
        device_line = f"cuda ({torch.cuda.get_device_name(0)})"
    return [
        f"CPU: {cpu_model()}, {cores} cores ({usable} usable)",
        f"torch {torch.__version__} ({torch.get_num_threads()} intra-op threads here), "
        f"transformers {transformers.__version__}, Python {platform.python_version()}",
        f"device: {device_line}",
    ]


def results_markdown(*, title: str, command: str, machine: Sequence[str], setup: Sequence[str], output: str) -> str:
    """RESULTS.md: when, where, how, and the run's printed report verbatim."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    bullets = "\n".join(f"- {line}" for line in machine)
    setup_bullets = "\n".join(f"- {line}" for line in setup)
    return (
        f"# {title}\n\n"
        f"Run on {now} with `{command}`.\n\n"
        f"## Machine\n\n{bullets}\n\n"
        f"## Setup\n\n{setup_bullets}\n\n"
        f"## Output\n\n```text\n{output.rstrip()}\n```\n"
    )


NOTES_MARKER = "<!-- notes below: written by hand, kept when the bench rewrites this file -->"


def keep_notes(generated: str, previous: str | None) -> str:
    """`generated`, followed by the hand-written notes of `previous` (from NOTES_MARKER on), if any."""
    if previous is None or NOTES_MARKER not in previous:
        return generated
    return generated.rstrip("\n") + "\n\n" + previous[previous.index(NOTES_MARKER) :]
