//! `splinecam partition MODEL SLICE`: the result JSON and pictures.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use splinecam::io::output::ResultFile;

use super::inputs::{commit_files, create_dir, load_model, stage_file};
use super::pictures::{stage_pictures, PictureArgs};
use super::slice::{RunArgs, SliceArgs};
use super::term::fmt_duration;

/// Arguments of `partition`.
#[derive(Args)]
pub struct PartitionArgs {
    /// An ONNX (.onnx) or splinecam JSON (.json) model.
    model: PathBuf,
    #[command(flatten)]
    slice: SliceArgs,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    pictures: PictureArgs,
    /// Folder for result.json, partition.svg and partition.png (created if missing).
    #[arg(long, value_name = "DIR", default_value = "splinecam-out")]
    out: PathBuf,
    /// Also check the partition exactly before writing (mesh invariants, areas, labels).
    #[arg(long)]
    validate: bool,
}

/// Partitions the slice and writes the result file and pictures.
pub fn run(a: &PartitionArgs) -> Result<()> {
    let net = load_model(&a.model)?;
    let slice = a.slice.build(&net)?;
    let style = a.pictures.style();
    let (p, elapsed) = super::compute(&net, &slice, &a.run)?;
    if a.validate {
        p.validate().context("validating the partition")?;
    }
    let result = ResultFile::from_partition(&p).context("collecting the result")?;
    create_dir(&a.out)?;
    // The pictures, then result.json, as one set: every file is on disk
    // before the first rename, result.json is renamed last.
    let mut staged = if a.pictures.no_pictures {
        Vec::new()
    } else {
        stage_pictures(&p, &style, &a.out, "partition")?
    };
    let pictures: Vec<PathBuf> = staged.iter().map(|s| s.path().to_path_buf()).collect();
    let json_path = a.out.join("result.json");
    let text = result.to_json_pretty().context("serialising the result")?;
    staged.push(stage_file(&json_path, text.as_bytes())?);
    commit_files(staged)?;
    let mut written = vec![json_path];
    written.extend(pictures);
    outln!(
        "{}: {} regions, {} boundary segments in {}{}",
        a.model.display(),
        p.num_regions(),
        result.boundary_segments.len(),
        fmt_duration(elapsed),
        if a.validate {
            " (validated exactly)"
        } else {
            ""
        }
    );
    for w in written {
        outln!("wrote {}", w.display());
    }
    Ok(())
}
