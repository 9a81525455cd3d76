"""A tiny, safe evaluator for `${...}` expressions in specs.

Grammar (Python's precedence, a small subset of it; never `eval`):

    expr    := test ["if" test "else" expr]
    test    := sum [("==" | "!=" | "<" | "<=" | ">" | ">=") sum]
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/" | "//" | "%") unary)*
    unary   := ("-" | "+") unary | power
    power   := atom ["**" unary]
    atom    := NUMBER | 'STRING' | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"
             | "[" [expr ("," expr)*] "]"

Names come from the scope (block parameters); the functions are min, max,
abs, floor, ceil, round, int, sqrt, log (natural, or log(x, base)), log2 and
make_divisible(v, d) (torchvision's _make_divisible: v rounded to the nearest
multiple of d, at least d, never more than 10% below v). Results are ints,
floats or lists of them (`[k, k]`); an integral float stays a float here and
is accepted where an integer is expected.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from budgetlint.problems import short_repr
from budgetlint.units import UnitError, parse_count

Value = Any  # int | float | str | bool | list — whatever a block parameter holds

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<string>'[^']*'|\"[^\"]*\")"
    r"|(?P<op>\*\*|//|==|!=|<=|>=|[-+*/%()<>,\[\]]))"
)
_TEMPLATE = re.compile(r"\$\{([^{}]*)\}")
_MAX_LENGTH = 200
_MAX_POWER = 64
_LARGEST = 10**18


def make_divisible(value: float, divisor: int, least: int | None = None) -> int:
    """torchvision's _make_divisible (from the TensorFlow MobileNet code)."""
    if divisor <= 0:
        raise ValueError("the divisor must be positive")
    smallest = divisor if least is None else least
    rounded = max(smallest, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


_MAX_DIGITS = 30  # round(x, n) beyond ±30 digits is x or 0 for every |x| <= _LARGEST


def _round(value: Value, digits: Value = None) -> Value:
    """round() with its digits clamped: CPython computes 10**-digits for round(1, -digits),
    which for digits in the millions never returns; past ±30 the result is the same."""
    if digits is None:
        return round(value)
    if isinstance(digits, bool) or not isinstance(digits, int):
        raise TypeError(f"the digits must be an integer, not {short_repr(digits)}")
    clamped = max(-_MAX_DIGITS, min(_MAX_DIGITS, digits))
    return round(value, clamped)


_FUNCTIONS: dict[str, Callable[..., Value]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "floor": math.floor,
    "ceil": math.ceil,
    "round": _round,
    "int": int,
    "sqrt": math.sqrt,
    "log": math.log,
    "log2": math.log2,
    "make_divisible": make_divisible,
}
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}


class ExpressionError(ValueError):
    """A message about an expression; the caller adds the position."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


@functools.lru_cache(maxsize=4096)
def _tokenize(source: str) -> tuple[_Token, ...]:
    """The expression's tokens, made once per text (a block's expressions are read again
    at each of its uses with other values)."""
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        if source[position:].strip() == "":
            break
        match = _TOKEN.match(source, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"unexpected character {source[position:].strip()[0]!r}")
        kind = match.lastgroup or "op"
        tokens.append(_Token(kind, match.group(kind)))
        position = match.end()
    tokens.append(_Token("end", ""))
    return tuple(tokens)


class _Parser:
    def __init__(self, source: str, scope: Mapping[str, Value]) -> None:
        self.tokens = _tokenize(source)
        self.index = 0
        self.scope = scope

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self, text: str | None = None) -> _Token:
        token = self.tokens[self.index]
        if text is not None and token.text != text:
            found = token.text or "the end"
            raise ExpressionError(f"expected '{text}' but found {short_repr(found)}")
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.peek()
        return token.kind in ("op", "name") and token.text in texts

    def parse(self) -> Value:
        value = self.expr()
        if self.peek().kind != "end":
            raise ExpressionError(f"unexpected {short_repr(self.peek().text)}")
        return value

    def expr(self) -> Value:
        value = self.test()
        if self.at("if"):
            self.take()
            condition = self.test()
            self.take("else")
            alternative = self.expr()
            return value if condition else alternative
        return value

    def test(self) -> Value:
        left = self.sum()
        if self.peek().kind == "op" and self.peek().text in _COMPARISONS:
            operator = self.take().text
            right = self.sum()
            try:
                return _COMPARISONS[operator](left, right)
            except TypeError:
                raise ExpressionError(
                    f"can't compare {short_repr(left)} {operator} {short_repr(right)}"
                ) from None
        return left

    def sum(self) -> Value:
        value = self.product()
        while self.at("+", "-"):
            operator = self.take().text
            right = self.product()
            value = (
                _numeric(value) + _numeric(right)
                if operator == "+"
                else _numeric(value) - _numeric(right)
            )
        return value

    def product(self) -> Value:
        value = self.unary()
        while self.at("*", "/", "//", "%"):
            operator = self.take().text
            right = _numeric(self.unary())
            value = _numeric(value)
            if operator != "*" and right == 0:
                raise ExpressionError("division by zero")
            if operator == "*":
                value = _checked(value * right)
            elif operator == "/":
                value = _checked(value / right)
            elif operator == "//":
                value = _checked(value // right)
            else:
                value = _checked(value % right)
        return value

    def unary(self) -> Value:
        if self.at("-", "+"):
            sign = self.take().text
            value = _numeric(self.unary())
            return -value if sign == "-" else value
        return self.power()

    def power(self) -> Value:
        base = self.atom()
        if self.at("**"):
            self.take()
            exponent = _numeric(self.unary())
            if abs(exponent) > _MAX_POWER:
                raise ExpressionError(f"exponent larger than {_MAX_POWER}")
            base = _numeric(base)
            if base == 0 and exponent < 0:
                raise ExpressionError("division by zero")
            try:
                return _checked(base**exponent)
            except OverflowError:  # float ** float overflows instead of returning inf
                raise ExpressionError("the result is too large") from None
        return base

    def atom(self) -> Value:
        token = self.take()
        if token.kind == "number":
            return float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
        if token.kind == "string":
            return token.text[1:-1]
        if token.kind == "name":
            if self.at("("):
                return self.call(token.text)
            if token.text not in self.scope:
                known = ", ".join(sorted(self.scope)) or "none"
                raise ExpressionError(f"unknown name '{token.text}' (known: {known})")
            return _checked(self.scope[token.text])  # a parameter may hold any YAML number
        if token.text == "(":
            value = self.expr()
            self.take(")")
            return value
        if token.text == "[":
            items: list[Value] = []
            if not self.at("]"):
                items.append(self.expr())
                while self.at(","):
                    self.take()
                    items.append(self.expr())
            self.take("]")
            return items
        raise ExpressionError(f"unexpected {token.text or 'end of expression'!r}")

    def call(self, name: str) -> Value:
        if name not in _FUNCTIONS:
            raise ExpressionError(f"unknown function '{name}' (known: {', '.join(_FUNCTIONS)})")
        self.take("(")
        arguments = [self.expr()]
        while self.at(","):
            self.take()
            arguments.append(self.expr())
        self.take(")")
        if any(isinstance(argument, list | str) for argument in arguments):
            raise ExpressionError(f"{name}() takes numbers")
        try:
            return _checked(_FUNCTIONS[name](*arguments))
        except (TypeError, ValueError, OverflowError, ZeroDivisionError) as error:
            raise ExpressionError(f"{name}(): {error}") from None


def _numeric(value: Value) -> int | float:
    """A number; a count written as text ('1e3', '32k', as YAML 1.1 leaves them) is read too."""
    if isinstance(value, str):
        try:
            return parse_count(value)
        except UnitError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExpressionError(f"expected a number, got {short_repr(value)}")
    return value


def _checked(value: Value) -> Value:
    """Results stay real and of a sane size, so later arithmetic and output stay finite."""
    if isinstance(value, complex):
        raise ExpressionError("the result is not a real number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ExpressionError("the result is not a finite number")
    if isinstance(value, int | float) and abs(value) > _LARGEST:
        raise ExpressionError("the result is too large")
    return value


def evaluate(source: str, scope: Mapping[str, Value]) -> Value:
    """Evaluate one expression (the text between `${` and `}`)."""
    if len(source) > _MAX_LENGTH:
        raise ExpressionError(f"expression longer than {_MAX_LENGTH} characters")
    return _Parser(source, scope).parse()


def has_template(text: str) -> bool:
    return "${" in text


@functools.lru_cache(maxsize=4096)
def names_read(text: str) -> tuple[str, ...] | None:
    """The names the text's `${...}` expressions read, in order (functions' too): with
    their values they decide what `substitute` gives. None when one can't be tokenized."""
    names: list[str] = []
    for match in _TEMPLATE.finditer(text):
        if len(match.group(1)) > _MAX_LENGTH:
            return None
        try:
            tokens = _tokenize(match.group(1))
        except ExpressionError:
            return None
        names.extend(token.text for token in tokens if token.kind == "name")
    return tuple(dict.fromkeys(names))


def substitute(text: str, scope: Mapping[str, Value]) -> Value:
    """`"${a * 2}"` gives the value itself; `"conv${i}"` gives a string."""
    whole = _TEMPLATE.fullmatch(text.strip())
    if whole:
        return evaluate(whole.group(1), scope)
    if "${" in _TEMPLATE.sub("", text):
        raise ExpressionError("unclosed '${'")
    return _TEMPLATE.sub(lambda match: _format(evaluate(match.group(1), scope)), text)


def _format(value: Value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
