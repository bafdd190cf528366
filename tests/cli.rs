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

/// A 3-input model and a VNN-LIB box for it, in `dir`.
fn three_input_model(dir: &Path) -> String {
    let path = dir.join("three.json");
    std::fs::write(
        &path,
        r#"{"format": "splinecam-model", "version": 1, "input_shape": [3], "ops": [
            {"op": "dense", "weight": [[1, -1, 1], [1, 1, 1]]}, {"op": "relu"},
            {"op": "dense", "weight": [[1, -1]]}]}"#,
    )
    .expect("write model");
    path.to_str().expect("utf-8 path").to_owned()
}

/// Three point files a, b, c of three numbers, in `dir`.
fn three_points(dir: &Path) -> Vec<String> {
    [("a", "[0, 0, 0]"), ("b", "[1, 0, 0]"), ("c", "[0, 1, 0]")]
        .iter()
        .map(|(name, p)| {
            let path = dir.join(format!("{name}.json"));
            std::fs::write(&path, p).expect("write point");
            path.to_str().expect("utf-8 path").to_owned()
        })
        .collect()
}

#[test]
fn threads_beyond_the_limit_are_refused() {
    // 5000 threads took 21 s and 830 MB on a 4-neuron model; the limit is
    // 4 per core or 256, whichever is larger.
    for n in ["5000", "18446744073709551616"] {
        let o = run(&["--threads", n, "stats", TOY_MODEL, "--box", "0,1,0,1"]);
        assert_clean_failure(&o, "--threads");
        assert!(stderr(&o).contains("at most"), "{}", stderr(&o));
        assert_eq!(o.status.code(), Some(2), "a usage error");
    }
    let o = run(&[
        "stats",
        TOY_MODEL,
        "--box",
        "0,1,0,1",
        "--threads",
        "100000",
    ]);
    assert_clean_failure(&o, "--threads");
    // The limit itself is accepted.
    let o = run(&[
        "--threads",
        "256",
        "stats",
        TOY_MODEL,
        "--box",
        "0,1,0,1",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn sample_refuses_huge_counts_before_any_work() {
    let dir = temp_dir();
    let out = dir.path().join("samples");
    let out_s = out.to_str().expect("utf-8 path");
    // usize::MAX panicked ("capacity overflow"); 10^8 was OOM-killed with
    // samples.npy written and no samples.json.
    for n in [
        "18446744073709551615",
        "100000000",
        "1000001",
        "99999999999999999999999",
    ] {
        let o = run(&[
            "sample",
            TOY_MODEL,
            "--box",
            "0,1,0,1",
            "--boundary",
            n,
            "--out",
            out_s,
        ]);
        assert_clean_failure(&o, "--boundary");
        assert!(stderr(&o).contains("1000000"), "{}", stderr(&o));
        assert!(!out.exists(), "nothing written");
    }
    // The limit on numbers: 64 numbers per digits image.
    let digits = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/models/digits_mlp.json"
    );
    let img = |n: &str| format!("{}/examples/images/{n}", env!("CARGO_MANIFEST_DIR"));
    let (a, b, c) = (img("digit0.npy"), img("digit3.npy"), img("digit7.npy"));
    let o = run(&[
        "sample",
        digits,
        "--through",
        &a,
        &b,
        &c,
        "--boundary",
        "1000000",
        "--out",
        out_s,
    ]);
    assert_clean_failure(&o, "at most 312500 points");
    assert!(!out.exists(), "nothing written");
    // Within the limits: both files, no temporary file left.
    let o = run(&[
        "sample",
        TOY_MODEL,
        "--box=-1.5,2.5,-1,1.5",
        "--boundary",
        "1000",
        "--out",
        out_s,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("listing")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["samples.json", "samples.npy"]);
}

/// Written files get the mode of a plainly created file (0644 under umask
/// 022), not tempfile's 0600; a replaced file keeps its mode.
#[cfg(unix)]
#[test]
fn written_files_have_the_permissions_of_a_plain_write() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o7777
    };
    let dir = temp_dir();
    // The child inherits this process's umask.
    let plain = dir.path().join("plain");
    std::fs::File::create(&plain).expect("create");
    let want = mode(&plain);
    let out = dir.path().join("out");
    let out_s = out.to_str().expect("utf-8 path");
    let args = [
        "partition",
        TOY_MODEL,
        "--box=-1.5,2.5,-1,1.5",
        "-q",
        "--size",
        "80x60",
        "--out",
        out_s,
    ];
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["result.json", "partition.svg", "partition.png"] {
        assert_eq!(mode(&out.join(f)), want, "{f}: {:o}", mode(&out.join(f)));
    }
    let samples = dir.path().join("samples");
    let o = run(&[
        "sample",
        TOY_MODEL,
        "--box=-1.5,2.5,-1,1.5",
        "--boundary",
        "5",
        "--out",
        samples.to_str().expect("utf-8 path"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["samples.npy", "samples.json"] {
        assert_eq!(mode(&samples.join(f)), want, "{f}");
    }
    // Overwriting keeps the mode the user gave the file.
    let result = out.join("result.json");
    std::fs::set_permissions(&result, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(mode(&result), 0o640);
    assert_eq!(mode(&out.join("partition.png")), want);
}

/// `needle` occurs exactly once in the one line on stderr.
fn once(o: &std::process::Output, needle: &str) {
    assert_clean_failure(o, needle);
    let err = stderr(o);
    assert_eq!(err.matches(needle).count(), 1, "{needle:?} repeated: {err}");
}

#[test]
fn error_causes_are_printed_once_and_name_the_file() {
    let dir = temp_dir();
    let model = three_input_model(dir.path());
    let prop = dir.path().join("inverted.vnnlib");
    std::fs::write(
        &prop,
        "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const X_2 Real)\n\
         (assert (<= X_0 1.0))\n(assert (>= X_0 -1.0))\n(assert (<= X_1 1.0))\n\
         (assert (>= X_1 2.0))\n(assert (<= X_2 0.5))\n(assert (>= X_2 0.5))\n",
    )
    .expect("write");
    let prop = prop.to_str().expect("utf-8 path");
    let o = run(&["stats", &model, "--vnnlib-box", prop, "--dims", "0,1"]);
    once(&o, "empty interval [2, 1]");
    once(&o, prop);
    // The same file as a point of --through.
    let pts = three_points(dir.path());
    let o = run(&["stats", &model, "--through", prop, &pts[1], &pts[2]]);
    once(&o, "empty interval [2, 1]");
    once(&o, prop);
    // Missing files: .npy, VNN-LIB, result.
    let o = run(&[
        "stats",
        &model,
        "--through",
        "/nonexistent/a.npy",
        &pts[1],
        &pts[2],
    ]);
    once(&o, "No such file");
    once(&o, "/nonexistent/a.npy");
    let o = run(&[
        "stats",
        &model,
        "--through",
        "/nonexistent/a.vnnlib",
        &pts[1],
        &pts[2],
    ]);
    once(&o, "No such file");
    once(&o, "/nonexistent/a.vnnlib");
    let o = run(&["verify", TOY_MODEL, "/nonexistent/result.json"]);
    once(&o, "No such file");
    once(&o, "/nonexistent/result.json");
    // A truncated result file.
    let bad = dir.path().join("trunc.json");
    std::fs::write(&bad, "{\"format\": \"splinecam-res").expect("write");
    let o = run(&["verify", TOY_MODEL, bad.to_str().expect("utf-8 path")]);
    once(&o, "EOF while parsing");
    once(&o, "trunc.json");
}

#[test]
fn options_that_do_not_apply_are_refused() {
    let dir = temp_dir();
    let model = three_input_model(dir.path());
    let p = three_points(dir.path());
    let through = ["--through", &p[0], &p[1], &p[2]];
    let with_through = |extra: &[&str]| {
        let mut args = vec!["stats", model.as_str()];
        args.extend_from_slice(&through);
        args.extend_from_slice(extra);
        run(&args)
    };
    for (extra, needle) in [
        (&["--plane", &p[0], &p[1], &p[2]][..], "--plane"),
        (&["--pad", "0.3"][..], "--pad"),
        (&["--seed", "3"][..], "--seed"),
        (&["--dims", "0,1"][..], "--dims"),
        (&["--level", "0.5"][..], "--level"),
        (&["--level-output", "1"][..], "--level-output"),
    ] {
        let o = with_through(extra);
        assert_clean_failure(&o, needle);
        assert!(stderr(&o).contains("cannot be used"), "{}", stderr(&o));
        assert_eq!(o.status.code(), Some(2), "{extra:?}: a usage error");
    }
    let refused = |args: &[&str], needle: &str| {
        let o = run(args);
        assert_clean_failure(&o, needle);
        assert!(
            stderr(&o).contains("cannot be used"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert_eq!(o.status.code(), Some(2), "{args:?}: a usage error");
    };
    refused(
        &["stats", &model, "--square-around", &p[0], "--margin", "0.3"],
        "--margin",
    );
    refused(
        &[
            "stats",
            TOY_MODEL,
            "--box",
            "0,1,0,1",
            "--level",
            "0.5",
            "--boundary",
            "argmax",
        ],
        "--boundary level",
    );
    refused(
        &[
            "sample",
            TOY_MODEL,
            "--box",
            "0,1,0,1",
            "--boundary",
            "3",
            "--level",
            "0.5",
        ],
        "--kind level",
    );
    refused(
        &[
            "sample",
            TOY_MODEL,
            "--box",
            "0,1,0,1",
            "--regions",
            "--sample-seed",
            "3",
        ],
        "--sample-seed",
    );
    refused(
        &["compare", &model, "--around", &p[0], "--margin", "0.3"],
        "--margin",
    );
    refused(
        &[
            "compare",
            &model,
            "--samples",
            &p[0],
            &p[1],
            &p[2],
            "--pad",
            "0.3",
        ],
        "--pad",
    );
    refused(
        &["compare", TOY_MODEL, "--box", "0,1,0,1", "--slices", "4"],
        "--slices",
    );
    refused(
        &[
            "partition",
            TOY_MODEL,
            "--box",
            "0,1,0,1",
            "--no-pictures",
            "--fill",
            "slope",
        ],
        "--fill",
    );
    // --boundary level without --level.
    let o = run(&[
        "sample",
        TOY_MODEL,
        "--box",
        "0,1,0,1",
        "--boundary",
        "3",
        "--kind",
        "level",
    ]);
    assert_clean_failure(&o, "--level");
    // What applies is still accepted.
    let o = with_through(&["--margin", "0.5", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "stats",
        TOY_MODEL,
        "--box",
        "0,1,0,1",
        "--boundary",
        "level",
        "--level",
        "0.5",
        "--level-output",
        "0",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn messages_name_command_line_options() {
    let dir = temp_dir();
    let model = three_input_model(dir.path());
    // --box on a 3-input network names the options to use, not library functions.
    let o = run(&["stats", &model, "--box", "0,1,0,1"]);
    assert_clean_failure(&o, "2 inputs");
    let err = stderr(&o);
    assert!(
        err.contains("--through") && err.contains("--vnnlib-box"),
        "{err}"
    );
    assert!(!err.contains("Slice::"), "{err}");
    let o = run(&["compare", &model, "--box", "0,1,0,1"]);
    assert_clean_failure(&o, "--samples");
    assert!(!stderr(&o).contains("Slice::"), "{}", stderr(&o));
    // A negative margin is refused as such, not as "0 of 5 triples span a plane".
    let p = three_points(dir.path());
    for margin in ["--margin=-1", "--margin=-0.5", "--margin=nan"] {
        let o = run(&[
            "compare",
            &model,
            "--samples",
            &p[0],
            &p[1],
            &p[2],
            margin,
            "-q",
        ]);
        assert_clean_failure(&o, "--margin");
        assert!(stderr(&o).contains(">= 0"), "{}", stderr(&o));
        let o = run(&[
            "stats",
            &model,
            "--through",
            &p[0],
            &p[1],
            &p[2],
            margin,
            "-q",
        ]);
        assert_clean_failure(&o, "--margin");
    }
    let o = run(&["compare", &model, "--around", &p[0], "--pad=-1", "-q"]);
    assert_clean_failure(&o, "--pad");
    let o = run(&["stats", &model, "--square-around", &p[0], "--pad", "0"]);
    assert_clean_failure(&o, "--pad");
}
