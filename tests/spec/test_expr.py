from __future__ import annotations

import re
from typing import Any

import pytest

from budgetlint.spec.expr import ExpressionError, evaluate, substitute

SCOPE = {"mid": 64, "t": 6, "cin": 24, "act": "relu", "flag": True}

CASES = [
    ("mid * 4", 64 * 4),
    ("cin * t", 24 * 6),
    ("(mid + 2) // 3", (64 + 2) // 3),
    ("mid / 128", 0.5),
    ("mid % 10", 4),
    ("2 ** 10", 1024),
    ("-mid + 1", -63),
    ("max(mid, cin, 100)", 100),
    ("min(mid, cin)", 24),
    ("ceil(cin / 5)", 5),
    ("floor(cin / 5)", 4),
    ("int(7.9)", 7),
    ("abs(-3)", 3),
    ("round(2.6)", 3),
    ("1 if t != 1 else 0", 1),
    ("'relu' if flag else 'identity'", "relu"),
    ("mid == 64", True),
    ("act", "relu"),
    ("1.5e1", 15.0),
    ("sqrt(mid)", 8.0),
    ("log2(mid)", 6.0),
    ("log(mid, 2)", 6.0),
    ("round(log(1000) / log(10))", 3),
    ("ceil(log2(cin))", 5),  # 2**4 < 24 <= 2**5
    ("[1, t]", [1, 6]),
    ("[t // 2 * 2 + 1, t]", [7, 6]),
    ("[]", []),
    ("[mid] == [64]", True),
    # torchvision's _make_divisible: nearest multiple of 8, at least 8, within 10%
    ("make_divisible(240 // 4, 8)", 64),  # (60 + 4) // 8 · 8
    ("make_divisible(10.4, 8)", 16),  # 8 would be more than 10% below 10.4
    ("make_divisible(3, 8)", 8),  # at least the divisor
    ("make_divisible(30, 8, 16)", 32),  # (30 + 4) // 8 · 8
    ("make_divisible(36, 16, 48)", 48),  # at least the given minimum
]


@pytest.mark.parametrize(("source", "value"), CASES)
def test_evaluate(source: str, value: Any) -> None:
    assert evaluate(source, SCOPE) == value


ERRORS = [
    ("channels * 2", "unknown name 'channels'"),
    ("mid / 0", "division by zero"),
    ("2 ** 1000", "exponent larger than 64"),
    ("__import__('os')", "unknown function '__import__'"),
    ("mid.__class__", "unexpected character '.'"),
    ("open('x')", "unknown function 'open'"),
    ("mid +", "unexpected 'end of expression'"),
    ("(mid", "expected ')'"),
    ("act * 2", "expected a number"),
    ("[1, 2", "expected ']'"),
    ("[1, 2] * 2", "expected a number"),
    ("max([1, 2])", "max() takes numbers"),
    ("log(0)", "log():"),
    ("sqrt(-1)", "sqrt():"),
    ("log(8, 1)", "log():"),
    ("make_divisible(10, 0)", "make_divisible(): the divisor must be positive"),
    ("sqrt(10 ** 18) ** 64", "the result is too large"),
    ("1e9 ** 64", "the result is too large"),
    ("x" * 201, "longer than 200"),
]


@pytest.mark.parametrize(("source", "message"), ERRORS)
def test_evaluate_errors(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)):
        evaluate(source, SCOPE)


def test_substitute_whole_value_keeps_type() -> None:
    assert substitute("${mid * 4}", SCOPE) == 256
    assert substitute(" ${act} ", SCOPE) == "relu"


def test_substitute_inside_text_formats_values() -> None:
    assert substitute("stage${t}_${mid / 2}", SCOPE) == "stage6_32"


def test_substitute_unclosed() -> None:
    with pytest.raises(ExpressionError, match="unclosed"):
        substitute("conv${mid", SCOPE)


HOSTILE = [
    ("'a' < 3", "can't compare 'a' < 3"),
    ("0 ** -1", "division by zero"),
    ("int(1e200 * 1e200)", "not a finite number"),
    ("floor(1e300 * 1e300)", "not a finite number"),
    ("(10 ** 64) ** 6", "too large"),
    ("(((9 ** 64) ** 64) ** 64) ** 64", "too large"),
    ("(-8) ** (1 / 3)", "not a real number"),
]


@pytest.mark.parametrize(("source", "message"), HOSTILE)
def test_hostile_expressions_fail_cleanly(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)):
        evaluate(source, SCOPE)


def test_counts_written_as_text_are_numbers() -> None:
    # a block parameter written 1e3 or 32k in YAML reaches the evaluator as a string
    assert evaluate("c * 2", {"c": "1e3"}) == 2000
    assert evaluate("c // 2", {"c": "32k"}) == 16_000
