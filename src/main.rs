//! The `splinecam` command-line tool.
//!
//! - `splinecam demo [--out DIR]`: the exact partition of the bundled
//!   two-moons classifier (`examples/models/two_moons.json`, embedded in the
//!   binary) on a box around the data, with its decision boundary; writes
//!   `DIR/metrics.json`.
//! - `splinecam info MODEL`: the nodes of an ONNX or JSON model and the
//!   neurons of its activation layers.
//! - `splinecam stats MODEL (--box | --vnnlib-box --dims | --through)`: the
//!   partition of a slice and its metrics as text, JSON or CSV.
//!
//! Every error is reported as one line on stderr with a non-zero exit code.

use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use splinecam::domain::Slice;
use splinecam::metrics::Metrics;
use splinecam::net::{json, onnx, Network, OpClass};
use splinecam::partition::{Boundary, Options, Partition};

/// Set once stdout is closed by the reader (e.g. `| head`): later output is
/// dropped instead of failing, so files are still written.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `s` to stdout; a closed pipe is not an error (see [`STDOUT_CLOSED`]).
fn emit(s: &str) -> Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        r => r.context("cannot write to standard output"),
    }
}

/// `print!` through [`emit`], returning its error.
macro_rules! out {
    ($($t:tt)*) => { emit(&format!($($t)*))? };
}

/// `println!` through [`emit`], returning its error.
macro_rules! outln {
    () => { emit("\n")? };
    ($($t:tt)*) => { emit(&format!("{}\n", format_args!($($t)*)))? };
}

/// The bundled demo model: a 2-16-16-1 ReLU MLP trained on two moons by
/// `scripts/train_toy.py`.
const DEMO_MODEL: &str = include_str!("../examples/models/two_moons.json");
/// The demo's box `[x0, x1, y0, y1]`, around the two moons.
const DEMO_BOX: [f64; 4] = [-1.5, 2.5, -1.0, 1.5];

#[derive(Parser)]
#[command(
    name = "splinecam",
    version,
    about = "Exact linear regions of piecewise-linear networks on 2-D slices"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Partition the bundled two-moons classifier and print its metrics.
    Demo {
        /// Folder to write metrics.json into (created if missing).
        #[arg(long, value_name = "DIR", default_value = "splinecam-demo")]
        out: PathBuf,
    },
    /// Print the nodes of a model and the neurons of its activation layers.
    Info {
        /// An ONNX (.onnx) or splinecam JSON (.json) model.
        model: PathBuf,
    },
    /// Partition a 2-D slice of a model's input space and print its metrics.
    Stats(StatsArgs),
}

#[derive(Args)]
#[command(group(
    ArgGroup::new("slice")
        .required(true)
        .args(["box_bounds", "vnnlib_box", "through"])
))]
struct StatsArgs {
    /// An ONNX (.onnx) or splinecam JSON (.json) model.
    model: PathBuf,
    /// A box of a 2-input network: x0,x1,y0,y1 (x0 < x1, y0 < y1).
    #[arg(
        long = "box",
        value_name = "X0,X1,Y0,Y1",
        value_parser = parse_box,
        allow_hyphen_values = true
    )]
    box_bounds: Option<[f64; 4]>,
    /// The 2-D face, through its centre, of a VNN-LIB property's input box (needs --dims).
    #[arg(long, value_name = "FILE", requires = "dims")]
    vnnlib_box: Option<PathBuf>,
    /// The two input dimensions of the --vnnlib-box face: I,J (0-based, flat input index).
    #[arg(long, value_name = "I,J", value_parser = parse_dims, requires = "vnnlib_box")]
    dims: Option<(usize, usize)>,
    /// The plane through three points: VNN-LIB files (their box centres) or
    /// .json files each holding a flat list of numbers.
    #[arg(long, num_args = 3, value_names = ["A", "B", "C"])]
    through: Option<Vec<PathBuf>>,
    /// With --through: grow the triangle A B C about its centroid by 1 + M.
    #[arg(long, value_name = "M", default_value_t = 0.0, requires = "through")]
    margin: f64,
    /// The decision boundary to cut in after the last layer.
    #[arg(long, value_enum, default_value_t = BoundaryArg::Auto)]
    boundary: BoundaryArg,
    /// Output format of the metrics.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Stop with an error beyond this many regions.
    #[arg(long, value_name = "N")]
    max_regions: Option<usize>,
    /// Also check the partition exactly (mesh invariants, areas, labels).
    #[arg(long)]
    validate: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum BoundaryArg {
    /// One output: its zero set; several: the argmax boundary.
    Auto,
    /// Boundary between argmax cells of the outputs.
    Argmax,
    /// Boundary between argmin cells (ACAS Xu picks the minimum score).
    Argmin,
    /// No boundary: activation regions only.
    None,
}

impl From<BoundaryArg> for Boundary {
    fn from(b: BoundaryArg) -> Self {
        match b {
            BoundaryArg::Auto => Boundary::Auto,
            BoundaryArg::Argmax => Boundary::Argmax,
            BoundaryArg::Argmin => Boundary::Argmin,
            BoundaryArg::None => Boundary::None,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// An aligned table.
    Text,
    /// One JSON object.
    Json,
    /// A header line and a value line.
    Csv,
}

/// Parses `x0,x1,y0,y1` (four finite numbers).
fn parse_box(s: &str) -> std::result::Result<[f64; 4], String> {
    let v = parse_numbers(s)?;
    <[f64; 4]>::try_from(v.as_slice()).map_err(|_| {
        format!(
            "expected 4 comma-separated numbers x0,x1,y0,y1, got {}",
            v.len()
        )
    })
}

/// Parses a comma-separated list of finite numbers.
fn parse_numbers(s: &str) -> std::result::Result<Vec<f64>, String> {
    s.split(',')
        .map(|t| {
            let t = t.trim();
            match t.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                Ok(_) => Err(format!("'{t}' is not a finite number")),
                Err(_) => Err(format!("'{t}' is not a number")),
            }
        })
        .collect()
}

/// Parses `i,j` (two distinct input dimensions).
fn parse_dims(s: &str) -> std::result::Result<(usize, usize), String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [i, j] = parts.as_slice() else {
        return Err(format!(
            "expected two comma-separated dimensions I,J, got {}",
            parts.len()
        ));
    };
    let dim = |t: &str| {
        t.parse::<usize>()
            .map_err(|_| format!("'{t}' is not a non-negative integer"))
    };
    let (i, j) = (dim(i)?, dim(j)?);
    if i == j {
        return Err(format!("the two dimensions must differ, got {i} twice"));
    }
    Ok((i, j))
}

/// Loads an ONNX or JSON model: by extension, else by content (JSON starts
/// with `{`).
fn load_model(path: &Path) -> Result<Network> {
    let bytes = fs::read(path).with_context(|| format!("cannot read model {}", path.display()))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let is_json = match ext.as_deref() {
        Some("json") => true,
        Some("onnx") => false,
        _ => bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'{'),
    };
    let net = if is_json {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| anyhow!("invalid splinecam JSON model: the file is not UTF-8 text"))?;
        json::from_str(text)
    } else {
        onnx::from_bytes(&bytes)
    };
    net.with_context(|| format!("cannot load model {}", path.display()))
}

/// A point of the input space from a file: the centre of a VNN-LIB input
/// box, or a `.json` flat list of numbers.
fn read_point(path: &Path) -> Result<Vec<f64>> {
    let is_json = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        let text = fs::read_to_string(path)
            .with_context(|| format!("cannot read point {}", path.display()))?;
        let v: Vec<f64> = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: expected a JSON flat list of numbers such as [0.5, -1, 2]",
                path.display()
            )
        })?;
        Ok(v)
    } else {
        let bx = splinecam::io::vnnlib::read_input_box(path)
            .with_context(|| format!("cannot read the VNN-LIB input box {}", path.display()))?;
        Ok(bx.centre())
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder,
/// flushed, then renamed over `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("output");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

fn demo(out: &Path) -> Result<()> {
    let net = json::from_str(DEMO_MODEL).context("the bundled demo model")?;
    let slice = Slice::square_box(net.input_shape(), DEMO_BOX).context("the demo box")?;
    let t = Instant::now();
    let p = Partition::compute(&net, &slice, &Options::default())
        .context("partitioning the demo model")?;
    let compute_time = t.elapsed();
    let t = Instant::now();
    p.validate().context("validating the partition")?;
    let validate_time = t.elapsed();
    let metrics = Metrics::of(&p).context("computing the metrics")?;
    let st = &p.stats().predicates;

    let [x0, x1, y0, y1] = DEMO_BOX;
    outln!(
        "splinecam {} demo: 2-16-16-1 ReLU classifier of two moons on [{x0}, {x1}] x [{y0}, {y1}]",
        env!("CARGO_PKG_VERSION")
    );
    outln!(
        "  regions: {} (after each layer, then the boundary: {})",
        p.num_regions(),
        metrics
            .regions_per_layer
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" -> ")
    );
    outln!(
        "  decision boundary: {} piece(s), length {:.4}, {} regions touch it",
        metrics.boundary_pieces,
        metrics.boundary_length,
        metrics.regions_touching_boundary
    );
    outln!(
        "  time: {} partition, {} exact validation (passed)",
        fmt_duration(compute_time),
        fmt_duration(validate_time)
    );
    outln!(
        "  sign tests: {} ({} by the f64 filter, {} adaptive, {} exact integer)",
        st.total(),
        st.filtered,
        st.adaptive,
        st.exact
    );
    outln!();
    out!("{}", metrics.to_table());

    fs::create_dir_all(out).with_context(|| format!("cannot create folder {}", out.display()))?;
    let path = out.join("metrics.json");
    let mut text = serde_json::to_string_pretty(&metrics).context("serialising the metrics")?;
    text.push('\n');
    write_atomic(&path, text.as_bytes())?;
    outln!();
    outln!("wrote {}", path.display());
    Ok(())
}

fn info(path: &Path) -> Result<()> {
    let net = load_model(path)?;
    let shape = |s: &[usize]| format!("{s:?}");
    outln!("model: {}", path.display());
    outln!("input shape: {}", shape(net.input_shape()));
    outln!("output shape: {}", shape(net.output_shape()));
    if let Some(t) = net.output_transform() {
        outln!("output transform: {t:?} (monotone, skipped for geometry)");
    }
    let nodes = net.nodes();
    outln!("nodes: {}", nodes.len());
    let rows: Vec<[String; 5]> = nodes
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let ins = n
                .inputs
                .iter()
                .map(|&t| shape(net.shape(t)))
                .collect::<Vec<_>>()
                .join(", ");
            [
                k.to_string(),
                n.name.clone(),
                n.op.name().to_string(),
                ins,
                shape(net.shape(n.output)),
            ]
        })
        .collect();
    let header = ["#", "name", "op", "input shapes", "output shape"].map(String::from);
    let mut widths = header.clone().map(|h| h.len());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    for r in std::iter::once(&header).chain(&rows) {
        outln!(
            "  {:>w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
    }

    let layers = net.layer_nodes();
    outln!("activation layers: {}", layers.len());
    let mut total = 0usize;
    for (l, &k) in layers.iter().enumerate() {
        let n = &nodes[k];
        let (units, what) = match n.op.class() {
            OpClass::Max => (n.windows.len(), "max units"),
            _ => (net.len_of(n.output), "neurons"),
        };
        total += units;
        outln!(
            "  layer {l}: node {k} '{}' ({}): {units} {what}",
            n.name,
            n.op.name()
        );
    }
    outln!("total: {total} neurons/units");
    Ok(())
}

/// A progress bar on stderr over the network's `nodes`, hidden when `quiet`
/// or when stderr is not a terminal.
fn progress_bar(quiet: bool, nodes: usize) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(nodes as u64);
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} nodes, {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn stats(a: &StatsArgs) -> Result<()> {
    let net = load_model(&a.model)?;
    let shape = net.input_shape();
    let slice = if let Some(b) = a.box_bounds {
        Slice::square_box(shape, b)?
    } else if let Some(file) = &a.vnnlib_box {
        let dims = a
            .dims
            .ok_or_else(|| anyhow!("--vnnlib-box needs --dims I,J"))?;
        Slice::vnnlib_face(shape, file, dims)?
    } else if let Some(files) = &a.through {
        let [pa, pb, pc] = files.as_slice() else {
            bail!("--through needs exactly three files");
        };
        let (p0, p1, p2) = (read_point(pa)?, read_point(pb)?, read_point(pc)?);
        Slice::through_points(shape, &p0, &p1, &p2, a.margin)?
    } else {
        bail!("give a slice: --box, --vnnlib-box with --dims, or --through");
    };

    let bar = progress_bar(a.quiet, net.nodes().len());
    let cb = bar.clone();
    let options = Options {
        boundary: a.boundary.into(),
        max_regions: a.max_regions,
        progress: Some(Arc::new(move |done: usize, count: usize, faces: usize| {
            cb.set_length(count as u64);
            cb.set_position(done as u64);
            if done == count {
                cb.set_message(format!("{faces} regions; decision boundary"));
            } else {
                cb.set_message(format!("{faces} regions"));
            }
        })),
        ..Options::default()
    };
    let t = Instant::now();
    let result = Partition::compute(&net, &slice, &options);
    bar.finish_and_clear();
    let p = result?;
    let elapsed = t.elapsed();
    if a.validate {
        p.validate().context("validating the partition")?;
    }
    let metrics = Metrics::of(&p)?;
    match a.format {
        Format::Json => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&metrics).context("serialising the metrics")?
            );
        }
        Format::Csv => out!("{}", metrics.to_csv()),
        Format::Text => {
            outln!(
                "{}: {} regions in {}{}",
                a.model.display(),
                p.num_regions(),
                fmt_duration(elapsed),
                if a.validate {
                    " (validated exactly)"
                } else {
                    ""
                }
            );
            out!("{}", metrics.to_table());
        }
    }
    Ok(())
}

/// One line: the lines of a multi-line message joined with "; " (with a
/// space after a line ending in ':').
fn one_line(msg: &str) -> String {
    let mut out = String::new();
    for l in msg.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            out.push_str(if out.ends_with(':') { " " } else { "; " });
        }
        out.push_str(l);
    }
    out
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
                _ => {
                    // Clap's message without the usage block and the hint
                    // to --help, on one line.
                    let text = e.render().to_string();
                    let msg: String = text
                        .lines()
                        .take_while(|l| !l.starts_with("Usage:"))
                        .filter(|l| !l.starts_with("For more information"))
                        .collect::<Vec<_>>()
                        .join("\n");
                    eprintln!("{}; see --help", one_line(&msg));
                    std::process::exit(e.exit_code());
                }
            }
        }
    };
    let result = match &cli.command {
        Command::Demo { out } => demo(out),
        Command::Info { model } => info(model),
        Command::Stats(a) => stats(a),
    };
    if let Err(e) = result {
        eprintln!("error: {}", one_line(&format!("{e:#}")));
        std::process::exit(1);
    }
}
