"""Normalisation: batchnorm1d/2d, layernorm, groupnorm.

BatchNorm at inference is a per-channel scale and shift: params 2·C (γ, β)
when affine, buffers 2·C (running mean and variance; PyTorch's one-element
num_batches_tracked counter is left out). LayerNorm over the last `dims`
dimensions: params 2·∏normalized (γ, β) when affine. GroupNorm: params 2·C.
"""

from __future__ import annotations

from budgetlint.engine.cost import Attrs, OpCost, ShapeError, Tensor, numel
from budgetlint.engine.ops.attrs import Attr
from budgetlint.graph import Shape

BATCHNORM_ATTRS = (
    Attr("affine", "bool", True, doc="learnable scale and shift"),
    Attr("running_stats", "bool", True, doc="keeps running mean and variance (buffers)"),
)
LAYERNORM_ATTRS = (
    Attr("dims", "positive", 1, doc="how many trailing dimensions are normalised"),
    Attr("affine", "bool", True),
    Attr("bias", "bool", True, doc="the shift β, when affine"),
)
GROUPNORM_ATTRS = (
    Attr("groups", "positive"),
    Attr("affine", "bool", True),
)


def _batchnorm(inputs: tuple[Shape, ...], attrs: Attrs, ranks: tuple[int, ...], op: str) -> OpCost:
    shape = inputs[0]
    if len(shape) not in ranks:
        expected = " or ".join(f"rank {rank}" for rank in ranks)
        raise ShapeError(f"{op} expects {expected} [N, C, ...], got {list(shape)}")
    channels = shape[1]
    work: tuple[tuple[str, int], ...] = (("batchnorm", numel(shape)),)
    if attrs["affine"]:
        work += (("batchnorm_affine", numel(shape)),)
    tensors = _affine((channels,), attrs["affine"], True)
    if attrs["running_stats"]:
        tensors += tuple(
            Tensor(name, "buffer", (channels,)) for name in ("running_mean", "running_var")
        )
    return OpCost(
        shape,
        params=2 * channels if attrs["affine"] else 0,
        buffers=2 * channels if attrs["running_stats"] else 0,
        work=work,
        tensors=tensors,
    )


def _affine(normalized: Shape, affine: bool, bias: bool) -> tuple[Tensor, ...]:
    """A norm's scale (`weight`) and shift (`bias`), when it has them."""
    if not affine:
        return ()
    scale = (Tensor("weight", "norm", normalized),)
    return scale + ((Tensor("bias", "norm", normalized),) if bias else ())


def batchnorm1d(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _batchnorm(inputs, attrs, (2, 3), "batchnorm1d")


def batchnorm2d(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _batchnorm(inputs, attrs, (4,), "batchnorm2d")


def layernorm(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape = inputs[0]
    dims = attrs["dims"]
    if dims > len(shape):
        raise ShapeError(
            f"layernorm over {dims} dims needs a rank of at least {dims}, got {list(shape)}"
        )
    normalized = numel(shape[-dims:])
    params = 0
    work: tuple[tuple[str, int], ...] = (
        ("layernorm", numel(shape)),
        ("layernorm_rows", numel(shape) // normalized),
    )
    if attrs["affine"]:
        params = normalized * (2 if attrs["bias"] else 1)
        work += (("layernorm_affine", numel(shape)),)
    tensors = _affine(shape[-dims:], attrs["affine"], attrs["bias"])
    return OpCost(shape, params=params, work=work, tensors=tensors)


def groupnorm(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape = inputs[0]
    if len(shape) < 2:
        raise ShapeError(f"groupnorm expects [N, C, ...], got {list(shape)}")
    channels, groups = shape[1], attrs["groups"]
    if channels % groups:
        raise ShapeError(f"groups={groups} must divide the {channels} channels")
    work: tuple[tuple[str, int], ...] = (("groupnorm", numel(shape)),)
    if attrs["affine"]:
        work += (("groupnorm_affine", numel(shape)),)
    tensors = _affine((channels,), attrs["affine"], True)
    return OpCost(shape, params=2 * channels if attrs["affine"] else 0, work=work, tensors=tensors)


def layernorm2d(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    """LayerNorm over the channels of [N, C, H, W] (ConvNeXt's LayerNorm2d): params 2·C."""
    shape = inputs[0]
    if len(shape) != 4:
        raise ShapeError(f"layernorm2d expects [N, C, H, W], got {list(shape)}")
    work: tuple[tuple[str, int], ...] = (("layernorm2d", numel(shape)),)
    if attrs["affine"]:
        work += (("layernorm2d_affine", numel(shape)),)
    tensors = _affine((shape[1],), attrs["affine"], True)
    return OpCost(shape, params=2 * shape[1] if attrs["affine"] else 0, work=work, tensors=tensors)


LAYERNORM2D_ATTRS = (Attr("affine", "bool", True),)


def layer_scale(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    """A learned per-channel factor (ConvNeXt's layer scale): params C, one multiply each."""
    shape = inputs[0]
    if len(shape) < 2:
        raise ShapeError(f"layer_scale expects [N, C, ...], got {list(shape)}")
    return OpCost(
        shape,
        params=shape[1],
        work=(("layer_scale", numel(shape)),),
        tensors=(Tensor("gamma", "learned", (shape[1],)),),
    )
