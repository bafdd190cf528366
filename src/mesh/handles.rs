//! Typed handles into the mesh's arenas.
//!
//! Handles are `u32` indices wrapped in distinct types so that a vertex can
//! never be passed where a face is expected. The two half-edges of an edge
//! are stored side by side: `twin(h) = h ^ 1`, and `h >> 1` is the edge.

use std::fmt;

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub u32);

        impl $name {
            /// The arena index.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The handle of an arena index.
            ///
            /// # Panics
            /// If the index does not fit in `u32` (more than 4 billion
            /// elements, far beyond the memory of any machine we target).
            #[inline]
            pub fn from_index(i: usize) -> Self {
                $name(u32::try_from(i).expect("mesh arena exceeds u32 handles"))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

handle!(
    /// A vertex of the mesh.
    VertexId,
    "v"
);
handle!(
    /// A half-edge of the mesh; `twin()` is the opposite half-edge.
    HalfEdgeId,
    "h"
);
handle!(
    /// A face of the mesh. [`FaceId::OUTER`] is the unbounded face.
    FaceId,
    "f"
);
handle!(
    /// A line stored in the mesh (supporting line of edges, crossing lines
    /// of vertices).
    LineId,
    "l"
);
handle!(
    /// What made a cut: for a network, a neuron; for a line arrangement, the
    /// line's index. Vertices and edges record the labels whose zero set
    /// contains them.
    Label,
    "n"
);

impl HalfEdgeId {
    /// The opposite half-edge of the same edge.
    #[inline]
    pub fn twin(self) -> HalfEdgeId {
        HalfEdgeId(self.0 ^ 1)
    }

    /// The index of the undirected edge (shared by the two twins).
    #[inline]
    pub fn edge(self) -> usize {
        (self.0 >> 1) as usize
    }
}

impl FaceId {
    /// The unbounded face outside the domain polygon.
    pub const OUTER: FaceId = FaceId(0);
}
