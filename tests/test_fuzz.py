"""Property-based fuzzing of the CLI: whatever a spec holds, budgetlint answers.

Three sources of specs, each run through `budgetlint.cli.main` in-process:
random trees from the schema's vocabulary, structured random specs (devices,
models, nested combinators and blocks, odd values), and mutations of every file
under specs/ (written beside the original, so its references resolve). Every
run must exit 0, 1 or 2 with no traceback and no internal-error line; exit 2
starts with a positioned `file:line:col:` line; `--format json` says the same
exit code as the process.

CI runs a few hundred examples, derandomized (the same ones every run). For a
long hunt, with fresh random examples:

    BUDGETLINT_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest -q tests/test_fuzz.py
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from budgetlint.cli import main  # noqa: E402
from budgetlint.device import BUDGET_KINDS  # noqa: E402
from budgetlint.engine.conventions import CONVENTIONS  # noqa: E402
from budgetlint.engine.ops import OPS  # noqa: E402
from budgetlint.spec.schema import build_schema  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

LONG_RUN = os.environ.get("BUDGETLINT_FUZZ_EXAMPLES")
EXAMPLES = int(LONG_RUN or 120)  # per source of specs
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=LONG_RUN is None,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FORMATS = ("text", "json", "github", "sarif", "markdown")
POSITIONED = re.compile(r"^\S.*?:\d+:\d+: \S")


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = os.environ.pop("GITHUB_ACTIONS", None)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        if env is not None:
            os.environ["GITHUB_ACTIONS"] = env
    return code, out.getvalue(), err.getvalue()


def assert_answers(spec: Path, output: str, command: str = "check") -> None:
    code, out, err = run_cli(command, str(spec), "--format", output)
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in out + err, err
    assert "internal error" not in err, err
    if code == 2:
        first = err.splitlines()[0] if err else ""
        assert POSITIONED.match(first), (first, out)
    if output == "json":
        assert json.loads(out)["exit_code"] == code


# --- the schema's vocabulary ------------------------------------------------------


def _names(schema: Any) -> set[str]:
    """Every property name and every string constant the schema mentions."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                found.update(value)
            if key == "enum" and isinstance(value, list):
                found.update(item for item in value if isinstance(item, str))
            found |= _names(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= _names(item)
    return found


WORDS = sorted(_names(build_schema()) | set(OPS) | set(BUDGET_KINDS) | set(CONVENTIONS))
ODD_TEXT = [
    "5M",
    "0.6G",
    "8MB",
    "7.5MiB",
    "1e9",
    "250us",
    "5ms",
    "90%",
    "26TOPS",
    "68GB/s",
    "${n * 2}",
    "${round(1, -99999999)}",
    "${1e18 ** 64}",
    "${",
    "same",
    "valid",
    "~",
    "x\n::error::INJECTED",
    "##[error]x",
    "<b>x</b>`",
    "../outside.yaml",
    "/etc/passwd",
    "1" * 40 + "!",
    "1" + " " * 200 + "!",
]
NUMBERS = st.one_of(
    st.integers(min_value=-3, max_value=300),
    st.sampled_from([0, 1, 2**31 - 1, 2**31, 10**30, 10**400, -(10**20)]),
    st.floats(allow_nan=True, allow_infinity=True),
)
SCALARS = st.one_of(
    NUMBERS,
    st.booleans(),
    st.none(),
    st.sampled_from(WORDS),
    st.sampled_from(ODD_TEXT),
    st.text(max_size=12),
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=6), children, max_size=5),
    ),
    max_leaves=40,
)


def _dump(document: Any) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


# --- structured specs -------------------------------------------------------------

SMALL = st.integers(min_value=1, max_value=8)
OP_NAMES = sorted(OPS)


@st.composite
def attributes(draw: st.DrawFn, op: str) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for attr in OPS[op].attrs:
        if attr.required or draw(st.booleans()):
            chosen[attr.name] = draw(
                st.one_of(SMALL, SMALL, SMALL, st.sampled_from([[1, 2], "same", True]), SCALARS)
            )
    return chosen


@st.composite
def layer(draw: st.DrawFn, depth: int, blocks: list[str]) -> Any:
    kinds = ["op", "op", "op", "bare"] + (["block"] if blocks else [])
    kinds += ["residual", "parallel", "repeat"] if depth < 3 else []
    kind = draw(st.sampled_from(kinds))
    if kind == "bare":
        return draw(st.sampled_from(OP_NAMES))
    if kind == "op":
        op = draw(st.sampled_from(OP_NAMES))
        item: dict[str, Any] = {op: draw(attributes(op))}
    elif kind == "block":
        item = {draw(st.sampled_from(blocks)): draw(st.none() | st.just({"n": draw(SMALL)}))}
    elif kind == "residual":
        item = {"residual": {"body": draw(layer_list(depth + 1, blocks))}}
    elif kind == "parallel":
        branches = draw(st.lists(layer_list(depth + 1, blocks), min_size=1, max_size=3))
        merge = draw(st.sampled_from(["concat", "add", "mul", "matmul", "bogus"]))
        item = {"parallel": {"branches": branches, "merge": merge}}
    else:
        times = draw(st.integers(min_value=0, max_value=4) | st.sampled_from([10**6, "2k"]))
        item = {"repeat": {"times": times, "body": draw(layer_list(depth + 1, blocks))}}
    if draw(st.integers(min_value=0, max_value=5)) == 0:
        item["name"] = draw(st.sampled_from(ODD_TEXT) | st.text(max_size=8))
    return item


def layer_list(depth: int, blocks: list[str]) -> st.SearchStrategy[list[Any]]:
    return st.lists(layer(depth, blocks), max_size=4)


@st.composite
def specs(draw: st.DrawFn) -> str:
    blocks = draw(st.lists(st.sampled_from(["b1", "b2", "b3"]), max_size=3, unique=True))
    budget_values = st.sampled_from(["5M", "1G", "0.6", "8MB", "5ms", "1", 1, 0]) | SCALARS
    devices = {
        name: {
            "dtype": draw(st.sampled_from(["float32", "int8", "int4", "float16", "bogus"])),
            "budgets": draw(
                st.dictionaries(st.sampled_from(sorted(BUDGET_KINDS)), budget_values, max_size=3)
            ),
        }
        for name in draw(st.lists(st.sampled_from(["d1", "d2"]), max_size=2, unique=True))
    }
    shape = draw(st.lists(st.integers(min_value=1, max_value=16), min_size=1, max_size=5))
    document: dict[str, Any] = {"version": 1}
    if blocks:
        document["blocks"] = {
            name: {"params": {"n": 1}, "layers": draw(layer_list(2, blocks[:index]))}
            for index, name in enumerate(blocks)
        }
    document["devices"] = devices
    document["models"] = {
        "m": {
            "input": draw(st.just(shape) | st.lists(NUMBERS, max_size=4)),
            "layers": draw(layer_list(0, blocks)),
            "devices": sorted(devices) if draw(st.booleans()) else ["d1", "nope"],
        }
    }
    return _dump(document)


# --- mutations of the shipped specs -------------------------------------------------

SHIPPED = sorted(
    path.relative_to(ROOT / "specs").as_posix() for path in (ROOT / "specs").rglob("*.yaml")
)
TOKENS = [*WORDS, *ODD_TEXT, "- ", ": ", "[", "]", "{", "}", "&a", "*a", "<<: *a", "\t", "'", '"']


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(SHIPPED))
    lines = (ROOT / "specs" / name).read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not lines:
            break
        at = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        how = draw(st.sampled_from(["delete", "duplicate", "number", "token", "cut", "indent"]))
        line = lines[at]
        if how == "delete":
            del lines[at]
        elif how == "duplicate":
            lines.insert(at, line)
        elif how == "number":
            number = str(draw(NUMBERS))
            lines[at] = re.sub(r"\d+", number, line, count=1)
        elif how == "token":
            column = draw(st.integers(min_value=0, max_value=len(line)))
            lines[at] = line[:column] + draw(st.sampled_from(TOKENS)) + line[column:]
        elif how == "cut":
            lines[at] = line[: draw(st.integers(min_value=0, max_value=len(line)))]
        else:
            lines[at] = " " + line
    return name, "\n".join(lines) + "\n"


# --- the properties ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of specs/ (mutants are written beside the originals they come from)."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(ROOT / "specs", root / "specs")
    return root


def _check(sandbox: Path, text: str, output: str, folder: str = "") -> None:
    spec = sandbox / "specs" / folder / "fuzz-case.yaml"
    spec.write_text(text, encoding="utf-8")
    assert_answers(spec, output)


@FUZZ
@given(tree=TREES, version=st.booleans(), output=st.sampled_from(FORMATS))
def test_random_trees_from_the_schemas_vocabulary(
    sandbox: Path, tree: Any, version: bool, output: str
) -> None:
    document = {"version": 1, **tree} if version and isinstance(tree, dict) else tree
    _check(sandbox, _dump(document), output)


@FUZZ
@given(text=specs(), output=st.sampled_from(FORMATS))
def test_structured_random_specs(sandbox: Path, text: str, output: str) -> None:
    _check(sandbox, text, output)


@FUZZ
@given(mutant=mutations(), output=st.sampled_from(FORMATS))
def test_mutations_of_every_shipped_spec(
    sandbox: Path, mutant: tuple[str, str], output: str
) -> None:
    name, text = mutant
    _check(sandbox, text, output, str(Path(name).parent))


def test_every_shipped_spec_is_a_mutation_source() -> None:
    names: Callable[[str], bool] = lambda name: name.endswith(".yaml")  # noqa: E731
    assert SHIPPED and all(map(names, SHIPPED))
    assert {"mobile.yaml", "zoo/vgg16.yaml", "zoo/resnet50.yaml"} <= set(SHIPPED)
