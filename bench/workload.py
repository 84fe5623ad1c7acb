"""The benchmark's requests: seeded prompt and output lengths, prompts as texts the server
tokenizes back to the intended token ids."""

import random
import re
from dataclasses import dataclass
from typing import Final

from transformers import PreTrainedTokenizerBase

from inference.model import build_prompt

# A byte-level BPE token that is one whole lowercase word after a space ("Ġcita").
_WORD_TOKEN: Final = re.compile(r"^Ġ[a-z]+$")
# The server refuses longer turns (INFERENCE_MAX_TURN_CHARS default).
MAX_TURN_CHARS: Final = 4000


@dataclass(frozen=True)
class BenchRequest:
    """One user turn and the prompt ids the server builds from it (EOS included)."""

    request_id: str
    text: str
    prompt_ids: tuple[int, ...]
    max_new_tokens: int


def word_token_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """Word tokens that encode back to themselves: a text made of them has one token per word."""
    ids = []
    for token, token_id in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1]):
        if _WORD_TOKEN.match(token):
            text = tokenizer.decode([token_id])
            if tokenizer.encode(text, add_special_tokens=False) == [token_id]:
                ids.append(token_id)
    if len(ids) < 10:
        raise ValueError("the tokenizer has too few whole-word tokens to build prompts from")
    return ids


def spread(rng: random.Random, count: int, low: int, high: int) -> list[int]:
    """`count` integers covering [low, high] evenly (one per stratum), in random order."""
    span = high - low + 1
    values = [low + int(span * (i + rng.random()) / count) for i in range(count)]
    rng.shuffle(values)
    return [min(v, high) for v in values]


def prompt_text(tokenizer: PreTrainedTokenizerBase, words: list[int], rng: random.Random, *, prompt_tokens: int) -> str:
    """A text that, as one user turn, becomes `prompt_tokens` tokens (its words plus EOS)."""
    return str(tokenizer.decode([rng.choice(words) for _ in range(prompt_tokens - 1)]))


def make_request(
    tokenizer: PreTrainedTokenizerBase,
    text: str,
    *,
    request_id: str,
    max_new_tokens: int,
    context_length: int,
    expected_tokens: int | None = None,
) -> BenchRequest:
    """Tokenize `text` the way the server does; with `expected_tokens`, insist the length is right."""
    if len(text) > MAX_TURN_CHARS:
        raise ValueError(f"{request_id}: {len(text)} characters is more than the server accepts")
    prompt = build_prompt(tokenizer, [text], max_prompt_tokens=context_length - max_new_tokens)
    if prompt.truncated_last_turn:
        raise ValueError(f"{request_id}: the prompt does not fit the context")
    if expected_tokens is not None and abs(len(prompt.token_ids) - expected_tokens) > 2:
        raise ValueError(f"{request_id}: {len(prompt.token_ids)} prompt tokens instead of {expected_tokens}")
    return BenchRequest(request_id, text, tuple(prompt.token_ids), max_new_tokens)


def make_workload(
    tokenizer: PreTrainedTokenizerBase,
    *,
    n: int,
    seed: int,
    context_length: int,
    prompt_tokens: tuple[int, int] = (10, 300),
    output_tokens: tuple[int, int] = (8, 64),
    short_requests: int | None = None,
) -> list[BenchRequest]:
    """`n` requests with prompt lengths spread over `prompt_tokens` and output lengths over
    `output_tokens`; `short_requests` of them (default n // 5, at least 1) ask for exactly the
    shortest output."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if prompt_tokens[1] + output_tokens[1] > context_length:
        raise ValueError("the longest prompt plus the longest output exceed the context")
    rng = random.Random(seed)
    words = word_token_ids(tokenizer)
    shorts = max(1, n // 5) if short_requests is None else short_requests
    shorts = min(shorts, n)
    prompt_lengths = spread(rng, n, *prompt_tokens)
    outputs = [output_tokens[0]] * shorts + spread(rng, n - shorts, *output_tokens)
    rng.shuffle(outputs)
    return [
        make_request(
            tokenizer,
            prompt_text(tokenizer, words, rng, prompt_tokens=length),
            request_id=f"bench-{i:03d}",
            max_new_tokens=new_tokens,
            context_length=context_length,
            expected_tokens=length,
        )
        for i, (length, new_tokens) in enumerate(zip(prompt_lengths, outputs, strict=True))
    ]


def short_texts(tokenizer: PreTrainedTokenizerBase, *, count: int, tokens: int, seed: int) -> list[str]:
    """`count` different user turns of about `tokens` tokens, for bursts of small requests."""
    rng = random.Random(seed)
    words = word_token_ids(tokenizer)
    return [prompt_text(tokenizer, words, rng, prompt_tokens=tokens) for _ in range(count)]


def poisson_arrivals(count: int, *, rate_per_s: float, seed: int) -> list[float]:
    """When each of `count` requests is sent, in seconds from the start of an open-loop run: a
    Poisson process of `rate_per_s` (exponential gaps, seeded), the first request at 0."""
    if count < 0:
        raise ValueError("count must not be negative")
    if not rate_per_s > 0:
        raise ValueError("rate_per_s must be positive")
    rng = random.Random(seed)
    arrivals, now = [], 0.0
    for _ in range(count):
        arrivals.append(now)
        now += rng.expovariate(rate_per_s)
    return arrivals
