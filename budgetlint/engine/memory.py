"""Memory: bytes moved per layer (memory access cost) and activations held at once.

Memory access cost, as in ShuffleNet V2 (Ma et al. 2018, arXiv:1807.11164)
and the Chinese article on params, FLOPs and memory access (参数量、计算量、访存量) that
budgetlint started from: a layer reads its inputs, weights and buffers and writes its
output; a model's cost is the sum over layers. Views (the free ops,
engine.ops.FREE_OPS) move nothing. Each tensor is stored at its dtype, sub-byte
types packed and rounded up to a byte per tensor.

Peak activation memory: the largest total of tensors alive at once, from the
liveness the evaluator records (a residual's input stays alive across its
body, branch outputs until their merge); the model's input counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from budgetlint.device import DTYPES, Device, Storage
from budgetlint.engine.cost import numel
from budgetlint.engine.evaluate import LayerReport, ModelReport
from budgetlint.engine.storage import WeightFormat, stored_bytes


@dataclass(frozen=True)
class Precision:
    weight_bits: int = 32
    activation_bits: int = 32
    weights: WeightFormat | None = None  # quantization and overrides; None: weight_bits
    kv_bits: int | None = None  # the KV cache's type; None: activation_bits

    @property
    def weight_format(self) -> WeightFormat:
        return self.weights or WeightFormat.plain(self.weight_bits)

    @property
    def kv_cache_bits(self) -> int:
        return self.activation_bits if self.kv_bits is None else self.kv_bits


FLOAT32 = Precision()


def device_precision(device: Device) -> Precision:
    """Without quantization every tensor is stored at dtype; with it, only the weight
    matrices and embedding tables are (with their scales), the rest at the activation
    dtype. Overrides come last."""
    weights = None
    if device.quantization is not None or device.overrides:
        quantized = Storage(DTYPES[device.dtype].bits, device.quantization)
        other = device.activations if device.quantization is not None else device.dtype
        weights = WeightFormat(quantized, Storage(DTYPES[other].bits), device.overrides)
    kv_bits = DTYPES[device.kv_cache_dtype].bits if device.kv_cache_dtype else None
    return Precision(DTYPES[device.dtype].bits, DTYPES[device.activations].bits, weights, kv_bits)


def packed(elements: int, bits: int) -> int:
    return -(-elements * bits // 8)


@dataclass(frozen=True)
class Traffic:
    read: int
    written: int

    @property
    def total(self) -> int:
        return self.read + self.written


def layer_traffic(layer: LayerReport, precision: Precision) -> Traffic:
    if layer.alias:
        return Traffic(0, 0)
    activations = sum(packed(numel(shape), precision.activation_bits) for shape in layer.inputs)
    form = precision.weights
    if form is None:  # one storage for all: packed once, as a stream
        read = sum(tensor.elements_read for tensor in layer.weight_tensors())
        weights = packed(read, precision.weight_bits)
    else:
        weights = stored_bytes(
            (form.storage(layer.name, layer.op, tensor), tensor, tensor.elements_read)
            for tensor in layer.weight_tensors()
        )
    activations += packed(layer.state_read, precision.kv_cache_bits)
    return Traffic(activations + weights, packed(numel(layer.output), precision.activation_bits))


def names_matter(precision: Precision) -> bool:
    """Whether an override may store a layer's tensors by its name (a rule with layer
    globs); rules on ops and roles alone store equal layers alike."""
    form = precision.weights
    return form is not None and any(rule.layers for rule in form.overrides)


def size_bytes(report: ModelReport, precision: Precision) -> int:
    """Every tensor stored once (a tied weight with its owner), at its storage."""
    form = precision.weights
    if form is None:
        return report.size_bytes(precision.weight_bits)  # every stored value at weight_bits
    return stored_bytes(
        (form.storage(layer.name, layer.op, tensor), tensor, tensor.elements)
        for layer in report.layers
        for tensor in layer.weight_tensors()
        if tensor.stored
    )


def kv_cache_bytes(report: ModelReport, precision: Precision) -> int:
    """The KV cache the step leaves: per causal attention, 2·N·(context + S)·G·hd values."""
    return packed(sum(layer.state_held for layer in report.layers), precision.kv_cache_bits)


def mac_bytes(report: ModelReport, precision: Precision) -> int:
    return sum(layer_traffic(layer, precision).total for layer in report.layers)


@dataclass(frozen=True)
class Peak:
    bytes: int
    layer: str  # the layer running when the peak is reached ("input" for an empty model)


def peak_activations(report: ModelReport, bits: int) -> Peak:
    peak = Peak(packed(numel(report.input), bits), "input")
    last = None
    for layer in report.layers:
        if layer.live is last:
            continue  # the same tensors as the row before (a chain): not a new peak
        last = layer.live
        held = layer.live.bytes(bits)
        if held > peak.bytes:
            peak = Peak(held, layer.name)
    return peak


def naive_activations(report: ModelReport, bits: int) -> int:
    """Input plus every layer's output, all at once: what summary tools print."""
    outputs = sum(packed(numel(layer.output), bits) for layer in report.layers if not layer.alias)
    return packed(numel(report.input), bits) + outputs
