//! The slice: the 2-D domain of the input space on which the partition is
//! computed (`DESIGN.md` §1 "Slice (domain)", §5 "Slices in").
//!
//! A [`Slice`] is the affine map `x(u, v) = o + u·e1 + v·e2` restricted to a
//! strictly convex polygon `P` of slice coordinates `(u, v)`. `o`, `e1`, `e2`
//! are exact rationals (a float is an exact dyadic rational, and differences
//! of floats such as `p1 − p0` are kept exact), and so are the corners of
//! `P`. The coordinates are affine, not orthonormal: use
//! [`Slice::gram_exact`] to convert slice lengths and areas into input-space
//! units.
//!
//! Constructors, each refusing bad input with a [`SliceError`] whose message
//! says what to fix:
//!
//! - [`Slice::square_box`]: a box of a 2-input network;
//! - [`Slice::through_points`]: the plane through three samples;
//! - [`Slice::explicit`]: an explicit origin, two directions and a polygon;
//! - [`Slice::box_face`] and [`Slice::vnnlib_face`]: a 2-D face through the
//!   centre of an input box (e.g. a VNN-LIB property's input box);
//! - [`Slice::square_around`]: a random square around one sample;
//! - [`Slice::through_two`]: a random plane through two samples.
//!
//! This module decides nothing with a float tolerance: degeneracy (equal
//! points, dependent directions, non-convex polygons) is decided exactly.
//! The random constructors draw directions in `f64`; what is analysed is the
//! stored `f64` values, taken exactly.
//!
//! ```
//! use rug::Rational;
//! use splinecam::{domain::Slice, exact::Kernel};
//! let s = Slice::through_points(&[3], &[0.0, 0.0, 1.0], &[1.0, 0.0, 1.0], &[0.0, 2.0, 1.0], 0.0).unwrap();
//! assert_eq!(s.area_exact(), Rational::from((1, 2)));
//! // The corner (0, 1) of the triangle is the third sample, exactly.
//! assert_eq!(s.point_exact(&Rational::from(0), &Rational::from(1)), vec![0, 2, 1]);
//! let mesh = s.mesh(Kernel::Filtered).unwrap();
//! assert_eq!(mesh.num_faces(), 1);
//! ```

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rug::Rational;

use crate::exact::number::rational_from_f64;
use crate::exact::Kernel;
use crate::io::vnnlib::{read_input_box, VnnlibError};
use crate::mesh::{Mesh, MeshError};
use crate::net::dd::DdAffineForm;
use crate::net::{AffineForm, ExactAffineForm};

/// How many random draws [`Slice::square_around`] and [`Slice::through_two`]
/// make before giving up (in practice the first draw succeeds).
const MAX_DRAWS: usize = 64;

/// Why a slice was refused. Every message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SliceError {
    /// The network's input shape does not suit this kind of slice.
    #[error("input shape {shape:?}: {msg}")]
    InputShape {
        /// The input shape given.
        shape: Vec<usize>,
        /// What is wrong and what to use instead.
        msg: String,
    },
    /// A vector has a different number of entries than the network has inputs.
    #[error(
        "{what} has {got} entries but the network has {want} inputs (input shape {shape:?}); give one value per input"
    )]
    Length {
        /// Which argument (e.g. `p1`).
        what: String,
        /// Its length.
        got: usize,
        /// The network's input length.
        want: usize,
        /// The network's input shape.
        shape: Vec<usize>,
    },
    /// A coordinate, bound or parameter is NaN or infinite.
    #[error("{what} is {value}: it must be a finite number")]
    NonFinite {
        /// Which value (e.g. `p0[3]`).
        what: String,
        /// The value given.
        value: f64,
    },
    /// A parameter or bound is out of range.
    #[error("invalid {what}: {msg}")]
    Argument {
        /// Which parameter (e.g. `margin`).
        what: String,
        /// What is wrong and what is allowed.
        msg: String,
    },
    /// The points or directions do not span a plane.
    #[error("degenerate slice: {0}")]
    Degenerate(String),
    /// The polygon is not strictly convex (or has too few corners).
    #[error("invalid slice polygon: {0}")]
    Polygon(String),
    /// The VNN-LIB file could not be read.
    #[error("cannot read the VNN-LIB input box: {0}")]
    Vnnlib(#[from] VnnlibError),
    /// Building the mesh failed for another reason than the polygon (a bug).
    #[error("cannot build the slice mesh: {0}")]
    Mesh(MeshError),
}

impl From<MeshError> for SliceError {
    fn from(e: MeshError) -> Self {
        match e {
            MeshError::BadPolygon(msg) => SliceError::Polygon(msg),
            other => SliceError::Mesh(other),
        }
    }
}

/// A 2-D slice `x(u, v) = o + u·e1 + v·e2`, `(u, v)` in a strictly convex
/// polygon `P`, of a network's input space.
///
/// All numbers are exact rationals. The polygon is stored counter-clockwise.
/// `anchors` are the slice coordinates of the samples the slice goes through
/// (for marking in pictures); empty when there are none.
///
/// ```
/// use splinecam::domain::Slice;
/// let s = Slice::square_box(&[2], [-1.0, 1.0, -2.0, 2.0]).unwrap();
/// assert_eq!(s.input_len(), 2);
/// assert_eq!(s.area_exact(), 8);
/// assert_eq!(s.point_f64(0.5, -1.5), vec![0.5, -1.5]);
/// ```
#[derive(Clone, Debug)]
pub struct Slice {
    input_shape: Vec<usize>,
    input_len: usize,
    // The per-input vectors are shared between clones (a partition keeps a
    // clone of its slice; a slice of an image net has thousands of inputs).
    origin: Arc<[Rational]>,
    e1: Arc<[Rational]>,
    e2: Arc<[Rational]>,
    // Shared between clones too (a partition keeps a clone; an exact
    // corner is two big integers each).
    polygon: Arc<[(Rational, Rational)]>,
    anchors: Arc<[(Rational, Rational)]>,
    // f64 roundings of origin, e1, e2, for point_f64.
    origin_f64: Arc<[f64]>,
    e1_f64: Arc<[f64]>,
    e2_f64: Arc<[f64]>,
    // The input forms `o + u·e1 + v·e2`, made once (every partition of the
    // slice starts from them).
    input_f64: Arc<AffineForm>,
    input_exact: Arc<ExactAffineForm>,
    // The double-double input form, made from the exact one on first use
    // (exact arithmetic per input; most partitions never read it).
    input_dd: Arc<OnceLock<Arc<DdAffineForm>>>,
    // The polygon's mesh per kernel (`[Filtered, Rational]`), made on first
    // use and copied for every partition (making it takes exact arithmetic).
    meshes: Arc<[OnceLock<Mesh>; 2]>,
}

/// Slices are equal when they are the same plane, polygon and anchors of
/// the same input shape (the rest is made from those).
impl PartialEq for Slice {
    fn eq(&self, other: &Slice) -> bool {
        self.input_shape == other.input_shape
            && self.origin == other.origin
            && self.e1 == other.e1
            && self.e2 == other.e2
            && self.polygon == other.polygon
            && self.anchors == other.anchors
    }
}

// ---------------------------------------------------------------------------
// Validation helpers.

/// The number of inputs of `shape` (the product of its dimensions).
fn input_len_of(shape: &[usize]) -> Result<usize, SliceError> {
    let n = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| SliceError::InputShape {
            shape: shape.to_vec(),
            msg: "the number of inputs overflows usize".into(),
        })?;
    if n == 0 {
        return Err(SliceError::InputShape {
            shape: shape.to_vec(),
            msg: "the network has no inputs (a dimension is 0); give the model's real input shape"
                .into(),
        });
    }
    Ok(n)
}

/// Refuses input lengths below 2 (no plane fits in a line).
fn need_two_inputs(shape: &[usize], n: usize) -> Result<(), SliceError> {
    if n < 2 {
        return Err(SliceError::InputShape {
            shape: shape.to_vec(),
            msg: format!("the network has {n} input; a 2-D slice needs at least 2 inputs"),
        });
    }
    Ok(())
}

/// The exact value of a finite float, or [`SliceError::NonFinite`].
fn finite(what: impl FnOnce() -> String, x: f64) -> Result<Rational, SliceError> {
    rational_from_f64(x).ok_or_else(|| SliceError::NonFinite {
        what: what(),
        value: x,
    })
}

/// Checks the length and finiteness of an input-space vector and converts it
/// exactly.
fn input_vector(
    what: &str,
    x: &[f64],
    shape: &[usize],
    n: usize,
) -> Result<Vec<Rational>, SliceError> {
    if x.len() != n {
        return Err(SliceError::Length {
            what: what.into(),
            got: x.len(),
            want: n,
            shape: shape.to_vec(),
        });
    }
    x.iter()
        .enumerate()
        .map(|(i, &v)| finite(|| format!("{what}[{i}]"), v))
        .collect()
}

/// A finite, non-negative (or, with `positive`, strictly positive) scalar.
fn scalar(what: &str, x: f64, positive: bool) -> Result<Rational, SliceError> {
    let r = finite(|| what.to_string(), x)?;
    let bad = if positive {
        r.cmp0().is_le()
    } else {
        r.cmp0().is_lt()
    };
    if bad {
        let want = if positive { "> 0" } else { ">= 0" };
        return Err(SliceError::Argument {
            what: what.into(),
            msg: format!("{what} = {x} must be {want}"),
        });
    }
    Ok(r)
}

/// How two directions fail to span a plane.
#[derive(Debug, PartialEq, Eq)]
enum Dependence {
    FirstZero,
    SecondZero,
    Parallel,
}

/// Decides exactly whether `e1` and `e2` are linearly independent: every 2×2
/// minor `e1[i]·e2[j] − e1[j]·e2[i]` vanishes iff `e2` is a multiple of `e1`,
/// which (with `e1[p] ≠ 0`) is checked against the pivot `p` only.
fn independence(e1: &[Rational], e2: &[Rational]) -> Result<(), Dependence> {
    let Some(p) = e1.iter().position(|x| x.cmp0().is_ne()) else {
        return Err(Dependence::FirstZero);
    };
    if e2.iter().all(|x| x.cmp0().is_eq()) {
        return Err(Dependence::SecondZero);
    }
    let parallel = e1
        .iter()
        .zip(e2)
        .all(|(a, b)| Rational::from(&e1[p] * b) == Rational::from(a * &e2[p]));
    if parallel {
        Err(Dependence::Parallel)
    } else {
        Ok(())
    }
}

/// Exact `a − b`, element-wise.
fn sub(a: &[Rational], b: &[Rational]) -> Vec<Rational> {
    a.iter()
        .zip(b)
        .map(|(x, y)| Rational::from(x - y))
        .collect()
}

/// Exact dot product.
fn dot_exact(a: &[Rational], b: &[Rational]) -> Rational {
    let mut s = Rational::new();
    for (x, y) in a.iter().zip(b) {
        s += Rational::from(x * y);
    }
    s
}

/// Twice the signed area (shoelace) of a polygon.
fn twice_signed_area(p: &[(Rational, Rational)]) -> Rational {
    let n = p.len();
    let mut s = Rational::new();
    for i in 0..n {
        let (a, b) = (&p[i], &p[(i + 1) % n]);
        s += Rational::from(&a.0 * &b.1) - Rational::from(&b.0 * &a.1);
    }
    s
}

/// Checks strict convexity exactly (with the mesh's own check) and returns
/// the corners counter-clockwise.
fn checked_polygon(
    mut points: Vec<(Rational, Rational)>,
) -> Result<Vec<(Rational, Rational)>, SliceError> {
    Mesh::from_convex_polygon_exact(&points, Kernel::Filtered)?;
    if twice_signed_area(&points).cmp0().is_lt() {
        points.reverse();
    }
    Ok(points)
}

/// The largest magnitude a slice allows for a polygon corner's coordinates
/// `u, v` and for the input-space points `o + u·e1 + v·e2` of its corners.
/// The geometry is exact at any size, but the `f64` quantities reported
/// with it (areas, lengths, eccentricities, pictures, the result file's
/// `area_f64`) square such numbers and would overflow beyond about 1e150.
pub const MAX_EXTENT: f64 = 1e100;

/// Refuses a polygon, or a plane through it, beyond [`MAX_EXTENT`].
fn within_extent(
    polygon: &[(Rational, Rational)],
    (origin, e1, e2): (&[Rational], &[Rational], &[Rational]),
) -> Result<(), SliceError> {
    let too_far = |what: String, value: f64| {
        SliceError::Argument {
        what,
        msg: format!(
            "{value:e} is beyond {MAX_EXTENT:e} in magnitude (areas and lengths would overflow f64); use a smaller slice or rescale the inputs"
        ),
    }
    };
    let big = |x: &Rational| x.clone().abs() > MAX_EXTENT;
    for (k, (u, v)) in polygon.iter().enumerate() {
        for (name, c) in [("u", u), ("v", v)] {
            if big(c) {
                return Err(too_far(format!("polygon corner {k} {name}"), c.to_f64()));
            }
        }
        // |o_i + u·e1_i + v·e2_i| <= |o_i| + |u||e1_i| + |v||e2_i|, in f64
        // rounded up enough (a relative 1e-12 is far more than the rounding).
        let (u, v) = (u.to_f64().abs(), v.to_f64().abs());
        for (i, ((o, a), b)) in origin.iter().zip(e1).zip(e2).enumerate() {
            let m =
                (o.to_f64().abs() + u * a.to_f64().abs() + v * b.to_f64().abs()) * (1.0 - 1e-12);
            if m > MAX_EXTENT {
                return Err(too_far(format!("input {i} at polygon corner {k}"), m));
            }
        }
    }
    Ok(())
}

/// The axis-aligned rectangle `[u0, u1] × [v0, v1]`, counter-clockwise.
fn rectangle(u0: Rational, u1: Rational, v0: Rational, v1: Rational) -> Vec<(Rational, Rational)> {
    vec![
        (u0.clone(), v0.clone()),
        (u1.clone(), v0),
        (u1, v1.clone()),
        (u0, v1),
    ]
}

/// Unit vector `k` of length `n`, as rationals.
fn unit(n: usize, k: usize) -> Vec<Rational> {
    (0..n).map(|i| Rational::from(u8::from(i == k))).collect()
}

fn origin_anchor() -> (Rational, Rational) {
    (Rational::new(), Rational::new())
}

// ---------------------------------------------------------------------------
// Random directions (f64; the stored values are what is analysed).

/// A standard normal sample (Box–Muller).
fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>(); // (0, 1]
    let u2: f64 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn dot_f64(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm_f64(a: &[f64]) -> f64 {
    dot_f64(a, a).sqrt()
}

/// A random unit vector orthogonal (in f64, up to rounding) to the unit
/// vectors `against`, or `None` for an ill-conditioned draw. The threshold
/// only rejects unlucky random draws; independence of the result is decided
/// exactly by the caller.
fn random_unit(rng: &mut ChaCha8Rng, n: usize, against: &[&[f64]]) -> Option<Vec<f64>> {
    let mut r: Vec<f64> = (0..n).map(|_| gaussian(rng)).collect();
    let before = norm_f64(&r);
    // Gram–Schmidt, twice for orthogonality to working precision.
    for _ in 0..2 {
        for q in against {
            let c = dot_f64(&r, q);
            for (x, y) in r.iter_mut().zip(q.iter()) {
                *x -= c * y;
            }
        }
    }
    let len = norm_f64(&r);
    if !(len.is_finite() && len > 1e-6 * before) {
        return None;
    }
    r.iter_mut().for_each(|x| *x /= len);
    Some(r)
}

/// The exact values of finite floats (`None` if any is not finite).
fn exact_vec(x: &[f64]) -> Option<Vec<Rational>> {
    x.iter().map(|&v| rational_from_f64(v)).collect()
}

// ---------------------------------------------------------------------------

impl Slice {
    /// Assembles a slice from validated parts.
    fn assemble(
        input_shape: &[usize],
        origin: Vec<Rational>,
        e1: Vec<Rational>,
        e2: Vec<Rational>,
        polygon: Vec<(Rational, Rational)>,
        anchors: Vec<(Rational, Rational)>,
    ) -> Result<Slice, SliceError> {
        let polygon = checked_polygon(polygon)?;
        within_extent(&polygon, (&origin, &e1, &e2))?;
        let to_f64 = |v: &[Rational]| v.iter().map(Rational::to_f64).collect::<Arc<[f64]>>();
        let input_f64 = AffineForm::input_rational(&origin, &e1, &e2)
            .expect("origin, e1 and e2 have the input length by construction");
        let input_exact = ExactAffineForm::input_rational(&origin, &e1, &e2)
            .expect("origin, e1 and e2 have the input length by construction");
        Ok(Slice {
            input_shape: input_shape.to_vec(),
            input_len: origin.len(),
            origin_f64: to_f64(&origin),
            e1_f64: to_f64(&e1),
            e2_f64: to_f64(&e2),
            origin: origin.into(),
            e1: e1.into(),
            e2: e2.into(),
            polygon: polygon.into(),
            anchors: anchors.into(),
            input_f64: Arc::new(input_f64),
            input_exact: Arc::new(input_exact),
            input_dd: Arc::default(),
            meshes: Arc::default(),
        })
    }

    /// The box `[x0, x1] × [y0, y1]` of a network with exactly two inputs:
    /// `o = 0`, `e1`, `e2` the unit vectors, so slice coordinates are the
    /// inputs themselves.
    ///
    /// Refused: an input length other than 2 (use a plane through samples,
    /// [`Slice::through_points`], instead), non-finite bounds, `x0 >= x1`
    /// or `y0 >= y1`.
    ///
    /// ```
    /// use splinecam::domain::Slice;
    /// let s = Slice::square_box(&[1, 2], [0.0, 2.0, 0.0, 0.5]).unwrap();
    /// assert_eq!(s.area_exact(), 1);
    /// assert_eq!(s.polygon_f64(), vec![[0.0, 0.0], [2.0, 0.0], [2.0, 0.5], [0.0, 0.5]]);
    /// assert!(Slice::square_box(&[3], [0.0, 1.0, 0.0, 1.0]).is_err());
    /// assert!(Slice::square_box(&[2], [1.0, 1.0, 0.0, 1.0]).is_err());
    /// ```
    pub fn square_box(input_shape: &[usize], bounds: [f64; 4]) -> Result<Slice, SliceError> {
        let n = input_len_of(input_shape)?;
        if n != 2 {
            return Err(SliceError::InputShape {
                shape: input_shape.to_vec(),
                msg: format!(
                    "a box slice needs a network with exactly 2 inputs but this one has {n}; \
                     use a plane through samples (Slice::through_points) or a box face \
                     (Slice::box_face) instead"
                ),
            });
        }
        const NAMES: [&str; 4] = ["x0", "x1", "y0", "y1"];
        let exact = |k: usize| finite(|| format!("box bound {}", NAMES[k]), bounds[k]);
        let (x0, x1, y0, y1) = (exact(0)?, exact(1)?, exact(2)?, exact(3)?);
        for (lo, hi, a, b) in [(0, 1, &x0, &x1), (2, 3, &y0, &y1)] {
            if a >= b {
                return Err(SliceError::Argument {
                    what: "box".into(),
                    msg: format!(
                        "{} = {} must be less than {} = {}; give [x0, x1, y0, y1] with x0 < x1 and y0 < y1",
                        NAMES[lo], bounds[lo], NAMES[hi], bounds[hi]
                    ),
                });
            }
        }
        Slice::assemble(
            input_shape,
            vec![Rational::new(), Rational::new()],
            unit(2, 0),
            unit(2, 1),
            rectangle(x0, x1, y0, y1),
            Vec::new(),
        )
    }

    /// The plane through three samples: `o = p0`, `e1 = p1 − p0`,
    /// `e2 = p2 − p0` (exact differences), `P` the triangle
    /// `(0,0), (1,0), (0,1)` scaled about its centroid `(1/3, 1/3)` by
    /// `1 + margin` (exactly). The anchors are the three corners of the
    /// original triangle, i.e. the samples.
    ///
    /// Refused: vectors whose length is not the input length, non-finite
    /// values, a negative or non-finite margin, and coincident or collinear
    /// points (decided exactly).
    ///
    /// ```
    /// use rug::Rational;
    /// use splinecam::domain::Slice;
    /// let (p0, p1, p2) = ([0.1, 0.2], [0.3, 0.2], [0.1, 0.7]);
    /// let s = Slice::through_points(&[2], &p0, &p1, &p2, 0.5).unwrap();
    /// // Scaled by 1.5 about the centroid: area (1/2)·1.5².
    /// assert_eq!(s.area_exact(), Rational::from((9, 8)));
    /// assert_eq!(s.anchors().len(), 3);
    /// assert!(Slice::through_points(&[2], &p0, &p1, &[0.5, 0.2], 0.0).is_err()); // collinear
    /// ```
    pub fn through_points(
        input_shape: &[usize],
        p0: &[f64],
        p1: &[f64],
        p2: &[f64],
        margin: f64,
    ) -> Result<Slice, SliceError> {
        let n = input_len_of(input_shape)?;
        need_two_inputs(input_shape, n)?;
        let q0 = input_vector("p0", p0, input_shape, n)?;
        let q1 = input_vector("p1", p1, input_shape, n)?;
        let q2 = input_vector("p2", p2, input_shape, n)?;
        let m = scalar("margin", margin, false)?;
        let e1 = sub(&q1, &q0);
        let e2 = sub(&q2, &q0);
        match independence(&e1, &e2) {
            Ok(()) => {}
            Err(d) => {
                let msg = match d {
                    Dependence::FirstZero => {
                        "p0 and p1 are the same point; give three distinct points that are not collinear"
                    }
                    Dependence::SecondZero => {
                        "p0 and p2 are the same point; give three distinct points that are not collinear"
                    }
                    Dependence::Parallel if q1 == q2 => {
                        "p1 and p2 are the same point; give three distinct points that are not collinear"
                    }
                    Dependence::Parallel => {
                        "p0, p1 and p2 are collinear (p2 − p0 is exactly a multiple of p1 − p0); \
                         give three points that span a plane"
                    }
                };
                return Err(SliceError::Degenerate(msg.into()));
            }
        }
        let s = m + 1u32;
        let third = Rational::from((1, 3));
        let corners = [(0u32, 0u32), (1, 0), (0, 1)];
        let grow = |c: u32| &third + &s * (Rational::from(c) - &third);
        let polygon = corners.iter().map(|&(u, v)| (grow(u), grow(v))).collect();
        let anchors = corners
            .iter()
            .map(|&(u, v)| (Rational::from(u), Rational::from(v)))
            .collect();
        Slice::assemble(input_shape, q0, e1, e2, polygon, anchors)
    }

    /// An explicit slice: origin, two directions and a polygon of slice
    /// coordinates (either orientation; stored counter-clockwise). No
    /// anchors.
    ///
    /// Refused: wrong lengths, non-finite values, a zero direction or
    /// linearly dependent directions (decided exactly), and a polygon with
    /// fewer than 3 corners, repeated or collinear corners, or that is not
    /// convex.
    ///
    /// ```
    /// use splinecam::domain::Slice;
    /// let tri = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]]; // clockwise: reversed
    /// let s = Slice::explicit(&[3], &[1.0, 1.0, 1.0], &[1.0, 0.0, 0.0], &[0.0, 1.0, 1.0], &tri).unwrap();
    /// assert_eq!(s.polygon_f64(), vec![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]);
    /// assert!(Slice::explicit(&[3], &[0.0; 3], &[1.0, 0.0, 0.0], &[2.0, 0.0, 0.0], &tri).is_err());
    /// ```
    pub fn explicit(
        input_shape: &[usize],
        origin: &[f64],
        e1: &[f64],
        e2: &[f64],
        polygon: &[[f64; 2]],
    ) -> Result<Slice, SliceError> {
        let n = input_len_of(input_shape)?;
        need_two_inputs(input_shape, n)?;
        let o = input_vector("origin", origin, input_shape, n)?;
        let d1 = input_vector("e1", e1, input_shape, n)?;
        let d2 = input_vector("e2", e2, input_shape, n)?;
        if let Err(d) = independence(&d1, &d2) {
            let msg = match d {
                Dependence::FirstZero => "e1 is the zero vector",
                Dependence::SecondZero => "e2 is the zero vector",
                Dependence::Parallel => "e1 and e2 are parallel (exactly linearly dependent)",
            };
            return Err(SliceError::Degenerate(format!(
                "{msg}; give two linearly independent directions"
            )));
        }
        let mut corners = Vec::with_capacity(polygon.len());
        for (k, c) in polygon.iter().enumerate() {
            let u = finite(|| format!("polygon corner {k} u"), c[0])?;
            let v = finite(|| format!("polygon corner {k} v"), c[1])?;
            corners.push((u, v));
        }
        Slice::assemble(input_shape, o, d1, d2, corners, Vec::new())
    }

    /// The 2-D face of the input box `[lo, hi]` through its centre in the
    /// input dimensions `dims = (i, j)`: `o = c = (lo + hi) / 2` (exact),
    /// `e1`, `e2` the unit vectors of inputs `i` and `j`, and
    /// `P = [lo_i − c_i, hi_i − c_i] × [lo_j − c_j, hi_j − c_j]`. No anchors.
    ///
    /// Refused: wrong lengths, non-finite bounds, `lo > hi` in any input,
    /// `i == j`, dimensions out of range, and a box of zero width in input
    /// `i` or `j`.
    ///
    /// ```
    /// use rug::Rational;
    /// use splinecam::domain::Slice;
    /// let s = Slice::box_face(&[3], &[0.0, -1.0, 2.0], &[1.0, 1.0, 2.0], (0, 1)).unwrap();
    /// assert_eq!(s.origin(), &[Rational::from((1, 2)), Rational::from(0), Rational::from(2)][..]);
    /// assert_eq!(s.area_exact(), 2);
    /// assert!(Slice::box_face(&[3], &[0.0, -1.0, 2.0], &[1.0, 1.0, 2.0], (0, 2)).is_err()); // zero width
    /// ```
    pub fn box_face(
        input_shape: &[usize],
        lo: &[f64],
        hi: &[f64],
        dims: (usize, usize),
    ) -> Result<Slice, SliceError> {
        let n = input_len_of(input_shape)?;
        need_two_inputs(input_shape, n)?;
        let l = input_vector("lo", lo, input_shape, n)?;
        let h = input_vector("hi", hi, input_shape, n)?;
        let (i, j) = dims;
        if i >= n || j >= n {
            return Err(SliceError::Argument {
                what: "dims".into(),
                msg: format!(
                    "({i}, {j}) is out of range: the network has {n} inputs, so both dims must be below {n}"
                ),
            });
        }
        if i == j {
            return Err(SliceError::Argument {
                what: "dims".into(),
                msg: format!("({i}, {j}) names the same input twice; choose two different inputs"),
            });
        }
        if let Some(k) = (0..n).find(|&k| l[k] > h[k]) {
            return Err(SliceError::Argument {
                what: "box".into(),
                msg: format!(
                    "lo[{k}] = {} is greater than hi[{k}] = {}: the box is empty; give lo <= hi",
                    lo[k], hi[k]
                ),
            });
        }
        if let Some(&k) = [i, j].iter().find(|&&k| l[k] == h[k]) {
            return Err(SliceError::Argument {
                what: "box".into(),
                msg: format!(
                    "the box has zero width in input {k} (lo = hi = {}); choose dims in which the box has positive width",
                    lo[k]
                ),
            });
        }
        let c: Vec<Rational> = l
            .iter()
            .zip(&h)
            .map(|(a, b)| Rational::from(a + b) / 2u32)
            .collect();
        let polygon = rectangle(
            Rational::from(&l[i] - &c[i]),
            Rational::from(&h[i] - &c[i]),
            Rational::from(&l[j] - &c[j]),
            Rational::from(&h[j] - &c[j]),
        );
        Slice::assemble(input_shape, c, unit(n, i), unit(n, j), polygon, Vec::new())
    }

    /// [`Slice::box_face`] of the input box of a VNN-LIB property file (read
    /// with [`crate::io::vnnlib::read_input_box`]).
    ///
    /// Refused: an unreadable or malformed file, a box whose number of
    /// inputs differs from the network's, and everything
    /// [`Slice::box_face`] refuses.
    ///
    /// ```
    /// use splinecam::domain::Slice;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/models/acasxu/prop_1.vnnlib");
    /// if std::path::Path::new(path).exists() {
    ///     let s = Slice::vnnlib_face(&[1, 1, 1, 5], path, (0, 1)).unwrap();
    ///     assert_eq!(s.input_len(), 5);
    /// }
    /// assert!(Slice::vnnlib_face(&[5], "/nonexistent.vnnlib", (0, 1)).is_err());
    /// ```
    pub fn vnnlib_face(
        input_shape: &[usize],
        path: impl AsRef<Path>,
        dims: (usize, usize),
    ) -> Result<Slice, SliceError> {
        let path = path.as_ref();
        let bx = read_input_box(path)?;
        let n = input_len_of(input_shape)?;
        if bx.len() != n {
            return Err(SliceError::Argument {
                what: "VNN-LIB input box".into(),
                msg: format!(
                    "{} declares {} inputs but the network has {n} (input shape {input_shape:?}); use the property file of this network",
                    path.display(),
                    bx.len()
                ),
            });
        }
        Slice::box_face(input_shape, &bx.lo, &bx.hi, dims)
    }

    /// A random square `[−pad, pad]²` around one sample: `o = anchor`,
    /// `e1`, `e2` random orthonormal directions (Gram–Schmidt in f64 from a
    /// `ChaCha8Rng` seeded with `seed`). The stored f64 directions are what
    /// is analysed, exactly; they are orthonormal only up to rounding. The
    /// anchor is `(0, 0)`.
    ///
    /// Refused: input length below 2, wrong length or non-finite anchor,
    /// `pad <= 0` or non-finite.
    ///
    /// ```
    /// use splinecam::domain::Slice;
    /// let s = Slice::square_around(&[4], &[1.0, 2.0, 3.0, 4.0], 0.5, 7).unwrap();
    /// assert_eq!(s.area_exact(), 1);
    /// let g = s.gram_f64();
    /// assert!((g[0][0] - 1.0).abs() < 1e-12 && g[0][1].abs() < 1e-12);
    /// assert_eq!(s, Slice::square_around(&[4], &[1.0, 2.0, 3.0, 4.0], 0.5, 7).unwrap());
    /// ```
    pub fn square_around(
        input_shape: &[usize],
        anchor: &[f64],
        pad: f64,
        seed: u64,
    ) -> Result<Slice, SliceError> {
        let n = input_len_of(input_shape)?;
        need_two_inputs(input_shape, n)?;
        let o = input_vector("anchor", anchor, input_shape, n)?;
        let p = scalar("pad", pad, true)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..MAX_DRAWS {
            let Some(d1) = random_unit(&mut rng, n, &[]) else {
                continue;
            };
            let Some(d2) = random_unit(&mut rng, n, &[&d1]) else {
                continue;
            };
            let (Some(e1), Some(e2)) = (exact_vec(&d1), exact_vec(&d2)) else {
                continue;
            };
            if independence(&e1, &e2).is_err() {
                continue;
            }
            let polygon = rectangle(Rational::from(-&p), p.clone(), Rational::from(-&p), p);
            return Slice::assemble(input_shape, o, e1, e2, polygon, vec![origin_anchor()]);
        }
        Err(SliceError::Degenerate(format!(
            "no independent random directions after {MAX_DRAWS} draws with seed {seed}; try another seed"
        )))
    }

    /// A random plane through two samples: `o = a`, `e1 = b − a` (exact),
    /// `e2` a random direction (seeded `ChaCha8Rng`) orthogonalised against
    /// `e1` in f64 and scaled to `|e1|` (the stored f64 values are what is
    /// analysed, exactly), and `P = [−pad, 1 + pad] × [−(1/2 + pad), 1/2 + pad]`,
    /// which covers both anchors `(0, 0)` (= `a`) and `(1, 0)` (= `b`).
    ///
    /// Refused: input length below 2, wrong lengths or non-finite values,
    /// `a == b`, `pad < 0` or non-finite, and points so far apart that
    /// `|b − a|` overflows f64.
    ///
    /// ```
    /// use rug::Rational;
    /// use splinecam::domain::Slice;
    /// let (a, b) = ([0.0, 0.0, 1.0], [1.0, 1.0, 1.0]);
    /// let s = Slice::through_two(&[3], &a, &b, 0.25, 1).unwrap();
    /// let one = Rational::from(1);
    /// assert_eq!(s.point_exact(&one, &Rational::new()), vec![1, 1, 1]);
    /// assert!(Slice::through_two(&[3], &a, &a, 0.25, 1).is_err());
    /// ```
    pub fn through_two(
        input_shape: &[usize],
        a: &[f64],
        b: &[f64],
        pad: f64,
        seed: u64,
    ) -> Result<Slice, SliceError> {
        let n = input_len_of(input_shape)?;
        need_two_inputs(input_shape, n)?;
        let qa = input_vector("a", a, input_shape, n)?;
        let qb = input_vector("b", b, input_shape, n)?;
        let p = scalar("pad", pad, false)?;
        let e1 = sub(&qb, &qa);
        // Scale by the largest |entry| so the f64 direction cannot overflow.
        let Some(m) = e1.iter().map(|x| Rational::from(x.abs_ref())).max() else {
            return Err(SliceError::Degenerate("a and b are empty".into()));
        };
        if m.cmp0().is_eq() {
            return Err(SliceError::Degenerate(
                "a and b are the same point; give two distinct points".into(),
            ));
        }
        let mut d1: Vec<f64> = e1.iter().map(|x| Rational::from(x / &m).to_f64()).collect();
        let d1_len = norm_f64(&d1);
        d1.iter_mut().for_each(|x| *x /= d1_len);
        let len = m.to_f64() * d1_len;
        if !(len.is_finite() && len > 0.0 && d1_len.is_finite() && d1_len > 0.0) {
            return Err(SliceError::Degenerate(format!(
                "|b − a| = {len} cannot be represented in f64; give points closer together"
            )));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..MAX_DRAWS {
            let Some(mut d2) = random_unit(&mut rng, n, &[&d1]) else {
                continue;
            };
            d2.iter_mut().for_each(|x| *x *= len);
            let Some(e2) = exact_vec(&d2) else {
                continue;
            };
            if independence(&e1, &e2).is_err() {
                continue;
            }
            let half = Rational::from((1, 2)) + &p;
            let polygon = rectangle(
                Rational::from(-&p),
                Rational::from(&p + 1u32),
                Rational::from(-&half),
                half,
            );
            let anchors = vec![origin_anchor(), (Rational::from(1), Rational::new())];
            return Slice::assemble(input_shape, qa, e1, e2, polygon, anchors);
        }
        Err(SliceError::Degenerate(format!(
            "no random direction independent of b − a after {MAX_DRAWS} draws with seed {seed}; \
             try another seed"
        )))
    }

    /// The same plane (exactly: origin and directions unchanged) on another
    /// convex polygon of slice coordinates, e.g. a small window of the plane
    /// through three samples. The anchors are kept (they are only drawn).
    ///
    /// Refused: a polygon that is not strictly convex, has fewer than three
    /// corners or non-finite coordinates.
    ///
    /// ```
    /// use splinecam::domain::Slice;
    /// let s = Slice::through_points(&[3], &[0.0, 0.0, 1.0], &[1.0, 0.0, 1.0], &[0.0, 1.0, 1.0], 0.0).unwrap();
    /// let w = s.with_polygon(&[[0.0, 0.0], [0.25, 0.0], [0.25, 0.25], [0.0, 0.25]]).unwrap();
    /// assert_eq!(w.area_exact(), rug::Rational::from((1, 16)));
    /// assert_eq!(w.e1(), s.e1());
    /// assert!(s.with_polygon(&[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]).is_err());
    /// ```
    pub fn with_polygon(&self, polygon: &[[f64; 2]]) -> Result<Slice, SliceError> {
        let mut corners = Vec::with_capacity(polygon.len());
        for (k, c) in polygon.iter().enumerate() {
            let u = finite(|| format!("polygon corner {k} u"), c[0])?;
            let v = finite(|| format!("polygon corner {k} v"), c[1])?;
            corners.push((u, v));
        }
        let polygon = checked_polygon(corners)?;
        within_extent(&polygon, (&self.origin, &self.e1, &self.e2))?;
        // The same plane: everything but the polygon is shared.
        Ok(Slice {
            polygon: polygon.into(),
            meshes: Arc::default(),
            ..self.clone()
        })
    }

    /// The network's input shape.
    ///
    /// ```
    /// use splinecam::domain::Slice;
    /// let s = Slice::square_box(&[1, 2], [0.0, 1.0, 0.0, 1.0]).unwrap();
    /// assert_eq!(s.input_shape(), &[1, 2]);
    /// ```
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// The number of inputs: the product of the input shape, and the length
    /// of `origin`, `e1` and `e2`.
    pub fn input_len(&self) -> usize {
        self.input_len
    }

    /// The origin `o` (exact).
    pub fn origin(&self) -> &[Rational] {
        &self.origin
    }

    /// The first direction `e1` (exact).
    pub fn e1(&self) -> &[Rational] {
        &self.e1
    }

    /// The second direction `e2` (exact).
    pub fn e2(&self) -> &[Rational] {
        &self.e2
    }

    /// The corners of the polygon `P` (exact, counter-clockwise, strictly
    /// convex).
    pub fn polygon(&self) -> &[(Rational, Rational)] {
        &self.polygon
    }

    /// The corners of `P` rounded to f64 (for pictures).
    pub fn polygon_f64(&self) -> Vec<[f64; 2]> {
        self.polygon
            .iter()
            .map(|(u, v)| [u.to_f64(), v.to_f64()])
            .collect()
    }

    /// The slice coordinates of the samples the slice goes through (for
    /// marking in pictures); empty when there are none.
    ///
    /// ```
    /// use splinecam::domain::Slice;
    /// let s = Slice::through_two(&[2], &[0.0, 0.0], &[1.0, 0.0], 0.1, 3).unwrap();
    /// assert_eq!(s.anchors().len(), 2);
    /// ```
    pub fn anchors(&self) -> &[(Rational, Rational)] {
        &self.anchors
    }

    /// The input-space point `o + u·e1 + v·e2`, exactly.
    ///
    /// ```
    /// use rug::Rational;
    /// use splinecam::domain::Slice;
    /// let s = Slice::through_points(&[2], &[0.1, 0.0], &[0.2, 0.0], &[0.1, 0.3], 0.0).unwrap();
    /// let x = s.point_exact(&Rational::from(1), &Rational::from(0));
    /// assert_eq!(x, vec![Rational::from_f64(0.2).unwrap(), Rational::new()]);
    /// ```
    pub fn point_exact(&self, u: &Rational, v: &Rational) -> Vec<Rational> {
        self.origin
            .iter()
            .zip(self.e1.iter())
            .zip(self.e2.iter())
            .map(|((o, a), b)| Rational::from(a * u) + Rational::from(b * v) + o)
            .collect()
    }

    /// The input-space point `o + u·e1 + v·e2` in f64 (rounded; for sampling
    /// and pictures, never for decisions).
    pub fn point_f64(&self, u: f64, v: f64) -> Vec<f64> {
        self.origin_f64
            .iter()
            .zip(self.e1_f64.iter())
            .zip(self.e2_f64.iter())
            .map(|((o, a), b)| o + a * u + b * v)
            .collect()
    }

    /// The Gram matrix `G[i][j] = e_i · e_j`, exactly. A slice length `|w|`
    /// is `sqrt(wᵀ G w)` in input-space units, and a slice area is
    /// multiplied by `sqrt(det G)`.
    ///
    /// ```
    /// use splinecam::domain::Slice;
    /// let s = Slice::explicit(&[2], &[0.0, 0.0], &[2.0, 0.0], &[1.0, 1.0], &[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]).unwrap();
    /// let g = s.gram_exact();
    /// assert_eq!((g[0][0].clone(), g[0][1].clone(), g[1][1].clone()), (4.into(), 2.into(), 2.into()));
    /// ```
    pub fn gram_exact(&self) -> [[Rational; 2]; 2] {
        let a = dot_exact(&self.e1, &self.e1);
        let b = dot_exact(&self.e1, &self.e2);
        let d = dot_exact(&self.e2, &self.e2);
        [[a, b.clone()], [b, d]]
    }

    /// [`Slice::gram_exact`] rounded to f64.
    pub fn gram_f64(&self) -> [[f64; 2]; 2] {
        let g = self.gram_exact();
        [
            [g[0][0].to_f64(), g[0][1].to_f64()],
            [g[1][0].to_f64(), g[1][1].to_f64()],
        ]
    }

    /// The area of `P` in slice units, exactly (multiply by
    /// `sqrt(det G)` for input-space units, see [`Slice::gram_exact`]).
    pub fn area_exact(&self) -> Rational {
        twice_signed_area(&self.polygon) / 2u32
    }

    /// The f64 input affine form of the slice (coefficients of `u`, `v` and
    /// constants per input), with rounding-error bounds; the bounds are zero
    /// wherever the exact value is an f64, so a slice made of floats has an
    /// error-free form.
    ///
    /// ```
    /// use splinecam::domain::Slice;
    /// let s = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    /// let f = s.input_form_f64();
    /// assert_eq!(f.u(), vec![1.0, 0.0]);
    /// assert!(f.errors().iter().all(|e| e.iter().all(|&e| e == 0.0)));
    /// ```
    pub fn input_form_f64(&self) -> AffineForm {
        // Exactly representable entries get a zero error bound
        // (`approx_with_error`), so slices of exact floats give exact forms.
        (*self.input_f64).clone()
    }

    /// The exact input affine form of the slice.
    ///
    /// ```
    /// use rug::Rational;
    /// use splinecam::domain::Slice;
    /// let s = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    /// let f = s.input_form_exact();
    /// assert_eq!(f.eval(&Rational::from(3), &Rational::from(4)), vec![3, 4]);
    /// ```
    pub fn input_form_exact(&self) -> ExactAffineForm {
        (*self.input_exact).clone()
    }

    /// [`Slice::input_form_f64`] and [`Slice::input_form_exact`], shared
    /// (made once, when the slice was).
    pub(crate) fn input_forms(&self) -> (Arc<AffineForm>, Arc<ExactAffineForm>) {
        (Arc::clone(&self.input_f64), Arc::clone(&self.input_exact))
    }

    /// What makes the double-double input form (from the exact one) when
    /// first called, shared by clones of the slice and by every partition
    /// of it: the form is made once, and only if a partition reads it.
    pub(crate) fn input_dd(&self) -> impl FnOnce() -> Arc<DdAffineForm> + Send + 'static {
        let (cell, exact) = (Arc::clone(&self.input_dd), Arc::clone(&self.input_exact));
        move || Arc::clone(cell.get_or_init(|| Arc::new(DdAffineForm::from_exact(&exact))))
    }

    /// The initial mesh: one face, the polygon `P` (made once per kernel,
    /// shared by clones of the slice, and copied).
    ///
    /// ```
    /// use splinecam::{domain::Slice, exact::Kernel};
    /// let s = Slice::square_box(&[2], [0.0, 1.0, 0.0, 1.0]).unwrap();
    /// let m = s.mesh(Kernel::Filtered).unwrap();
    /// assert_eq!(m.total_area_exact(), s.area_exact());
    /// ```
    pub fn mesh(&self, kernel: Kernel) -> Result<Mesh, SliceError> {
        let cell = &self.meshes[match kernel {
            Kernel::Filtered => 0,
            Kernel::Rational => 1,
        }];
        if let Some(m) = cell.get() {
            return Ok(m.clone());
        }
        let m = Mesh::from_convex_polygon_exact(&self.polygon, kernel)?;
        Ok(cell.get_or_init(|| m).clone())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rug::Rational;

    use super::Slice;
    use crate::exact::Kernel;
    use crate::mesh::Mesh;
    use crate::net::{AffineForm, ExactAffineForm};

    /// A slice of a 3-input network whose vectors are not all floats.
    fn plane() -> Slice {
        Slice::through_points(
            &[3],
            &[0.1, 0.2, 0.3],
            &[0.7, -0.2, 0.3],
            &[0.1, 0.9, -0.4],
            0.5,
        )
        .unwrap()
    }

    /// The forms made once with the slice are the ones its vectors define
    /// (non-dyadic entries, so the f64 form has bounds), clones share them,
    /// and a clone or a slice with the same polygon compares equal.
    #[test]
    fn input_forms_are_made_once_and_shared() {
        let s = plane();
        let (f, e) = s.input_forms();
        let want_f = AffineForm::input_rational(s.origin(), s.e1(), s.e2()).unwrap();
        let want_e = ExactAffineForm::input_rational(s.origin(), s.e1(), s.e2()).unwrap();
        assert_eq!(*e, want_e);
        for (a, b) in [
            (f.u(), want_f.u()),
            (f.v(), want_f.v()),
            (f.c(), want_f.c()),
        ] {
            assert_eq!(a, b);
        }
        for (a, b) in [
            (f.err_u(), want_f.err_u()),
            (f.err_v(), want_f.err_v()),
            (f.err_c(), want_f.err_c()),
        ] {
            assert_eq!(a, b);
        }
        assert!(
            [f.err_u(), f.err_v(), f.err_c()]
                .concat()
                .iter()
                .any(|&x| x > 0.0),
            "some entry of the plane is not a float: {f:?}"
        );
        // The exact form at (u, v) is the slice's exact point.
        let (u, v) = (Rational::from((1, 3)), Rational::from(-2));
        assert_eq!(e.eval(&u, &v), s.point_exact(&u, &v));
        let c = s.clone();
        assert!(Arc::ptr_eq(&c.input_forms().0, &f) && Arc::ptr_eq(&c.input_forms().1, &e));
        assert_eq!(c, s);
        let corners = s.polygon_f64();
        let same = s.with_polygon(&corners).unwrap();
        assert_eq!(same.polygon() == s.polygon(), same == s);
        let other = s
            .with_polygon(&[[0.0, 0.0], [0.1, 0.0], [0.0, 0.1]])
            .unwrap();
        assert_ne!(other, s);
        assert!(
            Arc::ptr_eq(&other.input_forms().1, &e),
            "same plane, same forms"
        );
        assert!(Arc::ptr_eq(&other.input_forms().0, &f));
    }

    /// The initial mesh is made once per kernel and shared by clones; each
    /// copy is the polygon's own mesh (valid, the slice's area, the same
    /// vertices as a fresh build); a slice with another polygon makes its
    /// own.
    #[test]
    fn initial_meshes_are_made_once_per_kernel() {
        let s = Slice::square_box(&[2], [-1.0, 0.5, 0.25, 2.0]).unwrap();
        let c = s.clone();
        for (i, kernel) in [Kernel::Filtered, Kernel::Rational].into_iter().enumerate() {
            assert!(s.meshes[i].get().is_none());
            let first = s.mesh(kernel).unwrap();
            assert!(c.meshes[i].get().is_some(), "clones share the cache");
            let again = c.mesh(kernel).unwrap();
            let fresh = Mesh::from_convex_polygon_exact(s.polygon(), kernel).unwrap();
            for m in [&first, &again] {
                m.validate().unwrap();
                assert_eq!(m.kernel(), kernel);
                assert_eq!(m.total_area_exact(), s.area_exact());
                assert_eq!(m.vertices_exact().unwrap(), fresh.vertices_exact().unwrap());
            }
        }
        let other = s
            .with_polygon(&[[0.0, 0.5], [0.5, 0.5], [0.0, 1.0]])
            .unwrap();
        assert!(other.meshes[0].get().is_none(), "a new polygon, a new mesh");
        assert_eq!(
            other.mesh(Kernel::Filtered).unwrap().total_area_exact(),
            other.area_exact()
        );
    }

    /// The double-double input form is made on first use only (a partition
    /// that needs no double-double pass leaves it unmade), then once for
    /// the slice and its clones, and it is the rounding of the exact form.
    #[test]
    fn dd_input_form_is_made_on_first_use_and_shared() {
        use crate::net::dd::DdAffineForm;
        use crate::net::json;
        use crate::partition::{Options, Partition};
        let s = plane();
        let net = json::from_str(
            r#"{"format": "splinecam-model", "version": 1, "input_shape": [3], "ops": [
            {"op": "dense", "name": "a", "weight": [[1, -0.5, 2], [0.25, 2, -1]], "bias": [0.5, -0.25]},
            {"op": "relu", "name": "r"},
            {"op": "dense", "name": "b", "weight": [[1, -1]], "bias": [0.125]}]}"#,
        )
        .unwrap();
        let p = Partition::compute(&net, &s, &Options::default()).unwrap();
        assert!(p.num_regions() > 1, "the lines cross the slice");
        assert_eq!(p.stats().dd_tightened, 0);
        assert!(s.input_dd.get().is_none(), "made without a use");
        let c = s.clone();
        let a = (c.input_dd())();
        assert!(s.input_dd.get().is_some(), "clones share the form");
        let b = (s.input_dd())();
        assert!(Arc::ptr_eq(&a, &b), "made once");
        assert_eq!(*a, DdAffineForm::from_exact(&s.input_form_exact()));
    }
}
