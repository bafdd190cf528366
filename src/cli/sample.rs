//! `splinecam sample MODEL SLICE (--boundary N | --regions)`: points mapped
//! back to the input space, saved as `.npy` (and a PNG montage for images).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{ArgGroup, Args};
use serde::Serialize;
use splinecam::io::npy;
use splinecam::partition::Partition;
use splinecam::render;
use splinecam::sample::{self, SamplePoint};

use super::inputs::{create_dir, load_model, write_file};
use super::slice::{BoundaryArg, RunArgs, SliceArgs};

/// Arguments of `sample`.
#[derive(Args)]
#[command(group(ArgGroup::new("what").required(true).args(["boundary", "regions"])))]
pub struct SampleArgs {
    /// An ONNX (.onnx) or splinecam JSON (.json) model.
    model: PathBuf,
    #[command(flatten)]
    slice: SliceArgs,
    /// N points uniformly along the decision boundary (by input-space length).
    #[arg(long, value_name = "N")]
    boundary: Option<usize>,
    /// One interior point per region instead.
    #[arg(long)]
    regions: bool,
    /// Seed of the boundary draws.
    #[arg(long, value_name = "S", default_value_t = 0)]
    sample_seed: u64,
    /// Which decision boundary (as `--boundary` of the other subcommands).
    #[arg(long, value_enum, default_value_t = BoundaryArg::Auto)]
    kind: BoundaryArg,
    /// With --kind level: the level C.
    #[arg(long, value_name = "C", allow_hyphen_values = true)]
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

/// Samples and writes the points.
pub fn run(a: &SampleArgs) -> Result<()> {
    let net = load_model(&a.model)?;
    let slice = a.slice.build(&net)?;
    let run = RunArgs {
        boundary: a.kind,
        level: a.level,
        level_output: a.level_output,
        max_regions: a.max_regions,
        quiet: a.quiet,
    };
    let (p, _) = super::compute(&net, &slice, &run)?;
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
/// and, for image inputs, `dir/montage.png`.
pub fn write_samples(
    p: &Partition,
    points: &[SamplePoint],
    what: &'static str,
    seed: Option<u64>,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    create_dir(dir)?;
    let shape = p.network().input_shape();
    let inputs: Vec<Vec<f64>> = points.iter().map(|s| s.input.clone()).collect();
    let npy_path = dir.join("samples.npy");
    npy::write_points(&npy_path, &inputs, shape)?;
    let record = SampleRecord {
        format: "splinecam-samples",
        version: 1,
        what,
        seed,
        input_shape: shape,
        points,
    };
    let json_path = dir.join("samples.json");
    let mut text = serde_json::to_string_pretty(&record).context("serialising the samples")?;
    text.push('\n');
    write_file(&json_path, text.as_bytes())?;
    let mut written = vec![npy_path, json_path];
    if let Some(png) = render::montage(&inputs, shape) {
        let path = dir.join("montage.png");
        write_file(&path, &png.context("drawing the montage")?)?;
        written.push(path);
    }
    Ok(written)
}
