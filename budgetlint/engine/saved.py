"""What each op saves in the forward for its backward: one row per op, as autograd does it.

A matrix product saves its input for the weights' gradient (dW = Xᵀ·dY; dX needs only
the weights, which are stored anyway); an activation saves its input or its output,
whichever its derivative reads; a norm saves its input and its statistics (mean and
inverse deviation per normalised group, in float32); dropout saves its mask (one byte
per element); max pooling its input and the argmax indices (int64); an embedding the
token ids (int64). Views, adds, concat and resizing save nothing.

Tensors of the graph ("input", "output") are counted once however many ops save them
(the liveness engine knows them by identity); tensors made inside an op (attention's
q, k, v and scores) are the op's own. Korthikanti et al. 2022 (arXiv:2205.05198) count a
GPT layer this way, leaving out the statistics: s·b·h·(34 + 5·a·s/h) bytes at 16 bits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from budgetlint.engine.cost import Attrs, numel
from budgetlint.graph import Shape


@dataclass(frozen=True)
class Saved:
    what: str  # a graph tensor ("input", "output") or an internal kind of SAVED_BITS
    elements: int = 0  # of an internal tensor
    for_weights: bool = False  # needed only for the weights' gradient
    core: bool = False  # the attention core, recomputed under selective recomputation


# Bits per element of internal tensors; None: the activation dtype.
SAVED_BITS: dict[str, int | None] = {
    "activation": None,
    "mask": 8,  # a bool per element
    "statistics": 32,  # norms keep their statistics in float32
    "indices": 64,  # int64 ids and argmax indices
}

SaveRule = Callable[[tuple[Shape, ...], Shape, Attrs], tuple["Saved", ...]]

INPUT = Saved("input")
OUTPUT = Saved("output")
INPUT_FOR_WEIGHTS = Saved("input", for_weights=True)


def _nothing(inputs: tuple[Shape, ...], output: Shape, attrs: Attrs) -> tuple[Saved, ...]:
    return ()


def _input(inputs: tuple[Shape, ...], output: Shape, attrs: Attrs) -> tuple[Saved, ...]:
    return (INPUT,)


def _output(inputs: tuple[Shape, ...], output: Shape, attrs: Attrs) -> tuple[Saved, ...]:
    return (OUTPUT,)


def _weights_input(inputs: tuple[Shape, ...], output: Shape, attrs: Attrs) -> tuple[Saved, ...]:
    return (INPUT_FOR_WEIGHTS,)


def _norm(groups: Callable[[Shape, Attrs], int]) -> SaveRule:
    """Input, and mean and inverse deviation for each normalised group."""

    def rule(inputs: tuple[Shape, ...], output: Shape, attrs: Attrs) -> tuple[Saved, ...]:
        return (INPUT, Saved("statistics", 2 * groups(inputs[0], attrs)))

    return rule


def _rows(shape: Shape, attrs: Attrs) -> int:
    return numel(shape) // numel(shape[-attrs["dims"] :])


def _rmsnorm(inputs: tuple[Shape, ...], output: Shape, attrs: Attrs) -> tuple[Saved, ...]:
    return (INPUT, Saved("statistics", _rows(inputs[0], attrs)))  # the inverse RMS per row


def _maxpool(inputs: tuple[Shape, ...], output: Shape, attrs: Attrs) -> tuple[Saved, ...]:
    return (INPUT, Saved("indices", numel(output)))


def _embedding(inputs: tuple[Shape, ...], output: Shape, attrs: Attrs) -> tuple[Saved, ...]:
    return (Saved("indices", numel(inputs[0]), for_weights=True),)


def _dropout(inputs: tuple[Shape, ...], output: Shape, attrs: Attrs) -> tuple[Saved, ...]:
    return (Saved("mask", numel(output)),) if attrs["p"] > 0 else ()


def _attention(inputs: tuple[Shape, ...], output: Shape, attrs: Attrs) -> tuple[Saved, ...]:
    """The input (for the projections' dW), q, k, v and the context (out's input); unfused,
    also the softmax output and, with dropout, its mask and output (Korthikanti's 5·a·s²·b);
    fused (flash attention), the log-sum-exp per query and head instead."""
    batch, length, features = inputs[0]
    heads = attrs["heads"]
    kv_heads = attrs["kv_heads"] or heads
    head_dim = attrs["head_dim"] or features // heads
    keys = attrs["kv_len"] or length
    attended = attrs["kv_len"] or length + attrs["context"]
    query = batch * length * heads * head_dim
    key = batch * keys * kv_heads * head_dim
    saved = [
        INPUT_FOR_WEIGHTS,
        Saved("activation", query),  # q
        Saved("activation", key),  # k
        Saved("activation", key),  # v
        Saved("activation", query),  # the context, out's input
    ]
    scores = batch * heads * length * attended
    if attrs["fused"]:
        saved.append(Saved("statistics", batch * heads * length))
    else:
        saved.append(Saved("activation", scores, core=True))  # softmax output
        if attrs["dropout"] > 0:
            saved += [Saved("mask", scores, core=True), Saved("activation", scores, core=True)]
    return tuple(saved)


def _window_attention(inputs: tuple[Shape, ...], output: Shape, attrs: Attrs) -> tuple[Saved, ...]:
    """As unfused attention within each window: the input, q, k, v, the context and the
    softmax output over the padded map's windows."""
    batch, height, width, channels = inputs[0]
    window = attrs["window"]
    tokens = batch * (-(-height // window) * window) * (-(-width // window) * window)
    scores = tokens * window * window * attrs["heads"]
    return (
        INPUT_FOR_WEIGHTS,
        *(Saved("activation", tokens * channels) for _ in range(4)),  # q, k, v, context
        Saved("activation", scores, core=True),
    )


def _recurrent(gates: int, cell: bool) -> SaveRule:
    """The input (for W_ih's gradient) and, per step, direction and layer, the gates'
    activations and the hidden state (the next step's input to W_hh), plus an LSTM's cell."""

    def rule(inputs: tuple[Shape, ...], output: Shape, attrs: Attrs) -> tuple[Saved, ...]:
        batch, steps, _ = inputs[0]
        directions = 2 if attrs["bidirectional"] else 1
        cells = batch * steps * directions * attrs["layers"]
        per_cell = (gates + 1 + cell) * attrs["hidden"]
        return (INPUT_FOR_WEIGHTS, Saved("activation", cells * per_cell))

    return rule


SAVES: dict[str, SaveRule] = {
    # convolution and linear: the input, for dW
    "conv1d": _weights_input,
    "conv2d": _weights_input,
    "conv3d": _weights_input,
    "conv_transpose2d": _weights_input,
    "linear": _weights_input,
    # normalisation: input and statistics
    "batchnorm1d": _norm(lambda shape, attrs: shape[1]),
    "batchnorm2d": _norm(lambda shape, attrs: shape[1]),
    "layernorm": _norm(_rows),
    "groupnorm": _norm(lambda shape, attrs: shape[0] * attrs["groups"]),
    "layernorm2d": _norm(lambda shape, attrs: numel(shape) // shape[1]),
    "layer_scale": _weights_input,  # dx = γ·dy; dγ needs x
    "rmsnorm": _rmsnorm,
    # recurrent
    "lstm": _recurrent(4, cell=True),
    "gru": _recurrent(3, cell=False),
    "rnn": _recurrent(1, cell=False),
    # attention and sequences
    "multihead_attention": _attention,
    "embedding": _embedding,
    "class_token": _nothing,
    "segment_embedding": _nothing,
    "position_embedding": _nothing,
    "window_attention": _window_attention,
    "learnable": _nothing,  # an add (or the tensor itself): the gradient needs no tensor
    # activations: what the derivative reads
    "relu": _output,
    "relu6": _input,
    "leaky_relu": _input,
    "gelu": _input,
    "silu": _input,
    "sigmoid": _output,
    "tanh": _output,
    "hardswish": _input,
    "hardsigmoid": _input,
    "softmax": _output,
    "scale": _nothing,  # a constant factor or offset: the gradient needs no tensor
    # pooling
    "maxpool2d": _maxpool,
    "avgpool2d": _input,
    "adaptive_avgpool2d": _input,
    "mean": _nothing,  # its gradient is the output gradient spread evenly
    "upsample": _nothing,
    "pixel_shuffle": _nothing,
    "pixel_unshuffle": _nothing,
    "channel_shuffle": _nothing,
    # views
    "flatten": _nothing,
    "reshape": _nothing,
    "permute": _nothing,
    "select": _nothing,
    "slice": _nothing,
    "dropout": _dropout,
    "identity": _nothing,
}

# Merges made by residual and parallel: a product saves both operands, a sum nothing.
MERGE_SAVES: dict[str, bool] = {
    "add": False,
    "concat": False,
    "mul": True,
    "matmul": True,
    "einsum": True,
}
