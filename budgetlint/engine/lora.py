"""LoRA (Hu et al. 2021, arXiv:2106.09685): low-rank adapters beside frozen linear weights.

A targeted linear W [out, in] gains A [r, in] and B [out, r]: y = W·x + (alpha/r)·B·A·x.
Targets are module names as peft's `target_modules` reads them: a module is targeted
when its name equals a target or ends with "." + target (`q_proj` targets every layer's
q_proj), or when a glob matches the whole name. A `linear` layer is its module; an
attention's four projections are `<layer>.q_proj`, `.k_proj`, `.v_proj` and `.o_proj`.

Per adapter on T tokens: params r·(in + out); MACs T·r·in (x·Aᵀ) + T·r·out (·Bᵀ); work:
the scaling and the sum with the base output, T·out each. The adapters always train;
A saves its input (the same tensor the base layer reads) and B the r-wide h = A·x.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any

from budgetlint.engine.cost import OpCost, Tensor, numel
from budgetlint.engine.saved import Saved
from budgetlint.graph import Lora, Shape

PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj")


@dataclass(frozen=True)
class Adapter:
    module: str  # the targeted module's name
    tensor: str  # its prefix in the op's tensors ("" for a linear, "q_proj." in attention)
    features_in: int
    features_out: int
    tokens: int


def targeted(module: str, targets: tuple[str, ...]) -> bool:
    return any(
        module == target or module.endswith("." + target) or fnmatchcase(module, target)
        for target in targets
    )


def adapters(
    name: str, op: str, shape: Shape, attrs: Any, cost: OpCost, lora: Lora
) -> tuple[Adapter, ...]:
    """The adapters a layer gains: a targeted linear's one, an attention's per projection."""
    if op == "linear" and shape and targeted(name, lora.targets):
        tokens = numel(shape) // shape[-1]
        return (Adapter(name, "", shape[-1], attrs["out"], tokens),)
    if op != "multihead_attention":
        return ()
    batch, length = shape[0], shape[1]
    keys = batch * (attrs["kv_len"] or length)
    found = []
    for tensor in cost.tensors:
        projection = tensor.name.removesuffix(".weight")
        module = f"{name}.{projection}"
        weight = projection in PROJECTIONS and tensor.name.endswith(".weight")
        if weight and targeted(module, lora.targets):
            out, features = tensor.shape
            tokens = keys if projection in ("k_proj", "v_proj") else batch * length
            found.append(Adapter(module, f"{projection}.", features, out, tokens))
    return tuple(found)


def with_adapters(cost: OpCost, found: tuple[Adapter, ...], rank: int) -> OpCost:
    """The op's cost with its adapters' params, MACs, work and tensors added."""
    params = sum(rank * (a.features_in + a.features_out) for a in found)
    down = sum(a.tokens * rank * a.features_in for a in found)
    up = sum(a.tokens * rank * a.features_out for a in found)
    outputs = sum(a.tokens * a.features_out for a in found)
    tensors = tuple(
        tensor
        for a in found
        for tensor in (
            Tensor(f"{a.tensor}lora_A.weight", "learned", (rank, a.features_in)),
            Tensor(f"{a.tensor}lora_B.weight", "learned", (a.features_out, rank)),
        )
    )
    return replace(
        cost,
        params=cost.params + params,
        macs=cost.macs + down + up,
        work=(
            *cost.work,
            ("lora_a_macs", down),
            ("lora_b_macs", up),
            ("lora_scale", outputs),
            ("lora_merge", outputs),
        ),
        tensors=(*cost.stored_tensors(), *tensors),
    )


def adapter_saves(found: tuple[Adapter, ...], rank: int) -> tuple[Saved, ...]:
    """A needs its input (shared with the base layer; o_proj's is attention's context,
    saved by the attention already); B needs h = A·x, r wide."""
    inputs = (Saved("input"),) if any(not a.module.endswith(".o_proj") for a in found) else ()
    return (*inputs, *(Saved("activation", a.tokens * rank) for a in found))


def adapter_params(found: tuple[Adapter, ...], rank: int) -> int:
    return sum(rank * (a.features_in + a.features_out) for a in found)
