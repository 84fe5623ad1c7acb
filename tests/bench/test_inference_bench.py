"""`bench.inference_bench` end to end on a tiny random model: every mode runs and is reported."""

from __future__ import annotations

from pathlib import Path

from bench.checkpoint import Arch
from bench.inference_bench import BenchConfig, run_bench


def test_bench_runs_every_mode_and_writes_its_results(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    config = BenchConfig(
        model_dir=tmp_path / "model",
        results_path=results,
        arch_name="tiny",
        arch=Arch(n_layer=1, n_head=2, n_embd=32),
        n=4,
        prompt_tokens=(10, 40),
        output_tokens=(8, 12),
        torch_threads=1,
        server_env={},
        overload_burst=8,
        overload_new_tokens=4,
        memory_requests=8,
        memory_every=4,
        memory_concurrency=4,
        log_dir=tmp_path / "logs",
    )

    report = run_bench(config, say=lambda _: None)

    assert [row.name for row in report.rows] == ["sequential", "static", "bound", "server"]
    assert all(row.useful_tokens > 0 and row.tokens_per_s > 0 for row in report.rows)
    assert len(report.checks) == 5
    markdown = results.read_text(encoding="utf-8")
    for expected in ("## Machine", "CPU: ", "torch ", "device: cpu", "useful tok/s", "server/bound", "RSS MiB"):
        assert expected in markdown
    for mode in ("sequential", "static", "bound", "server"):
        assert f"\n{mode} " in markdown
