"""The tiny DialoGPT-format model, loaded once for the inference tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from inference.model import LoadedModel, load_model


@pytest.fixture(scope="session")
def loaded_tiny_model(tiny_model: Path) -> LoadedModel:
    """The session's tiny checkpoint through `load_model`, on CPU, cast to float64.

    float64 so that batch-shape-dependent float rounding cannot flip a near-tied argmax: the
    "same tokens alone and in a batch" tests check the algorithm (padding, positions, cache,
    per-request RNG), not luck with fp32 reduction order. Dense: prepacked layers stay fp32.
    """
    loaded = load_model(str(tiny_model), torch.device("cpu"), cpu_prepack=False)
    return dataclasses.replace(loaded, model=loaded.model.double())
