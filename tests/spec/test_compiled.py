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
