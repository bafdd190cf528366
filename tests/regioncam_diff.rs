//! Differential tests against `regioncam` (SplineCam on a half-edge mesh in
//! `f32`), on generic networks, where its counts are right: random ReLU MLPs
//! with `f32` weights (PyTorch's default `nn.Linear` initialisation) on the
//! square [-1, 1]², the same numbers handed to both tools. The region
//! counts must agree layer by layer.

use ndarray::{Array1, Array2};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use regioncam::nn::Linear;
use regioncam::{NNBuilder, Regioncam};
use splinecam::domain::Slice;
use splinecam::partition::{Boundary, Options, Partition};

/// The benchmark's MLPs (PyTorch's initialisation, `f32` weights).
#[allow(dead_code)]
#[path = "../benches/common/mlp.rs"]
mod mlp;

use mlp::Dense;

/// Our partition's face count after each hidden layer.
fn ours(layers: &[Dense]) -> Vec<usize> {
    let net = mlp::to_splinecam(layers);
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
fn theirs(layers: &[Dense]) -> Vec<usize> {
    // The square, in the vertex order the bench hands regioncam.
    let square = [[-1.0f32, 1.0], [1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]];
    let mut rc = Regioncam::from_polygon(Array2::from_shape_fn((4, 2), |(i, j)| square[i][j]));
    let mut counts = Vec::new();
    for (i, Dense { weight: w, bias: b }) in layers.iter().enumerate() {
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
        let l = mlp::mlp(&widths, seed);
        prop_assert_eq!(ours(&l), theirs(&l), "widths {:?} seed {}", widths, seed);
    }
}

/// One of the benchmark's shapes (2-64-64-1), a few thousand regions.
#[test]
fn counts_agree_with_regioncam_on_a_64_wide_net() {
    let l = mlp::mlp(&[64, 64], 64_002);
    let (a, b) = (ours(&l), theirs(&l));
    assert_eq!(a, b);
    assert!(a[1] > 1000, "a few thousand regions: {a:?}");
}
