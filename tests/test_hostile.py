"""Hostile input (issue 9): each hole a security and fuzzing probe found, by its mechanism.

Bounds are asserted by counting work and measuring memory, never by the clock.
"""

from __future__ import annotations

import json
import os
import re
import tracemalloc
from pathlib import Path

import pytest

from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import evaluate
from budgetlint.engine.ops.pool import adaptive_window_total
from budgetlint.spec import expander
from budgetlint.spec.expand import read_spec
from budgetlint.spec.expander import MAX_UNROLLED
from budgetlint.spec.expr import evaluate as evaluate_expression
from budgetlint.units import parse_count, parse_time
from tests.conftest import ROOT
from tests.doubling import arch_chain, doubling
from tests.gitrepo import Repo

# --- S1: nothing user-written reaches a GitHub log as a workflow command -------------

# Our own commands, with their properties escaped (no ':' or ',' inside a value).
OUR_COMMANDS = re.compile(
    r"::group::budgetlint [^\r\n]*"
    r"|::endgroup::"
    r"|::(error|warning) file=[^,:]*,line=\d+,col=\d+,title=[^,:]*::.*"
)


def assert_no_injected_command(output: str) -> None:
    for line in output.splitlines():
        assert "##[" not in line, line
        if line.lstrip().startswith("::"):
            assert OUR_COMMANDS.fullmatch(line.lstrip()), line


INJECTED = "e\n::error file=evil.yaml,line=1::INJECTED\n##[error]OLD"


def test_layer_and_architecture_names_are_escaped_in_every_format(write, cli) -> None:  # type: ignore[no-untyped-def]
    spec = write(
        "arch.yaml",
        f"""
        version: 1
        name: {json.dumps("::error::NAME" + INJECTED)}
        input: [1, 3, 8, 8]
        layers:
          - name: {json.dumps(INJECTED)}
            conv2d: {{out: 4, kernel: 3}}
          - name: "::warning::lead"
            relu: ~
        """,
    )
    for command in ("report", "check"):
        for output in ("text", "github", "markdown", "json", "sarif"):
            run = cli(command, str(spec), "--format", output)
            assert run.code == 0, run.err
            assert_no_injected_command(run.out + run.err)


def test_a_spec_file_name_with_line_breaks_is_escaped(tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    name = "x\n::error::INJECTED##[error]y.yaml"
    (tmp_path / name).write_text("version: 1\nmodels: 3\n")  # a schema error: exit 2
    (tmp_path / "::warning::lead.yaml").write_text("version: 1\nmodels: 3\n")
    for spec in (name, "::warning::lead.yaml"):
        for output in ("text", "github", "markdown", "sarif", "json"):
            run = cli("check", spec, "--format", output)
            assert run.code == 2
            assert_no_injected_command(run.out + run.err)
            first = run.err.splitlines()[0]
            assert re.match(r"^\S.*:\d+:\d+: ", first), first


def test_overflow_findings_and_the_group_title_are_escaped(
    tmp_path: Path, cli, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    name = "::error::x\n::error::INJECTED.yaml"
    budgets = ", ".join(f"b{i}: {{budgets: {{params: 1}}}}" for i in range(12))
    targets = ", ".join(f"b{i}" for i in range(12))
    (tmp_path / name).write_text(
        f"version: 1\ndevices: {{{budgets}}}\n"
        f"models:\n  m: {{layers: [linear: {{out: 4}}], input: [1, 4], devices: [{targets}]}}\n"
    )
    run = cli("check", name, "--format", "github")
    assert run.code == 1
    assert_no_injected_command(run.out + run.err)
    assert run.out.count("::error file=") == 10  # the rest are plain lines


# --- S2: arch: and include: stay inside the repository ------------------------------

SECRET = "token: hunter2\npassword: swordfish\n"


@pytest.fixture
def repo_and_outside(tmp_path: Path) -> tuple[Path, Path]:
    repo = Repo(tmp_path / "repo").root
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(SECRET)
    (outside / "layers.yaml").write_text("version: 1\nlayers: [relu]\n")
    (outside / "devices.yaml").write_text("version: 1\ndevices: {d: {budgets: {params: 1G}}}\n")
    os.symlink(outside / "secret.yaml", repo / "link.yaml")
    return repo, outside


def _references(outside: Path) -> list[tuple[str, str]]:
    """(YAML that refers to a file, the file) for each way out of the repository."""
    return [
        (f"arch: {outside / 'secret.yaml'}", "secret"),
        ("arch: ../outside/secret.yaml", "secret"),
        ("arch: sub/../../outside/layers.yaml", "layers"),
        ("arch: link.yaml", "secret"),
        (f"arch: {outside / 'layers.yaml'}", "layers"),
    ]


@pytest.mark.parametrize("index", range(5))
def test_arch_outside_the_repository_is_refused_unread(
    repo_and_outside: tuple[Path, Path], cli, monkeypatch, index: int
) -> None:  # type: ignore[no-untyped-def]
    repo, outside = repo_and_outside
    (repo / "sub").mkdir(exist_ok=True)
    reference, _ = _references(outside)[index]
    spec = repo / "spec.yaml"
    spec.write_text(f"version: 1\nmodels:\n  m: {{{reference}, input: [1, 4], devices: []}}\n")
    monkeypatch.chdir(repo)
    for output in ("text", "json", "github"):
        run = cli("check", "spec.yaml", "--format", output)
        assert run.code == 2
        assert run.err.startswith("spec.yaml:3:"), run.err
        assert "outside the repository" in run.err
        assert "hunter2" not in run.out + run.err and "token" not in run.out + run.err


def test_include_outside_the_repository_is_refused(repo_and_outside, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    repo, outside = repo_and_outside
    (repo / "spec.yaml").write_text(
        f"version: 1\ninclude: [{outside / 'devices.yaml'}, link.yaml]\n"
        "models:\n  m: {layers: [relu], input: [1, 4], devices: [d]}\n"
    )
    monkeypatch.chdir(repo)
    run = cli("check", "spec.yaml")
    assert run.code == 2
    assert run.err.startswith("spec.yaml:2:"), run.err
    assert "outside the repository" in run.err
    assert "hunter2" not in run.out + run.err


def test_without_a_repository_the_specs_folder_is_the_boundary(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "specs" / "zoo").mkdir(parents=True)
    (tmp_path / "other.yaml").write_text("version: 1\nlayers: [relu]\n")
    (tmp_path / "specs" / "zoo" / "net.yaml").write_text("version: 1\nlayers: [relu]\n")
    inside = tmp_path / "specs" / "in.yaml"
    inside.write_text(
        "version: 1\nmodels:\n  m: {arch: zoo/net.yaml, input: [1, 4], devices: []}\n"
    )
    out = tmp_path / "specs" / "out.yaml"
    out.write_text("version: 1\nmodels:\n  m: {arch: ../other.yaml, input: [1, 4], devices: []}\n")
    assert cli("check", str(inside)).code == 0
    run = cli("check", str(out))
    assert run.code == 2 and "outside the repository" in run.err


def test_a_symbolic_link_inside_the_repository_to_a_file_inside_is_read(
    tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    repo = Repo(tmp_path / "r").root
    (repo / "net.yaml").write_text("version: 1\nlayers: [relu]\n")
    os.symlink(repo / "net.yaml", repo / "alias.yaml")
    (repo / "s.yaml").write_text(
        "version: 1\nmodels:\n  m: {arch: alias.yaml, input: [1, 4], devices: []}\n"
    )
    assert cli("check", str(repo / "s.yaml")).code == 0


# --- H1–H5: every input ends, in bounded work and memory ----------------------------


def test_round_with_a_huge_negative_digit_count_is_closed_form() -> None:
    # round(x, n) for n past ±30 is x or 0 for every |x| ≤ 10^18
    assert evaluate_expression("round(1, -99999999)", {}) == 0
    assert evaluate_expression("round(123456, -3)", {}) == 123000
    assert evaluate_expression("round(1.25, 99999999)", {}) == 1.25


@pytest.mark.parametrize(("size", "out"), [(7, 3), (4, 2), (1, 1000), (224, 7), (13, 5)])
def test_adaptive_window_total_in_closed_form(size: int, out: int) -> None:
    windows = sum(-(-((i + 1) * size) // out) - (i * size) // out for i in range(out))
    assert adaptive_window_total(size, out) == windows


def test_adaptive_pool_to_a_billion_rows_costs_no_loop() -> None:
    # n + m − gcd(n, m): 8 + 10^9 − 8 windows per plane, without 10^9 turns
    assert adaptive_window_total(8, 10**9) == 8 + 10**9 - 8


class _Calls:
    """Counts the calls of `owner.name`, patched for the test, and passes them on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
        self.count = 0
        original = getattr(owner, name)

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counting)


class _Counting:
    """Counts the expander's steps while a spec is read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.steps = 0
        original = expander.Expander.count

        def count(unroller: expander.Expander, position, steps: int = 1) -> None:  # type: ignore[no-untyped-def]
            self.steps += steps
            original(unroller, position, steps)

        monkeypatch.setattr(expander.Expander, "count", count)


@pytest.mark.parametrize("kind", ["block", "parallel", "residual", "repeat"])
def test_doubling_expansions_are_counted_and_refused(write, monkeypatch, kind: str) -> None:  # type: ignore[no-untyped-def]
    counter = _Counting(monkeypatch)
    _, problems = read_spec(write("d.yaml", doubling(kind)))
    assert [p.code for p in problems] == ["layer.too_many"]
    assert counter.steps <= MAX_UNROLLED + 100  # refused as soon as the bound is passed


def test_a_chain_of_arch_files_each_used_twice_is_refused(tmp_path: Path, monkeypatch) -> None:
    spec = arch_chain(tmp_path)
    counter = _Counting(monkeypatch)
    _, problems = read_spec(spec)
    assert [p.code for p in problems] == ["layer.too_many"]
    assert counter.steps <= MAX_UNROLLED + 100


def test_the_bound_is_per_model_not_per_file(write, cli) -> None:  # type: ignore[no-untyped-def]
    # two models on a 60,000-layer architecture: each is within the bound
    write(
        "big.yaml",
        "version: 1\nlayers:\n"
        + "  - relu\n" * 30000
        + "  - repeat: {times: 30000, body: [relu]}\n",
    )
    spec = write(
        "two.yaml",
        "version: 1\nmodels:\n"
        "  a: {arch: big.yaml, input: [1, 4], devices: []}\n"
        "  b: {arch: big.yaml, input: [1, 8], devices: []}\n",
    )
    found, problems = read_spec(spec)
    assert problems == [] and found is not None
    assert [len(model.architecture.layers) for model in found.models] == [60000, 60000]


@pytest.mark.parametrize(
    "text",
    [
        "1" * 30000 + "!",
        "1" + " " * 60000 + "!",
        "1." + "1" * 30000 + "e",
    ],
)
def test_long_quantities_are_refused_by_length(text: str) -> None:
    from budgetlint.units import UnitError

    with pytest.raises(UnitError, match="too long"):
        parse_count(text)
    with pytest.raises(UnitError, match="too long"):
        parse_time(text + "s")


def test_a_long_count_attribute_is_a_schema_problem(write, cli) -> None:  # type: ignore[no-untyped-def]
    spec = write(
        "a.yaml", f"version: 1\ninput: [1, 4]\nlayers: [linear: {{out: '1{' ' * 60000}!'}}]\n"
    )
    run = cli("report", str(spec))
    assert run.code == 2 and run.err.startswith(f"{spec}:3:")


def test_wide_parallel_memory_grows_linearly(write) -> None:  # type: ignore[no-untyped-def]
    def peak(branches: int) -> int:
        text = (
            "version: 1\ninput: [1, 4]\nlayers:\n  - parallel:\n      merge: add\n      branches:\n"
        )
        spec, _ = read_spec(write(f"p{branches}.yaml", text + "        - [relu]\n" * branches))
        assert spec is not None
        tracemalloc.start()
        report = evaluate(spec.models[0].architecture, DEFAULT)
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(report.layers) == branches + 1
        return size

    small, large = peak(500), peak(4000)
    # O(N): 8× the branches is about 8× the memory (O(N²) was 64×)
    assert large < 12 * small


# --- C1–C3: no internal error, whatever the input -----------------------------------


def _positioned(run) -> None:  # type: ignore[no-untyped-def]
    assert run.code == 2
    assert "internal error" not in run.err
    assert re.match(r"^[^\s].*:\d+:\d+: \S", run.err), run.err


@pytest.mark.parametrize("output", ["text", "json", "github", "sarif", "markdown"])
def test_huge_input_sizes_are_refused_at_their_line(write, cli, output: str) -> None:  # type: ignore[no-untyped-def]
    spec = write(
        "s.yaml",
        f"version: 1\ndevices: {{d: {{budgets: {{macs: 1G}}}}}}\nmodels:\n"
        f"  m: {{layers: [conv2d: {{out: 8, kernel: 3}}], devices: [d],\n"
        f"      input: [1, 3, {10**400}, 8]}}\n",
    )
    _positioned(cli("check", str(spec), "--format", output))


def test_figures_beyond_ten_to_the_thirty_are_refused_at_the_layer(write, cli) -> None:  # type: ignore[no-untyped-def]
    big = 2**31 - 1
    spec = write(
        "s.yaml",
        f"version: 1\ninput: [{big}, {big}, {big}]\n"
        f"layers:\n  - relu\n  - linear: {{out: {big}}}\n",
    )
    run = cli("report", str(spec), "--format", "json")
    _positioned(run)
    assert run.json()["problems"][0]["line"] == 5  # (2^31)^4 MACs > 10^30


@pytest.mark.parametrize("shape", ["1,3,²,8", "1,3,99999999999,8", "1,3,٣,8", ""])
def test_bad_input_option_is_a_usage_error(write, cli, shape: str) -> None:  # type: ignore[no-untyped-def]
    spec = write("a.yaml", "version: 1\nlayers: [relu]\n")
    run = cli("report", str(spec), "--input", shape)
    assert run.code == 2 and "internal error" not in run.err


def test_sarif_and_github_need_no_git(write, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spec = write(
        "a.yaml",
        "version: 1\ndevices: {d: {budgets: {params: 1}}}\n"
        "models:\n  m: {layers: [linear: {out: 4}], input: [1, 4], devices: [d]}\n",
    )
    monkeypatch.setenv("PATH", "/nonexistent")
    for output in ("sarif", "github"):
        run = cli("check", str(spec), "--format", output)
        assert run.code == 1 and "internal error" not in run.err
    run = cli("check", str(spec), "--base", "HEAD")
    _positioned(run)
    assert "needs git" in run.err


# --- W2, N1–N3 ------------------------------------------------------------------------


def test_a_profile_reached_twice_through_includes_is_one_profile(write, cli) -> None:  # type: ignore[no-untyped-def]
    write("common.yaml", "version: 1\ndevices: {base: {budgets: {params: 1G}}}\n")
    write("lib1.yaml", "version: 1\ninclude: [common.yaml]\n")
    write("lib2.yaml", "version: 1\ninclude: [common.yaml]\n")
    spec = write(
        "s.yaml",
        "version: 1\ninclude: [lib1.yaml, lib2.yaml, common.yaml, common.yaml]\n"
        "models:\n  m: {layers: [relu], input: [1, 4], devices: [base]}\n",
    )
    run = cli("check", str(spec))
    assert run.code == 0, run.err
    # two different profiles of one name are still refused
    write("other.yaml", "version: 1\ndevices: {base: {budgets: {params: 2G}}}\n")
    clash = write(
        "c.yaml",
        "version: 1\ninclude: [common.yaml, other.yaml]\n"
        "models:\n  m: {layers: [relu], input: [1, 4], devices: [base]}\n",
    )
    assert "comes from both" in cli("check", str(clash)).err


def test_a_diamond_of_includes_is_read_once_per_file(write, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    write("l0.yaml", "version: 1\ndevices: {base: {budgets: {params: 1G}}}\n")
    for i in range(1, 40):  # each includes the one below twice: 2^39 paths, 40 files
        write(f"l{i}.yaml", f"version: 1\ninclude: [l{i - 1}.yaml, l{i - 1}.yaml]\n")
    spec = write(
        "s.yaml",
        "version: 1\ninclude: [l39.yaml]\n"
        "models:\n  m: {layers: [relu], input: [1, 4], devices: [base]}\n",
    )
    from budgetlint.spec import devices

    visits = _Calls(monkeypatch, devices, "_definitions")
    found, problems = read_spec(spec)
    assert problems == [] and found is not None and "base" in found.devices
    assert visits.count <= 2 * 41


@pytest.mark.parametrize(
    ("arch", "code"),
    [
        ("layers: [relu]\n", "schema.required"),  # no `version:`: invalid
        ("version: 1\nlayers: [relu\n", "yaml.syntax"),
        ("version: 1\nlayers: [!!python/object:os.system x]\n", "yaml.tag"),
    ],
)
def test_a_broken_file_many_models_read_is_read_once(
    write, cli, monkeypatch, arch: str, code: str
) -> None:  # type: ignore[no-untyped-def]
    from budgetlint.spec import files

    write("arch.yaml", arch)
    models = "".join(
        f"  m{i}: {{input: [1, 4, 4, {i + 1}], devices: [d], arch: arch.yaml}}\n" for i in range(20)
    )
    spec = write(
        "s.yaml", f"version: 1\ndevices:\n  d: {{budgets: {{params: 1G}}}}\nmodels:\n{models}"
    )
    reads = _Calls(monkeypatch, files, "load_document")
    run = cli("check", str(spec), "--format", "json")
    assert run.code == 2
    assert {p["code"] for p in run.json()["problems"]} == {code}
    assert reads.count == 2  # the spec, and the broken file once (not once a model)


def test_broken_budget_figures_are_exact_integers(write, cli) -> None:  # type: ignore[no-untyped-def]
    big = 2**31 - 1
    spec = write(
        "s.yaml",
        f"version: 1\ndevices: {{d: {{budgets: {{params: 1}}}}}}\nmodels:\n  m:\n"
        f"    layers: [conv2d: {{out: {big}, kernel: 1, bias: false}}, "
        f"conv2d: {{out: {big}, kernel: 1, bias: false}}]\n"
        f"    input: [1, 1, 1, 1]\n    devices: [d]\n",
    )
    run = cli("check", str(spec))
    assert run.code == 1
    params = big * 1 + big * big  # conv weights Cout·Cin·1·1, no bias
    assert f"value {params:,}," in run.out
    assert f"over by {params - 1:,}" in run.out


def test_sarif_uris_are_percent_encoded(tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sp").mkdir()
    (tmp_path / "sp" / "my model#1%.yaml").write_text("version: 1\nmodels: 3\n")
    run = cli("check", "sp/my model#1%.yaml", "--format", "sarif")
    uri = run.json()["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"
    ]["uri"]
    assert uri == "sp/my%20model%231%25.yaml"


def test_markdown_escapes_html_and_backticks_everywhere(write, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from markdown_it import MarkdownIt

    spec = write(
        "s.yaml",
        """
        version: 1
        name: "<script>alert(1)</script>`x`"
        input: [1, 4]
        layers: [linear: {out: 4}]
        """,
    )
    write(
        "budget.yaml",
        "version: 1\ndevices: {d: {budgets: {params: 1}}}\nmodels:\n"
        "  m: {arch: s.yaml, devices: [d]}\n",
    )
    for target in (spec, spec.parent / "budget.yaml"):
        source = cli("check", str(target), "--format", "markdown").out
        html = MarkdownIt("commonmark").enable("table").render(source)
        assert "<script>" not in html and "<b>" not in html
    bad = write("b`<b>x</b>`.yaml", "version: 1\nmodels: 3\n")
    source = cli("check", str(bad), "--format", "markdown").out
    html = MarkdownIt("commonmark").enable("table").render(source)
    assert "<b>" not in html


def test_long_numbers_are_shortened_in_messages(write, cli) -> None:  # type: ignore[no-untyped-def]
    spec = write("s.yaml", f"version: 1\ninput: [1, 4]\nlayers: [linear: {{out: {10**400}}}]\n")
    run = cli("report", str(spec))
    _positioned(run)
    assert len(run.err.splitlines()[0]) < 200


def test_a_long_extends_chain_is_refused(write, cli) -> None:  # type: ignore[no-untyped-def]
    chain = "".join(f"  d{i}: {{extends: d{i - 1}}}\n" for i in range(1, 40))
    spec = write("s.yaml", f"version: 1\ndevices:\n  d0: {{budgets: {{params: 1G}}}}\n{chain}")
    run = cli("check", str(spec))
    _positioned(run)
    assert "extends more than 16 deep" in run.err


# --- S3: a rename does not dodge max_increase -----------------------------------------

GROWTH_SPEC = """
version: 1
devices:
  d:
    budgets: {{params: 1G}}
    max_increase: {{params: 1%}}
models:
  m: {{layers: [linear: {{out: {out}}}], input: [1, 4], devices: [d]}}
"""


@pytest.mark.parametrize("rename", [False, True])
def test_growth_is_checked_across_a_rename(tmp_path: Path, cli, monkeypatch, rename: bool) -> None:  # type: ignore[no-untyped-def]
    repo = Repo(tmp_path / "r")
    repo.write("specs/old.yaml", GROWTH_SPEC.format(out=4))
    repo.commit("one")
    name = "specs/old.yaml"
    if rename:
        repo.git("mv", "specs/old.yaml", "specs/new.yaml")
        name = "specs/new.yaml"
    repo.write(name, GROWTH_SPEC.format(out=400))  # 100× the params against a 1% cap
    repo.commit("two")
    monkeypatch.chdir(repo.root)
    run = cli("check", name, "--base", "HEAD~1", "--strict", "--format", "json")
    assert run.code == 1, run.err
    increase = [v for v in run.json()["verdicts"] if v["kind"] == "increase"]
    # linear 4 → 4: 4·4+4 = 20 params; 4 → 400: 4·400+400 = 2000
    assert [(v["base"], v["value"], v["ok"]) for v in increase] == [(20, 2000 - 20, False)]


def test_a_sweep_of_one_architecture_is_expanded_and_evaluated_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from budgetlint import pipeline

    shutil.copytree(ROOT / "specs" / "zoo", tmp_path / "zoo")
    models = "".join(
        f"  m{i}: {{arch: zoo/mobilenet_v2.yaml, input: [1, 3, 224, 224], devices: [d, d]}}\n"
        for i in range(1000)
    )
    spec = tmp_path / "sweep.yaml"
    spec.write_text(f"version: 1\ndevices: {{d: {{budgets: {{params: 5M}}}}}}\nmodels:\n{models}")
    counter = _Counting(monkeypatch)
    evaluations = _Calls(monkeypatch, pipeline, "evaluate")
    result = pipeline.run([spec])
    assert result.exit_code == 0, result.problems
    assert len(result.verdicts) == 1000  # a device listed twice is judged once
    assert {v.value for v in result.verdicts} == {3_504_872}  # torchvision's mobilenet_v2
    assert evaluations.count == 1
    one_model = counter.steps - 999  # every other model costs one step
    assert 0 < one_model < 2_000


def test_judging_work_is_bounded_too(write, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from budgetlint import pipeline

    monkeypatch.setattr(pipeline, "MAX_LAYERS_JUDGED", 10)  # 4 layers: two devices fit
    devices = "".join(f"  d{i}: {{budgets: {{params: 1G}}}}\n" for i in range(5))
    targets = ", ".join(f"d{i}" for i in range(5))
    spec = write(
        "s.yaml",
        f"version: 1\ndevices:\n{devices}models:\n"
        f"  m: {{layers: [relu, relu, relu, relu], input: [1, 4], devices: [{targets}]}}\n",
    )
    run = cli("check", str(spec), "--format", "json")
    _positioned(run)
    assert [p["code"] for p in run.json()["problems"]] == ["device.too_many_targets"]
    assert run.json()["problems"][0]["line"] == 5  # d2, the third device
    (model,) = run.json()["models"]
    assert list(model["on_devices"]) == ["d0", "d1"]  # past the bound: not shown either


def test_a_device_storing_layers_by_name_counts_as_more_judging(write, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from budgetlint import pipeline

    monkeypatch.setattr(pipeline, "MAX_LAYERS_JUDGED", 50)  # 4 layers: 4 + 40 fit, not + 40
    by_name = "overrides: [{layers: ['m*'], dtype: float16}], "
    spec = write(
        "s.yaml",
        "version: 1\ndevices:\n"
        "  d0: {budgets: {size: 1GB}}\n"
        f"  g0: {{{by_name}budgets: {{size: 1GB}}}}\n"
        f"  g1: {{{by_name}budgets: {{size: 1GB}}}}\n"
        "models:\n"
        "  m: {layers: [relu, relu, relu, relu], input: [1, 4], devices: [d0, g0, g1]}\n",
    )
    run = cli("check", str(spec), "--format", "json")
    _positioned(run)
    assert [p["code"] for p in run.json()["problems"]] == ["device.too_many_targets"]
    assert run.json()["problems"][0]["line"] == 5  # g1
    assert [v["device"] for v in run.json()["verdicts"]] == ["d0", "g0"]
    assert list(run.json()["models"][0]["on_devices"]) == ["d0", "g0"]


# --- a run of many files: bounds of the run beside those of each file ----------------

_SIX_LAYERS = (
    "version: 1\ndevices: {{d: {{budgets: {{params: 1G}}}}}}\n"
    "models:\n  {name}: {{input: [1, 4], devices: [d], layers: [relu, relu, relu,\n"
    "      relu, relu, relu]}}\n"
)


def test_the_files_of_one_run_share_a_bound_on_expansion(
    tmp_path: Path, write, cli, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(expander, "MAX_RUN_STEPS", 15)  # six steps a file: two fit
    specs = [write(f"s{i}.yaml", _SIX_LAYERS.format(name=f"m{i}")).name for i in range(3)]
    monkeypatch.chdir(tmp_path)
    run = cli("check", *specs, "--format", "json")
    _positioned(run)
    (problem,) = run.json()["problems"]
    assert problem["code"] == "layer.too_many_in_run"
    # the third file's fourth layer is the 16th step of the run: refused there
    assert (problem["file"], problem["line"]) == ("s2.yaml", 5)
    assert [m["name"] for m in run.json()["models"]] == ["m0", "m1"]
    alone = cli("check", specs[2], "--format", "json")  # each file alone is within it
    assert alone.code == 0


def test_the_files_of_one_run_share_a_bound_on_bytes(write, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from budgetlint.spec import files

    write("arch.yaml", "version: 1\nlayers: [relu, relu]\n")
    reader = (
        "version: 1\ndevices: {{d: {{budgets: {{params: 1G}}}}}}\n"
        "models:\n  {name}: {{input: [1, 4], devices: [d], arch: arch.yaml}}\n"
    )
    specs = [write(f"s{i}.yaml", reader.format(name=f"m{i}")) for i in range(3)]
    monkeypatch.chdir(specs[0].parent)
    sizes = [len(path.read_bytes()) for path in specs]
    arch = len((specs[0].parent / "arch.yaml").read_bytes())
    # arch.yaml, read by all three, counts once: exactly the run's bytes pass
    monkeypatch.setattr(files, "MAX_RUN_BYTES", sum(sizes) + arch)
    assert cli("check", *map(str, specs)).code == 0
    monkeypatch.setattr(files, "MAX_RUN_BYTES", sum(sizes) + arch - 1)
    run = cli("check", *map(str, specs), "--format", "json")
    assert run.code == 2
    (problem,) = run.json()["problems"]
    assert problem["code"] == "file.too_much_in_run"
    assert problem["file"] == "s2.yaml"  # the last file read is the one past the bound
    assert "8,388,608" not in problem["message"] and "refused" in problem["message"]
