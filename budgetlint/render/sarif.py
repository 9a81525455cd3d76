"""--format sarif: SARIF 2.1.0 for code-scanning upload.

Rule ids are stable: `budget.<name>` and `budget.max_increase.<name>` for every
budget kind, `spec.<code>` for every problem code (budgetlint.rules); all are
listed, found or not, each with the full description, help and helpUri that
GitHub code scanning requires. Locations are repository-relative, on the YAML line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from budgetlint import __version__
from budgetlint.device import BUDGET_KINDS
from budgetlint.pipeline import Result
from budgetlint.problems import Position, json_for_logs
from budgetlint.render.findings import findings
from budgetlint.render.formats import RenderOptions
from budgetlint.render.paths import repo_relative, repo_root
from budgetlint.rules import WARNING_CODES, all_problem_codes, problem_description

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/budgetlint/budgetlint"


# helpUri of each kind of rule: the README section that explains it.
HELP_URIS = {
    "budget": f"{INFO_URI}#budgets",
    "max_increase": f"{INFO_URI}#deltas-against-a-base",
    "spec": f"{INFO_URI}#bad-input",
}


def _pascal(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in text.replace("_", ".").split("."))


def _rule(
    rule_id: str, short: str, full: str, fix: str, help_uri: str, level: str = "error"
) -> dict[str, Any]:
    text = f"{full} {fix} See {help_uri}"
    markdown = f"**{short}**\n\n{full}\n\n{fix}\n\nSee [the README]({help_uri})."
    return {
        "id": rule_id,
        "name": _pascal(rule_id),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": text, "markdown": markdown},
        "helpUri": help_uri,
        "defaultConfiguration": {"level": level},
    }


def budget_rules() -> list[dict[str, Any]]:
    """`budget.<name>` and `budget.max_increase.<name>` for every budget kind."""
    rules = []
    for name, kind in BUDGET_KINDS.items():
        rules.append(
            _rule(
                f"budget.{name}",
                f"A model exceeds its device's {name} budget",
                f"The {name} budget limits {kind.doc}. A model breaks it when its {name} "
                "is above the limit written under its device's budgets (a warning above "
                "the device's warn: share).",
                "Shrink the model, or change the limit if the device allows more.",
                HELP_URIS["budget"],
            )
        )
        rules.append(
            _rule(
                f"budget.max_increase.{name}",
                f"A model's {name} grew more than its device allows",
                f"max_increase limits how much a model's {name} may grow over the base "
                "revision (check --base): a percentage of the base value or an amount.",
                "Shrink the change, or raise max_increase in the spec if the growth is meant.",
                HELP_URIS["max_increase"],
            )
        )
    return rules


def problem_rules(codes: Iterable[str]) -> list[dict[str, Any]]:
    """`spec.<code>` for every problem code: the spec could not be checked there."""
    return [
        _rule(
            f"spec.{code}",
            f"The spec can't be checked: {code}",
            problem_description(code),
            "Nothing under it was checked: fix the spec at this line (budgetlint exits 2).",
            HELP_URIS["spec"],
            "warning" if code in WARNING_CODES else "error",
        )
        for code in codes
    ]


def _rules(result: Result) -> list[dict[str, Any]]:
    """Every rule budgetlint has, whether this run found it or not; a code the tables
    lack (never expected) is added rather than left without a rule."""
    seen = {problem.code for problem in (*result.problems, *result.warnings)}
    return budget_rules() + problem_rules(sorted({*all_problem_codes(), *seen}))


def _location(position: Position, root: Path) -> dict[str, Any]:
    # a URI reference: spaces, %, # and the like percent-encoded (RFC 3986)
    uri = quote(repo_relative(position.path, root), safe="/")
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": uri, "uriBaseId": "SRCROOT"},
            "region": {"startLine": position.line, "startColumn": position.column},
        }
    }


def render(result: Result, options: RenderOptions) -> str:
    root = repo_root()
    rules = _rules(result)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results: list[dict[str, Any]] = []
    for finding in findings(result):
        found: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": finding.level,
            "message": {"text": finding.message},
            "locations": [_location(finding.position, root)],
        }
        verdict = finding.verdict
        if verdict is not None:
            found["properties"] = {
                "model": verdict.model,
                "device": verdict.device,
                "value": verdict.value,
                "limit": verdict.limit,
            }
        results.append(found)
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "budgetlint",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": root.as_uri() + "/"}},
                "results": results,
            }
        ],
    }
    return json_for_logs(json.dumps(document, indent=2)) + "\n"
