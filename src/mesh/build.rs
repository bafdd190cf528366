//! The initial mesh: one face, a convex polygon.

use rug::Rational;

use crate::exact::number::approx_with_error;
use crate::exact::predicates::{det2_sign, orient2d_points};
use crate::exact::{Kernel, Line, Sign};

use super::handles::{FaceId, HalfEdgeId, LineId, VertexId};
use super::store::{Edge, HalfEdge, Labels, Mesh, Vertex};
use super::MeshError;

impl Mesh {
    /// A mesh with one face: the convex polygon with corners `points`
    /// (either orientation; stored counter-clockwise).
    ///
    /// Refused with [`MeshError::BadPolygon`]: fewer than three corners,
    /// NaN or infinite coordinates, repeated corners, three collinear
    /// corners, and non-convex or self-intersecting polygons. Orientation is
    /// decided exactly (`robust::orient2d`).
    ///
    /// ```
    /// use splinecam::{exact::Kernel, mesh::Mesh};
    /// let m = Mesh::from_convex_polygon(&[[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]], Kernel::Filtered).unwrap();
    /// assert_eq!(m.num_faces(), 1);
    /// assert_eq!(m.total_area_exact(), 4);
    /// assert!(Mesh::from_convex_polygon(&[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], Kernel::Filtered).is_err());
    /// ```
    pub fn from_convex_polygon(points: &[[f64; 2]], kernel: Kernel) -> Result<Mesh, MeshError> {
        if let Some(i) = points
            .iter()
            .position(|p| !(p[0].is_finite() && p[1].is_finite()))
        {
            return Err(MeshError::BadPolygon(format!(
                "corner {i} is {:?}: coordinates must be finite numbers",
                points[i]
            )));
        }
        let orient =
            |i: usize, j: usize, k: usize| orient2d_points(points[i], points[j], points[k]);
        let ccw = check_convex(points.len(), orient)?;
        let exact: Vec<(Rational, Rational)> = points
            .iter()
            .map(|p| {
                (
                    Rational::from_f64(p[0]).expect("finite"),
                    Rational::from_f64(p[1]).expect("finite"),
                )
            })
            .collect();
        Ok(Self::build(exact, ccw, kernel))
    }

    /// Like [`Mesh::from_convex_polygon`] with exact rational corners (e.g.
    /// a triangle grown by a margin).
    pub fn from_convex_polygon_exact(
        points: &[(Rational, Rational)],
        kernel: Kernel,
    ) -> Result<Mesh, MeshError> {
        let orient = |i: usize, j: usize, k: usize| {
            let (p, q, r) = (&points[i], &points[j], &points[k]);
            let det = Rational::from(&q.0 - &p.0) * Rational::from(&r.1 - &p.1)
                - Rational::from(&q.1 - &p.1) * Rational::from(&r.0 - &p.0);
            Sign::of_ordering(det.cmp0())
        };
        let ccw = check_convex(points.len(), orient)?;
        Ok(Self::build(points.to_vec(), ccw, kernel))
    }

    fn build(mut pts: Vec<(Rational, Rational)>, ccw: bool, kernel: Kernel) -> Mesh {
        if !ccw {
            pts.reverse();
        }
        let n = pts.len();
        let mut m = Mesh::empty(kernel);
        // Side i runs from corner i to corner i + 1; its line is positive inside.
        for i in 0..n {
            let line = Line::through(&pts[i], &pts[(i + 1) % n]).expect("distinct corners");
            m.add_line(line);
        }
        for (i, p) in pts.iter().enumerate() {
            let lines = [LineId::from_index((i + n - 1) % n), LineId::from_index(i)];
            let mut st = m.stats;
            let d2 = det2_sign(kernel, m.line(lines[0]), m.line(lines[1]), &mut st);
            m.stats = st;
            debug_assert_ne!(d2, Sign::Zero);
            let (x, ex) = approx_with_error(&p.0);
            let (y, ey) = approx_with_error(&p.1);
            m.push_vertex(Vertex {
                lines,
                d2,
                xy: [x, y],
                r: if ex.is_finite() && ey.is_finite() {
                    ex.max(ey)
                } else {
                    f64::INFINITY
                },
                on: Labels::new(),
                dead: false,
            });
        }
        m.close_polygon((0..n).map(LineId::from_index));
        m
    }
}

impl Mesh {
    /// Makes the one face of a mesh whose vertices `0..n` are the corners of
    /// a convex polygon, counter-clockwise: the outer face, the polygon, and
    /// side `i` (corner `i` to `i + 1`, inner half-edge `2i`, outer `2i + 1`)
    /// on line `sides[i]`, with no labels.
    pub(super) fn close_polygon(&mut self, sides: impl ExactSizeIterator<Item = LineId>) {
        let n = sides.len();
        debug_assert_eq!(n, self.verts.len());
        self.faces.push(HalfEdgeId(1)); // outer
        self.faces.push(HalfEdgeId(0)); // the polygon
        for (i, line) in sides.enumerate() {
            let (ip, inx) = ((i + n - 1) % n, (i + 1) % n);
            // Inner half-edge 2i: corner i -> i + 1.
            self.hes.push(HalfEdge {
                origin: VertexId::from_index(i),
                next: HalfEdgeId::from_index(2 * inx),
                prev: HalfEdgeId::from_index(2 * ip),
                face: FaceId(1),
            });
            // Outer half-edge 2i + 1: corner i + 1 -> i.
            self.hes.push(HalfEdge {
                origin: VertexId::from_index(inx),
                next: HalfEdgeId::from_index(2 * ip + 1),
                prev: HalfEdgeId::from_index(2 * inx + 1),
                face: FaceId::OUTER,
            });
            self.edges.push(Edge {
                line,
                labels: Labels::new(),
            });
        }
    }
}

/// Checks that corners `0..n` form a strictly convex polygon; returns whether
/// it is counter-clockwise. Every corner must lie strictly on the same side of
/// every side, which also rules out repeated corners, collinear corners and
/// polygons that wind more than once.
fn check_convex(n: usize, orient: impl Fn(usize, usize, usize) -> Sign) -> Result<bool, MeshError> {
    if n < 3 {
        return Err(MeshError::BadPolygon(format!(
            "{n} corner(s) given; a domain needs at least 3"
        )));
    }
    let mut want = None;
    for i in 0..n {
        let j = (i + 1) % n;
        for k in (0..n).filter(|&k| k != i && k != j) {
            let s = orient(i, j, k);
            if s == Sign::Zero {
                return Err(MeshError::BadPolygon(format!(
                    "corners {i}, {j} and {k} are collinear or repeated; remove the redundant corner"
                )));
            }
            match want {
                None => want = Some(s),
                Some(w) if w != s => {
                    return Err(MeshError::BadPolygon(format!(
                        "corner {k} lies on the wrong side of side {i}-{j}: the polygon is not convex (or its corners are out of order)"
                    )))
                }
                _ => {}
            }
        }
    }
    Ok(want == Some(Sign::Positive))
}
