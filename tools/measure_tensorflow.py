"""Measure what the TensorFlow 1 profiler reports, for budgetlint's golden data.

Companion of ``tools/measure_counters.py`` / ``tools/measure_paddle.py``; it runs in its own
venv and is never imported by the project's tests.

For each case it builds a ``tf.compat.v1`` Graph whose layer shapes are identical to
torchvision's (LeNet as in measure_counters.py, resnet18, resnet50 (v1.5), mobilenet_v2)
or to a single-layer micro case, with a batch-1 NHWC placeholder, in inference mode
(``FusedBatchNormV3`` with ``is_training=False``), and records

* ``total_float_ops``: ``tf.compat.v1.profiler.profile(graph,
  options=ProfileOptionBuilder.float_operation())``'s ``total_float_ops``;
* ``by_op_type``: the same options with ``cmd='op'`` (the profiler's op-type view),
  op type -> float ops;
* ``trainable_params``: ``ProfileOptionBuilder.trainable_variables_parameter()``'s
  ``total_parameters``;
* ``all_variable_elements``: the element count of every global variable (BatchNorm
  moving_mean / moving_variance included).

The graphs are written with raw TF ops (``tf.nn.conv2d``, ``tf.nn.depthwise_conv2d``,
``tf.matmul`` + ``tf.nn.bias_add``, ``tf.compat.v1.nn.fused_batch_norm``, ``tf.pad``,
``tf.nn.max_pool2d``, ``tf.reduce_mean`` ...), the op sequence Keras's layers emit
(Conv2D / Dense / BatchNormalization(training=False) / ZeroPadding2D / pooling /
GlobalAveragePooling2D), because the TF 2.16+ default Keras 3 does not build tf.compat.v1
graphs. Torch's symmetric padding p is a ``tf.pad`` (op ``Pad``) followed by a 'valid'
conv / pool, like ``ZeroPadding2D(p)``. Variables use ``zeros_initializer`` / constant
initializers so that no initializer arithmetic (RandomUniform * scale + min, which the
profiler would count as Mul / AddV2 FLOPs) lands in the graph.

Install (Python 3.11)
---------------------
    python3.11 -m venv /work/venvs/tf
    /work/venvs/tf/bin/pip install tensorflow-cpu

Run
---
    /work/venvs/tf/bin/python tools/measure_tensorflow.py --out tests/data/measured_tensorflow.json

The JSON is rewritten after every case, so an interrupted run leaves partial results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf

v1 = tf.compat.v1
MEASURED_ON = "2026-11-23"


# --------------------------------------------------------------------------- layers


def _var(name, shape, trainable=True, init=None):
    return v1.get_variable(
        name,
        shape=shape,
        dtype=tf.float32,
        initializer=init or v1.zeros_initializer(),
        trainable=trainable,
    )


def pad(x, p):
    """torch symmetric zero padding p on H and W (== keras ZeroPadding2D(p))."""
    if p == 0:
        return x
    return tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]])


def conv(x, cout, k, stride=1, p=0, bias=False, name="conv"):
    cin = x.shape[-1]
    with v1.variable_scope(name):
        w = _var("kernel", [k, k, cin, cout])
        y = tf.nn.conv2d(pad(x, p), w, strides=[1, stride, stride, 1], padding="VALID")
        if bias:
            y = tf.nn.bias_add(y, _var("bias", [cout]))
    return y


def dwconv(x, k, stride=1, p=0, bias=False, name="dwconv"):
    c = x.shape[-1]
    with v1.variable_scope(name):
        w = _var("depthwise_kernel", [k, k, c, 1])
        y = tf.nn.depthwise_conv2d(pad(x, p), w, strides=[1, stride, stride, 1], padding="VALID")
        if bias:
            y = tf.nn.bias_add(y, _var("bias", [c]))
    return y


def bn(x, name="bn", eps=1e-5):
    """BatchNormalization(training=False): FusedBatchNormV3, is_training=False."""
    c = x.shape[-1]
    with v1.variable_scope(name):
        gamma = _var("gamma", [c], init=v1.ones_initializer())
        beta = _var("beta", [c])
        mean = _var("moving_mean", [c], trainable=False)
        var = _var("moving_variance", [c], trainable=False, init=v1.ones_initializer())
        y, _, _ = v1.nn.fused_batch_norm(
            x, gamma, beta, mean=mean, variance=var, epsilon=eps, is_training=False
        )
    return y


def dense(x, out, bias=True, name="dense"):
    cin = x.shape[-1]
    with v1.variable_scope(name):
        y = tf.matmul(x, _var("kernel", [cin, out]))
        if bias:
            y = tf.nn.bias_add(y, _var("bias", [out]))
    return y


def maxpool(x, k, s, p=0):
    return tf.nn.max_pool2d(pad(x, p), ksize=k, strides=s, padding="VALID")


def avgpool(x, k, s):
    return tf.nn.avg_pool2d(x, ksize=k, strides=s, padding="VALID")


def gap(x):
    """GlobalAveragePooling2D: reduce_mean over H, W (op Mean)."""
    return tf.reduce_mean(x, axis=[1, 2])


def flatten(x):
    n = 1
    for d in x.shape[1:]:
        n *= int(d)
    return tf.reshape(x, [-1, n])


# --------------------------------------------------------------------------- models


def lenet(x):
    x = maxpool(tf.nn.relu(conv(x, 6, 3, p=1, bias=True, name="conv1")), 2, 2)
    x = maxpool(tf.nn.relu(conv(x, 16, 5, bias=True, name="conv2")), 2, 2)
    x = flatten(x)
    x = dense(x, 120, name="fc1")
    x = dense(x, 84, name="fc2")
    return dense(x, 10, name="fc3")


def _stem(x):
    x = tf.nn.relu(bn(conv(x, 64, 7, 2, 3, name="conv1"), name="bn1"))
    return maxpool(x, 3, 2, 1)


def _basic(x, planes, stride, name):
    with v1.variable_scope(name):
        idn = x
        y = tf.nn.relu(bn(conv(x, planes, 3, stride, 1, name="conv1"), "bn1"))
        y = bn(conv(y, planes, 3, 1, 1, name="conv2"), "bn2")
        if stride != 1 or x.shape[-1] != planes:
            idn = bn(conv(x, planes, 1, stride, name="downsample_conv"), "downsample_bn")
        return tf.nn.relu(y + idn)


def _bottleneck(x, planes, stride, name):
    out = planes * 4
    with v1.variable_scope(name):
        idn = x
        y = tf.nn.relu(bn(conv(x, planes, 1, name="conv1"), "bn1"))
        y = tf.nn.relu(bn(conv(y, planes, 3, stride, 1, name="conv2"), "bn2"))
        y = bn(conv(y, out, 1, name="conv3"), "bn3")
        if stride != 1 or x.shape[-1] != out:
            idn = bn(conv(x, out, 1, stride, name="downsample_conv"), "downsample_bn")
        return tf.nn.relu(y + idn)


def _resnet(block, layers):
    def build(x):
        x = _stem(x)
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers, strict=False)):
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                x = block(x, planes, stride, f"layer{i + 1}_{j}")
        x = gap(x)
        return dense(x, 1000, name="fc")

    return build


resnet18 = _resnet(_basic, (2, 2, 2, 2))
resnet50 = _resnet(_bottleneck, (3, 4, 6, 3))


def mobilenet_v2(x):
    relu6 = tf.nn.relu6
    x = relu6(bn(conv(x, 32, 3, 2, 1, name="stem_conv"), "stem_bn"))
    cin = 32
    idx = 0
    for t, c, n, s in (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ):
        for j in range(n):
            stride = s if j == 0 else 1
            with v1.variable_scope(f"block{idx}"):
                y = x
                if t != 1:
                    y = relu6(bn(conv(y, cin * t, 1, name="expand"), "expand_bn"))
                y = relu6(bn(dwconv(y, 3, stride, 1, name="dw"), "dw_bn"))
                y = bn(conv(y, c, 1, name="project"), "project_bn")
                if stride == 1 and cin == c:
                    y = x + y
            x = y
            cin = c
            idx += 1
    x = relu6(bn(conv(x, 1280, 1, name="last_conv"), "last_bn"))
    x = gap(x)
    return dense(x, 1000, name="classifier")


MODELS = {
    "lenet": (
        lenet,
        [(1, 28, 28, 1)],
        "Conv(1->6,3x3,pad1,bias) ReLU MaxPool2 Conv(6->16,5x5,bias) ReLU MaxPool2 "
        "Flatten Dense120 Dense84 Dense10; input 1x28x28x1",
    ),
    "resnet18": (
        resnet18,
        [(1, 224, 224, 3)],
        "torchvision resnet18 shapes, no conv bias, BN inference; input 1x224x224x3",
    ),
    "resnet50": (
        resnet50,
        [(1, 224, 224, 3)],
        "torchvision resnet50 (v1.5, stride on 3x3) shapes, no conv bias, BN inference; "
        "input 1x224x224x3",
    ),
    "mobilenet_v2": (
        mobilenet_v2,
        [(1, 224, 224, 3)],
        "torchvision mobilenet_v2 shapes, no conv bias, BN inference; input 1x224x224x3",
    ),
}

OPS = {
    "conv2d_bias": (
        lambda x: conv(x, 16, 3, 1, 1, bias=True),
        [(1, 32, 32, 8)],
        "Conv2D 8->16 3x3 pad1 (Pad + VALID conv) + BiasAdd on 1x32x32x8",
    ),
    "conv2d_nobias": (
        lambda x: conv(x, 16, 3, 1, 1, bias=False),
        [(1, 32, 32, 8)],
        "Conv2D 8->16 3x3 pad1 (Pad + VALID conv), no bias, on 1x32x32x8",
    ),
    "conv2d_bias_same": (
        lambda x: tf.nn.bias_add(
            tf.nn.conv2d(x, _var("k", [3, 3, 8, 16]), 1, "SAME"), _var("b", [16])
        ),
        [(1, 32, 32, 8)],
        "Conv2D 8->16 3x3 padding='SAME' (no Pad op) + BiasAdd on 1x32x32x8",
    ),
    "depthwise_conv2d": (
        lambda x: dwconv(x, 3, 1, 1),
        [(1, 32, 32, 16)],
        "DepthwiseConv2dNative 3x3 pad1 (Pad + VALID), multiplier 1, no bias, on 1x32x32x16",
    ),
    "dense_bias": (
        lambda x: dense(x, 32, bias=True),
        [(1, 64)],
        "Dense 64->32 with bias: MatMul + BiasAdd on [1,64]",
    ),
    "dense_nobias": (
        lambda x: dense(x, 32, bias=False),
        [(1, 64)],
        "Dense 64->32 without bias: MatMul on [1,64]",
    ),
    "batchnorm": (
        lambda x: bn(x),
        [(1, 32, 32, 16)],
        "FusedBatchNormV3 is_training=False on 1x32x32x16",
    ),
    "batchnorm_unfused": (
        lambda x: tf.nn.batch_normalization(
            x,
            _var("moving_mean", [16], trainable=False),
            _var("moving_variance", [16], trainable=False, init=v1.ones_initializer()),
            _var("beta", [16]),
            _var("gamma", [16], init=v1.ones_initializer()),
            1e-5,
        ),
        [(1, 32, 32, 16)],
        "tf.nn.batch_normalization (unfused: AddV2/Rsqrt/Mul/Sub, what Keras 3's "
        "BatchNormalization emits) with moving stats, on 1x32x32x16; for comparison only",
    ),
    "relu": (tf.nn.relu, [(1, 32, 32, 16)], "Relu on 1x32x32x16"),
    "relu6": (tf.nn.relu6, [(1, 32, 32, 16)], "Relu6 on 1x32x32x16"),
    "sigmoid": (tf.sigmoid, [(1, 32, 32, 16)], "Sigmoid on 1x32x32x16"),
    "tanh": (tf.tanh, [(1, 32, 32, 16)], "Tanh on 1x32x32x16"),
    "softmax": (tf.nn.softmax, [(1, 32, 32, 16)], "Softmax (last axis) on 1x32x32x16"),
    "maxpool2d": (lambda x: maxpool(x, 2, 2), [(1, 32, 32, 16)], "MaxPool 2x2/2 on 1x32x32x16"),
    "avgpool2d": (lambda x: avgpool(x, 2, 2), [(1, 32, 32, 16)], "AvgPool 2x2/2 on 1x32x32x16"),
    "global_avgpool": (gap, [(1, 7, 7, 16)], "reduce_mean over H,W (Mean) on 1x7x7x16"),
    "add": (lambda a, b: a + b, [(1, 8, 8, 16), (1, 8, 8, 16)], "AddV2 of two 1x8x8x16"),
    "concat": (
        lambda a, b: tf.concat([a, b], axis=-1),
        [(1, 8, 8, 16), (1, 8, 8, 16)],
        "ConcatV2 of two 1x8x8x16 on channels",
    ),
}


# --------------------------------------------------------------------------- measuring


def measure(fn, shapes, notes):
    graph = tf.Graph()
    with graph.as_default():
        inputs = [
            v1.placeholder(tf.float32, shape=s, name=f"input{i}") for i, s in enumerate(shapes)
        ]
        fn(*inputs)
        b = v1.profiler.ProfileOptionBuilder
        flops_opts = b(b.float_operation()).with_empty_output().build()
        total = v1.profiler.profile(graph, cmd="scope", options=flops_opts)
        by_op = v1.profiler.profile(graph, cmd="op", options=flops_opts)
        # the 'op' view returns the op types as a chain (each node's children hold the
        # next types, ordered by float ops); a node's own count is its ``float_ops``
        by_op_type = {}
        stack = list(by_op.children)
        while stack:
            node = stack.pop()
            by_op_type[node.name] = by_op_type.get(node.name, 0) + int(node.float_ops)
            stack.extend(node.children)
        params_opts = b(b.trainable_variables_parameter()).with_empty_output().build()
        params = v1.profiler.profile(graph, cmd="scope", options=params_opts)
        all_elems = sum(int(v.shape.num_elements()) for v in v1.global_variables())
        op_counts = {}
        for op in graph.get_operations():
            op_counts[op.type] = op_counts.get(op.type, 0) + 1
    return {
        "total_float_ops": int(total.total_float_ops),
        "by_op_type": dict(sorted(by_op_type.items())),
        "by_op_type_sum": sum(by_op_type.values()),
        "trainable_params": int(params.total_parameters),
        "all_variable_elements": all_elems,
        "graph_op_counts": dict(sorted(op_counts.items())),
        "notes": notes,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="tests/data/measured_tensorflow.json")
    ap.add_argument("--only", nargs="*", help="restrict to these model / op names")
    args = ap.parse_args(argv)
    v1.disable_eager_execution()
    doc = {
        "measured_on": MEASURED_ON,
        "generated_by": "tools/measure_tensorflow.py",
        "versions": {"tensorflow": tf.__version__, "python": platform.python_version()},
        "tool_notes": {
            "total_float_ops": "tf.compat.v1.profiler.profile(graph, cmd='scope', options="
            "ProfileOptionBuilder(float_operation()).with_empty_output()"
            ".build()).total_float_ops",
            "by_op_type": "same options with cmd='op': op type node name -> its own float_ops "
            "(nodes walked recursively: the op view nests them as a chain)",
            "trainable_params": "profile(graph, cmd='scope', options="
            "trainable_variables_parameter()).total_parameters",
            "all_variable_elements": "sum of num_elements over tf.compat.v1.global_variables()",
            "graph_op_counts": "number of graph ops per type (incl. ones with no FLOPs)",
        },
        "models": {},
        "ops": {},
    }
    out = args.out
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)

    def write():
        with open(out, "w") as fh:
            json.dump(doc, fh, indent=1)
            fh.write("\n")

    for section, table in (("ops", OPS), ("models", MODELS)):
        for name, (fn, shapes, notes) in table.items():
            if args.only and name not in args.only:
                continue
            try:
                doc[section][name] = measure(fn, shapes, notes)
                r = doc[section][name]
                print(
                    f"{section}/{name}: flops={r['total_float_ops']} "
                    f"params={r['trainable_params']} all={r['all_variable_elements']} "
                    f"{r['by_op_type']}",
                    flush=True,
                )
            except Exception:  # keep going; record the failure
                doc[section][name] = {"error": traceback.format_exc(limit=3), "notes": notes}
                print(
                    f"{section}/{name}: FAILED\n{doc[section][name]['error']}",
                    file=sys.stderr,
                    flush=True,
                )
            write()
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
