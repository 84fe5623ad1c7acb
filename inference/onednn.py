"""On a CPU, the model's matrix products as oneDNN matmuls with weights packed once.

For inputs of more than one row, `torch.addmm` on a CPU repacks the weight matrix on every call:
GPT-2's LM head (vocabulary x hidden, 154 MB for the small model) then costs a decode step of
a few rows as much as all its layers. oneDNN keeps each weight in its blocked layout from load
time on, which is what Intel's extension for PyTorch and inductor's weight freezing do. On the
2-core bench machine: a decode step of 6 rows went from about 240 to 140 ms, of 32 rows from
480 to 290 ms, a 256-token prefill from 750 to 600 ms. Outputs agree with the dense model to
float rounding; the LM head stops sharing its matrix with the token embeddings (one more copy).
"""

import torch
from torch import nn
from transformers.pytorch_utils import Conv1D


class PrepackedLinear(nn.Module):
    """`y = x W^T + b` by oneDNN, with `W` and `b` kept in its layout (torch.utils.mkldnn's
    MkldnnLinear, without the TorchScript that module is deprecated with)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        super().__init__()
        self.out_features, self.in_features = weight.shape
        self.register_buffer("weight", weight.detach().float().contiguous().to_mkldnn())
        self.register_buffer("bias", bias.detach().float().contiguous().to_mkldnn())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = torch.ops.aten.mkldnn_linear(x.to_mkldnn(), self.weight, self.bias)
        return y.to_dense()


def can_prepack(model: nn.Module, device: torch.device) -> bool:
    """Whether `prepack_linear_layers` applies: fp32 weights on a CPU with oneDNN."""
    first = next(model.parameters(), None)
    return (
        device.type == "cpu"
        and torch.backends.mkldnn.is_available()  # type: ignore[no-untyped-call]
        and first is not None
        and first.dtype == torch.float32
    )


def prepack_linear_layers(model: nn.Module) -> int:
    """Swap every `nn.Linear` and GPT-2 `Conv1D` (a linear layer stored [in, out]) in `model`
    for a oneDNN linear holding its prepacked weights; returns how many were swapped."""
    swapped = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            packed = _prepacked(child)
            if packed is not None:
                setattr(parent, name, packed)
                swapped += 1
    if swapped:
        _copy_out_of_checkpoint(model)
    return swapped


def _copy_out_of_checkpoint(model: nn.Module) -> None:
    """Give the tensors that stay dense (embeddings, layer norms) their own memory. They may be views
    of the checkpoint file's memory map, which would keep the whole file mapped, and the conversion
    paged all of it in: about 320 MB of resident memory for the small model."""
    with torch.no_grad():
        for tensor in [*model.parameters(), *(b for b in model.buffers() if not b.is_mkldnn)]:
            tensor.data = tensor.data.clone()


def _prepacked(module: nn.Module) -> PrepackedLinear | None:
    if isinstance(module, nn.Linear):
        bias = module.bias if module.bias is not None else torch.zeros(module.out_features)
        return PrepackedLinear(module.weight, bias)
    if isinstance(module, Conv1D):
        return PrepackedLinear(module.weight.t(), module.bias)
    return None
