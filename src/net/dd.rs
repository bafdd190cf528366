//! Double-double affine forms: the middle tier between the `f64` forms and
//! the exact ones.
//!
//! In deep networks the `f64` forms' rigorous bounds grow by about a
//! layer's absolute row sum per layer while the values do not, until the
//! filter can decide no sign (`docs/algorithm.md`, Exact forms). A face
//! whose sign the filter leaves then needs a tighter form of its layer's
//! input. An exact pass gives one, at the cost of rationals that grow by
//! some thirty bits per layer (about a millisecond per face at width 64
//! and depth 40). A [`DdAffineForm`] is the same form carried in
//! double-double: each element is `hi + lo` (two `f64`, about 106 bits)
//! with a rigorous bound `err` on its distance to the exact value, so its
//! bounds start 2⁵³ times smaller than an `f64` pass's and stay below the
//! values for many more layers, at a few `f64` operations per product.
//! Rounded to `f64` ([`DdAffineForm::to_f64`]) it gives the filter a form
//! as tight as the rounding of the exact one.
//!
//! It is a hint, like every `f64` form: a sign is decided only where the
//! bound proves it, and otherwise by the exact form.
//!
//! # The error bound
//!
//! Products and sums are split exactly: `a·b = p + p'` (Dekker's product,
//! exact unless it underflows) and `a + b = s + s'` (Knuth's two-sum,
//! exact). A dense output `y = b + Σ_i w_i x_i` with inputs
//! `x_i = h_i + l_i`, `|X_i − x_i| ≤ e_i` (`X` exact), is computed as:
//! the high parts `b + Σ w_i h_i` by exact products and two-sums into `s`
//! and the exact remainders `p'_i, s'_i`; the low parts
//! `t = Σ (p'_i + s'_i + fl(w_i l_i))`, a rounded sum of `k = 3m` terms;
//! then `(hi, lo) = two_sum(s, t)`. So `hi + lo` differs from the exact
//! `Y` by at most
//!
//! `Σ_i |w_i| e_i + γ_{k−1} A + u Σ_i |w_i l_i|` with `A = Σ_i (|p'_i| + |s'_i| + |fl(w_i l_i)|)`
//!
//! (Higham, *Accuracy and Stability*, §4.2: a rounded sum of `k` terms, in
//! any order, is within `γ_{k−1} Σ|terms|` of the exact sum), which is at
//! most `Σ|w_i| e_i + 2γ_n A` for `n = 3m + 8` (`m` is bounded by the
//! fan-in). That expression is evaluated in `f64` and made rigorous by
//! `inflate(·, n)` (relative `1 + 4(n+2)u`, which covers the relative
//! `γ_{n+2}` of evaluating it, and an absolute `(n+1)·2⁻¹⁰²²`, which covers
//! underflow: Dekker's product is exact unless it underflows, and then off
//! by less than `2⁻¹⁰⁴⁴`, absolute; a rounded product by at most
//! `2⁻¹⁰⁷⁵`). Overflow anywhere (also inside Veltkamp's split, for factors
//! past about `2⁹⁹⁶`) gives an infinite or NaN part, never a finite wrong
//! one, and such a form is not used (`DdAffineForm::to_f64`). The splits
//! assume IEEE double arithmetic without double rounding (SSE2, as on
//! every `x86_64` and `i686` Rust target; not the x87 of `i586`).
//! Element-wise
//! ops (a slope, a sum of two tensors, a constant) are one- or two-term
//! cases of the same, with `n = 8`. ReLU, abs, max selection, reshape,
//! pad and concat move or negate values exactly and keep their bounds.
//! Non-finite values give non-finite bounds, which never decide.

use rug::Rational;

use super::affine::{gamma, inflate, AffineForm, ExactAffineForm};
use super::error::NetError;
use super::ir::{Network, Op, OpClass};
use super::kernels;

/// Knuth's two-sum: `a + b = s + e` exactly (`s = fl(a + b)`).
#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// Veltkamp's split: `a = hi + lo` with both halves of 26 bits or less.
#[inline]
fn split(a: f64) -> (f64, f64) {
    const FACTOR: f64 = 134_217_729.0; // 2^27 + 1
    let c = FACTOR * a;
    let hi = c - (c - a);
    (hi, a - hi)
}

/// Dekker's product: `a·b = p + e` exactly (`p = fl(a·b)`) unless it
/// underflows or overflows (no fused multiply-add: the portable build has
/// none in hardware).
#[inline]
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    (p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
}

/// A tensor in double-double: element `k`'s exact value lies within
/// `err[k]` of `hi[k] + lo[k]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DdTensor {
    /// High parts.
    pub hi: Vec<f64>,
    /// Low parts (`|lo| ≤ ulp(hi)` where made by this module).
    pub lo: Vec<f64>,
    /// Bounds on the distance to the exact values (non-negative, or NaN/∞).
    pub err: Vec<f64>,
}

impl DdTensor {
    /// An empty tensor with room for `n` elements.
    fn with_capacity(n: usize) -> Self {
        DdTensor {
            hi: Vec::with_capacity(n),
            lo: Vec::with_capacity(n),
            err: Vec::with_capacity(n),
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.hi.len()
    }

    /// Whether the tensor has no element.
    pub fn is_empty(&self) -> bool {
        self.hi.is_empty()
    }

    #[inline]
    fn push(&mut self, (hi, lo, err): (f64, f64, f64)) {
        self.hi.push(hi);
        self.lo.push(lo);
        self.err.push(err);
    }

    #[inline]
    fn at(&self, k: usize) -> (f64, f64, f64) {
        (self.hi[k], self.lo[k], self.err[k])
    }

    /// The nearest double-doubles (towards zero) to exact values, with the
    /// exact rounding errors (rounded up) as bounds.
    fn from_exact(t: &super::forward::ExactTensor) -> Self {
        let mut out = DdTensor::with_capacity(t.num.len());
        for k in 0..t.num.len() {
            let r = t.get(k);
            // Any faithful rounding will do: the bound is the exact rest.
            let hi = r.to_f64();
            if !hi.is_finite() {
                out.push((hi, 0.0, f64::INFINITY));
                continue;
            }
            let rest = r - Rational::from_f64(hi).expect("finite");
            let lo = rest.to_f64();
            let rest = rest - Rational::from_f64(lo).expect("finite");
            let err = if rest == 0 {
                0.0
            } else {
                rest.abs().to_f64().next_up()
            };
            out.push((hi, lo, err));
        }
        out
    }

    /// Each of `hi`, `lo` and `err` through the same exact rearrangement.
    fn map_parts(&self, f: impl Fn(&[f64]) -> Vec<f64>) -> Self {
        DdTensor {
            hi: f(&self.hi),
            lo: f(&self.lo),
            err: f(&self.err),
        }
    }
}

/// `x·a` for an `f64` constant `a` (a slope, a scale factor).
#[inline]
fn times((h, l, e): (f64, f64, f64), a: f64) -> (f64, f64, f64) {
    const N: usize = 8;
    let (p, pe) = two_prod(a, h);
    let q = a * l;
    let (hi, lo) = two_sum(p, pe + q);
    (
        hi,
        lo,
        inflate(a.abs() * e + 2.0 * gamma(N) * (pe.abs() + q.abs()), N),
    )
}

/// `x + y`.
#[inline]
fn plus((h1, l1, e1): (f64, f64, f64), (h2, l2, e2): (f64, f64, f64)) -> (f64, f64, f64) {
    const N: usize = 8;
    let (s, se) = two_sum(h1, h2);
    let (hi, lo) = two_sum(s, se + l1 + l2);
    (
        hi,
        lo,
        inflate(
            e1 + e2 + 2.0 * gamma(N) * (se.abs() + l1.abs() + l2.abs()),
            N,
        ),
    )
}

/// Dense node `idx` along the last axis (rows of `inf` values) on all
/// three parts of `x`, the bias on the constants. Four outputs at a time
/// (the network's blocked weights `wt4`): twelve independent chains of
/// exact sums instead of one.
fn dense(
    net: &Network,
    idx: usize,
    x: &DdAffineForm,
    bias: &[f64],
    inf: usize,
    outf: usize,
) -> DdAffineForm {
    let wt4 = &net.abs_data()[idx].wt4;
    let rows = x.len() / inf.max(1);
    let n = 3 * inf + 8;
    let g2 = 2.0 * gamma(n);
    let parts = x.parts();
    let mut out: [DdTensor; 3] = std::array::from_fn(|_| DdTensor::with_capacity(rows * outf));
    let mut act: Vec<usize> = Vec::with_capacity(inf);
    for r in 0..rows {
        // Inputs that are zero in all three parts (with zero bounds: ReLU
        // off) add nothing.
        act.clear();
        act.extend((0..inf).filter(|&i| {
            parts.iter().any(|t| {
                let k = r * inf + i;
                t.hi[k] != 0.0 || t.lo[k] != 0.0 || t.err[k] != 0.0
            })
        }));
        for (b, blk) in wt4.chunks_exact(inf).enumerate() {
            // Per part and output of the block: the exact sum's high part,
            // the low parts' sum, their absolute sum, Σ|w|e.
            let mut s = [[0.0f64; 4]; 3];
            for (q, sq) in s[2].iter_mut().enumerate() {
                *sq = bias.get(4 * b + q).copied().unwrap_or(0.0);
            }
            let mut t = [[0.0f64; 4]; 3];
            let mut a = [[0.0f64; 4]; 3];
            let mut ep = [[0.0f64; 4]; 3];
            for &i in &act {
                let w = blk[i];
                let k = r * inf + i;
                for j in 0..3 {
                    let (h, l, e) = parts[j].at(k);
                    for q in 0..4 {
                        let (p, pe) = two_prod(w[q], h);
                        let (s2, se) = two_sum(s[j][q], p);
                        s[j][q] = s2;
                        let lo = w[q] * l;
                        t[j][q] += pe + se + lo;
                        a[j][q] += pe.abs() + se.abs() + lo.abs();
                        ep[j][q] += w[q].abs() * e;
                    }
                }
            }
            for (j, o) in out.iter_mut().enumerate() {
                for q in 0..(outf - 4 * b).min(4) {
                    let (hi, lo) = two_sum(s[j][q], t[j][q]);
                    o.push((hi, lo, inflate(ep[j][q] + g2 * a[j][q], n)));
                }
            }
        }
    }
    let [u, v, c] = out;
    DdAffineForm { u, v, c }
}

/// An affine form `T_u·u + T_v·v + T_1` in double-double (see the module
/// documentation).
///
/// ```
/// use rug::Rational;
/// use splinecam::net::dd::DdAffineForm;
/// use splinecam::net::ExactAffineForm;
/// let third = Rational::from((1, 3));
/// let e = ExactAffineForm::input_rational(&[third.clone()], &[Rational::from(1)], &[Rational::new()]).unwrap();
/// let d = DdAffineForm::from_exact(&e);
/// // 1/3 to about 106 bits, and the bound covers the rest.
/// let (hi, lo, err) = (d.c.hi[0], d.c.lo[0], d.c.err[0]);
/// let got = Rational::from_f64(hi).unwrap() + Rational::from_f64(lo).unwrap();
/// assert!(Rational::from(&third - &got).abs() <= Rational::from_f64(err).unwrap());
/// assert!(err < 1e-30);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DdAffineForm {
    /// Coefficients of `u`.
    pub u: DdTensor,
    /// Coefficients of `v`.
    pub v: DdTensor,
    /// Constants.
    pub c: DdTensor,
}

impl DdAffineForm {
    /// The nearest double-double form to an exact one, with its rounding
    /// errors as bounds.
    pub fn from_exact(exact: &ExactAffineForm) -> Self {
        DdAffineForm {
            u: DdTensor::from_exact(&exact.u),
            v: DdTensor::from_exact(&exact.v),
            c: DdTensor::from_exact(&exact.c),
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.u.len()
    }

    /// Whether the form has no element.
    pub fn is_empty(&self) -> bool {
        self.u.is_empty()
    }

    /// Whether all nine arrays have the same length.
    fn is_consistent(&self) -> bool {
        let n = self.len();
        self.parts()
            .iter()
            .all(|t| t.hi.len() == n && t.lo.len() == n && t.err.len() == n)
    }

    /// The three tensors `u, v, c`.
    fn parts(&self) -> [&DdTensor; 3] {
        [&self.u, &self.v, &self.c]
    }

    /// The `f64` form nearest to this one (the high parts), with bounds
    /// that cover the low parts as well: `None` if a value or bound is not
    /// finite.
    pub fn to_f64(&self) -> Option<AffineForm> {
        let n = self.len();
        let mut values: [Vec<f64>; 3] = Default::default();
        let mut errors: [Vec<f64>; 3] = Default::default();
        for (j, t) in self.parts().into_iter().enumerate() {
            values[j] = t.hi.clone();
            errors[j] =
                t.lo.iter()
                    .zip(&t.err)
                    .map(|(l, e)| {
                        let z = l.abs() + e;
                        if z == 0.0 {
                            0.0
                        } else {
                            z.next_up()
                        }
                    })
                    .collect();
        }
        let finite = values
            .iter()
            .chain(&errors)
            .all(|a| a.len() == n && a.iter().all(|x| x.is_finite()));
        if !finite {
            return None;
        }
        AffineForm::from_parts(
            [&values[0], &values[1], &values[2]],
            [&errors[0], &errors[1], &errors[2]],
        )
        .ok()
    }
}

impl Network {
    /// Whether every node has a double-double kernel (dense and
    /// element-wise linear nodes, reshapes, activations and max units; not
    /// convolutions, average pooling or division).
    pub fn supports_dd(&self) -> bool {
        self.nodes().iter().all(|n| {
            !matches!(
                n.op,
                Op::Conv2d { .. } | Op::AvgPool { .. } | Op::Divide { .. }
            )
        })
    }

    /// Forms that match node `idx`'s inputs, each with its nine arrays of
    /// one length (the fields are public: a form built by hand may not).
    fn check_dd_forms(&self, idx: usize, ins: &[&DdAffineForm]) -> Result<(), NetError> {
        if let Some(k) = ins.iter().position(|f| !f.is_consistent()) {
            return Err(NetError::Argument(format!(
                "double-double form {k} of node {idx}: its arrays differ in length"
            )));
        }
        self.check_forms(idx, &ins.iter().map(|f| f.len()).collect::<Vec<_>>())
    }

    /// Applies linear node `idx` to double-double forms of its inputs.
    pub fn apply_linear_dd(
        &self,
        idx: usize,
        ins: &[&DdAffineForm],
    ) -> Result<DdAffineForm, NetError> {
        let node = self.check_node(idx, true)?;
        self.check_dd_forms(idx, ins)?;
        let unsupported = || {
            NetError::Argument(format!(
                "node {idx} ({}): no double-double kernel for {}",
                node.name,
                node.op.name()
            ))
        };
        if let Op::Dense {
            bias,
            in_features,
            out_features,
            ..
        } = &node.op
        {
            return Ok(dense(self, idx, ins[0], bias, *in_features, *out_features));
        }
        let part = |j: usize| -> Result<DdTensor, NetError> {
            let xs: Vec<&DdTensor> = ins.iter().map(|f| f.parts()[j]).collect();
            let with_bias = j == 2;
            Ok(match &node.op {
                Op::Reshape { .. } => xs[0].clone(),
                Op::Pad { pads } => {
                    let shape = self.shape(node.inputs[0]);
                    xs[0].map_parts(|a| kernels::pad(a, shape, pads))
                }
                Op::Concat { axis } => {
                    let shapes: Vec<&[usize]> =
                        node.inputs.iter().map(|t| self.shape(*t)).collect();
                    let cat = |f: fn(&DdTensor) -> &[f64]| {
                        let refs: Vec<&[f64]> = xs.iter().map(|x| f(x)).collect();
                        kernels::concat(&refs, &shapes, *axis)
                    };
                    DdTensor {
                        hi: cat(|x| &x.hi),
                        lo: cat(|x| &x.lo),
                        err: cat(|x| &x.err),
                    }
                }
                Op::Scale { factor } => {
                    let mut out = DdTensor::with_capacity(xs[0].len());
                    for (k, a) in factor.iter().enumerate() {
                        out.push(times(xs[0].at(k), *a));
                    }
                    out
                }
                Op::AddConst { constant } => {
                    if with_bias {
                        let mut out = DdTensor::with_capacity(xs[0].len());
                        for (k, c) in constant.iter().enumerate() {
                            out.push(plus(xs[0].at(k), (*c, 0.0, 0.0)));
                        }
                        out
                    } else {
                        xs[0].clone()
                    }
                }
                Op::Add | Op::Sub => {
                    let sign = if matches!(node.op, Op::Sub) {
                        -1.0
                    } else {
                        1.0
                    };
                    let mut out = DdTensor::with_capacity(xs[0].len());
                    for k in 0..xs[0].len() {
                        let (h, l, e) = xs[1].at(k);
                        out.push(plus(xs[0].at(k), (sign * h, sign * l, e)));
                    }
                    out
                }
                _ => return Err(unsupported()),
            })
        };
        Ok(DdAffineForm {
            u: part(0)?,
            v: part(1)?,
            c: part(2)?,
        })
    }

    /// Applies activation/max node `idx` with the given unit states to the
    /// double-double form of its input.
    pub fn apply_activation_dd(
        &self,
        idx: usize,
        x: &DdAffineForm,
        states: &[u32],
    ) -> Result<DdAffineForm, NetError> {
        let node = self.check_node(idx, false)?;
        self.check_dd_forms(idx, &[x])?;
        self.check_states(idx, states)?;
        let slope = |k: usize| -> Option<f64> {
            match &node.op {
                Op::LeakyRelu { alpha } => Some(*alpha),
                Op::PRelu { slope } => Some(slope[if slope.len() > 1 { k } else { 0 }]),
                _ => None,
            }
        };
        let part = |t: &DdTensor| -> DdTensor {
            let mut out = DdTensor::with_capacity(states.len());
            if node.op.class() == OpClass::Max {
                for (w, s) in node.windows.iter().zip(states) {
                    out.push(t.at(w[*s as usize] as usize));
                }
                return out;
            }
            for (k, s) in states.iter().enumerate() {
                let (h, l, e) = t.at(k);
                out.push(if *s == 1 {
                    (h, l, e)
                } else if matches!(node.op, Op::Abs) {
                    (-h, -l, e)
                } else if let Some(a) = slope(k) {
                    times((h, l, e), a)
                } else {
                    // ReLU off.
                    (0.0, 0.0, 0.0)
                });
            }
            out
        };
        Ok(DdAffineForm {
            u: part(&x.u),
            v: part(&x.v),
            c: part(&x.c),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{json, ExactAffineForm, TensorId};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::collections::HashMap;

    fn q(x: f64) -> Rational {
        Rational::from_f64(x).expect("finite")
    }

    /// A random float `m·2^e`, `m` of 53 random bits, `e` in `-200..200`.
    fn random_float(rng: &mut ChaCha8Rng) -> f64 {
        let m = (rng.gen::<u64>() >> 11) as f64 * f64::EPSILON / 2.0;
        let e = rng.gen_range(-200i32..200);
        let s = if rng.gen() { 1.0 } else { -1.0 };
        s * (1.0 + m) * 2f64.powi(e)
    }

    /// The splits are exact (pure-rational check), on degenerate pairs
    /// (zeros, signed zeros, cancellation, one ulp apart, powers of two,
    /// far apart exponents) and random ones.
    #[test]
    fn two_sum_and_two_prod_are_exact() {
        let e = f64::EPSILON;
        let mut pairs = vec![
            (0.0, 0.0),
            (-0.0, 0.0),
            (1.0, -1.0),
            (1.0, e / 2.0),
            (1.0 + e, -(1.0 - e / 2.0)),
            (3.0, 1.0 / 3.0),
            (0.1, 0.2),
            (-0.75, 2f64.powi(-60)),
            (2f64.powi(400), 2f64.powi(-400)),
            (1.0 + e, 1.0 - e / 2.0),
            (134_217_729.0, 134_217_727.0),
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        pairs.extend((0..5000).map(|_| (random_float(&mut rng), random_float(&mut rng))));
        for (a, b) in pairs {
            let (s, se) = two_sum(a, b);
            assert_eq!(q(a) + q(b), q(s) + q(se), "{a:e} + {b:e}");
            assert_eq!(s, a + b);
            let (p, pe) = two_prod(a, b);
            assert_eq!(q(a) * q(b), q(p) + q(pe), "{a:e} · {b:e}");
            assert_eq!(p, a * b);
        }
    }

    /// `x·a` and `x + y` on exact double-doubles (zero bounds, so that
    /// nothing but the op's own rounding term covers its error): the exact
    /// result lies within the bound, pure-rational check.
    #[test]
    fn slope_and_sum_bounds_cover_their_own_rounding() {
        let mut rng = ChaCha8Rng::seed_from_u64(29);
        let mut dd = || {
            let h = random_float(&mut rng);
            // A low part below half an ulp of the high part.
            let l = h * f64::EPSILON * rng.gen_range(-0.5..0.5);
            (h, l, 0.0)
        };
        let exact = |(h, l, _): (f64, f64, f64)| q(h) + q(l);
        let within = |(h, l, e): (f64, f64, f64), want: &Rational| {
            Rational::from(want - &exact((h, l, e))).abs() <= q(e)
        };
        for _ in 0..2000 {
            let (x, y) = (dd(), dd());
            for a in [0.1, -0.3, 1.0 / 3.0, 0.0, 1e-3] {
                let got = times(x, a);
                assert!(within(got, &(exact(x) * q(a))), "{x:?}·{a}: {got:?}");
            }
            let got = plus(x, y);
            assert!(
                within(got, &(exact(x) + exact(y))),
                "{x:?} + {y:?}: {got:?}"
            );
            let same = plus(x, (-x.0, -x.1, 0.0));
            assert_eq!(exact(same), 0, "x − x");
        }
    }

    /// Near underflow (where Dekker's product is not exact) and near
    /// overflow (where its split overflows): a dense layer's bounds still
    /// cover the exact values, or the form is refused (NaN or infinite
    /// parts), never finite and wrong.
    #[test]
    fn extreme_magnitudes_are_covered_or_refused() {
        let net = json::from_str(
            r#"{"format": "splinecam-model", "version": 1, "input_shape": [2], "ops": [
            {"op": "dense", "weight": [[1e-300, -3e-10], [0.7, 1e-20], [0, 1]], "bias": [0, 1e-308, 0]},
            {"op": "relu"}, {"op": "dense", "weight": [[1, 1, 1]], "bias": [0]}
        ]}"#,
        )
        .expect("model");
        let mut rng = ChaCha8Rng::seed_from_u64(31);
        for _ in 0..300 {
            // Inputs from 2^-1060 to 2^-647: products reach subnormals.
            let r = |rng: &mut ChaCha8Rng| {
                let m = rng.gen_range(1i64..1 << 53) * if rng.gen() { 1 } else { -1 };
                Rational::from(m) >> rng.gen_range(700u32..1060)
            };
            let ex = ExactAffineForm::input_rational(
                &[r(&mut rng), r(&mut rng)],
                &[r(&mut rng), r(&mut rng)],
                &[r(&mut rng), r(&mut rng)],
            )
            .expect("input");
            let x = DdAffineForm::from_exact(&ex);
            check(&x, &ex, -2000).expect("the input's rounding");
            let y = net.apply_linear_dd(0, &[&x]).expect("dense");
            let want = net.apply_linear_exact(0, &[&ex]).expect("exact");
            check(&y, &want, -2000).expect("covered near underflow");
        }
        // Near overflow: the split of 2^1000 overflows; the form is refused.
        let big = Rational::from(1) << 1000u32;
        let ex = ExactAffineForm::input_rational(
            &[big.clone(), Rational::from(1)],
            &[Rational::from(1), Rational::new()],
            &[Rational::new(), big],
        )
        .expect("input");
        let y = net
            .apply_linear_dd(0, &[&DdAffineForm::from_exact(&ex)])
            .expect("dense");
        assert!(y.to_f64().is_none(), "{y:?}");
    }

    /// Every op with a double-double kernel, with planted degeneracies:
    /// a duplicated and a zero row, a slope that is not a power of two, a
    /// residual sum and a difference, padding, concatenation, reshapes,
    /// PReLU and maxout.
    const MODEL: &str = r#"{"format": "splinecam-model", "version": 1, "input_shape": [2], "ops": [
        {"op": "dense", "name": "a", "weight": [[1, -0.5], [1, -0.5], [0, 0], [0.1, 0.7]], "bias": [0.5, 0.5, 0, -0.3]},
        {"op": "relu", "name": "ra"},
        {"op": "dense", "name": "b", "weight": [[0.3, -1.1, 0.2, 0.9], [0.7, 0.25, -0.6, 0.1], [-0.3, 0.3, 1, -2], [1e-3, 5, 0.5, 0.125]], "bias": [0.1, -0.2, 0.3, 0]},
        {"op": "leaky_relu", "name": "rb", "alpha": 0.1},
        {"op": "add", "name": "s", "inputs": ["rb", "ra"]},
        {"op": "abs", "name": "as"},
        {"op": "scale", "name": "sc", "factor": [0.3, -1.7, 1e-3, 3]},
        {"op": "add_const", "name": "ac", "constant": [0.1, -0.2, 0.3, -0.4]},
        {"op": "sub", "name": "d", "inputs": ["ac", "as"]},
        {"op": "pad", "name": "p", "pads": [[1, 2]]},
        {"op": "concat", "name": "c", "axis": 0, "inputs": ["p", "d"]},
        {"op": "reshape", "name": "r", "shape": [1, 11]},
        {"op": "flatten", "name": "f"},
        {"op": "prelu", "name": "pr", "slope": [0.2, 0.1, -0.3, 0.5, 0.25, 0.3, 0.7, 0.01, 0.4, 0.6, 0.9]},
        {"op": "dense", "name": "e", "weight": [[0.5, -0.1, 0.2, 0, 0.3, 0.1, -0.7, 0.2, 0.1, 0.5, -0.2], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1], [-1, 0.5, 0.3, 0.2, 0.1, 0, 0, 0, 0.3, 0.2, 0.1], [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3], [0.7, -0.2, 0.1, 0.1, -0.5, 0.3, 0.2, 0.1, 0.4, 0.2, 0.6]], "bias": [0, 0.1, 0.1, -0.1, 0.2, 0.3]},
        {"op": "maxout", "name": "m", "pieces": 2},
        {"op": "dense", "name": "out", "weight": [[1, -3, 0.7]], "bias": [0.5]}
    ]}"#;

    /// The exact input form of a plane whose offset and direction are not
    /// double-doubles (so that the first rounding is not exact).
    fn input() -> ExactAffineForm {
        let r = |n: i64, d: i64| Rational::from((n, d));
        ExactAffineForm::input_rational(
            &[r(1, 10), r(-3, 10)],
            &[r(1, 1), r(1, 2)],
            &[r(0, 1), r(1, 3)],
        )
        .expect("input")
    }

    /// Random states for every layer.
    fn random_pattern(net: &Network, rng: &mut ChaCha8Rng) -> Vec<Vec<u32>> {
        net.layer_nodes()
            .iter()
            .map(|&i| {
                let node = &net.nodes()[i];
                match node.op.class() {
                    OpClass::Max => node
                        .windows
                        .iter()
                        .map(|w| rng.gen_range(0..w.len() as u32))
                        .collect(),
                    _ => (0..net.len_of(node.output))
                        .map(|_| rng.gen_range(0..2))
                        .collect(),
                }
            })
            .collect()
    }

    /// Whether every element of `dd` lies within its bound of `exact`
    /// (pure-rational check), and the bound is tight: below `2^-tight` of
    /// the tensor's largest value (plus one).
    fn check(dd: &DdAffineForm, exact: &ExactAffineForm, tight: i32) -> Result<(), String> {
        for (t, x) in dd.parts().into_iter().zip([&exact.u, &exact.v, &exact.c]) {
            let scale = 1.0 + t.hi.iter().fold(0.0f64, |m, h| m.max(h.abs()));
            for k in 0..t.len() {
                let got = q(t.hi[k]) + q(t.lo[k]);
                let off = Rational::from(&x.get(k) - &got).abs();
                if off > q(t.err[k]) {
                    return Err(format!("element {k}: off by {off} > bound {:e}", t.err[k]));
                }
                if t.err[k] > scale * 2f64.powi(-tight) {
                    return Err(format!("element {k}: bound {:e} not tight", t.err[k]));
                }
            }
        }
        Ok(())
    }

    /// Propagates exact and double-double forms through `net` with the
    /// given states and checks every tensor (see [`check`]).
    fn propagate_and_check(
        net: &Network,
        input: &ExactAffineForm,
        pattern: &[Vec<u32>],
        tight: i32,
    ) {
        let mut ex: HashMap<TensorId, ExactAffineForm> = HashMap::new();
        let mut dd: HashMap<TensorId, DdAffineForm> = HashMap::new();
        ex.insert(TensorId(0), input.clone());
        dd.insert(TensorId(0), DdAffineForm::from_exact(input));
        check(&dd[&TensorId(0)], input, 100).expect("the input's rounding");
        for (idx, node) in net.nodes().iter().enumerate() {
            let (e, d) = match node.op.class() {
                OpClass::Linear => {
                    let ei: Vec<&ExactAffineForm> = node.inputs.iter().map(|t| &ex[t]).collect();
                    let di: Vec<&DdAffineForm> = node.inputs.iter().map(|t| &dd[t]).collect();
                    (
                        net.apply_linear_exact(idx, &ei).expect("exact"),
                        net.apply_linear_dd(idx, &di).expect("dd"),
                    )
                }
                _ => {
                    let s = &pattern[node.layer.expect("layer")];
                    let t = &node.inputs[0];
                    (
                        net.apply_activation_exact(idx, &ex[t], s).expect("exact"),
                        net.apply_activation_dd(idx, &dd[t], s).expect("dd"),
                    )
                }
            };
            if let Err(msg) = check(&d, &e, tight) {
                panic!("node {idx} ({}): {msg}", node.name);
            }
            ex.insert(node.output, e);
            dd.insert(node.output, d);
        }
    }

    /// Every tensor of every op kind, on random patterns, lies within its
    /// bound of the exact form, and the bounds are about 2^-100 of the
    /// values (what makes the tier worth having).
    /// (Checked to fail with the low parts' term left out of the dense
    /// bound, and with the slope's rounding left out.)
    #[test]
    fn dd_forms_cover_the_exact_forms_of_every_op() {
        let net = json::from_str(MODEL).expect("model");
        assert!(net.supports_dd());
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        for _ in 0..50 {
            let pattern = random_pattern(&net, &mut rng);
            propagate_and_check(&net, &input(), &pattern, 90);
        }
    }

    /// A deep narrow MLP (40 layers of 16 ReLUs, PyTorch-like weights):
    /// the bounds grow with depth but stay far below `f64`'s rounding.
    #[test]
    fn dd_bounds_stay_tight_through_forty_layers() {
        let mut rng = ChaCha8Rng::seed_from_u64(23);
        let (w, depth) = (16usize, 40usize);
        let mut ops = Vec::new();
        let mut fan_in = 2usize;
        for l in 0..=depth {
            let out = if l == depth { 1 } else { w };
            let b = 1.0 / (fan_in as f64).sqrt();
            let weight: Vec<Vec<f64>> = (0..out)
                .map(|_| {
                    (0..fan_in)
                        .map(|_| rng.gen_range(-b..b) as f32 as f64)
                        .collect()
                })
                .collect();
            let bias: Vec<f64> = (0..out)
                .map(|_| rng.gen_range(-b..b) as f32 as f64)
                .collect();
            ops.push(serde_json::json!({"op": "dense", "weight": weight, "bias": bias}));
            if l < depth {
                ops.push(serde_json::json!({"op": "relu"}));
            }
            fan_in = out;
        }
        let model = serde_json::json!({"format": "splinecam-model", "version": 1, "input_shape": [2], "ops": ops});
        let net = json::from_str(&model.to_string()).expect("model");
        // The pattern of an interior point (so that the values stay alive).
        let (_, pattern) = net.forward_f64(&[0.3, -0.2]).expect("forward");
        let pattern: Vec<Vec<u32>> = pattern.layers.iter().map(|l| l.to_vec()).collect();
        propagate_and_check(&net, &input(), &pattern, 70);
    }

    /// Rounded to `f64`, the bounds cover the exact values too; non-finite
    /// values give no form.
    #[test]
    fn rounded_forms_cover_the_exact_ones() {
        let net = json::from_str(MODEL).expect("model");
        let ex = input();
        let f = DdAffineForm::from_exact(&ex).to_f64().expect("finite");
        for k in 0..f.len() {
            for (j, t) in [&ex.u, &ex.v, &ex.c].into_iter().enumerate() {
                let off = Rational::from(&t.get(k) - &q(f.values()[j][k])).abs();
                assert!(off <= q(f.err_at(k)[j]), "element {k}, part {j}");
            }
        }
        let d = net
            .apply_linear_dd(0, &[&DdAffineForm::from_exact(&ex)])
            .expect("dd");
        assert!(d.to_f64().is_some());
        let mut bad = d.clone();
        bad.c.err[1] = f64::INFINITY;
        assert!(bad.to_f64().is_none());
        let mut bad = d;
        bad.u.hi[0] = f64::NAN;
        assert!(bad.to_f64().is_none());
    }

    /// Convolutions have no kernel: the network says so, and applying one
    /// is an error that names the node, not a panic. Mismatched forms and
    /// states are errors too.
    #[test]
    fn unsupported_nodes_and_bad_arguments_are_errors() {
        let conv = r#"{"format": "splinecam-model", "version": 1, "input_shape": [1, 1, 2, 1], "ops": [
            {"op": "conv2d", "name": "k", "out_channels": 1, "kernel": [1, 1], "weight": [2], "bias": [0]},
            {"op": "relu"}, {"op": "flatten"}, {"op": "dense", "weight": [[1, 1]], "bias": [0]}
        ]}"#;
        let net = json::from_str(conv).expect("model");
        assert!(!net.supports_dd());
        let x = DdAffineForm::from_exact(&input());
        let err = net.apply_linear_dd(0, &[&x]).expect_err("no conv kernel");
        assert!(err.to_string().contains("conv"), "{err}");
        let net = json::from_str(MODEL).expect("model");
        assert!(net.apply_linear_dd(1, &[&x]).is_err(), "an activation node");
        assert!(
            net.apply_activation_dd(1, &x, &[1, 0, 1, 0]).is_err(),
            "a 2-wide form"
        );
        let y = net.apply_linear_dd(0, &[&x]).expect("dense");
        assert!(
            net.apply_activation_dd(1, &y, &[1, 0, 2, 0]).is_err(),
            "state 2"
        );
        assert!(
            net.apply_activation_dd(1, &y, &[1, 0, 1]).is_err(),
            "3 states"
        );
        // A form built by hand with arrays of different lengths.
        let mut bad = y.clone();
        bad.v.lo.pop();
        assert!(net.apply_activation_dd(1, &bad, &[1, 0, 1, 0]).is_err());
        let mut bad = x.clone();
        bad.c.err.clear();
        assert!(net.apply_linear_dd(0, &[&bad]).is_err());
    }

    #[cfg(feature = "proptest")]
    mod props {
        use super::*;
        use proptest::prelude::*;
        use proptest::test_runner::{Config, RngSeed};

        proptest! {
            #![proptest_config(Config {
                cases: 200,
                rng_seed: RngSeed::Fixed(0xdd_2026),
                failure_persistence: None,
                ..Config::default()
            })]

            /// Random networks (all activations, quantized and float
            /// weights, duplicated, negated and zero rows, dead units) on
            /// random patterns: every tensor within its bound of the
            /// exact one, and the bounds tight.
            #[test]
            fn dd_forms_cover_exact_forms_of_random_networks(
                case in crate::strategies::network_case(5, 10),
                seed in any::<u64>(),
            ) {
                let net = case.network();
                prop_assume!(net.supports_dd());
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let pattern = random_pattern(&net, &mut rng);
                propagate_and_check(&net, &input(), &pattern, 80);
            }
        }
    }
}
