"""The stages put together: files in, one Result out. No printing, no exit codes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from budgetlint.budgets import Verdict, judge
from budgetlint.engine.conventions import CONVENTIONS
from budgetlint.engine.cost import Shape
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.problems import Position, Problem, SpecError
from budgetlint.spec.expand import display_path, read_spec


@dataclass(frozen=True)
class Result:
    reports: tuple[ModelReport, ...]
    verdicts: tuple[Verdict, ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...]

    @property
    def exit_code(self) -> int:
        if self.problems:
            return 2
        return 1 if any(not verdict.ok for verdict in self.verdicts) else 0


def run(
    paths: Sequence[Path],
    *,
    convention: str | None = None,
    input_shape: Shape | None = None,
    model: str | None = None,
) -> Result:
    """Check every file; problems in one file don't stop the others."""
    reports: list[ModelReport] = []
    verdicts: list[Verdict] = []
    problems: list[Problem] = []
    files: list[str] = []
    for path in paths:
        spec, found = read_spec(path, input_shape)
        problems.extend(found)
        if spec is None:
            files.append(display_path(path))
            continue
        files.append(spec.path)
        chosen = CONVENTIONS[convention or spec.convention]
        models = spec.models
        if model is not None:
            models = tuple(m for m in models if m.architecture.name == model)
            if not models:
                names = ", ".join(m.architecture.name for m in spec.models) or "none"
                problems.append(
                    Problem(
                        Position(spec.path), "cli.model", f"no model '{model}' (models: {names})"
                    )
                )
        for model_spec in models:
            try:
                report = evaluate(model_spec.architecture, chosen)
            except SpecError as error:
                problems.extend(error.problems)
                continue
            reports.append(report)
            for device in model_spec.devices:
                verdicts.extend(judge(report, spec.devices[device]))
    return Result(tuple(reports), tuple(verdicts), tuple(problems), tuple(files))
