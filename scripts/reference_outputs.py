#!/usr/bin/env python3
"""Independent reference outputs for the network tests of splinecam.

Writes, under tests/fixtures/net/:
  * small ONNX models covering every supported operator (random float32
    weights from a fixed seed), a native-JSON model (maxout, leaky-ReLU, abs),
    and deliberately bad models for the error tests;
  * reference_outputs.json with, for each real model in ../shared/models and
    each of its VNN-LIB files, the outputs at the box centre, and for each
    generated fixture the outputs at a few random inputs.

Two evaluations are stored per case:
  * "output_f64": onnx.reference.ReferenceEvaluator (numpy) on a copy of the
    model whose float32 weights are cast to float64 (exactly), in float64;
    this is the same network splinecam analyses, up to summation order;
  * "output_ort_f32": onnxruntime on the original float32 model with the
    input rounded to float32 (compare with a float32 tolerance).
The output of a final Softmax/Sigmoid is not stored: references are taken at
the input of that op, matching splinecam (which skips it).

Usage (from the repository root):
    pip install -r scripts/requirements.txt
    python3 scripts/reference_outputs.py [--models ../shared/models]
"""
import argparse
import copy
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "net")
SEED = 20240601


def parse_vnnlib_centre(path):
    """Box centre (lo/2 + hi/2, in float64, like splinecam) of the X_i bounds."""
    lo, hi = {}, {}
    with open(path) as f:
        for line in f:
            line = line.split(";")[0].strip()
            if not line.startswith("(assert") or "Y_" in line or "X_" not in line:
                continue
            toks = line.replace("(", " ").replace(")", " ").split()
            op, a, b = toks[1], toks[2], toks[3]
            if a.startswith("X_"):
                i, v, upper = int(a[2:]), float(b), op == "<="
            else:
                i, v, upper = int(b[2:]), float(a), op == ">="
            d = hi if upper else lo
            d[i] = min(d.get(i, v), v) if upper else max(d.get(i, v), v)
    n = len(lo)
    return np.array([lo[i] / 2.0 + hi[i] / 2.0 for i in range(n)], dtype=np.float64)


def strip_final(model):
    """Remove a final Softmax/LogSoftmax/Sigmoid; return (model, removed?)."""
    m = copy.deepcopy(model)
    g = m.graph
    out = g.output[0].name
    last = [n for n in g.node if out in n.output]
    if last and last[0].op_type in ("Softmax", "LogSoftmax", "Sigmoid"):
        node = last[0]
        g.node.remove(node)
        new_out = helper.make_tensor_value_info(node.input[0], g.output[0].type.tensor_type.elem_type, None)
        del g.output[:]
        g.output.append(new_out)
        return m, True
    return m, False


def to_f64(model):
    """Copy of the model with every float32 tensor cast (exactly) to float64."""
    m = copy.deepcopy(model)
    g = m.graph
    for i, t in enumerate(g.initializer):
        if t.data_type == TensorProto.FLOAT:
            a = numpy_helper.to_array(t).astype(np.float64)
            g.initializer[i].CopyFrom(numpy_helper.from_array(a, t.name))
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.FLOAT:
                arr = numpy_helper.to_array(a.t).astype(np.float64)
                a.t.CopyFrom(numpy_helper.from_array(arr, a.t.name))
    for v in list(g.input) + list(g.output) + list(g.value_info):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            v.type.tensor_type.elem_type = TensorProto.DOUBLE
    return m


class BatchNormalization(OpRun):
    """Inference-mode batch norm. onnx 1.17's reference BatchNormalization runs in
    training mode when the training_mode attribute is absent, so we override it."""
    op_domain = ""

    def _run(self, x, scale, bias, mean, var, epsilon=None, momentum=None, training_mode=None, spatial=None, is_test=None, consumed_inputs=None):
        eps = 1e-5 if epsilon is None else epsilon
        sh = (-1,) + (1,) * (x.ndim - 2)
        return ((scale.reshape(sh) * (x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + eps) + bias.reshape(sh)).astype(x.dtype),)


def input_info(model):
    inits = {t.name for t in model.graph.initializer}
    inp = [i for i in model.graph.input if i.name not in inits][0]
    dims = [d.dim_value if d.dim_value > 0 else 1 for d in inp.type.tensor_type.shape.dim]
    return inp.name, dims, inp.type.tensor_type.elem_type


def evaluate(model, x):
    """(f64 reference-evaluator output, onnxruntime float32 output) at flat x."""
    stripped, _ = strip_final(model)
    name, dims, et = input_info(stripped)
    m64 = to_f64(stripped)
    ref = ReferenceEvaluator(m64, new_ops=[BatchNormalization])
    y64 = np.asarray(ref.run(None, {name: x.reshape(dims).astype(np.float64)})[0], dtype=np.float64).ravel()
    sess = ort.InferenceSession(stripped.SerializeToString(), providers=["CPUExecutionProvider"])
    dt = np.float64 if et == TensorProto.DOUBLE else np.float32
    y32 = np.asarray(sess.run(None, {name: x.reshape(dims).astype(dt)})[0], dtype=np.float64).ravel()
    return y64, y32


# ---------------------------------------------------------------- fixtures

rng = np.random.default_rng(SEED)


def W(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def init(name, arr):
    return numpy_helper.from_array(arr, name)


def make_model(name, nodes, inits, in_shape, out_name, opset=13, in_type=TensorProto.FLOAT, batch_param=False):
    dims = list(in_shape)
    if batch_param:
        dims[0] = "N"
    g = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", in_type, dims)],
        [helper.make_tensor_value_info(out_name, in_type, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="splinecam-fixtures")
    m.ir_version = 7 if opset <= 13 else 8
    return m


def fixture_models():
    ms = {}
    # 1. Dense ops: Gemm (transB), LeakyRelu, MatMul, Add const, Abs, Gemm (C, alpha/beta 1), final Softmax.
    n = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h1"], transB=1),
        helper.make_node("LeakyRelu", ["h1"], ["a1"], alpha=0.1),
        helper.make_node("MatMul", ["a1", "w2"], ["h2"]),
        helper.make_node("Add", ["h2", "b2"], ["h3"]),
        helper.make_node("Abs", ["h3"], ["a2"]),
        helper.make_node("Gemm", ["a2", "w3", "b3"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
    ]
    ms["dense_ops.onnx"] = make_model("dense_ops", n, [init("w1", W(8, 6)), init("b1", W(8)), init("w2", W(8, 7)), init("b2", W(7)),
                                                        init("w3", W(7, 4)), init("b3", W(1, 4))], [1, 6], "probs", batch_param=True)
    # 2. Convolutions: strided+padded Conv, BatchNorm (folded), Relu, dilated grouped Conv, PRelu, Pad (input form),
    #    AveragePool count_include_pad=1 with pads, MaxPool with pads/dilation, Flatten, Gemm.
    n = [
        helper.make_node("Conv", ["x", "c1", "cb1"], ["y1"], strides=[2, 2], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization", ["y1", "bn_s", "bn_b", "bn_m", "bn_v"], ["y2"], epsilon=1e-3),
        helper.make_node("Relu", ["y2"], ["y3"]),
        helper.make_node("Conv", ["y3", "c2"], ["y4"], dilations=[2, 2], group=2, pads=[2, 1, 2, 1]),
        helper.make_node("PRelu", ["y4", "slope"], ["y5"]),
        helper.make_node("Pad", ["y5", "pads"], ["y6"], mode="constant"),
        helper.make_node("AveragePool", ["y6"], ["y7"], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=1),
        helper.make_node("MaxPool", ["y7"], ["y8"], kernel_shape=[2, 2], strides=[2, 1], pads=[0, 1, 0, 0], dilations=[1, 2]),
        helper.make_node("Flatten", ["y8"], ["y9"], axis=1),
        helper.make_node("Gemm", ["y9", "fw", "fb"], ["out"], transB=1),
    ]
    c = 4
    inits = [init("c1", W(c, 2, 3, 3)), init("cb1", W(c)),
             init("bn_s", (1 + 0.2 * rng.standard_normal(c)).astype(np.float32)), init("bn_b", W(c)),
             init("bn_m", W(c)), init("bn_v", (0.5 + rng.random(c)).astype(np.float32)),
             init("c2", W(4, 2, 3, 2)), init("slope", W(4, 1, 1, scale=0.2)),
             init("pads", np.array([0, 0, 1, 0, 0, 0, 0, 1], dtype=np.int64))]
    # shapes: x 1x2x9x9 -> conv s2 p1 -> 4x5x5 -> dil2 k3x2 pads(2,1,2,1) -> 4x5x5 -> pad -> 4x6x6 -> avg -> 4x6x6 -> max -> 4x3x5
    inits += [init("fw", W(3, 4 * 3 * 5)), init("fb", W(3))]
    ms["conv_ops.onnx"] = make_model("conv_ops", n, inits, [1, 2, 9, 9], "out")
    # 3. Residual, concat and element-wise constants.
    n = [
        helper.make_node("Conv", ["x", "ca", "cab"], ["a"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["a"], ["ar"]),
        helper.make_node("Conv", ["ar", "cb"], ["b"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["a", "b"], ["r"]),
        helper.make_node("Identity", ["r"], ["ri"]),
        helper.make_node("Dropout", ["ri"], ["rd"]),
        helper.make_node("Mul", ["rd", "mulc"], ["m"]),
        helper.make_node("Div", ["m", "divc"], ["d"]),
        helper.make_node("Sub", ["d", "subc"], ["s"]),
        helper.make_node("BatchNormalization", ["s", "bn_s", "bn_b", "bn_m", "bn_v"], ["bn"]),
        helper.make_node("Sub", ["s", "bn"], ["s2"]),
        helper.make_node("Relu", ["s2"], ["sr"]),
        helper.make_node("Concat", ["sr", "a"], ["cat"], axis=1),
        helper.make_node("AveragePool", ["cat"], ["ap"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=0),
        helper.make_node("GlobalAveragePool", ["cat"], ["gp"]),
        helper.make_node("Reshape", ["ap", "shape1"], ["apf"]),
        helper.make_node("Reshape", ["gp", "shape2"], ["gpf"]),
        helper.make_node("Concat", ["apf", "gpf"], ["feat"], axis=-1),
        helper.make_node("MatMul", ["feat", "fw"], ["out0"]),
        helper.make_node("Sub", ["out0c", "out0"], ["out"]),
    ]
    n.insert(len(n) - 1, helper.make_node("Constant", [], ["out0c"], value=numpy_helper.from_array(W(1, 3), "c")))
    inits = [init("ca", W(3, 3, 3, 3)), init("cab", W(3)), init("cb", W(3, 3, 3, 3)),
             init("mulc", W(1, 3, 1, 1)), init("divc", np.array([3.0], dtype=np.float32)), init("subc", W(3, 1, 1)),
             init("bn_s", W(3)), init("bn_b", W(3)), init("bn_m", W(3)), init("bn_v", (0.5 + rng.random(3)).astype(np.float32)),
             init("shape1", np.array([0, -1], dtype=np.int64)), init("shape2", np.array([1, 6], dtype=np.int64)),
             init("fw", W(6 * 9 + 6, 3))]
    ms["residual_ops.onnx"] = make_model("residual_ops", n, inits, [1, 3, 5, 5], "out")
    # 4. Maxout via MaxPool over consecutive groups of 3 units, final Sigmoid.
    n = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1),
        helper.make_node("Reshape", ["h", "s1"], ["hr"]),
        helper.make_node("MaxPool", ["hr"], ["mx"], kernel_shape=[1, 3], strides=[1, 3]),
        helper.make_node("Flatten", ["mx"], ["mf"]),
        helper.make_node("Gemm", ["mf", "w2", "b2"], ["out"], transB=1),
        helper.make_node("Sigmoid", ["out"], ["p"]),
    ]
    ms["maxout_pool.onnx"] = make_model("maxout_pool", n, [init("w1", W(12, 3)), init("b1", W(12)), init("s1", np.array([1, 1, 4, 3], dtype=np.int64)),
                                                           init("w2", W(2, 4)), init("b2", W(2))], [1, 3], "p")
    # 5. Old opset: Pad with attributes, BatchNormalization after Gemm (folded), Dropout.
    n = [
        helper.make_node("Conv", ["x", "c1"], ["y"], kernel_shape=[2, 2]),
        helper.make_node("Pad", ["y"], ["yp"], mode="constant", pads=[0, 0, 1, 1, 0, 0, 0, 0], value=0.0),
        helper.make_node("Relu", ["yp"], ["yr"]),
        helper.make_node("Flatten", ["yr"], ["f"]),
        helper.make_node("Gemm", ["f", "w", "b"], ["g"], transB=1),
        helper.make_node("BatchNormalization", ["g", "bn_s", "bn_b", "bn_m", "bn_v"], ["bn"]),
        helper.make_node("Dropout", ["bn"], ["out"]),
    ]
    ms["opset9_pad.onnx"] = make_model("opset9_pad", n, [init("c1", W(2, 1, 2, 2)), init("w", W(5, 2 * 3 * 3)), init("b", W(5)),
                                                        init("bn_s", W(5)), init("bn_b", W(5)), init("bn_m", W(5)),
                                                        init("bn_v", (0.5 + rng.random(5)).astype(np.float32))], [1, 1, 3, 3], "out", opset=9)
    # 6. Double weights stored in typed fields (not raw_data), double input.
    w1 = helper.make_tensor("w1", TensorProto.DOUBLE, [3, 5], rng.standard_normal(15).tolist())
    b1 = helper.make_tensor("b1", TensorProto.DOUBLE, [5], rng.standard_normal(5).tolist())
    w2 = helper.make_tensor("w2", TensorProto.DOUBLE, [5, 2], rng.standard_normal(10).tolist())
    n = [helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("Add", ["h", "b1"], ["h2"]),
         helper.make_node("Relu", ["h2"], ["r"]), helper.make_node("MatMul", ["r", "w2"], ["out"])]
    ms["typed_f64.onnx"] = make_model("typed_f64", n, [w1, b1, w2], [1, 3], "out", opset=11, in_type=TensorProto.DOUBLE)
    return ms


def bad_models():
    ms = {}
    base = lambda nodes, inits, **kw: make_model("bad", nodes, inits, [1, 4], nodes[-1].output[0], **kw)
    ms["bad_tanh_middle.onnx"] = base([helper.make_node("Gemm", ["x", "w", "b"], ["h"], transB=1, name="fc1"),
                                       helper.make_node("Tanh", ["h"], ["t"], name="act1"),
                                       helper.make_node("Gemm", ["t", "w2", "b2"], ["out"], transB=1, name="fc2")],
                                      [init("w", W(3, 4)), init("b", W(3)), init("w2", W(2, 3)), init("b2", W(2))])
    wn = W(3, 4)
    wn[1, 2] = np.nan
    ms["bad_nan_weight.onnx"] = base([helper.make_node("Gemm", ["x", "w", "b"], ["out"], transB=1, name="fc_nan")], [init("w", wn), init("b", W(3))])
    ms["bad_missing_init.onnx"] = base([helper.make_node("Gemm", ["x", "w", "b"], ["out"], transB=1, name="fc_missing")], [init("w", W(3, 4))])
    ms["bad_shape_mismatch.onnx"] = base([helper.make_node("Gemm", ["x", "w", "b"], ["out"], transB=1, name="fc_shape")], [init("w", W(3, 5)), init("b", W(3))])
    ms["bad_unsupported_op.onnx"] = base([helper.make_node("Gemm", ["x", "w", "b"], ["h"], transB=1, name="fc1"),
                                          helper.make_node("Clip", ["h"], ["out"], name="clip1")],
                                         [init("w", W(3, 4)), init("b", W(3))])
    m = base([helper.make_node("Gemm", ["x", "w", "b"], ["out"], transB=1, name="fc1")], [init("w", W(3, 4)), init("b", W(3))])
    m.graph.input[0].type.tensor_type.shape.dim[1].ClearField("dim_value")
    m.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "features"
    ms["bad_dynamic_dim.onnx"] = m
    return ms


def json_fixture():
    """Native-format model with maxout, leaky-ReLU, abs, prelu; reference by numpy."""
    w1, b1 = W(6, 2).astype(np.float64), W(6).astype(np.float64)
    w2, b2 = W(2, 3).astype(np.float64), W(2).astype(np.float64)
    model = {"format": "splinecam-model", "version": 1, "input_shape": [2], "ops": [
        {"op": "dense", "weight": w1.tolist(), "bias": b1.tolist()},
        {"op": "maxout", "pieces": 2},
        {"op": "leaky_relu", "alpha": 0.125},
        {"op": "abs"},
        {"op": "dense", "weight": w2.tolist(), "bias": b2.tolist()},
        {"op": "prelu", "slope": [0.25, -0.5]},
    ], "output_transform": "softmax"}

    def run(x):
        h = w1 @ x + b1
        h = h.reshape(3, 2).max(axis=1)
        h = np.where(h > 0, h, 0.125 * h)
        h = np.abs(h)
        y = w2 @ h + b2
        return np.where(y > 0, y, np.array([0.25, -0.5]) * y)
    return model, run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.join(ROOT, "..", "shared", "models"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    result = {"generator": "scripts/reference_outputs.py", "seed": SEED,
              "versions": {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__},
              "real": [], "fixtures": []}
    real = [("acasxu", "ACASXU_run2a_1_1_batch_2000.onnx"), ("acasxu", "ACASXU_run2a_2_1_batch_2000.onnx"),
            ("mnistfc", "mnist-net_256x2.onnx"), ("verivital", "Convnet_maxpool.onnx"),
            ("verivital", "Convnet_avgpool.onnx"), ("cifar10_resnet", "resnet_2b.onnx")]
    for d, f in real:
        model = onnx.load(os.path.join(args.models, d, f))
        props = sorted(p for p in os.listdir(os.path.join(args.models, d)) if p.endswith(".vnnlib"))
        for p in props:
            x = parse_vnnlib_centre(os.path.join(args.models, d, p))
            y64, y32 = evaluate(model, x)
            result["real"].append({"model": f"{d}/{f}", "vnnlib": f"{d}/{p}", "input_len": int(x.size),
                                   "input_sum": float(x.sum()), "output_f64": y64.tolist(), "output_ort_f32": y32.tolist()})
            print(f"{d}/{f} {p}: {np.round(y64, 4)}", file=sys.stderr)
    for name, m in fixture_models().items():
        onnx.save(m, os.path.join(OUT, name))
        _, dims, _ = input_info(m)
        cases = []
        for _ in range(4):
            x = rng.standard_normal(int(np.prod(dims)))
            y64, y32 = evaluate(m, x)
            cases.append({"input": x.tolist(), "output_f64": y64.tolist(), "output_ort_f32": y32.tolist()})
        result["fixtures"].append({"model": name, "cases": cases})
    for name, m in bad_models().items():
        onnx.save(m, os.path.join(OUT, name))
    model, run = json_fixture()
    with open(os.path.join(OUT, "maxout_native.json"), "w") as f:
        json.dump(model, f, indent=1)
    cases = []
    for _ in range(6):
        x = rng.standard_normal(2)
        y = run(x)
        cases.append({"input": x.tolist(), "output_f64": y.tolist(), "output_ort_f32": y.tolist()})
    result["fixtures"].append({"model": "maxout_native.json", "cases": cases})
    with open(os.path.join(OUT, "reference_outputs.json"), "w") as f:
        json.dump(result, f, indent=1)
    print("wrote", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
