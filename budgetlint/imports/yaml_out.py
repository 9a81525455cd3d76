"""A small, deterministic YAML writer for imported specs: one line per layer.

Layers and small mappings are written in flow style (`{name: conv1, conv2d: {...}}`),
combinators and blocks in block style. Text that YAML could read as something else,
or that holds anything but plain name characters, is written double-quoted with
escapes (JSON's syntax, which YAML reads), so no name from a model file can break out.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*\Z")
_RESERVED = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "~"}
)
_FLOW_KEYS = ("name", "module")
_BLOCK_KEYS = frozenset({"residual", "parallel", "repeat"})


def scalar(value: Any) -> str:
    if value is None:
        return "~"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=True)


def flow(value: Any) -> str:
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            parts.append(f"{scalar(key)}: " + ("" if item is None else flow(item)))
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(item) for item in value) + "]"
    return scalar(value)


def _is_leaf(item: Any) -> bool:
    return isinstance(item, dict) and not (_BLOCK_KEYS & set(item))


def _layers(items: list[Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    if not items:
        out[-1] += " []"
        return
    for item in items:
        if _is_leaf(item):
            out.append(f"{pad}- {flow(item)}")
            continue
        first = True
        for key, value in item.items():
            lead = f"{pad}- " if first else f"{pad}  "
            first = False
            if key in _BLOCK_KEYS:
                out.append(f"{lead}{scalar(key)}:")
                _combinator(key, value, indent + 4, out)
            else:
                out.append(f"{lead}{scalar(key)}: {flow(value)}")


def _combinator(kind: str, spec: dict[str, Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for key, value in spec.items():
        if key in ("body", "shortcut"):
            out.append(f"{pad}{key}:")
            _layers(value, indent + 2, out)
        elif key == "branches":
            out.append(f"{pad}branches:")
            for branch in value:
                out.append(f"{pad}  -")
                if branch:
                    _layers(branch, indent + 4, out)
                else:
                    out[-1] += " []"
        else:
            out.append(f"{pad}{key}: {flow(value)}")


def to_yaml(spec: dict[str, Any], header: list[str]) -> str:
    out = [f"# {line}" for line in header]
    for key, value in spec.items():
        if key == "blocks":
            out.append("blocks:")
            for name, block in value.items():
                out.append(f"  {scalar(name)}:")
                for part, content in block.items():
                    if part == "layers":
                        out.append("    layers:")
                        _layers(content, 6, out)
                    elif part == "params":
                        names = ", ".join(f"{scalar(name)}: ~" for name in content)
                        out.append(f"    params: {{{names}}}")
                    else:
                        out.append(f"    {part}: {flow(content)}")
        elif key == "layers":
            out.append("layers:")
            _layers(value, 2, out)
        else:
            out.append(f"{key}: {flow(value)}")
    return "\n".join(out) + "\n"
