"""--format github: workflow-command annotations, chosen automatically under GitHub Actions.

Every line written carries user text escaped: the data and properties of our
own commands as GitHub unescapes them, every other line so that the runner
can't read it as a command (no line break, no `##[`, no leading `::`).

Each spec's findings sit in a `::group::`; GitHub shows at most ten error and
ten warning annotations per step, so the first MAX_ANNOTATIONS of each level
are annotations and the rest are plain `file:line:col` lines in the log.
"""

from __future__ import annotations

from collections import defaultdict

from budgetlint.pipeline import Result
from budgetlint.problems import log_line, no_line_breaks, one_line
from budgetlint.render import text
from budgetlint.render.findings import Finding, findings
from budgetlint.render.formats import RenderOptions
from budgetlint.render.paths import repo_relative, repo_root

MAX_ANNOTATIONS = 10


def escape_data(value: str) -> str:
    """GitHub's escaping of a command's data; other line breaks shown as escapes."""
    escaped = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return no_line_breaks(escaped).replace("##[", "%23%23[")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, file: str, line: int, column: int, heading: str, message: str) -> str:
    """`file` is repository-relative: GitHub resolves annotations against the repository."""
    properties = ",".join(
        [
            f"file={escape_property(file)}",
            f"line={line}",
            f"col={column}",
            f"title={escape_property(heading)}",
        ]
    )
    return f"::{level} {properties}::{escape_data(message)}"


def render(result: Result, options: RenderOptions) -> str:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings(result):
        by_file[finding.position.path].append(finding)
    root = repo_root()
    shown = {"error": 0, "warning": 0}
    lines: list[str] = []
    for path, found in by_file.items():
        lines.append(f"::group::budgetlint {escape_data(path)}")
        for finding in found:
            level, where, message = finding.level, finding.position, finding.message
            if shown[level] < MAX_ANNOTATIONS:
                shown[level] += 1
                file = repo_relative(path, root)
                lines.append(
                    annotation(level, file, where.line, where.column, finding.title, message)
                )
            else:
                lines.append(f"{where}: {level}: {one_line(message)}")
        lines.append("::endgroup::")
    if options.quiet:
        return "\n".join(lines) + "\n" if lines else ""
    # Tables start lines with names from YAML: never a workflow command, nor anything
    # that looks like one (`::` escaped as GitHub escapes it, %3A).
    lines += [log_line(line).replace("::", "%3A%3A") for line in text.tables(result, options)]
    if result.verdicts or (not options.layers and text.not_checked(result)):
        lines.append(text.summary(result))
    return "\n".join(lines) + "\n" if lines else ""
