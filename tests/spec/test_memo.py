"""Cost grows with unique work: block uses alike are expanded once and replayed, models on
one architecture are expanded and evaluated once, and none of it changes an output byte,
a position, a layer name or the work bound."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest

from budgetlint import pipeline
from budgetlint.graph import Group, Layer, Node
from budgetlint.problems import Position, Problem, SpecError
from budgetlint.spec import expander, expr
from budgetlint.spec.expand import Spec, read_spec
from budgetlint.spec.expander import MAX_NAME, MAX_UNROLLED, Context, Expander
from budgetlint.spec.files import Files
from budgetlint.spec.load import parse_document
from budgetlint.spec.sources import WORK_TREE
from tests.conftest import ROOT, Run
from tests.doubling import arch_chain, doubling

SPECS = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "specs").rglob("*.yaml"))


class _Expanders:
    """Every Expander made while a spec is read (each read makes one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.made: list[Expander] = []
        original = Expander.__init__

        def init(made: Expander, *args: Any) -> None:
            original(made, *args)
            self.made.append(made)

        monkeypatch.setattr(Expander, "__init__", init)

    @property
    def expansions(self) -> int:
        return sum(made.expansions for made in self.made)

    @property
    def replays(self) -> int:
        return sum(made.replays for made in self.made)


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, remember: bool) -> tuple[Any, ...]:
    monkeypatch.setattr(expander, "REMEMBER", remember)
    spec, problems = read_spec(path)
    return spec, problems


@pytest.mark.parametrize("name", SPECS)
def test_every_spec_reads_the_same_with_and_without_the_memo(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the whole expansion compared: names, groups and their serial numbers, units, positions
    with_memo = _read(ROOT / name, monkeypatch, remember=True)
    without = _read(ROOT / name, monkeypatch, remember=False)
    assert with_memo == without


@pytest.mark.parametrize("name", SPECS)
def test_every_spec_reports_the_same_bytes_with_and_without_the_memo(
    name: str, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    runs = []
    for remember in (True, False):
        monkeypatch.setattr(expander, "REMEMBER", remember)
        runs.append(
            (cli("report", name, "--format", "json"), cli("report", name, "--tree", "--all"))
        )
    assert runs[0] == runs[1]


def test_specs_are_found() -> None:
    assert "specs/zoo/llama-2-7b.yaml" in SPECS and len(SPECS) > 20


def test_a_block_used_alike_is_expanded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Llama 2 7B: 32 decoder layers, one block with the same arguments
    expanders = _Expanders(monkeypatch)
    spec, problems = read_spec(ROOT / "specs/zoo/llama-2-7b.yaml")
    assert problems == [] and spec is not None
    assert (expanders.expansions, expanders.replays) == (1, 32 - 1)
    names = [layer.name for layer in spec.models[0].architecture.layers]
    # each use keeps its own names: turn, then the block's two residuals
    assert names[1:5] == ["layers.0.0", "layers.0.1", "layers.1.0", "layers.1.1"]
    assert names[-3:] == ["layers.31.1", "norm", "lm_head"]


def _uses(arguments: list[str]) -> str:
    uses = "".join(f"  - {{name: u{i}, b: {{width: {a}}}}}\n" for i, a in enumerate(arguments))
    return (
        "version: 1\ninput: [1, 8]\nblocks:\n  b:\n    params: {width: ~}\n"
        "    layers: [{linear: {out: '${width}'}}, relu, {linear: {out: 8}}]\n"
        f"layers:\n{uses}"
    )


@pytest.mark.parametrize(
    ("arguments", "expansions"),
    [
        (["4"] * 10, 1),
        (["4", "16"] * 5, 2),  # one expansion per distinct argument
        (["4", "4.0", "'4'"], 3),  # equal in Python, not as written: not the same use
        ([str(i + 1) for i in range(10)], 10),
    ],
)
def test_expansions_follow_distinct_arguments(
    write: Callable[[str, str], Path],
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    expansions: int,
) -> None:
    expanders = _Expanders(monkeypatch)
    path = write("s.yaml", _uses(arguments))
    remembered = read_spec(path)
    assert (expanders.expansions, expanders.replays) == (expansions, len(arguments) - expansions)
    assert remembered == _read(path, monkeypatch, remember=False)


def _models(count: int, architectures: list[str]) -> str:
    models = "".join(
        f"  m{i}: {{arch: {architectures[i % len(architectures)]}, devices: [d]}}\n"
        for i in range(count)
    )
    return f"version: 1\ndevices:\n  d: {{budgets: {{params: 1T}}}}\nmodels:\n{models}"


def test_a_thousand_models_over_four_architectures_cost_the_four(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "specs" / "zoo", tmp_path / "zoo")
    four = [f"zoo/{name}.yaml" for name in ("lenet", "mobilenet_v2", "resnet18", "resnet50")]
    (tmp_path / "four.yaml").write_text(_models(4, four))
    (tmp_path / "many.yaml").write_text(_models(1000, four))
    evaluations: list[str] = []
    original = pipeline.evaluate

    def counting(architecture: Any, convention: Any) -> Any:
        evaluations.append(architecture.source)
        return original(architecture, convention)

    monkeypatch.setattr(pipeline, "evaluate", counting)
    work = []
    for name in ("four.yaml", "many.yaml"):
        expanders = _Expanders(monkeypatch)
        evaluations.clear()
        result = pipeline.run([tmp_path / name])
        assert result.exit_code == 0, result.problems
        work.append((expanders.expansions, sorted(evaluations)))
        assert len(result.verdicts) == len(result.models) == int(name != "four.yaml") * 996 + 4
    assert work[1] == work[0]  # the same unique work: blocks expanded, models evaluated
    assert [Path(source).relative_to(tmp_path).as_posix() for source in work[0][1]] == four


@pytest.mark.parametrize("kind", ["block", "parallel", "residual", "repeat"])
def test_a_replay_counts_its_work_so_doubling_is_refused_where_it_was(
    write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    path = write("d.yaml", doubling(kind, leaf="relu"))
    expanders = _Expanders(monkeypatch)
    _, remembered = _read(path, monkeypatch, remember=True)
    _, expanded = _read(path, monkeypatch, remember=False)
    assert [p.code for p in remembered] == ["layer.too_many"]
    assert remembered == expanded  # the same layer named, the same chain of uses
    if kind in ("block", "repeat"):  # names short enough to be renamed at every level:
        # the first expansion of each level, then at most two more where the bound falls
        assert expanders.made[0].expansions <= 3 * 40


def test_a_sweep_within_the_bound_is_not_refused(
    write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2^11 relu layers from 2^12 - 1 block uses: within 100,000 steps once unrolled
    path = write("d.yaml", doubling("block", levels=12, leaf="relu"))
    expanders = _Expanders(monkeypatch)
    spec, problems = read_spec(path)
    assert problems == [] and spec is not None
    assert len(spec.models[0].architecture.layers) == 2**11
    # each level's block once (12), and the second use of each but the top one replayed
    assert (expanders.expansions, expanders.replays) == (12, 11)
    assert expanders.made[0].unrolled < MAX_UNROLLED


def test_long_names_are_cut_as_without_the_memo(
    write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the second use's name is long enough that names inside it are cut at MAX_NAME
    long = "n" * (MAX_NAME - 5)  # with ".inner_layer", 7 characters too many
    text = (
        "version: 1\ninput: [1, 8]\nblocks:\n  b: {layers: [{name: inner_layer, relu: }]}\n"
        f"layers:\n  - {{name: short, b: }}\n  - {{name: {long}, b: }}\n"
    )
    path = write("s.yaml", text)
    expanders = _Expanders(monkeypatch)
    remembered = read_spec(path)
    assert expanders.expansions == 2  # the long use could not be renamed: expanded
    assert remembered == _read(path, monkeypatch, remember=False)
    spec = remembered[0]
    assert spec is not None
    names = [layer.name for layer in spec.models[0].architecture.layers]
    assert names[0] == "short.inner_layer" and names[1].startswith("…")
    assert len(names[1]) == MAX_NAME


def test_a_problem_inside_a_block_is_said_for_each_use(
    write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a failed expansion is never remembered: each use reports its own chain
    text = (
        "version: 1\ninput: [1, 8]\nblocks:\n  b: {layers: [{linear: {out: '${0}'}}]}\n"
        "layers: [b, b]\n"
    )
    path = write("s.yaml", text)
    _, problems = _read(path, monkeypatch, remember=True)
    assert problems == _read(path, monkeypatch, remember=False)[1]
    assert [p.message.rsplit("used at ", 1)[1] for p in problems] == [
        f"{path}:5:10",
        f"{path}:5:13",
    ]


def test_expressions_are_tokenized_once_per_text(
    write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # one hundred uses with other values: the argument's text, and the block's, once each
    monkeypatch.setattr(expander, "REMEMBER", False)  # each use expands: its `${}` too
    uses = "".join(f"  - {{b: {{width: '${{{i + 1} * 2}}'}}}}\n" for i in range(100))
    text = (
        "version: 1\ninput: [1, 8]\nblocks:\n  b:\n    params: {width: ~}\n"
        "    layers: [{linear: {out: '${width + 1}'}}]\n"
        f"layers:\n{uses}"
    )
    path = write("s.yaml", text)
    expr._tokenize.cache_clear()
    spec, problems = read_spec(path)
    assert problems == [] and spec is not None
    assert expr._tokenize.cache_info().misses == 100 + 1  # each argument text, and the block's
    layers = spec.models[0].architecture.layers
    assert [layer.attrs["out"] for layer in layers if isinstance(layer, Layer)] == [
        (i + 1) * 2 + 1 for i in range(100)
    ]


def test_a_remembered_value_is_not_shared_between_uses(
    write: Callable[[str, str], Path],
) -> None:
    text = (
        "version: 1\ninput: [1, 4, 8, 8]\nblocks:\n  b:\n    params: {k: ~}\n"
        "    layers: [{conv2d: {out: 4, kernel: '${k}'}}]\n"
        "layers: [{b: {k: '${[3, 3]}'}}, {b: {k: '${[3, 3]}'}}]\n"
    )
    spec, problems = read_spec(write("s.yaml", text))
    assert problems == [] and spec is not None
    first, second = spec.models[0].architecture.layers
    assert isinstance(first, Layer) and isinstance(second, Layer)
    assert first.attrs["kernel"] == second.attrs["kernel"] == (3, 3)


def _positions(problems: list[Problem]) -> list[str]:
    return [str(problem.position) for problem in problems]


def test_the_spec_type_is_compared_whole() -> None:
    # the equality the table tests rely on sees names, groups, serials and positions
    spec, _ = read_spec(ROOT / "specs/zoo/resnet18.yaml")
    assert isinstance(spec, Spec)
    layers = spec.models[0].architecture.layers
    grouped = next(layer for layer in layers if isinstance(layer, Layer) and layer.groups)
    group = grouped.groups[-1]
    other = replace(group, serial=group.serial + 1)
    assert replace(grouped, groups=(*grouped.groups[:-1], other)) != grouped


def test_an_architecture_used_twice_in_layers_is_expanded_once(
    write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        "backbone.yaml",
        "version: 1\nblocks:\n  b: {layers: [{linear: {out: 8}}, relu]}\nlayers: [b, b]\n",
    )
    path = write(
        "s.yaml", "version: 1\ninput: [1, 8]\nlayers: [arch: backbone.yaml, arch: backbone.yaml]\n"
    )
    expanders = _Expanders(monkeypatch)
    remembered = read_spec(path)
    # the first arch use and its first block use expand; the rest replay
    assert (expanders.expansions, expanders.replays) == (2, 2)
    assert remembered == _read(path, monkeypatch, remember=False)
    spec = remembered[0]
    assert spec is not None
    names = [layer.name for layer in spec.models[0].architecture.layers]
    expected = [f"layers.{use}.{block}.{layer}" for use in "01" for block in "01" for layer in "01"]
    assert names == expected


def test_a_chain_of_architectures_each_used_twice_is_refused_where_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = arch_chain(tmp_path, leaf="relu")
    expanders = _Expanders(monkeypatch)
    _, remembered = _read(spec, monkeypatch, remember=True)
    assert [p.code for p in remembered] == ["layer.too_many"]
    assert remembered == _read(spec, monkeypatch, remember=False)[1]
    assert expanders.made[0].expansions <= 3 * 41


# Op bodies written alike share one binding (Expander.attributes, Expander.known_op): each
# layer keeps its own name, position and groups; only the bound attributes are shared.

LINEAR_4 = {"out": 4, "bias": True, "tied": False}  # linear's attributes: given, then defaults


def _layers(path: Path) -> list[Layer]:
    spec, problems = read_spec(path)
    assert problems == [] and spec is not None
    layers = list(spec.models[0].architecture.layers)
    assert all(isinstance(layer, Layer) for layer in layers)
    return cast("list[Layer]", layers)


def _binds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ops whose attributes are bound for real (not shared), in order."""
    ops: list[str] = []
    original = expander.bind

    def counting(slots: Any, given: Any, resolve: Any = None) -> Any:
        ops.append(next(iter(slots), "") and "op")
        return original(slots, given, resolve) if resolve else original(slots, given)

    monkeypatch.setattr(expander, "bind", counting)
    return ops


def test_equal_bodies_at_other_places_keep_their_names_and_positions(
    write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        "s.yaml",
        "version: 1\ninput: [1, 4]\nlayers:\n"
        "  - {linear: {out: 4}}\n"  # line 4
        "  - relu\n"
        "  - {name: fc, linear: {out: 4}}\n"
        "  - relu\n"
        "  - linear: {out: 4}\n",  # line 8
    )
    binds = _binds(monkeypatch)
    shown = str(path)
    expected = [
        Layer("layers.0", "linear", LINEAR_4, Position(shown, 4, 5)),
        Layer("layers.1", "relu", {}, Position(shown, 5, 5)),
        Layer("fc", "linear", LINEAR_4, Position(shown, 6, 5)),
        Layer("layers.3", "relu", {}, Position(shown, 7, 5)),
        Layer("layers.4", "linear", LINEAR_4, Position(shown, 8, 5)),
    ]
    layers = _layers(path)
    assert layers == expected
    assert len(binds) == 2  # linear {out: 4} and relu, once each
    assert layers[0].attrs is layers[2].attrs is layers[4].attrs
    monkeypatch.setattr(expander, "REMEMBER", False)
    assert _layers(path) == expected
    assert len(binds) == 2 + 5  # without the memo, each layer binds its own


@pytest.mark.parametrize(
    ("values", "binds"),
    [
        (["4", "4", "4"], 1),
        (["4", "4.0", "'4'", "4"], 3),  # equal once bound, not as written: bound apart
        (["4", "0x4"], 1),  # the same number once read (YAML reads 0x4 as 4): alike
    ],
)
def test_bodies_are_alike_by_what_is_written(
    write: Callable[[str, str], Path],
    monkeypatch: pytest.MonkeyPatch,
    values: list[str],
    binds: int,
) -> None:
    items = "".join(f"  - {{linear: {{out: {value}}}}}\n" for value in values)
    path = write("s.yaml", f"version: 1\ninput: [1, 4]\nlayers:\n{items}")
    bound = _binds(monkeypatch)
    layers = _layers(path)
    assert [dict(layer.attrs) for layer in layers] == [LINEAR_4] * len(values)
    assert [layer.position.line for layer in layers] == [4 + i for i in range(len(values))]
    assert len(bound) == binds


def test_a_body_with_an_expression_is_bound_in_each_scope(
    write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        "s.yaml",
        "version: 1\ninput: [1, 4]\nblocks:\n  b:\n    params: {w: ~}\n"
        "    layers: [{linear: {out: '${w}'}}]\n"  # line 6
        "layers: [{b: {w: 4}}, {b: {w: 8}}, {b: {w: 4}}]\n",
    )
    shown = str(path)
    for remember in (True, False):
        monkeypatch.setattr(expander, "REMEMBER", remember)
        assert _layers(path) == [
            Layer(
                f"layers.{use}.0",
                "linear",
                {"out": out, "bias": True, "tied": False},
                Position(shown, 6, 14),
                groups=(Group(f"layers.{use}", "b", Position(shown, 7, 10 + 13 * use), use + 1),),
            )
            for use, out in enumerate([4, 8, 4])
        ]


def test_a_bare_name_of_an_expression_is_its_value_in_each_scope(
    write: Callable[[str, str], Path],
) -> None:
    path = write(
        "s.yaml",
        "version: 1\ninput: [1, 4]\nblocks:\n  b:\n    params: {act: ~}\n"
        "    layers: [relu, '${act}']\n"
        "layers: [{b: {act: relu}}, {b: {act: gelu}}, {b: {act: relu}}, relu, gelu]\n",
    )
    assert [(layer.name, layer.op) for layer in _layers(path)] == [
        ("layers.0.0", "relu"),
        ("layers.0.1", "relu"),
        ("layers.1.0", "relu"),
        ("layers.1.1", "gelu"),
        ("layers.2.0", "relu"),
        ("layers.2.1", "relu"),
        ("layers.3", "relu"),
        ("layers.4", "gelu"),
    ]


def test_a_list_value_counts_its_items_in_each_layer(
    write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # each layer: one step, and one per item of its kernel list; shared or not
    count = 7
    items = "".join("  - {conv2d: {out: 4, kernel: [3, 3]}}\n" for _ in range(count))
    path = write("s.yaml", f"version: 1\ninput: [1, 4, 8, 8]\nlayers:\n{items}")
    for remember in (True, False):
        monkeypatch.setattr(expander, "REMEMBER", remember)
        expanders = _Expanders(monkeypatch)
        layers = _layers(path)
        assert [layer.attrs["kernel"] for layer in layers] == [(3, 3)] * count
        assert expanders.made[0].unrolled == count * (1 + 2)


@pytest.mark.parametrize("bound", [9, 10, 11, 12])
def test_a_shared_body_is_refused_where_its_own_reading_is(
    write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch, bound: int
) -> None:
    # 3 steps a layer: the bound falls on a layer's own step or on its kernel's items
    items = "".join("  - {conv2d: {out: 4, kernel: [3, 3]}}\n" for _ in range(5))
    path = write("s.yaml", f"version: 1\ninput: [1, 4, 8, 8]\nlayers:\n{items}")
    monkeypatch.setattr(expander, "MAX_UNROLLED", bound)
    # step 10 is the 4th layer's own (line 7, column 5); 11-12 its kernel's (column 31)
    expected = {9: (7, 5), 10: (7, 31), 11: (7, 31), 12: (8, 5)}[bound]
    refusals = []
    for remember in (True, False):
        monkeypatch.setattr(expander, "REMEMBER", remember)
        _, problems = read_spec(path)
        assert [problem.code for problem in problems] == ["layer.too_many"]
        refusals.append(problems[0].position)
    assert refusals == [Position(str(path), *expected)] * 2


def test_a_bad_body_is_said_at_each_place(write: Callable[[str, str], Path]) -> None:
    # a failed binding is not remembered: each layer that repeats it is reported
    path = write(
        "s.yaml",
        "version: 1\ninput: [1, 4]\nlayers:\n  - {linear: {out: 0k}}\n  - relu\n"
        "  - {linear: {out: 0k}}\n",
    )
    _, problems = read_spec(path)
    assert [(p.code, p.position.line, p.position.column) for p in problems] == [
        ("layer.attr_value", 4, 20),
        ("layer.attr_value", 6, 20),
    ]


def _expanded(text: str) -> tuple[Node, ...] | list[str]:
    """The layers of a document's `layers:`, expanded without validating it first (the
    schema refuses most of these items before the expander sees them), or its problems'
    codes."""
    document = parse_document(text, "s.yaml")
    context = Context(document, {}, {}, (), ("s.yaml",))
    try:
        return Expander(Files(WORK_TREE)).layers(context, ("layers",), "", "layers")
    except SpecError as error:
        return [problem.code for problem in error.problems]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("{relu: 0}", ["layer.attrs"]),  # not a mapping: not the body-less relu seen before
        ("{relu: []}", ["layer.attrs"]),
        ("\"{'linear': {'out': 4}}\"", ["layer.unknown_op"]),  # a name, not the item it spells
        ("{relu: {}, name: ''}", ["layer.name"]),  # not alone: read for itself
        ("{linear: {out: 4}, functional: true}", [True]),
        ("{linear: {out: 4}, module: fc}", ["/fc"]),
    ],
)
def test_an_item_like_a_remembered_one_is_read_for_itself(
    item: str, expected: list[object]
) -> None:
    found = _expanded(f"layers: [relu, {{linear: {{out: 4}}}}, {item}]\n")
    if isinstance(found, list):
        assert found == expected
        return
    third = found[2]
    assert isinstance(third, Layer) and third.attrs == LINEAR_4
    assert [third.functional if expected == [True] else third.module] == expected
