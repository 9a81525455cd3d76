"""Count the parameters of models built from Hugging Face configs, with transformers.

Run from the repository root in a venv with torch and transformers, without network:

    MEASURED_ON=2026-12-01 /work/venvs/torch/bin/python tools/measure_hf_configs.py

Each config is written from the public config.json of its model page (the values
below; Qwen2.5-0.5B, Llama-3.2-1B and Mistral-7B-v0.1 are those of
tools/measure_llm_configs.py). The model is built with
``AutoModelForCausalLM.from_config`` (``AutoModel`` for BERT) under
``torch.device("meta")``: shapes only, no weights, nothing downloaded; params =
``sum(p.numel() for p in model.parameters())`` (a tied head counted once).
Writes tests/data/hf_configs/<name>/config.json (what the tests import) and
tests/data/measured_hf_configs.json (the counts, the call, the versions, the date).
Naming configs (`... measure_hf_configs.py llama-2-7b`) measures only those and keeps
the others' records; each record carries the date it was measured.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from measure_llm_configs import CONFIGS as ZOO_CONFIGS  # noqa: E402

CONFIGS: dict[str, dict[str, Any]] = {
    **ZOO_CONFIGS,
    "phi-3-mini-4k": {  # microsoft/Phi-3-mini-4k-instruct config.json
        "model_type": "phi3",
        "architectures": ["Phi3ForCausalLM"],
        "hidden_size": 3072,
        "intermediate_size": 8192,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
        "vocab_size": 32064,
        "max_position_embeddings": 4096,
        "original_max_position_embeddings": 4096,
        "rms_norm_eps": 1e-05,
        "rope_theta": 10000.0,
        "sliding_window": 2047,
        "tie_word_embeddings": False,
        "hidden_act": "silu",
        "attention_bias": False,
        "bos_token_id": 1,
        "eos_token_id": 32000,
        "pad_token_id": 32000,
    },
    "smollm2-135m": {  # HuggingFaceTB/SmolLM2-135M config.json
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": 576,
        "intermediate_size": 1536,
        "num_hidden_layers": 30,
        "num_attention_heads": 9,
        "num_key_value_heads": 3,
        "vocab_size": 49152,
        "max_position_embeddings": 8192,
        "rms_norm_eps": 1e-05,
        "rope_theta": 100000,
        "tie_word_embeddings": True,
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
    },
    "gpt2": {  # openai-community/gpt2 config.json
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "n_embd": 768,
        "n_head": 12,
        "n_layer": 12,
        "n_positions": 1024,
        "n_ctx": 1024,
        "vocab_size": 50257,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": 1e-05,
    },
    "gemma-2b": {  # google/gemma-2b config.json
        "model_type": "gemma",
        "architectures": ["GemmaForCausalLM"],
        "hidden_size": 2048,
        "intermediate_size": 16384,
        "num_hidden_layers": 18,
        "num_attention_heads": 8,
        "num_key_value_heads": 1,
        "head_dim": 256,
        "vocab_size": 256000,
        "max_position_embeddings": 8192,
        "rms_norm_eps": 1e-06,
        "rope_theta": 10000.0,
        "hidden_act": "gelu",
        "attention_bias": False,
    },
    "llama-2-7b": {  # meta-llama/Llama-2-7b-hf config.json (specs/zoo/llama-2-7b.yaml)
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": 4096,
        "intermediate_size": 11008,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
        "vocab_size": 32000,
        "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-05,
        "rope_scaling": None,
        "tie_word_embeddings": False,
        "hidden_act": "silu",
        "pretraining_tp": 1,
        "bos_token_id": 1,
        "eos_token_id": 2,
    },
    "bert-base-uncased": {  # google-bert/bert-base-uncased config.json
        "model_type": "bert",
        "architectures": ["BertForMaskedLM"],
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
        "vocab_size": 30522,
        "max_position_embeddings": 512,
        "type_vocab_size": 2,
        "hidden_act": "gelu",
        "layer_norm_eps": 1e-12,
    },
}


def count(config: dict[str, Any]) -> tuple[str, int]:
    import torch
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

    values = {k: v for k, v in config.items() if k != "model_type"}
    made = AutoConfig.for_model(config["model_type"], **values)
    factory = AutoModel if config["model_type"] == "bert" else AutoModelForCausalLM
    with torch.device("meta"):
        model = factory.from_config(made)
    return type(model).__name__, sum(p.numel() for p in model.parameters())


def main() -> None:
    import torch
    import transformers

    folder = ROOT / "tests" / "data" / "hf_configs"
    out = ROOT / "tests" / "data" / "measured_hf_configs.json"
    today = os.environ.get("MEASURED_ON", datetime.date.today().isoformat())
    models: dict[str, Any] = {}
    if sys.argv[1:] and out.exists():  # measuring some configs keeps the others' records
        earlier = json.loads(out.read_text())
        for name, record in earlier["models"].items():
            date = record.get("measured_on", earlier["measured_on"])
            models[name] = {**record, "measured_on": date}
    for name in sys.argv[1:] or list(CONFIGS):
        config = CONFIGS[name]
        target = folder / name / "config.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(config, indent=2) + "\n")
        cls, params = count(config)
        models[name] = {"class": cls, "params": params, "measured_on": today}
        print(name, cls, params, file=sys.stderr)
    document = {
        "measured_on": today,
        "generated_by": "tools/measure_hf_configs.py",
        "call": "AutoModelForCausalLM.from_config(AutoConfig.for_model(model_type, **config)) "
        "(AutoModel for bert) under torch.device('meta'); "
        "params = sum(p.numel() for p in model.parameters())",
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },
        "models": models,
    }
    out.write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    main()
