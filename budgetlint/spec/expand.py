"""The spec stage's front door: one spec file read into its devices and models.

The work is done by files (loading, once per file), blocks (what a file can use),
expander (unrolling layer lists), binding (attributes and parameters) and models
(assembling each model).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from budgetlint.device import Device
from budgetlint.graph import Shape
from budgetlint.problems import Problem, SpecError
from budgetlint.spec.devices import read_devices
from budgetlint.spec.expander import Expander
from budgetlint.spec.files import Files, RunWork
from budgetlint.spec.files import display_path as display_path
from budgetlint.spec.load import Document
from budgetlint.spec.models import ModelSpec, Unbuilt, declared_model, file_model
from budgetlint.spec.reads import confinement_root
from budgetlint.spec.sources import WORK_TREE, Source, WorkTree


@dataclass(frozen=True)
class Spec:
    path: str
    convention: str
    devices: Mapping[str, Device]
    models: tuple[ModelSpec, ...]
    files: tuple[str, ...]  # every file it reads (loaded or not), this one first
    unbuilt: tuple[Unbuilt, ...] = ()


Reading = tuple[Spec | None, list[Problem]]  # a spec (None: unreadable) and its problems


def read_spec(
    path: Path,
    input_override: Shape | None = None,
    source: Source = WORK_TREE,
    file_architecture: bool = True,
    documents: dict[str, Document] | None = None,
    work: RunWork | None = None,
) -> Reading:
    """Load, validate and expand one spec file; all the problems found, not just the first.

    Without `file_architecture`, a top-level `layers:` is not made a model of its own
    (the file is another spec's architecture). `documents`: the files other readings
    from the same source loaded (see read_forms); `work`: what the run's readings have
    done together, against its bounds (by default this reading's own)."""
    own, part = read_forms(path, input_override, source, documents, file_architecture, work)
    return own if file_architecture else part


def read_forms(
    path: Path,
    input_override: Shape | None = None,
    source: Source = WORK_TREE,
    documents: dict[str, Document] | None = None,
    file_architecture: bool = True,
    work: RunWork | None = None,
) -> tuple[Reading, Reading]:
    """The spec as read_spec reads it with `file_architecture` and without, from one
    reading: the second is the first as it stood before its top-level `layers:` was made
    a model (the last step), so a run that finds the file is another spec's architecture
    does not read it again. Without `file_architecture` the two are the same reading.

    `documents` (normalised path -> document) holds the files loaded and validated by the
    run's other readings from the same source, and gets this one's: a file that many
    specs read is loaded once (each reading still confines it and lists it)."""
    files = Files(source, confinement_root(path) if isinstance(source, WorkTree) else None, work)
    if documents is not None:
        files.shared = documents
    try:
        document = files.load(path)
    except SpecError as error:
        return (None, list(error.problems)), (None, list(error.problems))
    expander = Expander(files)
    problems: list[Problem] = []
    table, device_problems = read_devices(document, files.load)
    devices = table.devices
    problems.extend(device_problems)
    try:
        file_blocks = expander.file_blocks(document)
    except SpecError as error:
        failed = [*problems, *error.problems]
        return (None, failed), (None, list(failed))
    models: list[ModelSpec] = []
    unbuilt: list[Unbuilt] = []
    for name, written in document.data.get("models", {}).items():
        try:
            models.append(
                declared_model(expander, document, name, file_blocks, table, input_override)
            )
        except SpecError as error:
            problems.extend(error.problems)
            unbuilt.append(Unbuilt(name, tuple(written.get("devices", []))))

    def spec(models: list[ModelSpec], unbuilt: list[Unbuilt], problems: list[Problem]) -> Reading:
        if not models and not devices and not problems and not _has_any(document):
            problems = [
                *problems,
                Problem(document.position(()), "spec.empty", "no models, layers or devices"),
            ]
        convention = document.data.get("convention", "default")
        found = Spec(
            document.path, convention, devices, tuple(models), tuple(files.read), tuple(unbuilt)
        )
        return found, list(problems)

    part = spec(models, unbuilt, problems)
    if "layers" not in document.data or not file_architecture:
        return spec(models, unbuilt, problems), part
    try:
        models.append(file_model(expander, document, file_blocks, input_override))
    except SpecError as error:
        problems.extend(error.problems)
        unbuilt.append(Unbuilt(Path(document.path).stem, ()))
    return spec(models, unbuilt, problems), part


def _has_any(document: Document) -> bool:
    """Layers (another spec's architecture) or blocks (a library that others `use:`)."""
    return "layers" in document.data or bool(document.data.get("blocks"))


__all__ = ["ModelSpec", "Reading", "Spec", "Unbuilt", "display_path", "read_forms", "read_spec"]
