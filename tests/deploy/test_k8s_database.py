"""deploy/k8s/database: CloudNativePG's resources against the operator's own CRD schemas (1.30.0, vendored in
tests/deploy/schemas, unknown fields refused as the API server's structural pruning would drop them), the core
kinds against Kubernetes' schemas, and what the clinic needs of them: three instances on three nodes, a commit
waiting for a standby, WAL archiving and nightly base backups, a second-region replica of the same archive."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.harness import REPO
from tests.support.k8s_schemas import problems

DATABASE = REPO / "deploy" / "k8s" / "database"
OPERATOR_KINDS = {"Cluster", "ScheduledBackup"}


def documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((DATABASE / name).read_text()) if doc]


def manifests() -> list[Path]:
    return sorted(p for p in DATABASE.glob("*.yaml") if p.name != "kustomization.yaml")


def of_kind(kind: str, name: str = "cluster.yaml") -> list[dict[str, Any]]:
    return [doc for doc in documents(name) if doc["kind"] == kind]


@pytest.mark.parametrize("path", manifests(), ids=lambda p: p.name)
def test_every_resource_is_valid_for_the_operator_or_for_kubernetes(path: Path) -> None:
    for doc in documents(path.name):
        if doc["apiVersion"] == "postgresql.cnpg.io/v1":
            assert doc["kind"] in OPERATOR_KINDS, doc["kind"]
        found = problems(doc)
        assert not found, f"{path.name} {doc['kind']}/{doc['metadata']['name']}: {found[:3]}"


def test_the_strict_schema_refuses_a_misspelt_field() -> None:
    (cluster,) = of_kind("Cluster")
    misspelt = copy.deepcopy(cluster)
    misspelt["spec"]["instance"] = misspelt["spec"].pop("instances")
    assert "spec: Additional properties are not allowed ('instance' was unexpected)" in problems(misspelt)


def test_three_instances_on_three_nodes_and_a_commit_waits_for_a_standby() -> None:
    (cluster,) = of_kind("Cluster")
    spec = cluster["spec"]
    assert spec["instances"] == 3
    assert spec["affinity"] == {
        "enablePodAntiAffinity": True,
        "podAntiAffinityType": "required",
        "topologyKey": "kubernetes.io/hostname",
    }
    synchronous = spec["postgresql"]["synchronous"]
    assert synchronous["method"] in {"any", "first"} and 1 <= synchronous["number"] < spec["instances"]
    assert re.fullmatch(r"ghcr\.io/cloudnative-pg/postgresql:15\.\d+", spec["imageName"])  # the server compose runs


def test_wal_is_archived_every_minute_and_a_base_backup_is_taken_every_night() -> None:
    (cluster,) = of_kind("Cluster")
    (nightly,) = of_kind("ScheduledBackup")
    backup = cluster["spec"]["backup"]
    assert backup["retentionPolicy"] == "30d" and backup["barmanObjectStore"]["destinationPath"].startswith("s3://")
    assert cluster["spec"]["postgresql"]["parameters"]["archive_timeout"] == "60s"
    assert nightly["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert nightly["spec"]["method"] == "barmanObjectStore"
    assert len(nightly["spec"]["schedule"].split()) == 6  # the operator's cron has seconds first
    secrets = {doc["metadata"]["name"]: doc for doc in documents("secrets.example.yaml")}
    credentials = backup["barmanObjectStore"]["s3Credentials"]
    for reference in credentials.values():
        assert reference["key"] in secrets[reference["name"]]["stringData"]
    assert cluster["spec"]["bootstrap"]["initdb"]["secret"]["name"] in secrets
    (owner,) = cluster["spec"]["managed"]["roles"]
    assert owner["name"] == cluster["spec"]["bootstrap"]["initdb"]["owner"] and owner["createrole"] is True
    assert owner["passwordSecret"]["name"] in secrets
    assert all(v == "CHANGE-ME" for s in secrets.values() for k, v in s["stringData"].items() if k != "username")


def test_the_second_region_replays_the_first_regions_archive_and_backs_up_elsewhere() -> None:
    (primary,) = of_kind("Cluster")
    (replica,) = of_kind("Cluster", "replica-cluster.example.yaml")
    source = replica["spec"]["replica"]["source"]
    assert (
        replica["spec"]["replica"]["enabled"] is True and replica["spec"]["bootstrap"]["recovery"]["source"] == source
    )
    (external,) = [c for c in replica["spec"]["externalClusters"] if c["name"] == source]
    archive = primary["spec"]["backup"]["barmanObjectStore"]["destinationPath"]
    assert external["barmanObjectStore"]["destinationPath"] == archive
    assert replica["spec"]["backup"]["barmanObjectStore"]["destinationPath"] != archive


def test_the_kustomization_applies_everything_but_the_examples() -> None:
    listed = set(yaml.safe_load((DATABASE / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in manifests() if not p.name.endswith(".example.yaml")}


def test_only_the_application_the_operator_and_the_instances_reach_postgres() -> None:
    policies = {doc["metadata"]["name"]: doc for doc in documents("networkpolicy.yaml")}
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    ingress = policies["clinic-db"]["spec"]["ingress"]
    to_postgres = [rule for rule in ingress if {"protocol": "TCP", "port": 5432} in rule["ports"]]
    application = to_postgres[0]["from"][0]
    assert application["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "clinic-assistant"}
    assert application["podSelector"]["matchExpressions"][0]["values"] == ["gateway", "notifications"]
    sources = [peer for rule in to_postgres for peer in rule["from"]]
    assert all("namespaceSelector" in peer or "podSelector" in peer for peer in sources)  # never "anyone"


def test_the_application_points_at_the_clusters_services() -> None:
    app_secrets = (REPO / "deploy" / "k8s" / "secrets.example.yaml").read_text()
    assert "@clinic-db-rw.clinic-db.svc:5432/clinic" in app_secrets
    assert "@clinic-db-ro.clinic-db.svc:5432/clinic" in app_secrets
