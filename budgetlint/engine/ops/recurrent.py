"""Recurrent layers (nn.LSTM, nn.GRU, nn.RNN), batch-first: [N, T, F] → [N, T, H·D].

G gate sets (LSTM 4, GRU 3, RNN 1), D directions (2 when bidirectional), layer l
reads I_l features (I_0 = F, then H·D) and the previous hidden state (H):

    params = D · Σ_l G·H·(I_l + H)  +  D · L · 2·G·H   (PyTorch keeps b_ih and b_hh)
    MACs   = N · T · D · Σ_l G·H·(I_l + H)

The MACs of layer 0's input projection and of the first step's recurrent product (on
the zero initial state) are reported apart too, for the backward: the first needs no
input gradient when the input needs none, the second never does.

Work per step, direction and layer (× N·T·D·L): 2·G·H bias adds, G·H adds of the
two projections (`recurrent_gates`), and the cell's element-wise update on H
elements (`lstm_cell`, `gru_cell`, `rnn_tanh_cell`, `rnn_relu_cell`), each
priced by the conventions.
"""

from __future__ import annotations

from budgetlint.engine.cost import Attrs, OpCost, ShapeError
from budgetlint.engine.ops.attrs import Attr
from budgetlint.graph import Shape

RECURRENT_ATTRS = (
    Attr("hidden", "positive", doc="hidden features per direction"),
    Attr("layers", "positive", 1, doc="stacked layers"),
    Attr("bidirectional", "bool", False),
    Attr("bias", "bool", True, doc="b_ih and b_hh, two per gate set"),
)
RNN_ATTRS = (
    *RECURRENT_ATTRS,
    Attr("nonlinearity", "choice", "tanh", ("tanh", "relu")),
)


def _recurrent(inputs: tuple[Shape, ...], attrs: Attrs, op: str, gates: int, cell: str) -> OpCost:
    shape = inputs[0]
    if len(shape) != 3:
        raise ShapeError(f"{op} expects [batch, seq, features] (batch first), got {list(shape)}")
    batch, steps, features = shape
    hidden, layers = attrs["hidden"], attrs["layers"]
    directions = 2 if attrs["bidirectional"] else 1
    per_step = sum(
        gates * hidden * ((features if layer == 0 else hidden * directions) + hidden)
        for layer in range(layers)
    )
    cells = batch * steps * directions * layers  # one cell update per step, direction, layer
    macs = batch * steps * directions * per_step
    work: tuple[tuple[str, int], ...] = (
        (f"{op}_macs", macs),
        # no convention prices these two: the backward needs them (engine/backward.py)
        (f"{op}_input_macs", batch * steps * directions * gates * hidden * features),
        (f"{op}_initial_macs", batch * directions * layers * gates * hidden * hidden),
        ("recurrent_gates", cells * gates * hidden),
        (f"{cell}_cell", cells * hidden),
    )
    bias = directions * layers * 2 * gates * hidden if attrs["bias"] else 0
    if bias:
        work += (("recurrent_bias", cells * 2 * gates * hidden),)
    return OpCost(
        (batch, steps, hidden * directions),
        params=directions * per_step + bias,
        macs=macs,
        work=work,
    )


def lstm(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _recurrent(inputs, attrs, "lstm", 4, "lstm")


def gru(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _recurrent(inputs, attrs, "gru", 3, "gru")


def rnn(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _recurrent(inputs, attrs, "rnn", 1, f"rnn_{attrs['nonlinearity']}")
