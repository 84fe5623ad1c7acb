"""`make eval-dialog` replays scripted conversations through /chat on real services and reads their end state."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tools import eval_dialog
from tools.dialog_replay import Row, end_facts
from tools.dialog_scripts import CLINIC_ZONE, DEFAULT_NOW, EndState, Expect, Script, load_script

DIALOGS = Path(__file__).resolve().parents[2] / "eval" / "dialogs"
FRIDAY_3PM = datetime(2026, 12, 4, 15, 0, tzinfo=CLINIC_ZONE)


def _with(name: str, **expect: object) -> tuple[str, Script]:
    """The shipped script `name`, its expectation changed by `expect`."""
    script = load_script(DIALOGS / f"{name}.yaml")
    changed = Expect.model_validate({**script.expect.model_dump(), **expect})
    return name, script.model_copy(update={"expect": changed})


async def test_basic_conversations_reach_their_end_state(postgres_server_url: str, redis_url: str) -> None:
    names = ["book_pediatrics", "cancel_friday", "handover_person"]
    scripts = [(name, load_script(DIALOGS / f"{name}.yaml")) for name in names]

    results = await eval_dialog.replay_all(scripts, postgres_server_url, redis_url)

    assert [(r.name, r.reached, r.problems) for r in results] == [
        ("book_pediatrics", "booked", []),
        ("cancel_friday", "cancelled", []),
        ("handover_person", "handed_over", []),
    ]
    assert all(r.ok for r in results)
    # The replayer answered verification itself: the date of birth and the texted code.
    verification = [e.said for e in results[0].transcript if not e.scripted]
    assert verification[0] == "21/05/1987" and verification[1].isdigit() and len(verification[1]) == 6


async def test_a_wrong_end_state_or_a_wrong_check_is_a_miss(postgres_server_url: str, redis_url: str) -> None:
    wrong_end = _with("book_pediatrics", end="cancelled")
    wrong_time = _with("cancel_friday", upcoming=1)

    results = await eval_dialog.replay_all([wrong_end, wrong_time], postgres_server_url, redis_url)

    assert [(r.reached, r.ok) for r in results] == [("booked", False), ("cancelled", False)]
    assert results[1].problems == ["0 upcoming appointments, not 1"]


def test_the_command_prints_the_table_and_fails_only_when_strict(
    postgres_server_url: str,
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "a_list.yaml").write_text((DIALOGS / "list_appointments.yaml").read_text(encoding="utf-8"))
    wrong = (DIALOGS / "handover_person.yaml").read_text(encoding="utf-8").replace("end: handed_over", "end: booked")
    (tmp_path / "b_wrong.yaml").write_text(wrong, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", postgres_server_url)
    monkeypatch.setenv("REDIS_URL", redis_url)

    assert eval_dialog.main([str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert eval_dialog.main([str(tmp_path), "--strict", "--only", "b_wrong"]) == 1

    lines = printed.splitlines()
    assert lines[0].split() == ["conversation", "intended", "reached", "ok"]
    assert lines[2].split() == ["a_list", "nothing_booked", "nothing_booked", "yes"]
    assert lines[3].split() == ["b_wrong", "booked", "handed_over", "NO"]
    assert lines[-1] == "1/2 reached the intended end state"


def _row(status: str, hour: int = 15) -> Row:
    return Row(status, FRIDAY_3PM.replace(hour=hour), "dermatologia", "María")


@pytest.mark.parametrize(
    ("before", "after", "flagged", "facts"),
    [
        ({}, {}, False, []),
        ({}, {"n": _row("booked")}, False, [EndState.BOOKED]),
        ({"a": _row("booked")}, {"a": _row("booked", 17)}, False, [EndState.MOVED]),
        # The issue-16 bug: asked to move, a second appointment was booked and the first kept.
        ({"a": _row("booked")}, {"a": _row("booked"), "n": _row("booked", 17)}, False, [EndState.BOOKED]),
        ({"a": _row("booked")}, {"a": _row("cancelled")}, False, [EndState.CANCELLED]),
        (
            {"a": _row("booked")},
            {"a": _row("cancelled"), "n": _row("booked", 17)},
            False,
            [EndState.BOOKED, EndState.CANCELLED],
        ),
        ({}, {"n": _row("cancelled")}, True, [EndState.HANDED_OVER]),
    ],
)
def test_end_facts_from_the_rows_before_and_after(
    before: dict[str, Row], after: dict[str, Row], flagged: bool, facts: list[EndState]
) -> None:
    ids = {key: uuid.uuid5(uuid.NAMESPACE_OID, key) for key in {*before, *after}}
    assert end_facts({ids[k]: v for k, v in before.items()}, {ids[k]: v for k, v in after.items()}, flagged) == facts


def test_scripts_are_pinned_to_the_week_of_the_examples() -> None:
    assert DEFAULT_NOW.isoweekday() == 1 and DEFAULT_NOW + timedelta(days=4) == FRIDAY_3PM.replace(hour=9)
    long_one = load_script(DIALOGS / "long_voice_note.yaml")
    assert len(long_one.messages()[0]) == 1361
    assert len(load_script(DIALOGS / "long_over_limit.yaml").messages()[0]) > 4096
