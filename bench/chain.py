"""Write large specs for measuring budgetlint's per-layer cost (and its bounds).

    python bench/chain.py chain 100000 > /tmp/chain.yaml     # one model, N distinct layers
    python bench/chain.py sweep 1000 > /tmp/sweep.yaml       # N models (4 architectures)
    python bench/chain.py deep 60 > /tmp/deep.yaml           # blocks nested N deep

`chain` is one model whose layers are all written out (no `repeat`, no blocks):
conv2d, relu, batchnorm2d, relu, linear, relu, … cycling, with shapes that fit, so
that every layer is loaded, validated, expanded, evaluated and rendered on its own.
At 100,000 layers it stays under the 2 MiB file cap. `sweep` is a budget file of N
models over a few architectures written inline. Each spec has one device with
budgets that hold (exit 0), so `check` judges every model.

Importable: `chain(n)`, `sweep(n)` and `deep(n)` return the text, for the benchmark
and for tests that bound the work in-process.
"""

from __future__ import annotations

import argparse
import sys

_HEAD = "version: 1\ndevices:\n  d: {budgets: {params: 1T, macs: 1000T, size: 1000TB}}\n"

# Each op keeps the [1, 4, 4, 4] shape, so any order of them fits. 11 YAML values per
# 6 layers: 100,000 layers stay under both the 2 MiB and the 200,000-value caps.
_CYCLE = (
    "conv2d: {out: 4, kernel: 1}",
    "relu",
    "batchnorm2d",
    "relu",
    "linear: {out: 4}",
    "relu",
)


def chain_layers(count: int) -> str:
    """`count` layers in flow style, unnamed (named by position), to fit the file cap."""
    return ", ".join(_CYCLE[i % len(_CYCLE)] for i in range(count))


def chain(count: int) -> str:
    """One model of `count` distinct layers."""
    return (
        f"{_HEAD}models:\n  chain:\n    input: [1, 4, 4, 4]\n    devices: [d]\n"
        f"    layers: [{chain_layers(count)}]\n"
    )


def sweep(count: int, architectures: int = 4, layers: int = 25) -> str:
    """`count` models over `architectures` inline architectures of `layers` layers each
    (the models differ in name only, like a sweep file that lists many variants)."""
    blocks = "".join(
        f"  arch{a}: {{layers: [{chain_layers(layers + a)}]}}\n" for a in range(architectures)
    )
    models = "".join(
        f"  m{i}: {{input: [1, 4, 4, 4], devices: [d], layers: [arch{i % architectures}]}}\n"
        for i in range(count)
    )
    return f"{_HEAD}blocks:\n{blocks}models:\n{models}"


def deep(levels: int) -> str:
    """Blocks each using the previous one once: names `b{levels-1}.….b0.l0` grow deep."""
    blocks = "".join(
        f"  b{i}: {{layers: [{{name: n{i}, b{i - 1}: {{}}}}]}}\n" for i in range(1, levels)
    )
    return (
        f"{_HEAD}blocks:\n  b0: {{layers: [{{name: l0, relu: {{}}}}]}}\n{blocks}"
        f"models:\n  m: {{input: [1, 4, 4, 4], devices: [d], layers: [b{levels - 1}]}}\n"
    )


KINDS = {"chain": chain, "sweep": sweep, "deep": deep}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("count", type=int)
    args = parser.parse_args(argv)
    sys.stdout.write(KINDS[args.kind](args.count))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
