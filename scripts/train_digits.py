#!/usr/bin/env python3
"""Train the bundled image model `examples/models/digits_mlp.json`.

A 64-64-64-10 ReLU MLP classifies scikit-learn's bundled 8x8 handwritten
digits (`sklearn.datasets.load_digits`: 1797 images, 10 classes, pixels 0..16
shipped with scikit-learn, no download). Pixels are scaled to [0, 1] by
dividing by 16. The set is split with a seeded permutation into 1347 training
and 450 test images. Training uses numpy only: mini-batch Adam written by hand
(as `scripts/train_toy.py`), batch 64, 60 epochs, softmax cross-entropy on
the 10 logits. Everything is seeded, so a rerun writes the same files (on the
same numpy version and platform).

Accuracy obtained (numpy 1.26.4, scikit-learn 1.9.1, x86-64 Linux): 100.00 %
on the training set, 99.11 % on the test set (see SEED and the printed lines).

The width 64 is chosen for the demo: the plane through the three images below
is cut into a few hundred linear regions (`splinecam stats --through`: 290
regions inside the triangle with the argmax boundary, 614 with `--margin 0.5`,
1311 with `--margin 1`); width 32 gives only 74 in the triangle, 128 about 2000.

The model is written in splinecam's native JSON format (`docs/formats.md`):
input shape `[1, 8, 8]` (one channel, an 8x8 image), a `flatten` op, three
dense layers with ReLU between them; the output is the 10 logits (the softmax
is recorded as the `output_transform`, monotone, skipped for geometry). Every
weight is written in `repr(float)` notation, so the f64 weights read back
bit-identical.

The script also writes three correctly classified test images of different
classes (digits 0, 3 and 7: the first such image of each class in the test
split) to `examples/images/digit{0,3,7}.npy`: float64 arrays of shape
`[1, 8, 8]` with values in [0, 1], the model's input. `splinecam demo` uses
them as the three points that span the plane.

Retrain (from the crate root; needs numpy and scikit-learn, see
`scripts/requirements.txt`):

    python3 scripts/train_digits.py                 # writes the model and images
    python3 scripts/train_digits.py --out FILE --images DIR

`splinecam demo` embeds the files at compile time, so rebuild after retraining.
"""

import argparse
import json
import os

import numpy as np
from sklearn.datasets import load_digits

import mlp3

SEED = 20240602
N_TEST = 450
HIDDEN = 64
EPOCHS = 60
BATCH = 64
LR = 0.003
DIGITS = (0, 3, 7)  # the classes of the three exported test images


def split(x, y, rng):
    """Seeded train/test split: a permutation, the last N_TEST are the test set."""
    perm = rng.permutation(len(x))
    train, test = perm[:-N_TEST], perm[-N_TEST:]
    return train, test


def loss_and_grads(params, x, y):
    """Mean softmax cross-entropy of the logits, and its gradients."""
    logits, hidden = mlp3.forward(params, x)
    n = x.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.mean(log_p[np.arange(n), y])
    d_logits = np.exp(log_p)
    d_logits[np.arange(n), y] -= 1.0
    d_logits /= n
    return loss, mlp3.backward(params, x, hidden, d_logits)


def train(x, y, rng):
    params = mlp3.init(rng, [64, HIDDEN, HIDDEN, 10])
    adam = mlp3.Adam(params, LR)
    for epoch in range(1, EPOCHS + 1):
        perm = rng.permutation(len(x))
        total = 0.0
        for start in range(0, len(x), BATCH):
            idx = perm[start : start + BATCH]
            loss, grads = loss_and_grads(params, x[idx], y[idx])
            total += loss * len(idx)
            adam.update(params, grads)
        if epoch % 10 == 0 or epoch == 1:
            print(f"epoch {epoch:3d}  loss {total / len(x):.6f}")
    return params


def accuracy(params, x, y):
    logits, _ = mlp3.forward(params, x)
    return np.mean(np.argmax(logits, axis=1) == y)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out",
        default=os.path.join(root, "examples", "models", "digits_mlp.json"),
        help="where to write the model (default: examples/models/digits_mlp.json)",
    )
    ap.add_argument(
        "--images",
        default=os.path.join(root, "examples", "images"),
        help="folder for the three .npy images (default: examples/images)",
    )
    args = ap.parse_args()

    digits = load_digits()
    x_all = digits.data.astype(np.float64) / 16.0  # exact: 16 is a power of 2
    y_all = digits.target.astype(np.int64)

    rng = np.random.default_rng(SEED)
    train_idx, test_idx = split(x_all, y_all, rng)
    params = train(x_all[train_idx], y_all[train_idx], rng)
    acc_train = accuracy(params, x_all[train_idx], y_all[train_idx])
    acc_test = accuracy(params, x_all[test_idx], y_all[test_idx])
    print(f"training accuracy: {acc_train:.4f} ({len(train_idx)} images)")
    print(f"test accuracy:     {acc_test:.4f} ({len(test_idx)} images)")

    text = mlp3.to_json(params, [1, 8, 8], "softmax", ['    {"op": "flatten"}'])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(f"wrote {args.out} ({len(text)} bytes)")

    # Round-trip check: the written floats parse back bit-identical.
    back = json.loads(text)
    dense = [op for op in back["ops"] if op["op"] == "dense"]
    for op, (w, b) in zip(dense, zip(params[0::2], params[1::2])):
        assert np.array_equal(np.array(op["weight"]), w)
        assert np.array_equal(np.array(op["bias"]), b)

    # Three correctly classified test images: the first of each class in DIGITS.
    logits, _ = mlp3.forward(params, x_all[test_idx])
    pred = np.argmax(logits, axis=1)
    os.makedirs(args.images, exist_ok=True)
    for d in DIGITS:
        pos = next(
            k for k, i in enumerate(test_idx) if y_all[i] == d and pred[k] == d
        )
        i = int(test_idx[pos])
        image = x_all[i].reshape(1, 8, 8)
        path = os.path.join(args.images, f"digit{d}.npy")
        np.save(path, image)
        assert np.array_equal(np.load(path), image)
        top = logits[pos]
        print(
            f"wrote {path}: load_digits() index {i}, label {d}, "
            f"logit margin {top[d] - np.max(np.delete(top, d)):.3f}"
        )


if __name__ == "__main__":
    main()
