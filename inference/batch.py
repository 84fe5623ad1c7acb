"""The running batch's state on the model's device, and the tensor work of its prefill and decode steps."""

from dataclasses import dataclass

import torch
from transformers import DynamicCache

from inference.generation import SamplingParams, pick_tokens
from inference.kv_cache import SlotCache
from inference.model import LoadedModel
from inference.tickets import EngineLimits, Ticket


@dataclass
class Prefilling:
    """A request whose prompt is going into the model chunk by chunk."""

    ticket: Ticket
    cache: DynamicCache
    done: int = 0


@dataclass
class Row:
    """A request in the running batch."""

    ticket: Ticket
    seed: int | None
    length: int  # tokens in the cache
    generated: int = 0


def packed_prefill_inputs(
    lengths: list[int], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """Position ids, attention mask and last-token indices for prompts of `lengths` laid end to end
    in one sequence: each prompt counts its positions from 0 and attends only to itself, causally."""
    total = sum(lengths)
    sizes = torch.tensor(lengths, device=device)
    starts = sizes.cumsum(0) - sizes
    segment = torch.repeat_interleave(torch.arange(len(lengths), device=device), sizes)
    positions = torch.arange(total, device=device) - starts[segment]
    causal = torch.ones(total, total, dtype=torch.bool, device=device).tril_()
    mask = causal & (segment.unsqueeze(0) == segment.unsqueeze(1))
    return positions.unsqueeze(0), mask.view(1, 1, total, total), starts + sizes - 1


def chosen_logprobs(logits: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
    """Each row's log-probability of its chosen token under the model's own distribution: the
    log-softmax of the raw logits, before temperature and top-p, so that a reply's score says how
    likely the model finds the text, whatever the sampling settings that picked it."""
    if logits.dtype not in (torch.float32, torch.float64):
        logits = logits.float()
    logprobs = torch.log_softmax(logits, dim=-1)
    return logprobs.gather(-1, chosen.view(-1, 1)).squeeze(-1)


class SlotState:
    """Per-slot decoding state kept on the model's device, indexed like the cache's slots."""

    def __init__(self, slots: int, max_new_tokens: int, columns: int, device: torch.device) -> None:
        self.max_new_tokens = max_new_tokens
        self.columns = torch.arange(columns, device=device)  # for the attention masks
        self.tokens = torch.zeros(slots, dtype=torch.long, device=device)  # the token fed next
        self.lengths = torch.zeros(slots, dtype=torch.long, device=device)  # tokens in the cache
        self.generated = torch.zeros(slots, dtype=torch.long, device=device)  # tokens chosen so far
        self.do_sample = torch.zeros(slots, dtype=torch.bool, device=device)
        self.temperature = torch.ones(slots, device=device)
        self.top_p = torch.ones(slots, device=device)
        self.uniforms = torch.zeros(slots, max_new_tokens, dtype=torch.float64, device=device)

    def set(self, slot: int, *, token: int, length: int, params: SamplingParams, uniforms: torch.Tensor) -> None:
        self.tokens[slot] = token
        self.lengths[slot] = length
        self.generated[slot] = 1
        self.do_sample[slot] = params.do_sample
        self.temperature[slot] = params.temperature if params.do_sample else 1.0
        self.top_p[slot] = params.top_p
        self.uniforms[slot] = uniforms.to(self.uniforms.device)

    def move(self, source: int, target: int) -> None:
        for tensor in (
            self.tokens,
            self.lengths,
            self.generated,
            self.do_sample,
            self.temperature,
            self.top_p,
            self.uniforms,
        ):
            tensor[target] = tensor[source]


def allocate(loaded: LoadedModel, limits: EngineLimits) -> tuple[SlotCache, SlotState]:
    """The keys and values cache and the per-slot state for `max_batch_size` rows."""
    config = loaded.model.config
    heads = int(config.n_head)
    dtype = next(loaded.model.parameters()).dtype
    cache = SlotCache(
        layers=int(config.n_layer),
        slots=limits.max_batch_size,
        heads=heads,
        head_dim=int(config.n_embd) // heads,
        capacity=limits.kv_capacity,
        dtype=dtype,
        device=loaded.device,
    )
    slots = SlotState(limits.max_batch_size, loaded.context_length, limits.kv_capacity, loaded.device)
    return cache, slots


def first_token(
    logits: torch.Tensor, params: SamplingParams, uniforms: torch.Tensor, device: torch.device
) -> tuple[int, float]:
    """A request's first token, chosen from its prompt's last logits, and its log-probability."""
    first = pick_tokens(
        logits,
        do_sample=torch.tensor([params.do_sample], device=device),
        temperature=torch.tensor([params.temperature if params.do_sample else 1.0], device=device),
        top_p=torch.tensor([params.top_p], device=device),
        uniforms=uniforms[:1].to(device),
    )
    # Token ids are exact in float64, so the id and its log-probability come back in one copy.
    picked = torch.stack((first.to(torch.float64), chosen_logprobs(logits, first).to(torch.float64)))
    token, logprob = picked.view(-1).tolist()
    return int(token), logprob


def next_tokens(logits: torch.Tensor, slots: SlotState, rows: int, *, sampling: bool) -> torch.Tensor:
    """The next token of each of the first `rows` slots; `sampling` when any of them samples."""
    if not sampling:  # all greedy: no softmax and sort over the vocabulary
        return logits.argmax(dim=-1)
    step_index = slots.generated[:rows]
    return pick_tokens(
        logits,
        do_sample=slots.do_sample[:rows],
        temperature=slots.temperature[:rows],
        top_p=slots.top_p[:rows],
        uniforms=slots.uniforms[:rows].gather(1, step_index.unsqueeze(-1)).squeeze(-1),
    )
