"""The small-talk evaluation runs end to end on a real inference server and prints its table."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from gateway.conversation import replies
from gateway.understanding.small_talk import SmallTalk
from tests.support.services import TINY_MODEL_ENV, InferenceProcess
from tools import eval_smalltalk
from tools.eval_smalltalk import DEFAULT_MESSAGES, HELDOUT_MESSAGES, load_messages
from tools.training.offline_model import load_dialogues

MESSAGES = """# kind: chat
¿cómo le va?
jajaja
hace mucho calor aquí
# kind: bot
¿eres un robot?
estoy cocinando
# a booking: the gateway answers it from its flow, so the tool skips it
quiero una cita con pediatría
"""


@pytest.fixture
def messages(tmp_path: Path) -> Path:
    path = tmp_path / "messages.txt"
    path.write_text(MESSAGES, encoding="utf-8")
    return path


def _passed_count(output: str) -> int:
    match = re.search(r"^passed: (\d+)$", output, re.MULTILINE)
    assert match, output
    return int(match[1])


def test_the_tool_starts_a_server_for_the_model_and_prints_the_table(
    tiny_model: Path,
    messages: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in TINY_MODEL_ENV.items():
        monkeypatch.setenv(name, value)
    passed_out = tmp_path / "passed.jsonl"

    assert (
        eval_smalltalk.main(["--model", str(tiny_model), "--messages", str(messages), "--passed-out", str(passed_out)])
        == 0
    )

    output = capsys.readouterr().out
    assert re.search(r"^kind\s+template\s+sent\s+passed\s+rate$", output, re.MULTILINE)
    assert re.search(r"^chat\s+2\s+1\s+\d+\s+", output, re.MULTILINE)
    assert re.search(r"^bot\s+1\s+1\s+\d+\s+", output, re.MULTILINE)
    assert "answered from a template: 3" in output
    assert "total: 2" in output
    assert re.search(r"^pass rate: (\d+\.\d%|n/a)$", output, re.MULTILINE)
    assert "skipped (the gateway would not ask the model): 1" in output
    assert "'quiero una cita con pediatría'" in output
    rows = [json.loads(line) for line in passed_out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == _passed_count(output) + 3
    assert all(row["label"] == "" and row["reply"] for row in rows)
    assert {row["message"]: row["reply"] for row in rows if row["source"] == "template"} == {
        "¿cómo le va?": replies.GREETING_AND_HOW_ARE_YOU,
        "jajaja": replies.SMALL_TALK[SmallTalk.LAUGHTER][0],
        "¿eres un robot?": replies.SMALL_TALK[SmallTalk.ABOUT_ME][0],
    }


def test_labels_marked_by_a_person_are_counted_against_the_passed_replies(
    inference_server: InferenceProcess, messages: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    passed_out = tmp_path / "passed.jsonl"
    common = ["--target", inference_server.target, "--messages", str(messages), "--passed-out", str(passed_out)]
    eval_smalltalk.main(common)
    passed = _passed_count(capsys.readouterr().out)
    labels = tmp_path / "labels.jsonl"
    rows = [json.loads(line) for line in passed_out.read_text(encoding="utf-8").splitlines()]
    labels.write_text("".join(json.dumps({**row, "label": "wrong"}) + "\n" for row in rows), encoding="utf-8")

    eval_smalltalk.main([*common, "--labels", str(labels)])  # same seeds, same replies

    output = capsys.readouterr().out
    assert f"labelled wrong: {passed} of {passed} passed (0 unlabelled)" in output
    assert "labelled wrong: 3 of 3 template (0 unlabelled)" in output


def _key(text: str) -> str:
    folded = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")
    return " ".join(re.findall(r"\w+", folded)) or folded.strip()


@pytest.mark.parametrize("path", [DEFAULT_MESSAGES, HELDOUT_MESSAGES])
def test_the_evaluation_sets_are_large_and_kept_out_of_the_training_corpus(path: Path) -> None:
    evaluated = load_messages(path)
    trained = {_key(dialogue[i]) for dialogue in load_dialogues() for i in range(0, len(dialogue), 2)}
    assert len(evaluated) >= 200
    assert [m.text for m in evaluated if _key(m.text) in trained] == []
