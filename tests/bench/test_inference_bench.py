"""`bench.inference_bench` end to end on a tiny random model: every mode runs and is reported."""

from __future__ import annotations

from pathlib import Path

from bench.checkpoint import Arch
from bench.inference_bench import BenchConfig, run_bench
from bench.inference_report import BURST, OPEN_LOOP
from bench.peer import GENERATE_BATCH, PEERS, TUNED_CB
from bench.report import NOTES_MARKER


def test_bench_runs_every_mode_and_writes_its_results(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(f"# an older run\n\n{NOTES_MARKER}\n\nwhy the numbers moved\n", encoding="utf-8")
    config = BenchConfig(
        model_dir=tmp_path / "model",
        results_path=results,
        arch_name="tiny",
        arch=Arch(n_layer=1, n_head=2, n_embd=32),
        n=4,
        prompt_tokens=(10, 40),
        output_tokens=(8, 12),
        torch_threads=1,
        generate_batch_defaults=False,
        server_env={},
        load_requests=6,
        overload_burst=8,
        overload_new_tokens=4,
        refusal_probes=4,
        memory_requests=8,
        memory_every=4,
        memory_concurrency=4,
        log_dir=tmp_path / "logs",
    )

    report = run_bench(config, say=lambda _: None)

    assert [row.name for row in report.rows] == ["sequential", "static", *PEERS, "bound", BURST, OPEN_LOOP]
    assert all(row.useful_tokens > 0 and row.tokens_per_s > 0 for row in report.rows)
    names = [check.name for check in report.checks]
    assert any(name.startswith("p99 TTFT open loop") for name in names)
    assert any(name.startswith("refusal p99 ms, one at a time") for name in names)
    # The burst's TTFT and refusal figures, the short requests' reference and (on a CPU) the GPU
    # target are shown next to the targets, not judged.
    assert {check.name for check in report.checks if check.target == "info"} == {
        name for name in names if "burst of" in name or "reference" in name or "GPU" in name or TUNED_CB in name
    }
    assert len([check for check in report.checks if check.target == "info"]) == 5
    markdown = results.read_text(encoding="utf-8")
    for expected in (
        f"{BURST}: 0 failed requests",
        f"{OPEN_LOOP}: 0 failed requests",
        "## Machine",
        "CPU: ",
        "torch ",
        "device: cpu",
        "useful tok/s",
        "burst/bound",
        "mean of 2 runs, before the server's burst and right after it",
        "Poisson arrivals",
        "one at a time while saturated",
        "invalid requests one at a time on the idle server",
        "the same burst refused at validation",
        "RSS MiB",
        "8-token reference, in process: the ",
        "burst tok/s / sequential (target on a GPU only)",
        f"burst tok/s / {GENERATE_BATCH}",
        f"burst tok/s / {TUNED_CB}",
        f"{GENERATE_BATCH}: one call, greedy, max_new_tokens 12 for every prompt",
        f"{TUNED_CB}: every request added at once with its own max_new_tokens",
        "greedy ids equal to sequential's for ",
    ):
        assert expected in markdown
    assert "an older run" not in markdown
    assert markdown.endswith(f"{NOTES_MARKER}\n\nwhy the numbers moved\n")
    for mode in ("sequential", "static", *PEERS, "bound", BURST, OPEN_LOOP):
        assert f"\n{mode} " in markdown
