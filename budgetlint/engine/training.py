"""One training step: its memory, FLOPs and roofline time, for full or partial fine-tuning.

Static memory follows ZeRO's accounting (Rajbhandari et al. 2020, arXiv:1910.02054):
every parameter and buffer is stored at `params_dtype` (a frozen parameter costs only
this); each trainable parameter adds a gradient at `grads_dtype`, a master copy at
`master_dtype` when that is given and differs from `params_dtype` (mixed precision), and
the optimizer's states at `optimizer_dtype`. Mixed-precision Adam: 2 + 2 + 4 + 2·4 = 16
bytes per trainable parameter.

Activations are what the forward saves for the backward (engine/saved.py), each tensor
once, at `params_dtype` (the compute dtype), plus the output the loss reads:
- `none`: everything saved;
- `selective` (Korthikanti et al. 2022): the attention core (softmax output, its dropout
  mask and output) is recomputed in the backward instead of saved;
- `per_block` (Chen et al. 2016, gradient checkpointing): each repeated block keeps only
  its input; the backward recomputes one block at a time, so one block's saved tensors
  (the largest) are held at once, beside what layers outside the blocks save.

FLOPs: forward + backward (engine/backward.py) + what checkpointing runs again: the
attention core of unfused attention under `selective`, every block's forward under
`per_block`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from budgetlint.device import Roofline, TrainingConfig
from budgetlint.engine import distinct
from budgetlint.engine.cost import numel
from budgetlint.engine.evaluate import LayerReport, ModelReport, SavedTensor, SavedTotal
from budgetlint.engine.memory import Precision, packed
from budgetlint.engine.saved import SAVED_BITS


def _states(per_parameter: int) -> Callable[[LayerReport], int]:
    return lambda layer: per_parameter * layer.trainable


def _adafactor(layer: LayerReport) -> int:
    """Rows + columns of each matrix, factored over its last two dims; vectors in full."""
    states = 0
    for tensor in layer.weight_tensors():
        shape = tensor.shape
        if not tensor.stored or tensor.role == "buffer":
            continue
        if len(shape) < 2:
            states += tensor.elements
        else:
            states += numel(shape[:-1]) + numel(shape[:-2]) * shape[-1]
    return states


@dataclass(frozen=True)
class Optimizer:
    name: str
    states: Callable[[LayerReport], int]  # state elements for a layer's trainable params
    doc: str


OPTIMIZERS: dict[str, Optimizer] = {
    "sgd": Optimizer("sgd", _states(0), "no state"),
    "sgd_momentum": Optimizer("sgd_momentum", _states(1), "a momentum buffer per parameter"),
    "adam": Optimizer("adam", _states(2), "first and second moments per parameter"),
    "adamw": Optimizer("adamw", _states(2), "first and second moments per parameter"),
    "adafactor": Optimizer(
        "adafactor",
        _adafactor,
        "a factored second moment: rows + columns of each weight matrix (over its last two "
        "dims), in full for vectors; no first moment (beta1 unset, the default)",
    ),
}

CHECKPOINTING: dict[str, str] = {
    "none": "every saved tensor is kept",
    "selective": "the attention core (softmax, its dropout, scores) is recomputed, not saved",
    "per_block": "each repeated block keeps only its input and is recomputed in the backward",
}


DEFAULT_TRAINING = TrainingConfig()


@dataclass(frozen=True)
class TrainMemory:
    weights: int
    grads: int
    master: int
    optimizer: int
    activations: int

    @property
    def total(self) -> int:
        return self.weights + self.grads + self.master + self.optimizer + self.activations


def optimizer_states(report: ModelReport, optimizer: str) -> int:
    rule = OPTIMIZERS[optimizer].states
    return sum(rule(layer) for layer in report.layers if layer.trainable)


def _bytes(tensor: SavedTensor, bits: int) -> int:
    return packed(tensor.elements, SAVED_BITS[tensor.kind] or bits)


def _sum_bytes(total: SavedTotal, bits: int) -> int:
    return total.tensors.bytes(SAVED_BITS[total.kind] or bits)  # each tensor packed alone


def saved_activations(report: ModelReport, checkpointing: str, bits: int) -> int:
    """Bytes held for the backward at its start, with the output the loss reads."""
    saved = report.saved
    if checkpointing == "selective":
        saved = tuple(total for total in saved if not total.core)
    kept = saved
    checkpoints: tuple[SavedTensor, ...] = ()
    largest_block = 0
    if checkpointing == "per_block" and report.unit_inputs:
        blocks: dict[str, int] = {}
        for total in saved:
            if total.unit and not total.checkpoint:
                blocks[total.unit] = blocks.get(total.unit, 0) + _sum_bytes(total, bits)
        kept = tuple(total for total in saved if not total.unit and not total.checkpoint)
        checkpoints = report.unit_inputs
        largest_block = max(blocks.values(), default=0)
    held = sum(_sum_bytes(total, bits) for total in kept)
    held += sum(_bytes(tensor, bits) for tensor in checkpoints)
    has_output = any(total.output for total in kept)
    if not has_output and all(tensor.tensor != report.output_tensor for tensor in checkpoints):
        held += _bytes(SavedTensor("activation", numel(report.output), "output"), bits)
    return held + largest_block


def train_memory(report: ModelReport, config: TrainingConfig) -> TrainMemory:
    trainable = report.trainable
    master = config.master_bits if config.master_bits != config.params_bits else 0
    return TrainMemory(
        weights=packed(report.learnable + report.buffers, config.params_bits),
        grads=packed(trainable, config.grads_bits),
        master=packed(trainable, master),
        optimizer=packed(optimizer_states(report, config.optimizer), config.optimizer_bits),
        activations=saved_activations(report, config.checkpointing, config.params_bits),
    )


def _recomputed(layer: LayerReport, checkpointing: str, blocks: bool) -> int:
    if checkpointing == "selective":
        return layer.recompute_flops
    if checkpointing == "per_block" and blocks and layer.unit:
        return layer.flops
    return 0


def layer_train_flops(layer: LayerReport, checkpointing: str, blocks: bool) -> int:
    return layer.flops + layer.backward_flops + _recomputed(layer, checkpointing, blocks)


def train_flops(report: ModelReport, config: TrainingConfig) -> int:
    """Forward + backward + recomputation, at the report's convention: each distinct layer
    (engine.distinct) once, times the layers equal to it."""
    blocks = bool(report.unit_inputs)
    layers, numbered = report.layers, distinct.numbers(report)
    return sum(
        count * layer_train_flops(layers[first], config.checkpointing, blocks)
        for first, count in zip(numbered.first, numbered.counts, strict=True)
    )


def update_bytes(report: ModelReport, config: TrainingConfig) -> int:
    """The optimizer step reads each gradient, reads and writes each master weight and
    state, and writes the weights (reading them too when they are their own master)."""
    memory = train_memory(report, config)
    weights = packed(report.trainable, config.params_bits)
    return (
        memory.grads
        + 2 * (memory.master + memory.optimizer)
        + (1 if memory.master else 2) * weights
    )


def step_time(report: ModelReport, config: TrainingConfig, roofline: Roofline) -> float:
    """Roofline time of one step: each layer's forward, backward and recomputation, bound by
    compute (at params_dtype) or by memory, whichever is slower, then the optimizer update,
    bound by memory. The backward moves twice the forward's bytes (it reads the output
    gradient, the saved tensors and the weights; writes the input and weight gradients)."""
    precision = Precision(config.params_bits, config.params_bits)
    blocks = bool(report.unit_inputs)
    compute = roofline.compute * roofline.efficiency
    bandwidth = roofline.bandwidth * roofline.efficiency
    costs = distinct.device_costs(report, precision, None)  # a slot's layers are alike
    terms = []
    for first, traffic in zip(costs.first, costs.traffic, strict=True):
        layer = report.layers[first]
        if layer.alias:
            terms.append(0.0)  # adds nothing: the sum is the sum without it
            continue
        forward = traffic.total
        passes = 1 + (1 if _recomputed(layer, config.checkpointing, blocks) else 0)
        moved = forward * passes + (2 * forward if layer.backward_flops else 0)
        flops = layer_train_flops(layer, config.checkpointing, blocks)
        kernels = passes + (1 if layer.backward_flops else 0)
        terms.append(max(flops / compute, moved / bandwidth) + kernels * roofline.overhead)
    total = 0.0
    for term in map(terms.__getitem__, costs.of):  # layer by layer, in order
        total += term
    return total + update_bytes(report, config) / bandwidth
