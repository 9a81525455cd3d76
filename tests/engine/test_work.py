"""Work kinds: every kind an op reports is a row of WORK_KINDS, under that op, and every
convention prices it or counts it free."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import replace
from typing import Any

import pytest

from budgetlint.engine.backward import ADAPTER_KINDS, BACKWARD, SELECTIVE_RECOMPUTE
from budgetlint.engine.conventions import CONVENTIONS, DEFAULT, Convention, kinds
from budgetlint.engine.lora import Adapter, with_adapters
from budgetlint.engine.ops import OPS
from budgetlint.engine.ops.merge import MERGES
from budgetlint.engine.work import ADAPTER, MAC, PARTS, WORK_KINDS, priced_as
from tests.conftest import ROOT
from tests.engine.helpers import run_op
from tests.engine.test_merge import CASES as MERGE_CASES
from tests.engine.test_ops import ROWS

# Attribute variants the formula rows don't reach, each reporting a kind of its own.
VARIANTS: list[tuple[str, tuple[int, ...], dict[str, Any]]] = [
    ("conv3d", (1, 2, 4, 4, 4), {"out": 3, "kernel": 3, "bias": True}),
    ("multihead_attention", (1, 6, 16), {"heads": 2, "fused": True}),
    ("multihead_attention", (1, 6, 16), {"heads": 2, "fused": False}),
    ("window_attention", (1, 8, 8, 16), {"heads": 2, "window": 4, "einsum": True}),
    ("window_attention", (1, 8, 8, 16), {"heads": 2, "window": 4, "einsum": False}),
    ("rnn", (1, 3, 4), {"hidden": 5, "nonlinearity": "relu"}),
    ("rnn", (1, 3, 4), {"hidden": 5, "nonlinearity": "tanh"}),
    ("upsample", (1, 2, 4, 4), {"scale": 2, "mode": "bilinear"}),
    ("upsample", (1, 2, 4, 4), {"scale": 2, "mode": "nearest"}),
]


def _reported() -> dict[str, set[str]]:
    """The kinds each emitter reports over every case: ops, merges and LoRA adapters."""
    found: dict[str, set[str]] = defaultdict(set)
    op_cases = [tuple(row.values[:3]) for row in ROWS] + VARIANTS
    for op, shape, attrs in op_cases:
        found[op] |= {kind for kind, _ in run_op(op, shape, **attrs).work}
    for how, shapes, axis, *_ in MERGE_CASES:
        found[how] |= {kind for kind, _ in MERGES[how](shapes, axis).work}
    base = run_op("linear", (2, 8), out=4)
    adapted = with_adapters(base, (Adapter("fc", "", 8, 4, 2),), rank=2)
    found[ADAPTER] |= {kind for kind, _ in adapted.work} - {kind for kind, _ in base.work}
    return found


REPORTED = _reported()


@pytest.mark.parametrize("emitter", sorted({*OPS, *MERGES, ADAPTER}))
def test_an_op_reports_exactly_the_kinds_registered_under_it(emitter: str) -> None:
    registered = {kind for kind, row in WORK_KINDS.items() if emitter in row.emitted_by}
    assert REPORTED.get(emitter, set()) == registered


def test_every_emitter_named_exists() -> None:
    emitters = {name for row in WORK_KINDS.values() for name in row.emitted_by}
    assert emitters <= {*OPS, *MERGES, ADAPTER}


@pytest.mark.parametrize("convention", list(CONVENTIONS.values()), ids=list(CONVENTIONS))
def test_every_convention_prices_every_kind_or_counts_it_free(convention: Convention) -> None:
    for functional in (False, True):
        assert set(convention.prices(functional)) == set(WORK_KINDS)
    assert set(convention.work_flops) | convention.free | PARTS == set(WORK_KINDS)
    assert not set(convention.work_flops) & convention.free
    assert all(convention.prices()[kind] == 0 for kind in convention.free | PARTS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"work_flops": {**DEFAULT.work_flops, "conv_mac": 2}}, "unknown work kinds: conv_mac"),
        ({"free": DEFAULT.free - {"conv_output"}}, "conv_output: neither priced nor free"),
        ({"free": DEFAULT.free | {"relu"}}, "relu: both priced and free"),
        ({"free": DEFAULT.free | {"lstm_input_macs"}}, "lstm_input_macs: priced apart"),
        ({"functional_work_flops": {"softmax_rows": 1}}, "softmax_rows: priced for functional"),
    ],
)
def test_a_convention_with_a_wrong_table_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(DEFAULT, **change)


def test_a_misspelt_free_kind_is_refused() -> None:
    assert kinds("relu gelu") == {"relu", "gelu"}
    with pytest.raises(ValueError, match="unknown work kinds: relux"):
        kinds("relu relux")


def _priced_by(kind: str) -> set[str]:
    return {name for name, c in CONVENTIONS.items() if c.work_flops.get(kind)}


@pytest.mark.parametrize("kind", list(WORK_KINDS))
def test_a_quirk_is_what_the_default_does_not_price_and_names_its_tools(kind: str) -> None:
    row = WORK_KINDS[kind]
    if row.part_of:
        assert not row.quirk and not _priced_by(kind)
        return
    assert bool(row.quirk) == (kind not in DEFAULT.work_flops)
    if row.quirk:
        named = {
            name for name in CONVENTIONS if re.search(rf"\b{re.escape(name)}\b(?!-)", row.quirk)
        }
        assert _priced_by(kind) <= named and named, (kind, _priced_by(kind), named)


def test_a_share_is_part_of_a_kind_in_the_same_unit() -> None:
    assert PARTS
    for kind in PARTS:
        whole = WORK_KINDS[kind].part_of
        assert priced_as(kind) == whole and not WORK_KINDS[whole].part_of
        assert WORK_KINDS[kind].unit == WORK_KINDS[whole].unit
        assert WORK_KINDS[kind].emitted_by == WORK_KINDS[whole].emitted_by


def test_the_backward_tables_name_known_kinds() -> None:
    assert {*BACKWARD, *SELECTIVE_RECOMPUTE, *ADAPTER_KINDS} <= set(WORK_KINDS)
    macs = {kind for kind, row in WORK_KINDS.items() if row.unit == MAC}
    assert macs <= set(BACKWARD)  # products have their own gradient rules, never element-wise


def test_the_readme_counting_tables_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "counting_table.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout in (ROOT / "README.md").read_text(encoding="utf-8"), (
        "run: python tools/counting_table.py --write"
    )
