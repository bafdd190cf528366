//! # splinecam
//!
//! Exact geometry of piecewise-linear neural networks on a 2-D slice of their
//! input space: every linear region, its activation pattern and affine map,
//! the region adjacency graph and the decision boundary.
//!
//! The crate is organised as in `DESIGN.md`:
//!
//! - [`exact`]: exact numbers and the *only* place where signs are decided;
//! - [`domain`]: the 2-D slice of the input space (origin, directions, polygon);
//! - [`mesh`]: the half-edge mesh (planar subdivision) and exact face cutting;
//! - [`net`]: the network IR, loaders, forward passes and affine-form
//!   propagation;
//! - [`io`]: input formats that are not models (VNN-LIB boxes, `.npy`
//!   points), the versioned JSON result file and atomic writes;
//! - [`graph`]: the region adjacency graph and its queries (neighbours,
//!   class components, boundary regions and pieces);
//! - [`metrics`]: counts, linear pieces, areas, shapes, densities and the
//!   decision boundary's length and pieces;
//! - [`render`]: pictures of a partition (SVG and PNG) and sample montages;
//! - [`sample`]: points along the decision boundary or one per region;
//! - [`verify`]: re-checking a saved result file against its model, exactly.
// `unsafe` is denied everywhere but in `simd`, which runs kernels on AVX2
// where the processor has it (a run-time check, then the call).
#![deny(unsafe_code)]
#![deny(rustdoc::broken_intra_doc_links)]
#![warn(missing_docs)]

pub mod domain;
pub mod exact;
pub mod graph;
pub mod io;
pub mod mesh;
pub mod metrics;
pub mod net;
pub mod partition;
pub mod render;
pub mod sample;
mod simd;
#[cfg(feature = "proptest")]
pub mod strategies;
pub mod verify;
