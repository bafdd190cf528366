//! Rank-one steps between sibling faces' dense forms.
//!
//! On two faces that share the input form `x` of a ReLU layer and differ
//! only in the states of a few of its neurons `D`, the next dense node's
//! outputs differ by one column per differing neuron:
//!
//! `y = W·diag(s)·x + b = W·diag(s')·x + b + Σ_(k∈D) (s_k − s'_k)·W[:, k]·x_k`.
//!
//! So a face's form follows from its neighbour's in `O(|D|·out)` instead of
//! the `O(in·out)` of a product. The partition engine uses this for sibling
//! faces (the sub-faces of one face cut by one layer, which share `x`).
//!
//! # The error bound
//!
//! With the neighbour's computed values `ŷ'` (within `E'` of the exact ones)
//! and `x̂_k` within `e_k` of the exact input, each output is the recursive
//! sum `ŷ = fl(…fl(ŷ' + fl(δ_1 w_1 x̂_1)) + …)` of `d + 1` terms
//! (`δ = ±1`, so `δ w` is exact), hence (Higham, §3.1)
//!
//! `|ŷ − y| ≤ E' + Σ_k |w_k| e_k + γ_(d+1) (|ŷ'| + Σ_k |w_k| |x̂_k|)`
//! `     = E' + γ_(d+1)|ŷ'| + Σ_k |w_k| (e_k + γ_(d+1)|x̂_k|)`.
//!
//! That is evaluated in f64 with `γ_(d+3)` (slack) and inflated as a sum of
//! `3d + 6` rounded terms ([`super::affine::inflate`]), as the module
//! documentation of [`super::affine`] does for every other bound. Errors
//! grow by one such increment per step, so a chain of steps stays within a
//! small multiple of one product's bound.
//!
//! When `from`'s bounds are held as scales (a fused product's, see
//! [`AffineForm`]), the step's bounds are scales too, half the memory of a
//! form: with `|ŷ'_o| ≤ ρ·s_o + |b_o|` (`s` the layer's absolute row sums,
//! `ρ` read from the neighbour's values) and `|w_ok| ≤ max_k |w_ok|`, the
//! bound above is again of the scaled shape (derivation at
//! `AffineForm::step_scales`), a little looser.

use super::affine::{gamma, inflate, AffineForm};
use super::ir::{Network, Op};

/// Steps are taken for at most this fraction (1/`MAX_STEP_SHARE`) of the
/// inputs differing (or two); more, and a full product is about as cheap.
const MAX_STEP_SHARE: usize = 4;

impl Network {
    /// The output of dense node `idx` after a ReLU with states `states` on
    /// input form `pre`, from the same node's output `from` for states
    /// `from_states` on the same `pre` (see the module documentation).
    ///
    /// `None` (use a full product) if `idx` is not a dense node, lengths do
    /// not match one input row, a value involved is not finite, states are
    /// not 0/1, or more than a quarter of the states differ.
    pub(crate) fn apply_dense_relu_step_f64(
        &self,
        idx: usize,
        pre: &AffineForm,
        from: &AffineForm,
        from_states: &[u32],
        states: &[u32],
    ) -> Option<AffineForm> {
        let (inf, outf) = self.dense_sizes(idx)?;
        if pre.len() != inf || from.len() != outf || states.len() != inf {
            return None;
        }
        if from_states.len() != inf {
            return None;
        }
        // States must be 0/1 (one branch-free pass over both).
        let or = states
            .iter()
            .zip(from_states)
            .fold(0u32, |m, (&s, &t)| m | s | t);
        if or > 1 {
            return None;
        }
        // The differing states, inline for the usual one or two (no
        // allocation); equal blocks of sixteen are skipped by one slice
        // comparison each.
        let mut diff: smallvec::SmallVec<[(usize, f64); 8]> = smallvec::SmallVec::new();
        const BLOCK: usize = 16;
        for (b, (x, y)) in states
            .chunks(BLOCK)
            .zip(from_states.chunks(BLOCK))
            .enumerate()
        {
            if x == y {
                continue;
            }
            for (i, (&s, &t)) in x.iter().zip(y).enumerate() {
                if s != t {
                    diff.push((b * BLOCK + i, if s == 1 { 1.0 } else { -1.0 }));
                    if diff.len() > (inf / MAX_STEP_SHARE).max(2) {
                        return None;
                    }
                }
            }
        }
        if !from.all_finite() {
            return None;
        }
        let (pu, pv, pc) = (pre.u(), pre.v(), pre.c());
        let row = |k: usize| ([pu[k], pv[k], pc[k]], pre.err_at(k));
        self.step(idx, row, from, &diff)
    }

    /// `(in_features, out_features)` of dense node `idx`; `None` for any
    /// other node.
    fn dense_sizes(&self, idx: usize) -> Option<(usize, usize)> {
        match self.nodes().get(idx)?.op {
            Op::Dense {
                in_features,
                out_features,
                ..
            } => Some((in_features, out_features)),
            _ => None,
        }
    }

    /// The output of dense node `idx` after a ReLU, from `from` (the same
    /// node's output on the same input) by turning the neurons `diff` on
    /// (`(k, 1.0)`) or off (`(k, -1.0)`): `row(k)` gives neuron `k`'s input
    /// row `[u, v, c]` and its bounds, read for the neurons in `diff` only.
    /// A face whose input form is kept folded (only the rows of the neurons
    /// whose lines may cross it) gets its sub-faces' forms this way,
    /// however many neurons differ (see the module documentation: the bound
    /// holds for any number of steps).
    ///
    /// `None` if `idx` is not a dense node, `from` does not have its output
    /// length, an index is out of range, a sign is not ±1 or a value
    /// involved is not finite.
    pub(crate) fn apply_dense_relu_rows_f64(
        &self,
        idx: usize,
        row: impl Fn(usize) -> ([f64; 3], [f64; 3]),
        from: &AffineForm,
        diff: &[(usize, f64)],
    ) -> Option<AffineForm> {
        let (inf, outf) = self.dense_sizes(idx)?;
        if from.len() != outf
            || diff.iter().any(|&(k, s)| k >= inf || s.abs() != 1.0)
            || !from.all_finite()
        {
            return None;
        }
        self.step(idx, row, from, diff)
    }

    /// [`Network::apply_dense_relu_step_f64`] once its checks passed, for the
    /// differing inputs `diff` (index, `±1`), reading input rows and their
    /// bounds from `row`.
    fn step(
        &self,
        idx: usize,
        row: impl Fn(usize) -> ([f64; 3], [f64; 3]),
        from: &AffineForm,
        diff: &[(usize, f64)],
    ) -> Option<AffineForm> {
        let outf = from.len();
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        if !diff.iter().all(|&(k, _)| {
            let (x, e) = row(k);
            finite(&x) && finite(&e)
        }) {
            return None;
        }
        let wt = &self.abs_data()[idx].wt;
        let d = diff.len();
        let g = gamma(d + 3);
        let n = 3 * d + 6;
        let x = |k: usize| row(k).0;
        let z = |k: usize| {
            let ([pu, pv, pc], [eu, ev, ec]) = row(k);
            [eu + g * pu.abs(), ev + g * pv.abs(), ec + g * pc.abs()]
        };
        let mut out = from.clone();
        for j in 0..3 {
            let y = out.values_mut(j);
            for &(k, sign) in diff {
                let xs = sign * x(k)[j];
                for (y, w) in y.iter_mut().zip(&wt[k * outf..(k + 1) * outf]) {
                    *y += w * xs;
                }
            }
        }
        if from.has_scaled_bounds() {
            // Bounds as scales (see `AffineForm::step_scales`).
            let mut zsum = [0.0f64; 3];
            for &(k, _) in diff {
                for (m, zk) in zsum.iter_mut().zip(z(k)) {
                    *m += zk;
                }
            }
            return from
                .step_scales(&mut out, g, zsum.map(|x| inflate(x, 2 * d + 1)))
                .then_some(out);
        }
        // Scratch for `from`'s bounds, one per thread.
        thread_local! {
            static BOUNDS: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BOUNDS.with_borrow_mut(|buf| {
            let [fu, fv, fc] = from.values();
            let [feu, fev, fec] = from.errors_into(buf);
            for j in 0..3 {
                let (y0, e0) = ([fu, fv, fc][j], [feu, fev, fec][j]);
                let e = out.errors_mut(j);
                for ((e, e0), y0) in e.iter_mut().zip(e0).zip(y0) {
                    *e = e0 + g * y0.abs();
                }
                for &(k, _) in diff {
                    let zk = z(k)[j];
                    for (e, w) in e.iter_mut().zip(&wt[k * outf..(k + 1) * outf]) {
                        *e += w.abs() * zk;
                    }
                }
                for e in e.iter_mut() {
                    *e = inflate(*e, n);
                }
            }
        });
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use rug::Rational;

    use crate::net::affine::AffineForm;
    use crate::net::json;

    /// A 3-4-2 network whose dense layers have the given weights.
    fn net(w1: &[[f64; 3]; 4], w2: &[[f64; 4]; 2]) -> crate::net::Network {
        let j = serde_json::json!({
            "format": "splinecam-model", "version": 1, "input_shape": [3],
            "ops": [
                {"op": "dense", "weight": w1, "bias": [0.5, -0.25, 0.125, 1.0]},
                {"op": "relu"},
                {"op": "dense", "weight": w2, "bias": [0.1, -0.3]},
            ]
        });
        json::from_str(&j.to_string()).unwrap()
    }

    /// Exact value of the dense output for states `s` on the exact input
    /// `pre` (`[u, v, c]`, four elements each).
    fn exact_on(
        w2: &[[f64; 4]; 2],
        b: [f64; 2],
        pre: &[[Rational; 4]; 3],
        s: &[u32],
    ) -> [[Rational; 3]; 2] {
        std::array::from_fn(|o| {
            std::array::from_fn(|j| {
                let mut acc = if j == 2 {
                    Rational::from_f64(b[o]).unwrap()
                } else {
                    Rational::new()
                };
                for k in 0..4 {
                    if s[k] == 1 {
                        acc += Rational::from_f64(w2[o][k]).unwrap() * &pre[j][k];
                    }
                }
                acc
            })
        })
    }

    /// [`exact_on`] the values of `pre` (exact here: zero bounds).
    fn exact(w2: &[[f64; 4]; 2], b: [f64; 2], pre: &AffineForm, s: &[u32]) -> [[Rational; 3]; 2] {
        let x = [pre.u(), pre.v(), pre.c()];
        let pre =
            std::array::from_fn(|j| std::array::from_fn(|k| Rational::from_f64(x[j][k]).unwrap()));
        exact_on(w2, b, &pre, s)
    }

    /// Step `step` of the tests' walk over states: flip state `step % 4`,
    /// and every third step the next one too.
    fn walk(s: &[u32], step: usize) -> Vec<u32> {
        let mut t = s.to_vec();
        t[step % 4] ^= 1;
        if step % 3 == 0 {
            t[(step + 1) % 4] ^= 1;
        }
        t
    }

    /// Pre-activation values with rounding in them (thirds, sevenths).
    const VALS: [[f64; 4]; 3] = [
        [1.0 / 3.0, -0.7, 2.0 / 7.0, 1e-3],
        [0.1, 1.0 / 9.0, -3.5, 0.0],
        [-0.2, 0.3, 1.0 / 11.0, 4.0],
    ];

    /// The root at states `[1, 0, 1, 1]` on the exact input [`VALS`] and
    /// forty steps of [`walk`] from it (one or two states flipped per
    /// step): each form within its bounds of the rational sum, and handed
    /// to `check`.
    fn chain(
        network: &crate::net::Network,
        w2: &[[f64; 4]; 2],
        b2: [f64; 2],
        mut check: impl FnMut(&AffineForm),
    ) {
        let pre = AffineForm::from_parts(VALS.each_ref().map(|a| &a[..]), [&[0.0; 4]; 3]).unwrap();
        let mut s = vec![1u32, 0, 1, 1];
        let mut f = network.apply_dense_relu_f64(2, &pre, Some(&s)).unwrap();
        within(&f, &exact(w2, b2, &pre, &s));
        check(&f);
        for step in 0..40usize {
            let t = walk(&s, step);
            f = network
                .apply_dense_relu_step_f64(2, &pre, &f, &s, &t)
                .expect("a step applies");
            within(&f, &exact(w2, b2, &pre, &t));
            check(&f);
            s = t;
        }
    }

    fn within(f: &AffineForm, ex: &[[Rational; 3]; 2]) {
        for (o, row) in ex.iter().enumerate() {
            for (j, (x, e)) in [(f.u(), f.err_u()), (f.v(), f.err_v()), (f.c(), f.err_c())]
                .into_iter()
                .enumerate()
            {
                let dev = Rational::from_f64(x[o]).unwrap() - &row[j];
                assert!(
                    dev.abs() <= Rational::from_f64(e[o]).unwrap(),
                    "output {o} array {j}: {} off, bound {}",
                    x[o],
                    e[o]
                );
            }
        }
    }

    /// The folded route ([`crate::net::Network::apply_dense_relu_rows_f64`]):
    /// from the output with some neurons off, turning on any set of them at
    /// once (all four, past the share where a sibling step gives up) and
    /// off again, with rows read from a copy of the input's: within its bounds of the
    /// rational sum on every state vector, scaled bounds kept, on weights
    /// with a zero column and two equal columns (duplicated neurons) and an
    /// input with a zero row. An index out of range or a non-finite row is
    /// refused.
    #[test]
    fn folded_steps_turn_on_any_neurons_within_their_bounds() {
        let w1 = [[0.3, -1.1, 0.7]; 4];
        let w2 = [[0.1, 0.0, 1.3, 1.3], [-2.5, 0.0, 1.0 / 3.0, 1.0 / 3.0]];
        let b2 = [0.1, -0.3];
        let network = net(&w1, &w2);
        let mut vals = VALS;
        for row in &mut vals {
            row[3] = 0.0;
        }
        let pre = AffineForm::from_parts(vals.each_ref().map(|a| &a[..]), [&[0.0; 4]; 3]).unwrap();
        let rows: Vec<([f64; 3], [f64; 3])> = (0..4)
            .map(|k| ([vals[0][k], vals[1][k], vals[2][k]], pre.err_at(k)))
            .collect();
        for known in 0u32..16 {
            // Neurons in `known` keep their state (on); the others start off.
            let base: Vec<u32> = (0..4).map(|k| (known >> k) & 1).collect();
            let fixed = network.apply_dense_relu_f64(2, &pre, Some(&base)).unwrap();
            assert!(fixed.has_scaled_bounds());
            for on in 0u32..16 {
                if on & known != 0 {
                    continue;
                }
                let diff: Vec<(usize, f64)> = (0..4)
                    .filter(|&k| (on >> k) & 1 == 1)
                    .map(|k| (k, 1.0))
                    .collect();
                let f = network
                    .apply_dense_relu_rows_f64(2, |k| rows[k], &fixed, &diff)
                    .expect("a folded step applies");
                let states: Vec<u32> = (0..4).map(|k| ((known | on) >> k) & 1).collect();
                within(&f, &exact(&w2, b2, &pre, &states));
                assert!(f.has_scaled_bounds());
                // And back off again: the known states' output.
                let off: Vec<(usize, f64)> = diff.iter().map(|&(k, _)| (k, -1.0)).collect();
                let g = network
                    .apply_dense_relu_rows_f64(2, |k| rows[k], &f, &off)
                    .expect("a folded step applies");
                within(&g, &exact(&w2, b2, &pre, &base));
            }
        }
        let fixed = network
            .apply_dense_relu_f64(2, &pre, Some(&[0; 4]))
            .unwrap();
        assert!(network
            .apply_dense_relu_rows_f64(2, |k| rows[k], &fixed, &[(4, 1.0)])
            .is_none());
        assert!(network
            .apply_dense_relu_rows_f64(2, |k| rows[k], &fixed, &[(1, 2.0)])
            .is_none());
        assert!(network
            .apply_dense_relu_rows_f64(2, |_| ([f64::NAN, 0.0, 0.0], [0.0; 3]), &fixed, &[(1, 1.0)])
            .is_none());
        assert!(network
            .apply_dense_relu_rows_f64(0, |k| rows[k], &fixed, &[(1, 1.0)])
            .is_none());
    }

    #[test]
    fn steps_stay_within_their_bounds_along_a_chain() {
        let w1 = [
            [0.3, -1.1, 0.7],
            [1.0 / 3.0, 0.2, -0.9],
            [-0.6, 0.45, 0.1],
            [0.05, 1.7, -0.2],
        ];
        let w2 = [[0.1, -0.7, 1.3, 0.9], [-2.5, 0.6, 0.35, -1.0 / 7.0]];
        chain(&net(&w1, &w2), &w2, [0.1, -0.3], |_| {});
    }

    /// Steps with an inexact input form (bounds on `pre`), from a root whose
    /// bounds are scales (kept as scales) and from the same root stored
    /// element-wise: both stay within their bounds against rational sums on
    /// an exact input inside `pre`'s bounds, and the scales stay within a
    /// bounded factor of the element-wise bounds.
    #[test]
    fn steps_with_inexact_inputs_scaled_and_element_wise() {
        let w1 = [[0.3, -1.1, 0.7]; 4];
        let w2 = [[0.1, -0.7, 1.3, 0.9], [-2.5, 0.6, 0.35, -1.0 / 7.0]];
        let b2 = [0.1, -0.3];
        let network = net(&w1, &w2);
        let vals = VALS;
        let errs: [[f64; 4]; 3] = [
            [1e-16, 3e-17, 0.0, 2e-19],
            [0.0, 5e-17, 4e-16, 0.0],
            [2e-17, 0.0, 1e-17, 8e-16],
        ];
        let pre = AffineForm::from_parts(
            vals.each_ref().map(|a| &a[..]),
            errs.each_ref().map(|a| &a[..]),
        )
        .unwrap();
        // The exact input: each value moved by +e, -e or e/2 (inside its bound).
        let ex_pre: [[Rational; 4]; 3] = std::array::from_fn(|j| {
            std::array::from_fn(|k| {
                let e = Rational::from_f64(errs[j][k]).unwrap();
                let t = [
                    Rational::from(1),
                    Rational::from(-1),
                    Rational::from((1, 2)),
                ][(j + k) % 3]
                    .clone();
                Rational::from_f64(vals[j][k]).unwrap() + e * t
            })
        });
        let exact = |s: &[u32]| exact_on(&w2, b2, &ex_pre, s);
        let mut last = Vec::new();
        for scaled in [true, false] {
            let mut s = vec![1u32, 0, 1, 1];
            let root = network.apply_dense_relu_f64(2, &pre, Some(&s)).unwrap();
            assert!(root.has_scaled_bounds());
            let mut f = if scaled {
                root
            } else {
                root.to_each().into_owned()
            };
            within(&f, &exact(&s));
            for step in 0..40usize {
                let t = walk(&s, step);
                f = network
                    .apply_dense_relu_step_f64(2, &pre, &f, &s, &t)
                    .expect("a step applies");
                assert_eq!(f.has_scaled_bounds(), scaled);
                within(&f, &exact(&t));
                s = t;
            }
            last.push(f);
        }
        // The scales cost a bounded factor over the element-wise bounds
        // (1.0-4.9x here, after forty steps on four inputs, where `max_k
        // |w_ok|` is a loose bound of one weight).
        for (a, b) in last[0].errors().iter().zip(last[1].errors().iter()) {
            for (x, y) in a.iter().zip(b.iter()) {
                assert!(*x <= 6.0 * y, "scales {x} against element-wise {y}");
            }
        }
    }

    /// Scaled steps through rows whose `|ŷ'|/s` is read with the
    /// reciprocal row sum: a row of zero weights (`s = 0`, reciprocal 0,
    /// the value is the bias alone) and rows of tiny weights (`1/s` near
    /// `1e299`, products that round), against rational sums along the walk.
    #[test]
    fn scaled_steps_with_zero_and_tiny_rows() {
        let w1 = [[0.3, -1.1, 0.7]; 4];
        let tiny = [[0.0; 4], [1e-300, -3e-300, 0.0, 7e-301]];
        let small = [[1.0 / 3.0, -1e-300, 0.25, 0.0], [0.0; 4]];
        for w2 in [tiny, small] {
            chain(&net(&w1, &w2), &w2, [0.1, -0.3], |f| {
                assert!(f.has_scaled_bounds());
                assert!(f.errors().iter().all(|e| e.iter().all(|x| x.is_finite())));
            });
        }
    }

    /// Steps whose every sum rounds the same way at a large value: input 0
    /// is `2^53` (spacing 2 above it), the others `0.9` each, turned on one
    /// by one, so each step's sum rounds down by 0.9 and the error grows
    /// linearly. Only the `ρ` term of the scaled bounds (`γ·|ŷ'|` per step)
    /// covers that growth; every bound must hold against the rational sum.
    #[test]
    fn scaled_steps_cover_rounding_that_accumulates() {
        let (w1, b1, w2) = ([[0.5, 0.0, 0.0]; 8], [0.0; 8], [[1.0; 8]]);
        let j = serde_json::json!({
            "format": "splinecam-model", "version": 1, "input_shape": [3],
            "ops": [
                {"op": "dense", "weight": w1, "bias": b1},
                {"op": "relu"},
                {"op": "dense", "weight": w2, "bias": [0.0]},
            ]
        });
        let network: crate::net::Network = json::from_str(&j.to_string()).unwrap();
        let big = 9_007_199_254_740_992.0; // 2^53
        let mut c = [0.9; 8];
        c[0] = big;
        let pre = AffineForm::from_parts([&[0.0; 8], &[0.0; 8], &c], [&[0.0; 8]; 3]).unwrap();
        let mut s = vec![0u32; 8];
        let mut f = network.apply_dense_relu_f64(2, &pre, Some(&s)).unwrap();
        assert!(f.has_scaled_bounds());
        let mut worst = 0.0f64;
        for k in 0..8 {
            let mut t = s.clone();
            t[k] = 1;
            f = network
                .apply_dense_relu_step_f64(2, &pre, &f, &s, &t)
                .expect("a step applies");
            assert!(f.has_scaled_bounds());
            let exact: Rational = (0..8)
                .filter(|&i| t[i] == 1)
                .map(|i| Rational::from_f64(c[i]).unwrap())
                .sum();
            let dev = Rational::from_f64(f.c()[0]).unwrap() - &exact;
            worst = worst.max(dev.to_f64().abs());
            assert!(
                dev.abs() <= Rational::from_f64(f.err_c()[0]).unwrap(),
                "step {k}: {} off the exact sum, bound {}",
                f.c()[0],
                f.err_c()[0]
            );
            s = t;
        }
        // The case does what it says: the rounding piled up.
        assert!(worst >= 6.0, "largest error {worst}");
    }

    #[test]
    fn degenerate_steps() {
        let w1 = [[1.0, 0.0, 0.0]; 4];
        // Duplicated and zero columns.
        let w2 = [[0.5, 0.5, 0.0, -0.25], [0.0, 0.0, 0.0, 0.0]];
        let network = net(&w1, &w2);
        let pre = AffineForm::from_parts(
            [&[1.0, 1.0, 0.0, -2.0], &[0.0; 4], &[0.5, 0.5, 0.0, 0.0]],
            [&[0.0; 4]; 3],
        )
        .unwrap();
        let s = [1u32, 1, 1, 0];
        let f = network.apply_dense_relu_f64(2, &pre, Some(&s)).unwrap();
        // No state differs: the same values.
        let same = network
            .apply_dense_relu_step_f64(2, &pre, &f, &s, &s)
            .unwrap();
        assert_eq!(same.u(), f.u());
        assert_eq!(same.c(), f.c());
        // Exactly representable steps keep exact values.
        let t = [1u32, 1, 1, 1];
        let g = network
            .apply_dense_relu_step_f64(2, &pre, &f, &s, &t)
            .unwrap();
        within(&g, &exact(&w2, [0.1, -0.3], &pre, &t));
        assert_eq!(g.u()[0], 1.5);
        // More than a quarter (or two) of the states differ: no step.
        let far = [0u32, 0, 0, 1];
        assert!(network
            .apply_dense_relu_step_f64(2, &pre, &f, &s, &far)
            .is_none());
        // Not a dense node, wrong lengths, non-finite values, bad states.
        assert!(network
            .apply_dense_relu_step_f64(1, &pre, &f, &s, &t)
            .is_none());
        assert!(network
            .apply_dense_relu_step_f64(2, &pre, &f, &s[..3], &t[..3])
            .is_none());
        let mut nan = f.clone();
        nan.u_mut()[0] = f64::NAN;
        assert!(network
            .apply_dense_relu_step_f64(2, &pre, &nan, &s, &t)
            .is_none());
        assert!(network
            .apply_dense_relu_step_f64(2, &pre, &f, &s, &[1, 1, 2, 1])
            .is_none());
    }
}
