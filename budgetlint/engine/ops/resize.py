"""Resizing: upsample (nearest, bilinear) by a scale factor or to a size.

Output size is ⌊in · scale⌋ as in PyTorch. Work is one unit per output
element of the mode's kind; nearest copies, bilinear blends four neighbours.
"""

from __future__ import annotations

import math

from budgetlint.engine.cost import Attrs, OpCost, ShapeError, numel
from budgetlint.engine.ops.attrs import Attr, AttrError, expand
from budgetlint.graph import Shape

UPSAMPLE_ATTRS = (
    Attr("scale", "scale", None, doc="scale factor: one number or [H, W]"),
    Attr("size", "size", None, doc="output size: one int or [H, W]"),
    Attr("mode", "choice", "nearest", choices=("nearest", "bilinear")),
)


def upsample(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape = inputs[0]
    if len(shape) != 4:
        raise ShapeError(f"upsample expects a rank-4 input [N, C, H, W], got {list(shape)}")
    if (attrs["scale"] is None) == (attrs["size"] is None):
        raise AttrError("upsample needs exactly one of 'scale' and 'size'")
    if attrs["size"] is not None:
        out = expand(attrs["size"], 2, "size")
    else:
        scale = attrs["scale"]
        scales = scale if isinstance(scale, tuple) else (scale, scale)
        if len(scales) != 2:
            raise AttrError(f"scale needs 1 or 2 values, got {len(scales)}")
        out = tuple(
            math.floor(size * factor) for size, factor in zip(shape[2:], scales, strict=True)
        )
        if min(out) < 1:
            raise ShapeError(f"scale {scale} leaves no output from {list(shape[2:])}")
    output = (shape[0], shape[1], *out)
    return OpCost(output, work=((f"upsample_{attrs['mode']}", numel(output)),))
