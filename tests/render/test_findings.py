"""findings(): every problem, warning and broken or nearly broken budget, once, in order."""

from __future__ import annotations

import pytest

from budgetlint.budgets import Verdict
from budgetlint.pipeline import Result
from budgetlint.problems import Position, Problem
from budgetlint.render.findings import Finding, Level, findings
from budgetlint.render.messages import sentence, title

AT = Position("specs/net.yaml", 7, 13)
BROKEN_AT = Position("specs/net.yaml", 6, 15)


def verdict(value: float, limit: float, warn_at: float | None = None) -> Verdict:
    return Verdict("net", "mcu", "params", value, limit, AT, warn_at=warn_at)


# (verdict, level it is found at; None: within its budget, not a finding)
VERDICTS = [
    (verdict(120, 100), "error"),  # over: 120 > 100
    (verdict(95, 100, warn_at=90), "warning"),  # near: 90 < 95 <= 100
    (verdict(80, 100, warn_at=90), None),  # ok: 80 <= 90
    (verdict(100, 100), None),  # at the limit is within it
]


@pytest.mark.parametrize(("judged", "level"), VERDICTS)
def test_a_verdict_is_found_at_its_level(judged: Verdict, level: Level | None) -> None:
    found = findings(Result((), (judged,), (), ()))
    if level is None:
        assert found == ()
        return
    assert found == (Finding(level, AT, "budget.params", title(judged), sentence(judged), judged),)
    assert not found[0].input_error


def test_problems_warnings_then_budgets_each_once() -> None:
    problem = Problem(Position("bad.yaml", 3, 10), "layer.unknown_op", "unknown op 'relux'")
    warning = Problem(Position("specs/net.yaml"), "base.unreadable", "no base")
    over = verdict(120, 100)
    result = Result((), (verdict(80, 100), over), (problem,), (), warnings=(warning,))
    assert findings(result) == (
        Finding("error", problem.position, "spec.layer.unknown_op",
                "budgetlint: layer.unknown_op", "unknown op 'relux'"),
        Finding("warning", warning.position, "spec.base.unreadable",
                "budgetlint: base.unreadable", "no base"),
        Finding("error", AT, "budget.params", title(over), sentence(over), over),
    )  # fmt: skip
    assert [finding.input_error for finding in findings(result)] == [True, False, False]


def test_growth_is_found_against_the_base_ref() -> None:
    grown = Verdict("net", "mcu", "params", 50, 10, BROKEN_AT, kind="increase", base=100)
    result = Result((), (grown,), (), (), base_ref="origin/main")
    (found,) = findings(result)
    assert found.rule == "budget.max_increase.params"
    assert found.message == sentence(grown, "origin/main")
    assert "origin/main" in found.message
