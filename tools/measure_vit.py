"""Measure what paddle.flops and the TF1 profiler report for ViT-B/16, for budgetlint's golden data.

Companion of ``tools/measure_paddle.py`` and ``tools/measure_tensorflow.py``; like them it is
never imported by the project's tests, which only read ``tests/data/measured_vit.json``.

The model is torchvision's ``vit_b_16`` architecture, rebuilt layer for layer (torchvision
itself is not involved): input 1x3x224x224; conv_proj Conv(3->768, 16x16, stride 16, bias);
flatten + permute to [1,196,768]; a learned class token prepended (197 tokens); a learned
position embedding [1,197,768] added; dropout (p=0); 12 encoder blocks, each
``x = x + MHA(LN(x)); x = x + MLP(LN(x))`` with 768 dims, 12 heads, q/k/v in-projection and
out-projection with bias, MLP Linear(768,3072) + exact GELU + Linear(3072,768); final
LayerNorm(768, eps 1e-6) (all LayerNorms eps 1e-6); token 0; Linear(768,1000). Total
parameters 86,567,656 (checked in both builds).

The two halves run in different venvs, so there are two entry points (flags); each one
merges its own section into the JSON file (the other sections are kept):

* ``--paddle``: paddle.nn build (``nn.Conv2D``, ``nn.LayerNorm``, ``nn.MultiHeadAttention(768,
  12)``, ``nn.Linear``, ``nn.GELU``, ``nn.Dropout(0.0)`` where torchvision has dropout; the
  class token and position embedding are ``create_parameter`` on the top Layer). Runs
  ``paddle.flops(net, [1,3,224,224], print_detail=False)`` (total; params from its printed
  "Total Flops: N     Total Params: M" line) and once more with ``print_detail=True``, whose
  table is kept as text and summed per layer type (the prefix of each row's ``full_name``).
  A second build with explicit q/k/v/out ``nn.Linear`` layers in a custom attention Layer is
  measured too (``paddle.explicit_qkv_linear``), for comparison.
* ``--tensorflow``: a ``tf.compat.v1`` graph with raw ops in the style of
  ``tools/measure_tensorflow.py`` (zeros / ones initializers, so no initializer arithmetic
  is counted; NHWC input). Records ``total_float_ops``, ``by_op_type`` (the profiler's
  ``cmd='op'`` view), ``trainable_params`` and the per-type op counts of the graph.
  Formulations (see ``TF_FORMULATION`` below, also written into the JSON):
  conv_proj ``tf.nn.conv2d`` VALID + ``BiasAdd``; Dense = ``Reshape`` to 2-D, ``MatMul`` +
  ``BiasAdd``, ``Reshape`` back; LayerNorm = ``tf.nn.moments(keepdims=True)`` (Mean,
  SquaredDifference, Mean) then ``(x - mean) * rsqrt(var + eps) * gamma + beta`` (Sub, AddV2,
  Rsqrt, Mul, Mul, AddV2); GELU = ``0.5 * x * (1 + erf(x / sqrt(2)))`` (RealDiv, Erf, AddV2,
  Mul, Mul); attention = separate q/k/v Dense, Reshape + Transpose to [1,12,197,64],
  ``tf.matmul(q, k, transpose_b=True)`` (BatchMatMulV2), ``* 1/sqrt(64)`` (Mul), Softmax,
  ``tf.matmul(p, v)`` (BatchMatMulV2), Transpose + Reshape, out Dense; class token by
  ``tf.concat`` (ConcatV2; batch 1, no Tile); dropout omitted (inference identity); token 0
  by ``x[:, 0]`` (StridedSlice).

Install (Python 3.11): see the docstrings of measure_paddle.py (paddlepaddle, "numpy<2.4")
and measure_tensorflow.py (tensorflow-cpu).

Run (from the repository root)
------------------------------
    /work/venvs/paddle/bin/python tools/measure_vit.py --paddle --out tests/data/measured_vit.json
    /work/venvs/tf/bin/python tools/measure_vit.py --tensorflow --out tests/data/measured_vit.json
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import platform
import re
import sys

MEASURED_ON = "2026-11-23"
TORCH_PARAMS = 86_567_656

D, HEADS, MLP, LAYERS, TOKENS, CLASSES, PATCH = 768, 12, 3072, 12, 197, 1000, 16
EPS = 1e-6


def _load(out):
    if os.path.exists(out):
        with open(out) as fh:
            return json.load(fh)
    return {"measured_on": MEASURED_ON, "generated_by": "tools/measure_vit.py", "versions": {}}


def _write(out, doc):
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    doc["measured_on"] = MEASURED_ON
    doc["generated_by"] = "tools/measure_vit.py"
    doc["versions"]["python"] = platform.python_version()
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")


# =========================================================================== paddle


def run_paddle(out):
    import importlib.metadata

    import paddle
    from paddle import nn

    total_line = re.compile(r"Total Flops: (\d+)\s+Total Params: (\d+)")
    uncounted = re.compile(r"Cannot find suitable count function for <class '([\w.]+)'>")
    counted = re.compile(r"<class '([\w.]+)'>'s flops has been counted")

    class ExplicitAttention(nn.Layer):
        """nn.MultiHeadAttention's computation with explicit q/k/v/out Linear children."""

        def __init__(self):
            super().__init__()
            self.q = nn.Linear(D, D)
            self.k = nn.Linear(D, D)
            self.v = nn.Linear(D, D)
            self.out = nn.Linear(D, D)

        def forward(self, x):
            b, n, _ = x.shape
            hd = D // HEADS

            def split(t):
                return t.reshape([b, n, HEADS, hd]).transpose([0, 2, 1, 3])

            q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
            p = paddle.nn.functional.softmax(paddle.matmul(q, k, transpose_y=True) * hd**-0.5)
            y = paddle.matmul(p, v).transpose([0, 2, 1, 3]).reshape([b, n, D])
            return self.out(y)

    class MHA(nn.Layer):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiHeadAttention(D, HEADS)

        def forward(self, x):
            return self.attn(x, x, x)

    class Block(nn.Layer):
        def __init__(self, explicit):
            super().__init__()
            self.ln_1 = nn.LayerNorm(D, epsilon=EPS)
            self.self_attention = ExplicitAttention() if explicit else MHA()
            self.dropout = nn.Dropout(0.0)
            self.ln_2 = nn.LayerNorm(D, epsilon=EPS)
            self.mlp = nn.Sequential(
                nn.Linear(D, MLP), nn.GELU(), nn.Dropout(0.0), nn.Linear(MLP, D), nn.Dropout(0.0)
            )

        def forward(self, x):
            x = x + self.dropout(self.self_attention(self.ln_1(x)))
            return x + self.mlp(self.ln_2(x))

    class ViTB16(nn.Layer):
        def __init__(self, explicit=False):
            super().__init__()
            self.conv_proj = nn.Conv2D(3, D, PATCH, stride=PATCH)
            self.class_token = self.create_parameter(
                [1, 1, D], default_initializer=nn.initializer.Constant(0.0)
            )
            self.pos_embedding = self.create_parameter(
                [1, TOKENS, D], default_initializer=nn.initializer.Normal(std=0.02)
            )
            self.dropout = nn.Dropout(0.0)
            self.layers = nn.Sequential(*[Block(explicit) for _ in range(LAYERS)])
            self.ln = nn.LayerNorm(D, epsilon=EPS)
            self.head = nn.Linear(D, CLASSES)

        def forward(self, x):
            x = self.conv_proj(x).flatten(2).transpose([0, 2, 1])
            cls = self.class_token.expand([x.shape[0], -1, -1])
            x = paddle.concat([cls, x], axis=1) + self.pos_embedding
            x = self.ln(self.layers(self.dropout(x)))
            return self.head(x[:, 0])

    def flops(net, detail):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            total = paddle.flops(net, [1, 3, 224, 224], print_detail=detail)
        text = buf.getvalue()
        m = total_line.search(text)
        return int(total), int(m.group(2)), text

    def by_type(table_text):
        res = {}
        for line in table_text.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 5 or not re.fullmatch(r"\d+", cells[4]):
                continue
            kind = re.sub(r"_\d+$", "", cells[0])
            r = res.setdefault(kind, {"rows": 0, "flops": 0, "params": 0, "row_flops": []})
            r["rows"] += 1
            r["flops"] += int(cells[4])
            r["params"] += int(cells[3])
            f = int(cells[4])
            if f not in r["row_flops"]:
                r["row_flops"].append(f)
        return dict(sorted(res.items()))

    def measure(explicit):
        paddle.seed(0)
        net = ViTB16(explicit)
        net.eval()
        all_params = sum(int(p.numel()) for p in net.parameters())
        top_params = int(net.class_token.numel()) + int(net.pos_embedding.numel())
        total, params, text = flops(net, False)
        total_d, params_d, text_d = flops(net, True)
        return {
            "attention": "paddle.nn.MultiHeadAttention(768, 12) (children q_proj, k_proj, "
            "v_proj, out_proj: nn.Linear with bias), called as attn(x, x, x)"
            if not explicit
            else "custom Layer with explicit q/k/v/out nn.Linear(768, 768) children; "
            "paddle.matmul / softmax as functional calls",
            "total_flops": total,
            "total_params": params,
            "print_detail_total_flops": total_d,
            "print_detail_total_params": params_d,
            "model_parameters_numel": all_params,
            "top_level_create_parameter_numel": top_params,
            "by_layer_type": by_type(text_d),
            "counted_types": sorted(set(counted.findall(text))),
            "uncounted_types": sorted(set(uncounted.findall(text))),
            "print_detail_output": text_d,
        }

    doc = _load(out)
    doc["versions"]["paddlepaddle"] = paddle.__version__
    doc["versions"]["numpy (paddle venv)"] = importlib.metadata.version("numpy")
    res = {
        "call": "paddle.flops(net, [1, 3, 224, 224], print_detail=False); params from the "
        "printed 'Total Flops: N     Total Params: M' line",
        "notes": "paddle.flops only visits leaf sublayers (no children): Linear counts "
        "weight.shape[0] (in_features) * output numel, no bias; Conv2D counts output numel * "
        "(Cin/groups * kh*kw + 1 if bias); LayerNorm, GELU, Dropout get zero FLOPs; "
        "functional ops (matmul, softmax, add, concat) are not seen. Params are summed over "
        "leaf sublayers only, so create_parameter tensors on the top Layer (class token, "
        "position embedding) are missing from Total Params.",
    }
    doc["paddle"] = res
    res["nn_MultiHeadAttention"] = measure(False)
    _write(out, doc)
    res["explicit_qkv_linear"] = measure(True)
    _write(out, doc)
    m = res["nn_MultiHeadAttention"]
    print("paddle:", m["total_flops"], m["total_params"], m["model_parameters_numel"])
    for k, v in m["by_layer_type"].items():
        print("  ", k, v["rows"], v["flops"], v["row_flops"])
    e = res["explicit_qkv_linear"]
    print("paddle explicit:", e["total_flops"], e["total_params"])


# =========================================================================== tensorflow

TF_FORMULATION = {
    "input": "placeholder [1,224,224,3] NHWC",
    "conv_proj": "tf.nn.conv2d(16x16, stride 16, VALID) + tf.nn.bias_add (Conv2D, BiasAdd)",
    "patches": "tf.reshape to [1,196,768] (Reshape)",
    "class_token": "variable [1,1,768] tf.concat'ed in front (ConcatV2); batch 1, so no Tile",
    "pos_embedding": "variable [1,197,768] added (AddV2)",
    "dropout": "omitted (inference identity)",
    "dense": "tf.reshape to 2-D [tokens, in], tf.matmul + tf.nn.bias_add (MatMul, BiasAdd), "
    "tf.reshape back to [1, tokens, out]",
    "layer_norm": "mean, var = tf.nn.moments(x, axes=[-1], keepdims=True) (Mean, StopGradient, "
    "SquaredDifference, Mean); (x - mean) * tf.math.rsqrt(var + 1e-6) * gamma + beta "
    "(Sub, AddV2, Rsqrt, Mul, Mul, AddV2)",
    "gelu": "0.5 * x * (1.0 + tf.math.erf(x / math.sqrt(2.0))) (RealDiv, Erf, AddV2, Mul, Mul)",
    "attention": "separate q, k, v dense (768->768 each, bias); Reshape [1,197,12,64] + "
    "Transpose [0,2,1,3]; tf.matmul(q, k, transpose_b=True) (BatchMatMulV2); * 0.125 (Mul); "
    "tf.nn.softmax (Softmax); tf.matmul(p, v) (BatchMatMulV2); Transpose + Reshape "
    "[1,197,768]; out dense",
    "residuals": "AddV2",
    "classifier": "x[:, 0] (StridedSlice) -> dense 768->1000 on [1,768] (MatMul, BiasAdd)",
    "initializers": "zeros_initializer (LayerNorm gamma: ones_initializer), so no "
    "RandomUniform arithmetic is in the graph",
}


def run_tensorflow(out):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    v1 = tf.compat.v1
    v1.disable_eager_execution()

    def var(name, shape, init=None):
        return v1.get_variable(
            name, shape=shape, dtype=tf.float32, initializer=init or v1.zeros_initializer()
        )

    def dense(x, cout, name):
        shape = [int(d) for d in x.shape]
        cin = shape[-1]
        with v1.variable_scope(name):
            y = tf.reshape(x, [-1, cin]) if len(shape) != 2 else x
            y = tf.nn.bias_add(tf.matmul(y, var("kernel", [cin, cout])), var("bias", [cout]))
            if len(shape) != 2:
                y = tf.reshape(y, [*shape[:-1], cout])
        return y

    def layer_norm(x, name):
        with v1.variable_scope(name):
            gamma = var("gamma", [D], v1.ones_initializer())
            beta = var("beta", [D])
            mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
            return (x - mean) * tf.math.rsqrt(variance + EPS) * gamma + beta

    def gelu(x):
        return 0.5 * x * (1.0 + tf.math.erf(x / math.sqrt(2.0)))

    def attention(x, name):
        hd = D // HEADS
        with v1.variable_scope(name):

            def split(t):
                return tf.transpose(tf.reshape(t, [1, TOKENS, HEADS, hd]), [0, 2, 1, 3])

            q = split(dense(x, D, "query"))
            k = split(dense(x, D, "key"))
            v = split(dense(x, D, "value"))
            p = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) * (1.0 / math.sqrt(hd)))
            y = tf.reshape(tf.transpose(tf.matmul(p, v), [0, 2, 1, 3]), [1, TOKENS, D])
            return dense(y, D, "out")

    def vit(x):
        with v1.variable_scope("conv_proj"):
            x = tf.nn.conv2d(x, var("kernel", [PATCH, PATCH, 3, D]), PATCH, "VALID")
            x = tf.nn.bias_add(x, var("bias", [D]))
        x = tf.reshape(x, [1, 196, D])
        x = tf.concat([var("class_token", [1, 1, D]), x], axis=1)
        x = x + var("pos_embedding", [1, TOKENS, D])
        for i in range(LAYERS):
            with v1.variable_scope(f"encoder_layer_{i}"):
                x = x + attention(layer_norm(x, "ln_1"), "self_attention")
                h = layer_norm(x, "ln_2")
                x = x + dense(gelu(dense(h, MLP, "mlp_0")), D, "mlp_3")
        x = layer_norm(x, "ln")
        return dense(x[:, 0], CLASSES, "head")

    from measure_tensorflow import measure  # the same profiler calls, one place

    measured = measure(vit, [(1, 224, 224, 3)], notes="")
    del measured["notes"]  # the formulation below says it
    doc = _load(out)
    doc["versions"]["tensorflow"] = tf.__version__
    doc["tensorflow"] = {
        "call": "tf.compat.v1.profiler.profile(graph, cmd='scope', options=ProfileOptionBuilder("
        "float_operation()).with_empty_output().build()); by_op_type with cmd='op'; params "
        "with trainable_variables_parameter()",
        "formulation": TF_FORMULATION,
        **measured,
    }
    _write(out, doc)
    t = doc["tensorflow"]
    print("tf:", t["total_float_ops"], t["by_op_type_sum"], t["trainable_params"])
    for k, v in t["by_op_type"].items():
        print("  ", k, v, t["graph_op_counts"].get(k))
    print(t["graph_op_counts"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="tests/data/measured_vit.json")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--paddle", action="store_true")
    g.add_argument("--tensorflow", action="store_true")
    args = ap.parse_args(argv)
    if args.paddle:
        run_paddle(args.out)
    else:
        run_tensorflow(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
