"""PyTorch modules for the zoo specs that describe no published package's model.

`specs/zoo/lstm_lm.yaml` is the word-level LSTM language model of PyTorch's
examples/word_language_model (RNNModel('LSTM')) at a small size; tools/measure_fidelity.py
measures the counting tools on it. Its own model, for `budgetlint verify`, from the
repository root in a Python with torch:

    budgetlint verify specs/zoo/lstm_lm.yaml --against torch:tools.zoo_models:lstm_lm

Run as a script (torch, onnx; tests never need them), it exports each model with
`torch.onnx.export(model.eval(), (x,), path)` (the exporter's defaults), strips the
weights as tools/export_torchvision_onnx.py does, and records torch's parameter count:

    /work/venvs/torch/bin/python tools/zoo_models.py

Writes tests/data/onnx/<name>.onnx and tests/data/measured_zoo_models.json.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]


class LstmLanguageModel(nn.Module):
    """Embedding(1000, 128) → LSTM(128, 256, num_layers=2, batch_first=True) → Linear(256, 1000)."""

    def __init__(self, vocab: int = 1000, dim: int = 128, hidden: int = 256) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, hidden, num_layers=2, batch_first=True)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.lstm(self.embedding(x))[0])  # type: ignore[no-any-return]


def lstm_lm() -> nn.Module:
    return LstmLanguageModel()


# name → (factory, an input as the spec's `input:`)
MODELS: dict[str, tuple[Callable[[], nn.Module], Callable[[], torch.Tensor]]] = {
    "lstm_lm": (lstm_lm, lambda: torch.zeros(1, 35, dtype=torch.long)),
}


def main() -> None:
    import onnx

    sys.path.insert(0, str(ROOT / "tools"))
    from export_torchvision_onnx import strip

    records = {}
    for name, (factory, example) in MODELS.items():
        torch.manual_seed(0)
        model = factory().eval()
        with tempfile.TemporaryDirectory() as folder:
            exported = Path(folder) / f"{name}.onnx"
            torch.onnx.export(model, (example(),), str(exported))
            size = strip(exported, ROOT / "tests" / "data" / "onnx" / f"{name}.onnx")
        params = sum(p.numel() for p in model.parameters())
        records[name] = {"factory": f"tools.zoo_models:{name}", "params": params, "bytes": size}
    document = {
        "source": "tools/zoo_models.py",
        "call": "torch.onnx.export(model.eval(), (x,), path) with x as the spec's input; "
        "params = sum(p.numel() for p in model.parameters())",
        "date": os.environ.get("MEASURED_ON", datetime.date.today().isoformat()),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "onnx": onnx.__version__,
        },
        "models": records,
    }
    target = ROOT / "tests" / "data" / "measured_zoo_models.json"
    target.write_text(json.dumps(document, indent=1) + "\n")
    print(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
