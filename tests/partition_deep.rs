//! Deep narrow networks, where the `f64` filter's worst-case bounds outgrow
//! the values (they grow like `(Σ|w|)^L` while the values shrink) and the
//! signs of the deep layers go to exact arithmetic: the exact forms then
//! come from checkpoints of their ancestors (`partition::exact_forms`), a
//! face whose exact form was made continues with its rounding (tight
//! bounds again), and the result must be the very partition the
//! pure-rational kernel makes, with every output within its bounds.

mod common;

use ndarray::{Array1, Array2};
use regioncam::nn::Linear;
use regioncam::{NNBuilder, Regioncam};
use splinecam::domain::Slice;
use splinecam::exact::Kernel;
use splinecam::partition::{Boundary, Options, Partition};

/// The benchmark's MLPs (PyTorch's initialisation, `f32` weights).
#[allow(dead_code)]
#[path = "../benches/common/mlp.rs"]
mod mlp;

fn square() -> Slice {
    Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).expect("slice")
}

fn run(net: &splinecam::net::Network, kernel: Kernel, boundary: Boundary) -> Partition {
    let opts = Options {
        kernel,
        boundary,
        ..Options::default()
    };
    Partition::compute(net, &square(), &opts).expect("partition")
}

/// regioncam's final face count of an MLP on the square.
fn regioncam_faces(layers: &[mlp::Dense]) -> usize {
    let square = [[-1.0f32, 1.0], [1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]];
    let mut rc = Regioncam::from_polygon(Array2::from_shape_fn((4, 2), |(i, j)| square[i][j]));
    for (i, mlp::Dense { weight: w, bias: b }) in layers.iter().enumerate() {
        let wt = Array2::from_shape_fn((w[0].len(), w.len()), |(i, o)| w[o][i]);
        rc.add(&Linear::new(wt, Array1::from_iter(b.iter().copied())));
        if i + 1 < layers.len() {
            rc.relu();
        }
    }
    rc.num_faces()
}

/// 2-8x70-1: exact signs in its deep layers with the filtered kernel, the
/// same partition as the rational kernel's (every sign exact), exactly
/// valid, with and without the decision boundary.
#[test]
fn a_deep_narrow_mlp_goes_exact_and_matches_the_rational_kernel() {
    let (width, depth) = (8, 70);
    let net = mlp::network(width, depth);
    for boundary in [Boundary::None, Boundary::Auto] {
        let fast = run(&net, Kernel::Filtered, boundary);
        let stats = fast.stats().predicates;
        // Without tightened bounds about 37,000 of 225,000 signs went
        // exact; tightened after a face's first exact sign, a few hundred.
        assert!(stats.exact > 0, "the deep layers' signs go exact");
        assert!(
            stats.exact * 50 < stats.filtered,
            "the rounded exact forms decide the rest: {stats:?}"
        );
        fast.validate().expect("valid partition");
        common::assert_outputs_within_bounds(&fast);
        let reference = run(&net, Kernel::Rational, boundary);
        common::identical(&fast, &reference).unwrap();
        if boundary == Boundary::None {
            // An independent count (regioncam, f32 on the same weights).
            let layers = mlp::mlp(&vec![width; depth], 1000 * width as u64 + depth as u64);
            assert_eq!(fast.num_regions(), regioncam_faces(&layers));
        }
    }
}
