//! The one place where signs are decided.
//!
//! Every predicate returns a [`Sign`], never a float. The filtered kernel
//! tries, in order:
//!
//! 1. an `f64` evaluation with a rigorous error bound (it decides when the
//!    value is farther from zero than the bound);
//! 2. when all coefficients are exact floats in a safe exponent range,
//!    Shewchuk's adaptive-precision predicates (`robust` crate), exact for
//!    such inputs;
//! 3. exact integer arithmetic (`rug`) on the exact lines.
//!
//! The rational kernel ([`Kernel::Rational`]) always takes step 3 and is the
//! reference the tests compare the filtered kernel with. [`PredicateStats`]
//! counts which step decided each call.
//!
//! ## The geometry
//!
//! A vertex of the subdivision is the crossing `p = l1 ∩ l2` of two lines
//! `li = (ai, bi, ci)`. By Cramer's rule `p = (b1c2 − b2c1, c1a2 − c2a1) / D`
//! with `D = det2(l1, l2) = a1b2 − a2b1 ≠ 0`, and for any third line
//!
//! ```text
//! l3(p) · D = det3 | a1 b1 c1 |
//!                  | a2 b2 c2 |
//!                  | a3 b3 c3 |
//! ```
//!
//! so `sign(l3(p)) = sign(det3) · sign(D)`: two determinants of exact inputs,
//! no division, no rounded vertex coordinates.
//!
//! ## The error bound (filter, step 1)
//!
//! Let `L̂` be the approximate rows and `E` the error bounds, so the exact rows
//! are `L = L̂ + Δ` with `|Δ| <= E` elementwise. Write `perm(M)` for the
//! permanent (the determinant's expansion with every term's absolute value).
//!
//! - Perturbation: `|det(L) − det(L̂)| <= perm(|L̂| + E) − perm(|L̂|)`, because
//!   each product `xyz` of the expansion moves by at most
//!   `(|x|+ex)(|y|+ey)(|z|+ez) − |x||y||z|`. We evaluate that difference as
//!   the sum of nonnegative terms `ex(|y|+ey)(|z|+ez) + |x|ey(|z|+ez) + |x||y|ez`,
//!   so it has no cancellation.
//! - Rounding: evaluating the 3×3 expansion as `a1(b2c3 − b3c2) − …` in `f64`
//!   commits at most 5 roundings on any path, so
//!   `|fl(det(L̂)) − det(L̂)| <= γ5 · perm(|L̂|)`, `γk = ku / (1 − ku)`,
//!   `u = 2^-53` (Higham, *Accuracy and Stability of Numerical Algorithms*,
//!   §3.1), provided no product underflows.
//! - The bound itself is computed in `f64` from nonnegative terms with at
//!   most 8 roundings each, all of relative size `<= u`; multiplying the
//!   computed bound by `1 + 64u` covers them.
//! - Underflow: the filter runs only when every nonzero coefficient lies in
//!   `[2^-200, 2^200]` and every error bound is `<= 2^200` (nonzero error
//!   bounds below `2^-200` are raised to `2^-200`, which only loosens the
//!   bound). Then every product of two or three nonzero factors is
//!   `>= 2^-600` and cannot underflow; the only product that may underflow is
//!   a coefficient times a 2×2 minor that cancelled to a tiny value, with an
//!   absolute error `<= 2^-1074` each, covered by adding `2^-1000`. Overflow
//!   cannot happen in that range. Sums and differences of floats never
//!   underflow inexactly (gradual underflow).
//!
//! If `|fl(det)| > bound`, the exact determinant has the sign of `fl(det)`.

use rug::Integer;

use super::line::Line;

/// The sign of an exact quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sign {
    /// Strictly negative.
    Negative,
    /// Exactly zero.
    Zero,
    /// Strictly positive.
    Positive,
}

impl Sign {
    /// The sign of an exact integer.
    pub fn of_integer(x: &Integer) -> Sign {
        match x.cmp0() {
            std::cmp::Ordering::Less => Sign::Negative,
            std::cmp::Ordering::Equal => Sign::Zero,
            std::cmp::Ordering::Greater => Sign::Positive,
        }
    }

    /// The sign of an `f64` whose value is known to be exact (or whose sign
    /// is known to be right), e.g. a result of `robust`.
    pub fn of_exact_f64(x: f64) -> Sign {
        if x > 0.0 {
            Sign::Positive
        } else if x < 0.0 {
            Sign::Negative
        } else {
            Sign::Zero
        }
    }

    /// `-1`, `0` or `1`.
    #[inline]
    pub fn as_i8(self) -> i8 {
        match self {
            Sign::Negative => -1,
            Sign::Zero => 0,
            Sign::Positive => 1,
        }
    }
}

impl std::ops::Mul for Sign {
    type Output = Sign;

    /// The sign of a product.
    #[inline]
    fn mul(self, other: Sign) -> Sign {
        match (self, other) {
            (Sign::Zero, _) | (_, Sign::Zero) => Sign::Zero,
            (a, b) if a == b => Sign::Positive,
            _ => Sign::Negative,
        }
    }
}

impl std::ops::Neg for Sign {
    type Output = Sign;

    /// The opposite sign.
    #[inline]
    fn neg(self) -> Sign {
        match self {
            Sign::Negative => Sign::Positive,
            Sign::Zero => Sign::Zero,
            Sign::Positive => Sign::Negative,
        }
    }
}

/// Which arithmetic decides signs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// `f64` filter with a rigorous bound, then `robust`, then exact
    /// integers. Production.
    #[default]
    Filtered,
    /// Exact integers only. Reference and test oracle.
    Rational,
}

/// How many sign decisions each stage of the kernel made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PredicateStats {
    /// Decided by the `f64` filter.
    pub filtered: u64,
    /// Decided by `robust`'s adaptive predicates on exact floats.
    pub adaptive: u64,
    /// Decided by exact integer arithmetic (the fallback).
    pub exact: u64,
}

impl PredicateStats {
    /// All decisions.
    pub fn total(&self) -> u64 {
        self.filtered + self.adaptive + self.exact
    }

    /// The share of decisions that needed more than the `f64` filter.
    pub fn fallback_rate(&self) -> f64 {
        let t = self.total();
        if t == 0 {
            0.0
        } else {
            (self.adaptive + self.exact) as f64 / t as f64
        }
    }

    /// Adds another tally to this one.
    pub fn merge(&mut self, other: &PredicateStats) {
        self.filtered += other.filtered;
        self.adaptive += other.adaptive;
        self.exact += other.exact;
    }
}

const U: f64 = f64::EPSILON / 2.0; // 2^-53
const SAFE_MIN: f64 = 7.458340731200207e-61; // 2^-200
const SAFE_MAX: f64 = 1.6069380442589903e60; // 2^200
const ABS_SLACK: f64 = 9.332636185032189e-302; // 2^-1000
/// Range in which `robust`'s expansions neither overflow nor underflow for
/// products of three coefficients.
const ROBUST_MIN: f64 = 5.527147875260445e-76; // 2^-250
const ROBUST_MAX: f64 = 1.809251394333066e75; // 2^250

#[inline]
fn in_range(x: f64, lo: f64, hi: f64) -> bool {
    let a = x.abs();
    a == 0.0 || (lo..=hi).contains(&a)
}

#[inline]
fn filter_ok(l: &Line) -> bool {
    let a = l.approx();
    let e = l.err();
    a.iter().all(|&x| in_range(x, SAFE_MIN, SAFE_MAX)) && e.iter().all(|&x| x <= SAFE_MAX)
}

#[inline]
fn robust_ok(l: &Line) -> bool {
    l.is_exact_f64()
        && l.approx()
            .iter()
            .all(|&x| in_range(x, ROBUST_MIN, ROBUST_MAX))
}

#[inline]
fn raise(e: f64) -> f64 {
    if e > 0.0 && e < SAFE_MIN {
        SAFE_MIN
    } else {
        e
    }
}

#[inline]
fn gamma(k: f64) -> f64 {
    k * U / (1.0 - k * U)
}

/// `f64` value of `det2` and a rigorous bound on its distance to the exact
/// `det2` of the exact lines. Requires [`filter_ok`] on both lines.
#[inline]
fn det2_filter(l1: &Line, l2: &Line) -> (f64, f64) {
    let [a1, b1, _] = l1.approx();
    let [a2, b2, _] = l2.approx();
    let [ea1, eb1, _] = l1.err().map(raise);
    let [ea2, eb2, _] = l2.err().map(raise);
    let d = a1 * b2 - a2 * b1;
    let (xa1, xb1, xa2, xb2) = (a1.abs(), b1.abs(), a2.abs(), b2.abs());
    let perm = xa1 * xb2 + xa2 * xb1;
    let pert = ea1 * (xb2 + eb2) + xa1 * eb2 + ea2 * (xb1 + eb1) + xa2 * eb1;
    let bound = (gamma(2.0) * perm + pert) * (1.0 + 64.0 * U) + ABS_SLACK;
    (d, bound)
}

/// `f64` value of `det3` and a rigorous bound (see the module docs).
/// Requires [`filter_ok`] on all three lines.
#[inline]
fn det3_filter(l1: &Line, l2: &Line, l3: &Line) -> (f64, f64) {
    let [a1, b1, c1] = l1.approx();
    let [a2, b2, c2] = l2.approx();
    let [a3, b3, c3] = l3.approx();
    let d = a1 * (b2 * c3 - b3 * c2) - b1 * (a2 * c3 - a3 * c2) + c1 * (a2 * b3 - a3 * b2);

    let x = [
        l1.approx().map(f64::abs),
        l2.approx().map(f64::abs),
        l3.approx().map(f64::abs),
    ];
    let e = [
        l1.err().map(raise),
        l2.err().map(raise),
        l3.err().map(raise),
    ];
    // The six permutations (columns of rows 0, 1, 2).
    const P: [[usize; 3]; 6] = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let mut perm = 0.0;
    let mut pert = 0.0;
    for p in P {
        let (x0, x1, x2) = (x[0][p[0]], x[1][p[1]], x[2][p[2]]);
        let (e0, e1, e2) = (e[0][p[0]], e[1][p[1]], e[2][p[2]]);
        perm += x0 * x1 * x2;
        pert += e0 * (x1 + e1) * (x2 + e2) + x0 * e1 * (x2 + e2) + x0 * x1 * e2;
    }
    let bound = (gamma(5.0) * perm + pert) * (1.0 + 64.0 * U) + ABS_SLACK;
    (d, bound)
}

/// Exact `det2` of the exact lines.
fn det2_exact(l1: &Line, l2: &Line) -> Integer {
    let [a1, b1, _] = &l1.exact().coef;
    let [a2, b2, _] = &l2.exact().coef;
    Integer::from(a1 * b2) - Integer::from(a2 * b1)
}

/// Exact `det3` of the exact lines.
fn det3_exact(l1: &Line, l2: &Line, l3: &Line) -> Integer {
    let [a1, b1, c1] = &l1.exact().coef;
    let [a2, b2, c2] = &l2.exact().coef;
    let [a3, b3, c3] = &l3.exact().coef;
    let m1 = Integer::from(b2 * c3) - Integer::from(b3 * c2);
    let m2 = Integer::from(a2 * c3) - Integer::from(a3 * c2);
    let m3 = Integer::from(a2 * b3) - Integer::from(a3 * b2);
    Integer::from(a1 * &m1) - Integer::from(b1 * &m2) + Integer::from(c1 * &m3)
}

/// The sign of `det2(l1, l2) = a1·b2 − a2·b1` of the exact lines: zero iff
/// the lines are parallel (or one is degenerate); otherwise it orients their
/// crossing (see [`side_of_crossing`]).
pub fn det2_sign(kernel: Kernel, l1: &Line, l2: &Line, stats: &mut PredicateStats) -> Sign {
    if kernel == Kernel::Filtered {
        if filter_ok(l1) && filter_ok(l2) {
            let (d, bound) = det2_filter(l1, l2);
            if d.abs() > bound {
                stats.filtered += 1;
                return Sign::of_exact_f64(d);
            }
        }
        if robust_ok(l1) && robust_ok(l2) {
            let [a1, b1, _] = l1.approx();
            let [a2, b2, _] = l2.approx();
            let o = robust::orient2d(
                robust::Coord { x: a1, y: b1 },
                robust::Coord { x: a2, y: b2 },
                robust::Coord { x: 0.0, y: 0.0 },
            );
            stats.adaptive += 1;
            return Sign::of_exact_f64(o);
        }
    }
    stats.exact += 1;
    Sign::of_integer(&det2_exact(l1, l2))
}

/// The sign of the 3×3 determinant of the exact lines (rows `l1, l2, l3`).
pub fn det3_sign(
    kernel: Kernel,
    l1: &Line,
    l2: &Line,
    l3: &Line,
    stats: &mut PredicateStats,
) -> Sign {
    if kernel == Kernel::Filtered {
        if filter_ok(l1) && filter_ok(l2) && filter_ok(l3) {
            let (d, bound) = det3_filter(l1, l2, l3);
            if d.abs() > bound {
                stats.filtered += 1;
                return Sign::of_exact_f64(d);
            }
        }
        if robust_ok(l1) && robust_ok(l2) && robust_ok(l3) {
            let c = |l: &Line| {
                let [a, b, c] = l.approx();
                robust::Coord3D { x: a, y: b, z: c }
            };
            let o = robust::orient3d(
                c(l1),
                c(l2),
                c(l3),
                robust::Coord3D {
                    x: 0.0,
                    y: 0.0,
                    z: 0.0,
                },
            );
            stats.adaptive += 1;
            // robust::orient3d(a, b, c, 0) = det[a; b; c] (Shewchuk's
            // convention: positive when the origin lies below the plane
            // through a, b, c; checked by a test against the exact path).
            return Sign::of_exact_f64(o);
        }
    }
    stats.exact += 1;
    Sign::of_integer(&det3_exact(l1, l2, l3))
}

/// The side of line `l3` on which the crossing of `l1` and `l2` lies: the
/// sign of `a3·x + b3·y + c3` at `p = l1 ∩ l2`, exactly.
///
/// `d2` is `det2_sign(l1, l2)`, which callers cache per vertex; it must not
/// be [`Sign::Zero`] (parallel lines have no crossing).
///
/// ```
/// use splinecam::exact::{predicates::{det2_sign, side_of_crossing}, Kernel, Line, PredicateStats, Sign};
/// let mut st = PredicateStats::default();
/// let x_axis = Line::from_f64(0.0, 1.0, 0.0).unwrap(); // v = 0
/// let y_axis = Line::from_f64(1.0, 0.0, 0.0).unwrap(); // u = 0
/// let diag = Line::from_f64(1.0, 1.0, -1.0).unwrap(); // u + v = 1
/// let d2 = det2_sign(Kernel::Filtered, &x_axis, &y_axis, &mut st);
/// // The origin lies on the negative side of u + v - 1.
/// assert_eq!(side_of_crossing(Kernel::Filtered, &x_axis, &y_axis, d2, &diag, &mut st), Sign::Negative);
/// // A line through the origin gives zero.
/// let through = Line::from_f64(3.0, -7.0, 0.0).unwrap();
/// assert_eq!(side_of_crossing(Kernel::Filtered, &x_axis, &y_axis, d2, &through, &mut st), Sign::Zero);
/// ```
pub fn side_of_crossing(
    kernel: Kernel,
    l1: &Line,
    l2: &Line,
    d2: Sign,
    l3: &Line,
    stats: &mut PredicateStats,
) -> Sign {
    debug_assert_ne!(
        d2,
        Sign::Zero,
        "a vertex is a crossing of non-parallel lines"
    );
    det3_sign(kernel, l1, l2, l3, stats) * d2
}

/// Orientation of three plain `f64` points (exact, by `robust::orient2d`):
/// positive when `p, q, r` turn counter-clockwise.
///
/// ```
/// use splinecam::exact::{predicates::orient2d_points, Sign};
/// assert_eq!(orient2d_points([0.0, 0.0], [1.0, 0.0], [0.0, 1.0]), Sign::Positive);
/// assert_eq!(orient2d_points([0.0, 0.0], [1.0, 1.0], [2.0, 2.0]), Sign::Zero);
/// ```
pub fn orient2d_points(p: [f64; 2], q: [f64; 2], r: [f64; 2]) -> Sign {
    let ok = p
        .iter()
        .chain(&q)
        .chain(&r)
        .all(|x| in_range(*x, ROBUST_MIN, ROBUST_MAX));
    if ok {
        let c = |p: [f64; 2]| robust::Coord { x: p[0], y: p[1] };
        return Sign::of_exact_f64(robust::orient2d(c(p), c(q), c(r)));
    }
    // Extreme exponents: exact rationals.
    let r2 = |x: f64| rug::Rational::from_f64(x).unwrap_or_default();
    let (px, py, qx, qy, rx, ry) = (r2(p[0]), r2(p[1]), r2(q[0]), r2(q[1]), r2(r[0]), r2(r[1]));
    let det = rug::Rational::from(&qx - &px) * rug::Rational::from(&ry - &py)
        - rug::Rational::from(&qy - &py) * rug::Rational::from(&rx - &px);
    match det.cmp0() {
        std::cmp::Ordering::Less => Sign::Negative,
        std::cmp::Ordering::Equal => Sign::Zero,
        std::cmp::Ordering::Greater => Sign::Positive,
    }
}

/// The exact crossing point of two non-parallel lines, `None` if parallel.
pub fn crossing_exact(l1: &Line, l2: &Line) -> Option<(rug::Rational, rug::Rational)> {
    let [a1, b1, c1] = &l1.exact().coef;
    let [a2, b2, c2] = &l2.exact().coef;
    let d = Integer::from(a1 * b2) - Integer::from(a2 * b1);
    if d == 0 {
        return None;
    }
    let nx = Integer::from(b1 * c2) - Integer::from(b2 * c1);
    let ny = Integer::from(c1 * a2) - Integer::from(c2 * a1);
    Some((
        rug::Rational::from((nx, d.clone())),
        rug::Rational::from((ny, d)),
    ))
}

/// An `f64` approximation of the crossing point, for drawing only (never fed
/// back into a predicate).
pub fn crossing_approx(l1: &Line, l2: &Line) -> [f64; 2] {
    let [a1, b1, c1] = l1.approx();
    let [a2, b2, c2] = l2.approx();
    let d = a1 * b2 - a2 * b1;
    [(b1 * c2 - b2 * c1) / d, (c1 * a2 - c2 * a1) / d]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rug::Rational;

    fn st() -> PredicateStats {
        PredicateStats::default()
    }

    #[test]
    fn orient3d_convention_matches_exact_determinant() {
        let l1 = Line::from_f64(1.0, 0.0, 0.0).unwrap();
        let l2 = Line::from_f64(0.0, 1.0, 0.0).unwrap();
        let l3 = Line::from_f64(0.0, 0.0, 1.0).unwrap();
        // det(I) = 1: check the robust path (filter bypassed by Rational? no:
        // call robust directly through lines of exact floats in range).
        let mut s = st();
        assert_eq!(
            det3_sign(Kernel::Rational, &l1, &l2, &l3, &mut s),
            Sign::Positive
        );
        assert_eq!(
            det3_sign(Kernel::Filtered, &l1, &l2, &l3, &mut s),
            Sign::Positive
        );
        // A near-singular matrix that the filter cannot decide, so robust runs.
        let e = f64::EPSILON;
        let m1 = Line::from_f64(1.0, 1.0, 1.0).unwrap();
        let m2 = Line::from_f64(1.0, 1.0 + e, 1.0).unwrap();
        let m3 = Line::from_f64(1.0, 1.0, 1.0 + e).unwrap();
        let mut s = st();
        let f = det3_sign(Kernel::Filtered, &m1, &m2, &m3, &mut s);
        assert_eq!(s.adaptive, 1, "{s:?}");
        assert_eq!(f, det3_sign(Kernel::Rational, &m1, &m2, &m3, &mut st()));
        assert_eq!(f, Sign::Positive); // det = e^2
    }

    #[test]
    fn side_of_crossing_degenerate_cases() {
        let mut s = st();
        let k = Kernel::Filtered;
        // Vertex (1, 1) as crossing of u = 1 and v = 1.
        let l1 = Line::from_f64(1.0, 0.0, -1.0).unwrap();
        let l2 = Line::from_f64(0.0, 1.0, -1.0).unwrap();
        let d2 = det2_sign(k, &l1, &l2, &mut s);
        // A line through the vertex.
        let through = Line::from_f64(1.0, -1.0, 0.0).unwrap();
        assert_eq!(
            side_of_crossing(k, &l1, &l2, d2, &through, &mut s),
            Sign::Zero
        );
        // The same line again (duplicated neuron) and a scaled copy.
        let scaled = Line::from_f64(-2.0, 0.0, 2.0).unwrap();
        assert_eq!(
            side_of_crossing(k, &l1, &l2, d2, &scaled, &mut s),
            Sign::Zero
        );
        assert_eq!(side_of_crossing(k, &l1, &l2, d2, &l1, &mut s), Sign::Zero);
        // Parallel lines have det2 = 0.
        let par = Line::from_f64(2.0, 0.0, 5.0).unwrap();
        assert_eq!(det2_sign(k, &l1, &par, &mut s), Sign::Zero);
        // Zero line: zero everywhere. Constant line: its constant's sign.
        let zero = Line::from_f64(0.0, 0.0, 0.0).unwrap();
        assert_eq!(side_of_crossing(k, &l1, &l2, d2, &zero, &mut s), Sign::Zero);
        let neg = Line::from_f64(0.0, 0.0, -3.0).unwrap();
        assert_eq!(
            side_of_crossing(k, &l1, &l2, d2, &neg, &mut s),
            Sign::Negative
        );
        // Swapping the two lines of the vertex changes nothing.
        let d2s = det2_sign(k, &l2, &l1, &mut s);
        let q = Line::from_f64(1.0, 1.0, -1.5).unwrap();
        assert_eq!(
            side_of_crossing(k, &l1, &l2, d2, &q, &mut s),
            side_of_crossing(k, &l2, &l1, d2s, &q, &mut s)
        );
        assert_eq!(
            side_of_crossing(k, &l1, &l2, d2, &q, &mut s),
            Sign::Positive
        );
    }

    #[test]
    fn rational_lines_near_a_vertex() {
        // Lines with non-representable coefficients through (1/3, 1/7).
        let x = Rational::from((1, 3));
        let y = Rational::from((1, 7));
        let mk = |a: i64, b: i64| {
            let c = -(Rational::from(a) * &x + Rational::from(b) * &y);
            Line::from_rationals([Rational::from(a), Rational::from(b), c])
        };
        let (l1, l2, l3) = (mk(1, 2), mk(3, -1), mk(5, 11));
        for k in [Kernel::Filtered, Kernel::Rational] {
            let mut s = st();
            let d2 = det2_sign(k, &l1, &l2, &mut s);
            assert_eq!(side_of_crossing(k, &l1, &l2, d2, &l3, &mut s), Sign::Zero);
            if k == Kernel::Filtered {
                assert!(
                    s.exact >= 1,
                    "the filter must not claim a sign for an exact zero"
                );
            }
        }
        let p = crossing_exact(&l1, &l2).unwrap();
        assert_eq!(p, (x, y));
    }

    #[test]
    fn extreme_exponents_fall_back_to_exact() {
        let k = Kernel::Filtered;
        let tiny = 1e-300;
        let l1 = Line::from_f64(tiny, 0.0, -tiny).unwrap(); // u = 1
        let l2 = Line::from_f64(0.0, 1e300, -1e300).unwrap(); // v = 1
        let l3 = Line::from_f64(1.0, 1.0, -2.0).unwrap(); // through (1, 1)
        let mut s = st();
        let d2 = det2_sign(k, &l1, &l2, &mut s);
        assert_eq!(d2, Sign::Positive);
        assert_eq!(side_of_crossing(k, &l1, &l2, d2, &l3, &mut s), Sign::Zero);
        assert_eq!(s.filtered, 0);
    }
}
