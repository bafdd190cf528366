//! Errors of the network IR, loaders and passes.

/// Everything that can go wrong while loading, checking or evaluating a network.
///
/// Loader errors name the node (its ONNX name, or `#index` when it has none),
/// its operator and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The bytes are not a valid ONNX protobuf (truncated or corrupt file).
    #[error("could not decode the ONNX protobuf: {0} (the file is truncated or not an ONNX model; re-export it)")]
    Decode(String),
    /// The JSON model is malformed or has the wrong format tag or version.
    #[error("invalid splinecam JSON model: {0}")]
    Json(String),
    /// An op of a JSON model does not match the format: a missing, unknown
    /// or mistyped field, or a missing or unknown `"op"`.
    #[error("invalid splinecam JSON model: {}: {msg}", json_node_label(*.index, .name.as_deref(), .op.as_deref(), *.line, *.column))]
    JsonNode {
        /// The op's index in `"ops"` (0-based).
        index: usize,
        /// The op's `"name"`, if it has one.
        name: Option<String>,
        /// The op's `"op"`, if it is a known operation.
        op: Option<String>,
        /// 1-based line of the error in the file (0: unknown).
        line: usize,
        /// 1-based column (in bytes) of the error in the file.
        column: usize,
        /// What is wrong and what is expected.
        msg: String,
    },
    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path that could not be read.
        path: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A problem with the model as a whole (opset, graph inputs or outputs).
    #[error("model: {0}")]
    Model(String),
    /// An operator that is not piecewise linear where geometry is needed.
    #[error("node '{node}' ({op}) is not piecewise linear: {msg}")]
    NotPiecewiseLinear {
        /// Node name.
        node: String,
        /// Operator type.
        op: String,
        /// Explanation and advice.
        msg: String,
    },
    /// An operator, attribute or attribute value that is not supported.
    #[error("node '{node}' ({op}): unsupported: {msg}")]
    Unsupported {
        /// Node name.
        node: String,
        /// Operator type.
        op: String,
        /// What is unsupported and what to do.
        msg: String,
    },
    /// Shapes that do not fit together, or a shape that cannot be resolved statically.
    #[error("node '{node}' ({op}): shape error: {msg}")]
    Shape {
        /// Node name.
        node: String,
        /// Operator type.
        op: String,
        /// Details.
        msg: String,
    },
    /// A NaN or infinite weight or constant.
    #[error("node '{node}' ({op}): non-finite value in {what}; the analysis needs finite weights (check the export)")]
    NonFinite {
        /// Node name.
        node: String,
        /// Operator type.
        op: String,
        /// Which weight or constant.
        what: String,
    },
    /// An input of a node that is neither a graph input, an initializer nor an earlier output.
    #[error("node '{node}' ({op}): input '{input}' is not defined (missing initializer, or nodes not in topological order)")]
    MissingInput {
        /// Node name.
        node: String,
        /// Operator type.
        op: String,
        /// The undefined input name.
        input: String,
    },
    /// Any other invalid node (bad attribute value, wrong number of inputs, ...).
    #[error("node '{node}' ({op}): {msg}")]
    Invalid {
        /// Node name.
        node: String,
        /// Operator type.
        op: String,
        /// Details.
        msg: String,
    },
    /// A point or form given to a pass does not match the network.
    #[error("bad argument: {0}")]
    Argument(String),
}

impl NetError {
    pub(crate) fn shape(node: &str, op: &str, msg: impl Into<String>) -> Self {
        NetError::Shape {
            node: node.into(),
            op: op.into(),
            msg: msg.into(),
        }
    }
    pub(crate) fn invalid(node: &str, op: &str, msg: impl Into<String>) -> Self {
        NetError::Invalid {
            node: node.into(),
            op: op.into(),
            msg: msg.into(),
        }
    }
    pub(crate) fn unsupported(node: &str, op: &str, msg: impl Into<String>) -> Self {
        NetError::Unsupported {
            node: node.into(),
            op: op.into(),
            msg: msg.into(),
        }
    }
}

/// `node 2 ('fc1', dense) at line 3 column 17`.
fn json_node_label(
    index: usize,
    name: Option<&str>,
    op: Option<&str>,
    line: usize,
    column: usize,
) -> String {
    let what = match (name, op) {
        (Some(n), Some(o)) => format!(" ('{n}', {o})"),
        (Some(n), None) => format!(" ('{n}')"),
        (None, Some(o)) => format!(" ({o})"),
        (None, None) => String::new(),
    };
    let at = if line > 0 {
        format!(" at line {line} column {column}")
    } else {
        String::new()
    };
    format!("node {index}{what}{at}")
}
