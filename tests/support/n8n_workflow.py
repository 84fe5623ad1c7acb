"""deploy/n8n/workflow.json read as a graph, for checks that need no running n8n."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORKFLOW_FILE = Path(__file__).resolve().parents[2] / "deploy" / "n8n" / "workflow.json"

WEBHOOK = "n8n-nodes-base.webhook"
CODE = "n8n-nodes-base.code"
IF = "n8n-nodes-base.if"
RESPOND = "n8n-nodes-base.respondToWebhook"
HTTP_REQUEST = "n8n-nodes-base.httpRequest"


@dataclass(frozen=True)
class Workflow:
    data: dict[str, Any]

    @property
    def nodes(self) -> dict[str, dict[str, Any]]:
        return {node["name"]: node for node in self.data["nodes"]}

    def webhooks(self, method: str) -> list[dict[str, Any]]:
        nodes = self.nodes.values()
        return [n for n in nodes if n["type"] == WEBHOOK and n["parameters"].get("httpMethod", "GET") == method]

    def outputs(self, name: str) -> list[list[str]]:
        """The names of the nodes each output of `name` leads to."""
        main = self.data["connections"].get(name, {}).get("main", [])
        return [[link["node"] for link in output or []] for output in main]

    def reachable(self, start: str, *, cut: tuple[str, int] | None = None) -> set[str]:
        """Nodes reachable from `start`, optionally not through output `cut[1]` of node `cut[0]`."""
        seen: set[str] = set()
        todo = [start]
        while todo:
            name = todo.pop()
            for index, targets in enumerate(self.outputs(name)):
                if cut == (name, index):
                    continue
                for target in targets:
                    if target not in seen:
                        seen.add(target)
                        todo.append(target)
        return seen


def workflows() -> list[Workflow]:
    return [Workflow(w) for w in json.loads(WORKFLOW_FILE.read_text())]


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def sends_anything(node: dict[str, Any]) -> bool:
    """Whether a node calls out: an HTTP Request node, or a Code node that makes HTTP requests."""
    return node["type"] == HTTP_REQUEST or (
        node["type"] == CODE and "httpRequest" in node["parameters"].get("jsCode", "")
    )
