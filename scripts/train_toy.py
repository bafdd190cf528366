#!/usr/bin/env python3
"""Train the bundled toy model `examples/models/two_moons.json`.

A 2-16-16-1 ReLU MLP classifies the two-moons toy set (generated here with
numpy: 400 points, Gaussian noise 0.1, as scikit-learn's `make_moons`). It is
trained with numpy only: full-batch Adam written by hand, 2000 steps, binary
cross-entropy on the logit. Everything is seeded, so a rerun writes the same
file (on the same numpy version and platform).

The model is written in splinecam's native JSON format (`docs/formats.md`)
with every weight in `repr(float)` notation, so the f64 weights read back
bit-identical; the final sigmoid is recorded as the `output_transform`
(monotone, skipped for geometry: the decision boundary is the logit's zero
set).

Retrain (from the crate root; needs only numpy):

    python3 scripts/train_toy.py              # writes examples/models/two_moons.json
    python3 scripts/train_toy.py --out FILE   # somewhere else

`splinecam demo` embeds the file at compile time, so rebuild after retraining.
"""

import argparse
import os

import numpy as np

SEED = 20240601
N_SAMPLES = 400
NOISE = 0.1
HIDDEN = 16
STEPS = 2000
LR = 0.01


def make_moons(n, noise, rng):
    """Two interleaving half circles (as sklearn.datasets.make_moons)."""
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1.0 - np.cos(t_in), 1.0 - np.sin(t_in) - 0.5], axis=1)
    x = np.concatenate([outer, inner]) + rng.normal(scale=noise, size=(n, 2))
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return x, y


def init(rng):
    """He-initialised weights (rows = outputs), zero biases."""
    sizes = [2, HIDDEN, HIDDEN, 1]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = rng.normal(scale=np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))
        params += [w, np.zeros(fan_out)]
    return params


def forward(params, x):
    w1, b1, w2, b2, w3, b3 = params
    z1 = x @ w1.T + b1
    h1 = np.maximum(z1, 0.0)
    z2 = h1 @ w2.T + b2
    h2 = np.maximum(z2, 0.0)
    logit = (h2 @ w3.T + b3)[:, 0]
    return logit, (z1, h1, z2, h2)


def loss_and_grads(params, x, y):
    """Mean binary cross-entropy on the logit, and its gradients."""
    w1, b1, w2, b2, w3, b3 = params
    logit, (z1, h1, z2, h2) = forward(params, x)
    # log(1 + e^-|l|) + max(l, 0) - y l, computed stably.
    loss = np.mean(np.logaddexp(0.0, logit) - y * logit)
    n = x.shape[0]
    d_logit = (1.0 / (1.0 + np.exp(-logit)) - y)[:, None] / n
    g_w3 = d_logit.T @ h2
    g_b3 = d_logit.sum(axis=0)
    d_z2 = (d_logit @ w3) * (z2 > 0)
    g_w2 = d_z2.T @ h1
    g_b2 = d_z2.sum(axis=0)
    d_z1 = (d_z2 @ w2) * (z1 > 0)
    g_w1 = d_z1.T @ x
    g_b1 = d_z1.sum(axis=0)
    return loss, [g_w1, g_b1, g_w2, g_b2, g_w3, g_b3]


def train(x, y, rng):
    params = init(rng)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, STEPS + 1):
        loss, grads = loss_and_grads(params, x, y)
        for k, g in enumerate(grads):
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * g * g
            m_hat = m[k] / (1 - beta1**step)
            v_hat = v[k] / (1 - beta2**step)
            params[k] = params[k] - LR * m_hat / (np.sqrt(v_hat) + eps)
        if step % 500 == 0 or step == 1:
            print(f"step {step:5d}  loss {loss:.6f}")
    return params


def fmt_vec(v):
    return "[" + ", ".join(repr(float(a)) for a in v) + "]"


def fmt_matrix(w, indent):
    rows = (",\n" + indent).join(fmt_vec(r) for r in w)
    return "[\n" + indent + rows + "\n" + indent[:-2] + "]"


def to_json(params):
    """The native splinecam JSON model, weights in repr(float) notation."""
    w1, b1, w2, b2, w3, b3 = params
    ind = "        "
    ops = []
    for name, w, b in [("fc1", w1, b1), ("fc2", w2, b2), ("fc3", w3, b3)]:
        ops.append(
            '    {"op": "dense", "name": "%s",\n      "weight": %s,\n      "bias": %s}'
            % (name, fmt_matrix(w, ind), fmt_vec(b))
        )
        if name != "fc3":
            ops.append('    {"op": "relu"}')
    return (
        "{\n"
        '  "format": "splinecam-model",\n'
        '  "version": 1,\n'
        '  "input_shape": [2],\n'
        '  "ops": [\n' + ",\n".join(ops) + "\n  ],\n"
        '  "output_transform": "sigmoid"\n'
        "}\n"
    )


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out",
        default=os.path.join(root, "examples", "models", "two_moons.json"),
        help="where to write the model (default: examples/models/two_moons.json)",
    )
    args = ap.parse_args()

    rng = np.random.default_rng(SEED)
    x, y = make_moons(N_SAMPLES, NOISE, rng)
    params = train(x, y, rng)
    logit, _ = forward(params, x)
    acc = np.mean((logit > 0) == (y > 0.5))
    print(f"final training accuracy: {acc:.4f} ({N_SAMPLES} samples)")

    text = to_json(params)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(f"wrote {args.out} ({len(text)} bytes)")

    # Round-trip check: the written floats parse back bit-identical.
    import json

    back = json.loads(text)
    dense = [op for op in back["ops"] if op["op"] == "dense"]
    for op, (w, b) in zip(dense, zip(params[0::2], params[1::2])):
        assert np.array_equal(np.array(op["weight"]), w)
        assert np.array_equal(np.array(op["bias"]), b)


if __name__ == "__main__":
    main()
