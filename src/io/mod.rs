//! Input/output formats that are not network models: VNN-LIB input boxes,
//! `.npy` points, the result file, and atomic writes.
//!
//! This module reads and writes files; it computes no geometry.
//!
//! - [`vnnlib`]: VNN-LIB input boxes;
//! - [`output`]: the versioned JSON result file of a partition;
//! - [`atomic`]: atomic file writes (temporary file, `fsync`, rename);
//! - [`npy`]: input points in NumPy's `.npy` format.

pub mod atomic;
pub mod npy;
pub mod output;
pub mod vnnlib;
