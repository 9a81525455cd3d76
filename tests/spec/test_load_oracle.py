"""The loader against PyYAML itself, on random documents: the data that `yaml.safe_load`
reads and the positions of the nodes that `yaml.compose` builds."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from budgetlint.spec.load import Document, JsonPath, parse_document  # noqa: E402

# Texts whose meaning depends on quoting (YAML 1.1): written by PyYAML, quoted as needed.
TRICKY = ["on", "yes", "No", "~", "null", "1_000", "0o17", "017", "0x10", "1e3", ".inf"]
TRICKY += ["2026-01-01", "<<", "=", "", "a b", "x: y", "- z", "#", "'", '"', "&a", "*a", "!t"]
texts = st.one_of(st.sampled_from(TRICKY), st.text(max_size=6))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    texts,
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=25,
)


def _at(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _where(document: Document, path: JsonPath, *, key: bool = False) -> tuple[int, int]:
    position = document.position(path, key=key)
    return (position.line, position.column)


def _check(document: Document, node: yaml.Node, path: JsonPath) -> int:
    """Every value's and key's position against the composed node's; how many compared."""
    assert _where(document, path) == _at(node.start_mark), path
    compared = 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            inner = (*path, key_node.value)
            assert _where(document, inner, key=True) == _at(key_node.start_mark), inner
            compared += 1 + _check(document, value_node, inner)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            compared += _check(document, item, (*path, index))
    return compared


@settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    root=st.dictionaries(texts, trees, min_size=1, max_size=5),
    flow=st.sampled_from([True, False, None]),
)
def test_data_and_positions_are_pyyamls(root: dict[str, Any], flow: bool | None) -> None:
    text = yaml.safe_dump(root, default_flow_style=flow, allow_unicode=True)
    document = parse_document(text, "f.yaml")
    assert document.data == yaml.safe_load(text)  # not always `root`: PyYAML folds a NEL
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    assert _check(document, node, ()) >= 1 + 2 * len(root)
