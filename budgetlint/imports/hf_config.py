"""A Hugging Face `config.json` to a spec, from the config alone: no weights, no network.

One writer per family, chosen by `model_type` (FAMILIES). Layer names are transformers'
module paths (`model.layers.3.self_attn`, `model.layers.3.mlp.gate_proj`); `name: ""`
keeps residuals and merges out of them. The spec declares `params: {context: 0,
logits_to_keep: 0}`: a model entry with `input: [1, 1]` and `params: {context: N}` is
one decode step with N tokens in the KV cache (what `import --decode --context N`
writes); `logits_to_keep: 1` computes the LM head on the last position only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from budgetlint.problems import Position, fail

Spec = dict[str, Any]


class ConfigError(ValueError):
    """A value the family needs is missing or wrong."""


@dataclass(frozen=True)
class Shape:
    tokens: int
    context: int


def _int(config: Mapping[str, Any], *keys: str, default: int | None = None) -> int:
    for key in keys:
        value = config.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"'{key}' must be a positive integer, not {value!r}")
            if value > 2**31:
                raise ConfigError(f"'{key}' = {value} is beyond any real model")
            return value
    if default is None:
        raise ConfigError(f"needs '{keys[0]}'")
    return default


def _flag(config: Mapping[str, Any], key: str, default: bool) -> bool:
    value = config.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"'{key}' must be true or false, not {value!r}")
    return value


def _layer(name: str, op: str, attrs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, op: attrs or None}


def _attention_attrs(config: Mapping[str, Any], bias_key: str, qkv_bias: bool) -> dict[str, Any]:
    hidden = _int(config, "hidden_size")
    heads = _int(config, "num_attention_heads")
    attrs: dict[str, Any] = {"heads": heads}
    kv_heads = _int(config, "num_key_value_heads", default=heads)
    if kv_heads != heads:
        attrs["kv_heads"] = kv_heads
    head_dim = _int(config, "head_dim", default=hidden // heads)
    if head_dim * heads != hidden or config.get("head_dim") is not None:
        attrs["head_dim"] = head_dim
    attrs["causal"] = True
    attrs["context"] = "${context}"
    bias = _flag(config, bias_key, False) if bias_key else False
    attrs["qkv_bias"] = qkv_bias or bias
    attrs["out_bias"] = bias
    window = config.get("sliding_window")
    uses_window = (
        _flag(config, "use_sliding_window", True) if "use_sliding_window" in config else True
    )
    if window is not None and uses_window:
        attrs["window"] = _int(config, "sliding_window")
    return attrs


def _gated_mlp(hidden: int, inner: int, activation: str, fused: bool) -> list[dict[str, Any]]:
    """SwiGLU/GeGLU: down(act(gate(x)) · up(x)); Phi-3 computes gate and up as one linear."""
    act = _layer("act_fn", activation, {"approximate": "tanh"} if activation == "gelu" else None)
    if fused:
        halves = [
            [{"slice": {"dim": -1, "start": 0, "end": inner}}, act],
            [{"slice": {"dim": -1, "start": inner, "end": 2 * inner}}],
        ]
        return [
            _layer("gate_up_proj", "linear", {"out": 2 * inner, "bias": False}),
            {"name": "", "parallel": {"merge": "mul", "branches": halves}},
            _layer("down_proj", "linear", {"out": hidden, "bias": False}),
        ]
    branches = [
        [_layer("gate_proj", "linear", {"out": inner, "bias": False}), act],
        [_layer("up_proj", "linear", {"out": inner, "bias": False})],
    ]
    return [
        {"name": "", "parallel": {"merge": "mul", "branches": branches}},
        _layer("down_proj", "linear", {"out": hidden, "bias": False}),
    ]


def _decoder(config: Mapping[str, Any], family: str) -> tuple[Spec, list[dict[str, Any]]]:
    """Llama, Mistral, Qwen2, Phi-3, Gemma: pre-norm RMSNorm decoders with a gated MLP."""
    hidden = _int(config, "hidden_size")
    inner = _int(config, "intermediate_size")
    layers = _int(config, "num_hidden_layers")
    vocab = _int(config, "vocab_size")
    bias_key = {"qwen2": "", "phi3": "attention_bias"}.get(family, "attention_bias")
    attention = _attention_attrs(config, bias_key, qkv_bias=family == "qwen2")
    activation = "gelu" if family == "gemma" else "silu"
    block = {
        "layers": [
            {
                "name": "",
                "residual": {
                    "body": [
                        _layer("input_layernorm", "rmsnorm"),
                        _layer("self_attn", "multihead_attention", attention),
                    ]
                },
            },
            {
                "name": "",
                "residual": {
                    "body": [
                        _layer("post_attention_layernorm", "rmsnorm"),
                        {"name": "mlp", "gated_mlp": None},
                    ]
                },
            },
        ]
    }
    mlp = {"layers": _gated_mlp(hidden, inner, activation, fused=family == "phi3")}
    tied = _flag(config, "tie_word_embeddings", family == "gemma")  # transformers' defaults
    body: list[dict[str, Any]] = [
        _layer("model.embed_tokens", "embedding", {"vocab": vocab, "dim": hidden})
    ]
    if family == "gemma":
        body.append({"scale": None})  # embeddings · √hidden
    body += [
        {"name": "model.layers", "repeat": {"times": layers, "body": [{"decoder_layer": None}]}},
        _layer("model.norm", "rmsnorm"),
        *_head(vocab, tied),
    ]
    return {"decoder_layer": block, "gated_mlp": mlp}, body


def _gpt2(config: Mapping[str, Any]) -> tuple[Spec, list[dict[str, Any]]]:
    hidden = _int(config, "n_embd", "hidden_size")
    heads = _int(config, "n_head", "num_attention_heads")
    inner = _int(config, "n_inner", default=4 * hidden)
    attention = {"heads": heads, "causal": True, "context": "${context}"}
    block = {
        "layers": [
            {
                "name": "",
                "residual": {
                    "body": [
                        _layer("ln_1", "layernorm"),
                        _layer("attn", "multihead_attention", attention),
                    ]
                },
            },
            {
                "name": "",
                "residual": {
                    "body": [
                        _layer("ln_2", "layernorm"),
                        _layer("mlp.c_fc", "linear", {"out": inner}),
                        _layer("mlp.act", "gelu", {"approximate": "tanh"}),
                        _layer("mlp.c_proj", "linear", {"out": hidden}),
                    ]
                },
            },
        ]
    }
    vocab = _int(config, "vocab_size")
    tied = _flag(config, "tie_word_embeddings", True)
    body = [
        _layer("transformer.wte", "embedding", {"vocab": vocab, "dim": hidden}),
        _layer(
            "transformer.wpe",
            "position_embedding",
            {"max_len": _int(config, "n_positions", "max_position_embeddings")},
        ),
        {
            "name": "transformer.h",
            "repeat": {
                "times": _int(config, "n_layer", "num_hidden_layers"),
                "body": [{"gpt2_block": None}],
            },
        },
        _layer("transformer.ln_f", "layernorm"),
        *_head(vocab, tied),
    ]
    return {"gpt2_block": block}, body


def _bert(config: Mapping[str, Any]) -> tuple[Spec, list[dict[str, Any]]]:
    hidden = _int(config, "hidden_size")
    heads = _int(config, "num_attention_heads")
    inner = _int(config, "intermediate_size")
    block = {
        "layers": [
            {
                "name": "",
                "residual": {
                    "body": [_layer("attention", "multihead_attention", {"heads": heads})]
                },
            },
            _layer("attention.output.LayerNorm", "layernorm"),
            {
                "name": "",
                "residual": {
                    "body": [
                        _layer("intermediate.dense", "linear", {"out": inner}),
                        _layer("intermediate.intermediate_act_fn", "gelu"),
                        _layer("output.dense", "linear", {"out": hidden}),
                    ]
                },
            },
            _layer("output.LayerNorm", "layernorm"),
        ]
    }
    body = [
        _layer(
            "embeddings.word_embeddings",
            "embedding",
            {"vocab": _int(config, "vocab_size"), "dim": hidden},
        ),
        _layer(
            "embeddings.position_embeddings",
            "position_embedding",
            {"max_len": _int(config, "max_position_embeddings")},
        ),
        _layer(
            "embeddings.token_type_embeddings",
            "segment_embedding",
            {"vocab": _int(config, "type_vocab_size", default=2)},
        ),
        _layer("embeddings.LayerNorm", "layernorm"),
        {
            "name": "encoder.layer",
            "repeat": {"times": _int(config, "num_hidden_layers"), "body": [{"bert_layer": None}]},
        },
        {"select": {"dim": 1, "index": 0}},
        _layer("pooler.dense", "linear", {"out": hidden}),
        _layer("pooler.activation", "tanh"),
    ]
    return {"bert_layer": block}, body


def _head(vocab: int, tied: bool) -> list[dict[str, Any]]:
    """The LM head, on every position or, `logits_to_keep: 1`, on the last one only (as a
    runtime generating the next token computes it: transformers' `logits_to_keep`)."""
    last = {"name": "last_position", "select": {"dim": 1, "index": -1}}
    keep = {"name": "", "repeat": {"times": "${min(logits_to_keep, 1)}", "body": [last]}}
    attrs = {"out": vocab, "bias": False, **({"tied": True} if tied else {})}
    return [keep, _layer("lm_head", "linear", attrs)]


Writer = Callable[[Mapping[str, Any]], tuple[Spec, list[dict[str, Any]]]]

FAMILIES: dict[str, tuple[str, Writer]] = {
    "llama": ("LlamaForCausalLM", lambda c: _decoder(c, "llama")),
    "mistral": ("MistralForCausalLM", lambda c: _decoder(c, "mistral")),
    "qwen2": ("Qwen2ForCausalLM", lambda c: _decoder(c, "qwen2")),
    "phi3": ("Phi3ForCausalLM", lambda c: _decoder(c, "phi3")),
    "gemma": ("GemmaForCausalLM", lambda c: _decoder(c, "gemma")),
    "gpt2": ("GPT2LMHeadModel", _gpt2),
    "bert": ("BertModel", _bert),
}


def config_spec(
    config: Any, name: str, where: Position, tokens: int | None, context: int | None, decode: bool
) -> tuple[Spec, tuple[str, ...]]:
    """The spec of a config's model, and the notices of its import."""
    if not isinstance(config, dict) or not isinstance(config.get("model_type"), str):
        raise fail(where, "import.config", "not a Hugging Face config: no 'model_type'")
    family = config["model_type"]
    if family not in FAMILIES:
        known = ", ".join(FAMILIES)
        raise fail(
            where, "import.config", f"model_type '{family}' is not supported (known: {known})"
        )
    cls, writer = FAMILIES[family]
    try:
        blocks, layers = writer(config)
    except ConfigError as error:
        raise fail(where, "import.config", f"{family} config: {error}") from None
    notices: list[str] = []
    if decode:
        shape = [1, 1]
        cached = context or 0
        if family == "bert":
            raise fail(where, "import.config", "bert is an encoder: --decode has no meaning")
    else:
        if tokens is None:
            tokens = 1
            notices.append("no --tokens: a prefill of 1 token")
        shape, cached = [1, tokens], 0
    spec: Spec = {
        "version": 1,
        "name": name,
        "source": f"{cls} ({family} config.json)",
        "input": shape,
    }
    if family != "bert":
        spec["params"] = {"context": cached, "logits_to_keep": 0}
    spec["blocks"] = blocks
    spec["layers"] = layers
    return spec, tuple(notices)
