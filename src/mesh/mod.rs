//! The half-edge mesh: the planar subdivision of the slice polygon.
//!
//! This module owns the partition's topology (vertices, half-edges, faces in
//! arenas with typed handles) and the one geometric operation the algorithm
//! needs: cutting a convex face by a line, exactly ([`Mesh::cut_face`]).
//! It does not decide signs itself (it asks [`crate::exact::predicates`]) and
//! knows nothing about networks: a cut is a line plus an opaque [`Label`].
//!
//! - [`handles`]: typed `u32` handles;
//! - `store`: the arenas and the topological edits (split an edge, split a
//!   face), which know no numbers;
//! - `cut`: cutting a face by a line, using the exact kernel;
//! - `build`: the initial mesh from a convex polygon;
//! - `merge`: removing edges between faces that are one region, and
//!   compacting tombstones away;
//! - `seam`: halving the domain along a seam line, gluing the halves back
//!   and removing the seam;
//! - `validate`: every invariant, topological then geometric, and exact
//!   areas.
//!
//! Invariants (checked by [`Mesh::validate`]): `twin(twin(h)) = h`,
//! `next(prev(h)) = h`, `origin(next(h)) = origin(twin(h))`, each face is a
//! closed cycle of its half-edges, every inner face is convex and
//! counter-clockwise (collinear vertices on a side are allowed: a neighbour's
//! cut may put a vertex on a straight side), vertices are pairwise distinct,
//! every half-edge lies on its supporting line, and Euler's formula
//! `V − E + F = 1` holds for the inner faces.
//!
//! ```
//! use splinecam::exact::{Kernel, Line};
//! use splinecam::mesh::{CutOutcome, Label, Mesh};
//! let mut m = Mesh::from_convex_polygon(&[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], Kernel::Filtered).unwrap();
//! let diag = m.add_line(Line::from_f64(1.0, -1.0, 0.0).unwrap()); // u = v
//! let face = m.faces().next().unwrap();
//! // The diagonal passes through two corners: no new vertex, one new edge.
//! assert!(matches!(m.cut_face(face, diag, Label(7)).unwrap(), CutOutcome::Split { .. }));
//! assert_eq!((m.num_vertices(), m.num_faces()), (4, 2));
//! m.validate().unwrap();
//! ```

mod build;
mod cut;
pub mod handles;
mod merge;
mod seam;
mod store;
mod validate;

pub use cut::CutOutcome;
pub use handles::{FaceId, HalfEdgeId, Label, LineId, VertexId};
pub use merge::{FaceMoves, Remap};
pub use seam::{Glued, Halves};
pub use store::Mesh;
pub use validate::InvariantViolation;

/// Errors from building or editing a mesh.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MeshError {
    /// The domain polygon cannot be used; the message says what to fix.
    #[error("invalid domain polygon: {0}")]
    BadPolygon(String),
    /// Two halves do not glue along their seam ([`Mesh::glue`]; a bug).
    #[error(
        "the halves of the domain do not glue along their seam: {0} (a bug: please report it)"
    )]
    Seam(String),
    /// An edit found the mesh in a state that breaks an invariant (a bug).
    #[error("mesh invariant broken: {0}")]
    Invariant(#[from] InvariantViolation),
}
