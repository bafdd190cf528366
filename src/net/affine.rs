//! Affine-form propagation: a tensor `t` as `t = T_u·u + T_v·v + T_1` on a face
//! (DESIGN section 2), pushed through the graph op by op, in f64 with a
//! rigorous error bound and exactly.
//!
//! # The f64 error bound
//!
//! An [`AffineForm`] stores computed tensors `û, v̂, ĉ` and bounds `e` with
//! `|computed - exact| <= e` element-wise, where "exact" is the
//! [`ExactAffineForm`] of the same face (propagated in rationals).
//!
//! Every linear op computes each output as `y = Σ_i w_i x_i + b` with at most
//! `m` terms (`m` = fan-in; weights `w_i` are exact rationals: stored floats, or
//! `1/d` for division and average pooling, and `b` the stored bias). It is
//! evaluated in f64 as a recursive sum of rounded products (or, for average
//! pooling, a rounded sum followed by one rounded division; for division, one
//! rounded quotient). With inputs `x̂_i`, `|x̂_i - x_i| <= e_i`, the standard
//! analysis (Higham, *Accuracy and Stability*, §3.1, 3.4) gives
//!
//! `|ŷ - y| <= Σ|w_i| e_i + γ_n (Σ|w_i||x̂_i| + |b|)`, `γ_n = n u / (1 - n u)`, `u = 2^-53`,
//!
//! with `n = m + 3` (one more term for the bias and slack for the final division
//! or the inexact `1/d`). Since the op is linear, the right-hand side is
//! `|op|(e + γ_n |x̂|) + γ_n |b|`, where `|op|` is the op with absolute weights.
//! We evaluate that in f64 (`|op|` is itself a sum of at most `m` products, plus
//! two roundings forming `e + γ|x̂|`, and `1/|d|` is rounded), so the computed
//! bound may be smaller than the true right-hand side by a relative `γ_{n+2}`; we
//! multiply by `1 + 4(n+2)u` (which exceeds `1/(1-γ_{n+2})` for `n u < 1/8`) and
//! add `(n+1)·2^-1022`, which covers gradual underflow in all products (each
//! contributes at most `2^-1075` absolute error). Pad, reshape, concat,
//! max selection, ReLU and abs move or negate values exactly and copy the
//! bounds. Leaky-ReLU/PReLU slopes are a one-term linear op (`n = 4`).
//! Bounds are non-negative, and infinite or NaN values propagate to an
//! infinite/NaN bound, which a caller must treat as "undecided".
//!
//! The fused ReLU + dense kernel (`Network::apply_dense_relu_f64`) bounds
//! `|op|(e + γ|x̂|)` from above by `(Σ|w|)·max(e + γ|x̂|)` (three scales
//! per form) while its input's bounds are small next to the values, and
//! evaluates it element-wise, as above, once they are not
//! (`AffineForm::loose`): in deep networks the coarse bound's growth per
//! layer would otherwise leave the filter undecided.

use std::sync::Arc;

use rug::Rational;

use crate::exact::number::approx_with_error;
use crate::simd::ActiveInput;

use super::error::NetError;
use super::forward::{
    activation_exact, activation_f64_into, linear_exact, linear_f64, ExactTensor, F64Mode, Pattern,
    RowScales,
};
use super::ir::{Network, Op, OpClass};

const U: f64 = 1.0 / 9_007_199_254_740_992.0; // 2^-53

/// Bounds past this share of the values ([`AffineForm::loose`], 2^-28)
/// make the fused dense kernel bound its output element-wise: its scaled
/// bounds grow by a layer's largest absolute row sum per layer, the
/// element-wise ones by about the row sums over the inputs that are on,
/// which in deep networks is what keeps the `f64` filter deciding signs.
/// Chosen on the benchmark's random MLPs (`examples/mlp_profile.rs`): at
/// 2^-26, 2-32x50-1 has 10 exact signs again (none at 2^-28; 11,125 with
/// scaled bounds throughout); at 2^-30, 2-64x8-1 (no exact sign either
/// way) spends 1 % more instructions on element-wise bounds it does not
/// need, at 2^-28 none.
pub(crate) const LOOSE: f64 = 1.0 / 268_435_456.0;

/// Work that reads a form's bounds element by element
/// ([`AffineForm::with_errors`]): `run` gets `k ↦ [err_u[k], err_v[k],
/// err_c[k]]`.
pub(crate) trait ErrorsUser {
    /// What the work returns.
    type Out;
    /// Does the work with the bounds `err`.
    fn run(self, err: impl Fn(usize) -> [f64; 3] + Copy) -> Self::Out;
}

/// `y_j[o] = Σ_(i, x) w[i][o] · x_j` over the listed inputs in list order
/// (`+0` start, one rounded product and one rounded sum per term, as the
/// generic kernel), for `j = 0, 1, 2`; `wt4` holds the weights in blocks of
/// four outputs (see `AbsData::wt4`). Each block keeps its twelve sums in
/// registers (SIMD) while walking the inputs.
///
/// With `ABS`, the absolute weights: `y_j[o] = Σ |w[i][o]| · x_j`, the
/// element-wise bounds' products (`x` then holds the inputs' `z`).
///
/// Runs on 256-bit vectors where the processor has AVX2
/// ([`crate::simd`]: the same operations, the same bits), else here.
fn dense3<const ABS: bool>(wt4: &[[f64; 4]], inf: usize, act: &[ActiveInput], y: [&mut [f64]; 3]) {
    let [yu, yv, yc] = y;
    if crate::simd::dense3::<ABS>(wt4, inf, act, [&mut *yu, &mut *yv, &mut *yc]).is_none() {
        dense3_portable::<ABS>(wt4, inf, act, [yu, yv, yc]);
    }
}

/// [`dense3`] on baseline `x86_64` (two `f64` per vector) or any target.
pub(crate) fn dense3_portable<const ABS: bool>(
    wt4: &[[f64; 4]],
    inf: usize,
    act: &[ActiveInput],
    y: [&mut [f64]; 3],
) {
    let [yu, yv, yc] = y;
    let outf = yu.len();
    for (b, blk) in wt4.chunks_exact(inf).enumerate() {
        let mut acc = [[0.0f64; 2]; 6];
        for &(i, x) in act {
            let [w0, w1, w2, w3] = if ABS { blk[i].map(f64::abs) } else { blk[i] };
            for (j, x) in x.iter().enumerate() {
                acc[2 * j][0] += w0 * x[0];
                acc[2 * j][1] += w1 * x[1];
                acc[2 * j + 1][0] += w2 * x[0];
                acc[2 * j + 1][1] += w3 * x[1];
            }
        }
        let lo = 4 * b;
        for (j, y) in [&mut *yu, &mut *yv, &mut *yc].into_iter().enumerate() {
            let [[p, q], [r, t]] = [acc[2 * j], acc[2 * j + 1]];
            if lo + 4 <= outf {
                // A constant-length copy (no call to memmove).
                y[lo..lo + 4].copy_from_slice(&[p, q, r, t]);
            } else {
                for (yo, v) in y[lo..].iter_mut().zip([p, q, r, t]) {
                    *yo = v;
                }
            }
        }
    }
}

/// Whether every element of `xs` is finite, without a branch per element:
/// `x·0` is `±0` for finite `x` and NaN otherwise, summed in eight lanes.
fn all_finite(xs: &[f64]) -> bool {
    crate::simd::with_avx2(
        #[inline(always)]
        || all_finite_here(xs),
    )
}

/// [`all_finite`]'s loop (inlined into its AVX2 build).
#[inline(always)]
fn all_finite_here(xs: &[f64]) -> bool {
    let mut acc = [0.0f64; 8];
    let mut chunks = xs.chunks_exact(8);
    for ch in &mut chunks {
        for (a, x) in acc.iter_mut().zip(ch) {
            *a += x * 0.0;
        }
    }
    for x in chunks.remainder() {
        acc[0] += x * 0.0;
    }
    acc.iter().all(|a| *a == 0.0)
}

/// The inputs `i` of one row (values `x = [u, v, c]`, bounds `err(i)`) with
/// `on(i)`, which must be finite, that are not zero in all six arrays,
/// written to `act` as `(i, u, v, c)` for [`dense3`] (and, given `zs`,
/// their `z_i` to it likewise); returns `max_i z_i` per array over them
/// (`z_i = e_i + γ|x̂_i|`, `γ = g`; `0` if none).
/// Inlined for each `on`, so that no mask is tested without a ReLU; the
/// bounds are read only for the inputs with `on(i)`.
#[inline(always)]
fn active_inputs(
    x: [&[f64]; 3],
    err: impl Fn(usize) -> [f64; 3],
    g: f64,
    on: impl Fn(usize) -> bool,
    act: &mut Vec<ActiveInput>,
    mut zs: Option<&mut Vec<ActiveInput>>,
) -> [f64; 3] {
    let [xu, xv, xc] = x;
    let n = xu.len();
    let (xv, xc) = (&xv[..n], &xc[..n]);
    let (mut mu, mut mv, mut mc) = (0.0f64, 0.0f64, 0.0f64);
    act.clear();
    if let Some(z) = zs.as_deref_mut() {
        z.clear();
    }
    for i in 0..n {
        if !on(i) {
            continue;
        }
        let (a, b, c) = (xu[i], xv[i], xc[i]);
        let [eu, ev, ec] = err(i);
        let ea = eu + g * a.abs();
        let eb = ev + g * b.abs();
        let ec = ec + g * c.abs();
        if a == 0.0 && b == 0.0 && c == 0.0 && ea == 0.0 && eb == 0.0 && ec == 0.0 {
            continue;
        }
        // `f64::max` without its NaN handling: finite inputs, no NaN.
        mu = if ea > mu { ea } else { mu };
        mv = if eb > mv { eb } else { mv };
        mc = if ec > mc { ec } else { mc };
        act.push((i, [[a, a], [b, b], [c, c]]));
        if let Some(z) = zs.as_deref_mut() {
            z.push((i, [[ea, ea], [eb, eb], [ec, ec]]));
        }
    }
    [mu, mv, mc]
}

/// The rows of a fused dense product ([`Network::apply_dense_relu_f64`]):
/// per row of the input, its active inputs, the products and the bias,
/// with the row's maximum of `z` pushed to `maxima`.
struct DenseRows<'a> {
    x: [&'a [f64]; 3],
    relu: Option<&'a [u32]>,
    g: f64,
    inf: usize,
    wt4: &'a [[f64; 4]],
    bias: &'a [f64],
    act: &'a mut Vec<ActiveInput>,
    maxima: &'a mut Vec<[f64; 3]>,
    y: [&'a mut [f64]; 3],
    /// For element-wise bounds: scratch for the active inputs' `z`, the
    /// bounds arrays (`[err_u | err_v | err_c]`, one row after another
    /// in each) and `n` of [`inflate`].
    each: Option<EachBounds<'a>>,
}

/// The element-wise bounds of [`DenseRows`]: `Σ_i |w_oi| z_i` over the
/// active inputs (`+ γ|b_o|` for `c`), inflated as in
/// [`Network::apply_linear_f64`], whose bounds these are (a ReLU's `off`
/// inputs are `0 ± 0` there).
struct EachBounds<'a> {
    zs: &'a mut Vec<ActiveInput>,
    e: [&'a mut [f64]; 3],
    n: usize,
}

impl ErrorsUser for DenseRows<'_> {
    type Out = ();

    fn run(self, err: impl Fn(usize) -> [f64; 3] + Copy) {
        let DenseRows {
            x,
            relu,
            g,
            inf,
            wt4,
            bias,
            act,
            maxima,
            y: [yu, yv, yc],
            mut each,
        } = self;
        let outf = bias.len();
        let rows = x[0].len() / inf;
        for r in 0..rows {
            let (k0, o0) = (r * inf, r * outf);
            let row = x.map(|a| &a[k0..k0 + inf]);
            let err = |i: usize| err(k0 + i);
            let zs = each.as_mut().map(|e| &mut *e.zs);
            maxima.push(match relu {
                Some(mask) => {
                    let mask = &mask[k0..k0 + inf];
                    active_inputs(row, err, g, |i| mask[i] == 1, act, zs)
                }
                None => active_inputs(row, err, g, |_| true, act, zs),
            });
            dense3::<false>(
                wt4,
                inf,
                act,
                [
                    &mut yu[o0..o0 + outf],
                    &mut yv[o0..o0 + outf],
                    &mut yc[o0..o0 + outf],
                ],
            );
            for (c, b) in yc[o0..o0 + outf].iter_mut().zip(bias) {
                *c += b;
            }
            if let Some(EachBounds {
                zs,
                e: [eu, ev, ec],
                n,
            }) = each.as_mut()
            {
                let [eu, ev, ec] = [eu, ev, ec].map(|e| &mut e[o0..o0 + outf]);
                dense3::<true>(wt4, inf, zs, [&mut *eu, &mut *ev, &mut *ec]);
                for (z, b) in ec.iter_mut().zip(bias) {
                    *z += g * b.abs();
                }
                // `inflate(z, n)` with its constants hoisted, one array
                // after another (a loop the compiler vectorises).
                let (k1, k2) = inflation(*n);
                for e in [eu, ev, ec] {
                    for z in e.iter_mut() {
                        *z = *z * k1 + k2;
                    }
                }
            }
        }
    }
}

/// `inflate(max_o |y_o|·inv_o, 1)` of [`AffineForm::step_scales`],
/// branch-free in four lanes.
#[inline(always)]
fn max_ratio(y: &[f64], inv: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (yc, ic) = (y.chunks_exact(4), inv.chunks_exact(4));
    let (yr, ir) = (yc.remainder(), ic.remainder());
    for (y4, i4) in yc.zip(ic) {
        for l in 0..4 {
            let x = y4[l].abs() * i4[l];
            acc[l] = if x > acc[l] { x } else { acc[l] };
        }
    }
    for (y, i) in yr.iter().zip(ir) {
        let x = y.abs() * i;
        acc[0] = if x > acc[0] { x } else { acc[0] };
    }
    inflate(acc[0].max(acc[1]).max(acc[2].max(acc[3])), 1)
}

/// `γ_n = n u / (1 − n u)`.
pub(super) fn gamma(n: usize) -> f64 {
    let nu = n as f64 * U;
    nu / (1.0 - nu)
}

/// A computed bound `z` (a sum of at most `n` rounded terms) made rigorous
/// (see the module documentation).
pub(super) fn inflate(z: f64, n: usize) -> f64 {
    let (k1, k2) = inflation(n);
    z * k1 + k2
}

/// The factor and the term of [`inflate`]: `inflate(z, n) = z·k1 + k2`.
#[inline]
fn inflation(n: usize) -> (f64, f64) {
    (
        1.0 + 4.0 * (n as f64 + 2.0) * U,
        (n as f64 + 1.0) * f64::MIN_POSITIVE,
    )
}

/// An f64 affine form with element-wise absolute error bounds.
///
/// The values `u, v, c` (all of the same length) live in one allocation, as
/// consecutive blocks, followed by the bounds `err_u, err_v, err_c` where
/// those are stored element-wise. The output of a fused dense layer
/// (`Network::apply_dense_relu_f64`) stores its bounds as three scales
/// instead: they are `(s_o·m_j + [j = 2]·γ|b_o|)·k1 + k2` for the layer's
/// absolute row sums `s` and biases `b` (shared with the network), which is
/// half the memory of such a form and exactly the same numbers.
#[derive(Clone)]
pub struct AffineForm {
    /// `[u | v | c]`, then `[err_u | err_v | err_c]` if `bounds` is `Each`.
    data: Box<[f64]>,
    len: usize,
    bounds: Bounds,
}

/// How a form holds its bounds.
#[derive(Clone, Debug)]
enum Bounds {
    /// Stored after the values.
    Each,
    /// Computed from a profile (see [`Scaled::err`]).
    Scaled(Scaled),
}

/// Bounds `err_j[o] = ((s[o]·m[j] + t[o]·q[j]) + [j = 2]·g·a[o])·k1 + k2`
/// (`q = 0` for a fused product's own bounds, which reads the same numbers
/// as without the `t` term: `x + 0 = x`).
#[derive(Clone, Debug)]
struct Scaled {
    /// The dense layer's absolute row sums `s`, largest absolute weights
    /// `t` and absolute biases `a` (shared by all its output forms).
    rows: Arc<RowScales>,
    m: [f64; 3],
    q: [f64; 3],
    g: f64,
    k1: f64,
    k2: f64,
}

impl Scaled {
    /// Bound `j` of element `o` (the fused kernel's arithmetic, bit for bit).
    #[inline]
    fn err(&self, j: usize, o: usize) -> f64 {
        let r = &*self.rows;
        let x = r.s[o] * self.m[j] + r.t[o] * self.q[j];
        if j == 2 {
            (x + self.g * r.a[o]) * self.k1 + self.k2
        } else {
            x * self.k1 + self.k2
        }
    }

    /// All three bounds arrays, each the length of `out[0]`, in one pass
    /// over the scales: the numbers of [`Self::err`]. Not inlined: as a
    /// function of its own, its output slices are known not to overlap the
    /// scales, and the loop runs in SIMD lanes (inlined into its callers,
    /// or appending to a vector, it stayed scalar).
    #[inline(never)]
    fn fill(&self, out: [&mut [f64]; 3]) {
        let [eu, ev, ec] = out;
        let n = eu.len();
        let (ev, ec) = (&mut ev[..n], &mut ec[..n]);
        let r = &*self.rows;
        let (s, t, a) = (&r.s[..n], &r.t[..n], &r.a[..n]);
        let ([m0, m1, m2], [q0, q1, q2]) = (self.m, self.q);
        let (g, k1, k2) = (self.g, self.k1, self.k2);
        // Four lanes on AVX2 where the processor has it (the same bits).
        crate::simd::with_avx2(
            #[inline(always)]
            || {
                for o in 0..n {
                    let (s, t) = (s[o], t[o]);
                    eu[o] = (s * m0 + t * q0) * k1 + k2;
                    ev[o] = (s * m1 + t * q1) * k1 + k2;
                    ec[o] = ((s * m2 + t * q2) + g * a[o]) * k1 + k2;
                }
            },
        );
    }

    fn finite(&self) -> bool {
        self.m.iter().chain(&self.q).all(|m| m.is_finite())
    }
}

impl PartialEq for AffineForm {
    /// Equal values and equal bounds, however they are held.
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self.values() == other.values()
            && (0..3).all(|j| self.err_block(j) == other.err_block(j))
    }
}

impl std::fmt::Debug for AffineForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AffineForm")
            .field("u", &self.u())
            .field("v", &self.v())
            .field("c", &self.c())
            .field("err_u", &self.err_u())
            .field("err_v", &self.err_v())
            .field("err_c", &self.err_c())
            .finish()
    }
}

/// An exact affine form: three exact tensors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExactAffineForm {
    /// Coefficients of `u`.
    pub u: ExactTensor,
    /// Coefficients of `v`.
    pub v: ExactTensor,
    /// Constants.
    pub c: ExactTensor,
}

impl AffineForm {
    /// The input form of the slice `x(u, v) = o + u·e1 + v·e2` (exact, zero error).
    pub fn input(o: &[f64], e1: &[f64], e2: &[f64]) -> Result<Self, NetError> {
        if o.len() != e1.len() || o.len() != e2.len() {
            return Err(NetError::Argument(
                "o, e1 and e2 must have the same length".into(),
            ));
        }
        if o.iter().chain(e1).chain(e2).any(|x| !x.is_finite()) {
            return Err(NetError::Argument("non-finite slice vector".into()));
        }
        let mut data = Vec::with_capacity(6 * o.len());
        data.extend_from_slice(e1);
        data.extend_from_slice(e2);
        data.extend_from_slice(o);
        data.resize(6 * o.len(), 0.0);
        Ok(AffineForm::from_data(o.len(), data))
    }

    /// The input form for rational `o, e1, e2` (e.g. `e1 = p1 - p0`): rounded
    /// to f64, with rounding-error bounds.
    pub fn input_rational(
        o: &[Rational],
        e1: &[Rational],
        e2: &[Rational],
    ) -> Result<Self, NetError> {
        if o.len() != e1.len() || o.len() != e2.len() {
            return Err(NetError::Argument(
                "o, e1 and e2 must have the same length".into(),
            ));
        }
        let split =
            |v: &[Rational]| -> (Vec<f64>, Vec<f64>) { v.iter().map(approx_with_error).unzip() };
        let (u, err_u) = split(e1);
        let (v, err_v) = split(e2);
        let (c, err_c) = split(o);
        Self::from_parts([&u, &v, &c], [&err_u, &err_v, &err_c])
    }

    /// A form of `len` elements whose values and bounds are all zero.
    pub fn zeros(len: usize) -> Self {
        AffineForm::from_data(len, vec![0.0; 6 * len])
    }

    /// The form with values `[u, v, c]` and bounds `[err_u, err_v, err_c]`
    /// (copied); an error unless all six have the same length.
    pub fn from_parts(values: [&[f64]; 3], errors: [&[f64]; 3]) -> Result<Self, NetError> {
        let len = values[0].len();
        if values.iter().chain(&errors).any(|a| a.len() != len) {
            return Err(NetError::Argument(
                "the six arrays of an affine form must have the same length".into(),
            ));
        }
        let mut data = Vec::with_capacity(6 * len);
        for a in values.iter().chain(&errors) {
            data.extend_from_slice(a);
        }
        Ok(AffineForm::from_data(len, data))
    }

    /// The `f64` form nearest (towards zero) to an exact form, with the
    /// exact rounding errors as its bounds: what an `f64` pass would carry
    /// with no rounding before this point.
    ///
    /// ```
    /// use rug::Rational;
    /// use splinecam::net::{AffineForm, ExactAffineForm};
    /// let third = Rational::from((1, 3));
    /// let e = ExactAffineForm::input_rational(&[third.clone()], &[Rational::from(1)], &[Rational::new()]).unwrap();
    /// let f = AffineForm::rounded(&e);
    /// assert_eq!((f.u()[0], f.v()[0]), (1.0, 0.0));
    /// assert_eq!(f.err_at(0)[..2], [0.0, 0.0]);
    /// let c = Rational::from_f64(f.c()[0]).unwrap();
    /// assert!(Rational::from(&third - &c).abs() <= Rational::from_f64(f.err_at(0)[2]).unwrap());
    /// ```
    pub fn rounded(exact: &ExactAffineForm) -> AffineForm {
        let n = exact.u.len();
        let mut data = vec![0.0; 6 * n];
        for (j, t) in [&exact.u, &exact.v, &exact.c].into_iter().enumerate() {
            for k in 0..n {
                let (x, e) = approx_with_error(&t.get(k));
                data[j * n + k] = x;
                data[(3 + j) * n + k] = e;
            }
        }
        AffineForm::from_data(n, data)
    }

    /// The form whose blocks `[u | v | c | err_u | err_v | err_c]` are `data`.
    fn from_data(len: usize, data: Vec<f64>) -> Self {
        debug_assert_eq!(data.len(), 6 * len, "six blocks of {len}");
        AffineForm {
            data: data.into_boxed_slice(),
            len,
            bounds: Bounds::Each,
        }
    }

    /// This form's memory, for the next form of the same shape
    /// ([`Network::apply_dense_relu_f64_in`]).
    pub(crate) fn into_buffer(self) -> Vec<f64> {
        self.data.into_vec()
    }

    /// Values block `j` (`0: u, 1: v, 2: c`), or for `j` in `3..6` the stored
    /// bounds `j − 3` (only for element-wise bounds: see [`Self::to_each`]).
    #[inline]
    fn block(&self, j: usize) -> &[f64] {
        assert!(
            j < 3 || matches!(self.bounds, Bounds::Each),
            "bounds stored as scales"
        );
        let n = self.len;
        &self.data[j * n..(j + 1) * n]
    }

    #[inline]
    fn block_mut(&mut self, j: usize) -> &mut [f64] {
        if j >= 3 {
            self.store_bounds();
        }
        let n = self.len;
        &mut self.data[j * n..(j + 1) * n]
    }

    /// Stores scaled bounds element-wise (after which they can be edited).
    fn store_bounds(&mut self) {
        if let Bounds::Scaled(sc) = &self.bounds {
            let n = self.len;
            let mut data = Vec::with_capacity(6 * n);
            data.extend_from_slice(&self.data[..3 * n]);
            data.resize(6 * n, 0.0);
            let (eu, rest) = data[3 * n..].split_at_mut(n);
            let (ev, ec) = rest.split_at_mut(n);
            sc.fill([eu, ev, ec]);
            self.data = data.into_boxed_slice();
            self.bounds = Bounds::Each;
        }
    }

    /// This form with its bounds stored element-wise (borrowed if they are).
    pub(crate) fn to_each(&self) -> std::borrow::Cow<'_, AffineForm> {
        match self.bounds {
            Bounds::Each => std::borrow::Cow::Borrowed(self),
            Bounds::Scaled(_) => {
                let mut f = self.clone();
                f.store_bounds();
                std::borrow::Cow::Owned(f)
            }
        }
    }

    /// Bounds array `j` (`0: err_u, 1: err_v, 2: err_c`).
    fn err_block(&self, j: usize) -> std::borrow::Cow<'_, [f64]> {
        match &self.bounds {
            Bounds::Each => std::borrow::Cow::Borrowed(self.block(3 + j)),
            Bounds::Scaled(sc) => {
                std::borrow::Cow::Owned((0..self.len).map(|o| sc.err(j, o)).collect())
            }
        }
    }

    /// Values array `j` (`0: u, 1: v, 2: c`), mutable.
    pub(crate) fn values_mut(&mut self, j: usize) -> &mut [f64] {
        assert!(j < 3, "three value arrays");
        self.block_mut(j)
    }

    /// Bounds array `j` (`0: err_u, 1: err_v, 2: err_c`), mutable (bounds
    /// held as scales are stored element-wise first).
    pub(crate) fn errors_mut(&mut self, j: usize) -> &mut [f64] {
        assert!(j < 3, "three bound arrays");
        self.block_mut(3 + j)
    }

    /// Sets the bounds of `out` (a step from `self`, see `net::step`) as
    /// scales, if `self`'s bounds are scales; `false` (nothing done) if not.
    ///
    /// In `net::step`'s notation (`ŷ'` and `E'` are `self`'s values and
    /// bound, those of the neighbour stepped from), with `g = γ_(d+3)` and
    /// `z[j] ≥ Σ_k (e_k + g|x̂_k|)` over the `d` differing inputs, the
    /// element-wise bound of the new form, `E' + g|ŷ'_o| + Σ_k |w_ok| z_k`,
    /// is at most `E' + g(ρ_j s_o + [j = 2]|b_o|) + t_o z[j]`, where
    /// `t_o = max_k |w_ok|` and `ρ_j ≥ |ŷ'_o| / s_o` over the rows with
    /// `s_o > 0` (read from `self`'s values; a row with `s_o = 0` has
    /// `ŷ'_o = [j = 2]b_o` exactly). With `E'` as evaluated by
    /// [`Scaled::err`] (at most
    /// `R·((s_o m_j + t_o q_j + [j = 2]g_0|b_o|)k1 + k2) + 4·2^-1022`,
    /// `R = 1 + 8u ≥ (1 + u)^7`), that is again of the scaled shape:
    /// `m' = R k1 m + g ρ`, `q' = R k1 q + z`, `g' = R k1 g_0 + g`,
    /// `k2' = R k2 + 4·2^-1022`, each computed in a few roundings and
    /// inflated, and `k1' = 1 + 16u`, which covers the roundings of
    /// evaluating `((s m' + t q') + g'a)·k1' + k2'` (underflow is covered by
    /// `k2'`'s inflation). Unlike a bound through `max |x|`, `ρ` follows the
    /// values actually reached, so long chains of steps stay tight.
    pub(super) fn step_scales(&self, out: &mut AffineForm, g: f64, z: [f64; 3]) -> bool {
        let Bounds::Scaled(sc) = &self.bounds else {
            return false;
        };
        if out.len != self.len || !matches!(out.bounds, Bounds::Scaled(_)) {
            return false;
        }
        let n = self.len;
        let inv = &sc.rows.inv_s[..n];
        // `|ŷ'_o| / s_o` as `|ŷ'_o|·fl(1/s_o)`: two roundings, each a factor
        // of at most `1 + u` (an underflow loses less than `2^-1074`), both
        // covered by `inflate(·, 1)`'s `1 + 12u` and its additive term. Rows
        // with `s_o = 0` have `inv = 0` and add nothing (finite values:
        // `step` checks them). Branch-free, in four lanes.
        let rho: [f64; 3] = std::array::from_fn(|j| {
            let y = &self.block(j)[..n];
            crate::simd::with_avx2(
                #[inline(always)]
                || max_ratio(y, inv),
            )
        });
        let r = 1.0 + 8.0 * U;
        let c1 = r * sc.k1;
        let m: [f64; 3] = std::array::from_fn(|j| inflate(c1 * sc.m[j] + g * rho[j], 4));
        let q: [f64; 3] = std::array::from_fn(|j| inflate(c1 * sc.q[j] + z[j], 4));
        let gb = inflate(c1 * sc.g + g, 4);
        let k2 = inflate(r * sc.k2 + 4.0 * f64::MIN_POSITIVE, 4);
        out.bounds = Bounds::Scaled(Scaled {
            rows: Arc::clone(&sc.rows),
            m,
            q,
            g: gb,
            k1: 1.0 + 16.0 * U,
            k2,
        });
        true
    }

    /// Whether the bounds have outgrown the values: the largest bound of a
    /// constant, `err_c` (for scaled bounds, an upper bound of it from the
    /// layer's largest row sum, weight and bias), exceeds [`LOOSE`] times
    /// the largest `|c|` (or is not finite). The constants, not the slopes:
    /// in deep layers the slopes shrink and the constants decide the signs.
    ///
    /// A hint for choosing how a dense layer bounds its output
    /// ([`Network::apply_dense_relu_f64`]): every bound is rigorous either
    /// way, so no decision rests on it.
    pub(crate) fn loose(&self) -> bool {
        /// The largest element (`0` for none), or NaN if one is not finite
        /// (`x·0` is NaN then); branch free, in four lanes.
        fn max(xs: &[f64], f: impl Fn(f64) -> f64) -> f64 {
            let (mut acc, mut bad) = ([0.0f64; 4], [0.0f64; 4]);
            let chunks = xs.chunks_exact(4);
            let rest = chunks.remainder();
            for c in chunks {
                for l in 0..4 {
                    let x = f(c[l]);
                    acc[l] = if x > acc[l] { x } else { acc[l] };
                    bad[l] += x * 0.0;
                }
            }
            for &x in rest {
                let x = f(x);
                acc[0] = if x > acc[0] { x } else { acc[0] };
                bad[0] += x * 0.0;
            }
            acc[0].max(acc[1]).max(acc[2].max(acc[3])) + (bad[0] + bad[1] + (bad[2] + bad[3]))
        }
        let n = self.len;
        let cmax = max(self.c(), f64::abs);
        let emax = match &self.bounds {
            Bounds::Each => max(&self.data[5 * n..6 * n], |e| e),
            Bounds::Scaled(sc) => {
                let r = &*sc.rows;
                ((r.s_max * sc.m[2] + r.t_max * sc.q[2]) + sc.g * r.a_max) * sc.k1 + sc.k2
            }
        };
        // A NaN compares false: not tight, loose.
        let tight = emax <= LOOSE * cmax;
        !tight
    }

    /// Whether the bounds are held as scales (not element-wise).
    pub(crate) fn has_scaled_bounds(&self) -> bool {
        matches!(self.bounds, Bounds::Scaled(_))
    }

    /// Whether every value and bound is finite (one branch-free pass).
    pub(crate) fn all_finite(&self) -> bool {
        all_finite(&self.data)
            && match &self.bounds {
                Bounds::Each => true,
                Bounds::Scaled(sc) => sc.finite(),
            }
    }

    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the form has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Coefficients of `u`.
    #[inline]
    pub fn u(&self) -> &[f64] {
        self.block(0)
    }

    /// Coefficients of `v`.
    #[inline]
    pub fn v(&self) -> &[f64] {
        self.block(1)
    }

    /// Constants.
    #[inline]
    pub fn c(&self) -> &[f64] {
        self.block(2)
    }

    /// Bounds on the error of `u` (computed if held as scales).
    pub fn err_u(&self) -> std::borrow::Cow<'_, [f64]> {
        self.err_block(0)
    }

    /// Bounds on the error of `v` (computed if held as scales).
    pub fn err_v(&self) -> std::borrow::Cow<'_, [f64]> {
        self.err_block(1)
    }

    /// Bounds on the error of `c` (computed if held as scales).
    pub fn err_c(&self) -> std::borrow::Cow<'_, [f64]> {
        self.err_block(2)
    }

    /// The values `[u, v, c]`.
    #[inline]
    pub fn values(&self) -> [&[f64]; 3] {
        [self.u(), self.v(), self.c()]
    }

    /// The bounds `[err_u, err_v, err_c]` (computed if held as scales).
    pub fn errors(&self) -> [std::borrow::Cow<'_, [f64]>; 3] {
        [self.err_u(), self.err_v(), self.err_c()]
    }

    /// The bounds `[err_u, err_v, err_c]`, computed into `buf` if held as
    /// scales (no allocation once `buf` is large enough).
    pub fn errors_into<'a>(&'a self, buf: &'a mut Vec<f64>) -> [&'a [f64]; 3] {
        let n = self.len;
        match &self.bounds {
            Bounds::Each => [self.block(3), self.block(4), self.block(5)],
            Bounds::Scaled(sc) => {
                // Grown once per buffer, then overwritten (not zeroed again).
                if buf.len() < 3 * n {
                    buf.resize(3 * n, 0.0);
                }
                let (a, rest) = buf[..3 * n].split_at_mut(n);
                let (b, c) = rest.split_at_mut(n);
                sc.fill([a, b, c]);
                let (a, rest) = buf[..3 * n].split_at(n);
                let (b, c) = rest.split_at(n);
                [a, b, c]
            }
        }
    }

    /// Runs `user` with this form's bounds read element by element (`k` ↦
    /// `[err_u[k], err_v[k], err_c[k]]`, the numbers of [`Self::err_at`]),
    /// without computing arrays of them first when they are held as
    /// scales; `user` is compiled once for each way of holding them.
    #[inline]
    pub(crate) fn with_errors<U: ErrorsUser>(&self, user: U) -> U::Out {
        match &self.bounds {
            Bounds::Each => {
                let n = self.len;
                let e = &self.data[3 * n..6 * n];
                let (eu, rest) = e.split_at(n);
                let (ev, ec) = rest.split_at(n);
                user.run(
                    #[inline(always)]
                    move |k: usize| [eu[k], ev[k], ec[k]],
                )
            }
            Bounds::Scaled(sc) => user.run(
                #[inline(always)]
                move |k: usize| [sc.err(0, k), sc.err(1, k), sc.err(2, k)],
            ),
        }
    }

    /// The bounds of element `k`: `[err_u[k], err_v[k], err_c[k]]`.
    #[inline]
    pub fn err_at(&self, k: usize) -> [f64; 3] {
        match &self.bounds {
            Bounds::Each => std::array::from_fn(|j| self.data[(3 + j) * self.len + k]),
            Bounds::Scaled(sc) => std::array::from_fn(|j| sc.err(j, k)),
        }
    }

    /// Mutable coefficients of `u`.
    pub fn u_mut(&mut self) -> &mut [f64] {
        self.block_mut(0)
    }

    /// Mutable coefficients of `v`.
    pub fn v_mut(&mut self) -> &mut [f64] {
        self.block_mut(1)
    }

    /// Mutable constants.
    pub fn c_mut(&mut self) -> &mut [f64] {
        self.block_mut(2)
    }

    /// Mutable bounds on the error of `u`.
    pub fn err_u_mut(&mut self) -> &mut [f64] {
        self.block_mut(3)
    }

    /// Mutable bounds on the error of `v`.
    pub fn err_v_mut(&mut self) -> &mut [f64] {
        self.block_mut(4)
    }

    /// Mutable bounds on the error of `c`.
    pub fn err_c_mut(&mut self) -> &mut [f64] {
        self.block_mut(5)
    }

    /// f64 value of element `k` at `(u, v)` (no error bound).
    pub fn eval(&self, k: usize, u: f64, v: f64) -> f64 {
        self.u()[k] * u + self.v()[k] * v + self.c()[k]
    }
}

impl ExactAffineForm {
    /// The exact input form of the slice `x(u, v) = o + u·e1 + v·e2`.
    pub fn input_f64(o: &[f64], e1: &[f64], e2: &[f64]) -> Result<Self, NetError> {
        if o.len() != e1.len() || o.len() != e2.len() {
            return Err(NetError::Argument(
                "o, e1 and e2 must have the same length".into(),
            ));
        }
        Ok(ExactAffineForm {
            u: ExactTensor::from_f64(e1)?,
            v: ExactTensor::from_f64(e2)?,
            c: ExactTensor::from_f64(o)?,
        })
    }

    /// The exact input form for rational `o, e1, e2`.
    pub fn input_rational(
        o: &[Rational],
        e1: &[Rational],
        e2: &[Rational],
    ) -> Result<Self, NetError> {
        if o.len() != e1.len() || o.len() != e2.len() {
            return Err(NetError::Argument(
                "o, e1 and e2 must have the same length".into(),
            ));
        }
        Ok(ExactAffineForm {
            u: ExactTensor::from_rationals(e1),
            v: ExactTensor::from_rationals(e2),
            c: ExactTensor::from_rationals(o),
        })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.c.len()
    }

    /// Whether the form has no elements.
    pub fn is_empty(&self) -> bool {
        self.c.is_empty()
    }

    /// The exact line of element `k`: `[T_u[k], T_v[k], T_1[k]]`.
    pub fn coeffs(&self, k: usize) -> [Rational; 3] {
        [self.u.get(k), self.v.get(k), self.c.get(k)]
    }

    /// Exact values of all elements at `(u, v)`.
    pub fn eval(&self, u: &Rational, v: &Rational) -> Vec<Rational> {
        (0..self.len())
            .map(|k| {
                let [a, b, c] = self.coeffs(k);
                a * u + b * v + c
            })
            .collect()
    }
}

impl Network {
    pub(super) fn check_node(
        &self,
        idx: usize,
        linear: bool,
    ) -> Result<&super::ir::Node, NetError> {
        let node = self
            .nodes()
            .get(idx)
            .ok_or_else(|| NetError::Argument(format!("no node {idx}")))?;
        if (node.op.class() == OpClass::Linear) != linear {
            return Err(NetError::Argument(format!(
                "node {idx} ({}) is {}linear",
                node.name,
                if linear { "not " } else { "" }
            )));
        }
        Ok(node)
    }

    pub(super) fn check_forms(&self, idx: usize, lens: &[usize]) -> Result<(), NetError> {
        let node = &self.nodes()[idx];
        if lens.len() != node.inputs.len()
            || node
                .inputs
                .iter()
                .zip(lens)
                .any(|(t, l)| self.len_of(*t) != *l)
        {
            return Err(NetError::Argument(format!(
                "forms do not match the inputs of node {idx} ({})",
                node.name
            )));
        }
        Ok(())
    }

    pub(super) fn check_states(&self, idx: usize, states: &[u32]) -> Result<(), NetError> {
        let node = &self.nodes()[idx];
        let ok = match node.op.class() {
            OpClass::Max => {
                states.len() == node.windows.len()
                    && node
                        .windows
                        .iter()
                        .zip(states)
                        .all(|(w, s)| (*s as usize) < w.len())
            }
            _ => states.len() == self.len_of(node.inputs[0]) && states.iter().all(|s| *s <= 1),
        };
        if ok {
            Ok(())
        } else {
            Err(NetError::Argument(format!(
                "invalid states for node {idx} ({})",
                node.name
            )))
        }
    }

    /// Absolute biases per output element of linear node `idx`, if it has any.
    fn abs_bias(&self, idx: usize) -> Option<Vec<f64>> {
        let node = &self.nodes()[idx];
        let n = self.len_of(node.output);
        match &node.op {
            Op::Dense {
                bias, out_features, ..
            } => Some((0..n).map(|i| bias[i % out_features].abs()).collect()),
            Op::Conv2d {
                bias, out_channels, ..
            } => {
                let hw = n / (*out_channels).max(1);
                Some((0..n).map(|i| bias[i / hw.max(1)].abs()).collect())
            }
            Op::AddConst { constant } => Some(constant.iter().map(|c| c.abs()).collect()),
            _ => None,
        }
    }

    /// Applies linear node `idx` to f64 forms of its inputs, with error bounds.
    pub fn apply_linear_f64(
        &self,
        idx: usize,
        ins: &[&AffineForm],
    ) -> Result<AffineForm, NetError> {
        let node = self.check_node(idx, true)?;
        self.check_forms(idx, &ins.iter().map(|f| f.len()).collect::<Vec<_>>())?;
        let ins: Vec<std::borrow::Cow<'_, AffineForm>> = ins.iter().map(|f| f.to_each()).collect();
        // Block `j` of every input (`0..3` values, `3..6` bounds).
        let run = |j: usize, mode| {
            let refs: Vec<&[f64]> = ins.iter().map(|f| f.block(j)).collect();
            linear_f64(self, idx, &refs, mode)
        };
        let u = run(0, F64Mode::NoBias);
        let len = u.len();
        let mut data = Vec::with_capacity(6 * len);
        data.extend(u);
        data.extend(run(1, F64Mode::NoBias));
        data.extend(run(2, F64Mode::WithBias));
        let structural = matches!(
            node.op,
            Op::Pad { .. } | Op::Reshape { .. } | Op::Concat { .. }
        );
        if structural {
            for j in 3..6 {
                data.extend(run(j, F64Mode::NoBias));
            }
            return Ok(AffineForm::from_data(len, data));
        }
        let n = self.abs_data()[idx].fan_in + 3;
        let g = gamma(n);
        // `|op|(e + γ|x̂|)` for values `j` and bounds `j + 3`.
        let bound = |j: usize| {
            let zs: Vec<Vec<f64>> = ins
                .iter()
                .map(|f| {
                    f.block(j)
                        .iter()
                        .zip(f.block(j + 3))
                        .map(|(x, e)| e + g * x.abs())
                        .collect()
                })
                .collect();
            let refs: Vec<&[f64]> = zs.iter().map(|z| z.as_slice()).collect();
            linear_f64(self, idx, &refs, F64Mode::Abs)
        };
        data.extend(bound(0).into_iter().map(|z| inflate(z, n)));
        data.extend(bound(1).into_iter().map(|z| inflate(z, n)));
        let mut zc = bound(2);
        if let Some(b) = self.abs_bias(idx) {
            for (z, b) in zc.iter_mut().zip(b) {
                *z += g * b;
            }
        }
        data.extend(zc.into_iter().map(|z| inflate(z, n)));
        Ok(AffineForm::from_data(len, data))
    }

    /// [`Network::apply_linear_f64`] for a dense node `idx`, fused with a
    /// preceding ReLU whose states are `relu` (`None`: no ReLU), in one pass
    /// over the transposed weights and without the intermediate form.
    ///
    /// The values `u, v, c` are the same numbers, bit for bit, as applying
    /// the ReLU with [`Network::apply_activation_f64`] and then the dense
    /// node: every output is still the sum, in input order, of the same
    /// rounded products. The generic kernel skips zero terms; this one skips
    /// only inputs that are zero in all three value arrays and bounds (ReLU
    /// off) and adds the other zero products, which cannot change an
    /// accumulator (a sum that starts at `+0` and adds nonzero terms is
    /// never `-0`, and `x + (±0) = x` for every other `x`). That needs
    /// finite inputs: returns `None` (use the generic path) for a
    /// non-finite input that the ReLU does not turn off, a node that is not
    /// dense, or mismatched lengths.
    ///
    /// The error bounds are coarser and cheaper than the generic ones: with
    /// `z_i = e_i + γ_n|x̂_i|` (per array), the generic bound
    /// `Σ_i |w_oi| z_i (+ γ_n|b_o|)` is at most `(Σ_i |w_oi|)·max_i z_i`
    /// (`+ γ_n|b_o|`), an `O(in + out)` computation instead of a second
    /// matrix-vector product per array. The row sums are computed once per
    /// network with `in − 1` roundings, the product and the bias term add
    /// two, and the forming of `z_i` two more: `n + 1` in all with
    /// `n = in + 3`, covered by inflating as for `n + 1` terms.
    ///
    /// Those coarse bounds grow by the largest absolute row sum per layer,
    /// the element-wise ones by about the row sums over the inputs that are
    /// on: where `x`'s bounds have outgrown its values
    /// ([`AffineForm::loose`], deep networks), the output gets the generic
    /// element-wise bounds instead, as a second fused pass with the
    /// absolute weights over the `z_i`.
    pub(crate) fn apply_dense_relu_f64(
        &self,
        idx: usize,
        x: &AffineForm,
        relu: Option<&[u32]>,
    ) -> Option<AffineForm> {
        self.apply_dense_relu_f64_in(idx, x, relu, Vec::new(), None)
    }

    /// [`Self::apply_dense_relu_f64`] into `buf`'s memory where it is the
    /// size the result needs (a form of the same shape given back by
    /// [`AffineForm::into_buffer`]): the same numbers, without allocating.
    ///
    /// `finite`: `x`'s bounds as arrays (the numbers of
    /// [`AffineForm::errors_into`]), from a caller who has proven every
    /// value and bound of `x` finite (a point filter that decided every
    /// line: a decided sign needs a finite value and bound). The bounds are
    /// then read from them, and the finiteness pass is skipped.
    pub(crate) fn apply_dense_relu_f64_in(
        &self,
        idx: usize,
        x: &AffineForm,
        relu: Option<&[u32]>,
        buf: Vec<f64>,
        finite: Option<[&[f64]; 3]>,
    ) -> Option<AffineForm> {
        let node = self.nodes().get(idx)?;
        let Op::Dense {
            bias,
            in_features,
            out_features,
            ..
        } = &node.op
        else {
            return None;
        };
        let (inf, outf) = (*in_features, *out_features);
        let len = x.len();
        if inf == 0 || len % inf != 0 || relu.is_some_and(|m| m.len() != len) {
            return None;
        }
        let on = |k: usize| relu.is_none_or(|m| m[k] == 1);
        // Non-finite inputs: one branch-free pass over all six arrays, and
        // only if that finds one, the exact test of the inputs that pass.
        debug_assert!(finite.is_none_or(|_| x.all_finite()), "not finite");
        if finite.is_none()
            && !x.all_finite()
            && (0..len).any(|k| {
                on(k)
                    && (x.values().iter().any(|a| !a[k].is_finite())
                        || x.err_at(k).iter().any(|e| !e.is_finite()))
            })
        {
            return None;
        }
        let [xu, xv, xc] = x.values();
        let absd = &self.abs_data()[idx];
        let (wt4, rowsum) = (&absd.wt4, &absd.rows.s);
        let (bias, rowsum) = (&bias[..outf], &rowsum[..outf]);
        let n = absd.fan_in + 3;
        let g = gamma(n);
        let rows = len / inf;
        let m = rows * outf;
        let each = x.loose();
        // One allocation (or `buf`'s); the values are overwritten by
        // `dense3`, the bounds (if stored) appended below or, element-wise,
        // written in place.
        let cap = if rows == 1 && !each { 3 * m } else { 6 * m };
        // Exactly `cap` (a larger buffer would be copied when boxed). A
        // reused buffer keeps its old numbers (no zeroing): `dense3`
        // writes every value, and every element-wise bound, before any is
        // read.
        let init = if each { 6 * m } else { 3 * m };
        let mut data = if buf.capacity() == cap {
            buf
        } else {
            Vec::with_capacity(cap)
        };
        data.truncate(init);
        data.resize(init, 0.0);
        // Per thread (this runs once per face and layer): the inputs of a
        // row that are not zero everywhere, as (index, u, v, c), the
        // maxima of `z_i` per row, and for element-wise bounds the `z_i`.
        /// Active inputs, per-row maxima of `z`, active inputs' `z`.
        type Scratch = (Vec<ActiveInput>, Vec<[f64; 3]>, Vec<ActiveInput>);
        thread_local! {
            static SCRATCH: std::cell::RefCell<Scratch> =
                const { std::cell::RefCell::new((Vec::new(), Vec::new(), Vec::new())) };
        }
        let scaled = SCRATCH.with_borrow_mut(|(act, maxima, zs)| {
            maxima.clear();
            let (yu, rest) = data.split_at_mut(m);
            let (yv, rest) = rest.split_at_mut(m);
            let (yc, rest) = rest.split_at_mut(m);
            let each = each.then(|| {
                let (eu, rest) = rest.split_at_mut(m);
                let (ev, ec) = rest.split_at_mut(m);
                EachBounds {
                    zs,
                    e: [eu, ev, ec],
                    n,
                }
            });
            let is_each = each.is_some();
            let rows = DenseRows {
                x: [xu, xv, xc],
                relu,
                g,
                inf,
                wt4,
                bias,
                act: &mut *act,
                maxima: &mut *maxima,
                y: [yu, yv, yc],
                each,
            };
            match finite {
                Some([eu, ev, ec]) => {
                    let (ev, ec) = (&ev[..eu.len()], &ec[..eu.len()]);
                    rows.run(
                        #[inline(always)]
                        move |k: usize| [eu[k], ev[k], ec[k]],
                    )
                }
                None => x.with_errors(rows),
            }
            if is_each {
                return None;
            }
            // `inflate(z, n + 1)` with its constants hoisted.
            let (k1, k2) = inflation(n + 1);
            if let [m] = maxima[..] {
                // One row: the bounds are kept as their scales (the same
                // numbers, see `Scaled::err`).
                return Some(Scaled {
                    rows: Arc::clone(&absd.rows),
                    m,
                    q: [0.0; 3],
                    g,
                    k1,
                    k2,
                });
            }
            for &[mu, _, _] in maxima.iter() {
                data.extend(rowsum.iter().map(|s| (s * mu) * k1 + k2));
            }
            for &[_, mv, _] in maxima.iter() {
                data.extend(rowsum.iter().map(|s| (s * mv) * k1 + k2));
            }
            for &[_, _, mc] in maxima.iter() {
                data.extend(
                    rowsum
                        .iter()
                        .zip(bias)
                        .map(|(s, b)| (s * mc + g * b.abs()) * k1 + k2),
                );
            }
            None
        });
        if let Some(sc) = scaled {
            return Some(AffineForm {
                data: data.into_boxed_slice(),
                len: m,
                bounds: Bounds::Scaled(sc),
            });
        }
        Some(AffineForm::from_data(m, data))
    }

    /// Applies linear node `idx` to exact forms of its inputs.
    pub fn apply_linear_exact(
        &self,
        idx: usize,
        ins: &[&ExactAffineForm],
    ) -> Result<ExactAffineForm, NetError> {
        self.check_node(idx, true)?;
        self.check_forms(idx, &ins.iter().map(|f| f.len()).collect::<Vec<_>>())?;
        let us: Vec<&ExactTensor> = ins.iter().map(|f| &f.u).collect();
        let vs: Vec<&ExactTensor> = ins.iter().map(|f| &f.v).collect();
        let cs: Vec<&ExactTensor> = ins.iter().map(|f| &f.c).collect();
        Ok(ExactAffineForm {
            u: linear_exact(self, idx, &us, false),
            v: linear_exact(self, idx, &vs, false),
            c: linear_exact(self, idx, &cs, true),
        })
    }

    /// Applies activation/max node `idx` with the given unit states (see
    /// [`Pattern`]) to the f64 form of its input (the pre-activation).
    pub fn apply_activation_f64(
        &self,
        idx: usize,
        x: &AffineForm,
        states: &[u32],
    ) -> Result<AffineForm, NetError> {
        let node = self.check_node(idx, false)?;
        self.check_forms(idx, &[x.len()])?;
        self.check_states(idx, states)?;
        let x = x.to_each();
        let len = states.len();
        let mut data = Vec::with_capacity(6 * len);
        for j in 0..3 {
            activation_f64_into(node, x.block(j), states, &mut data);
        }
        for j in 0..3 {
            let (val, err) = (x.block(j), x.block(j + 3));
            match &node.op {
                Op::LeakyRelu { .. } | Op::PRelu { .. } => {
                    let n = 4;
                    let g = gamma(n);
                    let slopes = &self.abs_data()[idx].w;
                    let per = slopes.len() > 1;
                    data.extend(val.iter().zip(err).zip(states).enumerate().map(
                        |(i, ((x, e), s))| {
                            if *s == 1 {
                                *e
                            } else {
                                inflate(slopes[if per { i } else { 0 }] * (e + g * x.abs()), n)
                            }
                        },
                    ));
                }
                Op::Relu => data.extend(
                    err.iter()
                        .zip(states)
                        .map(|(e, s)| if *s == 1 { *e } else { 0.0 }),
                ),
                Op::Abs => data.extend_from_slice(err),
                _ => data.extend(
                    node.windows
                        .iter()
                        .zip(states)
                        .map(|(w, s)| err[w[*s as usize] as usize]),
                ),
            }
        }
        Ok(AffineForm::from_data(len, data))
    }

    /// Applies activation/max node `idx` with the given unit states to the exact form of its input.
    pub fn apply_activation_exact(
        &self,
        idx: usize,
        x: &ExactAffineForm,
        states: &[u32],
    ) -> Result<ExactAffineForm, NetError> {
        self.check_node(idx, false)?;
        self.check_forms(idx, &[x.len()])?;
        self.check_states(idx, states)?;
        Ok(ExactAffineForm {
            u: activation_exact(self, idx, &x.u, states),
            v: activation_exact(self, idx, &x.v, states),
            c: activation_exact(self, idx, &x.c, states),
        })
    }

    /// Propagates an f64 input form through the whole network under a fixed
    /// pattern; calls `on_layer(layer, pre_activation_form)` for every
    /// activation/max layer and returns the output form.
    pub fn propagate_f64(
        &self,
        input: AffineForm,
        pattern: &Pattern,
        mut on_layer: impl FnMut(usize, &AffineForm),
    ) -> Result<AffineForm, NetError> {
        self.propagate(
            input,
            pattern,
            |i, ins| self.apply_linear_f64(i, ins),
            |i, x, s| self.apply_activation_f64(i, x, s),
            |l, f| on_layer(l, f),
        )
    }

    /// Exact counterpart of [`Network::propagate_f64`].
    pub fn propagate_exact(
        &self,
        input: ExactAffineForm,
        pattern: &Pattern,
        mut on_layer: impl FnMut(usize, &ExactAffineForm),
    ) -> Result<ExactAffineForm, NetError> {
        self.propagate(
            input,
            pattern,
            |i, ins| self.apply_linear_exact(i, ins),
            |i, x, s| self.apply_activation_exact(i, x, s),
            |l, f| on_layer(l, f),
        )
    }

    fn propagate<F: HasLen>(
        &self,
        input: F,
        pattern: &Pattern,
        lin: impl Fn(usize, &[&F]) -> Result<F, NetError>,
        act: impl Fn(usize, &F, &[u32]) -> Result<F, NetError>,
        mut on_layer: impl FnMut(usize, &F),
    ) -> Result<F, NetError> {
        if input.elems() != self.input_len() {
            return Err(NetError::Argument(format!(
                "input form has {} elements, the network input {}",
                input.elems(),
                self.input_len()
            )));
        }
        if pattern.layers.len() != self.layer_nodes().len() {
            return Err(NetError::Argument(format!(
                "pattern has {} layers, the network {}",
                pattern.layers.len(),
                self.layer_nodes().len()
            )));
        }
        let mut forms: Vec<Option<F>> = (0..self.num_tensors()).map(|_| None).collect();
        forms[0] = Some(input);
        for (i, node) in self.nodes().iter().enumerate() {
            let ins: Vec<&F> = node
                .inputs
                .iter()
                .filter_map(|t| forms[t.index()].as_ref())
                .collect();
            if ins.len() != node.inputs.len() {
                return Err(NetError::Model("graph is not topologically ordered".into()));
            }
            let y = match node.layer {
                None => lin(i, &ins)?,
                Some(l) => {
                    on_layer(l, ins[0]);
                    act(i, ins[0], &pattern.layers[l])?
                }
            };
            for t in &node.inputs {
                if self.last_use(*t) == i {
                    forms[t.index()] = None;
                }
            }
            forms[node.output.index()] = Some(y);
        }
        forms[self.output().index()]
            .take()
            .ok_or_else(|| NetError::Model("output not computed".into()))
    }
}

trait HasLen {
    fn elems(&self) -> usize;
}
impl HasLen for AffineForm {
    fn elems(&self) -> usize {
        self.len()
    }
}
impl HasLen for ExactAffineForm {
    fn elems(&self) -> usize {
        self.len()
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::AffineForm;
    use crate::net::json;

    /// The values' bits (the bounds differ on purpose; see `covers`).
    fn bits(f: &AffineForm) -> Vec<u64> {
        f.values()
            .iter()
            .flat_map(|a| a.iter().map(|x| x.to_bits()))
            .collect()
    }

    /// The fused bounds are at least the exact (rational) value of the
    /// generic bound's formula `Σ|w| (e + γ|x̂|) + γ|b|` times `1 + γ`, which
    /// covers the true error (module docs), row by row.
    fn covers(x: &AffineForm, weight: &[Vec<f64>], bias: &[f64], out: &AffineForm) {
        use rug::Rational;
        let q = |v: f64| Rational::from_f64(v).expect("finite");
        let (inf, outf) = (weight[0].len(), weight.len());
        let n = inf + 3;
        let g =
            Rational::from(n) * q(super::U) / (Rational::from(1) - Rational::from(n) * q(super::U));
        for r in 0..x.len() / inf {
            for (o, row) in weight.iter().enumerate() {
                let ro = r * outf + o;
                for (vals, errs, bound, b) in [
                    (x.u(), x.err_u(), out.err_u()[ro], 0.0),
                    (x.v(), x.err_v(), out.err_v()[ro], 0.0),
                    (x.c(), x.err_c(), out.err_c()[ro], bias[o]),
                ] {
                    let mut z = &g * q(b.abs());
                    for (i, w) in row.iter().enumerate() {
                        let k = r * inf + i;
                        let zi = q(errs[k]) + &g * q(vals[k].abs());
                        z += q(w.abs()) * zi;
                    }
                    assert!(q(bound) >= z, "bound {bound} < {}", z.to_f64());
                }
            }
        }
    }

    /// The fused bounds (bits) of dense node 1 by the formula in the doc of
    /// `apply_dense_relu_f64`: `(Σ_i |w_oi|)·max_i z_i (+ γ_n|b_o|)` per
    /// row, inflated as for `n + 1` terms; `x` is the input after the ReLU.
    fn documented_bounds(net: &crate::net::Network, x: &AffineForm, bias: &[f64]) -> Vec<u64> {
        let absd = &net.abs_data()[1];
        let inf = absd.fan_in;
        let n = inf + 3;
        let g = super::gamma(n);
        let mut bounds = Vec::new();
        for (j, (vals, errs)) in x.values().into_iter().zip(x.errors()).enumerate() {
            for (vals, errs) in vals.chunks(inf).zip(errs.chunks(inf)) {
                let z = vals
                    .iter()
                    .zip(errs)
                    .map(|(v, e)| e + g * v.abs())
                    .fold(0.0, f64::max);
                for (s, b) in absd.rows.s.iter().zip(bias) {
                    let zb = if j == 2 { s * z + g * b.abs() } else { s * z };
                    bounds.push(super::inflate(zb, n + 1).to_bits());
                }
            }
        }
        bounds
    }

    fn error_bits(f: &AffineForm) -> Vec<u64> {
        f.errors()
            .iter()
            .flat_map(|a| a.iter().map(|x| x.to_bits()))
            .collect()
    }

    /// One random ReLU + dense model on `rows` rows, checked fused against
    /// generic, with and without the ReLU. The input's bounds are
    /// `err_scale` times its values: `1e-16` gives tight bounds (the fused
    /// kernel's scaled ones, checked against their documented formula),
    /// `1e-3` loose ones ([`AffineForm::loose`]: the fused kernel's
    /// element-wise bounds, which are the generic path's, bit for bit).
    fn check_fused(rng: &mut ChaCha8Rng, rows: usize, case: usize, err_scale: f64) -> bool {
        let (inf, outf) = (rng.gen_range(1..9), rng.gen_range(1..9));
        let val = |rng: &mut ChaCha8Rng| -> f64 {
            match rng.gen_range(0..6) {
                0 => 0.0,
                1 => -0.0,
                2 => rng.gen_range(-1.0..1.0) * 1e-300,
                _ => rng.gen_range(-2.0..2.0),
            }
        };
        let weight: Vec<Vec<f64>> = (0..outf)
            .map(|_| (0..inf).map(|_| val(rng)).collect())
            .collect();
        let bias: Vec<f64> = (0..outf).map(|_| val(rng)).collect();
        let shape = if rows == 1 {
            vec![inf]
        } else {
            vec![rows, inf]
        };
        let model = serde_json::json!({
            "format": "splinecam-model", "version": 1, "input_shape": shape,
            "ops": [{"op": "relu"}, {"op": "dense", "weight": weight, "bias": bias}]
        });
        let net = json::from_str(&model.to_string()).expect("model");
        let arr = |rng: &mut ChaCha8Rng, err: bool| -> Vec<f64> {
            (0..rows * inf)
                .map(|_| {
                    let x = val(rng);
                    if err {
                        x.abs() * err_scale
                    } else {
                        x
                    }
                })
                .collect()
        };
        let (u, v, c) = (arr(rng, false), arr(rng, false), arr(rng, false));
        let (eu, ev, ec) = (arr(rng, true), arr(rng, true), arr(rng, true));
        let pre = AffineForm::from_parts([&u, &v, &c], [&eu, &ev, &ec]).expect("form");
        let states: Vec<u32> = (0..rows * inf).map(|_| rng.gen_range(0..2)).collect();
        let act = net.apply_activation_f64(0, &pre, &states).expect("relu");
        let generic = net.apply_linear_f64(1, &[&act]).expect("dense");
        let fused = net
            .apply_dense_relu_f64(1, &pre, Some(&states))
            .expect("applies");
        assert_eq!(bits(&generic), bits(&fused), "case {case}");
        covers(&act, &weight, &bias, &fused);
        let loose = pre.loose();
        let expected = |x: &AffineForm, generic: &AffineForm| {
            if loose {
                error_bits(generic)
            } else {
                documented_bounds(&net, x, &bias)
            }
        };
        assert_eq!(error_bits(&fused), expected(&act, &generic), "case {case}");
        assert_eq!(fused.has_scaled_bounds(), !loose && rows == 1);
        // With the bounds given as arrays (finite input), into a buffer of
        // the right size (the last product's) or of another: the same bits.
        let mut ebuf = Vec::new();
        let size = fused.clone().into_buffer().len();
        // A buffer of the right size holding other numbers (NaN: any that
        // were read instead of written would show), and one of another.
        for buf in [vec![f64::NAN; size], vec![1.0; 5]] {
            let given = net
                .apply_dense_relu_f64_in(
                    1,
                    &pre,
                    Some(&states),
                    buf,
                    Some(pre.errors_into(&mut ebuf)),
                )
                .expect("applies");
            assert_eq!(bits(&given), bits(&fused), "case {case}, given bounds");
            assert_eq!(
                error_bits(&given),
                error_bits(&fused),
                "case {case}, given bounds"
            );
        }
        let generic = net.apply_linear_f64(1, &[&pre]).expect("dense");
        let fused = net.apply_dense_relu_f64(1, &pre, None).expect("applies");
        assert_eq!(bits(&generic), bits(&fused), "case {case}, no relu");
        covers(&pre, &weight, &bias, &fused);
        assert_eq!(
            error_bits(&fused),
            expected(&pre, &generic),
            "case {case}, no relu"
        );
        loose
    }

    /// The fused dense(+ReLU) kernel gives the generic path's bits, zeros,
    /// masked inputs and all, and exactly the documented bounds.
    #[test]
    fn fused_dense_is_bit_identical_to_the_generic_path() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for case in 0..40 {
            assert!(!check_fused(&mut rng, 1, case, 1e-16), "case {case}");
        }
    }

    /// Where the input's bounds have outgrown its values, the fused kernel
    /// bounds element-wise: exactly the generic path's bounds (and values),
    /// which cover the true error; on one row and on several.
    #[test]
    fn fused_dense_on_loose_input_bounds_is_the_generic_path() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let loose = (0..60)
            .filter(|&case| check_fused(&mut rng, 1 + case % 3, case, 1e-3))
            .count();
        // All but inputs whose values are all zero.
        assert!(loose >= 50, "{loose} loose cases of 60");
        // The threshold itself: 2^-28 of the constants is not loose, more
        // is; the slopes' bounds are not read.
        let at = |e: f64, eu: f64| {
            AffineForm::from_parts(
                [&[0.5, 1.0], &[0.0; 2], &[-1.0, 0.25]],
                [&[eu, eu], &[0.0; 2], &[e, 0.0]],
            )
            .expect("form")
            .loose()
        };
        assert!(!at(super::LOOSE, 1.0));
        assert!(at(super::LOOSE * (1.0 + f64::EPSILON), 0.0));
        assert!(at(f64::NAN, 0.0));
        assert!(at(f64::INFINITY, 0.0));
        // Scaled bounds (a fused output): tight from a tight input, loose
        // from a loose one.
        let net = relu_dense_3_2();
        let tight = inexact_input_3();
        let fused = net
            .apply_dense_relu_f64(1, &tight, Some(&[1, 1, 1]))
            .expect("applies");
        assert!(fused.has_scaled_bounds() && !fused.loose());
        let big = [1e-3; 3];
        let loose = AffineForm::from_parts(tight.values(), [&big, &big, &big]).expect("form");
        assert!(loose.loose());
        let fused = net
            .apply_dense_relu_f64(1, &loose, Some(&[1, 1, 1]))
            .expect("applies");
        assert!(!fused.has_scaled_bounds() && fused.loose());
    }

    /// A ReLU then a dense layer of 3 inputs and 2 outputs.
    fn relu_dense_3_2() -> crate::net::Network {
        let model = serde_json::json!({
            "format": "splinecam-model", "version": 1, "input_shape": [3],
            "ops": [{"op": "relu"},
                    {"op": "dense", "weight": [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]], "bias": [0.5, -1.0]}]
        });
        json::from_str(&model.to_string()).expect("model")
    }

    /// A 3-element input form with some inexact values and bounds.
    fn inexact_input_3() -> AffineForm {
        AffineForm::from_parts(
            [
                &[1.0 / 3.0, 2.0, -3.0],
                &[0.5, -0.5, 1.0 / 7.0],
                &[2.0, 1.0, 4.0],
            ],
            [&[1e-17, 0.0, 2e-16], &[0.0; 3], &[3e-16, 0.0, 0.0]],
        )
        .expect("form")
    }

    /// A one-row fused output keeps its bounds as scales; every way of
    /// reading them gives the same numbers as storing them element-wise, and
    /// the two representations compare equal.
    #[test]
    fn scaled_bounds_read_the_same_every_way() {
        let net = relu_dense_3_2();
        let x = inexact_input_3();
        let f = net
            .apply_dense_relu_f64(1, &x, Some(&[1, 0, 1]))
            .expect("fused");
        assert!(matches!(f.bounds, super::Bounds::Scaled(_)));
        let each = f.to_each().into_owned();
        assert!(matches!(each.bounds, super::Bounds::Each));
        assert_eq!(f, each);
        let mut buf = Vec::new();
        let into = f.errors_into(&mut buf).map(|a| a.to_vec());
        let stored = each.errors().map(|a| a.to_vec());
        assert_eq!(into, stored);
        // A buffer left longer (and dirty) by an earlier, wider form.
        let mut used = vec![f64::NAN; 100];
        assert_eq!(f.errors_into(&mut used).map(|a| a.to_vec()), stored);
        for (k, eu) in stored[0].iter().enumerate() {
            assert_eq!(f.err_at(k), [*eu, stored[1][k], stored[2][k]]);
        }
        // Read in place (the fused product's way), from the scales and from
        // the stored bounds alike.
        struct Collect(usize);
        impl super::ErrorsUser for Collect {
            type Out = Vec<[f64; 3]>;
            fn run(self, err: impl Fn(usize) -> [f64; 3] + Copy) -> Self::Out {
                (0..self.0).map(err).collect()
            }
        }
        let per_element: Vec<[f64; 3]> = (0..f.len())
            .map(|k| [stored[0][k], stored[1][k], stored[2][k]])
            .collect();
        assert_eq!(f.with_errors(Collect(f.len())), per_element);
        assert_eq!(each.with_errors(Collect(each.len())), per_element);
        assert!(stored.iter().flatten().all(|e| *e > 0.0));
        let mut g = f.clone();
        g.errors_mut(2)[0] = 1.0;
        assert!(matches!(g.bounds, super::Bounds::Each));
        assert_eq!(g.err_c()[0], 1.0);
        assert_eq!(g.err_u().to_vec(), stored[0]);
        assert_ne!(g, f);
    }

    /// A fused product whose input holds its bounds as scales (the output
    /// of the layer before) reads them in place: the same values and
    /// bounds, bit for bit, as from the input with its bounds stored.
    #[test]
    fn fused_dense_reads_scaled_input_bounds_in_place() {
        let model = serde_json::json!({
            "format": "splinecam-model", "version": 1, "input_shape": [3],
            "ops": [{"op": "relu"},
                    {"op": "dense", "weight": [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25], [0.1, -0.3, 0.7]],
                     "bias": [0.5, -1.0, 1.0 / 3.0]},
                    {"op": "relu"},
                    {"op": "dense", "weight": [[0.3, -2.0, 1.5], [1.0 / 3.0, 0.25, -0.125]], "bias": [0.0, 2.0]}]
        });
        let net = json::from_str(&model.to_string()).expect("model");
        let x = inexact_input_3();
        for first in [[1, 1, 1], [1, 0, 1], [0, 1, 0]] {
            let mid = net
                .apply_dense_relu_f64(1, &x, Some(&first))
                .expect("fused");
            assert!(matches!(mid.bounds, super::Bounds::Scaled(_)));
            let stored = mid.to_each().into_owned();
            for second in [[1, 1, 1], [0, 1, 1], [1, 0, 0], [0, 0, 0]] {
                let a = net
                    .apply_dense_relu_f64(3, &mid, Some(&second))
                    .expect("fused");
                let b = net
                    .apply_dense_relu_f64(3, &stored, Some(&second))
                    .expect("fused");
                assert_eq!(a.values(), b.values());
                assert_eq!(a.errors(), b.errors());
                // Reading the bounds from arrays (the point filter's) into
                // the memory of a form of the same shape: the same bits.
                let mut ebuf = Vec::new();
                let c = net
                    .apply_dense_relu_f64_in(
                        3,
                        &mid,
                        Some(&second),
                        vec![f64::NAN; b.clone().into_buffer().len()],
                        Some(mid.errors_into(&mut ebuf)),
                    )
                    .expect("fused");
                assert_eq!(bits(&a), bits(&c));
                assert_eq!(error_bits(&a), error_bits(&c));
                assert_eq!(a.has_scaled_bounds(), c.has_scaled_bounds());
            }
        }
    }

    /// The same with several rows (dense on the last axis).
    #[test]
    fn fused_dense_on_several_rows() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        for case in 0..40 {
            let rows = rng.gen_range(2..5);
            check_fused(&mut rng, rows, case, 1e-16);
        }
    }

    /// A non-finite input declines the fused kernel (generic path) unless
    /// the ReLU turns it off.
    #[test]
    fn fused_dense_declines_only_non_finite_inputs_that_pass() {
        let net = relu_dense_3_2();
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            for j in 0..6 {
                let mut parts = [[1.0, 2.0, -3.0], [0.5, -0.5, 1.5], [2.0, 1.0, 4.0]]
                    .map(|a| a.to_vec())
                    .to_vec();
                parts.extend([[1e-16; 3].to_vec(), [0.0; 3].to_vec(), [1e-17; 3].to_vec()]);
                parts[j][1] = bad;
                let pre = AffineForm::from_parts(
                    [&parts[0], &parts[1], &parts[2]],
                    [&parts[3], &parts[4], &parts[5]],
                )
                .expect("form");
                let off = [1, 0, 1];
                let fused = net
                    .apply_dense_relu_f64(1, &pre, Some(&off))
                    .expect("input 1 is off");
                let act = net.apply_activation_f64(0, &pre, &off).expect("relu");
                let generic = net.apply_linear_f64(1, &[&act]).expect("dense");
                assert_eq!(bits(&generic), bits(&fused));
                assert!(fused
                    .errors()
                    .iter()
                    .all(|e| e.iter().all(|x| x.is_finite())));
                assert!(net
                    .apply_dense_relu_f64(1, &pre, Some(&[1, 1, 0]))
                    .is_none());
                assert!(net.apply_dense_relu_f64(1, &pre, None).is_none());
            }
        }
    }
}
