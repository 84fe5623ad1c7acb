"""Iteration-level (continuous) batching on one model thread.

Every iteration the engine retires rows whose callers went away, admits queued
requests (prefilled, then placed into the running batch), and takes one
decoding step for the whole batch. Finished rows leave at once, so a short
request never waits for a long one. Which requests go first is `inference.admission`'s
choice; the batch's tensors are `inference.batch`'s.
"""

import threading
import time
from collections.abc import Callable

import torch
from transformers import DynamicCache

from inference.admission import is_short, prefill_budget, queue_priority
from inference.batch import (
    Prefilling,
    Row,
    SlotState,
    allocate,
    chosen_logprobs,
    first_token,
    next_tokens,
    packed_prefill_inputs,
)
from inference.generation import FinishReason, GenerationRequest, request_uniforms, resolve_seed
from inference.kv_cache import SlotCache
from inference.model import LoadedModel
from inference.tickets import (
    EngineClosedError,
    EngineLimits,
    EngineObserver,
    Event,
    EventSink,
    FailEvent,
    FinishEvent,
    NoObserver,
    QueueFullError,
    Ticket,
    Timeline,
    TokenEvent,
)


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
        self._observer: EngineObserver = observer or NoObserver()
        self._clock = clock
        self._sink: EventSink | None = None
        self._waiting: list[Ticket] = []
        self._rows: list[Row] = []
        self._lock = threading.Condition()
        self._accepting = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self._events: list[tuple[Ticket, Event]] = []
        self._prefilling: list[Prefilling] = []
        self._packing: list[Ticket] = []  # picked whole prompts, prefilled together in one forward pass
        self._cache: SlotCache | None = None
        self._slot_state: SlotState | None = None

    # ---- any thread -------------------------------------------------------------------------

    def start(self, sink: EventSink) -> None:
        if self._thread is not None:
            raise RuntimeError("engine already started")
        self._sink = sink
        self._cache, self._slot_state = allocate(self._loaded, self._limits)
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
            best = min(self._waiting, key=lambda ticket: queue_priority(ticket, now, self._limits))
            if at_most_new_tokens is not None and best.request.params.max_new_tokens > at_most_new_tokens:
                return None
            if admitted and in_flight + best.reserved_tokens > self._limits.max_tokens_in_flight:
                return None
            self._waiting.remove(best)
            self._observer.queue_changed(len(self._waiting))
            return best

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
        running_short = [r.ticket.request.params.max_new_tokens for r in self._rows if is_short(r.ticket, self._limits)]
        ceiling = min(running_short) if running_short else None
        pack = self._limits.max_prefill_tokens
        budget = prefill_budget(
            self._limits, waiting=len(self._waiting), running=len(self._rows), protecting_short=ceiling is not None
        )
        # Chunks are always full-sized (small ones waste the model's time), so the last one
        # of an iteration may overshoot the budget; a boosted budget feeds bigger ones.
        chunk = max(pack, budget)
        for short in (True, False):
            if not short and self._short_admitted():
                return
            limit = ceiling if short and ceiling is not None else None
            for partial in [p for p in self._prefilling if is_short(p.ticket, self._limits) == short]:
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
                    partial = Prefilling(ticket, DynamicCache(config=self._loaded.model.config))
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
        return any(is_short(ticket, self._limits) for ticket in self._admitted_tickets())

    def _admitted_tickets(self) -> list[Ticket]:
        """Requests holding a slot: decoding, being prefilled, or picked for this iteration's packed pass."""
        return [row.ticket for row in self._rows] + [p.ticket for p in self._prefilling] + self._packing

    def _admitted(self) -> int:
        return len(self._rows) + len(self._prefilling) + len(self._packing)

    def _prefill_chunk(self, partial: Prefilling, chunk: int) -> int:
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
        length = ticket.prompt_tokens
        params = ticket.request.params
        seed = resolve_seed(params)
        uniforms = request_uniforms(seed, params.max_new_tokens, slots.max_new_tokens)
        token, logprob = first_token(logits, params, uniforms, self._loaded.device)
        row = Row(ticket=ticket, seed=seed, length=length, generated=1)
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

    def _finished(self, row: Row, token: int) -> bool:
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
        sampling = any(row.ticket.request.params.do_sample for row in self._rows)
        chosen = next_tokens(logits, slots, rows, sampling=sampling)
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
