"""Positioned problems: what every stage returns instead of raising."""

from __future__ import annotations

from collections.abc import Iterable
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
    message: str  # the whole sentence, with the chain of uses that led there
    cause: str = ""  # the message without that chain, when there is one

    def __str__(self) -> str:
        return f"{self.position}: {one_line(self.message)}"

    @property
    def identity(self) -> tuple[Position, str, str]:
        """The same cause at the same place is one problem, however it was reached."""
        return (self.position, self.code, self.cause or self.message)

    def used_at(self, use: str) -> Problem:
        """This problem, reached through one more use (of a block, of an architecture)."""
        return Problem(
            self.position, self.code, f"{self.message}, {use}", self.cause or self.message
        )


class SpecError(Exception):
    """Carries problems out of deep helpers; caught at the stage boundary."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems: tuple[Problem, ...] = problems


def unique(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Each distinct problem once, in order, said with the first chain of uses that reached
    it and how many other uses reach it too."""
    first: dict[tuple[Position, str, str], Problem] = {}
    chains: dict[tuple[Position, str, str], set[str]] = {}
    for problem in problems:
        first.setdefault(problem.identity, problem)
        chains.setdefault(problem.identity, set()).add(problem.message)
    said = []
    for identity, problem in first.items():
        others = len(chains[identity]) - 1
        if others:
            more = f" (and {others} more use{'s' if others > 1 else ''})"
            problem = Problem(problem.position, problem.code, problem.message + more, problem.cause)
        said.append(problem)
    return tuple(said)


def fail(position: Position, code: str, message: str) -> SpecError:
    return SpecError(Problem(position, code, message))


def one_line(text: str) -> str:
    """Names from YAML may hold line breaks: keep every report to one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def short_repr(value: object) -> str:
    """A value for a one-line message: its repr, cut at 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
