"""Which files a spec reads, from its references alone (spec/reads.py).

Every case is checked two ways: the answer is the expected set of files, and it holds
every file that expanding the spec (read_spec) reads: it may over-select, never miss.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from budgetlint.spec.expand import read_spec
from budgetlint.spec.reads import NOT_YAML, References, Scanned, files_read, scan
from tests.conftest import ROOT

NET = """
version: 1
input: [1, 4]
layers: [linear: {out: 2}]
"""
DEVICE = "version: 1\ndevices:\n  mcu: {budgets: {params: 1M}}\n"


def model(arch: str, extra: str = "") -> str:
    return (
        f"version: 1\n{extra}devices:\n  mcu: {{budgets: {{params: 1M}}}}\n"
        f"models:\n  net:\n    arch: {arch}\n    devices: [mcu]\n"
    )


BLOCKS = """
version: 1
blocks:
  unit:
    params: {act: relu}
    layers: [{"${act}": }]
"""

# name -> (files written, the spec, the files it reads; None: only expansion can tell)
CASES: dict[str, tuple[dict[str, str], str, set[str] | None]] = {
    "arch": (
        {"b.yaml": model("zoo/net.yaml"), "zoo/net.yaml": NET},
        "b.yaml",
        {"b.yaml", "zoo/net.yaml"},
    ),
    "missing arch file": (
        {"b.yaml": model("zoo/gone.yaml")},
        "b.yaml",
        {"b.yaml", "zoo/gone.yaml"},
    ),
    "nested arch, relative to its file": (
        {
            "b.yaml": model("zoo/outer.yaml"),
            "zoo/outer.yaml": "version: 1\ninput: [1, 4]\nlayers:\n  - arch: inner.yaml\n",
            "zoo/inner.yaml": NET,
        },
        "b.yaml",
        {"b.yaml", "zoo/outer.yaml", "zoo/inner.yaml"},
    ),
    "includes of includes": (
        {
            "b.yaml": model("net.yaml", "include: [dev/a.yaml]\n").replace(
                "devices:\n  mcu: {budgets: {params: 1M}}\n", ""
            ),
            "dev/a.yaml": "version: 1\ninclude: [b.yaml]\n",
            "dev/b.yaml": DEVICE,
            "net.yaml": NET,
        },
        "b.yaml",
        {"b.yaml", "dev/a.yaml", "dev/b.yaml", "net.yaml"},
    ),
    "use of use, and an arch inside a used block": (
        {
            "b.yaml": model("net.yaml"),
            "net.yaml": "version: 1\nuse: [lib/one.yaml]\ninput: [1, 4]\nlayers: [unit]\n",
            "lib/one.yaml": "version: 1\nuse: two.yaml\nblocks:\n  unit:\n    layers: [half]\n",
            "lib/two.yaml": "version: 1\nblocks:\n  half:\n    layers: [arch: ../net2.yaml]\n",
            "net2.yaml": NET,
        },
        "b.yaml",
        {"b.yaml", "net.yaml", "lib/one.yaml", "lib/two.yaml", "net2.yaml"},
    ),
    "an alias as the arch path, quoted and flow keys": (
        {
            "b.yaml": "version: 1\nx: &p net.yaml\ndevices: {mcu: {budgets: {params: 1M}}}\n"
            "models: {net: {\"arch\": *p, devices: [mcu]}, other: {'arch': n2.yaml,"
            " devices: [mcu]}}\n",
            "net.yaml": NET,
            "n2.yaml": NET,
        },
        "b.yaml",
        {"b.yaml", "net.yaml", "n2.yaml"},
    ),
    "an escaped key is the key it spells": (
        {"b.yaml": model("net.yaml").replace("arch:", '"\\x61rch":'), "net.yaml": NET},
        "b.yaml",
        {"b.yaml", "net.yaml"},
    ),
    "an anchored key used as an alias": (
        {
            "b.yaml": "version: 1\nk: &k arch\ndevices: {mcu: {budgets: {params: 1M}}}\n"
            "models: {net: {*k : net.yaml, devices: [mcu]}}\n",
            "net.yaml": NET,
        },
        "b.yaml",
        {"b.yaml", "net.yaml"},
    ),
    "a computed key may be arch: its text value is followed": (
        {
            "b.yaml": model("net.yaml"),
            "net.yaml": BLOCKS + "input: [1, 4]\nlayers:\n"
            "  - unit: {act: relu}\n  - {'${kind}': other.yaml}\n",
            "other.yaml": NET,
        },
        "b.yaml",
        {"b.yaml", "net.yaml", "other.yaml"},
    ),
    "a computed key with no text value reads nothing": (
        {"b.yaml": model("net.yaml"), "net.yaml": BLOCKS + "input: [1, 4]\nlayers: [unit]\n"},
        "b.yaml",
        {"b.yaml", "net.yaml"},
    ),
    "a computed path": (
        {
            "b.yaml": model("net.yaml"),
            "net.yaml": "version: 1\ninput: [1, 4]\n"
            "params: {v: a}\nlayers:\n  - arch: zoo/${v}.yaml\n",
            "zoo/a.yaml": NET,
        },
        "b.yaml",
        None,
    ),
    "a computed path behind a computed key": (
        {
            "b.yaml": model("net.yaml"),
            "net.yaml": "version: 1\ninput: [1, 4]\n"
            "params: {k: arch, v: a}\nlayers:\n  - '${k}': ${v}.yaml\n",
            "a.yaml": NET,
        },
        "b.yaml",
        None,
    ),
    "a merge at the top level may bring use: or include:": (
        {
            "b.yaml": "version: 1\n<<: {include: [d.yaml]}\n" + model("n.yaml")[11:],
            "d.yaml": DEVICE,
            "n.yaml": NET,
        },
        "b.yaml",
        None,
    ),
    "a merge below the top level is scanned where it is written": (
        {
            "b.yaml": "version: 1\nbase: &base {arch: net.yaml, devices: [mcu]}\n"
            "devices: {mcu: {budgets: {params: 1M}}}\nmodels: {net: {<<: *base}}\n",
            "net.yaml": NET,
        },
        "b.yaml",
        {"b.yaml", "net.yaml"},
    ),
    "use: as an alias of a list written elsewhere": (
        {
            "b.yaml": model("net.yaml"),
            "net.yaml": "version: 1\nx: &u [lib.yaml]\nuse: *u\ninput: [1, 4]\nlayers: [unit]\n",
            "lib.yaml": "version: 1\nblocks: {unit: {layers: [relu]}}\n",
        },
        "b.yaml",
        None,
    ),
    "a broken file reads nothing further": (
        {"b.yaml": model("net.yaml"), "net.yaml": "layers: [arch: x.yaml\n", "x.yaml": NET},
        "b.yaml",
        {"b.yaml", "net.yaml"},
    ),
    "two documents read nothing further": (
        {"b.yaml": model("net.yaml"), "net.yaml": NET + "---\narch: x.yaml\n", "x.yaml": NET},
        "b.yaml",
        {"b.yaml", "net.yaml"},
    ),
    "a number, null or list is no path": (
        {
            "b.yaml": model("3").replace(
                "    devices: [mcu]\n",
                "  m2: {arch: ~}\n  m3: {arch: [a.yaml]}\n  m4: {arch: ''}\n",
            )
        },
        "b.yaml",
        {"b.yaml"},
    ),
    "use: and include: below the top level are not references": (
        {"b.yaml": model("net.yaml"), "net.yaml": NET + "params: {use: x.yaml}\n"},
        "b.yaml",
        {"b.yaml", "net.yaml"},
    ),
    "a cycle": (
        {
            "b.yaml": model("net.yaml"),
            "net.yaml": "version: 1\ninput: [1, 4]\nlayers: [arch: ../b.yaml]\n".replace("../", ""),
        },
        "b.yaml",
        {"b.yaml", "net.yaml"},
    ),
}


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def relative(names: frozenset[str] | set[str], root: Path) -> set[str]:
    return {Path(os.path.relpath(name, root)).as_posix() for name in names}


@pytest.mark.parametrize("case", list(CASES))
def test_files_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    files, spec, expected = CASES[case]
    (tmp_path / ".git").mkdir()  # the repository the spec is confined to
    write_tree(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    found = files_read(Path(spec))
    assert (None if found is None else relative(found, tmp_path)) == expected
    expanded, _ = read_spec(Path(spec))
    if found is not None and expanded is not None:  # never fewer than expansion reads
        assert relative({os.path.abspath(name) for name in expanded.files}, tmp_path) <= (
            relative(found, tmp_path)
        )


def test_a_reference_outside_the_repository_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("version: 1\ninclude: [more.yaml]\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write_tree(repo, {"b.yaml": model("../elsewhere.yaml")})
    scanned = Scanned()
    assert relative(files_read(repo / "b.yaml", scanned) or set(), repo) == {"b.yaml"}
    assert str(outside) not in scanned.references  # never opened


def test_a_symbolic_link_out_of_the_repository_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.yaml").write_text("version: 1\ninclude: [more.yaml]\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "out").symlink_to(elsewhere)
    (repo / "zoo").mkdir()
    (repo / "in").symlink_to(repo / "zoo")
    write_tree(
        repo, {"zoo/n.yaml": NET, "b.yaml": model("out/x.yaml"), "c.yaml": model("in/n.yaml")}
    )
    scanned = Scanned()
    assert relative(files_read(repo / "b.yaml", scanned) or set(), repo) == {"b.yaml"}
    assert relative(files_read(repo / "c.yaml", scanned) or set(), repo) == {"c.yaml", "in/n.yaml"}


def test_each_file_is_scanned_once_across_specs(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write_tree(
        tmp_path, {"a.yaml": model("net.yaml"), "b.yaml": model("net.yaml"), "net.yaml": NET}
    )
    scanned = Scanned()
    files_read(tmp_path / "a.yaml", scanned)
    net = os.path.normpath(tmp_path / "net.yaml")
    kept = scanned.references[net]
    files_read(tmp_path / "b.yaml", scanned)
    assert scanned.references[net] is kept and len(scanned.references) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [", NOT_YAML),
        ("a: 1\n---\nb: 2\n", NOT_YAML),
        ("- arch: x.yaml\n", References(("x.yaml",), True, frozenset())),
        (
            "models: {m: {arch: x.yaml}}\nuse: [u.yaml]\n",
            References(("x.yaml", "u.yaml"), True, frozenset({"models", "use"})),
        ),
        ("include: d.yaml\n", References(("d.yaml",), True, frozenset({"include"}))),
        # a list and a mapping as keys, then references after them
        (
            "? [k]\n: v\n? {a: 1}\n: {arch: y.yaml}\nm: {n: {arch: x.yaml}}\n",
            References(("y.yaml", "x.yaml"), True, frozenset({"m"})),
        ),
        ("!!merge x: {}\n", References((), False, frozenset({"<<"}))),
        ("arch: !!str 3\nx: {arch: 3}\n", References(("3",), True, frozenset({"arch", "x"}))),
    ],
)
def test_scan(text: str, expected: References) -> None:
    assert scan(text) == expected


def test_the_shipped_specs_read_exactly_what_expansion_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    scanned = Scanned()
    for spec in sorted((ROOT / "specs").rglob("*.yaml")):
        found = files_read(spec, scanned)
        expanded, _ = read_spec(spec)
        assert expanded is not None and found is not None, spec
        assert found == {os.path.normpath(os.path.abspath(name)) for name in expanded.files}


# (the file's bytes, the size its stat gave, the limit, the bytes read)
READS_AT_MOST = [
    (b"abc", 3, 10, b"abc"),  # as its stat said
    (b"", 0, 10, b""),
    (b"abcdef", 3, 10, b"abcdef"),  # grew since its stat: read on
    (b"x" * 20, 3, 10, b"x" * 11),  # grew past the limit: one byte more than it, no more
    (b"x" * 20, 10, 10, b"x" * 11),
    (b"ab", 5, 10, b"ab"),  # shrank since
]


@pytest.mark.parametrize(("content", "size", "limit", "expected"), READS_AT_MOST)
def test_read_at_most(content: bytes, size: int, limit: int, expected: bytes) -> None:
    import io

    from budgetlint.spec.reads import read_at_most

    assert read_at_most(io.BytesIO(content), size, limit) == expected


@pytest.mark.parametrize("size", [0, 5, 2 * 1024 * 1024, 2 * 1024 * 1024 + 1])
def test_read_bytes_takes_files_up_to_the_limit(tmp_path: Path, size: int) -> None:
    from budgetlint.spec.reads import MAX_FILE_BYTES, read_bytes

    path = tmp_path / "a.yaml"
    path.write_bytes(b"x" * size)
    assert read_bytes(path) == (b"x" * size if size <= MAX_FILE_BYTES else None)
    assert read_bytes(tmp_path) is None and read_bytes(tmp_path / "missing") is None
    assert read_bytes(str(tmp_path / "a\0b")) is None  # as os.path.isfile: no error
