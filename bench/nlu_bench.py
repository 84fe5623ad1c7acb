"""`python -m bench.nlu_bench`: what the understanding step costs, on a normal message and on hostile ones.

`understand()` runs on every patient message before anything else, so a message built to be slow to
understand stalls every patient on that gateway copy. Each kind below is the worst of its sort we could
build within 4096 characters (the longest message WhatsApp sends, and the most `understand` reads): dates,
weekdays, clock times, digits, emoji, one long word, the words every pattern starts with, typos, random words,
and sentences that each ask for something (a long message is also read sentence by sentence).
Kinds with random words get fresh ones on every run, so words the matcher has seen before do not flatter
it. One table: each kind's length and p50/p99/max milliseconds, and its p50 against the normal message's,
measured in the same run; then the target: the worst kind's p99 within 20 ms.

Times are the thread's CPU time: what a message costs the event loop it runs on, the same on an idle
machine as wall time, and not inflated when other processes share the cores. As `timeit` does, the
garbage collector waits during each call: its pauses belong to the whole process (here, torch's heap).
"""

import argparse
import datetime as dt
import gc
import random
import statistics
import string
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bench.report import Check, checks_table, format_table, ms_check, percentile, ratio
from gateway.understanding.emergency_model import EmergencyModel
from gateway.understanding.nlu import MAX_CHARS, understand
from gateway.understanding.vocabulary import EMOJI_WORDS, word_list

CLINIC_TZ = ZoneInfo("America/La_Paz")
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=CLINIC_TZ)
DOCTORS = ("Dra. Carmen Quispe", "Dr. Jorge Mamani", "Dra. Lucía Vargas", "Dr. Fernando Gutiérrez")
NORMAL = "Hola, quisiera una cita con el pediatra para mañana a las 10 por favor"
TARGET_MS = 20.0
_NATURAL = " ".join(
    [
        "Buenos días, quisiera cambiar mi cita del lunes con la doctora Quispe para el jueves 10 a las 3 de la tarde",
        "porque tengo un viaje, y preguntar si atienden los sábados.",
    ]
).split(" ")
# Words the intent patterns start with: every one is a place a pattern must be tried.
_PATTERN_WORDS = word_list(
    "quiero cita no me duele el pecho dolor falta aire cancelar mi turno lado cara ver mis citas gracias"
)

Build = Callable[[random.Random], str]
_SPELLED_EMOJI = sorted(emoji for emoji in EMOJI_WORDS if len(emoji) == 1)


def _filled(parts: Callable[[int], str], limit: int = MAX_CHARS) -> str:
    """`parts(0) parts(1) ...` joined by spaces, as many as fit in `limit` characters."""
    text = ""
    for index in range(limit):
        part = parts(index)
        if len(text) + len(part) + 1 > limit:
            break
        text += part + " "
    return text.rstrip()


def _mixed_emoji(rng: random.Random) -> str:
    """`MAX_CHARS` emoji the normalizer spells out as words, each one other than the one before it."""
    chosen = [rng.choice(_SPELLED_EMOJI)]
    while len(chosen) < MAX_CHARS:
        chosen.append(rng.choice([emoji for emoji in _SPELLED_EMOJI if emoji != chosen[-1]]))
    return "".join(chosen)


def _random_word(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(low, high)))


KINDS: dict[str, Build] = {
    "normal": lambda rng: NORMAL,
    "natural, long": lambda rng: _filled(lambda i: _NATURAL[i % len(_NATURAL)]),
    "dates d/m": lambda rng: _filled(lambda i: f"{i % 31 + 1}/{i % 12 + 1}"),
    "dates d/m/yy, odd": lambda rng: _filled(
        lambda i: f"{rng.randint(1, 99)}/{rng.randint(13, 99)}/{rng.randint(0, 99)}"
    ),
    "dates d de mes": lambda rng: _filled(
        lambda i: f"{i % 28 + 1} de {('enero', 'marzo', 'junio', 'diciembre')[i % 4]} de {2026 + i % 3}"
    ),
    "weekdays with days": lambda rng: _filled(lambda i: f"el {('lunes', 'martes', 'jueves')[i % 3]} {i % 28 + 1}"),
    "clock times": lambda rng: _filled(lambda i: f"a las {i % 12 + 1} y media de la tarde"),
    "one run of digits": lambda rng: "7" * MAX_CHARS,
    "numbers": lambda rng: _filled(lambda i: str(rng.randint(0, 99))),
    "emoji": lambda rng: "🙏" * MAX_CHARS,
    # Emoji the normalizer spells out as words, none twice in a row: no repetition to read as one.
    "emoji, mixed": lambda rng: _mixed_emoji(rng),
    "one long word": lambda rng: "a" * MAX_CHARS,
    "pattern words": lambda rng: _filled(lambda i: _PATTERN_WORDS[i % len(_PATTERN_WORDS)]),
    "clauses": lambda rng: _filled(lambda i: "no, sí, gracias,"),
    "typos": lambda rng: _filled(lambda i: rng.choice(("kancel", "resprar", "mierkoles", "sitaa", "dolr")) + str(i)),
    "random words": lambda rng: _filled(lambda i: _random_word(rng, 4, 9)),
    "random long words": lambda rng: _filled(lambda i: _random_word(rng, 10, 22)),
    "request sentences": lambda rng: _filled(lambda i: f"Quiero una cita el {i % 28 + 1} a las {i % 12 + 1}."),
}


@dataclass(frozen=True)
class KindResult:
    kind: str
    chars: int
    seconds: list[float]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.seconds) * 1000


def time_kind(kind: str, build: Build, *, runs: int, rng: random.Random, model: EmergencyModel) -> KindResult:
    """`runs` timings of `understand` on messages of this kind, each built afresh (outside the timing)."""
    seconds: list[float] = []
    chars = 0
    for _ in range(runs):
        text = build(rng)
        chars = max(chars, len(text))
        gc.disable()
        try:
            started = time.thread_time()
            understand(text, now=NOW, tz=CLINIC_TZ, doctors=DOCTORS, emergency_model=model)
            seconds.append(time.thread_time() - started)
        finally:
            gc.enable()
    return KindResult(kind, chars, seconds)


def run(*, runs: int, seed: int = 7) -> list[KindResult]:
    """Every kind, the normal message first (its numbers are the baseline)."""
    rng = random.Random(seed)
    model = EmergencyModel.load()  # as the gateway reads every message: patterns, then the learned model
    # Once per process, not per message: imports, compiled patterns, dateparser's first parse.
    for text in (NORMAL, "el 31/13/99"):
        understand(text, now=NOW, tz=CLINIC_TZ, doctors=DOCTORS, emergency_model=model)
    gc.collect()
    gc.freeze()  # what is alive now stays; the collector's pauses then reflect this bench's garbage only
    return [time_kind(kind, build, runs=runs, rng=rng, model=model) for kind, build in KINDS.items()]


def table(results: Sequence[KindResult]) -> str:
    """kind, chars, p50/p99/max ms, and p50 as a multiple of the normal message's p50."""
    baseline = results[0].p50_ms
    rows = [
        [
            r.kind,
            str(r.chars),
            f"{r.p50_ms:.2f}",
            f"{percentile(r.seconds, 99) * 1000:.2f}",
            f"{max(r.seconds) * 1000:.2f}",
            f"{ratio(r.p50_ms, baseline):.1f}",
        ]
        for r in results
    ]
    return format_table(["message kind", "chars", "p50 ms", "p99 ms", "max ms", "p50 / normal"], rows)


def checks(results: Sequence[KindResult]) -> list[Check]:
    """The worst hostile kind's p99 against the target."""
    worst = max(results[1:], key=lambda r: percentile(r.seconds, 99))
    return [ms_check(f"worst {MAX_CHARS}-char kind p99 ms ({worst.kind})", worst.seconds, at_most=TARGET_MS)]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.nlu_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="messages timed per kind (default 200)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the random words")
    args = parser.parse_args(argv)
    results = run(runs=args.runs, seed=args.seed)
    print(table(results))
    print()
    print(checks_table(checks(results)))


if __name__ == "__main__":
    main()
