//! Arena storage of the mesh and its purely topological edits.
//!
//! Nothing here compares numbers: the edits are told where to act.

use crate::exact::{Kernel, Line, PredicateStats, Sign};

use super::handles::{FaceId, HalfEdgeId, Label, LineId, VertexId};

/// A sorted set of labels, inline up to four (a vertex is usually on two
/// zero sets, an edge on one): no heap allocation per vertex or edge.
pub(super) type Labels = smallvec::SmallVec<[Label; 4]>;

/// A vertex: the crossing of two stored lines, with the labels whose zero set
/// contains it by construction.
#[derive(Clone, Debug)]
pub(super) struct Vertex {
    /// The two lines whose crossing this vertex is.
    pub lines: [LineId; 2],
    /// `sign(det2(lines[0], lines[1]))`, never zero; cached for predicates.
    pub d2: Sign,
    /// `f64` coordinates, for drawing and for the point filter.
    pub xy: [f64; 2],
    /// A rigorous bound on the distance (per coordinate) from `xy` to the
    /// exact vertex (`+∞` if unknown), for
    /// [`crate::exact::predicates::side_of_point`].
    pub r: f64,
    /// Sorted labels whose zero set contains this vertex.
    pub on: Labels,
    /// Removed by a merge, until the next [`Mesh::compact`].
    pub dead: bool,
}

/// One directed half of an edge.
#[derive(Clone, Copy, Debug)]
pub(super) struct HalfEdge {
    pub origin: VertexId,
    pub next: HalfEdgeId,
    pub prev: HalfEdgeId,
    pub face: FaceId,
}

/// Data shared by the two half-edges of an edge.
#[derive(Clone, Debug)]
pub(super) struct Edge {
    /// The line the edge lies on.
    pub line: LineId,
    /// Sorted labels whose zero set contains the edge.
    pub labels: Labels,
}

/// The planar subdivision of a convex polygon into convex faces.
///
/// Build one with [`Mesh::from_convex_polygon`], cut faces with
/// [`Mesh::cut_face`], check it with [`Mesh::validate`].
#[derive(Clone, Debug)]
pub struct Mesh {
    pub(super) kernel: Kernel,
    pub(super) stats: PredicateStats,
    pub(super) lines: Vec<Line>,
    pub(super) verts: Vec<Vertex>,
    pub(super) hes: Vec<HalfEdge>,
    pub(super) edges: Vec<Edge>,
    /// One half-edge of each face's cycle; index 0 is the outer face.
    pub(super) faces: Vec<HalfEdgeId>,
}

impl Mesh {
    pub(super) fn empty(kernel: Kernel) -> Mesh {
        Mesh {
            kernel,
            stats: PredicateStats::default(),
            lines: Vec::new(),
            verts: Vec::new(),
            hes: Vec::new(),
            edges: Vec::new(),
            faces: Vec::new(),
        }
    }

    /// The kernel that decides this mesh's signs.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// How the kernel decided the signs asked so far.
    pub fn stats(&self) -> PredicateStats {
        self.stats
    }

    /// Adds sign decisions taken outside the mesh (by callers that run
    /// [`crate::exact::predicates`] on the mesh's vertices themselves) to
    /// [`Mesh::stats`].
    pub fn add_stats(&mut self, other: &PredicateStats) {
        self.stats.merge(other);
    }

    /// Stores a line and returns its handle.
    pub fn add_line(&mut self, line: Line) -> LineId {
        self.lines.push(line);
        LineId::from_index(self.lines.len() - 1)
    }

    /// A stored line.
    pub fn line(&self, id: LineId) -> &Line {
        &self.lines[id.index()]
    }

    /// Number of vertices.
    pub fn num_vertices(&self) -> usize {
        self.verts.len()
    }

    /// Number of (undirected) edges.
    pub fn num_edges(&self) -> usize {
        self.edges.len()
    }

    /// Number of inner faces (the regions; the outer face is not counted).
    pub fn num_faces(&self) -> usize {
        self.faces.len() - 1
    }

    /// The inner faces, in creation order.
    pub fn faces(&self) -> impl ExactSizeIterator<Item = FaceId> {
        (1..self.faces.len()).map(FaceId::from_index)
    }

    /// All vertices.
    pub fn vertices(&self) -> impl ExactSizeIterator<Item = VertexId> {
        (0..self.verts.len()).map(VertexId::from_index)
    }

    /// One half-edge of each edge (the even one).
    pub fn edges(&self) -> impl ExactSizeIterator<Item = HalfEdgeId> {
        (0..self.edges.len()).map(|e| HalfEdgeId::from_index(2 * e))
    }

    /// One half-edge of `face`'s boundary cycle.
    pub fn face_edge(&self, face: FaceId) -> HalfEdgeId {
        self.faces[face.index()]
    }

    /// The half-edges around `face`, counter-clockwise for inner faces.
    pub fn face_half_edges(&self, face: FaceId) -> FaceCycle<'_> {
        let start = self.faces[face.index()];
        FaceCycle {
            mesh: self,
            start,
            cur: Some(start),
        }
    }

    /// The vertices around `face`, counter-clockwise for inner faces.
    pub fn face_vertices(&self, face: FaceId) -> impl Iterator<Item = VertexId> + '_ {
        self.face_half_edges(face).map(|h| self.origin(h))
    }

    /// Start vertex of a half-edge.
    #[inline]
    pub fn origin(&self, h: HalfEdgeId) -> VertexId {
        self.hes[h.index()].origin
    }

    /// End vertex of a half-edge.
    #[inline]
    pub fn dest(&self, h: HalfEdgeId) -> VertexId {
        self.hes[h.twin().index()].origin
    }

    /// Next half-edge around the same face.
    #[inline]
    pub fn next(&self, h: HalfEdgeId) -> HalfEdgeId {
        self.hes[h.index()].next
    }

    /// Previous half-edge around the same face.
    #[inline]
    pub fn prev(&self, h: HalfEdgeId) -> HalfEdgeId {
        self.hes[h.index()].prev
    }

    /// The face to the left of a half-edge.
    #[inline]
    pub fn face(&self, h: HalfEdgeId) -> FaceId {
        self.hes[h.index()].face
    }

    /// The line an edge lies on.
    #[inline]
    pub fn edge_line(&self, h: HalfEdgeId) -> LineId {
        self.edges[h.edge()].line
    }

    /// The labels whose zero set contains the edge of `h` (sorted; empty for
    /// the domain's sides).
    pub fn edge_labels(&self, h: HalfEdgeId) -> &[Label] {
        &self.edges[h.edge()].labels
    }

    /// The two lines whose crossing the vertex is.
    pub fn vertex_lines(&self, v: VertexId) -> [LineId; 2] {
        self.verts[v.index()].lines
    }

    /// The labels whose zero set contains the vertex (sorted).
    pub fn vertex_labels(&self, v: VertexId) -> &[Label] {
        &self.verts[v.index()].on
    }

    /// `f64` coordinates of a vertex, for drawing and statistics. Decisions
    /// use them only together with [`Mesh::vertex_radius`], through
    /// [`crate::exact::predicates::side_of_point`].
    pub fn vertex_xy(&self, v: VertexId) -> [f64; 2] {
        self.verts[v.index()].xy
    }

    /// A rigorous bound on `|x − x̂|` and `|y − ŷ|` for the exact vertex
    /// `(x, y)` and [`Mesh::vertex_xy`] `(x̂, ŷ)`; `+∞` if unknown.
    pub fn vertex_radius(&self, v: VertexId) -> f64 {
        self.verts[v.index()].r
    }

    pub(super) fn push_vertex(&mut self, v: Vertex) -> VertexId {
        self.verts.push(v);
        VertexId::from_index(self.verts.len() - 1)
    }

    /// Adds a label to a vertex's zero-set record (kept sorted, no repeats).
    pub(super) fn mark_vertex(&mut self, v: VertexId, label: Label) {
        let on = &mut self.verts[v.index()].on;
        if let Err(pos) = on.binary_search(&label) {
            on.insert(pos, label);
        }
    }

    /// Adds a label to an edge's zero-set record (kept sorted, no repeats).
    pub(super) fn mark_edge(&mut self, h: HalfEdgeId, label: Label) {
        // A side of the domain polygon carries no labels (it bounds one
        // region only; the output format and `verify` hold it so), even
        // where a line runs along it.
        if self.face(h) == FaceId::OUTER || self.face(h.twin()) == FaceId::OUTER {
            return;
        }
        let labels = &mut self.edges[h.edge()].labels;
        if let Err(pos) = labels.binary_search(&label) {
            labels.insert(pos, label);
        }
    }

    /// Inserts vertex `m` into the edge of `h` (and its twin).
    ///
    /// ```text
    ///   before:   u ----------h---------> w        (face F on the left)
    ///             u <-------twin(h)------ w        (face G)
    ///   after:    u ---h---> m ---n0---> w
    ///             u <-t--- m <---n1---- w          (t = twin(h), n1 = twin(n0))
    /// ```
    ///
    /// Returns `n0`, the new half-edge that starts at `m` on `h`'s side. Both
    /// halves keep the edge's line and labels.
    pub(super) fn split_edge(&mut self, h: HalfEdgeId, m: VertexId) -> HalfEdgeId {
        let t = h.twin();
        let hn = self.hes[h.index()].next;
        let tp = self.hes[t.index()].prev;
        let w = self.hes[t.index()].origin;
        let (f, g) = (self.hes[h.index()].face, self.hes[t.index()].face);
        let n0 = HalfEdgeId::from_index(self.hes.len());
        let n1 = n0.twin();
        self.hes.push(HalfEdge {
            origin: m,
            next: hn,
            prev: h,
            face: f,
        });
        self.hes.push(HalfEdge {
            origin: w,
            next: t,
            prev: tp,
            face: g,
        });
        let e = self.edges[h.edge()].clone();
        self.edges.push(e);
        self.hes[h.index()].next = n0;
        self.hes[hn.index()].prev = n0;
        self.hes[t.index()].origin = m;
        self.hes[t.index()].prev = n1;
        self.hes[tp.index()].next = n1;
        n0
    }

    /// Splits a face by a new edge between the origins `a` of `ha` and `b`
    /// of `hb`, two non-adjacent vertices of the same face.
    ///
    /// ```text
    ///        b <----------- ...             the chain ha .. prev(hb) (a to b)
    ///        |  \                          stays with `face` and is closed by
    ///        |   n1 (b -> a)   face         n1 = b -> a;
    ///     hb |    \                         the chain hb .. prev(ha) (b to a)
    ///        v  n0 \ (a -> b)  new face     goes to the new face, closed by
    ///       ... ----> a                     n0 = a -> b.
    /// ```
    ///
    /// Returns `(new_face, n0)`; `twin(n0)` bounds `face`.
    pub(super) fn split_face(
        &mut self,
        ha: HalfEdgeId,
        hb: HalfEdgeId,
        line: LineId,
        labels: Labels,
    ) -> (FaceId, HalfEdgeId) {
        let face = self.hes[ha.index()].face;
        let new_face = FaceId::from_index(self.faces.len());
        let pa = self.hes[ha.index()].prev;
        let pb = self.hes[hb.index()].prev;
        let a = self.hes[ha.index()].origin;
        let b = self.hes[hb.index()].origin;
        let n0 = HalfEdgeId::from_index(self.hes.len());
        let n1 = n0.twin();
        self.hes.push(HalfEdge {
            origin: a,
            next: hb,
            prev: pa,
            face: new_face,
        });
        self.hes.push(HalfEdge {
            origin: b,
            next: ha,
            prev: pb,
            face,
        });
        self.edges.push(super::store::Edge { line, labels });
        self.hes[pa.index()].next = n0;
        self.hes[hb.index()].prev = n0;
        self.hes[pb.index()].next = n1;
        self.hes[ha.index()].prev = n1;
        self.faces[face.index()] = n1;
        self.faces.push(n0);
        // Re-home the chain b .. a.
        let mut h = hb;
        while h != n0 {
            self.hes[h.index()].face = new_face;
            h = self.hes[h.index()].next;
        }
        (new_face, n0)
    }
}

/// Iterator over the half-edges of one face cycle.
pub struct FaceCycle<'a> {
    mesh: &'a Mesh,
    start: HalfEdgeId,
    cur: Option<HalfEdgeId>,
}

impl Iterator for FaceCycle<'_> {
    type Item = HalfEdgeId;

    fn next(&mut self) -> Option<HalfEdgeId> {
        let h = self.cur?;
        let n = self.mesh.next(h);
        self.cur = if n == self.start { None } else { Some(n) };
        Some(h)
    }
}
