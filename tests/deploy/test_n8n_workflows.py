"""deploy/n8n/*.json read without n8n (run for real by `make test-e2e`): compose loads every one, and the webhooks
that callers count on (the handover announcer, the notification service) never answer 2xx for a run that failed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.harness import REPO

WORKFLOW_FILES = sorted((REPO / "deploy" / "n8n").glob("*.json"))
# Callers that record "done" on 2xx: the gateway's handover announcer, the notification service's N8nSender.
ANSWERED_TO_CALLERS = ["handover.json", "notifications.json"]
CAN_FAIL = {"n8n-nodes-base.code", "n8n-nodes-base.httpRequest"}
RESPOND = "n8n-nodes-base.respondToWebhook"


def workflows(file: Path) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(file.read_text())
    return loaded


def test_compose_imports_and_activates_every_workflow() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    loader = compose["services"]["n8n-import"]
    assert WORKFLOW_FILES
    for file in WORKFLOW_FILES:
        assert f"./deploy/n8n/{file.name}:/workflows/{file.name}:ro" in loader["volumes"]
        assert f"--input=/workflows/{file.name}" in loader["command"]
        for workflow in workflows(file):
            assert f"--id={workflow['id']} --active=true" in loader["command"], workflow["id"]


@pytest.mark.parametrize("name", ANSWERED_TO_CALLERS)
def test_a_node_that_fails_answers_5xx_not_n8ns_empty_200(name: str) -> None:
    # n8n 1.x answers a responseNode webhook 200 with no body when a node fails before the Respond node.
    (workflow,) = workflows(REPO / "deploy" / "n8n" / name)
    nodes = {node["name"]: node for node in workflow["nodes"]}
    failing = [node for node in nodes.values() if node["type"] in CAN_FAIL]
    assert failing
    for node in failing:
        assert node.get("onError") == "continueErrorOutput", node["name"]
        outputs = workflow["connections"][node["name"]]["main"]
        assert len(outputs) == 2 and len(outputs[1]) == 1, node["name"]
        respond = nodes[outputs[1][0]["node"]]
        assert respond["type"] == RESPOND and respond["parameters"]["options"]["responseCode"] >= 500, node["name"]
