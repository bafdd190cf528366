//! The native JSON model format (`"format": "splinecam-model"`, version 1),
//! documented in `docs/formats.md`.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::error::NetError;
use super::ir::{Network, NetworkBuilder, Op, OutputTransform, TensorId, Window2d};

/// The format tag.
pub const FORMAT: &str = "splinecam-model";
/// The (only) supported version.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    version: u32,
    input_shape: Vec<usize>,
    ops: Vec<JsonOp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    output_transform: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct JsonOp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inputs: Option<Vec<String>>,
    #[serde(flatten)]
    kind: Kind,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Values {
    Scalar(f64),
    Vec(Vec<f64>),
}

fn one() -> [usize; 2] {
    [1, 1]
}
fn one_usize() -> usize {
    1
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Kind {
    Dense {
        weight: Vec<Vec<f64>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bias: Option<Vec<f64>>,
    },
    Conv2d {
        out_channels: usize,
        kernel: [usize; 2],
        weight: Vec<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bias: Option<Vec<f64>>,
        #[serde(default = "one")]
        stride: [usize; 2],
        #[serde(default)]
        pads: [usize; 4],
        #[serde(default = "one")]
        dilation: [usize; 2],
        #[serde(default = "one_usize")]
        groups: usize,
    },
    Pad {
        pads: Vec<(usize, usize)>,
    },
    AvgPool {
        kernel: [usize; 2],
        #[serde(default = "one")]
        stride: [usize; 2],
        #[serde(default)]
        pads: [usize; 4],
        #[serde(default)]
        count_include_pad: bool,
    },
    GlobalAvgPool,
    MaxPool {
        kernel: [usize; 2],
        #[serde(default = "one")]
        stride: [usize; 2],
        #[serde(default)]
        pads: [usize; 4],
        #[serde(default = "one")]
        dilation: [usize; 2],
    },
    Maxout {
        pieces: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        axis: Option<usize>,
    },
    Scale {
        factor: Values,
    },
    Divide {
        divisor: Values,
    },
    AddConst {
        constant: Values,
    },
    Add,
    Sub,
    Reshape {
        shape: Vec<usize>,
    },
    Flatten,
    Concat {
        axis: usize,
    },
    Relu,
    LeakyRelu {
        alpha: f64,
    },
    Prelu {
        slope: Values,
    },
    Abs,
}

fn broadcast(name: &str, op: &str, v: Values, n: usize) -> Result<Vec<f64>, NetError> {
    match v {
        Values::Scalar(x) => Ok(vec![x; n]),
        Values::Vec(v) if v.len() == 1 => Ok(vec![v[0]; n]),
        Values::Vec(v) if v.len() == n => Ok(v),
        Values::Vec(v) => Err(NetError::shape(
            name,
            op,
            format!("{} values for a tensor of {n} elements", v.len()),
        )),
    }
}

/// Parses a model from JSON text.
pub fn from_str(text: &str) -> Result<Network, NetError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| NetError::Json(e.to_string()))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        other => {
            return Err(NetError::Json(format!(
                "\"format\" must be \"{FORMAT}\", found {other:?}"
            )))
        }
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == VERSION as u64 => {}
        other => {
            return Err(NetError::Json(format!(
                "unsupported \"version\" {other:?}; this build reads version {VERSION}"
            )))
        }
    }
    let file: ModelFile =
        serde_json::from_value(value).map_err(|e| NetError::Json(e.to_string()))?;
    build(file)
}

/// Reads a model from a JSON file.
pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Network, NetError> {
    let p = path.as_ref();
    let text = std::fs::read_to_string(p).map_err(|source| NetError::Io {
        path: p.display().to_string(),
        source,
    })?;
    from_str(&text)
}

fn build(file: ModelFile) -> Result<Network, NetError> {
    let mut b = NetworkBuilder::new(file.input_shape)?;
    let mut names: HashMap<String, TensorId> = HashMap::new();
    names.insert("input".into(), TensorId(0));
    let mut prev = TensorId(0);
    for (i, jop) in file.ops.into_iter().enumerate() {
        let opname = kind_name(&jop.kind);
        let name = jop.name.clone().unwrap_or_else(|| format!("{opname}_{i}"));
        let inputs = match &jop.inputs {
            None => vec![prev],
            Some(list) => list
                .iter()
                .map(|n| {
                    names.get(n).copied().ok_or_else(|| NetError::MissingInput {
                        node: name.clone(),
                        op: opname.into(),
                        input: n.clone(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let in_shape = inputs
            .first()
            .and_then(|t| b.shape(*t))
            .map(|s| s.to_vec())
            .unwrap_or_default();
        let n_in: usize = in_shape.iter().product();
        let op = match jop.kind {
            Kind::Dense { weight, bias } => {
                let out = weight.len();
                let inf = weight.first().map(|r| r.len()).unwrap_or(0);
                if weight.iter().any(|r| r.len() != inf) {
                    return Err(NetError::shape(
                        &name,
                        opname,
                        "weight rows have different lengths",
                    ));
                }
                Op::Dense {
                    weight: weight.concat(),
                    bias: bias.unwrap_or_else(|| vec![0.0; out]),
                    in_features: inf,
                    out_features: out,
                }
            }
            Kind::Conv2d {
                out_channels,
                kernel,
                weight,
                bias,
                stride,
                pads,
                dilation,
                groups,
            } => Op::Conv2d {
                weight,
                bias: bias.unwrap_or_else(|| vec![0.0; out_channels]),
                out_channels,
                groups,
                window: Window2d {
                    kernel,
                    stride,
                    pads,
                    dilation,
                },
            },
            Kind::Pad { pads } => Op::Pad { pads },
            Kind::AvgPool {
                kernel,
                stride,
                pads,
                count_include_pad,
            } => Op::AvgPool {
                window: Window2d {
                    kernel,
                    stride,
                    pads,
                    dilation: [1, 1],
                },
                count_include_pad,
            },
            Kind::GlobalAvgPool => {
                let r = in_shape.len();
                if r < 3 {
                    return Err(NetError::shape(&name, opname, "input must be [1, C, H, W]"));
                }
                Op::AvgPool {
                    window: Window2d::kernel(in_shape[r - 2], in_shape[r - 1]),
                    count_include_pad: false,
                }
            }
            Kind::MaxPool {
                kernel,
                stride,
                pads,
                dilation,
            } => Op::MaxPool {
                window: Window2d {
                    kernel,
                    stride,
                    pads,
                    dilation,
                },
            },
            Kind::Maxout { pieces, axis } => Op::Maxout {
                axis: axis.unwrap_or(in_shape.len().saturating_sub(1)),
                pieces,
            },
            Kind::Scale { factor } => Op::Scale {
                factor: broadcast(&name, opname, factor, n_in)?,
            },
            Kind::Divide { divisor } => Op::Divide {
                divisor: broadcast(&name, opname, divisor, n_in)?,
            },
            Kind::AddConst { constant } => Op::AddConst {
                constant: broadcast(&name, opname, constant, n_in)?,
            },
            Kind::Add => Op::Add,
            Kind::Sub => Op::Sub,
            Kind::Reshape { shape } => Op::Reshape { shape },
            Kind::Flatten => Op::Reshape { shape: vec![n_in] },
            Kind::Concat { axis } => Op::Concat { axis },
            Kind::Relu => Op::Relu,
            Kind::LeakyRelu { alpha } => Op::LeakyRelu { alpha },
            Kind::Prelu { slope } => Op::PRelu {
                slope: broadcast(&name, opname, slope, n_in)?,
            },
            Kind::Abs => Op::Abs,
        };
        let t = b.push(name.clone(), op, inputs)?;
        if names.insert(name.clone(), t).is_some() {
            return Err(NetError::invalid(&name, opname, "duplicate op name"));
        }
        prev = t;
    }
    let output = match &file.output {
        None => prev,
        Some(n) => *names
            .get(n)
            .ok_or_else(|| NetError::Model(format!("output '{n}' is not an op name")))?,
    };
    let transform = match file.output_transform.as_deref() {
        None => None,
        Some("softmax") => Some(OutputTransform::Softmax),
        Some("sigmoid") => Some(OutputTransform::Sigmoid),
        Some("log_softmax") => Some(OutputTransform::LogSoftmax),
        Some(other) => {
            return Err(NetError::Json(format!(
                "unknown output_transform '{other}' (softmax, sigmoid, log_softmax)"
            )))
        }
    };
    b.finish(output, transform)
}

fn kind_name(k: &Kind) -> &'static str {
    match k {
        Kind::Dense { .. } => "dense",
        Kind::Conv2d { .. } => "conv2d",
        Kind::Pad { .. } => "pad",
        Kind::AvgPool { .. } => "avg_pool",
        Kind::GlobalAvgPool => "global_avg_pool",
        Kind::MaxPool { .. } => "max_pool",
        Kind::Maxout { .. } => "maxout",
        Kind::Scale { .. } => "scale",
        Kind::Divide { .. } => "divide",
        Kind::AddConst { .. } => "add_const",
        Kind::Add => "add",
        Kind::Sub => "sub",
        Kind::Reshape { .. } => "reshape",
        Kind::Flatten => "flatten",
        Kind::Concat { .. } => "concat",
        Kind::Relu => "relu",
        Kind::LeakyRelu { .. } => "leaky_relu",
        Kind::Prelu { .. } => "prelu",
        Kind::Abs => "abs",
    }
}

impl Network {
    /// Writes the network in the native JSON format (explicit names and
    /// inputs for every op; floats are written with shortest round-trip
    /// representation, so reading gives back identical weights).
    pub fn to_json(&self) -> String {
        let mut used: HashSet<String> = HashSet::new();
        used.insert("input".into());
        let mut tname: Vec<String> = vec!["input".into()];
        let mut ops = Vec::new();
        for (i, n) in self.nodes().iter().enumerate() {
            let name = if !n.name.is_empty() && !used.contains(&n.name) {
                n.name.clone()
            } else {
                format!("node_{i}")
            };
            let name = if used.contains(&name) {
                format!("node_{i}_{}", used.len())
            } else {
                name
            };
            used.insert(name.clone());
            let kind = match &n.op {
                Op::Dense {
                    weight,
                    bias,
                    in_features,
                    ..
                } => Kind::Dense {
                    weight: weight
                        .chunks((*in_features).max(1))
                        .map(|r| r.to_vec())
                        .collect(),
                    bias: Some(bias.clone()),
                },
                Op::Conv2d {
                    weight,
                    bias,
                    out_channels,
                    groups,
                    window,
                } => Kind::Conv2d {
                    out_channels: *out_channels,
                    kernel: window.kernel,
                    weight: weight.clone(),
                    bias: Some(bias.clone()),
                    stride: window.stride,
                    pads: window.pads,
                    dilation: window.dilation,
                    groups: *groups,
                },
                Op::Pad { pads } => Kind::Pad { pads: pads.clone() },
                Op::AvgPool {
                    window,
                    count_include_pad,
                } => Kind::AvgPool {
                    kernel: window.kernel,
                    stride: window.stride,
                    pads: window.pads,
                    count_include_pad: *count_include_pad,
                },
                Op::Scale { factor } => Kind::Scale {
                    factor: Values::Vec(factor.clone()),
                },
                Op::Divide { divisor } => Kind::Divide {
                    divisor: Values::Vec(divisor.clone()),
                },
                Op::AddConst { constant } => Kind::AddConst {
                    constant: Values::Vec(constant.clone()),
                },
                Op::Add => Kind::Add,
                Op::Sub => Kind::Sub,
                Op::Reshape { shape } => Kind::Reshape {
                    shape: shape.clone(),
                },
                Op::Concat { axis } => Kind::Concat { axis: *axis },
                Op::Relu => Kind::Relu,
                Op::LeakyRelu { alpha } => Kind::LeakyRelu { alpha: *alpha },
                Op::PRelu { slope } => Kind::Prelu {
                    slope: Values::Vec(slope.clone()),
                },
                Op::Abs => Kind::Abs,
                Op::MaxPool { window } => Kind::MaxPool {
                    kernel: window.kernel,
                    stride: window.stride,
                    pads: window.pads,
                    dilation: window.dilation,
                },
                Op::Maxout { axis, pieces } => Kind::Maxout {
                    pieces: *pieces,
                    axis: Some(*axis),
                },
            };
            let inputs = n
                .inputs
                .iter()
                .map(|t| tname.get(t.index()).cloned().unwrap_or_default())
                .collect();
            ops.push(JsonOp {
                name: Some(name.clone()),
                inputs: Some(inputs),
                kind,
            });
            tname.push(name);
        }
        let file = ModelFile {
            format: FORMAT.into(),
            version: VERSION,
            input_shape: self.input_shape().to_vec(),
            ops,
            output: tname.get(self.output().index()).cloned(),
            output_transform: self.output_transform().map(|t| {
                match t {
                    OutputTransform::Softmax => "softmax",
                    OutputTransform::Sigmoid => "sigmoid",
                    OutputTransform::LogSoftmax => "log_softmax",
                }
                .to_string()
            }),
        };
        serde_json::to_string(&file).unwrap_or_default()
    }
}
