"""Count the parameters of the on-device language models of the zoo with transformers.

Writes ``tests/data/measured_llm_configs.json``; the tests only read that file (they
never import torch or transformers). Run from the repository root, in a venv with torch
and transformers, without network:

    /work/venvs/torch/bin/python tools/measure_llm_configs.py > tests/data/measured_llm_configs.json

Each model is built from the values of its public ``config.json`` (written out below,
from the Hugging Face model pages Qwen/Qwen2.5-0.5B, meta-llama/Llama-3.2-1B and
mistralai/Mistral-7B-v0.1) with ``AutoModelForCausalLM.from_config`` under
``torch.device("meta")``: shapes only, no weights, nothing downloaded. Recorded per model:
``sum(p.numel() for p in model.parameters())`` (tied weights counted once), the
parameters of each named module of decoder layer 3 (``model.layers.3.self_attn.q_proj``,
…) with their shapes, and the other top-level tensors.
"""

from __future__ import annotations

import datetime
import json
import platform
import sys
from typing import Any

CONFIGS: dict[str, dict[str, Any]] = {
    "qwen2.5-0.5b": {  # Qwen/Qwen2.5-0.5B config.json
        "model_type": "qwen2",
        "architectures": ["Qwen2ForCausalLM"],
        "hidden_size": 896,
        "intermediate_size": 4864,
        "num_hidden_layers": 24,
        "num_attention_heads": 14,
        "num_key_value_heads": 2,
        "vocab_size": 151936,
        "max_position_embeddings": 32768,
        "rms_norm_eps": 1e-06,
        "rope_theta": 1000000.0,
        "tie_word_embeddings": True,
        "use_sliding_window": False,
        "sliding_window": 32768,
        "max_window_layers": 24,
        "hidden_act": "silu",
    },
    "llama-3.2-1b": {  # meta-llama/Llama-3.2-1B config.json
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": 2048,
        "intermediate_size": 8192,
        "num_hidden_layers": 16,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "head_dim": 64,
        "vocab_size": 128256,
        "max_position_embeddings": 131072,
        "rms_norm_eps": 1e-05,
        "rope_theta": 500000.0,
        "rope_scaling": {
            "factor": 32.0,
            "high_freq_factor": 4.0,
            "low_freq_factor": 1.0,
            "original_max_position_embeddings": 8192,
            "rope_type": "llama3",
        },
        "tie_word_embeddings": True,
        "attention_bias": False,
        "mlp_bias": False,
        "hidden_act": "silu",
    },
    "mistral-7b-v0.1": {  # mistralai/Mistral-7B-v0.1 config.json
        "model_type": "mistral",
        "architectures": ["MistralForCausalLM"],
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "vocab_size": 32000,
        "max_position_embeddings": 32768,
        "rms_norm_eps": 1e-05,
        "rope_theta": 10000.0,
        "sliding_window": 4096,
        "tie_word_embeddings": False,
        "hidden_act": "silu",
    },
}


def measure(name: str, values: dict[str, Any]) -> dict[str, Any]:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    settings = {key: value for key, value in values.items() if key != "model_type"}
    config = AutoConfig.for_model(values["model_type"], **settings)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    named = dict(model.named_parameters())  # tied weights appear once
    layer3 = {
        key: list(param.shape) for key, param in named.items() if key.startswith("model.layers.3.")
    }
    top = {
        key: list(param.shape)
        for key, param in named.items()
        if not key.startswith("model.layers.")
    }
    return {
        "config": values,
        "class": type(model).__name__,
        "params": sum(param.numel() for param in model.parameters()),
        "tied_lm_head": model.lm_head.weight is model.model.embed_tokens.weight,
        "sliding_window": getattr(config, "sliding_window", None),
        "layer_3_parameters": layer3,
        "other_parameters": top,
    }


def main() -> None:
    import torch
    import transformers

    document = {
        "measured_on": datetime.date(2026, 12, 1).isoformat(),
        "generated_by": "tools/measure_llm_configs.py",
        "call": "AutoModelForCausalLM.from_config(AutoConfig.for_model(model_type, **config)) "
        "under torch.device('meta'); params = sum(p.numel() for p in model.parameters())",
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },
        "models": {name: measure(name, values) for name, values in CONFIGS.items()},
    }
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
