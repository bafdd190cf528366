//! Exact conversions between floats, rationals and integers.
//!
//! A finite float is a dyadic rational `m·2^e`, so converting it to a
//! [`rug::Rational`] loses nothing. Non-finite floats have no rational value
//! and are refused.

use rug::{Integer, Rational};

/// The exact rational value of a finite `f64`, or `None` for NaN and ±inf.
///
/// ```
/// use splinecam::exact::number::rational_from_f64;
/// let r = rational_from_f64(0.1).unwrap();
/// // 0.1 is not 1/10: it is the nearest dyadic rational.
/// assert_ne!(r, rug::Rational::from((1, 10)));
/// assert_eq!(r.to_f64(), 0.1);
/// ```
pub fn rational_from_f64(x: f64) -> Option<Rational> {
    Rational::from_f64(x)
}

/// The exact rational value of a finite `f32` (every `f32` is an `f64`).
pub fn rational_from_f32(x: f32) -> Option<Rational> {
    Rational::from_f64(f64::from(x))
}

/// The `f64` nearest to `r` **towards zero** and a bound `e >= |r - approx|`.
///
/// The bound is itself an `f64` rounded upwards, so it is rigorous; it is `0`
/// exactly when `r` is representable. Values beyond the `f64` range give an
/// infinite approximation (and infinite bound), which callers treat as "the
/// filter cannot decide".
pub fn approx_with_error(r: &Rational) -> (f64, f64) {
    let approx = r.to_f64();
    if !approx.is_finite() {
        return (approx, f64::INFINITY);
    }
    // `approx` is finite, hence exactly representable as a rational.
    let back = Rational::from_f64(approx).expect("finite");
    if &back == r {
        return (approx, 0.0);
    }
    let diff = Rational::from(r - &back).abs();
    // to_f64 truncates towards zero, so next_up gives an upper bound.
    let err = diff.to_f64().next_up();
    (approx, err)
}

/// Scales rationals by one positive factor so that all become integers with
/// no common divisor (unless all are zero). Signs of linear expressions are
/// unchanged by a positive factor, which is why lines may be stored this way.
///
/// ```
/// use rug::{Integer, Rational};
/// use splinecam::exact::number::primitive_integers;
/// let v = [Rational::from((1, 2)), Rational::from((-3, 4)), Rational::from(0)];
/// let ints = primitive_integers(&v);
/// assert_eq!(ints, vec![Integer::from(2), Integer::from(-3), Integer::from(0)]);
/// ```
pub fn primitive_integers(values: &[Rational]) -> Vec<Integer> {
    let mut ints = scaled_integers(values);
    let mut g = Integer::new();
    for i in &ints {
        g.gcd_mut(i);
    }
    if g > 1 {
        for i in &mut ints {
            i.div_exact_mut(&g);
        }
    }
    ints
}

/// Scales rationals by one positive factor so that all become integers,
/// not all even (unless all are zero): [`primitive_integers`] without the
/// division by their odd common divisor, which costs a gcd of the full
/// numbers (the most expensive step for the long numbers of deep layers)
/// and rarely finds more than 1 there. Integer division by the
/// denominators' lcm and the common power of two are cheap.
///
/// ```
/// use rug::{Integer, Rational};
/// use splinecam::exact::number::scaled_integers;
/// let v = [Rational::from((3, 2)), Rational::from((-9, 4)), Rational::from(0)];
/// // times 4: 6, -9, 0 (3 divides all three, and stays)
/// assert_eq!(scaled_integers(&v), vec![Integer::from(6), Integer::from(-9), Integer::from(0)]);
/// let halves = [Rational::from(4), Rational::from(-8)];
/// assert_eq!(scaled_integers(&halves), vec![Integer::from(1), Integer::from(-2)]);
/// ```
pub fn scaled_integers(values: &[Rational]) -> Vec<Integer> {
    let mut lcm = Integer::from(1);
    for v in values {
        lcm.lcm_mut(v.denom());
    }
    let mut ints: Vec<Integer> = values
        .iter()
        .map(|v| {
            // `lcm / den` is an integer, and so is its product with `num`.
            let mut f = lcm.clone();
            f.div_exact_mut(v.denom());
            f * v.numer()
        })
        .collect();
    let twos = ints.iter().filter_map(|i| i.find_one(0)).min();
    if let Some(t) = twos.filter(|&t| t > 0) {
        for i in &mut ints {
            *i >>= t;
        }
    }
    ints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_convert_exactly() {
        for x in [0.0, -0.0, 1.0, 0.1, -1e-300, 5e-324, f64::MAX, 1.0 / 3.0] {
            let r = rational_from_f64(x).unwrap();
            assert_eq!(r.to_f64(), x);
        }
        assert!(rational_from_f64(f64::NAN).is_none());
        assert!(rational_from_f64(f64::INFINITY).is_none());
        assert_eq!(
            rational_from_f32(0.1f32).unwrap(),
            rational_from_f64(f64::from(0.1f32)).unwrap()
        );
    }

    #[test]
    fn approximation_bound_is_rigorous() {
        let third = Rational::from((1, 3));
        let (a, e) = approx_with_error(&third);
        assert!(e > 0.0);
        let dist = (&third - Rational::from_f64(a).unwrap()).abs();
        assert!(dist <= Rational::from_f64(e).unwrap());
        // ... and not absurdly loose: within one ulp of 1/3.
        assert!(e <= f64::EPSILON / 2.0);
        let (a, e) = approx_with_error(&Rational::from((3, 8)));
        assert_eq!((a, e), (0.375, 0.0));
        let huge = Rational::from(Integer::from(1) << 2000);
        assert!(approx_with_error(&huge).1.is_infinite());
    }

    /// Integers that are one positive multiple of the rationals, not all
    /// even, for zeros, signs, powers of two, odd and mixed denominators.
    #[test]
    fn scaled_integers_are_one_positive_multiple() {
        let cases: Vec<Vec<Rational>> = vec![
            vec![Rational::new(), Rational::new(), Rational::new()],
            vec![Rational::from(0), Rational::from(-8), Rational::from(0)],
            vec![
                Rational::from((3, 1024)),
                Rational::from((-5, 3)),
                Rational::from(7),
            ],
            vec![
                Rational::from((1, 3)),
                Rational::from((2, 3)),
                Rational::from((4, 3)),
            ],
            vec![Rational::from(6), Rational::from(-10), Rational::from(14)],
            vec![
                Rational::from_f64(1e-300).unwrap(),
                Rational::from_f64(-2e300).unwrap(),
            ],
        ];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut more = Vec::new();
        for _ in 0..200 {
            let mut v = Vec::new();
            for _ in 0..3 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let num = (x % 41) as i64 - 20;
                let den = [1u64, 2, 3, 4, 6, 8, 12, 1 << 40][(x >> 20) as usize % 8];
                v.push(Rational::from((num, den)));
            }
            more.push(v);
        }
        for v in cases.iter().chain(&more) {
            let ints = scaled_integers(v);
            assert_eq!(ints.len(), v.len());
            if v.iter().all(|r| *r == 0) {
                assert!(ints.iter().all(|i| *i == 0));
                continue;
            }
            assert!(ints.iter().any(|i| i.is_odd()), "{v:?} -> {ints:?}");
            // One factor s > 0 with ints[i] = s * v[i] for every i.
            let (i0, r0) = v.iter().enumerate().find(|(_, r)| **r != 0).unwrap();
            let s = Rational::from(&ints[i0]) / r0;
            assert!(s > 0);
            for (r, i) in v.iter().zip(&ints) {
                assert_eq!(Rational::from(r * &s), Rational::from(i), "{v:?}");
            }
        }
    }

    #[test]
    fn primitive_integers_keep_ratios_and_signs() {
        let v = [
            Rational::from((6, 10)),
            Rational::from((-9, 15)),
            Rational::from((3, 7)),
        ];
        let ints = primitive_integers(&v);
        // 3/5, -3/5, 3/7 -> times 35/3 = 7, -7, 5
        assert_eq!(
            ints,
            vec![Integer::from(7), Integer::from(-7), Integer::from(5)]
        );
        let zeros = primitive_integers(&[Rational::new(), Rational::new()]);
        assert!(zeros.iter().all(|z| *z == 0));
    }
}
