"""Loading the model onto a GPU: the server's way against accelerate's `device_map`, measured.

`python -m bench.gpu_load DIR [DIR ...]` loads each checkpoint in fresh processes, alternating:

- `server`: what `inference.model.load_model` does, `from_pretrained(dtype=float16)` on the CPU, then `.to(cuda)`;
- `device_map`: `from_pretrained(dtype=float16, device_map="cuda")`, accelerate placing each weight on the GPU as
  it is read (`low_cpu_mem_usage`).

Each process times the load alone (CUDA is initialised and the checkpoint's files read once before the clock
starts, so neither pays for the disk or the context) and reports its peak resident memory and the GPU memory
allocated. The table gives the median of the repeats. The server keeps its way unless `device_map` loads
faster or lighter.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

VARIANTS = ("server", "device_map")


def load_once(model_dir: Path, variant: str) -> dict[str, float]:
    """Load `model_dir` the `variant` way in this process; seconds, peak RSS MiB, GPU MiB allocated."""
    import torch
    from transformers import AutoModelForCausalLM

    torch.zeros(1, device="cuda")
    for path in model_dir.iterdir():
        if path.is_file():
            path.read_bytes()  # into the page cache for both variants alike
    started = time.perf_counter()
    if variant == "server":
        model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float16, attn_implementation="sdpa")
        model.to("cuda")  # type: ignore[arg-type]  # transformers' decorator hides the signature
    else:
        model = AutoModelForCausalLM.from_pretrained(
            str(model_dir), dtype=torch.float16, attn_implementation="sdpa", device_map="cuda"
        )
    model.eval()  # type: ignore[no-untyped-call]
    torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    assert {p.device.type for p in model.parameters()} == {"cuda"}
    return {
        "seconds": seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "gpu_mib": torch.cuda.max_memory_allocated() / 2**20,
    }


def measure(model_dir: Path, *, repeats: int) -> dict[str, list[dict[str, float]]]:
    """Each variant `repeats` times, alternating, each in a fresh process."""
    results: dict[str, list[dict[str, float]]] = {variant: [] for variant in VARIANTS}
    for _ in range(repeats):
        for variant in VARIANTS:
            child = subprocess.run(
                [sys.executable, "-m", "bench.gpu_load", "--child", variant, str(model_dir)],
                check=True,
                capture_output=True,
                text=True,
            )
            results[variant].append(json.loads(child.stdout.strip().splitlines()[-1]))
    return results


def table(measured: dict[Path, dict[str, list[dict[str, float]]]]) -> str:
    lines = [
        f"{'checkpoint':<28}  {'variant':<10}  {'load s':>7}  {'peak RSS MiB':>12}  {'GPU MiB':>8}  runs",
        f"{'-' * 28}  {'-' * 10}  {'-' * 7}  {'-' * 12}  {'-' * 8}  ----",
    ]
    for model_dir, results in measured.items():
        for variant, runs in results.items():
            seconds = statistics.median(r["seconds"] for r in runs)
            rss = statistics.median(r["peak_rss_mib"] for r in runs)
            gpu = statistics.median(r["gpu_mib"] for r in runs)
            lines.append(
                f"{model_dir.name:<28}  {variant:<10}  {seconds:>7.2f}  {rss:>12.0f}  {gpu:>8.0f}  {len(runs)}"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("model_dirs", type=Path, nargs="+")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(load_once(args.model_dirs[0], args.child)))
        return 0
    print(table({model_dir: measure(model_dir, repeats=args.repeats) for model_dir in args.model_dirs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
