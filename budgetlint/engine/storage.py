"""How weights are stored on a device: dtype, group quantization and per-layer overrides.

A device stores every tensor at its `dtype` (sub-byte types packed, two int4 per
byte). With `quantization: {group: G, scale_dtype: float16}` the device quantizes
the weight matrices and embedding tables (TENSOR_ROLES says which tensors) to its
dtype in groups of G consecutive weights along a row, each group with one scale
(and one zero point when asked); the other tensors (biases, norm scales, buffers)
are stored at the activation dtype. `overrides` give tensors chosen by layer name
(glob), op or role their own storage; the last rule that matches wins.

Bytes of tensors that share a storage: ⌈(elements · bits + groups · (scale bits +
zero bits)) / 8⌉, groups counted per row of each tensor (⌈row / G⌉ per row).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import translate
from functools import lru_cache

from budgetlint.device import Override, Quantization, Storage
from budgetlint.engine.cost import TENSOR_ROLES, Tensor, numel


def groups(quantization: Quantization, tensor: Tensor, elements: int) -> int:
    """Groups among `elements` of the tensor's rows (a gather reads whole rows)."""
    row = numel(tensor.shape[1:]) if len(tensor.shape) > 1 else tensor.elements
    rows = -(-elements // row)
    return rows * -(-row // quantization.group)


def matches(rule: Override, layer: str, op: str, tensor: Tensor) -> bool:
    """Whether the tensor matches every selector the override gives."""
    if rule.ops and op not in rule.ops:
        return False
    if rule.roles and tensor.role not in rule.roles:
        return False
    if not rule.layers:
        return True
    pattern = _globs(rule.layers)
    if pattern.match(layer) or pattern.match(f"{layer}.{tensor.name}"):
        return True
    module, dot, _ = tensor.name.rpartition(".")  # self_attn.q_proj of q_proj.weight
    return bool(dot) and pattern.match(f"{layer}.{module}") is not None


@lru_cache(maxsize=256)
def _globs(globs: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled alternation for a rule's globs (fnmatch's syntax, case-sensitive)."""
    return re.compile("|".join(f"(?:{translate(glob)})" for glob in globs))


@dataclass(frozen=True)
class WeightFormat:
    quantized: Storage  # tensors whose role is quantized (weight matrices, embedding tables)
    other: Storage  # every other tensor
    overrides: tuple[Override, ...] = ()

    @classmethod
    def plain(cls, bits: int) -> WeightFormat:
        return cls(Storage(bits), Storage(bits))

    def storage(self, layer: str, op: str, tensor: Tensor) -> Storage:
        fixed = TENSOR_ROLES[tensor.role].bits
        if fixed is not None:  # an int64 index stays int64 on every device
            return Storage(fixed)
        for rule in reversed(self.overrides):
            if matches(rule, layer, op, tensor):
                return rule.storage
        return self.quantized if TENSOR_ROLES[tensor.role].quantized else self.other


def stored_bytes(items: Iterable[tuple[Storage, Tensor, int]]) -> int:
    """Bytes of (storage, tensor, elements) items; each storage packed as one stream."""
    bits: dict[Storage, int] = {}
    for storage, tensor, elements in items:
        extra = 0
        if storage.quantization is not None:
            q = storage.quantization
            extra = groups(q, tensor, elements) * (q.scale_bits + q.zero_bits)
        bits[storage] = bits.get(storage, 0) + elements * storage.bits + extra
    return sum(-(-total // 8) for total in bits.values())
