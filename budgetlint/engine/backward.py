"""The backward pass: FLOPs of the gradients, as multiples of each work kind's forward price.

A layer's backward computes up to three kinds of gradient, each only when it is needed:

- `inputs`: the gradient of the layer's input, when that input requires grad (it comes
  from a trainable layer, directly or through others). The first conv of a network whose
  input is an image computes none, as autograd (and torch's FlopCounterMode) shows.
- `inner`: gradients of tensors made inside the op (attention's q, k, v and scores), when
  the input requires grad or the op's own weights train.
- `weights`: the gradient of the op's weights, when they train.

A matrix product Y = X·W (conv, linear) needs dX = dY·Wᵀ and dW = Xᵀ·dY, each as many
multiply-accumulates as the forward: so its backward is exactly twice the forward when
both are needed, once when only one is. A product of two activations (QKᵀ, AV, a matmul
merge) has two operand gradients: twice the forward. Element-wise work (activations,
norms, pooling, adds, softmax) costs its forward price once more, for the input's
gradient (the local derivative times the incoming gradient); an affine scale and shift,
a bias or a layer scale costs its price once more for its weights' gradient (a reduction
of the output gradient). Under a convention that prices a kind at 0 (torch prices only
products) its backward costs 0 too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from budgetlint.engine.work import priced_as


@dataclass(frozen=True)
class Backward:
    """How many times the forward price each gradient costs, per unit of work."""

    inputs: int = 0
    inner: int = 0
    weights: int = 0


ELEMENTWISE = Backward(inputs=1)
WEIGHTS_ONLY = Backward(weights=1)

# Every multiply-accumulate kind and every kind with weights, written out; any other kind
# is element-wise work on activations (ELEMENTWISE). A test keeps every *_macs kind here.
BACKWARD: dict[str, Backward] = {
    "conv_macs": Backward(inputs=1, weights=1),  # dX and dW, each the forward's MACs
    "conv_transpose_macs": Backward(inputs=1, weights=1),
    "conv_transpose_output_macs": Backward(inputs=1, weights=1),
    "linear_macs": Backward(inputs=1, weights=1),
    # q, k, v and out projections: dW for each; their input-side gradients are needed as
    # soon as anything before or inside the attention trains (out's dX always then)
    "attention_projection_macs": Backward(inner=1, weights=1),
    "attention_macs": Backward(inner=2),  # QKᵀ and AV: both operands' gradients
    "fused_attention_macs": Backward(inner=2),
    "matmul_macs": Backward(inputs=2),
    "einsum_macs": Backward(inputs=2),
    "attention_softmax": Backward(inner=1),
    "unfused_attention_softmax": Backward(inner=1),
    "attention_scale": Backward(inner=1),
    "conv_bias": WEIGHTS_ONLY,  # db = the output gradient summed
    "conv_transpose_bias": WEIGHTS_ONLY,
    "linear_bias": WEIGHTS_ONLY,
    "attention_bias": WEIGHTS_ONLY,
    "batchnorm_affine": Backward(inputs=1, weights=1),
    "layernorm_affine": Backward(inputs=1, weights=1),
    "groupnorm_affine": Backward(inputs=1, weights=1),
    "layernorm2d_affine": Backward(inputs=1, weights=1),
    "rmsnorm_affine": Backward(inputs=1, weights=1),
    "layer_scale": Backward(inputs=1, weights=1),
    # Recurrent layers: dX of every product is needed once anything before or inside trains
    # (the hidden state carries it back), but for two parts, priced as the layer's MACs:
    # layer 0's input projection needs dX only when the input requires grad; the first
    # step's product with the zero initial state never does.
    **{
        kind: rule
        for op in ("lstm", "gru", "rnn")
        for kind, rule in (
            (f"{op}_macs", Backward(inner=1, weights=1)),
            (f"{op}_input_macs", Backward(inputs=1, inner=-1)),
            (f"{op}_initial_macs", Backward(inner=-1)),
        )
    },
}
# LoRA's adapters (engine/lora.py): x·Aᵀ needs dA, and dx only when x requires grad; ·Bᵀ
# needs dB and dh (for dA) always; the scaling and the sum with the base output pass the
# gradient to the adapter.
BACKWARD.update(
    lora_a_macs=Backward(inputs=1, weights=1),
    lora_b_macs=Backward(inner=1, weights=1),
    lora_scale=Backward(inner=1),
    lora_merge=Backward(inner=1),
)
ADAPTER_KINDS = frozenset({"lora_a_macs", "lora_b_macs"})

# Work that selective recomputation (Korthikanti et al. 2022) runs again in the backward:
# the attention core, QKᵀ, softmax, dropout and AV.
SELECTIVE_RECOMPUTE = frozenset(
    {"attention_macs", "attention_softmax", "unfused_attention_softmax", "attention_scale"}
)


def backward_of(kind: str) -> Backward:
    return BACKWARD.get(kind, ELEMENTWISE)  # a kind not written out is element-wise work


def backward_flops(
    work: tuple[tuple[str, int], ...],
    prices: Mapping[str, int],  # every kind's price: Convention.prices()
    input_grad: bool,
    trains: bool,
    adapted: bool = False,
) -> int:
    """FLOPs of one layer's backward, at the convention's prices. `trains`: its own weights
    train; `adapted`: it has LoRA adapters (which always train) or its weights train."""
    total = 0
    for kind, count in work:
        price = prices[priced_as(kind)]  # a share of a kind (lstm_input_macs) at its price
        if not price:
            continue
        rule = backward_of(kind)
        weights = adapted if kind in ADAPTER_KINDS else trains
        times = rule.inputs * input_grad + rule.inner * (input_grad or trains or adapted)
        total += price * count * (times + rule.weights * weights)
    return total


def recompute_flops(work: tuple[tuple[str, int], ...], prices: Mapping[str, int]) -> int:
    """Forward FLOPs of the attention core, run again under selective recomputation."""
    return sum(prices[kind] * count for kind, count in work if kind in SELECTIVE_RECOMPUTE)
