"""deploy/k8s/redis-ha: the redis-operator's resources against its own CRD schemas (0.26.0, vendored, unknown
fields refused), and what the clinic needs of them: three Redis on three nodes behind three sentinels that agree
by two, the password of the single Redis, pods the network policies know (tests/deploy/test_k8s_security.py
checks the paths), and the names the gateway is told to ask for."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.deploy.harness import REPO
from tests.support.k8s_schemas import problems

REDIS_HA = REPO / "deploy" / "k8s" / "redis-ha"


def documents() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((REDIS_HA / "redis.yaml").read_text()) if doc]


def one(kind: str) -> dict[str, Any]:
    (found,) = [doc for doc in documents() if doc["kind"] == kind]
    return found


@pytest.mark.parametrize("kind", ["RedisReplication", "RedisSentinel", "ConfigMap"])
def test_every_resource_is_valid_for_the_operator_or_for_kubernetes(kind: str) -> None:
    assert not problems(one(kind))


def test_three_redis_on_three_nodes_behind_three_sentinels_agreeing_by_two() -> None:
    replication, sentinel = one("RedisReplication"), one("RedisSentinel")
    assert replication["spec"]["clusterSize"] == 3 and sentinel["spec"]["clusterSize"] == 3
    config = sentinel["spec"]["redisSentinelConfig"]
    assert config["redisReplicationName"] == replication["metadata"]["name"] and config["quorum"] == "2"
    for resource in (replication, sentinel):
        (term,) = resource["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert term["topologyKey"] == "kubernetes.io/hostname"
        assert term["labelSelector"]["matchLabels"] == {
            "app.kubernetes.io/name": resource["metadata"]["labels"]["app.kubernetes.io/name"]
        }
        assert resource["spec"]["pdb"] == {"enabled": True, "minAvailable": 2}


def test_the_password_and_the_limits_are_the_single_redis_ones() -> None:
    replication, sentinel = one("RedisReplication"), one("RedisSentinel")
    password = {"name": "redis-auth", "key": "password"}
    assert replication["spec"]["kubernetesConfig"]["redisSecret"] == password
    assert sentinel["spec"]["redisSentinelConfig"]["redisReplicationPassword"]["secretKeyRef"] == password
    settings = one("ConfigMap")["data"]["redis-additional.conf"].split("\n")
    assert {"appendonly yes", "maxmemory-policy noeviction"} <= set(settings)
    assert replication["spec"]["redisConfig"]["additionalRedisConfig"] == one("ConfigMap")["metadata"]["name"]


def test_the_pods_carry_the_labels_the_network_policies_select() -> None:
    policies = {
        doc["metadata"]["name"]: doc
        for doc in yaml.safe_load_all((REPO / "deploy" / "k8s" / "networkpolicy.yaml").read_text())
        if doc and doc["kind"] == "NetworkPolicy"
    }
    for resource, policy in [(one("RedisReplication"), "redis-ha"), (one("RedisSentinel"), "redis-sentinel")]:
        # The operator copies a resource's labels onto its pods.
        selected = policies[policy]["spec"]["podSelector"]["matchLabels"]
        assert selected.items() <= resource["metadata"]["labels"].items()


def test_the_gateway_is_told_the_sentinels_service_and_the_master_group() -> None:
    readme = (REDIS_HA / "README.md").read_text()
    sentinel = one("RedisSentinel")
    assert f'REDIS_SENTINELS: "{sentinel["metadata"]["name"]}-sentinel:26379"' in readme  # the operator's service
    assert f'REDIS_SENTINEL_MASTER: "{sentinel["spec"]["redisSentinelConfig"]["masterGroupName"]}"' in readme
    listed = yaml.safe_load((REDIS_HA / "kustomization.yaml").read_text())["resources"]
    assert listed == [p.name for p in sorted(REDIS_HA.glob("*.yaml")) if p.name != "kustomization.yaml"]


def test_a_field_the_operator_does_not_know_is_refused() -> None:
    replication = one("RedisReplication")
    replication["spec"]["clustersize"] = replication["spec"].pop("clusterSize")
    assert "spec: Additional properties are not allowed ('clustersize' was unexpected)" in problems(replication)
