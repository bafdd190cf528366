//! Differential tests against `regioncam` (SplineCam on a half-edge mesh in
//! `f32`), on generic networks, where its counts are right: random ReLU MLPs
//! with `f32` weights (PyTorch's default `nn.Linear` initialisation) on the
//! square [-1, 1]², the same numbers handed to both tools. The region
//! counts must agree layer by layer.

use ndarray::{Array1, Array2};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use rand::{Rng, SeedableRng};
use regioncam::nn::Linear;
use regioncam::{NNBuilder, Regioncam};
use splinecam::domain::Slice;
use splinecam::net::json;
use splinecam::partition::{Boundary, Options, Partition};

/// Layers `(weights [out][in], biases)` of a 2-input MLP with the given
/// hidden widths and one output, drawn as `f32` uniform in ±1/sqrt(fan_in).
fn layers(widths: &[usize], seed: u64) -> Vec<(Vec<Vec<f32>>, Vec<f32>)> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut fan_in = 2;
    let mut out = Vec::new();
    for &w in widths.iter().chain(&[1]) {
        let k = 1.0 / (fan_in as f32).sqrt();
        let mut draw = || rng.gen_range(-k..k);
        let weight = (0..w)
            .map(|_| (0..fan_in).map(|_| draw()).collect())
            .collect();
        let bias = (0..w).map(|_| draw()).collect();
        out.push((weight, bias));
        fan_in = w;
    }
    out
}

/// Our partition's face count after each hidden layer.
fn ours(layers: &[(Vec<Vec<f32>>, Vec<f32>)]) -> Vec<usize> {
    let mut ops = Vec::new();
    for (i, (w, b)) in layers.iter().enumerate() {
        let w: Vec<Vec<f64>> = w
            .iter()
            .map(|r| r.iter().map(|&x| f64::from(x)).collect())
            .collect();
        let b: Vec<f64> = b.iter().map(|&x| f64::from(x)).collect();
        ops.push(serde_json::json!({"op": "dense", "weight": w, "bias": b}));
        if i + 1 < layers.len() {
            ops.push(serde_json::json!({"op": "relu"}));
        }
    }
    let model = serde_json::json!({
        "format": "splinecam-model", "version": 1, "input_shape": [2], "ops": ops,
    });
    let net = json::from_str(&model.to_string()).expect("model");
    let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).expect("slice");
    let p = Partition::compute(
        &net,
        &slice,
        &Options {
            boundary: Boundary::None,
            ..Options::default()
        },
    )
    .expect("partition");
    p.validate().expect("valid partition");
    p.stats().faces_after_layer.clone()
}

/// regioncam's face count after each hidden layer (its ReLU).
fn theirs(layers: &[(Vec<Vec<f32>>, Vec<f32>)]) -> Vec<usize> {
    // The square, in the vertex order the bench hands regioncam.
    let square = [[-1.0f32, 1.0], [1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]];
    let mut rc = Regioncam::from_polygon(Array2::from_shape_fn((4, 2), |(i, j)| square[i][j]));
    let mut counts = Vec::new();
    for (i, (w, b)) in layers.iter().enumerate() {
        // regioncam's `Linear` computes `x · W + b`: weight is `[in][out]`.
        let wt = Array2::from_shape_fn((w[0].len(), w.len()), |(i, o)| w[o][i]);
        rc.add(&Linear::new(wt, Array1::from_iter(b.iter().copied())));
        if i + 1 < layers.len() {
            rc.relu();
            counts.push(rc.num_faces());
        }
    }
    counts
}

proptest! {
    #![proptest_config(Config {
        cases: 24,
        rng_seed: RngSeed::Fixed(0x5e9_10ca),
        failure_persistence: None,
        ..Config::default()
    })]

    /// Random generic MLPs (depth 1-3, widths 2-24): the same number of
    /// regions after every layer.
    #[test]
    fn counts_agree_with_regioncam_on_generic_networks(
        widths in prop::collection::vec(2usize..=24, 1..=3),
        seed in any::<u64>(),
    ) {
        let l = layers(&widths, seed);
        prop_assert_eq!(ours(&l), theirs(&l), "widths {:?} seed {}", widths, seed);
    }
}

/// One of the benchmark's shapes (2-64-64-1), a few thousand regions.
#[test]
fn counts_agree_with_regioncam_on_a_64_wide_net() {
    let l = layers(&[64, 64], 64_002);
    let (a, b) = (ours(&l), theirs(&l));
    assert_eq!(a, b);
    assert!(a[1] > 1000, "a few thousand regions: {a:?}");
}
