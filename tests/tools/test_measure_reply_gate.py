"""make measure-reply-gate: the threshold comes from the labelled replies, and the report says what it costs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.measure_reply_gate import DEFAULT_DATA, Scored, counts, main, pick_threshold, read_rows


def scored(good: list[float], broken: list[float]) -> list[Scored]:
    return [Scored("hola", "x", False, v) for v in good] + [Scored("hola", "x", True, v) for v in broken]


def test_the_threshold_separates_good_from_broken_replies_when_it_can() -> None:
    rows = scored(good=[-3.0, -4.0, -5.0], broken=[-8.0, -9.0, -6.5])
    threshold = pick_threshold(rows)
    assert -6.5 < threshold < -5.0
    assert counts([r.mean_logprob < threshold for r in rows], [r.broken for r in rows]) == (1.0, 1.0, 1.0)


def test_the_labelled_set_holds_at_least_sixty_good_and_sixty_broken_replies() -> None:
    rows = read_rows(DEFAULT_DATA)
    assert sum(not broken for _, _, broken in rows) >= 60
    assert sum(broken for _, _, broken in rows) >= 60
    replies = {reply for _, reply, _ in rows}
    for qa in ("Gracias señorita", "ok, pero le cerca?", "¿Desea que prefiere?", "Perfecto. ¡Cuídese mucho?"):
        assert qa in replies


def test_the_tool_measures_a_model_and_prints_the_threshold_and_precision_and_recall(
    tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--model", str(tiny_model)]) == 0

    printed = capsys.readouterr().out
    assert "REPLY_MIN_LOGPROB=" in printed
    assert "held-out odd rows" in printed and "precision" in printed and "recall" in printed
