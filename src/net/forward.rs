//! Point forward passes (f64 and exact) and the per-op arithmetic they share
//! with affine-form propagation.
//!
//! # Exact arithmetic
//!
//! Exact tensors are stored as integer numerators over one common positive
//! denominator ([`ExactTensor`]). Weights are finite floats, i.e. dyadic
//! rationals `m * 2^e`; per op they are scaled to integers by a common power of
//! two (cached per network), so a dense or conv layer is an integer
//! multiply-accumulate and the denominator gains a factor `2^shift`. Division by
//! a constant and average pooling multiply the denominator by the
//! (least common multiple of the) divisors. After every op the common power of
//! two is cancelled. No gcd is taken per element, which makes the exact pass a
//! small constant factor slower than big-integer multiplication itself.

use std::sync::OnceLock;

use rug::{Integer, Rational};

use super::error::NetError;
use super::ir::{Network, Node, Op, OpClass};
use super::kernels::{self, Geo};

/// The activation pattern of a point (or face): one entry per activation/max
/// layer, in graph order ([`Network::layer_nodes`]), one state per unit.
///
/// States: ReLU, leaky-ReLU, PReLU: `1` = on (pre-activation `> 0`), `0` = off
/// (pre-activation `<= 0`; exactly zero counts as off). Abs: `1` if `x >= 0`,
/// `0` if `x < 0`. Max-pool/maxout: the position of the maximum within the
/// unit's window ([`Node::windows`]), ties broken by the lowest position.
///
/// Layers are reference-counted slices: the regions of a partition that
/// share a layer's states (all sub-faces of one parent face, for the layers
/// before they were cut) share one copy, which keeps wide layers (a conv
/// layer of 10^4 units) from being copied into every region.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pattern {
    /// Per layer, per unit states.
    pub layers: Vec<std::sync::Arc<[u32]>>,
}

/// An exact tensor: `value[i] = num[i] / den`, `den > 0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExactTensor {
    /// Numerators.
    pub num: Vec<Integer>,
    /// Common positive denominator.
    pub den: Integer,
}

/// `x = m * 2^e` with `m` odd (or zero); exact for finite `x`.
pub(crate) fn decompose(x: f64) -> (i64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (0, 0);
    }
    let bits = x.to_bits();
    let neg = bits >> 63 == 1;
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (m, e) = if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp - 1075)
    };
    let tz = m.trailing_zeros();
    let m = (m >> tz) as i64;
    (if neg { -m } else { m }, e + tz as i32)
}

/// Scales several float vectors by one power of two `2^shift` so that all
/// become integers; returns the integers and `shift`.
pub(crate) fn scale_to_integers(vs: &[&[f64]]) -> (Vec<Vec<Integer>>, u32) {
    let mut shift = 0i32;
    for v in vs {
        for &x in v.iter() {
            if x != 0.0 {
                shift = shift.max(-decompose(x).1);
            }
        }
    }
    let out = vs
        .iter()
        .map(|v| {
            v.iter()
                .map(|&x| {
                    let (m, e) = decompose(x);
                    Integer::from(m) << ((shift + e) as u32)
                })
                .collect()
        })
        .collect();
    (out, shift as u32)
}

impl ExactTensor {
    /// The exact value of a vector of floats.
    pub fn from_f64(x: &[f64]) -> Result<Self, NetError> {
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(NetError::Argument(format!("non-finite value at index {i}")));
        }
        let (mut v, shift) = scale_to_integers(&[x]);
        let mut t = ExactTensor {
            num: v.pop().unwrap_or_default(),
            den: Integer::from(1) << shift,
        };
        t.normalize();
        Ok(t)
    }

    /// The exact tensor with these rational values (common denominator = lcm).
    pub fn from_rationals(x: &[Rational]) -> Self {
        let mut den = Integer::from(1);
        for r in x {
            den.lcm_mut(r.denom());
        }
        let num = x
            .iter()
            .map(|r| Integer::from(&den / r.denom()) * r.numer())
            .collect();
        ExactTensor { num, den }
    }

    /// A zero tensor of `n` elements.
    pub fn zeros(n: usize) -> Self {
        ExactTensor {
            num: vec![Integer::new(); n],
            den: Integer::from(1),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.num.len()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.num.is_empty()
    }

    /// Element `i` as a rational.
    pub fn get(&self, i: usize) -> Rational {
        Rational::from((self.num[i].clone(), self.den.clone()))
    }

    /// All elements as rationals.
    pub fn to_rationals(&self) -> Vec<Rational> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }

    /// All elements rounded to f64 (via `Rational::to_f64`).
    pub fn to_f64(&self) -> Vec<f64> {
        (0..self.len()).map(|i| self.get(i).to_f64()).collect()
    }

    /// Cancels the common power of two of numerators and denominator.
    pub fn normalize(&mut self) {
        let mut tz = self.den.find_one(0).unwrap_or(0);
        let mut any = false;
        for n in &self.num {
            if let Some(t) = n.find_one(0) {
                any = true;
                tz = tz.min(t);
                if tz == 0 {
                    return;
                }
            }
        }
        if !any {
            self.den = Integer::from(1);
        } else if tz > 0 {
            for n in &mut self.num {
                *n >>= tz;
            }
            self.den >>= tz;
        }
    }

    /// Brings several tensors to one denominator (their lcm).
    fn common(xs: &[&ExactTensor]) -> (Vec<Vec<Integer>>, Integer) {
        let mut den = Integer::from(1);
        for x in xs {
            den.lcm_mut(&x.den);
        }
        let nums = xs
            .iter()
            .map(|x| {
                let f = Integer::from(&den / &x.den);
                if f == 1 {
                    x.num.clone()
                } else {
                    x.num.iter().map(|n| Integer::from(n * &f)).collect()
                }
            })
            .collect();
        (nums, den)
    }
}

/// Per-op exact data: weights scaled to integers.
#[derive(Clone, Debug, Default)]
pub(crate) struct ExactData {
    /// Integer weights (`w = W / 2^shift`), or per-element multipliers for divide/pool.
    pub w: Vec<Integer>,
    /// Integer bias/constant (same scale as `w`).
    pub b: Vec<Integer>,
    /// Power of two of the weight scale.
    pub shift: u32,
    /// Extra denominator factor (divide, avg-pool).
    pub f: Integer,
}

/// Per-op f64 absolute values used by the error bounds.
#[derive(Clone, Debug, Default)]
pub(crate) struct AbsData {
    /// `|w|` (for divide and avg-pool: `1/|d|` rounded).
    pub w: Vec<f64>,
    /// Maximum number of terms of one output (fan-in).
    pub fan_in: usize,
    /// Dense only: the weights in blocks of four outputs for the fused form
    /// kernel (`AffineForm` propagation): `wt4[b * in_features + i][j]` is
    /// the weight from input `i` to output `4b + j` (zero past the last
    /// output).
    pub wt4: Vec<[f64; 4]>,
    /// Dense only: the weights input-major, `wt[i * out_features + o]` the
    /// weight from input `i` to output `o` (a column per input, for
    /// rank-one steps, `net::step`).
    pub wt: Vec<f64>,
    /// Dense only: the per-output scales that forms with scaled bounds
    /// share (one reference count per form).
    pub rows: std::sync::Arc<RowScales>,
}

/// Per-output data of a dense layer that the scaled bounds of its output
/// forms read (see `AffineForm`'s scaled bounds).
#[derive(Clone, Debug, Default)]
pub(crate) struct RowScales {
    /// `Σ_i |w_oi|` summed in `f64` (in input order; relative error at most
    /// `γ_(fan_in)`).
    pub s: Box<[f64]>,
    /// `max_i |w_oi|` (exact).
    pub t: Box<[f64]>,
    /// `|b_o|`.
    pub a: Box<[f64]>,
    /// `1/s_o` rounded to nearest, `0` where `s_o = 0` (a ratio `|y|/s_o` is
    /// read as `|y|·inv_s[o]`: two roundings instead of a division).
    pub inv_s: Box<[f64]>,
    /// The largest `s_o` (`AffineForm::loose` reads the three maxima).
    pub s_max: f64,
    /// The largest `t_o`.
    pub t_max: f64,
    /// The largest `a_o`.
    pub a_max: f64,
}

/// The [`RowScales`] of a dense layer (`weight` row-major, `outf × inf`).
fn row_scales(weight: &[f64], bias: &[f64], inf: usize, outf: usize) -> RowScales {
    let row = |o: usize| &weight[o * inf..(o + 1) * inf];
    let s: Box<[f64]> = (0..outf)
        .map(|o| row(o).iter().map(|w| w.abs()).sum())
        .collect();
    let t: Box<[f64]> = (0..outf)
        .map(|o| row(o).iter().fold(0.0f64, |m, w| m.max(w.abs())))
        .collect();
    let a: Box<[f64]> = bias.iter().map(|b| b.abs()).collect();
    let max = |x: &[f64]| x.iter().fold(0.0f64, |m, &y| m.max(y));
    RowScales {
        s_max: max(&s),
        t_max: max(&t),
        a_max: max(&a),
        t,
        a,
        inv_s: s
            .iter()
            .map(|&x| if x > 0.0 { 1.0 / x } else { 0.0 })
            .collect(),
        s,
    }
}

/// Lazily built per-network caches.
#[derive(Clone, Debug, Default)]
pub(crate) struct Caches {
    pub exact: OnceLock<Vec<ExactData>>,
    pub abs: OnceLock<Vec<AbsData>>,
}

pub(crate) fn geo(net: &Network, node: &Node) -> Option<Geo> {
    let s = net.shape(node.inputs[0]);
    let o = net.shape(node.output);
    let n = s.len();
    let win = match &node.op {
        Op::Conv2d { window, .. } | Op::AvgPool { window, .. } | Op::MaxPool { window } => *window,
        _ => return None,
    };
    if n < 3 {
        return None;
    }
    Some(Geo {
        c: s[n - 3],
        h: s[n - 2],
        w: s[n - 1],
        oh: o[n - 2],
        ow: o[n - 1],
        win,
    })
}

fn build_exact(net: &Network) -> Vec<ExactData> {
    net.nodes()
        .iter()
        .map(|node| match &node.op {
            Op::Dense { weight, bias, .. } | Op::Conv2d { weight, bias, .. } => {
                let (mut v, shift) = scale_to_integers(&[weight, bias]);
                let b = v.pop().unwrap_or_default();
                let w = v.pop().unwrap_or_default();
                ExactData {
                    w,
                    b,
                    shift,
                    f: Integer::from(1),
                }
            }
            Op::Scale { factor: w } | Op::PRelu { slope: w } => {
                let (mut v, shift) = scale_to_integers(&[w]);
                ExactData {
                    w: v.pop().unwrap_or_default(),
                    b: vec![],
                    shift,
                    f: Integer::from(1),
                }
            }
            Op::LeakyRelu { alpha } => {
                let (mut v, shift) = scale_to_integers(&[&[*alpha]]);
                ExactData {
                    w: v.pop().unwrap_or_default(),
                    b: vec![],
                    shift,
                    f: Integer::from(1),
                }
            }
            Op::AddConst { constant } => {
                let (mut v, shift) = scale_to_integers(&[constant]);
                ExactData {
                    w: vec![],
                    b: v.pop().unwrap_or_default(),
                    shift,
                    f: Integer::from(1),
                }
            }
            Op::Divide { divisor } => {
                // 1/d_i = 1/(m_i 2^e_i) = (L/m_i) 2^(emax - e_i) / (L 2^emax).
                let parts: Vec<(i64, i32)> = divisor.iter().map(|&d| decompose(d)).collect();
                let mut l = Integer::from(1);
                let mut emax = i32::MIN;
                for &(m, e) in &parts {
                    l.lcm_mut(&Integer::from(m));
                    emax = emax.max(e);
                }
                let emax = emax.max(0);
                let w = parts
                    .iter()
                    .map(|&(m, e)| (&l / Integer::from(m)) << ((emax - e) as u32))
                    .collect();
                let f = l << (emax as u32);
                ExactData {
                    w,
                    b: vec![],
                    shift: 0,
                    f,
                }
            }
            Op::AvgPool {
                count_include_pad, ..
            } => match geo(net, node) {
                Some(g) => {
                    let counts = kernels::pool_counts(&g, *count_include_pad);
                    let mut l = Integer::from(1);
                    for &k in &counts {
                        l.lcm_mut(&Integer::from(k.max(1)));
                    }
                    let w = counts
                        .iter()
                        .map(|&k| &l / Integer::from(k.max(1)))
                        .collect();
                    ExactData {
                        w,
                        b: vec![],
                        shift: 0,
                        f: l,
                    }
                }
                None => ExactData::default(),
            },
            _ => ExactData::default(),
        })
        .collect()
}

fn build_abs(net: &Network) -> Vec<AbsData> {
    let abs = |v: &[f64]| v.iter().map(|x| x.abs()).collect::<Vec<f64>>();
    net.nodes()
        .iter()
        .map(|node| match &node.op {
            Op::Dense {
                weight,
                bias,
                in_features,
                out_features,
            } => {
                let (inf, outf) = (*in_features, *out_features);
                let blocks = outf.div_ceil(4);
                let wt4: Vec<[f64; 4]> = (0..blocks * inf)
                    .map(|bi| {
                        let (b, i) = (bi / inf, bi % inf);
                        std::array::from_fn(|j| {
                            let o = 4 * b + j;
                            if o < outf {
                                weight[o * inf + i]
                            } else {
                                0.0
                            }
                        })
                    })
                    .collect();
                let wt = (0..inf * outf)
                    .map(|io| weight[(io % outf) * inf + io / outf])
                    .collect();
                AbsData {
                    w: abs(weight),
                    fan_in: inf,
                    wt,
                    rows: std::sync::Arc::new(row_scales(weight, bias, inf, outf)),
                    wt4,
                }
            }
            Op::Conv2d {
                weight,
                out_channels,
                ..
            } => AbsData {
                w: abs(weight),
                fan_in: weight.len() / (*out_channels).max(1),
                ..AbsData::default()
            },
            Op::Scale { factor } => AbsData {
                w: abs(factor),
                fan_in: 1,
                ..AbsData::default()
            },
            Op::PRelu { slope } => AbsData {
                w: abs(slope),
                fan_in: 1,
                ..AbsData::default()
            },
            Op::LeakyRelu { alpha } => AbsData {
                w: vec![alpha.abs()],
                fan_in: 1,
                ..AbsData::default()
            },
            Op::AddConst { .. } => AbsData {
                w: vec![],
                fan_in: 1,
                ..AbsData::default()
            },
            Op::Divide { divisor } => AbsData {
                w: divisor.iter().map(|d| 1.0 / d.abs()).collect(),
                fan_in: 1,
                ..AbsData::default()
            },
            Op::AvgPool {
                window,
                count_include_pad,
            } => match geo(net, node) {
                Some(g) => AbsData {
                    w: kernels::pool_counts(&g, *count_include_pad)
                        .iter()
                        .map(|&k| 1.0 / k.max(1) as f64)
                        .collect(),
                    fan_in: window.kernel[0] * window.kernel[1],
                    ..AbsData::default()
                },
                None => AbsData::default(),
            },
            Op::Add | Op::Sub => AbsData {
                w: vec![],
                fan_in: 2,
                ..AbsData::default()
            },
            _ => AbsData {
                w: vec![],
                fan_in: 1,
                ..AbsData::default()
            },
        })
        .collect()
}

impl Network {
    pub(crate) fn exact_data(&self) -> &[ExactData] {
        self.cache.exact.get_or_init(|| build_exact(self))
    }
    pub(crate) fn abs_data(&self) -> &[AbsData] {
        self.cache.abs.get_or_init(|| build_abs(self))
    }
}

/// Which weights an f64 linear application uses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum F64Mode {
    /// The op itself, with its bias/constant.
    WithBias,
    /// The op's linear part only (no bias, no constant).
    NoBias,
    /// The op with absolute weights and without bias (`|op|`), for error bounds.
    Abs,
}

/// Applies linear node `idx` to f64 tensors.
pub(crate) fn linear_f64(net: &Network, idx: usize, ins: &[&[f64]], mode: F64Mode) -> Vec<f64> {
    let node = &net.nodes()[idx];
    let absd = &net.abs_data()[idx];
    let x = ins[0];
    let bias = mode == F64Mode::WithBias;
    match &node.op {
        Op::Dense {
            weight,
            bias: b,
            in_features,
            out_features,
        } => {
            let w = if mode == F64Mode::Abs {
                &absd.w
            } else {
                weight
            };
            let mut y = kernels::dense(x, w, *in_features, *out_features);
            if bias {
                for (i, yi) in y.iter_mut().enumerate() {
                    *yi += b[i % out_features];
                }
            }
            y
        }
        Op::Conv2d {
            weight,
            bias: b,
            out_channels,
            groups,
            ..
        } => {
            let Some(g) = geo(net, node) else {
                return vec![];
            };
            let w = if mode == F64Mode::Abs {
                &absd.w
            } else {
                weight
            };
            let mut y = kernels::conv2d(x, w, &g, *out_channels, *groups);
            if bias {
                let hw = g.oh * g.ow;
                for (i, yi) in y.iter_mut().enumerate() {
                    *yi += b[i / hw];
                }
            }
            y
        }
        Op::AvgPool {
            count_include_pad, ..
        } => {
            let Some(g) = geo(net, node) else {
                return vec![];
            };
            let s = kernels::pool_sum(x, &g);
            let hw = g.oh * g.ow;
            if mode == F64Mode::Abs {
                s.iter()
                    .enumerate()
                    .map(|(i, v)| v * absd.w[i % hw])
                    .collect()
            } else {
                let counts = kernels::pool_counts(&g, *count_include_pad);
                s.iter()
                    .enumerate()
                    .map(|(i, v)| v / counts[i % hw] as f64)
                    .collect()
            }
        }
        Op::Pad { pads } => kernels::pad(x, net.shape(node.inputs[0]), pads),
        Op::Scale { factor } => {
            let w = if mode == F64Mode::Abs {
                &absd.w
            } else {
                factor
            };
            x.iter().zip(w).map(|(a, b)| a * b).collect()
        }
        Op::Divide { divisor } => {
            if mode == F64Mode::Abs {
                x.iter().zip(&absd.w).map(|(a, b)| a * b).collect()
            } else {
                x.iter().zip(divisor).map(|(a, b)| a / b).collect()
            }
        }
        Op::AddConst { constant } => {
            if bias {
                x.iter().zip(constant).map(|(a, b)| a + b).collect()
            } else {
                x.to_vec()
            }
        }
        Op::Add => x.iter().zip(ins[1]).map(|(a, b)| a + b).collect(),
        Op::Sub => {
            if mode == F64Mode::Abs {
                x.iter().zip(ins[1]).map(|(a, b)| a + b).collect()
            } else {
                x.iter().zip(ins[1]).map(|(a, b)| a - b).collect()
            }
        }
        Op::Reshape { .. } => x.to_vec(),
        Op::Concat { axis } => {
            let shapes: Vec<&[usize]> = node.inputs.iter().map(|t| net.shape(*t)).collect();
            kernels::concat(ins, &shapes, *axis)
        }
        // Not linear: never called for these (callers dispatch on the class).
        Op::Relu
        | Op::LeakyRelu { .. }
        | Op::PRelu { .. }
        | Op::Abs
        | Op::MaxPool { .. }
        | Op::Maxout { .. } => x.to_vec(),
    }
}

/// Applies linear node `idx` to exact tensors (`bias`: include biases/constants).
pub(crate) fn linear_exact(
    net: &Network,
    idx: usize,
    ins: &[&ExactTensor],
    bias: bool,
) -> ExactTensor {
    let node = &net.nodes()[idx];
    let ed = &net.exact_data()[idx];
    let x = ins[0];
    let mut out = match &node.op {
        Op::Dense {
            in_features,
            out_features,
            ..
        } => {
            let mut num = kernels::dense(&x.num, &ed.w, *in_features, *out_features);
            if bias {
                for (i, n) in num.iter_mut().enumerate() {
                    *n += &ed.b[i % out_features] * &x.den;
                }
            }
            ExactTensor {
                num,
                den: Integer::from(&x.den << ed.shift),
            }
        }
        Op::Conv2d {
            out_channels,
            groups,
            ..
        } => {
            let Some(g) = geo(net, node) else {
                return x.clone();
            };
            let mut num = kernels::conv2d(&x.num, &ed.w, &g, *out_channels, *groups);
            if bias {
                let hw = g.oh * g.ow;
                for (i, n) in num.iter_mut().enumerate() {
                    *n += &ed.b[i / hw] * &x.den;
                }
            }
            ExactTensor {
                num,
                den: Integer::from(&x.den << ed.shift),
            }
        }
        Op::AvgPool { .. } => {
            let Some(g) = geo(net, node) else {
                return x.clone();
            };
            let mut num = kernels::pool_sum(&x.num, &g);
            let hw = g.oh * g.ow;
            for (i, n) in num.iter_mut().enumerate() {
                *n *= &ed.w[i % hw];
            }
            ExactTensor {
                num,
                den: Integer::from(&x.den * &ed.f),
            }
        }
        Op::Pad { pads } => ExactTensor {
            num: kernels::pad(&x.num, net.shape(node.inputs[0]), pads),
            den: x.den.clone(),
        },
        Op::Scale { .. } => ExactTensor {
            num: x
                .num
                .iter()
                .zip(&ed.w)
                .map(|(a, b)| Integer::from(a * b))
                .collect(),
            den: Integer::from(&x.den << ed.shift),
        },
        Op::Divide { .. } => ExactTensor {
            num: x
                .num
                .iter()
                .zip(&ed.w)
                .map(|(a, b)| Integer::from(a * b))
                .collect(),
            den: Integer::from(&x.den * &ed.f),
        },
        Op::AddConst { .. } => {
            if bias {
                ExactTensor {
                    num: x
                        .num
                        .iter()
                        .zip(&ed.b)
                        .map(|(a, c)| Integer::from(a << ed.shift) + Integer::from(c * &x.den))
                        .collect(),
                    den: Integer::from(&x.den << ed.shift),
                }
            } else {
                x.clone()
            }
        }
        Op::Add | Op::Sub => {
            let (nums, den) = ExactTensor::common(&[x, ins[1]]);
            let sub = matches!(node.op, Op::Sub);
            let num = nums[0]
                .iter()
                .zip(&nums[1])
                .map(|(a, b)| {
                    if sub {
                        Integer::from(a - b)
                    } else {
                        Integer::from(a + b)
                    }
                })
                .collect();
            ExactTensor { num, den }
        }
        Op::Reshape { .. } => x.clone(),
        Op::Concat { axis } => {
            let (nums, den) = ExactTensor::common(ins);
            let shapes: Vec<&[usize]> = node.inputs.iter().map(|t| net.shape(*t)).collect();
            let refs: Vec<&[Integer]> = nums.iter().map(|v| v.as_slice()).collect();
            ExactTensor {
                num: kernels::concat(&refs, &shapes, *axis),
                den,
            }
        }
        Op::Relu
        | Op::LeakyRelu { .. }
        | Op::PRelu { .. }
        | Op::Abs
        | Op::MaxPool { .. }
        | Op::Maxout { .. } => x.clone(),
    };
    out.normalize();
    out
}

/// Decides the states of an activation/max layer from values compared by `gt0`/`ge0`/`cmp`.
fn decide<T>(
    node: &Node,
    x: &[T],
    pos: impl Fn(&T) -> bool,
    nonneg: impl Fn(&T) -> bool,
    greater: impl Fn(&T, &T) -> bool,
) -> Vec<u32> {
    match &node.op {
        Op::Relu | Op::LeakyRelu { .. } | Op::PRelu { .. } => {
            x.iter().map(|v| pos(v) as u32).collect()
        }
        Op::Abs => x.iter().map(|v| nonneg(v) as u32).collect(),
        _ => node
            .windows
            .iter()
            .map(|win| {
                let mut best = 0usize;
                for (p, &i) in win.iter().enumerate().skip(1) {
                    if greater(&x[i as usize], &x[win[best] as usize]) {
                        best = p;
                    }
                }
                best as u32
            })
            .collect(),
    }
}

/// Applies an activation/max node with given states to an f64 tensor (exact
/// operations except the leaky/PReLU product, which rounds once).
pub(crate) fn activation_f64(node: &Node, x: &[f64], states: &[u32]) -> Vec<f64> {
    let mut y = Vec::with_capacity(states.len());
    activation_f64_into(node, x, states, &mut y);
    y
}

/// [`activation_f64`], appending the result to `y`.
pub(crate) fn activation_f64_into(node: &Node, x: &[f64], states: &[u32], y: &mut Vec<f64>) {
    match &node.op {
        Op::Relu => y.extend(
            x.iter()
                .zip(states)
                .map(|(v, s)| if *s == 1 { *v } else { 0.0 }),
        ),
        Op::LeakyRelu { alpha } => {
            y.extend(
                x.iter()
                    .zip(states)
                    .map(|(v, s)| if *s == 1 { *v } else { alpha * v }),
            )
        }
        Op::PRelu { slope } => {
            y.extend(
                x.iter()
                    .zip(states)
                    .zip(slope)
                    .map(|((v, s), a)| if *s == 1 { *v } else { a * v }),
            )
        }
        Op::Abs => y.extend(
            x.iter()
                .zip(states)
                .map(|(v, s)| if *s == 1 { *v } else { -v }),
        ),
        _ => y.extend(
            node.windows
                .iter()
                .zip(states)
                .map(|(w, s)| x[w[*s as usize] as usize]),
        ),
    }
}

/// Applies an activation/max node with given states to an exact tensor.
pub(crate) fn activation_exact(
    net: &Network,
    idx: usize,
    x: &ExactTensor,
    states: &[u32],
) -> ExactTensor {
    let node = &net.nodes()[idx];
    let ed = &net.exact_data()[idx];
    let mut out = match &node.op {
        Op::Relu => ExactTensor {
            num: x
                .num
                .iter()
                .zip(states)
                .map(|(v, s)| if *s == 1 { v.clone() } else { Integer::new() })
                .collect(),
            den: x.den.clone(),
        },
        Op::LeakyRelu { .. } | Op::PRelu { .. } => {
            let per = ed.w.len() > 1;
            ExactTensor {
                num: x
                    .num
                    .iter()
                    .zip(states)
                    .enumerate()
                    .map(|(i, (v, s))| {
                        if *s == 1 {
                            Integer::from(v << ed.shift)
                        } else {
                            Integer::from(v * &ed.w[if per { i } else { 0 }])
                        }
                    })
                    .collect(),
                den: Integer::from(&x.den << ed.shift),
            }
        }
        Op::Abs => ExactTensor {
            num: x
                .num
                .iter()
                .zip(states)
                .map(|(v, s)| {
                    if *s == 1 {
                        v.clone()
                    } else {
                        Integer::from(-v)
                    }
                })
                .collect(),
            den: x.den.clone(),
        },
        _ => ExactTensor {
            num: node
                .windows
                .iter()
                .zip(states)
                .map(|(w, s)| x.num[w[*s as usize] as usize].clone())
                .collect(),
            den: x.den.clone(),
        },
    };
    out.normalize();
    out
}

/// Walks the graph, keeping each tensor until its last use.
fn walk<V>(
    net: &Network,
    input: V,
    mut linear: impl FnMut(usize, &[&V]) -> V,
    mut act: impl FnMut(usize, &V) -> V,
) -> Result<V, NetError> {
    let mut vals: Vec<Option<V>> = (0..net.num_tensors()).map(|_| None).collect();
    vals[0] = Some(input);
    for (i, node) in net.nodes().iter().enumerate() {
        let y = {
            let ins: Vec<&V> = node
                .inputs
                .iter()
                .filter_map(|t| vals[t.index()].as_ref())
                .collect();
            if ins.len() != node.inputs.len() {
                // Cannot happen for a validated network; keep going defensively.
                continue;
            }
            match node.op.class() {
                OpClass::Linear => linear(i, &ins),
                _ => act(i, ins[0]),
            }
        };
        for t in &node.inputs {
            if net.last_use(*t) == i {
                vals[t.index()] = None;
            }
        }
        vals[node.output.index()] = Some(y);
    }
    vals[net.output().index()].take().ok_or_else(|| {
        NetError::Model("the network output was not computed (invalid graph)".into())
    })
}

impl Network {
    fn check_input(&self, n: usize) -> Result<(), NetError> {
        if n != self.input_len() {
            return Err(NetError::Argument(format!(
                "input has {n} values, the network expects {} (shape {:?})",
                self.input_len(),
                self.input_shape()
            )));
        }
        Ok(())
    }

    /// f64 forward pass of one point: outputs (before any recorded softmax or
    /// sigmoid) and the activation pattern.
    pub fn forward_f64(&self, x: &[f64]) -> Result<(Vec<f64>, Pattern), NetError> {
        self.check_input(x.len())?;
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(NetError::Argument(format!(
                "non-finite input value at index {i}"
            )));
        }
        let mut pat = Pattern {
            layers: vec![std::sync::Arc::from(Vec::new()); self.layer_nodes().len()],
        };
        let y = walk(
            self,
            x.to_vec(),
            |i, ins| {
                let refs: Vec<&[f64]> = ins.iter().map(|v| v.as_slice()).collect();
                linear_f64(self, i, &refs, F64Mode::WithBias)
            },
            |i, v| {
                let node = &self.nodes()[i];
                let st = decide(node, v, |a| *a > 0.0, |a| *a >= 0.0, |a, b| a > b);
                let y = activation_f64(node, v, &st);
                if let Some(l) = node.layer {
                    pat.layers[l] = st.into();
                }
                y
            },
        )?;
        Ok((y, pat))
    }

    /// Exact forward pass of an exact point: outputs and activation pattern.
    pub fn forward_exact_tensor(&self, x: ExactTensor) -> Result<(ExactTensor, Pattern), NetError> {
        self.check_input(x.len())?;
        if x.den <= 0 {
            return Err(NetError::Argument("denominator must be positive".into()));
        }
        let mut pat = Pattern {
            layers: vec![std::sync::Arc::from(Vec::new()); self.layer_nodes().len()],
        };
        let y = walk(
            self,
            x,
            |i, ins| linear_exact(self, i, ins, true),
            |i, v| {
                let node = &self.nodes()[i];
                let st = decide(
                    node,
                    &v.num,
                    |a| a.is_positive(),
                    |a| !a.is_negative(),
                    |a, b| a > b,
                );
                let y = activation_exact(self, i, v, &st);
                if let Some(l) = node.layer {
                    pat.layers[l] = st.into();
                }
                y
            },
        )?;
        Ok((y, pat))
    }

    /// Exact forward pass of a rational point.
    pub fn forward_exact(&self, x: &[Rational]) -> Result<(Vec<Rational>, Pattern), NetError> {
        let (y, p) = self.forward_exact_tensor(ExactTensor::from_rationals(x))?;
        Ok((y.to_rationals(), p))
    }

    /// Exact forward pass of a point given as floats (taken as exact values).
    pub fn forward_exact_f64(&self, x: &[f64]) -> Result<(Vec<Rational>, Pattern), NetError> {
        let (y, p) = self.forward_exact_tensor(ExactTensor::from_f64(x)?)?;
        Ok((y.to_rationals(), p))
    }
}
