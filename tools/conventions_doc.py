"""Write docs/conventions.md from the convention tables and the measured tool totals.

    python tools/conventions_doc.py > docs/conventions.md

tests/engine/test_conventions_doc.py checks the committed file equals this output, so
the doc can't drift from the tables in budgetlint/engine/conventions.py.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from budgetlint.engine.conventions import CONVENTIONS  # noqa: E402
from budgetlint.engine.evaluate import evaluate  # noqa: E402
from budgetlint.spec.expand import read_spec  # noqa: E402
from tests.data.measured import (  # noqa: E402
    FIDELITY,
    MEASURED,
    MODELS,
    TENSORFLOW,
    TOOLS,
    VIT,
    measured,
)

INTRO = """# Counting conventions

Counters disagree because each counts a different thing and calls it FLOPs:
some count multiply-accumulates (thop, ptflops, fvcore, torchvision's docs),
others two operations per multiply-accumulate (torch's FlopCounterMode, the
TF profiler, budgetlint's default); some add the bias, some the batchnorm
(1, 2 or 4 per element), some activations and pooling, some count a ReLU twice
(ptflops hooks the module and the function it calls), some never see what a
model does with functions instead of modules (thop, paddle.flops, torchstat),
and torchstat keeps one record per module, so a ReLU module called twice
counts once. Paddle also counts BatchNorm's running mean and variance as
parameters; the TF profiler's trainable parameters leave them out (its
variables hold them), measured on TF 2.21.

budgetlint computes convention-free facts per op (true MACs, element-wise work
by kind) and each named convention prices them with one table, below;
`--convention NAME` on `report` and `check`, or `convention:` in a budget
file, picks one. A layer may say `functional: true` (called as a function) and
`module: NAME` (the same module object as other layers of its block use with
that name), which is what the module-hooking tools need.

Prices are FLOPs per unit of each kind of work (what each kind is: the
README's counting tables, from budgetlint/engine/work.py). A kind a table
doesn't list is in that convention's `free` set: it counts 0 there.
"""


def _ours(name: str, convention: str) -> int:
    """paddle.vision's MobileNetV2 pools with a module where torchvision calls a function."""
    path = ROOT / "specs" / "zoo" / f"{name}.yaml"
    if convention == "paddle" and name == "mobilenet_v2":
        with tempfile.TemporaryDirectory() as folder:
            variant = Path(folder) / path.name
            variant.write_text(path.read_text().replace("functional: true", "functional: false"))
            shutil.copytree(path.parent / "blocks", Path(folder) / "blocks")  # its `use:`
            spec, _ = read_spec(variant)
            assert spec is not None
            return evaluate(spec.models[0].architecture, CONVENTIONS[convention]).flops
    spec, _ = read_spec(path)
    assert spec is not None
    return evaluate(spec.models[0].architecture, CONVENTIONS[convention]).flops


def measured_table() -> list[str]:
    data = json.loads((ROOT / "tests" / "data" / "measured_counters.json").read_text())
    versions = data["versions"]
    lines = [
        "## Ours against the tools",
        "",
        f"Measured on {data['measured_on']} with thop {versions['thop']}, fvcore "
        f"{versions['fvcore']}, ptflops {versions['ptflops']} (pytorch backend), torch "
        f"{versions['torch']}, torchstat {versions['torchstat']}, paddle {versions['paddle']} "
        "by `tools/measure_counters.py`; models from torchvision "
        f"{versions['torchvision']} (LeNet: paddle's, rebuilt in torch).",
        "",
        "| convention | model | budgetlint | the tool | equal |",
        "|---|---|---:|---:|---|",
    ]
    for convention in TOOLS:
        for name in MODELS:
            theirs = measured(data["models"][name], convention)
            if theirs is None:
                continue
            ours = _ours(name, convention)
            note = "yes" if ours == theirs else "no"
            if convention == "paddle" and name == "mobilenet_v2":
                note += " (with the final pool a module, as in paddle.vision's MobileNetV2)"
            lines.append(f"| {convention} | {name} | {ours:,} | {theirs:,} | {note} |")
    for name in ("lstm_lm", "swin_t", "maxvit_t"):  # measured by tools/measure_fidelity.py
        for convention in ("thop", "fvcore", "ptflops", "torch"):
            theirs = measured(FIDELITY["models"][name], convention)
            if theirs is None:
                continue
            ours = _ours(name, convention)
            note = "yes" if ours == theirs else "no"
            if (name, convention) == ("maxvit_t", "fvcore"):
                note += " (fvcore rounds each einsum's count to the 4 digits numpy prints)"
            lines.append(f"| {convention} | {name} | {ours:,} | {theirs:,} | {note} |")
    for name, entry in TENSORFLOW["models"].items():
        ours, theirs = _ours(name, "tensorflow"), entry["total_float_ops"]
        note = "yes" if ours == theirs else "no"
        lines.append(f"| tensorflow | {name} | {ours:,} | {theirs:,} | {note} |")
    vit = {
        "paddle": VIT["paddle"]["nn_MultiHeadAttention"]["total_flops"],
        "tensorflow": VIT["tensorflow"]["total_float_ops"],
    }
    for convention, theirs in vit.items():
        ours = _ours("vit_b_16", convention)
        note = "yes" if ours == theirs else "no"
        lines.append(f"| {convention} | vit_b_16 | {ours:,} | {theirs:,} | {note} |")
    tf_version = TENSORFLOW["versions"]["tensorflow"]
    lines += [
        "",
        f"tensorflow: the TF1 profiler of tensorflow-cpu {tf_version} on tf.compat.v1 graphs "
        "of the same architectures, by `tools/measure_tensorflow.py` "
        "(tests/data/measured_tensorflow.json); vit_b_16 under paddle and tensorflow: "
        "built layer for layer by `tools/measure_vit.py` (tests/data/measured_vit.json). "
        "torchstat crashes on vit_b_16 and convnext_tiny (it only handles Linear on "
        "2-D input), so it has no row there. lstm_lm, swin_t and maxvit_t: measured by "
        "`tools/measure_fidelity.py` (tests/data/measured_fidelity.json); torchstat fails "
        "on all three.",
    ]
    return lines


# (distinction, what the spec says, torchvision example, (JSON, section, as written, the
# other way, what the other way is)) — every figure measured by the tools themselves
TRAPS = [
    (
        "a function call, not a module",
        "`functional: true` on the layer",
        "GoogLeNet: BasicConv2d calls `F.relu`",
        (FIDELITY, "traps", "googlenet", "googlenet_relu_modules", "an nn.ReLU module each"),
    ),
    (
        "one module called more than once",
        "`module: NAME` on each call of it",
        "ResNet-18: BasicBlock calls its one `self.relu` twice",
        (FIDELITY, "traps", "resnet18", "resnet18_relu_per_call", "a second nn.ReLU module"),
    ),
    (
        "fused or unfused attention",
        "`fused: false` where the weights are asked for or autograd is on",
        "nn.MultiheadAttention(64, 4) on [1, 10, 64], need_weights=True (the default)",
        (
            MEASURED,
            "ops",
            "mha_self_attention",
            "mha_self_attention_no_weights",
            "need_weights=False",
        ),
    ),
    (
        "einsum or matmul",
        "`merge: einsum` instead of `merge: matmul`",
        "MaxViT's attention: `torch.einsum`; here x·xᵀ on [1, 4, 8]",
        (FIDELITY, "ops", "einsum_transpose", "matmul_transpose", "torch.matmul"),
    ),
]


def traps_section() -> list[str]:
    lines = [
        "## What a spec must state for each tool",
        "",
        "Two models with the same arithmetic can count differently under a tool, depending",
        "on how the code calls it. A spec states these distinctions, or the named",
        "convention of a tool that cares misses by the difference. Each table: the tool's",
        "own total on the code as torchvision writes it, and on the same code written the",
        "other way (measured by the tools; tests/data/measured_fidelity.json and",
        "measured_counters.json).",
    ]
    tools = ("thop", "fvcore", "ptflops", "torch", "torchstat", "torchstat-madd")
    cares: dict[str, list[str]] = {tool: [] for tool in tools}
    for distinction, spec, example, (data, section, written, other, how) in TRAPS:
        lines += ["", f"### {distinction}: {spec}", "", f"{example}; the other way: {how}.", ""]
        lines += ["| tool | as written | the other way | difference |", "|---|---:|---:|---:|"]
        for tool in tools:
            ours, theirs = (
                measured(data[section][written], tool),
                measured(data[section][other], tool),
            )
            if ours is None or theirs is None:
                continue
            lines.append(f"| {tool} | {ours:,} | {theirs:,} | {theirs - ours:+,} |")
            if theirs != ours:
                cares[tool].append(distinction)
    vit = MEASURED["models"]["vit_b_16"]
    grad, no_grad = vit["torch_flop_counter"]["total"], vit["torch_flop_counter_no_grad"]["total"]
    lines += [
        "",
        "torch's FlopCounterMode also depends on autograd: ViT-B/16 counts "
        f"{grad:,} with grad on and {no_grad:,} under `torch.no_grad()` "
        f"({no_grad - grad:+,}), where eval-mode nn.MultiheadAttention takes its fused "
        "kernel, which has no FLOP formula. The spec's `fused:` says which path ran.",
        "",
        "### Per tool",
        "",
    ]
    for tool, distinctions in cares.items():
        said = "; ".join(distinctions) if distinctions else "none of these"
        lines.append(f"- `{tool}`: {said}.")
    lines += [
        "",
        "thop hooks modules only: a functional conv or linear is invisible to it (a ReLU "
        "costs 0 there either way), and so is ptflops' for `F.linear` (measured: "
        f"{measured(FIDELITY['ops']['functional_linear'], 'thop'):,} and "
        f"{measured(FIDELITY['ops']['functional_linear'], 'ptflops'):,} on a functional "
        "linear of 4·8·16 multiply-accumulates).",
    ]
    return lines


def main() -> int:
    lines = INTRO.splitlines()
    for convention in CONVENTIONS.values():
        lines += ["", f"## `{convention.name}`", "", convention.summary, ""]
        lines += ["| work | FLOPs per unit |", "|---|---:|"]
        lines += [f"| `{kind}` | {cost} |" for kind, cost in convention.work_flops.items()]
        if convention.functional_work_flops is not None:
            priced = ", ".join(
                f"`{kind}` {cost}" for kind, cost in convention.functional_work_flops.items()
            )
            lines += ["", f"Called as a function: {priced or 'nothing is counted'}."]
        for kind, rule in convention.occurrence_flops.items():
            why = " ".join((rule.__doc__ or "").split())
            lines += ["", f"Each occurrence of `{kind}` is priced by `{rule.__name__}`: {why}"]
        if convention.buffers_are_params:
            lines += ["", "Params include BatchNorm's running mean and variance."]
        if convention.last_call_only:
            lines += ["", "A module called more than once counts its last call only."]
    lines += ["", *traps_section(), "", *measured_table(), ""]
    sys.stdout.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
