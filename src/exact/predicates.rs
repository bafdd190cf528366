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
//!
//! ## The point filter
//!
//! Cheaper than the determinant when many lines are tested at one vertex:
//! each vertex stores `f64` coordinates `(x̂, ŷ)` and a rigorous radius `r`
//! with `|x − x̂|, |y − ŷ| <= r` for the exact crossing `(x, y)`, computed
//! once ([`crossing_with_radius`]). The sign of a line at the vertex is then
//! the sign of `a·x̂ + b·ŷ + c` when that exceeds a rigorous bound on the
//! coefficient, point and rounding errors ([`side_of_point`]); otherwise the
//! determinant predicates above decide. The point filter never proves a
//! zero.

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
    /// The sign of a comparison with zero (`x.cmp0()` of a `rug` number).
    pub fn of_ordering(o: std::cmp::Ordering) -> Sign {
        match o {
            std::cmp::Ordering::Less => Sign::Negative,
            std::cmp::Ordering::Equal => Sign::Zero,
            std::cmp::Ordering::Greater => Sign::Positive,
        }
    }

    /// The sign of an exact integer.
    pub fn of_integer(x: &Integer) -> Sign {
        Sign::of_ordering(x.cmp0())
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
    Sign::of_ordering(det.cmp0())
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

/// `p·s − q·r` in `f64` and a rigorous bound on its distance to the exact
/// `p'·s' − q'·r'` of values within `ep, eq, er, es` of the inputs
/// (perturbation plus `γ2` rounding, inflated for the bound's own roundings,
/// plus `2^-1000` for products that may underflow). Non-finite when an
/// input or product is out of range; callers treat that as "undecided".
#[inline]
fn det2_raw(p: f64, q: f64, r: f64, s: f64, e: [f64; 4]) -> (f64, f64) {
    let [ep, eq, er, es] = e;
    let d = p * s - q * r;
    let (xp, xq, xr, xs) = (p.abs(), q.abs(), r.abs(), s.abs());
    let perm = xp * xs + xq * xr;
    let pert = ep * (xs + es) + xp * es + eq * (xr + er) + xq * er;
    (d, (gamma(2.0) * perm + pert) * (1.0 + 64.0 * U) + ABS_SLACK)
}

/// The `f64` crossing point of two lines (the very numbers of
/// [`crossing_approx`]) and a rigorous radius `r`: the exact crossing of the
/// exact lines lies within `r` of it in each coordinate
/// (`|x − x̂| <= r`, `|y − ŷ| <= r`). The radius is `+∞` when it cannot be
/// bounded (lines parallel or nearly so within their error bounds, values
/// out of range); [`side_of_point`] then never decides.
///
/// Derivation: with `N̂x = b1c2 − b2c1`, `N̂y = c1a2 − c2a1`, `D̂ = a1b2 − a2b1`
/// computed in `f64` within rigorous bounds `Ex, Ey, E_D` of the exact
/// values (as in the `det2` filter) and `E_D < |D̂|`,
/// `|Nx/D − N̂x/D̂| <= (Ex + |N̂x/D̂|·E_D) / (|D̂| − E_D)`, and the rounded
/// quotient `x̂` is within `u|N̂x/D̂|` of `N̂x/D̂`.
///
/// ```
/// use splinecam::exact::{predicates::crossing_with_radius, Line};
/// let l1 = Line::from_f64(1.0, 0.0, -0.5).unwrap(); // u = 1/2
/// let l2 = Line::from_f64(0.0, 1.0, 0.25).unwrap(); // v = -1/4
/// let (xy, r) = crossing_with_radius(&l1, &l2);
/// assert_eq!(xy, [0.5, -0.25]);
/// assert!(r < 1e-15); // a few ulps: the bound does not know the products were exact
/// ```
pub fn crossing_with_radius(l1: &Line, l2: &Line) -> ([f64; 2], f64) {
    let [a1, b1, c1] = l1.approx();
    let [a2, b2, c2] = l2.approx();
    let [ea1, eb1, ec1] = l1.err();
    let [ea2, eb2, ec2] = l2.err();
    let (d, ed) = det2_raw(a1, a2, b1, b2, [ea1, ea2, eb1, eb2]);
    let (nx, ex) = det2_raw(b1, b2, c1, c2, [eb1, eb2, ec1, ec2]);
    let (ny, ey) = det2_raw(c1, c2, a1, a2, [ec1, ec2, ea1, ea2]);
    let xy = [nx / d, ny / d];
    // A lower bound of |D| − E_D (one rounding of the difference, one of the
    // product: (1 + u)(1 − 4u)(1 + u) < 1).
    let den = (d.abs() - ed) * (1.0 - 4.0 * U);
    if !(den > 0.0 && ed.is_finite()) {
        return (xy, f64::INFINITY);
    }
    let coord = |q: f64, e: f64| -> f64 {
        // (e + |q|(1 + 2u)·E_D) / den + 2u|q|, each step rounded with
        // relative error <= u on nonnegative terms: (1 + u)^6 < 1 + 16u.
        let num = e + q.abs() * ed * (1.0 + 4.0 * U);
        (num / den + 2.0 * U * q.abs()) * (1.0 + 16.0 * U) + ABS_SLACK
    };
    let r = coord(xy[0], ex).max(coord(xy[1], ey));
    if r.is_finite() && xy[0].is_finite() && xy[1].is_finite() {
        (xy, r)
    } else {
        (xy, f64::INFINITY)
    }
}

/// The crossing of two non-parallel lines rounded to `f64` from its exact
/// value ([`crossing_exact`]), with a radius that bounds the rounding in
/// each coordinate (under one ulp, whatever the rounding direction: `4u`
/// times the larger coordinate, plus `2^-1000` for subnormal results).
/// For the rare vertex whose `f64` evaluation ([`crossing_with_radius`])
/// overflows or cannot be bounded, e.g. lines with coefficients near
/// `1e300`: the vertex then still has finite coordinates to draw and
/// measure, and a radius the point filter can use. `None` if parallel.
///
/// ```
/// use splinecam::exact::{predicates::crossing_rounded, Line};
/// let l1 = Line::from_f64(1e300, 0.0, -5e299).unwrap(); // u = 1/2
/// let l2 = Line::from_f64(0.0, 1e300, 0.0).unwrap(); // v = 0
/// let (xy, r) = crossing_rounded(&l1, &l2).unwrap();
/// assert_eq!(xy, [0.5, 0.0]);
/// assert!(r < 1e-15);
/// // Parallel lines have no crossing.
/// let l3 = Line::from_f64(2e300, 0.0, 1.0).unwrap();
/// assert!(crossing_rounded(&l1, &l3).is_none());
/// ```
pub fn crossing_rounded(l1: &Line, l2: &Line) -> Option<([f64; 2], f64)> {
    let (x, y) = crossing_exact(l1, l2)?;
    let xy = [x.to_f64(), y.to_f64()];
    let m = xy[0].abs().max(xy[1].abs());
    let r = if m.is_finite() {
        4.0 * U * m + ABS_SLACK
    } else {
        f64::INFINITY
    };
    Some((xy, r))
}

/// The sign of the exact line `(a, b, c) + Δ`, `|Δ| <= err` elementwise, at an
/// exact point within `r` of `xy` in each coordinate, if `f64` arithmetic
/// proves it; `None` otherwise (the caller then asks the exact predicates,
/// e.g. [`side_of_crossing`]). Never returns [`Sign::Zero`]: a zero can only
/// be proven exactly.
///
/// With `ŝ = fl(fl(a·x̂ + b·ŷ) + c)`, the exact value differs from `ŝ` by at most
/// `(|a| + |b|)·r + e_a(|x̂| + r) + e_b(|ŷ| + r) + e_c` (coefficient and point
/// errors) plus `γ3(|a x̂| + |b ŷ| + |c|)` (rounding of `ŝ`); that bound is
/// computed from nonnegative terms with at most 6 roundings each (covered by
/// `1 + 16u`) and `2^-1000` for products that may underflow. Non-finite
/// values (overflow, infinite bounds) never decide.
///
/// ```
/// use splinecam::exact::{predicates::side_of_point, Sign};
/// // u + v − 1 at (0.25, 0.25) ± 1e-17: clearly negative.
/// assert_eq!(side_of_point([1.0, 1.0, -1.0], [0.0; 3], [0.25, 0.25], 1e-17), Some(Sign::Negative));
/// // At (0.5, 0.5) the line passes through the point: no f64 proof.
/// assert_eq!(side_of_point([1.0, 1.0, -1.0], [0.0; 3], [0.5, 0.5], 0.0), None);
/// ```
#[inline]
pub fn side_of_point(line: [f64; 3], err: [f64; 3], xy: [f64; 2], r: f64) -> Option<Sign> {
    let (s, bound) = point_value_and_bound(line, err, xy, r);
    value_sign(s, bound)
}

/// The sign of an exact value `x` known only as `x̂` with `|x̂ − x| ≤ e`:
/// proven when `|x̂| > e` (a comparison, so exact), `None` otherwise (also
/// for NaN or infinite `x̂` or `e`). [`side_of_point`] decides with it, and
/// so does the vertex pass ([`crate::net::points`]) for its neurons.
///
/// ```
/// use splinecam::exact::{predicates::value_sign, Sign};
/// assert_eq!(value_sign(1e-3, 1e-9), Some(Sign::Positive));
/// assert_eq!(value_sign(-2.0, 1.0), Some(Sign::Negative));
/// assert_eq!(value_sign(1e-9, 1e-9), None); // x may be 0
/// assert_eq!(value_sign(0.0, 0.0), None); // x is 0: no strict sign
/// assert_eq!(value_sign(1.0, f64::INFINITY), None);
/// ```
#[inline]
pub fn value_sign(x: f64, e: f64) -> Option<Sign> {
    if x.abs() > e && x.is_finite() {
        Some(if x > 0.0 {
            Sign::Positive
        } else {
            Sign::Negative
        })
    } else {
        None
    }
}

/// [`value_sign`] of up to 64 values at once, as bit masks: bit `k` of the
/// first is set where `x̂[k]` ± `e[k]` is proven positive, of the second
/// where it is proven negative (neither where it is not proven). The same
/// test, without a branch per value, on AVX2 where the processor has it
/// (the crate's `simd` module).
///
/// ```
/// use splinecam::exact::predicates::value_sign_masks;
/// let x = [1e-3, -2.0, 1e-9, 0.0, f64::NAN];
/// let e = [1e-9, 1.0, 1e-9, 0.0, 0.0];
/// assert_eq!(value_sign_masks(&x, &e), (0b00001, 0b00010));
/// ```
#[inline(always)]
pub fn value_sign_masks(x: &[f64], e: &[f64]) -> (u64, u64) {
    debug_assert!(x.len() <= 64, "at most 64 values");
    if let Some(masks) = crate::simd::sign_masks(x, e) {
        return masks;
    }
    value_sign_masks_portable(x, e)
}

/// [`value_sign_masks`] without AVX2.
#[inline(always)]
fn value_sign_masks_portable(x: &[f64], e: &[f64]) -> (u64, u64) {
    let (mut pos, mut neg) = (0u64, 0u64);
    for (k, (&x, &e)) in x.iter().zip(e).take(64).enumerate() {
        let proven = (x.abs() > e) & x.is_finite();
        pos |= u64::from(proven & (x > 0.0)) << k;
        neg |= u64::from(proven & (x < 0.0)) << k;
    }
    (pos, neg)
}

/// `ŝ` and its rigorous bound (see [`side_of_point`]); the sign of `ŝ` is
/// proven when `|ŝ| > bound` and `ŝ` is finite.
#[inline]
pub fn point_value_and_bound(line: [f64; 3], err: [f64; 3], xy: [f64; 2], r: f64) -> (f64, f64) {
    let [a, b, c] = line;
    let [x, y] = xy;
    (
        a * x + b * y + c,
        point_bound(line, err, [x.abs(), y.abs()], r),
    )
}

/// The bound of [`point_value_and_bound`] alone, from `|x̂|, |ŷ|` (or upper
/// bounds of them: it grows with `|x̂|, |ŷ|, r`).
#[inline]
fn point_bound(line: [f64; 3], err: [f64; 3], abs_xy: [f64; 2], r: f64) -> f64 {
    let [a, b, c] = line;
    let [ea, eb, ec] = err;
    let [xx, xy_] = abs_xy;
    let (xa, xb, xc) = (a.abs(), b.abs(), c.abs());
    let pert = (xa + xb) * r + ea * (xx + r) + eb * (xy_ + r) + ec;
    let round = gamma(3.0) * (xa * xx + xb * xy_ + xc);
    (pert + round) * (1.0 + 16.0 * U) + ABS_SLACK
}

/// Which side of a line a set of points lies on, as far as the point filter
/// can tell ([`classify_lines_at_points`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineClass {
    /// Every point is proven strictly positive.
    Positive,
    /// Every point is proven strictly negative.
    Negative,
    /// Anything else: the line may cross, touch or contain some point, or
    /// `f64` arithmetic could not tell.
    Unknown,
}

/// The point filter for many lines at a few points (e.g. the corners of a
/// convex face): line `k` is `(a[k], b[k], c[k])` with error bounds
/// `(ea[k], eb[k], ec[k])`, each point an `f64` position with its radius.
/// Writes each line's [`LineClass`] into `class` (whose length is the number
/// of lines) and returns how many (line, point) signs were proven.
///
/// Two passes. First the points' bounding box, taken as one point (its
/// centre) with a radius that covers every point and its own radius, is
/// tested with the bound of [`side_of_point`], which holds anywhere within
/// that radius: a line proven positive there is positive on the whole box,
/// so at every point. That takes one evaluation per line and decides the
/// lines that pass far from the points, usually most of them. The lines it
/// leaves are tested at each point: the bound of [`side_of_point`] grows
/// with `|x̂|, |ŷ|, r`, so one bound per line with their maxima over the
/// points holds at every point; a line is [`LineClass::Positive`] when the
/// smallest of its values at the points exceeds it (all values finite),
/// likewise negative. Every line that second test decides alone is decided
/// as before the first pass existed; the first pass only adds lines (both
/// are proofs, so they never disagree). When a bound is finite, every input
/// is finite and no value is NaN.
///
/// ```
/// use splinecam::exact::predicates::{classify_lines_at_points, LineClass};
/// // Lines u − 2, u − 0.5 and v at the corners (0,0) and (1,1) (exact).
/// let (a, b, c, z) = ([1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [-2.0, -0.5, 0.0], [0.0; 3]);
/// let pts = [([0.0, 0.0], 0.0), ([1.0, 1.0], 0.0)];
/// let mut class = [LineClass::Unknown; 3];
/// classify_lines_at_points([&a, &b, &c], [&z, &z, &z], &pts, &mut class);
/// assert_eq!(class, [LineClass::Negative, LineClass::Unknown, LineClass::Unknown]);
/// ```
pub fn classify_lines_at_points(
    coef: [&[f64]; 3],
    err: [&[f64]; 3],
    points: &[([f64; 2], f64)],
    class: &mut [LineClass],
) -> u64 {
    classify_lines_at(coef, err, &PointSet::new(points), class)
}

/// A few points as [`classify_lines_at_points`] takes them, with what its
/// two passes read of them worked out once (for a face whose lines are
/// tested layer after layer at the same corners).
#[derive(Clone, Copy, Debug)]
pub struct PointSet<'a> {
    points: &'a [([f64; 2], f64)],
    /// `max |x̂|, max |ŷ|, max r` (NaN if one is NaN).
    xm: f64,
    ym: f64,
    rm: f64,
    /// The bounding box as one point: its centre, `|centre|`, its radius.
    centre: [f64; 2],
    centre_abs: [f64; 2],
    radius: f64,
}

impl<'a> PointSet<'a> {
    /// The summary of `points` (each an `f64` position and its radius).
    pub fn new(points: &'a [([f64; 2], f64)]) -> Self {
        let (mut xm, mut ym, mut rm) = (0.0f64, 0.0f64, 0.0f64);
        let (mut x_lo, mut x_hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut y_lo, mut y_hi) = (f64::INFINITY, f64::NEG_INFINITY);
        // A NaN-propagating maximum: a NaN makes every bound NaN (undecided).
        let max = |m: f64, v: f64| {
            if v >= m {
                v
            } else if v.is_nan() {
                f64::NAN
            } else {
                m
            }
        };
        for &([x, y], r) in points {
            xm = max(xm, x.abs());
            ym = max(ym, y.abs());
            rm = max(rm, r);
            x_lo = x_lo.min(x);
            x_hi = x_hi.max(x);
            y_lo = y_lo.min(y);
            y_hi = y_hi.max(y);
        }
        let (centre, radius) = box_as_point([x_lo, x_hi], [y_lo, y_hi], rm);
        let centre_abs = [centre[0].abs(), centre[1].abs()];
        PointSet {
            points,
            xm,
            ym,
            rm,
            centre,
            centre_abs,
            radius,
        }
    }
}

/// [`classify_lines_at_points`] at the points of `set` (made once for
/// points whose lines are tested in several batches).
///
/// ```
/// use splinecam::exact::predicates::{classify_lines_at, LineClass, PointSet};
/// let pts = [([0.0, 0.0], 0.0), ([1.0, 1.0], 0.0)];
/// let set = PointSet::new(&pts);
/// let z = [0.0; 2];
/// let mut class = [LineClass::Unknown; 2];
/// // u − 2 and u + 3, then v − 0.5 and v − 1 (touches a point): one set.
/// let d = classify_lines_at([&[1.0, 1.0], &[0.0; 2], &[-2.0, 3.0]], [&z, &z, &z], &set, &mut class);
/// assert_eq!((class, d), ([LineClass::Negative, LineClass::Positive], 4));
/// let d = classify_lines_at([&[0.0; 2], &[1.0, 1.0], &[-0.5, -1.0]], [&z, &z, &z], &set, &mut class);
/// assert_eq!((class, d), ([LineClass::Unknown, LineClass::Unknown], 0));
/// ```
pub fn classify_lines_at(
    coef: [&[f64]; 3],
    err: [&[f64]; 3],
    set: &PointSet<'_>,
    class: &mut [LineClass],
) -> u64 {
    let n = class.len();
    let [a, b, c] = coef.map(|x| &x[..n]);
    let [ea, eb, ec] = err.map(|x| &x[..n]);
    let PointSet {
        points, xm, ym, rm, ..
    } = *set;
    if points.is_empty() || xm.is_nan() || ym.is_nan() || rm.is_nan() {
        class.fill(LineClass::Unknown);
        return 0;
    }
    // Lines in blocks, with their codes (and, for the second pass, the
    // lines the first left) on the stack: blocks of 16 for a face with
    // few lines (zeroing them then costs no call to `memset`), else 64.
    let decided = crate::simd::with_avx2(
        #[inline(always)]
        || {
            if n <= 16 {
                classify_blocks::<16>([a, b, c], [ea, eb, ec], set, class)
            } else {
                classify_blocks::<64>([a, b, c], [ea, eb, ec], set, class)
            }
        },
    );
    decided * points.len() as u64
}

/// The two passes of [`classify_lines_at`] in blocks of `BLOCK` lines;
/// returns the number of lines decided.
#[inline(always)]
fn classify_blocks<const BLOCK: usize>(
    [a, b, c]: [&[f64]; 3],
    [ea, eb, ec]: [&[f64]; 3],
    set: &PointSet<'_>,
    class: &mut [LineClass],
) -> u64 {
    let n = class.len();
    let PointSet {
        points,
        xm,
        ym,
        rm,
        centre,
        centre_abs,
        radius,
    } = *set;
    let mut decided = 0u64;
    for k0 in (0..n).step_by(BLOCK) {
        let m = (n - k0).min(BLOCK);
        let (a, b, c) = (&a[k0..k0 + m], &b[k0..k0 + m], &c[k0..k0 + m]);
        let (ea, eb, ec) = (&ea[k0..k0 + m], &eb[k0..k0 + m], &ec[k0..k0 + m]);
        // Branch-free, so that the compiler can vectorize over lines:
        // bit 0 proven positive, bit 1 proven negative.
        let mut code = [0u64; BLOCK];
        for k in 0..m {
            let line = [a[k], b[k], c[k]];
            let s = a[k] * centre[0] + b[k] * centre[1] + c[k];
            let bound = point_bound(line, [ea[k], eb[k], ec[k]], centre_abs, radius);
            let finite = (bound < f64::INFINITY) & s.is_finite();
            let pos = finite & (s > bound);
            let neg = finite & (s < -bound);
            code[k] = pos as u64 | (neg as u64) << 1;
        }
        // The lines left, tested at every point.
        let mut left = [0u8; BLOCK];
        let mut u = 0;
        for (k, &cd) in code[..m].iter().enumerate() {
            left[u] = k as u8;
            u += (cd == 0) as usize;
        }
        for &k in &left[..u] {
            let k = k as usize;
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for &([x, y], _) in points {
                let s = a[k] * x + b[k] * y + c[k];
                lo = if s < lo { s } else { lo };
                hi = if s > hi { s } else { hi };
            }
            let bound = point_bound([a[k], b[k], c[k]], [ea[k], eb[k], ec[k]], [xm, ym], rm);
            let finite = bound < f64::INFINITY;
            let pos = finite & (lo > bound) & (hi < f64::INFINITY);
            let neg = finite & (hi < -bound) & (lo > f64::NEG_INFINITY);
            code[k] = pos as u64 | (neg as u64) << 1;
        }
        const CLASS: [LineClass; 4] = [
            LineClass::Unknown,
            LineClass::Positive,
            LineClass::Negative,
            LineClass::Unknown,
        ];
        for (cl, &code) in class[k0..k0 + m].iter_mut().zip(&code[..m]) {
            *cl = CLASS[(code & 3) as usize];
            // Codes 1 and 2 only. Code 3 cannot arise (error bounds are
            // never negative, so a finite bound is not, and the lowest
            // value is at most the highest); it would read as Unknown and
            // not be counted.
            decided += (code & 1) ^ (code >> 1);
        }
    }
    decided
}

/// The box `[x_lo, x_hi] × [y_lo, y_hi]` of `f64` points whose exact
/// positions are within `r` of them (in each coordinate), as one point:
/// its centre and a radius within which (in each coordinate) every such
/// exact position lies, rounded up. Not finite where the box is not.
fn box_as_point(x: [f64; 2], y: [f64; 2], r: f64) -> ([f64; 2], f64) {
    let centre = [0.5 * x[0] + 0.5 * x[1], 0.5 * y[0] + 0.5 * y[1]];
    // `fl(p − q)` is within `u|p − q|` of it, the sum and the product add
    // two roundings: `(1 + 8u)` covers the three. A subnormal difference is
    // exact; `ABS_SLACK` covers an underflowing product.
    let d = (x[1] - centre[0])
        .max(centre[0] - x[0])
        .max(y[1] - centre[1])
        .max(centre[1] - y[0]);
    (centre, (d + r) * (1.0 + 8.0 * U) + ABS_SLACK)
}

/// An `f64` approximation of the crossing point, for drawing. Predicates
/// use it only with the rigorous radius of [`crossing_with_radius`] (which
/// returns these very numbers).
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

    /// `value_sign_masks` is `value_sign` value by value, on every pair of
    /// awkward numbers (zeros of both signs, a subnormal, ties, infinities,
    /// NaN), in masks of 1 to 64 values at every bit position; and each
    /// proven sign is the sign of every rational within the bound.
    #[test]
    fn value_sign_masks_are_value_sign() {
        let xs = [
            0.0,
            -0.0,
            f64::MIN_POSITIVE / 4.0,
            -1e-300,
            1.0,
            -1.0,
            0.5,
            3.0,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let es = [
            0.0,
            f64::MIN_POSITIVE / 4.0,
            0.5,
            1.0,
            f64::INFINITY,
            f64::NAN,
        ];
        let pairs: Vec<(f64, f64)> = xs
            .iter()
            .flat_map(|&x| es.iter().map(move |&e| (x, e)))
            .collect();
        for start in 0..pairs.len() {
            for len in [1, 7, 64] {
                let chunk: Vec<(f64, f64)> =
                    (0..len).map(|k| pairs[(start + k) % pairs.len()]).collect();
                let (x, e): (Vec<f64>, Vec<f64>) = chunk.iter().copied().unzip();
                let (pos, neg) = value_sign_masks(&x, &e);
                assert_eq!(value_sign_masks_portable(&x, &e), (pos, neg));
                for (k, &(x, e)) in chunk.iter().enumerate() {
                    let want = value_sign(x, e);
                    assert_eq!(pos >> k & 1 == 1, want == Some(Sign::Positive), "{x} ± {e}");
                    assert_eq!(neg >> k & 1 == 1, want == Some(Sign::Negative), "{x} ± {e}");
                    if let Some(sign) = want {
                        // The ends of [x − e, x + e], exactly.
                        let (x, e) = (
                            Rational::from_f64(x).unwrap(),
                            Rational::from_f64(e).unwrap(),
                        );
                        for end in [x.clone() - &e, x + e] {
                            assert_eq!(Sign::of_ordering(end.cmp0()), sign);
                        }
                    }
                }
            }
        }
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
        let mk = |a: i64, b: i64| line_through(a, b, &x, &y);
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

    /// The line `a·u + b·v + c = 0` through the exact point `(x, y)`.
    fn line_through(a: i64, b: i64, x: &Rational, y: &Rational) -> Line {
        let c = -(Rational::from(a) * x + Rational::from(b) * y);
        Line::from_rationals([Rational::from(a), Rational::from(b), c])
    }

    /// Exact value of line `l` (its exact coefficients) at an exact point.
    fn exact_sign_at(l: &Line, p: &(Rational, Rational)) -> Sign {
        Sign::of_ordering(l.exact().eval(&p.0, &p.1).cmp0())
    }

    fn within_radius(xy: [f64; 2], r: f64, p: &(Rational, Rational)) -> bool {
        let d = |a: f64, b: &Rational| (Rational::from_f64(a).unwrap() - b).abs();
        let r = Rational::from_f64(r).unwrap();
        d(xy[0], &p.0) <= r && d(xy[1], &p.1) <= r
    }

    #[test]
    fn point_filter_degenerate_cases() {
        // Vertex (1/3, 1/7) as the crossing of two rational lines (inexact
        // in f64, so the radius is positive).
        let x = Rational::from((1, 3));
        let y = Rational::from((1, 7));
        let through = |a: i64, b: i64| line_through(a, b, &x, &y);
        let (l1, l2) = (through(1, 2), through(3, -1));
        let (xy, r) = crossing_with_radius(&l1, &l2);
        assert!(r > 0.0 && r < 1e-14, "{r}");
        assert!(within_radius(xy, r, &(x.clone(), y.clone())));
        // Lines through the vertex (including its own two lines, a scaled
        // copy and a line with a zero coefficient): never decided.
        let scaled = Line::from_rationals(l1.exact().coef.clone().map(|c| Rational::from(c * 5)));
        for l in [
            through(5, 11),
            through(0, 1),
            through(1, 0),
            l1.clone(),
            l2.clone(),
            scaled,
        ] {
            assert_eq!(side_of_point(l.approx(), l.err(), xy, r), None, "{l:?}");
        }
        // Zero line: never decided. Constant lines: their constant's sign.
        assert_eq!(side_of_point([0.0; 3], [0.0; 3], xy, r), None);
        assert_eq!(
            side_of_point([0.0, 0.0, -3.0], [0.0; 3], xy, r),
            Some(Sign::Negative)
        );
        assert_eq!(
            side_of_point([0.0, 0.0, 1e-300], [0.0; 3], xy, r),
            Some(Sign::Positive)
        );
        assert_eq!(
            side_of_point([0.0, 0.0, 1e-303], [0.0; 3], xy, r),
            None,
            "below the underflow slack"
        );
        // Parallel lines: no crossing, infinite radius, never decided.
        let par = Line::from_f64(2.0, 4.0, 1.0).unwrap();
        let par2 = Line::from_f64(1.0, 2.0, 7.0).unwrap();
        let (pxy, pr) = crossing_with_radius(&par, &par2);
        assert_eq!(pr, f64::INFINITY);
        assert_eq!(side_of_point([0.0, 0.0, 1.0], [0.0; 3], pxy, pr), None);
        assert_eq!(side_of_point([1.0, 0.0, 1.0], [0.0; 3], pxy, pr), None);
        // Nearly parallel within the error bounds: infinite radius too.
        let fuzzy = Line::from_rationals([
            Rational::from((1, 3)),
            Rational::from((2, 3)),
            Rational::from(1),
        ]);
        let fuzzy2 = Line::from_rationals([
            Rational::from((1, 3)),
            Rational::from((2, 3)) + Rational::from((1, 1u64 << 62)),
            Rational::from(1),
        ]);
        assert_eq!(crossing_with_radius(&fuzzy, &fuzzy2).1, f64::INFINITY);
        // Infinite error bounds never decide.
        assert_eq!(
            side_of_point([1.0, 1.0, 5.0], [f64::INFINITY, 0.0, 0.0], [0.0, 0.0], 0.0),
            None
        );
        // Exact corners (zero radius) decide everything off the line.
        let c1 = Line::from_f64(1.0, 0.0, -1.0).unwrap();
        let c2 = Line::from_f64(0.0, 1.0, -1.0).unwrap();
        let (cxy, cr) = crossing_with_radius(&c1, &c2);
        assert_eq!(cxy, [1.0, 1.0]);
        assert_eq!(
            side_of_point([1.0, -1.0, 1e-12], [0.0; 3], cxy, cr),
            Some(Sign::Positive)
        );
        assert_eq!(side_of_point([1.0, -1.0, 0.0], [0.0; 3], cxy, cr), None);
    }

    /// A point with its radius, and a line with its bounds.
    type Pt = ([f64; 2], f64);
    type Row = ([f64; 3], [f64; 3]);

    /// The test at every point alone (what `classify_lines_at_points` did
    /// before its bounding-box pass), as a reference: what it decides, the
    /// two-pass version must decide the same way.
    fn corner_test(line: [f64; 3], err: [f64; 3], points: &[([f64; 2], f64)]) -> LineClass {
        if points.is_empty() {
            return LineClass::Unknown;
        }
        let max = |f: &dyn Fn(&Pt) -> f64| points.iter().map(f).fold(0.0, f64::max);
        let (xm, ym, rm) = (
            max(&|p| p.0[0].abs()),
            max(&|p| p.0[1].abs()),
            max(&|p| p.1),
        );
        let vals: Vec<f64> = points
            .iter()
            .map(|&([x, y], _)| line[0] * x + line[1] * y + line[2])
            .collect();
        let (lo, hi) = (
            vals.iter().copied().fold(f64::INFINITY, f64::min),
            vals.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        );
        let bound = point_bound(line, err, [xm, ym], rm);
        if bound < f64::INFINITY && lo > bound && hi < f64::INFINITY {
            LineClass::Positive
        } else if bound < f64::INFINITY && hi < -bound && lo > f64::NEG_INFINITY {
            LineClass::Negative
        } else {
            LineClass::Unknown
        }
    }

    /// `classify_lines_at_points` on lines given as `[a, b, c]` and bounds.
    fn classify(
        lines: &[([f64; 3], [f64; 3])],
        points: &[([f64; 2], f64)],
    ) -> (Vec<LineClass>, u64) {
        let col = |f: &dyn Fn(&Row) -> f64| lines.iter().map(f).collect::<Vec<f64>>();
        let (a, b, c) = (col(&|l| l.0[0]), col(&|l| l.0[1]), col(&|l| l.0[2]));
        let (ea, eb, ec) = (col(&|l| l.1[0]), col(&|l| l.1[1]), col(&|l| l.1[2]));
        let mut class = vec![LineClass::Positive; lines.len()];
        let d = classify_lines_at_points([&a, &b, &c], [&ea, &eb, &ec], points, &mut class);
        (class, d)
    }

    #[test]
    fn classify_lines_degenerate_cases() {
        use LineClass::{Negative as N, Positive as P, Unknown as U_};
        let square = [
            ([0.0, 0.0], 0.0),
            ([1.0, 0.0], 0.0),
            ([1.0, 1.0], 0.0),
            ([0.0, 1.0], 0.0),
        ];
        let z = [0.0; 3];
        let cases: Vec<(Row, LineClass)> = vec![
            (([1.0, 0.0, -2.0], z), N),    // far off: decided by the box
            (([1.0, 0.0, -2.0], z), N),    // the same line again
            (([-3.0, 0.0, 6.0], z), P),    // a scaled, flipped copy
            (([1.0, 1.0, -2.0], z), U_),   // through a corner
            (([1.0, 0.0, -1.0], z), U_),   // along a side
            (([1.0, -1.0, 0.0], z), U_),   // through two corners
            (([1.0, 1.0, -1.0], z), U_),   // across the square
            (([0.0, 0.0, 0.0], z), U_),    // the zero line
            (([0.0, 0.0, -3.0], z), N),    // a constant
            (([0.0, 0.0, 1e-303], z), U_), // below the underflow slack
            (([1.0, 1.0, 5.0], [f64::INFINITY, 0.0, 0.0]), U_),
            (([1.0, 1.0, 5.0], [0.0, 0.0, 4.9]), P), // bounds short of the values
            (([1.0, 1.0, 5.0], [0.0, 0.0, 5.0]), U_), // bounds as large as a value
            (([f64::INFINITY, 0.0, 0.0], z), U_),
            (([f64::NAN, 0.0, 0.0], z), U_),
        ];
        let lines: Vec<_> = cases.iter().map(|c| c.0).collect();
        let (class, d) = classify(&lines, &square);
        for ((line, want), got) in cases.iter().zip(&class) {
            assert_eq!(got, want, "{line:?}");
            assert_eq!(*got, corner_test(line.0, line.1, &square), "{line:?}");
        }
        let n_decided = class.iter().filter(|c| **c != U_).count() as u64;
        assert_eq!(d, 4 * n_decided);

        // Two points whose box the line crosses between them, missing both:
        // the box cannot decide it, the points do.
        let diagonal = [([0.0, 0.0], 0.0), ([1.0, 1.0], 0.0)];
        assert_eq!(classify(&[([1.0, -1.0, -0.5], z)], &diagonal), (vec![N], 2));
        // One point; a point on the line; no point; a point not a number.
        assert_eq!(
            classify(&[([1.0, 0.0, -0.5], z)], &[([1.0, 7.0], 0.0)]),
            (vec![P], 1)
        );
        assert_eq!(
            classify(&[([1.0, 0.0, -0.5], z)], &[([0.5, 7.0], 0.0)]),
            (vec![U_], 0)
        );
        assert_eq!(classify(&[([1.0, 0.0, -0.5], z)], &[]), (vec![U_], 0));
        let nan = [([f64::NAN, 0.0], 0.0), ([1.0, 0.0], 0.0)];
        assert_eq!(classify(&[([1.0, 0.0, -5.0], z)], &nan), (vec![U_], 0));
        // An infinite radius (parallel lines' crossing) decides nothing.
        let far = [([0.0, 0.0], f64::INFINITY), ([1.0, 0.0], 0.0)];
        assert_eq!(classify(&[([0.0, 0.0, -5.0], z)], &far), (vec![U_], 0));

        // A corner known within its radius (the crossing of two lines
        // through (1/3, 1/7)): lines through it are never decided, a line
        // just off it is.
        let (x, y) = (Rational::from((1, 3)), Rational::from((1, 7)));
        let through = |a: i64, b: i64| line_through(a, b, &x, &y);
        let (xy, r) = crossing_with_radius(&through(1, 2), &through(3, -1));
        let tri = [(xy, r), ([0.0, 0.0], 0.0), ([1.0, 0.0], 0.0)];
        let l = through(5, 11);
        let off = [l.approx()[0], l.approx()[1], l.approx()[2] + 1e-3];
        let (class, _) = classify(&[(l.approx(), l.err()), (off, l.err())], &tri);
        assert_eq!(class[0], U_);
        assert_eq!(class[1], corner_test(off, l.err(), &tri));

        // More than one block of 64 lines: each line as if alone.
        let many: Vec<([f64; 3], [f64; 3])> = (0..150)
            .map(|k| ([1.0, (k % 7) as f64 - 3.0, (k as f64 - 75.0) / 25.0], z))
            .collect();
        let (class, d) = classify(&many, &square);
        let mut alone = 0;
        for (l, c) in many.iter().zip(&class) {
            let (one, d1) = classify(std::slice::from_ref(l), &square);
            assert_eq!(one[0], *c, "{l:?}");
            alone += d1;
        }
        assert_eq!(d, alone);
        assert!(class.contains(&P) && class.contains(&N) && class.contains(&U_));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;
        use proptest::test_runner::{Config, RngSeed};

        fn config() -> Config {
            Config {
                cases: 3000,
                rng_seed: RngSeed::Fixed(0x9017_f11e),
                failure_persistence: None,
                ..Config::default()
            }
        }

        /// Small rationals `n/d`, often zero, so that lines are often
        /// degenerate (parallel, concurrent, constant).
        fn coef() -> impl Strategy<Value = Rational> {
            prop_oneof![
                1 => Just(Rational::new()),
                4 => (-12i64..=12, 1i64..=9).prop_map(|(n, d)| Rational::from((n, d))),
                1 => (-1_000_000i64..=1_000_000, 1i64..=999_983).prop_map(|(n, d)| Rational::from((n, d))),
            ]
        }

        fn line() -> impl Strategy<Value = Line> {
            (coef(), coef(), coef()).prop_map(|(a, b, c)| Line::from_rationals([a, b, c]))
        }

        proptest! {
            #![proptest_config(config())]

            /// Every class `classify_lines_at_points` gives is the exact sign
            /// at every exact point (pure rational evaluation), each point
            /// a crossing of two lines given by its rounding and radius;
            /// whatever the test at every point alone decides, it decides
            /// the same way; and it counts its proven signs.
            #[test]
            fn classify_lines_agrees_with_rational_evaluation(
                corners in proptest::collection::vec((line(), line()), 1..6),
                lines in proptest::collection::vec((line(), 0usize..4, 0usize..6), 1..40),
            ) {
                let pts: Vec<((Rational, Rational), Pt)> = corners
                    .iter()
                    .filter_map(|(l1, l2)| Some((crossing_exact(l1, l2)?, crossing_with_radius(l1, l2))))
                    .collect();
                let points: Vec<([f64; 2], f64)> = pts.iter().map(|p| p.1).collect();
                // Some lines through a point, some through two (a
                // combination of the two lines of each), some repeated.
                let mut ls: Vec<Line> = Vec::new();
                for (l, how, i) in &lines {
                    let l = match (*how, corners.get(*i)) {
                        (0, Some((l1, l2))) => {
                            let [a, b, _] = l.exact().coef.clone().map(Rational::from);
                            let comb = |j: usize| {
                                &a * Rational::from(l1.exact().coef[j].clone())
                                    + &b * Rational::from(l2.exact().coef[j].clone())
                            };
                            Line::from_rationals([comb(0), comb(1), comb(2)])
                        }
                        (1, _) if !ls.is_empty() => ls[i % ls.len()].clone(),
                        _ => l.clone(),
                    };
                    ls.push(l);
                }
                let rows: Vec<([f64; 3], [f64; 3])> = ls.iter().map(|l| (l.approx(), l.err())).collect();
                let (class, d) = classify(&rows, &points);
                let mut decided = 0;
                for ((l, row), c) in ls.iter().zip(&rows).zip(&class) {
                    let want = match c {
                        LineClass::Positive => Some(Sign::Positive),
                        LineClass::Negative => Some(Sign::Negative),
                        LineClass::Unknown => None,
                    };
                    if let Some(w) = want {
                        decided += 1;
                        for (p, _) in &pts {
                            prop_assert_eq!(exact_sign_at(l, p), w, "{:?} at {:?}", l, p);
                        }
                    }
                    let old = corner_test(row.0, row.1, &points);
                    if old != LineClass::Unknown {
                        prop_assert_eq!(*c, old, "{:?}", l);
                    }
                }
                prop_assert_eq!(d, decided * points.len() as u64);
                // One `PointSet` made once and reused, for the lines in two
                // parts (a layer after another at the same corners): the
                // same classes and counts (blocks of 16 and of 64 lines).
                let set = PointSet::new(&points);
                let half = rows.len() / 2;
                let mut again = Vec::new();
                let mut d2 = 0;
                for part in [&rows[..half], &rows[half..]] {
                    let col = |j: usize, e: bool| -> Vec<f64> {
                        part.iter().map(|r| if e { r.1[j] } else { r.0[j] }).collect()
                    };
                    let (a, b, c) = (col(0, false), col(1, false), col(2, false));
                    let (ea, eb, ec) = (col(0, true), col(1, true), col(2, true));
                    let mut cl = vec![LineClass::Positive; part.len()];
                    d2 += classify_lines_at([&a, &b, &c], [&ea, &eb, &ec], &set, &mut cl);
                    again.extend(cl);
                }
                prop_assert_eq!(&again, &class);
                prop_assert_eq!(d2, d);
                // The portable code (compiled here for the baseline target,
                // not through `simd::with_avx2`) gives the same classes and
                // counts as the vectorised path above, in blocks of 16 and
                // of 64 lines.
                let col = |j: usize, e: bool| -> Vec<f64> {
                    rows.iter().map(|r| if e { r.1[j] } else { r.0[j] }).collect()
                };
                let (a, b, c) = (col(0, false), col(1, false), col(2, false));
                let (ea, eb, ec) = (col(0, true), col(1, true), col(2, true));
                for block in [16, 64] {
                    let mut cl = vec![LineClass::Positive; rows.len()];
                    let d3 = if block == 16 {
                        classify_blocks::<16>([&a, &b, &c], [&ea, &eb, &ec], &set, &mut cl)
                    } else {
                        classify_blocks::<64>([&a, &b, &c], [&ea, &eb, &ec], &set, &mut cl)
                    };
                    prop_assert_eq!(&cl, &class);
                    prop_assert_eq!(d3 * points.len() as u64, d);
                }
            }

            /// The radius contains the exact crossing, and every sign the
            /// point filter claims is the exact sign (pure rational
            /// evaluation at the exact crossing) and agrees with
            /// `side_of_crossing`.
            #[test]
            fn point_filter_agrees_with_rational_evaluation(
                l1 in line(), l2 in line(), l3 in line(), mix in 0usize..4,
            ) {
                let Some(p) = crossing_exact(&l1, &l2) else {
                    // Parallel or degenerate: the radius must not be finite
                    // unless the f64 determinant is provably nonzero, which
                    // it cannot be here.
                    prop_assert_eq!(crossing_with_radius(&l1, &l2).1, f64::INFINITY);
                    return Ok(());
                };
                let (xy, r) = crossing_with_radius(&l1, &l2);
                if r.is_finite() {
                    prop_assert!(within_radius(xy, r, &p), "{:?} {} {:?}", xy, r, p);
                }
                // Sometimes make l3 pass through the crossing: a combination
                // of l1 and l2.
                let l3 = if mix == 0 {
                    let [a1, b1, c1] = l1.exact().coef.clone();
                    let [a2, b2, c2] = l2.exact().coef.clone();
                    let [a3, b3, _] = l3.exact().coef.clone();
                    let (s, t) = (Rational::from(a3), Rational::from(b3));
                    Line::from_rationals([
                        &s * Rational::from(a1) + &t * Rational::from(a2),
                        &s * Rational::from(b1) + &t * Rational::from(b2),
                        &s * Rational::from(c1) + &t * Rational::from(c2),
                    ])
                } else {
                    l3
                };
                let exact = exact_sign_at(&l3, &p);
                if let Some(s) = side_of_point(l3.approx(), l3.err(), xy, r) {
                    prop_assert_eq!(s, exact);
                }
                let mut st = PredicateStats::default();
                let d2 = det2_sign(Kernel::Rational, &l1, &l2, &mut st);
                prop_assert_eq!(side_of_crossing(Kernel::Rational, &l1, &l2, d2, &l3, &mut st), exact);
            }
        }
    }
}
