//! `splinecam verify MODEL RESULT.json`: exact re-check of a saved result.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use splinecam::io::output::ResultFile;

use super::inputs::load_model;

/// Arguments of `verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The model the result was computed for.
    model: PathBuf,
    /// A result file written by `splinecam partition`.
    result: PathBuf,
}

/// Verifies; a failed check is an error (exit code 1) naming the first
/// check that failed.
pub fn run(a: &VerifyArgs) -> Result<()> {
    let net = load_model(&a.model)?;
    // The reader's errors name the file.
    let result = ResultFile::read(&a.result).context("cannot read the result file")?;
    let report = splinecam::verify::verify(&net, &result)
        .with_context(|| format!("{} does NOT verify", a.result.display()))?;
    outln!("{}: {report}", a.result.display());
    Ok(())
}
