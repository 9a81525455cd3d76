"""The files a spec reads: each loaded and validated once, inside the repository."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from budgetlint.graph import Shape
from budgetlint.imports.kinds import is_model
from budgetlint.problems import Position, SpecError, fail
from budgetlint.rules import FILE_CODES
from budgetlint.spec.load import Document, load_document
from budgetlint.spec.sources import MAX_FILE_BYTES, Source
from budgetlint.spec.validate import validate


def display_path(path: Path) -> str:
    """Relative to the working directory when it is below it, as users typed it."""
    try:
        relative = os.path.relpath(os.path.normpath(os.path.abspath(path)))
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


MAX_RUN_BYTES = 4 * 1024 * 1024  # of all the YAML files a run reads (each counted once)
# expansion steps of all the files a run reads (spec.expander): as many as one file may
# take, so that a run of many files costs what its largest file may (issue 9's 5 s)
MAX_RUN_STEPS = 125_000


@dataclass
class RunWork:
    """What a run's readings have done together, against the run's bounds: each file and
    model has bounds of its own, and these keep a command line (or a repository) of many
    files within the same seconds as one large file. A reading alone has its own."""

    bytes: int = 0
    steps: int = 0


@dataclass(frozen=True)
class _Metered:
    """The source, each read counted against the run's YAML bytes."""

    source: Source
    work: RunWork

    def read_bytes(self, path: Path, display: str, limit: int = MAX_FILE_BYTES) -> bytes:
        raw = self.source.read_bytes(path, display, limit)
        self.work.bytes += len(raw)
        if self.work.bytes > MAX_RUN_BYTES:
            raise fail(
                Position(display),
                "file.too_much_in_run",
                f"the files read in this run pass {MAX_RUN_BYTES:,} bytes together here: refused",
            )
        return raw


class Files:
    """Loads and validates each file once; remembers every file read.

    Files a spec refers to must resolve (symbolic links followed) inside `root`:
    a spec from a pull request must not read, or echo in its messages, a file
    elsewhere on the machine. The file the user names is read wherever it is.
    """

    def __init__(
        self, source: Source, root: Path | None = None, work: RunWork | None = None
    ) -> None:
        self.source = source
        self.work = work if work is not None else RunWork()
        self.yaml_source = _Metered(source, self.work)  # model files have their own bound
        self.root = root  # None: no confinement here (a git revision confines itself)
        self.documents: dict[str, Document] = {}
        self.read: dict[str, None] = {}  # every file tried, loaded or not, in order
        # and the ones that could not be: a file that many models read is read once, even
        # when it is broken (a 2 MiB broken file read by 1,000 models must not cost 1,000 reads)
        self.failed: dict[str, SpecError] = {}
        # the documents of the run's other readings from this source (spec.expand.read_forms)
        self.shared: dict[str, Document] = {}

    def confine(self, path: Path, shown: str, referenced_at: Position) -> None:
        if self.root is None:
            return
        try:
            resolved = Path(os.path.abspath(path)).resolve()
        except (OSError, RuntimeError):  # a symbolic link loop
            resolved = Path(os.path.abspath(path))
        if not resolved.is_relative_to(self.root):
            raise fail(
                referenced_at,
                "file.outside_repo",
                f"'{shown}' is outside the repository ({display_path(self.root)}): "
                "a spec reads files inside it only",
            )

    def load(
        self, path: Path, referenced_at: Position | None = None, input_shape: Shape | None = None
    ) -> Document:
        key = os.path.normpath(os.path.abspath(path))
        if is_model(path) and input_shape is not None:
            key += f"@{input_shape}"  # a model file imports once per input shape
        if key in self.documents:
            return self.documents[key]
        shown = display_path(path)
        if referenced_at is not None:
            self.confine(path, shown, referenced_at)
        self.read.setdefault(shown)
        try:
            if key not in self.failed:
                if key not in self.shared:  # confined and listed above, loaded once a run
                    self.shared[key] = self._read(path, shown, input_shape)
                self.documents[key] = self.shared[key]
                return self.documents[key]
        except SpecError as error:
            self.failed[key] = error
        failed = self.failed[key]
        problem = failed.problems[0]
        if referenced_at is not None and problem.code in FILE_CODES:
            raise fail(referenced_at, problem.code, f"'{shown}': {problem.message}") from None
        raise type(failed)(*failed.problems) from None  # not the first raise's traceback

    def _read(self, path: Path, shown: str, input_shape: Shape | None) -> Document:
        if is_model(path):
            document = _import_model(path, shown, self.source, input_shape)
        else:
            document = load_document(path, shown, self.yaml_source)
        problems = validate(document)
        if problems:
            raise SpecError(*problems)
        return document


def _import_model(path: Path, shown: str, source: Source, input_shape: Shape | None) -> Document:
    """`arch: model.onnx` (or a config.json): the spec `budgetlint import` would write."""
    from budgetlint.imports import ImportOptions, byte_limit, import_spec

    raw = source.read_bytes(path, shown, byte_limit(path))
    data, _ = import_spec(raw, shown, ImportOptions(input_shape=input_shape))
    return Document(shown, data)
