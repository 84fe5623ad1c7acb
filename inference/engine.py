"""Iteration-level (continuous) batching on one model thread.

Every iteration the engine retires rows whose callers went away, admits queued
requests (prefilled, then placed into the running batch), and takes one
decoding step for the whole batch. Finished rows leave at once, so a short
request never waits for a long one. Short requests are chosen first, then
shortest-first, and first-come-first-served once they have waited
`max_queue_age_s`.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

import torch
from transformers import DynamicCache

from inference.generation import (
    FinishReason,
    GenerationRequest,
    SamplingParams,
    pick_tokens,
    request_uniforms,
    resolve_seed,
)
from inference.kv_cache import SlotCache
from inference.model import LoadedModel

# While the queue is longer than the running batch, an iteration may prefill up to this many
# times `max_prefill_tokens` (fewer, fuller forward passes and fewer half-empty decode steps).
PREFILL_BOOST: Final = 4


class QueueFullError(RuntimeError):
    """The waiting queue is at its limit; the caller should back off."""


class EngineClosedError(RuntimeError):
    """The engine is not accepting requests (stopping or stopped)."""


@dataclass
class Timeline:
    """Monotonic timestamps of one request's life, filled in by the engine."""

    arrived: float
    admitted: float | None = None
    first_token: float | None = None
    finished: float | None = None
    largest_batch: int = 0


@dataclass(frozen=True)
class TokenEvent:
    """New tokens of one request (usually one), each with the model's log-probability of it."""

    token_ids: tuple[int, ...]
    logprobs: tuple[float, ...] = ()


@dataclass(frozen=True)
class FinishEvent:
    reason: FinishReason
    seed: int | None
    timeline: Timeline


@dataclass(frozen=True)
class FailEvent:
    error: BaseException


Event = TokenEvent | FinishEvent | FailEvent


class EventSink(Protocol):
    """Where the engine thread delivers events; called once per iteration with all of them."""

    def __call__(self, events: list[tuple["Ticket", Event]]) -> None: ...


@dataclass(eq=False)
class Ticket:
    """A request's place in the engine. `cancel()` frees its slot at the next step."""

    request: GenerationRequest
    timeline: Timeline
    cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.cancelled.set()

    @property
    def prompt_tokens(self) -> int:
        return len(self.request.prompt_ids)

    @property
    def reserved_tokens(self) -> int:
        return self.prompt_tokens + self.request.params.max_new_tokens


@dataclass(frozen=True)
class EngineLimits:
    max_batch_size: int
    max_queue: int
    max_tokens_in_flight: int
    max_prefill_tokens: int
    max_queue_age_s: float
    kv_capacity: int
    short_request_tokens: int = 16


@dataclass
class _Prefilling:
    """A request whose prompt is going into the model chunk by chunk."""

    ticket: Ticket
    cache: DynamicCache
    done: int = 0


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


@dataclass
class _Row:
    ticket: Ticket
    seed: int | None
    length: int  # tokens in the cache
    generated: int = 0


class EngineObserver(Protocol):
    """What the engine reports as it runs (metrics); every method is called on the engine thread."""

    def queue_changed(self, waiting: int) -> None: ...
    def batch_changed(self, running: int) -> None: ...
    def rejected_request(self, reason: str) -> None: ...
    def tokens_generated(self, count: int) -> None: ...


class _NoObserver:
    def queue_changed(self, waiting: int) -> None: ...
    def batch_changed(self, running: int) -> None: ...
    def rejected_request(self, reason: str) -> None: ...
    def tokens_generated(self, count: int) -> None: ...


def chosen_logprobs(logits: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
    """Each row's log-probability of its chosen token under the model's own distribution: the
    log-softmax of the raw logits, before temperature and top-p, so that a reply's score says how
    likely the model finds the text, whatever the sampling settings that picked it."""
    if logits.dtype not in (torch.float32, torch.float64):
        logits = logits.float()
    logprobs = torch.log_softmax(logits, dim=-1)
    return logprobs.gather(-1, chosen.view(-1, 1)).squeeze(-1)


class Engine:
    """Owns the model on one thread; `submit` from any thread, results arrive through `sink`."""

    def __init__(
        self,
        loaded: LoadedModel,
        limits: EngineLimits,
        *,
        observer: EngineObserver | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loaded = loaded
        self._limits = limits
        self._observer: EngineObserver = observer or _NoObserver()
        self._clock = clock
        self._sink: EventSink | None = None
        self._waiting: list[Ticket] = []
        self._rows: list[_Row] = []
        self._lock = threading.Condition()
        self._accepting = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self._events: list[tuple[Ticket, Event]] = []
        self._prefilling: list[_Prefilling] = []
        self._packing: list[Ticket] = []  # picked whole prompts, prefilled together in one forward pass
        self._cache: SlotCache | None = None
        self._slot_state: _SlotState | None = None

    # ---- any thread -------------------------------------------------------------------------

    def start(self, sink: EventSink) -> None:
        if self._thread is not None:
            raise RuntimeError("engine already started")
        self._sink = sink
        self._cache, self._slot_state = self._allocate()
        self._accepting = True
        self._thread = threading.Thread(target=self._run, name="inference-engine", daemon=True)
        self._thread.start()

    def submit(self, request: GenerationRequest) -> Ticket:
        """Queue a request; raises QueueFullError or EngineClosedError at once instead of waiting."""
        if len(request.prompt_ids) + request.params.max_new_tokens > self._loaded.context_length:
            raise ValueError(f"prompt + max_new_tokens exceed the context of {self._loaded.context_length} tokens")
        ticket = Ticket(request, Timeline(arrived=self._clock()))
        with self._lock:
            if not self._accepting:
                raise EngineClosedError("the engine is not accepting requests")
            if self._queue_is_full():
                self._observer.rejected_request("queue_full")
                raise QueueFullError(f"{len(self._waiting)} requests are already waiting")
            self._waiting.append(ticket)
            self._observer.queue_changed(len(self._waiting))
            self._lock.notify()
        return ticket

    def queue_full(self) -> bool:
        """Whether `submit` would refuse for lack of room now: O(1) and without the engine's lock,
        for refusing before any work (`submit` checks again under the lock)."""
        return self._queue_is_full()

    def _queue_is_full(self) -> bool:
        return len(self._waiting) >= self._limits.max_queue

    def wake(self) -> None:
        """Have the engine look at cancellations now rather than at its next step; requests
        cancelled while waiting give their place in the queue back at once."""
        with self._lock:
            self._waiting = [t for t in self._waiting if not t.cancelled.is_set()]
            self._observer.queue_changed(len(self._waiting))
            self._lock.notify()

    def stop(self, timeout: float | None = None) -> None:
        """Refuse new requests, finish everything queued and running, then end the thread."""
        with self._lock:
            self._accepting = False
            self._stop = True
            self._lock.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> int:
        return len(self._rows)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    # ---- engine thread ----------------------------------------------------------------------

    def _allocate(self) -> tuple[SlotCache, "_SlotState"]:
        config = self._loaded.model.config
        heads = int(config.n_head)
        dtype = next(self._loaded.model.parameters()).dtype
        cache = SlotCache(
            layers=int(config.n_layer),
            slots=self._limits.max_batch_size,
            heads=heads,
            head_dim=int(config.n_embd) // heads,
            capacity=self._limits.kv_capacity,
            dtype=dtype,
            device=self._loaded.device,
        )
        slots = _SlotState(
            self._limits.max_batch_size, self._loaded.context_length, self._limits.kv_capacity, self._loaded.device
        )
        return cache, slots

    def _run(self) -> None:
        with torch.inference_mode():
            while True:
                with self._lock:
                    while not self._busy() and not self._stop:
                        self._lock.wait()
                    if self._stop and not self._busy():
                        return
                try:
                    self._iterate()
                except Exception as exc:  # a broken step fails its rows, never the thread
                    self._fail_everything_running(exc)
                self._flush()

    def _busy(self) -> bool:
        return bool(self._rows or self._prefilling or self._waiting)

    def _iterate(self) -> None:
        self._retire_cancelled()
        self._admit()
        if self._rows:
            self._decode_step()

    def _emit(self, ticket: Ticket, event: Event) -> None:
        self._events.append((ticket, event))

    def _flush(self) -> None:
        if self._events and self._sink is not None:
            events, self._events = self._events, []
            self._sink(events)

    def _pick_next(self, *, at_most_new_tokens: int | None = None) -> Ticket | None:
        """Short requests first, then shortest job first; within each, a request that has waited
        `max_queue_age_s` goes first (first come first served)."""
        now = self._clock()
        with self._lock:
            self._waiting = [t for t in self._waiting if not t.cancelled.is_set()]
            if not self._waiting:
                self._observer.queue_changed(0)
                return None
            admitted = self._admitted_tickets()
            in_flight = sum(ticket.reserved_tokens for ticket in admitted)
            best = min(self._waiting, key=lambda ticket: self._priority(ticket, now))
            if at_most_new_tokens is not None and best.request.params.max_new_tokens > at_most_new_tokens:
                return None
            if admitted and in_flight + best.reserved_tokens > self._limits.max_tokens_in_flight:
                return None
            self._waiting.remove(best)
            self._observer.queue_changed(len(self._waiting))
            return best

    def _priority(self, ticket: Ticket, now: float) -> tuple[bool, bool, int, int, float]:
        """Sort key of the queue: short requests before any other (a few steps each), then fewest
        decode steps and shortest prompt; within each of the two, requests that have waited
        `max_queue_age_s` go first, first come first served."""
        short = self._is_short(ticket)
        if now - ticket.timeline.arrived >= self._limits.max_queue_age_s:
            return (not short, False, 0, 0, ticket.timeline.arrived)
        params = ticket.request.params
        return (not short, True, params.max_new_tokens, ticket.prompt_tokens, ticket.timeline.arrived)

    def _is_short(self, ticket: Ticket) -> bool:
        return ticket.request.params.max_new_tokens <= self._limits.short_request_tokens

    def _admit(self) -> None:
        """Spend this iteration's prefill budget on prompts, short requests before long ones.

        Long prompts are prefilled in chunks over several iterations, so the running batch keeps
        stepping while they load; whole prompts that fit the budget go into forward passes of up
        to a chunk together. Short requests (at most `short_request_tokens` new tokens) are
        prefilled first, no longer request is prefilled while one is on its way into the batch,
        and while one decodes only requests no longer than it are: its few steps come back to
        back instead of each waiting for someone else's prompt.
        """
        self._pick_prompts()
        self._prefill_packed()

    def _pick_prompts(self) -> None:
        """Feed this iteration's chunks; leave the whole prompts to prefill together in `_packing`."""
        running_short = [r.ticket.request.params.max_new_tokens for r in self._rows if self._is_short(r.ticket)]
        ceiling = min(running_short) if running_short else None
        pack = self._limits.max_prefill_tokens
        budget = self._prefill_budget(protecting_short=ceiling is not None)
        # Chunks are always full-sized (small ones waste the model's time), so the last one
        # of an iteration may overshoot the budget; a boosted budget feeds bigger ones.
        chunk = max(pack, budget)
        for short in (True, False):
            if not short and self._short_admitted():
                return
            limit = ceiling if short and ceiling is not None else None
            for partial in [p for p in self._prefilling if self._is_short(p.ticket) == short]:
                if budget <= 0:
                    return
                if limit is None or partial.ticket.request.params.max_new_tokens <= limit:
                    budget -= self._prefill_chunk(partial, chunk)
            while budget > 0 and self._admitted() < self._limits.max_batch_size:
                ticket = self._pick_next(
                    at_most_new_tokens=limit
                    if limit is not None
                    else (self._limits.short_request_tokens if short else None)
                )
                if ticket is None:
                    break
                ticket.timeline.admitted = self._clock()
                if ticket.prompt_tokens > min(budget, pack):
                    self._prefill_packed()  # those picked before it go first
                    partial = _Prefilling(ticket, DynamicCache(config=self._loaded.model.config))
                    self._prefilling.append(partial)
                    budget -= self._prefill_chunk(partial, chunk)
                    continue
                # Packed passes of at most `max_prefill_tokens`: attention over a packed sequence is
                # dense (the mask only hides), so past that it eats what fewer passes save.
                if sum(t.prompt_tokens for t in self._packing) + ticket.prompt_tokens > pack:
                    self._prefill_packed()
                self._packing.append(ticket)
                budget -= ticket.prompt_tokens

    def _short_admitted(self) -> bool:
        """Whether a short request is decoding or on its way into the batch."""
        return any(self._is_short(ticket) for ticket in self._admitted_tickets())

    def _prefill_budget(self, *, protecting_short: bool) -> int:
        """Prompt tokens for this iteration: `max_prefill_tokens`, times up to PREFILL_BOOST while
        the queue is longer than the running batch (its rows' tokens can wait a little; the queue's
        first tokens can't), unless a short request is decoding."""
        base = self._limits.max_prefill_tokens
        if protecting_short:
            return base
        return base * max(1, min(PREFILL_BOOST, len(self._waiting) // max(1, len(self._rows))))

    def _admitted_tickets(self) -> list[Ticket]:
        """Requests holding a slot: decoding, being prefilled, or picked for this iteration's packed pass."""
        return [row.ticket for row in self._rows] + [p.ticket for p in self._prefilling] + self._packing

    def _admitted(self) -> int:
        return len(self._rows) + len(self._prefilling) + len(self._packing)

    def _prefill_chunk(self, partial: "_Prefilling", chunk: int) -> int:
        """Feed the next at most `chunk` prompt tokens; join the batch once the prompt is in. Returns tokens fed."""
        prompt = partial.ticket.request.prompt_ids
        start, end = partial.done, min(len(prompt), partial.done + chunk)
        device = self._loaded.device
        output = self._loaded.model(
            input_ids=torch.tensor([list(prompt[start:end])], dtype=torch.long, device=device),
            position_ids=torch.arange(start, end, device=device).unsqueeze(0),
            cache=partial.cache,
            use_cache=True,
            logits_to_keep=1,
        )
        partial.done = end
        if end == len(prompt):
            # Still listed while joining: if joining fails, the failure reaches its caller.
            self._join(partial.ticket, partial.cache, output.logits[:, -1, :])
            self._prefilling.remove(partial)
            self._flush()  # the first token goes out now, not after the rest of the iteration
        return end - start

    def _prefill_packed(self) -> None:
        """Prefill the picked whole prompts in one forward pass (a lone one needs no mask), then join them."""
        if not self._packing:
            return
        device = self._loaded.device
        tickets = list(self._packing)
        lengths = [ticket.prompt_tokens for ticket in tickets]
        ids = [token for ticket in tickets for token in ticket.request.prompt_ids]
        cache = DynamicCache(config=self._loaded.model.config)
        positions, mask, last = packed_prefill_inputs(lengths, device)
        if len(tickets) == 1:  # causal attention needs no mask
            mask = None
        output = self._loaded.model(
            input_ids=torch.tensor([ids], dtype=torch.long, device=device),
            position_ids=positions,
            attention_mask=mask,
            cache=cache,
            use_cache=True,
            logits_to_keep=last,
        )
        logits = output.logits[0]
        offset = 0
        for index, (ticket, length) in enumerate(zip(tickets, lengths, strict=True)):
            # Still listed while joining: if joining fails, the failure reaches its caller.
            self._join(ticket, cache, logits[index : index + 1], offset=offset)
            self._packing.remove(ticket)
            offset += length
        self._flush()

    def _join(self, ticket: Ticket, prefilled: DynamicCache, logits: torch.Tensor, *, offset: int = 0) -> None:
        """Choose the first token from the prompt's logits, then place the row (the prompt's keys
        and values, from column `offset` of `prefilled`) into a free slot."""
        cache, slots = self._cache, self._slot_state
        assert cache is not None and slots is not None
        device = self._loaded.device
        length = ticket.prompt_tokens
        params = ticket.request.params
        seed = resolve_seed(params)
        uniforms = request_uniforms(seed, params.max_new_tokens, slots.max_new_tokens)
        first = pick_tokens(
            logits,
            do_sample=torch.tensor([params.do_sample], device=device),
            temperature=torch.tensor([params.temperature if params.do_sample else 1.0], device=device),
            top_p=torch.tensor([params.top_p], device=device),
            uniforms=uniforms[:1].to(device),
        )
        token = int(first.item())
        logprob = float(chosen_logprobs(logits, first)[0])
        row = _Row(ticket=ticket, seed=seed, length=length, generated=1)
        ticket.timeline.first_token = self._clock()
        ticket.timeline.largest_batch = max(ticket.timeline.largest_batch, len(self._rows) + 1)
        self._emit(ticket, TokenEvent((token,), (logprob,)))
        self._observer.tokens_generated(1)
        if self._finished(row, token):
            return

        slot = len(self._rows)
        cache.place(slot, prefilled, length=length, offset=offset)
        slots.set(slot, token=token, length=length, params=params, uniforms=uniforms)
        self._rows.append(row)
        self._observer.batch_changed(len(self._rows))

    def _finished(self, row: _Row, token: int) -> bool:
        """Emit the finish event if `token` ends the row; True when it did."""
        eos = token == self._loaded.eos_token_id
        if not eos and row.generated < row.ticket.request.params.max_new_tokens:
            return False
        row.ticket.timeline.finished = self._clock()
        reason = FinishReason.EOS if eos else FinishReason.LENGTH
        self._emit(row.ticket, FinishEvent(reason, row.seed, row.ticket.timeline))
        return True

    def _decode_step(self) -> None:
        cache, slots = self._cache, self._slot_state
        assert cache is not None and slots is not None
        rows = len(self._rows)
        width = max(row.length for row in self._rows) + 1
        lengths = slots.lengths[:rows]
        # Row i's tokens (and the one fed now, written at column lengths[i]) are its first lengths[i] + 1 columns.
        mask = (slots.columns[:width].unsqueeze(0) <= lengths.unsqueeze(-1)).view(rows, 1, 1, width)
        cache.step.rows, cache.step.width, cache.step.write_columns = rows, width, lengths
        output = self._loaded.model(
            input_ids=slots.tokens[:rows].unsqueeze(-1),
            attention_mask=mask,
            position_ids=lengths.unsqueeze(-1),
            cache=cache,
            use_cache=True,
        )
        slots.lengths[:rows] += 1
        logits = output.logits[:, -1, :]
        if any(row.ticket.request.params.do_sample for row in self._rows):
            step_index = slots.generated[:rows]
            chosen = pick_tokens(
                logits,
                do_sample=slots.do_sample[:rows],
                temperature=slots.temperature[:rows],
                top_p=slots.top_p[:rows],
                uniforms=slots.uniforms[:rows].gather(1, step_index.unsqueeze(-1)).squeeze(-1),
            )
        else:  # all greedy: no softmax and sort over the vocabulary
            chosen = logits.argmax(dim=-1)
        slots.tokens[:rows] = chosen
        slots.generated[:rows] += 1
        # Token ids are exact in float64, so ids and log-probabilities come back in one copy.
        picked = torch.stack((chosen.to(torch.float64), chosen_logprobs(logits, chosen).to(torch.float64)))
        ids, logprobs = picked.tolist()  # the one device→host copy of the step
        tokens = [int(token) for token in ids]
        self._observer.tokens_generated(rows)
        done: list[int] = []
        for index, (row, token, logprob) in enumerate(zip(self._rows, tokens, logprobs, strict=True)):
            row.length += 1
            row.generated += 1
            row.ticket.timeline.largest_batch = max(row.ticket.timeline.largest_batch, rows)
            self._emit(row.ticket, TokenEvent((token,), (logprob,)))
            if self._finished(row, token):
                done.append(index)
        self._remove(done)

    def _retire_cancelled(self) -> None:
        self._prefilling = [p for p in self._prefilling if not p.ticket.cancelled.is_set()]
        gone = [i for i, row in enumerate(self._rows) if row.ticket.cancelled.is_set()]
        self._remove(gone)

    def _remove(self, indices: list[int]) -> None:
        """Take rows out of the batch, moving the last row into each freed slot."""
        if not indices:
            return
        cache, slots = self._cache, self._slot_state
        assert cache is not None and slots is not None
        for index in sorted(indices, reverse=True):
            last = len(self._rows) - 1
            if index != last:
                moved = self._rows[last]
                cache.move(last, index, moved.length)
                slots.move(last, index)
                self._rows[index] = moved
            self._rows.pop()
        self._observer.batch_changed(len(self._rows))

    def _fail_everything_running(self, error: Exception) -> None:
        for ticket in self._admitted_tickets():
            self._emit(ticket, FailEvent(error))
        self._prefilling = []
        self._packing = []
        self._remove(list(range(len(self._rows))))


class _SlotState:
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
