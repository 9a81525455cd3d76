"""The hook's answers kept by content between commits (budgetlint/hook_cache.py).

A cached answer must be the answer: each test states what computing it gives and
checks that the cache gives the same, that it is computed once per content, and that a
cache that is damaged, of other code, or can't be written changes nothing but the work.
"""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from budgetlint import hook_cache, layout
from budgetlint.config import Config, load_config
from budgetlint.hook import plan, pre_commit_filters
from budgetlint.hook_cache import CACHE_NAME, CONFIG, REFERENCES, HookCache, git_folder
from budgetlint.layout import NO_TABLE, concerns_nothing, pyproject_globs
from budgetlint.spec import reads
from budgetlint.spec.reads import References, Scanned, files_read, scan_file

NET = "version: 1\ninput: [1, 4]\nlayers: [linear: {out: 2}]\n"
DEVICE = "version: 1\ndevices:\n  mcu: {budgets: {params: 1M}}\n"


def counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[object]:
    """Replace module.name by a wrapper that records each call's first argument."""
    calls: list[object] = []
    real: Callable[..., object] = getattr(module, name)

    def spy(first: object, *args: object) -> object:
        calls.append(first)
        return real(first, *args)

    monkeypatch.setattr(module, name, spy)
    return calls


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A work tree (a `.git` folder, no git needed) with a budget spec reading zoo/net.yaml."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "specs" / "zoo").mkdir(parents=True)
    (tmp_path / "specs" / "zoo" / "net.yaml").write_text(NET)
    (tmp_path / "specs" / "budgets.yaml").write_text(
        DEVICE + "models:\n  net: {arch: zoo/net.yaml, devices: [mcu]}\n"
    )
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---- answers by content


def test_an_answer_is_computed_once_per_content_and_kept_between_runs(repo: Path) -> None:
    calls: list[bytes] = []

    def compute(raw: bytes) -> tuple[str, ...]:
        calls.append(raw)
        return (raw.decode(),)

    first = HookCache.of_project(str(repo))
    assert first.answer(CONFIG, b"a", compute) == ("a",)
    assert first.answer(CONFIG, b"a", compute) == ("a",)
    first.save()
    assert (repo / ".git" / CACHE_NAME).is_file()
    again = HookCache.of_project(str(repo))  # the next commit
    assert again.answer(CONFIG, b"a", compute) == ("a",)
    assert again.answer(CONFIG, b"b", compute) == ("b",)  # other bytes: computed
    assert calls == [b"a", b"b"]


def test_an_unknown_kind_of_answer_fails_loudly(repo: Path) -> None:
    with pytest.raises(KeyError, match="references2"):
        HookCache.of_project(str(repo)).answer("references2", b"x", lambda raw: None)


def test_a_second_hook_run_scans_no_file_and_answers_the_same(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scanned = counting(monkeypatch, reads, "scan")
    assert concerns_nothing(["README.md"], str(repo))
    assert len(scanned) == 2  # budgets.yaml and zoo/net.yaml
    scanned.clear()
    assert concerns_nothing(["README.md"], str(repo))
    assert concerns_nothing(["README.md"], str(repo))
    assert scanned == []


def test_an_edited_file_is_scanned_again(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert concerns_nothing(["other.yaml"], str(repo))  # budgets.yaml does not read it
    (repo / "other.yaml").write_text(NET + "# another net\n")
    scanned = counting(monkeypatch, reads, "scan")
    spec = repo / "specs" / "budgets.yaml"
    spec.write_text(spec.read_text().replace("zoo/net.yaml", "../other.yaml"))
    assert not concerns_nothing(["other.yaml"], str(repo))
    assert len(scanned) == 2  # other.yaml (a spec?) and the edited spec: not zoo/net.yaml


def test_the_cached_references_are_the_scanned_ones(repo: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    files = sorted((root / "specs").rglob("*.yaml"))
    warm = HookCache.of_project(str(repo))
    for path in files:
        scan_file(path, warm)
    warm.save()
    cache = HookCache.of_project(str(repo))
    for path in files:
        assert scan_file(path, cache) == scan_file(path), path
    assert not cache.learned  # every answer came from the file


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[project]\nname = "x"\n', NO_TABLE),
        ("", NO_TABLE),
        ("[tool.ruff]\nline-length = 100\n", NO_TABLE),
        ('[tool.budgetlint]\nspecs = ["a/*.yaml"]\n', ("a/*.yaml",)),
        ('[tool.budgetlint]\nspecs = "a.yaml"\n', ("a.yaml",)),
        ("[tool.budgetlint]\n", ("specs/**/*.yaml", "specs/**/*.yml")),
        ('tool.budgetlint.specs = ["b.yaml"]\r\n', ("b.yaml",)),  # a dotted key, CRLF
        ('[tool."budget\\u006cint"]\nspecs = ["c.yaml"]\n', ("c.yaml",)),  # an escaped name
        ("[tool.budgetlint]\nspecs = []\n", None),  # config.py reports these
        ("[tool.budgetlint]\nspec = []\n", None),
        ("[tool.budgetlint\n", None),
        ("tool = 3\n", None),
        ("[tool]\nbudgetlint = 3\n", None),  # config.py reports it
        ("a = 1\rb = 2\n", NO_TABLE),  # a lone CR is a newline once read as text
        ("\ufeff[project]\n", None),  # a byte-order mark is no TOML
    ],
)
def test_pyproject_globs(tmp_path: Path, text: str, expected: tuple[str, ...] | None) -> None:
    raw = text.encode("utf-8")
    assert pyproject_globs(raw) == expected
    (tmp_path / "pyproject.toml").write_bytes(raw)
    globs = layout.configured_globs(str(tmp_path))
    assert globs == (layout.DEFAULT_SPECS if expected == NO_TABLE else expected)
    cache = HookCache(str(tmp_path))
    assert layout.configured_globs(str(tmp_path), cache) == globs
    cache.save()
    assert layout.configured_globs(str(tmp_path), HookCache(str(tmp_path))) == globs
    if expected == NO_TABLE:  # then the full path's config is the defaults, either way
        assert load_config(tmp_path, HookCache(str(tmp_path))) == load_config(tmp_path)
        assert load_config(tmp_path) == Config()


def test_a_pyproject_without_the_table_is_not_parsed_again(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tomllib

    parsed = counting(monkeypatch, tomllib, "loads")
    cache = HookCache.of_project(str(repo))
    assert load_config(repo, cache) == Config()
    cache.save()
    assert load_config(repo, HookCache.of_project(str(repo))) == Config()
    assert len(parsed) == 1


# ---- a cache that can't be used changes nothing but the work


def damaged(identity: object) -> dict[str, bytes]:
    """Cache files that are not what this code writes (`identity`: this code's)."""
    digest = b"\0" * hook_cache.DIGEST_BYTES
    return {
        "not marshal": b"\xff\xfe garbage",
        "empty": b"",
        "other code": marshal.dumps((("another", "version"), {})),
        "not a pair": marshal.dumps([identity]),
        "a kind unknown": marshal.dumps((identity, {("other", digest): None})),
        "a short digest": marshal.dumps((identity, {(CONFIG, b"x"): None})),
        "a wrong answer": marshal.dumps((identity, {(REFERENCES, digest): ("x", 1)})),
        "nested deeper than the loader goes": b"(\x01\x00\x00\x00" * 100_000,
        "paths not text": marshal.dumps(
            (identity, {(REFERENCES, digest): ((1,), True, frozenset())})
        ),
    }


@pytest.mark.parametrize("case", list(damaged(None)))
def test_a_damaged_or_foreign_cache_is_ignored_and_replaced(
    repo: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    stored = repo / ".git" / CACHE_NAME
    stored.write_bytes(damaged(hook_cache.code_identity())[case])
    scanned = counting(monkeypatch, reads, "scan")
    assert HookCache.of_project(str(repo)).known == {}
    assert concerns_nothing(["README.md"], str(repo))
    assert concerns_nothing(["README.md"], str(repo))
    assert len(scanned) == 2  # computed once, then from the rewritten cache
    assert len(HookCache.of_project(str(repo)).known) == 3  # 2 scans and pyproject.toml


def test_a_cache_too_large_is_not_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hook_cache, "MAX_CACHE_BYTES", 100)
    cache = HookCache.of_project(str(repo))
    cache.answer(CONFIG, b"x", lambda raw: ("y" * 200,))
    cache.save()
    assert not (repo / ".git" / CACHE_NAME).exists()  # not written either


def test_a_cache_that_cant_be_written_is_not(repo: Path) -> None:
    (repo / ".git" / CACHE_NAME).mkdir()  # os.replace can't put a file there
    assert concerns_nothing(["README.md"], str(repo))
    assert concerns_nothing(["README.md"], str(repo))
    assert sorted(os.listdir(repo / ".git")) == [CACHE_NAME]  # no temporary file left


def test_without_a_git_directory_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    assert git_folder(str(tmp_path / "a")) is None  # pytest's folders are in no repository
    cache = HookCache.of_project(str(tmp_path / "a"))
    assert cache.answer(CONFIG, b"x", lambda raw: ("y",)) == ("y",)
    cache.save()
    assert cache.path is None and sorted(os.listdir(tmp_path)) == ["a"]


@pytest.mark.parametrize(
    ("dot_git", "expected"),
    [
        ("gitdir: ../real\n", "real"),  # relative to the .git file's folder
        ("gitdir: {root}/real", "real"),
        ("gitdir: ../missing\n", None),
        ("not a pointer\n", None),
    ],
)
def test_a_git_file_points_to_the_git_directory(
    tmp_path: Path, dot_git: str, expected: str | None
) -> None:
    (tmp_path / "real").mkdir()
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / ".git").write_text(dot_git.format(root=tmp_path))
    found = git_folder(str(work / "sub"))
    if expected is None:
        assert found is None
    else:
        assert found is not None and os.path.samefile(found, tmp_path / expected)


def test_the_cache_is_kept_in_a_real_worktrees_git_directory(tmp_path: Path) -> None:
    main = tmp_path / "main"
    main.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=main, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], cwd=main, check=True)
    subprocess.run([*git, "worktree", "add", "-q", str(tmp_path / "wt")], cwd=main, check=True)
    told = subprocess.run(
        ["git", "rev-parse", "--absolute-git-dir"],
        cwd=tmp_path / "wt",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    found = git_folder(str(tmp_path / "wt"))
    assert found is not None and os.path.samefile(found, told)


# ---- the selection stays exact: whatever the YAML style, a reference is found

# (spec text reading zoo/net.yaml in some style); each one must select the spec
STYLES: dict[str, str] = {
    "block": "models:\n  m:\n    arch: zoo/net.yaml\n",
    "flow": "models: {m: {arch: zoo/net.yaml}}\n",
    "quoted key and value": "models:\n  m:\n    'arch': \"zoo/net.yaml\"\n",
    "escaped key": 'models:\n  m: {"\\x61rch": zoo/net.yaml}\n',
    "explicit key": "models:\n  m:\n    ? arch\n    : zoo/net.yaml\n",
    "block scalar key": "models:\n  m:\n    ? |-\n      arch\n    : zoo/net.yaml\n",
    "tagged": "models:\n  m: {!!str arch: !!str zoo/net.yaml}\n",
    "anchored value": "x: &p zoo/net.yaml\nmodels:\n  m: {arch: *p}\n",
    "aliased key": "x: &k arch\nmodels:\n  m: {*k : zoo/net.yaml}\n",
    "merged in": "x: &b {arch: zoo/net.yaml}\nmodels:\n  m:\n    <<: *b\n",
    "comments around": "models:  # arch: none.yaml\n  m:\n    # a model\n"
    "    arch: zoo/net.yaml  # the net\n",
    "nested layers": "layers:\n  - linear: {out: 2}\n  - {arch: zoo/net.yaml}\n",
    "include, one": "include: zoo/net.yaml\n",
    "include, a list": "include: [zoo/net.yaml]\n",
    "use, block list": "use:\n  - zoo/net.yaml\n",
    "a computed key (may be arch)": 'models:\n  m: {"${k}": zoo/net.yaml}\n',
    "use, folded path": "use: >-\n  zoo/net.yaml\n",
    "CRLF and a byte-order mark": "\ufeffmodels:\r\n  m:\r\n    arch: zoo/net.yaml\r\n",
}
# references only expansion can resolve: the fast path must leave them to it
COMPUTED: dict[str, str] = {
    "computed path": "models:\n  m: {arch: 'zoo/${n}.yaml'}\n",
    "top-level merge": "<<: {use: zoo/net.yaml}\n",
    "a list of uses written elsewhere": "x: &u [zoo/net.yaml]\nuse: *u\n",
}


def warm_cache_then_write(repo: Path, text: str) -> None:
    """budgets.yaml, the only configured spec, reads nothing at first (the cache learns
    that), then `text`."""
    (repo / "pyproject.toml").write_text('[tool.budgetlint]\nspecs = ["specs/budgets.yaml"]\n')
    spec = repo / "specs" / "budgets.yaml"
    spec.write_text(DEVICE)
    assert concerns_nothing(["specs/zoo/net.yaml"], str(repo))
    spec.write_text(text)


@pytest.mark.parametrize("style", list(STYLES))
def test_every_style_of_reference_selects_the_spec_with_a_warm_cache(
    repo: Path, style: str
) -> None:
    warm_cache_then_write(repo, STYLES[style])
    assert not concerns_nothing(["specs/zoo/net.yaml"], str(repo))
    changed = [Path("specs/zoo/net.yaml")]
    config = load_config(repo)
    cache = HookCache.of_project(str(repo))
    chosen = plan(changed, config, repo, pre_commit_filters(repo), cache)
    assert chosen.specs == (Path("specs/budgets.yaml"),)
    assert chosen == plan(changed, config, repo, pre_commit_filters(repo))  # without a cache


@pytest.mark.parametrize("style", list(COMPUTED))
def test_a_computed_reference_is_left_to_expansion_with_a_warm_cache(
    repo: Path, style: str
) -> None:
    warm_cache_then_write(repo, COMPUTED[style])
    assert not concerns_nothing(["specs/zoo/net.yaml"], str(repo))
    assert files_read(repo / "specs" / "budgets.yaml", Scanned(HookCache(None))) is None


def test_the_scanned_files_with_a_cache_are_those_without(repo: Path) -> None:
    cold = Scanned(HookCache.of_project(str(repo)))
    spec = repo / "specs" / "budgets.yaml"
    found = files_read(spec, cold)
    assert cold.cache is not None
    cold.cache.save()
    warm = Scanned(HookCache.of_project(str(repo)))
    assert files_read(spec, warm) == found == files_read(spec)
    assert warm.references == cold.references
    assert all(isinstance(value, References) for value in warm.references.values())


def test_a_warm_commit_that_concerns_nothing_imports_neither_tomllib_nor_typing(
    repo: Path,
) -> None:
    script = (
        "import sys; from budgetlint.entry import main; code = main(['hook', 'README.md']); "
        "print(code, *sorted(m for m in ('tomllib', 'typing', 'dataclasses') if m in sys.modules))"
    )

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert run() == "0 tomllib typing"  # the first commit parses pyproject.toml
    assert run() == "0"


def test_a_warm_commit_with_a_relevant_file_parses_no_pyproject(repo: Path) -> None:
    script = (
        "import sys; from budgetlint.entry import main; "
        "code = main(['hook', 'specs/zoo/net.yaml']); print(code, 'tomllib' in sys.modules)"
    )

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, check=True
        )
        return done.stdout.splitlines()[-1]

    assert run() == "0 True"  # the first commit parses pyproject.toml, then checks the specs
    assert run() == "0 False"


def test_a_save_keeps_older_answers_up_to_a_bound(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hook_cache, "MAX_UNUSED", 2)
    first = HookCache.of_project(str(repo))
    for text in (b"a", b"b", b"c"):
        first.answer(CONFIG, text, lambda raw: (raw.decode(),))
    first.save()
    second = HookCache.of_project(str(repo))  # a run that looks at one new file only
    second.answer(CONFIG, b"d", lambda raw: (raw.decode(),))
    second.save()
    kept = HookCache.of_project(str(repo)).known
    assert sorted(kept.values()) == [("a",), ("b",), ("d",)]  # its own, then the earlier run's
