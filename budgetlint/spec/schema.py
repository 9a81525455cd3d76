"""The spec format's JSON Schema (draft-07): built from the ops table, shipped as JSON.

`build_schema()` is the single source; budgetlint/schemas/budgetlint.schema.json
is its output, committed so editors can point at it, and a test keeps the two equal.
Regenerate with `python -m budgetlint.spec.schema > budgetlint/schemas/budgetlint.schema.json`.
"""

from __future__ import annotations

import json
from typing import Any

from budgetlint.device import BUDGET_KINDS, DEFAULT_DTYPE, DEFAULT_SCALE_DTYPE, DTYPES
from budgetlint.engine.conventions import CONVENTIONS
from budgetlint.engine.cost import TENSOR_ROLES
from budgetlint.engine.ops import OPS, OpDef
from budgetlint.engine.ops.attrs import COUNT_SCHEMA, MAX_INT, Attr, schema_of
from budgetlint.engine.ops.attrs import EXPRESSION_SCHEMA as _EXPRESSION
from budgetlint.engine.ops.merge import DEFAULT_MERGE, MERGES
from budgetlint.engine.training import CHECKPOINTING, OPTIMIZERS
from budgetlint.units import (
    MAX_QUANTITY_LENGTH,
    PERCENT_PATTERN,
    QUANTITIES,
    Quantity,
    quantity_of,
)

SCHEMA_ID = "https://budgetlint.dev/schemas/budgetlint.schema.json"
NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_.-]*$"


# Marks a value that a unit parser reads: the CLI leaves its form to the parser, whose
# message says what to write; the editor checks it with the same pattern.
QUANTITY_MARK = "x-budgetlint-quantity"


def quantity_schema(quantity: Quantity, description: str) -> dict[str, Any]:
    """A value the parser `quantity.parse` reads: its own pattern for strings (and YAML
    numbers where the parser takes them), so the editor refuses what the CLI refuses."""
    text: dict[str, Any] = {
        "type": "string",
        "maxLength": MAX_QUANTITY_LENGTH,
        "pattern": quantity.pattern,
        "patternErrorMessage": f"write {quantity.doc}, e.g. {', '.join(quantity.examples)}",
    }
    forms: list[dict[str, Any]] = [text]
    if quantity.numbers:
        number: dict[str, Any] = {"type": "number", "minimum": 0}
        if quantity.maximum is not None:
            number["maximum"] = quantity.maximum
        forms.insert(0, number)
    schema: dict[str, Any] = {"anyOf": forms} if len(forms) > 1 else text
    examples = list(quantity.examples[:2])
    return {
        **schema,
        QUANTITY_MARK: quantity.name,
        "description": description,
        "examples": examples,
    }


def _budget(name: str) -> dict[str, Any]:
    return quantity_schema(quantity_of(BUDGET_KINDS[name].parse), BUDGET_KINDS[name].doc)


def _growth(name: str) -> dict[str, Any]:
    """max_increase: a percentage of the base value, or an amount in the budget's unit."""
    amount = quantity_of(BUDGET_KINDS[name].parse)
    percent = {"type": "string", "pattern": PERCENT_PATTERN}
    return {
        QUANTITY_MARK: "growth",
        "anyOf": [percent, quantity_schema(amount, "")],
        "description": f"how much {name} may grow over the base revision: a percentage "
        f"of the base value or an amount ({amount.doc})",
        "examples": ["2%", amount.examples[0]],
    }


FRACTION = QUANTITIES["fraction"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/definitions/{name}"}


def _attr_example(attr: Attr) -> Any:
    if not attr.required and attr.default is not None:
        return attr.default
    return attr.choices[0] if attr.choices else KIND_EXAMPLES[attr.kind]


def _op_schema(name: str, op: OpDef) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "type": "object",
        "properties": {
            attr.name: {**schema_of(attr), "examples": [_attr_example(attr)]} for attr in op.attrs
        },
        "additionalProperties": False,
    }
    required = [attr.name for attr in op.attrs if attr.required]
    if required:
        attrs["required"] = required
        schema: dict[str, Any] = attrs
    else:
        schema = {"anyOf": [attrs, {"type": "null"}]}
    schema["description"] = op.doc or name
    example = {attr.name: _attr_example(attr) for attr in op.attrs if attr.required}
    schema["examples"] = [example or None]
    return schema


def _layer_properties() -> dict[str, Any]:
    properties: dict[str, Any] = {
        "name": {"type": "string", "description": "the layer's name in reports"},
        "module": {
            "type": "string",
            "description": "layers of one block use with the same module name are one "
            "module object called again (a shared ReLU): torchstat keeps its last call",
        },
        "functional": {
            "type": "boolean",
            "description": "called as a function (F.adaptive_avg_pool2d) rather than a "
            "module: counters that hook modules (thop, paddle, torchstat) don't see it",
        },
        "residual": {
            "type": "object",
            "description": "body(x) + shortcut(x); without a shortcut, body(x) + x",
            "properties": {"body": _ref("layers"), "shortcut": _ref("layers")},
            "required": ["body"],
            "additionalProperties": False,
        },
        "parallel": {
            "type": "object",
            "description": "branches on the same input, merged; [] is the identity",
            "properties": {
                "branches": {"type": "array", "minItems": 1, "items": _ref("layers")},
                "merge": {
                    "anyOf": [{"enum": list(MERGES)}, _EXPRESSION],
                    "default": DEFAULT_MERGE,
                },
                "axis": {"anyOf": [{"type": "integer"}, _EXPRESSION], "default": 1},
            },
            "required": ["branches"],
            "additionalProperties": False,
        },
        "repeat": {
            "type": "object",
            "description": "the body, `times` times in a row; `${turn}` is the turn's number",
            "properties": {
                "times": {"anyOf": [{"type": "integer", "minimum": 0}, _EXPRESSION, COUNT_SCHEMA]},
                "start": {
                    "anyOf": [{"type": "integer", "minimum": 0}, _EXPRESSION],
                    "description": "the number of the first turn (default 0), as in "
                    "a framework's Sequential whose first block is written apart",
                    "examples": [1],
                },
                "body": _ref("layers"),
            },
            "required": ["times", "body"],
            "additionalProperties": False,
        },
        "arch": {
            "type": "string",
            "description": "the layers of another architecture file, relative to this one",
        },
    }
    for name, op in OPS.items():
        properties[name] = _op_schema(name, op)
    return properties


def _bare_layer() -> dict[str, Any]:
    """`- relu`: an op whose attributes all have defaults (enumerated, for completion), a
    block by name, or a `${...}` choosing one. A static schema can't tell a block from a
    misspelt op: `budgetlint check` does (unknown op, did you mean)."""
    bare_ops = [name for name, op in OPS.items() if not any(a.required for a in op.attrs)]
    return {
        "anyOf": [
            {"enum": bare_ops, "description": "an op with its default attributes"},
            {**_EXPRESSION, "description": "an expression naming the op or block"},
            {"type": "string", "description": "a block of this file or of a `use:` library"},
        ],
        "description": "an op with its default attributes, or a block by name",
    }


def _training_schema() -> dict[str, Any]:
    dtypes = list(DTYPES)
    return {
        "type": "object",
        "description": "how the device trains, for train_memory, train_flops and train_step_time",
        "properties": {
            "optimizer": {
                "enum": list(OPTIMIZERS),
                "default": "adam",
                "description": "; ".join(f"{name}: {o.doc}" for name, o in OPTIMIZERS.items()),
            },
            "params_dtype": {
                "enum": dtypes,
                "description": "weights and activations while training (default: dtype)",
            },
            "grads_dtype": {"enum": dtypes, "description": "gradients (default: params_dtype)"},
            "master_dtype": {
                "enum": dtypes,
                "description": "master weights of mixed precision (default: none)",
            },
            "optimizer_dtype": {
                "enum": dtypes,
                "description": "optimizer states (default: master_dtype, else params_dtype)",
            },
            "checkpointing": {
                "enum": list(CHECKPOINTING),
                "default": "none",
                "description": "; ".join(f"{name}: {doc}" for name, doc in CHECKPOINTING.items()),
            },
        },
        "additionalProperties": False,
        "examples": [{"optimizer": "adamw", "params_dtype": "bfloat16", "master_dtype": "float32"}],
    }


def build_schema() -> dict[str, Any]:
    schema: dict[str, Any] = _annotated(_structure())
    return schema


def _structure() -> dict[str, Any]:
    budgets = {name: _budget(name) for name in BUDGET_KINDS}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "budgetlint spec",
        "description": "Architectures and the device budgets they must fit (format version 1).",
        "type": "object",
        "properties": {
            "version": {"const": 1, "description": "the format version"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "source": {"type": "string", "description": "where the architecture comes from"},
            "convention": {"enum": sorted(CONVENTIONS), "default": "default"},
            "include": {
                "type": "array",
                "items": {"type": "string"},
                "description": "files whose devices this file can target (device profiles)",
            },
            "use": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "description": "files whose blocks this file uses (block libraries, such as "
                "specs/zoo/blocks/common.yaml), relative to this file",
            },
            "input": _ref("shape"),
            "params": {
                "type": "object",
                "description": "parameters of this architecture (defaults; ~ is required), "
                "usable in ${...} and set per model with the model's `params`",
            },
            "blocks": _ref("blocks"),
            "layers": _ref("layers"),
            "devices": {
                "type": "object",
                "propertyNames": {"pattern": NAME_PATTERN},
                "additionalProperties": _ref("device"),
                "description": "the devices of this file, by name: dtypes, roofline, budgets",
                "examples": [{"phone-npu": {"dtype": "int8", "budgets": {"params": "6M"}}}],
            },
            "models": {
                "type": "object",
                "propertyNames": {"pattern": NAME_PATTERN},
                "additionalProperties": _ref("model"),
                "description": "the models to check, by name, and the devices they target",
                "examples": [{"net": {"arch": "zoo/resnet18.yaml", "devices": ["phone-npu"]}}],
            },
        },
        "required": ["version"],
        "additionalProperties": False,
        "definitions": {
            "shape": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
                "description": "a tensor shape, batch first, e.g. [1, 3, 224, 224]",
            },
            "device": {
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "extends": {
                        "type": "string",
                        "description": "start from this device's fields (own or included)",
                    },
                    "dtype": {
                        "enum": list(DTYPES),
                        "default": DEFAULT_DTYPE,
                        "description": "storage type of weights and buffers: "
                        + "; ".join(f"{name}, {dtype.doc}" for name, dtype in DTYPES.items()),
                    },
                    "activation_dtype": {
                        "enum": list(DTYPES),
                        "description": "type of activations (default: dtype)",
                    },
                    "compute": {
                        "type": "object",
                        "description": "peak compute per dtype, e.g. "
                        "{int8: 26TOPS, float16: 13TFLOPS}",
                        "propertyNames": {"enum": list(DTYPES)},
                        "additionalProperties": quantity_schema(
                            QUANTITIES["rate"], "peak compute at this dtype"
                        ),
                    },
                    "bandwidth": quantity_schema(
                        QUANTITIES["bandwidth"], "memory bandwidth, e.g. 51.2GB/s"
                    ),
                    "efficiency": quantity_schema(
                        FRACTION, "share of peak compute and bandwidth reached, e.g. 60%"
                    ),
                    "layer_overhead": quantity_schema(
                        QUANTITIES["time"], "time added per layer, e.g. 10us"
                    ),
                    "training": _training_schema(),
                    "budgets": {
                        "type": "object",
                        "properties": budgets,
                        "additionalProperties": False,
                    },
                    "quantization": _ref("quantization"),
                    "overrides": {
                        "description": "tensors stored otherwise than the device's dtype: "
                        "chosen by layer name (glob), op or role; the last matching rule "
                        "wins. A list of rules, or a mapping from an op, a role or a name "
                        "glob to {dtype, quantization}",
                        "anyOf": [
                            {"type": "array", "items": _ref("override"), "maxItems": 64},
                            {
                                "type": "object",
                                "maxProperties": 64,
                                "propertyNames": {"maxLength": 1000},
                                "additionalProperties": {
                                    "type": "object",
                                    "properties": {
                                        "dtype": {"enum": list(DTYPES)},
                                        "quantization": _ref("quantization"),
                                    },
                                    "required": ["dtype"],
                                    "additionalProperties": False,
                                },
                            },
                        ],
                    },
                    "kv_cache_dtype": {
                        "enum": list(DTYPES),
                        "description": "type of the KV cache (default: activation_dtype)",
                    },
                    "overhead": quantity_schema(
                        QUANTITIES["bytes"],
                        "memory the runtime holds besides weights, KV cache "
                        "and activations, counted in the memory budget, e.g. 150MB",
                    ),
                    "max_increase": {
                        "type": "object",
                        "description": "growth allowed over the base revision (check --base): "
                        "a percentage of the base value (2%) or an amount in the budget's unit",
                        "properties": {name: _growth(name) for name in BUDGET_KINDS},
                        "additionalProperties": False,
                    },
                    "warn": {
                        "description": "warn (exit 0 unless --strict) above this share of a "
                        "limit: one percentage (90%) or one per budget",
                        "anyOf": [
                            quantity_schema(FRACTION, "one share for every budget"),
                            {
                                "type": "object",
                                "properties": {
                                    name: quantity_schema(
                                        FRACTION, f"warn above this share of the {name} limit"
                                    )
                                    for name in BUDGET_KINDS
                                },
                                "additionalProperties": False,
                            },
                        ],
                    },
                },
                "additionalProperties": False,
            },
            "quantization": {
                "description": "group quantization of the weight matrices and embedding "
                "tables at an integer dtype: one scale (and zero point) per group of "
                "weights along a row; `none` for none",
                "anyOf": [
                    {
                        "type": "object",
                        "properties": {
                            "group": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                            "scale_dtype": {"enum": list(DTYPES), "default": DEFAULT_SCALE_DTYPE},
                            "zero_point": {"type": "boolean", "default": False},
                            "zero_dtype": {
                                "enum": list(DTYPES),
                                "description": "type of the zero points (default: scale_dtype)",
                            },
                        },
                        "required": ["group"],
                        "additionalProperties": False,
                    },
                    {"enum": ["none", None]},
                ],
            },
            "override": {
                "type": "object",
                "description": "the tensors matching every selector given are stored at "
                "`dtype` (and `quantization`; an integer dtype takes the device's unless said)",
                "properties": {
                    "layers": {
                        "anyOf": [
                            {"type": "string", "maxLength": 1000},
                            {
                                "type": "array",
                                "items": {"type": "string", "maxLength": 1000},
                                "maxItems": 64,
                            },
                        ],
                        "description": "globs on layer, module or tensor names "
                        "(model.embed_tokens, *.self_attn.q_proj, *.bias)",
                    },
                    "ops": {"type": "array", "items": {"enum": list(OPS)}},
                    "tensors": {
                        "type": "array",
                        "items": {"enum": list(TENSOR_ROLES)},
                        "description": "roles: "
                        + "; ".join(f"{name}: {role.doc}" for name, role in TENSOR_ROLES.items()),
                    },
                    "dtype": {"enum": list(DTYPES)},
                    "quantization": _ref("quantization"),
                },
                "required": ["dtype"],
                "anyOf": [
                    {"required": ["layers"]},
                    {"required": ["ops"]},
                    {"required": ["tensors"]},
                ],
                "additionalProperties": False,
            },
            "model": {
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "arch": {"type": "string", "description": "architecture file, relative"},
                    "verify": {
                        "type": "string",
                        "description": "the real model this spec describes (model.onnx): "
                        "`budgetlint verify` checks that they agree",
                    },
                    "params": {
                        "type": "object",
                        "description": "values for the architecture file's params",
                    },
                    "input": _ref("shape"),
                    "blocks": _ref("blocks"),
                    "layers": _ref("layers"),
                    "lora": {
                        "type": "object",
                        "description": "LoRA adapters on named linear layers and attention "
                        "projections (a target matches a module name, its last parts, or as "
                        "a glob: q_proj, model.layers.*.mlp.up_proj); the base weights freeze "
                        "unless `trainable` says otherwise",
                        "properties": {
                            "rank": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": 65536,
                                "description": "r: A is [r, in], B is [out, r]",
                                "examples": [16],
                            },
                            "alpha": {
                                "type": "number",
                                "exclusiveMinimum": 0,
                                "description": "the adapter's output is scaled by alpha / r "
                                "(default: r)",
                                "examples": [32],
                            },
                            "targets": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": "string"},
                                "description": "module names, their last parts or globs",
                                "examples": [["q_proj", "v_proj"]],
                            },
                        },
                        "required": ["rank", "targets"],
                        "additionalProperties": False,
                        "examples": [{"rank": 16, "alpha": 32, "targets": ["q_proj", "v_proj"]}],
                    },
                    "trainable": {
                        "description": "what trains: all (the default), none, or globs on "
                        "layer names (a name's dotted prefixes match too: h.11 is its block)",
                        "anyOf": [
                            {"enum": ["all", "none"]},
                            {"type": "array", "items": {"type": "string"}},
                        ],
                    },
                    "devices": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "the devices whose budgets this model must fit",
                    },
                },
                "required": ["devices"],
                "additionalProperties": False,
            },
            "blocks": {
                "type": "object",
                "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "description": {"type": "string"},
                        "params": {
                            "type": "object",
                            "description": "parameter → default; null (~) marks it required",
                        },
                        "layers": _ref("layers"),
                    },
                    "required": ["layers"],
                    "additionalProperties": False,
                },
            },
            "layers": {"type": "array", "items": _ref("layer")},
            "layer": {
                "anyOf": [
                    _bare_layer(),
                    {
                        "type": "object",
                        "description": "one op, combinator or block (with its arguments)",
                        "properties": _layer_properties(),
                        "minProperties": 1,
                    },
                ]
            },
        },
    }


# What a property means, where its schema doesn't say: by property name (a name means
# the same wherever it appears: an op attribute, a device field, a combinator's key).
PROPERTY_DOCS: dict[str, str] = {
    "name": "a name for reports",
    "description": "free text for people",
    "convention": "what `flops` and `params` mean in this file: a counting convention "
    "(default: budgetlint's own)",
    "input": "the input shape, batch first",
    "blocks": "named, parameterised blocks, used in layers like ops",
    "layers": "the architecture: a list of layers, each an op, combinator or block",
    "budgets": "the limits a model on this device must stay under",
    "quantization": "group quantization of weight matrices at an integer dtype",
    "group": "weights per quantization group (along a row)",
    "scale_dtype": "type of the per-group scales",
    "zero_point": "whether each group also stores a zero point",
    "ops": "ops whose tensors the rule applies to",
    "dtype": "storage type of the matching tensors",
    "body": "the layers of the body",
    "shortcut": "the layers of the shortcut (default: the identity)",
    "branches": "the branches, each a list of layers ([] is the identity)",
    "merge": f"how the branches merge (default {DEFAULT_MERGE}): "
    + "; ".join(f"{name}: {merge.shape}" for name, merge in MERGES.items()),
    "axis": "the concat axis (default 1, the channels)",
    "times": "how many times the body repeats",
    "stride": "the step of the window, one for every dimension or one per dimension",
    "dilation": "spacing between kernel elements",
    "bias": "whether the layer adds a learned bias",
    "padding": "zeros added on each side, one for every dimension or one per dimension",
    "output_padding": "extra size added to one side of the output",
    "affine": "whether the normalisation has a learned scale and shift",
    "groups": "the number of groups the channels are split into",
    "dims": "the dimensions it works over",
    "heads": "the number of attention heads",
    "causal": "whether each position attends only to itself and earlier ones",
    "vocab": "the vocabulary size",
    "dim": "the dimension it works on",
    "bidirectional": "whether the layer also runs backwards (outputs concatenated)",
    "nonlinearity": "the activation inside the recurrence",
    "approximate": "the GELU approximation",
    "kernel": "the window size, one for every dimension or one per dimension",
    "ceil_mode": "whether the output size rounds up",
    "keepdim": "whether the reduced dimensions stay, with size 1",
    "mode": "the interpolation",
    "factor": "the upscale factor",
    "start_dim": "the first dimension flattened",
    "end_dim": "the last dimension flattened",
    "index": "the index selected",
    "start": "the first index kept",
    "end": "the index after the last one kept",
}

# An example value per op attribute kind (budgetlint.engine.ops.attrs), where none is given.
KIND_EXAMPLES: dict[str, Any] = {
    "positive": 64,
    "nonnegative": 0,
    "integer": 1,
    "size": 3,
    "offsets": 1,
    "integer_list": [1, -1],
    "padding": 1,
    "bool": True,
    "number": 0.5,
    "scale": 2,
}
# Examples by property name, for properties whose schema gives none.
PROPERTY_EXAMPLES: dict[str, Any] = {
    "name": "stem",
    "description": "MobileNetV2 on the phone's NPU",
    "source": "torchvision.models.resnet50",
    "include": ["devices/jetson-orin-nano.yaml"],
    "use": ["zoo/blocks/common.yaml"],
    "input": [1, 3, 224, 224],
    "params": {"width": 64},
    "blocks": {"conv_bn": {"params": {"out": None}, "layers": ["relu"]}},
    "layers": ["relu"],
    "devices": ["phone-npu"],
    "extends": "jetson-orin-nano",
    "compute": {"int8": "26TOPS"},
    "budgets": {"params": "5M", "size": "8MB"},
    "overrides": [{"layers": "*.embed_tokens", "dtype": "float16"}],
    "max_increase": {"params": "2%"},
    "arch": "zoo/resnet50.yaml",
    "verify": "models/resnet50.onnx",
    "body": ["relu"],
    "shortcut": [],
    "branches": [["relu"], []],
    "times": 2,
    "tensors": ["weight"],
    "layers_glob": "*.self_attn.*",
    "ops": ["linear"],
    "group": 32,
    "quantization": {"group": 32},
    "warn": "90%",
    "module": "relu",
    "functional": True,
    "residual": {"body": ["relu"]},
    "parallel": {"branches": [["relu"], []], "merge": "add"},
    "repeat": {"times": 2, "body": ["relu"]},
}


def _example(name: str, schema: dict[str, Any]) -> Any:
    """A value the property takes, for the editor to show; None when none can be said."""
    if "examples" in schema:
        return schema["examples"][0]
    if name in PROPERTY_EXAMPLES:
        return PROPERTY_EXAMPLES[name]
    if schema.get("default") is not None:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    for values in (schema.get("enum"), *(b.get("enum") for b in schema.get("anyOf", []))):
        if values and values[0] is not None:
            return values[0]
    return None


def _describe(name: str, schema: dict[str, Any], example: Any) -> dict[str, Any]:
    """The property with a description, a markdownDescription and an example; a `$ref`
    is wrapped in allOf, since draft-07 ignores the siblings of a `$ref`."""
    if "$ref" in schema:
        schema = {"allOf": [{"$ref": schema.pop("$ref")}], **schema}
    description = schema.get("description") or PROPERTY_DOCS.get(name, "")
    described = {**schema, "description": description}
    shown = json.dumps(example, ensure_ascii=False)
    described["markdownDescription"] = f"{description}\n\nExample: `{name}: {shown}`"
    described["examples"] = schema.get("examples") or [example]
    return described


def _annotated(node: Any, name: str = "") -> Any:
    """Every property, wherever it is, described and with an example."""
    if isinstance(node, list):
        return [_annotated(item) for item in node]
    if not isinstance(node, dict):
        return node
    done = {}
    for key, value in node.items():
        if key in ("properties",) and isinstance(value, dict):
            done[key] = {
                prop: _describe(prop, _annotated(sub, prop), _example(prop, sub))
                for prop, sub in value.items()
            }
        elif key in ("examples", "enum", "const", "default", "required"):
            done[key] = value
        else:
            done[key] = _annotated(value)
    return done


if __name__ == "__main__":
    print(json.dumps(build_schema(), indent=2, ensure_ascii=False))
