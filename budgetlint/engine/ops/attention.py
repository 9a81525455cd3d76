"""Multi-head attention on sequences [N, S, D], projections included (nn.MultiheadAttention).

H heads of size hd (default D / H), G key/value heads (grouped-query when G < H),
T keys per query: S (+ `context` cached tokens, for a decode step with a KV cache),
or `kv_len` for cross-attention on another sequence of `kv_dim` features.

- params  = D·H·hd (q) + 2·Dkv·G·hd (k, v) + H·hd·D (out), plus the q, k, v biases
  (`qkv_bias`) and the out bias (`out_bias`), both `bias` unless said (Qwen2: q, k, v
  biased, out not)
- MACs    = projections + 2·N·H·hd·(keys attended): QKᵀ and the weighted sum of V;
  causal self-attention attends S·context + S(S+1)/2 keys, not S·T
- `window` W (sliding-window attention, Mistral): the query at position p (counting
  the cache) attends the min(p, W) most recent keys, itself included, as the
  sliding-window causal mask of transformers does; causal only
- work    = softmax on every attended score, the 1/√hd scale on the queries
- a KV cache of `context` tokens is read: 2·N·context·G·hd elements of state; with a
  window, at most W cached tokens (a rolling buffer of W entries)
- causal self-attention keeps a KV cache of context + S tokens (at most W) for the
  next step: 2·N·(context + S)·G·hd elements of state held

Its tensors are named as the Llama family's modules in transformers: `q_proj.weight`
[H·hd, D], `k_proj.weight` and `v_proj.weight` [G·hd, Dkv], `o_proj.weight` [D, H·hd]
and their `.bias`, so that `model.layers.3.self_attn.q_proj` names one projection.

`fused: true` (the default) marks the scaled-dot-product kernel PyTorch runs
when no attention weights are returned; some counters skip it.
"""

from __future__ import annotations

from functools import lru_cache

from budgetlint.engine.cost import Attrs, OpCost, ShapeError, Tensor
from budgetlint.engine.ops.attrs import Attr, AttrError
from budgetlint.graph import Shape

ATTENTION_ATTRS = (
    Attr("heads", "positive"),
    Attr("kv_heads", "positive", None, doc="key/value heads (grouped-query); default heads"),
    Attr("head_dim", "positive", None, doc="default: features / heads"),
    Attr("causal", "bool", False),
    Attr("context", "nonnegative", 0, doc="tokens already in the KV cache (decode)"),
    Attr("kv_len", "positive", None, doc="cross-attention: length of the attended sequence"),
    Attr("kv_dim", "positive", None, doc="cross-attention: its features (default: D)"),
    Attr("bias", "bool", True, doc="biases on all four projections"),
    Attr("qkv_bias", "bool", None, doc="biases on the q, k, v projections (default: bias)"),
    Attr("out_bias", "bool", None, doc="bias on the out projection (default: bias)"),
    Attr("window", "positive", None, doc="sliding window: keys attended per query, at most"),
    Attr("fused", "bool", True, doc="run as one scaled-dot-product kernel"),
    Attr("dropout", "number", 0.0, doc="dropout on the attention weights while training"),
)


def multihead_attention(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape = inputs[0]
    if len(shape) != 3:
        raise ShapeError(f"multihead_attention expects [N, S, D], got {list(shape)}")
    batch, length, features = shape
    heads = attrs["heads"]
    kv_heads = attrs["kv_heads"] or heads
    if heads % kv_heads:
        raise ShapeError(f"kv_heads={kv_heads} must divide heads={heads}")
    if attrs["head_dim"] is None and features % heads:
        raise ShapeError(f"heads={heads} must divide the {features} features (or set head_dim)")
    head_dim = attrs["head_dim"] or features // heads
    cross = attrs["kv_len"] is not None
    if cross and (attrs["causal"] or attrs["context"]):
        raise AttrError("cross-attention takes neither causal nor context")
    kv_dim = attrs["kv_dim"] or features
    new_kv = attrs["kv_len"] if cross else length
    context, window = attrs["context"], attrs["window"]
    if window is not None and not attrs["causal"]:
        raise AttrError("window (sliding-window attention) needs causal: true")
    if attrs["causal"]:
        attended = causal_keys(context, length, window)
    else:
        attended = length * (new_kv + context)
    q, kv = heads * head_dim, kv_heads * head_dim
    params = features * q + 2 * kv_dim * kv + q * features
    bias_adds = 0
    if _flag(attrs, "qkv_bias"):
        params += q + 2 * kv
        bias_adds += batch * (length * q + 2 * new_kv * kv)
    if _flag(attrs, "out_bias"):
        params += features
        bias_adds += batch * length * features
    projections = batch * (length * features * q + 2 * new_kv * kv_dim * kv + length * q * features)
    scores = batch * heads * attended
    attention = 2 * scores * head_dim
    kind = "fused_attention_macs" if attrs["fused"] else "attention_macs"
    work: tuple[tuple[str, int], ...] = (
        ("attention_projection_macs", projections),
        (kind, attention),
        ("attention_softmax", scores),
        ("attention_scale", batch * length * q),
    )
    if bias_adds:
        work += (("attention_bias", bias_adds),)
    if not attrs["fused"]:  # the softmax runs as its own call, which some counters see again
        work += (("unfused_attention_softmax", scores),)
    return OpCost(
        shape,
        params=params,
        macs=projections + attention,
        work=work,
        state_read=2 * batch * cached_tokens(context, window) * kv,
        state_held=2 * batch * cached_tokens(context + length, window) * kv
        if attrs["causal"]
        else 0,
        tensors=_projections(
            features, kv_dim, q, kv, _flag(attrs, "qkv_bias"), _flag(attrs, "out_bias")
        ),
    )


@lru_cache(maxsize=1024)  # the same few shapes in every layer of a model
def _projections(
    features: int, kv_dim: int, q: int, kv: int, qkv_bias: bool, out_bias: bool
) -> tuple[Tensor, ...]:
    """q, k, v and out projections, [out, in] as torch.nn.Linear stores them."""
    shapes = {"q_proj": (q, features), "k_proj": (kv, kv_dim), "v_proj": (kv, kv_dim)}
    tensors: list[Tensor] = []
    for name, shape in shapes.items():
        tensors.append(Tensor(f"{name}.weight", "weight", shape))
        if qkv_bias:
            tensors.append(Tensor(f"{name}.bias", "bias", (shape[0],)))
    tensors.append(Tensor("o_proj.weight", "weight", (features, q)))
    if out_bias:
        tensors.append(Tensor("o_proj.bias", "bias", (features,)))
    return tuple(tensors)


def _flag(attrs: Attrs, name: str) -> bool:
    """qkv_bias / out_bias, which default to `bias`."""
    value = attrs[name]
    return bool(attrs["bias"] if value is None else value)


def cached_tokens(context: int, window: int | None) -> int:
    """Tokens of the KV cache a step reads: all of them, or the window's worth."""
    return context if window is None else min(context, window)


def causal_keys(context: int, length: int, window: int | None) -> int:
    """Σ min(p, W) over the positions p = context+1 … context+length of the new tokens."""
    first, last = context + 1, context + length
    top = last if window is None else min(last, window)
    keys = 0
    if top >= first:  # positions that see every earlier key: first + … + top
        keys += (top * (top + 1) - (first - 1) * first) // 2
    if window is not None:  # positions beyond the window see W keys each
        keys += (last - max(top, first - 1)) * window
    return keys
