"""Pooling: maxpool2d, avgpool2d (with ceil_mode), adaptive_avgpool2d.

Output size follows PyTorch: ⌊(in + 2p − d(k−1) − 1)/s⌋ + 1, rounded up under
ceil_mode, except that a last window starting inside the right padding is
dropped. Work is counted per window element and per output element so that
each convention can price them its own way.
"""

from __future__ import annotations

import math

from budgetlint.engine.cost import Attrs, OpCost, ShapeError, numel
from budgetlint.engine.ops.attrs import Attr, expand
from budgetlint.graph import Shape

MAXPOOL_ATTRS = (
    Attr("kernel", "size"),
    Attr("stride", "size", None, doc="defaults to the kernel size"),
    Attr("padding", "offsets", 0),
    Attr("dilation", "size", 1),
    Attr("ceil_mode", "bool", False),
)
AVGPOOL_ATTRS = (
    Attr("kernel", "size"),
    Attr("stride", "size", None, doc="defaults to the kernel size"),
    Attr("padding", "offsets", 0),
    Attr("ceil_mode", "bool", False),
)
ADAPTIVE_ATTRS = (Attr("size", "size", doc="output size: one int or [H, W]"),)


def _image(inputs: tuple[Shape, ...], op: str) -> Shape:
    shape = inputs[0]
    if len(shape) != 4:
        raise ShapeError(f"{op} expects a rank-4 input [N, C, H, W], got {list(shape)}")
    return shape


def pooled_size(
    size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    """PyTorch's pooling_output_shape: floor (or ceil) division, then ceil_mode's correction."""
    if 2 * padding > kernel:
        raise ShapeError(f"padding {padding} must be at most half the kernel {kernel}")
    reach = dilation * (kernel - 1) + 1
    span = size + 2 * padding - reach + (stride - 1 if ceil_mode else 0)
    out = span // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    if out < 1:
        dilated = f" (dilated to {reach})" if dilation > 1 else ""
        padded = f" padded to {size + 2 * padding}" if padding else ""
        raise ShapeError(f"kernel {kernel}{dilated} is larger than its input {size}{padded}")
    return out


def _pool(
    inputs: tuple[Shape, ...], attrs: Attrs, op: str, dilation: int | tuple[int, ...] = 1
) -> tuple[Shape, int]:
    batch, channels, *spatial = _image(inputs, op)
    kernel = expand(attrs["kernel"], 2, "kernel")
    stride = expand(attrs["stride"], 2, "stride") if attrs["stride"] is not None else kernel
    padding = expand(attrs["padding"], 2, "padding")
    dilations = expand(dilation, 2, "dilation")
    out = [
        pooled_size(spatial[i], kernel[i], stride[i], padding[i], dilations[i], attrs["ceil_mode"])
        for i in range(2)
    ]
    return (batch, channels, *out), numel(kernel)


def maxpool2d(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    output, window = _pool(inputs, attrs, "maxpool2d", attrs["dilation"])
    return OpCost(
        output,
        work=(
            ("maxpool_window", numel(output) * window),
            ("maxpool_output", numel(output)),
            ("maxpool_input", numel(inputs[0])),
        ),
    )


def avgpool2d(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    output, window = _pool(inputs, attrs, "avgpool2d")
    return OpCost(
        output,
        work=(
            ("avgpool_window", numel(output) * window),
            ("avgpool_output", numel(output)),
            ("avgpool_input", numel(inputs[0])),
        ),
    )


def adaptive_window_total(size: int, out: int) -> int:
    """Sum of PyTorch's adaptive window lengths [⌊i·in/out⌋, ⌈(i+1)·in/out⌉), i < out.

    In closed form, so that the work doesn't grow with `out`: Σ⌈(i+1)·n/m⌉ over
    i < m is Σ⌊i·n/m⌋ (i < m) + n + (m − gcd(n, m)), as ⌈k·n/m⌉ = ⌊k·n/m⌋ + 1 unless
    m divides k·n, which happens for gcd(n, m) of k = 1…m; the floors cancel.
    """
    return size + out - math.gcd(size, out)


def adaptive_avgpool2d(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    batch, channels, height, width = _image(inputs, "adaptive_avgpool2d")
    out_h, out_w = expand(attrs["size"], 2, "size")
    output = (batch, channels, out_h, out_w)
    windows = adaptive_window_total(height, out_h) * adaptive_window_total(width, out_w)
    floor_kernel = (height // out_h) * (width // out_w)
    return OpCost(
        output,
        work=(
            ("adaptive_avgpool_window", batch * channels * windows),
            ("adaptive_avgpool_output", numel(output)),
            ("adaptive_avgpool_floor_kernel", numel(output) * floor_kernel),
            ("adaptive_avgpool_input", numel(inputs[0])),
        ),
    )


MEAN_ATTRS = (
    Attr("dims", "offsets", doc="the dimensions averaged away"),
    Attr("keepdim", "bool", False),
)


def mean(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    """x.mean(dims): one unit of work per input element."""
    shape = inputs[0]
    dims = attrs["dims"] if isinstance(attrs["dims"], tuple) else (attrs["dims"],)
    if any(dim >= len(shape) for dim in dims) or len(set(dims)) != len(dims):
        raise ShapeError(f"mean dims {list(dims)} don't fit {list(shape)}")
    if attrs["keepdim"]:
        output = tuple(1 if axis in dims else size for axis, size in enumerate(shape))
    else:
        output = tuple(size for axis, size in enumerate(shape) if axis not in dims)
    return OpCost(output, work=(("mean_input", numel(shape)),))
