"""Sequence ops: token embeddings, class tokens, learned position embeddings, rmsnorm.

- embedding [N, S] ids → [N, S, dim]: params vocab·dim; reads only the S rows it gathers
- class_token [N, S, D] → [N, S + 1, D]: params D (one learned token, prepended)
- position_embedding [N, S, D]: params max_len·D (learned, added; default max_len = S):
  one add per element; reads only the S rows it adds
- learnable: a learned tensor of `shape`, params ∏shape, added to the input by
  broadcasting (one add per output element) or, `add: false`, in its place
- rmsnorm over the last `dims` dims: params ∏normalized (scale) when affine
"""

from __future__ import annotations

from budgetlint.engine.cost import Attrs, OpCost, ShapeError, Tensor, numel
from budgetlint.engine.ops.attrs import Attr
from budgetlint.engine.ops.merge import broadcast
from budgetlint.graph import Shape

EMBEDDING_ATTRS = (Attr("vocab", "positive"), Attr("dim", "positive"))
SEGMENT_ATTRS = (Attr("vocab", "positive", doc="rows of the table (BERT: 2 token types)"),)
POSITION_ATTRS = (Attr("max_len", "positive", None, doc="rows of the learned table (default: S)"),)
LEARNABLE_ATTRS = (
    Attr("shape", "integer_list", doc="the learned tensor's shape"),
    Attr("add", "bool", True, doc="added to the input (broadcast); false: the output itself"),
)
RMSNORM_ATTRS = (Attr("dims", "positive", 1), Attr("affine", "bool", True))


def embedding(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape = inputs[0]
    output = (*shape, attrs["dim"])
    table = Tensor("weight", "embedding", (attrs["vocab"], attrs["dim"]), read=numel(output))
    return OpCost(
        output, params=attrs["vocab"] * attrs["dim"], weights_read=numel(output), tensors=(table,)
    )


def _tokens(shape: Shape, op: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ShapeError(f"{op} expects [N, S, D], got {list(shape)}")
    return shape[0], shape[1], shape[2]


def class_token(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    batch, length, features = _tokens(inputs[0], "class_token")
    token = Tensor("class_token", "learned", (1, 1, features))
    return OpCost((batch, length + 1, features), params=features, tensors=(token,))


def position_embedding(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    _, length, features = _tokens(inputs[0], "position_embedding")
    rows = attrs["max_len"] or length
    if rows < length:
        raise ShapeError(f"{length} positions don't fit a table of max_len={rows}")
    return OpCost(
        inputs[0],
        params=rows * features,
        work=(("add", numel(inputs[0])),),
        weights_read=length * features,
        tensors=(Tensor("weight", "learned", (rows, features), read=length * features),),
    )


def learnable(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    """A learned tensor of `shape` (an nn.Parameter the module holds itself), added to the
    input by broadcasting (an attention bias on the scores), or, `add: false`, in its
    place (a learned matrix that a parallel branch multiplies)."""
    shape = tuple(attrs["shape"])
    if any(size < 1 for size in shape):
        raise ShapeError(f"a learned tensor needs positive sizes, got {list(shape)}")
    tensor = Tensor("weight", "learned", shape)
    if not attrs["add"]:
        return OpCost(
            shape, params=tensor.elements, tensors=(tensor,), container_params=tensor.elements
        )
    output = broadcast((inputs[0], shape), "learnable")
    return OpCost(
        output,
        params=tensor.elements,
        work=(("add", numel(output)),),
        tensors=(tensor,),
        container_params=tensor.elements,
    )


def segment_embedding(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    """BERT's token-type embeddings: a `vocab`-row table, one row added at each position."""
    _, _, features = _tokens(inputs[0], "segment_embedding")
    table = Tensor("weight", "embedding", (attrs["vocab"], features))
    return OpCost(
        inputs[0],
        params=attrs["vocab"] * features,
        work=(("add", numel(inputs[0])),),
        tensors=(table,),
    )


def rmsnorm(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape = inputs[0]
    dims = attrs["dims"]
    if dims > len(shape):
        raise ShapeError(f"rmsnorm over {dims} dims needs a rank of at least {dims}")
    work: tuple[tuple[str, int], ...] = (("rmsnorm", numel(shape)),)
    params = 0
    tensors: tuple[Tensor, ...] = ()
    if attrs["affine"]:
        params = numel(shape[-dims:])
        work += (("rmsnorm_affine", numel(shape)),)
        tensors = (Tensor("weight", "norm", shape[-dims:]),)
    return OpCost(shape, params=params, work=work, tensors=tensors)
