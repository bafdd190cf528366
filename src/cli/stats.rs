//! `splinecam stats MODEL SLICE`: the metrics of a partition.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use splinecam::metrics::Metrics;

use super::inputs::load_model;
use super::slice::{RunArgs, SliceArgs};
use super::term::fmt_duration;

/// Arguments of `stats`.
#[derive(Args)]
pub struct StatsArgs {
    /// An ONNX (.onnx) or splinecam JSON (.json) model.
    model: PathBuf,
    #[command(flatten)]
    slice: SliceArgs,
    #[command(flatten)]
    run: RunArgs,
    /// Output format of the metrics.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also check the partition exactly (mesh invariants, areas, labels).
    #[arg(long)]
    validate: bool,
}

/// How `stats` prints.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// An aligned table.
    Text,
    /// One JSON object.
    Json,
    /// A header line and a value line.
    Csv,
}

/// Partitions the slice and prints its metrics.
pub fn run(a: &StatsArgs) -> Result<()> {
    let net = load_model(&a.model)?;
    let slice = a.slice.build(&net)?;
    let (p, elapsed) = super::compute(&net, &slice, &a.run)?;
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
