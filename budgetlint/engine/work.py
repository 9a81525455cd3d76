"""Work kinds: the vocabulary between the ops, which count work, and the conventions,
which price it.

An op reports its work as (kind, count) pairs (`OpCost.work`); a convention prices
each kind in FLOPs per unit (engine/conventions.py). Every kind is one row here: what
one unit is, what the work is, and which ops (or merges, or LoRA adapters) report
it. A convention that names a kind missing here fails at import, and every
convention says of every kind whether it prices it or counts it free; a test runs
every op and checks that what it reports is here, under its name.

Some kinds are not work a processor does but a correction one tool's formula needs
(the −1 of a "2n − 1" rule, a kernel size rounded down): `quirk` says which tools
and why; the default convention never prices them. A kind that is `part_of` another
is a share of that kind's count, reported so that the backward can price that share
differently (engine/backward.py): no convention prices it in the forward, so it is
free in all of them by construction.

To add a kind: a row here, the op that reports it, and in each convention of
engine/conventions.py a price or a place in its `free` set; then regenerate the
README's counting table (python tools/counting_table.py --write) and
docs/conventions.md (python tools/conventions_doc.py > docs/conventions.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# What one unit of a kind is.
MAC = "multiply-accumulate"
ELEMENT = "element"  # of the input, which is also the output's shape
OUTPUT = "output element"
INPUT = "input element"
WINDOW = "window element of each output"
SCORE = "attended score"
STEP = "hidden element and step"
GATE = "gate element and step"

ADAPTER = "lora"  # the emitter of the LoRA kinds: adapters on linear and attention layers

CONVS = ("conv1d", "conv2d", "conv3d")
RECURRENT = ("lstm", "gru", "rnn")


@dataclass(frozen=True)
class WorkKind:
    unit: str  # what one unit of the count is
    doc: str  # the work, in one line
    emitted_by: tuple[str, ...]  # ops of OPS, merges of MERGES, or ADAPTER
    quirk: str = ""  # not physical work: the tools whose formula needs it, and why
    part_of: str = ""  # a share of that kind's count, for the backward's sake


def _recurrent(op: str, gates: int, name: str) -> dict[str, WorkKind]:
    macs = f"{op}_macs"
    return {
        macs: WorkKind(
            MAC, f"{name}'s products: {gates}·H·(I + H) per step, direction and layer", (op,)
        ),
        f"{op}_input_macs": WorkKind(
            MAC,
            f"layer 0's input projection W_ih·x, whose dx the backward needs only when the "
            f"input requires grad ({macs} includes it)",
            (op,),
            part_of=macs,
        ),
        f"{op}_initial_macs": WorkKind(
            MAC,
            f"the first step's W_hh·h₀ with the zero initial state, whose dh the backward "
            f"never needs ({macs} includes it)",
            (op,),
            part_of=macs,
        ),
    }


WORK_KINDS: dict[str, WorkKind] = {
    # convolution
    "conv_macs": WorkKind(MAC, "a convolution's products: Cout·∏out·(Cin/groups)·∏K", CONVS),
    "conv_bias": WorkKind(OUTPUT, "a conv's bias add", CONVS),
    "conv_output": WorkKind(
        OUTPUT,
        "one per output of a conv, with or without bias",
        CONVS,
        quirk="torchstat-madd and flops-cnn price it −1: their (2·Cin·K² − 1) per output "
        "counts the adds between the products, one fewer than the products",
    ),
    "conv_transpose_macs": WorkKind(
        MAC,
        "a transposed convolution's products: Cin·∏in·(Cout/groups)·∏K (each input "
        "element scattered over a kernel window)",
        ("conv_transpose2d",),
    ),
    "conv_transpose_output_macs": WorkKind(
        MAC,
        "a transposed conv counted as a conv of its output: Cout·∏out·(Cin/groups)·∏K",
        ("conv_transpose2d",),
        quirk="paddle and thop apply their conv rule to a transposed conv's output, which "
        "overcounts by about the stride's area (thop's known overcount)",
    ),
    "conv_transpose_bias": WorkKind(OUTPUT, "a transposed conv's bias add", ("conv_transpose2d",)),
    # linear layers (and Swin's projections, F.linear calls)
    "linear_macs": WorkKind(
        MAC, "a linear layer's products: in·out per row", ("linear", "window_attention")
    ),
    "linear_bias": WorkKind(OUTPUT, "a linear layer's bias add", ("linear", "window_attention")),
    "linear_output": WorkKind(
        OUTPUT,
        "one per output of a linear layer, with or without bias",
        ("linear", "window_attention"),
        quirk="torchstat-madd and flops-cnn price it −1: their (2·I − 1) per output counts "
        "the adds between the products",
    ),
    # matrix products of two activations
    "matmul_macs": WorkKind(
        MAC, "torch.matmul's products: M·N·K per batch entry", ("matmul", "window_attention")
    ),
    "einsum_macs": WorkKind(
        MAC,
        "the same product written with torch.einsum, which ptflops doesn't see and fvcore "
        "rounds per call",
        ("einsum", "window_attention"),
    ),
    # attention
    "attention_projection_macs": WorkKind(
        MAC, "attention's q, k, v and out projections", ("multihead_attention",)
    ),
    "attention_bias": WorkKind(
        OUTPUT, "bias adds of attention's projections", ("multihead_attention",)
    ),
    "attention_macs": WorkKind(
        MAC, "QKᵀ and AV, unfused (two batched products)", ("multihead_attention",)
    ),
    "fused_attention_macs": WorkKind(
        MAC,
        "QKᵀ and AV in the fused scaled-dot-product kernel (no FLOP formula in torch's "
        "FlopCounterMode, skipped by fvcore)",
        ("multihead_attention",),
    ),
    "attention_softmax": WorkKind(
        SCORE, "the softmax over the scores", ("multihead_attention", "window_attention")
    ),
    "unfused_attention_softmax": WorkKind(
        SCORE,
        "the softmax of the unfused path, again",
        ("multihead_attention",),
        quirk="ptflops counts the unfused path's F.softmax a second time, through its "
        "patched torch.nn.functional",
    ),
    "attention_scale": WorkKind(
        "query element", "the queries scaled by 1/√hd", ("multihead_attention",)
    ),
    # recurrent layers
    **_recurrent("lstm", 4, "an LSTM"),
    **_recurrent("gru", 3, "a GRU"),
    **_recurrent("rnn", 1, "an RNN"),
    "recurrent_gates": WorkKind(GATE, "W_ih·x + W_hh·h: the sum of the two products", RECURRENT),
    "recurrent_bias": WorkKind(GATE, "b_ih and b_hh added (2 per gate element)", RECURRENT),
    "lstm_cell": WorkKind(STEP, "3 sigmoids, 2 tanh, c' = f·c + i·g, h = o·tanh(c')", ("lstm",)),
    "gru_cell": WorkKind(STEP, "2 sigmoids, tanh, r·(…), h' = (1 − z)·n + z·h", ("gru",)),
    "rnn_tanh_cell": WorkKind(STEP, "the tanh of an RNN step", ("rnn",)),
    "rnn_relu_cell": WorkKind(STEP, "the relu of an RNN step", ("rnn",)),
    # normalisation
    "batchnorm": WorkKind(
        ELEMENT,
        "inference BatchNorm: the running stats folded into one scale and one shift",
        ("batchnorm1d", "batchnorm2d"),
    ),
    "batchnorm_affine": WorkKind(
        ELEMENT,
        "an affine BatchNorm's γ·x + β",
        ("batchnorm1d", "batchnorm2d"),
        quirk="inference folds γ and β into batchnorm's scale and shift; fvcore, thop, "
        "ptflops, torchstat and torchstat-madd count them apart",
    ),
    "layernorm": WorkKind(ELEMENT, "mean, variance, normalise", ("layernorm",)),
    "layernorm_rows": WorkKind(
        "normalised row",
        "one per row a layer norm normalises",
        ("layernorm",),
        quirk="tensorflow: a hand-written layer norm (tf.nn.moments) adds eps (AddV2) and "
        "takes Rsqrt once per row",
    ),
    "layernorm_affine": WorkKind(ELEMENT, "an affine layernorm's γ·x + β", ("layernorm",)),
    "groupnorm": WorkKind(ELEMENT, "mean, variance, normalise", ("groupnorm",)),
    "groupnorm_affine": WorkKind(ELEMENT, "an affine groupnorm's γ·x + β", ("groupnorm",)),
    "layernorm2d": WorkKind(
        ELEMENT, "mean, variance, normalise over the channels", ("layernorm2d",)
    ),
    "layernorm2d_affine": WorkKind(ELEMENT, "an affine layernorm2d's γ·x + β", ("layernorm2d",)),
    "layer_scale": WorkKind(ELEMENT, "a learned per-channel factor", ("layer_scale",)),
    "rmsnorm": WorkKind(ELEMENT, "square, sum, rsqrt, multiply", ("rmsnorm",)),
    "rmsnorm_affine": WorkKind(ELEMENT, "an affine rmsnorm's γ·x", ("rmsnorm",)),
    # activations: each its own kind, so that a convention prices relu and gelu apart
    "relu": WorkKind(ELEMENT, "max(x, 0)", ("relu",)),
    "relu6": WorkKind(ELEMENT, "two comparisons", ("relu6",)),
    "leaky_relu": WorkKind(ELEMENT, "a comparison and a multiply", ("leaky_relu",)),
    "gelu": WorkKind(ELEMENT, "tanh form: cube, 2 mul, add, tanh, add, 2 mul", ("gelu",)),
    "silu": WorkKind(ELEMENT, "a sigmoid and a multiply", ("silu",)),
    "sigmoid": WorkKind(ELEMENT, "negate, exp, add, divide", ("sigmoid",)),
    "tanh": WorkKind(ELEMENT, "the hyperbolic tangent", ("tanh",)),
    "hardswish": WorkKind(ELEMENT, "add, 2 clamps, multiply, divide", ("hardswish",)),
    "hardsigmoid": WorkKind(ELEMENT, "add, 2 clamps, divide", ("hardsigmoid",)),
    "scale": WorkKind(ELEMENT, "a multiply or add by a constant", ("scale",)),
    "softmax": WorkKind(ELEMENT, "max, subtract, exp, sum, divide", ("softmax",)),
    "softmax_rows": WorkKind(
        "row",
        "one per row a softmax normalises",
        ("softmax",),
        quirk="thop prices softmax 3n − 1 per row of n: the −1",
    ),
    "softmax_tensor": WorkKind(
        "call",
        "one per softmax call",
        ("softmax",),
        quirk="torchstat-madd prices softmax 3n − 1 over the whole tensor: the −1",
    ),
    # pooling
    "maxpool_window": WorkKind(WINDOW, "one comparison per window element", ("maxpool2d",)),
    "maxpool_output": WorkKind(
        OUTPUT,
        "one per output of a max pooling",
        ("maxpool2d",),
        quirk="torchstat-madd prices k² − 1 comparisons per output: the −1",
    ),
    "maxpool_input": WorkKind(
        INPUT,
        "one per input element of a max pooling",
        ("maxpool2d",),
        quirk="ptflops and torchstat price pooling by its input, not its windows",
    ),
    "avgpool_window": WorkKind(WINDOW, "k·k − 1 adds and one divide per output", ("avgpool2d",)),
    "avgpool_output": WorkKind(
        OUTPUT,
        "one per output of an average pooling",
        ("avgpool2d",),
        quirk="paddle and thop price average pooling 1 per output",
    ),
    "avgpool_input": WorkKind(
        INPUT,
        "one per input element of an average pooling",
        ("avgpool2d",),
        quirk="ptflops and torchstat price pooling by its input, not its windows",
    ),
    "adaptive_avgpool_window": WorkKind(
        WINDOW,
        "PyTorch's adaptive windows [⌊i·in/out⌋, ⌈(i+1)·in/out⌉), overlaps included",
        ("adaptive_avgpool2d",),
    ),
    "adaptive_avgpool_output": WorkKind(
        OUTPUT,
        "one per output of an adaptive average pooling",
        ("adaptive_avgpool2d",),
        quirk="paddle and thop price (∏⌊in/out⌋ + 1) per output: the + 1",
    ),
    "adaptive_avgpool_floor_kernel": WorkKind(
        "element of a ∏⌊in/out⌋ kernel, per output",
        "the window size rounded down, per output",
        ("adaptive_avgpool2d",),
        quirk="paddle takes the kernel as ∏⌊in/out⌋ and thop as ∏(in/out) (the same when the "
        "output size divides the input's), missing the overlap of PyTorch's adaptive "
        "windows: the kernel of their (kernel + 1) per output",
    ),
    "adaptive_avgpool_input": WorkKind(
        INPUT,
        "one per input element of an adaptive average pooling",
        ("adaptive_avgpool2d",),
        quirk="fvcore, ptflops and tensorflow (a Mean) price adaptive pooling by its input",
    ),
    "mean_input": WorkKind(
        INPUT, "one add per element averaged by `mean` (the divide is per output)", ("mean",)
    ),
    # resizing
    "upsample_nearest": WorkKind(OUTPUT, "a copy", ("upsample",)),
    "upsample_bilinear": WorkKind(
        OUTPUT, "4 multiplies and 3 adds blend four neighbours", ("upsample",)
    ),
    # sums and products of tensors of the same shape (broadcast)
    "add": WorkKind(
        OUTPUT,
        "a sum per extra input: residuals, add merges, learned positions and embeddings "
        "added, a relative position bias",
        ("add", "learnable", "position_embedding", "segment_embedding", "window_attention"),
    ),
    "mul": WorkKind(
        OUTPUT,
        "a product per extra input: mul merges, Swin's q · 1/√hd",
        ("mul", "window_attention"),
    ),
    # LoRA adapters (engine/lora.py) on linear layers and attention projections
    "lora_a_macs": WorkKind(MAC, "an adapter's x·Aᵀ", (ADAPTER,)),
    "lora_b_macs": WorkKind(MAC, "an adapter's (A·x)·Bᵀ", (ADAPTER,)),
    "lora_scale": WorkKind(OUTPUT, "an adapter's output · alpha/r", (ADAPTER,)),
    "lora_merge": WorkKind(OUTPUT, "the adapter's output added to the layer's", (ADAPTER,)),
}

PARTS = frozenset(kind for kind, row in WORK_KINDS.items() if row.part_of)


def priced_as(kind: str) -> str:
    """The kind whose price this kind's work takes in the backward: itself, or its whole."""
    return WORK_KINDS[kind].part_of or kind


def unknown(kinds: Iterable[str]) -> list[str]:
    """The names among `kinds` that are not work kinds."""
    return [kind for kind in kinds if kind not in WORK_KINDS]
