//! End-to-end benchmark of the partition on random ReLU MLPs, side by side
//! with `regioncam` (a float-only peer) on the very same weights.
//!
//! Networks: 2 inputs, `depth` hidden dense+ReLU layers of `width` units, one
//! output; PyTorch's default `nn.Linear` initialisation (weights and biases
//! uniform in ±1/sqrt(fan_in)), drawn as `f32` from a fixed ChaCha8 seed per
//! model. The `f32` values go unchanged to regioncam and, converted exactly to
//! `f64`, to splinecam: both tools see the same real network. Slice: the
//! square [-1, 1]², no decision boundary (`Boundary::None`), so both count
//! activation regions only.
//!
//! Per model it prints one markdown-table row:
//! - splinecam: regions, vertices, median seconds with 1 and with 2 rayon
//!   threads, regions per second (2 threads), the predicate fallback rates;
//! - the floor: a batched `f64` forward pass of one interior point per region
//!   (median seconds), and splinecam's time over it;
//! - regioncam 0.5.2: faces, median seconds, and regioncam's time over ours
//!   (above 1: we are faster).
//!
//! Every time is the median of `RUNS` (>= 5) runs, measured in this process.
//!
//! Run: `cargo bench --bench partition` (all models), or with a filter on the
//! model name: `cargo bench --bench partition -- 2-64x4`. A case whose
//! estimated total (RUNS runs of each tool) exceeds 60 s is skipped after one
//! probe run (whose region count and time are still printed); raise the limit
//! with `SPLINECAM_BENCH_BUDGET_S=120`. 2-256x8-1 is always skipped.

use std::hint::black_box;
use std::time::Instant;

use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use regioncam::nn::Linear;
use regioncam::{NNBuilder, Regioncam};
use splinecam::domain::Slice;
use splinecam::net::{json, Network};
use splinecam::partition::{Boundary, Options, Partition};

/// Timed runs per measurement (the median is reported).
const RUNS: usize = 5;
/// A case is skipped when its estimated total time (all runs of both tools)
/// exceeds this many seconds (override: env `SPLINECAM_BENCH_BUDGET_S`).
const CASE_BUDGET_S: f64 = 60.0;

/// One dense layer in PyTorch layout: `weight[out][in]`.
struct Dense {
    weight: Vec<Vec<f32>>,
    bias: Vec<f32>,
}

/// The MLP `2 - width x depth - 1` with PyTorch's default initialisation.
fn mlp(width: usize, depth: usize, seed: u64) -> Vec<Dense> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut dims = vec![2];
    dims.extend(std::iter::repeat_n(width, depth));
    dims.push(1);
    dims.windows(2)
        .map(|d| {
            let (fan_in, fan_out) = (d[0], d[1]);
            let bound = 1.0 / (fan_in as f32).sqrt();
            let mut draw = || rng.gen_range(-bound..bound);
            let weight = (0..fan_out)
                .map(|_| (0..fan_in).map(|_| draw()).collect())
                .collect();
            let bias = (0..fan_out).map(|_| draw()).collect();
            Dense { weight, bias }
        })
        .collect()
}

/// The splinecam network (native JSON; every `f32` converted exactly to `f64`,
/// which serde_json writes and reads back without rounding).
fn to_splinecam(layers: &[Dense]) -> Network {
    let mut ops = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let weight: Vec<Vec<f64>> = l
            .weight
            .iter()
            .map(|r| r.iter().map(|&w| w as f64).collect())
            .collect();
        let bias: Vec<f64> = l.bias.iter().map(|&b| b as f64).collect();
        ops.push(serde_json::json!({"op": "dense", "weight": weight, "bias": bias}));
        if i + 1 < layers.len() {
            ops.push(serde_json::json!({"op": "relu"}));
        }
    }
    let model = serde_json::json!({
        "format": "splinecam-model", "version": 1, "input_shape": [2], "ops": ops
    });
    json::from_str(&model.to_string()).expect("valid model")
}

/// The regioncam layers (its `Linear` computes `x · W + b`: weight is `[in][out]`).
fn to_regioncam(layers: &[Dense]) -> Vec<Linear> {
    layers
        .iter()
        .map(|l| {
            let (n_out, n_in) = (l.weight.len(), l.weight[0].len());
            let w = Array2::from_shape_fn((n_in, n_out), |(i, o)| l.weight[o][i]);
            Linear::new(w, Array1::from_vec(l.bias.clone()))
        })
        .collect()
}

/// regioncam's partition of [-1, 1]² (faces, vertices).
fn run_regioncam(layers: &[Linear]) -> (usize, usize) {
    let mut rc = Regioncam::square(1.0);
    for (i, l) in layers.iter().enumerate() {
        rc.add(l);
        if i + 1 < layers.len() {
            rc.relu();
        }
    }
    (rc.num_faces(), rc.num_vertices())
}

/// Batched `f64` forward pass of `n` points (`x` is `n x 2`, row-major); the
/// sum of the outputs (so that nothing is optimised away).
fn forward_batch(layers: &[(Vec<f64>, Vec<f64>, usize)], x: &[f64], n: usize) -> f64 {
    let mut cur = x.to_vec();
    let mut n_in = 2;
    for (k, (w, b, n_out)) in layers.iter().enumerate() {
        let n_out = *n_out;
        let mut next = vec![0.0; n * n_out];
        let last = k + 1 == layers.len();
        for p in 0..n {
            let xi = &cur[p * n_in..(p + 1) * n_in];
            let yo = &mut next[p * n_out..(p + 1) * n_out];
            for (o, y) in yo.iter_mut().enumerate() {
                let row = &w[o * n_in..(o + 1) * n_in];
                let mut s = b[o];
                for (a, c) in row.iter().zip(xi) {
                    s += a * c;
                }
                *y = if last { s } else { s.max(0.0) };
            }
        }
        cur = next;
        n_in = n_out;
    }
    cur.iter().sum()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn time<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let r = black_box(f());
    (t.elapsed().as_secs_f64(), r)
}

fn fmt_s(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.1}")
    } else if s >= 0.1 {
        format!("{s:.3}")
    } else if s >= 0.001 {
        format!("{s:.4}")
    } else {
        format!("{s:.1e}")
    }
}

fn pct(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x < 1e-4 {
        format!("{:.1e}%", 100.0 * x)
    } else {
        format!("{:.3}%", 100.0 * x)
    }
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument filters model names.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("thread pool")
    };
    let (pool1, pool2) = (pool(1), pool(2));
    let opts = Options {
        boundary: Boundary::None,
        ..Options::default()
    };
    let budget: f64 = std::env::var("SPLINECAM_BENCH_BUDGET_S")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASE_BUDGET_S);
    let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).expect("slice");

    println!(
        "| model | regions | vertices | splinecam s (1 thr) | splinecam s (2 thr) | regions/s (2 thr) \
         | floor s | ratio to floor | exact fallback | adaptive | 2-thr speed-up \
         | regioncam regions | regioncam s | regioncam s / ours (2 thr) |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    let mut notes = Vec::new();
    for &width in &[16usize, 64, 256] {
        for &depth in &[2usize, 4, 8] {
            let name = format!("2-{width}x{depth}-1");
            if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
                continue;
            }
            if width == 256 && depth == 8 {
                println!("| {name} | skipped: expected to take far over {budget:.0} s (2-256x4-1 already takes ~75 s per run) | | | | | | | | | | | | |");
                continue;
            }
            let seed = 1000 * width as u64 + depth as u64;
            let layers = mlp(width, depth, seed);
            let net = to_splinecam(&layers);
            let rc_layers = to_regioncam(&layers);

            // One untimed-for-the-table probe of each tool decides whether the
            // case fits the budget (and warms caches and the allocator).
            let (t_probe, p) = time(|| {
                pool2.install(|| Partition::compute(&net, &slice, &opts).expect("partition"))
            });
            let (t_rc_probe, _) = time(|| run_regioncam(&rc_layers));
            let estimate = RUNS as f64 * (2.5 * t_probe + t_rc_probe);
            if estimate > budget {
                let (rc_faces, _) = run_regioncam(&rc_layers);
                println!(
                    "| {name} | {} | {} | skipped: one 2-thread run took {} s, {RUNS} runs of each tool would take ~{:.0} s | | | | | | | | {rc_faces} | {} (1 run) | {:.2} (1 run) |",
                    p.num_regions(),
                    p.mesh().num_vertices(),
                    fmt_s(t_probe),
                    estimate,
                    fmt_s(t_rc_probe),
                    t_rc_probe / t_probe,
                );
                continue;
            }
            let regions = p.num_regions();
            let vertices = p.mesh().num_vertices();
            let ps = p.stats().predicates;
            let total = ps.total().max(1) as f64;

            let mut t1 = Vec::new();
            let mut t2 = Vec::new();
            let mut trc = Vec::new();
            let mut rc_faces = 0;
            // Interleave the tools so that load from other processes hits all alike.
            for _ in 0..RUNS {
                let (t, q) = time(|| {
                    pool1.install(|| Partition::compute(&net, &slice, &opts).expect("partition"))
                });
                assert_eq!(q.num_regions(), regions, "splinecam is deterministic");
                drop(q);
                t1.push(t);
                let (t, q) = time(|| {
                    pool2.install(|| Partition::compute(&net, &slice, &opts).expect("partition"))
                });
                assert_eq!(q.num_regions(), regions, "splinecam is deterministic");
                drop(q);
                t2.push(t);
                let (t, (f, _)) = time(|| run_regioncam(&rc_layers));
                rc_faces = f;
                trc.push(t);
            }

            // The floor: one interior point per region, batched f64 forward pass.
            let pts: Vec<f64> = p
                .regions()
                .flat_map(|f| {
                    let (u, v) = p.interior_point(f);
                    slice.point_f64(u.to_f64(), v.to_f64())
                })
                .collect();
            let flayers: Vec<(Vec<f64>, Vec<f64>, usize)> = layers
                .iter()
                .map(|l| {
                    (
                        l.weight.iter().flatten().map(|&w| w as f64).collect(),
                        l.bias.iter().map(|&b| b as f64).collect(),
                        l.bias.len(),
                    )
                })
                .collect();
            // Sanity: the batched pass agrees with the crate's own forward pass.
            let mine = forward_batch(&flayers, &pts[..2], 1);
            let theirs = net.forward_f64(&pts[..2]).expect("forward").0[0];
            assert!((mine - theirs).abs() <= 1e-9 * (1.0 + theirs.abs()));
            let tf = median(
                (0..RUNS.max(9))
                    .map(|_| time(|| forward_batch(&flayers, black_box(&pts), regions)).0)
                    .collect(),
            );
            // For reference: the crate's per-point `Network::forward_f64`.
            let tf_crate = median(
                (0..RUNS)
                    .map(|_| {
                        time(|| {
                            pts.chunks(2)
                                .map(|x| net.forward_f64(black_box(x)).expect("forward").0[0])
                                .sum::<f64>()
                        })
                        .0
                    })
                    .collect(),
            );

            let (m1, m2, mrc) = (median(t1), median(t2), median(trc));
            println!(
                "| {name} | {regions} | {vertices} | {} | {} | {:.0} | {} | {:.0}x | {} | {} | {:.2}x | {rc_faces} | {} | {:.2} |",
                fmt_s(m1),
                fmt_s(m2),
                regions as f64 / m2,
                fmt_s(tf),
                m2 / tf,
                pct(ps.exact as f64 / total),
                pct(ps.adaptive as f64 / total),
                m1 / m2,
                fmt_s(mrc),
                mrc / m2,
            );
            notes.push(format!(
                "{name}: forward_f64 per point {} s ({:.0}x the batched floor); predicates {} filtered / {} adaptive / {} exact{}",
                fmt_s(tf_crate),
                tf_crate / tf,
                ps.filtered,
                ps.adaptive,
                ps.exact,
                if rc_faces != regions {
                    format!(
                        "; regioncam counts {rc_faces} faces, {:+} vs ours ({:+.3}%)",
                        rc_faces as i64 - regions as i64,
                        100.0 * (rc_faces as f64 - regions as f64) / regions as f64
                    )
                } else {
                    "; regioncam's count equals ours".into()
                }
            ));
        }
    }
    println!();
    println!("Times: median of {RUNS} runs (floor: of {}), in this process; splinecam with `Boundary::None`.", RUNS.max(9));
    for n in notes {
        println!("- {n}");
    }
}
