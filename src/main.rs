//! The `splinecam` command-line tool; see `docs/cli.md` and `splinecam --help`.
//!
//! Subcommands: `demo`, `info`, `partition`, `sample`, `stats`, `compare`,
//! `verify` (one module each under `src/cli/`). Every error is reported as
//! one line on stderr with a non-zero exit code.

mod cli;

/// The engine makes and drops many small per-face buffers; mimalloc serves
/// them 30-40 % faster than glibc's allocator (docs/benchmarks.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    cli::main();
}
