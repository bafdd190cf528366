//! Forward passes of many points at once, each value with a rigorous bound.
//!
//! The partition engine's vertex pass (`partition::vertex_pass`,
//! `docs/algorithm.md`) evaluates a plain chain of dense and ReLU nodes at
//! every vertex of the mesh: where a neuron's value has the same proven
//! sign at every corner of a face, its line misses the face, without the
//! face's affine form. The points are stored row-major, `width` values per
//! point, with bounds `e` beside the values `x`: `|x̂ − x| ≤ e`
//! element-wise, where `x` is the exact tensor at the exact point.
//!
//! The bounds are those of [`AffineForm`] propagation
//! (see `affine`'s module documentation) for a form with one column:
//!
//! - **a form at a point** ([`form_at_point_f64`]): a tensor's affine form
//!   on a face (the slice's input form, or a face's form at one of its
//!   corners) evaluated at the `f64` point `(x̂, ŷ)` within `r` of the
//!   exact one, bounded by
//!   [`point_value_and_bound`]
//!   (the form's own bounds, its rounding, and `r` times its slopes);
//! - **dense**: `ŷ = b + Σ_i w_i x̂_i` in `f64` (inputs that are `0 ± 0`
//!   skipped: their terms are exact zeros), bounded by
//!   `|W|(e + γ_n|x̂|) + γ_n|b|`, `n` = fan-in + 3, inflated by `affine`'s
//!   `inflate` for the rounding of the bound itself;
//! - **ReLU**: `max(x̂, 0)` with the same bound (ReLU is 1-Lipschitz), and
//!   `0 ± 0` where the value is proven negative
//!   ([`value_sign`] decides that).
//!
//! A value or bound that is not finite stays so (the bound becomes `+∞`):
//! such a value decides nothing.
//!
//! ```
//! use splinecam::net::{json, points};
//! let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
//!   "ops":[{"op":"dense","weight":[[1,-1],[0.5,2]],"bias":[0,1]},{"op":"relu"}]}"#).unwrap();
//! // Two exact points (radius 0): (0.5, 0.25) and (-1, 1).
//! let (x, e) = (vec![0.5, 0.25, -1.0, 1.0], vec![0.0; 4]);
//! let (mut y, mut ye) = (vec![0.0; 4], vec![0.0; 4]);
//! net.dense_points_f64(0, &x, &e, &mut y, &mut ye).unwrap();
//! assert_eq!(y, [0.25, 1.75, -2.0, 2.5]);
//! assert!(ye.iter().all(|b| *b < 1e-14)); // the rounding alone
//! points::relu_points_f64(&mut y, &mut ye);
//! assert_eq!(y, [0.25, 1.75, 0.0, 2.5]);
//! assert_eq!(ye[2], 0.0); // proven negative: exactly 0 after the ReLU
//! ```

use crate::exact::predicates::{point_value_and_bound, value_sign};
use crate::exact::Sign;

use super::affine::{gamma, inflate};
use super::error::NetError;
use super::ir::{Network, Op};
use super::AffineForm;

impl Network {
    /// Dense node `idx` at a batch of points: `x`, `e` hold the input's
    /// values and bounds (`in_features` per point), `y`, `ye` receive the
    /// output's (`out_features` per point; their lengths give the number of
    /// points). An error if `idx` is not a dense node or the lengths
    /// disagree.
    pub fn dense_points_f64(
        &self,
        idx: usize,
        x: &[f64],
        e: &[f64],
        y: &mut [f64],
        ye: &mut [f64],
    ) -> Result<(), NetError> {
        self.dense_points::<false>(idx, (x, e), (y, ye))
    }

    /// [`Network::dense_points_f64`] of the ReLU of `x` ± `e` (as
    /// [`relu_points_f64`] makes it, bit for bit), without writing it out.
    pub fn relu_dense_points_f64(
        &self,
        idx: usize,
        x: &[f64],
        e: &[f64],
        y: &mut [f64],
        ye: &mut [f64],
    ) -> Result<(), NetError> {
        self.dense_points::<true>(idx, (x, e), (y, ye))
    }

    fn dense_points<const RELU: bool>(
        &self,
        idx: usize,
        (x, e): (&[f64], &[f64]),
        (y, ye): (&mut [f64], &mut [f64]),
    ) -> Result<(), NetError> {
        let node = self
            .nodes()
            .get(idx)
            .ok_or_else(|| NetError::Argument(format!("no node {idx}")))?;
        let Op::Dense {
            bias,
            in_features: inf,
            out_features: outf,
            ..
        } = &node.op
        else {
            return Err(NetError::Argument(format!(
                "node {idx} ('{}') is {}, not dense",
                node.name,
                node.op.name()
            )));
        };
        let (inf, outf) = (*inf, *outf);
        let points = x.len() / inf.max(1);
        if x.len() != points * inf
            || e.len() != x.len()
            || y.len() != points * outf
            || ye.len() != y.len()
        {
            return Err(NetError::Argument(format!(
                "node {idx}: {} input values, {} bounds, {} output values and {} bounds \
                 do not make whole points of {inf} inputs and {outf} outputs",
                x.len(),
                e.len(),
                y.len(),
                ye.len()
            )));
        }
        let absd = &self.abs_data()[idx];
        let wt4 = &absd.wt4;
        let n = absd.fan_in + 3;
        let g = gamma(n);
        // The inputs that are not `0 ± 0`: (index, x̂, e + γ|x̂|).
        let mut act: Vec<(usize, f64, f64)> = Vec::with_capacity(inf);
        for p in 0..points {
            let (xs, es) = (&x[p * inf..(p + 1) * inf], &e[p * inf..(p + 1) * inf]);
            // Written at the end of the list, kept by moving the end on
            // (no branch per input).
            act.resize(inf, (0, 0.0, 0.0));
            let mut kept = 0;
            for (i, (&xi, &ei)) in xs.iter().zip(es).enumerate() {
                let (xi, ei) = if RELU { relu(xi, ei) } else { (xi, ei) };
                act[kept] = (i, xi, ei + g * xi.abs());
                kept += usize::from(xi != 0.0 || ei != 0.0);
            }
            act.truncate(kept);
            let (yo, eo) = (
                &mut y[p * outf..(p + 1) * outf],
                &mut ye[p * outf..(p + 1) * outf],
            );
            // On AVX2 where the processor has it (the same bits).
            if crate::simd::dense_points(wt4, inf, &act, yo, eo).is_none() {
                dense_points_portable(wt4, inf, &act, yo, eo);
            }
            for ((yv, ev), b) in yo.iter_mut().zip(eo.iter_mut()).zip(bias) {
                *yv += b;
                let bound = inflate(*ev + g * b.abs(), n);
                // A NaN bound (an infinite input times a zero weight)
                // decides nothing either way: made `+∞` like the others.
                *ev = if bound.is_nan() { f64::INFINITY } else { bound };
            }
        }
        Ok(())
    }
}

/// The points kernel's product for one point: `yo[o] = Σ x_i·w[i][o]` and
/// `eo[o] = Σ z_i·|w[i][o]|` over the listed `(i, x_i, z_i)` in list order,
/// four outputs at a time, their eight sums in registers (`crate::simd`
/// has the same on AVX2).
pub(crate) fn dense_points_portable(
    wt4: &[[f64; 4]],
    inf: usize,
    act: &[(usize, f64, f64)],
    yo: &mut [f64],
    eo: &mut [f64],
) {
    let outf = yo.len();
    for (b, blk) in wt4.chunks_exact(inf).enumerate() {
        let (mut sy, mut se) = ([0.0f64; 4], [0.0f64; 4]);
        for &(i, xi, zi) in act {
            let w = blk[i];
            for j in 0..4 {
                sy[j] += xi * w[j];
                se[j] += zi * w[j].abs();
            }
        }
        let lo = 4 * b;
        if lo + 4 <= outf {
            // A constant-length copy (no call to memmove).
            yo[lo..lo + 4].copy_from_slice(&sy);
            eo[lo..lo + 4].copy_from_slice(&se);
        } else {
            for (j, (yv, ev)) in yo[lo..].iter_mut().zip(&mut eo[lo..]).enumerate() {
                (*yv, *ev) = (sy[j], se[j]);
            }
        }
    }
}

/// ReLU of values with bounds, in place (see the module documentation).
pub fn relu_points_f64(x: &mut [f64], e: &mut [f64]) {
    for (xv, ev) in x.iter_mut().zip(e.iter_mut()) {
        (*xv, *ev) = relu(*xv, *ev);
    }
}

/// ReLU of one value with its bound.
///
/// Proven negative: `0 ± 0`. Otherwise `max(x̂, 0) ± e` (ReLU is
/// 1-Lipschitz), with `e = ∞` for a NaN `x̂`. Written as selects, without
/// a branch (a proven positive `x̂` is `max(x̂, 0)` already).
#[inline(always)]
fn relu(x: f64, e: f64) -> (f64, f64) {
    let negative = value_sign(x, e) == Some(Sign::Negative);
    (
        if x > 0.0 { x } else { 0.0 },
        if negative {
            0.0
        } else if x.is_nan() {
            f64::INFINITY
        } else {
            e
        },
    )
}

/// A tensor at the point `xy` (within `r` of an exact point in each
/// coordinate) from its affine `form` on a face whose closure holds the
/// point (the slice's input form, or a face's form at one of its
/// corners): values and bounds.
pub fn form_at_point_f64(form: &AffineForm, xy: [f64; 2], r: f64, x: &mut [f64], e: &mut [f64]) {
    let (u, v, c) = (form.u(), form.v(), form.c());
    for (k, (xv, ev)) in x.iter_mut().zip(e.iter_mut()).enumerate() {
        let (value, bound) = point_value_and_bound([u[k], v[k], c[k]], form.err_at(k), xy, r);
        *xv = value;
        *ev = if bound.is_nan() { f64::INFINITY } else { bound };
    }
}
