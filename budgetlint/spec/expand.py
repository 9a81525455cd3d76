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
from budgetlint.spec.files import Files
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


def read_spec(
    path: Path,
    input_override: Shape | None = None,
    source: Source = WORK_TREE,
    file_architecture: bool = True,
) -> tuple[Spec | None, list[Problem]]:
    """Load, validate and expand one spec file; all the problems found, not just the first.

    Without `file_architecture`, a top-level `layers:` is not made a model of its own
    (the file is another spec's architecture)."""
    files = Files(source, confinement_root(path) if isinstance(source, WorkTree) else None)
    try:
        document = files.load(path)
    except SpecError as error:
        return None, list(error.problems)
    expander = Expander(files)
    problems: list[Problem] = []
    table, device_problems = read_devices(document, files.load)
    devices = table.devices
    problems.extend(device_problems)
    try:
        file_blocks = expander.file_blocks(document)
    except SpecError as error:
        return None, [*problems, *error.problems]
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
    if "layers" in document.data and file_architecture:
        try:
            models.append(file_model(expander, document, file_blocks, input_override))
        except SpecError as error:
            problems.extend(error.problems)
            unbuilt.append(Unbuilt(Path(document.path).stem, ()))
    if not models and not devices and not problems and not _has_any(document):
        problems.append(
            Problem(document.position(()), "spec.empty", "no models, layers or devices")
        )
    spec = Spec(
        document.path,
        document.data.get("convention", "default"),
        devices,
        tuple(models),
        tuple(files.read),
        tuple(unbuilt),
    )
    return spec, problems


def _has_any(document: Document) -> bool:
    """Layers (another spec's architecture) or blocks (a library that others `use:`)."""
    return "layers" in document.data or bool(document.data.get("blocks"))


__all__ = ["ModelSpec", "Spec", "Unbuilt", "display_path", "read_spec"]
