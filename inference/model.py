"""Loading the DialoGPT checkpoint and turning a conversation into its prompt."""

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from inference.onednn import can_prepack, prepack_linear_layers
from inference.settings import DeviceChoice


@dataclass(frozen=True)
class LoadedModel:
    """A causal LM in eval mode on its device, with what decoding needs to know about it."""

    name: str
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    device: torch.device
    eos_token_id: int
    context_length: int
    parameter_count: int  # as loaded (prepacked layers hold theirs as buffers)
    prepacked_layers: int  # linear layers running as oneDNN matmuls (CPU only, see inference.onednn)


@dataclass(frozen=True)
class Prompt:
    """Token ids to feed the model, and how many of the oldest turns did not fit."""

    token_ids: list[int]
    dropped_turns: int
    truncated_last_turn: bool


def resolve_device(choice: DeviceChoice) -> torch.device:
    """`auto` means CUDA when a GPU is visible, else CPU."""
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("DEVICE=cuda but no CUDA device is available")
    return torch.device(choice)


def load_model(name: str, device: torch.device, *, cpu_prepack: bool = True) -> LoadedModel:
    """Load tokenizer and model from a local path or hub id: fp16 on CUDA, fp32 on CPU, eval mode.

    With `cpu_prepack` on a CPU, the linear layers become oneDNN matmuls with prepacked weights
    (faster; the model can no longer change dtype or device afterwards)."""
    tokenizer = AutoTokenizer.from_pretrained(name)
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    try:
        model = AutoModelForCausalLM.from_pretrained(name, dtype=dtype, attn_implementation="sdpa")
    except (ValueError, ImportError):  # architectures without an SDPA path
        model = AutoModelForCausalLM.from_pretrained(name, dtype=dtype)
    model.to(device)  # type: ignore[arg-type]  # transformers' decorator hides the signature
    model.eval()  # type: ignore[no-untyped-call]
    parameter_count = model.num_parameters()
    prepacked = prepack_linear_layers(model) if cpu_prepack and can_prepack(model, device) else 0
    eos = tokenizer.eos_token_id
    if not isinstance(eos, int):
        raise ValueError(f"tokenizer of {name!r} has no EOS token")
    context_length = getattr(model.config, "n_positions", None) or getattr(
        model.config, "max_position_embeddings", None
    )
    if not isinstance(context_length, int):
        raise ValueError(f"cannot tell the context length of {name!r}")
    return LoadedModel(
        name=name,
        model=model,
        tokenizer=tokenizer,
        device=device,
        eos_token_id=eos,
        context_length=context_length,
        parameter_count=parameter_count,
        prepacked_layers=prepacked,
    )


def build_prompt(tokenizer: PreTrainedTokenizerBase, turns: Sequence[str], max_prompt_tokens: int) -> Prompt:
    """DialoGPT prompt: every turn followed by EOS; the reply is generated after the last EOS.

    Whole turns are dropped from the front until the prompt fits `max_prompt_tokens`; when even
    the last turn alone is too long, only its tail is kept.
    """
    if not turns:
        raise ValueError("a prompt needs at least one turn")
    if max_prompt_tokens < 1:
        raise ValueError("max_prompt_tokens must be at least 1")
    eos = tokenizer.eos_token_id
    if not isinstance(eos, int):
        raise ValueError("tokenizer has no EOS token")

    kept: list[list[int]] = []
    total = 0
    for text in reversed(turns):  # newest first, so old turns are never tokenized needlessly
        ids = [*tokenizer.encode(text, add_special_tokens=False), eos]
        if total + len(ids) > max_prompt_tokens:
            break
        kept.append(ids)
        total += len(ids)

    if not kept:
        last = [*tokenizer.encode(turns[-1], add_special_tokens=False), eos]
        return Prompt(
            token_ids=last[-max_prompt_tokens:],
            dropped_turns=len(turns) - 1,
            truncated_last_turn=True,
        )
    token_ids = [token for ids in reversed(kept) for token in ids]
    return Prompt(token_ids=token_ids, dropped_turns=len(turns) - len(kept), truncated_last_turn=False)
