"""Measure the FLOPs of one training step (forward + backward) with torch's FlopCounterMode.

A standalone measurement script, never imported by the tests: they read
``tests/data/measured_training.json``, which this script writes, and need no torch.

For each model it builds the network (random init, no downloads), makes an input, and runs

    with torch.utils.flop_counter.FlopCounterMode(display=False) as counter:
        model(x).sum().backward()

with ``torch.backends.mkldnn.enabled = False`` (so nn.LSTM runs as per-step mm/addmm that
FlopCounterMode counts, instead of one oneDNN kernel it does not), recording
``counter.get_total_flops()`` (forward + backward) and the per-operator counts of
``counter.get_flop_counts()["Global"]``; the forward alone is measured the same way under
``torch.no_grad()``. Every parameter requires grad; the input does not (token ids, images),
so the first layer computes no input gradient, which FlopCounterMode sees in
``convolution_backward``'s output mask.

Models (each also written out in the JSON under ``models.<name>.architecture``):

* ``resnet18``: ``torchvision.models.resnet18(weights=None)``, train mode, input 1x3x224x224.
* ``gpt_small``: a pre-norm causal GPT: token embedding (1000 x 128), learned positions
  (64 x 128), 2 blocks of ``x + attn(ln(x))``, ``x + mlp(ln(x))`` with separate q/k/v/out
  ``nn.Linear(128, 128)`` (bias) and ``F.scaled_dot_product_attention(is_causal=True)``
  (the CPU kernel has no FLOP formula: 0 forward and backward), MLP ``Linear(128, 512)``,
  GELU (tanh), ``Linear(512, 128)``; final LayerNorm; untied ``Linear(128, 1000, bias=False)``;
  input ids [2, 64].
* ``gpt_small_unfused``: the same with attention written out, non-causal:
  ``softmax(q @ k.transpose(-2, -1) / sqrt(32)) @ v`` (bmm, counted).
* ``lstm``: ``nn.LSTM(64, 128, num_layers=2, batch_first=True)`` then ``Linear(128, 10)``
  on every step, input [4, 32, 64]. The input is a float tensor that does not require grad.

Install: the project's measurement venv (torch 2.14.1, torchvision 0.29.1) at
/work/venvs/torch. Run from the repository root:

    /work/venvs/torch/bin/python tools/measure_training.py --out tests/data/measured_training.json

Takes a few seconds on 2 CPU cores; two runs give identical JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import platform

MEASURED_ON = "2026-12-01"
CALL = (
    "with torch.utils.flop_counter.FlopCounterMode(display=False) as counter: "
    "model(x).sum().backward(); counter.get_total_flops(); forward alone the same under "
    "torch.no_grad()"
)


def _gpt(torch, fused):
    nn, functional = torch.nn, torch.nn.functional
    vocab, dim, heads, length, layers, hidden = 1000, 128, 4, 64, 2, 512

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.q_proj, self.k_proj = nn.Linear(dim, dim), nn.Linear(dim, dim)
            self.v_proj, self.o_proj = nn.Linear(dim, dim), nn.Linear(dim, dim)

        def forward(self, x):
            b, s, _ = x.shape

            def split(t):
                return t.view(b, s, heads, dim // heads).transpose(1, 2)

            q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
            if fused:
                y = functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:
                scores = q @ k.transpose(-2, -1) / math.sqrt(dim // heads)
                y = torch.softmax(scores, dim=-1) @ v
            return self.o_proj(y.transpose(1, 2).reshape(b, s, dim))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.attn, self.ln_2 = nn.LayerNorm(dim), Attention(), nn.LayerNorm(dim)
            self.mlp = nn.Sequential(
                nn.Linear(dim, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, dim)
            )

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, dim), nn.Embedding(length, dim)
            self.h = nn.ModuleList(Block() for _ in range(layers))
            self.ln_f, self.lm_head = nn.LayerNorm(dim), nn.Linear(dim, vocab, bias=False)

        def forward(self, ids):
            x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
            for block in self.h:
                x = block(x)
            return self.lm_head(self.ln_f(x))

    return GPT(), torch.randint(0, vocab, (2, length))


def _lstm(torch):
    nn = torch.nn

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(64, 128, num_layers=2, batch_first=True)
            self.head = nn.Linear(128, 10)

        def forward(self, x):
            return self.head(self.lstm(x)[0])

    return Tagger(), torch.randn(4, 32, 64)


def _measure(torch, model, x):
    from torch.utils.flop_counter import FlopCounterMode

    model.train()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    forward = counter.get_total_flops()
    with FlopCounterMode(display=False) as counter:
        model(x).sum().backward()
    by_op = {str(op): int(n) for op, n in counter.get_flop_counts()["Global"].items()}
    return {
        "forward_flops": int(forward),
        "train_flops": int(counter.get_total_flops()),
        "by_operator": dict(sorted(by_op.items())),
        "params": sum(p.numel() for p in model.parameters()),
        "input": list(x.shape),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    out = parser.parse_args().out

    import torch
    import torchvision

    torch.manual_seed(0)
    torch.backends.mkldnn.enabled = False  # nn.LSTM as per-step mm/addmm, which are counted
    gpt, ids = _gpt(torch, fused=True)
    unfused, ids2 = _gpt(torch, fused=False)
    lstm, sequence = _lstm(torch)
    resnet = torchvision.models.resnet18(weights=None)
    models = {
        "resnet18": _measure(torch, resnet, torch.randn(1, 3, 224, 224)),
        "gpt_small": _measure(torch, gpt, ids),
        "gpt_small_unfused": _measure(torch, unfused, ids2),
        "lstm": _measure(torch, lstm, sequence),
    }
    document = {
        "measured_on": MEASURED_ON,
        "generated_by": "tools/measure_training.py",
        "call": CALL,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
        },
        "models": models,
    }
    with open(out, "w") as handle:
        json.dump(document, handle, indent=1)
        handle.write("\n")


if __name__ == "__main__":
    main()
