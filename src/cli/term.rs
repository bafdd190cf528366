//! Terminal output: stdout that tolerates a closed pipe, progress bars on
//! stderr, durations.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use splinecam::partition::ProgressFn;

/// Set once stdout is closed by the reader (e.g. `| head`): later output is
/// dropped instead of failing, so files are still written.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `s` to stdout; a closed pipe is not an error (see [`STDOUT_CLOSED`]).
pub fn emit(s: &str) -> Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        r => r.context("cannot write to standard output"),
    }
}

/// `print!` through [`emit`], returning its error.
macro_rules! out {
    ($($t:tt)*) => { $crate::cli::term::emit(&format!($($t)*))? };
}

/// `println!` through [`emit`], returning its error.
macro_rules! outln {
    () => { $crate::cli::term::emit("\n")? };
    ($($t:tt)*) => { $crate::cli::term::emit(&format!("{}\n", format_args!($($t)*)))? };
}

/// A duration as "12.3 ms" or "4.56 s".
pub fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// Whether progress bars are drawn: not with `quiet`, and only when stderr
/// is a terminal.
fn visible(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// A bar over `len` steps with `unit` (e.g. "nodes", "slices").
pub fn bar(quiet: bool, len: usize, unit: &str) -> ProgressBar {
    if !visible(quiet) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    let style = ProgressStyle::with_template(&format!(
        "{{spinner}} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} {unit}, {{msg}}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The partition's progress callback driving `bar`: per node, with the
/// number of regions so far.
pub fn layer_progress(bar: &ProgressBar) -> ProgressFn {
    let cb = bar.clone();
    Arc::new(move |done: usize, count: usize, faces: usize| {
        cb.set_length(count as u64);
        cb.set_position(done as u64);
        if done == count {
            cb.set_message(format!("{faces} regions; decision boundary"));
        } else {
            cb.set_message(format!("{faces} regions"));
        }
    })
}
