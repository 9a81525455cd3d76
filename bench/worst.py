"""The worst inputs budgetlint's limits let through, each run as a user would (issue 9).

    python3 -m venv /tmp/bench && /tmp/bench/bin/pip install .   # non-editable, compiled
    /tmp/bench/bin/python bench/worst.py [--only chain,devices] [--commands check,report-json]

Issue 9 asks that every input, whatever it holds, ends within 5 s of CPU and 300 MiB
on this machine. Each input here is written to reach one of the README's "Bad input"
limits (steps per model and per file, YAML values, file size, layers × devices judged,
aliases, name length) with the costliest content found for it; each command runs once
as a fresh process of the venv's console script, in a temporary git repository. The
table shows CPU (user + system) and peak RSS of the whole process, the exit code, and
whether both stay within the bounds. A row over the bounds is the work left.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from chain import chain
from startup import Sample, run_once

SECONDS = 5.0
MIB = 1024 * 1024
MEMORY = 300 * MIB

_HEAD = "version: 1\ndevices:\n  d: {budgets: {params: 1T, macs: 1000T, size: 1000TB}}\n"
_MODEL = "models:\n  m:\n    input: [1, 4, 4, 4]\n    devices: [d]\n    layers: [{}]\n"


def _model(items: str, head: str = _HEAD) -> str:
    return head + _MODEL.format(items)


def residuals(count: int = 49_000) -> str:
    """Two steps and two rows (a layer, a merge) each; four YAML values each."""
    return _model(", ".join(["{residual: {body: [relu]}}"] * count))


def parallels(count: int = 19_999) -> str:
    """Five steps and three rows each (two branches of one layer, an add)."""
    return _model(", ".join(["{parallel: {merge: add, branches: [[relu], [relu]]}}"] * count))


def templates(uses: int = 124, pairs: int = 400) -> str:
    """A block of `${}` attributes used with a different argument each time: nothing is
    replayed, every step substitutes."""
    body = ", ".join(['{conv2d: {out: "${c}", kernel: 1}}', "relu"] * pairs)
    calls = ", ".join(f"{{b: {{c: {i}}}}}" for i in range(1, uses + 1))
    return f"{_HEAD}blocks:\n  b:\n    params: {{c: int}}\n    layers: [{body}]\n" + _MODEL.format(
        calls
    )


def deep_names(levels: int = 12, leaves: int = 20) -> str:
    """Each block uses the one below twice under long names: 2^(levels-1) × leaves layers
    whose names reach the 200-character cap."""
    blocks = "".join(
        f"  b{i}: {{layers: [{{name: {'n' * 24}{i}a, b{i - 1}: {{}}}}, "
        f"{{name: {'n' * 24}{i}b, b{i - 1}: {{}}}}]}}\n"
        for i in range(1, levels)
    )
    return (
        f"{_HEAD}blocks:\n  b0: {{layers: [{', '.join(['relu'] * leaves)}]}}\n{blocks}"
        + _MODEL.format(f"b{levels - 1}")
    )


def devices(count: int = 10, layers: int = 99_990) -> str:
    """Layers × devices at the judging limit, every device with every per-layer budget."""
    budgets = (
        "params: 1T, macs: 1000T, size: 1000TB, peak_activations: 1000TB, "
        "latency: 1000s, mac_bytes: 1000TB"
    )
    table = "".join(
        f"  d{i}: {{compute: {{float32: {i + 1}TFLOPS}}, bandwidth: {i + 1}TB/s, "
        f"layer_overhead: 1us, budgets: {{{budgets}}}}}\n"
        for i in range(count)
    )
    targets = ", ".join(f"d{i}" for i in range(count))
    return (
        f"version: 1\ndevices:\n{table}models:\n  m:\n    input: [1, 4, 4, 4]\n"
        f"    devices: [{targets}]\n    layers: [{', '.join(['relu'] * layers)}]\n"
    )


def glob_devices(count: int = 10, layers: int = 99_990) -> str:
    """Devices that each store weights by a layer-name glob of their own: each resolves
    its rule for every layer (no two devices store alike)."""
    table = "".join(
        f"  d{i}: {{dtype: int8, overrides: [{{layers: ['*.{i}*'], dtype: float16}}], "
        "budgets: {size: 1000TB, mac_bytes: 1000TB}}\n"
        for i in range(count)
    )
    targets = ", ".join(f"d{i}" for i in range(count))
    return (
        f"version: 1\ndevices:\n{table}models:\n  m:\n    input: [1, 4]\n"
        f"    devices: [{targets}]\n"
        f"    layers: [{{name: r, repeat: {{times: {layers}, body: [linear: {{out: 4}}]}}}}]\n"
    )


def inputs(models: int = 100, layers: int = 10_000) -> str:
    """One block at many input shapes: each is an expansion of its own."""
    table = "".join(
        f"  m{i}: {{input: [1, 4, 4, {i + 1}], devices: [d], layers: [a]}}\n" for i in range(models)
    )
    return f"{_HEAD}blocks:\n  a: {{layers: [{', '.join(['relu'] * layers)}]}}\nmodels:\n{table}"


def broken_readers(models: int = 1_000) -> str:
    """Many models reading one broken 2 MiB architecture (written beside it)."""
    table = "".join(
        f"  m{i}: {{input: [1, 4, 4, {i + 1}], devices: [d], arch: broken.yaml}}\n"
        for i in range(models)
    )
    return f"{_HEAD}models:\n{table}"


def broken_architecture(count: int = 199_990) -> str:
    """Just under 2 MiB with a problem at its very end."""
    layers = ", ".join(["relu"] * count)
    return f"version: 1\nlayers: [{layers}]\nunknown_key: 1\n"


def aliases(anchored: int = 350, uses: int = 255) -> str:
    """An anchored list used by every alias the reader allows, up to the value limit."""
    layers = ", ".join(["relu"] * anchored)
    calls = ", ".join(["{repeat: {times: 1, body: *a}}"] * uses)
    return (
        f"{_HEAD}models:\n  m:\n    input: [1, 4, 4, 4]\n    devices: [d]\n"
        f"    layers: [{{repeat: {{times: 1, body: &a [{layers}]}}}}, {calls}]\n"
    )


# name → the files it writes; those named spec*.yaml are the command line
INPUTS: dict[str, Callable[[], dict[str, str]]] = {
    "chain": lambda: {"spec.yaml": chain(99_990)},
    "residuals": lambda: {"spec.yaml": residuals()},
    "parallels": lambda: {"spec.yaml": parallels()},
    "templates": lambda: {"spec.yaml": templates()},
    "deep-names": lambda: {"spec.yaml": deep_names()},
    "devices": lambda: {"spec.yaml": devices()},
    "glob-devices": lambda: {"spec.yaml": glob_devices()},
    "inputs": lambda: {"spec.yaml": inputs()},
    "broken-readers": lambda: {
        "spec.yaml": broken_readers(),
        "broken.yaml": broken_architecture(),
    },
    "aliases": lambda: {"spec.yaml": aliases()},
    # one command line of several files, each within its own bounds: the run's bound
    "run-of-files": lambda: {f"spec{i}.yaml": residuals(24_000) for i in range(8)},
}

COMMANDS: dict[str, tuple[str, ...]] = {
    "check": ("check",),
    "check-json": ("check", "--format", "json"),
    "check-sarif": ("check", "--format", "sarif"),
    "report": ("report",),
    "report-json": ("report", "--format", "json"),
    "report-html": ("report", "--format", "html"),
}


def measure(budgetlint: str, name: str, command: str, folder: Path) -> Sample:
    case = folder / name
    case.mkdir()
    subprocess.run(["git", "init", "-q", str(case)], check=True)
    files = INPUTS[name]()
    for file, text in files.items():
        (case / file).write_text(text, encoding="utf-8")
    specs = sorted(file for file in files if file.startswith("spec"))  # the command line
    return run_once([budgetlint, *COMMANDS[command], *specs], case)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="inputs, comma-separated (default: all)")
    parser.add_argument("--commands", default="check,check-json,report,report-json")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(INPUTS)
    commands = args.commands.split(",")
    budgetlint = str(Path(args.python).parent / "budgetlint")
    print(f"| input | command | CPU s | peak MiB | exit | within {SECONDS:g} s, 300 MiB |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    with tempfile.TemporaryDirectory() as temporary:
        for name in names:
            for command in commands:
                folder = Path(temporary) / command
                folder.mkdir(exist_ok=True)
                sample = measure(budgetlint, name, command, folder)
                holds = sample.cpu <= SECONDS and sample.rss <= MEMORY and sample.code in (0, 1, 2)
                worst = max(worst, sample.cpu)
                print(
                    f"| {name} | {command} | {sample.cpu:.2f} | {sample.rss / MIB:.0f} | "
                    f"{sample.code} | {'yes' if holds else 'NO'} |",
                    flush=True,
                )
    print(f"\nworst CPU: {worst:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
