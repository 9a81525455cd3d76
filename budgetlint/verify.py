"""`budgetlint verify`: does a spec still describe the real model?

Both are evaluated by the same engine (the model through its importer) and compared
layer by layer on the layers that hold weights or do multiply-accumulates: output
shape, params and MACs. Layers are paired by name where the names agree, and the
rest by their order. When the model has fewer BatchNorm layers than the spec, it
was exported with BatchNorm folded into the layer before it (torch.onnx.export's
default): the spec's BatchNorm layers that directly follow a convolution or a
linear, and that the model has none of the same name of, are left out, and biases
are not compared, since folding turns BatchNorm's shift into a bias (and drops one
of zeros). A BatchNorm after anything else (DenseNet's, after a concatenation)
stays in the export, and is compared.

A model entry's `params:` reach a Hugging Face config too (a decode step's `context`,
`logits_to_keep`); its LoRA adapters are left out (the released model has none).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.cost import numel
from budgetlint.engine.evaluate import LayerReport, ModelReport, evaluate
from budgetlint.imports.kinds import CONFIG_SUFFIX, TORCH_PREFIX
from budgetlint.problems import Position, Problem, SpecError, fail, one_line
from budgetlint.rules import FILE_CODES
from budgetlint.spec.expand import ModelSpec, display_path, read_spec
from budgetlint.spec.load import load_document
from budgetlint.spec.sources import MAX_FILE_BYTES, WORK_TREE, git_root

BATCHNORMS = frozenset({"batchnorm1d", "batchnorm2d"})
FOLDS_INTO = frozenset({"conv1d", "conv2d", "conv3d", "conv_transpose2d", "linear"})


@dataclass(frozen=True)
class Divergence:
    quantity: str  # output | params | macs | missing | extra | total params | total macs
    spec_layer: str  # "" when the spec has no such layer
    model_layer: str  # "" when the model has no such layer
    position: Position  # in the spec
    spec_value: str
    model_value: str

    def message(self, against: str) -> str:
        if self.quantity == "missing":
            return f"layer '{self.spec_layer}' has no counterpart in {against}"
        if self.quantity == "extra":
            return (
                f"{against} has layer '{self.model_layer}' ({self.model_value}) that the spec lacks"
            )
        if self.quantity.startswith("total"):
            return (
                f"{self.quantity}: {self.spec_value} in the spec, {self.model_value} in {against}"
            )
        return (
            f"layer '{self.spec_layer}' differs from '{self.model_layer}' of {against}: "
            f"{self.quantity} {self.spec_value} in the spec, {self.model_value} in the model"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "quantity": self.quantity,
            "spec_layer": self.spec_layer or None,
            "model_layer": self.model_layer or None,
            "file": self.position.path,
            "line": self.position.line,
            "column": self.position.column,
            "spec": self.spec_value,
            "model": self.model_value,
        }


@dataclass(frozen=True)
class Verification:
    model: str
    spec: str
    against: str
    compared: int  # pairs of layers compared
    folded: bool
    divergences: tuple[Divergence, ...]

    @property
    def agrees(self) -> bool:
        return not self.divergences

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "spec": self.spec,
            "against": self.against,
            "agrees": self.agrees,
            "compared_layers": self.compared,
            "batchnorm_folded": self.folded,
            "divergences": [d.to_dict() for d in self.divergences],
        }


def _weighted(rows: tuple[LayerReport, ...]) -> list[LayerReport]:
    return [row for row in rows if row.learnable or row.buffers or row.macs]


def _biases(row: LayerReport) -> int:
    return sum(t.elements for t in row.tensors if t.name == "bias" or t.name.endswith(".bias"))


@dataclass(frozen=True)
class _Side:
    """A spec layer, or the run of model layers that computes it (packed attention)."""

    name: str
    output: tuple[int, ...]
    params: int
    biases: int
    macs: int
    row: LayerReport
    count: int = 1  # model layers in the run

    @staticmethod
    def of(rows: list[LayerReport]) -> _Side:
        names = [row.name for row in rows]
        shared = names[0]
        for other in names[1:]:
            while shared and not (other == shared or other.startswith(f"{shared}.")):
                shared = shared.rsplit(".", 1)[0] if "." in shared else ""
        return _Side(
            shared or names[0],
            rows[-1].output,
            sum(row.learnable for row in rows),
            sum(_biases(row) for row in rows),
            sum(row.macs for row in rows),
            rows[0],
            len(rows),
        )


def _params_agree(ours: _Side, theirs: _Side, folded: bool) -> bool:
    """Equal params; or, when the model lacks biases the spec has, equal weights: exporters
    drop biases of zeros, and folding BatchNorm turns its shift into a conv bias."""
    if ours.params == theirs.params:
        return True
    if folded or theirs.biases < ours.biases:
        return ours.params - ours.biases == theirs.params - theirs.biases
    return False


def _run(spec: _Side, model: list[LayerReport], start: int, folded: bool) -> int | None:
    """The end of a run of model layers (from `start`) that sums to this spec layer."""
    for end in range(start + 1, len(model)):
        run = _Side.of(model[start : end + 1])
        if run.macs > spec.macs or run.params > spec.params:
            return None
        if run.macs == spec.macs and _params_agree(spec, run, folded):
            same_size = numel(run.output) == numel(spec.output)
            return end if same_size else None
    return None


def _pairs(
    spec: list[LayerReport], model: list[LayerReport], folded: bool
) -> tuple[list[tuple[_Side, _Side]], list[LayerReport], list[LayerReport]]:
    """Pairs by name where names agree, the rest in order (a spec layer may pair with a run
    of model layers: attention exported as projections and matmuls); and what is left."""
    by_name: dict[str, int] = {}
    for index, row in enumerate(model):
        by_name.setdefault(row.name, index)
    spec_names = {row.name for row in spec}
    named: dict[int, range] = {}  # spec layer → the run of model layers it pairs with
    taken: set[int] = set()
    for index, row in enumerate(spec):
        start = by_name.get(row.name)
        if start is None or start in taken:
            continue
        stop = start + 1  # and the layers after it inside the same module, that the spec
        while (  # has no layer of its own for: attention's projections and matmuls
            stop < len(model)
            and stop not in taken
            and model[stop].name not in spec_names
            and (model[stop].name == row.name or model[stop].name.startswith(f"{row.name}."))
        ):
            stop += 1
        named[index] = range(start, stop)
        taken.update(named[index])
    pairs = {
        i: (_Side.of([spec[i]]), _Side.of([model[j] for j in run])) for i, run in named.items()
    }
    spec_rest = [spec[i] for i in range(len(spec)) if i not in named]
    model_rest = [model[j] for j in range(len(model)) if j not in taken]
    order = {id(row): index for index, row in enumerate(spec)}
    i = j = 0
    while i < len(spec_rest) and j < len(model_rest):
        ours, theirs = _Side.of([spec_rest[i]]), _Side.of([model_rest[j]])
        same = ours.macs == theirs.macs and _params_agree(ours, theirs, folded)
        end = None if same else _run(ours, model_rest, j, folded)
        if end is not None:
            theirs = _Side.of(model_rest[j : end + 1])
            j = end
        pairs[order[id(spec_rest[i])]] = (ours, theirs)
        i, j = i + 1, j + 1
    ordered = [pairs[index] for index in sorted(pairs)]
    return ordered, spec_rest[i:], model_rest[j:]


def _number(value: int) -> str:
    return f"{value:,}"


def _folded(spec: tuple[LayerReport, ...], model: tuple[LayerReport, ...]) -> set[int]:
    """The spec's BatchNorm layers (by index) that the model's exporter folded away."""
    kept = [row.name for row in model if row.op in BATCHNORMS]
    if len(kept) >= sum(row.op in BATCHNORMS for row in spec):
        return set()
    return {
        index
        for index, row in enumerate(spec)
        if row.op in BATCHNORMS
        and index
        and spec[index - 1].op in FOLDS_INTO
        and row.name not in kept
    }


def compare(spec: ModelReport, model: ModelReport, against: str, where: Position) -> Verification:
    left_out = _folded(spec.layers, model.layers)
    folded = bool(left_out)
    spec_rows = _weighted(
        tuple(row for index, row in enumerate(spec.layers) if index not in left_out)
    )
    model_rows = _weighted(model.layers)
    pairs, missing, extra = _pairs(spec_rows, model_rows, folded)
    divergences: list[Divergence] = []
    for ours, theirs in pairs:
        aggregate = theirs.count > 1  # its layers may reshape between them: sizes compared
        shapes = (str(list(ours.output)), str(list(theirs.output)))
        if aggregate:
            shapes = (str(numel(ours.output)), str(numel(theirs.output)))
        elif ours.row.op != theirs.row.op and sorted(ours.output) == sorted(theirs.output):
            shapes = (shapes[0], shapes[0])  # one op on another layout (layernorm2d, layernorm)
        checks = (
            ("output", *shapes),
            ("params", _number(ours.params), _number(theirs.params)),
            ("macs", _number(ours.macs), _number(theirs.macs)),
        )
        for quantity, mine, real in checks:
            if quantity == "params" and _params_agree(ours, theirs, folded):
                continue
            if mine != real:
                divergences.append(
                    Divergence(quantity, ours.name, theirs.name, ours.row.position, mine, real)
                )
                break
    for row in missing:
        divergences.append(Divergence("missing", row.name, "", row.position, "", ""))
    for row in extra:
        shown = f"{row.op} {list(row.output)}"
        divergences.append(Divergence("extra", "", row.name, where, "", shown))
    if not divergences and spec.macs != model.macs:
        divergences.append(
            Divergence("total macs", "", "", where, _number(spec.macs), _number(model.macs))
        )
    divergences.sort(key=lambda d: _order(d, spec_rows))
    return Verification(spec.name, spec.source, against, len(pairs), folded, tuple(divergences))


def _order(divergence: Divergence, rows: list[LayerReport]) -> int:
    """Spec order: the first divergence is the first layer that differs."""
    for index, row in enumerate(rows):
        if row.name == divergence.spec_layer and divergence.spec_layer:
            return index
    return len(rows)


@dataclass(frozen=True)
class Outcome:
    verifications: tuple[Verification, ...]
    problems: tuple[Problem, ...]

    @property
    def exit_code(self) -> int:
        if self.problems:
            return 2
        return 0 if all(v.agrees for v in self.verifications) else 1


def _confined(target: Path, spec_path: str, where: Position) -> None:
    """A `verify:` written in a spec reads inside the repository only."""
    start = Path(spec_path).resolve().parent
    root = git_root(start) or Path.cwd().resolve()
    resolved = target.resolve()
    if resolved != root and root not in resolved.parents:
        raise fail(where, "verify.outside", f"'{display_path(target)}' is outside the repository")


@dataclass(frozen=True)
class _Text:
    """A Source holding one imported spec (a traced PyTorch module), read like a file."""

    text: str

    def read_bytes(self, path: Path, display: str, limit: int = 0) -> bytes:
        return self.text.encode("utf-8")


@dataclass(frozen=True)
class _Beside:
    """The work tree, and one made budget file beside the model that it reads."""

    path: Path
    text: str

    def read_bytes(self, path: Path, display: str, limit: int = MAX_FILE_BYTES) -> bytes:
        if path == self.path:
            return self.text.encode("utf-8")
        return WORK_TREE.read_bytes(path, display, limit)


def _with_params(target: Path, input_shape: tuple[int, ...], params: Mapping[str, Any]) -> _Beside:
    """A budget file whose one model is `target` at the spec model's input and `params:`
    (a config's decode step: `input: [1, 1]`, `params: {context: 4096}`)."""
    entry = {"arch": target.name, "input": list(input_shape), "params": dict(params)}
    document = {"version": 1, "models": {"model": {**entry, "devices": []}}}
    text = json.dumps(document, default=str)
    return _Beside(target.parent / f".{target.name}.verify.yaml", text)


def _taken(config: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The entry's params that the config's model declares (`context`: not an encoder's)."""
    from budgetlint.imports import ImportOptions, byte_limit, import_spec

    shown = display_path(Path(config))
    raw = WORK_TREE.read_bytes(Path(config), shown, byte_limit(config))
    declared = import_spec(raw, shown, ImportOptions())[0].get("params") or {}
    return {name: value for name, value in params.items() if name in declared}


def _model_report(
    target: str, input_shape: tuple[int, ...], params: Mapping[str, Any]
) -> ModelReport:
    if target.startswith(TORCH_PREFIX):
        from budgetlint.imports import ImportOptions, import_torch
        from budgetlint.imports.yaml_out import to_yaml

        spec, _ = import_torch(target[len(TORCH_PREFIX) :], ImportOptions(input_shape))
        found, problems = read_spec(Path(f"{target}.yaml"), input_shape, _Text(to_yaml(spec, [])))
    elif params and Path(target).suffix.lower() == CONFIG_SUFFIX and _taken(target, params):
        beside = _with_params(Path(target), input_shape, _taken(target, params))
        found, problems = read_spec(beside.path, None, beside)
    else:
        found, problems = read_spec(Path(target), input_shape)
    if found is None or problems or not found.models:
        raise (
            SpecError(*problems) if problems else fail(Position(target), "verify.empty", "no model")
        )
    return evaluate(found.models[0].architecture, DEFAULT)


def verify_model(
    model: ModelSpec, spec_path: str, against: str | None, params: Mapping[str, Any] | None = None
) -> Verification:
    """`params`: the model entry's `params:`, given to the real model too where it takes
    them (a Hugging Face config's `context` and `logits_to_keep`)."""
    target = against or model.verify
    where = model.verify_position or model.architecture.position
    if against is None and not target.startswith(TORCH_PREFIX):
        _confined(Path(target), spec_path, where)
    # LoRA adapters are the spec's fine-tuning, not in the released model: left out
    architecture = replace(model.architecture, lora=None)
    ours = evaluate(architecture, DEFAULT)
    try:
        theirs = _model_report(target, architecture.input, params or {})
    except SpecError as error:
        if against is None and error.problems[0].code in FILE_CODES:
            raise fail(where, error.problems[0].code, one_line(str(error.problems[0]))) from None
        raise
    shown = target if target.startswith(TORCH_PREFIX) else display_path(Path(target))
    return compare(ours, theirs, shown, where)


def _entries(path: Path) -> dict[str, Mapping[str, Any]]:
    """Each model entry's `params:` as written (the spec was read once already)."""
    models = load_document(path).data.get("models") or {}
    return {
        name: entry["params"]
        for name, entry in models.items()
        if isinstance(entry, dict) and isinstance(entry.get("params"), dict)
    }


def run(paths: Sequence[Path], against: str | None, model: str | None) -> Outcome:
    """Each model of each spec against `against`, or against its own `verify:`."""
    verifications: list[Verification] = []
    problems: list[Problem] = []
    for path in paths:
        spec, found = read_spec(path)
        problems.extend(found)
        if spec is None:
            continue
        chosen = [m for m in spec.models if model is None or m.architecture.name == model]
        if model is not None and not chosen:
            problems.append(Problem(Position(spec.path), "cli.model", f"no model '{model}'"))
        written = _entries(path) if chosen else {}
        for entry in chosen:
            if against is None and not entry.verify:
                continue
            params = written.get(entry.architecture.name, {}) if entry.declared else {}
            try:
                verifications.append(verify_model(entry, spec.path, against, params))
            except SpecError as error:
                problems.extend(error.problems)
    if not verifications and not problems:
        hint = "pass --against MODEL" if against is None else "no model to verify"
        problems.append(
            Problem(
                Position(display_path(paths[0]) if paths else "."),
                "verify.none",
                f"no model has `verify:`: {hint}",
            )
        )
    return Outcome(tuple(verifications), tuple(problems))


def render_text(outcome: Outcome) -> str:
    lines = []
    for result in outcome.verifications:
        folded = " (BatchNorm folded in the model)" if result.folded else ""
        if result.agrees:
            lines.append(
                f"{result.model}: agrees with {result.against}: "
                f"{result.compared} layers compared{folded}"
            )
            continue
        first = result.divergences[0]
        lines.append(f"{first.position}: {one_line(first.message(result.against))}")
        more = len(result.divergences) - 1
        tail = (
            f"; {more} more divergence{'s' if more != 1 else ''} (--format json lists them)"
            if more
            else ""
        )
        lines.append(f"{result.model}: differs from {result.against}{folded}{tail}")
    return "".join(f"{line}\n" for line in lines)


def to_dict(outcome: Outcome) -> dict[str, Any]:
    return {
        "format_version": 1,
        "verifications": [v.to_dict() for v in outcome.verifications],
        "problems": [
            {
                "file": p.position.path,
                "line": p.position.line,
                "column": p.position.column,
                "code": p.code,
                "message": p.message,
            }
            for p in outcome.problems
        ],
        "exit_code": outcome.exit_code,
    }
