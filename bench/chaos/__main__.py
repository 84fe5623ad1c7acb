"""`python -m bench.chaos`: start the stack, run the patients and the faults, drain, count, report.

Exits 1 when a target is missed (lost, stored twice, 5xx, acknowledged without a reply, answered twice, double
bookings: all 0), 0 when every one is met.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.chaos.accounting import Figures, TakenSend, account, read_ground_truth
from bench.chaos.faults import (
    POSTGRES_DOWN_SECONDS,
    REDIS_DOWN_SECONDS,
    RESTART_SECONDS,
    Drill,
    FaultEvent,
    run_faults,
)
from bench.chaos.load import ATTEMPT_TIMEOUT_SECONDS, GIVE_UP_SECONDS, ChatPatient, Load, run_patients
from bench.chaos.processes import REPO
from bench.chaos.report import RunInfo, append_history, history_line, plot, printed, write_markdown
from bench.chaos.stack import Stack, bookers, running_stack

SETTLE_SECONDS = 3.0  # after the queue is empty: a second answer to anything would come within this


def announce(message: str) -> None:
    print(f"[chaos] {message}", flush=True)


async def drain(stack: Stack, load: Load, within: float) -> float:
    """Wait until no WhatsApp message is still being answered (or `within` passes); the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        try:
            conn = await asyncpg.connect(stack.owner_url)
            try:
                busy = await conn.fetchval(
                    "SELECT (SELECT count(*) FROM whatsapp_inbound WHERE status = 'received')"
                    " + (SELECT count(*) FROM whatsapp_outbound WHERE status = 'pending')"
                    " + (SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                    "    AND task_name <> 'jobs.recover' AND task_name <> 'jobs.prune')"
                )
            finally:
                await conn.close()
        except (OSError, asyncpg.PostgresError):
            busy = -1
        if busy == 0:
            break
        await asyncio.sleep(1)
    await asyncio.sleep(SETTLE_SECONDS)
    return time.monotonic() - started


async def drill(stack: Stack, args: argparse.Namespace) -> tuple[Figures, list[FaultEvent], Load, float]:
    load = Load(time.monotonic())
    timeout = httpx.Timeout(ATTEMPT_TIMEOUT_SECONDS)
    async with httpx.AsyncClient(base_url=stack.url, timeout=timeout) as client:

        async def say(phone: str, text: str) -> dict[str, Any] | None:
            return await ChatPatient(load, client, stack, phone, args.seconds + GIVE_UP_SECONDS).say(text)

        faults = asyncio.create_task(run_faults(Drill(stack, load.now, say), args.seconds))
        await run_patients(
            stack,
            load,
            talkers=args.patients,
            booking=bookers(args.bookers),
            whatsapp=args.whatsapp,
            seconds=args.seconds,
            seed=args.seed,
        )
        events = await faults
    announce(f"load over at {load.now():.0f} s; draining WhatsApp answers (up to {args.drain:.0f} s)")
    drained = await drain(stack, load, args.drain)
    sends = [TakenSend(s.at - load.t0, s.callback) for s in list(stack.graph.sends)]
    truth = await read_ground_truth(stack.owner_url, sends)
    return account(load.deliveries, truth, api_key_id=stack.api_key_id), events, load, drained


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument("--patients", type=int, default=16, help="patients making small talk through /chat")
    parser.add_argument("--bookers", type=int, default=4, help="patients booking pediatrics through /chat")
    parser.add_argument("--whatsapp", type=int, default=4, help="patients writing through the WhatsApp webhook")
    parser.add_argument("--seconds", type=float, default=150, help="how long patients keep writing")
    parser.add_argument("--drain", type=float, default=120, help="most seconds to wait for WhatsApp answers after")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default="models/dialogpt-clinic-es")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "CHAOS.md")
    parser.add_argument(
        "--gateway-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a gateway setting for this run (e.g. BREAKER_RESET_SECONDS=5); repeatable",
    )
    args = parser.parse_args(argv)

    run_dir = REPO / ".data" / "chaos" / datetime.now(UTC).strftime("run-%Y%m%dT%H%M%S")
    overrides = dict(item.split("=", 1) for item in args.gateway_env)
    with running_stack(
        run_dir, model=args.model, patients=bookers(args.bookers), overrides=overrides, say=announce
    ) as stack:
        announce(
            f"{args.patients} + {args.bookers} booking + {args.whatsapp} WhatsApp patients for {args.seconds:.0f} s"
        )
        figures, events, load, _ = asyncio.run(drill(stack, args))
        announce("stopping the stack")
    print(printed(figures, events), flush=True)

    png = args.out.with_name("chaos.png")
    plot(load.deliveries, figures, events, png)
    settings = {
        "fault restart after": f"{RESTART_SECONDS:g} s",
        "Postgres down": f"{POSTGRES_DOWN_SECONDS:g} s",
        "Redis down": f"{REDIS_DOWN_SECONDS:g} s",
        "APP_ENV": "development",
        "LOG_LEVEL": "WARNING",
        **overrides,
    }
    info = RunInfo(args.patients, args.bookers, args.whatsapp, args.seconds, args.drain, settings, overrides)
    history = append_history(args.out.with_name("chaos-runs.jsonl"), history_line(figures, info))
    write_markdown(args.out, png, figures, events, info, history)
    raw = run_dir / "deliveries.json"
    raw.write_text(json.dumps([asdict(d) for d in load.deliveries]))
    announce(f"wrote {args.out} and {png}; logs and every delivery's tries under {run_dir}")
    return 0 if not figures.failures() else 1


if __name__ == "__main__":
    sys.exit(main())
