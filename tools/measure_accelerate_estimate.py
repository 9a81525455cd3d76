"""What `accelerate estimate-memory` says for the phone models, for the README's comparison.

Writes ``tests/data/measured_accelerate_estimate.json``; tests only read that file.
``accelerate estimate-memory MODEL`` fetches the model's config from the Hub, builds
``AutoModel.from_config(config, torch_dtype=torch.float32)`` under
``init_empty_weights()`` and prints, per dtype, the largest layer and the total size
(float32 bytes / 2, / 4, / 8 for float16, int8, int4). Without network, this script
runs the same ``gather_data`` of ``accelerate.commands.estimate`` with only the
config step replaced: the config is built from the public config.json values of
``tools/measure_llm_configs.py`` (the Hub lookup is the one thing skipped). Run from
the repository root with torch, transformers and accelerate importable, e.g.:

    pip install --no-deps --target /tmp/accel accelerate==1.15.0 psutil
    PYTHONPATH=/tmp/accel:. /work/venvs/torch/bin/python tools/measure_accelerate_estimate.py \\
        > tests/data/measured_accelerate_estimate.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
from typing import Any

from tools.measure_llm_configs import CONFIGS

MODELS = ("qwen2.5-0.5b", "llama-3.2-1b")


def estimate(name: str) -> dict[str, Any]:
    import torch
    from accelerate import init_empty_weights
    from accelerate.commands import estimate as command
    from transformers import AutoConfig, AutoModel

    values = CONFIGS[name]
    settings = {key: value for key, value in values.items() if key != "model_type"}

    def create_empty_model(*args: Any, **kwargs: Any) -> torch.nn.Module:
        config = AutoConfig.for_model(values["model_type"], **settings)
        with init_empty_weights():  # as accelerate does once it has the config
            return AutoModel.from_config(config, torch_dtype=torch.float32)

    command.create_empty_model = create_empty_model  # the Hub lookup, replaced
    args = argparse.Namespace(
        model_name=name,
        library_name="transformers",
        dtypes=["float32", "float16", "int8", "int4"],
        trust_remote_code=False,
    )
    rows = command.gather_data(args)
    return {
        "class": type(create_empty_model()).__name__,
        "rows": [
            {"dtype": dtype, "largest_layer_bytes": largest, "total_size_bytes": total}
            for dtype, largest, total, _training in rows
        ],
    }


def main() -> None:
    import accelerate
    import torch
    import transformers

    document = {
        "measured_on": datetime.date(2026, 12, 1).isoformat(),
        "generated_by": "tools/measure_accelerate_estimate.py",
        "call": "accelerate.commands.estimate.gather_data(Namespace(model_name, "
        "library_name='transformers', dtypes=[float32, float16, int8, int4])) with "
        "create_empty_model building AutoModel.from_config(config, torch_dtype=float32) "
        "under init_empty_weights() from the public config.json values",
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "accelerate": accelerate.__version__,
        },
        "models": {name: estimate(name) for name in MODELS},
    }
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
