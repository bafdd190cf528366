//! The `splinecam` command-line tool; see `docs/cli.md` and `splinecam --help`.
//!
//! Subcommands: `demo`, `info`, `partition`, `sample`, `stats`, `compare`,
//! `verify` (one module each under `src/cli/`). Every error is reported as
//! one line on stderr with a non-zero exit code.

mod cli;

fn main() {
    cli::main();
}
