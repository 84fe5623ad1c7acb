"""deploy/k8s, as an attacker inside the cluster sees it: NetworkPolicies evaluated for real traffic,
Redis behind a password, the gateway in production mode, and the verify token out of access logs.

The policies are read from the manifests and evaluated with the NetworkPolicy rules (a pod selected by
no policy of a direction is open in that direction; one selected is open only to what some rule allows),
over the pods the manifests define plus the outsiders a cluster has: the ingress controller, Prometheus,
the cluster DNS, a stray pod, the Internet.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from tests.deploy.test_k8s import K8S, all_resources, documents, resource

NAMESPACE = "clinic-assistant"


@dataclass(frozen=True)
class Peer:
    """A pod (namespace, labels, named ports) or, with `ip`, an address outside the cluster."""

    name: str
    namespace: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, int] = field(default_factory=dict)
    ip: str = "10.1.2.3"  # pods have private addresses


def namespace_labels(namespace: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": namespace}


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        present, value = expression["key"] in labels, labels.get(expression["key"])
        operator = expression["operator"]
        if operator == "In" and value not in expression["values"]:
            return False
        if operator == "NotIn" and value in expression["values"]:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def _peer_matches(rule_peer: Mapping[str, Any], peer: Peer) -> bool:
    if "ipBlock" in rule_peer:
        block = rule_peer["ipBlock"]
        address = ipaddress.ip_address(peer.ip)
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(excluded) for excluded in block.get("except", [])
        )
    if peer.namespace is None:
        return False
    if "namespaceSelector" in rule_peer:
        if not _selects(rule_peer["namespaceSelector"], namespace_labels(peer.namespace)):
            return False
    elif peer.namespace != NAMESPACE:
        return False
    return _selects(rule_peer.get("podSelector", {}), peer.labels)


def _port_matches(rule_ports: list[Mapping[str, Any]] | None, target: Peer, port: int, protocol: str) -> bool:
    if not rule_ports:
        return True
    for each in rule_ports:
        wanted = each.get("port")
        if isinstance(wanted, str):
            wanted = target.ports.get(wanted)
        if each.get("protocol", "TCP") == protocol and (wanted is None or wanted == port):
            return True
    return False


def policies() -> list[dict[str, Any]]:
    return [r for r in all_resources() if r["kind"] == "NetworkPolicy"]


def _direction_allows(direction: str, subject: Peer, other: Peer, target: Peer, port: int, protocol: str) -> bool:
    if subject.namespace != NAMESPACE:
        return True  # not ours to police: other namespaces' policies are out of scope
    kind = "Ingress" if direction == "ingress" else "Egress"
    selecting = [
        p for p in policies() if kind in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], subject.labels)
    ]
    if not selecting:
        return True
    peers_key = "from" if direction == "ingress" else "to"
    for policy in selecting:
        for rule in policy["spec"].get(direction, []) or []:
            peers = rule.get(peers_key)
            if (not peers or any(_peer_matches(p, other) for p in peers)) and _port_matches(
                rule.get("ports"), target, port, protocol
            ):
                return True
    return False


def allowed(source: Peer, destination: Peer, port: int, protocol: str = "TCP") -> bool:
    """Would a connection from `source` to `destination:port` get through every policy in the way?"""
    return _direction_allows("egress", source, destination, destination, port, protocol) and _direction_allows(
        "ingress", destination, source, destination, port, protocol
    )


def workload_pod(name: str) -> Peer:
    kind = "StatefulSet" if name == "redis" else "Deployment"
    workload = resource(kind, name)
    spec = workload["spec"]["template"]["spec"]
    ports = {p["name"]: p["containerPort"] for c in spec["containers"] for p in c.get("ports", []) if "name" in p}
    return Peer(name, NAMESPACE, workload["spec"]["template"]["metadata"]["labels"], ports)


GATEWAY, INFERENCE, REDIS, NOTIFICATIONS = (
    workload_pod(name) for name in ("gateway", "inference", "redis", "notifications")
)
N8N = Peer("n8n", NAMESPACE, {"app.kubernetes.io/name": "n8n"}, {"http": 5678})
# deploy/k8s/redis-ha's pods, with the labels the operator copies from its resources.
REDIS_HA = Peer("a replicated Redis", NAMESPACE, {"app.kubernetes.io/name": "redis-ha", "role": "replication"})
SENTINEL = Peer("a sentinel", NAMESPACE, {"app.kubernetes.io/name": "redis-sentinel", "role": "sentinel"})
REDIS_OPERATOR = Peer("the redis operator", "ot-operators", {"name": "redis-operator"})
CONTROLLER = Peer("ingress controller", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})
PROMETHEUS = Peer("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"})
DNS = Peer("kube-dns", "kube-system", {"k8s-app": "kube-dns"})
STRAY_POD = Peer("a debug pod in the namespace", NAMESPACE, {"run": "debug"})
OTHER_NAMESPACE = Peer("another team's pod", "default", {"app.kubernetes.io/name": "ingress-nginx"})
SMS_PROVIDER = Peer("the SMS provider", ip="203.0.113.10")
POSTGRES = Peer("Postgres", ip="10.20.0.5")
CLOUD_METADATA = Peer("cloud metadata", ip="169.254.169.254")


ALLOWED = [
    (CONTROLLER, GATEWAY, 8000),
    (CONTROLLER, N8N, 5678),
    (N8N, GATEWAY, 8000),
    (GATEWAY, REDIS, 6379),
    (GATEWAY, INFERENCE, 50051),
    (GATEWAY, POSTGRES, 5432),
    (GATEWAY, SMS_PROVIDER, 443),
    (N8N, SMS_PROVIDER, 443),  # Meta's Graph API: an address outside the cluster, like this one
    (INFERENCE, SMS_PROVIDER, 443),  # the model download on first start
    (PROMETHEUS, GATEWAY, 8000),
    (PROMETHEUS, INFERENCE, 9464),
    (PROMETHEUS, NOTIFICATIONS, 9102),
    (NOTIFICATIONS, POSTGRES, 5432),
    (NOTIFICATIONS, SMS_PROVIDER, 443),  # Meta's Graph API
    (NOTIFICATIONS, N8N, 5678),  # NOTIFICATIONS_SENDER=n8n
    (GATEWAY, REDIS_HA, 6379),
    (GATEWAY, SENTINEL, 26379),
    (REDIS_HA, REDIS_HA, 6379),  # a replica follows the master
    (SENTINEL, REDIS_HA, 6379),
    (SENTINEL, SENTINEL, 26379),
    (REDIS_OPERATOR, REDIS_HA, 6379),
    (REDIS_OPERATOR, SENTINEL, 26379),
]
REFUSED = [
    (CONTROLLER, REDIS, 6379),
    (CONTROLLER, INFERENCE, 50051),
    (CONTROLLER, GATEWAY, 9999),
    (N8N, REDIS, 6379),
    (N8N, INFERENCE, 50051),
    (INFERENCE, REDIS, 6379),
    (INFERENCE, GATEWAY, 8000),
    (REDIS, SMS_PROVIDER, 443),
    (REDIS, GATEWAY, 8000),
    (STRAY_POD, REDIS, 6379),
    (STRAY_POD, GATEWAY, 8000),
    (STRAY_POD, INFERENCE, 50051),
    (OTHER_NAMESPACE, GATEWAY, 8000),  # the controller's labels, but not its namespace
    (GATEWAY, CLOUD_METADATA, 80),
    (GATEWAY, CLOUD_METADATA, 443),
    (GATEWAY, Peer("a service inside the cluster", ip="10.96.0.20"), 443),
    (GATEWAY, SMS_PROVIDER, 80),
    (PROMETHEUS, REDIS, 6379),
    (NOTIFICATIONS, REDIS, 6379),
    (NOTIFICATIONS, GATEWAY, 8000),
    (NOTIFICATIONS, INFERENCE, 50051),
    (NOTIFICATIONS, CLOUD_METADATA, 80),
    (NOTIFICATIONS, SMS_PROVIDER, 80),
    (CONTROLLER, NOTIFICATIONS, 9102),
    (STRAY_POD, NOTIFICATIONS, 9102),
    (GATEWAY, NOTIFICATIONS, 9102),
    (STRAY_POD, N8N, 5678),
    (STRAY_POD, REDIS_HA, 6379),
    (STRAY_POD, SENTINEL, 26379),
    (NOTIFICATIONS, REDIS_HA, 6379),
    (INFERENCE, SENTINEL, 26379),
    (REDIS_HA, SENTINEL, 26379),
    (SENTINEL, SMS_PROVIDER, 443),
    (REDIS_HA, SMS_PROVIDER, 443),
    (GATEWAY, SENTINEL, 6379),
    (REDIS_OPERATOR, REDIS, 6379),  # the single Redis is not the operator's
    (OTHER_NAMESPACE, REDIS_HA, 6379),
]


@pytest.mark.parametrize(("source", "destination", "port"), ALLOWED, ids=lambda x: getattr(x, "name", str(x)))
def test_the_paths_the_assistant_needs_are_open(source: Peer, destination: Peer, port: int) -> None:
    assert allowed(source, destination, port)


@pytest.mark.parametrize(("source", "destination", "port"), REFUSED, ids=lambda x: getattr(x, "name", str(x)))
def test_every_other_path_is_closed(source: Peer, destination: Peer, port: int) -> None:
    assert not allowed(source, destination, port)


@pytest.mark.parametrize(
    "pod", [GATEWAY, INFERENCE, REDIS, N8N, NOTIFICATIONS, STRAY_POD, REDIS_HA, SENTINEL], ids=lambda p: p.name
)
def test_every_pod_resolves_names_through_the_cluster_dns(pod: Peer) -> None:
    assert allowed(pod, DNS, 53, "UDP") and allowed(pod, DNS, 53, "TCP")
    assert not allowed(pod, Peer("a resolver on the Internet", ip="8.8.8.8"), 53, "UDP")


def test_the_namespace_denies_by_default_both_ways() -> None:
    default = [p for p in policies() if p["spec"]["podSelector"] == {}]
    assert any(set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} and not p["spec"].get("ingress") for p in default)


# --- Redis behind a password, the gateway in production mode ---------------------------------------


def _env(container: Mapping[str, Any]) -> dict[str, Any]:
    return {e["name"]: e for e in container.get("env", [])}


def test_redis_requires_the_password_of_its_secret_and_the_probe_uses_it() -> None:
    (container,) = resource("StatefulSet", "redis")["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    assert args[args.index("--requirepass") + 1] == "$(REDIS_PASSWORD)"
    env = _env(container)
    for name in ("REDIS_PASSWORD", "REDISCLI_AUTH"):
        assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "redis-auth", "key": "password"}
    probe = " ".join(container["readinessProbe"]["exec"]["command"])
    assert "redis-cli" in probe and "grep -q PONG" in probe  # a NOAUTH answer fails the probe


def test_the_gateway_reaches_redis_with_that_password_and_runs_in_production() -> None:
    (container,) = resource("Deployment", "gateway")["spec"]["template"]["spec"]["containers"]
    env = _env(container)
    assert env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "redis-auth", "key": "password"}
    assert env["REDIS_URL"]["value"] == "redis://:$(REDIS_PASSWORD)@redis:6379/0"
    names = list(env)
    assert names.index("REDIS_PASSWORD") < names.index("REDIS_URL")  # $(VAR) expands only earlier variables
    config = resource("ConfigMap", "clinic-config")["data"]
    assert config["APP_ENV"] == "production" and "REDIS_URL" not in config
    (template,) = [d for d in documents(K8S / "secrets.example.yaml") if d["metadata"]["name"] == "redis-auth"]
    assert template["stringData"] == {"password": "CHANGE-ME"}


def test_the_webhook_route_stays_out_of_the_controllers_access_log() -> None:
    ingresses = [r for r in all_resources() if r["kind"] == "Ingress"]
    for ingress in ingresses:
        paths = [p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
        if "/webhooks/whatsapp" in paths:
            assert paths == ["/webhooks/whatsapp"]
            assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/enable-access-log"] == "false"
        for path in paths:
            assert not path.startswith(("/docs", "/openapi", "/redoc", "/metrics")), path
    assert sum("/webhooks/whatsapp" in yaml.safe_dump(i) for i in ingresses) == 1
