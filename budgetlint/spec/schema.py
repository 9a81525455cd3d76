"""The spec format's JSON Schema (draft-07): built from the ops table, shipped as JSON.

`build_schema()` is the single source; budgetlint/schemas/budgetlint.schema.json
is its output, committed so editors can point at it, and a test keeps the two equal.
Regenerate with `python -m budgetlint.spec.schema > budgetlint/schemas/budgetlint.schema.json`.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from budgetlint.budgets import BUDGETS, DTYPE_BITS
from budgetlint.engine.conventions import CONVENTIONS
from budgetlint.engine.cost import TENSOR_ROLES
from budgetlint.engine.ops import OPS, OpDef
from budgetlint.engine.ops.attrs import COUNT_SCHEMA, MAX_INT, schema_of
from budgetlint.engine.ops.attrs import EXPRESSION_SCHEMA as _EXPRESSION
from budgetlint.engine.ops.merge import MERGES

SCHEMA_ID = "https://budgetlint.dev/schemas/budgetlint.schema.json"
SCHEMA_FILE = "budgetlint.schema.json"
NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_.-]*$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/definitions/{name}"}


def _op_schema(name: str, op: OpDef) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "type": "object",
        "properties": {attr.name: schema_of(attr) for attr in op.attrs},
        "additionalProperties": False,
    }
    required = [attr.name for attr in op.attrs if attr.required]
    if required:
        attrs["required"] = required
        schema: dict[str, Any] = attrs
    else:
        schema = {"anyOf": [attrs, {"type": "null"}]}
    schema["description"] = op.doc or name
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
                    "default": "concat",
                },
                "axis": {"anyOf": [{"type": "integer"}, _EXPRESSION], "default": 1},
            },
            "required": ["branches"],
            "additionalProperties": False,
        },
        "repeat": {
            "type": "object",
            "description": "the body, `times` times in a row",
            "properties": {
                "times": {"anyOf": [{"type": "integer", "minimum": 0}, _EXPRESSION, COUNT_SCHEMA]},
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


def build_schema() -> dict[str, Any]:
    budgets = {
        name: {"type": ["number", "string"], "description": kind.doc}
        for name, kind in BUDGETS.items()
    }
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
            },
            "models": {
                "type": "object",
                "propertyNames": {"pattern": NAME_PATTERN},
                "additionalProperties": _ref("model"),
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
                        "enum": list(DTYPE_BITS),
                        "default": "float32",
                        "description": "storage type of weights and buffers",
                    },
                    "activation_dtype": {
                        "enum": list(DTYPE_BITS),
                        "description": "type of activations (default: dtype)",
                    },
                    "compute": {
                        "type": "object",
                        "description": "peak compute per dtype, e.g. "
                        "{int8: 26TOPS, float16: 13TFLOPS}",
                        "propertyNames": {"enum": list(DTYPE_BITS)},
                        "additionalProperties": {"type": ["number", "string"]},
                    },
                    "bandwidth": {
                        "type": ["number", "string"],
                        "description": "memory bandwidth, e.g. 51.2GB/s",
                    },
                    "efficiency": {
                        "type": ["number", "string"],
                        "description": "share of peak compute and bandwidth reached, e.g. 60%",
                    },
                    "layer_overhead": {
                        "type": "string",
                        "description": "time added per layer, e.g. 10us",
                    },
                    "budgets": {
                        "type": "object",
                        "properties": budgets,
                        "additionalProperties": False,
                    },
                    "quantization": _ref("quantization"),
                    "overrides": {
                        "type": "array",
                        "description": "tensors stored otherwise than the device's dtype: "
                        "chosen by layer name (glob), op or role; the last matching rule wins",
                        "items": _ref("override"),
                        "maxItems": 64,
                    },
                    "kv_cache_dtype": {
                        "enum": list(DTYPE_BITS),
                        "description": "type of the KV cache (default: activation_dtype)",
                    },
                    "overhead": {
                        "type": ["number", "string"],
                        "description": "memory the runtime holds besides weights, KV cache "
                        "and activations, counted in the memory budget, e.g. 150MB",
                    },
                    "max_increase": {
                        "type": "object",
                        "description": "growth allowed over the base revision (check --base): "
                        "a percentage of the base value (2%) or an amount in the budget's unit",
                        "properties": {name: {"type": ["number", "string"]} for name in BUDGETS},
                        "additionalProperties": False,
                    },
                    "warn": {
                        "description": "warn (exit 0 unless --strict) above this share of a "
                        "limit: one percentage (90%) or one per budget",
                        "anyOf": [
                            {"type": ["number", "string"]},
                            {
                                "type": "object",
                                "properties": {
                                    name: {"type": ["number", "string"]} for name in BUDGETS
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
                            "scale_dtype": {"enum": list(DTYPE_BITS), "default": "float16"},
                            "zero_point": {"type": "boolean", "default": False},
                            "zero_dtype": {
                                "enum": list(DTYPE_BITS),
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
                    "dtype": {"enum": list(DTYPE_BITS)},
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
                    {"type": "string", "description": "an op or block with its defaults"},
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


def schema_text() -> str:
    return files("budgetlint.schemas").joinpath(SCHEMA_FILE).read_text("utf-8")


def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_text())
    return schema


if __name__ == "__main__":
    print(json.dumps(build_schema(), indent=2, ensure_ascii=False))
