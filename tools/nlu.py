"""Try the understanding step from a shell.

python -m tools.nlu "mañana a las 10 con el pediatra" --now 2026-11-25T10:00:00-04:00
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from gateway.understanding import understand

DEFAULT_TZ = "America/La_Paz"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.nlu", description="Print what a patient message means.")
    parser.add_argument("text", help="the message, as the patient wrote it")
    parser.add_argument("--now", type=dt.datetime.fromisoformat, help="ISO moment dates count from (default: now)")
    parser.add_argument("--tz", type=ZoneInfo, default=ZoneInfo(DEFAULT_TZ), help=f"clinic zone (default {DEFAULT_TZ})")
    parser.add_argument("--doctor", action="append", default=[], help="a doctor's name to match; repeat for more")
    args = parser.parse_args(argv)
    tz: ZoneInfo = args.tz
    now: dt.datetime = args.now or dt.datetime.now(tz)
    result = understand(args.text, now=now, tz=tz, doctors=args.doctor)
    print(json.dumps(result.as_json(), ensure_ascii=False))


if __name__ == "__main__":
    main()
