//! Cutting the domain in two along a seam, and gluing the two halves back.
//!
//! The partition engine cuts each half on its own thread ([`Mesh::halves`]),
//! then glues the halves along the seam ([`Mesh::glue`]) and removes the
//! seam between faces that turn out to be one region ([`Mesh::unseam`]).
//! Every step is topological or asks [`crate::exact::predicates`]: the two
//! halves' vertices on the seam are matched by their order along it, which
//! is exact (both halves put a vertex where, and only where, an edge of the
//! partition meets the seam).

use crate::exact::predicates::det2_sign;
use crate::exact::{Line, Sign};

use super::cut::CutOutcome;
use super::handles::{FaceId, HalfEdgeId, Label, LineId, VertexId};
use super::store::{Edge, HalfEdge, Labels, Mesh};
use super::MeshError;

/// A one-face mesh cut in two by a seam line ([`Mesh::halves`]).
#[derive(Clone, Debug)]
pub struct Halves {
    /// The half on the seam's positive side: a one-face mesh.
    pub positive: Mesh,
    /// The half on its negative side.
    pub negative: Mesh,
    /// The seam's line (the same handle in both halves).
    pub seam: LineId,
    /// How many lines the halves share (the parent's and the seam): lines
    /// added to either half later have handles from here on.
    pub shared_lines: usize,
}

/// Two halves glued along their seam ([`Mesh::glue`]).
#[derive(Clone, Debug)]
pub struct Glued {
    /// The glued mesh: the positive half's faces keep their handles, the
    /// negative half's inner face `f` is `FaceId(f + negative_offset)`.
    pub mesh: Mesh,
    /// Added to the negative half's inner face indices.
    pub negative_offset: usize,
    /// The seam's half-edges on the positive half's side, in order along the
    /// seam; the twin of each bounds a face of the negative half.
    pub seam: Vec<HalfEdgeId>,
    /// The negative half's line `l` is line `line_map[l]` of the glued mesh.
    pub line_map: Vec<LineId>,
}

/// A label no cut uses: the seam's own, cleared from the halves.
const SEAM_LABEL: Label = Label(u32::MAX);

impl Mesh {
    /// Cuts this one-face mesh in two by `line`. `None` if the line misses
    /// the face's interior (nothing to split). Each half is a one-face mesh
    /// like [`Mesh::from_convex_polygon`]'s: its sides, the seam among them,
    /// carry no labels, and it holds every line of this mesh and the seam.
    ///
    /// ```
    /// use splinecam::{exact::{Kernel, Line}, mesh::Mesh};
    /// let m = Mesh::from_convex_polygon(&[[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0]], Kernel::Filtered).unwrap();
    /// let h = m.halves(Line::from_f64(1.0, 0.0, -0.5).unwrap()).unwrap().unwrap();
    /// assert_eq!(h.positive.total_area_exact(), 3.0 / 2.0);
    /// assert_eq!(h.negative.total_area_exact(), 1.0 / 2.0);
    /// h.positive.validate().unwrap();
    /// ```
    pub fn halves(&self, line: Line) -> Result<Option<Halves>, MeshError> {
        if self.num_faces() != 1 {
            return Err(MeshError::BadPolygon(format!(
                "a mesh of {} faces cannot be halved; only a one-face mesh",
                self.num_faces()
            )));
        }
        let mut m = self.clone();
        let seam = m.add_line(line);
        let (positive, negative) = match m.cut_face(FaceId(1), seam, SEAM_LABEL)? {
            CutOutcome::Missed { .. } => return Ok(None),
            CutOutcome::Split {
                positive, negative, ..
            } => (positive, negative),
        };
        let mut pos = m.extract(positive);
        let neg = m.extract(negative);
        // The decisions of the cut are counted once.
        pos.stats = m.stats;
        Ok(Some(Halves {
            positive: pos,
            negative: neg,
            seam,
            shared_lines: m.lines.len(),
        }))
    }

    /// A one-face mesh of face `f` alone, with all of this mesh's lines.
    fn extract(&self, f: FaceId) -> Mesh {
        let cycle: Vec<HalfEdgeId> = self.face_half_edges(f).collect();
        let n = cycle.len();
        let mut m = Mesh::empty(self.kernel);
        m.lines = self.lines.clone();
        for &h in &cycle {
            let mut v = self.verts[self.origin(h).index()].clone();
            v.on.clear();
            m.push_vertex(v);
        }
        m.faces.push(HalfEdgeId(1)); // outer
        m.faces.push(HalfEdgeId(0)); // the polygon
        for (i, &h) in cycle.iter().enumerate() {
            let (ip, inx) = ((i + n - 1) % n, (i + 1) % n);
            m.hes.push(HalfEdge {
                origin: VertexId::from_index(i),
                next: HalfEdgeId::from_index(2 * inx),
                prev: HalfEdgeId::from_index(2 * ip),
                face: FaceId(1),
            });
            m.hes.push(HalfEdge {
                origin: VertexId::from_index(inx),
                next: HalfEdgeId::from_index(2 * ip + 1),
                prev: HalfEdgeId::from_index(2 * inx + 1),
                face: FaceId::OUTER,
            });
            m.edges.push(Edge {
                line: self.edge_line(h),
                labels: Labels::new(),
            });
        }
        m
    }

    /// The inner half-edges of this half's seam (edges on `seam` with the
    /// outer face on the other side), in order along it, with the outer
    /// half-edges just before and just after the seam on the outer cycle.
    fn seam_chain(
        &self,
        seam: LineId,
    ) -> Result<(Vec<HalfEdgeId>, HalfEdgeId, HalfEdgeId), MeshError> {
        let outer: Vec<HalfEdgeId> = self.face_half_edges(FaceId::OUTER).collect();
        let on = |h: HalfEdgeId| self.edge_line(h) == seam;
        let broken = |what: &str| {
            MeshError::BadPolygon(format!("internal: the seam of a half {what}"))
        };
        // Start after a side that is not on the seam, so that the seam's run
        // does not wrap around.
        let start = outer.iter().position(|&h| !on(h)).ok_or_else(|| broken("is its whole outline"))?;
        let n = outer.len();
        let walk: Vec<HalfEdgeId> = (1..=n).map(|k| outer[(start + k) % n]).collect();
        let first = walk.iter().position(|&h| on(h)).ok_or_else(|| broken("is missing"))?;
        let len = walk[first..].iter().take_while(|&&h| on(h)).count();
        if walk[first + len..].iter().any(|&h| on(h)) {
            return Err(broken("is in two pieces"));
        }
        let before = walk[(first + walk.len() - 1) % walk.len()];
        let after = walk[(first + len) % walk.len()];
        // The outer run goes against the inner chain: reversed twins.
        let chain = walk[first..first + len]
            .iter()
            .rev()
            .map(|h| h.twin())
            .collect();
        Ok((chain, before, after))
    }

    /// Glues two halves made by [`Mesh::halves`] (and cut further, each on
    /// its own) along their seam. The seam's vertices are matched by their
    /// order along it; the two halves must have the same number of seam
    /// edges (true of any two halves of one partition: each has a vertex
    /// exactly where an edge of the partition meets the seam), else an
    /// error. The seam's edges stay, between faces of the two halves.
    pub fn glue(
        positive: Mesh,
        negative: Mesh,
        seam: LineId,
        shared_lines: usize,
    ) -> Result<Glued, MeshError> {
        let (pa, a_in, a_out) = positive.seam_chain(seam)?;
        let (pb, b_in, b_out) = negative.seam_chain(seam)?;
        let m = pa.len();
        if pb.len() != m {
            return Err(MeshError::BadPolygon(format!(
                "internal: the halves have {m} and {} edges on the seam",
                pb.len()
            )));
        }
        let mut a = positive;
        let b = negative;
        // The negative half's seam vertices are the positive half's, in
        // reverse order along the seam.
        let a_verts: Vec<VertexId> = pa
            .iter()
            .map(|&h| a.origin(h))
            .chain(std::iter::once(a.dest(pa[m - 1])))
            .collect();
        let b_verts: Vec<VertexId> = pb
            .iter()
            .map(|&h| b.origin(h))
            .chain(std::iter::once(b.dest(pb[m - 1])))
            .collect();
        let line_map: Vec<LineId> = (0..b.lines.len())
            .map(|l| {
                LineId::from_index(if l < shared_lines {
                    l
                } else {
                    l - shared_lines + a.lines.len()
                })
            })
            .collect();
        a.lines.extend(b.lines[shared_lines..].iter().cloned());
        const NONE: u32 = u32::MAX;
        let mut vmap = vec![NONE; b.verts.len()];
        for (j, &v) in b_verts.iter().enumerate() {
            let w = a_verts[m - j];
            vmap[v.index()] = w.0;
            for &l in &b.verts[v.index()].on {
                a.mark_vertex(w, l);
            }
        }
        for (i, v) in b.verts.iter().enumerate() {
            if vmap[i] == NONE {
                vmap[i] = a.verts.len() as u32;
                let mut v = v.clone();
                v.lines = v.lines.map(|l| line_map[l.index()]);
                a.verts.push(v);
            }
        }
        // Half-edges: the negative half's seam half-edge matching `pa[i]`
        // takes the slot of `pa[i]`'s outer twin; its other edges follow
        // the positive half's.
        let mut hmap = vec![HalfEdgeId(u32::MAX); b.hes.len()];
        let mut seam_edge = vec![false; b.edges.len()];
        for (j, &h) in pb.iter().enumerate() {
            hmap[h.index()] = pa[m - 1 - j].twin();
            seam_edge[h.edge()] = true;
        }
        let base = a.edges.len() as u32;
        let mut next_edge = base;
        for (e, edge) in b.edges.iter().enumerate() {
            if !seam_edge[e] {
                hmap[2 * e] = HalfEdgeId(2 * next_edge);
                hmap[2 * e + 1] = HalfEdgeId(2 * next_edge + 1);
                next_edge += 1;
                a.edges.push(Edge {
                    line: line_map[edge.line.index()],
                    labels: edge.labels.clone(),
                });
            }
        }
        let offset = a.faces.len() - 1;
        let fmap = |f: FaceId| {
            if f == FaceId::OUTER {
                f
            } else {
                FaceId::from_index(f.index() + offset)
            }
        };
        let map_he = |he: &HalfEdge| HalfEdge {
            origin: VertexId(vmap[he.origin.index()]),
            next: hmap[he.next.index()],
            prev: hmap[he.prev.index()],
            face: fmap(he.face),
        };
        for &h in &pb {
            let slot = hmap[h.index()];
            a.hes[slot.index()] = map_he(&b.hes[h.index()]);
        }
        for (e, _) in b.edges.iter().enumerate() {
            if !seam_edge[e] {
                a.hes.push(map_he(&b.hes[2 * e]));
                a.hes.push(map_he(&b.hes[2 * e + 1]));
            }
        }
        // One outer cycle: each half's side before the seam runs on into
        // the other half's side after it.
        let (b_in, b_out) = (hmap[b_in.index()], hmap[b_out.index()]);
        a.hes[a_in.index()].next = b_out;
        a.hes[b_out.index()].prev = a_in;
        a.hes[b_in.index()].next = a_out;
        a.hes[a_out.index()].prev = b_in;
        a.faces[0] = a_out;
        a.faces
            .extend(b.faces[1..].iter().map(|&h| hmap[h.index()]));
        a.stats.merge(&b.stats);
        Ok(Glued {
            mesh: a,
            negative_offset: offset,
            seam: pa,
            line_map,
        })
    }

    /// Removes the seam's edges `seam` (from [`Mesh::glue`]) between faces
    /// that are one region, all of them: the caller has checked that each
    /// seam edge lies between two such faces (else the seam is not removed
    /// and an error returned untouched). Where a line crosses the seam, its
    /// two pieces become one edge again; a vertex the seam made that stays
    /// (where edges meet) is given two of its own edges' lines. Returns the
    /// merges as `(dead, survivor)` pairs (the survivor is the positive
    /// half's face); [`Mesh::compact`] drops the tombstones.
    pub fn unseam(
        &mut self,
        seam: &[HalfEdgeId],
        seam_line: LineId,
    ) -> Result<Vec<(FaceId, FaceId)>, MeshError> {
        // A line crossing the seam at an inner vertex of it: one edge on
        // each side, in the zero set of the same neuron of the same region,
        // so on one line; the halves stored it twice.
        for &h in seam.iter().skip(1) {
            let out: Vec<HalfEdgeId> = self
                .outgoing(h)
                .into_iter()
                .filter(|&g| self.edge_line(g) != seam_line)
                .collect();
            if let [g1, g2] = out[..] {
                let (l1, l2) = (self.edge_labels(g1), self.edge_labels(g2));
                if l1.iter().any(|l| l2.binary_search(l).is_ok()) {
                    let line = self.edge_line(g1);
                    self.edges[g2.edge()].line = line;
                }
            }
        }
        let mut seam_verts: Vec<VertexId> = seam.iter().map(|&h| self.origin(h)).collect();
        if let Some(&h) = seam.last() {
            seam_verts.push(self.dest(h));
        }
        let merges = self.merge_across(seam, |_, _| true)?;
        // Vertices made on the seam that stay: their position is the
        // crossing of two lines of their own edges.
        let mut want = vec![false; self.verts.len()];
        let mut any = false;
        for &v in &seam_verts {
            let vx = &self.verts[v.index()];
            if !vx.dead && vx.lines.contains(&seam_line) {
                want[v.index()] = true;
                any = true;
            }
        }
        if !any {
            return Ok(merges);
        }
        let mut from: Vec<Option<HalfEdgeId>> = vec![None; self.verts.len()];
        for i in 0..self.hes.len() {
            let h = HalfEdgeId::from_index(i);
            let v = self.hes[i].origin.index();
            if want[v] && from[v].is_none() && !self.is_dead_half_edge(h) {
                from[v] = Some(h);
            }
        }
        for v in 0..self.verts.len() {
            let Some(h) = from[v] else { continue };
            let lines: Vec<LineId> = self
                .outgoing(h)
                .into_iter()
                .map(|g| self.edge_line(g))
                .collect();
            let mut found = None;
            'pairs: for (i, &l1) in lines.iter().enumerate() {
                for &l2 in &lines[i + 1..] {
                    if l1 == l2 || l1 == seam_line || l2 == seam_line {
                        continue;
                    }
                    let mut st = self.stats;
                    let d2 = det2_sign(self.kernel, self.line(l1), self.line(l2), &mut st);
                    self.stats = st;
                    if d2 != Sign::Zero {
                        found = Some(([l1, l2], d2));
                        break 'pairs;
                    }
                }
            }
            let ([l1, l2], d2) = found.ok_or_else(|| {
                MeshError::BadPolygon("internal: a vertex on the seam lies on one line only".into())
            })?;
            self.verts[v].lines = [l1, l2];
            self.verts[v].d2 = d2;
        }
        Ok(merges)
    }
}
