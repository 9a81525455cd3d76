"""Every kind of finding, by its stable id, with what it means and where the README
explains it: one table for SARIF's rules and the README's table of problem codes
(tools/readme_tables.py writes it).

A problem's code (`layer.unknown_op`) is a row of RULES; a code made from a JSON Schema
keyword (`schema.minItems`) is a row of SCHEMA_KEYWORDS. A meta-test finds every code
the package can raise and fails when one has no row here; another fails when control
flow compares a code's text instead of reading this module. Budget rules
(`budget.<name>`, `budget.max_increase.<name>`) come from budgetlint.budgets.BUDGETS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The README sections (their headings) that explain problems.
BAD_INPUT = "Bad input"
CONFIGURATION = "Configuration"
COMMANDS = "Commands"
REPORTS = "Reports"
DELTAS = "Deltas against a base"
SPEC_FORMAT = "The spec format"
BUDGETS = "Budgets"
MEMORY_AND_TIME = "Memory and time"
QUANTIZED = "Quantized weights, KV cache and memory"
TRAINING = "Training"
ARCHITECTURES = "Architectures"
OPS = "Ops"
OWN_MODEL = "Bring your own model"
VERIFY = "Verify in CI"


def anchor(heading: str) -> str:
    """A README heading's anchor, as GitHub makes it: lower case, punctuation dropped,
    spaces as hyphens."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")


@dataclass(frozen=True)
class Rule:
    code: str
    description: str  # one line: what is wrong
    section: str  # the README heading that explains it

    @property
    def anchor(self) -> str:
        return anchor(self.section)


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        # reading the YAML
        Rule("yaml.syntax", "The file is not valid YAML.", BAD_INPUT),
        Rule("yaml.empty", "The file holds no YAML document.", BAD_INPUT),
        Rule("yaml.top_level", "The top level of a spec must be a mapping.", BAD_INPUT),
        Rule("yaml.duplicate_key", "A key appears twice in one mapping.", BAD_INPUT),
        Rule("yaml.key", "A mapping key is not a plain scalar.", BAD_INPUT),
        Rule(
            "yaml.tag",
            "A YAML tag that could construct objects (`!!python/...`) is refused.",
            BAD_INPUT,
        ),
        Rule("yaml.merge", "A YAML merge key (`<<`) that can't be applied.", BAD_INPUT),
        Rule("yaml.node", "A YAML node of a kind a spec can't hold.", BAD_INPUT),
        Rule(
            "yaml.aliases",
            "Too many aliases, or aliases expanding to too many values (an alias bomb).",
            BAD_INPUT,
        ),
        Rule("yaml.recursive", "An alias that contains itself.", BAD_INPUT),
        Rule("yaml.depth", "Nesting deeper than a spec may go.", BAD_INPUT),
        Rule("yaml.size", "A document larger than a spec may be.", BAD_INPUT),
        # files
        Rule(
            "file.missing",
            "A spec, architecture or include names a file that does not exist.",
            BAD_INPUT,
        ),
        Rule("file.directory", "A path names a directory where a file is expected.", BAD_INPUT),
        Rule("file.unreadable", "A file that can't be read.", BAD_INPUT),
        Rule("file.binary", "A file that is binary, not YAML text.", BAD_INPUT),
        Rule("file.encoding", "A file that is not UTF-8.", BAD_INPUT),
        Rule("file.too_large", "A file larger than budgetlint reads.", BAD_INPUT),
        Rule(
            "file.too_much_in_run",
            "More YAML, all the files of one run together, than budgetlint reads.",
            BAD_INPUT,
        ),
        Rule("file.special", "A path that is not a regular file (a device, a pipe).", BAD_INPUT),
        Rule("file.outside_repo", "A spec reads a file outside the repository.", BAD_INPUT),
        # configuration and command line
        Rule("config.toml", "pyproject.toml can't be read.", CONFIGURATION),
        Rule("config.table", "[tool.budgetlint] in pyproject.toml is not a table.", CONFIGURATION),
        Rule(
            "config.key", "An unknown key in [tool.budgetlint] or .budgetlint.yaml.", CONFIGURATION
        ),
        Rule(
            "config.specs",
            "`specs` in the configuration is not a glob or a list of globs.",
            CONFIGURATION,
        ),
        Rule(
            "config.no_specs",
            "No file matches the configured (or default) spec globs.",
            CONFIGURATION,
        ),
        Rule("cli.model", "The model named on the command line is not in the spec.", COMMANDS),
        Rule("cli.device", "The device named on the command line is not in the spec.", COMMANDS),
        Rule(
            "cli.sort",
            "--sort by time on a device that has no roofline (compute and bandwidth).",
            REPORTS,
        ),
        # git revisions (--base)
        Rule("git.no_repo", "--base needs a git repository.", DELTAS),
        Rule("git.bad_ref", "--base names a revision that git can't resolve.", DELTAS),
        Rule("git.missing", "--base needs git, and git is not on PATH.", DELTAS),
        Rule(
            "base.unreadable", "A spec that can't be read at the base revision (a warning).", DELTAS
        ),
        # the spec format (JSON Schema)
        Rule("schema.type", "A value of the wrong type.", SPEC_FORMAT),
        Rule("schema.enum", "A value that is not one of those allowed.", SPEC_FORMAT),
        Rule("schema.unknown_key", "A key the spec format does not have.", SPEC_FORMAT),
        Rule("schema.value", "A value the spec format does not allow.", SPEC_FORMAT),
        # devices and budgets
        Rule(
            "device.unknown",
            "A device extends a device that is not declared or included.",
            MEMORY_AND_TIME,
        ),
        Rule(
            "device.duplicate",
            "A device is declared twice (here and in an include).",
            MEMORY_AND_TIME,
        ),
        Rule("device.circular", "Devices that extend each other in a circle.", MEMORY_AND_TIME),
        Rule(
            "device.extends_depth",
            "A chain of devices extending each other deeper than 16.",
            MEMORY_AND_TIME,
        ),
        Rule(
            "device.too_many_targets",
            "More layers × target devices to judge than budgetlint allows.",
            BAD_INPUT,
        ),
        Rule(
            "device.figure",
            "A device figure (compute, bandwidth, overhead) that can't be read.",
            MEMORY_AND_TIME,
        ),
        Rule("device.efficiency", "An efficiency outside (0, 100%].", MEMORY_AND_TIME),
        Rule(
            "include.circular",
            "Device libraries that include each other in a circle.",
            MEMORY_AND_TIME,
        ),
        Rule("budget.unit", "A budget written in a unit that is unknown or ambiguous.", BUDGETS),
        Rule("budget.floor", "max_increase on a budget that is a minimum, not a maximum.", BUDGETS),
        Rule(
            "device.quantization",
            "Quantization on a device whose dtype is not an integer type.",
            QUANTIZED,
        ),
        Rule(
            "budget.roofline",
            "A latency budget on a device without compute and bandwidth.",
            MEMORY_AND_TIME,
        ),
        Rule(
            "budget.training",
            "A train_memory, train_flops or train_step_time budget on a device "
            "without a training block.",
            TRAINING,
        ),
        # models, architectures and blocks
        Rule("spec.empty", "A spec with no models, layers or devices.", SPEC_FORMAT),
        Rule(
            "model.arch", "A model with both, or neither, of `arch:` and `layers:`.", ARCHITECTURES
        ),
        Rule("model.empty", "An architecture with no layers once expanded.", ARCHITECTURES),
        Rule("model.input", "A model without an input shape.", ARCHITECTURES),
        Rule(
            "model.unknown_device", "A model targets a device that does not exist.", ARCHITECTURES
        ),
        Rule(
            "model.missing_param",
            "A model does not set a required parameter of its architecture.",
            ARCHITECTURES,
        ),
        Rule(
            "model.unknown_param",
            "A model sets a parameter its architecture does not have.",
            ARCHITECTURES,
        ),
        Rule("arch.path", "An `arch:` that is not a file path.", ARCHITECTURES),
        Rule(
            "arch.circular", "Architecture files that read each other in a circle.", ARCHITECTURES
        ),
        Rule("arch.no_layers", "An `arch:` file without layers.", ARCHITECTURES),
        Rule("block.args", "A block used with arguments that are not a mapping.", ARCHITECTURES),
        Rule("block.circular", "Blocks that use each other in a circle.", ARCHITECTURES),
        Rule(
            "use.circular",
            "Blocks or architectures that use each other in a circle.",
            ARCHITECTURES,
        ),
        Rule("block.duplicate", "A block declared twice.", ARCHITECTURES),
        Rule("block.missing_param", "A block used without a required parameter.", ARCHITECTURES),
        Rule(
            "block.unknown_param", "A block used with a parameter it does not have.", ARCHITECTURES
        ),
        Rule("block.shadows_op", "A block named like an op.", ARCHITECTURES),
        Rule("expression", "A `${...}` expression that can't be evaluated.", ARCHITECTURES),
        # layers and shapes
        Rule("layer.op", "An op name that is not text.", OPS),
        Rule("layer.unknown_op", "An op that budgetlint does not know.", OPS),
        Rule("layer.attrs", "An op's attributes that are not a mapping.", OPS),
        Rule("layer.unknown_attr", "An attribute the op does not have.", OPS),
        Rule("layer.missing_attr", "An op without a required attribute.", OPS),
        Rule("layer.attr_value", "An attribute value the op can't take.", OPS),
        Rule("layer.axis", "A concat axis that is not a whole number.", ARCHITECTURES),
        Rule("layer.merge", "An unknown merge of parallel branches.", ARCHITECTURES),
        Rule("layer.name", "An empty layer name.", ARCHITECTURES),
        Rule(
            "layer.times", "A repeat count that is not a non-negative whole number.", ARCHITECTURES
        ),
        Rule(
            "layer.start",
            "A repeat's first turn number that is not a non-negative whole number.",
            ARCHITECTURES,
        ),
        Rule("layer.too_many", "More layers, once expanded, than budgetlint evaluates.", BAD_INPUT),
        Rule(
            "layer.too_many_in_file",
            "More expansion work for all of a file's models than allowed.",
            BAD_INPUT,
        ),
        Rule(
            "layer.too_many_in_run",
            "More expansion work, all the files of one run together, than allowed.",
            BAD_INPUT,
        ),
        Rule(
            "shape.rank", "A tensor of more dimensions than budgetlint evaluates (16).", BAD_INPUT
        ),
        Rule(
            "figure.too_large",
            "A tensor, or a layer's params, MACs or work, beyond 10^30.",
            BAD_INPUT,
        ),
        Rule(
            "layer.shape",
            "Shapes that don't fit together (add, concat or matmul of mismatched shapes).",
            OPS,
        ),
        Rule(
            "shape",
            "An op that can't take its input's shape (a kernel larger than its input).",
            OPS,
        ),
        # importers and verify
        Rule("import.kind", "A model file of a kind budgetlint can't import.", OWN_MODEL),
        Rule(
            "import.extra",
            "Importing needs an optional extra (pip install 'budgetlint[onnx]').",
            OWN_MODEL,
        ),
        Rule("import.onnx", "An ONNX file that can't be read.", OWN_MODEL),
        Rule(
            "import.config", "A Hugging Face config.json that budgetlint can't import.", OWN_MODEL
        ),
        Rule("import.too_large", "A model file larger than budgetlint imports.", OWN_MODEL),
        Rule("import.input", "A model input without a fixed shape.", OWN_MODEL),
        Rule("import.output", "A graph output that is not computed from its input.", OWN_MODEL),
        Rule("import.unknown_op", "An ONNX op that budgetlint does not map.", OWN_MODEL),
        Rule("import.unsupported", "An ONNX op used in a way budgetlint does not map.", OWN_MODEL),
        Rule(
            "import.structure",
            "A graph that is not series-parallel (a result feeding branches that "
            "don't rejoin in series), or whose branches nest too deep.",
            OWN_MODEL,
        ),
        Rule(
            "import.torch", "A PyTorch factory that can't be imported, built or traced.", OWN_MODEL
        ),
        Rule("verify.empty", "Nothing to verify: no model.", VERIFY),
        Rule("verify.none", "No model has a `verify:` file.", VERIFY),
        Rule("verify.outside", "A `verify:` file outside the repository.", VERIFY),
    )
}
PROBLEM_CODES: dict[str, str] = {code: rule.description for code, rule in RULES.items()}

# Problems reading a file (from a spec's own path to an `arch:` or `include:`), which a
# reader reports at the reference that named the file.
FILE_CODES = frozenset(
    {
        "file.missing",
        "file.directory",
        "file.unreadable",
        "file.binary",
        "file.encoding",
        "file.too_large",
        "file.too_much_in_run",
        "file.special",
        "file.outside_repo",
    }
)
# No file at the path: at a base revision, a spec that is new since (or renamed).
FILE_MISSING = "file.missing"

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
