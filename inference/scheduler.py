"""The asyncio face of the engine: submit a request, iterate over its tokens as they come."""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from inference.engine import Engine
from inference.generation import GenerationRequest
from inference.metrics import InferenceMetrics
from inference.tickets import Event, FailEvent, FinishEvent, Ticket, TokenEvent


@dataclass(frozen=True)
class Finished:
    """How a request ended: its tokens (EOS included when produced) and the engine's account."""

    token_ids: list[int]
    event: FinishEvent
    mean_logprob: float | None  # None when no token carried one


class GenerationStream:
    """One request's tokens, in order. Closing it before the end frees its batch slot."""

    def __init__(
        self,
        ticket: Ticket,
        engine: Engine,
        metrics: InferenceMetrics | None,
        forget: Callable[["GenerationStream"], None],
    ) -> None:
        self.ticket = ticket
        self._forget = forget
        self.token_ids: list[int] = []
        self.logprobs: list[float] = []
        self.finish: FinishEvent | None = None
        self._engine = engine
        self._metrics = metrics
        self._events: asyncio.Queue[Event] = asyncio.Queue()

    def deliver(self, event: Event) -> None:
        self._events.put_nowait(event)

    async def tokens(self) -> AsyncIterator[tuple[int, ...]]:
        """New tokens as they are produced; raises what the engine raised if the request failed."""
        while self.finish is None:
            event = await self._events.get()
            if isinstance(event, TokenEvent):
                self.token_ids.extend(event.token_ids)
                self.logprobs.extend(event.logprobs)
                yield event.token_ids
            elif isinstance(event, FinishEvent):
                self.finish = event
                if self._metrics is not None:
                    self._metrics.finished(event.timeline, len(self.token_ids), "ok")
            elif isinstance(event, FailEvent):
                if self._metrics is not None:
                    self._metrics.requests.labels(outcome="failed").inc()
                raise event.error

    async def result(self) -> Finished:
        """Wait for the end of the request."""
        async for _ in self.tokens():
            pass
        assert self.finish is not None
        return Finished(self.token_ids, self.finish, self.mean_logprob)

    @property
    def mean_logprob(self) -> float | None:
        """The mean log-probability of the tokens so far, as the model scored them."""
        return sum(self.logprobs) / len(self.logprobs) if self.logprobs else None

    def close(self) -> None:
        """Cancel the request unless it already ended (a caller that went away, a deadline)."""
        self._forget(self)
        if self.finish is None and not self.ticket.cancelled.is_set():
            self.ticket.cancel()
            self._engine.wake()
            if self._metrics is not None:
                self._metrics.requests.labels(outcome="cancelled").inc()


class ContinuousBatcher:
    """Runs an `Engine` for the event loop it was started on."""

    def __init__(self, engine: Engine, *, metrics: InferenceMetrics | None = None) -> None:
        self._engine = engine
        self._metrics = metrics
        self._streams: dict[Ticket, GenerationStream] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._engine.start(self._deliver_from_engine_thread)

    def submit(self, request: GenerationRequest) -> GenerationStream:
        """Queue `request`. Raises QueueFullError / EngineClosedError at once, never waits."""
        ticket = self._engine.submit(request)
        stream = GenerationStream(ticket, self._engine, self._metrics, self._forget)
        self._streams[ticket] = stream
        return stream

    def queue_full(self) -> bool:
        """Whether a request submitted now would be refused for a full queue (O(1), takes no lock)."""
        return self._engine.queue_full()

    async def stop(self) -> None:
        """Refuse new requests, let queued and running ones finish, then stop the engine thread."""
        await asyncio.to_thread(self._engine.stop)

    def _deliver_from_engine_thread(self, events: list[tuple[Ticket, Event]]) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._deliver, events)

    def _deliver(self, events: list[tuple[Ticket, Event]]) -> None:
        for ticket, event in events:
            stream = self._streams.get(ticket)
            if stream is None:
                continue
            stream.deliver(event)
            if isinstance(event, FinishEvent | FailEvent):
                del self._streams[ticket]

    def _forget(self, stream: GenerationStream) -> None:
        self._streams.pop(stream.ticket, None)

    @property
    def open_streams(self) -> int:
        """Requests submitted and not yet ended or closed (for tests and drain logs)."""
        return len(self._streams)
