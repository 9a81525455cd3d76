"""The editor's schema and the CLI's parsers agree on every quantity: one table
(budgetlint.units.QUANTITIES) makes both, and a corpus of strings, accepted and
refused, gets the same answer from each."""

from __future__ import annotations

import pytest
from jsonschema import Draft7Validator

from budgetlint.device import BUDGET_KINDS
from budgetlint.spec.schema import build_schema, quantity_schema
from budgetlint.units import QUANTITIES, UnitError

# Strings written as people write them (or mistype them), per quantity.
CORPUS: dict[str, list[object]] = {
    "count": [
        "5M",
        "250k",
        "5e6",
        "5000000",
        "1.5G",
        "2B",
        "1T",
        " 5 M ",
        "+5M",
        ".5M",
        "1_000_000",
        "5",
        5,
        0,
        2.5,
        "0",
        "5m",
        "5b",
        "5 Mi",
        "5MB",
        "lots",
        "",
        " ",
        "-5M",
        -5,
        "5e",
        "e5",
        "5..0M",
        "M",
        "5 M M",
        "5KiB",
        "1e5k",
        "5_",
        "_5",
        True,
        None,
        [5],
        "5%",
    ],
    "giga": [
        "0.6",
        "12",
        0.6,
        12,
        "1e-3",
        " 0.6 ",
        "+1",
        "0.6G",
        "600M",
        "lots",
        "-1",
        -1,
        "",
        True,
    ],
    "bytes": [
        "8MB",
        "7.5MiB",
        "256KiB",
        "1GB",
        "8 MB",
        "1B",
        "2TiB",
        "1e6B",
        ".5GB",
        "10kB",
        "8M",
        "8",
        8,
        "8KB",
        "8Mb",
        "8mb",
        "8 mib",
        "8MIB",
        "8 sec",
        "MB",
        "-8MB",
        "8MB/s",
        "",
        "8 M B",
        True,
    ],
    "time": [
        "5ms",
        "250us",
        "1.5s",
        "10 ns",
        "5µs",
        "1e-3s",
        "2_000us",
        "5 ms ",
        "5",
        5,
        "5 sec",
        "5m",
        "5mS",
        ".5ms",
        "+5ms",
        "-5ms",
        "ms",
        "5 ms s",
        "",
        True,
    ],
    "rate": [
        "26TOPS",
        "13 TFLOPS",
        "900GFLOPS",
        "1PFLOPS",
        "5kOPS",
        "100OPS",
        "2.5 TOPS",
        "26",
        26,
        "26tops",
        "26 T",
        "26TFLOP",
        "26TFLOPs",
        "26 TB/s",
        "-1TOPS",
        "",
        True,
    ],
    "bandwidth": [
        "51.2GB/s",
        "68GiB/s",
        "1 TB/s",
        "500 MB /s",
        "100kB/s",
        "51.2GB",
        "51.2",
        51.2,
        "51.2G/s",
        "51.2Gb/s",
        "51.2GB/sec",
        "GB/s",
        "-1GB/s",
        "",
        True,
    ],
    "throughput": [
        "50tok/s",
        "1.5ktok/s",
        "2 Mtok/s",
        "50 tok /s",
        "50",
        50,
        "50tok",
        "50 tokens/s",
        "50Ktok/s",
        "50tok/sec",
        "-5tok/s",
        "",
        True,
    ],
    "fraction": [
        "90%",
        "0.9",
        "1",
        "0",
        ".5",
        "1.0",
        "0_0.5",
        "100%",
        "150%",
        " 90 % ",
        0.9,
        1,
        0,
        "1_",
        "1.5",
        1.5,
        "2",
        "90",
        90,
        "-10%",
        "ninety",
        "90%%",
        "%",
        "",
        "0.9%x",
        True,
        -0.5,
    ],
}

# Forms one side can't see, each said: the schema checks form, not magnitude.
KNOWN_GAPS: list[tuple[str, object, str]] = [
    ("count", "1e31", "beyond 10^30: the CLI refuses it as too large"),
    ("fraction", "5e-1", "a plain fraction with an exponent: the schema refuses it"),
]


def schema_accepts(quantity: str, value: object) -> bool:
    schema = quantity_schema(QUANTITIES[quantity], "")
    return Draft7Validator(schema).is_valid(value)


def parser_accepts(quantity: str, value: object) -> bool:
    try:
        QUANTITIES[quantity].parse(value)
    except UnitError:
        return False
    return True


@pytest.mark.parametrize(
    ("quantity", "value"),
    [(quantity, value) for quantity, values in CORPUS.items() for value in values],
    ids=repr,
)
def test_schema_and_parser_give_the_same_answer(quantity: str, value: object) -> None:
    assert schema_accepts(quantity, value) == parser_accepts(quantity, value)


def test_the_corpus_has_both_answers_for_every_quantity() -> None:
    assert set(CORPUS) == set(QUANTITIES)
    for quantity, values in CORPUS.items():
        answers = {parser_accepts(quantity, value) for value in values}
        assert answers == {True, False}, quantity


@pytest.mark.parametrize(("quantity", "value", "why"), KNOWN_GAPS)
def test_known_gaps_are_the_only_ones_said(quantity: str, value: object, why: str) -> None:
    assert schema_accepts(quantity, value) != parser_accepts(quantity, value), why


def test_every_budget_is_a_quantity_of_the_table() -> None:
    device = build_schema()["definitions"]["device"]["properties"]
    for name, kind in BUDGET_KINDS.items():
        budget = device["budgets"]["properties"][name]
        quantity = next(q for q in QUANTITIES.values() if q.parse is kind.parse)
        shown = {key: value for key, value in budget.items() if key != "markdownDescription"}
        assert shown == quantity_schema(quantity, kind.doc), name


@pytest.mark.parametrize("quantity", sorted(QUANTITIES))
def test_examples_are_accepted_by_both(quantity: str) -> None:
    for example in QUANTITIES[quantity].examples:
        assert schema_accepts(quantity, example) and parser_accepts(quantity, example)


def _properties(node: object, path: str = "") -> list[tuple[str, dict[str, object]]]:
    """Every property schema in the document, with its path."""
    found: list[tuple[str, dict[str, object]]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties":
                for name, sub in value.items():
                    found.append((f"{path}.{name}", sub))
                    found += _properties(sub, f"{path}.{name}")
            elif key == "definitions":
                for name, sub in value.items():
                    found += _properties(sub, f"#{name}")
            elif key not in ("examples", "enum", "const", "default"):
                found += _properties(value, path)
    elif isinstance(node, list):
        for item in node:
            found += _properties(item, path)
    return found


SCHEMA = build_schema()
PROPERTIES = _properties(SCHEMA)


def test_the_walk_sees_every_part_of_the_schema() -> None:
    paths = {path for path, _ in PROPERTIES}
    assert {".version", "#device.budgets.params", "#layer.conv2d.stride", "#model.devices"} <= paths
    assert len(PROPERTIES) > 200


@pytest.mark.parametrize(("path", "prop"), PROPERTIES, ids=[path for path, _ in PROPERTIES])
def test_every_property_is_described_with_a_valid_example(path: str, prop: dict) -> None:  # type: ignore[type-arg]
    assert prop["description"], path
    assert str(prop["description"]) in str(prop["markdownDescription"])
    examples = prop["examples"]
    assert isinstance(examples, list) and examples, path
    alone = {**prop, "definitions": SCHEMA["definitions"]}
    for example in examples:
        assert Draft7Validator(alone).is_valid(example), (path, example)


@pytest.mark.parametrize(
    ("layer", "valid"), [("relu", True), ("conv_bn", True), ("${act}", True), (5, False)]
)
def test_bare_layers_are_ops_blocks_or_expressions(layer: object, valid: bool) -> None:
    spec = {"version": 1, "input": [1, 4], "layers": [layer]}
    assert Draft7Validator(SCHEMA).is_valid(spec) == valid


def test_bare_ops_are_enumerated_for_completion() -> None:
    from budgetlint.engine.ops import OPS

    bare = SCHEMA["definitions"]["layer"]["anyOf"][0]["anyOf"][0]["enum"]
    assert "relu" in bare and "linear" not in bare
    assert set(bare) == {name for name, op in OPS.items() if not any(a.required for a in op.attrs)}


@pytest.mark.parametrize(
    ("budgets", "valid"),
    [
        ({"size": "8MB"}, True),
        ({"size": "8M"}, False),
        ({"latency": "5 sec"}, False),
        ({"params": "lots"}, False),
        ({"params": "5M"}, True),
        ({"gflops": 0.6}, True),
        ({"latency": "5ms"}, True),
        ({"size": 8}, False),
    ],
)
def test_the_issues_examples_are_refused_in_the_editor(budgets: dict, valid: bool) -> None:  # type: ignore[type-arg]
    spec = {"version": 1, "devices": {"d": {"budgets": budgets}}}
    assert Draft7Validator(SCHEMA).is_valid(spec) == valid
