"""`python -m gateway.serve`: WEB_CONCURRENCY workers, and one /metrics that adds them up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from gateway.metrics import forget_dead_workers
from gateway.serve import metrics_folder, workers
from tests.gateway.test_metrics import value
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.services import InferenceProcess, free_port, gateway_process_env, serving_process


def test_one_worker_keeps_its_metrics_in_memory() -> None:
    env: dict[str, str] = {}
    with metrics_folder(env):
        assert "PROMETHEUS_MULTIPROC_DIR" not in env


def test_several_workers_get_a_fresh_metrics_folder_for_as_long_as_they_run() -> None:
    env = {"WEB_CONCURRENCY": "2"}
    with metrics_folder(env):
        folder = Path(env["PROMETHEUS_MULTIPROC_DIR"])
        assert folder.is_dir() and not any(folder.iterdir())
    assert not folder.exists() and "PROMETHEUS_MULTIPROC_DIR" not in env


def test_a_configured_metrics_folder_is_emptied_so_a_restart_counts_from_zero(tmp_path: Path) -> None:
    (tmp_path / "counter_4242.db").write_bytes(b"last life")
    env = {"WEB_CONCURRENCY": "2", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_4242.db").write_bytes(b"last life")

    with metrics_folder(env):
        assert env["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "metrics")
        assert not any((tmp_path / "metrics").iterdir())


@pytest.mark.parametrize("given", ["0", "-1"])
def test_fewer_than_one_worker_is_refused(given: str) -> None:
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY"):
        workers({"WEB_CONCURRENCY": given})


def _scrape(folder: Path) -> str:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))  # type: ignore[no-untyped-call]
    return generate_latest(registry).decode()


def test_a_dead_workers_breakers_are_forgotten_and_its_counts_kept(tmp_path: Path) -> None:
    # A worker that counted a /chat answer and saw its inference breaker open, then died.
    script = (
        "from gateway.metrics import GatewayMetrics; m = GatewayMetrics(); "
        "m.chat_requests.labels('200').inc(); m.set_breaker('inference', 'open'); m.job_worker_up.set(0)"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=Path(__file__).parents[2])
    before = _scrape(tmp_path)
    assert value(before, 'circuit_breaker_state{name="inference"}') == 2
    assert value(before, "job_worker_up") == 0

    forget_dead_workers(tmp_path)

    after = _scrape(tmp_path)
    assert "circuit_breaker_state{" not in after and "job_worker_up " not in after
    assert value(after, 'chat_requests_total{status="200"}') == 1


def test_workers_started_by_web_concurrency_alone_add_up_on_one_metrics_page(
    database_url: str, redis_url: str, inference_server: InferenceProcess, sms: FakeSmsServer
) -> None:
    env = gateway_process_env(
        database_url,
        redis_url,
        inference_server.target,
        sms.url,
        WEB_CONCURRENCY="2",
    )
    port = free_port()
    command = [sys.executable, "-m", "gateway.serve", "--port", str(port)]
    with serving_process(command, env, port=port, what="gateway") as (url, process):
        for _ in range(20):
            # A new connection each time, so the kernel spreads them over both workers.
            assert httpx.get(f"{url}/ready", timeout=10).status_code == 200
        scrapes = [httpx.get(f"{url}/metrics", timeout=10).text for _ in range(4)]
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()

    assert len(children) >= 2  # two workers (and multiprocessing's resource tracker)
    for scrape in scrapes:  # whichever worker answered
        assert value(scrape, 'response_time_seconds_count{endpoint="/ready"}') == 20
        assert value(scrape, 'circuit_breaker_state{name="postgres"}') == 0
        assert value(scrape, "job_worker_up") == 1
