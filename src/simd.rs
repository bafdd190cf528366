//! Hot kernels on 256-bit vectors (AVX2), chosen at run time where the
//! processor has it. The only module with `unsafe` code: the calls of
//! functions compiled for AVX2, after checking that the processor has it,
//! and the vector loads and stores of the kernels below.
//!
//! The crate is compiled for the baseline `x86_64` target (SSE2: two `f64`
//! per vector), so that the binary runs on any such machine. AVX2 holds
//! four. [`with_avx2`] runs a closure compiled for AVX2 (the kernels it
//! inlines vectorise four lines or outputs at a time). Three kernels are
//! written for it: [`dense3`], the fused dense kernel's inner product,
//! keeps eight outputs' sums (for the three columns of a form) in
//! registers at once where the portable kernel keeps four, twice the
//! independent sums, so that the adders are busy every cycle rather than
//! waiting on their own last sum; [`dense_points`], the vertex pass's
//! product, sixteen outputs' values and bounds; [`sign_masks`], the vertex
//! pass's proven signs, four values per compare.
//!
//! The arithmetic is the portable code's, operation for operation: the same
//! products and sums in the same order, each rounded once (no fused
//! multiply-add: AVX2 alone does not enable FMA, and Rust never contracts a
//! product and a sum). So the results are the same bits on every machine,
//! which the tests below check against the portable code, including signed
//! zeros, subnormals and overflow to infinity.

use std::sync::OnceLock;

/// An input of the fused dense kernel: its index and its values `u, v, c`,
/// each twice (one per SSE2 lane; this kernel reads the first).
pub(crate) type ActiveInput = (usize, [[f64; 2]; 3]);

/// Whether the processor has AVX2 (asked once).
pub(crate) fn has_avx2() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx2")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

/// `f()`, compiled for AVX2 where the processor has it: the kernels that
/// `f` inlines (`#[inline(always)]`) are vectorised four `f64` wide.
/// The same operations either way, so the same results.
#[inline(always)]
pub(crate) fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        /// `f()` in a function compiled for AVX2 (which inlines it).
        #[target_feature(enable = "avx2")]
        fn run<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        // SAFETY: the processor has AVX2 (checked just above), all `run`
        // needs.
        #[allow(unsafe_code)]
        return unsafe { run(f) };
    }
    f()
}

/// `net::affine`'s `dense3` on AVX2: `y_j[o] = Σ_(i, x) w[i][o] · x_j`
/// over the listed inputs in list order, for `j = 0, 1, 2`, with `wt4`
/// the weights in blocks of four outputs (`wt4[b * inf + i]`); with `ABS`,
/// the absolute weights. `None` where the processor lacks AVX2 (the caller
/// runs the portable kernel).
#[inline]
pub(crate) fn dense3<const ABS: bool>(
    wt4: &[[f64; 4]],
    inf: usize,
    act: &[ActiveInput],
    y: [&mut [f64]; 3],
) -> Option<()> {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the processor has AVX2 (checked just above), all this
        // function needs.
        #[allow(unsafe_code)]
        unsafe {
            x86::dense3::<ABS>(wt4, inf, act, y)
        };
        return Some(());
    }
    let _ = (wt4, inf, act, y);
    None
}

/// `net::points`' dense product of one point on AVX2: `y[o] = Σ x_i·w[i][o]`
/// and `ye[o] = Σ z_i·|w[i][o]|` over the listed `(i, x_i, z_i)` in list
/// order (`+0` start, one rounded product and one rounded sum per term),
/// with `wt4` as for [`dense3`]; `y` and `ye` hold the layer's outputs.
/// `None` where the processor lacks AVX2 (the caller runs the portable
/// kernel).
#[inline]
pub(crate) fn dense_points(
    wt4: &[[f64; 4]],
    inf: usize,
    act: &[(usize, f64, f64)],
    y: &mut [f64],
    ye: &mut [f64],
) -> Option<()> {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the processor has AVX2 (checked just above), all this
        // function needs.
        #[allow(unsafe_code)]
        unsafe {
            x86::dense_points(wt4, inf, act, y, ye)
        };
        return Some(());
    }
    let _ = (wt4, inf, act, y, ye);
    None
}

/// `exact::predicates::value_sign_masks` on AVX2 (the same comparisons,
/// four values at a time): bit `k` of the first mask where `|x[k]| > e[k]`,
/// `x[k]` is finite and positive, of the second where so and negative.
/// `None` where the processor lacks AVX2.
#[inline]
pub(crate) fn sign_masks(x: &[f64], e: &[f64]) -> Option<(u64, u64)> {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the processor has AVX2 (checked just above), all this
        // function needs.
        #[allow(unsafe_code)]
        return Some(unsafe { x86::sign_masks(x, e) });
    }
    let _ = (x, e);
    None
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use std::arch::x86_64::{
        __m256d, _mm256_add_pd, _mm256_and_pd, _mm256_castsi256_pd, _mm256_cmp_pd, _mm256_loadu_pd,
        _mm256_movemask_pd, _mm256_mul_pd, _mm256_set1_epi64x, _mm256_set1_pd, _mm256_setzero_pd,
        _mm256_storeu_pd, _CMP_GT_OQ, _CMP_LT_OQ,
    };

    use super::ActiveInput;

    /// Four weights of one input, made absolute with `ABS`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn weights<const ABS: bool>(w: &[f64; 4], mask: __m256d) -> __m256d {
        // SAFETY: `w` is four readable `f64` (an unaligned load).
        let w = unsafe { _mm256_loadu_pd(w.as_ptr()) };
        if ABS {
            _mm256_and_pd(w, mask)
        } else {
            w
        }
    }

    /// Writes a block's four sums per column to `y_j[lo..]` (fewer where
    /// the layer's last block is padded). A macro, so that it is inlined
    /// (a function with its own target feature is not).
    macro_rules! store {
        ($acc:expr, $y:expr, $lo:expr) => {
            for (a, y) in $acc.into_iter().zip($y.iter_mut()) {
                let lo = $lo;
                let mut s = [0.0f64; 4];
                // SAFETY: `s` is four writable `f64` (an unaligned store).
                unsafe { _mm256_storeu_pd(s.as_mut_ptr(), a) };
                if lo + 4 <= y.len() {
                    // A constant-length copy (no call to memcpy).
                    y[lo..lo + 4].copy_from_slice(&s);
                } else {
                    let n = y.len() - lo;
                    y[lo..].copy_from_slice(&s[..n]);
                }
            }
        };
    }

    /// See [`super::dense3`]; two blocks (eight outputs) at a time.
    #[target_feature(enable = "avx2")]
    pub(super) fn dense3<const ABS: bool>(
        wt4: &[[f64; 4]],
        inf: usize,
        act: &[ActiveInput],
        y: [&mut [f64]; 3],
    ) {
        let mut y = y;
        if inf == 0 {
            return;
        }
        let blocks = wt4.len() / inf;
        // Every bit but the sign.
        let mask = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let mut b = 0;
        while b + 2 <= blocks {
            let (w0, w1) = (
                &wt4[b * inf..(b + 1) * inf],
                &wt4[(b + 1) * inf..(b + 2) * inf],
            );
            let mut p = [_mm256_setzero_pd(); 3];
            let mut q = [_mm256_setzero_pd(); 3];
            for &(i, x) in act {
                let (a, c) = (weights::<ABS>(&w0[i], mask), weights::<ABS>(&w1[i], mask));
                for j in 0..3 {
                    let xj = _mm256_set1_pd(x[j][0]);
                    p[j] = _mm256_add_pd(p[j], _mm256_mul_pd(a, xj));
                    q[j] = _mm256_add_pd(q[j], _mm256_mul_pd(c, xj));
                }
            }
            store!(p, y, 4 * b);
            store!(q, y, 4 * b + 4);
            b += 2;
        }
        if b < blocks {
            let w0 = &wt4[b * inf..(b + 1) * inf];
            let mut p = [_mm256_setzero_pd(); 3];
            for &(i, x) in act {
                let a = weights::<ABS>(&w0[i], mask);
                for j in 0..3 {
                    let xj = _mm256_set1_pd(x[j][0]);
                    p[j] = _mm256_add_pd(p[j], _mm256_mul_pd(a, xj));
                }
            }
            store!(p, y, 4 * b);
        }
    }

    /// See [`super::dense_points`]: `NB` blocks (`4·NB` outputs) from
    /// block `b` on, their `2·NB` sums in registers.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn points_blocks<const NB: usize>(
        wt4: &[[f64; 4]],
        inf: usize,
        act: &[(usize, f64, f64)],
        b: usize,
        (y, ye): (&mut [f64], &mut [f64]),
    ) {
        // Every bit but the sign.
        let mask = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let mut w: [&[[f64; 4]]; NB] = [&[]; NB];
        for (k, w) in w.iter_mut().enumerate() {
            *w = &wt4[(b + k) * inf..(b + k + 1) * inf];
        }
        let mut sy = [_mm256_setzero_pd(); NB];
        let mut se = [_mm256_setzero_pd(); NB];
        for &(i, x, z) in act {
            let (xv, zv) = (_mm256_set1_pd(x), _mm256_set1_pd(z));
            for k in 0..NB {
                // SAFETY: `w[k][i]` is four readable `f64` (an unaligned
                // load).
                let wk = unsafe { _mm256_loadu_pd(w[k][i].as_ptr()) };
                sy[k] = _mm256_add_pd(sy[k], _mm256_mul_pd(xv, wk));
                se[k] = _mm256_add_pd(se[k], _mm256_mul_pd(zv, _mm256_and_pd(wk, mask)));
            }
        }
        let mut out = [y, ye];
        for k in 0..NB {
            store!([sy[k], se[k]], out, 4 * (b + k));
        }
    }

    /// See [`super::dense_points`]; four blocks (sixteen outputs) at a
    /// time, then two, then one.
    #[target_feature(enable = "avx2")]
    pub(super) fn dense_points(
        wt4: &[[f64; 4]],
        inf: usize,
        act: &[(usize, f64, f64)],
        y: &mut [f64],
        ye: &mut [f64],
    ) {
        if inf == 0 {
            return;
        }
        let blocks = wt4.len() / inf;
        let mut b = 0;
        while b + 4 <= blocks {
            points_blocks::<4>(wt4, inf, act, b, (&mut *y, &mut *ye));
            b += 4;
        }
        if b + 2 <= blocks {
            points_blocks::<2>(wt4, inf, act, b, (&mut *y, &mut *ye));
            b += 2;
        }
        if b < blocks {
            points_blocks::<1>(wt4, inf, act, b, (&mut *y, &mut *ye));
        }
    }

    /// See [`super::sign_masks`].
    #[target_feature(enable = "avx2")]
    pub(super) fn sign_masks(x: &[f64], e: &[f64]) -> (u64, u64) {
        let n = x.len().min(e.len()).min(64);
        let (x, e) = (&x[..n], &e[..n]);
        let mask = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let (inf, zero) = (_mm256_set1_pd(f64::INFINITY), _mm256_setzero_pd());
        let (mut pos, mut neg) = (0u64, 0u64);
        let mut k = 0;
        while k + 4 <= n {
            // SAFETY: `x[k..k + 4]` and `e[k..k + 4]` are readable
            // (unaligned loads).
            let (xv, ev) = unsafe {
                (
                    _mm256_loadu_pd(x[k..k + 4].as_ptr()),
                    _mm256_loadu_pd(e[k..k + 4].as_ptr()),
                )
            };
            let ax = _mm256_and_pd(xv, mask);
            // `|x| > e` and `|x| < ∞` (ordered: false for NaN).
            let proven = _mm256_and_pd(
                _mm256_cmp_pd::<_CMP_GT_OQ>(ax, ev),
                _mm256_cmp_pd::<_CMP_LT_OQ>(ax, inf),
            );
            let p = _mm256_and_pd(proven, _mm256_cmp_pd::<_CMP_GT_OQ>(xv, zero));
            let q = _mm256_and_pd(proven, _mm256_cmp_pd::<_CMP_LT_OQ>(xv, zero));
            pos |= (_mm256_movemask_pd(p) as u64) << k;
            neg |= (_mm256_movemask_pd(q) as u64) << k;
            k += 4;
        }
        for (k, (&x, &e)) in x.iter().zip(e).enumerate().skip(k) {
            let proven = (x.abs() > e) & x.is_finite();
            pos |= u64::from(proven & (x > 0.0)) << k;
            neg |= u64::from(proven & (x < 0.0)) << k;
        }
        (pos, neg)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    use super::ActiveInput;
    use crate::net::affine::dense3_portable;
    use crate::net::points::dense_points_portable;

    /// Numbers that stress rounding: zeros of both signs, subnormals, huge
    /// values (whose products overflow), and ordinary ones.
    fn num() -> impl Strategy<Value = f64> {
        prop_oneof![
            1 => Just(0.0),
            1 => Just(-0.0),
            1 => (-1000i64..1000).prop_map(|k| k as f64 * f64::MIN_POSITIVE / 64.0),
            1 => (-4i32..4).prop_map(|k| f64::from(k) * 1e300),
            6 => -2.0f64..2.0,
        ]
    }

    /// The same bits, or both NaN.
    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    proptest! {
        #![proptest_config(Config {
            cases: 2000,
            rng_seed: RngSeed::Fixed(0x5_1ad),
            failure_persistence: None,
            ..Config::default()
        })]

        /// `dense3` on AVX2 gives the portable kernel's bits, for plain
        /// and absolute weights, on every shape (odd and even block counts,
        /// a padded last block) and for inputs in any order, repeated or
        /// none. (Where the processor lacks AVX2 the test is vacuous: the
        /// portable kernel is what runs.)
        #[test]
        fn dense3_on_avx2_is_the_portable_kernel(
            (inf, outf, w, act) in (1usize..12, 1usize..23).prop_flat_map(|(inf, outf)| {
                let blocks = outf.div_ceil(4);
                (
                    Just(inf),
                    Just(outf),
                    prop::collection::vec(prop::array::uniform4(num()), blocks * inf),
                    prop::collection::vec((0..inf, num(), num(), num()), 0..16),
                )
            }),
        ) {
            if !super::has_avx2() {
                // Nothing to compare: the portable kernel is what runs.
                return Ok(());
            }
            let act: Vec<ActiveInput> =
                act.into_iter().map(|(i, u, v, c)| (i, [[u, u], [v, v], [c, c]])).collect();
            for abs in [false, true] {
                let mut want = vec![vec![f64::NAN; outf]; 3];
                let mut got = vec![vec![f64::NAN; outf]; 3];
                let [a, b, c] = &mut want[..] else { unreachable!() };
                let [d, e, f] = &mut got[..] else { unreachable!() };
                if abs {
                    dense3_portable::<true>(&w, inf, &act, [a, b, c]);
                    let _ = super::dense3::<true>(&w, inf, &act, [d, e, f]);
                } else {
                    dense3_portable::<false>(&w, inf, &act, [a, b, c]);
                    let _ = super::dense3::<false>(&w, inf, &act, [d, e, f]);
                }
                for j in 0..3 {
                    prop_assert!(same(&want[j], &got[j]), "abs {} column {}: {:?} vs {:?}", abs, j, want[j], got[j]);
                }
            }
        }

        /// `dense_points` on AVX2 gives the portable kernel's bits (values
        /// and bounds) on every shape: one to six blocks (the four-, two-
        /// and one-block passes), a padded last block, inputs in any order,
        /// repeated or none.
        #[test]
        fn dense_points_on_avx2_is_the_portable_kernel(
            (inf, outf, w, act) in (1usize..12, 1usize..25).prop_flat_map(|(inf, outf)| {
                let blocks = outf.div_ceil(4);
                (
                    Just(inf),
                    Just(outf),
                    prop::collection::vec(prop::array::uniform4(num()), blocks * inf),
                    prop::collection::vec((0..inf, num(), num()), 0..16),
                )
            }),
        ) {
            if !super::has_avx2() {
                // Nothing to compare: the portable kernel is what runs.
                return Ok(());
            }
            let (mut y, mut ye) = (vec![f64::NAN; outf], vec![f64::NAN; outf]);
            let (mut y2, mut ye2) = (vec![f64::NAN; outf], vec![f64::NAN; outf]);
            dense_points_portable(&w, inf, &act, &mut y, &mut ye);
            prop_assert!(super::dense_points(&w, inf, &act, &mut y2, &mut ye2).is_some());
            prop_assert!(same(&y, &y2), "{:?} vs {:?}", y, y2);
            prop_assert!(same(&ye, &ye2), "{:?} vs {:?}", ye, ye2);
        }
    }

    /// `with_avx2` returns what its closure returns.
    #[test]
    fn with_avx2_runs_the_closure() {
        let xs = [1.5f64, -2.0, 0.25];
        assert_eq!(super::with_avx2(|| xs.iter().sum::<f64>()), -0.25);
    }
}
