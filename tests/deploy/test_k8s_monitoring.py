"""deploy/k8s/monitoring: generated from the compose stack's monitoring files and never stale, valid for the
Prometheus Operator (its CRD schemas, vendored) and for Kubernetes, scraping each part under the job name the
rules expect, and an Alertmanager configuration that amtool accepts where the operator mounts it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.harness import REPO
from tests.deploy.test_k8s import documents as k8s_documents
from tests.support.k8s_schemas import problems
from tools import k8s_monitoring

MONITORING = REPO / "deploy" / "k8s" / "monitoring"
AMTOOL = shutil.which("amtool")


def documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((MONITORING / name).read_text()) if doc]


def manifests() -> list[Path]:
    return sorted(p for p in MONITORING.glob("*.yaml") if p.name != "kustomization.yaml")


def test_the_generated_files_are_up_to_date() -> None:
    assert k8s_monitoring.main(["--check"]) == 0, "run `make k8s-monitoring`"


@pytest.mark.parametrize("path", manifests(), ids=lambda p: p.name)
def test_every_resource_is_valid_for_the_operator_or_for_kubernetes(path: Path) -> None:
    for doc in documents(path.name):
        found = problems(doc)
        assert not found, f"{path.name} {doc['kind']}/{doc['metadata']['name']}: {found[:3]}"


def test_the_kustomization_applies_everything_but_the_example() -> None:
    listed = set(yaml.safe_load((MONITORING / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in manifests() if not p.name.endswith(".example.yaml")}


def test_the_rules_are_the_compose_stacks_rules() -> None:
    (rule,) = documents("prometheusrule.yaml")
    compose = yaml.safe_load((REPO / "deploy" / "prometheus" / "alerts.yml").read_text())
    assert rule["spec"]["groups"] == compose["groups"]


def test_each_part_is_scraped_on_a_port_it_has_under_the_job_name_the_rules_use() -> None:
    rules = (REPO / "deploy" / "prometheus" / "alerts.yml").read_text()
    jobs_in_rules = set(re.findall(r'job="(\w+)"', rules)) - {"node"}
    scraped = {}
    for monitor in documents("podmonitors.yaml"):
        spec = monitor["spec"]
        assert spec["jobLabel"] == "app.kubernetes.io/name" and spec["namespaceSelector"]["matchNames"] == [
            "clinic-assistant"
        ]
        name = spec["selector"]["matchLabels"]["app.kubernetes.io/name"]
        (workload,) = [d for d in k8s_documents(REPO / "deploy" / "k8s" / f"{name}.yaml") if d["kind"] == "Deployment"]
        template = workload["spec"]["template"]
        assert template["metadata"]["labels"]["app.kubernetes.io/name"] == name
        ports = {p["name"]: p["containerPort"] for c in template["spec"]["containers"] for p in c.get("ports", [])}
        (endpoint,) = spec["podMetricsEndpoints"]
        assert str(ports[endpoint["port"]]) == template["metadata"]["annotations"]["prometheus.io/port"]
        scraped[name] = endpoint["path"]
    assert set(scraped) == jobs_in_rules == {"gateway", "inference", "notifications"}


def test_the_dashboard_configmap_is_loaded_by_grafanas_sidecar() -> None:
    (config_map,) = documents("grafana-dashboard.yaml")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert set(config_map["data"]) == {p.name for p in (REPO / "deploy" / "grafana" / "dashboards").glob("*.json")}


@pytest.mark.skipif(AMTOOL is None, reason="amtool is not installed here (deploy/scripts/install-test-tools.sh)")
def test_amtool_accepts_the_alertmanager_configuration_where_the_operator_mounts_it(tmp_path: Path) -> None:
    assert AMTOOL is not None
    (secret,) = documents("alertmanager-config.yaml")
    (credentials,) = documents("credentials.example.yaml")
    config_dir = tmp_path / "config"
    secrets_dir = tmp_path / "secrets" / credentials["metadata"]["name"]
    config_dir.mkdir()
    secrets_dir.mkdir(parents=True)
    for key, value in secret["stringData"].items():
        (config_dir / key).write_text(value)
    for key, value in credentials["stringData"].items():
        (secrets_dir / key).write_text(value)
    config = (config_dir / "alertmanager.yaml").read_text()
    # Every file the configuration names is one the operator mounts: the credentials' Secret, the config's keys.
    for path in re.findall(r"(/etc/alertmanager/\S+)", config):
        assert path.startswith((f"{k8s_monitoring.CREDENTIALS_DIR}/", f"{k8s_monitoring.CONFIG_DIR}/")), path
    config = config.replace(k8s_monitoring.CREDENTIALS_DIR, str(secrets_dir))
    config = config.replace(k8s_monitoring.CONFIG_DIR, str(config_dir))
    (config_dir / "alertmanager.yaml").write_text(config)
    checked = subprocess.run(
        [AMTOOL, "check-config", str(config_dir / "alertmanager.yaml")], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 templates" in checked.stdout and "2 receivers" in checked.stdout
