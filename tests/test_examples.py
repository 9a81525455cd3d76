"""Example files: pass/*.yaml must exit 0; each fail/*.yaml states its expectations.

A fail example's header has one line per expected problem:
    # expect: EXIT FILE:LINE:COL: MESSAGE
and the run must exit with EXIT and print each `FILE:LINE:COL: ...MESSAGE...`
line (MESSAGE is a substring), running from the fail/ folder. Binary and
non-UTF-8 examples keep a readable header, read as bytes. A new case is a new file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent / "examples"
EXPECT = re.compile(r"^# expect: (\d) (\S+?):(\d+):(\d+): (.*)$")


def expectations(path: Path) -> list[tuple[int, str, str]]:
    header = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    found = []
    for line in header:
        match = EXPECT.match(line)
        if not match:
            break
        code, file, row, col, message = match.groups()
        found.append((int(code), f"{file}:{row}:{col}: ", message))
    return found


@pytest.mark.parametrize("path", sorted((EXAMPLES / "pass").glob("*.yaml")), ids=lambda p: p.name)
def test_pass_examples(path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(path.parent)
    for command in (["check", path.name], ["report", path.name]):
        run = cli(*command)
        assert (run.code, run.err) == (0, ""), run.out


@pytest.mark.parametrize("path", sorted((EXAMPLES / "fail").glob("*.yaml")), ids=lambda p: p.name)
def test_fail_examples(path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    expected = expectations(path)
    assert expected, f"{path.name} has no '# expect:' header"
    monkeypatch.chdir(path.parent)
    run = cli("check", path.name)
    assert run.code == expected[0][0]
    assert "Traceback" not in run.err
    lines = run.err.splitlines() + run.out.splitlines()
    for _, where, message in expected:
        hits = [line for line in lines if line.startswith(where)]
        assert hits, f"nothing reported at {where}; got:\n{run.err}"
        assert any(message in line for line in hits), f"{where}: {hits}"
