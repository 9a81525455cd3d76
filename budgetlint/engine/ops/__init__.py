"""The ops table: every op budgetlint knows, one row each, grouped by family.

Adding an op is one function in its family module, one row here and one row
of tests; nothing else in the engine changes. The combinators (residual,
parallel, repeat) and blocks are not ops: the expander handles them.
"""

from __future__ import annotations

from dataclasses import dataclass

from budgetlint.engine.cost import OpFn
from budgetlint.engine.ops import activation, conv, linear, norm, pool, resize, shape
from budgetlint.engine.ops.attrs import Attr


@dataclass(frozen=True)
class OpDef:
    fn: OpFn
    attrs: tuple[Attr, ...] = ()
    doc: str = ""

    def attr(self, name: str) -> Attr | None:
        return next((attr for attr in self.attrs if attr.name == name), None)


OPS: dict[str, OpDef] = {
    # convolution
    "conv1d": OpDef(conv.conv1d, conv.CONV_ATTRS, "1-D convolution over [N, C, L]"),
    "conv2d": OpDef(conv.conv2d, conv.CONV_ATTRS, "2-D convolution over [N, C, H, W]"),
    "conv3d": OpDef(conv.conv3d, conv.CONV_ATTRS, "3-D convolution over [N, C, D, H, W]"),
    "conv_transpose2d": OpDef(
        conv.conv_transpose2d, conv.CONV_TRANSPOSE_ATTRS, "2-D transposed convolution"
    ),
    # linear
    "linear": OpDef(linear.linear, linear.LINEAR_ATTRS, "fully connected, on the last dim"),
    # normalisation
    "batchnorm1d": OpDef(norm.batchnorm1d, norm.BATCHNORM_ATTRS, "BatchNorm over [N, C(, L)]"),
    "batchnorm2d": OpDef(norm.batchnorm2d, norm.BATCHNORM_ATTRS, "BatchNorm over [N, C, H, W]"),
    "layernorm": OpDef(norm.layernorm, norm.LAYERNORM_ATTRS, "LayerNorm over the last dims"),
    "groupnorm": OpDef(norm.groupnorm, norm.GROUPNORM_ATTRS, "GroupNorm over [N, C, ...]"),
    # activation
    "relu": OpDef(activation.relu),
    "relu6": OpDef(activation.relu6),
    "leaky_relu": OpDef(activation.leaky_relu, activation.LEAKY_RELU_ATTRS),
    "gelu": OpDef(activation.gelu, activation.GELU_ATTRS),
    "silu": OpDef(activation.silu, doc="also known as swish"),
    "sigmoid": OpDef(activation.sigmoid),
    "tanh": OpDef(activation.tanh),
    "hardswish": OpDef(activation.hardswish),
    "hardsigmoid": OpDef(activation.hardsigmoid),
    "softmax": OpDef(activation.softmax, activation.SOFTMAX_ATTRS),
    # pooling
    "maxpool2d": OpDef(pool.maxpool2d, pool.MAXPOOL_ATTRS),
    "avgpool2d": OpDef(pool.avgpool2d, pool.AVGPOOL_ATTRS),
    "adaptive_avgpool2d": OpDef(pool.adaptive_avgpool2d, pool.ADAPTIVE_ATTRS),
    # resizing
    "upsample": OpDef(resize.upsample, resize.UPSAMPLE_ATTRS),
    # free by design: no params, no work
    "flatten": OpDef(shape.flatten, shape.FLATTEN_ATTRS),
    "dropout": OpDef(shape.identity, shape.DROPOUT_ATTRS, "no cost at inference"),
    "identity": OpDef(shape.identity),
}

# Free by design (no params, no work), as opposed to unknown: tests hold them to zero.
FREE_OPS = frozenset({"flatten", "dropout", "identity"})

COMBINATORS = ("residual", "parallel", "repeat")
