"""Small ONNX graphs written with onnx.helper, each beside the spec a person would write.

Weights are zeros: only their shapes matter. Node and initializer names follow
torch's (`conv1.weight`) so that the imported layer names can be checked too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def weight(name: str, *shape: int) -> onnx.TensorProto:
    return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)


def ints(name: str, *values: int) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def scalar(name: str, value: float) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(value, dtype=np.float32), name)


def node(op: str, inputs: list[str], outputs: list[str], name: str, **attrs: Any) -> onnx.NodeProto:
    return helper.make_node(op, inputs, outputs, name=name, **attrs)


def model(
    nodes: list[onnx.NodeProto],
    initializers: list[onnx.TensorProto],
    input_shape: list[int | str],
    output: str = "y",
    input_type: int = TensorProto.FLOAT,
) -> bytes:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", input_type, input_shape)],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
        initializers,
    )
    made = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    return bytes(made.SerializeToString())


def conv(
    x: str, y: str, name: str, cin: int, cout: int, k: int, bias: bool = True, **attrs: Any
) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    groups = attrs.get("group", 1)
    inits = [weight(f"{name}.weight", cout, cin // groups, k, k)]
    inputs = [x, f"{name}.weight"]
    if bias:
        inits.append(weight(f"{name}.bias", cout))
        inputs.append(f"{name}.bias")
    return [node("Conv", inputs, [y], name, kernel_shape=[k, k], **attrs)], inits


def batchnorm(
    x: str, y: str, name: str, channels: int
) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    names = [f"{name}.{part}" for part in ("weight", "bias", "running_mean", "running_var")]
    return [node("BatchNormalization", [x, *names], [y], name)], [
        weight(n, channels) for n in names
    ]


def lenet() -> bytes:
    nodes, inits = [], []
    for part in (
        conv("x", "c1", "features.0", 1, 6, 3, pads=[1, 1, 1, 1]),
        ([node("Relu", ["c1"], ["r1"], "features.1")], []),
        ([node("MaxPool", ["r1"], ["p1"], "features.2", kernel_shape=[2, 2], strides=[2, 2])], []),
        conv("p1", "c2", "features.3", 6, 16, 5),
        ([node("Relu", ["c2"], ["r2"], "features.4")], []),
        ([node("MaxPool", ["r2"], ["p2"], "features.5", kernel_shape=[2, 2], strides=[2, 2])], []),
        ([node("Flatten", ["p2"], ["f"], "flatten", axis=1)], []),
        (
            [node("Gemm", ["f", "fc.0.weight", "fc.0.bias"], ["l1"], "fc.0", transB=1)],
            [weight("fc.0.weight", 120, 400), weight("fc.0.bias", 120)],
        ),
        (
            [node("Gemm", ["l1", "fc.1.weight", "fc.1.bias"], ["l2"], "fc.1", transB=1)],
            [weight("fc.1.weight", 84, 120), weight("fc.1.bias", 84)],
        ),
        (
            [node("Gemm", ["l2", "fc.2.weight", "fc.2.bias"], ["y"], "fc.2", transB=1)],
            [weight("fc.2.weight", 10, 84), weight("fc.2.bias", 10)],
        ),
    ):
        nodes += part[0]
        inits += part[1]
    return model(nodes, inits, [1, 1, 28, 28])


LENET_SPEC = "specs/zoo/lenet.yaml"


def residual_block() -> bytes:
    """BasicBlock: conv-bn-relu-conv-bn, + x, relu (a torch export without folding)."""
    nodes, inits = [], []
    for part in (
        conv("x", "a", "conv1", 16, 16, 3, bias=False, pads=[1, 1, 1, 1]),
        batchnorm("a", "b", "bn1", 16),
        ([node("Relu", ["b"], ["c"], "relu")], []),
        conv("c", "d", "conv2", 16, 16, 3, bias=False, pads=[1, 1, 1, 1]),
        batchnorm("d", "e", "bn2", 16),
        ([node("Add", ["e", "x"], ["f"], "add"), node("Relu", ["f"], ["y"], "relu_out")], []),
    ):
        nodes += part[0]
        inits += part[1]
    return model(nodes, inits, [1, 16, 8, 8])


RESIDUAL_SPEC = """
input: [1, 16, 8, 8]
layers:
  - residual:
      body:
        - conv2d: {out: 16, kernel: 3, padding: 1, bias: false}
        - batchnorm2d
        - relu
        - conv2d: {out: 16, kernel: 3, padding: 1, bias: false}
        - batchnorm2d
  - relu
"""


def depthwise_separable() -> bytes:
    nodes, inits = [], []
    for part in (
        conv("x", "a", "dw", 32, 32, 3, bias=False, pads=[1, 1, 1, 1], strides=[2, 2], group=32),
        batchnorm("a", "b", "dw_bn", 32),
        (
            [node("Clip", ["b", "zero", "six"], ["c"], "relu6")],
            [scalar("zero", 0.0), scalar("six", 6.0)],
        ),
        conv("c", "d", "pw", 32, 64, 1, bias=False),
        batchnorm("d", "e", "pw_bn", 64),
        ([node("Relu", ["e"], ["y"], "relu")], []),
    ):
        nodes += part[0]
        inits += part[1]
    return model(nodes, inits, [1, 32, 16, 16])


DEPTHWISE_SPEC = """
input: [1, 32, 16, 16]
layers:
  - conv2d: {out: 32, kernel: 3, stride: 2, padding: 1, groups: 32, bias: false}
  - batchnorm2d
  - relu6
  - conv2d: {out: 64, kernel: 1, bias: false}
  - batchnorm2d
  - relu
"""


def attention_block() -> bytes:
    """Single-head self-attention on [1, 10, 32] with MatMul + Add projections, + x."""
    s, d = 10, 32
    nodes, inits = [], []
    for proj in ("q", "k", "v", "out"):
        inits += [weight(f"{proj}_proj.weight", d, d), weight(f"{proj}_proj.bias", d)]
    for proj in ("q", "k", "v"):
        nodes += [
            node("MatMul", ["x", f"{proj}_proj.weight"], [f"{proj}0"], f"{proj}_proj"),
            node("Add", [f"{proj}0", f"{proj}_proj.bias"], [proj], f"{proj}_proj_bias"),
        ]
    inits.append(scalar("root_d", float(np.sqrt(d))))
    nodes += [
        node("Transpose", ["k"], ["kt"], "k_t", perm=[0, 2, 1]),
        node("MatMul", ["q", "kt"], ["scores"], "qk"),
        node("Div", ["scores", "root_d"], ["scaled"], "scale"),
        node("Softmax", ["scaled"], ["weights"], "softmax", axis=-1),
        node("MatMul", ["weights", "v"], ["mixed"], "av"),
        node("MatMul", ["mixed", "out_proj.weight"], ["o0"], "out_proj"),
        node("Add", ["o0", "out_proj.bias"], ["o"], "out_proj_bias"),
        node("Add", ["o", "x"], ["y"], "residual"),
    ]
    del s
    return model(nodes, inits, [1, 10, d])


ATTENTION_SPEC = """
input: [1, 10, 32]
layers:
  - residual:
      body:
        - parallel:
            merge: matmul
            branches:
              - - parallel:
                    merge: matmul
                    branches:
                      - [linear: {out: 32}]
                      - [linear: {out: 32}, permute: {dims: [0, 2, 1]}]
                - scale
                - softmax
              - [linear: {out: 32}]
        - linear: {out: 32}
"""


def folded_conv() -> bytes:
    """torch.onnx.export's default: BatchNorm folded into the conv, which gains a bias."""
    nodes, inits = conv("x", "a", "conv1", 3, 8, 3, bias=True, pads=[1, 1, 1, 1])
    nodes.append(node("Relu", ["a"], ["y"], "relu"))
    return model(nodes, inits, [1, 3, 16, 16])


FOLDED_SPEC = """
input: [1, 3, 16, 16]
layers:
  - conv2d: {out: 8, kernel: 3, padding: 1}
  - relu
"""


def batchnorm_graph() -> bytes:
    nodes, inits = conv("x", "a", "conv1", 3, 8, 3, bias=False, pads=[1, 1, 1, 1])
    more, extra = batchnorm("a", "y", "bn1", 8)
    return model(nodes + more, inits + extra, [1, 3, 16, 16])


BATCHNORM_SPEC = """
input: [1, 3, 16, 16]
layers:
  - conv2d: {out: 8, kernel: 3, padding: 1, bias: false}
  - batchnorm2d
"""


def identity_merged() -> bytes:
    """Two convs with equal weights: the exporter keeps one and routes it through Identity."""
    nodes, inits = conv("x", "a", "conv1", 8, 8, 3, bias=False, pads=[1, 1, 1, 1])
    nodes += [
        node("Identity", ["conv1.weight"], ["conv2.weight"], "merged_copy"),
        node("Conv", ["a", "conv2.weight"], ["y"], "conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    ]
    return model(nodes, inits, [1, 8, 8, 8])


IDENTITY_SPEC = """
input: [1, 8, 8, 8]
layers:
  - conv2d: {out: 8, kernel: 3, padding: 1, bias: false}
  - conv2d: {out: 8, kernel: 3, padding: 1, bias: false}
"""


def tied_embedding() -> bytes:
    """GPT-2's head: the token embedding's table, transposed, is the output projection."""
    nodes = [
        node("Gather", ["wte.weight", "x"], ["h"], "wte"),
        node("Transpose", ["wte.weight"], ["wte_t"], "wte_t", perm=[1, 0]),
        node("MatMul", ["h", "wte_t"], ["y"], "lm_head"),
    ]
    return model(nodes, [weight("wte.weight", 100, 16)], [1, 7], input_type=TensorProto.INT64)


TIED_SPEC = """
input: [1, 7]
layers:
  - embedding: {vocab: 100, dim: 16}
  - linear: {out: 100, bias: false, tied: true}
"""


def tied_linears() -> bytes:
    """One initializer read directly by two MatMuls: tied, counted once."""
    inits = [weight("shared.weight", 16, 16)]
    nodes = [
        node("MatMul", ["x", "shared.weight"], ["a"], "first"),
        node("Relu", ["a"], ["b"], "relu"),
        node("MatMul", ["b", "shared.weight"], ["y"], "second"),
    ]
    return model(nodes, inits, [1, 4, 16])


TIED_LINEARS_SPEC = """
input: [1, 4, 16]
layers:
  - linear: {out: 16, bias: false}
  - relu
  - linear: {out: 16, bias: false, tied: true}
"""


def channel_split() -> bytes:
    """ShuffleNet V2's unit as exported: a split computed from Shape, a branch, concat, shuffle."""
    c, half = 16, 8
    inits = [ints("zero", 0), ints("one", 1), ints("two", 2), ints("axis", 1), ints("big", 2**62)]
    nodes = [
        node("Shape", ["x"], ["shape"], "shape"),
        node("Gather", ["shape", "one"], ["channels"], "channels", axis=0),
        node("Div", ["channels", "two"], ["half"], "half"),
        node("Unsqueeze", ["half", "zero"], ["half1"], "half1"),
        node("Slice", ["x", "zero", "half1", "axis"], ["left"], "split_left"),
        node("Slice", ["x", "half1", "big", "axis"], ["right"], "split_right"),
    ]
    branch, weights = conv("right", "r1", "branch2.0", half, half, 1, bias=False)
    nodes += branch
    inits += weights
    nodes += [
        node("Relu", ["r1"], ["r2"], "branch2.2"),
        node("Concat", ["left", "r2"], ["cat"], "cat", axis=1),
        node("Reshape", ["cat", "shuffle_shape"], ["s1"], "shuffle_view"),
        node("Transpose", ["s1"], ["s2"], "shuffle_t", perm=[0, 2, 1, 3, 4]),
        node("Reshape", ["s2", "flat_shape"], ["y"], "shuffle_back"),
    ]
    inits += [ints("shuffle_shape", 1, 2, half, 8, 8), ints("flat_shape", 1, -1, 8, 8)]
    del c
    return model(nodes, inits, [1, 16, 8, 8])


SPLIT_SPEC = """
input: [1, 16, 8, 8]
layers:
  - parallel:
      branches:
        - [slice: {end: 8}]
        - - slice: {start: 8, end: 16}
          - conv2d: {out: 8, kernel: 1, bias: false}
          - relu
  - channel_shuffle: {groups: 2}
"""


def dense_block() -> bytes:
    """DenseNet as exported: each layer reads the concat of all earlier features,
    cat(x), cat(x, n1), cat(x, n1, n2); the block's output is the last."""
    nodes = [node("Concat", ["x"], ["c0"], "denselayer1.cat", axis=1)]
    layer1, inits = conv("c0", "n1", "denselayer1.conv", 8, 4, 3, bias=False, pads=[1, 1, 1, 1])
    nodes += layer1
    nodes.append(node("Concat", ["x", "n1"], ["c1"], "denselayer2.cat", axis=1))
    layer2, weights = conv("c1", "n2", "denselayer2.conv", 12, 4, 3, bias=False, pads=[1, 1, 1, 1])
    nodes += layer2
    inits += weights
    nodes.append(node("Concat", ["x", "n1", "n2"], ["y"], "block.cat", axis=1))
    return model(nodes, inits, [1, 8, 6, 6])


DENSE_SPEC = """
input: [1, 8, 6, 6]
layers:
  - parallel:
      branches:
        - []
        - [conv2d: {out: 4, kernel: 3, padding: 1, bias: false}]
  - parallel:
      branches:
        - []
        - [conv2d: {out: 4, kernel: 3, padding: 1, bias: false}]
"""


def strided_view(external: bool) -> bytes:
    """ConvNeXt's pooled features as exported: mean, flattened, then `as_strided` as a
    Gather of every element, its indices inline or stored (unread) like a weight."""
    index = numpy_helper.from_array(np.arange(8, dtype=np.int64).reshape(1, 8, 1, 1), "index")
    if external:
        index.ClearField("raw_data")
        index.data_location = TensorProto.EXTERNAL
        index.external_data.add(key="location", value="absent.bin")
    nodes = [
        node("ReduceMean", ["x", "axes"], ["m"], "avgpool", keepdims=1),
        node("Reshape", ["m", "flat"], ["f"], "flatten"),
        node("Gather", ["f", "index"], ["g"], "as_strided", axis=0),
        node("Transpose", ["g"], ["t"], "permute", perm=[0, 2, 3, 1]),
        node("MatMul", ["t", "fc.weight"], ["y"], "fc"),
    ]
    inits = [ints("axes", 2, 3), ints("flat", 8), index, weight("fc.weight", 8, 4)]
    return model(nodes, inits, [1, 8, 5, 5])


STRIDED_SPEC = """
input: [1, 8, 5, 5]
layers:
  - mean: {dims: [2, 3], keepdim: true}
  - permute: {dims: [0, 2, 3, 1]}
  - linear: {out: 4, bias: false}
"""


def stacked_lstm() -> bytes:
    """A 2-layer batch-first nn.LSTM(8, 16) as torch.onnx.export writes it: one LSTM node
    per layer on [seq, batch, features], Y [seq, directions, batch, hidden] squeezed."""
    hidden = 16
    nodes, inits = [node("Transpose", ["x"], ["x_t"], "/lstm/Transpose", perm=[1, 0, 2])], []
    source, features = "x_t", 8
    for layer in range(2):
        names = [f"lstm.w{layer}", f"lstm.r{layer}", f"lstm.b{layer}"]
        inits += [
            weight(names[0], 1, 4 * hidden, features),
            weight(names[1], 1, 4 * hidden, hidden),
            weight(names[2], 1, 8 * hidden),
        ]
        y = f"y{layer}"
        nodes.append(node("LSTM", [source, *names], [y], f"/lstm/LSTM_{layer}", hidden_size=hidden))
        nodes.append(node("Squeeze", [y, "one"], [f"{y}_s"], f"/lstm/Squeeze_{layer}"))
        source, features = f"{y}_s", hidden
    nodes.append(node("Transpose", [source], ["y"], "/lstm/Transpose_out", perm=[1, 0, 2]))
    return model(nodes, [*inits, ints("one", 1)], [1, 5, 8])


LSTM_SPEC = """
input: [1, 5, 8]
layers:
  - lstm: {hidden: 16, layers: 2}
"""


def sequence_split() -> bytes:
    """ShuffleNet V2's chunk as an unoptimised export writes it: SplitToSequence, then
    SequenceAt for each half."""
    half = 8
    nodes = [
        node("SplitToSequence", ["x", "size"], ["parts"], "split", axis=1),
        node("SequenceAt", ["parts", "zero"], ["left"], "left"),
        node("SequenceAt", ["parts", "one"], ["right"], "right"),
    ]
    branch, inits = conv("right", "r1", "branch2.0", half, half, 1, bias=False)
    nodes += [*branch, node("Concat", ["left", "r1"], ["y"], "cat", axis=1)]
    scalars = [
        numpy_helper.from_array(np.array(v, dtype=np.int64), n)
        for n, v in (("size", half), ("zero", 0), ("one", 1))
    ]
    return model(nodes, [*inits, *scalars], [1, 16, 8, 8])


SEQUENCE_SPLIT_SPEC = """
input: [1, 16, 8, 8]
layers:
  - parallel:
      branches:
        - [slice: {end: 8}]
        - - slice: {start: 8, end: 16}
          - conv2d: {out: 8, kernel: 1, bias: false}
"""


def dense_block_named(layers: int = 3) -> bytes:
    """A dense block whose layers are modules `block.denselayer1`, `block.denselayer2`, …
    (a 1×1 conv to 8, a 3×3 conv to 4), each reading all earlier features."""
    nodes, inits, features = [], [], ["x"]
    for turn in range(1, layers + 1):
        cin = 8 + 4 * (turn - 1)
        if len(features) > 1:
            nodes.append(
                node("Concat", features, [f"c{turn}"], f"/block/denselayer{turn}/cat", axis=1)
            )
        source = f"c{turn}" if len(features) > 1 else "x"
        for part in (
            conv(source, f"a{turn}", f"block.denselayer{turn}.conv1", cin, 8, 1, bias=False),
            conv(
                f"a{turn}",
                f"n{turn}",
                f"block.denselayer{turn}.conv2",
                8,
                4,
                3,
                bias=False,
                pads=[1, 1, 1, 1],
            ),
        ):
            nodes += part[0]
            inits += part[1]
        features.append(f"n{turn}")
    nodes.append(node("Concat", features, ["y"], "/block/cat", axis=1))
    return model(nodes, inits, [1, 8, 6, 6])


DENSE_NAMED_SPEC = """
input: [1, 8, 6, 6]
layers:
  - repeat:
      times: 3
      body:
        - parallel:
            branches:
              - []
              - - conv2d: {out: 8, kernel: 1, bias: false}
                - conv2d: {out: 4, kernel: 3, padding: 1, bias: false}
"""
