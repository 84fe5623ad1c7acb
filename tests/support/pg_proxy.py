"""A TCP proxy in front of PostgreSQL that can end its sessions the way a terminated backend does, slowly.

When Postgres terminates a session (`pg_terminate_backend`, a restart), it sends the client a FATAL
ErrorResponse and closes the socket. asyncpg, reading the goodbye before it notices the close, is left in a
state where the next statement fails with `InternalClientError: cannot switch to state N; another operation (2)
is in progress` rather than a connection error. On a busy event loop that window is real but short; this proxy
holds it open: `end_sessions` sends every client the FATAL goodbye and stops forwarding, but leaves the socket
open until the client writes to it (its Terminate, when it closes), so the next statement on each of those
connections meets that state every time.
New connections are forwarded as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from dataclasses import dataclass, field


def _goodbye() -> bytes:
    fields = b"".join(
        code + value + b"\0"
        for code, value in (
            (b"S", b"FATAL"),
            (b"V", b"FATAL"),
            (b"C", b"57P01"),
            (b"M", b"terminating connection due to administrator command"),
        )
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


@dataclass
class _Session:
    client_reader: asyncio.StreamReader
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    pipes: list[asyncio.Task[None]] = field(default_factory=list)


class PostgresProxy:
    """Forwards 127.0.0.1:`port` to the server at `upstream_host`:`upstream_port`."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._sessions: list[_Session] = []
        self._ended: list[_Session] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> PostgresProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for session in self._sessions + self._ended:
            self._drop(session)
        await self._server.wait_closed()

    async def end_sessions(self) -> int:
        """Say goodbye to every open session as a terminated backend would, but leave its socket open; how many."""
        ended = 0
        for session in self._sessions:
            if session.client.is_closing():
                continue
            for pipe in session.pipes:
                pipe.cancel()
            session.upstream.close()
            session.client.write(_goodbye())
            await session.client.drain()
            # Whatever the client sends next (its Terminate, when it closes) finds the server gone.
            session.pipes = [asyncio.create_task(_close_on_next_write(session.client_reader, session.client))]
            ended += 1
        self._ended += self._sessions
        self._sessions = []
        return ended

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream)
        session = _Session(client_reader=client_reader, client=client_writer, upstream=upstream_writer)
        session.pipes = [
            asyncio.create_task(_pipe(client_reader, upstream_writer)),
            asyncio.create_task(_pipe(upstream_reader, client_writer)),
        ]
        self._sessions.append(session)

    @staticmethod
    def _drop(session: _Session) -> None:
        for pipe in session.pipes:
            pipe.cancel()
        session.upstream.close()
        session.client.close()


async def _close_on_next_write(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        await reader.read(1)
    writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until one side closes, then close the other, as a server or client that went away would.
    Cancelled (the session ended by `end_sessions`), it leaves both as they are."""
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    if not writer.is_closing():
        writer.close()
