//! Generated operator fixtures (`tests/fixtures/net/`, made by
//! `scripts/reference_outputs.py`): every supported operator, compared with
//! the independent float64 (onnx reference evaluator / numpy) and onnxruntime
//! float32 outputs; exact pass within the propagated f64 bound; JSON round trip.

use rug::Rational;
use serde_json::Value;
use splinecam::net::{json, onnx, AffineForm, Network, Op};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/net");

fn load(name: &str) -> Network {
    let p = format!("{DIR}/{name}");
    if name.ends_with(".json") {
        json::from_path(&p).unwrap_or_else(|e| panic!("{name}: {e}"))
    } else {
        onnx::from_path(&p).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn check_exact(net: &Network, x: &[f64], label: &str) {
    let (y, _) = net.forward_f64(x).expect("f64");
    let (ye, pe) = net.forward_exact_f64(x).expect("exact");
    let zero = vec![0.0; x.len()];
    let out = net
        .propagate_f64(
            AffineForm::input(x, &zero, &zero).expect("form"),
            &pe,
            |_, _| {},
        )
        .expect("propagate");
    assert_eq!(out.c(), y, "{label}: point form differs from the f64 pass");
    for (k, e) in ye.iter().enumerate() {
        let d = (e - Rational::from_f64(out.c()[k]).expect("finite")).abs();
        assert!(
            d <= Rational::from_f64(out.err_c()[k]).expect("finite"),
            "{label}: exact output {k} outside bound"
        );
    }
}

#[test]
fn fixtures_match_references() {
    let r: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{DIR}/reference_outputs.json")).expect("refs"),
    )
    .expect("json");
    let fixtures = r["fixtures"].as_array().expect("fixtures");
    assert!(fixtures.len() >= 7);
    for f in fixtures {
        let name = f["model"].as_str().expect("name");
        let net = load(name);
        net.validate().expect("validate");
        let back = json::from_str(&net.to_json()).expect("round trip");
        assert_eq!(
            back.nodes(),
            net.nodes(),
            "{name}: JSON round trip changes the network"
        );
        for (ci, case) in f["cases"].as_array().expect("cases").iter().enumerate() {
            let x = floats(&case["input"]);
            let (y, p) = net.forward_f64(&x).expect("f64");
            let (y2, p2) = back.forward_f64(&x).expect("f64");
            assert_eq!((&y, &p), (&y2, &p2));
            for (k, (a, b)) in y.iter().zip(floats(&case["output_f64"])).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                    "{name} case {ci} output {k}: {a} vs f64 reference {b}"
                );
            }
            for (k, (a, b)) in y.iter().zip(floats(&case["output_ort_f32"])).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                    "{name} case {ci} output {k}: {a} vs onnxruntime {b}"
                );
            }
            check_exact(&net, &x, &format!("{name} case {ci}"));
        }
    }
}

#[test]
fn fixtures_cover_every_operator() {
    let mut seen = std::collections::BTreeSet::new();
    for name in [
        "dense_ops.onnx",
        "conv_ops.onnx",
        "residual_ops.onnx",
        "maxout_pool.onnx",
        "opset9_pad.onnx",
        "typed_f64.onnx",
        "maxout_native.json",
    ] {
        let net = load(name);
        for n in net.nodes() {
            seen.insert(n.op.name());
            if let Op::Conv2d { groups, window, .. } = &n.op {
                if *groups > 1 {
                    seen.insert("conv2d(grouped)");
                }
                if window.dilation != [1, 1] {
                    seen.insert("conv2d(dilated)");
                }
                if window.stride != [1, 1] {
                    seen.insert("conv2d(strided)");
                }
            }
            if let Op::AvgPool {
                count_include_pad, ..
            } = &n.op
            {
                seen.insert(if *count_include_pad {
                    "avg_pool(include_pad)"
                } else {
                    "avg_pool(exclude_pad)"
                });
            }
        }
        if net.output_transform().is_some() {
            seen.insert("output_transform");
        }
    }
    for op in [
        "dense",
        "conv2d",
        "conv2d(grouped)",
        "conv2d(dilated)",
        "conv2d(strided)",
        "pad",
        "avg_pool(include_pad)",
        "avg_pool(exclude_pad)",
        "scale",
        "divide",
        "add_const",
        "add",
        "sub",
        "reshape",
        "concat",
        "relu",
        "leaky_relu",
        "prelu",
        "abs",
        "max_pool",
        "maxout",
        "output_transform",
    ] {
        assert!(seen.contains(op), "no fixture covers {op}; seen {seen:?}");
    }
}

#[test]
fn batchnorm_is_folded_into_conv_and_gemm() {
    // conv_ops: Conv -> BatchNormalization is one conv node; opset9_pad: Gemm -> BN is one dense node.
    let net = load("conv_ops.onnx");
    assert!(!net.nodes().iter().any(|n| n.name.contains("BatchNorm")));
    assert_eq!(net.nodes()[0].op.name(), "conv2d");
    assert_eq!(net.nodes()[1].op.name(), "relu");
    let net = load("opset9_pad.onnx");
    assert_eq!(net.nodes().last().map(|n| n.op.name()), Some("dense"));
    // residual_ops: BN after Sub has no foldable producer -> scale + add_const.
    let net = load("residual_ops.onnx");
    assert!(net.nodes().iter().any(|n| n.op.name() == "scale"));
}

#[test]
fn acas_bias_add_is_fused() {
    let net = onnx::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/models/acasxu/ACASXU_run2a_1_1_batch_2000.onnx"
    ))
    .expect("load");
    let names: Vec<&str> = net.nodes().iter().map(|n| n.op.name()).collect();
    assert_eq!(names[..4], ["add_const", "reshape", "dense", "relu"]);
    assert_eq!(net.layer_nodes().len(), 6);
}
