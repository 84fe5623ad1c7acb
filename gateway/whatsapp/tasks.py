"""Work that outlives the request that started it, tracked so shutdown can wait for it."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import structlog

log = structlog.get_logger(__name__)


class BackgroundTasks:
    """Running tasks, each logged if it fails; `drain` waits for them at shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            log.warning("background_task_cancelled", task=task.get_name())
        elif (exc := task.exception()) is not None:
            log.error("background_task_failed", task=task.get_name(), exc_info=exc)

    async def wait(self) -> None:
        """Until every task running now (and any they start) has finished."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def drain(self, grace_seconds: float) -> None:
        """Give running tasks `grace_seconds` to finish, then cancel the rest."""
        try:
            await asyncio.wait_for(self.wait(), grace_seconds)
        except TimeoutError:
            pending = set(self._tasks)
            log.error("background_tasks_cancelled_at_shutdown", count=len(pending))
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
