//! Lines `a·u + b·v + c = 0` with exact coefficients.
//!
//! A [`Line`] carries two views of the same coefficients:
//!
//! - an `f64` approximation `approx` with a rigorous elementwise error bound
//!   `err` (`|exact - approx| <= err`, exactly, coefficient by coefficient),
//!   used by the filter in [`super::predicates`];
//! - the exact coefficients as an integer triple ([`ExactLine`]), computed
//!   on demand (and cached) when the filter cannot decide.
//!
//! Scaling a line by a positive factor changes neither its zero set nor the
//! sign it gives to any point, so the exact view is stored scaled to
//! integers. The approximation must approximate *some* positive multiple of
//! the exact line, the same multiple for all three coefficients; every
//! constructor here keeps that multiple at 1.

use std::fmt;
use std::sync::{Arc, OnceLock};

use rug::{Integer, Rational};

use super::number::{approx_with_error, scaled_integers};

/// A function that computes the exact coefficients of a line on demand.
pub type ExactSource = Arc<dyn Fn() -> [Rational; 3] + Send + Sync>;

/// The exact coefficients of a line, scaled by a positive factor to
/// integers `(a, b, c)`, not all even (see
/// [`crate::exact::number::scaled_integers`]: an odd common divisor is left
/// in, since finding it costs a gcd of the full numbers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExactLine {
    /// `[a, b, c]`, not all even (or all zero).
    pub coef: [Integer; 3],
}

impl ExactLine {
    /// Scales exact rational coefficients to an integer triple.
    pub fn from_rationals(r: &[Rational; 3]) -> Self {
        let ints = scaled_integers(r);
        let [a, b, c]: [Integer; 3] = ints.try_into().expect("three coefficients");
        ExactLine { coef: [a, b, c] }
    }

    /// `a·x + b·y + c` at an exact point; its sign is the side of the point.
    pub fn eval(&self, x: &Rational, y: &Rational) -> Rational {
        let [a, b, c] = &self.coef;
        let mut v = Rational::from(x * a);
        v += Rational::from(y * b);
        v += c;
        v
    }
}

/// A line `a·u + b·v + c = 0` of the slice plane, with an `f64`
/// approximation, its error bound, and exact coefficients on demand.
///
/// ```
/// use splinecam::exact::Line;
/// // u - v = 0, the diagonal; f64 coefficients are exact.
/// let l = Line::from_f64(1.0, -1.0, 0.0).unwrap();
/// assert_eq!(l.err(), [0.0; 3]);
/// // 1/3·u + 0·v − 1 = 0 is not representable in f64: the bound says so.
/// use rug::Rational;
/// let m = Line::from_rationals([Rational::from((1, 3)), Rational::new(), Rational::from(-1)]);
/// assert!(m.err()[0] > 0.0);
/// ```
#[derive(Clone)]
pub struct Line {
    approx: [f64; 3],
    err: [f64; 3],
    exact: OnceLock<ExactLine>,
    source: Option<ExactSource>,
}

impl fmt::Debug for Line {
    /// Prints as constructor code, so a failing case pastes into a test.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.err == [0.0; 3] {
            write!(
                f,
                "Line::from_f64({:?}, {:?}, {:?}).unwrap()",
                self.approx[0], self.approx[1], self.approx[2]
            )
        } else {
            let [a, b, c] = &self.exact().coef;
            write!(
                f,
                "Line::from_integers({a}i64.into(), {b}i64.into(), {c}i64.into())"
            )
        }
    }
}

impl Line {
    /// A line whose coefficients are exactly the given finite floats.
    /// Returns `None` if any coefficient is NaN or infinite.
    pub fn from_f64(a: f64, b: f64, c: f64) -> Option<Line> {
        if !(a.is_finite() && b.is_finite() && c.is_finite()) {
            return None;
        }
        Some(Line {
            approx: [a, b, c],
            err: [0.0; 3],
            exact: OnceLock::new(),
            source: None,
        })
    }

    /// A line with exact rational coefficients; the approximation is rounded
    /// and its error bound computed exactly.
    pub fn from_rationals(r: [Rational; 3]) -> Line {
        let mut approx = [0.0; 3];
        let mut err = [0.0; 3];
        for i in 0..3 {
            let (x, e) = approx_with_error(&r[i]);
            approx[i] = x;
            err[i] = e;
        }
        let exact = OnceLock::new();
        let _ = exact.set(ExactLine::from_rationals(&r));
        Line {
            approx,
            err,
            exact,
            source: None,
        }
    }

    /// A line with integer coefficients.
    pub fn from_integers(a: Integer, b: Integer, c: Integer) -> Line {
        Line::from_rationals([a.into(), b.into(), c.into()])
    }

    /// A line known through an `f64` approximation with a rigorous bound
    /// `|exact_i - approx_i| <= err_i`, whose exact coefficients are computed
    /// by `source` only if a predicate needs them.
    ///
    /// The caller guarantees the bound; the predicates rely on it. `source`
    /// must return the same line the approximation approximates (not a
    /// multiple of it).
    pub fn with_error(approx: [f64; 3], err: [f64; 3], source: ExactSource) -> Line {
        Line {
            approx,
            err,
            exact: OnceLock::new(),
            source: Some(source),
        }
    }

    /// The line through two exact points `p -> q`, oriented so that points
    /// to the left of `p -> q` are positive. `None` if `p == q`.
    pub fn through(p: &(Rational, Rational), q: &(Rational, Rational)) -> Option<Line> {
        if p == q {
            return None;
        }
        let a = Rational::from(&p.1 - &q.1);
        let b = Rational::from(&q.0 - &p.0);
        let c = Rational::from(&p.0 * &q.1) - Rational::from(&q.0 * &p.1);
        Some(Line::from_rationals([a, b, c]))
    }

    /// The `f64` approximation `[a, b, c]`.
    #[inline]
    pub fn approx(&self) -> [f64; 3] {
        self.approx
    }

    /// The elementwise error bound of [`Line::approx`].
    #[inline]
    pub fn err(&self) -> [f64; 3] {
        self.err
    }

    /// Whether the approximation is the exact line (all errors zero).
    #[inline]
    pub fn is_exact_f64(&self) -> bool {
        self.err == [0.0; 3]
    }

    /// The exact coefficients (computed once, then cached).
    pub fn exact(&self) -> &ExactLine {
        self.exact.get_or_init(|| match &self.source {
            Some(src) => ExactLine::from_rationals(&src()),
            None => {
                // No source and not set at construction: the approximation is exact.
                let r = self
                    .approx
                    .map(|x| Rational::from_f64(x).expect("finite by construction"));
                ExactLine::from_rationals(&r)
            }
        })
    }

    /// Whether the exact coefficients have been computed already.
    pub fn has_exact(&self) -> bool {
        self.exact.get().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn through_points_is_oriented_left_positive() {
        let p = (Rational::from(0), Rational::from(0));
        let q = (Rational::from(1), Rational::from(0));
        let l = Line::through(&p, &q).unwrap();
        // (0, 1) lies to the left of the x-axis walked in +x direction.
        let v = l.exact().eval(&Rational::from(0), &Rational::from(1));
        assert!(v > 0);
        assert!(Line::through(&p, &p).is_none());
    }

    #[test]
    fn deferred_source_is_called_lazily() {
        let l = Line::with_error(
            [1.0 / 3.0, 1.0, 0.0],
            [1e-16, 0.0, 0.0],
            Arc::new(|| [Rational::from((1, 3)), Rational::from(1), Rational::new()]),
        );
        assert!(!l.has_exact());
        assert_eq!(
            l.exact().coef,
            [Integer::from(1), Integer::from(3), Integer::from(0)]
        );
        assert!(l.has_exact());
    }

    #[test]
    fn non_finite_coefficients_are_refused() {
        assert!(Line::from_f64(f64::NAN, 0.0, 1.0).is_none());
        assert!(Line::from_f64(0.0, f64::INFINITY, 1.0).is_none());
    }
}
