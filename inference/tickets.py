"""What the engine takes and gives back: tickets, their events and timelines, its limits and observer."""

import threading
from dataclasses import dataclass, field
from typing import Protocol

from inference.generation import FinishReason, GenerationRequest


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


class EngineObserver(Protocol):
    """What the engine reports as it runs (metrics); every method is called on the engine thread."""

    def queue_changed(self, waiting: int) -> None: ...
    def batch_changed(self, running: int) -> None: ...
    def rejected_request(self, reason: str) -> None: ...
    def tokens_generated(self, count: int) -> None: ...


class NoObserver:
    """The observer of an engine nobody measures."""

    def queue_changed(self, waiting: int) -> None: ...
    def batch_changed(self, running: int) -> None: ...
    def rejected_request(self, reason: str) -> None: ...
    def tokens_generated(self, count: int) -> None: ...
