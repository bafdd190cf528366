//! Deep narrow networks. The fused dense kernel's cheap bounds grow like
//! the largest absolute row sum per layer (`(max Σ|w|)^L`) while the values
//! shrink, so deep layers used to leave most signs to exact arithmetic;
//! once a form's bounds outgrow its values the kernel bounds element-wise
//! (`AffineForm::loose`), which grows like the row sums over the inputs
//! that are on, and the filter decides every sign again. Deeper still,
//! a face whose signs the filter leaves gets its form tightened from a
//! double-double pass (`net::dd`) before any sign goes exact. Whichever
//! way a sign is decided, the result must be the very partition the
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

/// regioncam's final face count of the benchmark's MLP `2-WxD-1` on the
/// square (`f32`, the same weights).
fn regioncam_faces(width: usize, depth: usize) -> usize {
    let layers = mlp::mlp(&vec![width; depth], 1000 * width as u64 + depth as u64);
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

/// The filtered partition of the benchmark's MLP `2-WxD-1` on the square
/// (activation regions only), checked: valid, every output within its
/// bounds of the exact one, and regioncam's count (an independent one).
fn checked(width: usize, depth: usize) -> Partition {
    let p = run(
        &mlp::network(width, depth),
        Kernel::Filtered,
        Boundary::None,
    );
    p.validate().expect("valid partition");
    common::assert_outputs_within_bounds(&p);
    assert_eq!(p.num_regions(), regioncam_faces(width, depth));
    p
}

/// 2-8x70-1 (the benchmark's deep row): every sign decided by the filter
/// (with the fused kernel's scaled bounds throughout, 752 of 225,000 went
/// exact), the same partition as the rational kernel's (every sign exact),
/// exactly valid, with and without the decision boundary.
#[test]
fn a_deep_narrow_mlp_needs_no_exact_sign_and_matches_the_rational_kernel() {
    let (width, depth) = (8, 70);
    let net = mlp::network(width, depth);
    for boundary in [Boundary::None, Boundary::Auto] {
        let fast = run(&net, Kernel::Filtered, boundary);
        let stats = fast.stats().predicates;
        assert_eq!(stats.exact, 0, "element-wise bounds decide: {stats:?}");
        fast.validate().expect("valid partition");
        common::assert_outputs_within_bounds(&fast);
        let reference = run(&net, Kernel::Rational, boundary);
        common::identical(&fast, &reference).unwrap();
        if boundary == Boundary::None {
            // An independent count (regioncam, f32 on the same weights).
            assert_eq!(fast.num_regions(), regioncam_faces(width, depth));
        }
    }
}

/// 2-16x40-1: 40 layers of 16 units (1,117 exact signs with scaled bounds
/// throughout, none now); valid, every output within its bounds of the
/// exact one, and regioncam's count.
#[test]
fn a_deeper_wider_mlp_needs_no_exact_sign() {
    let stats = checked(16, 40).stats().predicates;
    assert_eq!(stats.exact, 0, "element-wise bounds decide: {stats:?}");
    assert!(stats.filtered > 100_000, "{stats:?}");
}

/// 2-24x60-1: deep and wide enough that the forms' element-wise bounds
/// outgrow the values. Taken through its layers by forms (run-ahead),
/// 459 faces needed a double-double pass, and without that tier 1,771
/// signs went exact. The vertex pass takes the settled mesh's faces
/// through the layers from the values at the vertices (one point's bounds,
/// which stay tight), so hardly a face needs either now: with the tier
/// no sign goes exact, without it 11 of 4.2 million, and both are the same
/// partition, vertex for vertex: valid, every output within its bounds of
/// the exact one, and regioncam's count. (The double-double tier is
/// exercised by the `|x|` network below, which the pass does not run on.)
#[test]
fn a_deeper_still_mlp_is_the_same_with_or_without_double_doubles() {
    let p = checked(24, 60);
    let stats = p.stats();
    assert_eq!(stats.predicates.exact, 0, "{stats:?}");
    assert!(
        stats.vertex_pass.iter().sum::<usize>() > 20_000,
        "{stats:?}"
    );
    let opts = Options {
        boundary: Boundary::None,
        double_double: false,
        ..Options::default()
    };
    let without = Partition::compute(&mlp::network(24, 60), &square(), &opts).expect("partition");
    let st = without.stats();
    // A face the pass leaves open deep down gets its form made again from
    // its last one, with that pass's bounds: a few signs may go exact.
    assert!(
        st.predicates.exact * 10_000 < st.predicates.filtered,
        "{st:?}"
    );
    assert_eq!(st.dd_tightened, 0, "{st:?}");
    without.validate().expect("valid partition");
    common::assert_outputs_within_bounds(&without);
    common::identical(&p, &without).unwrap();
}

/// The benchmark's MLP `2-WxD-1` with `|x|` for its activations (its
/// values do not shrink as a ReLU net's do, so its bounds outgrow them
/// sooner).
fn abs_mlp(width: usize, depth: usize) -> splinecam::net::Network {
    let layers = mlp::mlp(&vec![width; depth], 1000 * width as u64 + depth as u64);
    mlp::to_splinecam_with(&layers, "abs")
}

/// 2-16x40-1 with `|x|`: without the double-double tier 11 signs go exact;
/// with it none does (a few faces are tightened). The same partition
/// either way, vertex for vertex, exactly valid, every output within its
/// bounds, with and without the decision boundary.
#[test]
fn a_deep_abs_network_is_the_same_with_double_doubles_or_exact_forms() {
    let net = abs_mlp(16, 40);
    for boundary in [Boundary::None, Boundary::Auto] {
        let with = |double_double| Options {
            boundary,
            double_double,
            ..Options::default()
        };
        let dd = Partition::compute(&net, &square(), &with(true)).expect("partition");
        let exact = Partition::compute(&net, &square(), &with(false)).expect("partition");
        let (s, t) = (dd.stats(), exact.stats());
        assert_eq!(s.predicates.exact, 0, "{s:?}");
        assert!(s.dd_tightened > 0, "{s:?}");
        assert!(t.predicates.exact > 0, "{t:?}");
        dd.validate().expect("valid partition");
        common::assert_outputs_within_bounds(&dd);
        common::identical(&dd, &exact).unwrap();
    }
}
