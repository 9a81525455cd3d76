"""The stages put together: files in, one Result out. No printing, no exit codes."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from budgetlint.budgets import Verdict, judge
from budgetlint.device import Device
from budgetlint.engine.conventions import CONVENTIONS, Convention
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.engine.memory import device_precision, names_matter
from budgetlint.graph import Architecture, Shape
from budgetlint.problems import Position, Problem, SpecError, fail, unique
from budgetlint.rules import FILE_MISSING
from budgetlint.spec.expand import Reading, Spec, display_path, read_forms, read_spec
from budgetlint.spec.files import RunWork
from budgetlint.spec.load import Document
from budgetlint.spec.sources import WORK_TREE, GitRevision, Source, resolve_revision


@dataclass(frozen=True)
class ModelResult:
    spec: str  # the budget (or architecture) file that declares the model
    report: ModelReport
    base: ModelReport | None = None  # at the base revision; None when not asked or new
    device: Device | None = None  # whose dtypes and roofline the report uses (report --device)
    targets: tuple[Device, ...] = ()  # the devices whose budgets it must fit


@dataclass(frozen=True)
class Unchecked:
    """What the run could not check, each for a problem it reports."""

    budgets: int = 0  # budgets unreadable, or of a model that could not be evaluated
    models: int = 0  # models that could not be built or evaluated
    devices: int = 0  # targets whose device definition is broken
    files: int = 0  # specs that could not be read at all

    def __bool__(self) -> bool:
        return bool(self.budgets or self.models or self.devices or self.files)


@dataclass(frozen=True)
class Result:
    models: tuple[ModelResult, ...]
    verdicts: tuple[Verdict, ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...]
    base_ref: str | None = None
    strict: bool = False
    warnings: tuple[Problem, ...] = ()  # checked anyway, but said (a base that can't be read)
    unchecked: Unchecked = Unchecked()

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
    unchanged: Spec | None = None,
    evaluated: Callable[[Architecture, Convention], ModelReport] = evaluate,
    work: RunWork | None = None,
) -> dict[str, ModelReport]:
    """The spec's models as they stood at the base. A spec missing there is new, unless
    git sees it renamed since (then its old path is read); one that can't be read there is
    said, so that growth limits are not skipped in silence. `unchanged`: the spec as read
    now, when every file it reads is the blob it was at the base; reading the base would
    give it again, so it is not read twice (and its evaluations are shared)."""
    shown = display_path(path)
    spec: Spec | None = unchanged
    problems: list[Problem] = []
    if unchanged is None:
        spec, problems = read_spec(path, input_shape, revision, work=work)
    missing = spec is None and problems and problems[0].code == FILE_MISSING
    if missing and problems[0].position.path == shown:
        old = revision.renamed_from(path)
        if old is None:
            return {}  # the spec itself is new since the base
        spec, problems = read_spec(old, input_shape, revision, work=work)
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
            reports[model.architecture.name] = evaluated(model.architecture, chosen)
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


@dataclass(frozen=True)
class _Read:
    path: Path
    spec: Spec | None
    problems: list[Problem]
    as_part: Reading  # the same reading without its own `layers:` model


def _reading(
    path: Path,
    input_shape: Shape | None,
    source: Source,
    documents: dict[str, Document],
    work: RunWork,
) -> _Read:
    """One spec of the run read once, as a file of its own and as another's architecture."""
    own, as_part = read_forms(path, input_shape, source, documents, work=work)
    return _Read(path, *own, as_part)


def _key(path: str | Path) -> str:
    return os.path.normpath(os.path.abspath(path))


def architectures_of_others(specs: Sequence[Spec]) -> set[str]:
    """Files (as normalised absolute paths) that another spec of the run reads, and that
    don't read it back: architectures and device libraries, not models of their own."""
    reads = {_key(spec.path): {_key(name) for name in spec.files[1:]} for spec in specs}
    return {
        target
        for reader, targets in reads.items()
        for target in targets
        if target != reader and reader not in reads.get(target, set())
    }


MAX_LAYERS_JUDGED = 1_000_000  # a model's layers × the devices it is judged on, per run
# (100,000 layers × 10 devices with every budget: about 1 s of CPU here, whatever the format)
BY_NAME_WEIGHT = 10  # a device whose overrides pick layers by name resolves them layer by
# layer (about 8 µs a layer, not shared with equal layers): its layers count ten times


def _judging_weight(device: Device) -> int:
    return BY_NAME_WEIGHT if names_matter(device_precision(device)) else 1


class _Evaluations:
    """evaluate() and judge(), once per expansion: models that share one (a sweep of one
    architecture at one input, see spec.models.declared_model) share its report and verdicts,
    under their own names."""

    def __init__(self) -> None:
        self.done: dict[tuple[object, ...], tuple[Architecture, ModelReport]] = {}
        self.shared: dict[int, tuple[ModelReport, ModelReport]] = {}  # id(copy) → (copy, it)
        self.layers_judged = 0  # layers × devices judged (each walks the layers), bounded
        # (shared report, device, base) → verdicts; the value keeps the device and base
        # alive, so that their ids are not reused while the key is in the table
        self.judged: dict[
            tuple[int, int, int], tuple[Device, ModelReport | None, tuple[Verdict, ...]]
        ] = {}

    def __call__(self, architecture: Architecture, convention: Convention) -> ModelReport:
        # everything of the architecture but its name
        key = (
            id(architecture.layers),
            architecture.input,
            convention.name,
            architecture.trainable,
            architecture.units,
            architecture.lora,
        )
        if key not in self.done:
            report = evaluate(architecture, convention)
            self.done[key] = (architecture, report)  # the architecture keeps the id in use
            return report
        shared = self.done[key][1]
        copy = replace(shared, name=architecture.name)
        self.shared[id(copy)] = (copy, shared)
        return copy

    def judge(
        self, report: ModelReport, device: Device, base: ModelReport | None
    ) -> tuple[Verdict, ...]:
        shared = self.shared[id(report)][1] if id(report) in self.shared else report
        key = (id(shared), id(device), id(base))
        if key not in self.judged:
            self.layers_judged += len(shared.layers) * (2 if base else 1) * _judging_weight(device)
            if self.layers_judged > MAX_LAYERS_JUDGED:
                raise fail(
                    device.position,
                    "device.too_many_targets",
                    f"judging {report.name} on {device.name}: more than "
                    f"{MAX_LAYERS_JUDGED:,} layers judged on devices in one run: refused",
                )
            self.judged[key] = (device, base, judge(shared, device, base))
        return tuple(replace(verdict, model=report.name) for verdict in self.judged[key][2])


def run(
    paths: Sequence[Path],
    *,
    convention: str | None = None,
    input_shape: Shape | None = None,
    model: str | None = None,
    base: str | None = None,
    strict: bool = False,
    device: str | None = None,
    unusable: Callable[[Device], Problem | None] | None = None,
    architectures: bool = True,
    source: Source = WORK_TREE,
) -> Result:
    """Check every file; problems in one file don't stop the others. A file that another
    of them reads (through `arch:` or `include:`) is that spec's part, not a model again.
    Without `architectures` (the configured specs), a file's own top-level `layers:` is
    checked for problems but is no model: it has no budgets, the specs that read it do.
    `unusable` refuses the device a report is shown on (`device`): its problem, and
    that file's models are not shown."""
    models: list[ModelResult] = []
    evaluated = _Evaluations()
    verdicts: list[Verdict] = []
    problems: list[Problem] = []
    warnings: list[Problem] = []
    files: list[str] = []
    unchecked = _Tally()
    revision: GitRevision | None = None
    if base is not None:
        try:
            folder = paths[0].resolve().parent if paths else Path.cwd()
            start = folder if folder.is_dir() else Path.cwd()
            shown = display_path(paths[0]) if paths else "."
            revision = resolve_revision(base, start, shown)
        except SpecError as error:
            return Result((), (), error.problems, (), base, strict)
    documents: dict[str, Document] = {}  # each file loaded once in the run
    work = RunWork()  # what every reading of the run has done, base included
    read = [_reading(path, input_shape, source, documents, work) for path in paths]
    documents.clear()  # read: the loaded files are not needed to evaluate (peak memory)
    parts = architectures_of_others([item.spec for item in read if item.spec is not None])
    as_at_base = _unchanged(read, revision)
    for item in read:
        path = item.path
        first = as_at_base.get(id(item))
        if item.spec is not None and _key(path) in parts:
            # as read before its own `layers:` became a model; its problems are its readers'
            item = _Read(path, *item.as_part, item.as_part)
        problems.extend(item.problems)
        if item.spec is None:
            files.append(display_path(path))
            unchecked.files += 1
            continue
        files.append(item.spec.path)
        spec = _selected(item.spec, model, problems)
        chosen = CONVENTIONS[convention or spec.convention]
        shown_on = _device(spec, device, problems)
        refused = unusable(shown_on) if unusable and shown_on else None
        if refused is not None:  # the report can't be shown on that device: say so, show nothing
            problems.append(refused)
            continue
        before = (
            _base_reports(path, revision, convention, input_shape, warnings, first, evaluated, work)
            if revision
            else {}
        )
        for unbuilt in spec.unbuilt:
            unchecked.model(spec, unbuilt.devices, revision is not None)
        for model_spec in spec.models:
            try:
                report = evaluated(model_spec.architecture, chosen)
            except SpecError as error:
                problems.extend(error.problems)
                unchecked.model(spec, model_spec.devices, revision is not None)
                continue
            if not (model_spec.declared or architectures):
                continue
            base_report = before.get(report.name)
            unchecked.devices += len(model_spec.unresolved)
            judged: set[str] = set()
            for target in dict.fromkeys(model_spec.devices):  # a device listed twice: once
                on = spec.devices[target]
                try:
                    verdicts.extend(evaluated.judge(report, on, base_report))
                except SpecError as error:
                    problems.extend(error.problems)
                    break
                judged.add(target)
                unchecked.budgets += _unreadable(on, revision is not None)
            # the devices past the judging bound are not shown either (their figures are
            # the work the bound refuses)
            targets = tuple(spec.devices[name] for name in model_spec.devices if name in judged)
            models.append(ModelResult(spec.path, report, base_report, shown_on, targets))
    if revision is not None:
        revision.close()
    return Result(
        tuple(models),
        tuple(verdicts),
        unique(problems),
        tuple(files),
        base,
        strict,
        unique(warnings),
        unchecked.freeze(),
    )


def _unchanged(read: Sequence[_Read], revision: GitRevision | None) -> dict[int, Spec]:
    """The specs (by id of their reading) read without a problem whose every file is the
    same blob at the base as now: one `git ls-tree` for all the files of the run."""
    if revision is None:
        return {}
    clean = [item for item in read if item.spec is not None and not item.problems]
    same = revision.unchanged({name for item in clean if item.spec for name in item.spec.files})
    return {
        id(item): item.spec
        for item in clean
        if item.spec is not None and same.issuperset(item.spec.files)
    }


def _unreadable(device: Device, with_base: bool) -> int:
    """Budgets of the device that could not be read, so are not judged."""
    return sum(with_base or not name.startswith("max_increase.") for name in device.unreadable)


class _Tally:
    """Counts what could not be checked while the run goes on."""

    def __init__(self) -> None:
        self.budgets = 0
        self.models = 0
        self.devices = 0  # model × device pairs whose device definition is broken
        self.files = 0

    def model(self, spec: Spec, targets: Sequence[str], with_base: bool) -> None:
        self.models += 1
        for target in targets:
            device = spec.devices.get(target)
            if device is None:
                self.devices += 1
                continue
            growth = len(device.growth) if with_base else 0
            self.budgets += len(device.limits) + growth + _unreadable(device, with_base)

    def freeze(self) -> Unchecked:
        return Unchecked(self.budgets, self.models, self.devices, self.files)


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
