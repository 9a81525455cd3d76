"""budgetlint from Python: check spec files against their budgets, or evaluate one spec.

The same pipeline as the command line, without printing or exit codes: `check` is
`budgetlint check`, and its result's `to_dict()` is the `--format json` document;
`evaluate` reads one spec (a file, or YAML text) and gives its models, each of whose
`to_dict()` is that model's entry in the document.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Union

from budgetlint.budgets import Verdict
from budgetlint.engine.conventions import CONVENTIONS
from budgetlint.engine.evaluate import ModelReport
from budgetlint.pipeline import ModelResult, Result, run
from budgetlint.problems import Problem, SpecError
from budgetlint.render import json_format
from budgetlint.render.formats import RenderOptions
from budgetlint.spec.sources import WORK_TREE, InlineText

PathLike = Union[str, "os.PathLike[str]"]

# Where problems in `evaluate(text=...)` are said to be: `<text>:3:5: ...`. Files the
# text refers to (`arch:`, `include:`) are found from the working directory.
TEXT_PATH = "<text>"


class SpecProblems(Exception):
    """The spec could not be evaluated; `problems` says where and why, one per line of
    str(), as the command line prints them (`file:line:col: message`)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class ModelEvaluation:
    """One model: its totals here, every layer in `report`, its JSON entry from to_dict()."""

    model: ModelResult
    result: Result

    @property
    def name(self) -> str:
        return self.report.name

    @property
    def report(self) -> ModelReport:
        return self.model.report

    @property
    def params(self) -> int:
        return self.report.params

    @property
    def buffers(self) -> int:
        return self.report.buffers

    @property
    def macs(self) -> int:
        return self.report.macs

    @property
    def flops(self) -> int:
        return self.report.flops

    def to_dict(self) -> dict[str, Any]:
        """This model's entry of the `--format json` document (README, "JSON output")."""
        alone = replace(self.result, models=(self.model,))
        entry: dict[str, Any] = _document(alone)["models"][0]
        return entry


@dataclass(frozen=True)
class CheckResult:
    """What `budgetlint check` finds: models, verdicts, problems, and the exit code it
    would end with (0 within budget, 1 over, 2 a spec that can't be checked)."""

    result: Result

    @property
    def exit_code(self) -> int:
        return self.result.exit_code

    @property
    def models(self) -> tuple[ModelEvaluation, ...]:
        return tuple(ModelEvaluation(model, self.result) for model in self.result.models)

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        return self.result.verdicts

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.result.problems

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return self.result.warnings

    def to_dict(self) -> dict[str, Any]:
        """The `budgetlint check --format json` document (README, "JSON output")."""
        return _document(self.result)


def _document(result: Result) -> dict[str, Any]:
    """The JSON document as a reader of `--format json` gets it."""
    loaded: dict[str, Any] = json.loads(json_format.render(result, RenderOptions()))
    return loaded


def _convention(name: str | None) -> str | None:
    if name is not None and name not in CONVENTIONS:
        raise ValueError(f"unknown convention {name!r}: one of {', '.join(CONVENTIONS)}")
    return name


def _paths(paths: PathLike | Sequence[PathLike]) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        return [Path(paths)]
    return [Path(path) for path in paths]


def check(
    paths: PathLike | Sequence[PathLike] = (),
    *,
    convention: str | None = None,
    base: str | None = None,
) -> CheckResult:
    """Check spec files against their device budgets, as `budgetlint check` does; with no
    paths, the specs the project's configuration names. `convention` overrides each
    spec's counting convention; `base` (a git revision) adds deltas and `max_increase`."""
    chosen = _paths(paths)
    if not chosen:
        chosen = _configured_specs()
    result = run(chosen, convention=_convention(convention), base=base, architectures=bool(paths))
    return CheckResult(result)


def _configured_specs() -> list[Path]:
    from budgetlint.config import configured_specs

    try:
        return configured_specs(Path.cwd())
    except SpecError as error:
        raise SpecProblems(error.problems) from None


def evaluate(
    path: PathLike | None = None,
    *,
    text: str | None = None,
    input: Sequence[int] | None = None,
    convention: str | None = "default",
) -> tuple[ModelEvaluation, ...]:
    """The models of one spec, from a file (`path`) or YAML `text`, evaluated under a
    counting convention (None: the spec's own); `input` overrides every model's input
    shape. Raises SpecProblems when the spec has problems, ValueError on arguments that
    make no sense."""
    if (path is None) == (text is None):
        raise ValueError("evaluate() takes a path or text=, not both and not neither")
    shape = None if input is None else tuple(int(size) for size in input)
    if shape is not None and (not shape or any(size < 1 for size in shape)):
        raise ValueError(f"input must be positive sizes, got {list(input or ())}")
    where = Path(TEXT_PATH) if path is None else Path(path)
    source = WORK_TREE if text is None else InlineText(where, text.encode("utf-8"))
    result = run([where], convention=_convention(convention), input_shape=shape, source=source)
    if result.problems:
        raise SpecProblems(result.problems)
    return tuple(ModelEvaluation(model, result) for model in result.models)
