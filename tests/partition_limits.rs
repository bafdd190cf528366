//! `Options::max_regions` stops a partition with a clear error as soon as
//! the faces exceed it: after an activation layer, and after the decision
//! boundary's cut too (the two-moons demo: 339 activation regions, 365
//! with its boundary).

use splinecam::domain::Slice;
use splinecam::net::json;
use splinecam::partition::{Boundary, Options, Partition, PartitionError};

fn run(limit: usize, boundary: Boundary) -> Result<usize, PartitionError> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/models/two_moons.json"
    );
    let net = json::from_str(&std::fs::read_to_string(path).expect("demo model")).expect("model");
    let slice = Slice::square_box(&[2], [-1.5, 2.5, -1.0, 1.5]).expect("demo box");
    let opts = Options {
        boundary,
        max_regions: Some(limit),
        ..Options::default()
    };
    Partition::compute(&net, &slice, &opts).map(|p| p.num_regions())
}

#[test]
fn the_limit_holds_after_each_layer_and_after_the_boundary() {
    assert_eq!(run(365, Boundary::Auto).expect("365 is enough"), 365);
    assert_eq!(run(339, Boundary::None).expect("339 is enough"), 339);
    match run(340, Boundary::Auto) {
        Err(PartitionError::TooManyRegions {
            found, limit, name, ..
        }) => {
            assert_eq!((found, limit), (365, 340));
            assert!(name.contains("decision boundary"), "{name}");
        }
        other => panic!("the boundary's cut exceeds the limit: {other:?}"),
    }
    match run(100, Boundary::None) {
        Err(PartitionError::TooManyRegions { found, node, .. }) => {
            assert!(found > 100 && node < 4, "{found} at node {node}");
        }
        other => panic!("the first layer exceeds the limit: {other:?}"),
    }
}
