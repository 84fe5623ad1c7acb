"""deploy/alertmanager: every alert reaches a person. The routes and inhibitions are read as YAML and checked
against the rules; where Debian's prometheus-alertmanager is installed, `amtool` checks the file and its routes,
and a real Alertmanager running this configuration delivers alerts to a local chat webhook and SMTP server."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.deploy.harness import REPO, wait_until
from tests.support.services import free_port

ALERTMANAGER = REPO / "deploy" / "alertmanager"
CONFIG = ALERTMANAGER / "alertmanager.yml"
RULES = REPO / "deploy" / "prometheus" / "alerts.yml"
AMTOOL = shutil.which("amtool")
BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    return loaded


def alert_names() -> set[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"] for group in groups for rule in group["rules"]}


def receivers() -> dict[str, dict[str, Any]]:
    return {receiver["name"]: receiver for receiver in config()["receivers"]}


def test_critical_alerts_page_by_mail_and_chat_and_warnings_go_to_chat() -> None:
    route = config()["route"]
    by_severity = {child["matchers"][0]: child["receiver"] for child in route["routes"]}
    assert by_severity == {'severity="critical"': "oncall", 'severity="warning"': "chat"}
    assert route["receiver"] == "chat"  # an alert without a severity still reaches someone
    oncall, chat = receivers()["oncall"], receivers()["chat"]
    assert oncall["email_configs"] and oncall["slack_configs"] and chat["slack_configs"]
    assert "email_configs" not in chat
    assert {"alertname"} <= set(route["group_by"])
    severities = {
        rule["labels"]["severity"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]
    }
    assert severities == {"critical", "warning"}


def test_every_inhibition_names_alerts_that_exist() -> None:
    names = alert_names()
    for rule in config()["inhibit_rules"]:
        for matcher in [*rule["source_matchers"], *rule["target_matchers"]]:
            label, _, value = re.fullmatch(r'(\w+)(=~|=)"(.*)"', matcher).groups()  # type: ignore[union-attr]
            if label == "alertname":
                assert set(value.split("|")) <= names, matcher
    cautions = {name for name in names if name.endswith(("Caution", "Peak"))}
    inhibited = {
        value
        for rule in config()["inhibit_rules"]
        for matcher in rule["target_matchers"]
        for value in re.findall(r'alertname=~?"([^"]+)"', matcher)
    }
    assert cautions <= inhibited  # each caution is silenced by the alarm above it


def test_credentials_are_files_from_secrets_that_compose_mounts() -> None:
    text = CONFIG.read_text()
    assert not re.search(r"hooks\.slack\.com|api_url:\s|auth_password:\s", text)
    files = set(re.findall(r"_file:\s*(\S+)", text))
    assert files == {"/run/secrets/alertmanager_smtp_password", "/run/secrets/alertmanager_chat_webhook"}
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    mounted = {f"/run/secrets/{name}" for name in compose["services"]["alertmanager"]["secrets"]}
    assert files == mounted
    prometheus = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text())
    assert prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]


def runnable_config(tmp_path: Path, *, webhook: str, smtp_port: int) -> Path:
    """The shipped configuration, pointed at local fakes: templates from the repository, secrets from scratch
    files, the SMTP relay and the webhook local, and no waiting before a group's first message."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "alertmanager_chat_webhook").write_text(webhook)
    (secrets / "alertmanager_smtp_password").write_text("relay-password-for-tests")
    text = CONFIG.read_text().replace("/run/secrets/", f"{secrets}/")
    loaded = yaml.safe_load(text)
    loaded["global"].update(smtp_smarthost=f"127.0.0.1:{smtp_port}", smtp_require_tls=False)
    del loaded["global"]["smtp_auth_username"], loaded["global"]["smtp_auth_password_file"]  # no AUTH without TLS
    loaded["templates"] = [str(ALERTMANAGER / "templates" / "*.tmpl")]
    loaded["route"]["group_wait"] = "1s"
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(loaded))
    return path


NOT_INSTALLED = "not installed here (deploy/scripts/install-test-tools.sh alertmanager)"


@pytest.mark.skipif(AMTOOL is None, reason=f"amtool is {NOT_INSTALLED}")
def test_amtool_accepts_the_configuration_and_routes_by_severity(tmp_path: Path) -> None:
    assert AMTOOL is not None
    path = runnable_config(tmp_path, webhook="http://127.0.0.1:9/hook", smtp_port=25)
    checked = subprocess.run([AMTOOL, "check-config", str(path)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Found:" in checked.stdout and "1 templates" in checked.stdout

    def route(*labels: str) -> str:
        result = subprocess.run(
            [AMTOOL, "config", "routes", "test", f"--config.file={path}", *labels],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert route("alertname=InferenceDown", "severity=critical") == "oncall"
    assert route("alertname=HostCpuCaution", "severity=warning") == "chat"
    assert route("alertname=Unlabelled") == "chat"


class _Webhook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append(json.loads(body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def chat_webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    server.posts = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/clinic", server.posts  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mailbox() -> Iterator[tuple[int, _Mailbox]]:
    box = _Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, box
    finally:
        controller.stop()


@pytest.mark.skipif(BINARY is None, reason=f"Alertmanager is {NOT_INSTALLED}")
def test_a_real_alertmanager_mails_and_posts_critical_alerts_posts_warnings_and_inhibits_cautions(
    tmp_path: Path, chat_webhook: tuple[str, list[dict[str, Any]]], mailbox: tuple[int, _Mailbox]
) -> None:
    assert BINARY is not None
    webhook, posts = chat_webhook
    smtp_port, box = mailbox
    path = runnable_config(tmp_path, webhook=webhook, smtp_port=smtp_port)
    port, cluster = free_port(), free_port()
    log = tmp_path / "alertmanager.log"
    process = subprocess.Popen(
        [
            BINARY,
            f"--config.file={path}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--cluster.listen-address=127.0.0.1:{cluster}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    api = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: httpx.get(f"{api}/-/ready", timeout=1).status_code == 200,
            what="Alertmanager",
            process=process,
            timeout=30,
            log=log,
        )

        def alert(name: str, severity: str, **labels: str) -> dict[str, Any]:
            return {
                "labels": {"alertname": name, "severity": severity, **labels},
                "annotations": {
                    "summary": f"{name} summary",
                    "description": f"{name} description",
                    "runbook_url": f"docs/OPERATIONS.md#{name.lower()}",
                },
            }

        alerts = [
            alert("InferenceDown", "critical", job="inference", instance="i1"),
            alert("GatewayDown", "warning", job="gateway", instance="g2"),
            # The caution under an alarm of the same host is silenced by it.
            alert("HostMemoryHigh", "critical", job="node", instance="n1"),
            alert("HostMemoryCaution", "warning", job="node", instance="n1"),
        ]
        httpx.post(f"{api}/api/v2/alerts", json=alerts, timeout=10).raise_for_status()

        def posted() -> set[str]:
            return {post["attachments"][0]["title"] for post in posts}

        wait_until(lambda: len(posted()) >= 3 and len(box.messages) >= 2, what="Alertmanager's deliveries", timeout=30)
        time.sleep(2)  # anything wrongly sent would arrive by now
        assert posted() == {
            "[FIRING:1] InferenceDown (critical)",
            "[FIRING:1] GatewayDown (warning)",
            "[FIRING:1] HostMemoryHigh (critical)",
        }
        subjects = sorted(str(message["Subject"]) for message in box.messages)
        assert subjects == ["[FIRING:1] HostMemoryHigh (critical)", "[FIRING:1] InferenceDown (critical)"]
        mail = next(m for m in box.messages if "InferenceDown" in str(m["Subject"]))
        body = next(part for part in mail.walk() if part.get_content_type() == "text/plain").get_payload(decode=True)
        assert isinstance(body, bytes)
        text = body.decode()
        assert "InferenceDown summary" in text and "Runbook: docs/OPERATIONS.md#inferencedown" in text
        assert str(mail["To"]) == receivers()["oncall"]["email_configs"][0]["to"]
    finally:
        process.terminate()
        process.wait(timeout=10)
