"""deploy/k8s: every manifest against the Kubernetes schemas (kubernetes-validate, offline), and the
wiring between them (selectors, probes, GPU, secrets, settings names)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from gateway.settings import Settings
from inference.settings import InferenceSettings
from notifications.settings import NotificationSettings
from tests.deploy.harness import REPO
from tests.support.k8s_schemas import KUBERNETES_VERSIONS

K8S = REPO / "deploy" / "k8s"
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY|DATABASE_URL", re.IGNORECASE)


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def all_resources() -> list[dict[str, Any]]:
    return [doc for path in manifest_files() if path.name != "secrets.example.yaml" for doc in documents(path)]


def resource(kind: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in all_resources() if r["kind"] == kind and r["metadata"]["name"] == name]
    return found


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = workload["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: p.name)
def test_manifest_is_valid_for_kubernetes(path: Path, version: str) -> None:
    for doc in documents(path):
        try:
            kubernetes_validate.validate(doc, version, strict=True)  # strict: unknown fields are errors
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path.name} {doc['kind']}/{doc['metadata']['name']} on {version}: {exc.message}")


def test_kustomization_lists_every_manifest_but_the_secret_template() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in manifest_files()} - {"secrets.example.yaml"}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed here")
def test_kustomization_builds_offline() -> None:
    result = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    kinds = [doc["kind"] for doc in yaml.safe_load_all(result.stdout) if doc]
    assert "Secret" not in kinds and kinds.count("Deployment") == 3


def test_gateway_probes_resources_and_config() -> None:
    gateway = resource("Deployment", "gateway")
    (container,) = gateway["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    sources = {next(iter(s.values()))["name"] for s in container["envFrom"]}
    assert sources == {"clinic-config", "clinic-secrets"}
    assert gateway["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert gateway["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    for each in containers(gateway):
        assert {"cpu", "memory"} <= set(each["resources"]["requests"]) and {"cpu", "memory"} <= set(
            each["resources"]["limits"]
        ), each["name"]


def test_gateway_pods_run_no_more_workers_than_their_cpu_allows() -> None:
    (container,) = resource("Deployment", "gateway")["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    workers = int(env["WEB_CONCURRENCY"])

    def cores(quantity: str) -> float:
        return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)

    # A worker is one Python thread: each needs a core of the limit; one worker may request less (the HPA
    # scales pods on it), several need as many requested cores.
    assert workers <= cores(container["resources"]["limits"]["cpu"])
    assert workers <= max(1, cores(container["resources"]["requests"]["cpu"]))


def test_hpa_and_pdb_cover_the_gateway_pods() -> None:
    gateway = resource("Deployment", "gateway")
    labels = gateway["spec"]["template"]["metadata"]["labels"]
    hpa = resource("HorizontalPodAutoscaler", "gateway")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    pdb = resource("PodDisruptionBudget", "gateway")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]  # a node can still be drained


def test_services_select_their_pods_and_name_real_ports() -> None:
    for service in [r for r in all_resources() if r["kind"] == "Service"]:
        (workload,) = [
            r
            for r in all_resources()
            if r["kind"] in {"Deployment", "StatefulSet"}
            and service["spec"]["selector"].items() <= r["spec"]["template"]["metadata"]["labels"].items()
        ]
        port_names = {p["name"] for c in workload["spec"]["template"]["spec"]["containers"] for p in c["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in port_names, f"{service['metadata']['name']}: {port['targetPort']}"


def test_inference_runs_on_one_gpu_of_the_gpu_nodes_with_grpc_probes() -> None:
    inference = resource("Deployment", "inference")
    pod = inference["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert pod["nodeSelector"] and any(t["key"] == "nvidia.com/gpu" for t in pod["tolerations"])
    port = InferenceSettings.model_fields["port"].default
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"]["port"] == port, probe
    assert inference["spec"]["strategy"]["type"] == "Recreate"  # the old pod must free the GPU first
    assert any(v.get("persistentVolumeClaim") for v in pod["volumes"])


def secret_templates() -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents(K8S / "secrets.example.yaml")}


def test_secrets_are_referenced_and_the_template_holds_only_placeholders() -> None:
    templates = secret_templates()
    assert {"clinic-secrets", "clinic-migration-secrets"} <= set(templates)
    assert all(secret["kind"] == "Secret" for secret in templates.values())
    assert {"DATABASE_URL", "OTP_SECRET", "SMS_API_TOKEN"} <= set(templates["clinic-secrets"]["stringData"])
    assert set(templates["clinic-notifications-secrets"]["stringData"]) == {"WHATSAPP_ACCESS_TOKEN"}
    for secret in templates.values():
        assert all("CHANGE-ME" in value for value in secret["stringData"].values())
    for config in [r for r in all_resources() if r["kind"] == "ConfigMap"]:
        leaked = [key for key in config["data"] if SECRET_NAME.search(key)]
        assert not leaked, f"secrets in the ConfigMap {config['metadata']['name']}: {leaked}"
    assert not [r for r in all_resources() if r["kind"] == "Secret"], "only the template may hold a Secret"
    for workload in [r for r in all_resources() if r["kind"] in {"Deployment", "StatefulSet"}]:
        for container in containers(workload):
            for env in container.get("env", []):
                assert not (SECRET_NAME.search(env["name"]) and "value" in env), f"{env['name']} inline"


def test_every_configured_name_is_a_setting_the_services_read() -> None:
    """A typo in a ConfigMap or Secret key would be silently ignored (extra="ignore")."""
    known = {
        str(field.validation_alias)
        for model in (Settings, InferenceSettings)
        for field in model.model_fields.values()
        if field.validation_alias
    }
    secret = secret_templates()["clinic-secrets"]
    configured = set(resource("ConfigMap", "clinic-config")["data"]) | set(secret["stringData"])
    assert configured - known == set()
    notifications = set(resource("ConfigMap", "notifications-config")["data"]) | set(
        secret_templates()["clinic-notifications-secrets"]["stringData"]
    )
    assert notifications - {str(f.validation_alias) for f in NotificationSettings.model_fields.values()} == set()
    # Read by gateway.cli (migrate, keys), not by the gateway's settings.
    assert set(secret_templates()["clinic-migration-secrets"]["stringData"]) == {"MIGRATION_DATABASE_URL"}


def test_migrations_run_as_the_owner_and_the_gateway_container_never_sees_the_owners_url() -> None:
    pod = resource("Deployment", "gateway")["spec"]["template"]["spec"]
    (migrate,) = pod["initContainers"]
    assert migrate["command"] == ["python", "-m", "gateway.cli", "migrate", "--runtime-login"]
    assert [s["secretRef"]["name"] for s in migrate["envFrom"]] == ["clinic-migration-secrets"]
    (runtime_url,) = [env for env in migrate["env"] if env["name"] == "DATABASE_URL"]
    assert runtime_url["valueFrom"]["secretKeyRef"] == {"name": "clinic-secrets", "key": "DATABASE_URL"}
    for container in pod["containers"]:
        referenced = yaml.safe_dump(container)
        assert "clinic-migration-secrets" not in referenced and "MIGRATION_DATABASE_URL" not in referenced
    templates = secret_templates()
    owner = urlsplit(templates["clinic-migration-secrets"]["stringData"]["MIGRATION_DATABASE_URL"]).username
    runtime = urlsplit(templates["clinic-secrets"]["stringData"]["DATABASE_URL"]).username
    assert owner and runtime and owner != runtime


def test_notifications_run_two_copies_from_the_gateway_image_with_probes_and_a_budget() -> None:
    notifications = resource("Deployment", "notifications")
    gateway = resource("Deployment", "gateway")
    assert notifications["spec"]["replicas"] == 2
    assert notifications["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = notifications["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    (gateway_container,) = gateway["spec"]["template"]["spec"]["containers"]
    assert container["image"] == gateway_container["image"]
    assert container["command"] == ["python", "-m", "notifications"]
    port = NotificationSettings.model_fields["notifications_port"].default
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    config = resource("ConfigMap", "notifications-config")["data"]
    assert config["NOTIFICATIONS_PORT"] == str(port) and config["NOTIFICATIONS_HOST"] == "0.0.0.0"
    annotations = notifications["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port) and annotations["prometheus.io/path"] == "/metrics"
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/health"
    assert "tcpSocket" in container["livenessProbe"]  # a database outage is not cured by a restart
    assert {"cpu", "memory"} <= set(container["resources"]["requests"]) & set(container["resources"]["limits"])
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    # The runtime login from the gateway's Secret, the token from its own; never the owner's URL.
    (database,) = [env for env in container["env"] if env["name"] == "DATABASE_URL"]
    assert database["valueFrom"]["secretKeyRef"] == {"name": "clinic-secrets", "key": "DATABASE_URL"}
    sources = {next(iter(s.values()))["name"] for s in container["envFrom"]}
    assert sources == {"notifications-config", "clinic-notifications-secrets"}
    assert "clinic-migration-secrets" not in yaml.safe_dump(notifications)
    # The shutdown grace of a post in flight fits in the pod's.
    grace = NotificationSettings.model_fields["shutdown_grace_seconds"].default
    assert pod["terminationGracePeriodSeconds"] > grace
    pdb = resource("PodDisruptionBudget", "notifications")
    labels = notifications["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert 1 <= pdb["spec"]["minAvailable"] < notifications["spec"]["replicas"]  # a node can still be drained


# Rules the gateway and the notification worker must apply alike: the clinic's day, how long a waitlist offer holds
# a slot (the worker sends it, the gateway books it) and the notice a booking needs (the worker offers only slots a
# "sí" can still book).
SHARED_SETTINGS = ("CLINIC_TIMEZONE", "WAITLIST_HOLD_MINUTES", "BOOKING_MIN_NOTICE_MINUTES")


def test_the_gateway_and_the_notification_worker_are_given_the_same_shared_rules() -> None:
    gateway_config = resource("ConfigMap", "clinic-config")["data"]
    worker_config = resource("ConfigMap", "notifications-config")["data"]
    for name in SHARED_SETTINGS:
        assert gateway_config.get(name) == worker_config.get(name), name
        # Where neither sets one, each falls back on its own default: those must agree too.
        defaults = {
            field.default
            for settings in (Settings, NotificationSettings)
            for field in settings.model_fields.values()
            if field.validation_alias == name
        }
        assert len(defaults) == 1, (name, defaults)
