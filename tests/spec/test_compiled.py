"""The compiled predicates agree with jsonschema: valid exactly when it finds no error."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from budgetlint.spec.compiled import Unsupported, compile_schema
from budgetlint.spec.load import load_document
from budgetlint.spec.schema_file import load_schema
from tests.conftest import ROOT

SCHEMA = load_schema()
PREDICATE = compile_schema(SCHEMA)
JSONSCHEMA = Draft7Validator(SCHEMA)


def _agree(schema: dict[str, Any], value: Any) -> tuple[bool, bool]:
    return compile_schema(schema)("#")(value), Draft7Validator(schema).is_valid(value)


# Each keyword at its edges, as Draft 7 reads it (the expected answer is the draft's:
# jsonschema must give it too).
KEYWORD_CASES = [
    ({"type": "integer"}, 3, True),
    ({"type": "integer"}, 3.0, True),  # draft 6+: an integral float is an integer
    ({"type": "integer"}, 3.5, False),
    ({"type": "integer"}, True, False),  # a boolean is no number
    ({"type": "number"}, False, False),
    ({"type": "number"}, 1e300, True),
    ({"type": ["string", "null"]}, None, True),
    ({"type": "object"}, [], False),
    ({"type": "array"}, {}, False),
    ({"enum": [1, "a"]}, True, False),  # True is not 1
    ({"enum": [1, "a"]}, 1.0, True),  # 1.0 is 1
    ({"enum": [True]}, 1, False),
    ({"enum": [None]}, 0, False),
    ({"enum": ["same"]}, "same", True),
    ({"const": 2}, 2, True),
    ({"pattern": "^a"}, "ab", True),
    ({"pattern": "b"}, "ab", True),  # search, not match
    ({"pattern": "^a"}, 5, True),  # only strings are matched
    ({"minimum": 1}, 1, True),
    ({"minimum": 1}, 0.5, False),
    ({"minimum": 1}, True, True),  # not a number: not compared
    ({"maximum": 1}, 2, False),
    ({"exclusiveMinimum": 0}, 0, False),
    ({"exclusiveMaximum": 0}, -1, True),
    ({"minLength": 2}, "é", False),
    ({"maxLength": 1}, "é", True),
    ({"minItems": 1}, [], False),
    ({"maxItems": 1}, [1, 2], False),
    ({"minProperties": 1}, {}, False),
    ({"maxProperties": 1}, {"a": 1, "b": 2}, False),
    ({"required": ["a"]}, {"b": 1}, False),
    ({"required": ["a"]}, [], True),
    ({"properties": {"a": {"type": "string"}}}, {"a": 1}, False),
    ({"properties": {"a": {"type": "string"}}}, {"b": 1}, True),
    ({"properties": {"a": {}}, "additionalProperties": False}, {"b": 1}, False),
    ({"properties": {"a": {}}, "additionalProperties": {"type": "integer"}}, {"b": 1}, True),
    ({"additionalProperties": {"type": "integer"}}, {"b": "x"}, False),
    ({"propertyNames": {"pattern": "^x"}}, {"y": 1}, False),
    ({"items": {"type": "integer"}}, [1, "a"], False),
    ({"items": False}, [], True),
    ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, None, False),
    ({"allOf": [{"minimum": 1}, {"maximum": 2}]}, 3, False),
    ({"$ref": "#/definitions/x", "type": "string", "definitions": {"x": {}}}, 1, True),
    (
        {"definitions": {"t": {"items": {"$ref": "#/definitions/t"}, "type": "array"}}}
        | {"$ref": "#/definitions/t"},
        [[[]], [[1]]],
        False,
    ),
    (True, 1, True),
    (False, 1, False),
]


@pytest.mark.parametrize(("schema", "value", "valid"), KEYWORD_CASES)
def test_each_keyword_reads_as_draft_7(schema: Any, value: Any, valid: bool) -> None:
    assert _agree(schema, value) == (valid, valid)


# A mapping's keywords beside `properties`, checked together with it.
BESIDE_PROPERTIES = {"properties": {"a": {"type": "integer"}}}
BESIDE_CASES = [
    ({**BESIDE_PROPERTIES, "required": ["b"]}, {"a": 1}, False),
    ({**BESIDE_PROPERTIES, "required": ["b"]}, {"a": 1, "b": "x"}, True),
    ({**BESIDE_PROPERTIES, "required": ["a"]}, {"a": "x"}, False),
    ({**BESIDE_PROPERTIES, "required": []}, {}, True),
    ({**BESIDE_PROPERTIES, "minProperties": 2}, {"a": 1}, False),
    ({**BESIDE_PROPERTIES, "minProperties": 1}, {"b": None}, True),
    ({**BESIDE_PROPERTIES, "maxProperties": 1}, {"a": 1, "b": 2}, False),
    ({**BESIDE_PROPERTIES, "maxProperties": 0}, {}, True),
    ({**BESIDE_PROPERTIES, "additionalProperties": False}, {"a": 1}, True),
    ({**BESIDE_PROPERTIES, "additionalProperties": False}, {"a": 1, "b": 2}, False),
    ({**BESIDE_PROPERTIES, "additionalProperties": {"type": "string"}}, {"b": 2}, False),
    ({**BESIDE_PROPERTIES, "required": ["b"], "minProperties": 3}, ["not", "a", "map"], True),
    ({**BESIDE_PROPERTIES, "type": "object", "required": ["a"]}, {"a": 1.0}, True),
]


@pytest.mark.parametrize(("schema", "value", "valid"), BESIDE_CASES)
def test_keywords_beside_properties_are_each_applied(schema: Any, value: Any, valid: bool) -> None:
    assert _agree(schema, value) == (valid, valid)


@pytest.mark.parametrize(
    "schema",
    [
        {"patternProperties": {"^x": {}}},
        {"not": {}},
        {"oneOf": [{}]},
        {"format": "uri"},
        {"items": [{}]},
        {"$ref": "other.json#/x"},
    ],
)
def test_a_keyword_it_cannot_follow_is_refused(schema: Any) -> None:
    with pytest.raises(Unsupported):
        compile_schema(schema)


def test_the_spec_schema_compiles_whole() -> None:
    """Every definition of the shipped schema compiles (no keyword left to jsonschema)."""
    for name in SCHEMA["definitions"]:
        assert callable(PREDICATE(f"#/definitions/{name}"))


YAML_FILES = sorted(
    [*(ROOT / "specs").rglob("*.yaml"), *(ROOT / "tests" / "examples").rglob("*.yaml")]
)


def _documents() -> list[tuple[str, Any]]:
    found = []
    for path in YAML_FILES:
        try:
            found.append((path.relative_to(ROOT).as_posix(), load_document(path).data))
        except Exception:  # a fail/ example that does not even load
            continue
    return found


@pytest.mark.parametrize(("name", "data"), _documents(), ids=lambda item: str(item)[:60])
def test_agrees_with_jsonschema_on_every_example(name: str, data: Any) -> None:
    assert PREDICATE("#")(data) == JSONSCHEMA.is_valid(data)


def test_agrees_on_random_trees_and_layers() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    from tests.test_fuzz import TREES, layer

    layer_schema = {**SCHEMA, "$ref": "#/definitions/layer"}
    layers = Draft7Validator(layer_schema)
    values = st.one_of(TREES, layer(0, ["b1"]), st.lists(layer(1, []), max_size=3))

    @hypothesis.settings(max_examples=300, derandomize=True, database=None, deadline=None)
    @hypothesis.given(values)
    def agree(value: Any) -> None:
        assert PREDICATE("#/definitions/layer")(value) == layers.is_valid(value)
        document = {"version": 1, "input": [1, 4], "layers": value}
        assert PREDICATE("#")(document) == JSONSCHEMA.is_valid(document)
        assert PREDICATE("#")(value) == JSONSCHEMA.is_valid(value)

    agree()


def test_yaml_values_of_every_scalar_kind_agree() -> None:
    text = "version: 1\ninput: [1, 4]\nlayers: [linear: {out: 4.0}, linear: {out: yes}, relu]\n"
    data = yaml.safe_load(text)
    assert PREDICATE("#")(data) == JSONSCHEMA.is_valid(data)


def test_the_examples_compared_are_the_shipped_specs_and_the_examples() -> None:
    names = [name for name, _ in _documents()]
    assert any(name.startswith("specs/zoo/") for name in names)
    assert any(name.startswith("tests/examples/fail/") for name in names)


# Values equal (or alike) in Python that Draft 7 tells apart, checked one after the other
# by the same predicate: what one was found to be never leaks into the other.
LAYER = "#/definitions/layer"
ALIKE = [
    (LAYER, {"linear": {"out": 1}}, {"linear": {"out": True}}, True, False),  # 1 == True
    (LAYER, {"linear": {"out": 1.0}}, {"linear": {"out": True}}, True, False),  # 1.0 == True
    (LAYER, {"linear": {"out": 1}}, {"linear": {"out": 1.0}}, True, True),  # whole float
    (LAYER, {"linear": {"out": 4}}, {"linear": {"out": 4.5}}, True, False),
    (LAYER, "relu", {"relu": 3}, True, False),  # same op, as a mapping of a number
    (LAYER, {"relu": None}, {"relu": 0}, True, False),
    (LAYER, {"relu": None, "functional": True}, {"relu": None, "functional": 1}, True, False),
    (
        LAYER,
        {"parallel": {"branches": [[]], "axis": 1}},
        {"parallel": {"branches": [[]], "axis": "1"}},
        True,
        False,
    ),
    (
        LAYER,
        {"repeat": {"times": 1, "body": [{"linear": {"out": 1}}]}},
        {"repeat": {"times": 1, "body": [{"linear": {"out": True}}]}},  # equal, deep down
        True,
        False,
    ),
    ("#/definitions/shape", [1, 4], (1, 4), True, False),  # a tuple is no JSON array
    ("#/definitions/shape", [1, 4], [1, 4.0], True, True),
    ("#/definitions/shape", [1, 4], [True, 4], True, False),
    ("#", {"version": 1}, {"version": True}, True, False),
    ("#", {"version": 1}, {"version": 1.0}, True, True),
    ("#", {"version": 1}, {"version": "1"}, True, False),
    ("#", {"version": 1}, {"version": [1]}, True, False),  # a list equals no scalar
    ("#", {"version": 1}, {"version": {"1": 1}}, True, False),
    (
        "#",
        {"version": 1, "convention": "fvcore"},
        {"version": 1, "convention": ["fvcore"]},
        True,
        False,
    ),
]


@pytest.mark.parametrize(("reference", "first", "second", "valid", "then"), ALIKE)
def test_values_alike_in_python_are_checked_apart(
    reference: str, first: Any, second: Any, valid: bool, then: bool
) -> None:
    check = compile_schema(SCHEMA)(reference)
    jsonschema = Draft7Validator(SCHEMA if reference == "#" else {**SCHEMA, "$ref": reference})
    assert [check(first), check(second), check(first)] == [valid, then, valid]
    assert [jsonschema.is_valid(first), jsonschema.is_valid(second)] == [valid, then]
    fresh = compile_schema(SCHEMA)(reference)  # the other order, from a fresh compile
    assert [fresh(second), fresh(first), fresh(second)] == [then, valid, then]


# Subschemas equal but for annotations compile once; ones that differ never share.
SHARED_CASES = [
    (
        {"properties": {"a": {"enum": [1], "title": "x"}, "b": {"enum": [True], "title": "x"}}},
        [({"a": 1, "b": True}, True), ({"a": True}, False), ({"b": 1}, False), ({"a": 1.0}, True)],
    ),
    (
        {
            "properties": {
                "a": {"properties": {"title": {"type": "string"}}},
                "b": {"properties": {"title": {"type": "integer"}}},  # a property named title
            }
        },
        [({"a": {"title": "x"}, "b": {"title": 1}}, True), ({"b": {"title": "x"}}, False)],
    ),
    (
        {"anyOf": [{"minimum": 1, "description": "one"}, {"minimum": 1, "description": "two"}]},
        [(1, True), (0, False), ("0", True)],
    ),
]


@pytest.mark.parametrize(("schema", "cases"), SHARED_CASES)
def test_equal_subschemas_share_a_compilation_and_unequal_ones_never_do(
    schema: Any, cases: list[tuple[Any, bool]]
) -> None:
    for value, valid in cases:
        assert _agree(schema, value) == (valid, valid), value


def test_a_property_it_cannot_follow_leaves_the_value_to_jsonschema() -> None:
    """Properties compile when a value first reaches them: one that can't be followed
    then refuses every value (jsonschema decides); compiled eagerly, it is refused."""
    schema = {"properties": {"a": {"not": {"type": "string"}}, "b": {"type": "integer"}}}
    check = compile_schema(schema)("#")
    assert [check({"b": 1}), check({"a": 1}), check({"a": "x"}), check({"b": "x"})] == [
        True,
        False,  # valid for jsonschema: only it can say
        False,
        False,
    ]
    with pytest.raises(Unsupported):
        compile_schema(schema, eager=True)


def test_the_spec_schema_compiles_whole_when_eager() -> None:
    eager = compile_schema(SCHEMA, eager=True)
    for name in SCHEMA["definitions"]:
        assert callable(eager(f"#/definitions/{name}"))


@pytest.mark.parametrize(("name", "data"), _documents(), ids=lambda item: str(item)[:60])
def test_eager_and_lazy_compilations_agree(name: str, data: Any) -> None:
    assert compile_schema(SCHEMA, eager=True)("#")(data) == PREDICATE("#")(data)


def _schemas(schema: Any) -> int:
    """The subschemas of a schema (every mapping in it), itself included."""
    if isinstance(schema, dict):
        return 1 + sum(_schemas(sub) for sub in schema.values())
    if isinstance(schema, list):
        return sum(_schemas(sub) for sub in schema)
    return 0


def _values(value: Any) -> int:
    """The mappings, lists and scalars of a value (keys aside)."""
    if isinstance(value, dict):
        return 1 + sum(_values(item) for item in value.values())
    if isinstance(value, list):
        return 1 + sum(_values(item) for item in value)
    return 1


def _calls_into_predicates(check: Any, value: Any) -> int:
    import sys

    from budgetlint.spec import compiled

    count = 0

    def profile(frame: Any, event: str, argument: Any) -> None:
        nonlocal count
        if event == "call" and frame.f_code.co_filename == compiled.__file__:
            count += 1

    sys.setprofile(profile)
    try:
        assert check(value)
    finally:
        sys.setprofile(None)
    return count


CALLS_PER_VALUE = 2  # measured 0 (a bare op) to 1 (2026-12-02); before, 7 to 14


@pytest.mark.parametrize(
    "layer",
    [
        "relu",
        {"conv2d": {"out": 64, "kernel": 3}},
        {"linear": {"out": 4, "bias": False}},
        {"batchnorm2d": None, "name": "bn"},
        {"repeat": {"times": 2, "body": ["relu", {"linear": {"out": 4}}]}},
    ],
    ids=str,
)
def test_a_layer_costs_calls_by_its_own_values_not_by_the_schema(layer: Any) -> None:
    """N identical layers cost N times the layer's own values, however large the layer
    schema is (an anyOf over every op): the predicates never walk the schema per value."""
    assert _schemas(SCHEMA["definitions"]["layer"]) > 500  # walking them costs as many calls
    check = compile_schema(SCHEMA)("#")

    def spec(count: int) -> dict[str, Any]:
        return {"version": 1, "input": [1, 4, 4, 4], "layers": [layer] * count}

    check(spec(1))  # compiles the properties the layer reaches
    extra = _calls_into_predicates(check, spec(2_000)) - _calls_into_predicates(check, spec(1_000))
    assert extra <= 1_000 * CALLS_PER_VALUE * _values(layer)
