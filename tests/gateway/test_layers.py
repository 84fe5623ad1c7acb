"""HTTP stays at the edge: the conversation answers in its own terms and the errors carry no HTTP status; the API
maps both, the errors through one table."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import gateway.app  # noqa: F401  (every module that defines an error is imported)
from appointments.errors import AppointmentError, PatientBusy, SlotTaken
from gateway.api.errors import HTTP_STATUS, http_status
from gateway.errors import GatewayError


def _loaded_after_importing(*modules: str) -> list[str]:
    probe = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    loaded: list[str] = json.loads(
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    )
    return loaded


def _subclasses(cls: type[Exception]) -> list[type[Exception]]:
    found: list[type[Exception]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_the_conversation_imports_neither_the_http_schemas_nor_the_api() -> None:
    loaded = _loaded_after_importing("gateway.conversation.service", "gateway.conversation.dialog")

    assert [name for name in loaded if name == "gateway.schemas" or name.startswith("gateway.api")] == []


def test_verification_does_not_reach_back_up_into_the_conversation() -> None:
    loaded = _loaded_after_importing("gateway.verification.otp")

    assert [name for name in loaded if name.startswith("gateway.conversation")] == []


def test_the_console_domain_knows_nothing_of_http() -> None:
    loaded = _loaded_after_importing(
        "gateway.console.signin", "gateway.console.admin", "gateway.console.agenda", "gateway.console.patients"
    )

    assert [n for n in loaded if n.startswith(("gateway.api", "fastapi", "starlette", "jinja2"))] == []


def test_the_whatsapp_channel_does_not_import_the_notification_service() -> None:
    # notifications imports the gateway's jobs, clock and Graph client; only the composition root (gateway/app.py)
    # and the staff API's read views at the edge import notifications back.
    loaded = _loaded_after_importing("gateway.whatsapp.service", "gateway.api.whatsapp")

    assert [name for name in loaded if name.split(".")[0] == "notifications"] == []


@pytest.mark.parametrize(
    "module",
    ["gateway.errors", "gateway.conversation.reply", "gateway.security.rate_limit", "gateway.inference_client"],
)
def test_errors_and_replies_import_no_web_framework(module: str) -> None:
    loaded = _loaded_after_importing(module)

    assert [name for name in loaded if name.split(".")[0] in ("fastapi", "starlette")] == []


@pytest.mark.parametrize("error", _subclasses(GatewayError), ids=lambda cls: cls.__name__)
def test_every_gateway_error_has_its_own_line_in_the_status_table(error: type[GatewayError]) -> None:
    assert error in HTTP_STATUS
    assert not hasattr(error, "status_code")


def test_a_booking_refusal_takes_its_nearest_listed_base() -> None:
    assert PatientBusy not in HTTP_STATUS
    assert http_status(PatientBusy()) == HTTP_STATUS[SlotTaken] == 409

    class Unlisted(AppointmentError):
        code = "unlisted"

    assert http_status(Unlisted()) == 409


def test_one_class_name_per_error() -> None:
    names = [cls.__name__ for cls in _subclasses(GatewayError) + _subclasses(AppointmentError)]

    assert sorted({name for name in names if names.count(name) > 1}) == []
