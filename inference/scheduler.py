"""Dynamic batching: gather concurrent requests briefly, run them as one model call in one thread."""

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from inference.generation import GenerationRequest, GenerationResult

GenerateFn = Callable[[Sequence[GenerationRequest]], list[GenerationResult]]


class BatcherClosedError(RuntimeError):
    """The batcher is not accepting requests (not started, or stopping)."""


@dataclass(frozen=True)
class Completed:
    """A request's result and how it got there."""

    result: GenerationResult
    queue_seconds: float
    inference_seconds: float
    batch_size: int


@dataclass
class _Pending:
    request: GenerationRequest
    future: asyncio.Future[Completed]
    enqueued_at: float


class DynamicBatcher:
    """`await submit(request)`; a background task batches up to `max_batch_size` requests, waiting
    at most `batch_wait_s` after the first one arrived, and runs each batch in a single worker thread,
    so the event loop stays responsive and the model is used by one thread at a time."""

    def __init__(self, generate_fn: GenerateFn, *, max_batch_size: int, batch_wait_s: float) -> None:
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be at least 1")
        self._generate = generate_fn
        self._max_batch_size = max_batch_size
        self._batch_wait_s = batch_wait_s
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._executor: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None
        self._accepting = False
        self.batches_run = 0

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("batcher already started")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference-model")
        self._task = asyncio.create_task(self._run(), name="dynamic-batcher")
        self._accepting = True

    async def stop(self) -> None:
        """Refuse new requests, finish every one already submitted, then release the worker."""
        if self._task is None:
            return
        self._accepting = False
        self._queue.put_nowait(None)
        try:
            await self._task
        finally:
            self._task = None
            while not self._queue.empty():  # only if the loop died: fail what it left behind
                pending = self._queue.get_nowait()
                if pending is not None and not pending.future.done():
                    pending.future.set_exception(BatcherClosedError("batcher stopped"))
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None

    async def submit(self, request: GenerationRequest) -> Completed:
        """Queue a request and wait for its result. Cancelling the caller before its batch starts
        takes the request out of the batch."""
        if not self._accepting:
            raise BatcherClosedError("batcher is not running")
        loop = asyncio.get_running_loop()
        pending = _Pending(request, loop.create_future(), loop.time())
        self._queue.put_nowait(pending)
        return await pending.future

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = await self._collect()
            live = [p for p in batch if not p.future.cancelled()]
            if live:
                await self._run_batch(live)

    async def _collect(self) -> tuple[list[_Pending], bool]:
        """Wait for a first request, then for more until the batch is full or the wait is over."""
        batch: list[_Pending] = []
        deadline: float | None = None
        try:
            async with asyncio.timeout_at(None) as timeout:
                while len(batch) < self._max_batch_size:
                    pending = await self._queue.get()
                    if pending is None:
                        return batch, True
                    if pending.future.cancelled():
                        continue
                    batch.append(pending)
                    if deadline is None:
                        deadline = pending.enqueued_at + self._batch_wait_s
                        timeout.reschedule(deadline)
        except TimeoutError:
            pass
        return batch, False

    async def _run_batch(self, batch: list[_Pending]) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        requests = [p.request for p in batch]
        try:
            results = await loop.run_in_executor(self._executor, self._generate, requests)
            if len(results) != len(batch):
                raise RuntimeError(f"{len(results)} results for a batch of {len(batch)}")
        except Exception as exc:  # the batch failed as a whole: every caller gets the error
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(exc)
            return
        finally:
            self.batches_run += 1
        finished = loop.time()
        for pending, result in zip(batch, results, strict=True):
            if not pending.future.done():
                pending.future.set_result(
                    Completed(
                        result=result,
                        queue_seconds=started - pending.enqueued_at,
                        inference_seconds=finished - started,
                        batch_size=len(batch),
                    )
                )
