"""A preallocated KV cache with one slot per running sequence.

Every row starts at column 0: row i's tokens sit in columns [0, length_i), and a decode step
writes each row's new key and value at its own column `length_i`, in place, so nothing is
concatenated, reallocated or shifted per step (transformers' DynamicCache copies the whole
cache every step). The model attends over the first `width` columns (the longest row + 1) and
the attention mask hides each shorter row's unused tail. Rows join by copying their prefilled
keys into a free slot and leave by moving the last row into their slot, so the model always
runs on a dense [rows, ...] view.
"""

from typing import Any

import torch
from transformers.cache_utils import Cache, CacheLayerMixin


class StepShape:
    """What the next decode step looks like, set by the engine and read by every layer."""

    def __init__(self, slots: int, device: torch.device) -> None:
        self.rows = 0
        self.width = 1  # columns attended: the longest row's length + 1
        self.row_index = torch.arange(slots, device=device)
        self.write_columns = torch.zeros(0, dtype=torch.long, device=device)  # each row's length


class SlotLayer(CacheLayerMixin):  # type: ignore[no-untyped-call]  # transformers is untyped here
    """One transformer layer's keys and values for every slot."""

    def __init__(self, step: StepShape, capacity: int, keys: torch.Tensor, values: torch.Tensor) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._step = step
        self._capacity = capacity
        self.buffer_keys = keys
        self.buffer_values = values
        self.is_initialized = True

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        """Buffers are allocated up front; nothing to do."""

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        step = self._step
        if key_states.shape[-2] != 1:
            raise ValueError("the slot cache takes one new token per row (prompts are prefilled elsewhere)")
        rows, columns = step.row_index[: step.rows], step.write_columns
        self.buffer_keys[rows, :, columns] = key_states[:, :, 0]
        self.buffer_values[rows, :, columns] = value_states[:, :, 0]
        return self.buffer_keys[: step.rows, :, : step.width], self.buffer_values[: step.rows, :, : step.width]

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self._step.width, 0

    def get_seq_length(self) -> int:
        return self._step.width - 1

    def get_max_length(self) -> int:
        return self._capacity


class SlotCache(Cache):
    """Keys and values of up to `slots` sequences, `capacity` columns each, for every layer.

    Before each decode step the engine sets `step`: the rows, where each row's new token goes
    (its length) and how many columns the step attends to.
    """

    def __init__(
        self,
        *,
        layers: int,
        slots: int,
        heads: int,
        head_dim: int,
        capacity: int,
        dtype: torch.dtype,
        device: torch.device,
    ) -> None:
        shape = (slots, heads, capacity, head_dim)
        self.slots = slots
        self.capacity = capacity
        self.step = StepShape(slots, device)
        super().__init__(
            layers=[
                SlotLayer(
                    self.step,
                    capacity,
                    torch.zeros(shape, dtype=dtype, device=device),
                    torch.zeros(shape, dtype=dtype, device=device),
                )
                for _ in range(layers)
            ]
        )

    def _slot_layers(self) -> list[SlotLayer]:
        return [layer for layer in self.layers if isinstance(layer, SlotLayer)]

    def place(self, slot: int, prefilled: Cache, *, length: int, offset: int = 0) -> None:
        """Copy `length` prefilled columns starting at `offset` (one row's prompt) into `slot`."""
        if length > self.capacity:
            raise ValueError(f"{length} tokens do not fit {self.capacity} columns")
        for layer, source in zip(self._slot_layers(), prefilled.layers, strict=True):
            assert isinstance(source, CacheLayerMixin) and source.keys is not None and source.values is not None
            layer.buffer_keys[slot, :, :length] = source.keys[0, :, offset : offset + length]
            layer.buffer_values[slot, :, :length] = source.values[0, :, offset : offset + length]

    def move(self, source: int, target: int, length: int) -> None:
        """Copy the first `length` columns of slot `source` into slot `target`."""
        for layer in self._slot_layers():
            layer.buffer_keys[target, :, :length] = layer.buffer_keys[source, :, :length]
            layer.buffer_values[target, :, :length] = layer.buffer_values[source, :, :length]
