"""The two-hidden-layer ReLU MLP shared by the training scripts
(`train_toy.py`, `train_digits.py`): He initialisation, forward pass,
backward pass from the output gradient, one Adam step, and the writer of
splinecam's native JSON model format (weights in repr(float) notation, so
the f64 values read back bit-identical). numpy only.
"""

import numpy as np


def init(rng, sizes):
    """He-initialised weights (rows = outputs), zero biases, for layer `sizes`."""
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = rng.normal(scale=np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))
        params += [w, np.zeros(fan_out)]
    return params


def forward(params, x):
    """The outputs (n x k) and the hidden values needed by `backward`."""
    w1, b1, w2, b2, w3, b3 = params
    z1 = x @ w1.T + b1
    h1 = np.maximum(z1, 0.0)
    z2 = h1 @ w2.T + b2
    h2 = np.maximum(z2, 0.0)
    out = h2 @ w3.T + b3
    return out, (z1, h1, z2, h2)


def backward(params, x, hidden, d_out):
    """The parameter gradients, given the loss gradient `d_out` of the outputs."""
    w1, b1, w2, b2, w3, b3 = params
    z1, h1, z2, h2 = hidden
    g_w3 = d_out.T @ h2
    g_b3 = d_out.sum(axis=0)
    d_z2 = (d_out @ w3) * (z2 > 0)
    g_w2 = d_z2.T @ h1
    g_b2 = d_z2.sum(axis=0)
    d_z1 = (d_z2 @ w2) * (z1 > 0)
    g_w1 = d_z1.T @ x
    g_b1 = d_z1.sum(axis=0)
    return [g_w1, g_b1, g_w2, g_b2, g_w3, g_b3]


class Adam:
    """Adam (beta1 0.9, beta2 0.999, eps 1e-8) over a parameter list."""

    def __init__(self, params, lr):
        self.lr = lr
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.step = 0

    def update(self, params, grads):
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        self.step += 1
        m, v, step = self.m, self.v, self.step
        for k, g in enumerate(grads):
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * g * g
            m_hat = m[k] / (1 - beta1**step)
            v_hat = v[k] / (1 - beta2**step)
            params[k] = params[k] - self.lr * m_hat / (np.sqrt(v_hat) + eps)


def fmt_vec(v):
    return "[" + ", ".join(repr(float(a)) for a in v) + "]"


def fmt_matrix(w, indent):
    rows = (",\n" + indent).join(fmt_vec(r) for r in w)
    return "[\n" + indent + rows + "\n" + indent[:-2] + "]"


def to_json(params, input_shape, output_transform, first_ops=()):
    """The native splinecam JSON model, weights in repr(float) notation."""
    w1, b1, w2, b2, w3, b3 = params
    ind = "        "
    ops = list(first_ops)
    for name, w, b in [("fc1", w1, b1), ("fc2", w2, b2), ("fc3", w3, b3)]:
        ops.append(
            '    {"op": "dense", "name": "%s",\n      "weight": %s,\n      "bias": %s}'
            % (name, fmt_matrix(w, ind), fmt_vec(b))
        )
        if name != "fc3":
            ops.append('    {"op": "relu"}')
    shape = "[" + ", ".join(str(d) for d in input_shape) + "]"
    return (
        "{\n"
        '  "format": "splinecam-model",\n'
        '  "version": 1,\n'
        '  "input_shape": ' + shape + ",\n"
        '  "ops": [\n' + ",\n".join(ops) + "\n  ],\n"
        '  "output_transform": "' + output_transform + '"\n'
        "}\n"
    )
