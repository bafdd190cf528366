//! End-to-end benchmark of the partition, side by side with `regioncam` (a
//! float-only peer) on the very same weights, with time, memory and a
//! growth-rate fit.
//!
//! Models (see `docs/benchmarks.md` for the details):
//! - random MLPs `2 - width x depth - 1` (width 16, 64, 256; depth 2, 4, 8)
//!   with PyTorch's default `nn.Linear` initialisation (weights and biases
//!   uniform in ±1/sqrt(fan_in)), drawn as `f32` from a fixed ChaCha8 seed per
//!   model, on the square [-1, 1]²;
//! - the trained demo model `examples/models/two_moons.json` on the demo box
//!   [-1.5, 2.5] x [-1, 1.5] (once without and once with its decision boundary);
//! - the MNIST MLP `mnist-net_256x2` on the plane through the centres of three
//!   VNN-LIB boxes (`Slice::through_points`);
//! - ACAS Xu 1_1 on the 2-D face (inputs 1, 2) of the box of property 2;
//! - the max-pool conv net `Convnet_maxpool` on a small square around an image
//!   and on the plane through three image centres. The latter is run in a
//!   child process under a time budget, `Options::max_regions` and a heap cap,
//!   and reported as "skipped: more than N regions after node L" when it does
//!   not finish.
//!
//! All partitions use `Boundary::None` (activation regions only, which is
//! what regioncam counts) except the row marked "+ boundary", and make no
//! output forms (`Options::output_forms` off: regioncam computes no output
//! maps either) except that row and the row marked "+ output forms" (2-64x2-1
//! again, to show what the forms cost).
//!
//! Timing: the tools take turns in up to five blocks of runs each, and
//! each block starts with 0.1 s of untimed runs of the same tool (see
//! `warm_block`: a core left idle runs slow for a while on this host).
//!
//! Per model it prints one markdown-table row: regions, vertices, median
//! seconds with 1 and 2 rayon threads, regions per second, the floor (a
//! batched `f64` forward pass of one interior point per region) and the ratio
//! to it, predicate fallback rates, peak heap, the size of the result and of
//! the model, the 2-thread speed-up, and regioncam's count, time and peak heap
//! ("n/a" for models regioncam cannot express). Under the table: the
//! least-squares exponent `b` of `time ~ (regions x width)^b` over the MLP rows.
//!
//! Run: `cargo bench --bench partition` (all models), or with a filter on the
//! model name: `cargo bench --bench partition -- 2-64x4`.
//! Environment:
//! - `SPLINECAM_BENCH_BUDGET_S=120`: a case whose estimated total (all runs
//!   of both tools) exceeds this many seconds (default 120) is skipped after one
//!   probe run (whose numbers are still printed); also the time budget of the
//!   guarded child-process run.
//! - `SPLINECAM_BENCH_QUICK=1`: one run each, small models only (smoke test).
//! - `SPLINECAM_BENCH_OUT=dir`: write `partition.md` and `partition.svg` there.
//!   A full run (no filter, not quick) writes them to `docs/bench/` by default.
//! - `SPLINECAM_BENCH_MAX_REGIONS` (default 2,000,000) and
//!   `SPLINECAM_BENCH_MEM_CAP_MB` (default 6000): the guards of the child run.

use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use ndarray::{Array1, Array2};
use regioncam::nn::Linear;
use regioncam::{NNBuilder, Regioncam};
use splinecam::domain::Slice;
use splinecam::io::vnnlib::read_input_box;
use splinecam::net::{json, onnx, Network, Op, OpClass};
use splinecam::partition::{Boundary, Options, Partition, PartitionError};

/// The random MLPs (shared with `examples/mlp_profile.rs`).
#[path = "common/mlp.rs"]
mod mlp;

// ---------------------------------------------------------------------------
// Heap accounting.

/// The allocator under the counter: mimalloc, as the command-line tool
/// uses (feature `mimalloc`, on by default), else the system's. Both tools
/// of a row run in this process on the same allocator.
#[cfg(feature = "mimalloc")]
static BASE: mimalloc::MiMalloc = mimalloc::MiMalloc;
#[cfg(not(feature = "mimalloc"))]
static BASE: std::alloc::System = std::alloc::System;

/// A counting wrapper around the base allocator ([`BASE`]). Counting is switched on
/// only inside measurement windows ([`measure_heap`]) so that the timed runs
/// pay one relaxed load per allocation and nothing else; inside a window the
/// current and peak heap bytes are tracked (all threads). In the guarded
/// child process counting stays on and allocations beyond a cap fail.
struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static CURRENT: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static CAP: AtomicIsize = AtomicIsize::new(isize::MAX);

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

impl CountingAlloc {
    /// Counts `n` more bytes; `false` if that would pass the cap.
    #[inline]
    fn grow(n: usize) -> bool {
        if !COUNTING.load(Relaxed) {
            return true;
        }
        let n = n as isize;
        let cur = CURRENT.fetch_add(n, Relaxed) + n;
        if cur > CAP.load(Relaxed) {
            CURRENT.fetch_sub(n, Relaxed);
            return false;
        }
        PEAK.fetch_max(cur, Relaxed);
        true
    }

    #[inline]
    fn shrink(n: usize) {
        if COUNTING.load(Relaxed) {
            CURRENT.fetch_sub(n as isize, Relaxed);
        }
    }
}

// SAFETY: every method forwards to `BASE` with the caller's arguments
// unchanged; the counters never affect the memory handed out.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !Self::grow(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged.
        let p = unsafe { BASE.alloc(layout) };
        if p.is_null() {
            Self::shrink(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !Self::grow(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged.
        let p = unsafe { BASE.alloc_zeroed(layout) };
        if p.is_null() {
            Self::shrink(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { BASE.dealloc(ptr, layout) };
        Self::shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size > old && !Self::grow(new_size - old) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged.
        let p = unsafe { BASE.realloc(ptr, layout, new_size) };
        if p.is_null() {
            if new_size > old {
                Self::shrink(new_size - old);
            }
        } else if new_size < old {
            Self::shrink(old - new_size);
        }
        p
    }
}

/// Heap use of `f`: `(result, peak bytes above the start, bytes still held
/// at the end)`. The bytes held at the end are what the returned value keeps
/// (everything else `f` allocated is freed when it returns).
fn measure_heap<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    CURRENT.store(0, Relaxed);
    PEAK.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    let r = black_box(f());
    COUNTING.store(false, Relaxed);
    let held = CURRENT.load(Relaxed).max(0) as usize;
    (r, PEAK.load(Relaxed).max(0) as usize, held)
}

fn mb(bytes: usize) -> String {
    let m = bytes as f64 / (1024.0 * 1024.0);
    if m >= 100.0 {
        format!("{m:.0}")
    } else if m >= 1.0 {
        format!("{m:.1}")
    } else {
        format!("{m:.2}")
    }
}

// ---------------------------------------------------------------------------
// Models.

/// The plane through the centres of the boxes of `prop_{0,1,2}_{eps}.vnnlib`
/// in `dir` (the triangle they span, margin 0).
fn three_centre_plane(net: &Network, dir: &str, eps: &str) -> Slice {
    let props: Vec<String> = (0..3).map(|i| format!("prop_{i}_{eps}.vnnlib")).collect();
    let props: Vec<&str> = props.iter().map(String::as_str).collect();
    let c = centres(dir, &props);
    Slice::through_points(net.input_shape(), &c[0], &c[1], &c[2], 0.0).expect("plane")
}

/// Where the shared VNN-COMP models live.
fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/models")
}

fn load_onnx(rel: &str) -> Network {
    let p = models_dir().join(rel);
    onnx::from_path(&p).unwrap_or_else(|e| panic!("loading {}: {e}", p.display()))
}

fn centres(dir: &str, props: &[&str]) -> Vec<Vec<f64>> {
    props
        .iter()
        .map(|p| {
            let path = models_dir().join(dir).join(p);
            read_input_box(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
                .centre()
        })
        .collect()
}

/// The demo box of the CLI (`DEMO_BOX` in src/main.rs).
const DEMO_BOX: [f64; 4] = [-1.5, 2.5, -1.0, 1.5];

/// A benchmark case.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Random MLP `2 - width x depth - 1` on [-1, 1]².
    Mlp { width: usize, depth: usize },
    /// The same, deep: the fused kernel's scaled bounds outgrow the values
    /// in its deep layers, where its element-wise ones take over (with the
    /// scaled ones alone, signs went exact by the thousand); not in the
    /// growth fit.
    DeepMlp { width: usize, depth: usize },
    /// `examples/models/two_moons.json` on the demo box.
    TwoMoons { boundary: bool },
    /// mnist-net_256x2 on the plane through three image centres.
    MnistMlp,
    /// ACAS Xu 1_1 on the face (dims 1, 2) of property 2's box.
    AcasXu,
    /// Convnet_maxpool on a square of half-width 0.01 around image 0.
    ConvSquare,
    /// Convnet_maxpool on the plane through three image centres (guarded).
    ConvPlane,
}

struct Spec {
    name: String,
    kind: Kind,
    /// Part of the quick mode.
    small: bool,
    /// Regions get their `f64` output forms while partitioning
    /// (`Options::output_forms`): one row, to show what they cost. The
    /// others count regions, as regioncam does.
    outputs: bool,
}

fn specs() -> Vec<Spec> {
    let mut v = Vec::new();
    for &width in &[16usize, 64, 256] {
        for &depth in &[2usize, 4, 8] {
            v.push(Spec {
                name: format!("2-{width}x{depth}-1"),
                kind: Kind::Mlp { width, depth },
                small: width == 16 || (width == 64 && depth == 2),
                outputs: false,
            });
        }
    }
    v.push(Spec {
        name: "2-64x2-1 + output forms".into(),
        kind: Kind::Mlp {
            width: 64,
            depth: 2,
        },
        small: true,
        outputs: true,
    });
    let mut add = |name: &str, kind, small| {
        v.push(Spec {
            name: name.into(),
            kind,
            small,
            outputs: false,
        })
    };
    for (width, depth, small) in [(8usize, 70usize, true), (32, 30, false), (64, 20, false)] {
        add(
            &format!("2-{width}x{depth}-1 (deep)"),
            Kind::DeepMlp { width, depth },
            small,
        );
    }
    add(
        "two_moons demo (2-16x2-1 trained)",
        Kind::TwoMoons { boundary: false },
        true,
    );
    add(
        "two_moons demo + boundary",
        Kind::TwoMoons { boundary: true },
        true,
    );
    add("mnist 256x2, 3-image plane", Kind::MnistMlp, true);
    add("acasxu 1_1, prop_2 face (1,2)", Kind::AcasXu, true);
    add("convnet maxpool, square 0.01", Kind::ConvSquare, false);
    add("convnet maxpool, 3-image plane", Kind::ConvPlane, false);
    v
}

/// The network, slice and boundary option of a case.
fn build(kind: Kind) -> (Network, Slice, Boundary) {
    match kind {
        Kind::Mlp { width, depth } | Kind::DeepMlp { width, depth } => {
            let net = mlp::network(width, depth);
            let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).expect("slice");
            (net, slice, Boundary::None)
        }
        Kind::TwoMoons { boundary } => {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/models/two_moons.json");
            let text = std::fs::read_to_string(&path).expect("two_moons.json");
            let net = json::from_str(&text).expect("two_moons model");
            let slice = Slice::square_box(net.input_shape(), DEMO_BOX).expect("demo box");
            let b = if boundary {
                Boundary::Auto
            } else {
                Boundary::None
            };
            (net, slice, b)
        }
        Kind::MnistMlp => {
            let net = load_onnx("mnistfc/mnist-net_256x2.onnx");
            let slice = three_centre_plane(&net, "mnistfc", "0.03");
            (net, slice, Boundary::None)
        }
        Kind::AcasXu => {
            let net = load_onnx("acasxu/ACASXU_run2a_1_1_batch_2000.onnx");
            let path = models_dir().join("acasxu/prop_2.vnnlib");
            let slice = Slice::vnnlib_face(net.input_shape(), &path, (1, 2)).expect("face");
            (net, slice, Boundary::None)
        }
        Kind::ConvSquare => {
            let net = load_onnx("verivital/Convnet_maxpool.onnx");
            let c = centres("verivital", &["prop_0_0.02.vnnlib"]);
            let slice = Slice::square_around(net.input_shape(), &c[0], 0.01, 1).expect("square");
            (net, slice, Boundary::None)
        }
        Kind::ConvPlane => {
            let net = load_onnx("verivital/Convnet_maxpool.onnx");
            let slice = three_centre_plane(&net, "verivital", "0.02");
            (net, slice, Boundary::None)
        }
    }
}

/// An affine layer `y = W x + b`, `W` row-major `n_out x n_in`.
struct Affine {
    w: Vec<f64>,
    b: Vec<f64>,
    n_in: usize,
    n_out: usize,
}

impl Affine {
    fn identity(n: usize) -> Affine {
        let mut w = vec![0.0; n * n];
        for i in 0..n {
            w[i * n + i] = 1.0;
        }
        Affine {
            w,
            b: vec![0.0; n],
            n_in: n,
            n_out: n,
        }
    }

    /// `self ∘ a` (apply `a` first).
    fn after(&self, a: &Affine) -> Affine {
        assert_eq!(self.n_in, a.n_out);
        let mut w = vec![0.0; self.n_out * a.n_in];
        let mut b = self.b.clone();
        for o in 0..self.n_out {
            let row = &self.w[o * self.n_in..(o + 1) * self.n_in];
            let out = &mut w[o * a.n_in..(o + 1) * a.n_in];
            for (k, &s) in row.iter().enumerate() {
                if s != 0.0 {
                    for (x, &y) in out.iter_mut().zip(&a.w[k * a.n_in..(k + 1) * a.n_in]) {
                        *x += s * y;
                    }
                    b[o] += s * a.b[k];
                }
            }
        }
        Affine {
            w,
            b,
            n_in: a.n_in,
            n_out: self.n_out,
        }
    }

    /// Row-wise `y -> y * s + c` applied after `self`.
    fn then_elementwise(mut self, s: Option<&[f64]>, c: Option<&[f64]>) -> Affine {
        for o in 0..self.n_out {
            if let Some(s) = s {
                for x in &mut self.w[o * self.n_in..(o + 1) * self.n_in] {
                    *x *= s[o];
                }
                self.b[o] *= s[o];
            }
            if let Some(c) = c {
                self.b[o] += c[o];
            }
        }
        self
    }
}

/// The network as a chain `affine, relu, affine, relu, ..., affine` (dense
/// layers with constant scalings, shifts and reshapes folded in, in `f64`),
/// or `None` if it is not one (conv, pooling, branches, other activations).
fn as_mlp(net: &Network) -> Option<Vec<Affine>> {
    let mut layers = Vec::new();
    let mut dim = net.input_len();
    let mut cur: Option<Affine> = None;
    let mut prev_out = None;
    for node in net.nodes() {
        if node.inputs.len() != 1 || prev_out.is_some_and(|t| node.inputs[0] != t) {
            return None;
        }
        prev_out = Some(node.output);
        let pending = |cur: Option<Affine>| cur.unwrap_or_else(|| Affine::identity(dim));
        match &node.op {
            Op::Dense {
                weight,
                bias,
                in_features,
                out_features,
            } => {
                if *in_features != dim {
                    return None;
                }
                let d = Affine {
                    w: weight.clone(),
                    b: bias.clone(),
                    n_in: *in_features,
                    n_out: *out_features,
                };
                cur = Some(match cur {
                    None => d,
                    Some(a) => d.after(&a),
                });
                dim = *out_features;
            }
            Op::Scale { factor } => cur = Some(pending(cur).then_elementwise(Some(factor), None)),
            Op::AddConst { constant } => {
                cur = Some(pending(cur).then_elementwise(None, Some(constant)))
            }
            Op::Divide { divisor } => {
                let s: Vec<f64> = divisor.iter().map(|d| 1.0 / d).collect();
                cur = Some(pending(cur).then_elementwise(Some(&s), None));
            }
            Op::Reshape { .. } => {}
            Op::Relu => layers.push(pending(cur.take())),
            _ => return None,
        }
    }
    layers.push(cur.unwrap_or_else(|| Affine::identity(dim)));
    Some(layers)
}

/// The MLP restricted to the slice: the slice map `x = o + u e1 + v e2`
/// folded into the first layer (in `f64`), so that it takes `(u, v)`.
fn fold_slice(layers: &[Affine], slice: &Slice) -> Vec<Affine> {
    let f = |v: &[rug::Rational]| v.iter().map(|x| x.to_f64()).collect::<Vec<_>>();
    let (o, e1, e2) = (f(slice.origin()), f(slice.e1()), f(slice.e2()));
    let n = o.len();
    let mut w = Vec::with_capacity(2 * n);
    for i in 0..n {
        w.extend([e1[i], e2[i]]);
    }
    let input = Affine {
        w,
        b: o,
        n_in: 2,
        n_out: n,
    };
    let mut out = vec![layers[0].after(&input)];
    out.extend(layers[1..].iter().map(|l| Affine {
        w: l.w.clone(),
        b: l.b.clone(),
        n_in: l.n_in,
        n_out: l.n_out,
    }));
    out
}

/// What regioncam gets: the slice polygon (clockwise, as its `rectangle`)
/// and the MLP restricted to the slice ([`fold_slice`]), rounded to `f32`
/// (exact for the random MLPs on their box, whose weights are `f32`).
struct RcModel {
    polygon: Array2<f32>,
    layers: Vec<Linear>,
}

fn to_regioncam(folded: &[Affine], slice: &Slice) -> RcModel {
    let linears = folded
        .iter()
        .map(|l| {
            // regioncam's `Linear` computes `x · W + b`: weight is `[in][out]`.
            let w = Array2::from_shape_fn((l.n_in, l.n_out), |(i, o)| l.w[o * l.n_in + i] as f32);
            Linear::new(w, Array1::from_iter(l.b.iter().map(|&b| b as f32)))
        })
        .collect();
    let poly = slice.polygon_f64();
    let polygon =
        Array2::from_shape_fn((poly.len(), 2), |(i, j)| poly[poly.len() - 1 - i][j] as f32);
    RcModel {
        polygon,
        layers: linears,
    }
}

/// regioncam's partition (faces, vertices), timed: the time of building it
/// (not of dropping it, as for ours).
fn run_regioncam(m: &RcModel) -> (f64, (usize, usize)) {
    let (t, rc) = time(|| {
        let mut rc = Regioncam::from_polygon(m.polygon.clone());
        for (i, l) in m.layers.iter().enumerate() {
            rc.add(l);
            if i + 1 < m.layers.len() {
                rc.relu();
            }
        }
        rc
    });
    (t, (rc.num_faces(), rc.num_vertices()))
}

/// Blocks of timed runs per tool: `runs` in all, in up to [`BLOCKS`]
/// blocks as even as can be.
fn blocks(runs: usize) -> impl Iterator<Item = usize> {
    let k = runs.clamp(1, BLOCKS);
    (0..k).map(move |i| runs / k + usize::from(i < runs % k))
}

/// A floor pass this slow is timed [`SLOW_FLOOR_RUNS`] times only.
const SLOW_FLOOR_S: f64 = 1.0;

/// Runs of a floor pass over [`SLOW_FLOOR_S`] (2-256x4-1's 153,828 points
/// take about 15 s a pass).
const SLOW_FLOOR_RUNS: usize = 3;

/// The median of `n` timed runs of `run` (which returns its time), or of
/// [`SLOW_FLOOR_RUNS`] if the first takes over [`SLOW_FLOOR_S`].
fn floor_median(n: usize, mut run: impl FnMut() -> f64) -> f64 {
    let first = run();
    let n = if first > SLOW_FLOOR_S {
        n.min(SLOW_FLOOR_RUNS)
    } else {
        n
    };
    let mut times = vec![first];
    times.extend((1..n).map(|_| run()));
    median(times)
}

/// One block of `n` timed runs of `run` (which returns its time), after
/// untimed runs of it for [`WARM_S`] (at least one), unless one run
/// (`probe` seconds) takes longer than [`WARM_SKIP_S`].
///
/// Why: on this kind of host a core that has been idle for some tens of
/// milliseconds runs the next tens of milliseconds of work up to 2x slower
/// (ACAS Xu, 2 threads: 10.5 ms back to back, 22 ms after a 60 ms sleep;
/// 1 thread: 17.6 vs 22 ms). Run by run, each tool started on cores the
/// others had left idle to different degrees: regioncam on the core our
/// 2-thread run had just used, our 2-thread run with one core idle since
/// our own last 2-thread run. See docs/benchmarks.md.
fn warm_block(n: usize, probe: f64, mut run: impl FnMut() -> f64) -> Vec<f64> {
    if probe < WARM_SKIP_S {
        let start = Instant::now();
        loop {
            black_box(run());
            if start.elapsed().as_secs_f64() >= WARM_S {
                break;
            }
        }
    }
    (0..n).map(|_| run()).collect()
}

/// Our partition on `pool`, timed on the pool's thread (the hand-over to
/// the pool is not counted: a caller already on a pool pays none), without
/// dropping it.
fn run_ours(
    pool: &rayon::ThreadPool,
    net: &Network,
    slice: &Slice,
    opts: &Options,
) -> (f64, Partition) {
    pool.install(|| time(|| Partition::compute(net, slice, opts).expect("partition")))
}

/// Batched `f64` forward pass of `n` points (`x` is `n x n_in`, row-major);
/// the sum of the outputs (so that nothing is optimised away).
fn forward_batch(layers: &[Affine], x: &[f64], n: usize) -> f64 {
    let mut cur = x.to_vec();
    for (k, l) in layers.iter().enumerate() {
        let (n_in, n_out) = (l.n_in, l.n_out);
        let mut next = vec![0.0; n * n_out];
        let last = k + 1 == layers.len();
        for p in 0..n {
            let xi = &cur[p * n_in..(p + 1) * n_in];
            let yo = &mut next[p * n_out..(p + 1) * n_out];
            for (o, y) in yo.iter_mut().enumerate() {
                let row = &l.w[o * n_in..(o + 1) * n_in];
                let mut s = l.b[o];
                for (a, c) in row.iter().zip(xi) {
                    s += a * c;
                }
                *y = if last { s } else { s.max(0.0) };
            }
        }
        cur = next;
    }
    cur.iter().sum()
}

/// How many neurons of the first activation layer have a zero line that
/// crosses the slice polygon (f64 signs at the corners; for information).
fn first_layer_crossings(net: &Network, slice: &Slice) -> Option<(usize, usize)> {
    let poly = slice.polygon_f64();
    let (_, pattern) = net
        .forward_f64(&slice.point_f64(poly[0][0], poly[0][1]))
        .ok()?;
    let mut res = None;
    net.propagate_f64(slice.input_form_f64(), &pattern, |layer, pre| {
        if layer == 0 {
            let crossing = (0..pre.len())
                .filter(|&k| {
                    let s: Vec<f64> = poly.iter().map(|p| pre.eval(k, p[0], p[1])).collect();
                    s.iter().any(|&x| x > 0.0) && s.iter().any(|&x| x < 0.0)
                })
                .count();
            res = Some((crossing, pre.len()));
        }
    })
    .ok()?;
    res
}

// ---------------------------------------------------------------------------
// Measurement helpers.

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// The lower quartile, median and upper quartile of `v` (linear
/// interpolation between order statistics; `v` not empty).
fn quartiles(v: &[f64]) -> [f64; 3] {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| {
        let x = q * (v.len() - 1) as f64;
        let (i, f) = (x.floor() as usize, x - x.floor());
        if i + 1 < v.len() {
            v[i] + f * (v[i + 1] - v[i])
        } else {
            v[i]
        }
    };
    [at(0.25), at(0.5), at(0.75)]
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

fn ratio(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}x")
    } else {
        format!("{x:.1}x")
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

fn env_f64(name: &str) -> Option<f64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Least-squares fit `y = a + b x`: `(a, b, r²)`.
fn fit(pts: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = pts.iter().map(|p| (p.1 - my).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let b = sxy / sxx;
    let r2 = if syy == 0.0 {
        1.0
    } else {
        sxy * sxy / (sxx * syy)
    };
    Some((my - b * mx, b, r2))
}

/// Timed runs per measurement, at least (the median is reported).
const RUNS: usize = 5;
/// At most this many timed runs: fast cases get about [`ROUND_TARGET_S`]
/// of runs, so that their medians are not left to a few noisy samples.
const MAX_RUNS: usize = 41;
/// Seconds of timed runs a fast case gets (all tools together): enough
/// for a dozen or more paired runs of the tens-of-milliseconds cases, whose
/// paired ratios move by ±50 % from run to run on a shared host.
const ROUND_TARGET_S: f64 = 6.0;
/// Blocks per tool and case (see [`warm_block`]).
const BLOCKS: usize = 5;
/// Seconds of untimed runs before each block.
const WARM_S: f64 = 0.1;
/// No warm-up for a case whose single run takes longer than this.
const WARM_SKIP_S: f64 = 0.4;
/// Default per-case budget in seconds (env `SPLINECAM_BENCH_BUDGET_S`).
const CASE_BUDGET_S: f64 = 120.0;
/// Default region limit of the guarded run (env `SPLINECAM_BENCH_MAX_REGIONS`).
const GUARD_MAX_REGIONS: usize = 2_000_000;
/// Default heap cap of the guarded run in MB (env `SPLINECAM_BENCH_MEM_CAP_MB`).
const GUARD_MEM_CAP_MB: f64 = 6000.0;

/// One measured point for the fit and the plot.
struct Point {
    name: String,
    /// `Some(width)` for the random MLPs.
    width: Option<usize>,
    regions: usize,
    /// splinecam medians (1 and 2 threads); `t1` is `None` for a probe-only row.
    t1: Option<f64>,
    t2: f64,
    /// regioncam (faces, seconds) if it ran.
    rc: Option<(usize, f64)>,
}

fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .expect("thread pool")
}

// ---------------------------------------------------------------------------
// The guarded child-process run.

/// In the child (`SPLINECAM_BENCH_CHILD=<case name>`): one 2-thread run with
/// progress lines on stdout, under `max_regions` and the heap cap.
fn child(name: &str) {
    let spec = specs()
        .into_iter()
        .find(|s| s.name == name)
        .expect("known case");
    let (net, slice, boundary) = build(spec.kind);
    let max_regions =
        env_f64("SPLINECAM_BENCH_MAX_REGIONS").map_or(GUARD_MAX_REGIONS, |v| v as usize);
    let cap_mb = env_f64("SPLINECAM_BENCH_MEM_CAP_MB").unwrap_or(GUARD_MEM_CAP_MB);
    let progress: splinecam::partition::ProgressFn = Arc::new(|done, count, faces| {
        println!("progress {done} {count} {faces}");
    });
    let opts = Options {
        boundary,
        output_forms: spec.outputs,
        max_regions: Some(max_regions),
        progress: Some(progress),
        ..Options::default()
    };
    CAP.store((cap_mb * 1024.0 * 1024.0) as isize, Relaxed);
    CURRENT.store(0, Relaxed);
    PEAK.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    let t = Instant::now();
    let r = pool(2).install(|| Partition::compute(&net, &slice, &opts));
    let secs = t.elapsed().as_secs_f64();
    let peak = PEAK.load(Relaxed);
    match r {
        Ok(p) => println!(
            "done {} {} {secs} {peak} {}",
            p.num_regions(),
            p.mesh().num_vertices(),
            p.stats().predicates.exact
        ),
        Err(PartitionError::TooManyRegions {
            found, limit, node, ..
        }) => println!("toomany {found} {limit} {node} {secs}"),
        Err(e) => println!("error {e}"),
    }
    std::io::stdout().flush().ok();
}

/// Runs the case in a child process under the time budget, the region limit
/// and the heap cap; returns the table row's text after the model name and,
/// if the run finished, a point for the plot.
fn guarded(spec: &Spec, budget: f64, ncols: usize) -> (String, Option<Point>) {
    let (net, slice, _) = build(spec.kind);
    let n_nodes = net.nodes().len();
    let node_desc = |i: usize| -> String {
        match net.nodes().get(i) {
            Some(n) => format!("node {}/{n_nodes} ('{}', {})", i + 1, n.name, n.op.name()),
            None => format!("node {}/{n_nodes}", i + 1),
        }
    };
    // The first activation or max node, and how many of its lines cross.
    let first_act = net
        .nodes()
        .iter()
        .position(|n| !matches!(n.op.class(), OpClass::Linear));
    let crossings = first_layer_crossings(&net, &slice);
    let exe = std::env::current_exe().expect("current exe");
    let mut child = Command::new(exe)
        .env("SPLINECAM_BENCH_CHILD", &spec.name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning the guarded child run");
    let out = child.stdout.take().expect("child stdout");
    let err = child.stderr.take().expect("child stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if text.len() < 4096 {
                text.push_str(&line);
                text.push('\n');
            }
        }
        text
    });
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(budget);
    // (nodes done, faces after them)
    let mut last = (0usize, 1usize);
    let mut outcome = None;
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        match rx.recv_timeout(deadline - now) {
            Ok(line) => {
                let f: Vec<&str> = line.split_whitespace().collect();
                match f.first().copied() {
                    Some("progress") if f.len() == 4 => {
                        last = (f[1].parse().unwrap_or(0), f[3].parse().unwrap_or(0));
                    }
                    Some("done" | "toomany" | "error") => {
                        outcome = Some(line);
                        break;
                    }
                    _ => {}
                }
            }
            Err(_) => break,
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let killed = outcome.is_none() && child.try_wait().ok().flatten().is_none();
    if killed {
        // Our own child, by its handle.
        child.kill().ok();
    }
    let status = child.wait().ok();
    let stderr = stderr_reader.join().unwrap_or_default();
    let empty = " |".repeat(ncols.saturating_sub(4));
    let cap_mb = env_f64("SPLINECAM_BENCH_MEM_CAP_MB").unwrap_or(GUARD_MEM_CAP_MB);
    match outcome
        .as_deref()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
    {
        Some(f) if f[0] == "done" && f.len() == 6 => {
            let regions: usize = f[1].parse().unwrap_or(0);
            let secs: f64 = f[3].parse().unwrap_or(f64::NAN);
            let peak: usize = f[4].parse().unwrap_or(0);
            (
                format!(
                    " {regions} | {} | one guarded 2-thread run (child process): {} s, peak {} MB |{empty}",
                    f[2],
                    fmt_s(secs),
                    mb(peak)
                ),
                Some(Point {
                    name: spec.name.clone(),
                    width: None,
                    regions,
                    t1: None,
                    t2: secs,
                    rc: None,
                }),
            )
        }
        Some(f) if f[0] == "toomany" && f.len() == 5 => {
            let node: usize = f[3].parse().unwrap_or(0);
            (
                format!(
                    " > {} | | skipped: more than {} regions ({}) after {} (`Options::max_regions`, {:.0} s) |{empty}",
                    f[2],
                    f[2],
                    f[1],
                    node_desc(node),
                    f[4].parse::<f64>().unwrap_or(f64::NAN)
                ),
                None,
            )
        }
        Some(f) => (format!(" | | failed: {} |{empty}", f.join(" ")), None),
        None => {
            let reason = if killed {
                format!("was stopped at the {budget:.0} s budget")
            } else if stderr.contains("memory allocation") {
                format!("reached the heap cap of {cap_mb:.0} MB after {elapsed:.0} s")
            } else {
                format!(
                    "ended ({}) after {elapsed:.0} s",
                    status.map_or("unknown status".into(), |s| s.to_string())
                )
            };
            // `last.0` nodes are done; node `last.0` was running.
            let running = last.0;
            match (first_act, crossings) {
                (Some(a), Some((c, n))) if running <= a => (
                    format!(
                        " > {c} | | skipped: more than {c} regions after the first activation layer ({}): {c} of its {n} neurons' lines cross the slice (up to {:.1e} regions from them alone); the guarded 2-thread run {reason} inside {} |{empty}",
                        node_desc(a),
                        1.0 + c as f64 + (c as f64) * (c as f64 - 1.0) / 2.0,
                        node_desc(running),
                    ),
                    None,
                ),
                _ => (
                    format!(
                        " > {} | | skipped: more than {} regions after {}; the guarded 2-thread run {reason} inside {} |{empty}",
                        last.1,
                        last.1,
                        node_desc(running.saturating_sub(1)),
                        node_desc(running),
                    ),
                    None,
                ),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Output files.

fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, path)
}

/// The log-log plot of time against regions (both tools).
fn plot(points: &[Point]) -> Result<String, Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let mut svg = String::new();
    let all_t = points
        .iter()
        .flat_map(|p| [p.t1, Some(p.t2), p.rc.map(|r| r.1)])
        .flatten()
        .filter(|t| *t > 0.0);
    let (tmin, tmax) = all_t.fold((f64::MAX, f64::MIN), |(a, b), t| (a.min(t), b.max(t)));
    let all_r = points
        .iter()
        .flat_map(|p| [Some(p.regions), p.rc.map(|r| r.0)])
        .flatten()
        .filter(|&r| r > 0)
        .map(|r| r as f64);
    let (rmin, rmax) = all_r.fold((f64::MAX, f64::MIN), |(a, b), r| (a.min(r), b.max(r)));
    if tmin > tmax || rmin > rmax {
        return Err("nothing to plot".into());
    }
    {
        let root = SVGBackend::with_string(&mut svg, (960, 640)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Partition time against regions (log-log)",
                ("sans-serif", 22),
            )
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(
                (rmin / 2.0..rmax * 6.0).log_scale(),
                (tmin / 2.0..tmax * 2.0).log_scale(),
            )?;
        chart
            .configure_mesh()
            .x_desc("regions")
            .y_desc("seconds (median)")
            .x_label_formatter(&|x| format!("{x:.0e}"))
            .y_label_formatter(&|y| format!("{y:.0e}"))
            .draw()?;
        let blue = RGBColor(31, 119, 180);
        let light = RGBColor(120, 170, 220);
        let orange = RGBColor(255, 127, 14);
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|p| p.t1.is_some())
                    .map(|p| Circle::new((p.regions as f64, p.t2), 5, blue.filled())),
            )?
            .label("splinecam, 2 threads")
            .legend(move |(x, y)| Circle::new((x, y), 5, blue.filled()));
        if points.iter().any(|p| p.t1.is_none()) {
            chart
                .draw_series(
                    points
                        .iter()
                        .filter(|p| p.t1.is_none())
                        .map(|p| Cross::new((p.regions as f64, p.t2), 6, blue.stroke_width(3))),
                )?
                .label("splinecam, 2 threads, one run (over budget)")
                .legend(move |(x, y)| Cross::new((x, y), 6, blue.stroke_width(3)));
        }
        chart
            .draw_series(points.iter().filter_map(|p| {
                p.t1.map(|t| Circle::new((p.regions as f64, t), 4, light.stroke_width(2)))
            }))?
            .label("splinecam, 1 thread")
            .legend(move |(x, y)| Circle::new((x, y), 4, light.stroke_width(2)));
        chart
            .draw_series(points.iter().filter_map(|p| {
                p.rc.map(|(r, t)| TriangleMarker::new((r as f64, t), 6, orange.filled()))
            }))?
            .label("regioncam 0.5.2, 1 thread")
            .legend(move |(x, y)| TriangleMarker::new((x, y), 6, orange.filled()));
        // A guide of slope 1 (time proportional to regions) through the
        // geometric mean of splinecam's 2-thread points.
        let n = points.len() as f64;
        let (lr, lt) = points.iter().fold((0.0, 0.0), |(a, b), p| {
            (a + (p.regions as f64).ln() / n, b + p.t2.ln() / n)
        });
        // t = c * r, clipped to the plot's ranges.
        let c = (lt - lr).exp();
        let r0 = (rmin / 2.0).max(tmin / 2.0 / c);
        let r1 = (rmax * 6.0).min(tmax * 2.0 / c);
        let grey = RGBColor(150, 150, 150);
        chart
            .draw_series(LineSeries::new(
                [r0, r1].map(|r| (r, c * r)),
                grey.stroke_width(1),
            ))?
            .label("slope 1 (time ∝ regions)")
            .legend(move |(x, y)| PathElement::new([(x - 8, y), (x + 8, y)], grey.stroke_width(1)));
        chart.draw_series(points.iter().map(|p| {
            Text::new(
                p.name.clone(),
                (p.regions as f64 * 1.15, p.t2),
                ("sans-serif", 11).into_font().color(&RGBColor(90, 90, 90)),
            )
        }))?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

/// `nproc`, CPU model, load average, rustc.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc (unknown version)".into());
    format!("{cpus} CPUs ({model}), {rustc}, release profile")
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

// ---------------------------------------------------------------------------

fn main() {
    if let Ok(name) = std::env::var("SPLINECAM_BENCH_CHILD") {
        child(&name);
        return;
    }
    // `cargo bench` passes `--bench`; any other argument filters model names.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let quick = std::env::var("SPLINECAM_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let runs = if quick { 1 } else { RUNS };
    let floor_runs = if quick { 1 } else { RUNS.max(9) };
    let (pool1, pool2) = (pool(1), pool(2));
    let budget = env_f64("SPLINECAM_BENCH_BUDGET_S").unwrap_or(CASE_BUDGET_S);
    let out_dir: Option<PathBuf> = match std::env::var("SPLINECAM_BENCH_OUT") {
        Ok(d) if !d.is_empty() => Some(d.into()),
        _ if filter.is_none() && !quick => {
            Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/bench"))
        }
        _ => None,
    };
    let load_start = loadavg();
    let started = Instant::now();

    let header = [
        "model",
        "regions",
        "vertices",
        "splinecam s (1 thr)",
        "splinecam s (2 thr)",
        "regions/s (2 thr)",
        "floor s",
        "ratio to floor",
        "exact fallback",
        "adaptive",
        "2-thr speed-up",
        "peak MB",
        "result MB",
        "model MB",
        "regioncam regions",
        "regioncam s",
        "regioncam peak MB",
        "regioncam s / ours (2 thr)",
    ];
    let ncols = header.len();
    let mut table = vec![
        format!("| {} |", header.join(" | ")),
        format!("|---|{}", "--:|".repeat(ncols - 1)),
    ];
    for l in &table {
        println!("{l}");
    }
    let emit = |table: &mut Vec<String>, row: String| {
        // Every row has one cell per column (no cell text contains '|').
        assert_eq!(row.matches('|').count(), ncols + 1, "malformed row: {row}");
        println!("{row}");
        table.push(row);
    };
    let mut notes = Vec::new();
    let mut points: Vec<Point> = Vec::new();

    for spec in specs() {
        if filter
            .as_ref()
            .is_some_and(|f| !spec.name.contains(f.as_str()))
        {
            continue;
        }
        if quick && !spec.small {
            continue;
        }
        let name = &spec.name;
        let width = match spec.kind {
            // (The row with output forms repeats a point of the fit.)
            Kind::Mlp { width, .. } if !spec.outputs => Some(width),
            _ => None,
        };
        if spec.kind
            == (Kind::Mlp {
                width: 256,
                depth: 8,
            })
        {
            emit(
                &mut table,
                format!("| {name} | skipped: expected to take far over the {budget:.0} s budget (2-256x4-1 alone takes over a minute per run) |{}", " |".repeat(ncols - 2)),
            );
            continue;
        }
        if spec.kind == Kind::ConvPlane {
            let (rest, point) = guarded(&spec, budget, ncols);
            emit(&mut table, format!("| {name} |{rest}"));
            points.extend(point);
            continue;
        }
        let (net, slice, boundary) = build(spec.kind);
        let opts = Options {
            boundary,
            output_forms: spec.outputs,
            ..Options::default()
        };
        let mlp_layers = as_mlp(&net);
        let folded = mlp_layers.as_ref().map(|l| fold_slice(l, &slice));
        // regioncam counts activation regions: no peer for a boundary cut.
        let rc_model = folded
            .as_ref()
            .filter(|_| boundary == Boundary::None)
            .map(|l| to_regioncam(l, &slice));
        // Heap of the model itself: a fresh load (clones share the weights).
        let (fresh, _, model_bytes) = measure_heap(|| build(spec.kind).0);
        drop(fresh);

        // One probe of each tool, with heap counting on: decides whether the
        // case fits the budget and gives the heap numbers (the timed runs
        // below count nothing).
        // (It times the cutting too, for the notes.)
        let probe_opts = Options {
            time_cutting: true,
            ..opts.clone()
        };
        let ((t_probe, p), peak, held) =
            measure_heap(|| run_ours(&pool2, &net, &slice, &probe_opts));
        let rc_probe = rc_model.as_ref().map(|m| measure_heap(|| run_regioncam(m)));
        let t_rc_probe = rc_probe.as_ref().map_or(0.0, |r| r.0 .0);
        let regions = p.num_regions();
        let vertices = p.mesh().num_vertices();
        let estimate = runs as f64 * (2.5 * t_probe + t_rc_probe);
        if estimate > budget {
            let rc_text = match &rc_probe {
                Some(((t, (faces, _)), rc_peak, _)) => format!(
                    "{faces} | {} (1 run) | {} | {:.2} (1 run)",
                    fmt_s(*t),
                    mb(*rc_peak),
                    t / t_probe
                ),
                None => "n/a | n/a | n/a | n/a".into(),
            };
            emit(
                &mut table,
                format!(
                    "| {name} | {regions} | {vertices} | skipped: one 2-thread run took {} s; {runs} run(s) of each tool would take ~{} s | | | | | | | | {} | {} | {} | {rc_text} |",
                    fmt_s(t_probe),
                    fmt_s(estimate),
                    mb(peak),
                    mb(held),
                    mb(model_bytes),
                ),
            );
            points.push(Point {
                name: name.clone(),
                width,
                regions,
                t1: None,
                t2: t_probe,
                rc: rc_probe.as_ref().map(|((t, (f, _)), _, _)| (*f, *t)),
            });
            continue;
        }
        let ps = p.stats().predicates;
        let total = ps.total().max(1) as f64;
        // Fast cases: more runs (about ROUND_TARGET_S in all).
        let per_round = 2.5 * t_probe + t_rc_probe;
        let runs = if quick {
            runs
        } else {
            runs.max(((ROUND_TARGET_S / per_round) as usize).min(MAX_RUNS))
        };

        let mut t1 = Vec::new();
        let mut t2 = Vec::new();
        let mut trc = Vec::new();
        let mut rc_faces = rc_probe.as_ref().map(|((_, (f, _)), _, _)| *f);
        // The tools take turns in blocks (so that load from other processes
        // hits all alike), each block warmed up first (see `warm_block`).
        let ours = |pool: &rayon::ThreadPool| {
            let (t, q) = run_ours(pool, &net, &slice, &opts);
            assert_eq!(q.num_regions(), regions, "splinecam is deterministic");
            drop(q);
            t
        };
        for n in blocks(runs) {
            t1.extend(warm_block(n, t_probe, || ours(&pool1)));
            t2.extend(warm_block(n, t_probe, || ours(&pool2)));
            if let Some(m) = &rc_model {
                trc.extend(warm_block(n, t_rc_probe, || {
                    let (t, (f, _)) = run_regioncam(m);
                    rc_faces = Some(f);
                    t
                }));
            }
        }

        // The floor: one interior point per region, batched f64 forward pass
        // (for a non-MLP: the crate's per-point `forward_f64`).
        let pts: Vec<f64> = p
            .regions()
            .flat_map(|f| {
                let (u, v) = p.interior_point(f);
                slice.point_f64(u.to_f64(), v.to_f64())
            })
            .collect();
        let n_in = net.input_len();
        let crate_forward = |pts: &[f64]| {
            pts.chunks(n_in)
                .map(|x| {
                    net.forward_f64(black_box(x))
                        .expect("forward")
                        .0
                        .iter()
                        .sum::<f64>()
                })
                .sum::<f64>()
        };
        let (tf, floor_kind) = match (&mlp_layers, &folded) {
            (Some(layers), Some(folded)) => {
                let uv: Vec<f64> = p
                    .regions()
                    .flat_map(|f| {
                        let (u, v) = p.interior_point(f);
                        [u.to_f64(), v.to_f64()]
                    })
                    .collect();
                // Sanity: the batched passes agree with the crate's own forward pass.
                let theirs = crate_forward(&pts[..n_in]);
                for mine in [
                    forward_batch(layers, &pts[..n_in], 1),
                    forward_batch(folded, &uv[..2], 1),
                ] {
                    assert!(
                        (mine - theirs).abs() <= 1e-9 * (1.0 + theirs.abs()),
                        "{name}: batched forward {mine} vs forward_f64 {theirs}"
                    );
                }
                let tf = floor_median(floor_runs, || {
                    time(|| forward_batch(folded, black_box(&uv), regions)).0
                });
                let tf_input = floor_median(floor_runs, || {
                    time(|| forward_batch(layers, black_box(&pts), regions)).0
                });
                let tf_crate = floor_median(runs, || time(|| crate_forward(&pts)).0);
                notes.push(format!(
                    "{name}: floor {} s; the same batched pass on input-space points takes {} s ({:.1}x), the crate's per-point forward_f64 {} s ({:.1}x)",
                    fmt_s(tf),
                    fmt_s(tf_input),
                    tf_input / tf,
                    fmt_s(tf_crate),
                    tf_crate / tf
                ));
                (tf, "")
            }
            _ => (
                floor_median(floor_runs, || time(|| crate_forward(&pts)).0),
                " (forward_f64)",
            ),
        };

        // regioncam against ours, run by run: each round's regioncam run
        // and 2-thread run are adjacent in time, so the median of their
        // ratios is steadier under other processes' load than the ratio of
        // the two medians (both are printed).
        let paired: Vec<f64> = trc.iter().zip(&t2).map(|(r, o)| r / o).collect();
        let (m1, m2) = (median(t1), median(t2));
        let mrc = (!trc.is_empty()).then(|| median(trc));
        let rc_text = match (rc_faces, mrc, &rc_probe) {
            (Some(f), Some(t), Some((_, rc_peak, _))) => {
                let q = quartiles(&paired);
                notes.push(format!(
                    "{name}: regioncam s / ours (2 thr): median of {} paired runs {:.2} (quartiles {:.2}-{:.2}); ratio of the medians {:.2}",
                    paired.len(),
                    q[1],
                    q[0],
                    q[2],
                    t / m2
                ));
                format!("{f} | {} | {} | {:.2}", fmt_s(t), mb(*rc_peak), q[1])
            }
            _ => "n/a | n/a | n/a | n/a".into(),
        };
        emit(
            &mut table,
            format!(
                "| {name} | {regions} | {vertices} | {} | {} | {:.0} | {}{floor_kind} | {} | {} | {} | {:.2}x | {} | {} | {} | {rc_text} |",
                fmt_s(m1),
                fmt_s(m2),
                regions as f64 / m2,
                fmt_s(tf),
                ratio(m2 / tf),
                pct(ps.exact as f64 / total),
                pct(ps.adaptive as f64 / total),
                m1 / m2,
                mb(peak),
                mb(held),
                mb(model_bytes),
            ),
        );
        notes.push(format!(
            "{name}: predicates {} filtered / {} adaptive / {} exact; faces after each layer {:?}; cutting (serial) {} of {} s in the layers (2-thread probe run){}",
            ps.filtered,
            ps.adaptive,
            ps.exact,
            p.stats().faces_after_layer,
            fmt_s(p.stats().cut_seconds.iter().sum()),
            fmt_s(p.stats().layer_seconds.iter().sum()),
            match rc_faces {
                Some(f) if f != regions => format!(
                    "; regioncam counts {f} faces, {:+} vs ours ({:+.3}%)",
                    f as i64 - regions as i64,
                    100.0 * (f as f64 - regions as f64) / regions as f64
                ),
                Some(_) => "; regioncam's count equals ours".into(),
                None => "; regioncam: n/a (not an MLP, or a decision boundary)".into(),
            }
        ));
        points.push(Point {
            name: name.clone(),
            width,
            regions,
            t1: Some(m1),
            t2: m2,
            rc: rc_faces.zip(mrc),
        });
    }

    // The growth fit over the MLP rows.
    let mut summary = Vec::new();
    let fit_line = |label: &str, pts: Vec<(f64, f64)>| -> String {
        let n = pts.len();
        match fit(&pts) {
            Some((a, b, r2)) => format!("{label}: b = {b:.2} (a = {a:.2}, r² = {r2:.3}, {n} rows)"),
            None => format!("{label}: too few rows for a fit ({n})"),
        }
    };
    let mlp_pts: Vec<&Point> = points.iter().filter(|p| p.width.is_some()).collect();
    let x = |p: &Point| ((p.regions * p.width.unwrap_or(1)) as f64).ln();
    summary.push(
        "Growth fit `ln t = a + b ln(regions × width)` over the random-MLP rows (target: b ≤ 1):"
            .to_string(),
    );
    summary.push(format!(
        "- {}",
        fit_line(
            "splinecam, 1 thread (measured rows)",
            mlp_pts
                .iter()
                .filter_map(|p| p.t1.map(|t| (x(p), t.ln())))
                .collect(),
        )
    ));
    summary.push(format!(
        "- {}",
        fit_line(
            "splinecam, 2 threads (incl. probe-only rows)",
            mlp_pts.iter().map(|p| (x(p), p.t2.ln())).collect(),
        )
    ));
    summary.push(format!(
        "- {}",
        fit_line(
            "regioncam (for reference)",
            mlp_pts
                .iter()
                .filter_map(|p| p
                    .rc
                    .map(|(f, t)| (((f * p.width.unwrap_or(1)) as f64).ln(), t.ln())))
                .collect(),
        )
    ));
    summary.push(String::new());
    summary.push(format!(
        "Times: median of {runs} to {MAX_RUNS} runs (about {ROUND_TARGET_S} s of runs for a fast case; floor: of {floor_runs}, or {SLOW_FLOOR_RUNS} where a pass takes over {SLOW_FLOOR_S} s), in this process, in up to {BLOCKS} blocks per tool taking turns, each after {WARM_S} s of untimed runs of the same tool (none for a run over {WARM_SKIP_S} s). Heap: one 2-thread probe run with counting on. Load average {load_start} at the start, {} at the end; {:.0} s in all. Machine: {}.",
        loadavg(),
        started.elapsed().as_secs_f64(),
        machine()
    ));
    println!();
    for l in &summary {
        println!("{l}");
    }
    println!();
    for n in &notes {
        println!("- {n}");
    }

    if let Some(dir) = out_dir {
        if let Err(e) = std::fs::create_dir_all(&dir) {
            eprintln!("cannot create {}: {e}", dir.display());
            return;
        }
        let mut md = String::from(
            "<!-- Written by `cargo bench --bench partition`; do not edit by hand. -->\n\n",
        );
        for l in table.iter().chain([&String::new()]).chain(&summary) {
            md.push_str(l);
            md.push('\n');
        }
        md.push('\n');
        for n in &notes {
            md.push_str(&format!("- {n}\n"));
        }
        let md_path = dir.join("partition.md");
        match write_atomic(&md_path, md.as_bytes()) {
            Ok(()) => println!("\nwrote {}", md_path.display()),
            Err(e) => eprintln!("writing {}: {e}", md_path.display()),
        }
        let svg_path = dir.join("partition.svg");
        match plot(&points)
            .map_err(|e| e.to_string())
            .and_then(|svg| write_atomic(&svg_path, svg.as_bytes()).map_err(|e| e.to_string()))
        {
            Ok(()) => println!("wrote {}", svg_path.display()),
            Err(e) => eprintln!("plot {}: {e}", svg_path.display()),
        }
    }
}
