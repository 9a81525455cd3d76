"""Budgets of on-device language models: quantized size, KV cache, memory, throughput.

Every expected value is hand arithmetic on a model small enough to write out: a
device storing weight matrices at int4 in groups of 32 with float16 scales
(int4 packs two per byte: a row of 64 weights is 32 bytes + 2 scales · 2 bytes),
float16 activations and KV cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

DEVICE = """
version: 1
devices:
  phone:
    dtype: int4
    activation_dtype: float16
    quantization: {{group: 32, scale_dtype: float16}}
    compute: {{float16: 1TFLOPS}}
    bandwidth: 10GB/s
    overhead: 1MB
    budgets: {{{budgets}}}
models:
  decode:
    input: [2, 1]                  # a batch of 2 sequences, one new token each
    devices: [phone]
    layers:
      - embedding: {{vocab: 1000, dim: 64}}
      - multihead_attention: {{heads: 4, kv_heads: 2, causal: true, context: 100, bias: false}}
      - linear: {{out: 1000, bias: false}}
"""
ROW = 64 // 2 + (64 // 32) * 2  # bytes of a 64-weight row: packed int4 and two scales
EMBEDDING = 1000 * ROW
ATTENTION = 64 * ROW + 32 * ROW + 32 * ROW + 64 * ROW  # q [64, 64], k and v [32, 64], o
HEAD = 1000 * ROW
SIZE = EMBEDDING + ATTENTION + HEAD
# layers · 2 (keys, values) · kv_heads · head_dim · (context + tokens) · batch · 2 bytes
KV_CACHE = 1 * 2 * 2 * 16 * (100 + 1) * 2 * 2
# float16 activations: the head holds its input [2, 1, 64] and output [2, 1, 1000]
PEAK = 2 * (2 * 64 + 2 * 1000)
MEMORY = SIZE + KV_CACHE + PEAK + 10**6


def verdicts(write, cli, budgets: str) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    run = cli("check", str(write("spec.yaml", DEVICE.format(budgets=budgets))), "-f", "json")
    assert not run.json()["problems"], run.err
    return {verdict["budget"]: verdict for verdict in run.json()["verdicts"]}


def test_size_kv_cache_and_memory(write, cli) -> None:  # type: ignore[no-untyped-def]
    found = verdicts(write, cli, "size: 1MB, kv_cache: 1MB, memory: 2MB")
    assert found["size"]["value"] == SIZE == 1000 * 36 + 192 * 36 + 1000 * 36
    assert found["kv_cache"]["value"] == KV_CACHE == 25_856
    assert found["memory"]["value"] == MEMORY
    assert all(verdict["ok"] for verdict in found.values())
    broken = verdicts(write, cli, f"memory: {MEMORY - 1}B")["memory"]
    assert (broken["ok"], broken["headroom"]) == (False, -1)


def test_kv_cache_dtype(write, cli) -> None:  # type: ignore[no-untyped-def]
    text = DEVICE.format(budgets="kv_cache: 1MB").replace(
        "activation_dtype: float16", "activation_dtype: float16\n    kv_cache_dtype: int8"
    )
    run = cli("check", str(write("spec.yaml", text)), "-f", "json")
    assert run.json()["verdicts"][0]["value"] == KV_CACHE // 2


# Throughput of a decode step of 2 tokens: an embedding and a head, memory-bound.
THROUGHPUT_SPEC = """
version: 1
devices:
  phone:
    dtype: int4
    activation_dtype: float16
    quantization: {{group: 32, scale_dtype: float16}}
    compute: {{float16: 1TFLOPS}}
    bandwidth: 10GB/s
    budgets: {{throughput: {limit}}}
    warn: 90%
models:
  decode:
    input: [2, 1]
    devices: [phone]
    layers:
      - embedding: {{vocab: 1000, dim: 64}}
      - linear: {{out: 1000, bias: false}}
"""
EMBED_BYTES = 2 * 2 + 2 * ROW + 2 * 64 * 2  # two ids, two rows with scales; [2, 1, 64] out
HEAD_BYTES = 2 * 64 * 2 + 1000 * ROW + 2 * 1000 * 2  # input, the matrix, [2, 1, 1000] out
HEAD_FLOPS = 2 * 2 * 64 * 1000  # below the bandwidth's time: both layers memory-bound
SECONDS = (EMBED_BYTES + HEAD_BYTES) / 10e9
TOKENS_PER_SECOND = 2 * 1 / SECONDS  # tokens per step × batch / latency: about 492.8k


@pytest.mark.parametrize(
    ("limit", "status"),
    [("400ktok/s", "ok"), ("450ktok/s", "warn"), ("500ktok/s", "over"), ("492ktok/s", "warn")],
)
def test_throughput_is_a_minimum(write, cli, limit: str, status: str) -> None:  # type: ignore[no-untyped-def]
    assert HEAD_FLOPS / 1e12 < HEAD_BYTES / 10e9
    path = write("spec.yaml", THROUGHPUT_SPEC.format(limit=limit))
    run = cli("check", str(path), "-f", "json")
    (verdict,) = run.json()["verdicts"]
    assert verdict["value"] == pytest.approx(TOKENS_PER_SECOND)
    assert verdict["status"] == status
    assert run.code == (1 if status == "over" else 0)
    assert verdict["headroom"] == pytest.approx(TOKENS_PER_SECOND - verdict["limit"])
    text = cli("check", str(path)).out
    if status == "over":
        assert "misses the throughput budget of phone: 493 ktok/s < 500 ktok/s" in text


def test_totals_on_a_device(write, cli) -> None:  # type: ignore[no-untyped-def]
    path = write("spec.yaml", THROUGHPUT_SPEC.format(limit="1tok/s"))
    report = cli("report", str(path), "--device", "phone", "-f", "json").json()
    totals = report["models"][0]["totals"]
    size = 1000 * ROW + 1000 * ROW
    assert totals["size_bytes"] == size  # at the device's storage, not float32
    assert totals["kv_cache_bytes"] == 0
    assert totals["latency_seconds"] == pytest.approx(SECONDS)
    assert totals["tokens_per_second"] == pytest.approx(TOKENS_PER_SECOND)
    assert totals["memory_bytes"] == size + 2 * (2 * 64 + 2 * 1000)
    checked = cli("check", str(path), "-f", "json").json()["models"][0]
    assert checked["on_devices"]["phone"]["tokens_per_second"] == pytest.approx(TOKENS_PER_SECOND)
    assert checked["totals"]["size_bytes"] == 4 * 2 * 64_000  # float32 without a device


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("dtype: int4", "dtype: float16"),
            "spec.yaml:6:19: quantization needs an integer dtype (int4, int8), not float16",
        ),
        (
            ("budgets: {throughput: 1tok/s}", "budgets: {throughput: 50}"),
            "throughput: 50 needs a unit: tok/s",
        ),
        (
            ("bandwidth: 10GB/s", "description: no bandwidth"),
            "a throughput budget needs the device's bandwidth",
        ),
        (
            ("warn: 90%", "max_increase: {throughput: 5%}"),
            "max_increase doesn't apply to throughput",
        ),
        (
            ("warn: 90%", "overrides: [{ops: [rmsnrom], dtype: float16}]"),
            "spec.yaml:10:24: devices.phone.overrides[0].ops[0]: 'rmsnrom' is not allowed "
            "(did you mean 'rmsnorm'?)",
        ),
        (("warn: 90%", "overrides: [{dtype: float16}]"), "overrides"),
        (("warn: 90%", "overhead: 150"), "overhead: 150 needs a unit"),
    ],
)
def test_bad_device_fields(write, cli, change: tuple[str, str], message: str) -> None:  # type: ignore[no-untyped-def]
    text = THROUGHPUT_SPEC.format(limit="1tok/s").replace(*change)
    run = cli("check", str(write("spec.yaml", text)))
    assert run.code == 2
    assert message in run.err, run.err


def test_overrides_in_a_spec(write, cli) -> None:  # type: ignore[no-untyped-def]
    text = THROUGHPUT_SPEC.format(limit="1tok/s").replace(
        "warn: 90%",
        "overrides:\n      - {layers: 'layers.0', dtype: int8}\n"
        "      - {layers: ['layers.1'], dtype: float16}",
    )
    run = cli("report", str(write("spec.yaml", text)), "--device", "phone", "-f", "json")
    # embedding at int8 with the device's float16 scales per 32; the head plain float16
    assert run.json()["models"][0]["totals"]["size_bytes"] == (1000 * (64 + 2 * 2) + 1000 * 64 * 2)


PHONE = Path(__file__).parents[1] / "specs" / "phone-llm.yaml"
EFFECTIVE_BANDWIDTH = 76.8e9 * 0.75  # LPDDR5X-9600 on 64 bits, 75% reached
EFFECTIVE_COMPUTE = 710.4e9 * 0.75
Q4_0 = 4 / 8 + 2 / 32  # bytes per weight: 4 bits and a float16 scale per 32
Q8_0 = 1 + 2 / 32


class Lm(NamedTuple):
    """The public config.json figures; head_dim is 64 in both."""

    d: int
    ff: int
    layers: int
    heads: int
    kv_heads: int
    vocab: int
    biases: int  # per layer


QWEN = Lm(896, 4864, 24, 14, 2, 151_936, 896 + 2 * 128)
LLAMA = Lm(2048, 8192, 16, 32, 8, 128_256, 0)


def matrices(m: Lm) -> int:
    return m.layers * (2 * m.d * m.d + 2 * m.kv_heads * 64 * m.d + 3 * m.d * m.ff)


def file_size(m: Lm) -> int:
    table = m.vocab * m.d * Q8_0  # tied: the head stores nothing
    norms = m.layers * 2 * m.d + m.d
    return int(table + matrices(m) * Q4_0 + 2 * (norms + m.layers * m.biases))


def kv_cache(m: Lm, tokens: int) -> int:
    return m.layers * 2 * m.kv_heads * 64 * tokens * 2


def decode_bytes(model: Lm) -> int:
    """Weights once (the table as the tied head, one row as the embedding), the cache, and
    every layer's float16 inputs and outputs."""
    d, ff, layers, vocab = model.d, model.ff, model.layers, model.vocab
    row = int(d * Q8_0)
    weights = file_size(model) + row
    per_layer = (2 * d) * 2 + 2 * d + 3 * d + (d + ff) * 2 + 2 * ff + 3 * ff + (ff + d) + 3 * d
    activations = 2 * (layers * per_layer + (1 + d) + 2 * d + (d + vocab))
    return weights + kv_cache(model, 4096) + activations


def phone_figures() -> dict[str, dict]:  # type: ignore[type-arg]
    from budgetlint.pipeline import run
    from budgetlint.render.layers import figures

    result = run([PHONE])
    assert not result.problems and result.exit_code == 0
    return {
        m.report.name: {"seen": figures(m.report, m.targets[0]), "model": m} for m in result.models
    }


@pytest.mark.parametrize(("name", "model"), [("qwen2.5-0.5b", QWEN), ("llama-3.2-1b", LLAMA)])
def test_phone_figures_against_hand_arithmetic(name: str, model: Lm) -> None:
    d, ff, layers, heads, vocab = model.d, model.ff, model.layers, model.heads, model.vocab
    found = phone_figures()
    prefill, decode = found[f"{name}-prefill"]["seen"], found[f"{name}-decode"]["seen"]
    assert prefill.size_bytes == decode.size_bytes == file_size(model)
    assert prefill.kv_cache_bytes == kv_cache(model, 4096)
    assert decode.kv_cache_bytes == kv_cache(model, 4097)
    # the peak of a prefill: residual, gate, up and their product; of a decode: the head
    assert prefill.peak.bytes == 2 * 4096 * (d + 3 * ff)
    assert decode.peak.bytes == 2 * (d + vocab)
    assert (
        prefill.memory_bytes
        == file_size(model) + kv_cache(model, 4096) + 2 * 4096 * (d + 3 * ff) + 200e6
    )
    assert decode.mac_bytes == decode_bytes(model)
    assert decode.tokens_per_second == pytest.approx(EFFECTIVE_BANDWIDTH / decode_bytes(model))
    # prefill: the matrices, the head at one position, causal QKᵀ and AV, softmax at 5
    scores = layers * heads * 4096 * 4097 // 2
    macs = 4096 * matrices(model) + d * vocab + 2 * scores * 64
    assert found[f"{name}-prefill"]["model"].report.macs == macs
    compute_bound_latency = (2 * macs + 5 * scores) / EFFECTIVE_COMPUTE
    # the roofline's figure, not a clock: above it only by the memory-bound norms
    assert compute_bound_latency < prefill.latency < compute_bound_latency * 1.025


def test_the_readme_shows_the_hand_figures() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text("utf-8")
    for figure in (
        file_size(QWEN),
        file_size(LLAMA),
        kv_cache(QWEN, 4096),
        kv_cache(LLAMA, 4096),
        decode_bytes(QWEN),
        decode_bytes(LLAMA),
    ):
        assert f"{figure:,}" in readme


def test_gguf_and_accelerate_comparison() -> None:
    """The README's table: GGUF's Q4_0 / Q8_0 block sizes (ggml: 18 and 34 bytes per 32
    weights, one-dimensional tensors F32) and accelerate's measured int4 estimate."""
    import json
    from dataclasses import replace

    from budgetlint.device import Override, Storage
    from budgetlint.engine.memory import device_precision, size_bytes

    found = phone_figures()["qwen2.5-0.5b-decode"]
    report, device = found["model"].report, found["model"].targets[0]
    one_dimensional = 24 * (2 * 896 + 1152) + 896
    gguf = 357_826_560 * 18 // 32 + 136_134_656 * 34 // 32 + one_dimensional * 4
    as_gguf = replace(
        device, overrides=(*device.overrides, Override(Storage(32), roles=("bias", "norm")))
    )
    assert size_bytes(report, device_precision(as_gguf)) == gguf == 346_206_720
    measured = json.loads(
        (Path(__file__).parent / "data" / "measured_accelerate_estimate.json").read_text("utf-8")
    )["models"]["qwen2.5-0.5b"]
    (int4,) = (row for row in measured["rows"] if row["dtype"] == "int4")
    flat = replace(device, quantization=None, overrides=(), activation_dtype="int4")
    assert size_bytes(report, device_precision(flat)) == 494_032_768 // 2
    assert int4["total_size_bytes"] == 494_032_768 // 2 + 32  # + 64 float32 rotary buffers / 8
    assert found["seen"].memory_bytes - int4["total_size_bytes"] == pytest.approx(349.7e6, rel=1e-3)


def test_report_says_what_the_model_holds(write, cli) -> None:  # type: ignore[no-untyped-def]
    path = write("spec.yaml", DEVICE.format(budgets="size: 1MB"))
    text = cli("report", str(path), "--device", "phone").out
    assert f"stored 78.9 kB ({SIZE:,} bytes)" in text
    assert f"KV cache 25.9 kB ({KV_CACHE:,} bytes)" in text
    assert f"memory 1.11 MB ({MEMORY:,} bytes)" in text
    assert "(2 tokens a step)" in text


def test_markdown_usage_of_a_minimum(write, cli) -> None:  # type: ignore[no-untyped-def]
    path = write("spec.yaml", THROUGHPUT_SPEC.format(limit="500ktok/s"))
    markdown = cli("check", str(path), "-f", "markdown").out
    used = f"{100 * 500e3 / TOKENS_PER_SECOND:.0f}%"  # limit / value for a minimum: 101%
    assert f"██████████ {used}" in markdown and "❌ over" in markdown


def test_override_rules_are_bounded(write, cli) -> None:  # type: ignore[no-untyped-def]
    rules = "".join("\n      - {layers: '*', dtype: int8}" for _ in range(65))
    text = THROUGHPUT_SPEC.format(limit="1tok/s").replace("warn: 90%", f"overrides:{rules}")
    run = cli("check", str(write("spec.yaml", text)))
    assert run.code == 2 and "devices.phone.overrides" in run.err
    assert run.err.count("\n") == 1  # one problem, at the list


def test_overrides_as_a_mapping_of_op_role_or_name(write, cli) -> None:  # type: ignore[no-untyped-def]
    text = THROUGHPUT_SPEC.format(limit="1tok/s").replace(
        "warn: 90%",
        "overrides:\n      'layers.0': {dtype: int8}\n      linear: {dtype: float16}\n"
        "      embedding: {dtype: int8, quantization: none}",
    )
    run = cli("report", str(write("spec.yaml", text)), "--device", "phone", "-f", "json")
    # `embedding` is an op (before a role): the table plain int8; the head (a linear) float16
    assert run.json()["models"][0]["totals"]["size_bytes"] == 1000 * 64 + 1000 * 64 * 2
    roles = THROUGHPUT_SPEC.format(limit="1tok/s").replace(
        "warn: 90%", "overrides: {weight: {dtype: float32}}"
    )
    run = cli("report", str(write("roles.yaml", roles)), "--device", "phone", "-f", "json")
    # the role `weight`: the head's matrix at float32; the table (role embedding) as before
    assert run.json()["models"][0]["totals"]["size_bytes"] == 1000 * ROW + 1000 * 64 * 4
