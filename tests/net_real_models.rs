//! Real VNN-COMP 2021 models from `../shared/models`: load, evaluate at the
//! centre of every VNN-LIB box in f64 and exactly, and compare with the
//! independent references in `tests/fixtures/net/reference_outputs.json`
//! (regenerate with `scripts/reference_outputs.py`).

use std::time::Instant;

use rug::Rational;
use serde_json::Value;
use splinecam::io::vnnlib;
use splinecam::net::{onnx, AffineForm, Network, OpClass};

const MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/models");
const REFS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/net/reference_outputs.json"
);

fn refs() -> Value {
    serde_json::from_str(&std::fs::read_to_string(REFS).expect("reference file"))
        .expect("reference json")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// Checks one point: f64 pass vs references, exact pass vs f64 pass within the
/// rigorous propagated bound, and patterns equal wherever the bound decides.
fn check_point(
    net: &Network,
    x: &[f64],
    want64: &[f64],
    want32: &[f64],
    label: &str,
) -> std::time::Duration {
    let (y, pat) = net.forward_f64(x).expect("f64 pass");
    assert_eq!(y.len(), want64.len(), "{label}: output length");
    for (k, (a, b)) in y.iter().zip(want64).enumerate() {
        assert!(
            (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
            "{label}: output {k}: f64 {a} vs reference {b}"
        );
    }
    for (k, (a, b)) in y.iter().zip(want32).enumerate() {
        assert!(
            (a - b).abs() <= 2e-4 * (1.0 + b.abs()),
            "{label}: output {k}: f64 {a} vs onnxruntime f32 {b}"
        );
    }
    let t = Instant::now();
    let (ye, pat_e) = net.forward_exact_f64(x).expect("exact pass");
    let dt = t.elapsed();
    // Propagate the point (e1 = e2 = 0) as an f64 form under the exact pattern:
    // c is then the f64 forward value and err_c a rigorous bound on |c - exact|.
    let zero = vec![0.0; x.len()];
    let form = AffineForm::input(x, &zero, &zero).expect("form");
    let mut undecided = vec![Vec::new(); pat_e.layers.len()];
    let out = net
        .propagate_f64(form, &pat_e, |l, pre| {
            let node = &net.nodes()[net.layer_nodes()[l]];
            if let OpClass::Activation(_) = node.op.class() {
                undecided[l] = pre
                    .c()
                    .iter()
                    .zip(pre.err_c().iter())
                    .map(|(c, e)| c.abs() <= *e)
                    .collect();
            }
        })
        .expect("propagate");
    for k in 0..ye.len() {
        let diff = (&ye[k] - Rational::from_f64(out.c()[k]).expect("finite")).abs();
        assert!(
            diff <= Rational::from_f64(out.err_c()[k]).expect("finite"),
            "{label}: exact output {k} outside the f64 bound"
        );
        let e = ye[k].to_f64();
        assert!(
            (e - y[k]).abs() <= out.err_c()[k] + 2.0 * f64::EPSILON * e.abs(),
            "{label}: exact (rounded) {e} vs f64 {}",
            y[k]
        );
    }
    for (l, (a, b)) in pat.layers.iter().zip(&pat_e.layers).enumerate() {
        for (i, (sa, sb)) in a.iter().zip(b.iter()).enumerate() {
            let und = undecided[l].get(i).copied().unwrap_or(false);
            assert!(
                sa == sb || und,
                "{label}: layer {l} unit {i}: f64 state {sa} vs exact {sb} outside the error bound"
            );
        }
    }
    dt
}

#[test]
fn real_models_match_references() {
    let r = refs();
    let mut cache: Vec<(String, Network)> = Vec::new();
    for case in r["real"].as_array().expect("real") {
        let model = case["model"].as_str().expect("model");
        let prop = case["vnnlib"].as_str().expect("vnnlib");
        if !cache.iter().any(|(m, _)| m == model) {
            let t = Instant::now();
            let net = onnx::from_path(format!("{MODELS}/{model}"))
                .unwrap_or_else(|e| panic!("{model}: {e}"));
            eprintln!(
                "loaded {model} in {:?}: {} nodes",
                t.elapsed(),
                net.nodes().len()
            );
            cache.push((model.to_string(), net));
        }
        let net = &cache.iter().find(|(m, _)| m == model).expect("cached").1;
        let bx = vnnlib::read_input_box(format!("{MODELS}/{prop}")).expect("vnnlib");
        let x = bx.centre();
        assert_eq!(x.len(), net.input_len(), "{prop}");
        assert_eq!(x.len() as u64, case["input_len"].as_u64().expect("len"));
        let s: f64 = x.iter().sum();
        let want_sum = case["input_sum"].as_f64().expect("sum");
        assert!(
            (s - want_sum).abs() <= 1e-9 * (1.0 + want_sum.abs()),
            "{prop}: centre differs from the script's"
        );
        let dt = check_point(
            net,
            &x,
            &floats(&case["output_f64"]),
            &floats(&case["output_ort_f32"]),
            &format!("{model} @ {prop}"),
        );
        eprintln!("{model} @ {prop}: exact pass {dt:?}");
    }
}
