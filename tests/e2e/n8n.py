"""Real n8n 1.x (installed into .cache/n8n by `make test-e2e`) on a free port, with the project's workflows active."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from devstack.processes import start_until
from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "deploy" / "n8n"
N8N = Path(os.environ.get("N8N_DIR", ROOT / ".cache" / "n8n")) / "node_modules" / ".bin" / "n8n"


def installed() -> Path:
    """The n8n binary; the test fails (a check that did not run has not passed) when it is missing."""
    if not N8N.exists():
        pytest.fail("n8n is not installed: run `make test-e2e` (or deploy/n8n/install.sh) once")
    return N8N


def n8n_env(folder: Path, port: int, workflow_env: Mapping[str, str]) -> dict[str, str]:
    """n8n as deploy/env/n8n.env.example and docker-compose.yml configure it, plus what the workflow reads."""
    return {
        **os.environ,
        "N8N_USER_FOLDER": str(folder),
        "N8N_PORT": str(port),
        "N8N_LISTEN_ADDRESS": "127.0.0.1",
        # isolated-vm is not built (no prebuilt binaries here): the legacy expression engine needs none.
        "N8N_EXPRESSION_ENGINE": "legacy",
        # Code nodes in-process, as compose runs n8n 1.x; E2E_N8N_RUNNERS=true tries n8n's task runner instead.
        "N8N_RUNNERS_ENABLED": os.environ.get("E2E_N8N_RUNNERS", "false"),
        "N8N_DIAGNOSTICS_ENABLED": "false",
        "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
        "N8N_TEMPLATES_ENABLED": "false",
        "N8N_PERSONALIZATION_ENABLED": "false",
        "N8N_SECURE_COOKIE": "false",
        "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false",
        # Code nodes read $env and use Node's crypto.
        "N8N_BLOCK_ENV_ACCESS_IN_NODE": "false",
        "NODE_FUNCTION_ALLOW_BUILTIN": "crypto",
        **workflow_env,
    }


@contextmanager
def running_n8n(workflows: Path | Sequence[Path], folder: Path, workflow_env: Mapping[str, str]) -> Iterator[str]:
    """n8n with a throwaway user folder and every workflow in the `workflows` files imported and active; its URL."""
    binary = installed()
    port = free_port()
    env = n8n_env(folder, port, workflow_env)
    files = [workflows] if isinstance(workflows, Path) else list(workflows)
    workflow_ids = [w["id"] for file in files for w in json.loads(file.read_text())]
    # Importing deactivates a workflow; activating it takes effect when n8n starts.
    commands = [["import:workflow", f"--input={file}"] for file in files]
    commands += [["update:workflow", f"--id={workflow_id}", "--active=true"] for workflow_id in workflow_ids]
    for args in commands:
        done = subprocess.run([str(binary), *args], env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"n8n {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    # n8n activates every active workflow, then opens the editor.
    child, _ = start_until([str(binary), "start"], ready=r"Editor is now accessible", env=env, timeout=180)
    try:
        for workflow_id in workflow_ids:
            assert f"(ID: {workflow_id})" in child.text, child.text
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert child.process.poll() is None and time.monotonic() < deadline, child.text[-4000:]
            time.sleep(0.25)
        yield f"http://127.0.0.1:{port}"
    finally:
        child.stop()
        print("--- n8n ---", child.text[-4000:], sep="\n")


def executions(folder: Path) -> list[tuple[str, str]]:
    """(status, data) of every execution n8n saved in the user folder `folder` (saving follows each workflow's
    settings: ours keep failed ones only)."""
    with sqlite3.connect(folder / ".n8n" / "database.sqlite", timeout=10) as db:
        rows = db.execute(
            "SELECT e.status, d.data FROM execution_entity e JOIN execution_data d ON d.executionId = e.id"
        ).fetchall()
    return [(str(status), str(data)) for status, data in rows]
