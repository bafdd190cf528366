//! Property tests of the partition on random small networks (depth 1-4,
//! widths 1-12, ReLU / leaky-ReLU / abs / maxout / PReLU, quantized and
//! float weights, planted duplicated, negated, zero and dead neurons) and
//! random boxes.

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use rug::Rational;
use splinecam::exact::{Kernel, Line};
use splinecam::mesh::FaceId;
use splinecam::partition::{Boundary, Options, Partition};
use splinecam::strategies::{
    layer_spec, network_case, network_json, LayerSpec, NetworkCase, WeightKind,
};

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x0005_911e),
        failure_persistence: None,
        ..Config::default()
    }
}

fn opts(kernel: Kernel, boundary: Boundary) -> Options {
    Options {
        kernel,
        boundary,
        ..Options::default()
    }
}

/// Same mesh, vertex for vertex, and same region data.
fn assert_identical(a: &Partition, b: &Partition) -> Result<(), TestCaseError> {
    common::identical(a, b).map_err(TestCaseError::fail)
}

/// The region whose closure contains the exact point `p`, and whether `p`
/// is strictly inside it.
fn locate(p: &Partition, x: &(Rational, Rational)) -> Option<(FaceId, bool)> {
    let mut on_edge = None;
    for f in p.regions() {
        let pts: Vec<(Rational, Rational)> = p
            .mesh()
            .face_vertices(f)
            .map(|v| p.mesh().vertex_exact(v).unwrap())
            .collect();
        let n = pts.len();
        let mut strict = true;
        let mut inside = true;
        for i in 0..n {
            let l = Line::through(&pts[i], &pts[(i + 1) % n]).unwrap();
            let s = l.exact().eval(&x.0, &x.1);
            if s < 0 {
                inside = false;
                break;
            }
            if s == 0 {
                strict = false;
            }
        }
        if inside && strict {
            return Some((f, true));
        }
        if inside {
            on_edge = Some((f, false));
        }
    }
    on_edge
}

proptest! {
    #![proptest_config(config(250))]

    /// (a) Every partition validates exactly, and the filtered kernel gives
    /// the identical partition as the rational one.
    #[test]
    fn random_networks_validate_and_match_the_reference(case in network_case(4, 12)) {
        let net = case.network();
        let slice = case.slice();
        let fast = Partition::compute(&net, &slice, &opts(Kernel::Filtered, Boundary::Auto)).unwrap();
        if let Err(e) = fast.validate() {
            return Err(TestCaseError::fail(format!("{e}")));
        }
        let exact = Partition::compute(&net, &slice, &opts(Kernel::Rational, Boundary::Auto)).unwrap();
        assert_identical(&fast, &exact)?;
    }

    /// Without output forms (and without a boundary) the partition skips
    /// the network's last dense layer: the mesh, patterns and counts are
    /// identical to a partition that makes them, in the fast and the
    /// rational kernel, whole or in halves. The forms made on demand
    /// (`Partition::output`) hold the exact maps within their bounds. With
    /// a boundary, which needs the forms, the option changes nothing, the
    /// forms' bits included.
    #[test]
    fn skipping_output_forms_changes_no_region(case in network_case(4, 12)) {
        let net = case.network();
        let slice = case.slice();
        for (kernel, halves) in [(Kernel::Filtered, true), (Kernel::Filtered, false), (Kernel::Rational, true)] {
            let run = |boundary, output_forms| {
                let o = Options { kernel, boundary, halves, output_forms, ..Options::default() };
                Partition::compute(&net, &slice, &o).unwrap()
            };
            let (with, without) = (run(Boundary::None, true), run(Boundary::None, false));
            assert_identical(&with, &without)?;
            prop_assert_eq!(&with.stats().faces_after_layer, &without.stats().faces_after_layer);
            common::assert_outputs_within_bounds(&without);
            let (with, without) = (run(Boundary::Auto, true), run(Boundary::Auto, false));
            assert_identical(&with, &without)?;
            for f in with.regions() {
                let (a, b) = (with.output(f).unwrap(), without.output(f).unwrap());
                prop_assert_eq!(a, b, "{:?}", f);
            }
        }
    }

    /// (c) Point location: at grid points, the region containing the point
    /// has the pattern of an exact forward pass there.
    #[test]
    fn point_location_agrees_with_forward_passes(case in network_case(3, 8)) {
        let net = case.network();
        let slice = case.slice();
        let p = Partition::compute(&net, &slice, &opts(Kernel::Filtered, Boundary::None)).unwrap();
        let [u0, u1, v0, v1] = case.bounds.map(|x| Rational::from_f64(x).unwrap());
        let steps = 7;
        for i in 0..=steps {
            for j in 0..=steps {
                let u = &u0 + Rational::from(&u1 - &u0) * Rational::from((i, steps));
                let v = &v0 + Rational::from(&v1 - &v0) * Rational::from((j, steps));
                let pt = (u.clone(), v.clone());
                let (f, strict) = locate(&p, &pt).expect("every point of the box lies in some region");
                let (y, pattern) = net.forward_exact(&slice.point_exact(&u, &v)).unwrap();
                if strict {
                    prop_assert_eq!(&pattern, &p.region(f).pattern);
                }
                // Inside or on the boundary of f, f's exact output map gives
                // the network's output (continuity).
                let map = p.output_exact(f).unwrap();
                for (k, [a, b, c]) in map.iter().enumerate() {
                    let val = Rational::from(a * &u) + Rational::from(b * &v) + c;
                    prop_assert_eq!(&val, &y[k]);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(300))]

    /// (b) One hidden ReLU layer: the regions are the faces of the
    /// arrangement of the neurons' lines, counted by an independent formula.
    #[test]
    fn one_hidden_layer_matches_the_arrangement_formula(
        width in 1usize..=16,
        kind in prop_oneof![Just(WeightKind::Quantized), Just(WeightKind::Float), Just(WeightKind::Mixed)],
        degenerate in prop::array::uniform4(prop::bool::weighted(0.3)),
        seed in any::<u64>(),
    ) {
        let spec = LayerSpec { width, act: 0, kind, degenerate };
        let case = NetworkCase { model_json: network_json(&[spec], 1, seed), bounds: [-1.0, 1.0, -1.0, 1.0] };
        let net = case.network();
        let p = Partition::compute(&net, &case.slice(), &opts(Kernel::Filtered, Boundary::None)).unwrap();
        // The neurons' lines straight from the first layer's weights.
        let json: serde_json::Value = serde_json::from_str(&case.model_json).unwrap();
        let dense = &json["ops"][0];
        let lines: Vec<Line> = (0..width)
            .map(|k| {
                let w = &dense["weight"][k];
                Line::from_f64(w[0].as_f64().unwrap(), w[1].as_f64().unwrap(), dense["bias"][k].as_f64().unwrap()).unwrap()
            })
            .collect();
        let (faces, vertices) = common::arrangement_counts(&[[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]], &lines);
        prop_assert_eq!(p.num_regions(), faces);
        prop_assert_eq!(p.mesh().num_vertices(), vertices);
    }
}

/// The partition of `slice` by `net` with `options` on a pool of `threads`
/// threads.
fn compute_on_pool(
    threads: usize,
    net: &splinecam::net::Network,
    slice: &splinecam::domain::Slice,
    options: &Options,
) -> Partition {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| Partition::compute(net, slice, options).unwrap())
}

fn on_threads(threads: usize, net: &splinecam::net::Network, case: &NetworkCase) -> Partition {
    let options = opts(Kernel::Filtered, Boundary::Auto);
    compute_on_pool(threads, net, &case.slice(), &options)
}

/// A layer of few faces that is wide (here: at most 7 faces after three
/// first-layer lines, then 200 units, mixed and quantized weights with
/// planted duplicate, negated, zero and dead rows) is shared between
/// threads (like MNIST's second layer); the partition is the same on 1, 2
/// and 3 threads, and exact.
#[test]
fn few_wide_faces_are_shared_and_give_the_same_partition() {
    let spec = |width, degenerate| LayerSpec {
        width,
        act: 0,
        kind: WeightKind::Mixed,
        degenerate,
    };
    for seed in [7u64, 8, 9] {
        let case = NetworkCase {
            model_json: network_json(
                &[spec(3, [false; 4]), spec(200, [true, true, true, true])],
                2,
                seed,
            ),
            bounds: [-1.0, 1.0, -1.0, 1.0],
        };
        let net = case.network();
        let one = on_threads(1, &net, &case);
        one.validate().unwrap();
        let first = one.stats().faces_after_layer[0];
        assert!(
            first <= 7 && first * 200 * 200 > 1 << 17,
            "the second layer is one of few wide faces ({first} faces)"
        );
        for threads in [2, 3] {
            assert_identical(&one, &on_threads(threads, &net, &case)).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(config(10))]

    /// The partition is identical, vertex for vertex, on 1, 2 and 3
    /// threads. The layers are wide (24-48 units, all activations, planted
    /// degeneracies) so that the engine shares work between threads (its
    /// parallel loops and the ordered producer/consumer of activation
    /// layers hand out work only above some hundred faces).
    #[test]
    fn the_thread_count_does_not_change_the_partition(
        layers in prop::collection::vec(
            layer_spec(48).prop_map(|mut l| { l.width = l.width.max(24); l }),
            2..=3,
        ),
        outputs in 1usize..=3,
        seed in any::<u64>(),
    ) {
        let case = NetworkCase {
            model_json: network_json(&layers, outputs, seed),
            bounds: [-1.0, 1.0, -1.0, 1.0],
        };
        let net = case.network();
        let one = on_threads(1, &net, &case);
        if let Err(e) = one.validate() {
            return Err(TestCaseError::fail(format!("{e}")));
        }
        for threads in [2, 3] {
            assert_identical(&one, &on_threads(threads, &net, &case))?;
        }
    }

    /// A flatten after every activation (a reshape the engine passes
    /// through without copying, lazy slots included) changes nothing: the
    /// same network without them gives the identical partition.
    #[test]
    fn flatten_layers_do_not_change_the_partition(
        layers in prop::collection::vec(
            layer_spec(48).prop_map(|mut l| { l.width = l.width.max(24); l }),
            1..=3,
        ),
        outputs in 1usize..=3,
        seed in any::<u64>(),
    ) {
        let flatten = r#"{"op":"flatten"},"#;
        let with = network_json(&layers, outputs, seed | (0xF << 40));
        prop_assert!(with.contains(flatten), "no flatten in {}", with);
        let without = with.replace(flatten, "");
        let case = |json: String| NetworkCase { model_json: json, bounds: [-1.0, 1.0, -1.0, 1.0] };
        let (a, b) = (case(with), case(without));
        let pa = on_threads(2, &a.network(), &a);
        if let Err(e) = pa.validate() {
            return Err(TestCaseError::fail(format!("{e}")));
        }
        assert_identical(&pa, &on_threads(2, &b.network(), &b))?;
    }
}

/// The quantized layer on which float tools miscount: 32 neurons, weights in
/// {-3..3}/4.
#[test]
fn quantized_layer_counts_exactly() {
    let spec = LayerSpec {
        width: 32,
        act: 0,
        kind: WeightKind::Quantized,
        degenerate: [false; 4],
    };
    let case = NetworkCase {
        model_json: network_json(&[spec], 1, 7),
        bounds: [-1.0, 1.0, -1.0, 1.0],
    };
    let p = Partition::compute(
        &case.network(),
        &case.slice(),
        &opts(Kernel::Filtered, Boundary::None),
    )
    .unwrap();
    p.validate().unwrap();
    let q = Partition::compute(
        &case.network(),
        &case.slice(),
        &opts(Kernel::Rational, Boundary::None),
    )
    .unwrap();
    assert_eq!(p.num_regions(), q.num_regions());
}

/// A face crossed by many lines is cut along each line's zone only (the
/// engine walks from where the line enters the face to the sub-faces it
/// meets, and derives the sub-faces' states from the lines along their
/// shared edges). Thirteen lines on the square, with every degenerate way
/// in: through two corners of the square, along a side, repeated (also
/// scaled and negated), three through the centre, one through an earlier
/// crossing, parallel ones, a vanishing neuron and a constant one; then a
/// second layer read through all of them. The first layer's count and
/// vertices match the arrangement formula, every partition validates and
/// equals the rational kernel's, each region's pattern is the exact forward
/// pass's at a point inside it, and two threads give the same partition.
#[test]
fn many_degenerate_lines_in_one_face() {
    let rows: [[f64; 3]; 13] = [
        [1.0, 0.0, -1.0],  // along the side u = 1
        [1.0, 1.0, 0.0],   // through the corners (-1, 1) and (1, -1)
        [1.0, 1.0, 0.0],   // the same again
        [2.0, 2.0, 0.0],   // scaled
        [-1.0, -1.0, 0.0], // negated
        [0.0, 1.0, 0.0],   // through the centre
        [1.0, 0.0, 0.0],   // through the centre
        [1.0, -1.0, 0.0],  // through the centre and two corners
        [1.0, 0.0, -0.5],  // parallel to u = 0
        [0.0, 1.0, -0.5],  // parallel to v = 0
        [1.0, 1.0, -1.0],  // through the crossing (0.5, 0.5) of the two above
        [0.0, 0.0, 0.0],   // vanishes everywhere
        [0.0, 0.0, 1.0],   // positive everywhere
    ];
    let row = |r: &[f64]| {
        let s: Vec<String> = r.iter().map(|x| format!("{x:?}")).collect();
        format!("[{}]", s.join(","))
    };
    let w1: Vec<String> = rows.iter().map(|r| row(&r[..2])).collect();
    let b1: Vec<f64> = rows.iter().map(|r| r[2]).collect();
    // Second layer: small quantized weights, so that its lines also meet
    // at common points.
    let w2: Vec<String> = (0..10)
        .map(|i| {
            let r: Vec<f64> = (0..13)
                .map(|j| ((i * 7 + j * 3) % 7) as f64 / 4.0 - 0.75)
                .collect();
            row(&r)
        })
        .collect();
    let b2: Vec<f64> = (0..10)
        .map(|i| ((i * 5) % 7) as f64 / 8.0 - 0.375)
        .collect();
    let dense = |w: &[String], b: &[f64]| {
        format!(
            r#"{{"op":"dense","weight":[{}],"bias":{}}}"#,
            w.join(","),
            row(b)
        )
    };
    let json = |layers: &[String]| {
        format!(
            r#"{{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[{},{{"op":"dense","weight":[[{}]],"bias":[0.0]}}]}}"#,
            layers.join(r#",{"op":"relu"},"#) + r#",{"op":"relu"}"#,
            vec!["0.5"; if layers.len() == 1 { 13 } else { 10 }].join(",")
        )
    };
    let square = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]];
    let lines: Vec<Line> = rows
        .iter()
        .filter(|r| r[0] != 0.0 || r[1] != 0.0)
        .map(|r| Line::from_f64(r[0], r[1], r[2]).unwrap())
        .collect();
    for (depth, model) in [
        (1, json(&[dense(&w1, &b1)])),
        (2, json(&[dense(&w1, &b1), dense(&w2, &b2)])),
    ] {
        let case = NetworkCase {
            model_json: model,
            bounds: [-1.0, 1.0, -1.0, 1.0],
        };
        let net = case.network();
        let fast = on_threads(1, &net, &case);
        fast.validate().unwrap();
        if depth == 1 {
            let (faces, vertices) = common::arrangement_counts(&square, &lines);
            assert_eq!(fast.num_regions(), faces);
            assert_eq!(fast.mesh().num_vertices(), vertices);
        }
        let exact =
            Partition::compute(&net, &case.slice(), &opts(Kernel::Rational, Boundary::Auto))
                .unwrap();
        assert_identical(&fast, &exact).unwrap();
        assert_identical(&fast, &on_threads(2, &net, &case)).unwrap();
        for f in fast.regions() {
            let (u, v) = fast.interior_point(f);
            let (_, pattern) = net
                .forward_exact(&case.slice().point_exact(&u, &v))
                .unwrap();
            assert_eq!(pattern, fast.region(f).pattern, "depth {depth}, face {f:?}");
        }
    }
}

/// The partition with the filtered kernel, with the reference kernel and
/// with a flatten after every ReLU (which stops run-ahead) for a network
/// given as JSON ops with `{relu}` where its ReLUs go: the first is exact,
/// the three are identical, neither of the other two runs ahead, and every
/// region's pattern is the one of an exact forward pass at an interior
/// point. Returns the first.
fn run_ahead_case(ops: &str) -> Partition {
    let json = |flatten: bool| {
        let relu = if flatten {
            r#"{"op":"relu"},{"op":"flatten"}"#
        } else {
            r#"{"op":"relu"}"#
        };
        format!(
            r#"{{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[{}]}}"#,
            ops.replace("{relu}", relu)
        )
    };
    let slice = splinecam::domain::Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    let run = |json: &str, kernel| {
        let net = splinecam::net::json::from_str(json).unwrap();
        Partition::compute(&net, &slice, &opts(kernel, Boundary::None)).unwrap()
    };
    let fast = run(&json(false), Kernel::Filtered);
    fast.validate().unwrap();
    for other in [
        run(&json(false), Kernel::Rational),
        run(&json(true), Kernel::Filtered),
    ] {
        assert!(other.stats().run_ahead.iter().all(|&n| n == 0));
        assert!(other.stats().folded.iter().all(|&n| n == 0));
        assert_identical(&fast, &other).unwrap();
    }
    let net = splinecam::net::json::from_str(&json(false)).unwrap();
    for f in fast.regions() {
        let (u, v) = fast.interior_point(f);
        let (_, pattern) = net.forward_exact(&slice.point_exact(&u, &v)).unwrap();
        assert_eq!(pattern, fast.region(f).pattern, "region {f:?}");
    }
    common::assert_outputs_within_bounds(&fast);
    fast
}

/// Folded inputs on random nets whose last hidden layers are narrow or
/// wide against the next (8 -> 1, 6 -> 2, 16 -> 3): the regions' `f64`
/// output maps are the same bit for bit on 1, 2 and 3 threads (which forms
/// are stepped from which does not depend on the thread count) and within
/// their bounds of the exact maps. (Written from a review of the fold.)
#[test]
fn folded_outputs_do_not_depend_on_the_thread_count() {
    let slice = splinecam::domain::Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    for (widths, seed) in [
        (vec![2, 48, 48, 8, 1], 1u64),
        (vec![2, 40, 40, 40, 6, 2], 7),
        (vec![2, 64, 16, 3], 11),
    ] {
        let net = splinecam::net::json::from_str(&common::lcg_mlp(&widths, seed)).unwrap();
        let options = opts(Kernel::Filtered, Boundary::None);
        let run = |threads: usize| compute_on_pool(threads, &net, &slice, &options);
        let one = run(1);
        assert!(
            one.stats().folded.iter().sum::<usize>() > 0,
            "{widths:?}: nothing folded ({:?})",
            one.stats().folded
        );
        let bits = |o: &splinecam::net::AffineForm, k: usize| {
            let [a, b, c] = [o.u()[k], o.v()[k], o.c()[k]].map(f64::to_bits);
            let [x, y, z] = o.err_at(k).map(f64::to_bits);
            [a, b, c, x, y, z]
        };
        for threads in [2, 3] {
            let other = run(threads);
            assert_identical(&one, &other).unwrap();
            for f in one.regions() {
                let (a, b) = (one.output(f).unwrap(), other.output(f).unwrap());
                for k in 0..a.len() {
                    assert_eq!(
                        bits(a, k),
                        bits(b, k),
                        "{widths:?} {threads} threads {f:?} output {k}"
                    );
                }
            }
        }
        common::assert_outputs_within_bounds(&one);
    }
}

/// Folded inputs: the last hidden layer (8 units) feeds 2 outputs, so a
/// face whose run-ahead stops there keeps only the next dense node's
/// output with the known neurons applied and the rows of the others
/// (`Stats::folded`). Degenerate on purpose: the first layer has a zero row
/// and a duplicated one; the second a line through a vertex of the first
/// layer's arrangement (the origin), its duplicate and its negation, a zero
/// row, a line far off the square. The partition is exact, the same as
/// without run-ahead or folding, and every region's output map within its
/// bounds of the exact one ([`run_ahead_case`]).
#[test]
fn a_wide_last_layer_is_folded_and_the_outputs_stay_within_their_bounds() {
    let p = run_ahead_case(
        r#"{"op":"dense","weight":[[1,0],[0,1],[1,1],[0,0],[1,0],[-0.5,1]],
              "bias":[0,0,0.25,0,0,-0.3]},{relu},
            {"op":"dense","weight":[[1,-1,0,0,0,0],[1,-1,0,0,0,0],[-1,1,0,0,0,0],[0,0,0,0,0,0],
              [0.5,0.25,-1,1,0.3,0.7],[1,1,1,1,1,1],[0.2,-0.7,0.4,0,-0.1,1],[-0.3,0.6,0.2,0,0.9,-0.4]],
              "bias":[0,0,0,0.5,0.1,50,-0.05,0.02]},{relu},
            {"op":"dense","weight":[[1,-0.5,0.25,1,-1,0.001,0.5,2],[0.3,0.3,-1,0,0.5,-0.001,1,-0.25]],
              "bias":[0.1,-0.2]}"#,
    );
    let folded = &p.stats().folded;
    assert_eq!(folded[0], 0, "the first layer's input is never folded");
    assert!(
        folded[1] > 0,
        "faces with folded inputs per layer {folded:?}"
    );
    assert!(p.num_regions() > 12, "both layers cut the square");
}

/// Run-ahead: a face that no line of a ReLU layer crosses is taken through
/// the following ReLU layers at once while their lines provably miss it
/// too, and so are the sub-faces of a cut face. A 2-7-5-5-1 network with a
/// zero row in its first layer and later layers that mix lines crossing
/// the square with lines far off it (biases ±50), a duplicated and a
/// negated row: the first layer's sub-faces run ahead into the second
/// (there is no other way in: the square is cut by the first layer), and
/// the partition is exact and the same as without run-ahead
/// ([`run_ahead_case`]).
#[test]
fn sub_faces_run_ahead_through_layers_their_lines_miss() {
    let p = run_ahead_case(
        r#"{"op":"dense","weight":[[1,0.5],[-0.75,1],[0.25,-1],[1,1],[0.5,-0.25],[-1,0.125],[0,0]],
              "bias":[0.1,-0.2,0.3,0,-0.4,0.05,0]},{relu},
            {"op":"dense","weight":[[0.3,-0.2,0.5,0.1,-0.4,0.2,1],[0.3,-0.2,0.5,0.1,-0.4,0.2,1],
              [1,1,1,1,1,1,1],[-0.3,0.2,-0.5,-0.1,0.4,-0.2,-1],[0.1,0.1,0.1,0.1,0.1,0.1,0.1]],
              "bias":[0.05,0.05,50,-0.05,-50]},{relu},
            {"op":"dense","weight":[[0.5,-1,0.01,0.75,1],[0.2,0.1,0,0.4,-1],[1,1,0,1,1],
              [-1,-1,0,-1,-1],[0.25,0.5,0.001,-0.5,0]],
              "bias":[0.1,-0.05,-50,50,0.02]},{relu},
            {"op":"dense","weight":[[1,-1,0.5,0.001,0.25]],"bias":[-0.1]}"#,
    );
    let ahead = &p.stats().run_ahead;
    assert!(ahead[1] > 0, "run-ahead per layer {ahead:?}");
}

/// Without output forms the last ReLU layer is a run-ahead hop of its own
/// (no dense node after it is made): faces of the layer before it whose
/// lines all miss them pass it with their states only, and those it stops
/// keep only its open neurons' rows (folded). A 2-24-24-24-1 MLP: the last
/// layer is run ahead into and folded, on 1, 2 and 3 threads; the partition
/// is identical to the one with output forms (which runs ahead into the
/// last layer as well) and to the rational kernel's; every region's pattern
/// is an exact forward pass's; the forms made on demand hold the exact maps.
#[test]
fn the_last_relu_is_a_hop_without_output_forms() {
    let net = splinecam::net::json::from_str(&common::lcg_mlp(&[2, 24, 24, 24, 1], 7)).unwrap();
    let slice = splinecam::domain::Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    let run = |kernel, output_forms, threads| {
        let o = Options {
            kernel,
            boundary: Boundary::None,
            output_forms,
            ..Options::default()
        };
        compute_on_pool(threads, &net, &slice, &o)
    };
    let lean = run(Kernel::Filtered, false, 1);
    lean.validate().unwrap();
    let (ahead, folded) = (&lean.stats().run_ahead, &lean.stats().folded);
    assert!(ahead[2] > 0, "run-ahead per layer {ahead:?}");
    assert!(folded[2] > 0, "folded per layer {folded:?}");
    let full = run(Kernel::Filtered, true, 1);
    assert_eq!(full.stats().run_ahead, *ahead);
    assert_identical(&lean, &full).unwrap();
    assert_identical(&lean, &run(Kernel::Rational, false, 1)).unwrap();
    for threads in [2, 3] {
        assert_identical(&lean, &run(Kernel::Filtered, false, threads)).unwrap();
    }
    for f in lean.regions() {
        let (u, v) = lean.interior_point(f);
        let (_, pattern) = net.forward_exact(&slice.point_exact(&u, &v)).unwrap();
        assert_eq!(pattern, lean.region(f).pattern, "region {f:?}");
    }
    common::assert_outputs_within_bounds(&lean);
}

/// Run-ahead of an uncut face: no line of the first two layers meets the
/// square (far biases, a zero weight row, a duplicated row), so the square
/// runs ahead from the first layer through the second and stops at the
/// third, one of whose lines crosses it (that layer reads the classes the
/// run-ahead found); the partition is exact and the same as without
/// run-ahead. (Each layer is no wider than the one before: run-ahead makes
/// a dense node's forms only where they are no larger.)
#[test]
fn an_uncut_face_runs_ahead_and_stops_where_a_line_crosses() {
    let p = run_ahead_case(
        r#"{"op":"dense","weight":[[1,0.5],[-0.75,1],[0,0],[1,0.5]],"bias":[50,-50,3,50]},{relu},
            {"op":"dense","weight":[[0.5,1,1,0.25],[-1,0,0,-1],[0.001,0,0,0.001]],"bias":[-60,150,50]},{relu},
            {"op":"dense","weight":[[1,0.5,0.001],[0,1,0],[0,0,1]],"bias":[0,-50,-50]},{relu},
            {"op":"dense","weight":[[1,-1,0.5]],"bias":[-0.1]}"#,
    );
    // Once in each half of the square (`Options::halves`).
    assert_eq!(p.stats().run_ahead, [0, 2, 0]);
    assert!(p.num_regions() > 1, "the third layer cuts the square");
}

/// `Stats`' timings: one entry per entry of `faces_after_layer` (each
/// activation or max layer, then the boundary), the cutting thread's time
/// (only with `Options::time_cutting`, which changes nothing else) within
/// its layer's, none for the max layer and the boundary (which time no
/// cut), some for a ReLU layer that cut faces, and the layers within the
/// whole run.
#[test]
fn layer_timings_line_up_with_the_layers() {
    let spec = |width, act| LayerSpec {
        width,
        act,
        kind: WeightKind::Float,
        degenerate: [false; 4],
    };
    let case = NetworkCase {
        model_json: network_json(&[spec(12, 0), spec(6, 3), spec(12, 0)], 2, 11),
        bounds: [-1.0, 1.0, -1.0, 1.0],
    };
    let net = case.network();
    let untimed = on_threads(1, &net, &case);
    assert!(untimed.stats().cut_seconds.is_empty(), "off by default");
    assert_eq!(untimed.stats().layer_seconds.len(), 4);
    let timed = Options {
        time_cutting: true,
        ..opts(Kernel::Filtered, Boundary::Auto)
    };
    for threads in [1, 2] {
        let p = compute_on_pool(threads, &net, &case.slice(), &timed);
        common::identical(&p, &untimed).unwrap();
        let st = p.stats();
        assert_eq!(
            st.faces_after_layer.len(),
            4,
            "three layers and the boundary"
        );
        assert_eq!(st.layer_seconds.len(), 4);
        assert_eq!(st.cut_seconds.len(), 4);
        for (cut, layer) in st.cut_seconds.iter().zip(&st.layer_seconds) {
            assert!(cut.is_finite() && *cut >= 0.0 && cut <= layer, "{st:?}");
        }
        // The two halves' times added: each half's within the run.
        assert!(
            st.layer_seconds.iter().sum::<f64>() <= threads as f64 * st.seconds,
            "{st:?}"
        );
        assert_eq!((st.cut_seconds[1], st.cut_seconds[3]), (0.0, 0.0), "{st:?}");
        assert!(
            st.faces_after_layer[0] > 1 && st.cut_seconds[0] > 0.0,
            "{st:?}"
        );
    }
}

/// A partition as numbering-free sets: per region its pattern, class and
/// exact area; per vertex its exact point and the kinds of its labels; per
/// edge its two exact ends and the kinds of its labels.
#[allow(clippy::type_complexity)]
fn as_sets(
    p: &Partition,
) -> (
    Vec<(String, Option<u32>, String)>,
    Vec<((String, String), Vec<String>)>,
    Vec<(Vec<(String, String)>, Vec<String>)>,
) {
    let m = p.mesh();
    let point = |v| {
        let (x, y) = m.vertex_exact(v).unwrap();
        (x.to_string(), y.to_string())
    };
    let kinds = |ls: &[splinecam::mesh::Label]| {
        let mut k: Vec<String> = ls
            .iter()
            .map(|&l| format!("{:?}", p.label_kind(l)))
            .collect();
        k.sort();
        k
    };
    let mut regions: Vec<_> = p
        .regions()
        .map(|f| {
            let r = p.region(f);
            (
                format!("{:?}", r.pattern),
                r.class,
                m.face_area_exact(f).to_string(),
            )
        })
        .collect();
    regions.sort();
    let mut verts: Vec<_> = m
        .vertices()
        .map(|v| (point(v), kinds(m.vertex_labels(v))))
        .collect();
    verts.sort();
    let mut edges: Vec<_> = m
        .edges()
        .map(|h| {
            let mut ends = vec![point(m.origin(h)), point(m.dest(h))];
            ends.sort();
            (ends, kinds(m.edge_labels(h)))
        })
        .collect();
    edges.sort();
    (regions, verts, edges)
}

/// Halves and the whole slice give the same partition.
fn halves_match_the_whole(
    net: &splinecam::net::Network,
    slice: &splinecam::domain::Slice,
    boundary: Boundary,
) -> Result<bool, TestCaseError> {
    let run = |halves| {
        let o = Options {
            halves,
            ..opts(Kernel::Filtered, boundary)
        };
        Partition::compute(net, slice, &o).unwrap()
    };
    let (split, whole) = (run(true), run(false));
    prop_assert!(!whole.stats().halved);
    if let Err(e) = split.validate() {
        return Err(TestCaseError::fail(format!("{e}")));
    }
    prop_assert_eq!(split.num_regions(), whole.num_regions());
    prop_assert_eq!(
        &split.stats().faces_after_layer,
        &whole.stats().faces_after_layer
    );
    prop_assert_eq!(as_sets(&split), as_sets(&whole));
    Ok(split.stats().halved)
}

proptest! {
    #![proptest_config(config(250))]

    /// Computing the slice in two halves (`Options::halves`, on by default)
    /// and gluing them gives exactly the partition of the whole slice:
    /// regions (patterns, classes, exact areas), vertices and edges (exact
    /// points, label kinds), and the faces after each layer, on random
    /// networks with degenerate weights and every kind of boundary.
    #[test]
    fn halves_give_the_whole_slice(
        case in network_case(4, 12),
        boundary in prop_oneof![Just(Boundary::Auto), Just(Boundary::None), Just(Boundary::Argmax)],
    ) {
        let net = case.network();
        let boundary = if net.len_of(net.output()) < 2 && boundary == Boundary::Argmax {
            Boundary::Auto
        } else {
            boundary
        };
        halves_match_the_whole(&net, &case.slice(), boundary)?;
    }
}

/// A neuron whose line is the seam itself: the regions on either side of
/// the seam differ, the halves are dropped and the whole slice computed;
/// a line through the seam's crossings with other lines, and lines that
/// cross the seam where the domain's sides do, are glued.
#[test]
fn a_line_along_the_seam_is_computed_whole() {
    let slice = splinecam::domain::Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    let c = Partition::seam(&slice).unwrap();
    let model = |rows: &str, bias: &str| {
        format!(
            r#"{{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[
            {{"op":"dense","weight":[{rows}],"bias":[{bias}]}},{{"op":"relu"}},
            {{"op":"dense","weight":[[1,-1,0.5,0.25]],"bias":[-0.1]}}]}}"#
        )
    };
    // u = c, the diagonals, and one more line.
    let along = model("[1,0],[1,1],[1,-1],[0.25,0.5]", &format!("{:?},0,0,0", -c));
    let net = splinecam::net::json::from_str(&along).unwrap();
    assert!(!halves_match_the_whole(&net, &slice, Boundary::Auto).unwrap());
    // Three lines through one point of the seam, (c, 0), and one through
    // two corners of the square.
    let concurrent = model(
        "[0,1],[1,1],[1,-1],[1,1]",
        &format!("0,{:?},{:?},0", -c, -c),
    );
    let net = splinecam::net::json::from_str(&concurrent).unwrap();
    assert!(halves_match_the_whole(&net, &slice, Boundary::Auto).unwrap());
}

/// Domains whose corners the seam passes through, or touches at its ends:
/// a triangle with its apex on the seam, a pentagon with a corner on it at
/// each end, and a thin sliver; each on a random network, halves against
/// the whole slice.
#[test]
fn a_seam_through_the_domain_corners() {
    let square = splinecam::domain::Slice::square_box(&[2], [0.0, 1.0, 0.0, 1.0]).unwrap();
    // The seam's u for a polygon whose u runs over [0, 1].
    let c = Partition::seam(&square).unwrap();
    let spec = |width| LayerSpec {
        width,
        act: 0,
        kind: WeightKind::Mixed,
        degenerate: [true, true, false, false],
    };
    let polygons: [&[[f64; 2]]; 3] = [
        &[[0.0, 0.0], [1.0, 0.0], [c, 1.0]],
        &[[c, -1.0], [1.0, -0.5], [1.0, 0.5], [c, 1.0], [0.0, 0.0]],
        &[[0.0, 0.0], [1.0, 1e-9], [c, 1e-3]],
    ];
    for (i, poly) in polygons.iter().enumerate() {
        let slice = square.with_polygon(poly).unwrap();
        assert_eq!(Partition::seam(&slice), Some(c), "polygon {i}");
        for seed in [1u64, 2, 3] {
            let case = NetworkCase {
                model_json: network_json(&[spec(6), spec(5)], 2, seed),
                bounds: [0.0, 1.0, 0.0, 1.0],
            };
            let net = case.network();
            for boundary in [Boundary::Auto, Boundary::Argmax, Boundary::None] {
                assert!(
                    halves_match_the_whole(&net, &slice, boundary).unwrap(),
                    "polygon {i}, seed {seed}, {boundary:?}: the halves were dropped"
                );
            }
        }
    }
}
