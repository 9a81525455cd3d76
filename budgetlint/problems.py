"""Positioned problems: what every stage returns instead of raising."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Position:
    """A place in a source file; line and column are 1-based."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{log_path(self.path)}:{self.line}:{self.column}"


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


# Every character str.splitlines() (and so a CI log or a terminal) breaks a line at.
_LINE_BREAKS = {
    ord(char): f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    for char in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
}
_LINE_BREAKS[ord("\n")], _LINE_BREAKS[ord("\r")] = "\\n", "\\r"
# GitHub's runner reads `##[command]` anywhere in a log line (the old syntax), and
# `::command::` at the start of one.
_COMMAND_MARKER = "##["
_COMMAND_MARKER_SHOWN = "%23%23["
_LONG_NUMBER = re.compile(r"\d{25,}")
# Text that one_line would change: a line break, the marker or a long number. Most text
# has none (a report's cells), and a search is cheaper than the changes that find none.
_CHANGED = re.compile(
    "[" + "".join(re.escape(chr(code)) for code in _LINE_BREAKS) + "]|"
    + re.escape(_COMMAND_MARKER) + "|" + _LONG_NUMBER.pattern
)  # fmt: skip


def no_line_breaks(text: str) -> str:
    """Every line break (as str.splitlines() sees them) shown as its escape."""
    return text.translate(_LINE_BREAKS)


def one_line(text: str) -> str:
    """Text from YAML on one line that no CI log reads as a command: line breaks and
    GitHub's `##[` shown escaped, numbers of 25 digits and more shortened."""
    if _CHANGED.search(text) is None:
        return text
    text = text.translate(_LINE_BREAKS).replace(_COMMAND_MARKER, _COMMAND_MARKER_SHOWN)
    return _LONG_NUMBER.sub(lambda match: short_number(match.group()), text)


def json_for_logs(text: str) -> str:
    """JSON text (already dumped) that a CI log can't read as a `##[command]`: the
    marker's `#` written as the JSON escape \\u0023, which decodes to the same string."""
    return text.replace(_COMMAND_MARKER, "#\\u0023[")


def log_line(text: str) -> str:
    """A whole log line that starts with user text (a path, a table cell): one_line, and
    a leading `::` (GitHub's workflow commands) escaped as GitHub escapes it, %3A."""
    text = one_line(text)
    stripped = text.lstrip()
    if stripped.startswith("::"):
        text = text[: len(text) - len(stripped)] + "%3A%3A" + stripped[2:]
    return text


def log_path(path: str) -> str:
    """A path at the start of a `file:line:col` line: one line, and never a workflow
    command (a relative path starting with `::` or a space is shown from `./`)."""
    shown = one_line(path)
    if shown != shown.lstrip() or shown.startswith("::"):
        shown = "./" + shown
    return shown


def short_number(digits: str) -> str:
    """A long run of digits as its first and last digits and its length."""
    return digits if len(digits) < 25 else f"{digits[:6]}…{digits[-3:]} ({len(digits)} digits)"


def figure(number: int) -> str:
    """An exact integer with thousands separators; one too long to read, shortened."""
    return f"{number:,}" if abs(number) < 10**24 else short_repr(number)


def short_repr(value: object) -> str:
    """A value for a one-line message: its repr, cut at 40 characters (a huge int is
    shortened without ever being converted to text in full)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 80:
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
