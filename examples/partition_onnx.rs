//! Partition a slice of one of the shared ONNX models and print progress.
//!
//! `cargo run --release --example partition_onnx -- MODEL VNNLIB0 VNNLIB1 VNNLIB2`
//! (paths relative to `../shared/models`): the plane through the three box
//! centres, or with `PAD=0.05` a random square of half-width 0.05 around the
//! first centre; with `FACE=i,j` (one VNNLIB file) the face of its box in
//! inputs `i`, `j`. `REPEAT=n` adds n timed runs (median printed);
//! `BOUNDARY=none` leaves the decision boundary out (as the benchmark does);
//! with it, `OUTPUTS=0` makes no output forms (`Options::output_forms`, as the
//! benchmark's rows do).
use splinecam::{domain::Slice, io::vnnlib::read_input_box, net::onnx, partition::*};
use std::sync::Arc;

/// The command-line tool's allocator (feature `mimalloc`).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let m = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/models");
    let net = onnx::from_path(format!("{m}/{}", args[1])).unwrap();
    for n in net.nodes() {
        eprintln!(
            "{} {} {:?} -> {:?}",
            n.name,
            n.op.name(),
            n.inputs
                .iter()
                .map(|t| net.shape(*t).to_vec())
                .collect::<Vec<_>>(),
            net.shape(n.output)
        );
    }
    let c: Vec<Vec<f64>> = args[2..]
        .iter()
        .map(|p| read_input_box(format!("{m}/{p}")).unwrap().centre())
        .collect();
    let pad: f64 = std::env::var("PAD")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    // `FACE=i,j`: the 2-D face (inputs i and j) of the first box instead.
    let face: Option<(usize, usize)> = std::env::var("FACE").ok().and_then(|f| {
        let (i, j) = f.split_once(',')?;
        Some((i.parse().ok()?, j.parse().ok()?))
    });
    let slice = if let Some(ij) = face {
        Slice::vnnlib_face(net.input_shape(), format!("{m}/{}", args[2]), ij).unwrap()
    } else if pad > 0.0 {
        Slice::square_around(net.input_shape(), &c[0], pad, 1).unwrap()
    } else {
        Slice::through_points(net.input_shape(), &c[0], &c[1], &c[2], 0.0).unwrap()
    };
    let boundary = match std::env::var("BOUNDARY").as_deref() {
        Ok("none") => Boundary::None,
        _ => Boundary::Auto,
    };
    let t = std::time::Instant::now();
    let output_forms = std::env::var("OUTPUTS").as_deref() != Ok("0");
    let opts = Options {
        boundary,
        output_forms,
        progress: Some(Arc::new(move |i, n, f| {
            eprintln!("node {i}/{n}: {f} faces, {:.2}s", t.elapsed().as_secs_f64())
        })),
        ..Options::default()
    };
    let p = Partition::compute(&net, &slice, &opts).unwrap();
    eprintln!("{} regions {:?}", p.num_regions(), p.stats());
    // `REPEAT=n`: n more runs without progress output (for profiling), then
    // their median time.
    let repeat: usize = std::env::var("REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    if repeat > 0 {
        let quiet = Options {
            boundary,
            output_forms,
            ..Options::default()
        };
        let mut times: Vec<f64> = (0..repeat)
            .map(|_| {
                let t = std::time::Instant::now();
                let q = Partition::compute(&net, &slice, &quiet).unwrap();
                let s = t.elapsed().as_secs_f64();
                assert_eq!(q.num_regions(), p.num_regions());
                s
            })
            .collect();
        times.sort_by(f64::total_cmp);
        eprintln!("median {:.3e} s over {repeat} runs", times[repeat / 2]);
    }
}
