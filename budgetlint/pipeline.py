"""The stages put together: files in, one Result out. No printing, no exit codes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from budgetlint.budgets import Device, Verdict, judge
from budgetlint.engine.conventions import CONVENTIONS
from budgetlint.engine.cost import Shape
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.problems import Position, Problem, SpecError
from budgetlint.spec.expand import Spec, display_path, read_spec
from budgetlint.spec.sources import GitRevision, resolve_revision


@dataclass(frozen=True)
class ModelResult:
    spec: str  # the budget (or architecture) file that declares the model
    report: ModelReport
    base: ModelReport | None = None  # at the base revision; None when not asked or new
    device: Device | None = None  # whose dtypes and roofline the report uses (report --device)


@dataclass(frozen=True)
class Result:
    models: tuple[ModelResult, ...]
    verdicts: tuple[Verdict, ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...]
    base_ref: str | None = None
    strict: bool = False
    sort: str = "order"  # how report orders its layer rows
    top: int | None = None  # and how many it shows
    warnings: tuple[Problem, ...] = ()  # checked anyway, but said (a base that can't be read)

    @property
    def reports(self) -> tuple[ModelReport, ...]:
        return tuple(model.report for model in self.models)

    @property
    def exit_code(self) -> int:
        if self.problems:
            return 2
        if any(not verdict.ok for verdict in self.verdicts):
            return 1
        warned = self.warnings or any(verdict.warning for verdict in self.verdicts)
        return 1 if self.strict and warned else 0


def _base_reports(
    path: Path,
    revision: GitRevision,
    convention: str | None,
    input_shape: Shape | None,
    warnings: list[Problem],
) -> dict[str, ModelReport]:
    """The spec's models as they stood at the base. A spec missing there is new; one that
    can't be read there is said, so that growth limits are not skipped in silence."""
    spec, problems = read_spec(path, input_shape, revision)
    shown = display_path(path)
    missing = spec is None and problems and problems[0].code == "file.missing"
    if missing and problems[0].position.path == shown:
        return {}  # the spec itself is new since the base
    if spec is None or problems:
        first = problems[0] if problems else None
        warnings.append(
            Problem(
                Position(shown),
                "base.unreadable",
                f"its models can't be evaluated at {revision.ref}, so they have no base and "
                f"max_increase is not checked: {first}",
            )
        )
        return {}
    chosen = CONVENTIONS[convention or spec.convention]
    reports = {}
    for model in spec.models:
        try:
            reports[model.architecture.name] = evaluate(model.architecture, chosen)
        except SpecError as error:
            warnings.append(
                Problem(
                    Position(shown),
                    "base.unreadable",
                    f"model '{model.architecture.name}' can't be evaluated at {revision.ref}: "
                    f"{error.problems[0]}",
                )
            )
    return reports


def _selected(spec: Spec, model: str | None, problems: list[Problem]) -> Spec:
    if model is None:
        return spec
    chosen = tuple(m for m in spec.models if m.architecture.name == model)
    if not chosen:
        names = ", ".join(m.architecture.name for m in spec.models) or "none"
        problems.append(
            Problem(Position(spec.path), "cli.model", f"no model '{model}' (models: {names})")
        )
    return replace(spec, models=chosen)


def run(
    paths: Sequence[Path],
    *,
    convention: str | None = None,
    input_shape: Shape | None = None,
    model: str | None = None,
    base: str | None = None,
    strict: bool = False,
    device: str | None = None,
    sort: str = "order",
    top: int | None = None,
) -> Result:
    """Check every file; problems in one file don't stop the others."""
    models: list[ModelResult] = []
    verdicts: list[Verdict] = []
    problems: list[Problem] = []
    warnings: list[Problem] = []
    files: list[str] = []
    revision: GitRevision | None = None
    if base is not None:
        try:
            folder = paths[0].resolve().parent if paths else Path.cwd()
            start = folder if folder.is_dir() else Path.cwd()
            revision = resolve_revision(base, start)
        except SpecError as error:
            return Result((), (), error.problems, (), base, strict, sort, top)
    for path in paths:
        found_spec, found = read_spec(path, input_shape)
        problems.extend(found)
        if found_spec is None:
            files.append(display_path(path))
            continue
        files.append(found_spec.path)
        spec = _selected(found_spec, model, problems)
        chosen = CONVENTIONS[convention or spec.convention]
        shown_on = _device(spec, device, problems)
        before = (
            _base_reports(path, revision, convention, input_shape, warnings) if revision else {}
        )
        for model_spec in spec.models:
            try:
                report = evaluate(model_spec.architecture, chosen)
            except SpecError as error:
                problems.extend(error.problems)
                continue
            base_report = before.get(report.name)
            models.append(ModelResult(spec.path, report, base_report, shown_on))
            for target in model_spec.devices:
                verdicts.extend(judge(report, spec.devices[target], base_report))
    return Result(
        tuple(models),
        tuple(verdicts),
        tuple(problems),
        tuple(files),
        base,
        strict,
        sort,
        top,
        tuple(warnings),
    )


def _device(spec: Spec, name: str | None, problems: list[Problem]) -> Device | None:
    if name is None:
        return None
    if name not in spec.devices:
        known = ", ".join(spec.devices) or "none"
        problems.append(
            Problem(Position(spec.path), "cli.device", f"no device '{name}' (devices: {known})")
        )
        return None
    return spec.devices[name]
