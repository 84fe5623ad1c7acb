"""OWASP API8:2023 Security Misconfiguration.

Attacks held here:
- a deployment left with the example secrets (`OTP_SECRET=CHANGE-ME-at-least-16-bytes`, `SMS_API_TOKEN=CHANGE-ME`,
  a Redis without a password): whoever knows the example can forge a phone's verified key in Redis. With
  `APP_ENV=production` (the default) the gateway refuses to start and names each weak setting, never its value;
  in development it warns.
- reading the API's map: a production gateway serves no /docs, /redoc or /openapi.json.
- stealing the webhook verify token from nginx's access log: Meta's GET handshake carries it in the query
  string, and the log keeps only the path of such a request.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.security.secrets import InsecureConfiguration, weak_secrets
from gateway.settings import Settings
from tests.deploy.harness import (
    REPO,
    GatewayProcess,
    RenderedNginx,
    logged,
    render_nginx,
    running_gateways,
    running_nginx,
)
from tests.deploy.test_nginx import (  # noqa: F401  (module fixtures, used by name)
    gateway_env,
    https_client,
    loopback_ports,
    module_database_url,
    module_sms,
    nginx,
)
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.services import InferenceProcess


def strong() -> str:
    return secrets.token_urlsafe(48)


def production(**overrides: Any) -> Settings:
    """Production settings whose every secret is strong, but for `overrides`."""
    values: dict[str, Any] = {
        "APP_ENV": "production",
        "DATABASE_URL": f"postgresql://clinic_app:{strong()}@postgres:5432/clinic",
        "REDIS_URL": f"redis://:{strong()}@redis:6379/0",
        "SMS_BASE_URL": "https://sms.provider.invalid/api",
        "SMS_API_TOKEN": secrets.token_hex(20),
        "OTP_SECRET": strong(),
        "WHATSAPP_VERIFY_TOKEN": strong(),
        "WHATSAPP_APP_SECRET": secrets.token_hex(16),  # Meta's: 32 hex characters
        "WHATSAPP_ACCESS_TOKEN": "EAAG" + secrets.token_urlsafe(150),
        **overrides,
    }
    return Settings(_env_file=None, **values)


def test_production_refuses_the_example_otp_secret_and_names_it_without_its_value() -> None:
    example = "CHANGE-ME-at-least-16-bytes"
    settings = production(OTP_SECRET=example)

    with pytest.raises(InsecureConfiguration) as refused:
        create_app(settings)

    assert [f.setting for f in refused.value.findings] == ["OTP_SECRET"]
    assert "OTP_SECRET" in str(refused.value) and example not in str(refused.value)


def test_production_is_the_default_app_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    settings = Settings(_env_file=None, DATABASE_URL="postgresql://db/clinic", REDIS_URL="redis://redis:6379/0")
    assert settings.app_env == "production"


def test_a_random_40_character_secret_passes() -> None:
    settings = production(OTP_SECRET=secrets.token_urlsafe(30))  # 40 characters
    assert len(settings.otp_secret.get_secret_value() if settings.otp_secret else "") == 40
    assert weak_secrets(settings) == []
    create_app(settings)  # builds: nothing refused


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("OTP_SECRET", "test-otp-secret-of-at-least-16-bytes"),  # what the tests use: a placeholder word
        ("OTP_SECRET", "x" * 48),  # long, not random
        ("OTP_SECRET", "0123456789abcdef" * 3),  # one sequence repeated
        ("OTP_SECRET", "tooShortButRandom-9fK2"),
        ("WHATSAPP_VERIFY_TOKEN", "CHANGE-ME"),
        ("WHATSAPP_VERIFY_TOKEN", "mi-token-de-verificacion"),
        ("WHATSAPP_APP_SECRET", "CHANGE-ME"),
        ("WHATSAPP_ACCESS_TOKEN", "CHANGE-ME"),
        ("SMS_API_TOKEN", "CHANGE-ME"),
        ("SMS_API_TOKEN", ""),
    ],
)
def test_production_refuses_each_weak_secret_by_name(setting: str, value: str) -> None:
    with pytest.raises(InsecureConfiguration) as refused:
        create_app(production(**{setting: value}))
    assert [f.setting for f in refused.value.findings] == [setting]
    if value:
        assert value not in str(refused.value)


@pytest.mark.parametrize(
    ("setting", "url"),
    [
        ("REDIS_URL", "redis://redis:6379/0"),  # no password at all
        ("REDIS_URL", "redis://:CHANGE-ME@redis:6379/0"),
        ("REDIS_URL", "redis://default:redis@redis:6379/0"),
        ("DATABASE_URL", "postgresql://clinic:CHANGE-ME@postgres:5432/clinic"),
        ("DATABASE_URL", "postgresql://clinic:clinic123@postgres:5432/clinic"),
        ("DATABASE_READ_URL", "postgresql://clinic_app:CHANGE-ME@clinic-db-ro:5432/clinic"),
    ],
)
def test_production_refuses_a_missing_or_weak_redis_or_database_password(setting: str, url: str) -> None:
    with pytest.raises(InsecureConfiguration) as refused:
        create_app(production(**{setting: url}))
    assert [f.setting for f in refused.value.findings] == [setting]
    password = url.partition("@")[0].rpartition(":")[2]
    assert f":{password}@" not in str(refused.value)


def test_the_committed_example_env_file_cannot_be_deployed_as_it_is() -> None:
    example = REPO / "deploy" / "env" / "gateway.env.example"
    values = dict(line.split("=", 1) for line in example.read_text().splitlines() if line and not line.startswith("#"))
    settings = Settings(_env_file=None, **{**values, "APP_ENV": "production"})  # type: ignore[call-arg]

    with pytest.raises(InsecureConfiguration) as refused:
        create_app(settings)

    named = {f.setting for f in refused.value.findings}
    assert {"OTP_SECRET", "SMS_API_TOKEN", "REDIS_URL", "DATABASE_URL"} <= named


def test_development_warns_about_each_weak_secret_and_starts(capsys: pytest.CaptureFixture[str]) -> None:
    example = "CHANGE-ME-at-least-16-bytes"
    create_app(production(APP_ENV="development", OTP_SECRET=example, REDIS_URL="redis://127.0.0.1:6379/0"))

    logged_lines = capsys.readouterr().err
    warnings = [line for line in logged_lines.splitlines() if "weak_secret" in line]
    assert any("OTP_SECRET" in line for line in warnings) and any("REDIS_URL" in line for line in warnings)
    assert example not in logged_lines


async def test_a_production_gateway_serves_no_api_docs() -> None:
    async def statuses(settings: Settings) -> dict[str, int]:
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            return {path: (await client.get(path)).status_code for path in ("/docs", "/redoc", "/openapi.json")}

    assert await statuses(production()) == {"/docs": 404, "/redoc": 404, "/openapi.json": 404}
    assert await statuses(production(EXPOSE_API_DOCS="true")) == {"/docs": 200, "/redoc": 200, "/openapi.json": 200}
    assert set((await statuses(production(APP_ENV="development"))).values()) == {200}


# --- nginx: Meta's handshake through the public side, and what the access log keeps ------------------

VERIFY_TOKEN = secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def webhook_gateway(
    nginx: str,  # noqa: F811
    module_database_url: str,  # noqa: F811
    redis_url: str,
    inference_server: InferenceProcess,
    module_sms: FakeSmsServer,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[GatewayProcess]:
    env = gateway_env(module_database_url, redis_url, inference_server.target, module_sms.url)
    env |= {"WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "WHATSAPP_APP_SECRET": secrets.token_hex(16)}
    env["WHATSAPP_ACCESS_TOKEN"] = secrets.token_urlsafe(64)
    with running_gateways(["a"], env=env, log_dir=tmp_path_factory.mktemp("gateways")) as gateways:
        yield gateways["a"]


@pytest.fixture
def webhook_proxy(nginx: str, webhook_gateway: GatewayProcess, tmp_path: Path) -> Iterator[RenderedNginx]:  # noqa: F811
    rendered = render_nginx(tmp_path, upstreams=[webhook_gateway.address], listen=loopback_ports())
    with running_nginx(nginx, rendered) as running:
        yield running


def test_the_webhook_verify_token_never_reaches_nginxs_access_log(webhook_proxy: RenderedNginx) -> None:
    challenge = uuid.uuid4().hex
    probes = {
        "meta": f"hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge={challenge}",
        "reordered": f"hub.challenge={challenge}&HUB.VERIFY_TOKEN={VERIFY_TOKEN}&hub.mode=subscribe",
        "encoded": f"hub.mode=subscribe&hub%2Everify%5Ftoken={VERIFY_TOKEN}&hub.challenge={challenge}",
    }
    answers: dict[str, httpx.Response] = {}
    with https_client(webhook_proxy) as client:
        for name, query in probes.items():
            answers[name] = client.get(f"/webhooks/whatsapp?{query}", headers={"X-Request-ID": f"verify-{name}"})

    assert answers["meta"].status_code == 200 and answers["meta"].text == challenge  # the handshake works
    entries = webhook_proxy.access_entries(until=logged(f"verify-{name}" for name in probes))
    handshakes = [e for e in entries if e["request_id"].startswith("verify-")]
    assert len(handshakes) == len(probes)
    assert all(e["uri"] == "/webhooks/whatsapp?[redacted]" for e in handshakes), handshakes
    for log in webhook_proxy.access_log.parent.iterdir():
        assert VERIFY_TOKEN not in log.read_text(), log.name
