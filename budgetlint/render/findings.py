"""What a run found, built once for every format: each problem with the input, each
warning and each broken or nearly broken budget, as one Finding.

Findings come in the run's order: problems (errors), then warnings, then budgets over
or near their limit. Each format shows them its own way (escaped for its medium), and
none writes the problem → (level, position, rule, title, message) mapping again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from budgetlint.budgets import Verdict
from budgetlint.pipeline import Result
from budgetlint.problems import Position, Problem
from budgetlint.render.messages import sentence, title

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    level: Level  # error: fails the run; warning: said, and fails only under --strict
    position: Position
    rule: str  # the stable rule id (SARIF's): `spec.<code>`, or the verdict's `budget.…`
    title: str  # a heading: `budgetlint: <code>`, or which budget of which model
    message: str  # the whole sentence as written: each format escapes it for its medium
    verdict: Verdict | None = None  # the budget's verdict; None for a problem with the input

    @property
    def input_error(self) -> bool:
        """A problem that stopped part of the input from being checked (exit 2)."""
        return self.verdict is None and self.level == "error"


def _problem(problem: Problem, level: Level) -> Finding:
    code = problem.code
    return Finding(level, problem.position, f"spec.{code}", f"budgetlint: {code}", problem.message)


def _verdict(verdict: Verdict, base_ref: str | None) -> Finding:
    level: Level = "warning" if verdict.ok else "error"
    message = sentence(verdict, base_ref)
    return Finding(level, verdict.position, verdict.rule, title(verdict), message, verdict)


def findings(result: Result) -> tuple[Finding, ...]:
    """Problems, warnings, then the budgets over or near their limit."""
    return (
        *(_problem(problem, "error") for problem in result.problems),
        *(_problem(warning, "warning") for warning in result.warnings),
        *(_verdict(verdict, result.base_ref) for verdict in result.verdicts if _said(verdict)),
    )


def _said(verdict: Verdict) -> bool:
    """Over its limit, or near it."""
    return not verdict.ok or verdict.warning
