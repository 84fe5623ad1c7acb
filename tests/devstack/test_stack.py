"""`python -m devstack` is what `make run` starts after installing: run it for real."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack.processes import Child, start_until
from tests.support.services import RUNTIME_USER, TINY_MODEL_ENV, free_port, runtime_url

BANNER = "The clinic assistant is running."


@dataclass
class Stack:
    child: Child
    url: str
    api_key: str

    def stop(self) -> int:
        return self.child.stop(timeout=60)


def start_stack(cwd: Path, env: dict[str, str], timeout: float = 180) -> Stack:
    port = free_port()
    child, _ = start_until(
        [sys.executable, "-m", "devstack"],
        ready=r"^Ctrl-C stops everything",
        env={
            **env,
            "GATEWAY_PORT": str(port),
            "INFERENCE_PORT": str(free_port()),
            "NOTIFICATIONS_PORT": str(free_port()),
        },
        cwd=cwd,
        timeout=timeout,
    )
    key = re.search(r"API key:\s+(\S+)", child.text)
    assert key is not None and BANNER in child.text
    return Stack(child=child, url=f"http://127.0.0.1:{port}", api_key=key[1])


@pytest.fixture
def base_env(tiny_model: Path) -> Iterator[dict[str, str]]:
    configured = {"DATABASE_URL", "MIGRATION_DATABASE_URL", "REDIS_URL", "GATEWAY_API_KEY"}
    env = {k: v for k, v in os.environ.items() if k not in configured}
    yield {**env, **TINY_MODEL_ENV, "MODEL_NAME": str(tiny_model)}


def wait_for_line(stack: Stack, pattern: str, timeout: float = 60) -> re.Match[str]:
    """The first output line matching `pattern`, waiting up to `timeout` seconds for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := re.search(pattern, stack.child.text, re.MULTILINE):
            return found
        time.sleep(0.5)
    raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n{stack.child.text}")


def ask(stack: Stack, text: str) -> httpx.Response:
    return httpx.post(
        f"{stack.url}/chat",
        json={"messages": [{"role": "user", "content": text}], "user_id": "+59170000001"},
        headers={"X-API-Key": stack.api_key},
        timeout=60,
    )


def signs_in(stack: Stack, email: str, password: str) -> bool:
    """Whether the console lets `email` in with `password`, as a browser would ask."""
    with httpx.Client(base_url=stack.url, headers={"accept": "text/html"}, timeout=30) as browser:
        form = browser.get("/console/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None, form.text
        answer = browser.post("/console/login", data={"email": email, "password": password, "csrf": csrf[1]})
        return answer.status_code == 303 and answer.headers["location"] == "/console/"


def test_stack_on_embedded_postgres_and_redis_answers_a_patient(tmp_path: Path, base_env: dict[str, str]) -> None:
    stack = start_stack(tmp_path, base_env)
    try:
        answer = ask(stack, "Hola, buenos días")
        assert answer.status_code == 200, answer.text
        assert answer.json()["response"]
        assert "curl -s" in stack.child.text
        assert (tmp_path / ".data" / "pg" / "PG_VERSION").exists()
        assert (tmp_path / ".data" / "demo-api-key").read_text().strip() == stack.api_key
        # The gateway logs in as the runtime role, which cannot touch audit_log beyond appending.
        assert "the gateway logs in as 'clinic_app' (clinic_runtime)" in stack.child.text
        assert "database_role_too_powerful" not in stack.child.text
        # Staff sign in to the console as the demo receptionist or doctor, with the passwords printed and kept.
        assert f"console:   {stack.url}/console/" in stack.child.text
        printed = dict(re.findall(r"^    (\S+@demo\.clinica\.bo)\s+(\S+)\s{3}", stack.child.text, re.MULTILINE))
        assert set(printed) == {"recepcion@demo.clinica.bo", "medico@demo.clinica.bo"}
        kept = (tmp_path / ".data" / "console-users").read_text().split()
        assert kept == [word for email, password in printed.items() for word in (email, password)]
        assert signs_in(stack, "recepcion@demo.clinica.bo", printed["recepcion@demo.clinica.bo"])
        # The notification service runs beside them and sends the demo patient's reminder to the local outbox.
        assert "demo appointment to remind:" in stack.child.text
        reminder = wait_for_line(stack, r"^\[whatsapp\] .* template recordatorio_cita \(es\) to \+59170000001: (.*)$")
        # As María reads it: her first name, whose appointment, a general practitioner of the demo clinic, the
        # specialty, the day and time in Spanish.
        assert re.match(
            r"«Hola, María\. Le recordamos su cita con (la Dra\. Carmen Quispe|el Dr\. Jorge Mamani) "
            r"\(Medicina general\) el .+ a las \d",
            reminder[1],
        )
        uuid = "[0-9a-f-]{36}"
        assert re.search(rf"\[buttons: confirm:{uuid}, change:{uuid}, cancel:{uuid}\]$", reminder[0])
        outbox = (tmp_path / ".data" / "whatsapp-outbox.log").read_text(encoding="utf-8")
        assert outbox.count("recordatorio_cita") == 1
    finally:
        assert stack.stop() == 0
    assert "[make run] stopped" in stack.child.text


def test_stack_uses_configured_services_and_keeps_the_demo_key(
    tmp_path: Path, base_env: dict[str, str], database_url: str, redis_url: str
) -> None:
    env = {**base_env, "DATABASE_URL": runtime_url(database_url), "MIGRATION_DATABASE_URL": database_url}
    env["REDIS_URL"] = redis_url
    first = start_stack(tmp_path, env)
    try:
        assert ask(first, "Hola").status_code == 200
        assert f"the gateway logs in as '{RUNTIME_USER}'" in first.child.text
        assert "database_role_too_powerful" not in first.child.text
        wait_for_line(first, r"^\[whatsapp\] .* recordatorio_cita .* to \+59170000001: «Hola, María\. ")
    finally:
        assert first.stop() == 0
    second = start_stack(tmp_path, env)
    try:
        assert second.api_key == first.api_key
        # The demo appointment is kept, and its reminder was sent once: the second run sends it no more.
        assert "(its reminder goes once)" in second.child.text
        assert ask(second, "¿Atienden los sábados?").status_code == 200
        assert not (tmp_path / ".data" / "pg").exists()
    finally:
        assert second.stop() == 0
