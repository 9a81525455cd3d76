"""Write the README's counting tables from the work kinds and the default convention.

    python tools/counting_table.py            # print the tables
    python tools/counting_table.py --write    # replace them in README.md

The tables sit between two markers in README.md's "Counting" section;
tests/engine/test_work.py checks that they equal this output, so that the README
can't drift from budgetlint/engine/work.py and DEFAULT_WORK_FLOPS.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from budgetlint.engine.conventions import DEFAULT  # noqa: E402
from budgetlint.engine.work import WORK_KINDS  # noqa: E402

README = ROOT / "README.md"
BEGIN = "<!-- counting tables: written by tools/counting_table.py -->"
END = "<!-- end of the counting tables -->"
INDENT = "  "  # the tables belong to a list item


def tables() -> list[str]:
    lines = ["| work | FLOPs | per | counted |", "|---|---|---|---|"]
    for kind, price in DEFAULT.work_flops.items():
        row = WORK_KINDS[kind]
        lines.append(f"| `{kind}` | {price} | {row.unit} | {row.doc} |")
    lines += [
        "",
        "Kinds the default convention doesn't price: corrections that one tool's formula",
        "needs, and shares of another kind that only the backward prices apart:",
        "",
        "| work | per | counted | why |",
        "|---|---|---|---|",
    ]
    for kind, row in WORK_KINDS.items():
        if kind in DEFAULT.work_flops:
            continue
        why = row.quirk or f"a share of `{row.part_of}`, priced as it by the backward only"
        lines.append(f"| `{kind}` | {row.unit} | {row.doc} | {why} |")
    return [INDENT + line if line else "" for line in lines]


def block() -> str:
    return "\n".join([INDENT + BEGIN, "", *tables(), "", INDENT + END])


def replaced(readme: str) -> str:
    """README.md with the text between the markers (and their indentation) replaced."""
    start = readme.index(INDENT + BEGIN)
    end = readme.index(INDENT + END) + len(INDENT + END)
    return readme[:start] + block() + readme[end:]


def main(argv: list[str]) -> int:
    if argv == ["--write"]:
        README.write_text(replaced(README.read_text(encoding="utf-8")), encoding="utf-8")
    elif not argv:
        sys.stdout.write(block() + "\n")
    else:
        sys.stderr.write("usage: python tools/counting_table.py [--write]\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
