"""Which files are models to import rather than YAML to load (no framework imported here)."""

from __future__ import annotations

from pathlib import Path

MODEL_SUFFIXES = (".onnx", ".json")  # an ONNX graph; a Hugging Face config.json


TORCH_PREFIX = "torch:"  # verify's name for a PyTorch factory: torch:package.module:factory


def is_model(path: str | Path) -> bool:
    return Path(path).suffix.lower() in MODEL_SUFFIXES
