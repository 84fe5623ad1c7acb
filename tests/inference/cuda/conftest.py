"""The CUDA path, on a GPU only: skipped wherever torch sees none (CI included).

This folder needs nothing above it (no Postgres, no Redis, no gateway), so on a GPU machine it runs alone:
`python -m pytest --confcutdir=tests/inference/cuda tests/inference/cuda` (bench/gpu_check.sh does).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from inference.model import LoadedModel, load_model


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA device")
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def gpu_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tests' tiny DialoGPT-format checkpoint, built here (seconds, deterministic)."""
    from tools.training.offline_model import build_checkpoint

    return build_checkpoint(tmp_path_factory.mktemp("model") / "tiny", preset="tiny", seed=0)


@pytest.fixture(scope="session")
def half_model(gpu_checkpoint: Path) -> LoadedModel:
    """The checkpoint as the server loads it on a GPU (fp16)."""
    return load_model(str(gpu_checkpoint), torch.device("cuda"))


@pytest.fixture(scope="session")
def exact_model(gpu_checkpoint: Path) -> LoadedModel:
    """The same on the GPU in float64: batch-shape-dependent rounding cannot flip a near-tied argmax, so
    "the same tokens alone and in a batch" checks the CUDA path's indexing, masks and copies, not luck."""
    loaded = load_model(str(gpu_checkpoint), torch.device("cuda"))
    return dataclasses.replace(loaded, model=loaded.model.double())
