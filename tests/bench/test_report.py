"""How the bench reports numbers next to its targets."""

from __future__ import annotations

import math

from bench.report import NOTES_MARKER, checks_table, info_check, keep_notes, ms_check, ratio_check


def test_info_lines_show_a_number_without_judging_it() -> None:
    check = info_check("p99 TTFT burst of 32 / alone", 24.5)

    assert (check.measured, check.target, check.mark) == ("24.50", "info", "")
    assert info_check("nothing measured", math.nan).measured == "n/a"


def test_millisecond_checks_take_the_p99_of_seconds() -> None:
    fast = ms_check("refusal p99 ms", [0.002] * 50 + [0.004] * 50, at_most=10)
    slow = ms_check("refusal p99 ms", [0.020] * 100, at_most=10)

    assert (fast.measured, fast.mark) == ("4.0", "✓")
    assert (slow.measured, slow.mark) == ("20.0", "✗")
    assert ms_check("refusal p99 ms", [], at_most=10).mark == "n/a"


def test_the_checks_table_lists_targets_and_info_lines_together() -> None:
    table = checks_table([ratio_check("tok/s / bound", 0.9, at_least=0.8), info_check("burst TTFT", 20.0)])

    assert "tok/s / bound" in table and ">= 0.8" in table and "✓" in table
    assert "burst TTFT" in table and "info" in table


def test_the_hand_written_notes_survive_a_rewrite() -> None:
    previous = f"# old run\n\nold output\n\n{NOTES_MARKER}\n\n## Why\n\nbecause\n"
    rewritten = keep_notes("# new run\n\nnew output\n", previous)
    assert rewritten == f"# new run\n\nnew output\n\n{NOTES_MARKER}\n\n## Why\n\nbecause\n"
    assert keep_notes("# new run\n", "# old run without notes\n") == "# new run\n"
    assert keep_notes("# new run\n", None) == "# new run\n"
