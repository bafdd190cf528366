//! `splinecam sample MODEL SLICE (--boundary N | --regions)`: points mapped
//! back to the input space, saved as `.npy` (and a PNG montage for images).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args};
use serde::Serialize;
use splinecam::io::npy;
use splinecam::partition::Partition;
use splinecam::render;
use splinecam::sample::{self, SamplePoint};

use super::inputs::{commit_files, create_dir, load_model, stage_file, stage_file_with};
use super::slice::{BoundaryArg, RunArgs, SliceArgs};

/// The most points `sample` writes.
pub const MAX_POINTS: usize = 1_000_000;
/// The most numbers `sample` writes: points × numbers per input (160 MB of
/// float64 in `samples.npy`; `samples.json` repeats them as text, several
/// times larger).
pub const MAX_NUMBERS: usize = 20_000_000;

/// Arguments of `sample`.
#[derive(Args)]
#[command(group(ArgGroup::new("what").required(true).args(["boundary", "regions"])))]
pub struct SampleArgs {
    /// An ONNX (.onnx) or splinecam JSON (.json) model.
    model: PathBuf,
    #[command(flatten)]
    slice: SliceArgs,
    /// N points uniformly along the decision boundary (by input-space
    /// length); at most 1,000,000, and at most 20,000,000 numbers in all (N
    /// times the model's input size).
    #[arg(long, value_name = "N", value_parser = parse_count)]
    boundary: Option<usize>,
    /// One interior point per region instead (within the same limits).
    #[arg(long)]
    regions: bool,
    /// Seed of the boundary draws.
    #[arg(
        long,
        value_name = "S",
        default_value_t = 0,
        conflicts_with = "regions"
    )]
    sample_seed: u64,
    /// Which decision boundary (as `--boundary` of the other subcommands).
    #[arg(long, value_enum, default_value_t = BoundaryArg::Auto)]
    kind: BoundaryArg,
    /// With --kind level: the level C.
    #[arg(
        long,
        value_name = "C",
        allow_hyphen_values = true,
        required_if_eq("kind", "level")
    )]
    level: Option<f64>,
    /// With --kind level: which output (0-based).
    #[arg(long, value_name = "K", default_value_t = 0)]
    level_output: usize,
    /// Stop with an error beyond this many regions.
    #[arg(long, value_name = "N")]
    max_regions: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Folder for samples.npy, samples.json and (image inputs) montage.png.
    #[arg(long, value_name = "DIR", default_value = "splinecam-samples")]
    out: PathBuf,
}

/// What `samples.json` holds next to the `.npy`.
#[derive(Serialize)]
struct SampleRecord<'a> {
    format: &'static str,
    version: u32,
    what: &'static str,
    seed: Option<u64>,
    input_shape: &'a [usize],
    points: &'a [SamplePoint],
}

/// Parses `--boundary N` (at most [`MAX_POINTS`]).
fn parse_count(s: &str) -> std::result::Result<usize, String> {
    match s.trim().parse::<u128>() {
        Ok(n) if n <= MAX_POINTS as u128 => Ok(n as usize),
        Ok(_) => Err(format!(
            "at most {MAX_POINTS} points can be sampled (the limit of `sample`, see docs/cli.md)"
        )),
        Err(_) => Err(format!("'{s}' is not a whole number >= 0")),
    }
}

/// Refuses to write `points` inputs of `input_len` numbers each beyond
/// [`MAX_POINTS`] and [`MAX_NUMBERS`]; `what` says where they come from.
fn check_size(points: usize, input_len: usize, what: &str, fix: &str) -> Result<()> {
    let numbers = points.saturating_mul(input_len);
    if points > MAX_POINTS || numbers > MAX_NUMBERS {
        bail!(
            "{what}: {points} points of {input_len} numbers each ({numbers} numbers) exceed the limit of `sample`: at most {MAX_POINTS} points and {MAX_NUMBERS} numbers in all; {fix}"
        );
    }
    Ok(())
}

/// Samples and writes the points.
pub fn run(a: &SampleArgs) -> Result<()> {
    let net = load_model(&a.model)?;
    let input_len = net.input_len();
    if let Some(n) = a.boundary {
        let most = (MAX_NUMBERS / input_len.max(1)).min(MAX_POINTS);
        check_size(
            n,
            input_len,
            &format!("--boundary {n}"),
            &format!("ask for at most {most} points"),
        )?;
    }
    let slice = a.slice.build(&net)?;
    let run = RunArgs {
        boundary: a.kind,
        level: a.level,
        level_output: a.level_output,
        max_regions: a.max_regions,
        quiet: a.quiet,
    };
    let (p, _) = super::compute(&net, &slice, &run)?;
    if a.boundary.is_none() {
        check_size(
            p.num_regions(),
            input_len,
            &format!("--regions on {} regions", p.num_regions()),
            "partition a smaller slice (e.g. --window) or cap the regions with --max-regions",
        )?;
    }
    let (points, what) = match a.boundary {
        Some(n) => (sample::boundary_samples(&p, n, a.sample_seed)?, "boundary"),
        None => (sample::region_samples(&p), "regions"),
    };
    let written = write_samples(&p, &points, what, a.boundary.map(|_| a.sample_seed), &a.out)?;
    outln!(
        "{}: {} regions; {} {} sample(s)",
        a.model.display(),
        p.num_regions(),
        points.len(),
        what
    );
    for w in written {
        outln!("wrote {}", w.display());
    }
    Ok(())
}

/// Writes `dir/samples.npy` (shape `(N, *input_shape)`), `dir/samples.json`
/// and, for image inputs, `dir/montage.png`, as one set: each is written to
/// a temporary file first, then they are renamed over the targets,
/// `samples.json` last (so a `samples.json` of this run means the other
/// files are of this run too). Returns the paths written.
pub fn write_samples(
    p: &Partition,
    points: &[SamplePoint],
    what: &'static str,
    seed: Option<u64>,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    create_dir(dir)?;
    let shape = p.network().input_shape();
    let npy_path = dir.join("samples.npy");
    let rows: Vec<&[f64]> = points.iter().map(|s| s.input.as_slice()).collect();
    let mut staged = vec![stage_file_with(&npy_path, |w| {
        npy::to_writer(w, &rows, shape).map_err(std::io::Error::other)
    })?];
    // The montage shows the first samples only.
    let first: Vec<Vec<f64>> = rows
        .iter()
        .take(render::MAX_TILES)
        .map(|r| r.to_vec())
        .collect();
    let mut montage = None;
    if let Some(png) = render::montage(&first, shape) {
        let path = dir.join("montage.png");
        staged.push(stage_file(&path, &png.context("drawing the montage")?)?);
        montage = Some(path);
    }
    let record = SampleRecord {
        format: "splinecam-samples",
        version: 1,
        what,
        seed,
        input_shape: shape,
        points,
    };
    let json_path = dir.join("samples.json");
    // Streamed to the file: the text is several times the size of the points.
    staged.push(stage_file_with(&json_path, |w| {
        serde_json::to_writer_pretty(&mut *w, &record)?;
        w.write_all(b"\n")
    })?);
    commit_files(staged)?;
    let mut written = vec![npy_path, json_path];
    written.extend(montage);
    Ok(written)
}
