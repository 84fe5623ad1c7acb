"""The understanding package is pure: importing all of it pulls in no web framework, database, cache or network
client, and nothing from the rest of the gateway."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import gateway.understanding

FORBIDDEN = ("fastapi", "starlette", "asyncpg", "psycopg", "redis", "httpx", "grpc", "procrastinate")


def test_importing_every_understanding_module_imports_no_io_and_no_other_gateway_package() -> None:
    modules = [f"gateway.understanding.{info.name}" for info in pkgutil.iter_modules(gateway.understanding.__path__)]
    probe = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    )

    assert len(modules) >= 10
    assert [name for name in loaded if name.split(".")[0] in FORBIDDEN] == []
    gateway_modules = [name for name in loaded if name.startswith("gateway.")]
    assert [name for name in gateway_modules if not name.startswith("gateway.understanding")] == []
