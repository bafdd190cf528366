//! Cutting a convex face by a line, exactly.

use smallvec::{smallvec, SmallVec};

use crate::exact::predicates::{
    crossing_rounded, crossing_with_radius, det2_sign, side_of_crossing, side_of_point,
};
use crate::exact::Kernel;
use crate::exact::{Line, Sign};

use super::handles::{FaceId, HalfEdgeId, Label, LineId, VertexId};
use super::store::{Labels, Mesh, Vertex};
use super::validate::InvariantViolation;
use super::MeshError;

/// What [`Mesh::cut_face`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CutOutcome {
    /// The line does not cross the face's interior; `side` is its sign on the
    /// whole interior. It may still touch the face at one vertex or run
    /// along one side (that side's edge is then labelled, unless it is a
    /// side of the domain polygon, which carries no labels). `side` is
    /// [`Sign::Zero`] only for a line that vanishes on the whole face (all
    /// coefficients zero).
    Missed {
        /// The sign of the line on the face's interior.
        side: Sign,
    },
    /// The face was split in two.
    Split {
        /// The face where the line is positive (the face's old handle).
        positive: FaceId,
        /// The face where the line is negative (a new handle).
        negative: FaceId,
        /// The new edge's half-edge that bounds `negative`.
        edge: HalfEdgeId,
    },
}

impl Mesh {
    /// The exact sign of line `line` at vertex `v`, reading the vertex's
    /// zero-set record for `label` first (see DESIGN §3: a neighbour's
    /// different affine line for the same neuron passes through the same
    /// vertex, by continuity). A zero found by arithmetic is recorded.
    pub fn side_of_vertex(&mut self, v: VertexId, line: LineId, label: Label) -> Sign {
        if self.verts[v.index()].on.binary_search(&label).is_ok() {
            return Sign::Zero;
        }
        let mut st = self.stats;
        let s = self.side_raw(v, &self.lines[line.index()], &mut st);
        self.finish_side(v, label, s, st)
    }

    /// [`Mesh::side_of_vertex`] of one stored line at many vertices, in
    /// order, each sign handed to `put`: the same signs (and records), with
    /// the line's `f64` data read once and the point filter run in a tight
    /// loop; a vertex the filter cannot decide (or finds on the line) goes
    /// through [`Mesh::side_of_vertex`].
    pub fn sides_of_vertices(
        &mut self,
        verts: &[VertexId],
        line: LineId,
        label: Label,
        mut put: impl FnMut(VertexId, Sign),
    ) {
        let l = &self.lines[line.index()];
        let (coef, err) = (l.approx(), l.err());
        let filtered = self.kernel == Kernel::Filtered;
        let mut decided = 0u64;
        for &v in verts {
            let vert = &self.verts[v.index()];
            let fast = if filtered && vert.on.binary_search(&label).is_err() {
                side_of_point(coef, err, vert.xy, vert.r).filter(|s| *s != Sign::Zero)
            } else {
                None
            };
            let s = match fast {
                Some(s) => {
                    decided += 1;
                    s
                }
                None => self.side_of_vertex(v, line, label),
            };
            put(v, s);
        }
        self.stats.filtered += decided;
    }

    /// [`Mesh::side_of_vertex`] for a line that is not stored in the mesh
    /// (to test whether a line meets a region before storing it).
    pub fn side_of_vertex_unstored(&mut self, v: VertexId, line: &Line, label: Label) -> Sign {
        if self.verts[v.index()].on.binary_search(&label).is_ok() {
            return Sign::Zero;
        }
        let mut st = self.stats;
        let s = self.side_raw(v, line, &mut st);
        self.finish_side(v, label, s, st)
    }

    /// [`Mesh::side_of_vertex`] without recording anything (for checks).
    fn side_unrecorded(&self, v: VertexId, line: LineId, label: Label) -> Sign {
        if self.verts[v.index()].on.binary_search(&label).is_ok() {
            return Sign::Zero;
        }
        let mut st = self.stats;
        self.side_raw(v, &self.lines[line.index()], &mut st)
    }

    fn side_raw(&self, v: VertexId, line: &Line, st: &mut crate::exact::PredicateStats) -> Sign {
        let vert = &self.verts[v.index()];
        if self.kernel == Kernel::Filtered {
            if let Some(s) = side_of_point(line.approx(), line.err(), vert.xy, vert.r) {
                st.filtered += 1;
                return s;
            }
        }
        let [l1, l2] = vert.lines;
        side_of_crossing(
            self.kernel,
            &self.lines[l1.index()],
            &self.lines[l2.index()],
            vert.d2,
            line,
            st,
        )
    }

    fn finish_side(
        &mut self,
        v: VertexId,
        label: Label,
        s: Sign,
        st: crate::exact::PredicateStats,
    ) -> Sign {
        self.stats = st;
        if s == Sign::Zero {
            self.mark_vertex(v, label);
        }
        s
    }

    /// Cuts the convex face `face` by the line `line`, made by `label`.
    ///
    /// Exact in every case, including the degenerate ones:
    ///
    /// - the line misses the face, touches it at one vertex, or runs along
    ///   one side: [`CutOutcome::Missed`] (the touched vertex and the side are
    ///   labelled);
    /// - the line crosses a side in its interior: the side is split at a new
    ///   vertex, in both faces that share it (the neighbour sees the vertex,
    ///   and its record says it lies on `label`'s zero set);
    /// - the line passes through existing vertices: they are reused;
    /// - the same line again, or another line equal to an existing side:
    ///   `Missed`.
    ///
    /// Returns an error only if the mesh is broken (the face is not convex).
    pub fn cut_face(
        &mut self,
        face: FaceId,
        line: LineId,
        label: Label,
    ) -> Result<CutOutcome, MeshError> {
        self.cut_face_knowing(face, line, label, |_| None)
    }

    /// [`Mesh::cut_face`] where the caller already knows the line's sign at
    /// some of the face's vertices: `known(v)` is either `None` (the sign is
    /// found here, by [`Mesh::side_of_vertex`]) or exactly the sign that
    /// [`Mesh::side_of_vertex`] gave for this line and label (so a zero is
    /// already recorded at the vertex). The partition engine signs a line's
    /// zone once and cuts with those signs instead of signing every cut
    /// face's outline again.
    pub(crate) fn cut_face_knowing(
        &mut self,
        face: FaceId,
        line: LineId,
        label: Label,
        known: impl Fn(VertexId) -> Option<Sign>,
    ) -> Result<CutOutcome, MeshError> {
        // On the stack for the usual small faces.
        let cycle: SmallVec<[HalfEdgeId; 16]> = self.face_half_edges(face).collect();
        let n = cycle.len();
        let mut signs: SmallVec<[Sign; 16]> = SmallVec::with_capacity(n);
        for &h in &cycle {
            let v = self.origin(h);
            let s = match known(v) {
                Some(s) => {
                    debug_assert_eq!(s, self.side_unrecorded(v, line, label), "known sign");
                    s
                }
                None => self.side_of_vertex(v, line, label),
            };
            signs.push(s);
        }
        let pos = signs.iter().filter(|s| **s == Sign::Positive).count();
        let neg = signs.iter().filter(|s| **s == Sign::Negative).count();
        if pos == 0 || neg == 0 {
            let side = if pos > 0 {
                Sign::Positive
            } else if neg > 0 {
                Sign::Negative
            } else {
                Sign::Zero
            };
            if side != Sign::Zero {
                for i in 0..n {
                    if signs[i] == Sign::Zero && signs[(i + 1) % n] == Sign::Zero {
                        self.mark_edge(cycle[i], label);
                    }
                }
            }
            return Ok(CutOutcome::Missed { side });
        }

        // Split the sides whose ends have strictly opposite signs.
        let mut ring: SmallVec<[(HalfEdgeId, Sign); 18]> = SmallVec::with_capacity(n + 2);
        for i in 0..n {
            let h = cycle[i];
            ring.push((h, signs[i]));
            let (s0, s1) = (signs[i], signs[(i + 1) % n]);
            if s0 != Sign::Zero && s1 != Sign::Zero && s0 != s1 {
                let m = self.new_crossing_vertex(h, line, label);
                let n0 = self.split_edge(h, m);
                ring.push((n0, Sign::Zero));
            }
        }
        // Exactly two zero vertices, separating one positive run from one
        // negative run, on a convex face.
        let zeros: SmallVec<[usize; 2]> = (0..ring.len())
            .filter(|&i| ring[i].1 == Sign::Zero)
            .collect();
        if zeros.len() != 2 {
            return Err(InvariantViolation::NotConvex { face }.into());
        }
        let (i, j) = (zeros[0], zeros[1]);
        let after_i = ring[(i + 1) % ring.len()].1;
        let after_j = ring[(j + 1) % ring.len()].1;
        if after_i == Sign::Zero || after_j == Sign::Zero || after_i == after_j {
            return Err(InvariantViolation::NotConvex { face }.into());
        }
        // The chain a -> b stays with `face`: make it the positive run.
        let (ha, hb) = if after_i == Sign::Positive {
            (ring[i].0, ring[j].0)
        } else {
            (ring[j].0, ring[i].0)
        };
        let (negative, edge) = self.split_face(ha, hb, line, smallvec![label]);
        Ok(CutOutcome::Split {
            positive: face,
            negative,
            edge,
        })
    }

    /// Cuts every face that `line` crosses (a whole line of an arrangement).
    /// Returns how many faces were split.
    pub fn insert_line(&mut self, line: LineId, label: Label) -> Result<usize, MeshError> {
        let mut split = 0;
        for f in 1..self.faces.len() {
            let face = FaceId::from_index(f);
            if let CutOutcome::Split { .. } = self.cut_face(face, line, label)? {
                split += 1;
            }
        }
        Ok(split)
    }

    /// A new vertex where `line` crosses the interior of the edge of `h`.
    fn new_crossing_vertex(&mut self, h: HalfEdgeId, line: LineId, label: Label) -> VertexId {
        let el = self.edge_line(h);
        let mut st = self.stats;
        let d2 = det2_sign(
            self.kernel,
            &self.lines[el.index()],
            &self.lines[line.index()],
            &mut st,
        );
        self.stats = st;
        debug_assert_ne!(d2, Sign::Zero, "ends of opposite signs: not parallel");
        let (l1, l2) = (&self.lines[el.index()], &self.lines[line.index()]);
        let (mut xy, mut r) = crossing_with_radius(l1, l2);
        if !r.is_finite() {
            // The f64 evaluation overflowed or could not be bounded: round
            // the exact crossing instead (finite coordinates to draw and
            // measure, a radius the filter can use).
            if let Some(rounded) = crossing_rounded(l1, l2) {
                (xy, r) = rounded;
            }
        }
        // The vertex lies on the edge, hence in the zero set of every label
        // of the edge, and on the cutting line.
        let mut on = Labels::from_slice(self.edge_labels(h));
        if let Err(p) = on.binary_search(&label) {
            on.insert(p, label);
        }
        self.push_vertex(Vertex {
            lines: [el, line],
            d2,
            xy,
            r,
            on,
            dead: false,
        })
    }
}
