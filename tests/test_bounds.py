"""The largest inputs cost work and memory in proportion to their unique layers.

Bounds on work, never on time: memory per layer (tracemalloc, in-process), what is
computed once for equal layers and shared models, what a table shows, and the bound
on the unique expansion work of one file. bench/chain.py writes the inputs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from budgetlint.cli import main
from budgetlint.engine import ops
from budgetlint.render import json_format, rows
from budgetlint.spec import expander, validate
from budgetlint.spec.expand import read_spec
from tests.conftest import ROOT


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chain", ROOT / "bench" / "chain.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHAIN = _bench()


def _run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(args))
    return code, out.getvalue()


def _peak(*args: str) -> int:
    tracemalloc.start()
    try:
        code, _ = _run(*args)
        assert code == 0
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


BYTES_PER_LAYER = 2048  # measured 500–1,500 (2026-12-02), with room for other Pythons


@pytest.mark.parametrize(
    "command",
    [
        ("check",),
        ("check", "--format", "json"),
        ("report",),
        ("report", "--format", "json"),
        ("report", "--format", "html"),
    ],
    ids=" ".join,
)
def test_memory_grows_by_a_constant_per_layer_in_every_format(
    tmp_path: Path, command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """3,500 more layers cost at most 3,500 × 2 KiB more at the peak: a 100,000-layer
    model stays within 200 MiB of Python objects, whatever the format (tables, whose
    rows are capped, below their cap at both sizes: their cost is the cap's)."""
    monkeypatch.setattr(rows, "MAX_SHOWN_ROWS", 500)
    small, large = tmp_path / "small.yaml", tmp_path / "large.yaml"
    small.write_text(CHAIN.chain(1_500))
    large.write_text(CHAIN.chain(5_000))
    _run(*command, str(small))  # imports, the compiled schema: paid once, not per layer
    grown = _peak(*command, str(large)) - _peak(*command, str(small))
    assert grown < (5_000 - 1_500) * BYTES_PER_LAYER


def test_equal_layers_are_costed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    for name in ("conv2d", "linear", "relu", "batchnorm2d"):
        op = ops.OPS[name]

        def counted(shapes: Any, attrs: Any, fn: Callable[..., Any] = op.fn, n: str = name) -> Any:
            calls.append(n)
            return fn(shapes, attrs)

        monkeypatch.setitem(ops.OPS, name, type(op)(counted, op.attrs, op.doc))
    spec = tmp_path / "chain.yaml"
    spec.write_text(CHAIN.chain(6_000))
    code, out = _run("report", "--format", "json", str(spec))
    assert code == 0
    assert len(json.loads(out)["models"][0]["layers"]) == 6_000
    # the chain cycles through 6 (op, attributes, shape) forms, two of them relu's alike
    assert sorted(calls) == ["batchnorm2d", "conv2d", "linear", "relu"]


def test_a_sweep_encodes_each_architecture_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 models on 4 architecture files: each file's layers are encoded once."""
    encoded: list[str] = []
    line = json_format._LayerLines.line

    def counted(self: Any, row: Any) -> str:
        encoded.append(row.layer.name)
        return line(self, row)

    monkeypatch.setattr(json_format._LayerLines, "line", counted)
    for index in range(4):
        (tmp_path / f"arch{index}.yaml").write_text(
            f"version: 1\nlayers: [{CHAIN.chain_layers(25 + index)}]\n"
        )
    models = "".join(
        f"  m{index}: {{arch: arch{index % 4}.yaml, input: [1, 4, 4, 4], devices: [d]}}\n"
        for index in range(200)
    )
    spec = tmp_path / "sweep.yaml"
    spec.write_text("version: 1\ndevices:\n  d: {budgets: {params: 1T}}\nmodels:\n" + models)
    code, out = _run("check", "--format", "json", str(spec))
    document = json.loads(out)
    assert code == 0 and len(document["models"]) == 200
    assert [len(model["layers"]) for model in document["models"]] == [
        25 + index % 4 for index in range(200)
    ]
    assert len(encoded) == 25 + 26 + 27 + 28  # each architecture's layers, once


def test_a_valid_spec_never_reaches_jsonschema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused() -> Any:
        raise AssertionError("jsonschema was asked about a valid spec")

    monkeypatch.setattr(validate, "_validator", refused)
    spec = tmp_path / "chain.yaml"
    spec.write_text(CHAIN.chain(3_000))
    assert _run("check", str(spec))[0] == 0


def test_a_table_shows_at_most_its_cap_and_says_how_many_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rows, "MAX_SHOWN_ROWS", 100)
    spec = tmp_path / "chain.yaml"
    spec.write_text(CHAIN.chain(250))  # 250 layers, each costs something
    code, out = _run("report", str(spec))
    assert code == 0
    assert sum(line.startswith("layers.") for line in out.splitlines()) == 100
    assert "… 150 more rows not shown" in out
    code, out = _run("report", "--format", "json", str(spec))
    model = json.loads(out)["models"][0]
    assert (len(model["layers"]), len(model["rows"]), model["view"]["cut"]) == (250, 100, 150)
    code, out = _run("report", "--format", "markdown", str(spec))
    assert out.count("\n| layers.") == 100 and "… 150 more rows" in out


def _models(tmp_path: Path, count: int, layers: int) -> Path:
    """`count` models on one architecture of `layers` layers, each at its own input."""
    (tmp_path / "arch.yaml").write_text(
        f"version: 1\nlayers:\n  - relu\n  - repeat: {{times: {layers - 1}, body: [relu]}}\n"
    )
    models = "".join(
        f"  m{index}: {{arch: arch.yaml, input: [1, {index + 1}], devices: []}}\n"
        for index in range(count)
    )
    spec = tmp_path / "models.yaml"
    spec.write_text(f"version: 1\nmodels:\n{models}")
    return spec


def test_a_files_unique_work_is_bounded(tmp_path: Path) -> None:
    """Two models of 60,000 layers fit (each model has its own bound); a third at its own
    input passes the file's bound, where it is refused."""
    assert expander.MAX_FILE_UNROLLED == 125_000
    found, problems = read_spec(_models(tmp_path, 2, 60_000))
    assert problems == [] and found is not None
    found, problems = read_spec(_models(tmp_path, 3, 60_000))
    assert [problem.code for problem in problems] == ["layer.too_many_in_file"]
    assert str(problems[0].position).startswith(str(tmp_path / "arch.yaml"))


def test_models_sharing_an_expansion_count_it_once(tmp_path: Path) -> None:
    (tmp_path / "arch.yaml").write_text(
        "version: 1\nlayers:\n  - relu\n  - repeat: {times: 59999, body: [relu]}\n"
    )
    models = "".join(
        f"  m{index}: {{arch: arch.yaml, input: [1, 4], devices: []}}\n" for index in range(50)
    )
    spec = tmp_path / "sweep.yaml"
    spec.write_text(f"version: 1\nmodels:\n{models}")
    found, problems = read_spec(spec)
    assert problems == [] and found is not None and len(found.models) == 50
