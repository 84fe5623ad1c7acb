"""The benchmark's model: DialoGPT's architecture with seeded random weights, saved once."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

import torch
from transformers import (  # type: ignore[attr-defined]  # GPT2TokenizerFast is a lazy export
    GenerationConfig,
    GPT2Config,
    GPT2LMHeadModel,
    GPT2TokenizerFast,
)

from tools.training.offline_model import PRESETS, load_dialogues, staged_directory, train_tokenizer

STAMP_FILE: Final = "bench-model.json"
EOS: Final = "<|endoftext|>"


@dataclass(frozen=True)
class Arch:
    """GPT-2 dimensions; the defaults are DialoGPT's context and vocabulary."""

    n_layer: int
    n_head: int
    n_embd: int
    n_positions: int = 1024
    vocab_size: int = 50257


ARCHS: Final[dict[str, Arch]] = {
    "small": Arch(n_layer=12, n_head=12, n_embd=768),
    "medium": Arch(n_layer=24, n_head=16, n_embd=1024),
}


def build_tokenizer(arch: Arch) -> GPT2TokenizerFast:
    """The offline model's byte-level BPE (trained in well under a second) padded with unused
    tokens, so that its ids cover the whole vocabulary and EOS is `<|endoftext|>`."""
    tokenizer = train_tokenizer(load_dialogues(), PRESETS["tiny"])
    missing = arch.vocab_size - len(tokenizer)
    if missing < 0:
        raise ValueError(f"vocab_size {arch.vocab_size} is smaller than the base tokenizer ({len(tokenizer)})")
    tokenizer.add_tokens([f"<unused_{i}>" for i in range(missing)])
    tokenizer.model_max_length = arch.n_positions
    if len(tokenizer) != arch.vocab_size or tokenizer.eos_token != EOS:
        raise RuntimeError("the bench tokenizer does not match the architecture")
    return tokenizer


def build_model(arch: Arch, *, eos_token_id: int, seed: int) -> GPT2LMHeadModel:
    """GPT-2 with the library's seeded random initialisation."""
    config = GPT2Config(
        vocab_size=arch.vocab_size,
        n_positions=arch.n_positions,
        n_embd=arch.n_embd,
        n_layer=arch.n_layer,
        n_head=arch.n_head,
        bos_token_id=eos_token_id,
        eos_token_id=eos_token_id,
    )
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config)
    model.generation_config = GenerationConfig(  # type: ignore[no-untyped-call]
        bos_token_id=eos_token_id, eos_token_id=eos_token_id, pad_token_id=eos_token_id
    )
    return model


def ensure_checkpoint(path: Path, arch: Arch, *, seed: int) -> bool:
    """Make `path` hold this architecture and seed; False when it already did.

    Written to a temporary sibling and swapped in, so an interrupted build leaves nothing half done.
    """
    stamp = {"arch": asdict(arch), "seed": seed, "format": 1}
    stamp_path = path / STAMP_FILE
    if stamp_path.is_file() and json.loads(stamp_path.read_text(encoding="utf-8")) == stamp:
        return False
    tokenizer = build_tokenizer(arch)
    model = build_model(arch, eos_token_id=tokenizer.eos_token_id, seed=seed)
    with staged_directory(path.resolve()) as staging:
        tokenizer.save_pretrained(staging)
        model.save_pretrained(staging)
        (staging / STAMP_FILE).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    return True
