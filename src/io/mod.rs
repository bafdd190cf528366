//! Input/output formats that are not network models: currently VNN-LIB input boxes.
//!
//! This module reads and writes files; it computes no geometry.

pub mod vnnlib;
