//! The point passes of `net::points` (the vertex pass's values) against a
//! pure-rational evaluation: at every stage of a random chain of dense and
//! ReLU nodes (dyadic weights with zeros and duplicated rows), at an exact
//! point known only as a nearby `f64` point within a radius, every value
//! is within its bound of the exact one, and every sign
//! `predicates::value_sign` proves is the exact sign. Degenerate points
//! (a neuron exactly zero there) get no sign.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use rug::Rational;
use splinecam::exact::predicates::value_sign;
use splinecam::exact::Sign;
use splinecam::net::points::{form_at_point_f64, relu_points_f64};
use splinecam::net::{json, AffineForm, Network, Op};

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x0009_01d5),
        failure_persistence: None,
        ..Config::default()
    }
}

/// A chain of `widths.len()` dense layers, ReLU between them, from a
/// 3-input network; weights `k/8` for `k` in `-8..=8` (a quarter zeros
/// among them by the draw), every layer's last row a copy of its first.
fn chain() -> impl Strategy<Value = String> {
    prop::collection::vec(1usize..6, 1..5).prop_flat_map(|widths| {
        let mut fan = 3;
        let mut shapes = Vec::new();
        for w in &widths {
            shapes.push((fan, *w));
            fan = *w;
        }
        let layers: Vec<_> = shapes
            .into_iter()
            .map(|(i, o)| {
                (
                    prop::collection::vec(prop::collection::vec(-8i32..=8, i), o),
                    prop::collection::vec(-8i32..=8, o),
                )
            })
            .collect();
        layers.prop_map(|layers| {
            let mut ops = Vec::new();
            for (mut w, b) in layers {
                let last = w.len() - 1;
                w[last] = w[0].clone();
                let w: Vec<Vec<f64>> = w
                    .iter()
                    .map(|r| r.iter().map(|k| *k as f64 / 8.0).collect())
                    .collect();
                let b: Vec<f64> = b.iter().map(|k| *k as f64 / 8.0).collect();
                ops.push(serde_json::json!({"op": "dense", "weight": w, "bias": b}).to_string());
                ops.push(r#"{"op":"relu"}"#.to_string());
            }
            format!(
                r#"{{"format":"splinecam-model","version":1,"input_shape":[3],"ops":[{}]}}"#,
                ops.join(",")
            )
        })
    })
}

fn rat(x: f64) -> Rational {
    Rational::from_f64(x).expect("finite")
}

/// `|x̂ − x| ≤ e` for every element, and proven signs are right.
fn assert_bounds(xs: &[f64], es: &[f64], exact: &[Rational], what: &str) {
    for (k, ((x, e), z)) in xs.iter().zip(es).zip(exact).enumerate() {
        let diff = (rat(*x) - z).abs();
        assert!(diff <= rat(*e), "{what} {k}: {x} ± {e}, exact {z}");
        match value_sign(*x, *e) {
            Some(Sign::Positive) => assert!(*z > 0, "{what} {k}: {z} proven positive"),
            Some(Sign::Negative) => assert!(*z < 0, "{what} {k}: {z} proven negative"),
            Some(Sign::Zero) => panic!("value_sign never says zero"),
            None => {}
        }
        if *z == 0 {
            assert_eq!(value_sign(*x, *e), None, "{what} {k}: zero gets no sign");
        }
    }
}

/// Runs the chain at the exact point `(u, v)` given as `(û, v̂)` within `r`.
fn check(net: &Network, uv: (Rational, Rational), xy: [f64; 2], r: f64) {
    // The input plane: (u, v) ↦ (0.1 + u, v − u/4, 3/8): inexact origin.
    let input = AffineForm::input(&[0.1, 0.0, 0.375], &[1.0, -0.25, 0.0], &[0.0, 1.0, 0.0])
        .expect("input form");
    let (u, v) = uv;
    let mut exact: Vec<Rational> = vec![
        rat(0.1) + u.clone(),
        v.clone() - u.clone() / 4,
        Rational::from((3, 8)),
    ];
    let (mut x, mut e) = (vec![0.0; 3], vec![0.0; 3]);
    form_at_point_f64(&input, xy, r, &mut x, &mut e);
    assert_bounds(&x, &e, &exact, "input");
    for (i, node) in net.nodes().iter().enumerate() {
        match &node.op {
            Op::Dense {
                weight,
                bias,
                in_features,
                out_features,
            } => {
                exact = (0..*out_features)
                    .map(|o| {
                        let mut z = rat(bias[o]);
                        for (j, xj) in exact.iter().enumerate() {
                            z += rat(weight[o * in_features + j]) * xj.clone();
                        }
                        z
                    })
                    .collect();
                let (mut y, mut ye) = (vec![0.0; *out_features], vec![0.0; *out_features]);
                net.dense_points_f64(i, &x, &e, &mut y, &mut ye)
                    .expect("dense");
                (x, e) = (y, ye);
                assert_bounds(&x, &e, &exact, &format!("node {i}"));
            }
            Op::Relu => {
                for z in exact.iter_mut() {
                    if *z < 0 {
                        *z = Rational::new();
                    }
                }
                relu_points_f64(&mut x, &mut e);
                assert_bounds(&x, &e, &exact, &format!("relu {i}"));
            }
            op => panic!("unexpected {}", op.name()),
        }
    }
}

proptest! {
    #![proptest_config(config(300))]

    /// Random chains at random points: exact (radius 0) and known within
    /// a radius (the `f64` point off the exact one by up to `r`).
    #[test]
    fn point_passes_bound_the_exact_values(
        json in chain(),
        (a, b) in (-64i32..=64, -64i32..=64),
        (da, db) in (-4i32..=4, -4i32..=4),
        tiny in any::<bool>(),
    ) {
        let net = json::from_str(&json).unwrap();
        let (u, v) = (a as f64 / 64.0, b as f64 / 64.0);
        check(&net, (rat(u), rat(v)), [u, v], 0.0);
        // The exact point off the f64 point by (da, db)·r/4.
        let r = if tiny { 1e-15 } else { 1.0 / 1024.0 };
        let exact = (
            rat(u) + rat(r) * Rational::from((da, 4)),
            rat(v) + rat(r) * Rational::from((db, 4)),
        );
        check(&net, exact, [u, v], r);
    }
}

/// Degenerate input: a neuron exactly zero at the point (its line through
/// the point), duplicated and zero neurons, zero weights: no sign is
/// proven where the value is zero, the rest are right.
#[test]
fn a_point_on_a_neurons_line_gets_no_sign() {
    let net = json::from_str(
        r#"{"format":"splinecam-model","version":1,"input_shape":[3],
          "ops":[{"op":"dense","weight":[[1,-1,0],[1,-1,0],[0,0,0],[2,0,0]],"bias":[0,0,0,-1]},
                 {"op":"relu"},{"op":"dense","weight":[[1,1,1,1],[0,0,0,0]],"bias":[0,0.5]}]}"#,
    )
    .unwrap();
    // Input (0.1 + u, v − u/4, 3/8) at u = 0.4, v = 0.6: both coordinates
    // 0.5 exactly, so neurons 0 and 1 (x − y) and 2 (zero row) are 0, and
    // neuron 3 (2x − 1) is 0 too.
    for r in [0.0, 1e-12] {
        check(&net, (rat(0.4), rat(0.6)), [0.4, 0.6], r);
    }
    let (mut x, mut e) = (vec![0.5, 0.5, 0.375], vec![0.0; 3]);
    let (mut y, mut ye) = (vec![0.0; 4], vec![0.0; 4]);
    net.dense_points_f64(0, &x, &e, &mut y, &mut ye).unwrap();
    assert_eq!(y, [0.0; 4]);
    assert!(y.iter().zip(&ye).all(|(a, b)| value_sign(*a, *b).is_none()));
    relu_points_f64(&mut y, &mut ye);
    assert_eq!(y, [0.0; 4]);
    // A wrong-size call is an error naming the node, not a panic.
    x.push(1.0);
    e.push(0.0);
    let err = net
        .dense_points_f64(0, &x, &e, &mut y, &mut ye)
        .unwrap_err();
    assert!(err.to_string().contains("node 0"), "{err}");
    let err = net
        .dense_points_f64(1, &x, &e, &mut y, &mut ye)
        .unwrap_err();
    assert!(err.to_string().contains("not dense"), "{err}");
}

proptest! {
    #![proptest_config(config(300))]

    /// One dense node with full-precision weights (`k/7`, `k/9` rounded)
    /// at exact inputs (bounds 0): the products and sums round, and the
    /// bounds still hold (they are the rounding alone here).
    #[test]
    fn rounding_alone_is_bounded(
        (w, b, x) in (1usize..7, 1usize..7).prop_flat_map(|(i, o)| (
            prop::collection::vec(-9i32..=9, i * o),
            prop::collection::vec(-9i32..=9, o),
            prop::collection::vec(-1000i32..=1000, i),
        )),
        zero_bias in any::<bool>(),
    ) {
        let (i, o) = (x.len(), b.len());
        let weight: Vec<Vec<f64>> = w
            .chunks(i)
            .enumerate()
            .map(|(r, c)| c.iter().map(|k| *k as f64 / if r % 2 == 0 { 7.0 } else { 9.0 }).collect())
            .collect();
        let bias: Vec<f64> = b.iter().map(|k| if zero_bias { 0.0 } else { *k as f64 / 7.0 }).collect();
        let net = json::from_str(&format!(
            r#"{{"format":"splinecam-model","version":1,"input_shape":[{i}],"ops":[{}]}}"#,
            serde_json::json!({"op": "dense", "weight": weight, "bias": bias})
        ))
        .unwrap();
        let xs: Vec<f64> = x.iter().map(|k| *k as f64 / 3.0).collect();
        let exact: Vec<Rational> = (0..o)
            .map(|r| {
                let mut z = rat(bias[r]);
                for (j, xj) in xs.iter().enumerate() {
                    z += rat(weight[r][j]) * rat(*xj);
                }
                z
            })
            .collect();
        let (mut y, mut ye) = (vec![0.0; o], vec![0.0; o]);
        net.dense_points_f64(0, &xs, &vec![0.0; i], &mut y, &mut ye).unwrap();
        assert_bounds(&y, &ye, &exact, "dense");
    }
}
