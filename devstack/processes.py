"""Child processes: start a program, wait for the line that says it is ready (or for its /health), stop it."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


@dataclass
class Child:
    """A running program whose combined output is collected line by line."""

    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.output)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then SIGKILL if it lingers; the exit code."""
        return stop_process(self.process, timeout)


def stop_process(process: subprocess.Popen[Any], timeout: float = 30) -> int:
    """SIGTERM, then SIGKILL if it lingers past `timeout` seconds; the exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def wait_until_healthy(url: str, process: subprocess.Popen[Any], *, deadline: float) -> bool:
    """Poll `url`/health every 0.1 s: True once it answers 200, False once `process` has exited or the
    `deadline` (a time.monotonic() reading) has passed."""
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def start_until(
    command: list[str], *, ready: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 120
) -> tuple[Child, re.Match[str]]:
    """Start `command`; return once a line matches the regex `ready`, or raise with its output.

    Fails fast when the program exits before it is ready.
    """
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    child = Child(process)
    pattern = re.compile(ready)
    matches: list[re.Match[str]] = []
    seen = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            child.output.append(line)
            if not seen.is_set() and (match := pattern.search(line)):
                matches.append(match)
                seen.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not seen.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{' '.join(command)} did not become ready:\n{child.text}")
    return child, matches[0]
