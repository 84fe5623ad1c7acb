"""What one run of `python -m bench.inference_bench` depends on."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bench.checkpoint import ARCHS, Arch

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
SHORT_PROMPT_TOKENS: Final = 10


@dataclass(frozen=True)
class BenchConfig:
    """Everything a run depends on; the defaults are `make bench-inference`'s."""

    model_dir: Path
    results_path: Path
    arch_name: str = "small"
    arch: Arch = ARCHS["small"]
    device: str = "cpu"
    n: int = 32
    seed: int = 0
    prompt_tokens: tuple[int, int] = (10, 300)
    output_tokens: tuple[int, int] = (8, 64)
    torch_threads: int | None = None
    # transformers' generate_batch with its own settings (False: its cache sized from the workload, as the tuned
    # peer's; the tests' tiny model would otherwise get a cache as big as the machine's free memory).
    generate_batch_defaults: bool = True
    # Extra environment for every server this run starts (after the user's and the bench's own).
    server_env: Mapping[str, str] = field(default_factory=dict)
    # The open-loop phase: Poisson arrivals at this fraction of the requests/s the burst achieved,
    # `load_requests` of them (default n, the same prompts).
    load_fraction: float = 0.5
    load_requests: int | None = None
    overload_batch_size: int = 2
    overload_queue: int = 4
    overload_burst: int = 32
    overload_new_tokens: int = 16
    refusal_probes: int = 100
    hold_new_tokens: int = 250
    memory_requests: int = 0
    memory_every: int = 1000
    memory_concurrency: int = 16
    memory_new_tokens: int = 2
    log_dir: Path = REPO_ROOT / ".cache" / "bench" / "logs"
    command: str = "python -m bench.inference_bench"
