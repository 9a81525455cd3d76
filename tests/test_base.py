"""`check --base REF` and `diff REF` in a throwaway repository with two commits."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.gitrepo import Repo

ARCH = """
version: 1
input: [1, 3, 32, 32]
layers:
  - conv2d: {{out: {width}, kernel: 3, padding: 1, bias: false}}
  - relu
  - adaptive_avgpool2d: {{size: 1}}
  - flatten
  - linear: {{out: 10}}
"""


def params(width: int) -> int:
    return width * 3 * 3 * 3 + (width * 10 + 10)


def macs(width: int) -> int:
    return width * 32 * 32 * 3 * 3 * 3 + width * 10


BUDGETS = """
version: 1
devices:
  phone:
    dtype: float32
    budgets: {{params: 1M, gflops: 1}}
    max_increase: {{params: {growth}}}
    warn: {warn}
models:
  net:
    arch: net.yaml
    devices: [phone]
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.write("specs/net.yaml", ARCH.format(width=8))
    repo.write("specs/budgets.yaml", BUDGETS.format(growth="50%", warn="90%"))
    repo.commit("base")
    repo.write("specs/net.yaml", ARCH.format(width=16))
    repo.commit("wider")
    monkeypatch.chdir(repo.root)
    return repo


def test_exact_deltas_against_the_parent(repo: Repo, cli) -> None:  # type: ignore[no-untyped-def]
    data = cli("check", "specs/budgets.yaml", "--base", "HEAD~1", "--format", "json").json()
    (model,) = data["models"]
    assert data["base_ref"] == "HEAD~1"
    assert (model["base"]["params"], model["totals"]["params"]) == (params(8), params(16))
    assert (model["base"]["macs"], model["totals"]["macs"]) == (macs(8), macs(16))
    assert model["deltas"]["params"] == params(16) - params(8)
    assert model["deltas"]["macs"] == macs(16) - macs(8)
    assert model["deltas"]["size_bytes"] == 4 * (params(16) - params(8))


def test_max_increase_is_enforced_at_its_line(repo: Repo, cli) -> None:  # type: ignore[no-untyped-def]
    # params grew from params(8) to params(16): more than the 50% allowed
    assert params(16) - params(8) > 0.5 * params(8)
    run = cli("check", "specs/budgets.yaml", "--base", "HEAD~1", "--format", "json")
    assert run.code == 1
    (growth,) = [v for v in run.json()["verdicts"] if v["kind"] == "increase"]
    assert growth["value"] == params(16) - params(8)
    assert growth["limit"] == pytest.approx(0.5 * params(8))
    assert growth["base"] == params(8)
    assert (growth["line"], growth["rule"], growth["ok"]) == (
        6,
        "budget.max_increase.params",
        False,
    )
    text = cli("check", "specs/budgets.yaml", "--base", "HEAD~1")
    grew = params(16) - params(8)
    # the model's params grew, not the budget (issue 8, point 8)
    assert f"specs/budgets.yaml:6:28: error: net's params grew by {grew} (+" in text.out
    assert f"more than the {params(8) // 2} that max_increase allows on phone" in text.out


def test_growth_within_allowance_passes(repo: Repo, cli) -> None:  # type: ignore[no-untyped-def]
    repo.write("specs/budgets.yaml", BUDGETS.format(growth="200%", warn="90%"))
    run = cli("check", "specs/budgets.yaml", "--base", "HEAD~1")
    assert run.code == 0, run.out
    assert "changes against HEAD~1:" in run.out


def test_absolute_growth_allowance(repo: Repo, cli) -> None:  # type: ignore[no-untyped-def]
    repo.write("specs/budgets.yaml", BUDGETS.format(growth="100", warn="90%"))
    data = cli("check", "specs/budgets.yaml", "--base", "HEAD~1", "--format", "json").json()
    (growth,) = [v for v in data["verdicts"] if v["kind"] == "increase"]
    assert (growth["limit"], growth["ok"]) == (100, False)


def test_without_base_growth_is_not_judged(repo: Repo, cli) -> None:  # type: ignore[no-untyped-def]
    data = cli("check", "specs/budgets.yaml", "--format", "json").json()
    assert [v["kind"] for v in data["verdicts"]] == ["limit", "limit"]
    assert data["models"][0].get("base", "absent") == "absent"


def test_warning_exits_0_unless_strict(repo: Repo, cli) -> None:  # type: ignore[no-untyped-def]
    # 1M params budget, warn at 5% of it: params(16) = 602 is far below; use a tiny budget
    repo.write(
        "specs/budgets.yaml",
        BUDGETS.format(growth="1000%", warn="50%").replace(
            "params: 1M", f"params: {params(16) + 1}"
        ),
    )
    run = cli("check", "specs/budgets.yaml")
    assert run.code == 0
    assert "warning: net uses 100% of the params budget of phone" in run.out
    assert cli("check", "specs/budgets.yaml", "--strict").code == 1


def test_new_model_has_no_base(repo: Repo, cli) -> None:  # type: ignore[no-untyped-def]
    repo.write("specs/other.yaml", ARCH.format(width=4))
    text = repo.root.joinpath("specs/budgets.yaml").read_text()
    repo.write(
        "specs/budgets.yaml",
        text + "  other:\n    arch: other.yaml\n    devices: [phone]\n",
    )
    data = cli("check", "specs/budgets.yaml", "--base", "HEAD~1", "--format", "json").json()
    other = next(m for m in data["models"] if m["name"] == "other")
    assert (other["base"], other["deltas"]) == (None, None)
    run = cli("diff", "HEAD~1", "specs/budgets.yaml")
    assert "other  (all)" in run.out and "new at HEAD, no base" in run.out


def test_work_tree_is_compared_with_head(repo: Repo, cli) -> None:  # type: ignore[no-untyped-def]
    repo.write("specs/net.yaml", ARCH.format(width=12))
    data = cli("check", "specs/budgets.yaml", "--base", "HEAD", "--format", "json").json()
    assert data["models"][0]["deltas"]["params"] == params(12) - params(16)
    assert repo.git("status", "--porcelain").stdout.strip() == "M specs/net.yaml"


def test_diff_defaults_to_the_configured_specs(repo: Repo, cli) -> None:  # type: ignore[no-untyped-def]
    repo.write("pyproject.toml", '[tool.budgetlint]\nspecs = ["specs/budgets.yaml"]\n')
    run = cli("diff", "HEAD~1", "--format", "json")
    assert run.json()["files"] == ["specs/budgets.yaml"]


@pytest.mark.parametrize(
    ("ref", "message"),
    [("no-such-branch", "--base no-such-branch: no such git revision")],
)
def test_bad_ref(repo: Repo, cli, ref: str, message: str) -> None:  # type: ignore[no-untyped-def]
    run = cli("check", "specs/budgets.yaml", "--base", ref)
    assert run.code == 2
    assert message in run.err


def test_outside_a_repository(tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text("version: 1\ninput: [1, 4]\nlayers: [relu]\n")
    run = cli("check", "a.yaml", "--base", "HEAD")
    assert run.code == 2
    assert "not inside a git repository" in run.err


def test_a_base_that_cant_be_read_is_said_not_skipped(repo: Repo, cli) -> None:  # type: ignore[no-untyped-def]
    # the base commit breaks the spec; HEAD fixes it: growth can't be checked, and we say so
    good = repo.root.joinpath("specs/budgets.yaml").read_text()
    repo.write("specs/budgets.yaml", good + "  bad: [\n")
    repo.commit("broken")
    repo.write("specs/budgets.yaml", good)
    run = cli("check", "specs/budgets.yaml", "--base", "HEAD")
    assert run.code == 0
    assert "specs/budgets.yaml:1:1: warning: its models can't be evaluated at HEAD" in run.out
    assert cli("check", "specs/budgets.yaml", "--base", "HEAD", "--strict").code == 1
    data = cli("check", "specs/budgets.yaml", "--base", "HEAD", "--format", "json").json()
    assert [w["code"] for w in data["warnings"]] == ["base.unreadable"]


def test_base_found_from_the_spec_not_the_working_directory(
    repo: Repo, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # outside the repository
    spec = repo.root / "specs" / "budgets.yaml"
    data = cli("check", str(spec), "--base", "HEAD~1", "--format", "json").json()
    assert data["models"][0]["base"]["params"] == params(8)


def test_a_shallow_clone_says_how_to_fetch_the_base(
    repo: Repo, tmp_path: Path, cli, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """GitHub's checkout fetches one commit: HEAD~1 is not there (issue 8, point 11)."""
    clone = tmp_path / "clone"
    cloned = repo.git("clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone))
    assert cloned.returncode == 0
    monkeypatch.chdir(clone)
    run = cli("check", "specs/budgets.yaml", "--base", "HEAD~1")
    assert run.code == 2
    (line,) = run.err.splitlines()
    assert line.startswith("specs/budgets.yaml:1:1: --base HEAD~1: ")
    assert "shallow clone" in line
    assert "fetch-depth: 0" in line and "git fetch --deepen" in line
    # in the full repository the same revision is found
    monkeypatch.chdir(repo.root)
    assert cli("check", "specs/budgets.yaml", "--base", "HEAD~1").code == 1


@pytest.mark.parametrize("columns", [50, 70, 100])
def test_base_tables_fit_the_terminal_width(repo: Repo, cli, monkeypatch, columns: int) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", str(columns))
    sha = repo.git("rev-parse", "HEAD~1").stdout.strip()  # a 40-character base ref
    run = cli("check", "specs/budgets.yaml", "--base", sha, "--quiet")
    assert run.code == 1 and "changes against" not in run.out  # --quiet: findings only
    lines = cli("check", "specs/budgets.yaml", "--base", sha).out.splitlines()
    tables = lines[: lines.index(next(line for line in lines if ": error: " in line))]
    assert any(line.startswith("changes against") for line in tables)
    assert all(len(line) <= columns for line in tables)


# ---- issue 8, point 10: deltas at the device dtype, unchanged models in one line, top layers

NAMED = """
version: 1
input: [1, 3, 32, 32]
layers:
  - name: conv1
    conv2d: {{out: {width}, kernel: 3, padding: 1}}
  - name: conv2
    conv2d: {{out: {width}, kernel: 3, padding: 1}}
  - adaptive_avgpool2d: {{size: 1}}
  - flatten
  - name: fc
    linear: {{out: 10}}
"""
DEVICES = """
version: 1
devices:
  phone: {dtype: int8, budgets: {params: 1M, size: 1MB}}
  gpu: {dtype: float16, budgets: {params: 2M}}
models:
  net: {arch: net.yaml, devices: [phone, gpu]}
  still: {input: [1, 4], devices: [phone], layers: [linear: {out: 2}]}
"""


def named_layers(width: int) -> dict[str, int]:
    """Params of each named layer: conv weights + biases, linear weights + biases."""
    return {
        "conv1": width * 3 * 3 * 3 + width,
        "conv2": width * width * 3 * 3 + width,
        "fc": width * 10 + 10,
    }


@pytest.fixture
def grown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    repo = Repo(tmp_path / "grown")
    repo.write("specs/net.yaml", NAMED.format(width=8))
    repo.write("specs/budgets.yaml", DEVICES)
    repo.commit("base")
    repo.write("specs/net.yaml", NAMED.format(width=16))
    monkeypatch.chdir(repo.root)
    return repo


def test_deltas_in_json_name_the_layers_and_the_sizes_at_each_dtype(grown: Repo, cli) -> None:  # type: ignore[no-untyped-def]
    data = cli("diff", "HEAD", "specs/budgets.yaml", "--format", "json").json()
    net, still = data["models"]
    before, after = named_layers(8), named_layers(16)
    grew = sum(after.values()) - sum(before.values())
    # no buffers: size is params × bytes of the dtype (int8: 1, float16: 2)
    assert net["deltas"]["size_bytes_by_device"] == {"phone": grew * 1, "gpu": grew * 2}
    expected = sorted(
        (
            {
                "name": n,
                "metric": "params",
                "base": before[n],
                "now": after[n],
                "change": after[n] - before[n],
            }
            for n in before
        ),
        key=lambda row: -row["change"],
    )
    assert net["deltas"]["layers"] == expected
    assert [row["name"] for row in expected] == ["conv2", "conv1", "fc"]
    assert still["deltas"]["layers"] == [] and still["deltas"]["params"] == 0


def test_the_change_table_shows_sizes_at_each_dtype_and_unchanged_models_once(
    grown: Repo, cli
) -> None:  # type: ignore[no-untyped-def]
    out = cli("diff", "HEAD", "specs/budgets.yaml").out
    table = out.split("changes against HEAD:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    rows = [line.split() for line in table[2:] if not line.startswith("net:")]
    assert [row[:2] for row in rows if row[0] == "net"] == [
        ["net", "params"],
        ["net", "macs"],
        ["net", "flops"],
        ["net", "size"],
        ["net", "size"],
    ]
    sizes = [line for line in table if "size (" in line]
    grew = sum(named_layers(16).values()) - sum(named_layers(8).values())
    assert "size (int8)" in sizes[0] and f"+{grew:,}" in sizes[0]
    assert "size (float16)" in sizes[1] and f"+{2 * grew:,}" in sizes[1]
    (still,) = [line for line in table if line.startswith("still")]
    assert still.split() == ["still", "(all)", "unchanged"]
    before, after = named_layers(8), named_layers(16)
    assert table[-1] == (
        "net: largest params changes: "
        + ", ".join(
            f"{n} {after[n] - before[n]:+,} ({before[n]:,} → {after[n]:,})"
            for n in ("conv2", "conv1", "fc")
        )
    )


def test_markdown_names_the_changed_layers_and_the_unchanged_models(grown: Repo, cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("diff", "HEAD", "specs/budgets.yaml", "--format", "markdown").out
    section = out.split("### Changes against `HEAD`\n", 1)[1].split("\n\n", 1)[0].strip()
    net, still = section.splitlines()
    before, after = named_layers(8), named_layers(16)
    assert net.startswith("- **net**: params ")
    assert f"`conv2` {after['conv2'] - before['conv2']:+,}" in net
    assert net.index("`conv2`") < net.index("`conv1`") < net.index("`fc`")
    assert still == "- Unchanged: still"


def test_a_change_that_keeps_the_params_names_the_layers_of_the_metric_that_moved(
    grown: Repo, cli
) -> None:  # type: ignore[no-untyped-def]
    # the input grows: params stay, MACs of every conv grow with the output area
    grown.write("specs/net.yaml", NAMED.format(width=8).replace("[1, 3, 32, 32]", "[1, 3, 64, 64]"))
    (net, _) = cli("diff", "HEAD", "specs/budgets.yaml", "--format", "json").json()["models"]
    layers = net["deltas"]["layers"]
    assert {row["metric"] for row in layers} == {"macs"}
    conv2 = 8 * 8 * 3 * 3  # MACs per output position of conv2
    assert layers[0] == {
        "name": "conv2",
        "metric": "macs",
        "base": conv2 * 32 * 32,
        "now": conv2 * 64 * 64,
        "change": conv2 * (64 * 64 - 32 * 32),
    }


# ---- issue 11: the base's files through one git; files unchanged since it, not read again

LIBRARY = {
    "specs/lib.yaml": """
        version: 1
        include: [devices/a.yaml]
        models:
          n0: {arch: zoo/n0.yaml, devices: [phone]}
          n1: {arch: zoo/n1.yaml, devices: [phone]}
          n2: {arch: zoo/n2.yaml, devices: [phone]}
        """,
    "specs/devices/a.yaml": "version: 1\ninclude: [b.yaml]\n",
    "specs/devices/b.yaml": """
        version: 1
        devices:
          phone: {budgets: {params: 1M}, max_increase: {params: 100%}}
        """,
    "specs/zoo/blocks.yaml": "version: 1\nblocks:\n  act: {layers: [relu]}\n",
}


def zoo(width: int) -> dict[str, str]:
    arch = "version: 1\nuse: [blocks.yaml]\ninput: [1, 4]\nlayers: [linear: {{out: {}}}, act]\n"
    return {f"specs/zoo/n{i}.yaml": arch.format(width + i) for i in range(3)}


LIBRARY_FILES = 7  # lib.yaml, a.yaml, b.yaml, n0..n2, blocks.yaml


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    repo = Repo(tmp_path / "library")
    for name, text in {**LIBRARY, **zoo(4)}.items():
        repo.write(name, text)
    repo.commit("base")
    monkeypatch.chdir(repo.root)
    return repo


def git_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """git on PATH becomes a shim that logs each call's arguments, then runs git."""
    real = shutil.which("git")
    assert real is not None
    shim = tmp_path / "shim"
    shim.mkdir()
    log = tmp_path / "git-calls.log"
    (shim / "git").write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    (shim / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    return log


def subcommands(log: Path) -> list[str]:
    """Each git call's subcommand: the first word after the global options."""
    calls = [line.split() for line in log.read_text().splitlines()]
    return [next(word for word in call[2:] if not word.startswith("-")) for call in calls]


def test_the_base_is_read_through_one_git_process(
    library: Repo, cli, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    for name, text in zoo(6).items():  # every architecture changed since the base
        library.write(name, text)
    log = git_calls(tmp_path, monkeypatch)
    data = cli("check", "specs/lib.yaml", "--base", "HEAD", "--format", "json").json()
    assert [model["base"]["params"] for model in data["models"]] == [
        4 * (4 + i) + (4 + i)
        for i in range(3)  # linear 4 → 4+i: weights and biases
    ]
    # one to find the revision, one for the blob ids, one to read all 7 files
    assert subcommands(log) == ["rev-parse", "ls-tree", "cat-file"]
    assert "--batch" in log.read_text().splitlines()[2].split()


def test_a_spec_unchanged_since_the_base_is_not_read_or_evaluated_again(
    library: Repo, cli, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from budgetlint import pipeline
    from budgetlint.spec.sources import GitRevision

    reads: list[str] = []
    evaluations: list[str] = []
    read_bytes, evaluate = GitRevision.read_bytes, pipeline.evaluate

    def spy_read(self, path, display, limit=2**21):  # type: ignore[no-untyped-def]
        reads.append(display)
        return read_bytes(self, path, display, limit)

    def spy_evaluate(architecture, convention):  # type: ignore[no-untyped-def]
        evaluations.append(architecture.name)
        return evaluate(architecture, convention)

    monkeypatch.setattr(GitRevision, "read_bytes", spy_read)
    monkeypatch.setattr(pipeline, "evaluate", spy_evaluate)
    log = git_calls(tmp_path, monkeypatch)
    data = cli("check", "specs/lib.yaml", "--base", "HEAD", "--format", "json").json()
    assert [m["base"]["params"] == m["totals"]["params"] for m in data["models"]] == [True] * 3
    assert (reads, evaluations) == ([], ["n0", "n1", "n2"])
    assert subcommands(log) == ["rev-parse", "ls-tree"]

    # one file of the seven changed: the base is read whole, and evaluated apart
    library.write("specs/zoo/blocks.yaml", "version: 1\nblocks:\n  act: {layers: [gelu]}\n")
    cli("check", "specs/lib.yaml", "--base", "HEAD", "--format", "json").json()
    assert len(reads) == LIBRARY_FILES
    assert evaluations == ["n0", "n1", "n2"] * 3


BROKEN_MODEL = """
version: 1
devices: {d: {budgets: {params: 1M}, max_increase: {params: 1%}}}
models:
  bad:
    input: [1, 3, 8, 8]
    devices: [d]
    layers: [residual: {body: [conv2d: {out: 4, kernel: 1}]}]
  good: {input: [1, 4], devices: [d], layers: [linear: {out: 2}]}
"""


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_reusing_the_current_evaluation_changes_no_byte(
    library: Repo, cli, monkeypatch, output: str
) -> None:  # type: ignore[no-untyped-def]
    """The configured specs (architectures among them, a model that can't be evaluated):
    the same output whether the unchanged files are read at the base again or not."""
    from budgetlint.spec.sources import GitRevision

    library.write("specs/broken.yaml", BROKEN_MODEL)
    library.commit("a model that can't be evaluated")
    library.write("specs/zoo/n0.yaml", zoo(5)["specs/zoo/n0.yaml"])  # one changed file
    reused = cli("check", "--base", "HEAD", "--format", output)
    monkeypatch.setattr(GitRevision, "unchanged", lambda self, paths: frozenset())
    read_again = cli("check", "--base", "HEAD", "--format", output)
    assert reused == read_again
    assert reused.code == 2 and "add needs shapes that broadcast" in reused.err
