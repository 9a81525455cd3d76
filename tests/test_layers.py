"""Imports run one way along the pipeline: a module imports only from its own layer and
the layers it is allowed to read, never back up.

    spec → model ← engine ← budgets → render   (DESIGN.md's pipeline)

The model (graph.py, device.py) is what the spec reader builds and every later stage
reads; it imports no stage. The spec reader reads the engine's registries (ops and their
attributes, merges, conventions) to validate a spec, never the verdicts or the output.
Every import counts: at module level, inside functions and under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import budgetlint

PACKAGE = Path(budgetlint.__file__).parent

# layer: (its modules, the layers below it that it may import)
LAYERS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "base": (
        (
            "budgetlint",
            "budgetlint.problems",
            "budgetlint.units",
            "budgetlint.rules",
            "budgetlint.collector",
        ),
        frozenset(),
    ),
    "files": (("budgetlint.atomic", "budgetlint.schemas"), frozenset()),
    "model": (("budgetlint.graph", "budgetlint.device"), frozenset({"base"})),
    "engine": (("budgetlint.engine",), frozenset({"base", "model"})),
    "spec": (
        (
            "budgetlint.spec",
            "budgetlint.imports",
            "budgetlint.config",
            "budgetlint.layout",
            "budgetlint.hook_cache",
        ),
        frozenset({"base", "model", "engine"}),
    ),
    "budgets": (("budgetlint.budgets",), frozenset({"base", "model", "engine"})),
    "pipeline": (
        ("budgetlint.pipeline", "budgetlint.verify", "budgetlint.hook"),
        frozenset({"base", "model", "engine", "spec", "budgets"}),
    ),
    "render": (
        ("budgetlint.render",),
        frozenset({"base", "model", "engine", "spec", "budgets", "pipeline"}),
    ),
    "cli": (
        (
            "budgetlint.cli",
            "budgetlint.commands",
            "budgetlint.entry",
            "budgetlint.__main__",
        ),
        frozenset({"base", "files", "model", "engine", "spec", "budgets", "pipeline", "render"}),
    ),
    # the Python API (budgetlint.check, budgetlint.evaluate): the pipeline and its JSON
    "api": (
        ("budgetlint.api",),
        frozenset({"base", "files", "model", "engine", "spec", "budgets", "pipeline", "render"}),
    ),
}

# Arrows back up that are known and owned elsewhere, each with its reason. A row that no
# longer matches an import fails too, so that this list only shrinks.
KNOWN_BACKWARD: dict[tuple[str, str], str] = {
    ("budgetlint", "api"): "the root package re-exports the Python API (__all__) through a"
    " module __getattr__, so `import budgetlint` itself imports nothing (tests/test_api.py)",
}


def layer_of(module: str) -> str:
    """The layer that names the module, or the subpackage it sits in (not the root)."""
    for layer, (names, _) in LAYERS.items():
        for name in names:
            inside = name != "budgetlint" and module.startswith(name + ".")
            if module == name or inside:
                return layer
    raise LookupError(f"{module} is in no layer: add it to LAYERS in {__file__}")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """The budgetlint modules a file imports, with their lines (relative imports resolved)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from budgetlint.render import text` imports the module budgetlint.render.text
            names = [f"{base}.{alias.name}" for alias in node.names]
            names = [name if _is_module(name) else base for name in names]
        else:
            continue
        for name in names:
            if name == "budgetlint" or name.startswith("budgetlint."):
                yield name, node.lineno


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (PACKAGE.parent / relative).with_suffix(".py").is_file() or (
        PACKAGE.parent / relative / "__init__.py"
    ).is_file()


SOURCES = sorted(PACKAGE.rglob("*.py"))


def arrows() -> Iterator[tuple[str, str, int, str]]:
    """(importer, imported module, line, file) for every import inside the package."""
    for path in SOURCES:
        module = module_name(path)
        for name, line in imported(path, module):
            yield module, name, line, str(path.relative_to(PACKAGE.parent))


def test_every_module_is_in_a_layer() -> None:
    assert [module_name(path) for path in SOURCES if not _placed(module_name(path))] == []


def _placed(module: str) -> bool:
    try:
        layer_of(module)
    except LookupError:
        return False
    return True


def test_imports_run_one_way() -> None:
    backward = []
    for importer, name, line, file in arrows():
        source, target = layer_of(importer), layer_of(name)
        allowed = LAYERS[source][1]
        if target != source and target not in allowed and (importer, target) not in KNOWN_BACKWARD:
            backward.append(f"{file}:{line}: {importer} ({source}) imports {name} ({target})")
    assert backward == []


def test_known_backward_arrows_still_exist() -> None:
    seen = {(importer, layer_of(name)) for importer, name, _, _ in arrows()}
    assert set(KNOWN_BACKWARD) <= seen


def test_layers_may_only_read_layers_below() -> None:
    """The table itself runs one way: each layer reads only layers written before it."""
    order = list(LAYERS)
    for position, (_, allowed) in enumerate(LAYERS.values()):
        assert allowed <= set(order[:position])


@pytest.mark.parametrize(
    ("source", "module", "lines"),
    [
        # the arrows this test exists to catch, each as it once was in the code
        ("budgetlint/graph.py", "budgetlint.graph", "from budgetlint.engine.cost import Shape"),
        (
            "budgetlint/spec/devices.py",
            "budgetlint.spec.devices",
            "def f() -> None:\n    from budgetlint.budgets import BUDGETS",
        ),
        ("budgetlint/device.py", "budgetlint.device", "from .engine import memory"),
        (
            "budgetlint/engine/ops/conv.py",
            "budgetlint.engine.ops.conv",
            "from ...render import text",
        ),
    ],
)
def test_a_backward_arrow_is_caught(tmp_path: Path, source: str, module: str, lines: str) -> None:
    path = tmp_path / Path(source).name
    path.write_text(lines + "\n", "utf-8")
    ((name, _),) = imported(path, module)
    assert layer_of(name) not in {layer_of(module), *LAYERS[layer_of(module)][1]}
