"""Output formats: one module each, picked by name from RENDERERS."""

from __future__ import annotations

from collections.abc import Callable

from budgetlint.pipeline import Result
from budgetlint.render import github, html, json_format, markdown, sarif, text

Renderer = Callable[[Result, bool], str]

# Each takes the result and whether per-layer tables are wanted (report) or not (check).
RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_format.render,
    "github": github.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
    "html": html.render,
}
