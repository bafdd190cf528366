//! Exact numbers and the predicates that decide signs.
//!
//! This module owns every sign decision of the crate: on which side of a line
//! a vertex lies, the orientation of domain corners. Everything else (the
//! mesh, the partition) asks these functions and never compares floats
//! itself. It must not know about meshes or networks.
//!
//! - [`number`]: exact conversion of floats into rationals and integers.
//! - [`mod@line`]: a line `a·u + b·v + c = 0` with exact coefficients and an f64
//!   approximation carrying a rigorous error bound.
//! - [`predicates`]: the filtered and the rational kernels, which return
//!   [`Sign`], never a float.
//!
//! See `docs/exactness.md` for the argument that every decision is exact.

pub mod line;
pub mod number;
pub mod predicates;

pub use line::{ExactLine, Line};
pub use predicates::{Kernel, PredicateStats, Sign};
