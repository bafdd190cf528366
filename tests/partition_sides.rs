//! Lines and level sets that run along a side of the slice polygon: the
//! side carries no labels (docs/output-format.md), so the partition passes
//! its own exact check (`Partition::validate`) and its result file passes
//! `verify`. Small-integer (quantized) weights on boxes with integer
//! corners make such lines common; before the mesh kept sides unlabelled,
//! about a third of such cases wrote results that `verify` refused.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use splinecam::domain::Slice;
use splinecam::io::output::ResultFile;
use splinecam::net::{json, Network};
use splinecam::partition::{Boundary, Options, Partition};
use splinecam::verify::verify;

fn check(net: &Network, bx: [f64; 4], boundary: Boundary, what: &str) -> usize {
    let slice = Slice::square_box(&[2], bx).expect("box");
    let opts = Options {
        boundary,
        ..Options::default()
    };
    let p = Partition::compute(net, &slice, &opts).unwrap_or_else(|e| panic!("{what}: {e}"));
    p.validate().unwrap_or_else(|e| panic!("{what}: {e}"));
    let r = ResultFile::from_partition(&p).expect("result file");
    for e in &r.edges {
        if e.left.is_none() || e.right.is_none() {
            assert!(e.labels.is_empty(), "{what}: a side carries labels");
        }
    }
    verify(net, &r).unwrap_or_else(|e| panic!("{what}: verify refused: {e}"));
    p.num_regions()
}

#[test]
fn the_reviewed_case_a_neuron_and_the_level_set_along_the_sides() {
    // ReLU(u), ReLU(v), then u + v - 1 on [0,1]²: both neurons vanish on a
    // side, and on [-1,1]² the level set runs along the sides u = 1, v = 1.
    let net = json::from_str(
        r#"{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[
        {"op":"dense","weight":[[1,0],[0,1]],"bias":[0,0]},{"op":"relu"},
        {"op":"dense","weight":[[1,1]],"bias":[-1]}]}"#,
    )
    .expect("model");
    for bx in [[0.0, 1.0, 0.0, 1.0], [-1.0, 1.0, -1.0, 1.0]] {
        for boundary in [Boundary::None, Boundary::Auto] {
            check(&net, bx, boundary, &format!("{bx:?} {boundary:?}"));
        }
    }
}

/// A random 2-W-W-K network with weights in {-2..2} and biases in
/// {-2..2}/2, as native JSON.
fn quantized(rng: &mut ChaCha8Rng, width: usize, outputs: usize) -> Network {
    let mut layer = |inputs: usize, outputs: usize| {
        let w: Vec<Vec<i32>> = (0..outputs)
            .map(|_| (0..inputs).map(|_| rng.gen_range(-2..=2)).collect())
            .collect();
        let b: Vec<f64> = (0..outputs)
            .map(|_| f64::from(rng.gen_range(-2..=2)) / 2.0)
            .collect();
        format!(r#"{{"op":"dense","weight":{w:?},"bias":{b:?}}}"#)
    };
    let ops = [
        layer(2, width),
        r#"{"op":"relu"}"#.to_string(),
        layer(width, width),
        r#"{"op":"relu"}"#.to_string(),
        layer(width, outputs),
    ];
    let text = format!(
        r#"{{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[{}]}}"#,
        ops.join(",")
    );
    json::from_str(&text).expect("model")
}

#[test]
fn quantized_networks_on_integer_boxes_verify() {
    let mut rng = ChaCha8Rng::seed_from_u64(20_261_126);
    let boxes = [
        [-1.0, 1.0, -1.0, 1.0],
        [0.0, 1.0, 0.0, 1.0],
        [-1.0, 0.0, 0.0, 2.0],
        [-0.5, 0.5, -1.0, 0.5],
    ];
    let mut regions = 0;
    for case in 0..120 {
        let outputs = 1 + case % 3;
        let net = quantized(&mut rng, 3 + case % 4, outputs);
        let bx = boxes[case % boxes.len()];
        let boundary = match case % 4 {
            0 => Boundary::None,
            1 => Boundary::Auto,
            2 => Boundary::Level {
                output: 0,
                value: 0.5,
            },
            _ => Boundary::Argmin,
        };
        regions += check(&net, bx, boundary, &format!("case {case}"));
    }
    assert!(regions > 500, "the networks cut the boxes: {regions}");
}
