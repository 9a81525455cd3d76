"""docs/conventions.md is generated from the convention tables: keep it in sync."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_conventions_doc_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "conventions_doc.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    committed = (ROOT / "docs" / "conventions.md").read_text()
    assert committed == done.stdout, "run: python tools/conventions_doc.py > docs/conventions.md"
