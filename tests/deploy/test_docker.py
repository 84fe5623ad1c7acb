"""The Dockerfiles, read with dockerfile-parse: what would go wrong in a build or in production."""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser

from tests.deploy.harness import REPO

DOCKER = REPO / "deploy" / "docker"
DOCKERFILES = ["gateway.Dockerfile", "inference.Dockerfile"]
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE|DATABASE_URL|CREDENTIAL", re.IGNORECASE)


def instructions(name: str) -> list[dict[str, Any]]:
    with (DOCKER / name).open("rb") as file:
        return [i for i in DockerfileParser(fileobj=file).structure if i["instruction"] != "COMMENT"]


def final_stage(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    last_from = max(i for i, step in enumerate(steps) if step["instruction"] == "FROM")
    return steps[last_from:]


def values(steps: list[dict[str, Any]], instruction: str) -> list[str]:
    return [step["value"] for step in steps if step["instruction"] == instruction]


def env_names(steps: list[dict[str, Any]]) -> dict[str, str]:
    """Every name an ENV or ARG sets, with its value (an ARG without a default: "")."""
    names: dict[str, str] = {}
    for value in values(steps, "ENV"):
        names.update(dict(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S*)", value)))
    for value in values(steps, "ARG"):
        key, _, default = value.partition("=")
        names[key.strip()] = default
    return names


def dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    hit = False
    for pattern in patterns:
        negate, pattern = pattern.startswith("!"), pattern.lstrip("!")
        if any(fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(p, pattern.removeprefix("**/")) for p in prefixes):
            hit = not negate
    return hit


@pytest.mark.parametrize("name", DOCKERFILES)
def test_base_images_are_pinned(name: str) -> None:
    for value in values(instructions(name), "FROM"):
        image = value.split()[0]
        assert "@sha256:" in image or re.search(r":[^:/]*\d+\.\d+", image), f"{image} is not pinned to a version"
        assert not image.endswith(":latest")


@pytest.mark.parametrize("name", DOCKERFILES)
def test_final_stage_runs_as_a_non_root_user_with_a_healthcheck(name: str) -> None:
    stage = final_stage(instructions(name))
    users = [i for i, step in enumerate(stage) if step["instruction"] == "USER"]
    assert users, "no USER: the container would run as root"
    user = stage[users[-1]]["value"].split(":")[0]
    assert user not in {"root", "0"}
    last_run = max((i for i, step in enumerate(stage) if step["instruction"] == "RUN"), default=-1)
    assert users[-1] > last_run, "USER must come after the last RUN (which may need root)"
    healthchecks = values(stage, "HEALTHCHECK")
    assert len(healthchecks) == 1 and not healthchecks[0].upper().startswith("NONE")
    assert re.search(r"--start-period=\d+s", healthchecks[0])


@pytest.mark.parametrize("name", DOCKERFILES)
def test_no_secret_is_baked_into_the_image(name: str) -> None:
    steps = instructions(name)
    baked = [key for key in env_names(steps) if SECRET_NAME.search(key)]
    assert not baked, f"secret-looking ENV/ARG in {name}: {baked}"
    for source in [src for value in values(steps, "COPY") + values(steps, "ADD") for src in value.split()[:-1]]:
        assert not re.search(r"(^|/)\.env|\.pem$|\.key$|^deploy/(env|secrets)|^\.data|^backups", source), source


@pytest.mark.parametrize("name", DOCKERFILES)
def test_every_copied_path_exists_and_is_in_the_build_context(name: str) -> None:
    patterns = dockerignore_patterns()
    for value in values(instructions(name), "COPY"):
        if value.startswith("--from="):
            continue
        for source in value.split()[:-1]:
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"
            assert not ignored(source, patterns), f"COPY {source}: excluded by .dockerignore"


def test_dockerignore_keeps_secrets_and_local_data_out_of_the_context() -> None:
    patterns = dockerignore_patterns()
    for path in [".env", ".git/config", ".data/pg/base", "backups/clinic-1.dump", ".venv/bin/python",
                 "models/dialogpt-clinic-es/model.safetensors", "deploy/env/gateway.env",
                 "deploy/secrets/postgres_password", "deploy/nginx/certs/privkey.pem"]:  # fmt: skip
        assert ignored(path, patterns), f"{path} would be sent to the Docker daemon"
    for path in ["gateway/app.py", "migrations/0001_conversations.sql", "protos/inference.proto", "pyproject.toml"]:
        assert not ignored(path, patterns), f"{path} is needed by the build"


def test_gateway_image_runs_uvicorn_with_the_factory_and_no_inference_extra() -> None:
    steps = instructions("gateway.Dockerfile")
    assert all(v.startswith("python:3.11") for v in values(steps, "FROM"))
    runs = " ".join(values(steps, "RUN"))
    assert "pip install ." in runs and "[inference]" not in runs and "torch" not in runs
    command = json.loads(values(final_stage(steps), "CMD")[-1])
    # gateway.serve: uvicorn with gateway.app:create_app, WEB_CONCURRENCY workers and their metrics folder.
    assert command[:3] == ["python", "-m", "gateway.serve"] and "--workers" not in command
    assert env_names(final_stage(steps))["WEB_CONCURRENCY"] == "1"
    assert "0.0.0.0" in command
    assert "/health" in values(final_stage(steps), "HEALTHCHECK")[0]


def test_inference_image_pins_torch_on_a_cuda_runtime_with_the_model_cache_in_a_volume() -> None:
    steps = instructions("inference.Dockerfile")
    (base,) = values(steps, "FROM")
    assert re.fullmatch(r"nvidia/cuda:12\.\d+\.\d+-(cudnn-)?runtime-ubuntu\d\d\.04", base)
    runs = values(steps, "RUN")
    (torch_install,) = [r for r in runs if "torch" in r]
    assert re.search(r"\btorch==2\.13\.0\b", torch_install)
    makefile_pin = re.search(r"torch==(\S+)", (REPO / "Makefile").read_text())
    assert makefile_pin and makefile_pin[1] == "2.13.0", "the image and the Makefile must pin the same torch"
    assert any("[inference]" in r for r in runs)
    env = env_names(steps)
    assert env["MODEL_NAME"] == "microsoft/DialoGPT-medium" and env["DEVICE"] == "cuda"
    (volume,) = values(steps, "VOLUME")
    assert env["HF_HOME"].startswith(json.loads(volume)[0] + "/")
    assert env["INFERENCE_HOST"] == "0.0.0.0"
    assert json.loads(values(steps, "CMD")[-1]) == ["python", "-m", "inference"]
