"""The offline DialoGPT-format checkpoint: builds, loads with the Auto classes, is reproducible."""

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from tools.training.corpus import generate_corpus
from tools.training.offline_model import (
    CORPUS_PATH,
    EOS,
    CorpusError,
    build_checkpoint,
    is_complete,
    load_dialogues,
    main,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One tiny checkpoint shared by the module (a few seconds to build)."""
    return build_checkpoint(tmp_path_factory.mktemp("tiny") / "model", preset="tiny", seed=0)


def test_tiny_checkpoint_is_complete_and_has_a_model_card(tiny: Path) -> None:
    assert is_complete(tiny)
    for name in ("vocab.json", "merges.txt", "MODEL_CARD.md"):
        assert (tiny / name).is_file()
    assert "not Microsoft's DialoGPT weights" in (tiny / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_tokenizer_follows_dialogpt_conventions(tiny: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny)
    assert tokenizer.eos_token == EOS
    assert tokenizer.bos_token == EOS
    assert tokenizer.unk_token == EOS
    assert tokenizer.bos_token_id == tokenizer.eos_token_id
    assert tokenizer.pad_token is None
    assert tokenizer.convert_tokens_to_ids(EOS) == tokenizer.eos_token_id


def test_tokenizer_round_trips_spanish_with_accents(tiny: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny)
    text = "¿Tiene cita mañana? ¡Sí! Pediatría, ginecología, acción, último, Ñuñoa, pingüino."
    ids = tokenizer.encode(text, add_special_tokens=False)
    assert tokenizer.decode(ids) == text
    assert tokenizer.unk_token_id not in ids


def test_model_config_matches_the_tokenizer(tiny: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny)
    model = AutoModelForCausalLM.from_pretrained(tiny)
    assert model.config.model_type == "gpt2"
    assert model.config.architectures == ["GPT2LMHeadModel"]
    assert model.config.bos_token_id == model.config.eos_token_id == tokenizer.eos_token_id
    assert model.config.vocab_size == len(tokenizer)
    assert model.config.n_positions == 128
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id


def test_generate_continues_a_dialogpt_prompt(tiny: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny)
    model = AutoModelForCausalLM.from_pretrained(tiny)
    model.train(False)
    prompt = tokenizer.eos_token.join(["Hola, buenos días", "quiero una cita con el pediatra"]) + tokenizer.eos_token
    inputs = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=8, min_new_tokens=8, do_sample=False)
    assert output.shape[1] == inputs["input_ids"].shape[1] + 8


def test_same_seed_builds_identical_checkpoint(tiny: Path, tmp_path: Path) -> None:
    again = build_checkpoint(tmp_path / "again", preset="tiny", seed=0)
    for name in ("model.safetensors", "tokenizer.json", "vocab.json", "merges.txt", "config.json"):
        assert (again / name).read_bytes() == (tiny / name).read_bytes(), name


def test_cli_skips_a_complete_checkpoint(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (tiny / "model.safetensors").stat().st_mtime_ns
    assert main(["--output", str(tiny), "--preset", "tiny"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert (tiny / "model.safetensors").stat().st_mtime_ns == before


def test_committed_corpus_is_the_generator_output() -> None:
    assert CORPUS_PATH.read_text(encoding="utf-8") == generate_corpus.build()


def test_corpus_dialogues_alternate_patient_and_assistant() -> None:
    dialogues = load_dialogues()
    assert len(dialogues) >= 300
    assert all(turn and "\n" not in turn for dialogue in dialogues for turn in dialogue)


def test_corpus_with_a_turn_out_of_order_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("P: Hola\nP: ¿Hay alguien?\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.txt:2"):
        load_dialogues(bad)
