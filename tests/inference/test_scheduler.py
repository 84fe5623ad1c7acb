"""DynamicBatcher: batches form by size or wait, run in one thread, and cancelled callers drop out."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from inference.generation import FinishReason, GenerationRequest, GenerationResult, SamplingParams
from inference.scheduler import BatcherClosedError, DynamicBatcher


def request(tag: int) -> GenerationRequest:
    return GenerationRequest([tag], SamplingParams(max_new_tokens=1))


class FakeModel:
    """Echoes each prompt's first id; records batches and threads; can be held at the door."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.threads: set[int] = set()
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.fail_with: Exception | None = None

    def __call__(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        self.entered.set()
        self.gate.wait(timeout=10)
        self.threads.add(threading.get_ident())
        self.batches.append([r.prompt_ids[0] for r in requests])
        if self.fail_with is not None:
            raise self.fail_with
        return [
            GenerationResult([r.prompt_ids[0]], f"reply {r.prompt_ids[0]}", 1, 1, FinishReason.LENGTH, None)
            for r in requests
        ]


async def started(fake: FakeModel, *, max_batch_size: int = 4, batch_wait_s: float = 0.05) -> DynamicBatcher:
    batcher = DynamicBatcher(fake, max_batch_size=max_batch_size, batch_wait_s=batch_wait_s)
    await batcher.start()
    return batcher


async def test_concurrent_requests_share_one_batch_and_each_gets_its_own_result() -> None:
    fake = FakeModel()
    batcher = await started(fake)

    done = await asyncio.gather(*(batcher.submit(request(i)) for i in range(3)))
    await batcher.stop()

    assert fake.batches == [[0, 1, 2]]
    assert [c.result.text for c in done] == ["reply 0", "reply 1", "reply 2"]
    assert {c.batch_size for c in done} == {3}
    assert all(c.queue_seconds >= 0 and c.inference_seconds >= 0 for c in done)


async def test_a_full_batch_does_not_wait_and_the_rest_go_in_the_next() -> None:
    fake = FakeModel()
    batcher = await started(fake, max_batch_size=2, batch_wait_s=30)

    done = await asyncio.wait_for(asyncio.gather(*(batcher.submit(request(i)) for i in range(4))), timeout=5)
    await batcher.stop()

    assert fake.batches == [[0, 1], [2, 3]]
    assert [c.batch_size for c in done] == [2, 2, 2, 2]


async def test_a_lone_request_runs_after_the_batch_wait() -> None:
    fake = FakeModel()
    batcher = await started(fake, batch_wait_s=0.05)

    completed = await asyncio.wait_for(batcher.submit(request(7)), timeout=5)
    await batcher.stop()

    assert completed.batch_size == 1
    assert completed.queue_seconds >= 0.04


async def test_batches_run_one_at_a_time_in_a_single_worker_thread() -> None:
    fake = FakeModel()
    batcher = await started(fake, max_batch_size=1, batch_wait_s=0)

    await asyncio.gather(*(batcher.submit(request(i)) for i in range(5)))
    await batcher.stop()

    assert len(fake.batches) == 5
    assert len(fake.threads) == 1
    assert threading.get_ident() not in fake.threads
    assert batcher.batches_run == 5


async def test_a_caller_cancelled_before_its_batch_starts_is_left_out() -> None:
    fake = FakeModel()
    batcher = await started(fake, max_batch_size=1, batch_wait_s=0)
    fake.gate.clear()
    first = asyncio.create_task(batcher.submit(request(1)))
    await asyncio.to_thread(fake.entered.wait, 5)  # batch [1] is running and held
    ghost = asyncio.create_task(batcher.submit(request(2)))
    last = asyncio.create_task(batcher.submit(request(3)))
    await asyncio.sleep(0)
    ghost.cancel()
    fake.gate.set()

    await asyncio.gather(first, last)
    await batcher.stop()

    assert fake.batches == [[1], [3]]
    assert ghost.cancelled()


async def test_a_failing_batch_fails_each_caller_and_the_batcher_goes_on() -> None:
    fake = FakeModel()
    batcher = await started(fake)
    fake.fail_with = RuntimeError("out of memory")

    outcomes = await asyncio.gather(batcher.submit(request(1)), batcher.submit(request(2)), return_exceptions=True)
    fake.fail_with = None
    after = await batcher.submit(request(3))
    await batcher.stop()

    assert all(isinstance(o, RuntimeError) for o in outcomes)
    assert after.result.text == "reply 3"


async def test_stop_finishes_what_was_submitted_then_refuses_new_requests() -> None:
    fake = FakeModel()
    batcher = await started(fake, max_batch_size=2, batch_wait_s=30)
    pending = [asyncio.create_task(batcher.submit(request(i))) for i in range(3)]
    await asyncio.sleep(0)

    await asyncio.wait_for(batcher.stop(), timeout=5)

    assert [t.result().result.text for t in pending] == ["reply 0", "reply 1", "reply 2"]
    with pytest.raises(BatcherClosedError):
        await batcher.submit(request(9))
