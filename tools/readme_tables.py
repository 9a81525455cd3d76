"""Write README.md's generated tables from the registries they show.

    python tools/readme_tables.py          # rewrite the tables in README.md
    python tools/readme_tables.py --check  # exit 1, naming the tables, if one is stale

Each table sits between `<!-- generated: NAME (tools/readme_tables.py) -->` and
`<!-- end: NAME -->`; tests/test_readme_tables.py runs `--check`, so a table can't
drift from its registry. A new table is one function and one row of TABLES.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from budgetlint.render.formats import FORMATS  # noqa: E402
from budgetlint.rules import (  # noqa: E402
    RULES,
    SCHEMA_KEYWORDS,
    SPEC_FORMAT,
    anchor,
)

README = ROOT / "README.md"


def formats_table() -> list[str]:
    """budgetlint.render.formats.FORMATS: each --format and what it is for."""
    rows = [f"| `{row.name}` | {row.purpose} |" for row in FORMATS.values()]
    return ["| format | for |", "|---|---|", *rows]


def codes_table() -> list[str]:
    """budgetlint.rules: every problem code, what it means, and the section explaining it."""
    described = {code: (rule.description, rule.section) for code, rule in RULES.items()}
    for keyword, description in SCHEMA_KEYWORDS.items():
        described[f"schema.{keyword}"] = (description, SPEC_FORMAT)
    rows = [
        f"| `{code}` | {description} | [{section}](#{anchor(section)}) |"
        for code, (description, section) in sorted(described.items())
    ]
    return ["| code | what is wrong | see |", "|---|---|---|", *rows]


TABLES: dict[str, Callable[[], list[str]]] = {
    "formats": formats_table,
    "problem-codes": codes_table,
}


def _section(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- generated: {re.escape(name)} \(tools/readme_tables.py\) -->\n)"
        rf".*?(<!-- end: {re.escape(name)} -->)",
        re.S,
    )


def current(text: str) -> str:
    """The README with every generated table rewritten from its registry."""
    for name, table in TABLES.items():
        pattern = _section(name)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no generated section `{name}`")
        body = "\n".join(table()) + "\n"
        text = pattern.sub(lambda match, body=body: match.group(1) + body + match.group(2), text)
    return text


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    wanted = current(text)
    if "--check" in argv:
        if wanted != text:
            sys.stderr.write("README.md's generated tables are stale: run tools/readme_tables.py\n")
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
