//! End-to-end tests of the `splinecam` binary: `demo`, `info`, `stats` and
//! the error paths (one line on stderr, non-zero exit, no panic). The other
//! subcommands are in `cli_workflow.rs`.

mod cli_common;

use cli_common::{assert_clean_failure, run, stderr, stdout, BIN};
use std::path::Path;
use std::process::Command;

const ACAS_MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/models/acasxu/ACASXU_run2a_1_1_batch_2000.onnx"
);
const ACAS_PROP3: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/models/acasxu/prop_3.vnnlib"
);
const TOY_MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/models/two_moons.json"
);

/// The shared real models are not part of the repository; skip (loudly)
/// where they are absent.
fn have_shared_models() -> bool {
    let ok = Path::new(ACAS_MODEL).exists() && Path::new(ACAS_PROP3).exists();
    if !ok {
        eprintln!("skipping: ../shared/models/acasxu is not present");
    }
    ok
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

#[test]
fn demo_writes_results_pictures_and_samples() {
    let dir = temp_dir();
    let out = dir.path().join("nested").join("demo");
    // Run from the temporary folder: models and images are embedded in the binary.
    let o = Command::new(BIN)
        .args(["demo", "--out"])
        .arg(&out)
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert!(o.status.success(), "demo failed: {}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("1. two moons"), "{text}");
    assert!(text.contains("2. digits"), "{text}");
    assert_eq!(text.matches("verified independently").count(), 2, "{text}");
    assert!(text.contains("sign tests:"), "{text}");

    let moons = out.join("two_moons");
    let path = moons.join("metrics.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("metrics.json written"))
            .expect("metrics.json is valid JSON");
    assert_eq!(json["regions"], 365);
    assert_eq!(json["boundary_pieces"], 1);
    assert_eq!(json["total_area_exact"], "10/1");
    let mut names: Vec<String> = std::fs::read_dir(&moons)
        .expect("listing")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // Every file complete, no temporary file left next to them.
    assert_eq!(
        names,
        [
            "boundary_samples",
            "metrics.json",
            "partition.png",
            "partition.svg",
            "result.json",
            "slope.png",
            "slope.svg"
        ]
    );
    let digits = out.join("digits");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(digits.join("metrics.json")).expect("digits metrics"),
    )
    .expect("JSON");
    assert_eq!(json["regions"], 614);
    for f in [
        "result.json",
        "partition.png",
        "boundary_samples/samples.npy",
        "boundary_samples/montage.png",
    ] {
        assert!(digits.join(f).is_file(), "{f} missing");
    }

    // A second run replaces the files with the same content.
    let o2 = run(&["demo", "--out", out.to_str().expect("utf-8 path")]);
    assert!(o2.status.success(), "{}", stderr(&o2));
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("valid JSON");
    assert_eq!(again["regions"], 365);
}

#[test]
fn info_lists_relu_layers_of_acasxu() {
    if !have_shared_models() {
        return;
    }
    let o = run(&["info", ACAS_MODEL]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("input shape: [1, 1, 1, 5]"), "{text}");
    assert!(text.contains("output shape: [1, 5]"), "{text}");
    assert!(text.contains("activation layers: 6"), "{text}");
    let relu_layers = text
        .lines()
        .filter(|l| l.trim_start().starts_with("layer ") && l.contains("(relu): 50 neurons"))
        .count();
    assert_eq!(relu_layers, 6, "{text}");
    assert!(text.contains("dense"), "{text}");
}

#[test]
fn info_on_the_toy_json_model() {
    let o = run(&["info", TOY_MODEL]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("activation layers: 2"), "{text}");
    assert!(text.contains("total: 32"), "{text}");
    assert!(text.contains("Sigmoid"), "{text}");
}

#[test]
fn stats_vnnlib_face_argmin_json() {
    if !have_shared_models() {
        return;
    }
    let o = run(&[
        "stats",
        ACAS_MODEL,
        "--vnnlib-box",
        ACAS_PROP3,
        "--dims",
        "0,2",
        "--boundary",
        "argmin",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&o)).expect("stdout is one JSON object");
    assert_eq!(json["regions"], 64);
    assert_eq!(json["activation_regions"], 55);
    // Not a terminal: no progress bar on stderr.
    assert_eq!(stderr(&o), "");
}

#[test]
fn stats_box_csv_and_through_json_points() {
    let o = run(&[
        "stats",
        TOY_MODEL,
        "--box=-1.5,2.5,-1,1.5",
        "--format",
        "csv",
        "--validate",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("regions,"), "{text}");

    let dir = temp_dir();
    let mut pts = Vec::new();
    for (name, p) in [("a", "[0, 0]"), ("b", "[1, 0]"), ("c", "[0, 1]")] {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, p).expect("write point");
        pts.push(path.to_str().expect("utf-8 path").to_owned());
    }
    let o = run(&[
        "stats",
        TOY_MODEL,
        "--through",
        &pts[0],
        &pts[1],
        &pts[2],
        "--margin",
        "0.5",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    // The triangle (0,0), (1,0), (0,1) grown by 1.5: area 9/8.
    assert_eq!(json["total_area_exact"], "9/8");
    assert!(json["regions"].as_u64().expect("count") > 1);
}

#[test]
fn missing_model_file() {
    let o = run(&["info", "/nonexistent/model.onnx"]);
    assert_clean_failure(&o, "/nonexistent/model.onnx");
    let o = run(&["stats", "/nonexistent/model.json", "--box", "0,1,0,1"]);
    assert_clean_failure(&o, "/nonexistent/model.json");
}

#[test]
fn bad_box() {
    // x0 >= x1.
    let o = run(&["stats", TOY_MODEL, "--box", "1,0,0,1"]);
    assert_clean_failure(&o, "x0");
    // Not four numbers.
    let o = run(&["stats", TOY_MODEL, "--box", "0,1,zero,1"]);
    assert_clean_failure(&o, "--box");
    let o = run(&["stats", TOY_MODEL, "--box", "0,1,0"]);
    assert_clean_failure(&o, "--box");
}

#[test]
fn unknown_boundary() {
    let o = run(&[
        "stats",
        TOY_MODEL,
        "--box",
        "0,1,0,1",
        "--boundary",
        "sideways",
    ]);
    assert_clean_failure(&o, "sideways");
}

#[test]
fn missing_slice_and_conflicting_slices() {
    let o = run(&["stats", TOY_MODEL]);
    assert_clean_failure(&o, "--box");
    let o = run(&[
        "stats",
        TOY_MODEL,
        "--box",
        "0,1,0,1",
        "--vnnlib-box",
        "x.vnnlib",
        "--dims",
        "0,1",
    ]);
    assert_clean_failure(&o, "cannot be used with");
}

#[test]
fn corrupt_model_files() {
    let dir = temp_dir();
    // Deterministic garbage bytes.
    let mut s: u32 = 0x1234_5678;
    let bytes: Vec<u8> = (0..512)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s >> 24) as u8
        })
        .collect();
    let onnx = dir.path().join("garbage.onnx");
    std::fs::write(&onnx, &bytes).expect("write");
    let onnx = onnx.to_str().expect("utf-8 path");
    let o = run(&["info", onnx]);
    assert_clean_failure(&o, "garbage.onnx");
    let o = run(&["stats", onnx, "--box", "0,1,0,1"]);
    assert_clean_failure(&o, "garbage.onnx");

    let json = dir.path().join("bad.json");
    std::fs::write(
        &json,
        "{\"format\": \"splinecam-model\", \"version\": 1, \"ops\": [",
    )
    .expect("write");
    let o = run(&["info", json.to_str().expect("utf-8 path")]);
    assert_clean_failure(&o, "bad.json");
}

#[test]
fn wrong_input_count_for_a_box() {
    if !have_shared_models() {
        return;
    }
    let o = run(&["stats", ACAS_MODEL, "--box", "0,1,0,1"]);
    assert_clean_failure(&o, "2 inputs");
    let o = run(&[
        "stats",
        ACAS_MODEL,
        "--vnnlib-box",
        ACAS_PROP3,
        "--dims",
        "0,7",
    ]);
    assert_clean_failure(&o, "dims");
}

#[test]
fn region_limit() {
    let o = run(&[
        "stats",
        TOY_MODEL,
        "--box=-1.5,2.5,-1,1.5",
        "--max-regions",
        "10",
    ]);
    assert_clean_failure(&o, "--max-regions");
}

#[test]
fn info_on_unsupported_models_names_node_and_op() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/net");
    for (file, node, op) in [
        ("bad_tanh_middle.onnx", "'act1'", "(Tanh)"),
        ("bad_unsupported_op.onnx", "'clip1'", "(Clip)"),
    ] {
        let o = run(&["info", &format!("{fixtures}/{file}")]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert_clean_failure(&o, node);
        assert!(stderr(&o).contains(op), "{}", stderr(&o));
    }
}

#[test]
fn demo_out_is_a_file() {
    let dir = temp_dir();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").expect("write");
    let o = run(&["demo", "--out", file.to_str().expect("utf-8 path")]);
    assert_clean_failure(&o, "not-a-folder");
}
