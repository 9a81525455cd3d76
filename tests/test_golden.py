"""Published totals the zoo must reproduce exactly, each with its source.

These are the only bare numbers in the tests: they come from outside
budgetlint (a framework's own count or a tool's printed output), never from
budgetlint's own output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from budgetlint.engine.conventions import CONVENTIONS
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.spec.expand import read_spec

ZOO = Path(__file__).resolve().parents[1] / "specs" / "zoo"

# (model, params, MACs, BatchNorm running-statistics elements)
# params: sum(p.numel() for p in model.parameters()) of torchvision 0.29.1 /
#   paddle.vision.models.LeNet; MACs: fvcore's conv+linear count (the basis of
#   torchvision's published GFLOPS), both in tests/data/measured_counters.json.
GOLDEN_DEFAULT = [
    ("lenet", 61_610, 341_256, 0),
    ("vgg16", 138_357_544, 15_470_264_320, 0),
    ("resnet18", 11_689_512, 1_814_073_344, 9_600),
    ("resnet50", 25_557_032, 4_089_184_256, 53_120),
    ("mobilenet_v2", 3_504_872, 300_774_272, 34_112),
]

# paddle.flops' detail table for LeNet at 1x1x28x28, as printed in the article
# "CNN中模型的参数量与FLOPs计算" that budgetlint started from (copied into
# tests/data/paddle_flops_article.txt): layer, input, output, params, FLOPs.
PADDLE_LENET_TABLE = [
    ("conv2d", [1, 1, 28, 28], [1, 6, 28, 28], 60, 47040),
    ("relu", [1, 6, 28, 28], [1, 6, 28, 28], 0, 0),
    ("maxpool2d", [1, 6, 28, 28], [1, 6, 14, 14], 0, 0),
    ("conv2d", [1, 6, 14, 14], [1, 16, 10, 10], 2416, 241600),
    ("relu", [1, 16, 10, 10], [1, 16, 10, 10], 0, 0),
    ("maxpool2d", [1, 16, 10, 10], [1, 16, 5, 5], 0, 0),
    ("linear", [1, 400], [1, 120], 48120, 48000),
    ("linear", [1, 120], [1, 84], 10164, 10080),
    ("linear", [1, 84], [1, 10], 850, 840),
]
PADDLE_LENET_TOTALS = (61_610, 347_560)


def zoo_report(name: str, convention: str = "default") -> ModelReport:
    spec, problems = read_spec(ZOO / f"{name}.yaml")
    assert not problems and spec is not None
    (model,) = spec.models
    return evaluate(model.architecture, CONVENTIONS[convention])


@pytest.mark.parametrize(("name", "params", "macs", "running_stats"), GOLDEN_DEFAULT)
def test_zoo_default_convention(name: str, params: int, macs: int, running_stats: int) -> None:
    report = zoo_report(name)
    assert (report.params, report.macs, report.buffers) == (params, macs, running_stats)


def test_lenet_paddle_table_layer_by_layer(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("report", str(ZOO / "lenet.yaml"), "--convention", "paddle", "--format", "json")
    assert run.code == 0
    (model,) = run.json()["models"]
    # paddle.flops hooks modules; LeNet's flatten is a function call, so it has no row there.
    rows = [layer for layer in model["layers"] if layer["op"] != "flatten"]
    flatten = [layer for layer in model["layers"] if layer["op"] == "flatten"]
    assert [(f["params"], f["flops"]) for f in flatten] == [(0, 0)]
    got = [(r["op"], r["input_shape"], r["output_shape"], r["params"], r["flops"]) for r in rows]
    assert got == PADDLE_LENET_TABLE
    assert (model["totals"]["params"], model["totals"]["flops"]) == PADDLE_LENET_TOTALS


def test_seed_single_conv_under_paddle(write, cli) -> None:  # type: ignore[no-untyped-def]
    # the same article: Conv2D(2, 4, 3x3, padding 1) on 1x2x320x320 → 76 params and
    # 0.00778 GFLOPs, which it works out as 76·320·320 = 7,782,400
    spec = write(
        "conv.yaml",
        """
        version: 1
        input: [1, 2, 320, 320]
        layers:
          - conv2d: {out: 4, kernel: 3, padding: 1}
        """,
    )
    run = cli("report", str(spec), "--convention", "paddle", "--format", "json")
    totals = run.json()["models"][0]["totals"]
    assert (totals["params"], totals["flops"]) == (76, 7_782_400)


ARTICLE = Path(__file__).parent / "data" / "paddle_flops_article.txt"
# paddle's printed names for the layers of the table
PADDLE_NAMES = {"conv2d": "conv2d", "re_lu": "relu", "max_pool2d": "maxpool2d", "linear": "linear"}


def test_the_paddle_figures_are_the_articles() -> None:
    text = ARTICLE.read_text(encoding="utf-8")
    rows = re.findall(
        r"^\|\s*([a-z_0-9]+?)_\d+\s*\|\s*(\[.*?\])\s*\|\s*(\[.*?\])\s*\|"
        r"\s*(\d+)\s*\|\s*(\d+)\s*\|$",
        text,
        re.M,
    )
    table = [
        (PADDLE_NAMES[name], json.loads(a), json.loads(b), int(p), int(f))
        for name, a, b, p, f in rows
    ]
    assert table == PADDLE_LENET_TABLE
    totals = re.findall(r"^Total GFlops: ([\d.]+)\s+Total Params: ([\d.]+)$", text, re.M)
    (conv_gflops, conv_params), (lenet_gflops, lenet_params) = totals
    assert (float(lenet_params), round(float(lenet_gflops) * 1e9)) == PADDLE_LENET_TOTALS
    assert float(conv_params) == 76 and f"{7_782_400 / 1e9:.5f}" == conv_gflops


MEASURED = Path(__file__).parent / "data" / "measured_counters.json"


@pytest.mark.parametrize("name", ["lenet", "resnet18", "resnet50", "mobilenet_v2", "vgg16"])
def test_default_params_equal_torch_count(name: str) -> None:
    measured = json.loads(MEASURED.read_text())["models"][name]
    report = zoo_report(name)
    assert (report.params, report.buffers) == (
        measured["torch_params"],
        measured["bn_running_stats"],
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [("resnet50", 4 * (25_557_032 + 53_120)), ("mobilenet_v2", 4 * (3_504_872 + 34_112))],
)
def test_float32_size_counts_batchnorm_running_stats(name: str, expected: int, cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("report", str(ZOO / f"{name}.yaml"), "--format", "json")
    totals = run.json()["models"][0]["totals"]
    assert totals["size_bytes"] == expected
    assert isinstance(totals["mac_bytes"], int) and isinstance(totals["peak_activation_bytes"], int)
    text = cli("report", str(ZOO / f"{name}.yaml")).out
    peak = f"peak activations {totals['peak_activation_bytes'] / 1e6:.2f} MB"
    assert peak[:-4] in text and f"at {totals['peak_activation_layer']}" in text


def test_lenet_memory_access_cost_equals_torchstat() -> None:
    """torchstat 0.0.7 reads inputs and weights and writes outputs, as budgetlint does;
    its MemR+W for LeNet is in tests/data/measured_counters.json."""
    from budgetlint.engine.memory import FLOAT32, mac_bytes

    measured = json.loads(MEASURED.read_text())["models"]["lenet"]["torchstat"]["totals"]
    assert mac_bytes(zoo_report("lenet"), FLOAT32) == measured["MemRW_B"]


# (model, params): Hugging Face transformers' own count, sum(p.numel() for p in
# model.parameters()), for gpt2 (tied LM head), bert-base-uncased (BertModel, with its
# pooler) and meta-llama/Llama-2-7b-hf; torchvision 0.29.1's for the vision models.
GOLDEN_PARAMS = [
    ("vit_b_16", 86_567_656),
    ("convnext_tiny", 28_589_128),
    ("efficientnet_b0", 5_288_548),
    ("shufflenet_v2_x1_0", 2_278_604),
    ("mobilenet_v3_large", 5_483_032),
    ("densenet121", 7_978_856),
    ("gpt2", 124_439_808),
    ("bert-base-uncased", 109_482_240),
    ("llama-2-7b", 6_738_415_616),
    ("lstm_lm", 1_306_600),
    ("swin_t", 28_288_354),  # torchvision 0.29.1
    (
        "maxvit_t",
        30_919_624,
    ),  # torchvision 0.29.1  # torch 2.14.1, tests/data/measured_fidelity.json
]


def test_lstm_language_model_macs() -> None:
    # 35 tokens; LSTM layers of 4 gate sets: 4·256·(128 + 256) and 4·256·(256 + 256); decoder
    assert zoo_report("lstm_lm").macs == 35 * (4 * 256 * (128 + 256) + 4 * 256 * 512) + (
        35 * 256 * 1000
    )


@pytest.mark.parametrize(("name", "params"), GOLDEN_PARAMS)
def test_transformer_params(name: str, params: int) -> None:
    assert zoo_report(name).params == params


def test_llama_prefill_and_decode_are_bounded_and_consistent() -> None:
    from budgetlint.engine.memory import Precision, mac_bytes

    spec, problems = read_spec(ZOO.parent / "llm.yaml")
    assert spec is not None and not problems
    models = {m.architecture.name: m.architecture for m in spec.models}
    prefill = evaluate(models["llama-2-7b-prefill"], CONVENTIONS["default"])
    decode = evaluate(models["llama-2-7b-decode"], CONVENTIONS["default"])
    # the work is one row per layer, whatever the token count (a forward-pass
    # counter would need the 13.5 GB model in memory)
    assert len(prefill.layers) == len(decode.layers) < 1000
    assert prefill.params == decode.params == 6_738_415_616
    # decode: every weight once per token (embedding: one row), plus the KV cache
    layers, heads, head_dim, context = 32, 32, 128, 4096
    dense = prefill.params - 2 * 32000 * 4096 - (2 * layers + 1) * 4096  # all but tables, norms
    attention = layers * 2 * heads * (context + 1) * head_dim  # QKᵀ and AV over 4097 keys
    assert decode.macs == dense + 32000 * 4096 + attention  # + the LM head
    fp16 = Precision(16, 16)
    kv_cache = layers * 2 * context * heads * head_dim * 2  # bytes of keys and values read
    assert mac_bytes(decode, fp16) > kv_cache + 2 * dense


# Language models built by transformers from their public config.json on the meta
# device (tools/measure_llm_configs.py): params and every parameter's name and shape.
MEASURED_LLMS = json.loads(
    (Path(__file__).parent / "data" / "measured_llm_configs.json").read_text("utf-8")
)["models"]


@pytest.mark.parametrize("name", sorted(MEASURED_LLMS))
def test_llm_params_equal_transformers(name: str) -> None:
    assert zoo_report(name).params == MEASURED_LLMS[name]["params"]


@pytest.mark.parametrize("name", sorted(MEASURED_LLMS))
def test_llm_tensors_carry_transformers_parameter_names_and_shapes(name: str) -> None:
    measured = MEASURED_LLMS[name]
    expected = {**measured["layer_3_parameters"], **measured["other_parameters"]}
    ours = {
        f"{layer.name}.{tensor.name}": list(tensor.shape)
        for layer in zoo_report(name).layers
        for tensor in layer.tensors
        if tensor.stored
        and (layer.name.startswith("model.layers.3.") or ".layers." not in layer.name)
    }
    assert ours == expected


def test_sliding_window_of_mistral() -> None:
    assert MEASURED_LLMS["mistral-7b-v0.1"]["sliding_window"] == 4096
    spec, problems = read_spec(ZOO / "mistral-7b-v0.1.yaml")
    assert spec is not None and not problems
    from budgetlint.graph import Layer, Node, Parallel, Residual

    def attention_windows(nodes: tuple[Node, ...]) -> list[int]:
        found = []
        for node in nodes:
            if isinstance(node, Layer) and node.op == "multihead_attention":
                found.append(node.attrs["window"])
            elif isinstance(node, Residual):
                found += attention_windows(node.body)
            elif isinstance(node, Parallel):
                found += [w for branch in node.branches for w in attention_windows(branch)]
        return found

    assert attention_windows(spec.models[0].architecture.layers) == [4096] * 32


def test_report_json_lists_each_projection_as_a_named_tensor(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("report", str(ZOO / "qwen2.5-0.5b.yaml"), "--format", "json")
    layers = {layer["name"]: layer for layer in run.json()["models"][0]["layers"]}
    attention = layers["model.layers.3.self_attn"]
    q_proj = attention["tensors"][0]
    assert q_proj == {
        "name": "model.layers.3.self_attn.q_proj.weight",
        "role": "weight",
        "shape": [896, 896],
        "stored": True,
        "bytes": 4 * 896 * 896,  # float32 without a device
    }
    assert sum(t["bytes"] for t in attention["tensors"]) == 4 * attention["params"]
    (head,) = layers["lm_head"]["tensors"]
    assert (head["stored"], head["bytes"]) == (False, 4 * 151936 * 896)
