//! Points drawn from a partition, mapped back to the input space: uniformly
//! along the decision boundary, or one interior point per region.
//!
//! Boundary samples are uniform with respect to length in the *input space*
//! (each boundary segment is weighted by its input-space length, through the
//! slice's Gram matrix; along a segment the affine slice map keeps uniform
//! spacing uniform). They are seeded (`ChaCha8Rng`), so the same partition,
//! count and seed give the same points. A boundary point is computed in f64
//! on its segment, so it lies on the boundary up to rounding; its segment's
//! two regions are recorded.
//!
//! ```
//! use splinecam::{domain::Slice, net::json, partition::{Options, Partition}, sample};
//! let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
//!   "ops":[{"op":"dense","weight":[[1,0],[0,1]],"bias":[0,0]},{"op":"relu"},
//!          {"op":"dense","weight":[[1,1]],"bias":[-0.5]}]}"#).unwrap();
//! let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
//! let p = Partition::compute(&net, &slice, &Options::default()).unwrap();
//! let pts = sample::boundary_samples(&p, 10, 7).unwrap();
//! assert_eq!(pts.len(), 10);
//! // Every point lies where the logit relu(x) + relu(y) - 0.5 vanishes.
//! for s in &pts {
//!     let (x, y) = (s.input[0], s.input[1]);
//!     assert!((x.max(0.0) + y.max(0.0) - 0.5).abs() < 1e-12);
//! }
//! assert_eq!(sample::region_samples(&p).len(), p.num_regions());
//! ```

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::mesh::FaceId;
use crate::partition::{Boundary, Partition};

/// One sampled point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SamplePoint {
    /// Slice coordinates `(u, v)`.
    pub uv: [f64; 2],
    /// The input-space point `origin + u·e1 + v·e2` (flat, f64).
    pub input: Vec<f64>,
    /// The region(s) the point belongs to: one for an interior point, the
    /// two sides of its boundary segment for a boundary point. A region is
    /// named by its 0-based position in [`Partition::regions`] (the order of
    /// the result file's `faces`).
    pub regions: Vec<usize>,
    /// Their classes, when the partition has a decision boundary.
    pub classes: Vec<Option<u32>>,
}

/// Why no boundary sample can be drawn.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    /// The partition was computed without a decision boundary.
    #[error("the partition has no decision boundary (computed with boundary 'none'); recompute it with a boundary")]
    NoBoundarySpec,
    /// The boundary does not meet the slice.
    #[error("the decision boundary does not cross this slice (every region has the same class); try a larger or another slice, or sample one point per region instead")]
    NoBoundary,
    /// The requested number of points does not fit in memory.
    #[error("cannot hold {n} sample points in memory; ask for fewer")]
    TooMany {
        /// The number asked for.
        n: usize,
    },
}

/// `n` points uniformly along the decision boundary (input-space length),
/// seeded by `seed`.
pub fn boundary_samples(
    p: &Partition,
    n: usize,
    seed: u64,
) -> Result<Vec<SamplePoint>, SampleError> {
    if p.boundary() == Boundary::None {
        return Err(SampleError::NoBoundarySpec);
    }
    let mut out = Vec::new();
    // One input of the network per point: refuse what cannot be allocated
    // (instead of aborting), before any work.
    let per_point =
        std::mem::size_of::<SamplePoint>() + p.network().input_len() * std::mem::size_of::<f64>();
    if n.checked_mul(per_point)
        .is_none_or(|b| b > isize::MAX as usize)
        || out.try_reserve_exact(n).is_err()
    {
        return Err(SampleError::TooMany { n });
    }
    let mesh = p.mesh();
    let g = p.slice().gram_f64();
    let len_input = |d: [f64; 2]| {
        (g[0][0] * d[0] * d[0] + 2.0 * g[0][1] * d[0] * d[1] + g[1][1] * d[1] * d[1])
            .max(0.0)
            .sqrt()
    };
    // Boundary segments in mesh order, with cumulative input-space length.
    let mut segments = Vec::new();
    let mut cumulative = Vec::new();
    let mut total = 0.0;
    for h in mesh.edges() {
        if !p.is_boundary_edge(h) {
            continue;
        }
        let a = mesh.vertex_xy(mesh.origin(h));
        let b = mesh.vertex_xy(mesh.dest(h));
        let len = len_input([b[0] - a[0], b[1] - a[1]]);
        if len > 0.0 {
            total += len;
            segments.push((a, b, mesh.face(h), mesh.face(h.twin())));
            cumulative.push(total);
        }
    }
    if segments.is_empty() {
        return Err(SampleError::NoBoundary);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..n {
        let r: f64 = rng.gen_range(0.0..total);
        let i = cumulative
            .partition_point(|&c| c <= r)
            .min(segments.len() - 1);
        let start = if i == 0 { 0.0 } else { cumulative[i - 1] };
        let seg_len = cumulative[i] - start;
        let t = ((r - start) / seg_len).clamp(0.0, 1.0);
        let (a, b, f, g2) = segments[i];
        let uv = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
        out.push(point(p, uv, &[f, g2]));
    }
    Ok(out)
}

/// One exact interior point per region (the mean of its vertices), rounded
/// to f64, in region order.
pub fn region_samples(p: &Partition) -> Vec<SamplePoint> {
    p.regions()
        .map(|f| {
            let (u, v) = p.interior_point(f);
            let input = p
                .slice()
                .point_exact(&u, &v)
                .iter()
                .map(|x| x.to_f64())
                .collect();
            SamplePoint {
                uv: [u.to_f64(), v.to_f64()],
                input,
                regions: vec![f.index() - 1],
                classes: vec![p.region(f).class],
            }
        })
        .collect()
}

fn point(p: &Partition, uv: [f64; 2], faces: &[FaceId]) -> SamplePoint {
    SamplePoint {
        uv,
        input: p.slice().point_f64(uv[0], uv[1]),
        regions: faces.iter().map(|f| f.index() - 1).collect(),
        classes: faces.iter().map(|&f| p.region(f).class).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Slice;
    use crate::net::json;
    use crate::partition::Options;

    #[test]
    fn huge_counts_are_an_error_not_a_panic() {
        let net = json::from_str(
            r#"{"format":"splinecam-model","version":1,"input_shape":[2],
            "ops":[{"op":"dense","weight":[[1,0],[0,1]],"bias":[0,0]},{"op":"relu"},
                   {"op":"dense","weight":[[1,1]],"bias":[-0.5]}]}"#,
        )
        .unwrap();
        let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
        let p = Partition::compute(&net, &slice, &Options::default()).unwrap();
        for n in [usize::MAX, usize::MAX / 8, isize::MAX as usize] {
            assert_eq!(
                boundary_samples(&p, n, 0),
                Err(SampleError::TooMany { n }),
                "{n}"
            );
        }
        assert_eq!(boundary_samples(&p, 0, 0), Ok(Vec::new()));
    }
}
