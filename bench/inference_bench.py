"""`python -m bench.inference_bench`: the inference service against offline baselines.

One process, one model, one set of prompts: each request alone (sequential), one naive static
batch, the bound (prefill alone + decode all together), and the real server under a burst of N
concurrent clients, then under the same requests arriving open loop (Poisson, at a fraction of
the rate the burst achieved), then each prompt alone on it; then a small-queue server, saturated,
for how fast it refuses, and optionally the server's RSS over many requests. Prints a table and
the target checks, and writes them to bench/RESULTS.md.
"""

import argparse
import asyncio
import gc
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import transformers

from bench.checkpoint import ARCHS, ensure_checkpoint
from bench.inference_config import REPO_ROOT, SHORT_PROMPT_TOKENS, BenchConfig
from bench.inference_phases import Phases, measure_server
from bench.inference_report import ShortReference, render
from bench.offline import ModeResult, mean_of, run_bound, run_sequential, run_static, warm_up
from bench.peer import GENERATE_BATCH, TUNED_CB, paged_cache_for, run_generate_batch, run_tuned_cb
from bench.report import Check, Row, keep_notes, machine_lines, percentile, results_markdown
from bench.workload import make_workload, short_texts
from inference.model import load_model

# `BenchConfig` is part of this entry point's API: callers build one and pass it to `run_bench`.
__all__ = ["BenchConfig", "BenchReport", "main", "parse_args", "run_bench"]


@dataclass(frozen=True)
class BenchReport:
    rows: list[Row]
    checks: list[Check]
    text: str
    results_path: Path


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _shown_path(path: Path) -> Path:
    """Relative to the repository when inside it, so RESULTS.md names no machine's layout."""
    return path.resolve().relative_to(REPO_ROOT) if path.resolve().is_relative_to(REPO_ROOT) else path


def run_bench(config: BenchConfig, *, say: Callable[[str], None] = _say) -> BenchReport:
    """Run every mode, print nothing but progress, write `config.results_path`, return the report."""
    phases = Phases(say)
    if config.torch_threads is not None:
        torch.set_num_threads(config.torch_threads)
    device = torch.device(config.device)
    with phases("model"):
        built = ensure_checkpoint(config.model_dir, config.arch, seed=config.seed)
        say(f"bench: {'built' if built else 'reusing'} {config.model_dir}")
        loaded = load_model(str(config.model_dir), device)
    requests = make_workload(
        loaded.tokenizer,
        n=config.n,
        seed=config.seed,
        context_length=loaded.context_length,
        prompt_tokens=config.prompt_tokens,
        output_tokens=config.output_tokens,
    )
    texts = short_texts(loaded.tokenizer, count=16, tokens=SHORT_PROMPT_TOKENS, seed=config.seed)
    modes: dict[str, ModeResult] = {}
    with phases("warm-up"):
        warm_up(loaded, requests)
    peer_outputs: dict[str, list[list[int]]] = {}
    # First: its default cache takes most of the machine's free memory; the modes after it start from a machine
    # that has it back, as the server's phases do.
    with phases(GENERATE_BATCH):
        modes[GENERATE_BATCH], peer_outputs[GENERATE_BATCH] = run_generate_batch(
            config.model_dir,
            device,
            requests,
            eos_token_id=loaded.eos_token_id,
            cache=None if config.generate_batch_defaults else paged_cache_for(requests),
        )
    gc.collect()
    with phases("sequential"):
        modes["sequential"], outputs = run_sequential(loaded, requests)
    with phases("static"):
        modes["static"] = run_static(loaded, requests)
    with phases(TUNED_CB):
        modes[TUNED_CB], peer_outputs[TUNED_CB] = run_tuned_cb(
            config.model_dir, device, requests, eos_token_id=loaded.eos_token_id
        )
    with phases("bound"):
        bounds = [run_bound(loaded, requests)]
    shortest = config.output_tokens[0]
    with phases(f"{shortest}-token reference"):
        short_reference = ShortReference(
            run_bound(loaded, [r for r in requests if r.max_new_tokens == shortest]),
            percentile(
                [
                    latency
                    for r, latency in zip(requests, modes["sequential"].latencies_s, strict=True)
                    if r.max_new_tokens == shortest
                ],
                99,
            ),
        )
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()

    def bound_again() -> None:
        bounds.append(run_bound(loaded, requests))

    # The bound is timed on both sides of the burst: on a shared machine, speed drifts between phases.
    server = asyncio.run(measure_server(config, requests, texts, phases, after_burst=bound_again))
    modes["bound"] = mean_of(bounds, when="before the server's burst and right after it")
    rows, checks, text = render(
        config,
        loaded=loaded,
        requests=requests,
        modes=modes,
        outputs=outputs,
        peer_outputs=peer_outputs,
        server=server,
        short_reference=short_reference,
        phases=phases,
    )
    machine = machine_lines(config.device)
    setup = [
        f"model: `{_shown_path(config.model_dir)}` (GPT-2, n_layer {config.arch.n_layer}, n_head {config.arch.n_head}, "
        f"n_embd {config.arch.n_embd}, seed {config.seed}, random weights)",
        "useful output tokens: what each request got up to its own target (tokens past it, as in the static "
        "batch, are waste); tokens/s = useful tokens / wall time of the mode",
        "sequential: each request alone (KV cache, EOS masked as with min_new_tokens); static: one HF generate, "
        "left padded, up to the largest target, every answer returned at its end (TTFT = latency); "
        f"{GENERATE_BATCH}: transformers {transformers.__version__}'s (pinned in pyproject.toml: these peers' API is "
        "5.x only) `model.generate_batch(prompts, generation_config=...)` as documented, greedy, one "
        "max_new_tokens (the largest target) for all, "
        + ("its other settings left to transformers" if config.generate_batch_defaults else "its cache sized")
        + ", the call's wall time; "
        f"{TUNED_CB}: the engine `generate_batch` runs on (`continuous_batching_context_manager`) as someone tuning "
        "it for this workload would: each request with its own length, every request at once, a paged cache that "
        "holds the workload and no more; both on the model loaded plainly (SDPA, no oneDNN prepack); bound: each "
        "prompt prefilled alone (sum) + all rows decoded together for the mean output length (merge not timed), "
        "timed before the server's burst and again right after it, the mean; "
        "server burst: N gRPC clients at once; server Poisson: the same requests sent open loop at a fraction of "
        "the burst's requests/s (its tok/s is the arrival rate's, not a capacity)",
    ]
    config.results_path.parent.mkdir(parents=True, exist_ok=True)
    previous = config.results_path.read_text(encoding="utf-8") if config.results_path.is_file() else None
    generated = results_markdown(
        title="Inference service benchmark", command=config.command, machine=machine, setup=setup, output=text
    )
    config.results_path.write_text(keep_notes(generated, previous), encoding="utf-8")
    return BenchReport(rows, checks, "\n".join([*machine, "", text]), config.results_path)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--arch", choices=sorted(ARCHS), default="small")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--n", type=int, default=32, help="concurrent requests")
    parser.add_argument("--seed", type=int, default=0, help="model weights and workload")
    parser.add_argument(
        "--load-fraction",
        type=float,
        default=BenchConfig.load_fraction,
        help="open-loop arrival rate, as a fraction of the requests/s the burst achieved",
    )
    parser.add_argument("--load-requests", type=int, default=None, help="open-loop requests (default: --n)")
    parser.add_argument("--memory-requests", type=int, default=0, help="RSS run length (0: skip)")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        help="intra-op threads here and in the servers (default: INFERENCE_TORCH_THREADS, else torch's)",
    )
    parser.add_argument("--model-dir", type=Path, default=None, help="default .cache/bench/dialogpt-<arch>-random")
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "bench" / "RESULTS.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    threads = args.torch_threads
    if threads is None and os.environ.get("INFERENCE_TORCH_THREADS"):
        threads = int(os.environ["INFERENCE_TORCH_THREADS"])
    config = BenchConfig(
        model_dir=args.model_dir or REPO_ROOT / ".cache" / "bench" / f"dialogpt-{args.arch}-random",
        results_path=args.results,
        arch_name=args.arch,
        arch=ARCHS[args.arch],
        device=args.device,
        n=args.n,
        seed=args.seed,
        torch_threads=threads,
        load_fraction=args.load_fraction,
        load_requests=args.load_requests,
        memory_requests=args.memory_requests,
        command=shlex.join(["python", "-m", "bench.inference_bench", *(sys.argv[1:] if argv is None else argv)]),
    )
    report = run_bench(config)
    print(report.text)
    print(f"\nwritten to {report.results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
