"""deploy/prometheus and deploy/grafana: alerts complete, runbooks present, and every metric they
use really exported by the gateway or inference code (or a standard exporter)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from inference.settings import InferenceSettings
from notifications.settings import NotificationSettings
from tests.deploy.harness import REPO

PROMETHEUS = REPO / "deploy" / "prometheus"
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "clinic-assistant.json"
OPERATIONS = REPO / "docs" / "OPERATIONS.md"

# The gateway metrics being added alongside this work (/metrics on the gateway port): name -> type.
# Declarations found in the code are added to these; where both exist, the types must agree.
GATEWAY_METRICS = {
    "chat_requests_total": "Counter",
    "response_time_seconds": "Histogram",
    "chat_actions_total": "Counter",
    "verification_outcomes_total": "Counter",
    "rate_limited_requests_total": "Counter",
    "response_cache_total": "Counter",
    "circuit_breaker_state": "Gauge",
    "inference_call_seconds": "Histogram",
}
# Not ours, but standard: Prometheus's own `up`, node_exporter for the hosts, CloudNativePG's collector.
STANDARD_METRICS = {
    "cnpg_collector_last_available_backup_timestamp",
    "up",
    "node_cpu_seconds_total",
    "node_memory_MemAvailable_bytes",
    "node_memory_MemTotal_bytes",
}
DECLARATION = re.compile(r"\b(Counter|Gauge|Histogram|Summary|Info|Enum)\(\s*[\"']([a-zA-Z_:][a-zA-Z0-9_:]*)[\"']")
PROMQL_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


def declared_in_code() -> dict[str, str]:
    """Metric name -> prometheus_client type, for every literal declaration under gateway/, inference/ and
    notifications/."""
    found: dict[str, str] = {}
    for package in ("gateway", "inference", "notifications"):
        for path in (REPO / package).rglob("*.py"):
            for kind, name in DECLARATION.findall(path.read_text(encoding="utf-8")):
                found[name] = kind
    return found


def series_names(name: str, kind: str) -> set[str]:
    """What prometheus_client exposes for one metric."""
    if kind == "Counter":
        base = name.removesuffix("_total")
        return {f"{base}_total", f"{base}_created"}
    if kind == "Histogram":
        return {f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"}
    if kind == "Summary":
        return {name, f"{name}_sum", f"{name}_count", f"{name}_created"}
    if kind == "Info":
        return {f"{name}_info"}
    return {name}


def backup_job_metrics() -> set[str]:
    """The metrics deploy/backup/pg-dump-daily.sh writes for node-exporter's textfile collector."""
    script = (REPO / "deploy" / "backup" / "pg-dump-daily.sh").read_text()
    return set(re.findall(r"# TYPE (\w+) gauge", script))


def exported_series() -> set[str]:
    declared = declared_in_code()
    for name, kind in GATEWAY_METRICS.items():
        if name in declared or name.removesuffix("_total") in declared:
            declared_kind = declared.get(name) or declared[name.removesuffix("_total")]
            assert declared_kind == kind, f"{name} is declared as a {declared_kind}, the alerts expect a {kind}"
    names: set[str] = set()
    for name, kind in {**GATEWAY_METRICS, **declared}.items():
        names |= series_names(name, kind)
    return names | STANDARD_METRICS | backup_job_metrics()


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # label values
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", text):
        if not match[2] and match[1].lower() not in PROMQL_KEYWORDS:  # `name(` is a function
            names.add(match[1])
    return names


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    """The dashboard's PromQL (its Loki panels' LogQL reads logs, not metrics)."""
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", []) if t["datasource"]["type"] != "loki"]


def github_anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_metric_names_reads_names_not_functions_labels_or_keywords() -> None:
    expr = 'sum by (le, endpoint) (rate(a_bucket{job="x", le="+Inf"}[5m])) / on(job) b_total > 3 and c'
    assert metric_names(expr) == {"a_bucket", "b_total", "c"}


def test_every_alert_has_expr_for_severity_summary_and_a_runbook_that_exists() -> None:
    anchors = {github_anchor(line.lstrip("#")) for line in OPERATIONS.read_text().splitlines() if line.startswith("#")}
    rules = alert_rules()
    assert len({r["alert"] for r in rules}) == len(rules)
    for rule in rules:
        assert rule["expr"].strip() and re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        page, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        assert page == "docs/OPERATIONS.md" and anchor in anchors, f"{rule['alert']}: no section #{anchor}"


def test_the_clinics_thresholds_are_alerted() -> None:
    exprs = {rule["alert"]: " ".join(rule["expr"].split()) for rule in alert_rules()}

    def alert_on(metric: str, threshold: str) -> bool:
        return any(metric in e and re.search(rf">\s*{re.escape(threshold)}(\s|$)", e) for e in exprs.values())

    assert alert_on("response_time_seconds_bucket", "3") and any("histogram_quantile(0.95" in e for e in exprs.values())
    assert alert_on("chat_requests_total", "0.01") and any('status=~"5.."' in e for e in exprs.values())
    assert alert_on("node_cpu_seconds_total", "0.8")
    assert alert_on("node_memory_MemAvailable_bytes", "0.9")
    assert any("inference_queue_length" in e and "deriv(" in e for e in exprs.values())
    assert {rule["for"] for rule in alert_rules() if "cpu" in rule["expr"] and "> 0.8" in rule["expr"]} == {"5m"}
    # Cautions a step below the alarms (issue 21), warnings only: latency over 2 s, CPU over 70 %, memory over 75 %.
    assert alert_on("response_time_seconds_bucket", "2")
    assert alert_on("node_cpu_seconds_total", "0.7")
    assert alert_on("node_memory_MemAvailable_bytes", "0.75")
    cautions = [rule for rule in alert_rules() if rule["alert"].endswith(("Caution", "Peak"))]
    assert len(cautions) == 3 and {rule["labels"]["severity"] for rule in cautions} == {"warning"}
    # A reminder that failed, a notification copy not working, none working at all (issue 17).
    assert any('notifications_sent_total{job="notifications", outcome="failed"}' in e for e in exprs.values())
    assert alert_on("notifications_sent_total", "0")
    assert any("notifications_worker_up" in e and 'up{job="notifications"}' in e for e in exprs.values())
    assert any("sum(notifications_worker_up" in e and "vector(0)" in e for e in exprs.values())


def test_alerts_and_dashboard_use_only_metrics_that_are_exported() -> None:
    exported = exported_series()
    for rule in alert_rules():
        unknown = metric_names(rule["expr"]) - exported
        assert not unknown, f"alert {rule['alert']} reads metrics nobody exports: {unknown}"
    for expr in dashboard_exprs():
        unknown = metric_names(expr) - exported
        assert not unknown, f"dashboard query reads metrics nobody exports: {unknown} in {expr}"


def test_dashboard_has_the_main_panels() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    used = set().union(*(metric_names(e) for e in dashboard_exprs()))
    for metric in ["chat_requests_total", "response_time_seconds_bucket", "inference_queue_length",
                   "inference_time_to_first_token_seconds_bucket", "circuit_breaker_state",
                   "response_cache_total", "rate_limited_requests_total", "verification_outcomes_total"]:  # fmt: skip
        assert metric in used, f"no panel shows {metric}"
    for panel in dashboard["panels"]:
        if panel["type"] not in {"row", "logs"}:
            assert panel["targets"] and panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_prometheus_scrapes_every_service_and_loads_the_alerts() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {"gateway", "inference", "node", "notifications"} <= set(jobs)
    assert jobs["gateway"]["dns_sd_configs"][0]["port"] == 8000  # every replica, not one of them
    metrics_port = InferenceSettings.model_fields["metrics_port"].default
    assert jobs["inference"]["static_configs"][0]["targets"] == [f"inference:{metrics_port}"]
    notifications_port = NotificationSettings.model_fields["notifications_port"].default
    assert jobs["notifications"]["dns_sd_configs"][0]["port"] == notifications_port  # every copy


@pytest.fixture
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed (`make deploy-tools` installs Debian's prometheus package)")
    return found


def test_promtool_accepts_the_rules_and_the_config(promtool: str) -> None:
    for args in (["check", "rules", "alerts.yml"], ["check", "config", "prometheus.yml"]):
        result = subprocess.run([promtool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


def test_each_alert_fires_over_its_threshold_and_not_under_it(promtool: str) -> None:
    unit_tests = yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text())["tests"]
    covered = {case["alertname"] for test in unit_tests for case in test["alert_rule_test"] if case.get("exp_alerts")}
    assert covered == {rule["alert"] for rule in alert_rules()}
    result = subprocess.run(
        [promtool, "test", "rules", "alerts.test.yml"], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_grafana_starts_with_the_prometheus_data_source_and_the_dashboard() -> None:
    provisioning = REPO / "deploy" / "grafana" / "provisioning"
    sources = yaml.safe_load((provisioning / "datasources" / "datasources.yml").read_text())["datasources"]
    assert [(s["type"], s["url"], s.get("isDefault", False)) for s in sources] == [
        ("prometheus", "http://prometheus:9090", True),
        ("loki", "http://loki:3100", False),
    ]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    assert "127.0.0.1:9090:9090" in compose["prometheus"]["ports"]
    grafana = compose["grafana"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"] if v.startswith("./")}
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "clinic-assistant.yml").read_text())["providers"]
    assert provider["type"] == "file" and provider["allowUiUpdates"] is False
    assert (REPO / mounts[provider["options"]["path"]]) == DASHBOARD.parent
    assert grafana["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    # The dashboard's data source variable resolves to the provisioned default.
    variables = json.loads(DASHBOARD.read_text())["templating"]["list"]
    assert {"name": "datasource", "type": "datasource", "query": "prometheus"}.items() <= variables[0].items()


def test_dashboard_shows_notifications_and_the_caution_thresholds() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    used = set().union(*(metric_names(e) for e in dashboard_exprs()))
    assert {"notifications_sent_total", "notifications_worker_up", "chat_actions_total"} <= used
    steps = {
        panel["title"]: [step["value"] for step in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]
        for panel in dashboard["panels"]
        if panel["type"] != "row" and "thresholds" in panel.get("fieldConfig", {}).get("defaults", {})
    }
    cpu = next(v for title, v in steps.items() if title.startswith("Host CPU"))
    memory = next(v for title, v in steps.items() if title.startswith("Host memory"))
    assert (cpu, memory) == ([None, 0.7, 0.8], [None, 0.75, 0.9])


def test_logs_reach_loki_labelled_by_service_and_level_only() -> None:
    vector = yaml.safe_load((REPO / "deploy" / "vector" / "vector.yaml").read_text())
    ids = set(vector["sources"]) | set(vector["transforms"])
    for part in [*vector["transforms"].values(), *vector["sinks"].values()]:
        assert set(part["inputs"]) <= ids  # every stage reads one that exists
    (sink,) = vector["sinks"].values()
    assert sink["type"] == "loki" and sink["encoding"]["codec"] == "text"  # the line itself, no Docker metadata
    # Labels are indexed and shown everywhere: only the compose service and the level, both from a fixed set.
    assert sink["labels"] == {"service": "{{ service }}", "level": "{{ level }}"}
    remap = vector["transforms"][sink["inputs"][0]]["source"]
    assert '. = {"message": .message, "timestamp": .timestamp, "service": service, "level": level}' in remap
    assert 'level = "other"' in remap  # a level outside the known ones is not a new label value
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    assert urlsplit(sink["endpoint"]).netloc == "loki:3100" and "3100" in compose["loki"]["expose"]
    loki = yaml.safe_load((REPO / "deploy" / "loki" / "loki.yaml").read_text())
    assert loki["server"]["http_listen_port"] == 3100 and loki["auth_enabled"] is False
    assert loki["compactor"]["retention_enabled"] is True and loki["limits_config"]["retention_period"] == "336h"
    assert any(v.endswith(":/loki") for v in compose["loki"]["volumes"])  # chunks survive a restart
    # The dashboard's logs panel asks for those labels.
    dashboard = json.loads(DASHBOARD.read_text())
    (logs,) = [p for p in dashboard["panels"] if p["type"] == "logs"]
    assert logs["datasource"]["uid"] == "loki"
    assert set(re.findall(r"(\w+)=~", logs["targets"][0]["expr"])) == {"service", "level"}
