"""Data movement without arithmetic: pixel_shuffle, pixel_unshuffle and channel_shuffle (they
copy)."""

from __future__ import annotations

from budgetlint.engine.cost import Attrs, OpCost, ShapeError
from budgetlint.engine.ops.attrs import Attr
from budgetlint.graph import Shape

PIXEL_SHUFFLE_ATTRS = (Attr("factor", "positive"),)
CHANNEL_SHUFFLE_ATTRS = (Attr("groups", "positive"),)


def pixel_shuffle(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    """[N, C·r², H, W] → [N, C, H·r, W·r]."""
    shape, factor = inputs[0], attrs["factor"]
    if len(shape) != 4 or shape[1] % (factor * factor):
        raise ShapeError(
            f"pixel_shuffle by {factor} needs [N, C·{factor}², H, W], got {list(shape)}"
        )
    batch, channels, height, width = shape
    return OpCost((batch, channels // factor**2, height * factor, width * factor))


def pixel_unshuffle(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    """[N, C, H·r, W·r] → [N, C·r², H, W] (Swin's patch merging gathers the same 2×2)."""
    shape, factor = inputs[0], attrs["factor"]
    if len(shape) != 4 or shape[2] % factor or shape[3] % factor:
        raise ShapeError(
            f"pixel_unshuffle by {factor} needs [N, C, H, W] with H and W multiples of "
            f"{factor}, got {list(shape)}"
        )
    batch, channels, height, width = shape
    return OpCost((batch, channels * factor**2, height // factor, width // factor))


def channel_shuffle(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape, groups = inputs[0], attrs["groups"]
    if len(shape) < 2 or shape[1] % groups:
        raise ShapeError(
            f"channel_shuffle groups={groups} must divide the channels of {list(shape)}"
        )
    return OpCost(shape)
