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

import mlp3

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


def loss_and_grads(params, x, y):
    """Mean binary cross-entropy on the logit, and its gradients."""
    out, hidden = mlp3.forward(params, x)
    logit = out[:, 0]
    # log(1 + e^-|l|) + max(l, 0) - y l, computed stably.
    loss = np.mean(np.logaddexp(0.0, logit) - y * logit)
    n = x.shape[0]
    d_logit = (1.0 / (1.0 + np.exp(-logit)) - y)[:, None] / n
    return loss, mlp3.backward(params, x, hidden, d_logit)


def train(x, y, rng):
    params = mlp3.init(rng, [2, HIDDEN, HIDDEN, 1])
    adam = mlp3.Adam(params, LR)
    for step in range(1, STEPS + 1):
        loss, grads = loss_and_grads(params, x, y)
        adam.update(params, grads)
        if step % 500 == 0 or step == 1:
            print(f"step {step:5d}  loss {loss:.6f}")
    return params


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
    logit = mlp3.forward(params, x)[0][:, 0]
    acc = np.mean((logit > 0) == (y > 0.5))
    print(f"final training accuracy: {acc:.4f} ({N_SAMPLES} samples)")

    text = mlp3.to_json(params, [2], "sigmoid")
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
