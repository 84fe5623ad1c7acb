"""What a generation request is, and the sampler the serving engine (`inference.engine`) uses.

The reference decoder the engine's outputs are tested against lives with the tests
(`tests/support/reference_decoder.py`); `forced_logprobs` scores a given reply (the reply gate's measurement).

Sampling draws every uniform a request will need from its own `torch.Generator` up front and
picks tokens by inverse CDF, so the same seed gives the same text alone or inside any batch.
"""

import enum
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from inference.model import LoadedModel


class FinishReason(enum.Enum):
    EOS = "eos"
    LENGTH = "length"


@dataclass(frozen=True)
class SamplingParams:
    """Per-request decoding parameters; temperature, top_p and seed only matter when sampling."""

    max_new_tokens: int
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        if self.do_sample and self.temperature <= 0:
            raise ValueError("temperature must be positive when sampling")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")


@dataclass(frozen=True)
class GenerationRequest:
    """A prompt ready for the model and how to continue it."""

    prompt_ids: Sequence[int]
    params: SamplingParams

    def __post_init__(self) -> None:
        if not self.prompt_ids:
            raise ValueError("prompt_ids must not be empty")


def resolve_seed(params: SamplingParams) -> int | None:
    """The seed a sampled request runs with: its own, or a fresh random one."""
    if not params.do_sample:
        return None
    return params.seed if params.seed is not None else secrets.randbits(63)


def request_uniforms(seed: int | None, count: int, width: int) -> torch.Tensor:
    """The `count` draws a request samples with, from its own generator, zero-padded to `width`."""
    row = torch.zeros(width, dtype=torch.float64)
    if seed is not None:
        generator = torch.Generator(device="cpu").manual_seed(seed)
        row[:count] = torch.rand(count, generator=generator, dtype=torch.float64)
    return row


def pick_tokens(
    logits: torch.Tensor,
    *,
    do_sample: torch.Tensor,
    temperature: torch.Tensor,
    top_p: torch.Tensor,
    uniforms: torch.Tensor,
) -> torch.Tensor:
    """One token per row: argmax on greedy rows, temperature + top-p inverse-CDF on sampled rows.

    `uniforms` holds each row's own draw in [0, 1) for this step; greedy rows ignore theirs.
    """
    greedy = logits.argmax(dim=-1)
    if logits.dtype not in (torch.float32, torch.float64):
        logits = logits.float()
    scaled = logits / temperature.to(logits.dtype).unsqueeze(-1)
    probs = torch.softmax(scaled, dim=-1)
    sorted_probs, sorted_ids = probs.sort(dim=-1, descending=True, stable=True)
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
    outside_nucleus = mass_before >= top_p.to(probs.dtype).unsqueeze(-1)
    sorted_probs = sorted_probs.masked_fill(outside_nucleus, 0.0)
    cdf = sorted_probs.cumsum(dim=-1)
    target = uniforms.to(cdf.dtype) * cdf[:, -1]
    picks = torch.searchsorted(cdf, target.unsqueeze(-1), right=True)
    last_kept = (~outside_nucleus).sum(dim=-1, keepdim=True) - 1
    picks = torch.minimum(picks, last_kept)
    sampled = sorted_ids.gather(-1, picks).squeeze(-1)
    return torch.where(do_sample, sampled, greedy)


def forced_logprobs(loaded: LoadedModel, prompt_ids: Sequence[int], reply_ids: Sequence[int]) -> list[float]:
    """The model's log-probability of each of `reply_ids` after `prompt_ids`, teacher-forced in one
    pass: what the engine reports for those tokens when it picks them (log-softmax of raw logits)."""
    if not prompt_ids or not reply_ids:
        raise ValueError("prompt and reply must not be empty")
    ids = torch.tensor([[*prompt_ids, *reply_ids]], dtype=torch.long, device=loaded.device)
    with torch.inference_mode():
        logits = loaded.model(input_ids=ids).logits[0, len(prompt_ids) - 1 : -1]
    if logits.dtype not in (torch.float32, torch.float64):
        logits = logits.float()
    chosen = ids[0, len(prompt_ids) :]
    return [float(x) for x in torch.log_softmax(logits, dim=-1).gather(-1, chosen.view(-1, 1)).squeeze(-1).tolist()]
