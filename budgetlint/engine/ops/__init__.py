"""The ops table: every op budgetlint knows, one row each, grouped by family.

Adding an op is one function in its family module (its docstring states the
formula), one row here and one formula row in tests/engine/test_ops.py (ROWS);
nothing else in the engine changes. The tests then ask for what the op touches:

- engine/saved.py: a SAVES row, what its backward keeps (tests/engine/test_training.py);
- engine/work.py: the op named in `emitted_by` of each work kind it reports; a new
  kind is a row there and, in every convention of engine/conventions.py, a price or
  a place in its `free` set (tests/engine/test_work.py);
- README.md: the op in the "Ops" section (tests/test_meta.py).

Then regenerate, from the repository's root, the files built from these tables
(tests/test_meta.py, tests/engine/test_work.py, tests/engine/test_conventions_doc.py
fail until they are current):

    python -m budgetlint.spec.schema > budgetlint/schemas/budgetlint.schema.json
    python tools/counting_table.py --write            # README's counting tables
    python tools/conventions_doc.py > docs/conventions.md

The combinators (residual, parallel, repeat) and blocks are not ops: the expander
handles them; the merges of parallel branches are engine/ops/merge.py's MERGES.
"""

from __future__ import annotations

from dataclasses import dataclass

from budgetlint.engine.cost import OpFn
from budgetlint.engine.ops import (
    activation,
    attention,
    conv,
    linear,
    norm,
    pool,
    recurrent,
    resize,
    sequence,
    shape,
    shuffle,
    window,
)
from budgetlint.engine.ops.attrs import Attr


@dataclass(frozen=True)
class OpDef:
    fn: OpFn
    attrs: tuple[Attr, ...] = ()
    doc: str = ""
    view: bool = False  # free by design: a view of its input (or dropout), no params, no work

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
    "layernorm2d": OpDef(norm.layernorm2d, norm.LAYERNORM2D_ATTRS, "LayerNorm over channels"),
    "layer_scale": OpDef(norm.layer_scale, doc="learned per-channel factor"),
    "rmsnorm": OpDef(sequence.rmsnorm, sequence.RMSNORM_ATTRS, "RMSNorm over the last dims"),
    # attention and sequences
    "multihead_attention": OpDef(
        attention.multihead_attention,
        attention.ATTENTION_ATTRS,
        "attention on [N, S, D] with its q, k, v and out projections",
    ),
    "window_attention": OpDef(
        window.window_attention,
        window.WINDOW_ATTENTION_ATTRS,
        "attention within (shifted) w×w windows of [N, H, W, C], projections included (Swin)",
    ),
    "learnable": OpDef(
        sequence.learnable,
        sequence.LEARNABLE_ATTRS,
        "a learned tensor of a given shape, added to the input or in its place",
    ),
    "embedding": OpDef(
        sequence.embedding, sequence.EMBEDDING_ATTRS, "token ids [N, S] → [N, S, dim]"
    ),
    "class_token": OpDef(sequence.class_token, doc="prepend one learned token: S → S + 1"),
    "segment_embedding": OpDef(
        sequence.segment_embedding, sequence.SEGMENT_ATTRS, "add learned token-type rows"
    ),
    "position_embedding": OpDef(
        sequence.position_embedding, sequence.POSITION_ATTRS, "add learned positions"
    ),
    # recurrent, batch first
    "lstm": OpDef(recurrent.lstm, recurrent.RECURRENT_ATTRS, "nn.LSTM on [N, T, F]"),
    "gru": OpDef(recurrent.gru, recurrent.RECURRENT_ATTRS, "nn.GRU on [N, T, F]"),
    "rnn": OpDef(recurrent.rnn, recurrent.RNN_ATTRS, "nn.RNN (tanh or relu) on [N, T, F]"),
    # activation
    "relu": OpDef(activation.elementwise("relu")),
    "relu6": OpDef(activation.elementwise("relu6")),
    "leaky_relu": OpDef(activation.elementwise("leaky_relu"), activation.LEAKY_RELU_ATTRS),
    "gelu": OpDef(activation.elementwise("gelu"), activation.GELU_ATTRS),
    "silu": OpDef(activation.elementwise("silu"), doc="also known as swish"),
    "sigmoid": OpDef(activation.elementwise("sigmoid")),
    "tanh": OpDef(activation.elementwise("tanh")),
    "hardswish": OpDef(activation.elementwise("hardswish")),
    "hardsigmoid": OpDef(activation.elementwise("hardsigmoid")),
    "softmax": OpDef(activation.softmax, activation.SOFTMAX_ATTRS),
    "scale": OpDef(activation.elementwise("scale"), doc="x·c, x/c, x+c or x−c with a constant c"),
    # pooling
    "maxpool2d": OpDef(pool.maxpool2d, pool.MAXPOOL_ATTRS),
    "avgpool2d": OpDef(pool.avgpool2d, pool.AVGPOOL_ATTRS),
    "adaptive_avgpool2d": OpDef(pool.adaptive_avgpool2d, pool.ADAPTIVE_ATTRS),
    "mean": OpDef(pool.mean, pool.MEAN_ATTRS, "x.mean(dims), a tensor method"),
    # resizing
    "upsample": OpDef(resize.upsample, resize.UPSAMPLE_ATTRS),
    # data movement, no arithmetic
    "pixel_shuffle": OpDef(shuffle.pixel_shuffle, shuffle.PIXEL_SHUFFLE_ATTRS),
    "pixel_unshuffle": OpDef(shuffle.pixel_unshuffle, shuffle.PIXEL_SHUFFLE_ATTRS),
    "channel_shuffle": OpDef(shuffle.channel_shuffle, shuffle.CHANNEL_SHUFFLE_ATTRS),
    # free by design: views, no params, no work
    "flatten": OpDef(shape.flatten, shape.FLATTEN_ATTRS, view=True),
    "reshape": OpDef(shape.reshape, shape.RESHAPE_ATTRS, view=True),
    "permute": OpDef(shape.permute, shape.PERMUTE_ATTRS, view=True),
    "select": OpDef(shape.select, shape.SELECT_ATTRS, "x[:, index] along dim", view=True),
    "slice": OpDef(shape.slice_, shape.SLICE_ATTRS, "x[start:end] along dim", view=True),
    "dropout": OpDef(shape.identity, shape.DROPOUT_ATTRS, "no cost at inference", view=True),
    "identity": OpDef(shape.identity, view=True),
}

# Free by design (views: no params, no work), as opposed to unknown: tests hold them to zero.
FREE_OPS = frozenset(name for name, op in OPS.items() if op.view)

COMBINATORS = ("residual", "parallel", "repeat")
