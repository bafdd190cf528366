//! Undoing cuts: removing edges between faces that turn out to be one
//! region (argmax cells of max-pool, maxout and multi-class boundaries are
//! found by cutting with difference lines, which may over-split a cell), and
//! compacting the arenas afterwards.
//!
//! Between [`Mesh::merge_across`] and [`Mesh::compact`] the arenas hold
//! tombstones; only live faces may be cut, and [`Mesh::validate`] reports
//! tombstones as a violation.

use super::handles::{FaceId, HalfEdgeId, LineId, VertexId};
use super::store::{HalfEdge, Mesh};
use super::validate::InvariantViolation;
use super::MeshError;

const DEAD_FACE: FaceId = FaceId(u32::MAX);
const DEAD_HE: HalfEdgeId = HalfEdgeId(u32::MAX);

/// Old-to-new handle maps returned by [`Mesh::compact`].
#[derive(Clone, Debug, Default)]
pub struct Remap {
    /// `faces[old] = Some(new)` for live faces.
    pub faces: Vec<Option<FaceId>>,
    /// `vertices[old] = Some(new)` for live vertices.
    pub vertices: Vec<Option<VertexId>>,
}

/// The face moves of [`Mesh::fill_holes`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaceMoves {
    /// `(from, to)`: the face `from` now has the handle `to` (a hole).
    pub moves: Vec<(FaceId, FaceId)>,
    /// The number of faces after (the outer face included).
    pub len: usize,
}

impl FaceMoves {
    /// Applies the moves to an array indexed by face (the outer face's
    /// entry first): each `(from, to)` a swap, then truncated.
    pub fn apply<T>(&self, items: &mut Vec<T>) {
        for &(from, to) in &self.moves {
            items.swap(from.index(), to.index());
        }
        items.truncate(self.len);
    }
}

impl Mesh {
    /// Whether a half-edge has been removed (and not yet compacted away).
    pub fn is_dead_half_edge(&self, h: HalfEdgeId) -> bool {
        self.hes[h.index()].face == DEAD_FACE
    }

    /// Whether a face has been merged into another (until compaction).
    pub fn is_dead_face(&self, f: FaceId) -> bool {
        self.faces[f.index()] == DEAD_HE
    }

    /// Removes the edges among `candidates` whose two sides `same` declares
    /// one region, merging the faces, until no candidate qualifies. Vertices
    /// left with two collinear edges of one line are dissolved. Returns the
    /// merges as `(dead, survivor)` pairs, in order.
    ///
    /// Every region formed must be convex (true for argmax cells within a
    /// convex face); the mesh then satisfies every invariant again after
    /// [`Mesh::compact`].
    pub fn merge_across(
        &mut self,
        candidates: &[HalfEdgeId],
        mut same: impl FnMut(FaceId, FaceId) -> bool,
    ) -> Result<Vec<(FaceId, FaceId)>, MeshError> {
        let mut merges = Vec::new();
        let mut pending: Vec<HalfEdgeId> = candidates.to_vec();
        loop {
            let mut progress = false;
            let mut keep = Vec::new();
            for &h in &pending {
                if self.is_dead_half_edge(h) {
                    continue;
                }
                let (f, g) = (self.face(h), self.face(h.twin()));
                if f == g {
                    if self.remove_dangling(h) {
                        progress = true;
                    } else {
                        keep.push(h);
                    }
                } else if f != FaceId::OUTER && g != FaceId::OUTER && same(f, g) {
                    self.remove_between(h);
                    merges.push((g, f));
                    progress = true;
                } else {
                    keep.push(h);
                }
            }
            // Edges between faces that must stay apart are not candidates
            // any more; edges inside one face wait for their tip.
            pending = keep
                .into_iter()
                .filter(|&h| !self.is_dead_half_edge(h) && self.face(h) == self.face(h.twin()))
                .collect();
            if pending.is_empty() {
                return Ok(merges);
            }
            if !progress {
                let face = self.face(pending[0]);
                return Err(InvariantViolation::NotConvex { face }.into());
            }
        }
    }

    /// Outgoing half-edges of the origin of `h`, rotating around it.
    pub(super) fn outgoing(&self, h: HalfEdgeId) -> Vec<HalfEdgeId> {
        let mut out = vec![h];
        let mut g = self.next(h.twin());
        while g != h && out.len() <= self.hes.len() {
            out.push(g);
            g = self.next(g.twin());
        }
        out
    }

    fn kill_edge(&mut self, h: HalfEdgeId) {
        for x in [h, h.twin()] {
            self.hes[x.index()].face = DEAD_FACE;
        }
    }

    /// Removes the edge of `h` between two different faces; the face of
    /// `twin(h)` joins the face of `h`.
    fn remove_between(&mut self, h: HalfEdgeId) {
        let t = h.twin();
        let (f, g) = (self.face(h), self.face(t));
        let (ph, nh, pt, nt) = (self.prev(h), self.next(h), self.prev(t), self.next(t));
        let mut x = nt;
        while x != t {
            self.hes[x.index()].face = f;
            x = self.next(x);
        }
        self.hes[ph.index()].next = nt;
        self.hes[nt.index()].prev = ph;
        self.hes[pt.index()].next = nh;
        self.hes[nh.index()].prev = pt;
        self.faces[f.index()] = nh;
        self.faces[g.index()] = DEAD_HE;
        self.kill_edge(h);
        self.tidy_vertex(nt);
        self.tidy_vertex(nh);
    }

    /// Removes an edge with the same face on both sides if one of its ends
    /// is a tip (degree 1). Returns false if neither end is a tip yet.
    fn remove_dangling(&mut self, h: HalfEdgeId) -> bool {
        let t = h.twin();
        let f = self.face(h);
        let (ph, nh, pt, nt) = (self.prev(h), self.next(h), self.prev(t), self.next(t));
        if nh == t {
            // h runs into the tip dest(h).
            let tip = self.dest(h);
            self.hes[ph.index()].next = nt;
            self.hes[nt.index()].prev = ph;
            self.verts[tip.index()].dead = true;
            self.faces[f.index()] = nt;
            self.kill_edge(h);
            self.tidy_vertex(nt);
            true
        } else if nt == h {
            let tip = self.origin(h);
            self.hes[pt.index()].next = nh;
            self.hes[nh.index()].prev = pt;
            self.verts[tip.index()].dead = true;
            self.faces[f.index()] = nh;
            self.kill_edge(h);
            self.tidy_vertex(nh);
            true
        } else {
            false
        }
    }

    /// After an edge at the origin of `g` was removed: if that vertex now has
    /// exactly two edges on one line, dissolve it into one edge.
    ///
    /// ```text
    ///   u --a--> v --g1--> w      becomes      u ----a----> w
    ///   u <-g2-- v <-------- w                 u <---g2---- w
    /// ```
    fn tidy_vertex(&mut self, g: HalfEdgeId) {
        if self.is_dead_half_edge(g) {
            return;
        }
        let out = self.outgoing(g);
        if out.len() != 2 {
            return;
        }
        let (g1, g2) = (out[0], out[1]);
        if self.edge_line(g1) != self.edge_line(g2) {
            return;
        }
        let v = self.origin(g1);
        let a = g2.twin(); // u -> v, followed by g1 in the same face
        let t1 = g1.twin(); // w -> v, followed by g2
        debug_assert_eq!(self.next(a), g1);
        debug_assert_eq!(self.next(t1), g2);
        let (x, y) = (self.face(a), self.face(g2));
        // If w is a tip (a dangling chain u - v - w), the chain closes on
        // the surviving pair itself.
        let n1 = if self.next(g1) == t1 {
            g2
        } else {
            self.next(g1)
        };
        let p1 = if self.prev(t1) == g1 {
            a
        } else {
            self.prev(t1)
        };
        let w = self.origin(t1);
        self.hes[a.index()].next = n1;
        self.hes[n1.index()].prev = a;
        self.hes[g2.index()].origin = w;
        self.hes[g2.index()].prev = p1;
        self.hes[p1.index()].next = g2;
        if self.faces[x.index()] == g1 {
            self.faces[x.index()] = a;
        }
        if self.faces[y.index()] == t1 {
            self.faces[y.index()] = g2;
        }
        // The merged edge lies in the zero sets common to both halves.
        let other = self.edges[g1.edge()].labels.clone();
        self.edges[a.edge()]
            .labels
            .retain(|l| other.binary_search(l).is_ok());
        self.verts[v.index()].dead = true;
        self.kill_edge(g1);
    }

    /// Drops tombstones and renumbers vertices, half-edges (pairs stay
    /// together) and faces in their old order. Lines are kept.
    pub fn compact(&mut self) -> Remap {
        let vmap: Vec<Option<VertexId>> = {
            let mut n = 0;
            self.verts
                .iter()
                .map(|v| {
                    (!v.dead).then(|| {
                        n += 1;
                        VertexId::from_index(n - 1)
                    })
                })
                .collect()
        };
        let fmap: Vec<Option<FaceId>> = {
            let mut n = 0;
            self.faces
                .iter()
                .map(|h| {
                    (*h != DEAD_HE).then(|| {
                        n += 1;
                        FaceId::from_index(n - 1)
                    })
                })
                .collect()
        };
        let mut emap: Vec<Option<u32>> = Vec::with_capacity(self.edges.len());
        let mut n = 0u32;
        for e in 0..self.edges.len() {
            if self.hes[2 * e].face == DEAD_FACE {
                emap.push(None);
            } else {
                emap.push(Some(n));
                n += 1;
            }
        }
        let mh = |h: HalfEdgeId| HalfEdgeId(2 * emap[h.edge()].expect("live") + (h.0 & 1));
        // In place (each live item moves down, never up): no second copy of
        // the arenas.
        let mut w = 0;
        for (e, live) in emap.iter().enumerate() {
            if live.is_none() {
                continue;
            }
            for k in 0..2 {
                let he = self.hes[2 * e + k];
                self.hes[2 * w + k] = HalfEdge {
                    origin: vmap[he.origin.index()].expect("live vertex"),
                    next: mh(he.next),
                    prev: mh(he.prev),
                    face: fmap[he.face.index()].expect("live face"),
                };
            }
            w += 1;
        }
        self.hes.truncate(2 * w);
        let mut e = 0;
        self.edges.retain(|_| {
            e += 1;
            emap[e - 1].is_some()
        });
        self.verts.retain(|v| !v.dead);
        let mut w = 0;
        for f in 0..self.faces.len() {
            let h = self.faces[f];
            if h != DEAD_HE {
                self.faces[w] = mh(h);
                w += 1;
            }
        }
        self.faces.truncate(w);
        Remap {
            faces: fmap,
            vertices: vmap,
        }
    }

    /// Drops tombstones like [`Mesh::compact`], but by moving the last live
    /// items into the holes instead of renumbering everything: the work is
    /// one pass over the half-edges' origins and a few steps per hole, not
    /// a rewrite of every item (gluing two halves leaves a few dozen holes
    /// in a mesh of thousands). Faces, edges and vertices below the first
    /// hole keep their handles. Returns the face moves: apply each
    /// `(from, to)` as a swap, then truncate to [`FaceMoves::len`], to keep
    /// an array indexed by face in step.
    pub fn fill_holes(&mut self) -> FaceMoves {
        // Edges (both half-edges of each) first, while the faces' and
        // vertices' handles are still the old ones.
        let ne = self.edges.len();
        let live_e = (0..ne)
            .filter(|&e| self.hes[2 * e].face != DEAD_FACE)
            .count();
        let holes: Vec<usize> = (0..live_e)
            .filter(|&e| self.hes[2 * e].face == DEAD_FACE)
            .collect();
        let movers: Vec<usize> = (live_e..ne)
            .filter(|&e| self.hes[2 * e].face != DEAD_FACE)
            .collect();
        debug_assert_eq!(holes.len(), movers.len());
        // `moved[old − 2·live_e]`: a moved half-edge's new handle.
        let mut moved = vec![DEAD_HE; 2 * (ne - live_e)];
        for (&to, &from) in holes.iter().zip(&movers) {
            for k in 0..2 {
                moved[2 * (from - live_e) + k] = HalfEdgeId((2 * to + k) as u32);
            }
        }
        let map = |h: HalfEdgeId| {
            if h.index() >= 2 * live_e {
                moved[h.index() - 2 * live_e]
            } else {
                h
            }
        };
        for (&to, &from) in holes.iter().zip(&movers) {
            self.edges.swap(to, from);
            for k in 0..2 {
                let (old, new) = (2 * from + k, 2 * to + k);
                let mut he = self.hes[old];
                he.next = map(he.next);
                he.prev = map(he.prev);
                self.hes[new] = he;
                let new = HalfEdgeId(new as u32);
                self.hes[he.next.index()].prev = new;
                self.hes[he.prev.index()].next = new;
                if self.faces[he.face.index()].index() == old {
                    self.faces[he.face.index()] = new;
                }
            }
        }
        self.edges.truncate(live_e);
        self.hes.truncate(2 * live_e);
        // Faces: a moved face's cycle gets its new handle.
        let nf = self.faces.len();
        let live_f = self.faces.iter().filter(|&&h| h != DEAD_HE).count();
        let holes: Vec<usize> = (0..live_f).filter(|&f| self.faces[f] == DEAD_HE).collect();
        let movers: Vec<usize> = (live_f..nf).filter(|&f| self.faces[f] != DEAD_HE).collect();
        let mut moves = Vec::with_capacity(holes.len());
        for (&to, &from) in holes.iter().zip(&movers) {
            let first = self.faces[from];
            self.faces[to] = first;
            let mut h = first;
            loop {
                self.hes[h.index()].face = FaceId::from_index(to);
                h = self.hes[h.index()].next;
                if h == first {
                    break;
                }
            }
            moves.push((FaceId::from_index(from), FaceId::from_index(to)));
        }
        self.faces.truncate(live_f);
        // Vertices: one pass over the origins for those moved.
        let nv = self.verts.len();
        let live_v = self.verts.iter().filter(|v| !v.dead).count();
        let holes: Vec<usize> = (0..live_v).filter(|&v| self.verts[v].dead).collect();
        let movers: Vec<usize> = (live_v..nv).filter(|&v| !self.verts[v].dead).collect();
        if !holes.is_empty() {
            let mut vmoved = vec![u32::MAX; nv - live_v];
            for (&to, &from) in holes.iter().zip(&movers) {
                self.verts.swap(to, from);
                vmoved[from - live_v] = to as u32;
            }
            for he in &mut self.hes {
                if he.origin.index() >= live_v {
                    he.origin = VertexId(vmoved[he.origin.index() - live_v]);
                }
            }
        }
        self.verts.truncate(live_v);
        FaceMoves { moves, len: live_f }
    }

    /// Drops the last stored line if it is `id` and nothing refers to it
    /// (a line that cut nothing). Keeps the line arena small.
    pub fn pop_unused_line(&mut self, id: LineId) {
        if id.index() + 1 == self.lines.len() {
            let used = self
                .verts
                .iter()
                .rev()
                .take(4)
                .any(|v| v.lines.contains(&id))
                || self.edges.iter().rev().take(4).any(|e| e.line == id);
            if !used {
                self.lines.pop();
            }
        }
    }
}
