"""Replay a folder of scripted conversations through POST /chat and count those that end where they should.

    python -m tools.eval_dialog [folder] [--only NAME ...] [--transcripts] [--strict]
                                       (default folder: eval/dialogs)

Each script (tools/dialog_scripts.py) runs on real Postgres and Redis (TEST_DATABASE_URL or DATABASE_URL,
TEST_REDIS_URL or REDIS_URL, else the ones on this machine's default ports; the Postgres login must be allowed
to create databases) against an
in-process gateway at the script's pinned clinic time. The end state is read from Postgres: appointments
booked, moved or cancelled since the setup, and whether the conversation was handed to a person. Prints a
table and "N/M reached the intended end state"; exits 0 unless --strict and some conversation missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.support.services import LOCAL_POSTGRES, LOCAL_REDIS
from tools.dialog_replay import Replayer, Result
from tools.dialog_scripts import Script, load_folder

DEFAULT_FOLDER = Path(__file__).resolve().parents[1] / "eval" / "dialogs"


async def replay_all(scripts: Sequence[tuple[str, Script]], server_url: str, redis_url: str) -> list[Result]:
    """Every script's result, one after the other (each on a database of its own)."""
    async with Replayer.start(server_url, redis_url) as replayer:
        return [await replayer.replay(name, script) for name, script in scripts]


def table(results: Sequence[Result]) -> str:
    """One line per conversation (intended, reached, ok, why not) and the count that reached their end state."""
    rows = [("conversation", "intended", "reached", "ok", "")]
    rows += [
        (r.name, r.script.expect.end.value, r.reached, "yes" if r.ok else "NO", "; ".join(r.problems)) for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[4]]).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    reached = sum(1 for r in results if r.ok)
    lines.append(f"\n{reached}/{len(results)} reached the intended end state")
    return "\n".join(lines)


def transcript(result: Result) -> str:
    """The conversation as it went, the replayer's own verification answers marked."""
    lines = [f"== {result.name}: {result.script.title}"]
    for exchange in result.transcript:
        who = "patient" if exchange.scripted else "patient (verification)"
        status = "" if exchange.status == 200 else f" [HTTP {exchange.status}]"
        lines += [f"  {who}: {exchange.said}", f"  clinic [{exchange.action}]{status}: {exchange.reply}"]
    if result.script.note:
        lines.append(f"  note: {result.script.note}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER, help="folder of *.yaml scripts")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="replay only these scripts (file stems)")
    parser.add_argument("--transcripts", action="store_true", help="print every conversation as it went")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any conversation misses its end state")
    args = parser.parse_args(argv)
    scripts = load_folder(args.folder)
    if args.only:
        unknown = set(args.only) - {name for name, _ in scripts}
        if unknown:
            parser.error(f"no such scripts: {', '.join(sorted(unknown))}")
        scripts = [(name, script) for name, script in scripts if name in args.only]
    # As the tests find them (tests/conftest.py), less the embedded fallback.
    server_url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or LOCAL_POSTGRES
    redis_url = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or LOCAL_REDIS
    results = asyncio.run(replay_all(scripts, server_url, redis_url))
    if args.transcripts:
        print("\n\n".join(transcript(r) for r in results), end="\n\n")
    print(table(results))
    return 1 if args.strict and not all(r.ok for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
