"""SARIF rules: every one listed, each with what GitHub code scanning requires; the
official validator with GitHub's rules, where .ci/run installed it."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from budgetlint.device import BUDGET_KINDS
from budgetlint.render.sarif import budget_rules, problem_rules
from budgetlint.rules import PROBLEM_CODES, SCHEMA_KEYWORDS, all_problem_codes
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
MOBILE = ROOT / "specs" / "mobile.yaml"
MULTITOOL_PREFIX = ROOT / ".ci" / ".npm"  # npm install --prefix .ci/.npm (.ci/run does it)
MULTITOOL = MULTITOOL_PREFIX / "node_modules" / "@microsoft" / "sarif-multitool"


def slug(heading: str) -> str:
    """GitHub's anchor for a README heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


ANCHORS = {slug(h) for h in re.findall(r"^#+ (.+)$", README, re.M)}


def sarif_of(cli, *args: str):  # type: ignore[no-untyped-def]
    return cli("check", *args, "--format", "sarif").json()


def test_every_rule_is_listed_whatever_the_run_found(cli) -> None:  # type: ignore[no-untyped-def]
    rules = sarif_of(cli, str(MOBILE))["runs"][0]["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    expected = {f"budget.{name}" for name in BUDGET_KINDS}
    expected |= {f"budget.max_increase.{name}" for name in BUDGET_KINDS}
    expected |= {f"spec.{code}" for code in PROBLEM_CODES}
    expected |= {f"spec.schema.{keyword}" for keyword in SCHEMA_KEYWORDS}
    assert set(ids) == expected


@pytest.mark.parametrize(
    "rule", budget_rules() + problem_rules(all_problem_codes()), ids=lambda rule: rule["id"]
)
def test_every_rule_has_descriptions_help_and_a_readme_link(rule) -> None:  # type: ignore[no-untyped-def]
    assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
    assert rule["fullDescription"]["text"] in rule["help"]["text"]
    assert rule["fullDescription"]["text"] in rule["help"]["markdown"]
    page, _, anchor = rule["helpUri"].partition("#")
    assert page == "https://github.com/budgetlint/budgetlint"
    assert anchor in ANCHORS
    assert f"]({rule['helpUri']})" in rule["help"]["markdown"]
    assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", rule["name"])


def test_a_spec_problem_points_at_its_rule(tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text("version: 1\ninput: [1, 4]\nlayers: [relux]\n")
    run = sarif_of(cli, "bad.yaml")["runs"][0]
    (result,) = run["results"]
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def _raised_codes() -> dict[str, str]:
    """Each problem code the package passes to fail() or Problem() as a literal (or as
    an f-string's fixed prefix), with where."""
    codes = {}
    for path in (ROOT / "budgetlint").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            if getattr(node.func, "id", getattr(node.func, "attr", "")) not in ("fail", "Problem"):
                continue
            code = node.args[1]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                codes[code.value] = where
            elif isinstance(code, ast.JoinedStr) and isinstance(code.values[0], ast.Constant):
                codes[str(code.values[0].value) + "*"] = where
    return codes


def test_every_problem_code_raised_has_a_rule() -> None:
    raised = _raised_codes()
    assert "layer.unknown_op" in raised and "schema.*" in raised  # the scan sees them
    missing = {
        code: where
        for code, where in raised.items()
        if code not in PROBLEM_CODES and code != "schema.*"
    }
    assert not missing, "add these codes to budgetlint/rules.py PROBLEM_CODES"


def test_every_schema_keyword_has_a_rule() -> None:
    from budgetlint.spec.schema import build_schema

    keywords: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            keywords.update(key for key in node if not key.startswith("$"))
            for key, value in node.items():
                if key in ("examples", "enum", "const", "default"):
                    continue  # values, not schemas
                if key not in ("properties", "definitions"):
                    walk(value)
                else:
                    for child in value.values():
                        walk(child)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(build_schema())
    annotations = {"title", "description", "markdownDescription", "default", "examples"}
    annotations |= {"patternErrorMessage", "x-budgetlint-quantity"}  # not validators
    structure = {"properties", "definitions", "items", "additionalProperties", "then", "else"}
    assert keywords - annotations - structure - {"if"} <= set(SCHEMA_KEYWORDS) | {"items"}


def _multitool(sarif: Path, output: Path) -> list[dict[str, object]]:
    command = ["npx", "--no", "--", "@microsoft/sarif-multitool", "validate", str(sarif)]
    command += ["--rule-kind", "Gh", "--output", str(output), "--log", "ForceOverwrite"]
    done = subprocess.run(
        command,
        cwd=MULTITOOL_PREFIX,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results: list[dict[str, object]] = json.loads(output.read_text())["runs"][0]["results"]
    return results


@pytest.mark.skipif(
    shutil.which("npx") is None or not MULTITOOL.is_dir(),
    reason="needs npx and `npm install --prefix .ci/.npm @microsoft/sarif-multitool`",
)
def test_github_ingestion_rules_find_no_error(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    broken = tmp_path / "specs" / "mobile.yaml"
    broken.write_text(broken.read_text().replace("      params: 30M", "      params: 20M"))
    for name, spec, code in (("failing", broken, 1), ("passing", MOBILE, 0)):
        sarif = tmp_path / f"{name}.sarif"
        assert cli("check", str(spec), "-f", "sarif", "-o", str(sarif)).code == code
        findings = _multitool(sarif, tmp_path / f"{name}.validation.sarif")
        errors = [finding for finding in findings if finding.get("level") == "error"]
        assert not errors, (name, errors)
