"""The notification settings read what operators write, refuse an incomplete sender; planning stays pure."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import time

import pytest
from pydantic import ValidationError

from notifications.planning import QuietHours
from notifications.senders import N8nSender, WhatsAppSender, sender_from
from notifications.settings import NotificationSettings

BASE = {"DATABASE_URL": "postgresql://localhost/clinic"}
WHATSAPP = {**BASE, "WHATSAPP_ACCESS_TOKEN": "token", "WHATSAPP_PHONE_NUMBER_ID": "106540352242922"}


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> NotificationSettings:
    for name in (
        "REMINDER_HOURS_BEFORE",
        "QUIET_HOURS",
        "NOTIFICATIONS_SENDER",
        "N8N_NOTIFICATIONS_WEBHOOK_URL",
        "N8N_NOTIFICATIONS_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return NotificationSettings(_env_file=None)


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(monkeypatch, **WHATSAPP)
    assert s.reminder_hours_before == (24,)
    assert s.quiet_hours == QuietHours(time(21), time(8))
    assert (s.reminder_template_name, s.reminder_template_language) == ("recordatorio_cita", "es")
    assert isinstance(sender_from(s), WhatsAppSender)


def test_a_list_of_hours_and_other_quiet_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(monkeypatch, **WHATSAPP, REMINDER_HOURS_BEFORE="2, 24", QUIET_HOURS="22:30-07:00")
    assert s.reminder_hours_before == (24, 2)
    assert s.quiet_hours == QuietHours(time(22, 30), time(7))


@pytest.mark.parametrize(
    "env",
    [
        {**BASE},  # whatsapp without its token and number
        {**BASE, "NOTIFICATIONS_SENDER": "n8n"},  # n8n without its webhook
        # n8n without a token (its webhooks are public), or a short one
        {**BASE, "NOTIFICATIONS_SENDER": "n8n", "N8N_NOTIFICATIONS_WEBHOOK_URL": "http://n8n/webhook/x"},
        {
            **BASE,
            "NOTIFICATIONS_SENDER": "n8n",
            "N8N_NOTIFICATIONS_WEBHOOK_URL": "http://n8n/webhook/x",
            "N8N_NOTIFICATIONS_TOKEN": "short",
        },
        {**WHATSAPP, "REMINDER_HOURS_BEFORE": "0"},
        {**WHATSAPP, "REMINDER_HOURS_BEFORE": "veinticuatro"},
        {**WHATSAPP, "QUIET_HOURS": "de noche"},
    ],
)
def test_refused(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        settings(monkeypatch, **env)


def test_the_n8n_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(
        monkeypatch,
        **BASE,
        NOTIFICATIONS_SENDER="n8n",
        N8N_NOTIFICATIONS_WEBHOOK_URL="http://n8n/webhook/x",
        N8N_NOTIFICATIONS_TOKEN="a-token-of-16-chars-or-more",
    )
    assert isinstance(sender_from(s), N8nSender)


def test_planning_imports_no_io_and_nothing_of_the_gateway() -> None:
    probe = "import json, sys\nimport notifications.planning\nprint(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    )
    io = ("asyncpg", "psycopg", "httpx", "procrastinate", "redis", "fastapi")
    assert [name for name in loaded if name.split(".")[0] in io or name.startswith("gateway")] == []
