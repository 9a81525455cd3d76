"""Counting conventions: how op facts become FLOPs and params.

Every op reports convention-free facts: its true MACs, and its work as
(kind, count) pairs, MACs included (conv_macs, linear_macs, …) so that a
convention can price a conv's MACs differently from a linear's. The kinds are
the rows of engine/work.py. A convention prices each kind it counts and names
each kind it doesn't in its `free` set: every kind is one or the other, checked
when the convention is made (at import), so that a new kind, or a misspelt one,
can't cost 0 unnoticed. Each convention is one table, written out here; the
README's counting table is generated from DEFAULT's (tools/counting_table.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from budgetlint.engine.cost import OpCost
from budgetlint.engine.work import PARTS, WORK_KINDS, unknown


def kinds(names: str) -> frozenset[str]:
    """Work kinds written as one name per word; a name that is not a kind fails here."""
    found = frozenset(names.split())
    if missing := unknown(sorted(found)):
        raise ValueError(f"unknown work kinds: {', '.join(missing)}")
    return found


@dataclass(frozen=True)
class Convention:
    name: str
    summary: str
    work_flops: Mapping[str, int]  # FLOPs per unit of each kind the tool counts
    free: frozenset[str] = frozenset()  # every other kind: the tool doesn't count it
    buffers_are_params: bool = False
    # Prices for ops called as functions, among the kinds above; any other kind a
    # functional call reports is free (the tool doesn't see that call). None: the same as
    # modules (tools that trace).
    functional_work_flops: Mapping[str, int] | None = None
    # A module object called several times counts only its last call (torchstat's records).
    last_call_only: bool = False
    # Ops whose params the tool doesn't see (thop counts params per module rule only).
    params_unseen: frozenset[str] = frozenset()
    # The tool reports FLOPs per sample: its total divided by the batch (ptflops' batch counter).
    per_sample: bool = False
    # Params of layers called as functions, and params a module holds itself (not in a
    # child layer), are unseen: the tool collects params from the leaf modules it ran.
    leaf_params_only: bool = False
    # Kinds the table prices whose every occurrence (one op's count) is priced by a
    # function of that count instead: a tool whose per-op figure is not linear in it.
    occurrence_flops: Mapping[str, Callable[[int], int]] = field(default_factory=dict)
    # Every work kind's price (0 when free), for modules and for functional calls.
    module_prices: Mapping[str, int] = field(init=False, repr=False, compare=False)
    functional_prices: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if errors := table_errors(self):
            raise ValueError(f"convention {self.name}: {'; '.join(errors)}")
        unpriced = {kind: 0 for kind in (*self.free, *PARTS)}
        prices = MappingProxyType({**unpriced, **self.work_flops})
        functional = prices
        if self.functional_work_flops is not None:
            functional = MappingProxyType(
                {**{kind: 0 for kind in prices}, **self.functional_work_flops}
            )
        object.__setattr__(self, "module_prices", prices)
        object.__setattr__(self, "functional_prices", functional)

    def prices(self, functional: bool = False) -> Mapping[str, int]:
        """The price of every work kind: FLOPs per unit, 0 for the free ones."""
        return self.functional_prices if functional else self.module_prices

    def flops(self, cost: OpCost, functional: bool = False) -> int:
        table = self.prices(functional)
        return sum(self._priced(table, kind, count) for kind, count in cost.work)

    def _priced(self, table: Mapping[str, int], kind: str, count: int) -> int:
        rule = self.occurrence_flops.get(kind)
        if rule is not None and table[kind]:
            return rule(count)
        return table[kind] * count

    def params(self, cost: OpCost, op: str = "", functional: bool = False) -> int:
        if op in self.params_unseen or (functional and self.leaf_params_only):
            return 0
        unseen = cost.container_params if self.leaf_params_only else 0
        return cost.params - unseen + (cost.buffers if self.buffers_are_params else 0)


def table_errors(convention: Convention) -> list[str]:
    """What is wrong with a convention's tables: unknown kinds, kinds neither priced nor
    free (or both), shares of another kind priced on their own."""
    priced, free = set(convention.work_flops), set(convention.free)
    functional = set(convention.functional_work_flops or {})
    errors = [
        f"{what} names unknown work kinds: {', '.join(names)}"
        for what, names in (
            ("work_flops", unknown(priced)),
            ("free", unknown(free)),
            ("functional_work_flops", unknown(functional)),
            ("occurrence_flops", unknown(convention.occurrence_flops)),
        )
        if names
    ]
    checks = (
        ("neither priced nor free", set(WORK_KINDS) - PARTS - priced - free),
        ("both priced and free", priced & free),
        ("priced apart from the kind they are part of", (priced | free) & PARTS),
        ("priced for functional calls but not for modules", functional - priced),
        ("priced by occurrence but not priced", set(convention.occurrence_flops) - priced),
    )
    errors += [f"{', '.join(sorted(names))}: {why}" for why, names in checks if names]
    return errors


# FLOPs per unit of work in the default convention; the kinds it doesn't count are `free`.
DEFAULT_WORK_FLOPS: dict[str, int] = {
    "conv_macs": 2,  # a multiply and an add
    "conv_transpose_macs": 2,
    "linear_macs": 2,
    "matmul_macs": 2,
    "einsum_macs": 2,
    "attention_projection_macs": 2,  # q, k, v and out projections
    "attention_macs": 2,  # QKᵀ and the weighted sum of V
    "fused_attention_macs": 2,
    "attention_bias": 1,
    "attention_softmax": 5,  # as softmax, per attended score
    "lstm_macs": 2,
    "gru_macs": 2,
    "rnn_macs": 2,
    "recurrent_bias": 1,  # b_ih and b_hh, per gate element and step
    "recurrent_gates": 1,  # W_ih·x + W_hh·h, per gate element and step
    "lstm_cell": 26,  # 3 sigmoids (12), 2 tanh (10), c' = f·c + i·g (3), h = o·tanh(c') (1)
    "gru_cell": 18,  # 2 sigmoids (8), tanh (5), r·(…) (1), h' = (1 − z)·n + z·h (4)
    "rnn_tanh_cell": 5,
    "rnn_relu_cell": 1,
    "conv_bias": 1,  # one add per output element
    "conv_transpose_bias": 1,
    "linear_bias": 1,
    "batchnorm": 2,  # inference: running stats folded into one scale and one shift
    "layernorm": 5,  # mean (1 add), variance (sub, square, add), normalise (1 mul)
    "groupnorm": 5,
    "layernorm_affine": 2,  # γ·x + β
    "layernorm2d": 5,
    "layernorm2d_affine": 2,
    "layer_scale": 1,
    "groupnorm_affine": 2,
    "relu": 1,
    "scale": 1,  # one multiply (or add) by a constant
    "relu6": 2,  # two comparisons
    "leaky_relu": 2,  # compare, multiply
    "gelu": 8,  # tanh form: cube, 2 mul, add, tanh, add, 2 mul
    "silu": 5,  # sigmoid (4) and a multiply
    "sigmoid": 4,  # negate, exp, add, divide
    "tanh": 5,
    "hardswish": 5,  # add, 2 clamps, multiply, divide
    "hardsigmoid": 4,  # add, 2 clamps, divide
    "softmax": 5,  # max, subtract, exp, sum, divide
    "attention_scale": 1,  # queries · 1/√hd
    "rmsnorm": 4,  # square, sum, rsqrt, multiply
    "rmsnorm_affine": 1,
    "maxpool_window": 1,  # one comparison per window element
    "avgpool_window": 1,  # k·k − 1 adds and one divide per output element
    "adaptive_avgpool_window": 1,
    "mean_input": 1,  # one add per element averaged (the divide is per output)
    "upsample_nearest": 0,  # a copy
    "upsample_bilinear": 7,  # 4 multiplies and 3 adds per output element
    "add": 1,
    "mul": 1,
    "lora_a_macs": 2,  # LoRA: x·Aᵀ
    "lora_b_macs": 2,  # LoRA: (A·x)·Bᵀ
    "lora_scale": 1,  # · alpha / r
    "lora_merge": 1,  # the adapter's output added to the base output
}

DEFAULT = Convention(
    name="default",
    summary="MACs = multiply-accumulates of conv, linear, attention (QKᵀ, AV), matmul and "
    "einsum merges and recurrent layers; FLOPs = 2 × MACs plus the element-wise work in "
    "the table below; params exclude buffers (running statistics).",
    work_flops=DEFAULT_WORK_FLOPS,
    free=kinds(
        """
        conv_output conv_transpose_output_macs linear_output
        unfused_attention_softmax batchnorm_affine layernorm_rows softmax_rows
        softmax_tensor maxpool_output maxpool_input avgpool_output avgpool_input
        adaptive_avgpool_output adaptive_avgpool_floor_kernel adaptive_avgpool_input
        """
    ),
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
        "attention_projection_macs": 1,  # MultiHeadAttention's four Linear layers
        "conv_bias": 1,
        "conv_transpose_bias": 1,
        "batchnorm": 2,
        "leaky_relu": 1,
        "avgpool_output": 1,
        "adaptive_avgpool_floor_kernel": 1,
        "adaptive_avgpool_output": 1,
    },
    free=kinds(
        """
        conv_output conv_transpose_macs linear_bias linear_output matmul_macs
        einsum_macs attention_bias attention_macs fused_attention_macs
        attention_softmax unfused_attention_softmax attention_scale lstm_macs
        gru_macs rnn_macs recurrent_gates recurrent_bias lstm_cell gru_cell
        rnn_tanh_cell rnn_relu_cell batchnorm_affine layernorm layernorm_rows
        layernorm_affine groupnorm groupnorm_affine layernorm2d layernorm2d_affine
        layer_scale rmsnorm rmsnorm_affine relu relu6 gelu silu sigmoid tanh
        hardswish hardsigmoid scale softmax softmax_rows softmax_tensor
        maxpool_window maxpool_output maxpool_input avgpool_window avgpool_input
        adaptive_avgpool_window adaptive_avgpool_input mean_input upsample_nearest
        upsample_bilinear add mul lora_a_macs lora_b_macs lora_scale lora_merge
        """
    ),
    buffers_are_params=True,
    functional_work_flops={},  # paddle.flops hooks layers only
    # parameters created on a non-leaf Layer (ViT's class token and positions)
    params_unseen=frozenset(
        {"class_token", "position_embedding", "segment_embedding", "layer_scale"}
    ),
)

# The other tools' rules, read from their code and checked against what they print
# (tests/data/measured_counters.json, written by tools/measure_counters.py).

TORCHVISION = Convention(
    name="torchvision",
    summary="the GFLOPS column of torchvision's model docs: multiply-accumulates of conv "
    "and linear layers, attention's QKᵀ and AV and other matrix products (recurrent "
    "layers' too), nothing else (despite the name, these are MACs).",
    work_flops={
        "conv_macs": 1,
        "conv_transpose_macs": 1,
        "linear_macs": 1,
        "matmul_macs": 1,
        "einsum_macs": 1,
        "attention_projection_macs": 1,
        "attention_macs": 1,
        "fused_attention_macs": 1,
        "lstm_macs": 1,
        "gru_macs": 1,
        "rnn_macs": 1,
    },
    free=kinds(
        """
        conv_bias conv_output conv_transpose_output_macs conv_transpose_bias
        linear_bias linear_output attention_bias attention_softmax
        unfused_attention_softmax attention_scale recurrent_gates recurrent_bias
        lstm_cell gru_cell rnn_tanh_cell rnn_relu_cell batchnorm batchnorm_affine
        layernorm layernorm_rows layernorm_affine groupnorm groupnorm_affine
        layernorm2d layernorm2d_affine layer_scale rmsnorm rmsnorm_affine relu relu6
        leaky_relu gelu silu sigmoid tanh hardswish hardsigmoid scale softmax
        softmax_rows softmax_tensor maxpool_window maxpool_output maxpool_input
        avgpool_window avgpool_output avgpool_input adaptive_avgpool_window
        adaptive_avgpool_output adaptive_avgpool_floor_kernel adaptive_avgpool_input
        mean_input upsample_nearest upsample_bilinear add mul lora_a_macs
        lora_b_macs lora_scale lora_merge
        """
    ),
)

TORCH = Convention(
    name="torch",
    summary="torch.utils.flop_counter.FlopCounterMode: 2 per multiply-accumulate of "
    "convolution and matrix products (addmm, mm, bmm: GRU and RNN steps, einsum); bias, "
    "norms, activations and pooling 0; nn.LSTM on CPU (one oneDNN kernel) 0.",
    work_flops={
        "conv_macs": 2,
        "conv_transpose_macs": 2,
        "linear_macs": 2,
        "matmul_macs": 2,
        "einsum_macs": 2,  # decomposed into bmm
        "attention_projection_macs": 2,
        "attention_macs": 2,
        "gru_macs": 2,  # per-step mm and addmm (the bias adds are not counted)
        "rnn_macs": 2,
        "lora_a_macs": 2,  # peft's adapters are nn.Linear calls (mm)
        "lora_b_macs": 2,
        # nn.LSTM on CPU runs one oneDNN kernel that has no FLOP formula: 0
        # the fused CPU attention kernel has no FLOP formula registered: 0
    },
    free=kinds(
        """
        conv_bias conv_output conv_transpose_output_macs conv_transpose_bias
        linear_bias linear_output attention_bias fused_attention_macs
        attention_softmax unfused_attention_softmax attention_scale lstm_macs
        recurrent_gates recurrent_bias lstm_cell gru_cell rnn_tanh_cell
        rnn_relu_cell batchnorm batchnorm_affine layernorm layernorm_rows
        layernorm_affine groupnorm groupnorm_affine layernorm2d layernorm2d_affine
        layer_scale rmsnorm rmsnorm_affine relu relu6 leaky_relu gelu silu sigmoid
        tanh hardswish hardsigmoid scale softmax softmax_rows softmax_tensor
        maxpool_window maxpool_output maxpool_input avgpool_window avgpool_output
        avgpool_input adaptive_avgpool_window adaptive_avgpool_output
        adaptive_avgpool_floor_kernel adaptive_avgpool_input mean_input
        upsample_nearest upsample_bilinear add mul lora_scale lora_merge
        """
    ),
)


def numpy_printed_einsum_macs(macs: int) -> int:
    """fvcore's count of one two-operand einsum that is not one of its two special
    cases ('abc,abd->acd', 'abc,adc->adb' after renaming the letters): it parses the
    "Optimized FLOP count" np.einsum_path prints (2 per MAC, formatted %.3e: 4
    significant digits), halves it and floors it."""
    return math.floor(float(f"{2 * macs:.3e}") / 2)


FVCORE = Convention(
    name="fvcore",
    summary="fvcore.nn.FlopCountAnalysis: 1 per multiply-accumulate (no bias); batchnorm "
    "1 per element (2 when affine); layernorm and groupnorm 4 (5 when affine); adaptive "
    "average pooling 1 per input element; upsampling 1 (nearest) or 4 (bilinear) per "
    "output; activations, max/avg pooling, adds and recurrent layers (aten::lstm, "
    "aten::gru, aten::rnn_*) are skipped (listed as unsupported).",
    work_flops={
        "conv_macs": 1,
        "conv_transpose_macs": 1,
        "linear_macs": 1,
        "matmul_macs": 1,
        "einsum_macs": 1,
        "attention_projection_macs": 1,
        "attention_macs": 1,  # bmm; the fused kernel is skipped as unsupported
        "batchnorm": 1,
        "batchnorm_affine": 1,
        "layernorm": 4,
        "layernorm_affine": 1,
        "layernorm2d": 4,  # traced to the same aten::layer_norm
        "layernorm2d_affine": 1,
        "groupnorm": 4,
        "groupnorm_affine": 1,
        "adaptive_avgpool_input": 1,
        "upsample_nearest": 1,
        "upsample_bilinear": 4,
    },
    free=kinds(
        """
        conv_bias conv_output conv_transpose_output_macs conv_transpose_bias
        linear_bias linear_output attention_bias fused_attention_macs
        attention_softmax unfused_attention_softmax attention_scale lstm_macs
        gru_macs rnn_macs recurrent_gates recurrent_bias lstm_cell gru_cell
        rnn_tanh_cell rnn_relu_cell layernorm_rows layer_scale rmsnorm
        rmsnorm_affine relu relu6 leaky_relu gelu silu sigmoid tanh hardswish
        hardsigmoid scale softmax softmax_rows softmax_tensor maxpool_window
        maxpool_output maxpool_input avgpool_window avgpool_output avgpool_input
        adaptive_avgpool_window adaptive_avgpool_output
        adaptive_avgpool_floor_kernel mean_input add mul lora_a_macs lora_b_macs
        lora_scale lora_merge
        """
    ),
    # our einsums (a merge 'bik,bkj->bij', MaxViT's QKᵀ and AV) are none of fvcore's
    # special cases: each is counted to numpy's 4 printed digits (MaxViT-T: 1,072 more)
    occurrence_flops={"einsum_macs": numpy_printed_einsum_macs},
)

THOP = Convention(
    name="thop",
    summary="thop.profile (it calls them MACs): conv and linear multiply-accumulates "
    "without bias, a transposed conv counted by its output like a conv (thop's known "
    "overcount); batchnorm 2 per element (4 when affine), layernorm 2 (4 when affine); "
    "softmax 3n − 1 per row; avgpool 1 per output; adaptive avgpool ∏(in/out) + 1 per "
    "output; upsampling 1 (nearest) or 11 (bilinear) per output; recurrent layers "
    "MACs + 1 per gate element + both biases, + 4 per hidden element for LSTM and GRU "
    "cells; activations, max pooling, groupnorm, adds and matmul 0.",
    work_flops={
        "conv_macs": 1,
        "conv_transpose_output_macs": 1,
        "linear_macs": 1,
        "batchnorm": 2,
        "batchnorm_affine": 2,
        "layernorm": 2,
        "layernorm_affine": 2,
        "softmax": 3,
        "softmax_rows": -1,
        "avgpool_output": 1,
        "adaptive_avgpool_floor_kernel": 1,
        "adaptive_avgpool_output": 1,
        "upsample_nearest": 1,
        "upsample_bilinear": 11,
        # its rnn_hooks: per gate set H·(I + H) + H (+ 2H with bias), then 4H more per
        # LSTM or GRU cell for the state update; a plain RNN nothing more
        "lstm_macs": 1,
        "gru_macs": 1,
        "rnn_macs": 1,
        "recurrent_gates": 1,
        "recurrent_bias": 1,
        "lstm_cell": 4,
        "gru_cell": 4,
    },
    free=kinds(
        """
        conv_bias conv_output conv_transpose_macs conv_transpose_bias linear_bias
        linear_output matmul_macs einsum_macs attention_projection_macs
        attention_bias attention_macs fused_attention_macs attention_softmax
        unfused_attention_softmax attention_scale rnn_tanh_cell rnn_relu_cell
        layernorm_rows groupnorm groupnorm_affine layernorm2d layernorm2d_affine
        layer_scale rmsnorm rmsnorm_affine relu relu6 leaky_relu gelu silu sigmoid
        tanh hardswish hardsigmoid scale softmax_tensor maxpool_window
        maxpool_output maxpool_input avgpool_window avgpool_input
        adaptive_avgpool_window adaptive_avgpool_input mean_input add mul
        lora_a_macs lora_b_macs lora_scale lora_merge
        """
    ),
    functional_work_flops={},  # thop hooks modules only
    leaf_params_only=True,
    # no rule for these module types, or parameters held outside leaf modules
    params_unseen=frozenset(
        {
            "multihead_attention",
            "class_token",
            "position_embedding",
            "segment_embedding",
            "groupnorm",
            "embedding",
            "layernorm2d",  # a LayerNorm subclass: thop's rules match exact types
            "layer_scale",  # a parameter of a non-leaf module
        }
    ),
)

PTFLOPS = Convention(
    name="ptflops",
    summary="ptflops.get_model_complexity_info, pytorch backend (it calls them MACs): "
    "conv and linear multiply-accumulates plus bias; batchnorm and groupnorm 1 per "
    "element (2 when affine), layernorm 1; relu and gelu 2 per element (hooked as a "
    "module and again as a function), relu6, leaky_relu, silu and softmax 1; max, avg "
    "and adaptive pooling 2 per input element and upsampling 2 per output (hooked "
    "twice too); torch.matmul 1 per multiply-accumulate; recurrent layers MACs + both "
    "biases + 1 (RNN), 7 (GRU) or 10 (LSTM) per hidden element and step; sigmoid, tanh, hardswish, "
    "hardsigmoid, the + operator, torch.einsum and a functional F.linear 0. The total "
    "is per sample: divided by the batch size.",
    work_flops={
        "conv_macs": 1,
        "conv_transpose_macs": 1,
        "conv_bias": 1,
        "conv_transpose_bias": 1,
        "linear_macs": 1,
        "linear_bias": 1,
        "matmul_macs": 1,  # torch.matmul is patched; torch.einsum is not: 0
        # its MultiheadAttention rule: projections, biases, QKᵀ and AV, softmax, q scaling
        "attention_projection_macs": 1,
        "attention_bias": 1,
        "attention_macs": 2,  # once by the rule, once more by the patched bmm (unfused)
        "fused_attention_macs": 1,
        "attention_softmax": 1,
        "unfused_attention_softmax": 1,  # the patched F.softmax
        "attention_scale": 1,
        "batchnorm": 1,
        "batchnorm_affine": 1,
        "groupnorm": 1,
        "groupnorm_affine": 1,
        "layernorm": 1,
        "relu": 2,
        "gelu": 2,
        "relu6": 1,
        "leaky_relu": 1,
        "silu": 1,
        "softmax": 1,
        "maxpool_input": 2,
        "avgpool_input": 2,
        "adaptive_avgpool_input": 2,
        "upsample_nearest": 2,
        "upsample_bilinear": 2,
        # its rnn_flops: W_ih and W_hh sizes, both biases, and H per RNN cell, 7H per
        # GRU cell, 10H per LSTM cell
        "lstm_macs": 1,
        "gru_macs": 1,
        "rnn_macs": 1,
        "recurrent_bias": 1,
        "lstm_cell": 10,
        "gru_cell": 7,
        "rnn_tanh_cell": 1,
        "rnn_relu_cell": 1,
    },
    free=kinds(
        """
        conv_output conv_transpose_output_macs linear_output einsum_macs
        recurrent_gates layernorm_rows layernorm_affine layernorm2d
        layernorm2d_affine layer_scale rmsnorm rmsnorm_affine sigmoid tanh hardswish
        hardsigmoid scale softmax_rows softmax_tensor maxpool_window maxpool_output
        avgpool_window avgpool_output adaptive_avgpool_window
        adaptive_avgpool_output adaptive_avgpool_floor_kernel mean_input add mul
        lora_a_macs lora_b_macs lora_scale lora_merge
        """
    ),
    # ptflops also patches torch.nn.functional: a bare call is counted once (F.linear's
    # patch is commented out in 0.7.5: a functional linear counts 0)
    functional_work_flops={
        "matmul_macs": 1,  # torch.matmul and Tensor.matmul, wherever they are called
        "attention_softmax": 1,  # F.softmax on the scores
        "relu": 1,
        "gelu": 1,
        "relu6": 1,
        "leaky_relu": 1,
        "silu": 1,
        "softmax": 1,
        "maxpool_input": 1,
        "avgpool_input": 1,
        "adaptive_avgpool_input": 1,
        "upsample_nearest": 1,
        "upsample_bilinear": 1,
    },
    per_sample=True,
)

TORCHSTAT = Convention(
    name="torchstat",
    summary="torchstat's Flops column: conv multiply-accumulates plus bias, linear "
    "multiply-accumulates; batchnorm 1 per element (2 when affine); relu, relu6 and "
    "leaky_relu 1 per element; max and avg pooling 1 per input element; transposed "
    "conv, other activations, adaptive pooling, norms and adds 0. A module called "
    "more than once (ResNet's shared ReLU) counts only its last call: torchstat keeps "
    "one record per module.",
    work_flops={
        "conv_macs": 1,
        "conv_bias": 1,
        "linear_macs": 1,
        "batchnorm": 1,
        "batchnorm_affine": 1,
        "relu": 1,
        "relu6": 1,
        "leaky_relu": 1,
        "maxpool_input": 1,
        "avgpool_input": 1,
    },
    free=kinds(
        """
        conv_output conv_transpose_macs conv_transpose_output_macs
        conv_transpose_bias linear_bias linear_output matmul_macs einsum_macs
        attention_projection_macs attention_bias attention_macs fused_attention_macs
        attention_softmax unfused_attention_softmax attention_scale lstm_macs
        gru_macs rnn_macs recurrent_gates recurrent_bias lstm_cell gru_cell
        rnn_tanh_cell rnn_relu_cell layernorm layernorm_rows layernorm_affine
        groupnorm groupnorm_affine layernorm2d layernorm2d_affine layer_scale
        rmsnorm rmsnorm_affine gelu silu sigmoid tanh hardswish hardsigmoid scale
        softmax softmax_rows softmax_tensor maxpool_window maxpool_output
        avgpool_window avgpool_output adaptive_avgpool_window
        adaptive_avgpool_output adaptive_avgpool_floor_kernel adaptive_avgpool_input
        mean_input upsample_nearest upsample_bilinear add mul lora_a_macs
        lora_b_macs lora_scale lora_merge
        """
    ),
    functional_work_flops={},  # torchstat hooks modules only
    last_call_only=True,
)

TORCHSTAT_MADD = Convention(
    name="torchstat-madd",
    summary="torchstat's MAdd column: conv 2·MACs − 1 per output (no −1 with a bias), "
    "transposed conv 2·MACs, linear (2·in − 1) per output; batchnorm 2 per element "
    "(4 when affine); relu and relu6 1 per element; softmax 3n − 1 over the whole "
    "tensor; max pooling k² − 1 and average pooling k² per output; everything else 0. "
    "A module called more than once counts its last call only.",
    work_flops={
        "conv_macs": 2,
        "conv_output": -1,
        "conv_bias": 1,
        "conv_transpose_macs": 2,
        "linear_macs": 2,
        "linear_output": -1,
        "batchnorm": 2,
        "batchnorm_affine": 2,
        "relu": 1,
        "relu6": 1,
        "softmax": 3,
        "softmax_tensor": -1,
        "maxpool_window": 1,
        "maxpool_output": -1,
        "avgpool_window": 1,
    },
    free=kinds(
        """
        conv_transpose_output_macs conv_transpose_bias linear_bias matmul_macs
        einsum_macs attention_projection_macs attention_bias attention_macs
        fused_attention_macs attention_softmax unfused_attention_softmax
        attention_scale lstm_macs gru_macs rnn_macs recurrent_gates recurrent_bias
        lstm_cell gru_cell rnn_tanh_cell rnn_relu_cell layernorm layernorm_rows
        layernorm_affine groupnorm groupnorm_affine layernorm2d layernorm2d_affine
        layer_scale rmsnorm rmsnorm_affine leaky_relu gelu silu sigmoid tanh
        hardswish hardsigmoid scale softmax_rows maxpool_input avgpool_output
        avgpool_input adaptive_avgpool_window adaptive_avgpool_output
        adaptive_avgpool_floor_kernel adaptive_avgpool_input mean_input
        upsample_nearest upsample_bilinear add mul lora_a_macs lora_b_macs
        lora_scale lora_merge
        """
    ),
    functional_work_flops={},
    last_call_only=True,
)

TENSORFLOW = Convention(
    name="tensorflow",
    summary="the TF1 profiler's float_operation (tf.compat.v1.profiler): 2 per "
    "multiply-accumulate of Conv2D, DepthwiseConv2dNative and MatMul; BiasAdd and AddV2 1 "
    "per output element; max and average pooling k² per output; Mean 1 per input "
    "element (global average pooling); softmax 5 per element; FusedBatchNorm, "
    "activations and concat 0; for transformers, the usual hand-written graph: layer "
    "norm by tf.nn.moments (6 per element, 3 per row, +2 affine), erf GELU 4 per "
    "element (Erf itself has no rule), softmax and score scaling 6 per score. Params "
    "are trainable variables: BatchNorm's moving statistics are not among them.",
    work_flops={
        "conv_macs": 2,
        "conv_bias": 1,
        "linear_macs": 2,
        "linear_bias": 1,
        "matmul_macs": 2,
        "einsum_macs": 2,  # tf.einsum lowers to BatchMatMulV2
        "maxpool_window": 1,
        "avgpool_window": 1,
        "adaptive_avgpool_input": 1,
        "mean_input": 1,
        "add": 1,
        "softmax": 5,
        # the usual hand-written TF graph of a transformer (tools/measure_vit.py):
        # layer norm by tf.nn.moments: 2 Means, SquaredDifference (2), Sub, Mul per
        # element, +eps (AddV2) and Rsqrt (2) per row, γ·x + β per element
        "layernorm": 6,
        "layernorm_rows": 3,
        "layernorm_affine": 2,
        "gelu": 4,  # 0.5·x·(1 + erf(x/√2)): RealDiv, AddV2, 2 Mul; Erf has no rule
        "attention_projection_macs": 2,
        "attention_bias": 1,
        "attention_macs": 2,
        "fused_attention_macs": 2,  # BatchMatMulV2
        "attention_softmax": 6,  # Softmax 5 and the 1/√hd Mul on each score
    },
    free=kinds(
        """
        conv_output conv_transpose_macs conv_transpose_output_macs
        conv_transpose_bias linear_output unfused_attention_softmax attention_scale
        lstm_macs gru_macs rnn_macs recurrent_gates recurrent_bias lstm_cell
        gru_cell rnn_tanh_cell rnn_relu_cell batchnorm batchnorm_affine groupnorm
        groupnorm_affine layernorm2d layernorm2d_affine layer_scale rmsnorm
        rmsnorm_affine relu relu6 leaky_relu silu sigmoid tanh hardswish hardsigmoid
        scale softmax_rows softmax_tensor maxpool_output maxpool_input
        avgpool_output avgpool_input adaptive_avgpool_window adaptive_avgpool_output
        adaptive_avgpool_floor_kernel upsample_nearest upsample_bilinear mul
        lora_a_macs lora_b_macs lora_scale lora_merge
        """
    ),
)

FLOPS_CNN = Convention(
    name="flops-cnn",
    summary="the rule of sagartesla/flops-cnn, which the Zhihu answers on counting a CNN's "
    "FLOPs quote: (2·Cin·K² − 1)·H·W·Cout for a "
    "conv (no −1 with a bias), (2·I − 1)·O for a linear layer likewise, and one per "
    "element for relu; everything else 0.",
    work_flops={
        "conv_macs": 2,
        "conv_output": -1,
        "conv_bias": 1,
        "linear_macs": 2,
        "matmul_macs": 2,
        "einsum_macs": 2,
        "attention_macs": 2,  # QKᵀ and the weighted sum of V
        "fused_attention_macs": 2,
        "linear_output": -1,
        "linear_bias": 1,
        "relu": 1,
    },
    free=kinds(
        """
        conv_transpose_macs conv_transpose_output_macs conv_transpose_bias
        attention_projection_macs attention_bias attention_softmax
        unfused_attention_softmax attention_scale lstm_macs gru_macs rnn_macs
        recurrent_gates recurrent_bias lstm_cell gru_cell rnn_tanh_cell
        rnn_relu_cell batchnorm batchnorm_affine layernorm layernorm_rows
        layernorm_affine groupnorm groupnorm_affine layernorm2d layernorm2d_affine
        layer_scale rmsnorm rmsnorm_affine relu6 leaky_relu gelu silu sigmoid tanh
        hardswish hardsigmoid scale softmax softmax_rows softmax_tensor
        maxpool_window maxpool_output maxpool_input avgpool_window avgpool_output
        avgpool_input adaptive_avgpool_window adaptive_avgpool_output
        adaptive_avgpool_floor_kernel adaptive_avgpool_input mean_input
        upsample_nearest upsample_bilinear add mul lora_a_macs lora_b_macs
        lora_scale lora_merge
        """
    ),
)

CONVENTIONS: dict[str, Convention] = {
    convention.name: convention
    for convention in (
        DEFAULT,
        PADDLE,
        TORCHVISION,
        TORCH,
        FVCORE,
        THOP,
        PTFLOPS,
        TORCHSTAT,
        TORCHSTAT_MADD,
        TENSORFLOW,
        FLOPS_CNN,
    )
}
