"""`bench.nlu_bench` on a tiny count: every kind is built within the limit, timed and reported (no timing judged)."""

from __future__ import annotations

import pytest

from bench.nlu_bench import KINDS, NORMAL, checks, main, run, table
from gateway.understanding.nlu import MAX_CHARS


def test_every_hostile_kind_is_as_long_as_a_message_may_be() -> None:
    results = run(runs=2)

    assert [r.kind for r in results] == list(KINDS)
    assert results[0].chars == len(NORMAL)
    for result in results[1:]:
        assert MAX_CHARS - 40 <= result.chars <= MAX_CHARS, result.kind
        assert len(result.seconds) == 2


def test_the_table_has_a_row_per_kind_and_the_normal_message_is_the_baseline() -> None:
    results = run(runs=2)
    lines = table(results).splitlines()

    assert lines[0].split() == ["message", "kind", "chars", "p50", "ms", "p99", "ms", "max", "ms", "p50", "/", "normal"]
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + len(KINDS)
    assert lines[2].startswith("normal") and lines[2].split()[-1] == "1.0"
    for line, kind in zip(lines[2:], KINDS, strict=True):
        assert line.startswith(kind)
        assert all(float(cell) >= 0 for cell in line[len(kind) :].split())
    (check,) = checks(results)
    assert check.name.startswith(f"worst {MAX_CHARS}-char kind p99 ms") and check.target == "<= 20"


def test_the_command_prints_the_table_and_the_target(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--runs", "1"])

    printed = capsys.readouterr().out
    assert "message kind" in printed and "p50 / normal" in printed
    assert f"worst {MAX_CHARS}-char kind p99 ms" in printed
