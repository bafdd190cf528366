//! Invariants of the mesh, checked topologically then exactly, and exact
//! areas.

use std::collections::HashMap;

use rug::Rational;

use crate::exact::predicates::crossing_exact;

use super::handles::{FaceId, HalfEdgeId, VertexId};
use super::store::Mesh;

/// The first broken invariant [`Mesh::validate`] found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvariantViolation {
    /// `next`/`prev` links disagree, or `origin(next(h)) != origin(twin(h))`.
    #[error("half-edge {he:?}: inconsistent next/prev/twin links")]
    Links {
        /// The offending half-edge.
        he: HalfEdgeId,
    },
    /// A face's cycle is not closed, crosses into another face, or is too short.
    #[error("face {face:?}: its boundary is not a closed cycle of at least 3 half-edges")]
    FaceCycle {
        /// The offending face.
        face: FaceId,
    },
    /// Some half-edge belongs to no face cycle, or a vertex to no edge.
    #[error("{what} is not reachable from any face")]
    Unreachable {
        /// What was left over.
        what: String,
    },
    /// Two vertices have the same exact coordinates (or an edge has length 0).
    #[error("vertices {a:?} and {b:?} coincide")]
    DuplicateVertex {
        /// One vertex.
        a: VertexId,
        /// The other.
        b: VertexId,
    },
    /// A vertex is not the crossing of its two lines (they are parallel).
    #[error("vertex {v:?}: its two lines do not cross")]
    BadVertex {
        /// The offending vertex.
        v: VertexId,
    },
    /// An end of a half-edge does not lie on the edge's line.
    #[error("half-edge {he:?} does not lie on its line")]
    OffLine {
        /// The offending half-edge.
        he: HalfEdgeId,
    },
    /// An inner face is not convex and counter-clockwise.
    #[error("face {face:?} is not convex and counter-clockwise")]
    NotConvex {
        /// The offending face.
        face: FaceId,
    },
    /// `V − E + F != 1`.
    #[error("Euler's formula fails: V={v} E={e} F={f}")]
    Euler {
        /// Vertices.
        v: usize,
        /// Edges.
        e: usize,
        /// Inner faces.
        f: usize,
    },
}

type Point = (Rational, Rational);

fn orient(p: &Point, q: &Point, r: &Point) -> std::cmp::Ordering {
    let det = Rational::from(&q.0 - &p.0) * Rational::from(&r.1 - &p.1)
        - Rational::from(&q.1 - &p.1) * Rational::from(&r.0 - &p.0);
    det.cmp0()
}

impl Mesh {
    /// Checks every invariant: topology first (links, closed face cycles,
    /// every half-edge in exactly one cycle), then exact geometry (vertices
    /// distinct, half-edges on their lines, inner faces convex and
    /// counter-clockwise), then Euler's formula `V − E + F = 1`.
    ///
    /// Exact and therefore slow-ish: meant for tests and `verify`.
    pub fn validate(&self) -> Result<(), InvariantViolation> {
        self.validate_topology()?;
        self.validate_geometry()?;
        let (v, e, f) = (self.num_vertices(), self.num_edges(), self.num_faces());
        if v as i64 - e as i64 + f as i64 != 1 {
            return Err(InvariantViolation::Euler { v, e, f });
        }
        Ok(())
    }

    /// The topological invariants only (no arithmetic).
    pub fn validate_topology(&self) -> Result<(), InvariantViolation> {
        let nh = self.hes.len();
        if nh % 2 != 0 || nh / 2 != self.edges.len() {
            return Err(InvariantViolation::Unreachable {
                what: "an unpaired half-edge".into(),
            });
        }
        for i in 0..nh {
            let h = HalfEdgeId::from_index(i);
            let he = &self.hes[i];
            let ok = he.next.index() < nh
                && he.prev.index() < nh
                && he.origin.index() < self.verts.len()
                && he.face.index() < self.faces.len()
                && self.hes[he.next.index()].prev == h
                && self.hes[he.prev.index()].next == h
                && self.hes[he.next.index()].origin == self.hes[h.twin().index()].origin
                && self.hes[he.next.index()].face == he.face
                && he.origin != self.hes[h.twin().index()].origin;
            if !ok {
                return Err(InvariantViolation::Links { he: h });
            }
        }
        let mut seen = vec![false; nh];
        let mut vseen = vec![false; self.verts.len()];
        for f in 0..self.faces.len() {
            let face = FaceId::from_index(f);
            let start = self.faces[f];
            let mut h = start;
            let mut len = 0;
            loop {
                if self.hes[h.index()].face != face || seen[h.index()] || len > nh {
                    return Err(InvariantViolation::FaceCycle { face });
                }
                seen[h.index()] = true;
                vseen[self.hes[h.index()].origin.index()] = true;
                len += 1;
                h = self.hes[h.index()].next;
                if h == start {
                    break;
                }
            }
            if len < 3 {
                return Err(InvariantViolation::FaceCycle { face });
            }
        }
        if let Some(i) = seen.iter().position(|s| !s) {
            return Err(InvariantViolation::Unreachable {
                what: format!("half-edge h{i}"),
            });
        }
        if let Some(i) = vseen.iter().position(|s| !s) {
            return Err(InvariantViolation::Unreachable {
                what: format!("vertex v{i}"),
            });
        }
        Ok(())
    }

    /// Exact rational coordinates of every vertex.
    pub fn vertices_exact(&self) -> Result<Vec<Point>, InvariantViolation> {
        self.vertices()
            .map(|v| {
                self.vertex_exact(v)
                    .ok_or(InvariantViolation::BadVertex { v })
            })
            .collect()
    }

    /// Exact rational coordinates of one vertex (`None` if its lines are
    /// parallel, which a valid mesh never has).
    pub fn vertex_exact(&self, v: VertexId) -> Option<Point> {
        let [l1, l2] = self.verts[v.index()].lines;
        crossing_exact(self.line(l1), self.line(l2))
    }

    fn validate_geometry(&self) -> Result<(), InvariantViolation> {
        let pts = self.vertices_exact()?;
        let mut by_point: HashMap<&Point, VertexId> = HashMap::with_capacity(pts.len());
        for (i, p) in pts.iter().enumerate() {
            if let Some(&a) = by_point.get(p) {
                return Err(InvariantViolation::DuplicateVertex {
                    a,
                    b: VertexId::from_index(i),
                });
            }
            by_point.insert(p, VertexId::from_index(i));
        }
        for h in (0..self.hes.len()).map(HalfEdgeId::from_index) {
            let l = self.line(self.edge_line(h)).exact();
            let p = &pts[self.origin(h).index()];
            if l.eval(&p.0, &p.1) != 0 {
                return Err(InvariantViolation::OffLine { he: h });
            }
        }
        for face in self.faces() {
            let cyc: Vec<&Point> = self.face_vertices(face).map(|v| &pts[v.index()]).collect();
            let n = cyc.len();
            for i in 0..n {
                if orient(cyc[i], cyc[(i + 1) % n], cyc[(i + 2) % n]) == std::cmp::Ordering::Less {
                    return Err(InvariantViolation::NotConvex { face });
                }
            }
            if shoelace(&cyc) <= 0 {
                return Err(InvariantViolation::NotConvex { face });
            }
        }
        Ok(())
    }

    /// The exact area of an inner face.
    pub fn face_area_exact(&self, face: FaceId) -> Rational {
        let pts: Vec<Point> = self
            .face_vertices(face)
            .map(|v| self.vertex_exact(v).expect("valid vertex"))
            .collect();
        shoelace(&pts.iter().collect::<Vec<_>>())
    }

    /// The exact area of the whole domain (the outer face's cycle).
    pub fn total_area_exact(&self) -> Rational {
        let pts: Vec<Point> = self
            .face_vertices(FaceId::OUTER)
            .map(|v| self.vertex_exact(v).expect("valid vertex"))
            .collect();
        -shoelace(&pts.iter().collect::<Vec<_>>())
    }

    /// `f64` area of an inner face (for statistics; not exact).
    pub fn face_area_f64(&self, face: FaceId) -> f64 {
        let pts: Vec<[f64; 2]> = self
            .face_vertices(face)
            .map(|v| self.vertex_xy(v))
            .collect();
        let n = pts.len();
        let mut s = 0.0;
        for i in 0..n {
            let (p, q) = (pts[i], pts[(i + 1) % n]);
            s += p[0] * q[1] - q[0] * p[1];
        }
        s / 2.0
    }
}

/// Signed area (counter-clockwise positive) of a polygon, exactly.
fn shoelace(pts: &[&Point]) -> Rational {
    let n = pts.len();
    let mut s = Rational::new();
    for i in 0..n {
        let (p, q) = (pts[i], pts[(i + 1) % n]);
        s += Rational::from(&p.0 * &q.1) - Rational::from(&q.0 * &p.1);
    }
    s / 2
}
