"""Windowed self-attention on feature maps [N, H, W, C] (channels last), as Swin does.

The map is padded to multiples of the window w, cyclically shifted by `shift`
(shifted windows; none when the window covers the padded map, as torchvision
decides), cut into windows of T = w² tokens, attended within each window by
`heads` heads of C / heads features, and put back. MaxViT's grid attention (`grid`)
groups w×w tokens spread evenly over the map instead of neighbours: the same
cost. With L = N·Hp·Wp padded tokens:

- params = 4·C² (q, k, v and out projections) + 3·C + C (their biases) +
  (2w − 1)²·heads (the learned relative position bias table, `position_bias`)
- MACs   = 4·L·C² (projections) + 2·L·T·C (QKᵀ and AV)
- work   = the projections as linear layers (torchvision's Swin calls `F.linear` on
  its modules' weights: say `functional: true`), QKᵀ and AV as `torch.matmul`
  (or `torch.einsum` with `einsum: true`), one multiply per query element (the
  1/√hd scale), one add per score for the position bias and one more for the
  shifted windows' mask, a softmax on every score
- the relative position index (T² int64 entries) is a buffer stored at its own
  dtype; the shifted windows' mask is rebuilt on every call, not stored.
"""

from __future__ import annotations

from budgetlint.engine.cost import BUFFER_ROLES, Attrs, OpCost, ShapeError, Tensor
from budgetlint.engine.ops.attrs import Attr
from budgetlint.graph import Shape

WINDOW_ATTENTION_ATTRS = (
    Attr("heads", "positive"),
    Attr("window", "positive", doc="window side w: attention within w×w tokens"),
    Attr("shift", "nonnegative", 0, doc="cyclic shift (Swin's shifted windows: w // 2)"),
    Attr("position_bias", "bool", True, doc="a learned (2w − 1)² × heads relative bias"),
    Attr("qkv_bias", "bool", True, doc="biases on the q, k, v projection"),
    Attr("proj_bias", "bool", True, doc="bias on the output projection"),
    Attr("einsum", "bool", False, doc="QKᵀ and AV by torch.einsum (not torch.matmul)"),
    Attr("grid", "bool", False, doc="MaxViT's grid attention: w×w tokens spread over the map"),
)


def _padded(size: int, window: int) -> int:
    return -(-size // window) * window


def window_attention(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape = inputs[0]
    if len(shape) != 4:
        raise ShapeError(
            f"window_attention expects [N, H, W, C] (channels last), got {list(shape)}"
        )
    batch, height, width, channels = shape
    heads, window = attrs["heads"], attrs["window"]
    if channels % heads:
        raise ShapeError(f"heads={heads} must divide the {channels} channels")
    if attrs["grid"] and (height % window or width % window or attrs["shift"]):
        raise ShapeError(
            f"grid attention needs a map that is a multiple of the window {window} and no "
            f"shift, got {height}×{width}"
        )
    padded_h, padded_w = _padded(height, window), _padded(width, window)
    shift = attrs["shift"] if window < max(padded_h, padded_w) else 0
    if shift >= window:
        raise ShapeError(f"shift {shift} must be smaller than the window {window}")
    tokens = batch * padded_h * padded_w
    per_window = window * window
    scores = tokens * per_window * heads  # every window: heads · T · T
    projections = 4 * tokens * channels * channels
    products = 2 * tokens * per_window * channels
    tensors = [
        Tensor("qkv.weight", "weight", (3 * channels, channels)),
        Tensor("proj.weight", "weight", (channels, channels)),
    ]
    bias_adds = 0
    if attrs["qkv_bias"]:
        tensors.append(Tensor("qkv.bias", "bias", (3 * channels,)))
        bias_adds += tokens * 3 * channels
    if attrs["proj_bias"]:
        tensors.append(Tensor("proj.bias", "bias", (channels,)))
        bias_adds += tokens * channels
    score_adds = scores if shift else 0  # the mask of the shifted windows
    table = 0
    if attrs["position_bias"]:
        table = (2 * window - 1) ** 2 * heads
        tensors.append(Tensor("relative_position_bias_table", "learned", (table // heads, heads)))
        tensors.append(Tensor("relative_position_index", "index", (per_window * per_window,)))
        score_adds += scores
    # QKᵀ and AV: two torch.einsum calls, each its own occurrence (fvcore rounds each)
    products_work = (
        (("einsum_macs", products // 2),) * 2 if attrs["einsum"] else (("matmul_macs", products),)
    )
    work: tuple[tuple[str, int], ...] = (
        ("linear_macs", projections),
        ("linear_output", tokens * 4 * channels),
        ("linear_bias", bias_adds),
        *products_work,
        ("mul", tokens * channels),  # q · 1/√hd
        ("add", score_adds),
        ("attention_softmax", scores),  # F.softmax: module-hooking counters don't see it
    )
    learnable = sum(tensor.elements for tensor in tensors if tensor.role not in BUFFER_ROLES)
    return OpCost(
        shape,
        params=learnable,
        buffers=per_window * per_window if attrs["position_bias"] else 0,
        macs=projections + products,
        work=tuple((kind, count) for kind, count in work if count),
        tensors=tuple(tensors),
        container_params=table,
    )
