"""Positioned problems: what every stage returns instead of raising."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Position:
    """A place in a source file; line and column are 1-based."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, made whole and never patched."""

    position: Position
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.position}: {one_line(self.message)}"


class SpecError(Exception):
    """Carries problems out of deep helpers; caught at the stage boundary."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems: tuple[Problem, ...] = problems


def fail(position: Position, code: str, message: str) -> SpecError:
    return SpecError(Problem(position, code, message))


def one_line(text: str) -> str:
    """Names from YAML may hold line breaks: keep every report to one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def short_repr(value: object) -> str:
    """A value for a one-line message: its repr, cut at 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
