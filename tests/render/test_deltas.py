"""Changes against a base: size measured at the default dtype for a model with no device."""

from __future__ import annotations

from pathlib import Path

from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.pipeline import ModelResult
from budgetlint.render.deltas import metric_changes
from budgetlint.spec.expand import read_spec

NET = """
version: 1
input: [1, 4]
layers:
  - linear: {{out: {out}}}
"""


def report(tmp_path: Path, out: int) -> ModelReport:
    path = tmp_path / f"net{out}.yaml"
    path.write_text(NET.format(out=out))
    spec, problems = read_spec(path)
    assert spec is not None and not problems
    return evaluate(spec.models[0].architecture, DEFAULT)


def test_without_a_device_size_is_float32(tmp_path: Path) -> None:
    base, now = report(tmp_path, 2), report(tmp_path, 3)
    changes = {change.metric: change for change in metric_changes(ModelResult("s", now, base))}
    size = changes["size_bytes"]
    # linear 4 -> out with bias: (4 + 1) * out params, 4 bytes each at float32
    assert (size.label, size.base, size.now) == ("size (float32)", 5 * 2 * 4, 5 * 3 * 4)
    assert (changes["params"].base, changes["params"].now) == (5 * 2, 5 * 3)
