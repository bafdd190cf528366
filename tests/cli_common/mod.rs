//! Helpers shared by the tests that run the `splinecam` binary.
#![allow(dead_code)]

use std::process::{Command, Output};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_splinecam");

/// Runs the binary with `args`.
pub fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the splinecam binary runs")
}

/// Its stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Its stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success and returns stdout.
pub fn ok(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}", stderr(o));
    stdout(o)
}

/// Asserts a clean failure: non-zero exit, exactly one non-empty line on
/// stderr that contains `needle`, no panic and no backtrace.
pub fn assert_clean_failure(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(
        !o.status.success(),
        "expected failure, stdout: {} stderr: {err}",
        stdout(o)
    );
    assert_eq!(o.status.code().map(|c| c > 0), Some(true), "{err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(!err.contains("stack backtrace"), "backtrace: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got: {err:?}");
    assert!(
        lines[0].contains(needle),
        "stderr {:?} does not mention {needle:?}",
        lines[0]
    );
}
