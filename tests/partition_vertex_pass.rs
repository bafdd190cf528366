//! The vertex pass (`partition::vertex_pass`): on plain chains of dense
//! and ReLU layers deep enough for it, once the mesh is settled, every
//! layer's neurons are evaluated at the vertices and a face whose corners
//! agree on every sign is taken through the layer without its form. The
//! partition must be the very one the rational kernel makes (every sign
//! exact, no vertex pass), also on quantized networks whose lines pass
//! through vertices, run along each other or vanish, where the pass
//! leaves faces open and their forms are made again.

mod common;

use splinecam::domain::Slice;
use splinecam::exact::Kernel;
use splinecam::partition::{Boundary, Options, Partition};

fn square() -> Slice {
    Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).expect("slice")
}

/// A deep MLP from a fixed-seed LCG as native JSON: 2 inputs, `depth`
/// hidden layers of `width`, one output. `quantized`: weights in
/// {-2, ..., 2}/2 and biases in {-2, ..., 2}/4, with the last row of every
/// other layer a copy of its first (duplicated neurons) and a zero row in
/// every third; else weights uniform in ±1.5/sqrt(fan_in), biases ±0.3.
fn deep_mlp(width: usize, depth: usize, seed: u64, quantized: bool) -> String {
    let widths: Vec<usize> = [2]
        .into_iter()
        .chain(std::iter::repeat_n(width, depth))
        .chain([1])
        .collect();
    if !quantized {
        return common::lcg_mlp(&widths, seed);
    }
    common::lcg_mlp_with(
        &widths,
        seed,
        |d, _| (d * 2.5).round() / 2.0,
        |d| (d * 2.5).round() / 4.0,
        |l, weight, bias| {
            let n = weight.len();
            if n > 2 {
                if l % 2 == 0 {
                    weight[n - 1] = weight[0].clone();
                    bias[n - 1] = bias[0];
                }
                if l % 3 == 0 {
                    weight[1].fill(0.0);
                }
            }
        },
    )
}

fn run(json: &str, kernel: Kernel, boundary: Boundary) -> Partition {
    let net = splinecam::net::json::from_str(json).expect("network");
    let opts = Options {
        kernel,
        boundary,
        ..Options::default()
    };
    Partition::compute(&net, &square(), &opts).expect("partition")
}

/// Checks one network: the filtered partition is exactly valid, the same
/// as the rational kernel's vertex for vertex, each region's pattern is
/// the exact forward pass's at an interior point, and every output is
/// within its bounds. Returns (faces the pass took through a layer, faces
/// it left open), summed over the layers.
fn check(json: &str, boundary: Boundary) -> (usize, usize) {
    let fast = run(json, Kernel::Filtered, boundary);
    fast.validate().expect("valid partition");
    let reference = run(json, Kernel::Rational, boundary);
    let st = reference.stats();
    assert_eq!(st.vertex_pass.iter().sum::<usize>(), 0, "{st:?}");
    common::identical(&fast, &reference).unwrap();
    let net = splinecam::net::json::from_str(json).expect("network");
    let slice = square();
    for f in fast.regions() {
        let (u, v) = fast.interior_point(f);
        let (_, pattern) = net.forward_exact(&slice.point_exact(&u, &v)).unwrap();
        assert_eq!(pattern, fast.region(f).pattern, "region {f:?}");
    }
    common::assert_outputs_within_bounds(&fast);
    let st = fast.stats();
    (st.vertex_pass.iter().sum(), st.vertex_open.iter().sum())
}

/// Quantized deep nets (fixed seeds, 4x14, 6x16 and 5x20): lines through
/// vertices, duplicated and zero neurons. Every one is the rational
/// kernel's partition; together they take faces through layers by the
/// vertex pass and leave others open (made again from their last form).
#[test]
fn quantized_deep_networks_match_the_rational_kernel() {
    let (mut taken, mut open) = (0, 0);
    for seed in 0..6u64 {
        for (w, d) in [(4, 14), (6, 16), (5, 20)] {
            let (t, o) = check(&deep_mlp(w, d, seed, true), Boundary::None);
            taken += t;
            open += o;
        }
    }
    assert!(taken > 1000, "the vertex pass ran: {taken}");
    assert!(open > 500, "and left faces open: {open}");
}

/// Float deep nets (2-8x16-1, fixed seeds), with and without the decision
/// boundary (whose level lines read the regions' output forms, made again
/// from their last form where the pass took them through the last layers).
#[test]
fn float_deep_networks_match_the_rational_kernel_with_the_boundary() {
    let mut taken = 0;
    for seed in 0..4u64 {
        for boundary in [Boundary::None, Boundary::Auto] {
            taken += check(&deep_mlp(8, 16, seed, false), boundary).0;
        }
    }
    assert!(taken > 5000, "the vertex pass ran: {taken}");
}

/// Shallow plain nets (fewer than the pass's minimum of layers) and
/// deep ones with another activation never use it.
#[test]
fn the_pass_runs_only_on_deep_plain_chains() {
    let shallow = run(&deep_mlp(6, 8, 3, false), Kernel::Filtered, Boundary::None);
    assert_eq!(shallow.stats().vertex_pass.iter().sum::<usize>(), 0);
    let abs = deep_mlp(6, 16, 3, false).replace(r#"{"op":"relu"}"#, r#"{"op":"abs"}"#);
    let p = run(&abs, Kernel::Filtered, Boundary::None);
    p.validate().expect("valid partition");
    assert_eq!(p.stats().vertex_pass.iter().sum::<usize>(), 0);
    let plain = run(&deep_mlp(6, 16, 3, false), Kernel::Filtered, Boundary::None);
    assert!(plain.stats().vertex_pass.iter().sum::<usize>() > 0);
}
