//! Nodes the network's output does not depend on are dropped at load
//! (`NetworkBuilder::finish`): a model whose output is an intermediate
//! tensor partitions as the model cut there, a branch that leads nowhere
//! cuts no regions, and an output that is the input itself is one region.

use splinecam::domain::Slice;
use splinecam::net::{json, Network};
use splinecam::partition::{Boundary, Options, Partition};

const HEAD: &str = r#"{"format":"splinecam-model","version":1,"input_shape":[2],"ops":["#;
const D0: &str =
    r#"{"op":"dense","name":"d0","weight":[[1,-1],[0.5,2],[0.25,0],[-1,1]],"bias":[0,1,0,-0.5]}"#;
const R0: &str = r#"{"op":"relu","name":"r0"}"#;
const D1: &str = r#"{"op":"dense","name":"d1","weight":[[1,-1,1,1],[0,2,-1,0.5],[1,1,1,-3]],"bias":[0.1,-0.2,0]}"#;

fn model(ops: &[&str], output: Option<&str>) -> Network {
    let out = output.map_or(String::new(), |o| format!(r#","output":"{o}""#));
    let text = format!("{HEAD}{}]{out}}}", ops.join(","));
    json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Patterns and exact output maps of every region, sorted.
fn regions(net: &Network) -> Vec<String> {
    let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).expect("box");
    let opts = Options {
        boundary: Boundary::None,
        ..Options::default()
    };
    let p = Partition::compute(net, &slice, &opts).expect("partition");
    p.mesh().validate().expect("valid mesh");
    let mut out: Vec<String> = p
        .regions()
        .map(|f| {
            let exact = p.output_exact(f).expect("exact output");
            format!("{:?} {:?}", p.region(f).pattern.layers, exact)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn an_intermediate_output_partitions_as_the_model_cut_there() {
    let tail = [
        r#"{"op":"relu","name":"r1"}"#,
        r#"{"op":"dense","name":"d2","weight":[[1,-1,2]],"bias":[0.5]}"#,
    ];
    let cut = model(&[D0, R0, D1], None);
    let full = model(&[D0, R0, D1, tail[0], tail[1]], Some("d1"));
    assert_eq!(full.nodes().len(), 3, "the nodes after 'd1' are dropped");
    assert_eq!(full.layer_nodes().len(), 1);
    assert_eq!(full.output_shape(), cut.output_shape());
    let r = regions(&full);
    assert!(r.len() > 4, "the first layer cuts the square: {}", r.len());
    assert_eq!(r, regions(&cut));
}

#[test]
fn a_branch_that_leads_nowhere_cuts_no_regions() {
    let dead = r#"{"op":"abs","name":"dead","inputs":["d0"]}"#;
    let r0 = r#"{"op":"relu","name":"r0","inputs":["d0"]}"#;
    let with = model(&[D0, dead, r0, D1], Some("d1"));
    let without = model(&[D0, R0, D1], None);
    assert_eq!(with.nodes().len(), 3);
    assert_eq!(regions(&with), regions(&without));
}

#[test]
fn an_output_that_is_the_input_is_one_region() {
    let net = model(&[D0, R0, D1], Some("input"));
    assert!(net.nodes().is_empty());
    assert_eq!(net.output_shape(), [2]);
    let r = regions(&net);
    assert_eq!(r.len(), 1, "{r:?}");
}
