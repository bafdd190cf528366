//! Reading the user's files: models, points, result files; writing outputs.

use std::fs;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use splinecam::io::atomic::{self, Staged};
use splinecam::io::npy::{self, NpyError};
use splinecam::io::vnnlib::{self, VnnlibError};
use splinecam::net::{json, onnx, Network};

/// Loads an ONNX or JSON model: by extension, else by content (JSON starts
/// with `{`).
pub fn load_model(path: &Path) -> Result<Network> {
    let bytes = fs::read(path).with_context(|| format!("cannot read model {}", path.display()))?;
    let ext = extension(path);
    let is_json = match ext.as_deref() {
        Some("json") => true,
        Some("onnx") => false,
        _ => bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'{'),
    };
    let net = if is_json {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| anyhow!("invalid splinecam JSON model: the file is not UTF-8 text"))?;
        json::from_str(text)
    } else {
        onnx::from_bytes(&bytes)
    };
    net.with_context(|| format!("cannot load model {}", path.display()))
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// Points of the input space from a file, each of `input_len` numbers:
/// `.npy` (one input, or a batch along the first axis), `.json` (a flat list
/// of numbers, or a list of such lists), or a VNN-LIB property (the centre of
/// its input box).
pub fn read_points(path: &Path, input_len: usize) -> Result<Vec<Vec<f64>>> {
    match extension(path).as_deref() {
        Some("npy") => npy::read_points(path, input_len).map_err(|e| match e {
            NpyError::Io { source, .. } => {
                anyhow!(source).context(format!("cannot read points {}", path.display()))
            }
            e => e.into(),
        }),
        Some("json") => {
            let text = fs::read_to_string(path)
                .with_context(|| format!("cannot read points {}", path.display()))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not valid JSON", path.display()))?;
            let hint = || {
                anyhow!(
                    "{}: expected a flat list of numbers such as [0.5, -1, 2], or a list of such lists",
                    path.display()
                )
            };
            let pts: Vec<Vec<f64>> = if value.get(0).is_some_and(|v| v.is_array()) {
                serde_json::from_value(value).map_err(|_| hint())?
            } else {
                vec![serde_json::from_value(value).map_err(|_| hint())?]
            };
            for (i, p) in pts.iter().enumerate() {
                if p.len() != input_len {
                    bail!(
                        "{}: point {i} has {} numbers but the network takes {input_len}",
                        path.display(),
                        p.len()
                    );
                }
            }
            Ok(pts)
        }
        _ => match vnnlib::read_input_box(path) {
            Ok(bx) => Ok(vec![bx.centre()]),
            // Names the file and says why it cannot be read.
            Err(e @ VnnlibError::Io { .. }) => Err(e.into()),
            Err(e) => Err(anyhow!(e).context(format!(
                "cannot read {} as a VNN-LIB property (points are read from .npy, .json or VNN-LIB files)",
                path.display()
            ))),
        },
    }
}

/// Exactly one point from a file (see [`read_points`]).
pub fn read_point(path: &Path, input_len: usize) -> Result<Vec<f64>> {
    let mut pts = read_points(path, input_len)?;
    if pts.len() != 1 {
        bail!(
            "{} holds {} points; give a file with exactly one",
            path.display(),
            pts.len()
        );
    }
    Ok(pts.remove(0))
}

/// Creates `dir` (and its parents).
pub fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create folder {}", dir.display()))
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    atomic::write_atomic(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Writes `bytes` to a temporary file next to `path`, to be renamed over it
/// by [`commit_files`] together with the other files of the same output.
pub fn stage_file(path: &Path, bytes: &[u8]) -> Result<Staged> {
    atomic::stage(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// [`stage_file`] with the bytes written by `write`.
pub fn stage_file_with(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<Staged> {
    atomic::stage_with(path, write).with_context(|| format!("cannot write {}", path.display()))
}

/// Renames staged files over their targets, in order. Every file's bytes
/// are on disk before the first rename, so a failed write changes none of
/// the targets; put the file that vouches for the others last.
pub fn commit_files(files: Vec<Staged>) -> Result<()> {
    for f in files {
        let path = f.path().to_path_buf();
        f.commit()
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// `e`, with `what` (e.g. "--vnnlib-box FILE") in front unless its message
/// already names `path`.
pub fn naming_file(e: impl Into<anyhow::Error>, path: &Path, what: &str) -> anyhow::Error {
    let e = e.into();
    if format!("{e:#}").contains(&path.display().to_string()) {
        e
    } else {
        e.context(format!("{what} {}", path.display()))
    }
}
