//! One partition of a benchmark MLP (`benches/partition.rs`'s models), for
//! profiling (`valgrind --tool=callgrind`) and for checking that an engine
//! change leaves the result untouched: prints counts and two fingerprints of
//! the whole mesh: `exact` (exact vertex coordinates, labels, face cycles,
//! patterns: what must never change) and `f64` (the same with the vertices'
//! `f64` approximations, which change with the rounding of the `f64` forms).
//!
//! `cargo run --release --example mlp_profile -- WIDTH DEPTH [THREADS] [REPEATS] [--no-exact] [--no-dd] [--times] [--whole] [--outputs]`
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::Instant;

use splinecam::domain::Slice;
use splinecam::partition::{Boundary, Options, Partition};

/// The command-line tool's allocator (feature `mimalloc`).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The bench's MLPs (same seeds, same draws).
#[path = "../benches/common/mlp.rs"]
mod mlp;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--no-exact`: skip the exact fingerprint (for profiling the partition).
    let exact = !args.iter().any(|a| a == "--no-exact");
    // `--no-dd`: no double-double tier (signs the filter leaves go exact).
    let double_double = !args.iter().any(|a| a == "--no-dd");
    // `--times`: time the cutting (serial) and print each layer's times.
    let times_flag = args.iter().any(|a| a == "--times");
    // `--outputs`: make the regions' output forms while partitioning (the
    // bench, like a region count, does not).
    let output_forms = args.iter().any(|a| a == "--outputs");
    // `--whole`: the whole slice at once, not in two halves.
    let halves = !args.iter().any(|a| a == "--whole");
    let a: Vec<usize> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(|s| s.parse().expect("a number"))
        .collect();
    let (width, depth) = (a[0], a[1]);
    let threads = a.get(2).copied().unwrap_or(1);
    let repeats = a.get(3).copied().unwrap_or(1);
    let net = mlp::network(width, depth);
    let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).expect("slice");
    let opts = Options {
        boundary: Boundary::None,
        double_double,
        time_cutting: times_flag,
        halves,
        output_forms,
        ..Options::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool");
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..repeats {
        // Timed on the pool's thread, as the bench does.
        let (t, p) = pool.install(|| {
            let t = Instant::now();
            let p = Partition::compute(&net, &slice, &opts).expect("partition");
            (t.elapsed().as_secs_f64(), p)
        });
        times.push(t);
        last = Some(p);
    }
    let p = last.expect("one run");
    let m = p.mesh();
    let mut h = DefaultHasher::new();
    let mut hx = DefaultHasher::new();
    for v in m.vertices() {
        m.vertex_xy(v).map(f64::to_bits).hash(&mut h);
        if exact {
            let (x, y) = m.vertex_exact(v).expect("exact vertex");
            (x.to_string(), y.to_string()).hash(&mut hx);
        }
        let labels: Vec<u32> = m.vertex_labels(v).iter().map(|l| l.0).collect();
        labels.hash(&mut h);
        labels.hash(&mut hx);
    }
    for f in p.regions() {
        let cycle: Vec<u32> = m.face_vertices(f).map(|v| v.0).collect();
        cycle.hash(&mut h);
        cycle.hash(&mut hx);
        p.region(f).pattern.layers.hash(&mut h);
        p.region(f).pattern.layers.hash(&mut hx);
    }
    times.sort_by(|x, y| x.partial_cmp(y).expect("finite"));
    println!(
        "2-{width}x{depth}-1: regions {} vertices {} edges {} predicates {:?} run-ahead {} dd-tightened {} exact {:016x} f64 {:016x} median {:.3e} s (min {:.3e}, {} runs, {threads} thr)",
        p.num_regions(),
        m.num_vertices(),
        m.num_edges(),
        p.stats().predicates,
        p.stats().run_ahead.iter().sum::<usize>(),
        p.stats().dd_tightened,
        hx.finish(),
        h.finish(),
        times[times.len() / 2],
        times[0],
        times.len()
    );
    // The last run's layers: wall-clock time, and the part the cutting
    // thread spent cutting (serial).
    if !times_flag {
        return;
    }
    let ms = |xs: &[f64]| {
        xs.iter()
            .map(|x| format!("{:.2}", x * 1e3))
            .collect::<Vec<_>>()
    };
    println!(
        "  layers ms {:?} cutting ms {:?}",
        ms(&p.stats().layer_seconds),
        ms(&p.stats().cut_seconds)
    );
    println!(
        "  run-ahead {:?} vertex pass {:?}",
        p.stats().run_ahead,
        p.stats().vertex_pass
    );
}
