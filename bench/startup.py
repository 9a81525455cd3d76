"""budgetlint's costs beside their floors, measured side by side in one run (issue 11).

    python3 -m venv /tmp/bench && /tmp/bench/bin/pip install .   # non-editable, compiled
    /tmp/bench/bin/python bench/startup.py [--runs 9] [--peers-python /path/to/python]

Every command runs as a fresh process, as a user or a pre-commit hook runs it: the
console script of the venv this script runs in (or `--python`). Its cost is the CPU
time of the whole process (user + system, the `resource.getrusage(RUSAGE_CHILDREN)`
delta around it) and, where asked, its peak RSS. Each row is a pair, a command and
its floor, run alternately (floor first on even rounds, last on odd ones) `--runs`
times; the table shows the medians, the median of the rounds' differences and ratios,
and the goal of issue 11. Ratios and differences compare within one machine at one
moment, so they hold when absolute times move with the load.

With `--peers-python` (a Python with torch, torchvision and the peers installed),
fvcore, thop and ptflops count resnet50 in their own processes beside
`budgetlint report specs/zoo/resnet50.yaml`; peers that python can't import are
skipped, and the rows are skipped without it.

The files measured are written to a temporary folder: a 100,000-layer chain, a
budget file of 1,000 models over the 4 architectures of specs/mobile.yaml (beside
one model of the largest of them), LLaMA-2-70B's prefill spec imported from its
public config.json, and a small git repository for `--base`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024

# meta-llama/Llama-2-70b-hf's config.json (the fields an import reads).
LLAMA_2_70B = {
    "model_type": "llama",
    "architectures": ["LlamaForCausalLM"],
    "hidden_size": 8192,
    "intermediate_size": 28672,
    "num_hidden_layers": 80,
    "num_attention_heads": 64,
    "num_key_value_heads": 8,
    "vocab_size": 32000,
    "max_position_embeddings": 4096,
    "rms_norm_eps": 1e-05,
    "rope_theta": 10000.0,
    "tie_word_embeddings": False,
    "hidden_act": "silu",
}
PREFILL_TOKENS = 4096

# Each op keeps the [1, 4, 4, 4] shape, so the chain is any length.
_CYCLE = ("conv2d: {out: 4, kernel: 1}", "relu", "batchnorm2d", "relu", "linear: {out: 4}", "relu")
_DEVICE = "version: 1\ndevices:\n  d: {budgets: {params: 1T, macs: 1000T, size: 1000TB}}\n"

PEERS = {
    "fvcore": (
        "from fvcore.nn import FlopCountAnalysis\n"
        "FlopCountAnalysis(model, torch.zeros(1, 3, 224, 224))"
        ".unsupported_ops_warnings(False).uncalled_modules_warnings(False).total()"
    ),
    "thop": (
        "from thop import profile\n"
        "profile(model, inputs=(torch.zeros(1, 3, 224, 224),), verbose=False)"
    ),
    "ptflops": (
        "from ptflops import get_model_complexity_info\n"
        "get_model_complexity_info(model, (3, 224, 224), as_strings=False,"
        " print_per_layer_stat=False, verbose=False)"
    ),
}
OURS = ("budgetlint", "PyYAML", "jsonschema", "typer", "pydantic")
THEIRS = ("torch", "torchvision", "fvcore", "thop", "ptflops")
_PEER_PRELUDE = "import torch, torchvision\nmodel = torchvision.models.resnet50().eval()\n"


@dataclass(frozen=True)
class Sample:
    """One process: CPU seconds (user + system), peak RSS in bytes, exit code."""

    cpu: float
    rss: int
    code: int


def run_once(command: Sequence[str], cwd: Path) -> Sample:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(cpu, usage.ru_maxrss * 1024, process.returncode)  # ru_maxrss: KiB (Linux)


@dataclass(frozen=True)
class Row:
    """A command measured beside its floor (None: shown alone), and the goal it has."""

    label: str
    command: Sequence[str]
    floor_label: str
    floor: Sequence[str] | None
    goal: str
    holds: Callable[[Measured], bool] | None = None
    cwd: Path = ROOT
    heavy: bool = False  # seconds per run: fewer rounds


@dataclass(frozen=True)
class Measured:
    row: Row
    cpu: float  # medians over the rounds
    floor_cpu: float
    above: float  # the median of the rounds' differences (seconds)
    ratio: float  # the median of the rounds' ratios
    rss: int
    codes: frozenset[int]


def measure(row: Row, rounds: int) -> Measured:
    run_once(row.command, row.cwd)  # warm: bytecode written, files in the page cache
    if row.floor is not None:
        run_once(row.floor, row.cwd)
    own: list[Sample] = []
    floors: list[Sample] = []
    for round_ in range(rounds):
        if row.floor is not None and round_ % 2 == 0:
            floors.append(run_once(row.floor, row.cwd))
        own.append(run_once(row.command, row.cwd))
        if row.floor is not None and round_ % 2 == 1:
            floors.append(run_once(row.floor, row.cwd))
    cpu = statistics.median(sample.cpu for sample in own)
    rss = int(statistics.median(sample.rss for sample in own))
    codes = frozenset(sample.code for sample in own)
    if not floors:
        return Measured(row, cpu, 0.0, 0.0, 0.0, rss, codes)
    return Measured(
        row,
        cpu,
        statistics.median(sample.cpu for sample in floors),
        statistics.median(a.cpu - b.cpu for a, b in zip(own, floors, strict=True)),
        statistics.median(a.cpu / b.cpu for a, b in zip(own, floors, strict=True)),
        rss,
        codes,
    )


def chain_spec(layers: int) -> str:
    body = ", ".join(_CYCLE[i % len(_CYCLE)] for i in range(layers))
    model = f"  chain:\n    input: [1, 4, 4, 4]\n    devices: [d]\n    layers: [{body}]\n"
    return f"{_DEVICE}models:\n{model}"


def models_spec(count: int, architectures: Sequence[str]) -> str:
    """`count` models (a sweep's variants) over the architectures, in turn, on one device."""
    models = "".join(
        f"  m{i}:\n    arch: {architectures[i % len(architectures)]}\n    devices: [d]\n"
        for i in range(count)
    )
    return f"{_DEVICE}models:\n{models}"


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def write_files(folder: Path, budgetlint: str) -> dict[str, Path]:
    """The generated inputs, in `folder`."""
    zoo = ROOT / "specs" / "zoo"
    shutil.copytree(zoo, folder / "zoo")
    mobile = ["zoo/lenet.yaml", "zoo/mobilenet_v2.yaml", "zoo/resnet18.yaml", "zoo/resnet50.yaml"]
    paths = {
        "chain": folder / "chain-100000.yaml",
        "models": folder / "models-1000.yaml",
        "one": folder / "models-1.yaml",
        "llama": folder / "llama-2-70b-prefill.yaml",
        "repo": folder / "repo",
    }
    paths["chain"].write_text(chain_spec(100_000), encoding="utf-8")
    paths["models"].write_text(models_spec(1000, mobile), encoding="utf-8")
    paths["one"].write_text(models_spec(1, ["zoo/resnet50.yaml"]), encoding="utf-8")
    config = folder / "llama-2-70b-config.json"
    config.write_text(json.dumps(LLAMA_2_70B), encoding="utf-8")
    tokens = str(PREFILL_TOKENS)
    subprocess.run(
        [budgetlint, "import", str(config), "--tokens", tokens, "-o", str(paths["llama"])],
        check=True,
        capture_output=True,
    )
    repo = paths["repo"]
    shutil.copytree(ROOT / "specs", repo / "specs")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "specs")
    mobile_spec = repo / "specs" / "mobile.yaml"  # one file changed since the base
    mobile_spec.write_text(mobile_spec.read_text().replace("params: 30M", "params: 31M"))
    return paths


def _within(limit_ms: float) -> Callable[[Measured], bool]:
    return lambda m: m.above * 1000 <= limit_ms


def _ratio_at_most(limit: float) -> Callable[[Measured], bool]:
    return lambda m: m.ratio <= limit


def rows(
    python: str,
    budgetlint: str,
    files: dict[str, Path],
    peers_python: str | None,
    selected: Sequence[str],
) -> list[Row]:
    """The rows; `selected`: the specs `hook HOOK_CHANGED` checks (its floor checks them)."""
    hook_floor = [python, "-c", "import yaml"]
    found = [
        Row(
            "check specs/mobile.yaml",
            [budgetlint, "check", "specs/mobile.yaml"],
            'python -c "import yaml, jsonschema, typer"',
            [python, "-c", "import yaml, jsonschema, typer"],
            "≤ +50 ms",
            _within(50),
        ),
        Row(
            "hook README.md pyproject.toml (nothing relevant)",
            [budgetlint, "hook", "README.md", "pyproject.toml"],
            'python -c "import yaml"',
            hook_floor,
            "≤ +30 ms",
            _within(30),
        ),
        Row(
            f"hook {HOOK_CHANGED} (selects {', '.join(selected)})",
            [budgetlint, "hook", HOOK_CHANGED],
            f"check {' '.join(selected)}",
            [budgetlint, "check", *selected],
            "≤ 1.0× (+ noise)",
            lambda m: m.above * 1000 <= 5,
        ),
        Row(
            f"check llama-2-70b-prefill.yaml ({PREFILL_TOKENS} tokens)",
            [budgetlint, "check", str(files["llama"])],
            'python -c "import yaml, jsonschema, typer"',
            [python, "-c", "import yaml, jsonschema, typer"],
            "≤ 1.5× the floor",
            _ratio_at_most(1.5),
        ),
        Row(
            "check chain-100000.yaml (100,000 layers)",
            [budgetlint, "check", str(files["chain"])],
            "",
            None,
            "≤ 1.5 s CPU, ≤ 120 MiB",
            lambda m: m.cpu <= 1.5 and m.rss <= 120 * MIB,
            heavy=True,
        ),
        Row(
            "check models-1000.yaml (1,000 models, 4 architectures)",
            [budgetlint, "check", str(files["models"])],
            "check models-1.yaml (1 model: resnet50)",
            [budgetlint, "check", str(files["one"])],
            "≤ 3×",
            _ratio_at_most(3),
            heavy=True,
        ),
        Row(
            "check specs/mobile.yaml --base HEAD (git repo, 1 of 5 files changed)",
            [budgetlint, "check", "specs/mobile.yaml", "--base", "HEAD"],
            "check specs/mobile.yaml",
            [budgetlint, "check", "specs/mobile.yaml"],
            "one git process; unchanged files reused",
            cwd=files["repo"],
        ),
    ]
    if peers_python is None:
        return found
    report = [budgetlint, "report", "specs/zoo/resnet50.yaml"]
    for peer, code in PEERS.items():
        if not _importable(peers_python, peer):
            print(f"skipped: {peer} (not importable by {peers_python})")
            continue
        found.append(
            Row(
                f"{peer}: resnet50 (torch, in its own process)",
                [peers_python, "-c", _PEER_PRELUDE + code],
                "report specs/zoo/resnet50.yaml",
                report,
                "",
                heavy=True,
            )
        )
    return found


# An architecture that specs/mobile.yaml reads, and a spec itself (under specs/): the
# hook checks it and the specs that read it, and its floor is a `check` of those specs.
HOOK_CHANGED = "specs/zoo/resnet50.yaml"


def _judged(command: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """The files a run checks and the models it judges ((spec, name) each)."""
    done = subprocess.run(
        [*command, "--format", "json"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    found = json.loads(done.stdout)
    return found["files"], [(model["spec"], model["name"]) for model in found["models"]]


def hook_selection(budgetlint: str) -> list[str]:
    """The specs `hook HOOK_CHANGED` checks, as it lists them."""
    return _judged([budgetlint, "hook", HOOK_CHANGED])[0]


def same_selection(budgetlint: str, selected: Sequence[str]) -> bool:
    """Whether the hook row's hook checks the files and judges the models that its
    `check` row does (its premise)."""
    hook = _judged([budgetlint, "hook", HOOK_CHANGED])
    return hook == _judged([budgetlint, "check", *selected])


def _importable(python: str, module: str) -> bool:
    probe = f"import torch, torchvision, {module}"
    done = subprocess.run([python, "-c", probe], capture_output=True, check=False)
    return done.returncode == 0


def _versions(python: str, names: Sequence[str]) -> str:
    code = (
        "from importlib.metadata import version, PackageNotFoundError\n"
        "def v(n):\n"
        "    try:\n        return version(n)\n"
        "    except PackageNotFoundError:\n        return None\n"
        f"print(', '.join(f'{{n}} {{v(n)}}' for n in {list(names)!r} if v(n)))"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _python_of(python: str) -> str:
    done = subprocess.run(
        [python, "-c", "import platform; print('Python', platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _editable(python: str) -> bool:
    done = subprocess.run(
        [python, "-c", "import budgetlint; print(budgetlint.__file__)"],
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip()).resolve().parent == ROOT / "budgetlint"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def table(measured: Sequence[Measured]) -> str:
    lines = [
        "| command | CPU | beside | its CPU | difference | ratio | peak RSS | goal | holds |",
        "|---|--:|---|--:|--:|--:|--:|---|---|",
    ]
    for m in measured:
        row = m.row
        codes = "" if m.codes <= {0, 1} else f" (exit {', '.join(map(str, sorted(m.codes)))})"
        paired = row.floor is not None
        holds = "" if row.holds is None else ("yes" if row.holds(m) else "**no**")
        above, ratio = f"{m.above * 1000:+,.0f} ms", f"{m.ratio:.2f}×"
        beside = [f"`{row.floor_label}`", _ms(m.floor_cpu), above, ratio] if paired else [""] * 4
        cells = [f"`{row.label}`{codes}", _ms(m.cpu), *beside, f"{m.rss / MIB:,.0f} MiB"]
        lines.append("| " + " | ".join([*cells, row.goal, holds]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="paired rounds per row (default 9)")
    parser.add_argument(
        "--heavy-runs", type=int, default=3, help="rounds for the rows of seconds (default 3)"
    )
    parser.add_argument("--python", default=sys.executable, help="the venv with budgetlint")
    parser.add_argument("--peers-python", help="a Python with torch, torchvision and the peers")
    parser.add_argument("--only", help="only the rows whose command contains this text")
    args = parser.parse_args(argv)
    python = args.python
    budgetlint = str(Path(python).parent / "budgetlint")
    system = f"{platform.system()} {platform.release()}"
    print(f"machine: {_cpu_model()}, {os.cpu_count()} cores, {system}")
    print(f"budgetlint's: {_python_of(python)}, {_versions(python, OURS)} ({python})")
    if args.peers_python:
        peers = _versions(args.peers_python, THEIRS)
        print(f"peers': {_python_of(args.peers_python)}, {peers} ({args.peers_python})")
    if _editable(python):
        print("warning: budgetlint is installed editable here; measure `pip install .`")
    with tempfile.TemporaryDirectory(prefix="budgetlint-bench-") as folder:
        files = write_files(Path(folder), budgetlint)
        selected = hook_selection(budgetlint)
        if not same_selection(budgetlint, selected):
            print(f"warning: `hook {HOOK_CHANGED}` checks other files than the check beside it")
        chosen = [
            row
            for row in rows(python, budgetlint, files, args.peers_python, selected)
            if args.only is None or args.only in row.label
        ]
        measured = []
        for row in chosen:
            measured.append(measure(row, args.heavy_runs if row.heavy else args.runs))
            print(f"measured: {row.label}", file=sys.stderr)
    print(f"\nmedians of {args.runs} paired rounds ({args.heavy_runs} for the rows of seconds):\n")
    print(table(measured))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
