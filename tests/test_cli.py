"""The command line, through main(argv) as the console script calls it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from budgetlint.spec.schema import build_schema
from tests.conftest import ROOT

MOBILE = ROOT / "specs" / "mobile.yaml"


def test_check_shipped_example_passes(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("check", str(MOBILE))
    assert (run.code, run.err) == (0, "")
    assert "all hold" in run.out


def tightened(write, budget_line: str, replacement: str) -> Path:  # type: ignore[no-untyped-def]
    text = MOBILE.read_text()
    assert budget_line in text
    spec = write("specs/mobile.yaml", text.replace(budget_line, replacement))
    for name in ("lenet", "mobilenet_v2", "resnet18", "resnet50", "blocks/common"):
        write(f"specs/zoo/{name}.yaml", (ROOT / "specs" / "zoo" / f"{name}.yaml").read_text())
    return spec


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_broken_budget_names_model_device_budget_value_limit_and_line(write, cli) -> None:  # type: ignore[no-untyped-def]
    spec = tightened(write, "      params: 30M", "      params: 20M")
    line = line_of(spec, "params: 20M")
    run = cli("check", str(spec))
    assert run.code == 1
    (broken,) = [text for text in run.out.splitlines() if "error:" in text]
    assert broken.startswith(
        f"{spec}:{line}:15: error: resnet50 breaks the params budget of edge-gpu"
    )
    assert "value 25,557,032, limit 20,000,000, over by 5,557,032" in broken

    data = cli("check", str(spec), "--format", "json").json()
    (verdict,) = [v for v in data["verdicts"] if not v["ok"]]
    assert verdict == {
        "model": "resnet50",
        "device": "edge-gpu",
        "budget": "params",
        "kind": "limit",
        "rule": "budget.params",
        "value": 25_557_032,
        "limit": 20_000_000,
        "headroom": 20_000_000 - 25_557_032,
        "base": None,
        "warn_at": None,
        "status": "over",
        "ok": False,
        "file": str(spec),
        "line": line,
        "column": 15,
    }
    assert data["exit_code"] == 1


def test_size_budget_uses_the_device_dtype(write, cli) -> None:  # type: ignore[no-untyped-def]
    # mobilenet_v2 on phone-npu (int8): 1 byte × (3,504,872 params + 34,112 BN buffers)
    spec = tightened(write, "      size: 8MB", "      size: 3.5MB")
    data = cli("check", str(spec), "--format", "json").json()
    (verdict,) = [v for v in data["verdicts"] if not v["ok"]]
    assert (verdict["model"], verdict["device"], verdict["value"]) == (
        "mobilenet_v2",
        "phone-npu",
        1 * (3_504_872 + 34_112),
    )


def test_int4_packs_two_values_per_byte(write, cli) -> None:  # type: ignore[no-untyped-def]
    spec = write(
        "s.yaml",
        """
        version: 1
        devices:
          tiny: {dtype: int4, budgets: {size: 1B}}
        models:
          m: {devices: [tiny], input: [1, 3], layers: [linear: {out: 1}]}
        """,
    )
    (verdict,) = cli("check", str(spec), "--format", "json").json()["verdicts"]
    assert verdict["value"] == -(-(3 * 1 + 1) * 4 // 8)  # 4 params × 4 bits, rounded up to bytes


def test_json_is_alone_on_stdout_even_with_problems(write, cli) -> None:  # type: ignore[no-untyped-def]
    bad = write("bad.yaml", "version: 1\nlayers: [nope]\ninput: [1]\n")
    run = cli("check", str(bad), "--format", "json")
    data = json.loads(run.out)
    assert run.code == 2 and data["exit_code"] == 2
    assert data["problems"][0]["message"].startswith("unknown op or block 'nope'")
    assert run.err.startswith(f"{bad}:2:10: unknown op or block 'nope'")


def test_problems_in_one_file_do_not_hide_another(write, cli) -> None:  # type: ignore[no-untyped-def]
    bad = write("bad.yaml", "version: 2\n")
    run = cli("check", str(bad), str(MOBILE))
    assert run.code == 2
    # mobile.yaml's budgets are all judged; the summary says what was not (issue 8)
    summary = run.out.splitlines()[-1]
    assert summary.startswith("15 budgets checked on 4 models: none broken; 1 file not checked")
    assert "all hold" not in run.out
    assert f"{bad}:1:10: version: 1 was expected" in run.err


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing.yaml", "no such file"),
        (lambda tmp: tmp, "is a directory, not a YAML file"),
    ],
)
def test_missing_file_and_directory(tmp_path: Path, cli, make, message: str) -> None:  # type: ignore[no-untyped-def]
    target = make(tmp_path)
    run = cli("check", str(target))
    assert run.code == 2
    assert run.err == f"{target}:1:1: {message}\n"


def test_report_architecture_file_with_input_option(write, cli) -> None:  # type: ignore[no-untyped-def]
    arch = write("a.yaml", "version: 1\nlayers: [conv2d: {out: 8, kernel: 3, bias: false}]\n")
    assert cli("report", str(arch)).code == 2
    run = cli("report", str(arch), "--input", "1,3,10,10", "--format", "json")
    (model,) = run.json()["models"]
    assert model["totals"]["macs"] == 8 * 8 * 8 * 3 * 3 * 3
    assert model["layers"][0]["input_shape"] == [1, 3, 10, 10]


@pytest.mark.parametrize("bad", ["1,three", "0,3", "", "1,x", "1,,3"])
def test_bad_input_option(write, cli, bad: str) -> None:  # type: ignore[no-untyped-def]
    arch = write("a.yaml", "version: 1\nlayers: [relu]\n")
    run = cli("report", str(arch), "--input", bad)
    assert run.code == 2
    assert "Traceback" not in run.err


def test_report_one_model_of_a_budget_file(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("report", str(MOBILE), "--model", "lenet")
    assert run.code == 0
    assert run.out.startswith("lenet  (")
    assert "mobilenet_v2" not in run.out
    assert cli("report", str(MOBILE), "--model", "lenett").code == 2


def test_report_text_is_a_layer_table(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "200")  # every column: a terminal this wide shows them all
    run = cli("report", str(ROOT / "specs" / "zoo" / "lenet.yaml"), "--convention", "paddle")
    lines = [line for line in run.out.splitlines() if line]
    assert lines[1].split()[:9] == [
        "Layer",
        "Op",
        "Input",
        "Shape",
        "Output",
        "Shape",
        "Params",
        "MACs",
        "FLOPs",
    ]
    total = next(line for line in lines if line.startswith("total"))
    assert total.split()[:4] == ["total", "61,610", "341,256", "347,560"]


def test_schema_command_prints_the_schema(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("schema")
    assert run.code == 0
    assert json.loads(run.out) == build_schema()


def test_usage_errors_exit_2(cli, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    run = cli("check")  # no files given and none configured
    # positioned at the file where the specs would be configured (issue 9)
    assert (run.code, run.err) == (
        2,
        "pyproject.toml:1:1: no spec matches specs/**/*.yaml, specs/**/*.yml (from defaults)\n",
    )
    assert cli("frobnicate").code == 2
    assert cli("check", str(MOBILE), "--format", "xml").code == 2
    assert cli("check", str(MOBILE), "--convention", "nope").code == 2


def test_help_exits_0(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("--help")
    assert run.code == 0
    assert "check" in run.out and "report" in run.out and "schema" in run.out


def test_python_dash_m(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "budgetlint", "check", str(MOBILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_a_model_exactly_at_its_limit_passes(write, cli) -> None:  # type: ignore[no-untyped-def]
    # linear 4099 → 1000 has 4099·1000 + 1000 = 4,100,000 params; int8 size is the same in bytes
    spec = write(
        "edge.yaml",
        """
        version: 1
        devices: {d: {dtype: int8, budgets: {params: 4.1M, size: 4.1MB}}}
        models: {m: {devices: [d], input: [1, 4099], layers: [linear: {out: 1000}]}}
        """,
    )
    run = cli("check", str(spec))
    assert run.code == 0, run.out


@pytest.mark.parametrize("limit", [".nan", ".inf", "'1e400'"])
def test_limits_must_be_finite(write, cli, limit: str) -> None:  # type: ignore[no-untyped-def]
    spec = write(
        "nan.yaml",
        f"version: 1\ndevices: {{d: {{budgets: {{params: {limit}}}}}}}\n"
        "models: {m: {devices: [d], input: [1, 4], layers: [relu]}}\n",
    )
    run = cli("check", str(spec), "--format", "json")
    assert run.code == 2
    json.loads(run.out)  # still valid JSON: no NaN or Infinity


def test_a_fifo_is_refused_not_read(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    run = cli("check", str(fifo))
    assert (run.code, run.err) == (2, f"{fifo}:1:1: is not a regular file\n")


def test_huge_values_are_refused(write, cli) -> None:  # type: ignore[no-untyped-def]
    spec = write(
        "big.yaml",
        """
        version: 1
        input: [1, 4]
        blocks: {b: {params: {n: 10}, layers: [linear: {out: "${(n ** 9) ** 2}"}]}}
        layers: [b]
        """,
    )
    run = cli("report", str(spec))
    assert run.code == 2
    assert "is larger than 2,147,483,647" in run.err or "too large" in run.err


def test_too_many_layers_points_at_the_file(write, cli) -> None:  # type: ignore[no-untyped-def]
    spec = write("many.yaml", "version: 1\ninput: [1, 4]\nlayers:\n" + "  - relu\n" * 100_001)
    run = cli("report", str(spec))
    assert run.code == 2
    assert run.err.startswith(f"{spec}:100004:5: more than 100,000 layers")


def test_line_breaks_in_names_stay_on_one_line(write, cli) -> None:  # type: ignore[no-untyped-def]
    spec = write(
        "evil.yaml",
        """
        version: 1
        input: [1, 3, 4, 4]
        layers:
          - name: "evil\\n::error file=pwn.py,line=1::injected"
            conv2d: {out: 4, kernel: 9}
        """,
    )
    for output in ("text", "github", "markdown"):
        run = cli("check", str(spec), "--format", output)
        assert run.code == 2
        lines = (run.out + run.err).splitlines()
        assert not any(line.startswith("::error file=pwn.py") for line in lines), output
    assert cli("check", str(spec)).err.count("\n") == 1


def test_an_unwritable_step_summary_does_not_hide_the_verdict(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", "/nonexistent/summary.md")
    run = cli("check", str(MOBILE))
    assert run.code == 0
    assert "can't write the step summary" in run.err


def test_sort_by_latency_needs_a_device(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("report", str(ROOT / "specs" / "zoo" / "lenet.yaml"), "--sort", "latency")
    assert run.code == 2 and "needs --device" in run.err


def test_configured_specs_from_a_subfolder_and_absolute_globs(cli, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text("version: 1\ninput: [1, 4]\nlayers: [relu]\n")
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.budgetlint]\nspecs = ["{(tmp_path / "specs" / "a.yaml").as_posix()}"]\n'
    )
    monkeypatch.chdir(tmp_path / "specs")
    data = cli("check", "--format", "json").json()
    assert data["files"] == ["a.yaml"]


# ---- issue 8, point 6: whatever could not be checked is said, never "all hold"

DROPPED = """
version: 1
devices:
  phone:
    dtype: int8
    budgets: {params: 1M, gmacs: 60M, size: 8 MBs}
models:
  net:
    input: [1, 3, 32, 32]
    devices: [phone]
    layers: [conv2d: {out: 16, kernel: 3}, flatten, linear: {out: 10}]
"""


def test_a_budget_dropped_by_a_spec_error_is_counted_in_the_summary(write, cli) -> None:  # type: ignore[no-untyped-def]
    spec = write("s.yaml", DROPPED)
    run = cli("check", str(spec))
    assert run.code == 2
    summary = run.out.splitlines()[-1]
    # params is judged; gmacs and size could not be read
    assert summary == (
        "1 budget checked on 1 model: none broken; 2 budgets not checked "
        "(2 problems reported: budget.unit)"
    )
    data = cli("check", str(spec), "--format", "json").json()
    assert data["unchecked"] == {"budgets": 2, "models": 0, "devices": 0, "files": 0}
    markdown = cli("check", str(spec), "--format", "markdown").out
    assert "all" not in markdown.splitlines()[0] and "2 budgets not checked" in markdown


def test_a_model_that_cant_be_evaluated_is_counted_with_its_budgets(write, cli) -> None:  # type: ignore[no-untyped-def]
    spec = write(
        "s.yaml",
        """
        version: 1
        devices:
          a: {budgets: {params: 1M, macs: 1G}}
          b: {budgets: {size: 1MB}}
        models:
          good: {input: [1, 4], devices: [a], layers: [linear: {out: 2}]}
          bad: {input: [1, 3, 2, 2], devices: [a, b], layers: [conv2d: {out: 4, kernel: 5}]}
        """,
    )
    run = cli("check", str(spec))
    assert run.code == 2
    # bad targets a (2 budgets) and b (1 budget): 3 budgets of 1 model
    assert run.out.splitlines()[-1] == (
        "2 budgets checked on 1 model: none broken; 3 budgets and 1 whole model not checked "
        "(1 problem reported: shape)"
    )


def test_nothing_checked_at_all_is_said(write, cli) -> None:  # type: ignore[no-untyped-def]
    spec = write(
        "s.yaml",
        "version: 1\ndevices: {d: {}}\nmodels: {m: {input: [1, 4], devices: [d], layers: []}}\n",
    )
    run = cli("check", str(spec))
    assert run.code == 2
    assert run.out.splitlines()[-1] == (
        "no budget checked: 1 whole model not checked (1 problem reported: model.empty)"
    )


def test_yml_specs_are_found_like_yaml(write, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The default globs take both extensions (issue 8, point 3)."""
    spec = write(
        "specs/edge.yml", DROPPED.replace("params: 1M, gmacs: 60M, size: 8 MBs", "params: 1k")
    )
    monkeypatch.chdir(spec.parent.parent)
    run = cli("check")
    assert run.code == 1
    assert "specs/edge.yml:5:" in run.out


def test_version_is_the_package_version(cli) -> None:  # type: ignore[no-untyped-def]
    from importlib.metadata import version

    from budgetlint import __version__

    run = cli("--version")
    assert (run.code, run.out, run.err) == (0, f"budgetlint {__version__}\n", "")
    assert version("budgetlint") == __version__


@pytest.mark.parametrize("output", ["text", "json", "sarif", "markdown", "github"])
def test_output_file_holds_what_stdout_would(cli, tmp_path, monkeypatch, output) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "300")  # the same tables whether fitted or not
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    target = tmp_path / f"out.{output}"
    written = cli("check", str(MOBILE), "--format", output, "--output", str(target))
    printed = cli("check", str(MOBILE), "--format", output)
    assert (written.code, written.out) == (0, "")
    assert target.read_text() == printed.out
    assert [path.name for path in tmp_path.iterdir()] == [target.name]  # no temporary left


def test_output_file_is_replaced_by_rename_not_rewritten(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out.json"
    target.write_text("old")
    reader = tmp_path / "reader.json"
    reader.hardlink_to(target)  # one who opened the old file keeps seeing it whole
    assert cli("check", str(MOBILE), "-f", "json", "-o", str(target)).code == 0
    assert reader.read_text() == "old"
    assert json.loads(target.read_text())["exit_code"] == 0


def test_output_file_that_cant_be_written_is_one_line_and_exit_2(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "missing" / "out.json"
    run = cli("check", str(MOBILE), "-f", "json", "-o", str(target))
    assert run.code == 2
    assert run.err.startswith(f"{target}: can't write: ") and run.err.count("\n") == 1


def test_schema_output_writes_the_schema(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "budgetlint.schema.json"
    assert cli("schema", "-o", str(target)).code == 0
    assert json.loads(target.read_text()) == build_schema()


@pytest.mark.parametrize("output", ["text", "github"])
def test_quiet_prints_only_broken_budgets(write, cli, monkeypatch, output) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert cli("check", str(MOBILE), "--quiet", "-f", output).out == ""
    spec = tightened(write, "      params: 30M", "      params: 20M")
    run = cli("check", str(spec), "--quiet", "-f", output)
    assert run.code == 1
    verbose = cli("check", str(spec), "-f", output).out.splitlines()
    if output == "text":
        assert run.out.splitlines() == [line for line in verbose if ": error: " in line]
    else:
        (annotation,) = [line for line in run.out.splitlines() if line.startswith("::error ")]
        assert annotation in verbose
        assert "model" not in run.out and "all hold" not in run.out


@pytest.mark.parametrize("columns", [60, 80, 100, 120])
@pytest.mark.parametrize(
    "args",
    [
        ("check", "specs/mobile.yaml"),
        ("check", "specs/edge.yaml"),
        ("report", "specs/zoo/resnet18.yaml"),
        ("report", "specs/edge.yaml", "--device", "orin-int8"),
    ],
)
def test_tables_fit_the_terminal_width(cli, monkeypatch, columns, args) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.chdir(ROOT)
    run = cli(*args)
    assert run.code == 0, run.err
    too_wide = [line for line in run.out.splitlines() if len(line) > columns]
    assert not too_wide


def test_tables_default_to_100_columns(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("COLUMNS", raising=False)
    run = cli("report", str(ROOT / "specs" / "zoo" / "resnet18.yaml"))
    assert max(len(line) for line in run.out.splitlines()) <= 100
    monkeypatch.setenv("COLUMNS", "300")
    assert (
        max(
            len(line)
            for line in cli("report", str(ROOT / "specs/zoo/resnet18.yaml")).out.splitlines()
        )
        > 100
    )


def test_narrow_check_keeps_model_device_budget_and_status(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "60")
    lines = cli("check", str(MOBILE)).out.splitlines()
    assert lines[0].split() == ["model", "device", "budget", "value", "limit", "status"]
    assert "(not shown, to fit 60 columns: used)" in lines


def test_shell_completion_script_names_the_program(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("--show-completion", "bash")
    assert run.code == 0
    assert "_BUDGETLINT_COMPLETE" in run.out and "complete" in run.out


def test_quiet_leaves_out_near_limits_unless_strict(write, cli) -> None:  # type: ignore[no-untyped-def]
    # resnet50 has 25,557,032 params against 30M: 85%, above a warn share of 80%
    device = "    dtype: float16\n    budgets:\n"
    spec = tightened(write, device, "    dtype: float16\n    warn: 80%\n    budgets:\n")
    assert any(": warning: " in line for line in cli("check", str(spec)).out.splitlines())
    assert cli("check", str(spec), "--quiet").out == ""
    strict = cli("check", str(spec), "--quiet", "--strict")
    assert strict.code == 1
    assert strict.out and all(": warning: " in line for line in strict.out.splitlines())
