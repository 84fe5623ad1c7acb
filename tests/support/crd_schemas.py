"""The operators' CRD schemas vendored in tests/deploy/schemas, closed as Kubernetes' strict validation is."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).resolve().parents[1] / "deploy" / "schemas"


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


def problems(operator: str, document: dict[str, Any]) -> list[str]:
    """What the operator's schema finds wrong in `document` (empty when valid)."""
    found = validator(operator, document["kind"]).iter_errors(document)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in sorted(found, key=str)]
