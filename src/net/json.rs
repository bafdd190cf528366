//! The native JSON model format (`"format": "splinecam-model"`, version 1),
//! documented in `docs/formats.md`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::error::NetError;
use super::ir::{Network, NetworkBuilder, Op, OutputTransform, TensorId, Window2d};

/// The format tag.
pub const FORMAT: &str = "splinecam-model";
/// The (only) supported version.
pub const VERSION: u32 = 1;

/// The values of `"op"`, in the order of `docs/formats.md`.
pub const OPS: [&str; 19] = [
    "dense",
    "conv2d",
    "pad",
    "avg_pool",
    "global_avg_pool",
    "max_pool",
    "maxout",
    "scale",
    "divide",
    "add_const",
    "add",
    "sub",
    "reshape",
    "flatten",
    "concat",
    "relu",
    "leaky_relu",
    "prelu",
    "abs",
];

/// The top-level fields of a model file.
const TOP_FIELDS: [&str; 6] = [
    "format",
    "version",
    "input_shape",
    "ops",
    "output",
    "output_transform",
];

/// The fields every op takes besides its own.
const COMMON_FIELDS: [&str; 3] = ["op", "name", "inputs"];

/// A whole model file, as written by [`Network::to_json`].
#[derive(Serialize)]
struct ModelFile {
    format: String,
    version: u32,
    input_shape: Vec<usize>,
    ops: Vec<JsonOp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_transform: Option<String>,
}

/// A model file as read: the ops are kept as raw text, each parsed on its
/// own so that its errors can name it (see [`parse_op`]). `format` and
/// `version` are checked before.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelIn<'a> {
    #[serde(rename = "format")]
    _format: IgnoredAny,
    #[serde(rename = "version")]
    _version: IgnoredAny,
    input_shape: Vec<usize>,
    #[serde(borrow)]
    ops: Vec<&'a RawValue>,
    #[serde(default)]
    output: Option<String>,
    #[serde(default)]
    output_transform: Option<String>,
}

/// One op: the fields every op has, and its own.
#[derive(Serialize)]
struct JsonOp {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inputs: Option<Vec<String>>,
    #[serde(flatten)]
    kind: Kind,
}

/// A constant given as one number or as a list.
#[derive(Serialize)]
#[serde(untagged)]
enum Values {
    Scalar(f64),
    Vec(Vec<f64>),
}

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Values;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a list of numbers")
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<Values, E> {
                Ok(Values::Scalar(x))
            }
            fn visit_i64<E: de::Error>(self, x: i64) -> Result<Values, E> {
                Ok(Values::Scalar(x as f64))
            }
            fn visit_u64<E: de::Error>(self, x: u64) -> Result<Values, E> {
                Ok(Values::Scalar(x as f64))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Values, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(x) = seq.next_element::<f64>()? {
                    v.push(x);
                }
                Ok(Values::Vec(v))
            }
        }
        d.deserialize_any(V)
    }
}

fn one() -> [usize; 2] {
    [1, 1]
}
fn one_usize() -> usize {
    1
}

// The fields of each op. Every struct lists exactly the fields of its op
// (besides `op`, `name`, `inputs`): the reader rejects any other field with a
// message built from these lists.

/// The fields of an op that has none of its own.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DenseArgs {
    weight: Vec<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bias: Option<Vec<f64>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Conv2dArgs {
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
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PadArgs {
    pads: Vec<(usize, usize)>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AvgPoolArgs {
    kernel: [usize; 2],
    #[serde(default = "one")]
    stride: [usize; 2],
    #[serde(default)]
    pads: [usize; 4],
    #[serde(default)]
    count_include_pad: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MaxPoolArgs {
    kernel: [usize; 2],
    #[serde(default = "one")]
    stride: [usize; 2],
    #[serde(default)]
    pads: [usize; 4],
    #[serde(default = "one")]
    dilation: [usize; 2],
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MaxoutArgs {
    pieces: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    axis: Option<usize>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScaleArgs {
    factor: Values,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DivideArgs {
    divisor: Values,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddConstArgs {
    constant: Values,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReshapeArgs {
    shape: Vec<usize>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConcatArgs {
    axis: usize,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LeakyReluArgs {
    alpha: f64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreluArgs {
    slope: Values,
}

/// An op and its fields. Written with the `"op"` tag by
/// [`Network::to_json`]; read by [`parse_op`], which dispatches on the tag.
#[derive(Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Kind {
    Dense(DenseArgs),
    Conv2d(Conv2dArgs),
    Pad(PadArgs),
    AvgPool(AvgPoolArgs),
    GlobalAvgPool(NoArgs),
    MaxPool(MaxPoolArgs),
    Maxout(MaxoutArgs),
    Scale(ScaleArgs),
    Divide(DivideArgs),
    AddConst(AddConstArgs),
    Add(NoArgs),
    Sub(NoArgs),
    Reshape(ReshapeArgs),
    Flatten(NoArgs),
    Concat(ConcatArgs),
    Relu(NoArgs),
    LeakyRelu(LeakyReluArgs),
    Prelu(PreluArgs),
    Abs(NoArgs),
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
///
/// Unknown fields (at the top level or in an op) and repeated keys are
/// errors; an error in an op names the op's index, name and kind, and the
/// line and column.
pub fn from_str(text: &str) -> Result<Network, NetError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| NetError::Json(e.to_string()))?;
    let Some(top) = value.as_object() else {
        return Err(NetError::Json(format!(
            "the model must be a JSON object with \"format\": \"{FORMAT}\", found {}",
            json_kind(&value)
        )));
    };
    match top.get("format") {
        Some(serde_json::Value::String(f)) if f == FORMAT => {}
        other => {
            return Err(NetError::Json(format!(
                "\"format\" must be \"{FORMAT}\", found {}",
                found(other)
            )))
        }
    }
    match top.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == VERSION as u64 => {}
        _ => {
            return Err(NetError::Json(format!(
                "unsupported \"version\": found {}; this build reads version {VERSION}",
                found(top.get("version"))
            )))
        }
    }
    if let Some(key) = top.keys().find(|k| !TOP_FIELDS.contains(&k.as_str())) {
        return Err(NetError::Json(format!(
            "unknown top-level field \"{key}\"{}; the fields are {}",
            did_you_mean(key, &TOP_FIELDS),
            quoted_list(&TOP_FIELDS)
        )));
    }
    let model: ModelIn<'_> =
        serde_json::from_str(text).map_err(|e| NetError::Json(e.to_string()))?;
    let mut lines = LineCounter::new(text);
    let ops = model
        .ops
        .iter()
        .enumerate()
        .map(|(i, raw)| parse_op(i, raw, lines.position(raw.get())))
        .collect::<Result<Vec<_>, _>>()?;
    build(ModelFile {
        format: FORMAT.into(),
        version: VERSION,
        input_shape: model.input_shape,
        ops,
        output: model.output,
        output_transform: model.output_transform,
    })
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

/// What a node error says about the node: its index, name and op as far
/// as they are known, and where it is.
struct NodeRef {
    index: usize,
    name: Option<String>,
    op: Option<String>,
    /// Where the node's text starts in the file: line and column (both
    /// 1-based, columns counted in bytes as serde_json does).
    line: usize,
    column: usize,
}

impl NodeRef {
    /// An error at the start of the node.
    fn error(&self, msg: impl Into<String>) -> NetError {
        self.error_at(self.line, self.column, msg.into())
    }
    fn error_at(&self, line: usize, column: usize, msg: String) -> NetError {
        NetError::JsonNode {
            index: self.index,
            name: self.name.clone(),
            op: self.op.clone(),
            line,
            column,
            msg,
        }
    }
    /// An error of serde_json while reading the node's text (whose
    /// position is relative to that text).
    fn serde_error(&self, e: serde_json::Error, prefix: &str) -> NetError {
        let msg = format!("{prefix}{}", strip_position(&e.to_string()));
        let (line, column) = match (e.line(), e.column()) {
            (0, _) => (self.line, self.column),
            (1, c) => (self.line, self.column.saturating_sub(1) + c),
            (l, c) => (self.line + l - 1, c),
        };
        self.error_at(line, column, msg)
    }
    /// The same, for an error in the value of `field`.
    fn serde_error_in(&self, field: &str, e: serde_json::Error) -> NetError {
        self.serde_error(e, &format!("field \"{field}\": "))
    }
}

/// Lines and columns of slices of a text, asked for in increasing order
/// (each call only scans the text since the previous one).
struct LineCounter<'a> {
    text: &'a str,
    /// Byte offset scanned up to, its line (1-based) and the offset of
    /// that line's start.
    offset: usize,
    line: usize,
    line_start: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// Line and column (1-based, columns in bytes as serde_json counts
    /// them) where `part`, a slice of the text, starts; `(0, 0)` if `part`
    /// is not a slice of the text.
    fn position(&mut self, part: &str) -> (usize, usize) {
        let off = (part.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        if off > self.text.len() {
            return (0, 0);
        }
        if off < self.offset {
            *self = LineCounter::new(self.text);
        }
        for (i, b) in self.text.as_bytes()[self.offset..off].iter().enumerate() {
            if *b == b'\n' {
                self.line += 1;
                self.line_start = self.offset + i + 1;
            }
        }
        self.offset = off;
        (self.line, off - self.line_start + 1)
    }
}

/// Only the fields that are needed before the op is known.
#[derive(Deserialize)]
struct Head {
    #[serde(default, deserialize_with = "present")]
    op: Option<serde_json::Value>,
    #[serde(default)]
    name: Option<serde_json::Value>,
}

/// `Some` for a present field, even `null` (a missing field stays `None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// Parses op number `index`, whose text is `raw` and starts at `(line,
/// column)` of the file.
fn parse_op(
    index: usize,
    raw: &RawValue,
    (line, column): (usize, usize),
) -> Result<JsonOp, NetError> {
    let node_text = raw.get();
    let mut at = NodeRef {
        index,
        name: None,
        op: None,
        line,
        column,
    };
    if !node_text.starts_with('{') {
        let shown: String = node_text.chars().take(40).collect();
        return Err(at.error(format!(
            "an op must be a JSON object such as {{\"op\": \"relu\"}}, found {shown}"
        )));
    }
    let head: Head = serde_json::from_str(node_text).map_err(|e| at.serde_error(e, ""))?;
    if let Some(serde_json::Value::String(n)) = &head.name {
        at.name = Some(n.clone());
    }
    let op = match head.op {
        Some(serde_json::Value::String(op)) => op,
        None => {
            return Err(at.error(format!(
                "missing field \"op\"; it names the operation, one of {}",
                OPS.join(", ")
            )))
        }
        Some(other) => {
            return Err(at.error(format!(
                "\"op\" must be a string naming one of the supported operations ({}), found {}",
                OPS.join(", "),
                json_kind(&other)
            )))
        }
    };
    let Some(parsed) = parse_kind(&op, node_text) else {
        let hint = match op.to_ascii_lowercase().as_str() {
            "softmax" | "sigmoid" | "log_softmax" | "logsoftmax" => {
                "; a final softmax or sigmoid goes in the top-level \"output_transform\""
                    .to_string()
            }
            "tanh" | "gelu" | "elu" | "selu" | "celu" | "softplus" | "silu" | "swish" | "exp"
            | "mish" | "hardswish" => "; it is not piecewise linear".to_string(),
            _ => did_you_mean(&op, &OPS),
        };
        return Err(at.error(format!(
            "unknown op \"{op}\"{hint}; the supported operations are {}",
            OPS.join(", ")
        )));
    };
    at.op = Some(op);
    let (common, kind) = parsed.map_err(|(e, common)| match common.bad_field {
        Some(field) => at.serde_error_in(&field, e),
        None => at.serde_error(e, ""),
    })?;
    Ok(JsonOp {
        name: common.name,
        inputs: common.inputs,
        kind,
    })
}

/// Reads the op named `op` from its text, or `None` for an unknown op. The
/// error comes with the field whose value it is about, if any.
fn parse_kind(op: &str, text: &str) -> Option<Result<(Common, Kind), (serde_json::Error, Common)>> {
    fn node<'a, K: Deserialize<'a>>(
        text: &'a str,
        kind: fn(K) -> Kind,
    ) -> Result<(Common, Kind), (serde_json::Error, Common)> {
        let mut common = Common::default();
        let mut de = serde_json::Deserializer::from_str(text);
        let seed = NodeSeed {
            common: &mut common,
            args: PhantomData,
        };
        match seed
            .deserialize(&mut de)
            .and_then(|args| de.end().map(|()| args))
        {
            Ok(args) => Ok((common, kind(args))),
            Err(e) => Err((e, common)),
        }
    }
    Some(match op {
        "dense" => node(text, Kind::Dense),
        "conv2d" => node(text, Kind::Conv2d),
        "pad" => node(text, Kind::Pad),
        "avg_pool" => node(text, Kind::AvgPool),
        "global_avg_pool" => node(text, Kind::GlobalAvgPool),
        "max_pool" => node(text, Kind::MaxPool),
        "maxout" => node(text, Kind::Maxout),
        "scale" => node(text, Kind::Scale),
        "divide" => node(text, Kind::Divide),
        "add_const" => node(text, Kind::AddConst),
        "add" => node(text, Kind::Add),
        "sub" => node(text, Kind::Sub),
        "reshape" => node(text, Kind::Reshape),
        "flatten" => node(text, Kind::Flatten),
        "concat" => node(text, Kind::Concat),
        "relu" => node(text, Kind::Relu),
        "leaky_relu" => node(text, Kind::LeakyRelu),
        "prelu" => node(text, Kind::Prelu),
        "abs" => node(text, Kind::Abs),
        _ => return None,
    })
}

/// The fields every op has, and where reading went wrong.
#[derive(Default)]
struct Common {
    name: Option<String>,
    inputs: Option<Vec<String>>,
    /// The field whose value could not be read (set with the error).
    bad_field: Option<String>,
}

/// Reads an op object in one pass: `op`, `name` and `inputs` go to
/// [`Common`], every other field to `K` (one of the `*Args` structs).
/// A field `K` does not have is an error that lists `K`'s fields; an error
/// inside a field's value is returned unchanged (with serde_json's exact
/// position: the values are read straight from the text) and the field is
/// recorded in [`Common::bad_field`].
struct NodeSeed<'c, K> {
    common: &'c mut Common,
    args: PhantomData<K>,
}

impl<'de, K: Deserialize<'de>> DeserializeSeed<'de> for NodeSeed<'_, K> {
    type Value = K;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<K, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, K: Deserialize<'de>> Visitor<'de> for NodeSeed<'_, K> {
    type Value = K;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an op object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<K, A::Error> {
        K::deserialize(ArgsDeserializer {
            map,
            common: self.common,
        })
    }
}

/// Hands the op's own fields of a map to an `*Args` struct.
struct ArgsDeserializer<'c, A> {
    map: A,
    common: &'c mut Common,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for ArgsDeserializer<'_, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(ArgsAccess {
            map: self.map,
            common: self.common,
            fields: None,
            key: String::new(),
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(ArgsAccess {
            map: self.map,
            common: self.common,
            fields: Some(fields),
            key: String::new(),
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct ArgsAccess<'c, A> {
    map: A,
    common: &'c mut Common,
    /// The op's own fields (`None`: accept any).
    fields: Option<&'static [&'static str]>,
    /// The field whose value is read next.
    key: String,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for ArgsAccess<'_, A> {
    type Error = A::Error;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        while let Some(key) = self.map.next_key::<String>()? {
            match key.as_str() {
                // Checked before the op is read.
                "op" => {
                    self.map.next_value::<IgnoredAny>()?;
                }
                "name" => {
                    if self.common.name.is_some() {
                        return Err(de::Error::duplicate_field("name"));
                    }
                    self.common.bad_field = Some(key);
                    self.common.name = Some(self.map.next_value::<String>()?);
                    self.common.bad_field = None;
                }
                "inputs" => {
                    if self.common.inputs.is_some() {
                        return Err(de::Error::duplicate_field("inputs"));
                    }
                    self.common.bad_field = Some(key);
                    self.common.inputs = Some(self.map.next_value::<Vec<String>>()?);
                    self.common.bad_field = None;
                }
                _ => {
                    if let Some(fields) = self.fields {
                        if !fields.contains(&key.as_str()) {
                            return Err(de::Error::custom(unknown_field(&key, fields)));
                        }
                    }
                    let r = seed
                        .deserialize(de::value::StrDeserializer::<A::Error>::new(&key))
                        .map(Some);
                    self.key = key;
                    return r;
                }
            }
        }
        Ok(None)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let r = self.map.next_value_seed(seed);
        if r.is_err() {
            self.common.bad_field = Some(std::mem::take(&mut self.key));
        }
        r
    }
}

fn unknown_field(key: &str, fields: &[&str]) -> String {
    let candidates: Vec<&str> = fields.iter().chain(COMMON_FIELDS.iter()).copied().collect();
    let own = if fields.is_empty() {
        "this op has no fields besides".to_string()
    } else {
        format!("this op's fields are {}, besides", quoted_list(fields))
    };
    format!(
        "unknown field \"{key}\"{}; {own} {}",
        did_you_mean(key, &candidates),
        quoted_list(&COMMON_FIELDS)
    )
}

/// `"a", "b" and "c"`.
fn quoted_list(items: &[&str]) -> String {
    let q: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    match q.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// ` (did you mean "x"?)` for the closest candidate within a small edit
/// distance, or nothing.
fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    let w = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&w, c), *c))
        .filter(|&(d, c)| d <= (c.len().max(w.len()) / 3).max(1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| format!(" (did you mean \"{c}\"?)"))
        .unwrap_or_default()
}

/// Optimal string alignment distance (Levenshtein plus transpositions).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i * w + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (d[(i - 1) * w + j] + 1)
                    .min(d[i * w + j - 1] + 1)
                    .min(d[(i - 1) * w + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(d[(i - 2) * w + j - 2] + 1);
                }
                v
            };
        }
    }
    d[a.len() * w + b.len()]
}

/// serde_json's message without its ` at line L column C` suffix.
fn strip_position(msg: &str) -> &str {
    if let Some(i) = msg.rfind(" at line ") {
        let tail = &msg[i + " at line ".len()..];
        let mut parts = tail.splitn(2, " column ");
        let is_num = |s: Option<&str>| {
            s.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        };
        if is_num(parts.next()) && is_num(parts.next()) {
            return &msg[..i];
        }
    }
    msg
}

/// A short description of a JSON value for error messages.
fn json_kind(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "null".into(),
        serde_json::Value::Bool(b) => format!("the boolean {b}"),
        serde_json::Value::Number(n) => format!("the number {n}"),
        serde_json::Value::String(s) => format!("the string \"{s}\""),
        serde_json::Value::Array(_) => "an array".into(),
        serde_json::Value::Object(_) => "an object".into(),
    }
}

fn found(v: Option<&serde_json::Value>) -> String {
    v.map_or_else(|| "nothing (the field is missing)".into(), json_kind)
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
            Kind::Dense(DenseArgs { weight, bias }) => {
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
            Kind::Conv2d(Conv2dArgs {
                out_channels,
                kernel,
                weight,
                bias,
                stride,
                pads,
                dilation,
                groups,
            }) => Op::Conv2d {
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
            Kind::Pad(PadArgs { pads }) => Op::Pad { pads },
            Kind::AvgPool(AvgPoolArgs {
                kernel,
                stride,
                pads,
                count_include_pad,
            }) => Op::AvgPool {
                window: Window2d {
                    kernel,
                    stride,
                    pads,
                    dilation: [1, 1],
                },
                count_include_pad,
            },
            Kind::GlobalAvgPool(NoArgs {}) => {
                let r = in_shape.len();
                if r < 3 {
                    return Err(NetError::shape(&name, opname, "input must be [1, C, H, W]"));
                }
                Op::AvgPool {
                    window: Window2d::kernel(in_shape[r - 2], in_shape[r - 1]),
                    count_include_pad: false,
                }
            }
            Kind::MaxPool(MaxPoolArgs {
                kernel,
                stride,
                pads,
                dilation,
            }) => Op::MaxPool {
                window: Window2d {
                    kernel,
                    stride,
                    pads,
                    dilation,
                },
            },
            Kind::Maxout(MaxoutArgs { pieces, axis }) => Op::Maxout {
                axis: axis.unwrap_or(in_shape.len().saturating_sub(1)),
                pieces,
            },
            Kind::Scale(ScaleArgs { factor }) => Op::Scale {
                factor: broadcast(&name, opname, factor, n_in)?,
            },
            Kind::Divide(DivideArgs { divisor }) => Op::Divide {
                divisor: broadcast(&name, opname, divisor, n_in)?,
            },
            Kind::AddConst(AddConstArgs { constant }) => Op::AddConst {
                constant: broadcast(&name, opname, constant, n_in)?,
            },
            Kind::Add(NoArgs {}) => Op::Add,
            Kind::Sub(NoArgs {}) => Op::Sub,
            Kind::Reshape(ReshapeArgs { shape }) => Op::Reshape { shape },
            Kind::Flatten(NoArgs {}) => Op::Reshape { shape: vec![n_in] },
            Kind::Concat(ConcatArgs { axis }) => Op::Concat { axis },
            Kind::Relu(NoArgs {}) => Op::Relu,
            Kind::LeakyRelu(LeakyReluArgs { alpha }) => Op::LeakyRelu { alpha },
            Kind::Prelu(PreluArgs { slope }) => Op::PRelu {
                slope: broadcast(&name, opname, slope, n_in)?,
            },
            Kind::Abs(NoArgs {}) => Op::Abs,
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
        Kind::Dense(_) => "dense",
        Kind::Conv2d(_) => "conv2d",
        Kind::Pad(_) => "pad",
        Kind::AvgPool(_) => "avg_pool",
        Kind::GlobalAvgPool(_) => "global_avg_pool",
        Kind::MaxPool(_) => "max_pool",
        Kind::Maxout(_) => "maxout",
        Kind::Scale(_) => "scale",
        Kind::Divide(_) => "divide",
        Kind::AddConst(_) => "add_const",
        Kind::Add(_) => "add",
        Kind::Sub(_) => "sub",
        Kind::Reshape(_) => "reshape",
        Kind::Flatten(_) => "flatten",
        Kind::Concat(_) => "concat",
        Kind::Relu(_) => "relu",
        Kind::LeakyRelu(_) => "leaky_relu",
        Kind::Prelu(_) => "prelu",
        Kind::Abs(_) => "abs",
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
                } => Kind::Dense(DenseArgs {
                    weight: weight
                        .chunks((*in_features).max(1))
                        .map(|r| r.to_vec())
                        .collect(),
                    bias: Some(bias.clone()),
                }),
                Op::Conv2d {
                    weight,
                    bias,
                    out_channels,
                    groups,
                    window,
                } => Kind::Conv2d(Conv2dArgs {
                    out_channels: *out_channels,
                    kernel: window.kernel,
                    weight: weight.clone(),
                    bias: Some(bias.clone()),
                    stride: window.stride,
                    pads: window.pads,
                    dilation: window.dilation,
                    groups: *groups,
                }),
                Op::Pad { pads } => Kind::Pad(PadArgs { pads: pads.clone() }),
                Op::AvgPool {
                    window,
                    count_include_pad,
                } => Kind::AvgPool(AvgPoolArgs {
                    kernel: window.kernel,
                    stride: window.stride,
                    pads: window.pads,
                    count_include_pad: *count_include_pad,
                }),
                Op::Scale { factor } => Kind::Scale(ScaleArgs {
                    factor: Values::Vec(factor.clone()),
                }),
                Op::Divide { divisor } => Kind::Divide(DivideArgs {
                    divisor: Values::Vec(divisor.clone()),
                }),
                Op::AddConst { constant } => Kind::AddConst(AddConstArgs {
                    constant: Values::Vec(constant.clone()),
                }),
                Op::Add => Kind::Add(NoArgs {}),
                Op::Sub => Kind::Sub(NoArgs {}),
                Op::Reshape { shape } => Kind::Reshape(ReshapeArgs {
                    shape: shape.clone(),
                }),
                Op::Concat { axis } => Kind::Concat(ConcatArgs { axis: *axis }),
                Op::Relu => Kind::Relu(NoArgs {}),
                Op::LeakyRelu { alpha } => Kind::LeakyRelu(LeakyReluArgs { alpha: *alpha }),
                Op::PRelu { slope } => Kind::Prelu(PreluArgs {
                    slope: Values::Vec(slope.clone()),
                }),
                Op::Abs => Kind::Abs(NoArgs {}),
                Op::MaxPool { window } => Kind::MaxPool(MaxPoolArgs {
                    kernel: window.kernel,
                    stride: window.stride,
                    pads: window.pads,
                    dilation: window.dilation,
                }),
                Op::Maxout { axis, pieces } => Kind::Maxout(MaxoutArgs {
                    pieces: *pieces,
                    axis: Some(*axis),
                }),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every op with every field it documents, written out.
    const ALL_FIELDS: &str = r#"{
      "format": "splinecam-model", "version": 1, "input_shape": [1, 1, 4, 4],
      "ops": [
        {"op": "conv2d", "name": "c", "inputs": ["input"], "out_channels": 2, "kernel": [1, 1],
         "weight": [1, -1], "bias": [0, 0.5], "stride": [1, 1], "pads": [0, 0, 0, 0],
         "dilation": [1, 1], "groups": 1},
        {"op": "pad", "pads": [[0, 0], [0, 0], [1, 1], [1, 1]]},
        {"op": "avg_pool", "kernel": [2, 2], "stride": [2, 2], "pads": [0, 0, 0, 0],
         "count_include_pad": false},
        {"op": "max_pool", "name": "mp", "kernel": [2, 2], "stride": [1, 1], "pads": [0, 0, 0, 0],
         "dilation": [1, 1]},
        {"op": "global_avg_pool", "name": "g", "inputs": ["mp"]},
        {"op": "flatten", "inputs": ["mp"]},
        {"op": "maxout", "pieces": 2, "axis": 0},
        {"op": "scale", "factor": 2},
        {"op": "divide", "divisor": [1, 2, 4, 8]},
        {"op": "add_const", "name": "ac", "constant": [0.5]},
        {"op": "relu", "name": "r"},
        {"op": "add", "inputs": ["ac", "r"]},
        {"op": "sub", "name": "s", "inputs": ["ac", "r"]},
        {"op": "reshape", "name": "rs", "shape": [2, 2]},
        {"op": "concat", "axis": 0, "inputs": ["rs", "rs"]},
        {"op": "leaky_relu", "alpha": 0.125},
        {"op": "prelu", "slope": 0.25},
        {"op": "abs"},
        {"op": "flatten"},
        {"op": "dense", "name": "out", "weight": [[1, -1, 1, -1, 1, -1, 1, -1]], "bias": [0.25]}
      ],
      "output": "out",
      "output_transform": "sigmoid"
    }"#;

    #[test]
    fn every_documented_field_is_accepted_and_round_trips() {
        let net = from_str(ALL_FIELDS).expect("all fields");
        let ops: HashSet<&str> = net.nodes().iter().map(|n| n.op.name()).collect();
        assert!(ops.len() >= 15, "{ops:?}");
        let text = net.to_json();
        assert_eq!(from_str(&text).expect("round trip").to_json(), text);
    }

    #[test]
    fn every_op_is_dispatched() {
        for op in OPS {
            let text = format!(r#"{{"op":"{op}"}}"#);
            let r = parse_kind(op, &text).unwrap_or_else(|| panic!("{op} not dispatched"));
            if let Ok((_, kind)) = r {
                assert_eq!(kind_name(&kind), op);
            }
        }
        assert!(parse_kind("tanh", r#"{"op":"tanh"}"#).is_none());
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("bais", &["weight", "bias"]),
            " (did you mean \"bias\"?)"
        );
        assert_eq!(
            did_you_mean("wieghts", &["weight", "bias"]),
            " (did you mean \"weight\"?)"
        );
        assert_eq!(did_you_mean("Relu", &OPS), " (did you mean \"relu\"?)");
        assert_eq!(
            did_you_mean("maxpool", &OPS),
            " (did you mean \"max_pool\"?)"
        );
        assert_eq!(did_you_mean("tanh", &OPS), "");
        assert_eq!(did_you_mean("x", &["weight", "bias"]), "");
        assert_eq!(edit_distance("abc", "acb"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(quoted_list(&[]), "");
        assert_eq!(quoted_list(&["a"]), "\"a\"");
        assert_eq!(quoted_list(&["a", "b", "c"]), "\"a\", \"b\" and \"c\"");
    }

    #[test]
    fn positions() {
        assert_eq!(strip_position("bad at line 3 column 17"), "bad");
        assert_eq!(
            strip_position("bad at line x column 17"),
            "bad at line x column 17"
        );
        assert_eq!(strip_position("bad"), "bad");
        let text = "ab\ncd\n  ef";
        let mut lc = LineCounter::new(text);
        assert_eq!(lc.position(&text[0..1]), (1, 1));
        assert_eq!(lc.position(&text[4..5]), (2, 2));
        assert_eq!(lc.position(&text[8..]), (3, 3));
        // Going back starts over; a string from elsewhere has no position.
        assert_eq!(lc.position(&text[1..2]), (1, 2));
        assert_eq!(lc.position(&String::from("elsewhere")), (0, 0));
    }
}
