//! `splinecam partition MODEL SLICE`: the result JSON and pictures.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use splinecam::io::output::ResultFile;

use super::inputs::{create_dir, load_model, write_file};
use super::pictures::{write_pictures, PictureArgs};
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
    let json_path = a.out.join("result.json");
    let text = result.to_json_pretty().context("serialising the result")?;
    write_file(&json_path, text.as_bytes())?;
    let mut written = vec![json_path];
    if !a.pictures.no_pictures {
        written.extend(write_pictures(&p, &style, &a.out, "partition")?);
    }
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
