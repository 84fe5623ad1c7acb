"""A preallocated KV cache with one slot per running sequence.

Rows are left-padded to a shared write column: row i's tokens sit in columns
[write_at - length_i, write_at). A decode step writes every row's new key and
value at `write_at` in place, so nothing is concatenated or reallocated per
step (transformers' DynamicCache copies the whole cache every step). Rows join
by copying their prefilled keys into a free slot and leave by moving the last
row into their slot, so the model always runs on a dense [rows, ...] view.
"""

from typing import Any

import torch
from transformers.cache_utils import Cache, CacheLayerMixin


class SlotLayer(CacheLayerMixin):  # type: ignore[no-untyped-call]  # transformers is untyped here
    """One transformer layer's keys and values for every slot."""

    def __init__(self, cache: "SlotCache", keys: torch.Tensor, values: torch.Tensor) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._cache = cache
        self.buffer_keys = keys
        self.buffer_values = values
        self.is_initialized = True

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        """Buffers are allocated up front; nothing to do."""

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        rows, start = self._cache.rows, self._cache.write_at
        end = start + key_states.shape[-2]
        self.buffer_keys[:rows, :, start:end] = key_states
        self.buffer_values[:rows, :, start:end] = value_states
        return self.buffer_keys[:rows, :, :end], self.buffer_values[:rows, :, :end]

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self._cache.write_at + query_length, 0

    def get_seq_length(self) -> int:
        return self._cache.write_at

    def get_max_length(self) -> int:
        return self._cache.capacity


class SlotCache(Cache):
    """Keys and values of up to `slots` sequences, `capacity` columns each, for every layer."""

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
        self.rows = 0
        self.write_at = 0
        super().__init__(
            layers=[
                SlotLayer(
                    self, torch.zeros(shape, dtype=dtype, device=device), torch.zeros(shape, dtype=dtype, device=device)
                )
                for _ in range(layers)
            ]
        )

    def _slot_layers(self) -> list[SlotLayer]:
        return [layer for layer in self.layers if isinstance(layer, SlotLayer)]

    def place(self, slot: int, prefilled: Cache, length: int) -> None:
        """Copy a single-row prefill cache of `length` tokens into `slot`, ending at `write_at`."""
        start = self.write_at - length
        for layer, source in zip(self._slot_layers(), prefilled.layers, strict=True):
            assert isinstance(source, CacheLayerMixin) and source.keys is not None and source.values is not None
            layer.buffer_keys[slot, :, start : self.write_at] = source.keys[0, :, -length:]
            layer.buffer_values[slot, :, start : self.write_at] = source.values[0, :, -length:]

    def move(self, source: int, target: int, length: int) -> None:
        """Copy the last `length` columns of slot `source` into slot `target`."""
        start = self.write_at - length
        for layer in self._slot_layers():
            layer.buffer_keys[target, :, start : self.write_at] = layer.buffer_keys[source, :, start : self.write_at]
            layer.buffer_values[target, :, start : self.write_at] = layer.buffer_values[
                source, :, start : self.write_at
            ]

    def shift(self, columns: int) -> None:
        """Move every row's columns by `columns` (positive: right, to make room for a longer prompt;
        negative: left, to drop padding no row needs). `write_at` moves with them."""
        if columns == 0 or self.rows == 0:
            self.write_at = max(0, self.write_at + columns)
            return
        old_start = max(0, -columns)
        new_start = max(0, columns)
        width = self.write_at - old_start
        for layer in self._slot_layers():
            for buffer in (layer.buffer_keys, layer.buffer_values):
                moved = buffer[: self.rows, :, old_start : old_start + width].clone()
                buffer[: self.rows, :, new_start : new_start + width] = moved
        self.write_at += columns
