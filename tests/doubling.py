"""Specs whose expansion doubles at every level (issue 9's H2): forty blocks, each using
the one before twice through a block use, a parallel, a residual or a repeat."""

from __future__ import annotations

from pathlib import Path

DOUBLING_KINDS = ("block", "parallel", "residual", "repeat")


def doubling(kind: str, levels: int = 40, leaf: str = "") -> str:
    """The spec text; block b0 holds `leaf` (nothing, or e.g. `relu`)."""
    uses = {
        "block": "b{p}, b{p}",
        "parallel": "parallel: {{branches: [[b{p}], [b{p}]], merge: add}}",
        "residual": "residual: {{body: [b{p}], shortcut: [b{p}]}}",
        "repeat": "repeat: {{times: 2, body: [b{p}]}}",
    }[kind]
    blocks = "\n".join(f"  b{i}: {{layers: [{uses.format(p=i - 1)}]}}" for i in range(1, levels))
    head = f"version: 1\ninput: [1, 4]\nblocks:\n  b0: {{layers: [{leaf}]}}\n"
    return f"{head}{blocks}\nlayers: [b{levels - 1}]\n"


def arch_chain(folder: Path, levels: int = 40, leaf: str = "") -> Path:
    """Architecture files a0 … a{levels}, each using the next twice; the spec that uses a0."""
    for i in range(levels):
        (folder / f"a{i}.yaml").write_text(
            f"version: 1\nlayers: [arch: a{i + 1}.yaml, arch: a{i + 1}.yaml]\n"
        )
    (folder / f"a{levels}.yaml").write_text(f"version: 1\nlayers: [{leaf}]\n")
    spec = folder / "s.yaml"
    spec.write_text("version: 1\ninput: [1, 4]\nlayers: [arch: a0.yaml]\n")
    return spec
