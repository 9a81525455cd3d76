"""CI: the dependency floors in pyproject.toml really work, and so do the newest releases.

For each of two environments, in a fresh venv under .ci/.envs/:

- floors: the oldest supported Python found (3.10 when there is one), every runtime
  dependency and the build backend pinned to exactly the floor pyproject declares
  (`name>=X` becomes `name==X`);
- newest: the newest Python found, every dependency at its newest release;

it builds the wheel and the sdist with that environment's setuptools (LICENSE in both,
no tests in the sdist), installs the wheel (not editable), and runs the CLI end to end:
every shipped spec, `python -m budgetlint` from the repository root (where the source
tree shadows the installed package), report, schema, --version, and the configured
specs of a project read from its pyproject.toml (tomli on Python 3.10).

Run: `python3 .ci/floors.py` from anywhere (about two minutes; pip reaches only the
package registries). Exit 0 when everything works, 1 with the failing step otherwise.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
ENVS = ROOT / ".ci" / ".envs"
FLOOR = re.compile(r"^([A-Za-z0-9_.-]+)>=([^,;\s]+)\s*(;.*)?$")


def pinned_floors(requirements: list[str]) -> list[str]:
    """`typer>=0.15.4` → `typer==0.15.4`, markers kept; no `>=` floor is an error."""
    pins = []
    for requirement in requirements:
        match = FLOOR.match(requirement.strip())
        if match is None:
            raise SystemExit(f"floors: {requirement!r} has no `>=` floor to pin")
        name, version, marker = match.groups()
        pins.append(f"{name}=={version}{marker or ''}")
    return pins


def pythons() -> list[str]:
    """Interpreters that run, oldest first: python3.10 … python3.13 under pyenv or on PATH."""
    found = []
    for minor in range(10, 14):
        name = f"python3.{minor}"
        pyenv = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/3.{minor}.*/bin/{name}")))
        for path in [*pyenv, shutil.which(name)]:
            works = path and subprocess.run([path, "-c", "import venv"], capture_output=True)
            if works and works.returncode == 0:
                found.append(path)
                break
    return found or [sys.executable]


def run(*args: str | Path, cwd: Path = ROOT, expect: int = 0) -> str:
    shown = " ".join(str(arg) for arg in args)
    print(f"floors: $ {shown}", flush=True)
    done = subprocess.run([str(arg) for arg in args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != expect:
        sys.stdout.write(done.stdout + done.stderr)
        raise SystemExit(f"floors: exit {done.returncode}, expected {expect}: {shown}")
    return done.stdout


def build(python: Path, dist: Path) -> tuple[Path, Path]:
    """The wheel and the sdist, built by this environment's own setuptools (no isolation)."""
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir(parents=True)
    # one process per build: setuptools keeps state between two calls in one process
    scripts = [
        f"import sys; from setuptools import build_meta as b; b.build_{kind}(sys.argv[1])"
        for kind in ("wheel", "sdist")
    ]
    with tempfile.TemporaryDirectory() as scratch:  # keep build/ and egg-info out of the tree
        source = Path(scratch) / "src"
        files = run("git", "ls-files", "--cached", "--others", "--exclude-standard").split()
        for name in files:
            if (ROOT / name).is_file():
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, source / name)
        for script in scripts:
            run(python, "-c", script, dist, cwd=source)
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    wheel_names = zipfile.ZipFile(wheel).namelist()
    with tarfile.open(sdist) as archive:
        sdist_names = archive.getnames()
    if not any(name.endswith(".dist-info/licenses/LICENSE") for name in wheel_names):
        raise SystemExit(f"floors: no LICENSE in {wheel.name}")
    if not any(name.endswith("/LICENSE") for name in sdist_names):
        raise SystemExit(f"floors: no LICENSE in {sdist.name}")
    if not any(name.endswith("budgetlint/schemas/budgetlint.schema.json") for name in wheel_names):
        raise SystemExit(f"floors: no schema in {wheel.name}")
    if any("/tests/" in name for name in sdist_names):
        raise SystemExit(f"floors: {sdist.name} ships tests that can't run from it")
    return wheel, sdist


PROJECT = """[tool.budgetlint]
specs = ["budgets/*.yaml"]
"""


def end_to_end(venv: Path) -> None:
    bin_ = venv / "bin"
    budgetlint = bin_ / "budgetlint"
    version = run(budgetlint, "--version").strip()
    if not version.startswith("budgetlint "):
        raise SystemExit(f"floors: --version printed {version!r}")
    for command in ("check", "diff", "hook", "report", "schema"):
        run(budgetlint, command, "--help")
    for spec in sorted((ROOT / "specs").glob("*.yaml")):
        run(budgetlint, "check", spec.relative_to(ROOT))
    # from the root of the clone, where ./budgetlint shadows the installed package
    run(bin_ / "python", "-m", "budgetlint", "check", "specs/mobile.yaml")
    data = json.loads(run(budgetlint, "check", "specs/mobile.yaml", "--format", "json"))
    if data["exit_code"] != 0 or not data["verdicts"]:
        raise SystemExit("floors: the JSON document has no passing verdicts")
    for output in ("github", "sarif", "markdown"):
        run(budgetlint, "check", "specs/mobile.yaml", "--format", output)
    run(budgetlint, "report", "specs/zoo/resnet18.yaml")
    json.loads(run(budgetlint, "schema"))
    run(budgetlint, "check", "specs/mobile.yaml", "--format", "json", "--strict")
    with tempfile.TemporaryDirectory() as scratch:  # configured specs, from pyproject.toml
        project = Path(scratch)
        shutil.copytree(ROOT / "specs", project / "budgets")
        (project / "pyproject.toml").write_text(PROJECT)
        if "all hold" not in run(budgetlint, "check", cwd=project):
            raise SystemExit("floors: the configured specs did not all hold")
        # a broken budget still exits 1 at the floors
        mobile = project / "budgets" / "mobile.yaml"
        mobile.write_text(mobile.read_text().replace("params: 30M", "params: 20M"))
        run(budgetlint, "check", cwd=project, expect=1)


def environment(name: str, python: str, requirements: list[str], build_requirement: str) -> None:
    venv = ENVS / name
    shutil.rmtree(venv, ignore_errors=True)
    run(python, "-m", "venv", venv)
    pip = [
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    run(*pip, *requirements, build_requirement)
    print(run(venv / "bin" / "python", "-m", "pip", "list", "--disable-pip-version-check"))
    wheel, _ = build(venv / "bin" / "python", ENVS / f"dist-{name}")
    run(*pip, "--no-deps", wheel)
    run(venv / "bin" / "python", "-m", "pip", "check", "--disable-pip-version-check")
    end_to_end(venv)
    print(f"floors: {name} ({python}): ok", flush=True)


def main() -> int:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = pyproject["project"]["dependencies"]
    (backend,) = pyproject["build-system"]["requires"]
    found = pythons()
    newest = [FLOOR.sub(r"\1\3", requirement) for requirement in runtime]
    jobs = [
        ("floors", found[0], pinned_floors(runtime), *pinned_floors([backend])),
        ("newest", found[-1], ["--upgrade", *newest], FLOOR.sub(r"\1", backend)),
    ]
    # side by side: mostly waiting on pip, so the two take little longer than one
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for done in [pool.submit(environment, *job) for job in jobs]:
            done.result()  # a failure (SystemExit with its step) ends the run here
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
