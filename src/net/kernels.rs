//! Generic linear kernels shared by the f64 and exact (scaled-integer) passes.
//!
//! Each kernel computes only the linear part (no bias); zero terms are skipped,
//! which changes neither the f64 result nor its error bound.

use rug::Integer;

use super::ir::Window2d;

/// The arithmetic the kernels need.
pub(crate) trait Num: Clone {
    fn zero() -> Self;
    fn is_zero(&self) -> bool;
    /// `self += w * x` (for f64: one rounded product, one rounded sum; no FMA).
    fn mac(&mut self, w: &Self, x: &Self);
    fn add_ref(&mut self, x: &Self);
}

impl Num for f64 {
    fn zero() -> Self {
        0.0
    }
    fn is_zero(&self) -> bool {
        *self == 0.0
    }
    fn mac(&mut self, w: &Self, x: &Self) {
        let p = w * x;
        *self += p;
    }
    fn add_ref(&mut self, x: &Self) {
        *self += x;
    }
}

impl Num for Integer {
    fn zero() -> Self {
        Integer::new()
    }
    fn is_zero(&self) -> bool {
        self.is_zero()
    }
    fn mac(&mut self, w: &Self, x: &Self) {
        *self += w * x;
    }
    fn add_ref(&mut self, x: &Self) {
        *self += x;
    }
}

/// Dense along the last axis: `x` has rows of `inf` values.
pub(crate) fn dense<T: Num>(x: &[T], w: &[T], inf: usize, outf: usize) -> Vec<T> {
    let rows = x.len() / inf.max(1);
    let mut y = vec![T::zero(); rows * outf];
    for r in 0..rows {
        let xr = &x[r * inf..(r + 1) * inf];
        for o in 0..outf {
            let wr = &w[o * inf..(o + 1) * inf];
            let acc = &mut y[r * outf + o];
            for (wi, xi) in wr.iter().zip(xr) {
                if !xi.is_zero() && !wi.is_zero() {
                    acc.mac(wi, xi);
                }
            }
        }
    }
    y
}

/// Geometry of a conv/pool application.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geo {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub oh: usize,
    pub ow: usize,
    pub win: Window2d,
}

impl Geo {
    /// Input coordinate for output `o` and kernel offset `k` along axis `a` (0: h, 1: w).
    #[inline]
    fn coord(&self, a: usize, o: usize, k: usize) -> Option<usize> {
        let i = (o * self.win.stride[a] + k * self.win.dilation[a]) as isize
            - self.win.pads[a] as isize;
        let lim = if a == 0 { self.h } else { self.w };
        if i < 0 || i as usize >= lim {
            None
        } else {
            Some(i as usize)
        }
    }
}

/// Grouped, strided, dilated, zero-padded 2-D cross-correlation without bias.
pub(crate) fn conv2d<T: Num>(x: &[T], wt: &[T], g: &Geo, oc: usize, groups: usize) -> Vec<T> {
    let cin_g = g.c / groups;
    let cout_g = oc / groups;
    let (kh, kw) = (g.win.kernel[0], g.win.kernel[1]);
    let mut y = vec![T::zero(); oc * g.oh * g.ow];
    for o in 0..oc {
        let grp = o / cout_g;
        let yo = &mut y[o * g.oh * g.ow..(o + 1) * g.oh * g.ow];
        for icl in 0..cin_g {
            let ic = grp * cin_g + icl;
            let xc = &x[ic * g.h * g.w..(ic + 1) * g.h * g.w];
            for ki in 0..kh {
                for kj in 0..kw {
                    let wv = &wt[((o * cin_g + icl) * kh + ki) * kw + kj];
                    if wv.is_zero() {
                        continue;
                    }
                    for oy in 0..g.oh {
                        let Some(iy) = g.coord(0, oy, ki) else {
                            continue;
                        };
                        for ox in 0..g.ow {
                            let Some(ix) = g.coord(1, ox, kj) else {
                                continue;
                            };
                            let xv = &xc[iy * g.w + ix];
                            if !xv.is_zero() {
                                yo[oy * g.ow + ox].mac(wv, xv);
                            }
                        }
                    }
                }
            }
        }
    }
    y
}

/// Window sums over the non-padding cells.
pub(crate) fn pool_sum<T: Num>(x: &[T], g: &Geo) -> Vec<T> {
    let mut y = vec![T::zero(); g.c * g.oh * g.ow];
    for c in 0..g.c {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let acc = &mut y[(c * g.oh + oy) * g.ow + ox];
                for ki in 0..g.win.kernel[0] {
                    let Some(iy) = g.coord(0, oy, ki) else {
                        continue;
                    };
                    for kj in 0..g.win.kernel[1] {
                        let Some(ix) = g.coord(1, ox, kj) else {
                            continue;
                        };
                        acc.add_ref(&x[(c * g.h + iy) * g.w + ix]);
                    }
                }
            }
        }
    }
    y
}

/// Divisors of an average pool per output spatial position `(oy, ox)`.
pub(crate) fn pool_counts(g: &Geo, include_pad: bool) -> Vec<usize> {
    let mut out = Vec::with_capacity(g.oh * g.ow);
    for oy in 0..g.oh {
        for ox in 0..g.ow {
            if include_pad {
                out.push(g.win.kernel[0] * g.win.kernel[1]);
            } else {
                let ny = (0..g.win.kernel[0])
                    .filter(|&k| g.coord(0, oy, k).is_some())
                    .count();
                let nx = (0..g.win.kernel[1])
                    .filter(|&k| g.coord(1, ox, k).is_some())
                    .count();
                out.push(ny * nx);
            }
        }
    }
    out
}

/// Row-major strides of a shape.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Zero padding of an n-d tensor.
pub(crate) fn pad<T: Num>(x: &[T], shape: &[usize], pads: &[(usize, usize)]) -> Vec<T> {
    let out_shape: Vec<usize> = shape
        .iter()
        .zip(pads)
        .map(|(d, (a, b))| d + a + b)
        .collect();
    let os = strides(&out_shape);
    let is = strides(shape);
    let mut y = vec![T::zero(); out_shape.iter().product()];
    for (i, v) in x.iter().enumerate() {
        let mut o = 0;
        for a in 0..shape.len() {
            let idx = (i / is[a]) % shape[a];
            o += (idx + pads[a].0) * os[a];
        }
        y[o] = v.clone();
    }
    y
}

/// Concatenation along `axis`.
pub(crate) fn concat<T: Clone>(xs: &[&[T]], shapes: &[&[usize]], axis: usize) -> Vec<T> {
    let outer: usize = shapes[0][..axis].iter().product();
    let mut y = Vec::with_capacity(xs.iter().map(|x| x.len()).sum());
    for o in 0..outer {
        for (x, s) in xs.iter().zip(shapes) {
            let chunk: usize = s[axis..].iter().product();
            y.extend_from_slice(&x[o * chunk..(o + 1) * chunk]);
        }
    }
    y
}
