//! End-to-end tests of the researcher's workflow through the binary:
//! `partition` (result JSON + pictures), `verify` (good and tampered
//! results), `sample` (boundary and per-region points as .npy, montage),
//! `compare`, the shared slice options, `--threads`, and their error paths.

mod cli_common;

use cli_common::{assert_clean_failure, ok, run};
use std::path::{Path, PathBuf};
use std::process::Output;

use ndarray::ArrayD;
use ndarray_npy::ReadNpyExt;
use resvg::tiny_skia::Pixmap;
use resvg::usvg;

const TOY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/models/two_moons.json"
);
const DIGITS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/models/digits_mlp.json"
);
const IMAGES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/images");

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn image(name: &str) -> String {
    format!("{IMAGES}/{name}")
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("file written")).expect("valid JSON")
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("listing")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn partition_writes_result_and_pictures_that_verify() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let text = ok(&run(&[
        "partition",
        TOY,
        "--box=-1.5,2.5,-1,1.5",
        "--out",
        s(&out),
        "--size",
        "320x240",
        "--fill",
        "slope",
        "--validate",
    ]));
    assert!(text.contains("365 regions"), "{text}");
    assert_eq!(
        files_in(&out),
        ["partition.png", "partition.svg", "result.json"]
    );
    let result = read_json(&out.join("result.json"));
    assert_eq!(result["format"], "splinecam-result");
    assert_eq!(result["faces"].as_array().expect("faces").len(), 365);
    assert!(!result["boundary_segments"]
        .as_array()
        .expect("segments")
        .is_empty());

    // The SVG parses; the PNG decodes at the requested size.
    let svg = std::fs::read_to_string(out.join("partition.svg")).expect("svg");
    let tree = usvg::Tree::from_str(&svg, &usvg::Options::default()).expect("SVG parses");
    assert!(tree.size().width() > 0.0);
    let png = Pixmap::decode_png(&std::fs::read(out.join("partition.png")).expect("png"))
        .expect("PNG decodes");
    assert_eq!((png.width(), png.height()), (320, 240));

    let text = ok(&run(&["verify", TOY, s(&out.join("result.json"))]));
    assert!(text.contains("verified: 365 faces"), "{text}");
}

/// Writes `value` as `name` in `dir` and runs `verify` on it.
fn verify_tampered(dir: &Path, name: &str, value: &serde_json::Value) -> Output {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(value).expect("JSON")).expect("write");
    run(&["verify", TOY, s(&path)])
}

#[test]
fn verify_rejects_tampered_results() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    ok(&run(&[
        "partition",
        TOY,
        "--box=-1.5,2.5,-1,1.5",
        "--no-pictures",
        "--out",
        s(&out),
    ]));
    let good = read_json(&out.join("result.json"));

    // A moved vertex (the last one, by a tiny exact amount).
    let mut bad = good.clone();
    let verts = bad["vertices"].as_array_mut().expect("vertices");
    let k = verts.len() - 1;
    let x: rug::Rational = verts[k]["exact"][0]
        .as_str()
        .expect("exact")
        .parse()
        .expect("p/q");
    let moved = x + rug::Rational::from((1, 1_000_000));
    verts[k]["exact"][0] = serde_json::Value::String(moved.to_string());
    let o = verify_tampered(dir.path(), "moved.json", &bad);
    assert_clean_failure(&o, "does NOT verify");

    // A flipped pattern bit.
    let mut bad = good.clone();
    let bit = &mut bad["faces"][0]["pattern"][0][0];
    let flipped = 1 - bit.as_u64().expect("bit");
    *bit = serde_json::Value::from(flipped);
    let o = verify_tampered(dir.path(), "flipped.json", &bad);
    assert_clean_failure(&o, "does NOT verify");

    // A dropped face.
    let mut bad = good.clone();
    bad["faces"].as_array_mut().expect("faces").pop();
    let o = verify_tampered(dir.path(), "dropped.json", &bad);
    assert_clean_failure(&o, "does NOT verify");

    // The untouched file still verifies; another model does not.
    let o = verify_tampered(dir.path(), "good.json", &good);
    ok(&o);
    let o = run(&["verify", DIGITS, s(&dir.path().join("good.json"))]);
    assert_clean_failure(&o, "does NOT verify");
    // Not a result file at all.
    let o = run(&["verify", TOY, TOY]);
    assert_clean_failure(&o, "two_moons.json");
}

#[test]
fn sample_boundary_points_lie_on_the_boundary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("samples");
    let text = ok(&run(&[
        "sample",
        TOY,
        "--box=-1.5,2.5,-1,1.5",
        "--boundary",
        "50",
        "--sample-seed",
        "3",
        "--out",
        s(&out),
    ]));
    assert!(text.contains("50 boundary sample(s)"), "{text}");
    // A 2-input model: no montage.
    assert_eq!(files_in(&out), ["samples.json", "samples.npy"]);
    let pts = ArrayD::<f64>::read_npy(std::fs::File::open(out.join("samples.npy")).expect("npy"))
        .expect("a float64 .npy");
    assert_eq!(pts.shape(), &[50, 2]);
    // The logit (the two-moons model's single output) vanishes there.
    let net = splinecam::net::json::from_path(TOY).expect("model");
    for row in pts.outer_iter() {
        let x: Vec<f64> = row.iter().copied().collect();
        let logit = net.forward_f64(&x).expect("forward").0[0];
        assert!(logit.abs() < 1e-9, "logit {logit} at {x:?}");
    }
    // Seeded: the same seed gives the same points, another seed others.
    let again = dir.path().join("again");
    ok(&run(&[
        "sample",
        TOY,
        "--box=-1.5,2.5,-1,1.5",
        "--boundary",
        "50",
        "--sample-seed",
        "3",
        "--out",
        s(&again),
        "--quiet",
    ]));
    assert_eq!(
        std::fs::read(out.join("samples.npy")).expect("a"),
        std::fs::read(again.join("samples.npy")).expect("b")
    );
}

#[test]
fn sample_regions_of_the_digits_plane_with_montage() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("regions");
    let (a, b, c) = (
        image("digit0.npy"),
        image("digit3.npy"),
        image("digit7.npy"),
    );
    let text = ok(&run(&[
        "sample",
        DIGITS,
        "--through",
        &a,
        &b,
        &c,
        "--regions",
        "--out",
        s(&out),
    ]));
    assert!(
        text.contains("290 regions; 290 regions sample(s)"),
        "{text}"
    );
    assert_eq!(
        files_in(&out),
        ["montage.png", "samples.json", "samples.npy"]
    );
    let pts = ArrayD::<f64>::read_npy(std::fs::File::open(out.join("samples.npy")).expect("npy"))
        .expect("float64");
    assert_eq!(pts.shape(), &[290, 1, 8, 8]);
    let meta = read_json(&out.join("samples.json"));
    assert_eq!(meta["what"], "regions");
    assert_eq!(meta["points"].as_array().expect("points").len(), 290);
    // The recorded class of each region is the network's argmax at its point.
    let net = splinecam::net::json::from_path(DIGITS).expect("model");
    for (row, rec) in pts
        .outer_iter()
        .zip(meta["points"].as_array().expect("points"))
    {
        let x: Vec<f64> = row.iter().copied().collect();
        let (y, _) = net.forward_f64(&x).expect("forward");
        let argmax = (0..y.len())
            .max_by(|&i, &j| y[i].total_cmp(&y[j]))
            .expect("outputs");
        assert_eq!(rec["classes"][0].as_u64(), Some(argmax as u64));
    }
    Pixmap::decode_png(&std::fs::read(out.join("montage.png")).expect("png")).expect("decodes");
}

#[test]
fn slice_options_square_around_polygon_and_threads() {
    // A square around one image and a rectangle through two.
    let a = image("digit0.npy");
    let b = image("digit3.npy");
    let stats = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["stats", DIGITS, "--format", "json"];
        args.extend_from_slice(extra);
        serde_json::from_str(&ok(&run(&args))).expect("JSON")
    };
    let one = stats(&["--square-around", &a, "--pad", "0.5", "--seed", "1"]);
    assert_eq!(one["total_area_exact"], "1/1");
    let two = stats(&["--square-around", &a, &b, "--pad", "0.25"]);
    // [-0.25, 1.25] x [-0.75, 0.75].
    assert_eq!(two["total_area_exact"], "9/4");
    // Threads do not change the result.
    let t1 = stats(&[
        "--threads",
        "1",
        "--square-around",
        &a,
        "--pad",
        "0.5",
        "--seed",
        "1",
    ]);
    let t2 = stats(&[
        "--threads",
        "2",
        "--square-around",
        &a,
        "--pad",
        "0.5",
        "--seed",
        "1",
    ]);
    assert_eq!(t1, t2);
    assert_eq!(t1, one);

    // A polygon of a 2-input network's plane.
    let m = serde_json::from_str::<serde_json::Value>(&ok(&run(&[
        "stats",
        TOY,
        "--polygon",
        "0,0 2,0 0,2",
        "--format",
        "json",
    ])))
    .expect("JSON");
    assert_eq!(m["total_area_exact"], "2/1");
    // A window of another slice's plane.
    let m = serde_json::from_str::<serde_json::Value>(&ok(&run(&[
        "stats",
        DIGITS,
        "--through",
        &a,
        &b,
        &image("digit7.npy"),
        "--window",
        "-0.25,-0.25 0.25,-0.25 0,0.25",
        "--format",
        "json",
    ])))
    .expect("JSON");
    assert_eq!(m["total_area_exact"], "1/8");
    // Non-convex.
    let o = run(&["stats", TOY, "--polygon", "0,0 2,0 1,0.1 2,2"]);
    assert_clean_failure(&o, "convex");
    // Polygon on a 64-input network needs --plane.
    let o = run(&["stats", DIGITS, "--polygon", "0,0 1,0 0,1"]);
    assert_clean_failure(&o, "--plane");
    let c = image("digit7.npy");
    let m: serde_json::Value = serde_json::from_str(&ok(&run(&[
        "stats",
        DIGITS,
        "--polygon",
        "0,0 1,0 0,1",
        "--plane",
        &a,
        &b,
        &c,
        "--format",
        "json",
        "--boundary",
        "none",
    ])))
    .expect("JSON");
    assert_eq!(m["total_area_exact"], "1/2");
}

#[test]
fn compare_two_models_over_random_slices() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A second model: the digits model with its last layer's biases moved.
    let mut model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DIGITS).expect("model")).expect("JSON");
    let ops = model["ops"].as_array_mut().expect("ops");
    let last = ops
        .iter_mut()
        .rev()
        .find(|o| o["op"] == "dense")
        .expect("a dense op");
    for b in last["bias"].as_array_mut().expect("bias") {
        *b = serde_json::Value::from(b.as_f64().expect("number") + 0.5);
    }
    let other = dir.path().join("shifted.json");
    std::fs::write(&other, model.to_string()).expect("write");
    let (a, b, c) = (
        image("digit0.npy"),
        image("digit3.npy"),
        image("digit7.npy"),
    );
    let text = ok(&run(&[
        "compare",
        DIGITS,
        s(&other),
        "--slices",
        "3",
        "--seed",
        "5",
        "--samples",
        &a,
        &b,
        &c,
        "--quiet",
    ]));
    assert!(
        text.contains("| metric | digits_mlp.json | shifted.json |"),
        "{text}"
    );
    let regions = text
        .lines()
        .find(|l| l.starts_with("| regions |"))
        .expect("a regions row");
    // Three triples of three samples are the same plane (the triangle's
    // corners permuted): zero spread.
    assert!(regions.contains("± 0 |"), "{regions}");
    // Activation regions do not depend on the output biases.
    let act = text
        .lines()
        .find(|l| l.starts_with("| activation_regions |"))
        .expect("row");
    let cells: Vec<&str> = act.split('|').map(str::trim).collect();
    assert_eq!(cells[2], cells[3], "{act}");

    // CSV, random squares around a point.
    let csv = ok(&run(&[
        "compare", DIGITS, "--slices", "2", "--around", &a, "--pad", "0.3", "--format", "csv",
    ]));
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("model,metric,slices,mean,std,min,max"));
    let row = lines
        .find(|l| l.starts_with("digits_mlp.json,total_area,"))
        .expect("a total_area row");
    // Two squares of side 0.6: area 0.36 each, no spread.
    let f: Vec<&str> = row.split(',').collect();
    assert_eq!(f[2], "2");
    assert!(
        (f[3].parse::<f64>().expect("mean") - 0.36).abs() < 1e-12,
        "{row}"
    );

    // Too few samples; models with different input shapes.
    let o = run(&["compare", DIGITS, "--samples", &a]);
    assert_clean_failure(&o, "at least 3");
    let o = run(&["compare", DIGITS, TOY, "--box", "0,1,0,1"]);
    assert_clean_failure(&o, "input shape");
}

#[test]
fn workflow_error_paths() {
    let dir = tempfile::tempdir().expect("temp dir");
    // No boundary to sample.
    let o = run(&[
        "sample",
        TOY,
        "--box",
        "0,1,0,1",
        "--boundary",
        "5",
        "--kind",
        "none",
        "--out",
        s(&dir.path().join("x")),
    ]);
    assert_clean_failure(&o, "no decision boundary");
    // --boundary and --regions together, or neither.
    let o = run(&[
        "sample",
        TOY,
        "--box",
        "0,1,0,1",
        "--boundary",
        "5",
        "--regions",
    ]);
    assert_clean_failure(&o, "cannot be used with");
    let o = run(&["sample", TOY, "--box", "0,1,0,1"]);
    assert_clean_failure(&o, "--boundary");
    // A .npy of the wrong size for the model.
    let bad: PathBuf = dir.path().join("bad.npy");
    splinecam::io::npy::write_points(&bad, &[vec![1.0, 2.0, 3.0]], &[3]).expect("write");
    let a = image("digit0.npy");
    let o = run(&["stats", DIGITS, "--through", s(&bad), &a, &a]);
    assert_clean_failure(&o, "bad.npy");
    // A corrupt .npy.
    let corrupt = dir.path().join("corrupt.npy");
    std::fs::write(&corrupt, b"\x93NUMPY garbage").expect("write");
    let o = run(&["stats", DIGITS, "--square-around", s(&corrupt)]);
    assert_clean_failure(&o, "corrupt.npy");
    // Collinear points.
    let o = run(&["stats", DIGITS, "--through", &a, &a, &image("digit3.npy")]);
    assert_clean_failure(&o, "same point");
    // Bad picture size; zero threads; level without a value.
    let o = run(&["partition", TOY, "--box", "0,1,0,1", "--size", "0x10"]);
    assert_clean_failure(&o, "--size");
    let o = run(&["--threads", "0", "stats", TOY, "--box", "0,1,0,1"]);
    assert_clean_failure(&o, "--threads");
    let o = run(&["stats", TOY, "--box", "0,1,0,1", "--boundary", "level"]);
    assert_clean_failure(&o, "--level");
    // --max-regions stops cleanly.
    let o = run(&[
        "partition",
        TOY,
        "--box=-1.5,2.5,-1,1.5",
        "--max-regions",
        "10",
        "--out",
        s(&dir.path().join("y")),
    ]);
    assert_clean_failure(&o, "--max-regions");
    assert!(!dir.path().join("y").exists(), "nothing written on failure");
}

#[test]
fn level_set_of_a_regression_output() {
    // Level sets of the two-moons logit, as for a regression output.
    let level = |c: &str| -> serde_json::Value {
        serde_json::from_str(&ok(&run(&[
            "stats",
            TOY,
            "--box=-1.5,2.5,-1,1.5",
            "--boundary",
            "level",
            "--level",
            c,
            "--format",
            "json",
        ])))
        .expect("JSON")
    };
    let zero = level("0");
    let one = level("1");
    // The zero level is the decision boundary of the default run.
    let auto: serde_json::Value = serde_json::from_str(&ok(&run(&[
        "stats",
        TOY,
        "--box=-1.5,2.5,-1,1.5",
        "--format",
        "json",
    ])))
    .expect("JSON");
    assert_eq!(zero, auto);
    assert!(one["boundary_pieces"].as_u64().expect("count") >= 1);
    assert_ne!(one["boundary_length"], zero["boundary_length"]);
    // A level of an output the model does not have.
    let o = run(&[
        "stats",
        TOY,
        "--box",
        "0,1,0,1",
        "--boundary",
        "level",
        "--level",
        "1",
        "--level-output",
        "3",
    ]);
    assert_clean_failure(&o, "output 3");
}
