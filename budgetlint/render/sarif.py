"""--format sarif: SARIF 2.1.0 for code-scanning upload.

Rule ids are stable: `budget.<name>` and `budget.max_increase.<name>` for every
budget kind (all listed, used or not), `spec.<code>` for each kind of spec
error found. Locations are repository-relative, on the YAML line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from budgetlint import __version__
from budgetlint.budgets import BUDGETS
from budgetlint.pipeline import Result
from budgetlint.problems import Position
from budgetlint.render.messages import sentence
from budgetlint.render.paths import repo_relative, repo_root

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/budgetlint/budgetlint"


def _rules(result: Result) -> list[dict[str, Any]]:
    rules = []
    for name, kind in BUDGETS.items():
        rules.append(
            {
                "id": f"budget.{name}",
                "name": f"Budget{name.capitalize()}",
                "shortDescription": {"text": f"a model exceeds its device's {name} budget"},
                "fullDescription": {"text": kind.doc},
                "defaultConfiguration": {"level": "error"},
            }
        )
        rules.append(
            {
                "id": f"budget.max_increase.{name}",
                "name": f"MaxIncrease{name.capitalize()}",
                "shortDescription": {
                    "text": f"a model's {name} grew more than its device allows over the base"
                },
                "defaultConfiguration": {"level": "error"},
            }
        )
    for code in sorted({problem.code for problem in (*result.problems, *result.warnings)}):
        rules.append(
            {
                "id": f"spec.{code}",
                "name": "Spec" + "".join(part.capitalize() for part in code.split(".")),
                "shortDescription": {"text": f"the spec can't be checked ({code})"},
                "defaultConfiguration": {"level": "error"},
            }
        )
    return rules


def _location(position: Position, root: Path) -> dict[str, Any]:
    uri = repo_relative(position.path, root)
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": uri, "uriBaseId": "SRCROOT"},
            "region": {"startLine": position.line, "startColumn": position.column},
        }
    }


def render(result: Result, layers: bool) -> str:
    root = repo_root()
    rules = _rules(result)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results: list[dict[str, Any]] = []
    spec_findings = [("error", p) for p in result.problems]
    spec_findings += [("warning", w) for w in result.warnings]
    for level, problem in spec_findings:
        rule = f"spec.{problem.code}"
        results.append(
            {
                "ruleId": rule,
                "ruleIndex": index[rule],
                "level": level,
                "message": {"text": problem.message},
                "locations": [_location(problem.position, root)],
            }
        )
    for verdict in result.verdicts:
        if verdict.status == "ok":
            continue
        results.append(
            {
                "ruleId": verdict.rule,
                "ruleIndex": index[verdict.rule],
                "level": "error" if verdict.status == "over" else "warning",
                "message": {"text": sentence(verdict, result.base_ref)},
                "locations": [_location(verdict.position, root)],
                "properties": {
                    "model": verdict.model,
                    "device": verdict.device,
                    "value": verdict.value,
                    "limit": verdict.limit,
                },
            }
        )
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
    return json.dumps(document, indent=2) + "\n"
