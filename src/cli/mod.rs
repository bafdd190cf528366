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
use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use splinecam::domain::Slice;
use splinecam::net::Network;
use splinecam::partition::Partition;

use slice::{BoundaryArg, RunArgs};

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
    /// Worker threads (default: one per core; at most 4 per core or 256,
    /// whichever is larger). Results do not depend on it.
    #[arg(long, global = true, value_name = "N", value_parser = parse_threads)]
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

/// The most worker threads `--threads` accepts: 4 per core or 256,
/// whichever is larger. More only slow the run down (starting and waking
/// thousands of threads takes seconds and hundreds of MB) and cannot change
/// the result.
fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_mul(4).max(256)
}

/// Parses `--threads N` (1 ..= [`max_threads`]).
fn parse_threads(s: &str) -> std::result::Result<usize, String> {
    let max = max_threads();
    match s.trim().parse::<u128>() {
        Ok(0) => Err("at least 1 thread is needed".into()),
        Ok(n) if n <= max as u128 => Ok(n as usize),
        Ok(_) => Err(format!(
            "at most {max} threads (4 per core or 256, whichever is larger); more only slow the run down, and results do not depend on the number"
        )),
        Err(_) => Err(format!("'{s}' is not a whole number")),
    }
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

/// The error and its causes on one line, "a: b: c", each said once: a
/// cause whose text is already in the line (an error type that prints its
/// source, which the chain then yields again) is left out.
fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = one_line(&cause.to_string());
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Parses the command line: clap's checks, then the ones clap cannot
/// express (an option that only applies with a value of another).
fn parse() -> std::result::Result<Cli, clap::Error> {
    let mut cmd = Cli::command();
    let mut matches = cmd.try_get_matches_from_mut(std::env::args_os())?;
    check_level_options(&mut cmd, &matches)?;
    Cli::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut cmd))
}

/// `--level` and `--level-output` apply only with `--boundary level`
/// (`sample`: `--kind level`); given with another boundary they are refused
/// as clap refuses conflicting arguments.
fn check_level_options(
    cmd: &mut clap::Command,
    m: &ArgMatches,
) -> std::result::Result<(), clap::Error> {
    let Some((name, sub)) = m.subcommand() else {
        return Ok(());
    };
    let kind = match name {
        "partition" | "stats" | "compare" => "boundary",
        "sample" => "kind",
        _ => return Ok(()),
    };
    if sub.get_one::<BoundaryArg>(kind) == Some(&BoundaryArg::Level) {
        return Ok(());
    }
    for (id, flag) in [
        ("level", "--level <C>"),
        ("level_output", "--level-output <K>"),
    ] {
        if sub.value_source(id) == Some(ValueSource::CommandLine) {
            let msg = format!("the argument '{flag}' cannot be used without '--{kind} level'");
            let err = match cmd.find_subcommand_mut(name) {
                Some(sc) => sc.error(ErrorKind::ArgumentConflict, msg),
                None => cmd.error(ErrorKind::ArgumentConflict, msg),
            };
            return Err(err);
        }
    }
    Ok(())
}

/// Parses the command line, runs the subcommand, and exits.
pub fn main() {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
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
        eprintln!("error: {}", error_line(&e));
        std::process::exit(1);
    }
}

fn run(cli: &Cli) -> Result<()> {
    if let Some(n) = cli.threads {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An error that prints its source, as `#[error("...: {0}")]` with
    /// `#[from]` does.
    #[derive(Debug, thiserror::Error)]
    #[error("cannot read the box: {0}")]
    struct Outer(#[from] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("input X_1: empty interval [2, 1]")]
    struct Inner;

    #[test]
    fn each_cause_is_printed_once() {
        let e = anyhow::Error::from(Outer(Inner)).context("--vnnlib-box p.vnnlib");
        assert_eq!(
            error_line(&e),
            "--vnnlib-box p.vnnlib: cannot read the box: input X_1: empty interval [2, 1]"
        );
        // Causes that do not repeat are all kept, in order.
        let e = anyhow::anyhow!("inner").context("middle").context("outer");
        assert_eq!(error_line(&e), "outer: middle: inner");
        // A multi-line message becomes one line.
        let e = anyhow::anyhow!("a:\n  b\nc");
        assert_eq!(error_line(&e), "a: b; c");
    }
}
