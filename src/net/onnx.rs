//! ONNX loader (opsets 8 to 21) built on the `onnx-protobuf` messages.
//!
//! The batch dimension must be 1 or symbolic (resolved to 1); every other
//! dimension must be static. Initializers may be stored as `raw_data`
//! (little-endian) or typed fields, as f32, f64, i64 or i32. Supported
//! operators and their limits are listed in `docs/formats.md`.
//!
//! Load-time rewrites (all documented in `docs/formats.md`):
//! - `BatchNormalization` is folded in f64 into the preceding `Conv`/`Gemm`/`MatMul`
//!   when that is its only consumer, otherwise it becomes a per-channel scale
//!   and shift; the folded (rounded) f64 weights are what is analysed.
//! - `Add`/`Sub` of a constant right after a bias-free `MatMul`/`Gemm` becomes its
//!   bias (exact).
//! - `Gemm` with `alpha`/`beta` other than 1 multiplies them into the weights in f64.
//! - `Identity` and `Dropout` are dropped; a final `Softmax`/`LogSoftmax`/`Sigmoid`
//!   is recorded as the monotone [`OutputTransform`] and skipped.

use std::collections::HashMap;

use onnx_protobuf::{ModelProto, NodeProto, TensorProto};
use protobuf::Message;

use super::error::NetError;
use super::ir::{Network, NetworkBuilder, Op, OutputTransform, TensorId, Window2d};

/// A node's name for messages: its ONNX name, or `#index (output 'name')`.
fn node_name(node: &NodeProto, index: usize) -> String {
    if node.name.is_empty() {
        let out0 = node.output.first().map_or("", String::as_str);
        format!("#{index} (output '{out0}')")
    } else {
        node.name.clone()
    }
}

/// Lowest supported default-domain opset.
pub const MIN_OPSET: i64 = 8;
/// Highest supported default-domain opset.
pub const MAX_OPSET: i64 = 21;

/// Loads an ONNX model from a file.
pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Network, NetError> {
    let p = path.as_ref();
    let bytes = std::fs::read(p).map_err(|source| NetError::Io {
        path: p.display().to_string(),
        source,
    })?;
    from_bytes(&bytes)
}

/// Loads an ONNX model from its serialized bytes.
pub fn from_bytes(bytes: &[u8]) -> Result<Network, NetError> {
    let model = ModelProto::parse_from_bytes(bytes).map_err(|e| NetError::Decode(e.to_string()))?;
    from_model(&model)
}

/// A constant tensor (initializer or `Constant` output), values as f64.
#[derive(Clone, Debug)]
struct Const {
    dims: Vec<usize>,
    data: Vec<f64>,
}

#[derive(Clone, Debug)]
enum Val {
    T(TensorId),
    C(Const),
}

const NOT_PL: &[&str] = &[
    "Tanh",
    "Sigmoid",
    "Softmax",
    "LogSoftmax",
    "Exp",
    "Log",
    "Sqrt",
    "Pow",
    "Erf",
    "Gelu",
    "Elu",
    "Selu",
    "Celu",
    "Softplus",
    "Softsign",
    "HardSigmoid",
    "HardSwish",
    "Mish",
    "Sin",
    "Cos",
    "Tan",
    "Reciprocal",
    "Atan",
    "Asin",
    "Acos",
    "Sinh",
    "Cosh",
    "Asinh",
    "Acosh",
    "Atanh",
    "ThresholdedRelu",
    "Sign",
    "Round",
    "Floor",
    "Ceil",
];

fn tensor_to_const(t: &TensorProto, node: &str, op: &str) -> Result<Const, NetError> {
    let what = if t.name.is_empty() {
        "tensor".to_string()
    } else {
        format!("tensor '{}'", t.name)
    };
    let mut dims = Vec::with_capacity(t.dims.len());
    for &d in &t.dims {
        if d < 0 {
            return Err(NetError::shape(
                node,
                op,
                format!("{what} has negative dimension {d}"),
            ));
        }
        dims.push(d as usize);
    }
    let n = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| NetError::shape(node, op, format!("{what} is too large")))?;
    if t.data_location.value() == 1 || !t.external_data.is_empty() {
        return Err(NetError::unsupported(
            node,
            op,
            format!(
                "{what} uses external data; save the model with all tensors inside the .onnx file"
            ),
        ));
    }
    let raw = &t.raw_data;
    let data: Vec<f64> = match t.data_type {
        1 => {
            if !raw.is_empty() {
                raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64).collect()
            } else {
                t.float_data.iter().map(|&x| x as f64).collect()
            }
        }
        11 => {
            if !raw.is_empty() {
                raw.chunks_exact(8).map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])).collect()
            } else {
                t.double_data.clone()
            }
        }
        7 => {
            if !raw.is_empty() {
                raw.chunks_exact(8).map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f64).collect()
            } else {
                t.int64_data.iter().map(|&x| x as f64).collect()
            }
        }
        6 => {
            if !raw.is_empty() {
                raw.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64).collect()
            } else {
                t.int32_data.iter().map(|&x| x as f64).collect()
            }
        }
        other => {
            return Err(NetError::unsupported(node, op, format!("{what} has element type {other}; only float, double, int64 and int32 are supported (convert the model to float32)")))
        }
    };
    let elem = match t.data_type {
        1 | 6 => 4,
        _ => 8,
    };
    if (!raw.is_empty() && raw.len() != n * elem) || data.len() != n {
        return Err(NetError::shape(
            node,
            op,
            format!(
                "{what} declares {n} elements ({dims:?}) but stores {}",
                if raw.is_empty() {
                    data.len()
                } else {
                    raw.len() / elem
                }
            ),
        ));
    }
    Ok(Const { dims, data })
}

fn attr<'a>(node: &'a NodeProto, name: &str) -> Option<&'a onnx_protobuf::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}
fn attr_i(node: &NodeProto, name: &str, default: i64) -> i64 {
    attr(node, name).map(|a| a.i).unwrap_or(default)
}
fn attr_f(node: &NodeProto, name: &str, default: f32) -> f32 {
    attr(node, name).map(|a| a.f).unwrap_or(default)
}
fn attr_ints(node: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(node, name).map(|a| a.ints.clone())
}
fn attr_s(node: &NodeProto, name: &str) -> Option<String> {
    attr(node, name).map(|a| String::from_utf8_lossy(&a.s).into_owned())
}

/// Unidirectional numpy broadcast of `c` to `shape`.
fn broadcast_to(c: &Const, shape: &[usize]) -> Option<Vec<f64>> {
    if c.dims.len() > shape.len() {
        // Allow extra leading 1s on the constant.
        let extra = c.dims.len() - shape.len();
        if c.dims[..extra].iter().any(|&d| d != 1) {
            return None;
        }
        return broadcast_to(
            &Const {
                dims: c.dims[extra..].to_vec(),
                data: c.data.clone(),
            },
            shape,
        );
    }
    let off = shape.len() - c.dims.len();
    for (i, &d) in c.dims.iter().enumerate() {
        if d != 1 && d != shape[off + i] {
            return None;
        }
    }
    let n: usize = shape.iter().product();
    let mut cstr = vec![0usize; shape.len()];
    let mut acc = 1;
    for i in (0..c.dims.len()).rev() {
        cstr[off + i] = if c.dims[i] == 1 { 0 } else { acc };
        acc *= c.dims[i];
    }
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..n {
        let src: usize = idx.iter().zip(&cstr).map(|(a, b)| a * b).sum();
        out.push(*c.data.get(src)?);
        for a in (0..shape.len()).rev() {
            idx[a] += 1;
            if idx[a] < shape[a] {
                break;
            }
            idx[a] = 0;
        }
    }
    Some(out)
}

struct Loader {
    b: NetworkBuilder,
    vals: HashMap<String, Val>,
    uses: HashMap<String, usize>,
    refs: HashMap<TensorId, usize>,
    opset: i64,
    graph_output: String,
    transform: Option<OutputTransform>,
}

impl Loader {
    fn bind(&mut self, name: &str, v: Val) {
        if let Val::T(t) = &v {
            *self.refs.entry(*t).or_default() += self.uses.get(name).copied().unwrap_or(0);
        }
        self.vals.insert(name.to_string(), v);
    }

    fn get(&self, node: &NodeProto, nname: &str, i: usize) -> Result<Option<&Val>, NetError> {
        match node.input.get(i) {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(None),
            Some(s) => self
                .vals
                .get(s)
                .map(Some)
                .ok_or_else(|| NetError::MissingInput {
                    node: nname.into(),
                    op: node.op_type.clone(),
                    input: s.clone(),
                }),
        }
    }

    fn req(&self, node: &NodeProto, nname: &str, i: usize) -> Result<&Val, NetError> {
        self.get(node, nname, i)?.ok_or_else(|| {
            NetError::invalid(nname, &node.op_type, format!("input {i} is required"))
        })
    }

    fn tensor(&self, node: &NodeProto, nname: &str, i: usize) -> Result<TensorId, NetError> {
        match self.req(node, nname, i)? {
            Val::T(t) => Ok(*t),
            Val::C(_) => Err(NetError::unsupported(
                nname,
                &node.op_type,
                format!("input {i} is a constant; constant folding is not supported here"),
            )),
        }
    }

    fn constant(&self, node: &NodeProto, nname: &str, i: usize) -> Result<Const, NetError> {
        match self.req(node, nname, i)? {
            Val::C(c) => Ok(c.clone()),
            Val::T(_) => Err(NetError::unsupported(
                nname,
                &node.op_type,
                format!("input {i} ('{}') must be a constant (initializer or Constant node), not a computed tensor", node.input[i]),
            )),
        }
    }

    fn shape(&self, t: TensorId) -> Vec<usize> {
        self.b.shape(t).map(|s| s.to_vec()).unwrap_or_default()
    }

    /// The node index that produced tensor `t`, if it may be rewritten (single consumer).
    fn foldable_producer(&self, t: TensorId) -> Option<usize> {
        if t.0 == 0 || self.refs.get(&t).copied().unwrap_or(0) != 1 {
            return None;
        }
        let idx = t.index() - 1;
        if self.b.nodes().iter().any(|n| n.inputs.contains(&t)) {
            return None;
        }
        Some(idx)
    }

    fn push(&mut self, name: &str, op: Op, inputs: Vec<TensorId>) -> Result<TensorId, NetError> {
        self.b.push(name.to_string(), op, inputs)
    }

    /// Window geometry from kernel/strides/pads/dilations/auto_pad attributes.
    fn window(
        &self,
        node: &NodeProto,
        nname: &str,
        kernel: [usize; 2],
        h: usize,
        w: usize,
        dil_ok: bool,
    ) -> Result<Window2d, NetError> {
        let op = node.op_type.as_str();
        let pair = |name: &str| -> Result<[usize; 2], NetError> {
            match attr_ints(node, name) {
                None => Ok([1, 1]),
                Some(v) if v.len() == 2 && v.iter().all(|&x| x >= 1) => {
                    Ok([v[0] as usize, v[1] as usize])
                }
                Some(v) => Err(NetError::invalid(
                    nname,
                    op,
                    format!("{name} = {v:?} must be two positive integers (2-D only)"),
                )),
            }
        };
        let stride = pair("strides")?;
        let dilation = pair("dilations")?;
        if !dil_ok && dilation != [1, 1] {
            return Err(NetError::unsupported(nname, op, "dilations other than 1"));
        }
        if attr_i(node, "ceil_mode", 0) != 0 {
            return Err(NetError::unsupported(
                nname,
                op,
                "ceil_mode = 1; re-export with ceil_mode=False or pad explicitly",
            ));
        }
        let auto = attr_s(node, "auto_pad").unwrap_or_default();
        let pads = match auto.as_str() {
            "" | "NOTSET" => match attr_ints(node, "pads") {
                None => [0; 4],
                Some(v) if v.len() == 4 && v.iter().all(|&x| x >= 0) => {
                    [v[0] as usize, v[1] as usize, v[2] as usize, v[3] as usize]
                }
                Some(v) => {
                    return Err(NetError::invalid(
                        nname,
                        op,
                        format!("pads = {v:?} must be four non-negative integers"),
                    ))
                }
            },
            "VALID" => [0; 4],
            "SAME_UPPER" | "SAME_LOWER" => {
                let tot = |i: usize, n: usize| {
                    let out = n.div_ceil(stride[i]);
                    ((out - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1).saturating_sub(n)
                };
                let (th, tw) = (tot(0, h), tot(1, w));
                if auto == "SAME_UPPER" {
                    [th / 2, tw / 2, th - th / 2, tw - tw / 2]
                } else {
                    [th - th / 2, tw - tw / 2, th / 2, tw / 2]
                }
            }
            other => return Err(NetError::invalid(nname, op, format!("auto_pad = {other}"))),
        };
        Ok(Window2d {
            kernel,
            stride,
            pads,
            dilation,
        })
    }

    fn kernel_attr(&self, node: &NodeProto, nname: &str) -> Result<[usize; 2], NetError> {
        match attr_ints(node, "kernel_shape") {
            Some(v) if v.len() == 2 && v.iter().all(|&x| x >= 1) => {
                Ok([v[0] as usize, v[1] as usize])
            }
            Some(v) if v.len() == 2 => Err(NetError::invalid(
                nname,
                &node.op_type,
                format!("kernel_shape {v:?}: each size must be at least 1"),
            )),
            Some(v) => Err(NetError::unsupported(
                nname,
                &node.op_type,
                format!("kernel_shape {v:?}: only 2-D kernels are supported"),
            )),
            None => Err(NetError::invalid(
                nname,
                &node.op_type,
                "kernel_shape attribute is required",
            )),
        }
    }

    fn chw(
        &self,
        node: &NodeProto,
        nname: &str,
        t: TensorId,
    ) -> Result<(usize, usize, usize), NetError> {
        let s = self.shape(t);
        if s.len() != 4 || s[0] != 1 {
            return Err(NetError::unsupported(
                nname,
                &node.op_type,
                format!("input shape {s:?}: only 2-D (N=1, C, H, W) inputs are supported"),
            ));
        }
        Ok((s[1], s[2], s[3]))
    }

    /// Dense layer from a matrix `w` (out x in, row-major) and optional bias, applied to `x`.
    fn dense(
        &mut self,
        nname: &str,
        x: TensorId,
        weight: Vec<f64>,
        inf: usize,
        outf: usize,
        bias: Option<Vec<f64>>,
    ) -> Result<TensorId, NetError> {
        let bias = bias.unwrap_or_else(|| vec![0.0; outf]);
        self.push(
            nname,
            Op::Dense {
                weight,
                bias,
                in_features: inf,
                out_features: outf,
            },
            vec![x],
        )
    }

    /// Tries to make constant `c` (to be added to `t`) the bias of `t`'s producer.
    fn try_fuse_bias(&mut self, t: TensorId, c: &[f64]) -> Result<bool, NetError> {
        let Some(idx) = self.foldable_producer(t) else {
            return Ok(false);
        };
        let node = self.b.nodes()[idx].clone();
        let op = match node.op {
            Op::Dense {
                weight,
                bias,
                in_features,
                out_features,
            } if bias.iter().all(|b| *b == 0.0) => {
                let per = &c[..out_features.min(c.len())];
                if c.chunks(out_features).any(|ch| ch != per) {
                    return Ok(false);
                }
                Op::Dense {
                    weight,
                    bias: per.to_vec(),
                    in_features,
                    out_features,
                }
            }
            _ => return Ok(false),
        };
        self.b.replace_op(idx, op)?;
        Ok(true)
    }

    fn node(&mut self, node: &NodeProto, index: usize) -> Result<(), NetError> {
        let out0 = node.output.first().cloned().unwrap_or_default();
        let nname = node_name(node, index);
        let nname = nname.as_str();
        let op = node.op_type.as_str();
        if !(node.domain.is_empty() || node.domain == "ai.onnx") {
            return Err(NetError::unsupported(
                nname,
                op,
                format!("operator domain '{}' is not supported", node.domain),
            ));
        }
        let unary_t = |me: &Self| me.tensor(node, nname, 0);
        let result: Val = match op {
            "Constant" => {
                let c = if let Some(a) = attr(node, "value") {
                    match a.t.as_ref() {
                        Some(t) => tensor_to_const(t, nname, op)?,
                        None => return Err(NetError::invalid(nname, op, "value attribute has no tensor")),
                    }
                } else if let Some(a) = attr(node, "value_float") {
                    Const { dims: vec![], data: vec![a.f as f64] }
                } else if let Some(a) = attr(node, "value_floats") {
                    Const { dims: vec![a.floats.len()], data: a.floats.iter().map(|&x| x as f64).collect() }
                } else if let Some(a) = attr(node, "value_int") {
                    Const { dims: vec![], data: vec![a.i as f64] }
                } else if let Some(a) = attr(node, "value_ints") {
                    Const { dims: vec![a.ints.len()], data: a.ints.iter().map(|&x| x as f64).collect() }
                } else {
                    return Err(NetError::unsupported(nname, op, "only value, value_float(s) and value_int(s) constants are supported"));
                };
                Val::C(c)
            }
            "Identity" | "Dropout" => {
                if op == "Dropout" && node.output.len() > 1 && self.uses.get(&node.output[1]).copied().unwrap_or(0) > 0 {
                    return Err(NetError::unsupported(nname, op, "the dropout mask output is used"));
                }
                self.req(node, nname, 0)?.clone()
            }
            "Relu" | "Abs" => {
                let x = unary_t(self)?;
                Val::T(self.push(nname, if op == "Relu" { Op::Relu } else { Op::Abs }, vec![x])?)
            }
            "LeakyRelu" => {
                let x = unary_t(self)?;
                let alpha = attr_f(node, "alpha", 0.01) as f64;
                Val::T(self.push(nname, Op::LeakyRelu { alpha }, vec![x])?)
            }
            "PRelu" => {
                let x = unary_t(self)?;
                let s = self.constant(node, nname, 1)?;
                let shape = self.shape(x);
                let slope = broadcast_to(&s, &shape).ok_or_else(|| NetError::shape(nname, op, format!("slope {:?} does not broadcast to {shape:?}", s.dims)))?;
                Val::T(self.push(nname, Op::PRelu { slope }, vec![x])?)
            }
            "Softmax" | "LogSoftmax" | "Sigmoid" => {
                if out0 != self.graph_output || self.uses.get(&out0).copied().unwrap_or(0) > 0 {
                    return Err(NetError::NotPiecewiseLinear {
                        node: nname.into(),
                        op: op.into(),
                        msg: "it is only allowed as the last operator (a monotone output transform, skipped for geometry); remove it or move it to the end".into(),
                    });
                }
                let x = unary_t(self)?;
                let _ = self.b.shape(x);
                self.transform = Some(match op {
                    "Softmax" => OutputTransform::Softmax,
                    "LogSoftmax" => OutputTransform::LogSoftmax,
                    _ => OutputTransform::Sigmoid,
                });
                Val::T(x)
            }
            "Flatten" => {
                let x = unary_t(self)?;
                let s = self.shape(x);
                let mut axis = attr_i(node, "axis", 1);
                if axis < 0 {
                    axis += s.len() as i64;
                }
                if axis < 0 || axis as usize > s.len() {
                    return Err(NetError::invalid(nname, op, format!("axis out of range for shape {s:?}")));
                }
                let a: usize = s[..axis as usize].iter().product();
                let b: usize = s[axis as usize..].iter().product();
                Val::T(self.push(nname, Op::Reshape { shape: vec![a, b] }, vec![x])?)
            }
            "Reshape" => {
                let x = unary_t(self)?;
                let s = self.shape(x);
                let target: Vec<i64> = if self.opset < 5 {
                    attr_ints(node, "shape").unwrap_or_default()
                } else {
                    self.constant(node, nname, 1)?.data.iter().map(|&v| v as i64).collect()
                };
                let allowzero = attr_i(node, "allowzero", 0) != 0;
                let mut shape = Vec::with_capacity(target.len());
                let mut infer = None;
                for (i, &d) in target.iter().enumerate() {
                    match d {
                        -1 if infer.is_none() => {
                            infer = Some(i);
                            shape.push(1);
                        }
                        0 if !allowzero => shape.push(*s.get(i).ok_or_else(|| NetError::shape(nname, op, format!("0 at axis {i} but input {s:?} has no such axis")))?),
                        d if d > 0 => shape.push(d as usize),
                        _ => return Err(NetError::shape(nname, op, format!("cannot resolve target shape {target:?}"))),
                    }
                }
                let n: usize = s.iter().product();
                if let Some(i) = infer {
                    let rest: usize = shape.iter().product();
                    if rest == 0 || n % rest != 0 {
                        return Err(NetError::shape(nname, op, format!("cannot reshape {s:?} to {target:?}")));
                    }
                    shape[i] = n / rest;
                }
                Val::T(self.push(nname, Op::Reshape { shape }, vec![x])?)
            }
            "MatMul" => {
                let a = self.req(node, nname, 0)?.clone();
                let bv = self.req(node, nname, 1)?.clone();
                match (a, bv) {
                    (Val::T(x), Val::C(w)) => {
                        let s = self.shape(x);
                        match w.dims.len() {
                            2 => {
                                let (k, n) = (w.dims[0], w.dims[1]);
                                let mut wt = vec![0.0; k * n];
                                for i in 0..k {
                                    for o in 0..n {
                                        wt[o * k + i] = w.data[i * n + o];
                                    }
                                }
                                if s.last() != Some(&k) {
                                    return Err(NetError::shape(nname, op, format!("input {s:?} times weight {:?}", w.dims)));
                                }
                                Val::T(self.dense(nname, x, wt, k, n, None)?)
                            }
                            1 => {
                                let k = w.dims[0];
                                if s.last() != Some(&k) || s.len() < 2 {
                                    return Err(NetError::shape(nname, op, format!("input {s:?} times weight {:?}", w.dims)));
                                }
                                let y = self.dense(nname, x, w.data.clone(), k, 1, None)?;
                                Val::T(self.push(&format!("{nname}/squeeze"), Op::Reshape { shape: s[..s.len() - 1].to_vec() }, vec![y])?)
                            }
                            _ => return Err(NetError::unsupported(nname, op, format!("constant operand of rank {} (only matrices and vectors)", w.dims.len()))),
                        }
                    }
                    (Val::C(w), Val::T(x)) => {
                        let s = self.shape(x);
                        if w.dims.len() != 2 || !(s == vec![w.dims[1]] || s == vec![w.dims[1], 1]) {
                            return Err(NetError::unsupported(nname, op, format!("constant {:?} times tensor {s:?}: a constant left operand needs a vector right operand", w.dims)));
                        }
                        let (m, k) = (w.dims[0], w.dims[1]);
                        let x1 = if s.len() == 2 { self.push(&format!("{nname}/flat"), Op::Reshape { shape: vec![k] }, vec![x])? } else { x };
                        let y = self.dense(nname, x1, w.data.clone(), k, m, None)?;
                        if s.len() == 2 {
                            Val::T(self.push(&format!("{nname}/unflat"), Op::Reshape { shape: vec![m, 1] }, vec![y])?)
                        } else {
                            Val::T(y)
                        }
                    }
                    (Val::T(_), Val::T(_)) => {
                        return Err(NetError::NotPiecewiseLinear { node: nname.into(), op: op.into(), msg: "the product of two computed tensors is not piecewise linear; one operand must be a constant".into() })
                    }
                    (Val::C(_), Val::C(_)) => return Err(NetError::unsupported(nname, op, "constant folding of MatMul")),
                }
            }
            "Gemm" => {
                let mut x = unary_t(self)?;
                let w = self.constant(node, nname, 1)?;
                let c = match self.get(node, nname, 2)? {
                    None => None,
                    Some(Val::C(c)) => Some(c.clone()),
                    Some(Val::T(_)) => return Err(NetError::unsupported(nname, op, "C must be a constant")),
                };
                let alpha = attr_f(node, "alpha", 1.0) as f64;
                let beta = attr_f(node, "beta", 1.0) as f64;
                let s = self.shape(x);
                if attr_i(node, "transA", 0) != 0 {
                    if s.len() != 2 || s[1] != 1 {
                        return Err(NetError::unsupported(nname, op, format!("transA = 1 with input {s:?} (batch must be 1)")));
                    }
                    x = self.push(&format!("{nname}/transA"), Op::Reshape { shape: vec![1, s[0]] }, vec![x])?;
                } else if s.len() != 2 || s[0] != 1 {
                    return Err(NetError::shape(nname, op, format!("input {s:?} must be a [1, K] matrix (batch 1)")));
                }
                let k = self.shape(x)[1];
                if w.dims.len() != 2 {
                    return Err(NetError::shape(nname, op, format!("B has shape {:?}, expected a matrix", w.dims)));
                }
                let trans_b = attr_i(node, "transB", 0) != 0;
                let (kk, n) = if trans_b { (w.dims[1], w.dims[0]) } else { (w.dims[0], w.dims[1]) };
                if kk != k {
                    return Err(NetError::shape(nname, op, format!("input [1, {k}] does not match B {:?} (transB = {})", w.dims, trans_b as u8)));
                }
                let mut wt = vec![0.0; k * n];
                for o in 0..n {
                    for i in 0..k {
                        let v = if trans_b { w.data[o * k + i] } else { w.data[i * n + o] };
                        wt[o * k + i] = if alpha == 1.0 { v } else { alpha * v };
                    }
                }
                let bias = match c {
                    None => None,
                    Some(c) => {
                        let b = broadcast_to(&c, &[1, n]).ok_or_else(|| NetError::shape(nname, op, format!("C {:?} does not broadcast to [1, {n}]", c.dims)))?;
                        Some(b.into_iter().map(|v| if beta == 1.0 { v } else { beta * v }).collect())
                    }
                };
                Val::T(self.dense(nname, x, wt, k, n, bias)?)
            }
            "Conv" => {
                let x = unary_t(self)?;
                let (c, h, wd) = self.chw(node, nname, x)?;
                let w = self.constant(node, nname, 1)?;
                if w.dims.len() != 4 {
                    return Err(NetError::unsupported(nname, op, format!("weight shape {:?}: only 2-D convolutions are supported", w.dims)));
                }
                let kernel = [w.dims[2], w.dims[3]];
                if let Some(k) = attr_ints(node, "kernel_shape") {
                    if k.len() != 2 || k[0] as usize != kernel[0] || k[1] as usize != kernel[1] {
                        return Err(NetError::shape(nname, op, format!("kernel_shape {k:?} does not match weight {:?}", w.dims)));
                    }
                }
                let groups = attr_i(node, "group", 1);
                if groups < 1 {
                    return Err(NetError::invalid(nname, op, format!("group = {groups}")));
                }
                let groups = groups as usize;
                if w.dims[1] * groups != c {
                    return Err(NetError::shape(nname, op, format!("weight {:?} with group {groups} does not match {c} input channels", w.dims)));
                }
                let window = self.window(node, nname, kernel, h, wd, true)?;
                let oc = w.dims[0];
                let bias = match self.get(node, nname, 2)? {
                    None => vec![0.0; oc],
                    Some(Val::C(b)) => {
                        if b.data.len() != oc {
                            return Err(NetError::shape(nname, op, format!("bias has {} values for {oc} output channels", b.data.len())));
                        }
                        b.data.clone()
                    }
                    Some(Val::T(_)) => return Err(NetError::unsupported(nname, op, "bias must be a constant")),
                };
                Val::T(self.push(nname, Op::Conv2d { weight: w.data, bias, out_channels: oc, groups, window }, vec![x])?)
            }
            "MaxPool" | "AveragePool" => {
                let x = unary_t(self)?;
                let (_, h, wd) = self.chw(node, nname, x)?;
                let kernel = self.kernel_attr(node, nname)?;
                if op == "MaxPool" {
                    if node.output.len() > 1 && self.uses.get(&node.output[1]).copied().unwrap_or(0) > 0 {
                        return Err(NetError::unsupported(nname, op, "the Indices output is used"));
                    }
                    let window = self.window(node, nname, kernel, h, wd, true)?;
                    Val::T(self.push(nname, Op::MaxPool { window }, vec![x])?)
                } else {
                    let window = self.window(node, nname, kernel, h, wd, false)?;
                    let cip = attr_i(node, "count_include_pad", 0) != 0;
                    Val::T(self.push(nname, Op::AvgPool { window, count_include_pad: cip }, vec![x])?)
                }
            }
            "GlobalAveragePool" => {
                let x = unary_t(self)?;
                let (_, h, wd) = self.chw(node, nname, x)?;
                Val::T(self.push(nname, Op::AvgPool { window: Window2d::kernel(h, wd), count_include_pad: false }, vec![x])?)
            }
            "Pad" => {
                let x = unary_t(self)?;
                let s = self.shape(x);
                let mode = attr_s(node, "mode").unwrap_or_else(|| "constant".into());
                if mode != "constant" {
                    return Err(NetError::unsupported(nname, op, format!("mode '{mode}'; only constant zero padding is supported")));
                }
                let (pads, value): (Vec<i64>, f64) = if self.opset < 11 {
                    (attr_ints(node, "pads").unwrap_or_default(), attr_f(node, "value", 0.0) as f64)
                } else {
                    let p = self.constant(node, nname, 1)?.data.iter().map(|&v| v as i64).collect();
                    let v = match self.get(node, nname, 2)? {
                        None => 0.0,
                        Some(Val::C(c)) => c.data.first().copied().unwrap_or(0.0),
                        Some(Val::T(_)) => return Err(NetError::unsupported(nname, op, "constant_value must be a constant")),
                    };
                    if self.get(node, nname, 3)?.is_some() {
                        return Err(NetError::unsupported(nname, op, "the axes input; give pads for all axes"));
                    }
                    (p, v)
                };
                if value != 0.0 {
                    return Err(NetError::unsupported(nname, op, format!("padding value {value}; only zero padding is supported")));
                }
                let r = s.len();
                if pads.len() != 2 * r || pads.iter().any(|&p| p < 0) {
                    return Err(NetError::unsupported(nname, op, format!("pads {pads:?} for rank {r}: need 2*rank non-negative values")));
                }
                let pp = (0..r).map(|i| (pads[i] as usize, pads[i + r] as usize)).collect();
                Val::T(self.push(nname, Op::Pad { pads: pp }, vec![x])?)
            }
            "BatchNormalization" => {
                let x = unary_t(self)?;
                if attr_i(node, "training_mode", 0) != 0 || node.output.iter().skip(1).any(|o| !o.is_empty() && self.uses.get(o).copied().unwrap_or(0) > 0) {
                    return Err(NetError::unsupported(nname, op, "training mode; export the model in eval mode"));
                }
                if attr_i(node, "spatial", 1) != 1 {
                    return Err(NetError::unsupported(nname, op, "spatial = 0"));
                }
                let s = self.shape(x);
                if s.len() < 2 {
                    return Err(NetError::shape(nname, op, format!("input {s:?} has no channel axis")));
                }
                let ch = s[1];
                let mut p = Vec::new();
                for (i, what) in ["scale", "B", "mean", "var"].iter().enumerate() {
                    let c = self.constant(node, nname, i + 1)?;
                    if c.data.len() != ch {
                        return Err(NetError::shape(nname, op, format!("{what} has {} values for {ch} channels", c.data.len())));
                    }
                    if c.data.iter().any(|v| !v.is_finite()) {
                        return Err(NetError::NonFinite { node: nname.into(), op: op.into(), what: (*what).into() });
                    }
                    p.push(c.data);
                }
                let eps = attr_f(node, "epsilon", 1e-5) as f64;
                let mut a = Vec::with_capacity(ch);
                let mut sh = Vec::with_capacity(ch);
                for (c, (((s, b), m), v)) in p[0].iter().zip(&p[1]).zip(&p[2]).zip(&p[3]).enumerate() {
                    let d = v + eps;
                    if d <= 0.0 || !d.is_finite() {
                        return Err(NetError::invalid(nname, op, format!("var + epsilon <= 0 in channel {c}")));
                    }
                    let ac = s / d.sqrt();
                    a.push(ac);
                    sh.push(b - m * ac);
                }
                let folded = match self.foldable_producer(x) {
                    Some(idx) => {
                        let n = self.b.nodes()[idx].clone();
                        match n.op {
                            Op::Conv2d { weight, bias, out_channels, groups, window } if out_channels == ch => {
                                let per = weight.len() / ch;
                                let weight = weight.iter().enumerate().map(|(i, w)| w * a[i / per]).collect();
                                let bias = bias.iter().enumerate().map(|(c, b)| b * a[c] + sh[c]).collect();
                                self.b.replace_op(idx, Op::Conv2d { weight, bias, out_channels, groups, window })?;
                                true
                            }
                            Op::Dense { weight, bias, in_features, out_features } if out_features == ch && s.len() == 2 => {
                                let weight = weight.iter().enumerate().map(|(i, w)| w * a[i / in_features]).collect();
                                let bias = bias.iter().enumerate().map(|(c, b)| b * a[c] + sh[c]).collect();
                                self.b.replace_op(idx, Op::Dense { weight, bias, in_features, out_features })?;
                                true
                            }
                            _ => false,
                        }
                    }
                    None => false,
                };
                if folded {
                    Val::T(x)
                } else {
                    let inner: usize = s[2..].iter().product();
                    let n: usize = s.iter().product();
                    let factor = (0..n).map(|i| a[(i / inner) % ch]).collect();
                    let constant = (0..n).map(|i| sh[(i / inner) % ch]).collect();
                    let y = self.push(&format!("{nname}/scale"), Op::Scale { factor }, vec![x])?;
                    Val::T(self.push(nname, Op::AddConst { constant }, vec![y])?)
                }
            }
            "Add" | "Sub" | "Mul" | "Div" => {
                let a = self.req(node, nname, 0)?.clone();
                let bv = self.req(node, nname, 1)?.clone();
                match (a, bv) {
                    (Val::T(x), Val::T(y)) => match op {
                        "Add" => Val::T(self.push(nname, Op::Add, vec![x, y])?),
                        "Sub" => Val::T(self.push(nname, Op::Sub, vec![x, y])?),
                        _ => {
                            return Err(NetError::NotPiecewiseLinear {
                                node: nname.into(),
                                op: op.into(),
                                msg: "multiplying or dividing two computed tensors is not piecewise linear; one operand must be a constant".into(),
                            })
                        }
                    },
                    (Val::T(x), Val::C(c)) | (Val::C(c), Val::T(x)) => {
                        let const_first = matches!(self.req(node, nname, 0)?, Val::C(_));
                        let s = self.shape(x);
                        let full = broadcast_to(&c, &s).ok_or_else(|| {
                            NetError::shape(nname, op, format!("constant {:?} does not broadcast to the tensor shape {s:?} (the output may not be larger than the tensor)", c.dims))
                        })?;
                        if full.iter().any(|v| !v.is_finite()) {
                            return Err(NetError::NonFinite { node: nname.into(), op: op.into(), what: "constant operand".into() });
                        }
                        match (op, const_first) {
                            ("Add", _) | ("Sub", false) => {
                                let full: Vec<f64> = if op == "Sub" { full.iter().map(|v| -v).collect() } else { full };
                                if self.try_fuse_bias(x, &full)? {
                                    Val::T(x)
                                } else {
                                    Val::T(self.push(nname, Op::AddConst { constant: full }, vec![x])?)
                                }
                            }
                            ("Sub", true) => {
                                let y = self.push(&format!("{nname}/neg"), Op::Scale { factor: vec![-1.0; full.len()] }, vec![x])?;
                                Val::T(self.push(nname, Op::AddConst { constant: full }, vec![y])?)
                            }
                            ("Mul", _) => Val::T(self.push(nname, Op::Scale { factor: full }, vec![x])?),
                            (_, false) => Val::T(self.push(nname, Op::Divide { divisor: full }, vec![x])?),
                            (_, true) => {
                                return Err(NetError::NotPiecewiseLinear { node: nname.into(), op: op.into(), msg: "dividing a constant by a tensor is not piecewise linear".into() })
                            }
                        }
                    }
                    (Val::C(_), Val::C(_)) => return Err(NetError::unsupported(nname, op, "constant folding (both operands are constants)")),
                }
            }
            "Concat" => {
                let s0 = self.shape(self.tensor(node, nname, 0)?);
                let mut axis = attr_i(node, "axis", i64::MIN);
                if axis == i64::MIN {
                    return Err(NetError::invalid(nname, op, "axis attribute is required"));
                }
                if axis < 0 {
                    axis += s0.len() as i64;
                }
                if axis < 0 {
                    return Err(NetError::invalid(nname, op, "axis out of range"));
                }
                let mut ins = Vec::new();
                for i in 0..node.input.len() {
                    ins.push(self.tensor(node, nname, i)?);
                }
                Val::T(self.push(nname, Op::Concat { axis: axis as usize }, ins)?)
            }
            _ if NOT_PL.contains(&op) => {
                return Err(NetError::NotPiecewiseLinear {
                    node: nname.into(),
                    op: op.into(),
                    msg: "the partition is only defined for piecewise-linear networks (replace it by ReLU-type activations, or cut the model before it)".into(),
                })
            }
            _ => {
                return Err(NetError::unsupported(
                    nname,
                    op,
                    "this operator is not supported (see docs/formats.md for the list); rewrite the model with supported operators".to_string(),
                ))
            }
        };
        if out0.is_empty() {
            return Err(NetError::invalid(nname, op, "node has no output"));
        }
        self.bind(&out0, result);
        Ok(())
    }
}

/// Loads a decoded ONNX model.
pub fn from_model(model: &ModelProto) -> Result<Network, NetError> {
    let opset = model
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map(|o| o.version)
        .ok_or_else(|| NetError::Model("no default-domain opset_import".into()))?;
    if !(MIN_OPSET..=MAX_OPSET).contains(&opset) {
        return Err(NetError::Model(format!("opset {opset} is not supported (supported: {MIN_OPSET} to {MAX_OPSET}); convert the model with onnx.version_converter")));
    }
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| NetError::Model("the model has no graph".into()))?;
    let mut vals: HashMap<String, Val> = HashMap::new();
    for init in &graph.initializer {
        let c = tensor_to_const(init, &format!("initializer '{}'", init.name), "Initializer")?;
        vals.insert(init.name.clone(), Val::C(c));
    }
    let real_inputs: Vec<_> = graph
        .input
        .iter()
        .filter(|i| !vals.contains_key(&i.name))
        .collect();
    if real_inputs.len() != 1 {
        return Err(NetError::Model(format!(
            "the graph must have exactly one non-initializer input, found {}",
            real_inputs.len()
        )));
    }
    let inp = real_inputs[0];
    let iname = inp.name.clone();
    let ty = match &inp.type_.value {
        Some(onnx_protobuf::type_proto::Value::TensorType(t)) => t,
        _ => return Err(NetError::Model(format!("input '{iname}' is not a tensor"))),
    };
    if ty.elem_type != 1 && ty.elem_type != 11 && ty.elem_type != 10 {
        return Err(NetError::Model(format!(
            "input '{iname}' has element type {}; float or double expected",
            ty.elem_type
        )));
    }
    let dims = ty.shape.as_ref().map(|s| s.dim.clone()).ok_or_else(|| {
        NetError::Model(format!(
            "input '{iname}' has no shape; export with a static input shape"
        ))
    })?;
    let mut shape = Vec::new();
    for (i, d) in dims.iter().enumerate() {
        use onnx_protobuf::tensor_shape_proto::dimension::Value as D;
        let v = match &d.value {
            Some(D::DimValue(v)) if *v > 0 => Some(*v as usize),
            _ => None,
        };
        match (i, v) {
            (0, None) => shape.push(1),
            (0, Some(1)) => shape.push(1),
            (0, Some(b)) => return Err(NetError::Model(format!("input '{iname}' has batch size {b}; export with batch size 1 or a dynamic batch dimension"))),
            (_, Some(v)) => shape.push(v),
            (_, None) => {
                return Err(NetError::Shape {
                    node: format!("graph input '{iname}'"),
                    op: "Input".into(),
                    msg: match &d.value {
                        Some(D::DimParam(p)) => format!("dimension {i} is dynamic ('{p}') and cannot be resolved; export with a fixed input size"),
                        Some(D::DimValue(v)) => format!("dimension {i} is {v}; every dimension after the batch must be at least 1"),
                        _ => format!("dimension {i} has no size; export with a fixed input size"),
                    },
                })
            }
        }
    }
    if graph.output.len() != 1 {
        return Err(NetError::Model(format!(
            "the graph must have exactly one output, found {}",
            graph.output.len()
        )));
    }
    let graph_output = graph.output[0].name.clone();
    let mut uses: HashMap<String, usize> = HashMap::new();
    for n in &graph.node {
        for i in &n.input {
            *uses.entry(i.clone()).or_default() += 1;
        }
    }
    // Every tensor has one producer (ONNX's single-assignment rule): a
    // second node writing a name, or a node writing the input or an
    // initializer, would silently shadow it.
    let mut written: HashMap<&str, String> = HashMap::new();
    written.insert(iname.as_str(), "the graph input".into());
    for init in &graph.initializer {
        written.insert(init.name.as_str(), "an initializer".into());
    }
    for (i, n) in graph.node.iter().enumerate() {
        for o in n.output.iter().filter(|o| !o.is_empty()) {
            let here = format!("written by node '{}'", node_name(n, i));
            if let Some(first) = written.insert(o.as_str(), here) {
                return Err(NetError::invalid(
                    &node_name(n, i),
                    &n.op_type,
                    format!(
                        "its output '{o}' is also {first}; every tensor name must be written once"
                    ),
                ));
            }
        }
    }
    let mut ld = Loader {
        b: NetworkBuilder::new(shape)?,
        vals,
        uses,
        refs: HashMap::new(),
        opset,
        graph_output: graph_output.clone(),
        transform: None,
    };
    // The graph output counts as a use of its tensor.
    ld.bind(&iname, Val::T(TensorId(0)));
    *ld.refs.entry(TensorId(0)).or_default() += (graph_output == iname) as usize;
    for (i, node) in graph.node.iter().enumerate() {
        ld.node(node, i)?;
        if let Some(Val::T(t)) = node.output.first().and_then(|o| {
            if *o == graph_output {
                ld.vals.get(o)
            } else {
                None
            }
        }) {
            let t = *t;
            *ld.refs.entry(t).or_default() += 1;
        }
    }
    let out = match ld.vals.get(&graph_output) {
        Some(Val::T(t)) => *t,
        Some(Val::C(_)) => {
            return Err(NetError::Model(format!(
                "the graph output '{graph_output}' is a constant"
            )))
        }
        None => {
            // A later output of a node (MaxPool's `Indices`, Dropout's mask)
            // is not made: say so rather than "not produced".
            let maker = graph.node.iter().enumerate().find_map(|(i, n)| {
                let k = n.output.iter().position(|o| *o == graph_output)?;
                Some((i, n, k))
            });
            return Err(match maker {
                Some((i, n, k)) => NetError::unsupported(
                    &node_name(n, i),
                    &n.op_type,
                    format!(
                        "the graph output '{graph_output}' is this node's output {}; only its first output is supported: make the graph output a tensor the network computes",
                        k + 1
                    ),
                ),
                None => NetError::Model(format!(
                    "the graph output '{graph_output}' is not produced by any node"
                )),
            });
        }
    };
    let transform = ld.transform;
    let net = ld.b.finish(out, transform)?;
    if let Some(Some(onnx_protobuf::type_proto::Value::TensorType(t))) =
        graph.output.first().map(|o| o.type_.value.as_ref())
    {
        if let Some(s) = t.shape.as_ref() {
            use onnx_protobuf::tensor_shape_proto::dimension::Value as D;
            let dims: Option<Vec<usize>> = s
                .dim
                .iter()
                .enumerate()
                .map(|(i, d)| match &d.value {
                    Some(D::DimValue(v)) if *v > 0 => Some(*v as usize),
                    _ if i == 0 => Some(1),
                    _ => None,
                })
                .collect();
            if let Some(dims) = dims {
                let n: usize = dims.iter().product();
                if !s.dim.is_empty() && n != net.len_of(out) {
                    return Err(NetError::Shape {
                        node: format!("graph output '{graph_output}'"),
                        op: "Output".into(),
                        msg: format!(
                            "declared shape {dims:?} but the graph computes {:?}",
                            net.shape(out)
                        ),
                    });
                }
            }
        }
    }
    Ok(net)
}
