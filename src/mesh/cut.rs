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

    /// Whether `v` is recorded on the zero set of the neuron `label` (a
    /// neighbour's cut by that neuron's line made it).
    pub fn vertex_on(&self, v: VertexId, label: Label) -> bool {
        self.verts[v.index()].on.binary_search(&label).is_ok()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::Kernel;

    /// A 2×2 grid of unit squares (a vertex in the middle, vertices on the
    /// sides), so that lines can pass through vertices and along sides.
    fn grid(kernel: Kernel) -> Mesh {
        let mut m =
            Mesh::from_convex_polygon(&[[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]], kernel)
                .unwrap();
        let u = m.add_line(Line::from_f64(1.0, 0.0, -1.0).unwrap());
        let v = m.add_line(Line::from_f64(0.0, 1.0, -1.0).unwrap());
        m.insert_line(u, Label(100)).unwrap();
        m.insert_line(v, Label(101)).unwrap();
        m
    }

    /// Cutting with every sign known beforehand (some of them, all of them,
    /// none) gives the same outcomes, vertices, labels and faces as
    /// [`Mesh::cut_face`], and the same exact signs as a pure-rational mesh,
    /// for lines through a vertex, along sides, parallel to sides,
    /// duplicated, and zero.
    #[test]
    fn known_signs_cut_like_cut_face() {
        let lines = [
            [1.0, -1.0, 0.0],        // the diagonal: through three vertices
            [1.0, 0.0, -1.0],        // along the middle sides again
            [0.0, 1.0, -0.5],        // parallel to a side, through two faces
            [1.0, 1.0, -1.0],        // through two side vertices
            [3.0, -1.0, -0.25],      // generic
            [0.0, 0.0, 0.0],         // zero: vanishes everywhere
            [0.0, 0.0, 1.0],         // constant: misses everything
            [1.0, 0.0, -2.0],        // along the domain's side
            [1.0, -1.0, 1e-300_f64], // one ulp-ish off the diagonal
        ];
        for kernel in [Kernel::Filtered, Kernel::Rational] {
            for mode in 0..3 {
                let (mut a, mut b) = (grid(kernel), grid(Kernel::Rational));
                for (k, c) in lines.iter().enumerate() {
                    let label = Label(k as u32);
                    let la = a.add_line(Line::from_f64(c[0], c[1], c[2]).unwrap());
                    let lb = b.add_line(Line::from_f64(c[0], c[1], c[2]).unwrap());
                    let faces: Vec<FaceId> = a.faces().collect();
                    assert_eq!(faces, b.faces().collect::<Vec<_>>());
                    for f in faces {
                        // The signs a caller would know: every vertex of the
                        // face signed first (mode 2), every other one (1), none (0).
                        let verts: Vec<VertexId> = a.face_vertices(f).collect();
                        let mut known = std::collections::HashMap::new();
                        for (i, &v) in verts.iter().enumerate() {
                            if mode == 2 || (mode == 1 && i % 2 == 0) {
                                known.insert(v, a.side_of_vertex(v, la, label));
                            }
                        }
                        let oa = a.cut_face_knowing(f, la, label, |v| known.get(&v).copied());
                        let ob = b.cut_face(f, lb, label);
                        assert_eq!(oa, ob, "line {k}, face {f:?}, mode {mode}");
                    }
                    a.validate().unwrap();
                    assert_eq!(a.num_vertices(), b.num_vertices());
                    for v in a.vertices() {
                        assert_eq!(a.vertex_exact(v), b.vertex_exact(v));
                        assert_eq!(a.vertex_labels(v), b.vertex_labels(v));
                    }
                    for f in a.faces() {
                        let ca: Vec<VertexId> = a.face_vertices(f).collect();
                        assert_eq!(ca, b.face_vertices(f).collect::<Vec<_>>());
                        for h in a.face_half_edges(f) {
                            assert_eq!(a.edge_labels(h), b.edge_labels(h));
                        }
                    }
                }
            }
        }
    }
}
