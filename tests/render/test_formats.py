"""github, sarif and markdown output, on a spec whose broken lines are known."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from budgetlint.render.formats import FORMATS, Format
from budgetlint.render.github import MAX_ANNOTATIONS, escape_data, escape_property
from tests.conftest import ROOT

SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"

# lenet: 61,610 params; 341,256 MACs. Line 6 breaks params, line 7 warns on macs.
SPEC = """
version: 1
devices:
  mcu:
    warn: 90%
    budgets:
      params: 60k
      macs: 350k
models:
  lenet:
    arch: lenet.yaml
    devices: [mcu]
"""


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "lenet.yaml").write_text((ROOT / "specs/zoo/lenet.yaml").read_text())
    path = tmp_path / "specs" / "budgets.yaml"
    path.write_text(SPEC.lstrip("\n"))
    return Path("specs/budgets.yaml")


@pytest.mark.parametrize("output", ["text", "json", "github", "sarif", "markdown"])
def test_exit_codes_hold_in_every_format(spec: Path, cli, output: str, write) -> None:  # type: ignore[no-untyped-def]
    assert cli("check", str(spec), "--format", output).code == 1
    ok = spec.read_text().replace("60k", "70k").replace("350k", "1M")
    spec.write_text(ok)
    assert cli("check", str(spec), "--format", output).code == 0
    bad = Path("bad.yaml")
    bad.write_text("version: 1\nmodels: 3\n")
    assert cli("check", str(bad), "--format", output).code == 2


def test_github_annotations_name_file_and_line(spec: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("check", str(spec), "--format", "github")
    lines = run.out.splitlines()
    assert lines[0] == "::group::budgetlint specs/budgets.yaml"
    error = next(line for line in lines if line.startswith("::error "))
    warning = next(line for line in lines if line.startswith("::warning "))
    assert error.startswith(
        "::error file=specs/budgets.yaml,line=6,col=15,title=lenet%3A params over budget of mcu::"
    )
    assert "lenet breaks the params budget of mcu: 61.6k > 60.0k" in error
    # 341,256 MACs is 97.5% (shown 98%) of 350k: above the 90% warning level
    assert warning.startswith("::warning file=specs/budgets.yaml,line=7,col=13,")
    assert "98%25 of the macs budget" in warning
    assert "::endgroup::" in lines


def test_github_is_chosen_under_actions_and_writes_the_summary(
    spec: Path, cli, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = cli("check", str(spec))
    assert run.out.startswith("::group::")
    written = summary.read_text()
    assert written.startswith("earlier step\n## budgetlint: 1 of 2 budgets broken")


def test_github_caps_annotations_and_logs_the_rest(tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    devices = "".join(f"  d{i}: {{budgets: {{params: 1}}}}\n" for i in range(12))
    targets = ", ".join(f"d{i}" for i in range(12))
    Path("s.yaml").write_text(
        f"version: 1\ndevices:\n{devices}models:\n"
        f"  m: {{devices: [{targets}], input: [1, 4], layers: [linear: {{out: 2}}]}}\n"
    )
    lines = cli("check", "s.yaml", "--format", "github").out.splitlines()
    assert sum(line.startswith("::error ") for line in lines) == MAX_ANNOTATIONS
    logged = [line for line in lines if re.match(r"s\.yaml:\d+:\d+: error: ", line)]
    assert len(logged) == 12 - MAX_ANNOTATIONS


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("100% done", "100%25 done", "100%25 done"),
        ("a\nb\r", "a%0Ab%0D", "a%0Ab%0D"),
        ("x: y, z", "x: y, z", "x%3A y%2C z"),
    ],
)
def test_github_escaping(raw: str, data: str, prop: str) -> None:
    assert (escape_data(raw), escape_property(raw)) == (data, prop)


def test_sarif_validates_against_the_official_schema(spec: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from jsonschema import Draft4Validator

    document = cli("check", str(spec), "--format", "sarif").json()
    Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(document)
    (run,) = document["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert {"budget.params", "budget.gflops", "budget.size", "budget.max_increase.params"} <= set(
        rules
    )
    results = {result["ruleId"]: result for result in run["results"]}
    params = results["budget.params"]
    assert params["level"] == "error"
    assert rules[params["ruleIndex"]] == "budget.params"
    location = params["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "specs/budgets.yaml"
    assert location["region"] == {"startLine": 6, "startColumn": 15}
    assert results["budget.macs"]["level"] == "warning"


def test_sarif_spec_errors_have_stable_rule_ids(tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from jsonschema import Draft4Validator

    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text("version: 1\ninput: [1, 4]\nlayers: [relux]\n")
    document = cli("check", "bad.yaml", "--format", "sarif").json()
    Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(document)
    (result,) = document["runs"][0]["results"]
    assert result["ruleId"] == "spec.layer.unknown_op"
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3,
        "startColumn": 10,
    }


def test_markdown_summary_renders(spec: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from markdown_it import MarkdownIt

    source = cli("check", str(spec), "--format", "markdown").out
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0] == "budgetlint: 1 of 2 budgets broken"
    cells = [
        t.content
        for i, t in enumerate(tokens)
        if t.type == "inline" and tokens[i - 1].type in ("th_open", "td_open")
    ]
    first_table = cells[: 6 * 3]
    assert first_table[:6] == ["model", "device", "budget", "value", "limit", "status"]
    assert first_table[6:12] == ["lenet", "mcu", "params", "61.6k", "60.0k", "❌ over"]
    assert first_table[12:18] == ["lenet", "mcu", "macs", "341k", "350k", "⚠️ near"]
    # usage bars: 61,610 / 60,000 → full bar, 103%; 341,256 / 350,000 → 10 cells, 98%
    assert "`██████████ 103%`" in cells
    assert "`██████████ 98%`" in cells


TWO_LAYER = """
version: 1
devices: {{d: {{budgets: {{params: 100}}}}}}
models:
  m: {{devices: [d], input: [1, 4], layers: [linear: {{out: {out}}}]}}
"""


def test_markdown_with_base_has_base_head_delta(tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from markdown_it import MarkdownIt

    from tests.gitrepo import Repo

    repo = Repo(tmp_path / "r")
    repo.write("s.yaml", TWO_LAYER.format(out=2))
    repo.commit("one")
    repo.write("s.yaml", TWO_LAYER.format(out=4))
    monkeypatch.chdir(repo.root)
    source = cli("check", "s.yaml", "--base", "HEAD", "--format", "markdown").out
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    cells = [
        t.content
        for i, t in enumerate(tokens)
        if t.type == "inline" and tokens[i - 1].type in ("th_open", "td_open")
    ]
    assert cells[:8] == ["model", "device", "budget", "base", "head", "delta", "limit", "status"]
    # params 4·2+2 = 10 → 4·4+4 = 20
    assert cells[8:16] == ["m", "d", "params", "10", "20", "+100.0%", "100", "✅ ok"]


def test_a_warning_alone_is_visible_in_github_and_markdown(spec: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """A commit or a pull request that passes still shows its warnings (issue 8, point 9)."""
    spec.write_text(spec.read_text().replace("60k", "70k"))  # params hold; macs still warns
    github = cli("check", str(spec), "--format", "github")
    assert github.code == 0
    (warning,) = [line for line in github.out.splitlines() if line.startswith("::warning ")]
    assert "file=specs/budgets.yaml,line=7," in warning
    markdown = cli("check", str(spec), "--format", "markdown")
    assert markdown.code == 0
    assert markdown.out.splitlines()[0].endswith("1 near the limit")
    (finding,) = [line for line in markdown.out.splitlines() if line.startswith("- `specs/")]
    assert finding.startswith("- `specs/budgets.yaml:7:") and "⚠️ lenet uses" in finding


RENDER_PACKAGE = ROOT / "budgetlint" / "render"
RENDERER_MODULES = {row.module for row in FORMATS.values()}


def test_every_renderer_module_is_a_format() -> None:
    """A module of budgetlint/render with a render() is a row of FORMATS, and back."""
    defines_render = {
        path.stem
        for path in RENDER_PACKAGE.glob("*.py")
        if re.search(r"^def render\(", path.read_text(), re.M)
    }
    assert defines_render == RENDERER_MODULES


@pytest.mark.parametrize("row", FORMATS.values(), ids=FORMATS)
def test_every_format_renders_with_options(row: Format) -> None:
    parameters = list(inspect.signature(row.renderer()).parameters)
    assert parameters == ["result", "options"]


@pytest.mark.parametrize("command", ["check", "report"])
def test_every_format_is_offered(cli, command: str) -> None:  # type: ignore[no-untyped-def]
    shown = cli(command, "--help").out
    offered = re.search(r"[<\[]([a-z|]+)[>\]]", shown[shown.index("--format") :])
    assert offered is not None
    assert offered.group(1).split("|") == list(FORMATS)
    assert cli(command, "-f", "nonsense", str(ROOT / "specs" / "mobile.yaml")).code == 2


def _renderers_imported(*args: str) -> set[str]:
    program = (
        "import sys\nfrom budgetlint.cli import main\n"
        f"main({list(args)!r})\n"
        "sys.stderr.write('\\n' + ' '.join(sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=False
    )
    loaded = set(done.stderr.splitlines()[-1].split())
    assert "budgetlint.cli" in loaded, done.stderr
    return {module for module in RENDERER_MODULES if f"budgetlint.render.{module}" in loaded}


@pytest.mark.parametrize(
    ("args", "renderers"),
    [
        (("--help",), set()),
        (("check", "--help"), set()),
        (("check", "-f", "sarif", "specs/mobile.yaml"), {"sarif"}),
        (("check", "-f", "json", "specs/mobile.yaml"), {"json_format"}),
    ],
)
def test_only_the_chosen_renderer_is_imported(args: tuple[str, ...], renderers: set[str]) -> None:
    assert _renderers_imported(*args) == renderers


def test_the_readme_names_formats_by_the_table() -> None:
    """No hand-kept partial list of formats: `--format a|b` in the README is verify's own
    pair (text|json); the others say FORMAT and link the generated table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"--format ([a-z]+(?:\|[a-z]+)+)", readme)
    assert listed == ["text|json"]
    assert "budgetlint verify [FILE...] [--against MODEL] [--model NAME] [--format text|json]" in (
        readme
    )
    assert "[Output formats](#output-formats)" in readme
