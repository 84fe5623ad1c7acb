"""Kubernetes resources against their schemas, offline: core kinds against the ones kubernetes-validate ships,
operators' custom resources against their CRD schemas vendored in tests/deploy/schemas, closed as Kubernetes'
strict validation is."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate

SCHEMAS = Path(__file__).resolve().parents[1] / "deploy" / "schemas"
# An older cluster still in support, and the newest schemas kubernetes-validate ships.
KUBERNETES_VERSIONS = ["1.29.0", kubernetes_validate.latest_version()]
# The vendored folder that speaks for each operator's API group.
OPERATORS = {
    "postgresql.cnpg.io": "cloudnative-pg-1.30.0",
    "redis.redis.opstreelabs.in": "redis-operator-0.26.0",
    "monitoring.coreos.com": "prometheus-operator-0.93.0",
}


def strict(schema: Any) -> Any:
    """The schema with every object closed to fields it does not name (as kubernetes-validate's strict mode),
    except where it keeps unknown fields on purpose."""
    schema = copy.deepcopy(schema)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if (
                node.get("type") == "object"
                and "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(schema)
    return schema


def validator(operator: str, kind: str) -> jsonschema.Draft7Validator:
    """A strict validator for `kind` of the vendored `operator` folder (e.g. "cloudnative-pg-1.30.0")."""
    return jsonschema.Draft7Validator(strict(json.loads((SCHEMAS / operator / f"{kind}.json").read_text())))


def problems(document: dict[str, Any]) -> list[str]:
    """What the schema of `document`'s kind finds wrong in it (empty when valid): its operator's, when its API
    group is an operator's, else Kubernetes' on every version of KUBERNETES_VERSIONS."""
    group = document["apiVersion"].rpartition("/")[0]
    if group in OPERATORS:
        found = validator(OPERATORS[group], document["kind"]).iter_errors(document)
        return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in sorted(found, key=str)]
    refused = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            refused.append(f"on {version}: {exc.message}")
    return refused
