"""docker-compose.yml: its structure, read as YAML; `docker compose config` where the plugin exists."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from inference.settings import InferenceSettings
from notifications.settings import NotificationSettings
from tests.deploy.harness import REPO

SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY|ENCRYPTION_KEY|CREDENTIAL", re.IGNORECASE)
LONG_RUNNING = [
    *("nginx", "gateway", "inference", "postgres", "redis", "n8n", "notifications"),
    *("prometheus", "alertmanager", "grafana"),
]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_every_part_of_the_assistant_is_a_service(compose: dict[str, Any]) -> None:
    assert set(LONG_RUNNING) <= set(services(compose))


def test_three_gateway_copies_behind_nginx(compose: dict[str, Any]) -> None:
    gateway, nginx = services(compose)["gateway"], services(compose)["nginx"]
    assert gateway["deploy"]["replicas"] == 3
    assert "ports" not in gateway and "container_name" not in gateway  # replicas cannot share either
    assert gateway["build"]["dockerfile"] == "deploy/docker/gateway.Dockerfile"
    assert nginx["depends_on"]["gateway"]["condition"] == "service_healthy"
    assert {"80:8080", "443:8443"} <= set(nginx["ports"])
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in nginx["volumes"]}
    assert mounts["/etc/nginx/nginx.conf"] == "./deploy/nginx/nginx.conf"
    assert mounts["/etc/nginx/certs"] == "./deploy/nginx/certs"  # certificates from a volume, not the repo
    for source in mounts.values():
        assert (REPO / source).exists(), source


def test_each_gateway_copy_runs_a_worker_per_core_within_its_connections(compose: dict[str, Any]) -> None:
    gateway = services(compose)["gateway"]
    env = environment(gateway)
    default = re.fullmatch(r"\$\{WEB_CONCURRENCY:-(\d+)\}", env["WEB_CONCURRENCY"])
    assert default, "WEB_CONCURRENCY is set from the shell, with a default"
    workers = int(default[1])
    assert workers == 2
    assert float(gateway["deploy"]["resources"]["limits"]["cpus"]) >= workers
    # The asyncpg pool is per worker: the copy's connections stay those of one worker with the default pool.
    assert workers * int(env["DB_POOL_MAX_SIZE"]) <= 10


def test_inference_reserves_an_nvidia_gpu_and_keeps_the_model_in_a_volume(compose: dict[str, Any]) -> None:
    inference = services(compose)["inference"]
    (device,) = inference["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"] and device["count"] == 1
    assert environment(inference)["DEVICE"] == "cuda"
    assert environment(inference)["MODEL_NAME"] == "microsoft/DialoGPT-medium"
    cache = environment(inference)["HF_HOME"]
    (volume,) = [v for v in inference["volumes"] if cache.startswith(v.split(":")[1])]
    assert volume.split(":")[0] in compose["volumes"]  # a named volume: survives rebuilds
    port = InferenceSettings.model_fields["port"].default
    assert environment(services(compose)["gateway"])["INFERENCE_TARGET"] == f"inference:{port}"


def test_postgres_keeps_its_data_in_a_volume_and_takes_its_password_from_a_secret(compose: dict[str, Any]) -> None:
    postgres = services(compose)["postgres"]
    assert re.fullmatch(r"postgres:15\.\d+(-\w+)?", postgres["image"])  # the major version the tests run on
    assert any(v.startswith("pgdata:/var/lib/postgresql/data") for v in postgres["volumes"])
    assert "pgdata" in compose["volumes"]
    assert environment(postgres)["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert "postgres_password" in postgres["secrets"]
    assert compose["secrets"]["postgres_password"]["file"].startswith("./deploy/secrets/")


def test_n8n_is_a_1x_image_loading_the_projects_workflow(compose: dict[str, Any]) -> None:
    n8n, loader = services(compose)["n8n"], services(compose)["n8n-import"]
    assert re.fullmatch(r"n8nio/n8n:1\.\d+\.\d+", n8n["image"]) and loader["image"] == n8n["image"]
    assert "./deploy/n8n/workflow.json:/workflows/workflow.json:ro" in loader["volumes"]
    assert "--input=/workflows/workflow.json" in loader["command"]
    assert n8n["depends_on"]["n8n-import"]["condition"] == "service_completed_successfully"
    shared = {v.split(":")[0] for v in n8n["volumes"]} & {v.split(":")[0] for v in loader["volumes"]}
    assert shared == {"n8n-data"}
    assert all(port.startswith("127.0.0.1:") for port in n8n.get("ports", []))  # the editor is not public


def test_long_running_services_have_healthchecks_and_wait_for_healthy_dependencies(compose: dict[str, Any]) -> None:
    all_services = services(compose)
    for name in LONG_RUNNING:
        service = all_services[name]
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") == "unless-stopped", name
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on without conditions only waits for a start"
        for dependency, rule in depends.items():
            assert dependency in all_services
            expected = "service_completed_successfully" if "healthcheck" not in all_services[dependency] else None
            assert rule["condition"] in {"service_healthy", "service_completed_successfully"}
            if expected:
                assert rule["condition"] == expected, f"{name} -> {dependency}"
    gateway = all_services["gateway"]
    assert {"postgres", "redis", "migrate"} <= set(gateway["depends_on"])
    assert all_services["migrate"]["command"] == ["python", "-m", "gateway.cli", "migrate", "--runtime-login"]


def test_notifications_run_two_copies_of_the_gateway_image_after_migrations(compose: dict[str, Any]) -> None:
    all_services = services(compose)
    notifications, gateway = all_services["notifications"], all_services["gateway"]
    assert notifications["image"] == gateway["image"] and "build" not in notifications  # built once, as gateway
    assert notifications["command"] == ["python", "-m", "notifications"]
    assert notifications["deploy"]["replicas"] == 2
    assert {"cpus", "memory"} <= set(notifications["deploy"]["resources"]["limits"])
    assert notifications["env_file"] == ["deploy/env/gateway.env", "deploy/env/notifications.env"]
    port = environment(notifications)["NOTIFICATIONS_PORT"]
    assert port in notifications["expose"] and f":{port}/health" in " ".join(notifications["healthcheck"]["test"])
    assert notifications["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert notifications["depends_on"]["postgres"]["condition"] == "service_healthy"
    grace = NotificationSettings.model_fields["shutdown_grace_seconds"].default
    assert int(notifications["stop_grace_period"].removesuffix("s")) > grace
    # Every name in its env example is a setting the service reads: a typo would be ignored silently.
    known = {str(f.validation_alias) for f in NotificationSettings.model_fields.values()}
    example = (REPO / "deploy" / "env" / "notifications.env.example").read_text().splitlines()
    names = {line.lstrip("# ").partition("=")[0] for line in example if re.match(r"^#? ?[A-Z0-9_]+=", line)}
    assert names and names <= known
    # Prometheus scrapes every copy.
    prometheus = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text())
    (job,) = [j for j in prometheus["scrape_configs"] if j["job_name"] == "notifications"]
    (sd,) = job["dns_sd_configs"]
    assert sd["names"] == ["notifications"] and str(sd["port"]) == port


def env_example(name: str) -> dict[str, str]:
    lines = (REPO / "deploy" / "env" / f"{name}.env.example").read_text().splitlines()
    return dict(line.partition("=")[::2] for line in lines if "=" in line and not line.startswith("#"))


def test_migrations_run_as_the_owner_and_only_migrate_holds_the_owners_url(compose: dict[str, Any]) -> None:
    all_services = services(compose)
    holders = [name for name, s in all_services.items() if "deploy/env/migrate.env" in s.get("env_file", [])]
    assert holders == ["migrate"]
    owner = environment(all_services["postgres"])["POSTGRES_USER"]
    assert urlsplit(env_example("migrate")["MIGRATION_DATABASE_URL"]).username == owner
    # The gateways log in as a role of their own, which migrate --runtime-login makes from this URL.
    runtime = urlsplit(env_example("gateway")["DATABASE_URL"])
    assert runtime.username not in {owner, "postgres", None}
    assert runtime.hostname == "postgres" and runtime.path == "/clinic"


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        image = service.get("image", "")
        assert re.search(r":v?\d+\.\d+", image) and not image.endswith(":latest"), f"{name}: {image}"


def test_secrets_come_from_env_files_and_secrets_never_inline(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                assert key.endswith("_FILE") and value.startswith("/run/secrets/"), f"{name}: {key} is inline"
            assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", value), f"{name}: {key} carries a password"
        for env_file in service.get("env_file", []):
            path = env_file if isinstance(env_file, str) else env_file["path"]
            assert path.startswith("deploy/env/") and path.endswith(".env")
            example = REPO / f"{path}.example"
            assert example.exists(), f"{path}: no committed {example.name} to copy"
            for line in example.read_text().splitlines():
                if line.startswith("#") or "=" not in line:
                    continue
                key, _, value = line.partition("=")
                if SECRET_NAME.search(key) or key.endswith("DATABASE_URL") or key == "REDIS_URL":
                    assert "CHANGE-ME" in value, f"{example.name}: {key} must be a placeholder"
    ignore = (REPO / "deploy" / "env" / ".gitignore").read_text()
    assert "*.env" in ignore.split()
    assert (REPO / "deploy" / "secrets" / ".gitignore").read_text().splitlines()[1:3] == ["*", "!.gitignore"]


def compose_secrets() -> list[str]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return list(loaded["secrets"])


def test_the_gateway_runs_in_production_mode_so_example_secrets_stop_it(compose: dict[str, Any]) -> None:
    assert environment(services(compose)["gateway"])["APP_ENV"] == "production"
    assert "REDIS_URL" not in environment(services(compose)["gateway"])  # it carries a password: env_file only


def test_redis_requires_the_password_from_a_secret_and_its_healthcheck_uses_it(compose: dict[str, Any]) -> None:
    redis = services(compose)["redis"]
    command = " ".join(redis["entrypoint"] + redis["command"])
    assert '--requirepass "$$(cat /run/secrets/redis_password)"' in command
    assert "exec docker-entrypoint.sh redis-server" in command  # the image still drops root
    assert redis["secrets"] == ["redis_password"]
    assert compose["secrets"]["redis_password"]["file"] == "./deploy/secrets/redis_password"
    check = " ".join(redis["healthcheck"]["test"])
    assert "REDISCLI_AUTH=" in check and "/run/secrets/redis_password" in check and "grep -q PONG" in check
    example = (REPO / "deploy" / "env" / "gateway.env.example").read_text()
    assert "REDIS_URL=redis://:CHANGE-ME@redis:6379/0" in example.splitlines()


def _compose_command() -> list[str] | None:
    """`docker compose` (the plugin), else a standalone `docker-compose`; None when neither runs."""
    candidates = [[docker, "compose"] for docker in [shutil.which("docker")] if docker]
    candidates += [[standalone] for standalone in [shutil.which("docker-compose")] if standalone]
    for command in candidates:
        if subprocess.run([*command, "version"], capture_output=True, timeout=30).returncode == 0:
            return command
    return None


COMPOSE = _compose_command()


@pytest.mark.skipif(COMPOSE is None, reason="neither the docker compose plugin nor docker-compose is installed here")
def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    assert COMPOSE is not None
    # env_file and secret files must exist for `config`: placeholders from the examples, in a scratch project dir.
    for example in (REPO / "deploy" / "env").glob("*.env.example"):
        target = tmp_path / "deploy" / "env" / example.name.removesuffix(".example")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(example.read_text())
    (tmp_path / "deploy" / "secrets").mkdir(parents=True)
    for secret in compose_secrets():
        (tmp_path / "deploy" / "secrets" / secret).write_text("placeholder")
    project = ["-f", str(REPO / "docker-compose.yml"), "--project-directory", str(tmp_path)]
    result = subprocess.run([*COMPOSE, *project, "config", "-q"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
