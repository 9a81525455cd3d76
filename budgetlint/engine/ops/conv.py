"""Convolutions: conv1d, conv2d, conv3d and conv_transpose2d.

Shapes are channels-first: [N, C, *spatial]. Per sample:

- params = Cout · Cin/groups · ∏K  (+ Cout for the bias)
- MACs   = Cout · ∏out · Cin/groups · ∏K
- transposed: MACs = Cin · ∏in · Cout/groups · ∏K (each input element is
  scattered over a kernel window), which is what the layer really computes.
"""

from __future__ import annotations

from budgetlint.engine.cost import Attrs, OpCost, ShapeError, Tensor, numel
from budgetlint.engine.ops.attrs import Attr, expand
from budgetlint.graph import Shape

CONV_ATTRS = (
    Attr("out", "positive", doc="output channels"),
    Attr("kernel", "size", doc="kernel size: one int or one per spatial dim"),
    Attr("stride", "size", 1),
    Attr("padding", "padding", 0, doc="int, list, 'same' (TensorFlow rule) or 'valid'"),
    Attr("dilation", "size", 1),
    Attr("groups", "positive", 1, doc="groups; equal to the input channels for depthwise"),
    Attr("bias", "bool", True),
)
CONV_TRANSPOSE_ATTRS = (
    *(attr for attr in CONV_ATTRS if attr.name != "padding"),
    Attr("padding", "offsets", 0),
    Attr("output_padding", "offsets", 0),
)


def _channels_first(inputs: tuple[Shape, ...], rank: int, op: str) -> tuple[int, int, Shape]:
    shape = inputs[0]
    if len(shape) != rank + 2:
        dims = ", ".join(["N", "C", *"DHW"[3 - rank :]])
        raise ShapeError(f"{op} expects a rank-{rank + 2} input [{dims}], got {list(shape)}")
    return shape[0], shape[1], shape[2:]


def _groups(channels_in: int, channels_out: int, groups: int) -> None:
    if channels_in % groups or channels_out % groups:
        raise ShapeError(
            f"groups={groups} must divide both input channels ({channels_in}) "
            f"and output channels ({channels_out})"
        )


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    reach = dilation * (kernel - 1) + 1
    if reach > size + 2 * padding:
        raise ShapeError(
            f"kernel {kernel}"
            + (f" (dilated to {reach})" if dilation > 1 else "")
            + f" is larger than its input {size}"
            + (f" padded to {size + 2 * padding}" if padding else "")
        )
    return (size + 2 * padding - reach) // stride + 1


def _same_padding(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's 'same': output = ceil(size / stride); returns (output, total padding)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return out, total


def _conv(inputs: tuple[Shape, ...], attrs: Attrs, rank: int, op: str) -> OpCost:
    batch, channels_in, spatial = _channels_first(inputs, rank, op)
    channels_out, groups = attrs["out"], attrs["groups"]
    _groups(channels_in, channels_out, groups)
    kernel = expand(attrs["kernel"], rank, "kernel")
    stride = expand(attrs["stride"], rank, "stride")
    dilation = expand(attrs["dilation"], rank, "dilation")
    padding = attrs["padding"]
    out_spatial: list[int] = []
    for axis in range(rank):
        if padding == "same":
            out, _ = _same_padding(spatial[axis], kernel[axis], stride[axis], dilation[axis])
        else:
            pad = 0 if padding == "valid" else expand(padding, rank, "padding")[axis]
            out = output_size(spatial[axis], kernel[axis], stride[axis], pad, dilation[axis])
        out_spatial.append(out)
    output = (batch, channels_out, *out_spatial)
    weights = channels_out * (channels_in // groups) * numel(kernel)
    bias = channels_out if attrs["bias"] else 0
    macs = numel(output) * (channels_in // groups) * numel(kernel)
    work: tuple[tuple[str, int], ...] = (("conv_macs", macs), ("conv_output", numel(output)))
    if attrs["bias"]:
        work += (("conv_bias", numel(output)),)
    shape = (channels_out, channels_in // groups, *kernel)
    return OpCost(
        output, params=weights + bias, macs=macs, work=work, tensors=_tensors(shape, bias)
    )


def conv1d(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _conv(inputs, attrs, 1, "conv1d")


def conv2d(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _conv(inputs, attrs, 2, "conv2d")


def conv3d(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _conv(inputs, attrs, 3, "conv3d")


def conv_transpose2d(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    """out = (in − 1)·stride − 2·padding + dilation·(K − 1) + output_padding + 1."""
    batch, channels_in, spatial = _channels_first(inputs, 2, "conv_transpose2d")
    channels_out, groups = attrs["out"], attrs["groups"]
    _groups(channels_in, channels_out, groups)
    kernel = expand(attrs["kernel"], 2, "kernel")
    stride = expand(attrs["stride"], 2, "stride")
    dilation = expand(attrs["dilation"], 2, "dilation")
    padding = expand(attrs["padding"], 2, "padding")
    extra = expand(attrs["output_padding"], 2, "output_padding")
    out_spatial = []
    for axis in range(2):
        if extra[axis] >= max(stride[axis], dilation[axis]):
            raise ShapeError(
                f"output_padding {extra[axis]} must be smaller than stride or dilation"
            )
        size = (
            (spatial[axis] - 1) * stride[axis]
            - 2 * padding[axis]
            + dilation[axis] * (kernel[axis] - 1)
            + extra[axis]
            + 1
        )
        if size < 1:
            raise ShapeError(f"padding {padding[axis]} leaves no output from input {spatial[axis]}")
        out_spatial.append(size)
    output = (batch, channels_out, *out_spatial)
    weights = channels_in * (channels_out // groups) * numel(kernel)
    bias = channels_out if attrs["bias"] else 0
    macs = numel(inputs[0]) * (channels_out // groups) * numel(kernel)
    # Counters that reuse their conv rule count per output element instead.
    by_output = numel(output) * (channels_in // groups) * numel(kernel)
    work: tuple[tuple[str, int], ...] = (
        ("conv_transpose_macs", macs),
        ("conv_transpose_output_macs", by_output),
    )
    if attrs["bias"]:
        work += (("conv_transpose_bias", numel(output)),)
    shape = (channels_in, channels_out // groups, *kernel)  # PyTorch's layout for transposed
    return OpCost(
        output, params=weights + bias, macs=macs, work=work, tensors=_tensors(shape, bias)
    )


def _tensors(kernel: Shape, bias: int) -> tuple[Tensor, ...]:
    weight = (Tensor("weight", "weight", kernel),)
    return weight + ((Tensor("bias", "bias", (bias,)),) if bias else ())
