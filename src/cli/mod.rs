//! The `splinecam` command line: argument parsing (clap) and one module per
//! subcommand. Every error reaches the user as one line on stderr with a
//! non-zero exit code.

#[macro_use]
pub mod term;
mod compare;
mod demo;
mod info;
mod inputs;
mod partition;
mod pictures;
mod sample;
mod slice;
mod stats;
mod verify;

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use splinecam::domain::Slice;
use splinecam::net::Network;
use splinecam::partition::Partition;

use slice::RunArgs;

#[derive(Parser)]
#[command(
    name = "splinecam",
    version,
    about = "Exact linear regions of piecewise-linear networks on 2-D slices",
    after_help = "Slices: --box (2-input networks), --through A B C [--margin M], \
--square-around A [B] [--pad R] [--seed S], --vnnlib-box FILE --dims I,J, \
--polygon \"u,v ...\" [--plane O E1 E2]. Points are .npy, .json or VNN-LIB files. \
See docs/cli.md."
)]
struct Cli {
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run everything on the bundled examples and write the results to a folder.
    Demo(demo::DemoArgs),
    /// Print the nodes of a model and the neurons of its activation layers.
    Info(info::InfoArgs),
    /// Partition a slice; write the result JSON and pictures.
    Partition(partition::PartitionArgs),
    /// Sample points along the decision boundary, or one per region, as .npy.
    Sample(sample::SampleArgs),
    /// Partition a slice and print its metrics (text, JSON or CSV).
    Stats(stats::StatsArgs),
    /// Metrics of several models over K random slices, side by side.
    Compare(compare::CompareArgs),
    /// Re-check a saved result against its model in exact arithmetic.
    Verify(verify::VerifyArgs),
}

/// Partitions `slice` of `net` with a progress bar per node.
fn compute(net: &Network, slice: &Slice, run: &RunArgs) -> Result<(Partition, Duration)> {
    let bar = term::bar(run.quiet, net.nodes().len(), "nodes");
    let options = run.options(Some(term::layer_progress(&bar)))?;
    let t = Instant::now();
    let result = Partition::compute(net, slice, &options);
    bar.finish_and_clear();
    let p = result.context("partitioning")?;
    Ok((p, t.elapsed()))
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

/// Parses the command line, runs the subcommand, and exits.
pub fn main() {
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
    let result = run(&cli);
    if let Err(e) = result {
        eprintln!("error: {}", one_line(&format!("{e:#}")));
        std::process::exit(1);
    }
}

fn run(cli: &Cli) -> Result<()> {
    if let Some(n) = cli.threads {
        if n == 0 {
            anyhow::bail!("--threads must be at least 1");
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("cannot start the worker threads")?;
    }
    match &cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Info(a) => info::run(a),
        Command::Partition(a) => partition::run(a),
        Command::Sample(a) => sample::run(a),
        Command::Stats(a) => stats::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Verify(a) => verify::run(a),
    }
}
