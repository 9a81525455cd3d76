"""Every kind of finding, by its stable id, with what it means: one table for SARIF's rules.

A problem's code (`layer.unknown_op`) is a row of PROBLEM_CODES; a code made from a
JSON Schema keyword (`schema.minItems`) is a row of SCHEMA_KEYWORDS. A meta-test finds
every code the package can raise and fails when one has no row here. Budget rules
(`budget.<name>`, `budget.max_increase.<name>`) come from budgetlint.device.BUDGET_KINDS.
"""

from __future__ import annotations

PROBLEM_CODES: dict[str, str] = {
    # reading the YAML
    "yaml.syntax": "The file is not valid YAML.",
    "yaml.empty": "The file holds no YAML document.",
    "yaml.top_level": "The top level of a spec must be a mapping.",
    "yaml.duplicate_key": "A key appears twice in one mapping.",
    "yaml.key": "A mapping key is not a plain scalar.",
    "yaml.tag": "A YAML tag that could construct objects (`!!python/...`) is refused.",
    "yaml.merge": "A YAML merge key (`<<`) that can't be applied.",
    "yaml.node": "A YAML node of a kind a spec can't hold.",
    "yaml.aliases": "Too many aliases, or aliases expanding to too many values (an alias bomb).",
    "yaml.recursive": "An alias that contains itself.",
    "yaml.depth": "Nesting deeper than a spec may go.",
    "yaml.size": "A document larger than a spec may be.",
    # files
    "file.missing": "A spec, architecture or include names a file that does not exist.",
    "file.directory": "A path names a directory where a file is expected.",
    "file.unreadable": "A file that can't be read.",
    "file.binary": "A file that is binary, not YAML text.",
    "file.encoding": "A file that is not UTF-8.",
    "file.too_large": "A file larger than budgetlint reads.",
    "file.special": "A path that is not a regular file (a device, a pipe).",
    "file.outside_repo": "A spec reads a file outside the repository.",
    # configuration and command line
    "config.toml": "pyproject.toml can't be read.",
    "config.key": "An unknown key in [tool.budgetlint] or .budgetlint.yaml.",
    "config.specs": "`specs` in the configuration is not a glob or a list of globs.",
    "config.no_specs": "No file matches the configured (or default) spec globs.",
    "cli.model": "The model named on the command line is not in the spec.",
    "cli.device": "The device named on the command line is not in the spec.",
    "cli.sort": "--sort by time on a device that has no roofline (compute and bandwidth).",
    # git revisions (--base)
    "git.no_repo": "--base needs a git repository.",
    "git.bad_ref": "--base names a revision that git can't resolve.",
    "git.missing": "--base needs git, and git is not on PATH.",
    "base.unreadable": "A spec that can't be read at the base revision (a warning).",
    # the spec format (JSON Schema)
    "schema.type": "A value of the wrong type.",
    "schema.enum": "A value that is not one of those allowed.",
    "schema.unknown_key": "A key the spec format does not have.",
    "schema.value": "A value the spec format does not allow.",
    # devices and budgets
    "device.unknown": "A device extends a device that is not declared or included.",
    "device.duplicate": "A device is declared twice (here and in an include).",
    "device.circular": "Devices that extend each other in a circle.",
    "device.extends_depth": "A chain of devices extending each other deeper than 16.",
    "device.too_many_targets": "More layers × target devices to judge than budgetlint allows.",
    "device.figure": "A device figure (compute, bandwidth, overhead) that can't be read.",
    "device.efficiency": "An efficiency outside (0, 100%].",
    "include.circular": "Device libraries that include each other in a circle.",
    "budget.unit": "A budget written in a unit that is unknown or ambiguous.",
    "budget.floor": "max_increase on a budget that is a minimum, not a maximum.",
    "device.quantization": "Quantization on a device whose dtype is not an integer type.",
    "budget.roofline": "A latency budget on a device without compute and bandwidth.",
    "budget.training": "A train_memory, train_flops or train_step_time budget on a device "
    "without a training block.",
    # models, architectures and blocks
    "spec.empty": "A spec with no models, layers or devices.",
    "model.arch": "A model with both, or neither, of `arch:` and `layers:`.",
    "model.empty": "An architecture with no layers once expanded.",
    "model.input": "A model without an input shape.",
    "model.unknown_device": "A model targets a device that does not exist.",
    "model.missing_param": "A model does not set a required parameter of its architecture.",
    "model.unknown_param": "A model sets a parameter its architecture does not have.",
    "arch.path": "An `arch:` that is not a file path.",
    "arch.circular": "Architecture files that read each other in a circle.",
    "arch.no_layers": "An `arch:` file without layers.",
    "block.args": "A block used with arguments that are not a mapping.",
    "block.circular": "Blocks that use each other in a circle.",
    "use.circular": "Blocks or architectures that use each other in a circle.",
    "block.duplicate": "A block declared twice.",
    "block.missing_param": "A block used without a required parameter.",
    "block.unknown_param": "A block used with a parameter it does not have.",
    "block.shadows_op": "A block named like an op.",
    "expression": "A `${...}` expression that can't be evaluated.",
    # layers and shapes
    "layer.op": "An op name that is not text.",
    "layer.unknown_op": "An op that budgetlint does not know.",
    "layer.attrs": "An op's attributes that are not a mapping.",
    "layer.unknown_attr": "An attribute the op does not have.",
    "layer.missing_attr": "An op without a required attribute.",
    "layer.attr_value": "An attribute value the op can't take.",
    "layer.axis": "A concat axis that is not a whole number.",
    "layer.merge": "An unknown merge of parallel branches.",
    "layer.name": "An empty layer name.",
    "layer.times": "A repeat count that is not a non-negative whole number.",
    "layer.start": "A repeat's first turn number that is not a non-negative whole number.",
    "layer.too_many": "More layers, once expanded, than budgetlint evaluates.",
    "layer.too_many_in_file": "More expansion work for all of a file's models than allowed.",
    "shape.rank": "A tensor of more dimensions than budgetlint evaluates (16).",
    "figure.too_large": "A tensor, or a layer's params, MACs or work, beyond 10^30.",
    "layer.shape": "Shapes that don't fit together (add, concat or matmul of mismatched shapes).",
    "shape": "An op that can't take its input's shape (a kernel larger than its input).",
    # importers and verify
    "import.kind": "A model file of a kind budgetlint can't import.",
    "import.extra": "Importing needs an optional extra (pip install 'budgetlint[onnx]').",
    "import.onnx": "An ONNX file that can't be read.",
    "import.config": "A Hugging Face config.json that budgetlint can't import.",
    "import.too_large": "A model file larger than budgetlint imports.",
    "import.input": "A model input without a fixed shape.",
    "import.output": "A graph output that is not computed from its input.",
    "import.unknown_op": "An ONNX op that budgetlint does not map.",
    "import.unsupported": "An ONNX op used in a way budgetlint does not map.",
    "import.structure": "A graph that is not series-parallel (a result feeding branches that "
    "don't rejoin in series), or whose branches nest too deep.",
    "import.torch": "A PyTorch factory that can't be imported, built or traced.",
    "verify.empty": "Nothing to verify: no model.",
    "verify.none": "No model has a `verify:` file.",
    "verify.outside": "A `verify:` file outside the repository.",
}

# Problems that are said but still checked: warnings, not errors.
WARNING_CODES = frozenset({"base.unreadable"})

# Codes `schema.<keyword>` for the JSON Schema keywords a spec can fail; what it says.
SCHEMA_KEYWORDS: dict[str, str] = {
    "required": "A required key is missing.",
    "additionalProperties": "A key the spec format does not have.",
    "const": "A value other than the one allowed (version: 1).",
    "pattern": "A string that doesn't match its pattern (a quantity with a unit, a name).",
    "minimum": "A number below its minimum.",
    "maximum": "A number above its maximum.",
    "exclusiveMinimum": "A number not above its minimum.",
    "minItems": "A list with too few items.",
    "maxItems": "A list with too many items.",
    "minProperties": "A mapping with too few keys (a layer with no op).",
    "maxProperties": "A mapping with too many keys.",
    "propertyNames": "A name that doesn't match its pattern.",
    "anyOf": "A value that matches none of the forms allowed.",
    "allOf": "A value that fails one of the forms it must match.",
    "oneOf": "A value that matches none, or several, of the forms allowed.",
    "not": "A value of a form that is refused.",
    "type": "A value of the wrong type.",
    "enum": "A value that is not one of those allowed.",
    "maxLength": "A string longer than allowed.",
    "minLength": "A string shorter than allowed.",
    "uniqueItems": "A list with an item twice.",
}


def problem_description(code: str) -> str:
    """What a problem code means; a code without a row still gets a sentence (never a crash)."""
    if code in PROBLEM_CODES:
        return PROBLEM_CODES[code]
    family, _, keyword = code.partition(".")
    if family == "schema" and keyword in SCHEMA_KEYWORDS:
        return SCHEMA_KEYWORDS[keyword]
    return f"The spec can't be checked ({code})."


def all_problem_codes() -> list[str]:
    return sorted({*PROBLEM_CODES, *(f"schema.{keyword}" for keyword in SCHEMA_KEYWORDS)})
