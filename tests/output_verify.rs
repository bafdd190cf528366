//! The result file (`io::output`) and its exact re-check (`verify`): good
//! results verify, round-trip through JSON and disk, and tampered ones are
//! rejected for the right reason.

use rug::Rational;
use splinecam::domain::Slice;
use splinecam::io::output::{
    parse_rational, rational_string, EdgeLabel, OutputError, ResultFile, VertexRecord,
};
use splinecam::net::{json, onnx, Network};
use splinecam::partition::{Boundary, Options, Partition};
use splinecam::verify::{verify, VerifyError};

const SMALL: &str = r#"{"format":"splinecam-model","version":1,"input_shape":[2],
  "ops":[{"op":"dense","weight":[[1,0],[0,1],[1,1]],"bias":[0,0,-0.5]},{"op":"relu"},
         {"op":"dense","weight":[[1,-1,1]],"bias":[-0.25]}]}"#;

/// A JSON model and its result file on the square [-1, 1]².
fn result_on_square(model: &str, boundary: Boundary) -> (Network, ResultFile) {
    let net = json::from_str(model).unwrap();
    let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    let opts = Options {
        boundary,
        ..Options::default()
    };
    let p = Partition::compute(&net, &slice, &opts).unwrap();
    let r = ResultFile::from_partition(&p).unwrap();
    (net, r)
}

fn small(boundary: Boundary) -> (Network, ResultFile) {
    result_on_square(SMALL, boundary)
}

/// Two maxout units (of two pieces each) and three outputs: `max_pair`
/// labels inside, `output_pair` labels on the argmax boundary.
const MAXOUT: &str = r#"{"format":"splinecam-model","version":1,"input_shape":[2],
  "ops":[{"op":"dense","weight":[[1,0],[0,1],[1,-1],[0.5,0.25]],"bias":[0,0,0.25,-0.125]},
         {"op":"maxout","pieces":2},
         {"op":"dense","weight":[[1,-1],[-1,0.5],[0.25,1]],"bias":[0,0.125,-0.25]}]}"#;

fn maxout(boundary: Boundary) -> (Network, ResultFile) {
    result_on_square(MAXOUT, boundary)
}

fn acasxu() -> Option<(Network, ResultFile)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/models/acasxu");
    let model = format!("{dir}/ACASXU_run2a_1_1_batch_2000.onnx");
    if !std::path::Path::new(&model).exists() {
        eprintln!("skipping: {model} not found");
        return None;
    }
    let net = onnx::from_path(&model).unwrap();
    let slice =
        Slice::vnnlib_face(net.input_shape(), format!("{dir}/prop_3.vnnlib"), (0, 2)).unwrap();
    let opts = Options {
        boundary: Boundary::Argmin,
        ..Options::default()
    };
    let p = Partition::compute(&net, &slice, &opts).unwrap();
    let r = ResultFile::from_partition(&p).unwrap();
    Some((net, r))
}

/// An interior vertex: one not on the polygon's boundary (every edge at it
/// has faces on both sides).
fn interior_vertex(r: &ResultFile) -> usize {
    (0..r.vertices.len())
        .find(|&v| {
            r.edges
                .iter()
                .filter(|e| e.a == v || e.b == v)
                .all(|e| e.left.is_some() && e.right.is_some())
        })
        .expect("an interior vertex")
}

/// Every kind of tampering, each rejected for its reason.
fn tampered_are_rejected(net: &Network, good: &ResultFile) {
    // A moved vertex (exact and f64 coordinates moved together).
    let mut r = good.clone();
    let v = interior_vertex(&r);
    let x = parse_rational(&r.vertices[v].exact[0]).unwrap() + Rational::from((1, 1000));
    r.vertices[v].x = x.to_f64();
    r.vertices[v].exact[0] = rational_string(&x);
    // Keep the recorded areas consistent so that the geometry is what fails.
    for f in r
        .faces
        .clone()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.vertices.contains(&v))
    {
        let pts: Vec<(Rational, Rational)> =
            f.1.vertices
                .iter()
                .map(|&w| {
                    let e = &r.vertices[w].exact;
                    (
                        parse_rational(&e[0]).unwrap(),
                        parse_rational(&e[1]).unwrap(),
                    )
                })
                .collect();
        let n = pts.len();
        let mut a = Rational::new();
        for i in 0..n {
            let (p, q) = (&pts[i], &pts[(i + 1) % n]);
            a += Rational::from(&p.0 * &q.1) - Rational::from(&q.0 * &p.1);
        }
        a /= 2u32;
        r.faces[f.0].area_f64 = a.to_f64();
        r.faces[f.0].area = rational_string(&a);
    }
    let e = verify(net, &r).unwrap_err();
    eprintln!("moved vertex {v}: {e}");
    assert!(matches!(e, VerifyError::Face { .. }), "moved vertex: {e}");

    // Only the exact coordinate moved: the f64 copy no longer matches.
    let mut r = good.clone();
    r.vertices[v].exact[1] = rational_string(
        &(parse_rational(&r.vertices[v].exact[1]).unwrap() + Rational::from((1, 1 << 20))),
    );
    let e = verify(net, &r).unwrap_err();
    assert!(
        matches!(e, VerifyError::Vertex { .. }),
        "moved exact vertex: {e}"
    );

    // A flipped pattern bit.
    let mut r = good.clone();
    let f = r.faces.len() / 2;
    r.faces[f].pattern[0][0] ^= 1;
    let e = verify(net, &r).unwrap_err();
    eprintln!("flipped bit: {e}");
    assert!(
        matches!(e, VerifyError::Face { face, .. } if face == f),
        "flipped bit: {e}"
    );

    // A dropped face (the last; edges to it now lead outside).
    let mut r = good.clone();
    let last = r.faces.len() - 1;
    r.faces.pop();
    for e in &mut r.edges {
        if e.left == Some(last) {
            e.left = None;
        }
        if e.right == Some(last) {
            e.right = None;
        }
    }
    let e = verify(net, &r).unwrap_err();
    eprintln!("dropped face: {e}");
    assert!(matches!(e, VerifyError::Area { .. }), "dropped face: {e}");

    // A changed class.
    let mut r = good.clone();
    let k = good.model.output_shape.iter().product::<usize>().max(2) as u32;
    r.faces[f].class = r.faces[f].class.map(|c| (c + 1) % k);
    let e = verify(net, &r).unwrap_err();
    eprintln!("changed class: {e}");
    assert!(
        matches!(e, VerifyError::Face { face, .. } | VerifyError::Duplicate { b: face, .. } if face == f),
        "changed class: {e}"
    );

    // A changed output coefficient (of u: the centroid check may still
    // agree by chance only if the centroid's u is 0, the whole-face check
    // never).
    let mut r = good.clone();
    let a = parse_rational(&r.faces[f].output[0][0]).unwrap() + 1u32;
    r.faces[f].output[0][0] = rational_string(&a);
    let e = verify(net, &r).unwrap_err();
    eprintln!("changed output: {e}");
    assert!(
        matches!(e, VerifyError::Face { face, .. } if face == f),
        "changed output: {e}"
    );

    // A changed constant term: caught at the centroid already.
    let mut r = good.clone();
    let c = parse_rational(&r.faces[0].output[0][2]).unwrap() + Rational::from((1, 3));
    r.faces[0].output[0][2] = rational_string(&c);
    assert!(matches!(
        verify(net, &r),
        Err(VerifyError::Face { face: 0, .. })
    ));

    // Two faces' vertex lists swapped: each face's pattern is then wrong.
    let mut r = good.clone();
    let (a, b) = (0, r.faces.len() - 1);
    let tmp = r.faces[a].vertices.clone();
    r.faces[a].vertices = r.faces[b].vertices.clone();
    r.faces[b].vertices = tmp;
    assert!(verify(net, &r).is_err());

    // A face's vertex list in clockwise order.
    let mut r = good.clone();
    r.faces[0].vertices.reverse();
    assert!(matches!(
        verify(net, &r),
        Err(VerifyError::Face { face: 0, .. })
    ));

    // An out-of-range vertex index.
    let mut r = good.clone();
    r.faces[0].vertices[0] = r.vertices.len();
    assert!(matches!(
        verify(net, &r),
        Err(VerifyError::Face { face: 0, .. })
    ));

    // A garbled number.
    let mut r = good.clone();
    r.vertices[0].exact[0] = "1/0".into();
    assert!(matches!(verify(net, &r), Err(VerifyError::Malformed(_))));

    // An edge pointing at the wrong face.
    let mut r = good.clone();
    let ei = r
        .edges
        .iter()
        .position(|e| e.left.is_some() && e.right.is_some())
        .unwrap();
    r.edges[ei].left = r.edges[ei].right;
    assert!(matches!(verify(net, &r), Err(VerifyError::Edge { .. })));

    // A removed boundary segment.
    let mut r = good.clone();
    if !r.boundary_segments.is_empty() {
        r.boundary_segments.pop();
        assert!(matches!(verify(net, &r), Err(VerifyError::Boundary(_))));
    }
}

/// The first edge between two faces with a label `pick` accepts.
fn inner_edge_with(r: &ResultFile, pick: impl Fn(&EdgeLabel) -> bool) -> usize {
    r.edges
        .iter()
        .position(|e| e.left.is_some() && e.right.is_some() && e.labels.iter().any(&pick))
        .expect("an inner edge with such a label")
}

/// `r` fails with an error about edge `edge` (returned as text).
fn edge_rejected(net: &Network, r: &ResultFile, edge: usize, why: &str) -> String {
    let e = verify(net, r).unwrap_err();
    eprintln!("{why}: {e}");
    assert!(
        matches!(e, VerifyError::Edge { edge: x, .. } if x == edge),
        "{why}: {e}"
    );
    e.to_string()
}

/// Edge labels must name a function of the model and boundary, once, that
/// is exactly 0 along the edge; anything else is rejected, naming the edge.
fn tampered_labels_are_rejected(net: &Network, good: &ResultFile) {
    let ei = inner_edge_with(good, |k| matches!(k, EdgeLabel::Neuron { .. }));
    let labels = &good.edges[ei].labels;
    let Some(&EdgeLabel::Neuron { layer, unit }) = labels
        .iter()
        .find(|k| matches!(k, EdgeLabel::Neuron { .. }))
    else {
        unreachable!()
    };
    let units = good.model.layers[layer].units;

    // A unit of the same layer whose pre-activation is not 0 along the edge
    // (in these generic networks, no other unit's line contains the edge).
    if let Some(other) =
        (0..units).find(|&u| !labels.contains(&EdgeLabel::Neuron { layer, unit: u }))
    {
        let fake = EdgeLabel::Neuron { layer, unit: other };
        let mut r = good.clone();
        r.edges[ei].labels.push(fake);
        let msg = edge_rejected(net, &r, ei, "a label that does not vanish");
        assert!(msg.contains("does not vanish"), "{msg}");
        assert!(
            msg.contains(&format!("neuron (layer {layer}, unit {other})")),
            "{msg}"
        );
        // In place of the true label.
        let mut r = good.clone();
        for k in &mut r.edges[ei].labels {
            if *k == (EdgeLabel::Neuron { layer, unit }) {
                *k = fake;
            }
        }
        edge_rejected(net, &r, ei, "a wrong label in place of the true one");
    }

    // Labels that name no function of the model or the boundary.
    let n_out = good.model.output_shape.iter().product::<usize>() as u32;
    let no_function = [
        EdgeLabel::Neuron {
            layer: 99,
            unit: 12345,
        },
        EdgeLabel::Neuron { layer, unit: units },
        EdgeLabel::Neuron {
            layer: good.model.layers.len(),
            unit: 0,
        },
        EdgeLabel::MaxPair {
            layer,
            unit,
            a: 0,
            b: 1,
        },
        EdgeLabel::OutputPair { a: 0, b: 0 },
        EdgeLabel::OutputPair { a: 0, b: n_out },
        EdgeLabel::Level { output: n_out },
    ];
    for fake in no_function {
        let mut r = good.clone();
        r.edges[ei].labels.push(fake);
        let msg = edge_rejected(net, &r, ei, "a label of no function");
        assert!(msg.contains("names no function"), "{msg}");
    }

    // A label listed twice.
    let mut r = good.clone();
    r.edges[ei].labels.push(EdgeLabel::Neuron { layer, unit });
    let msg = edge_rejected(net, &r, ei, "a repeated label");
    assert!(msg.contains("twice"), "{msg}");

    // A level label on an edge off the boundary: the output is not the
    // level along it (or there is no level set in this file).
    let ej = good
        .edges
        .iter()
        .position(|e| e.left.is_some() && e.right.is_some() && !e.boundary)
        .expect("an inner edge off the boundary");
    let mut r = good.clone();
    r.edges[ej].labels.push(EdgeLabel::Level { output: 0 });
    edge_rejected(net, &r, ej, "a level label off the boundary");
}

/// A vertex that is no face's corner is rejected (even with the vertex
/// count of the statistics raised to match).
fn unused_vertex_is_rejected(net: &Network, good: &ResultFile) {
    let mut r = good.clone();
    let far = good
        .vertices
        .iter()
        .map(|v| parse_rational(&v.exact[0]).unwrap())
        .max()
        .unwrap()
        + 1u32;
    r.vertices.push(VertexRecord {
        x: far.to_f64(),
        y: 0.0,
        exact: [rational_string(&far), "0/1".into()],
    });
    r.statistics["vertices"] = serde_json::json!(r.vertices.len());
    let e = verify(net, &r).unwrap_err();
    eprintln!("unused vertex: {e}");
    assert!(
        matches!(e, VerifyError::Vertex { vertex, .. } if vertex == good.vertices.len()),
        "unused vertex: {e}"
    );
}

/// The statistics must have every field and no other, and their counts
/// and exact values must be the file's.
fn tampered_statistics_are_rejected(net: &Network, good: &ResultFile) {
    let rejected = |r: &ResultFile, field: &str| {
        let e = verify(net, r).unwrap_err();
        eprintln!("statistics.{field}: {e}");
        assert!(
            matches!(&e, VerifyError::Statistics(m) if m.contains(field)),
            "statistics.{field}: {e}"
        );
    };
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut r = good.clone();
        f(&mut r.statistics);
        r
    };

    rejected(&with(&|s| s["regions"] = serde_json::json!(999)), "regions");
    rejected(
        &with(&|s| *s = serde_json::json!({})),
        "missing field `regions`",
    );
    for field in [
        "regions",
        "activation_regions",
        "linear_pieces",
        "vertices",
        "edges",
        "adjacencies",
        "boundary_pieces",
        "regions_touching_boundary",
    ] {
        rejected(
            &with(&|s| s[field] = serde_json::json!(s[field].as_u64().unwrap() + 1)),
            field,
        );
        rejected(
            &with(&|s| {
                s.as_object_mut().unwrap().remove(field);
            }),
            field,
        );
    }
    rejected(
        &with(&|s| {
            let l = s["regions_per_layer"].as_array_mut().unwrap();
            let last = l.last().unwrap().as_u64().unwrap();
            *l.last_mut().unwrap() = serde_json::json!(last + 1);
        }),
        "regions_per_layer",
    );
    rejected(
        &with(&|s| {
            s["regions_per_layer"]
                .as_array_mut()
                .unwrap()
                .push(1.into())
        }),
        "regions_per_layer",
    );
    rejected(
        &with(&|s| {
            let a = parse_rational(s["total_area_exact"].as_str().unwrap()).unwrap() + 1u32;
            s["total_area_exact"] = serde_json::json!(rational_string(&a));
        }),
        "total_area_exact",
    );
    for field in [
        "area_factor",
        "total_area",
        "total_area_input",
        "density",
        "mean_vertices_per_region",
        "area_input_mean",
        "area_input_std",
    ] {
        rejected(
            &with(&|s| s[field] = serde_json::json!(s[field].as_f64().unwrap() * 2.0 + 1.0)),
            field,
        );
    }
    rejected(&with(&|s| s["bogus"] = serde_json::json!(1)), "bogus");
    rejected(
        &with(&|s| s["regions"] = serde_json::json!("many")),
        "invalid type",
    );
    // The shape measurements are informative (measured on the engine's f64
    // vertex positions, which the file does not hold): not checked.
    let r = with(&|s| {
        s["eccentricity_mean"] = serde_json::json!(s["eccentricity_mean"].as_f64().unwrap() + 1.0)
    });
    verify(net, &r).unwrap();
}

#[test]
fn small_network_verifies_and_round_trips() {
    for boundary in [Boundary::None, Boundary::Auto, Boundary::Argmin] {
        let (net, r) = small(boundary);
        let rep = verify(&net, &r).unwrap();
        eprintln!("{boundary:?}: {rep}");
        assert_eq!(rep.faces, r.faces.len());
        assert_eq!(rep.total_area, "4/1");
        if boundary == Boundary::None {
            assert_eq!(rep.faces, 7);
            assert!(r.faces.iter().all(|f| f.class.is_none()));
        }
        let text = r.to_json_pretty().unwrap();
        assert_eq!(ResultFile::from_json_str(&text).unwrap(), r);
    }
}

#[test]
fn small_network_json_shape() {
    let (_, r) = small(Boundary::Auto);
    let v: serde_json::Value = serde_json::from_str(&r.to_json_pretty().unwrap()).unwrap();
    assert_eq!(v["format"], "splinecam-result");
    assert_eq!(v["version"], 1);
    assert_eq!(v["model"]["input_shape"], serde_json::json!([2]));
    assert_eq!(v["model"]["layers"][0]["units"], 3);
    assert_eq!(v["slice"]["polygon"][0].as_array().unwrap().len(), 2);
    assert_eq!(
        v["boundary"],
        serde_json::json!({"level": {"output": 0, "value": 0.0}})
    );
    let f = &v["faces"][0];
    assert!(f["area"].as_str().unwrap().contains('/'));
    assert_eq!(f["output"][0].as_array().unwrap().len(), 3);
    let e = &v["edges"][0];
    assert!(e["labels"].is_array() && e["boundary"].is_boolean());
    let labelled = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["labels"].as_array().unwrap().clone())
        .collect::<Vec<_>>();
    assert!(labelled.iter().any(|l| l["kind"] == "neuron"));
    assert!(labelled.iter().any(|l| l["kind"] == "level"));
    assert!(!v["boundary_segments"].as_array().unwrap().is_empty());
    assert!(v["statistics"]["regions"].is_u64());
    // Argmin on one output: a plain string.
    let (_, r) = small(Boundary::Argmin);
    let v: serde_json::Value = serde_json::from_str(&r.to_json_pretty().unwrap()).unwrap();
    assert_eq!(v["boundary"], "argmin");
}

#[test]
fn small_network_tampering_is_rejected() {
    let (net, r) = small(Boundary::Auto);
    tampered_are_rejected(&net, &r);
}

#[test]
fn edge_labels_must_name_a_function_that_vanishes_on_the_edge() {
    for boundary in [Boundary::Auto, Boundary::Argmin, Boundary::None] {
        let (net, r) = small(boundary);
        tampered_labels_are_rejected(&net, &r);
    }
}

#[test]
fn a_vertex_of_no_face_is_rejected() {
    for boundary in [Boundary::Auto, Boundary::None] {
        let (net, r) = small(boundary);
        unused_vertex_is_rejected(&net, &r);
    }
}

#[test]
fn statistics_must_match_the_file() {
    for boundary in [Boundary::Auto, Boundary::Argmin, Boundary::None] {
        let (net, r) = small(boundary);
        tampered_statistics_are_rejected(&net, &r);
    }
}

#[test]
fn maxout_argmax_result_verifies_and_its_labels_are_checked() {
    for boundary in [Boundary::None, Boundary::Argmax, Boundary::Argmin] {
        let (net, r) = maxout(boundary);
        let rep = verify(&net, &r).unwrap();
        eprintln!("maxout {boundary:?}: {rep}");
        assert!(rep.label_conditions > 0);
    }
    let (net, good) = maxout(Boundary::Argmax);
    unused_vertex_is_rejected(&net, &good);
    tampered_statistics_are_rejected(&net, &good);

    // A max_pair label of the other unit, or with a candidate out of range.
    let ei = inner_edge_with(&good, |k| matches!(k, EdgeLabel::MaxPair { .. }));
    let Some(&EdgeLabel::MaxPair { layer, unit, a, b }) = good.edges[ei]
        .labels
        .iter()
        .find(|k| matches!(k, EdgeLabel::MaxPair { .. }))
    else {
        unreachable!()
    };
    let mut r = good.clone();
    r.edges[ei].labels.push(EdgeLabel::MaxPair {
        layer,
        unit: 1 - unit,
        a,
        b,
    });
    let msg = edge_rejected(&net, &r, ei, "max_pair of the other unit");
    assert!(msg.contains("does not vanish"), "{msg}");
    for fake in [
        EdgeLabel::MaxPair {
            layer,
            unit,
            a: 2,
            b,
        },
        EdgeLabel::MaxPair {
            layer,
            unit: 2,
            a,
            b,
        },
        EdgeLabel::Neuron { layer, unit },
        EdgeLabel::Level { output: 0 },
    ] {
        let mut r = good.clone();
        r.edges[ei].labels.push(fake);
        let msg = edge_rejected(&net, &r, ei, "a label of no function");
        assert!(msg.contains("names no function"), "{msg}");
    }

    // An output_pair label naming the third output instead of one of the
    // two that are equal along the edge.
    let ej = inner_edge_with(&good, |k| matches!(k, EdgeLabel::OutputPair { .. }));
    let mut r = good.clone();
    for k in &mut r.edges[ej].labels {
        if let EdgeLabel::OutputPair { a, b } = *k {
            let c = 3 - a - b;
            *k = EdgeLabel::OutputPair { a, b: c };
        }
    }
    let msg = edge_rejected(&net, &r, ej, "output_pair of another output");
    assert!(msg.contains("does not vanish"), "{msg}");
}

#[test]
fn write_read_and_version_check() {
    let (net, r) = small(Boundary::Auto);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("result.json");
    r.write(&path).unwrap();
    let back = ResultFile::read(&path).unwrap();
    assert_eq!(back, r);
    verify(&net, &back).unwrap();
    // Only the file itself in the directory (no temporary left).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let text = std::fs::read_to_string(&path).unwrap();
    let newer = text.replacen("\"version\": 1", "\"version\": 2", 1);
    std::fs::write(&path, newer).unwrap();
    let e = ResultFile::read(&path).unwrap_err();
    assert!(matches!(e, OutputError::Version { .. }), "{e}");
    assert!(e.to_string().contains("version 2"), "{e}");

    let other = text.replacen("splinecam-result", "splinecam-model", 1);
    let e = ResultFile::from_json_str(&other).unwrap_err();
    assert!(matches!(e, OutputError::Format { .. }), "{e}");
    assert!(matches!(
        ResultFile::from_json_str("{\"format\": \"splinecam-result\", \"version\": 1}"),
        Err(OutputError::Json { .. })
    ));
    assert!(matches!(
        ResultFile::from_json_str("not json"),
        Err(OutputError::Json { .. })
    ));
    assert!(matches!(
        ResultFile::read(dir.path().join("missing.json")),
        Err(OutputError::Io { .. })
    ));
}

#[test]
fn result_of_another_model_is_refused() {
    let (_, r) = small(Boundary::Auto);
    let other = json::from_str(
        r#"{"format":"splinecam-model","version":1,"input_shape":[2],
  "ops":[{"op":"dense","weight":[[1,0],[0,1]],"bias":[0,0]},{"op":"relu"},
         {"op":"dense","weight":[[1,-1]],"bias":[-0.25]}]}"#,
    )
    .unwrap();
    assert!(matches!(verify(&other, &r), Err(VerifyError::Model(_))));
    // Same shapes, other weights: the patterns or maps disagree.
    let reweighted = json::from_str(&SMALL.replace("-0.25", "-0.125")).unwrap();
    assert!(verify(&reweighted, &r).is_err());
}

#[test]
fn acasxu_result_verifies_and_tampering_is_rejected() {
    let Some((net, r)) = acasxu() else { return };
    let rep = verify(&net, &r).unwrap();
    eprintln!("acasxu prop_3 (0, 2): {rep}");
    assert_eq!(rep.faces, 64);
    assert!(rep.boundary_segments > 0);
    let back = ResultFile::from_json_str(&r.to_json_pretty().unwrap()).unwrap();
    assert_eq!(back, r);
    tampered_are_rejected(&net, &r);
    tampered_labels_are_rejected(&net, &r);
    unused_vertex_is_rejected(&net, &r);
    tampered_statistics_are_rejected(&net, &r);
}
