"""`python -m gateway.serve [uvicorn options]`: the gateway under uvicorn, in WEB_CONCURRENCY worker processes.

Workers share the port (the kernel spreads connections over them) and one /metrics: under several workers each
keeps its metrics in files under PROMETHEUS_MULTIPROC_DIR, and a scrape, whichever worker answers it, sums them
(gateway/metrics.py). Unset, that folder is a fresh temporary one, removed at exit; set, it is emptied first, so
a restarted container does not add its previous life's counts. One worker (the default) keeps its metrics in
memory, as the tests' gateways do.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path

import uvicorn

FACTORY = ["--factory", "gateway.app:create_app"]


def workers(env: MutableMapping[str, str]) -> int:
    """WEB_CONCURRENCY, as uvicorn reads it: worker processes, 1 when unset."""
    value = int(env.get("WEB_CONCURRENCY") or 1)
    if value < 1:
        raise SystemExit(f"WEB_CONCURRENCY must be 1 or more, not {value}")
    return value


@contextmanager
def metrics_folder(env: MutableMapping[str, str]) -> Iterator[None]:
    """While the server runs: PROMETHEUS_MULTIPROC_DIR emptied when set, a temporary one under several workers."""
    configured = env.get("PROMETHEUS_MULTIPROC_DIR")
    if configured:
        folder = Path(configured)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        yield
    elif workers(env) > 1:
        with tempfile.TemporaryDirectory(prefix="gateway-metrics-") as folder_name:
            env["PROMETHEUS_MULTIPROC_DIR"] = folder_name
            try:
                yield
            finally:
                del env["PROMETHEUS_MULTIPROC_DIR"]
    else:
        yield


def main(argv: list[str] | None = None) -> None:
    """Run uvicorn with the gateway's factory and `argv` (default: this command's arguments)."""
    with metrics_folder(os.environ):
        # The workers are spawned after this: they inherit the folder in their environment.
        uvicorn.main([*FACTORY, *(sys.argv[1:] if argv is None else argv)], prog_name="gateway.serve")


if __name__ == "__main__":
    main()
