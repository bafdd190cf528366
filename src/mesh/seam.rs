//! Cutting the domain in two along a seam, and gluing the two halves back.
//!
//! The partition engine cuts each half on its own thread ([`Mesh::halves`]),
//! then glues the halves along the seam ([`Mesh::glue`]) and removes the
//! seam between faces that turn out to be one region ([`Mesh::unseam`]).
//! Every step is topological or asks [`crate::exact::predicates`]: the two
//! halves' vertices on the seam are matched by their order along it, which
//! is exact (both halves put a vertex where, and only where, an edge of the
//! partition meets the seam).

use crate::exact::Line;

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
            return Err(MeshError::Seam(format!(
                "a mesh of {} faces cannot be halved, only a one-face mesh",
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
        let mut m = Mesh::empty(self.kernel);
        m.lines = self.lines.clone();
        for &h in &cycle {
            let mut v = self.verts[self.origin(h).index()].clone();
            v.on.clear();
            m.push_vertex(v);
        }
        m.close_polygon(cycle.iter().map(|&h| self.edge_line(h)));
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
        let broken = |what: &str| MeshError::Seam(format!("the seam of a half {what}"));
        // Start after a side that is not on the seam, so that the seam's run
        // does not wrap around.
        let start = outer
            .iter()
            .position(|&h| !on(h))
            .ok_or_else(|| broken("is its whole outline"))?;
        let n = outer.len();
        let walk: Vec<HalfEdgeId> = (1..=n).map(|k| outer[(start + k) % n]).collect();
        let first = walk
            .iter()
            .position(|&h| on(h))
            .ok_or_else(|| broken("is missing"))?;
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

    /// Renames every label on the vertices and edges: `l` becomes
    /// `map[l]` (two halves number their labels each in its own way). An
    /// error, and nothing renamed, if some label has no entry in `map`.
    pub fn relabel(&mut self, map: &[Label]) -> Result<(), MeshError> {
        let unmapped = self
            .verts
            .iter()
            .flat_map(|v| &v.on)
            .chain(self.edges.iter().flat_map(|e| &e.labels))
            .find(|l| l.0 as usize >= map.len());
        if let Some(l) = unmapped {
            return Err(MeshError::Seam(format!(
                "label {} has no new name (the map has {})",
                l.0,
                map.len()
            )));
        }
        let rename = |on: &mut Labels| {
            for l in on.iter_mut() {
                *l = map[l.0 as usize];
            }
            on.sort_unstable();
            on.dedup();
        };
        self.verts.iter_mut().for_each(|v| rename(&mut v.on));
        self.edges.iter_mut().for_each(|e| rename(&mut e.labels));
        Ok(())
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
        if seam.index() >= shared_lines
            || shared_lines > positive.lines.len()
            || shared_lines > negative.lines.len()
        {
            return Err(MeshError::Seam(format!(
                "the halves hold {} and {} lines, not the {shared_lines} shared ones with the seam ({}) among them",
                positive.lines.len(),
                negative.lines.len(),
                seam.index()
            )));
        }
        let (pa, a_in, a_out) = positive.seam_chain(seam)?;
        let (pb, b_in, b_out) = negative.seam_chain(seam)?;
        let m = pa.len();
        if pb.len() != m {
            return Err(MeshError::Seam(format!(
                "the halves have {m} and {} edges on it",
                pb.len()
            )));
        }
        let mut a = positive;
        let b = negative;
        a.verts.reserve(b.verts.len());
        a.hes.reserve(b.hes.len());
        a.edges.reserve(b.edges.len());
        a.faces.reserve(b.faces.len());
        a.lines.reserve(b.lines.len() - shared_lines);
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
        let Mesh {
            lines: b_lines,
            verts: b_vertices,
            edges: b_edges,
            hes: b_hes,
            faces: b_faces,
            stats: b_stats,
            ..
        } = b;
        // Moved, not cloned: a line may hold its exact form's source.
        a.lines.extend(b_lines.into_iter().skip(shared_lines));
        const NONE: u32 = u32::MAX;
        let mut vmap = vec![NONE; b_vertices.len()];
        for (j, &v) in b_verts.iter().enumerate() {
            let w = a_verts[m - j];
            vmap[v.index()] = w.0;
            for &l in &b_vertices[v.index()].on {
                a.mark_vertex(w, l);
            }
        }
        for (i, mut v) in b_vertices.into_iter().enumerate() {
            if vmap[i] == NONE {
                vmap[i] = a.verts.len() as u32;
                v.lines = v.lines.map(|l| line_map[l.index()]);
                a.verts.push(v);
            }
        }
        // Half-edges: the negative half's seam half-edge matching `pa[i]`
        // takes the slot of `pa[i]`'s outer twin; its other edges follow
        // the positive half's.
        let mut hmap = vec![HalfEdgeId(u32::MAX); b_hes.len()];
        let mut seam_edge = vec![false; b_edges.len()];
        for (j, &h) in pb.iter().enumerate() {
            hmap[h.index()] = pa[m - 1 - j].twin();
            seam_edge[h.edge()] = true;
        }
        let base = a.edges.len() as u32;
        let mut next_edge = base;
        for (e, edge) in b_edges.into_iter().enumerate() {
            if !seam_edge[e] {
                hmap[2 * e] = HalfEdgeId(2 * next_edge);
                hmap[2 * e + 1] = HalfEdgeId(2 * next_edge + 1);
                next_edge += 1;
                a.edges.push(Edge {
                    line: line_map[edge.line.index()],
                    labels: edge.labels,
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
            a.hes[slot.index()] = map_he(&b_hes[h.index()]);
        }
        for (e, &on_seam) in seam_edge.iter().enumerate() {
            if !on_seam {
                a.hes.push(map_he(&b_hes[2 * e]));
                a.hes.push(map_he(&b_hes[2 * e + 1]));
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
            .extend(b_faces[1..].iter().map(|&h| hmap[h.index()]));
        a.stats.merge(&b_stats);
        Ok(Glued {
            mesh: a,
            negative_offset: offset,
            seam: pa,
            line_map,
        })
    }

    /// Removes the seam's edges `seam` (from [`Mesh::glue`]), merging the
    /// faces on their two sides: the caller has checked that each seam edge
    /// lies between two faces of one region (two pieces of one convex
    /// region). Where a line crosses the seam, its two pieces become one
    /// edge again. Returns the merges as `(dead, survivor)` pairs (the
    /// survivor is the positive half's face); [`Mesh::fill_holes`] (or
    /// [`Mesh::compact`]) drops the tombstones.
    ///
    /// The caller's check is what makes this exact: on faces that are not
    /// pieces of one region the seam's edges would still be removed, and
    /// the two edges at a vertex made one line whether or not they are
    /// collinear (debug builds check that they are parallel).
    ///
    /// No sign is needed. An inner vertex of the seam with one edge on each
    /// side besides the seam is left with those two edges alone, between
    /// two convex faces: their angles at it add up to a full turn and
    /// neither exceeds a half, so the edges are collinear (the halves stored
    /// their line twice; the two are made one and the vertex dissolved). A
    /// vertex of the seam that stays (where edges meet) keeps its position
    /// as the crossing of the seam's line (which stays stored) and a line of
    /// its own.
    pub fn unseam(
        &mut self,
        seam: &[HalfEdgeId],
        seam_line: LineId,
    ) -> Result<Vec<(FaceId, FaceId)>, MeshError> {
        for &h in seam.iter().skip(1) {
            let out: Vec<HalfEdgeId> = self
                .outgoing(h)
                .into_iter()
                .filter(|&g| self.edge_line(g) != seam_line)
                .collect();
            if let [g1, g2] = out[..] {
                let (l1, l2) = (self.edge_line(g1), self.edge_line(g2));
                debug_assert_eq!(
                    crate::exact::predicates::det2_sign(
                        self.kernel,
                        self.line(l1),
                        self.line(l2),
                        &mut crate::exact::PredicateStats::default()
                    ),
                    crate::exact::Sign::Zero,
                    "the two edges at a seam vertex are collinear"
                );
                self.edges[g2.edge()].line = l1;
            }
        }
        let merges = self.merge_across(seam, |_, _| true)?;
        Ok(merges)
    }
}
