"""README.md's generated tables (tools/readme_tables.py) equal their registries."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT

TOOL = ROOT / "tools" / "readme_tables.py"


def test_readme_tables_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(TOOL), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"run: python tools/readme_tables.py ({done.stderr.strip()})"


def test_a_stale_table_is_found(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The check can fail: a README whose format table lost a row is stale."""
    sys.path.insert(0, str(TOOL.parent))
    try:
        import readme_tables
    finally:
        sys.path.remove(str(TOOL.parent))
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    stale = text.replace("| `html` |", "| `htm` |")
    assert stale != text
    assert readme_tables.current(stale) == text


def test_every_link_inside_the_readme_finds_its_heading() -> None:
    from budgetlint.rules import anchor

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    prose = re.sub(r"```.*?```", "", text, flags=re.S)  # a `# comment` in a block is no heading
    headings = {anchor(heading) for heading in re.findall(r"^#{1,4} (.+)$", prose, re.M)}
    assert set(re.findall(r"\]\(#([^)]+)\)", text)) <= headings
