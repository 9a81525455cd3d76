"""Counting conventions: how op facts become FLOPs and params.

Every op reports convention-free facts: its true MACs, and its work as
(kind, count) pairs, MACs included (conv_macs, linear_macs, …) so that a
convention can price a conv's MACs differently from a linear's. A convention
prices each kind; a kind it doesn't list costs 0. Each convention is one table,
written out here; the README's counting table is tested against DEFAULT's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from budgetlint.engine.cost import OpCost


@dataclass(frozen=True)
class Convention:
    name: str
    summary: str
    work_flops: Mapping[str, int]
    buffers_are_params: bool = False

    def flops(self, cost: OpCost) -> int:
        return sum(self.work_flops.get(kind, 0) * count for kind, count in cost.work)

    def params(self, cost: OpCost) -> int:
        return cost.params + (cost.buffers if self.buffers_are_params else 0)


# FLOPs per unit of work in the default convention; a kind missing here costs 0.
DEFAULT_WORK_FLOPS: dict[str, int] = {
    "conv_macs": 2,  # a multiply and an add
    "conv_transpose_macs": 2,
    "linear_macs": 2,
    "conv_bias": 1,  # one add per output element
    "linear_bias": 1,
    "batchnorm": 2,  # inference: running stats folded into one scale and one shift
    "layernorm": 5,  # mean (1 add), variance (sub, square, add), normalise (1 mul)
    "groupnorm": 5,
    "norm_affine": 2,  # γ·x + β
    "relu": 1,
    "relu6": 2,  # two comparisons
    "leaky_relu": 2,  # compare, multiply
    "gelu": 8,  # tanh form: cube, 2 mul, add, tanh, add, 2 mul
    "silu": 5,  # sigmoid (4) and a multiply
    "sigmoid": 4,  # negate, exp, add, divide
    "tanh": 5,
    "hardswish": 5,  # add, 2 clamps, multiply, divide
    "hardsigmoid": 4,  # add, 2 clamps, divide
    "softmax": 5,  # max, subtract, exp, sum, divide
    "maxpool_window": 1,  # one comparison per window element
    "avgpool_window": 1,  # k·k − 1 adds and one divide per output element
    "adaptive_avgpool_window": 1,
    "upsample_nearest": 0,  # a copy
    "upsample_bilinear": 7,  # 4 multiplies and 3 adds per output element
    "add": 1,
    "mul": 1,
}

DEFAULT = Convention(
    name="default",
    summary="MACs = multiply-accumulates of conv and linear; FLOPs = 2 × MACs plus the "
    "element-wise work in the table below; params exclude buffers (running statistics).",
    work_flops=DEFAULT_WORK_FLOPS,
)

PADDLE = Convention(
    name="paddle",
    summary="paddle.flops: conv = (Cin·Kh·Kw/groups + bias)·Cout·Hout·Wout, "
    "linear = Cin·Cout per output row (no bias), batchnorm 2 per element, leaky_relu 1 "
    "per element, avgpool 1 per output, adaptive avgpool (∏⌊in/out⌋ + 1) per output, "
    "transposed conv by its output like a conv; other activations, max pooling and "
    "everything else 0. Params include BatchNorm's running mean and variance.",
    work_flops={
        "conv_macs": 1,
        "conv_transpose_output_macs": 1,  # paddle applies its conv rule to the output
        "linear_macs": 1,
        "conv_bias": 1,
        "batchnorm": 2,
        "leaky_relu": 1,
        "avgpool_output": 1,
        "adaptive_avgpool_floor_kernel": 1,
        "adaptive_avgpool_output": 1,
    },
    buffers_are_params=True,
)

CONVENTIONS: dict[str, Convention] = {
    "default": DEFAULT,
    "paddle": PADDLE,
}
