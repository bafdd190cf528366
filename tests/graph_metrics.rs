//! The region adjacency graph and the metrics on hand-computable partitions,
//! and their invariants on generated networks.

use std::collections::HashSet;

use rug::Rational;
use splinecam::domain::Slice;
use splinecam::graph::RegionGraph;
use splinecam::mesh::FaceId;
use splinecam::metrics::{self, Metrics};
use splinecam::net::json;
use splinecam::partition::{Boundary, LabelKind, Options, Partition};
use splinecam::strategies::{network_json, LayerSpec, WeightKind};

/// A model `dense(hidden) -> relu -> dense(out)` on a 2-D input.
fn model(hidden_w: &str, hidden_b: &str, out_w: &str, out_b: &str) -> String {
    format!(
        r#"{{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[
        {{"op":"dense","weight":{hidden_w},"bias":{hidden_b}}},{{"op":"relu"}},
        {{"op":"dense","weight":{out_w},"bias":{out_b}}}]}}"#
    )
}

fn unit_box() -> Slice {
    Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap()
}

fn partition(model: &str, slice: &Slice, boundary: Boundary) -> Partition {
    let net = json::from_str(model).unwrap();
    let options = Options {
        boundary,
        ..Options::default()
    };
    let p = Partition::compute(&net, slice, &options).unwrap();
    p.validate().unwrap();
    p
}

/// The face whose exact interior point is `(u, v)`-ish: the region containing
/// the f64 point (strictly inside, tested with the f64 vertex cycle).
fn face_at(p: &Partition, u: f64, v: f64) -> FaceId {
    p.regions()
        .find(|&f| {
            let pts: Vec<[f64; 2]> = p
                .mesh()
                .face_vertices(f)
                .map(|x| p.mesh().vertex_xy(x))
                .collect();
            (0..pts.len()).all(|i| {
                let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
                (b[0] - a[0]) * (v - a[1]) - (b[1] - a[1]) * (u - a[0]) > 0.0
            })
        })
        .expect("point inside some region")
}

fn q(s: &str) -> Rational {
    s.parse().unwrap()
}

#[test]
fn two_relus_give_four_quadrants_and_four_adjacencies() {
    let m = model("[[1,0],[0,1]]", "[0,0]", "[[1,1]]", "[0.5]");
    let p = partition(&m, &unit_box(), Boundary::None);
    let g = RegionGraph::new(&p);
    assert_eq!(g.graph().node_count(), 4);
    assert_eq!(g.num_regions(), 4);
    assert_eq!(g.num_adjacencies(), 4);
    let q1 = face_at(&p, 0.5, 0.5);
    let q2 = face_at(&p, -0.5, 0.5);
    let q3 = face_at(&p, -0.5, -0.5);
    let q4 = face_at(&p, 0.5, -0.5);
    let sorted = |mut v: Vec<FaceId>| {
        v.sort();
        v
    };
    assert_eq!(g.neighbours(q1), sorted(vec![q2, q4]));
    assert_eq!(g.neighbours(q2), sorted(vec![q1, q3]));
    assert_eq!(g.neighbours(q3), sorted(vec![q2, q4]));
    assert_eq!(g.neighbours(q4), sorted(vec![q1, q3]));
    assert!(g.neighbours(FaceId::OUTER).is_empty());
    assert!(g.node(FaceId::OUTER).is_none());
    assert!(g.node(FaceId(1000)).is_none());
    // The edge between Q1 and Q2 lies on u = 0: neuron 0 of layer 0.
    let e = g.edges_between(q1, q2);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].labels, vec![LabelKind::Neuron { layer: 0, unit: 0 }]);
    assert!(!e[0].boundary);
    let e = g.edges_between(q4, q1);
    assert_eq!(e[0].labels, vec![LabelKind::Neuron { layer: 0, unit: 1 }]);
    assert!(g.edges_between(q1, q3).is_empty());
    // No boundary: no classes, no boundary pieces.
    assert!(g.boundary_regions().is_empty());
    assert_eq!(g.boundary_pieces(), 0);
    assert!(g.class_components(0).is_empty());

    let mt = Metrics::of(&p).unwrap();
    assert_eq!(mt.regions, 4);
    // Maps u + v + 1/2, v + 1/2, 1/2, u + 1/2: all distinct.
    assert_eq!(mt.linear_pieces, 4);
    assert_eq!(mt.adjacencies, 4);
    // V: 4 corners, 4 side midpoints, the origin; E = V + F - 1 = 12.
    assert_eq!((mt.vertices, mt.edges), (9, 12));
    assert_eq!(mt.mean_vertices_per_region, 4.0);
    assert_eq!((mt.area_mean, mt.area_std), (1.0, 0.0));
    assert_eq!((mt.area_input_mean, mt.area_factor), (1.0, 1.0));
    // Unit squares: longest distance sqrt 2, shortest 1.
    assert!((mt.eccentricity_mean - 2f64.sqrt()).abs() < 1e-12);
    assert!(mt.eccentricity_std.abs() < 1e-12);
    // Vertices at distance sqrt(1/2) from the square's centre.
    assert!((mt.centrality_mean - 0.5f64.sqrt()).abs() < 1e-12);
    assert_eq!((mt.density, mt.density_input), (1.0, 1.0));
    assert_eq!((mt.boundary_length, mt.boundary_pieces), (0.0, 0));
    assert_eq!(mt.regions_touching_boundary, 0);
    assert_eq!(mt.total_area_exact, "4/1");
    assert_eq!(mt.regions_per_layer.last(), Some(&4));
}

#[test]
fn zero_output_weight_merges_regions_into_linear_pieces() {
    // relu(u) + 0 relu(v): maps u on u > 0, 0 on u < 0.
    let m = model("[[1,0],[0,1]]", "[0,0]", "[[1,0]]", "[0]");
    let p = partition(&m, &unit_box(), Boundary::None);
    let mt = Metrics::of(&p).unwrap();
    assert_eq!((mt.regions, mt.linear_pieces), (4, 2));
    let pieces = metrics::linear_pieces(&p).unwrap();
    let right: HashSet<FaceId> = [face_at(&p, 0.5, 0.5), face_at(&p, 0.5, -0.5)].into();
    assert!(pieces
        .iter()
        .any(|c| c.iter().copied().collect::<HashSet<_>>() == right));
}

#[test]
fn cancelling_units_make_one_linear_piece() {
    // relu(u) - relu(-u) + relu(v) - relu(-v) = u + v everywhere.
    let m = model(
        "[[1,0],[-1,0],[0,1],[0,-1]]",
        "[0,0,0,0]",
        "[[1,-1,1,-1]]",
        "[0]",
    );
    let p = partition(&m, &unit_box(), Boundary::None);
    let mt = Metrics::of(&p).unwrap();
    assert_eq!((mt.regions, mt.linear_pieces), (4, 1));
}

#[test]
fn equal_maps_on_non_adjacent_regions_stay_separate() {
    // Units relu(u + 1/2), relu(u), relu(u - 1/2): four vertical strips.
    let hidden = ("[[1,0],[1,0],[1,0]]", "[0.5,0,-0.5]");
    // relu(u + 1/2) - 2 relu(u) + relu(u - 1/2): maps 0, u + 1/2, 1/2 - u, 0.
    let p = partition(
        &model(hidden.0, hidden.1, "[[1,-2,1]]", "[0]"),
        &unit_box(),
        Boundary::None,
    );
    let mt = Metrics::of(&p).unwrap();
    assert_eq!((mt.regions, mt.linear_pieces), (4, 4));
    assert_eq!(mt.adjacencies, 3);
    // relu(u + 1/2) - relu(u) + 0 relu(u - 1/2): maps 0, u + 1/2, 1/2, 1/2.
    let p = partition(
        &model(hidden.0, hidden.1, "[[1,-1,0]]", "[0]"),
        &unit_box(),
        Boundary::None,
    );
    let mt = Metrics::of(&p).unwrap();
    assert_eq!((mt.regions, mt.linear_pieces), (4, 3));
    let (a, b) = (face_at(&p, 0.25, 0.0), face_at(&p, 0.75, 0.0));
    assert!(metrics::same_output_map(&p, a, b).unwrap());
    let (c, d) = (face_at(&p, -0.25, 0.0), face_at(&p, -0.75, 0.0));
    assert!(!metrics::same_output_map(&p, a, c).unwrap());
    assert!(!metrics::same_output_map(&p, c, d).unwrap());
}

#[test]
fn dead_unit_adds_no_region() {
    // Unit 1 is relu(-1) = 0 everywhere; output relu(u) + 3 relu(-1).
    let p = partition(
        &model("[[1,0],[0,0]]", "[0,-1]", "[[1,3]]", "[0]"),
        &unit_box(),
        Boundary::None,
    );
    let mt = Metrics::of(&p).unwrap();
    assert_eq!((mt.regions, mt.linear_pieces), (2, 2));
}

#[test]
fn straight_boundary_has_one_piece_of_length_two() {
    // relu(u) - 1/4: boundary u = 1/4 from (1/4, -1) to (1/4, 1).
    let m = model("[[1,0]]", "[0]", "[[1]]", "[-0.25]");
    let p = partition(&m, &unit_box(), Boundary::Auto);
    let g = RegionGraph::new(&p);
    assert_eq!(g.num_regions(), 3);
    let (left, mid, right) = (
        face_at(&p, -0.5, 0.0),
        face_at(&p, 0.1, 0.0),
        face_at(&p, 0.5, 0.0),
    );
    assert_eq!(g.boundary_regions(), {
        let mut v = vec![mid, right];
        v.sort();
        v
    });
    assert_eq!(g.boundary_pieces(), 1);
    assert_eq!(g.num_boundary_edges(), 1);
    assert_eq!(g.class(right), Some(1));
    assert_eq!(g.class(left), Some(0));
    let mut class0 = vec![left, mid];
    class0.sort();
    assert_eq!(g.class_components(0), vec![class0]);
    assert_eq!(g.class_components(1), vec![vec![right]]);
    assert!(g.class_components(2).is_empty());
    let e = g.edges_between(mid, right);
    assert_eq!(e.len(), 1);
    assert!(e[0].boundary);
    assert_eq!(e[0].labels, vec![LabelKind::Level { output: 0 }]);

    let mt = Metrics::with_graph(&p, &g).unwrap();
    assert_eq!(mt.boundary_length, 2.0);
    assert_eq!(mt.boundary_length_input, 2.0);
    assert_eq!((mt.boundary_pieces, mt.regions_touching_boundary), (1, 2));
    // Maps -1/4 (u < 0) and u - 1/4 on both sides of the boundary.
    assert_eq!((mt.regions, mt.linear_pieces), (3, 2));
    assert_eq!(mt.regions_per_layer, vec![2, 3]);
}

#[test]
fn scaled_slice_measures_input_units() {
    // Slice x = (2u, 2v) on [-1, 1]²: lengths double, areas quadruple.
    let slice = Slice::explicit(
        &[2],
        &[0.0, 0.0],
        &[2.0, 0.0],
        &[0.0, 2.0],
        &[[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]],
    )
    .unwrap();
    // relu(x) - 1/4: boundary 2u = 1/4.
    let m = model("[[1,0]]", "[0]", "[[1]]", "[-0.25]");
    let p = partition(&m, &slice, Boundary::Auto);
    let mt = Metrics::of(&p).unwrap();
    assert_eq!(mt.area_factor, 4.0);
    assert_eq!(mt.boundary_length, 2.0);
    assert_eq!(mt.boundary_length_input, 4.0);
    assert_eq!((mt.total_area, mt.total_area_input), (4.0, 16.0));
    assert_eq!(mt.total_area_exact, "4/1");
    assert!((mt.area_input_mean - 16.0 / 3.0).abs() < 1e-12);
    assert!((mt.density_input - 3.0 / 16.0).abs() < 1e-15);
    // Region u > 1/8: a 7/8 x 2 rectangle; the others 1/8 x 2 and 1 x 2.
    let areas = [7.0 / 8.0 * 2.0, 0.25, 2.0];
    let mean = 4.0 / 3.0;
    let std = (areas.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>() / 3.0).sqrt();
    assert!((mt.area_std - std).abs() < 1e-12);
    assert!((mt.area_input_std - 4.0 * std).abs() < 1e-12);
}

#[test]
fn two_boundary_pieces_and_class_components() {
    // |u| - 1/2 = relu(u) + relu(-u) - 1/2: boundaries u = ±1/2.
    let m = model("[[1,0],[-1,0]]", "[0,0]", "[[1,1]]", "[-0.5]");
    let p = partition(&m, &unit_box(), Boundary::Auto);
    let g = RegionGraph::new(&p);
    assert_eq!(g.num_regions(), 4);
    assert_eq!(g.boundary_pieces(), 2);
    assert_eq!(g.boundary_regions().len(), 4);
    assert_eq!(g.class_components(1).len(), 2);
    assert_eq!(g.class_components(0).len(), 1);
    assert_eq!(g.class_components(0)[0].len(), 2);
    let mt = Metrics::with_graph(&p, &g).unwrap();
    assert_eq!(mt.boundary_length, 4.0);
    assert_eq!((mt.boundary_pieces, mt.regions_touching_boundary), (2, 4));
    // Maps -u - 1/2, -u - 1/2 | u - 1/2, u - 1/2.
    assert_eq!(mt.linear_pieces, 2);
}

#[test]
fn three_class_boundary_is_one_piece() {
    // Logits u, v and 0, with u = relu(u) - relu(-u) and v likewise.
    let m = model(
        "[[1,0],[-1,0],[0,1],[0,-1]]",
        "[0,0,0,0]",
        "[[1,-1,0,0],[0,0,1,-1],[0,0,0,0]]",
        "[0,0,0]",
    );
    let p = partition(&m, &unit_box(), Boundary::Auto);
    let g = RegionGraph::new(&p);
    let mt = Metrics::with_graph(&p, &g).unwrap();
    // Argmax of (u, v, 0): three rays from the origin, lengths sqrt 2, 1, 1.
    assert_eq!(mt.boundary_pieces, 1);
    assert!((mt.boundary_length - (2.0 + 2f64.sqrt())).abs() < 1e-12);
    for class in 0..3 {
        assert_eq!(g.class_components(class).len(), 1, "class {class}");
    }
    let covered: usize = (0..3).map(|c| g.class_components(c)[0].len()).sum();
    assert_eq!(covered, p.num_regions());
    assert_eq!(mt.regions_touching_boundary, p.num_regions());
}

#[test]
fn exact_areas_sum_to_the_total() {
    let m = model(
        "[[1,0.3],[0.2,-1],[1,1],[-0.7,0.4]]",
        "[0.1,-0.2,0.3,0]",
        "[[1,-1,0.5,2]]",
        "[-0.25]",
    );
    let p = partition(&m, &unit_box(), Boundary::Auto);
    let mt = Metrics::of(&p).unwrap();
    let sum: Rational = p.regions().map(|f| p.mesh().face_area_exact(f)).sum();
    assert_eq!(sum, q(&mt.total_area_exact));
    assert_eq!(q(&mt.total_area_exact), p.slice().area_exact());
    assert!((mt.area_mean * mt.regions as f64 - 4.0).abs() < 1e-12);
    assert!((mt.density - mt.regions as f64 / 4.0).abs() < 1e-12);
    // The table and the CSV carry every metric.
    let rows = mt.rows();
    assert_eq!(mt.to_table().lines().count(), rows.len());
    let csv = mt.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0].split(',').count(), rows.len());
    assert_eq!(lines[1].split(',').count(), rows.len());
    // And it serialises.
    let js = serde_json::to_value(&mt).unwrap();
    assert_eq!(js["total_area_exact"], "4/1");
}

/// Linear pieces from exact maps only (no f64 filter), as the oracle.
fn linear_pieces_exact(p: &Partition, g: &RegionGraph) -> usize {
    let maps: Vec<_> = p.regions().map(|f| p.output_exact(f).unwrap()).collect();
    let pos = |f: FaceId| p.regions().position(|x| x == f).unwrap();
    let faces: Vec<FaceId> = p.regions().collect();
    let mut parent: Vec<usize> = (0..faces.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for e in g.graph().edge_indices() {
        let (a, b) = g.graph().edge_endpoints(e).unwrap();
        let (i, j) = (pos(g.graph()[a]), pos(g.graph()[b]));
        if maps[i] == maps[j] {
            let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
            parent[ri] = rj;
        }
    }
    (0..faces.len())
        .filter(|&i| find(&mut parent, i) == i)
        .count()
}

#[test]
fn invariants_on_generated_networks() {
    let kinds = [WeightKind::Quantized, WeightKind::Float, WeightKind::Mixed];
    for seed in 0..24u64 {
        let depth = 1 + (seed % 3) as usize;
        let layers: Vec<LayerSpec> = (0..depth)
            .map(|i| LayerSpec {
                width: 2 + ((seed as usize + i) % 4),
                act: ((seed as usize + 2 * i) % 5) as u8,
                kind: kinds[(seed as usize + i) % 3],
                degenerate: [seed % 4 == 0, seed % 5 == 1, seed % 6 == 2, seed % 7 == 3],
            })
            .collect();
        let outputs = 1 + (seed % 3) as usize;
        let model = network_json(&layers, outputs, seed);
        let boundary = if seed % 4 == 3 {
            Boundary::None
        } else {
            Boundary::Auto
        };
        let p = partition(&model, &unit_box(), boundary);
        let g = RegionGraph::new(&p);
        let mt = Metrics::with_graph(&p, &g).unwrap();
        let ctx = format!("seed {seed}: {model}");
        assert_eq!(g.graph().node_count(), p.num_regions(), "{ctx}");
        assert_eq!(mt.regions, p.num_regions(), "{ctx}");
        assert!(mt.linear_pieces >= 1, "{ctx}");
        assert!(mt.linear_pieces <= mt.regions, "{ctx}");
        assert_eq!(mt.linear_pieces, linear_pieces_exact(&p, &g), "{ctx}");
        // Every graph edge's regions share its mesh edge.
        let mesh = p.mesh();
        let mut inner_edges = 0;
        for h in mesh.edges() {
            if mesh.face(h) != FaceId::OUTER && mesh.face(h.twin()) != FaceId::OUTER {
                inner_edges += 1;
            }
        }
        assert_eq!(g.graph().edge_count(), inner_edges, "{ctx}");
        for e in g.graph().edge_indices() {
            let (a, b) = g.graph().edge_endpoints(e).unwrap();
            let (fa, fb) = (g.graph()[a], g.graph()[b]);
            let info = &g.graph()[e];
            assert_eq!(mesh.face(info.half_edge), fa, "{ctx}");
            assert_eq!(mesh.face(info.half_edge.twin()), fb, "{ctx}");
            assert_ne!(fa, fb, "{ctx}");
            assert_eq!(info.boundary, p.is_boundary_edge(info.half_edge), "{ctx}");
            assert!(g.neighbours(fa).contains(&fb), "{ctx}");
            assert!(g.neighbours(fb).contains(&fa), "{ctx}");
        }
        // Classes: the components of all classes partition the regions.
        let has_boundary = g.num_boundary_edges() > 0;
        assert_eq!(has_boundary, g.boundary_pieces() > 0, "{ctx}");
        assert_eq!(has_boundary, mt.boundary_length > 0.0, "{ctx}");
        if boundary == Boundary::Auto {
            let mut seen = 0;
            for class in 0..outputs.max(2) as u32 {
                for c in g.class_components(class) {
                    seen += c.len();
                    for f in &c {
                        assert_eq!(p.region(*f).class, Some(class), "{ctx}");
                    }
                }
            }
            assert_eq!(seen, p.num_regions(), "{ctx}");
        } else {
            assert!(!has_boundary, "{ctx}");
        }
        // Areas: exact sum, f64 mean.
        let sum: Rational = p.regions().map(|f| mesh.face_area_exact(f)).sum();
        assert_eq!(sum, q(&mt.total_area_exact), "{ctx}");
        assert!(
            (mt.area_mean * mt.regions as f64 - 4.0).abs() < 1e-9,
            "{ctx}"
        );
        assert!(mt.eccentricity_mean >= 1.0, "{ctx}");
        assert!(mt.centrality_mean > 0.0, "{ctx}");
    }
}
