"""The connection every query takes: a plain asyncpg connection, one borrowed from a pool, or one that wraps
either (a turn's, which begins its transaction only at its first statement)."""

# ruff: noqa: ASYNC109  (the signatures are asyncpg's: its methods take their own timeout)

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

import asyncpg

IsolationLevel = Literal["read_committed", "read_uncommitted", "serializable", "repeatable_read"]


class Connection(Protocol):
    """The part of asyncpg's connection the repositories use."""

    async def execute(self, query: str, *args: object, timeout: float | None = None) -> str: ...

    async def executemany(
        self, command: str, args: Iterable[Sequence[object]], *, timeout: float | None = None
    ) -> None: ...

    async def fetch(self, query: str, *args: object, timeout: float | None = None) -> list[asyncpg.Record]: ...

    async def fetchrow(self, query: str, *args: object, timeout: float | None = None) -> asyncpg.Record | None: ...

    async def fetchval(self, query: str, *args: object, column: int = 0, timeout: float | None = None) -> Any: ...

    def transaction(
        self, *, isolation: IsolationLevel | None = None, readonly: bool = False, deferrable: bool = False
    ) -> AbstractAsyncContextManager[object]: ...
