"""Which files are models to import rather than YAML to load (no framework imported here)."""

from __future__ import annotations

from pathlib import Path

CONFIG_SUFFIX = ".json"  # a Hugging Face config.json: a model that takes `params:`
MODEL_SUFFIXES = (".onnx", CONFIG_SUFFIX)  # an ONNX graph; a config


TORCH_PREFIX = "torch:"  # verify's name for a PyTorch factory: torch:package.module:factory


def is_model(path: str | Path) -> bool:
    return Path(path).suffix.lower() in MODEL_SUFFIXES
