//! The slice in two halves, side by side ([`Options::halves`]).
//!
//! The engine edits the mesh on one thread, face after face in order, so
//! that its result does not depend on the thread count; that serial part
//! bounds what a second thread can add. Two halves of the slice share no
//! face, so each is partitioned by itself ([`engine::compute_on`]), both at
//! once, and then glued back along the seam ([`Mesh::glue`]).
//!
//! Gluing is exact and needs no new sign: each half has a vertex on the
//! seam exactly where an edge of the partition meets it, so the halves'
//! seam vertices pair off in order. A face on one side and the face across
//! the seam have the same activation pattern and class: they are two pieces
//! of one region (regions are convex), and the seam between them is removed
//! ([`Mesh::unseam`]), which leaves the whole slice's exact partition
//! (regions, vertices, edges and what their labels stand for; the
//! numbering, and the `f64` approximations, which follow the order of
//! computation, differ). Only where a region boundary runs along
//! the seam itself do two faces across it differ; then the halves are
//! dropped and the whole slice is computed at once.
//!
//! [`engine::compute_on`]: super::engine::compute_on

use std::sync::{Arc, Mutex};

use crate::domain::Slice;
use crate::exact::Line;
use crate::mesh::{FaceId, Glued, Halves, Mesh};
use crate::net::Network;

use super::engine::compute_on;
use super::{Options, Partition, PartitionError, Region, Stats};

/// Where the seam `u = c` cuts the domain's range of `u`, from its low end:
/// near the middle, at a fraction that no network's lines are likely to
/// share exactly (a line along the seam costs a second computation).
const SEAM_AT: f64 = 0.493_827_160_493_827;

/// The partition of `slice` computed in two halves; `None` where the halves
/// do not make it (the seam misses the domain, a region boundary runs
/// along the seam, or a half passed `Options::max_regions`: the caller then
/// computes the whole slice, which also says where the limit was passed).
pub(super) fn compute(
    net: &Arc<Network>,
    slice: &Slice,
    options: &Options,
) -> Result<Option<Partition>, PartitionError> {
    let whole = slice.mesh(options.kernel)?;
    let Some(seam) = seam_line(&whole) else {
        return Ok(None);
    };
    let Some(Halves {
        positive,
        negative,
        seam,
        shared_lines,
    }) = whole.halves(seam)?
    else {
        return Ok(None);
    };
    let progress = options.progress.clone().map(|report| HalvesProgress {
        report,
        done: Arc::new(Mutex::new([(0, 0); 2])),
    });
    let half = |i: usize| Options {
        progress: progress.as_ref().map(|p| p.half(i)),
        ..options.clone()
    };
    let (opts_a, opts_b) = (half(0), half(1));
    let (a, b) = rayon::join(
        || compute_on(net, slice, positive, &opts_a),
        || compute_on(net, slice, negative, &opts_b),
    );
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(PartitionError::TooManyRegions { .. }), _)
        | (_, Err(PartitionError::TooManyRegions { .. })) => return Ok(None),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    merge(a, b, seam, shared_lines, options)
}

/// The vertical seam through the domain's range of `u` at [`SEAM_AT`].
fn seam_line(mesh: &Mesh) -> Option<Line> {
    Line::from_f64(1.0, 0.0, -seam_u(mesh)?)
}

/// The `u` of the seam: [`SEAM_AT`] of the way through the domain's range.
pub(super) fn seam_u(mesh: &Mesh) -> Option<f64> {
    let (lo, hi) = mesh
        .vertices()
        .map(|v| mesh.vertex_xy(v)[0])
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
    let c = lo + (hi - lo) * SEAM_AT;
    // A seam off the domain (rounding of a sliver) misses it: `halves`
    // says so, and the whole slice is computed.
    (lo < hi && c.is_finite()).then_some(c)
}

/// Glues the halves' partitions into the whole slice's; `None` if a region
/// boundary runs along the seam (or the glued counts pass
/// `Options::max_regions`).
fn merge(
    a: Partition,
    b: Partition,
    seam: crate::mesh::LineId,
    shared_lines: usize,
    options: &Options,
) -> Result<Option<Partition>, PartitionError> {
    let Partition {
        mesh: mesh_a,
        mut regions,
        mut labels,
        net,
        slice,
        boundary,
        stats: sa,
    } = a;
    let Partition {
        mesh: mut mesh_b,
        regions: regions_b,
        stats: sb,
        labels: labels_b,
        ..
    } = b;
    // The halves interned their labels (max pairs, output pairs, levels) in
    // the order they met them.
    let map = labels.absorb(&labels_b);
    if map.iter().enumerate().any(|(i, l)| l.0 as usize != i) {
        if let Err(e) = mesh_b.relabel(&map) {
            return bug(e);
        }
    }
    let Glued {
        mesh: mut m,
        seam: chain,
        ..
    } = match Mesh::glue(mesh_a, mesh_b, seam, shared_lines) {
        Ok(g) => g,
        Err(e) => return bug(e),
    };
    regions.reserve(regions_b.len());
    regions.extend(regions_b.into_iter().skip(1));
    // The positive half's face along each seam edge; the face across must
    // be the same region.
    let along: Vec<FaceId> = chain.iter().map(|&s| m.face(s)).collect();
    for &s in &chain {
        let (f, g) = (
            &regions[m.face(s).index()],
            &regions[m.face(s.twin()).index()],
        );
        if f.pattern != g.pattern || f.class != g.class {
            return Ok(None);
        }
    }
    let faces_after_layer = glued_counts(&sa, &sb, &along, &regions);
    if let Some(limit) = options.max_regions {
        if faces_after_layer.iter().any(|&n| n > limit) {
            return Ok(None);
        }
    }
    if let Err(e) = m.unseam(&chain, seam) {
        return bug(e);
    }
    // The seam leaves a few holes in the arenas: the last items move into
    // them, and the regions follow their faces.
    m.fill_holes().apply(&mut regions);
    debug_assert_eq!(regions.len(), m.num_faces() + 1);
    let add = |x: &[usize], y: &[usize]| x.iter().zip(y).map(|(p, q)| p + q).collect();
    let add_f = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p + q).collect();
    let stats = Stats {
        faces_after_layer,
        predicates: m.stats(),
        run_ahead: add(&sa.run_ahead, &sb.run_ahead),
        vertex_pass: add(&sa.vertex_pass, &sb.vertex_pass),
        vertex_open: add(&sa.vertex_open, &sb.vertex_open),
        folded: add(&sa.folded, &sb.folded),
        dd_tightened: sa.dd_tightened + sb.dd_tightened,
        layer_seconds: add_f(&sa.layer_seconds, &sb.layer_seconds),
        cut_seconds: add_f(&sa.cut_seconds, &sb.cut_seconds),
        halved: true,
        seconds: 0.0,
    };
    Ok(Some(Partition {
        mesh: m,
        regions,
        labels,
        net,
        slice,
        boundary,
        stats,
    }))
}

/// Halves that do not glue: a bug. Debug builds (the tests) stop on it;
/// release builds compute the whole slice instead.
fn bug(e: crate::mesh::MeshError) -> Result<Option<Partition>, PartitionError> {
    debug_assert!(false, "{e}");
    let _ = e;
    Ok(None)
}

/// The faces after each layer of the whole slice: the halves' counts less
/// one per region of that layer that the seam cuts in two. Such a region
/// meets the seam in one stretch (it is convex), where consecutive seam
/// edges have faces with the same states up to that layer (and, for the
/// boundary's entry, the same face).
fn glued_counts(sa: &Stats, sb: &Stats, along: &[FaceId], regions: &[Region]) -> Vec<usize> {
    let entries = sa.faces_after_layer.len();
    let mut runs = vec![0usize; entries];
    for (i, &f) in along.iter().enumerate() {
        // The first entry from which this seam edge starts a new stretch.
        let from = if i == 0 {
            0
        } else if along[i - 1] == f {
            entries
        } else {
            let (p, q) = (
                &regions[along[i - 1].index()].pattern.layers,
                &regions[f.index()].pattern.layers,
            );
            p.iter().zip(q).position(|(x, y)| x != y).unwrap_or(p.len())
        };
        for r in runs.iter_mut().skip(from) {
            *r += 1;
        }
    }
    (0..entries)
        .map(|k| sa.faces_after_layer[k] + sb.faces_after_layer[k] - runs[k])
        .collect()
}

/// The caller's progress callback, told of both halves: the nodes both have
/// done and the faces of the two together (a region the seam cuts counts
/// twice until the halves are glued). Where the halves are dropped, the
/// whole slice's run reports from its first node again.
#[derive(Clone)]
struct HalvesProgress {
    report: super::ProgressFn,
    done: Arc<Mutex<[(usize, usize); 2]>>,
}

impl HalvesProgress {
    fn half(&self, i: usize) -> super::ProgressFn {
        let this = self.clone();
        Arc::new(move |nodes, of, faces| {
            // Under the lock: the reports arrive in order, one at a time.
            let mut d = this.done.lock().unwrap_or_else(|e| e.into_inner());
            d[i] = (nodes, faces);
            (this.report)(d[0].0.min(d[1].0), of, d[0].1 + d[1].1);
        })
    }
}
