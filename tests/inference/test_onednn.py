"""The oneDNN path on a CPU: the same model, the same greedy tokens, its layers swapped."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest
import torch
from transformers.pytorch_utils import Conv1D

from inference.model import load_model
from inference.onednn import PrepackedLinear, can_prepack, prepack_linear_layers

pytestmark = pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="this torch has no oneDNN")


def test_every_linear_layer_is_swapped_and_computes_the_same(tiny_model: Path) -> None:
    dense = load_model(str(tiny_model), torch.device("cpu"), cpu_prepack=False)
    packed = load_model(str(tiny_model), torch.device("cpu"))
    layers = dense.model.config.n_layer
    # Four projections per block (attention in and out, MLP in and out) and the LM head.
    assert packed.prepacked_layers == 4 * layers + 1
    assert not any(isinstance(m, Conv1D | torch.nn.Linear) for m in packed.model.modules())
    assert sum(isinstance(m, PrepackedLinear) for m in packed.model.modules()) == packed.prepacked_layers
    assert dense.prepacked_layers == 0
    assert packed.parameter_count == dense.parameter_count == sum(p.numel() for p in dense.model.parameters())

    ids = torch.tensor([[5, 17, 42, 8, 99, 3, 64, 12]])
    with torch.inference_mode():
        expected = dense.model(input_ids=ids).logits
        got = packed.model(input_ids=ids).logits
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_greedy_generation_is_unchanged(tiny_model: Path) -> None:
    dense = load_model(str(tiny_model), torch.device("cpu"), cpu_prepack=False)
    packed = load_model(str(tiny_model), torch.device("cpu"))
    prompt = dense.tokenizer("hola, quiero una cita con el cardiólogo", return_tensors="pt").input_ids
    with torch.inference_mode():
        runs = [
            loaded.model.generate(  # type: ignore[operator]
                input_ids=prompt, max_new_tokens=12, do_sample=False, pad_token_id=loaded.eos_token_id
            )
            for loaded in (dense, packed)
        ]
    assert runs[0].tolist() == runs[1].tolist()


def test_a_linear_without_bias() -> None:
    linear = torch.nn.Linear(6, 4, bias=False)
    model = torch.nn.Sequential(linear)
    x = torch.randn(3, 6)
    expected = linear(x).detach()
    assert prepack_linear_layers(model) == 1
    with torch.inference_mode():
        torch.testing.assert_close(model(x), expected, rtol=1e-5, atol=1e-5)


def test_only_fp32_models_on_a_cpu_are_prepacked() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(4, 4))
    assert can_prepack(model, torch.device("cpu"))
    assert not can_prepack(model, torch.device("cuda"))
    assert not can_prepack(model.double(), torch.device("cpu"))
    assert not can_prepack(torch.nn.Sequential(), torch.device("cpu"))


def test_a_conv1d_keeps_its_orientation() -> None:
    conv = Conv1D(3, 5)  # 5 inputs, 3 outputs, stored [in, out]
    torch.nn.init.normal_(conv.weight)
    torch.nn.init.normal_(conv.bias)
    model = torch.nn.Sequential(conv)
    x = torch.randn(2, 4, 5)
    expected = conv(x)
    assert prepack_linear_layers(model) == 1
    with torch.inference_mode():
        torch.testing.assert_close(model(x), expected.detach(), rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc/self/maps")
def test_the_checkpoint_file_is_not_kept_mapped(tiny_model: Path, tmp_path: Path) -> None:
    """The conversion reads every weight; a tensor left as a view of the file's memory map would keep
    all of its pages resident."""
    checkpoint = tmp_path / "checkpoint"
    shutil.copytree(tiny_model, checkpoint)
    loaded = load_model(str(checkpoint), torch.device("cpu"))
    gc.collect()
    assert loaded.prepacked_layers > 0
    assert str(checkpoint) not in Path("/proc/self/maps").read_text()
