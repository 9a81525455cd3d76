"""Expansion: blocks, repeat, combinators and arch files become a tree of named layers."""

from __future__ import annotations

from pathlib import Path

import pytest

from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.spec.expand import Spec, read_spec

HEADER = "version: 1\ninput: [1, 4, 8, 8]\n"


def spec_of(write, text: str, name: str = "arch.yaml") -> Spec:  # type: ignore[no-untyped-def]
    spec, problems = read_spec(write(name, text))
    assert not problems, problems
    assert spec is not None
    return spec


def report_of(write, text: str) -> ModelReport:  # type: ignore[no-untyped-def]
    (model,) = spec_of(write, text).models
    return evaluate(model.architecture, DEFAULT)


def problems_of(write, text: str, name: str = "arch.yaml") -> list[str]:  # type: ignore[no-untyped-def]
    _, problems = read_spec(write(name, text))
    return [str(problem) for problem in problems]


def test_names_are_paths_unless_given(write) -> None:  # type: ignore[no-untyped-def]
    report = report_of(
        write,
        HEADER
        + """
blocks:
  pair:
    layers: [relu, {name: act, relu6: }]
layers:
  - relu
  - name: stem
    conv2d: {out: 4, kernel: 1}
  - residual:
      body: [relu, pair]
      shortcut: [identity]
  - name: stage
    repeat: {times: 2, body: [relu]}
  - repeat: {times: 2, body: [relu, tanh]}
""",
    )
    assert [layer.name for layer in report.layers] == [
        "layers.0",
        "stem",
        "layers.2.body.0",
        "layers.2.body.1.0",
        "layers.2.body.1.act",
        "layers.2.shortcut.0",
        "layers.2.add",
        "stage.0",
        "stage.1",
        "layers.4.0.0",
        "layers.4.0.1",
        "layers.4.1.0",
        "layers.4.1.1",
    ]


def test_an_empty_name_leaves_a_scope_out_of_its_layers_names(write) -> None:  # type: ignore[no-untyped-def]
    # transformers' module paths: model.layers.0.self_attn, model.layers.0.mlp.gate_proj
    report = report_of(
        write,
        "version: 1\ninput: [1, 3, 8]\n"
        + """
blocks:
  mlp:
    layers:
      - name: ""
        parallel:
          merge: mul
          branches:
            - [{name: gate_proj, linear: {out: 8}}, relu]
            - [{name: up_proj, linear: {out: 8}}]
      - {name: down_proj, linear: {out: 8}}
  layer:
    layers:
      - name: ""
        residual:
          body: [{name: norm, rmsnorm: }, {name: self_attn, multihead_attention: {heads: 2}}]
      - name: ""
        residual: {body: [rmsnorm, {name: mlp, mlp: }]}
layers:
  - name: model.layers
    repeat: {times: 1, body: [layer]}
""",
    )
    assert [layer.name for layer in report.layers] == [
        "model.layers.0.norm",
        "model.layers.0.self_attn",
        "model.layers.0.0.add",
        "model.layers.0.1.body.0",
        "model.layers.0.mlp.gate_proj",
        "model.layers.0.mlp.0.branches.0.1",
        "model.layers.0.mlp.up_proj",
        "model.layers.0.mlp.0.mul",
        "model.layers.0.mlp.down_proj",
        "model.layers.0.1.add",
    ]


def test_block_parameters_defaults_and_nesting(write) -> None:  # type: ignore[no-untyped-def]
    report = report_of(
        write,
        HEADER
        + """
blocks:
  conv:
    params: {out: ~, k: 1}
    layers: [conv2d: {out: "${out}", kernel: "${k}", padding: "${k // 2}", bias: false}]
  double:
    params: {width: ~}
    layers:
      - conv: {out: "${width * 2}", k: 3}
      - conv: {out: "${width}"}
layers:
  - double: {width: 8}
""",
    )
    convs = [(layer.output[1], layer.params) for layer in report.layers]
    assert convs == [(16, 16 * 4 * 3 * 3), (8, 8 * 16 * 1 * 1)]


def test_repeat_zero_times_is_empty(write) -> None:  # type: ignore[no-untyped-def]
    report = report_of(write, HEADER + "layers:\n  - repeat: {times: 0, body: [relu]}\n  - relu6\n")
    assert [layer.op for layer in report.layers] == ["relu6"]


def test_squeeze_excite_gate_broadcasts(write) -> None:  # type: ignore[no-untyped-def]
    report = report_of(
        write,
        HEADER
        + """
layers:
  - parallel:
      merge: mul
      branches:
        - []
        - [adaptive_avgpool2d: {size: 1}, conv2d: {out: 4, kernel: 1}, sigmoid]
""",
    )
    merge = report.layers[-1]
    assert (merge.op, merge.inputs, merge.output) == (
        "mul",
        ((1, 4, 8, 8), (1, 4, 1, 1)),
        (1, 4, 8, 8),
    )
    assert merge.flops == 4 * 8 * 8  # one multiply per output element


def test_concat_adds_channels(write) -> None:  # type: ignore[no-untyped-def]
    report = report_of(
        write,
        HEADER + "layers:\n  - parallel: {branches: [[conv2d: {out: 6, kernel: 1}], [], []]}\n",
    )
    assert report.output == (1, 6 + 4 + 4, 8, 8)


def test_arch_layer_inlines_another_file(write) -> None:  # type: ignore[no-untyped-def]
    write("parts/backbone.yaml", "version: 1\nblocks:\n  b: {layers: [relu6]}\nlayers: [b, relu]\n")
    report = report_of(
        write, HEADER + "layers:\n  - name: backbone\n    arch: parts/backbone.yaml\n  - tanh\n"
    )
    assert [(layer.name, layer.op) for layer in report.layers] == [
        ("backbone.0.0", "relu6"),
        ("backbone.1", "relu"),
        ("layers.1", "tanh"),
    ]


def test_budget_file_records_every_file_read(write) -> None:  # type: ignore[no-untyped-def]
    write("zoo/net.yaml", HEADER + "layers: [relu]\n")
    spec = spec_of(
        write,
        "version: 1\ndevices:\n  d: {budgets: {params: 1}}\n"
        "models:\n  m: {arch: zoo/net.yaml, devices: [d]}\n",
        "budgets.yaml",
    )
    assert [Path(f).name for f in spec.files] == ["budgets.yaml", "net.yaml"]


def test_input_override_wins(write) -> None:  # type: ignore[no-untyped-def]
    spec, problems = read_spec(write("a.yaml", HEADER + "layers: [relu]\n"), (2, 4, 3, 3))
    assert not problems and spec is not None
    assert spec.models[0].architecture.input == (2, 4, 3, 3)


PROBLEMS = [
    ("version: 1\nlayers: [relu]\n", "has no input shape"),
    (HEADER + "layers: [{relu: , tanh: }]\n", "a layer holds exactly one op; found relu, tanh"),
    (HEADER + "layers: [{name: x}]\n", "found nothing but a name"),
    (
        HEADER + "blocks:\n  relu: {layers: [tanh]}\nlayers: [relu]\n",
        "block 'relu' has the name of an op",
    ),
    (
        HEADER + "blocks:\n  b: {params: {x: 1}, layers: [relu]}\nlayers: [b: {y: 2}]\n",
        "block 'b' has no parameter 'y' (it takes: x)",
    ),
    (
        HEADER + "blocks:\n  b: {params: {depth: 1}, layers: [relu]}\nlayers: [b: {dept: 2}]\n",
        "did you mean 'depth'?",
    ),
    (
        HEADER + "layers: [repeat: {times: '${2 - 3}', body: [relu]}]\n",
        "non-negative integer, not -1",
    ),
    (
        HEADER + "layers: [conv2d: {out: '${1.5}', kernel: 1}]\n",
        "conv2d.out: expected a positive integer",
    ),
    (HEADER + "layers: [conv2d: {out: 4}]\n", "'kernel' is a required property"),
    (HEADER + "layers: [parallel: {branches: [[]], axis: '${0.5}'}]\n", "axis must be an integer"),
    ("version: 1\nmodels:\n  m: {devices: [], input: [1]}\n", "needs either 'arch' or 'layers'"),
    ("version: 1\nmodels:\n  m: {devices: [], arch: a.yaml}\n", "circular arch reference"),
    ("version: 1\n", "no models, layers or devices"),
    (HEADER + 'layers: [{name: "", relu: }]\n', "a.yaml:3:17: an op's name can't be empty"),
]


@pytest.mark.parametrize(("text", "message"), PROBLEMS)
def test_problems(write, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    found = problems_of(write, text, "a.yaml")
    assert any(message in problem for problem in found), found


def test_every_model_reports_its_problem(write) -> None:  # type: ignore[no-untyped-def]
    found = problems_of(
        write,
        """
version: 1
devices:
  d: {budgets: {params: 1M, size: 8M}}
models:
  a: {devices: [d], input: [1, 3, 8, 8], layers: [nope]}
  b: {devices: [e], input: [1, 3, 8, 8], layers: [relu]}
""",
    )
    assert [Path(problem.split(": ", 1)[0]).name for problem in found] == [
        "arch.yaml:3:35",
        "arch.yaml:5:51",
        "arch.yaml:6:17",
    ]


MORE_PROBLEMS = [
    # a null argument doesn't satisfy a required parameter
    (
        HEADER + "blocks:\n  b: {params: {n: ~}, layers: [conv2d: {out: '${n}', kernel: 3}]}\n"
        "layers: [b: {n: ~}]\n",
        "block 'b' needs parameter 'n'",
    ),
    # an op key computed from a parameter must be text
    (
        HEADER + "blocks:\n  b: {params: {op: relu}, layers: ['${op}']}\nlayers: [b: {op: [1]}]\n",
        "an op name must be text, not [1]",
    ),
    # nested repeats of nothing would spin for 10^15 turns
    (
        HEADER + "layers:\n  - repeat: {times: 100000, body: [repeat: {times: 100000, body: "
        "[repeat: {times: 100000, body: []}]}]}\n",
        "layers and repeat turns once unrolled: refused",
    ),
    (HEADER + "layers: [arch: '']\n", "arch takes a file path"),
]


@pytest.mark.parametrize(("text", "message"), MORE_PROBLEMS)
def test_more_problems(write, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    found = problems_of(write, text, "a.yaml")
    assert any(message in problem for problem in found), found


def test_counts_as_text_in_repeat_and_float_attributes(write) -> None:  # type: ignore[no-untyped-def]
    report = report_of(
        write, HEADER + "layers:\n  - repeat: {times: 2e0, body: [leaky_relu: {slope: 1e-2}]}\n"
    )
    assert [layer.op for layer in report.layers] == ["leaky_relu", "leaky_relu"]


def test_every_bad_call_in_a_model_is_reported(write) -> None:  # type: ignore[no-untyped-def]
    found = problems_of(
        write,
        HEADER
        + "blocks:\n  b: {params: {n: 1}, layers: [relu]}\n"
        + "layers:\n  - b: {m: 1}\n  - b: {o: 1}\n  - b: {p: 1}\n",
    )
    assert [Path(p.split(": ")[0]).name for p in found] == [
        "arch.yaml:6:9",
        "arch.yaml:7:9",
        "arch.yaml:8:9",
    ]


def test_all_unknown_keys_and_the_missing_one(write) -> None:  # type: ignore[no-untyped-def]
    found = problems_of(
        write,
        "version: 1\ndevices:\n  d:\n    budgets: {param: 5M, gflop: 1}\nmodels:\n  m:\n"
        "    devises: [d]\n    layers: [relu]\n    input: [1]\n",
    )
    messages = " | ".join(found)
    assert "unknown key 'param' (did you mean 'params'?)" in messages
    assert "unknown key 'gflop' (did you mean 'gflops'?)" in messages
    assert "unknown key 'devises' (did you mean 'devices'?)" in messages
    assert "'devices' is a required property" in messages


def test_list_items_and_list_results_are_expressions(write) -> None:  # type: ignore[no-untyped-def]
    report = report_of(
        write,
        HEADER
        + """
blocks:
  separable:
    params: {k: 3}
    layers:
      - conv2d: {out: 4, kernel: [1, "${k}"], padding: [0, "${k // 2}"]}
      - conv2d: {out: 4, kernel: "${[k, 1]}", padding: "${[k // 2, 0]}"}
layers:
  - separable: {k: 5}
""",
    )
    first, second = report.layers
    assert first.output == second.output == (1, 4, 8, 8)
    assert first.macs == second.macs == 4 * 8 * 8 * 4 * 1 * 5  # a 1×5 and a 5×1 kernel


def test_a_list_expression_that_is_not_a_size_is_refused(write) -> None:  # type: ignore[no-untyped-def]
    problems = problems_of(
        write, HEADER + "layers:\n  - conv2d: {out: 4, kernel: \"${[1, 'a']}\"}\n"
    )
    assert len(problems) == 1 and "conv2d.kernel: expected a positive integer" in problems[0]


def test_merge_add_broadcasts_a_bias_over_the_batch(write) -> None:  # type: ignore[no-untyped-def]
    report = report_of(
        write,
        HEADER
        + """
layers:
  - parallel:
      merge: add
      branches: [[], [adaptive_avgpool2d: {size: 1}]]
""",
    )
    merge = report.layers[-1]
    assert (merge.inputs, merge.output) == (((1, 4, 8, 8), (1, 4, 1, 1)), (1, 4, 8, 8))
    assert merge.flops == 4 * 8 * 8


# ---- issue 8, point 7: each distinct problem once, with the chain of uses that led to it

BLOCK_USED_OFTEN = """
version: 1
input: [1, 8, 8, 8]
blocks:
  se:
    params: {c: ~}
    layers:
      - conv2d: {out: "${c * k}", kernel: 1}
      - linaer: {out: 3}
  ir:
    params: {c: ~}
    layers:
      - se: {c: "${c}"}
layers:
  - repeat: {times: 9, body: [se: {c: 8}]}
  - ir: {c: 2}
"""


def test_a_problem_inside_a_block_used_many_times_is_said_once_with_its_use(
    write, cli, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    path = write("net.yaml", BLOCK_USED_OFTEN)
    monkeypatch.chdir(path.parent)
    run = cli("check", "net.yaml")
    assert run.code == 2
    se, ir = "in block se (net.yaml:4:3)", "in block ir (net.yaml:9:3)"
    # the first use is the repeat's body (line 14, its 9 turns one use); the other goes
    # through block ir, used at line 15
    assert run.err.splitlines() == [
        f"net.yaml:7:23: in '${{c * k}}': unknown name 'k' (known: c), {se}, "
        "used at net.yaml:14:31 (and 1 more use)",
        f"net.yaml:8:9: unknown op or block 'linaer' (did you mean 'linear'?), {se}, "
        "used at net.yaml:14:31 (and 1 more use)",
    ]
    # the chain through nested blocks, when that use comes first
    nested_first = BLOCK_USED_OFTEN.replace("  - repeat: {times: 9, body: [se: {c: 8}]}\n", "")
    path.write_text(nested_first.lstrip("\n"))
    first = cli("check", "net.yaml").err.splitlines()[0]
    assert first.endswith(f"{se}, used at net.yaml:12:9, {ir}, used at net.yaml:14:5")


def test_a_missing_file_read_through_an_architecture_names_the_spec(
    write, cli, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    write("zoo/a.yaml", "version: 1\nlayers:\n  - arch: b.yaml\n")
    spec = write(
        "budgets.yaml",
        """
        version: 1
        devices: {d: {budgets: {params: 1M}}}
        models:
          m: {arch: zoo/a.yaml, input: [1, 4], devices: [d]}
        """,
    )
    monkeypatch.chdir(spec.parent)
    run = cli("check", "budgets.yaml")
    assert run.code == 2
    assert run.err.splitlines() == [
        "zoo/a.yaml:3:11: 'zoo/b.yaml': no such file, in zoo/a.yaml, used at budgets.yaml:4:13"
    ]


# ---- issue 8, point 8: messages say what to write instead

MESSAGES = [
    # PyTorch's argument names
    ("layers: [conv2d: {out_channels: 8, kernel: 3}]", "'out_channels' (did you mean 'out'?"),
    ("layers: [flatten, linear: {out_features: 8}]", "'out_features' (did you mean 'out'?"),
    ("layers: [adaptive_avgpool2d: {output_size: 1}]", "'output_size' (did you mean 'size'?"),
    ("layers: [conv2d: {out: 8, kernel_size: 3}]", "'kernel_size' (did you mean 'kernel'?"),
    ("layers: [conv2d: {in_channels: 4, out: 8, kernel: 3}]", "from the input shape: leave it"),
    ("layers: [batchnorm2d: {eps: 0.001}]", "changes no count: leave it out"),
    # YAML's null, not Python's None
    ("layers:\n", "layers: empty (YAML null): write a list"),
    ("layers: [conv2d: ~]", "conv2d: empty (YAML null): write a mapping"),
]


@pytest.mark.parametrize(("text", "message"), MESSAGES)
def test_messages_say_what_to_write(write, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    problems = problems_of(write, HEADER + text)
    assert problems and message in problems[0], problems
    assert "None" not in problems[0]


def test_a_residual_mismatch_says_which_side_gives_which_shape(write) -> None:  # type: ignore[no-untyped-def]
    from budgetlint.problems import SpecError

    (model,) = spec_of(
        write,
        HEADER
        + "layers:\n  - residual: {body: [conv2d: {out: 16, kernel: 3, stride: 2, padding: 1}]}\n",
    ).models
    with pytest.raises(SpecError) as raised:
        evaluate(model.architecture, DEFAULT)
    message = raised.value.problems[0].message
    # body: 16 channels at (8 + 2·1 − 3) // 2 + 1 = 4; shortcut: the input [1, 4, 8, 8]
    body, given = [1, 16, (8 + 2 - 3) // 2 + 1, 4], [1, 4, 8, 8]
    body[3] = body[2]
    assert f"the body gives {body} but the shortcut (the identity: the input) gives {given}" in (
        message
    )
    assert "shortcut: [conv2d: {out: 16, kernel: 1, stride: 2}]" in message


def test_blocks_come_from_the_files_use_names(write) -> None:  # type: ignore[no-untyped-def]
    # a.yaml uses lib/x.yaml and lib/y.yaml, which both use lib/base.yaml (one definition)
    write(
        "lib/base.yaml",
        "version: 1\nblocks:\n  fc: {params: {out: ~}, layers: [linear: {out: '${out}'}]}\n",
    )
    write(
        "lib/x.yaml",
        "version: 1\nuse: [base.yaml]\nblocks:\n  fc_relu: {layers: [fc: {out: 8}, relu]}\n",
    )
    write("lib/y.yaml", "version: 1\nuse: [base.yaml]\nblocks:\n  head: {layers: [fc: {out: 2}]}\n")
    spec = spec_of(
        write,
        "version: 1\ninput: [1, 4]\nuse: [lib/x.yaml, lib/y.yaml]\nlayers: [fc_relu, head]\n",
        "a.yaml",
    )
    report = evaluate(spec.models[0].architecture, DEFAULT)
    assert [layer.output for layer in report.layers] == [(1, 8), (1, 8), (1, 2)]
    assert report.params == 4 * 8 + 8 + 8 * 2 + 2
    # every file read is the spec's: the pipeline checks libraries as its parts
    read = [Path(name).parts[-2:] for name in spec.files[1:]]
    assert read == [("lib", "x.yaml"), ("lib", "base.yaml"), ("lib", "y.yaml")]


def test_an_arch_file_uses_its_own_libraries(write) -> None:  # type: ignore[no-untyped-def]
    write("lib/base.yaml", "version: 1\nblocks:\n  fc: {layers: [linear: {out: 3}]}\n")
    write("nets/net.yaml", "version: 1\nuse: [../lib/base.yaml]\nlayers: [fc]\n")
    spec = spec_of(write, "version: 1\ninput: [1, 4]\nlayers: [arch: nets/net.yaml]\n")
    assert evaluate(spec.models[0].architecture, DEFAULT).output == (1, 3)


@pytest.mark.parametrize(
    ("library", "message"),
    [
        ("version: 1\nblocks:\n  relu: {layers: [relu]}\n", "block 'relu' has the name of an op"),
        ("version: 1\nuse: [../a.yaml]\n", "circular use: "),
        ("version: 1\nblocks: [1]\n", "lib/l.yaml:2:"),
    ],
)
def test_a_broken_library_is_a_positioned_problem(write, library: str, message: str) -> None:  # type: ignore[no-untyped-def]
    write("lib/l.yaml", library)
    problems = problems_of(
        write, "version: 1\ninput: [1, 4]\nuse: [lib/l.yaml]\nlayers: [relu]\n", "a.yaml"
    )
    assert len(problems) == 1 and message in problems[0], problems


def test_repeat_numbers_turns_from_start_and_names_them_with_turn(write) -> None:  # type: ignore[no-untyped-def]
    report = report_of(
        write,
        HEADER
        + """
layers:
  - name: a
    repeat: {times: 2, start: 1, body: [relu]}
  - name: b
    repeat: {times: 2, body: [{name: "block_${turn}", relu: }]}
  - name: c
    repeat: {times: 2, start: 3, body: [{name: x, relu: }, {name: "y${turn * 10}", relu: }]}
""",
    )
    assert [layer.name for layer in report.layers] == [
        "a.1",
        "a.2",
        "b.block_0",
        "b.block_1",
        "c.3.x",
        "c.3.y30",
        "c.4.x",
        "c.4.y40",
    ]


@pytest.mark.parametrize("start", ["-1", "1.5", "'x'", "true", '"${1 - 2}"'])
def test_a_bad_repeat_start_is_refused_at_its_line(write, start: str) -> None:  # type: ignore[no-untyped-def]
    problems = problems_of(
        write, HEADER + f"layers:\n  - repeat: {{times: 2, start: {start}, body: [relu]}}\n"
    )
    assert len(problems) == 1
    assert ":4:31: " in problems[0] and "start" in problems[0], problems


# The cyclic collector is paused while a model expands (Expander.model_layers): reading a
# spec makes no reference cycles, so nothing waits for the collector, problems included.
_CYCLE_FREE = [
    "specs/mobile.yaml",
    "specs/zoo/resnet18.yaml",
    "specs/zoo/llama-2-7b.yaml",  # blocks replayed, repeats
    "specs/zoo/maxvit_t.yaml",
]
_PROBLEMS = (
    "version: 1\ninput: [1, 4]\nblocks:\n"
    "  b: {layers: [{linear: {out: '${0}'}}, nope, b]}\n"  # inside a block use: its chain
    "layers: [b, b, {linear: {out: 0k}}, '${x}', {repeat: {times: 2, body: [b]}}]\n"
)


@pytest.mark.parametrize("name", [*_CYCLE_FREE, "problems", "refused"])
def test_reading_a_spec_makes_no_reference_cycles(write, name: str) -> None:  # type: ignore[no-untyped-def]
    import gc

    from tests.conftest import ROOT
    from tests.doubling import doubling

    if name == "problems":
        path = write("p.yaml", _PROBLEMS)
    elif name == "refused":
        path = write("d.yaml", doubling("block", leaf="relu"))
    else:
        path = ROOT / name
    read_spec(path)  # caches filled (schemas, expressions) before counting
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        spec, problems = read_spec(path)
        assert (problems != []) == (name in ("problems", "refused"))
        del spec, problems
        assert gc.collect() == 0  # nothing was left for the collector to find
    finally:
        if enabled:
            gc.enable()


def test_the_collector_is_paused_while_expanding_and_resumed_after(write, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import gc

    from budgetlint.spec.expander import Expander

    seen: list[bool] = []
    original = Expander.layers

    def layers(self, *args):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return original(self, *args)

    monkeypatch.setattr(Expander, "layers", layers)
    assert gc.isenabled()
    spec_of(write, HEADER + "layers: [relu, {residual: {body: [relu]}}]\n")
    _, problems = read_spec(write("bad.yaml", HEADER + "layers: [nope]\n"))
    assert [problem.code for problem in problems] == ["layer.unknown_op"]
    assert seen and not any(seen)
    assert gc.isenabled()
