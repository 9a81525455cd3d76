"""The merges table: one row per merge, read by the schema, the expander and the evaluator."""

from __future__ import annotations

from pathlib import Path

import pytest

from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.cost import ShapeError
from budgetlint.engine.evaluate import evaluate
from budgetlint.engine.ops.merge import DEFAULT_MERGE, MERGES, RESIDUAL_MERGE
from budgetlint.engine.saved import MERGE_SAVES
from budgetlint.graph import Architecture, Layer, Parallel
from budgetlint.problems import Position
from budgetlint.spec.expand import read_spec
from budgetlint.spec.schema import build_schema

Shapes = tuple[tuple[int, ...], ...]

# (merge, input shapes, axis, output shape, MACs, work): each figure written as its formula
CASES = [
    ("concat", ((2, 3, 4), (2, 5, 4)), 1, (2, 3 + 5, 4), 0, ()),
    ("concat", ((2, 3, 4), (2, 3, 6), (2, 3, 1)), -1, (2, 3, 4 + 6 + 1), 0, ()),
    ("concat", ((2, 3),), 0, (2, 3), 0, ()),
    ("add", ((2, 8), (2, 8), (2, 8)), 1, (2, 8), 0, (("add", 2 * 8 * (3 - 1)),)),
    ("add", ((2, 8),), 1, (2, 8), 0, (("add", 0),)),
    ("mul", ((1, 16, 1, 1), (1, 16, 7, 7)), 1, (1, 16, 7, 7), 0, (("mul", 16 * 7 * 7),)),
    # batch dims broadcast: [3, 1] with [4] → [3, 4]; M·N·K per batch entry
    ("matmul", ((3, 1, 5, 6), (4, 6, 7)), 1, (3, 4, 5, 7), 3 * 4 * 5 * 7 * 6, None),
    ("einsum", ((2, 4, 8), (2, 8, 4)), 1, (2, 4, 4), 2 * 4 * 4 * 8, None),
]


@pytest.mark.parametrize(("how", "shapes", "axis", "output", "macs", "work"), CASES)
def test_each_merge_follows_its_shape_rule(
    how: str,
    shapes: Shapes,
    axis: int,
    output: tuple[int, ...],
    macs: int,
    work: tuple[tuple[str, int], ...] | None,
) -> None:
    cost = MERGES[how](shapes, axis)
    assert (cost.output, cost.macs) == (output, macs)
    assert cost.work == (work if work is not None else ((f"{how}_macs", macs),))


def test_every_merge_has_a_case() -> None:
    assert {case[0] for case in CASES} == set(MERGES)


@pytest.mark.parametrize("how", list(MERGES))
def test_arity_is_what_the_function_accepts(how: str) -> None:
    square = (1, 4, 4)
    arity = MERGES[how].arity
    if arity is None:  # any number of equal shapes merges
        for count in (1, 2, 5):
            assert len(MERGES[how]((square,) * count, 1).output) == len(square)
        return
    MERGES[how]((square,) * arity, 1)
    for count in (arity - 1, arity + 1):
        with pytest.raises(ShapeError, match="needs two inputs"):
            MERGES[how]((square,) * count, 1)


def test_every_merge_says_whether_it_saves_its_operands() -> None:
    assert set(MERGE_SAVES) == set(MERGES)


def test_the_schema_lists_the_merges_and_the_default() -> None:
    parallel = build_schema()["definitions"]["layer"]["anyOf"][1]["properties"]["parallel"]
    merge = parallel["properties"]["merge"]
    assert merge["anyOf"][0]["enum"] == list(MERGES)
    assert merge["default"] == DEFAULT_MERGE in MERGES
    assert all(name in merge["description"] for name in MERGES)
    assert RESIDUAL_MERGE in MERGES


def _spec(tmp_path: Path, merge: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(
        f"version: 1\ninput: [1, 4, 8, 8]\nlayers:\n  - parallel:\n{merge}"
        "      branches: [[], [conv2d: {out: 2, kernel: 1}]]\n"
    )
    return path


def test_a_parallel_without_merge_uses_the_default(tmp_path: Path) -> None:
    spec, problems = read_spec(_spec(tmp_path, ""))
    assert spec is not None and not problems
    (model,) = spec.models
    layer = evaluate(model.architecture, DEFAULT).layers[-1]
    assert (layer.op, layer.output) == (DEFAULT_MERGE, (1, 4 + 2, 8, 8))


def test_an_unknown_merge_from_an_expression_is_a_positioned_problem(tmp_path: Path) -> None:
    _, problems = read_spec(_spec(tmp_path, "      merge: \"${'sum'}\"\n"))
    (problem,) = problems
    assert problem.code == "layer.merge"
    assert (problem.position.line, problem.position.column) == (5, 14)
    assert f"merge must be one of {', '.join(MERGES)}, not 'sum'" in problem.message


def test_the_evaluator_never_falls_back_on_an_unknown_merge() -> None:
    here = Position("spec.yaml", 1, 1)
    identity = Layer("id", "identity", {}, here)
    node = Parallel("p", ((identity,), ()), "sum", 1, here)
    with pytest.raises(KeyError, match="sum"):
        evaluate(Architecture("m", "spec.yaml", (1, 4), (node,), here), DEFAULT)
