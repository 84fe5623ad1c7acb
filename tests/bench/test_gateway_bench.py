"""`bench.gateway_bench` for a moment on a tiny load: every configuration, kind of turn and target is reported."""

from __future__ import annotations

from pathlib import Path

from bench.gateway_bench import SCRIPT, BenchConfig, run_bench
from bench.report import NOTES_MARKER
from tests.support.services import LOCAL_POSTGRES, LOCAL_REDIS, postgres_answers, redis_answers


def test_the_harness_measures_the_gateway_and_the_minimal_app_and_writes_every_row(tmp_path: Path) -> None:
    assert postgres_answers(LOCAL_POSTGRES) and redis_answers(LOCAL_REDIS)
    results = tmp_path / "GATEWAY.md"
    results.write_text(f"# an older run\n\n{NOTES_MARKER}\n\nwhy the numbers moved\n", encoding="utf-8")
    config = BenchConfig(
        seconds=1.0,
        warmup=0.5,
        think=0.2,
        loads=(3,),
        saturation_patients=2,
        saturation_windows=2,
        workers=(1,),
        accounting_passes=1,
        results_path=results,
        log_dir=tmp_path / "logs",
    )

    report = run_bench(config, say=lambda _: None)

    assert [c.name for c in report.configurations] == ["gateway, 1 worker", "minimal app, 1 worker"]
    for configuration in report.configurations:
        for phase in (configuration.saturation, *configuration.loads.values()):
            assert phase.turns > 0 and phase.errors == 0, (configuration.name, phase.statuses)
            assert phase.cpu_seconds > 0
    gateway, minimal = report.configurations
    assert gateway.saturation.redis_commands > 0 and minimal.saturation.redis_commands == 0
    costs = {cost.kind: cost for cost in report.costs}
    assert list(costs) == [kind for kind, _ in SCRIPT] + ["minimal /chat"]
    assert all(cost.round_trips > 0 and cost.statements > 0 for cost in report.costs)
    # The minimal app's SELECT and INSERT, and asyncpg's reset of the connection as its pool takes it back.
    assert costs["minimal /chat"].statements == 3 and costs["minimal /chat"].redis_commands == 0
    # The rate limits' one script call at least; the minimal app has no Redis.
    assert costs["greeting"].redis_calls >= 1 and costs["minimal /chat"].redis_calls == 0
    assert [check.name for check in report.checks] == [
        "CPU ms per template turn, 1 worker",
        f"PG round trips, worst template turn ({max(report.costs[:4], key=lambda c: c.round_trips).kind})",
        "sat. req/s per worker / minimal app's, 1 worker(s)",
        "minimal app CPU ms/request, 1 worker(s)",
    ]
    markdown = results.read_text(encoding="utf-8")
    for expected in (
        "## Machine",
        "CPU: ",
        "PostgreSQL ",
        "Redis ",
        "gateway, 1 worker",
        "minimal app, 1 worker",
        "sat. req/s",
        "p99 ms @3",
        "gateway / minimal app",
        "PG round trips",
        "Redis round trips",
        "small talk",
    ):
        assert expected in markdown
    assert markdown.endswith(f"{NOTES_MARKER}\n\nwhy the numbers moved\n")
