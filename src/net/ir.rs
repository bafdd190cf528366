//! The network graph: tensors with static shapes and a topologically ordered
//! list of nodes.

use super::error::NetError;

/// Index of a tensor of a [`Network`]. Tensor 0 is the network input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(pub u32);

impl TensorId {
    /// The index as `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Geometry of a 2-D window operation (convolution or pooling) over the last
/// three axes `[C, H, W]` of a tensor whose leading axes are all 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window2d {
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Strides (height, width), each >= 1.
    pub stride: [usize; 2],
    /// Zero padding `[top, left, bottom, right]` (ONNX order `[h_begin, w_begin, h_end, w_end]`).
    pub pads: [usize; 4],
    /// Dilations (height, width), each >= 1.
    pub dilation: [usize; 2],
}

impl Window2d {
    /// A window with the given kernel, stride 1, no padding, no dilation.
    pub fn kernel(kh: usize, kw: usize) -> Self {
        Window2d {
            kernel: [kh, kw],
            stride: [1, 1],
            pads: [0; 4],
            dilation: [1, 1],
        }
    }

    /// Output size `(oh, ow)` for an input of size `(h, w)`, or `None` if the
    /// window does not fit or a parameter is zero.
    pub fn output_size(&self, h: usize, w: usize) -> Option<(usize, usize)> {
        if self.kernel.contains(&0) || self.stride.contains(&0) || self.dilation.contains(&0) {
            return None;
        }
        let eh = self.dilation[0]
            .checked_mul(self.kernel[0] - 1)?
            .checked_add(1)?;
        let ew = self.dilation[1]
            .checked_mul(self.kernel[1] - 1)?
            .checked_add(1)?;
        let ph = h.checked_add(self.pads[0])?.checked_add(self.pads[2])?;
        let pw = w.checked_add(self.pads[1])?.checked_add(self.pads[3])?;
        if ph < eh || pw < ew {
            return None;
        }
        Some((
            (ph - eh) / self.stride[0] + 1,
            (pw - ew) / self.stride[1] + 1,
        ))
    }
}

impl Window2d {
    /// The output size for an input of size `(h, w)`, or why the window does
    /// not fit it (for error messages: which parameter is zero, or how far
    /// the window spans).
    pub fn fit(&self, h: usize, w: usize) -> Result<(usize, usize), String> {
        let [kh, kw] = self.kernel;
        let [sh, sw] = self.stride;
        let [dh, dw] = self.dilation;
        if kh == 0 || kw == 0 {
            return Err(format!("the kernel is {kh}x{kw}: it must be at least 1x1"));
        }
        if sh == 0 || sw == 0 {
            return Err(format!(
                "the stride is {sh}x{sw}: it must be at least 1 in each direction"
            ));
        }
        if dh == 0 || dw == 0 {
            return Err(format!(
                "the dilation is {dh}x{dw}: it must be at least 1 in each direction"
            ));
        }
        self.output_size(h, w).ok_or_else(|| {
            format!("the window ({self}) spans more than the input {h}x{w} with its padding")
        })
    }
}

impl std::fmt::Display for Window2d {
    /// `kernel 3x3, stride 1x1, pads [0, 0, 0, 0], dilation 1x1`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ([kh, kw], [sh, sw], [dh, dw]) = (self.kernel, self.stride, self.dilation);
        write!(
            f,
            "kernel {kh}x{kw}, stride {sh}x{sw}, pads {:?} (top, left, bottom, right), dilation {dh}x{dw}",
            self.pads
        )
    }
}

/// A monotone output transform that is recorded but skipped for geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputTransform {
    /// A final softmax (over the last axis).
    Softmax,
    /// A final logistic sigmoid.
    Sigmoid,
    /// A final log-softmax.
    LogSoftmax,
}

/// One operation of the IR.
///
/// Shapes: every tensor has a static shape (the ONNX shape with the batch
/// dimension fixed to 1). Window operations (conv, pools) act on the last three
/// axes `[C, H, W]` and require all leading axes to be 1. Constant operands are
/// stored broadcast to the full shape of the tensor they act on, flattened in
/// row-major order. All weights are finite `f64` (an `f32` weight converts
/// exactly); the analysed network is the one whose weights are exactly these
/// floats.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// `y[.., o] = sum_i weight[o * in_features + i] * x[.., i] + bias[o]`, along the last axis.
    Dense {
        /// Row-major `out_features x in_features` matrix.
        weight: Vec<f64>,
        /// `out_features` biases.
        bias: Vec<f64>,
        /// Size of the input's last axis.
        in_features: usize,
        /// Size of the output's last axis.
        out_features: usize,
    },
    /// 2-D cross-correlation (ONNX `Conv`) with zero padding.
    Conv2d {
        /// Weights `[out_channels, in_channels / groups, kh, kw]`, row-major.
        weight: Vec<f64>,
        /// `out_channels` biases.
        bias: Vec<f64>,
        /// Number of output channels.
        out_channels: usize,
        /// Number of groups (`in_channels` and `out_channels` divisible by it).
        groups: usize,
        /// Kernel, strides, padding, dilation.
        window: Window2d,
    },
    /// Constant zero padding: `(before, after)` per axis.
    Pad {
        /// Padding per axis.
        pads: Vec<(usize, usize)>,
    },
    /// Average pooling over `[H, W]` windows.
    AvgPool {
        /// Window geometry (dilation must be 1).
        window: Window2d,
        /// Divide by the full kernel size (`true`) or by the number of non-padding cells (`false`).
        count_include_pad: bool,
    },
    /// Element-wise multiplication by a constant (full shape).
    Scale {
        /// Factors.
        factor: Vec<f64>,
    },
    /// Element-wise division by a nonzero constant (full shape); exact in rationals.
    Divide {
        /// Divisors.
        divisor: Vec<f64>,
    },
    /// Element-wise addition of a constant (full shape).
    AddConst {
        /// The constant.
        constant: Vec<f64>,
    },
    /// Sum of two tensors of equal shape.
    Add,
    /// Difference `a - b` of two tensors of equal shape.
    Sub,
    /// Row-major reshape (Flatten, Reshape).
    Reshape {
        /// Output shape.
        shape: Vec<usize>,
    },
    /// Concatenation of the inputs along an axis.
    Concat {
        /// The axis.
        axis: usize,
    },
    /// `max(x, 0)`.
    Relu,
    /// `x` if `x > 0`, else `alpha * x`.
    LeakyRelu {
        /// Negative slope.
        alpha: f64,
    },
    /// `x` if `x > 0`, else `slope * x` (constant slope, full shape).
    PRelu {
        /// Negative slopes.
        slope: Vec<f64>,
    },
    /// `|x|`.
    Abs,
    /// Max pooling over `[H, W]` windows; padding cells are ignored.
    MaxPool {
        /// Window geometry.
        window: Window2d,
    },
    /// Maxout: along `axis`, output unit `j` is the max of input units
    /// `j*pieces .. (j+1)*pieces`.
    Maxout {
        /// The axis that is grouped.
        axis: usize,
        /// Group size (>= 1).
        pieces: usize,
    },
}

/// What an operation means to the partition engine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OpClass {
    /// An affine map of its inputs (apply it to the three tensors of a form).
    Linear,
    /// An element-wise piecewise-linear activation with one breakpoint at 0:
    /// each neuron of the input tensor is a line that cuts faces.
    Activation(ActKind),
    /// A max over windows of input units (max-pool, maxout).
    Max,
}

/// Element-wise activation kinds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ActKind {
    /// ReLU: state 1 (on) iff `x > 0`.
    Relu,
    /// Leaky ReLU: state 1 iff `x > 0`, else slope `alpha`.
    LeakyRelu,
    /// PReLU with per-element constant slopes: state 1 iff `x > 0`.
    PRelu,
    /// Absolute value: state 1 iff `x >= 0` (0 counts as positive), state 0 if `x < 0`.
    Abs,
}

impl Op {
    /// A short name of the operation (as used in the JSON format).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Dense { .. } => "dense",
            Op::Conv2d { .. } => "conv2d",
            Op::Pad { .. } => "pad",
            Op::AvgPool { .. } => "avg_pool",
            Op::Scale { .. } => "scale",
            Op::Divide { .. } => "divide",
            Op::AddConst { .. } => "add_const",
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Reshape { .. } => "reshape",
            Op::Concat { .. } => "concat",
            Op::Relu => "relu",
            Op::LeakyRelu { .. } => "leaky_relu",
            Op::PRelu { .. } => "prelu",
            Op::Abs => "abs",
            Op::MaxPool { .. } => "max_pool",
            Op::Maxout { .. } => "maxout",
        }
    }

    /// The class of the operation.
    pub fn class(&self) -> OpClass {
        match self {
            Op::Relu => OpClass::Activation(ActKind::Relu),
            Op::LeakyRelu { .. } => OpClass::Activation(ActKind::LeakyRelu),
            Op::PRelu { .. } => OpClass::Activation(ActKind::PRelu),
            Op::Abs => OpClass::Activation(ActKind::Abs),
            Op::MaxPool { .. } | Op::Maxout { .. } => OpClass::Max,
            _ => OpClass::Linear,
        }
    }

    /// Number of tensor inputs the op takes (`None`: one or more).
    pub fn arity(&self) -> Option<usize> {
        match self {
            Op::Add | Op::Sub => Some(2),
            Op::Concat { .. } => None,
            _ => Some(1),
        }
    }
}

/// One node: an op applied to tensors, producing one tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Name (from the ONNX node, or generated).
    pub name: String,
    /// The operation.
    pub op: Op,
    /// Input tensors.
    pub inputs: Vec<TensorId>,
    /// Output tensor (always a new tensor, numbered after the inputs).
    pub output: TensorId,
    /// For max ops: per output unit, the flat input indices it takes the max of
    /// (ascending); empty for other ops.
    pub windows: Vec<Vec<u32>>,
    /// Activation layer index (position among activation and max nodes), if any.
    pub layer: Option<usize>,
}

/// A validated network: static shapes, finite weights, topological order.
///
/// Cloning is cheap: the nodes (with their weights) and the lazily built
/// caches are shared between clones.
#[derive(Clone, Debug)]
pub struct Network {
    shapes: Vec<Vec<usize>>,
    nodes: std::sync::Arc<[Node]>,
    output: TensorId,
    transform: Option<OutputTransform>,
    last_use: Vec<usize>,
    layers: Vec<usize>,
    pub(crate) cache: std::sync::Arc<super::forward::Caches>,
}

/// Incrementally builds a [`Network`], inferring and checking shapes.
#[derive(Clone, Debug)]
pub struct NetworkBuilder {
    shapes: Vec<Vec<usize>>,
    nodes: Vec<Node>,
    layers: Vec<usize>,
}

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

fn check_finite(node: &str, op: &str, what: &str, v: &[f64]) -> Result<(), NetError> {
    if v.iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(NetError::NonFinite {
            node: node.into(),
            op: op.into(),
            what: what.into(),
        })
    }
}

/// Splits a shape into `(C, H, W)` if its leading axes are all 1.
fn chw(shape: &[usize]) -> Option<(usize, usize, usize)> {
    let n = shape.len();
    if n < 3 || shape[..n - 3].iter().any(|&d| d != 1) {
        return None;
    }
    Some((shape[n - 3], shape[n - 2], shape[n - 1]))
}

fn with_chw(shape: &[usize], c: usize, h: usize, w: usize) -> Vec<usize> {
    let mut s = shape.to_vec();
    let n = s.len();
    s[n - 3] = c;
    s[n - 2] = h;
    s[n - 1] = w;
    s
}

/// Per output unit, the flat input indices of its pooling window (padding excluded).
pub(crate) fn pool_windows(
    c: usize,
    h: usize,
    w: usize,
    win: &Window2d,
    oh: usize,
    ow: usize,
) -> Vec<Vec<u32>> {
    let mut out = Vec::with_capacity(c * oh * ow);
    for ch in 0..c {
        for oy in 0..oh {
            for ox in 0..ow {
                let mut v = Vec::new();
                for ki in 0..win.kernel[0] {
                    let iy =
                        (oy * win.stride[0] + ki * win.dilation[0]) as isize - win.pads[0] as isize;
                    if iy < 0 || iy >= h as isize {
                        continue;
                    }
                    for kj in 0..win.kernel[1] {
                        let ix = (ox * win.stride[1] + kj * win.dilation[1]) as isize
                            - win.pads[1] as isize;
                        if ix < 0 || ix >= w as isize {
                            continue;
                        }
                        v.push(((ch * h + iy as usize) * w + ix as usize) as u32);
                    }
                }
                out.push(v);
            }
        }
    }
    out
}

impl NetworkBuilder {
    /// Starts a network whose input (tensor 0) has the given shape.
    pub fn new(input_shape: Vec<usize>) -> Result<Self, NetError> {
        if input_shape.is_empty() || input_shape.contains(&0) {
            return Err(NetError::Model(format!(
                "input shape {input_shape:?} must be non-empty with positive dimensions"
            )));
        }
        if numel(&input_shape) > u32::MAX as usize / 2 {
            return Err(NetError::Model("input too large".into()));
        }
        Ok(NetworkBuilder {
            shapes: vec![input_shape],
            nodes: Vec::new(),
            layers: Vec::new(),
        })
    }

    /// Shape of a tensor built so far.
    pub fn shape(&self, t: TensorId) -> Option<&[usize]> {
        self.shapes.get(t.index()).map(|s| s.as_slice())
    }

    /// Nodes pushed so far.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Replaces the op of an earlier node with one of the same output shape
    /// (used to fold batch-norm and biases); the new op is checked.
    pub(crate) fn replace_op(&mut self, index: usize, op: Op) -> Result<(), NetError> {
        let node = self
            .nodes
            .get(index)
            .ok_or_else(|| NetError::Argument("no such node".into()))?
            .clone();
        let in_shapes: Vec<Vec<usize>> = node
            .inputs
            .iter()
            .map(|t| self.shapes[t.index()].clone())
            .collect();
        let (shape, windows) = infer(&node.name, &op, &in_shapes)?;
        if shape != self.shapes[node.output.index()] {
            return Err(NetError::shape(
                &node.name,
                op.name(),
                "replacement changes the output shape",
            ));
        }
        let n = &mut self.nodes[index];
        n.op = op;
        n.windows = windows;
        Ok(())
    }

    /// Appends a node; checks arity, shapes and weights; returns its output tensor.
    pub fn push(
        &mut self,
        name: impl Into<String>,
        op: Op,
        inputs: Vec<TensorId>,
    ) -> Result<TensorId, NetError> {
        let name = name.into();
        let opn = op.name();
        match op.arity() {
            Some(k) if inputs.len() != k => {
                return Err(NetError::invalid(
                    &name,
                    opn,
                    format!("expects {k} input tensor(s), got {}", inputs.len()),
                ))
            }
            None if inputs.is_empty() => {
                return Err(NetError::invalid(&name, opn, "needs at least one input"))
            }
            _ => {}
        }
        let mut in_shapes = Vec::with_capacity(inputs.len());
        for t in &inputs {
            match self.shapes.get(t.index()) {
                Some(s) => in_shapes.push(s.clone()),
                None => {
                    return Err(NetError::MissingInput {
                        node: name,
                        op: opn.into(),
                        input: format!("tensor #{}", t.0),
                    })
                }
            }
        }
        let (shape, windows) = infer(&name, &op, &in_shapes)?;
        if numel(&shape) > u32::MAX as usize / 2 {
            return Err(NetError::shape(&name, opn, "tensor too large"));
        }
        let output = TensorId(self.shapes.len() as u32);
        let layer = match op.class() {
            OpClass::Linear => None,
            _ => {
                self.layers.push(self.nodes.len());
                Some(self.layers.len() - 1)
            }
        };
        self.shapes.push(shape);
        self.nodes.push(Node {
            name,
            op,
            inputs,
            output,
            windows,
            layer,
        });
        Ok(output)
    }

    /// Finishes the network with the given output tensor.
    ///
    /// Nodes that the output does not depend on (everything after an
    /// intermediate output, a branch that leads nowhere) are dropped: the
    /// network is the function that computes its output, and a dead node's
    /// ReLU would otherwise cut regions the output never sees. The kept
    /// nodes are renumbered in order (tensors and activation layers).
    pub fn finish(
        self,
        output: TensorId,
        transform: Option<OutputTransform>,
    ) -> Result<Network, NetError> {
        if output.index() >= self.shapes.len() {
            return Err(NetError::Model(format!(
                "output tensor #{} does not exist",
                output.0
            )));
        }
        // Tensor `k > 0` is the output of node `k - 1` (`push`).
        let mut live = vec![false; self.shapes.len()];
        live[output.index()] = true;
        for n in self.nodes.iter().rev() {
            if live[n.output.index()] {
                for t in &n.inputs {
                    live[t.index()] = true;
                }
            }
        }
        if self.nodes.iter().any(|n| !live[n.output.index()]) {
            let mut b = NetworkBuilder::new(self.shapes[0].clone())?;
            let mut map: Vec<Option<TensorId>> = vec![None; self.shapes.len()];
            map[0] = Some(TensorId(0));
            for n in self.nodes {
                if !live[n.output.index()] {
                    continue;
                }
                let inputs = n
                    .inputs
                    .iter()
                    .map(|t| map[t.index()].expect("a live node's inputs are live"))
                    .collect();
                map[n.output.index()] = Some(b.push(n.name, n.op, inputs)?);
            }
            let output = map[output.index()].expect("the output is live");
            return b.finish(output, transform);
        }
        let mut last_use = vec![0usize; self.shapes.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            for t in &n.inputs {
                last_use[t.index()] = i;
            }
        }
        last_use[output.index()] = usize::MAX;
        Ok(Network {
            shapes: self.shapes,
            nodes: self.nodes.into(),
            output,
            transform,
            last_use,
            layers: self.layers,
            cache: Default::default(),
        })
    }
}

/// Infers the output shape (and max windows) of `op` on inputs of the given shapes.
fn infer(name: &str, op: &Op, ins: &[Vec<usize>]) -> Result<(Vec<usize>, Vec<Vec<u32>>), NetError> {
    let opn = op.name();
    let s0 = &ins[0];
    let n0 = numel(s0);
    let full = |what: &str, v: &[f64]| -> Result<(), NetError> {
        if v.len() != n0 {
            return Err(NetError::shape(
                name,
                opn,
                format!("{what} has {} values, the input {:?} has {n0}", v.len(), s0),
            ));
        }
        check_finite(name, opn, what, v)
    };
    let out = match op {
        Op::Dense {
            weight,
            bias,
            in_features,
            out_features,
        } => {
            let last = *s0.last().unwrap_or(&0);
            if last != *in_features {
                return Err(NetError::shape(
                    name,
                    opn,
                    format!("input shape {s0:?} does not end in in_features = {in_features}"),
                ));
            }
            if *out_features == 0
                || weight.len() != in_features * out_features
                || bias.len() != *out_features
            {
                return Err(NetError::shape(
                    name,
                    opn,
                    format!(
                        "weight has {} values and bias {}, expected {}x{} and {}",
                        weight.len(),
                        bias.len(),
                        out_features,
                        in_features,
                        out_features
                    ),
                ));
            }
            check_finite(name, opn, "weight", weight)?;
            check_finite(name, opn, "bias", bias)?;
            let mut s = s0.clone();
            let k = s.len() - 1;
            s[k] = *out_features;
            s
        }
        Op::Conv2d {
            weight,
            bias,
            out_channels,
            groups,
            window,
        } => {
            let (c, h, w) = chw(s0).ok_or_else(|| {
                NetError::shape(name, opn, format!("input {s0:?} must be [1, C, H, W]"))
            })?;
            if *groups == 0 || c % groups != 0 || out_channels % groups != 0 || *out_channels == 0 {
                return Err(NetError::shape(name, opn, format!("{c} input and {out_channels} output channels are not divisible into {groups} groups")));
            }
            let (oh, ow) = window
                .fit(h, w)
                .map_err(|msg| NetError::shape(name, opn, msg))?;
            let per = c / groups * window.kernel[0] * window.kernel[1];
            if weight.len() != out_channels * per || bias.len() != *out_channels {
                return Err(NetError::shape(name, opn, format!("weight has {} values (expected {}), bias {} (expected {out_channels}) for input channels {c}", weight.len(), out_channels * per, bias.len())));
            }
            check_finite(name, opn, "weight", weight)?;
            check_finite(name, opn, "bias", bias)?;
            with_chw(s0, *out_channels, oh, ow)
        }
        Op::Pad { pads } => {
            if pads.len() != s0.len() {
                return Err(NetError::shape(
                    name,
                    opn,
                    format!("{} pad pairs for rank {}", pads.len(), s0.len()),
                ));
            }
            s0.iter().zip(pads).map(|(d, (a, b))| d + a + b).collect()
        }
        Op::AvgPool { window, .. } => {
            let (c, h, w) = chw(s0).ok_or_else(|| {
                NetError::shape(name, opn, format!("input {s0:?} must be [1, C, H, W]"))
            })?;
            if window.dilation != [1, 1] {
                return Err(NetError::unsupported(name, opn, "dilated average pooling"));
            }
            // A zero kernel first (its padding is then never smaller).
            let (oh, ow) = window
                .fit(h, w)
                .map_err(|msg| NetError::shape(name, opn, msg))?;
            if window.pads[0] >= window.kernel[0]
                || window.pads[2] >= window.kernel[0]
                || window.pads[1] >= window.kernel[1]
                || window.pads[3] >= window.kernel[1]
            {
                return Err(NetError::shape(
                    name,
                    opn,
                    "padding must be smaller than the kernel",
                ));
            }
            with_chw(s0, c, oh, ow)
        }
        Op::Scale { factor } => {
            full("factor", factor)?;
            s0.clone()
        }
        Op::Divide { divisor } => {
            full("divisor", divisor)?;
            if divisor.contains(&0.0) {
                return Err(NetError::invalid(name, opn, "division by zero"));
            }
            s0.clone()
        }
        Op::AddConst { constant } => {
            full("constant", constant)?;
            s0.clone()
        }
        Op::Add | Op::Sub => {
            if ins[1] != *s0 {
                return Err(NetError::shape(name, opn, format!("operand shapes {:?} and {:?} differ (broadcasting between two tensors is not supported)", s0, ins[1])));
            }
            s0.clone()
        }
        Op::Reshape { shape } => {
            if numel(shape) != n0 || shape.is_empty() {
                return Err(NetError::shape(
                    name,
                    opn,
                    format!("cannot reshape {s0:?} to {shape:?}"),
                ));
            }
            shape.clone()
        }
        Op::Concat { axis } => {
            if *axis >= s0.len() {
                return Err(NetError::shape(
                    name,
                    opn,
                    format!("axis {axis} out of range for rank {}", s0.len()),
                ));
            }
            let mut s = s0.clone();
            for other in &ins[1..] {
                if other.len() != s0.len()
                    || other
                        .iter()
                        .enumerate()
                        .any(|(i, d)| i != *axis && *d != s0[i])
                {
                    return Err(NetError::shape(
                        name,
                        opn,
                        format!("cannot concatenate {s0:?} and {other:?} along axis {axis}"),
                    ));
                }
                s[*axis] += other[*axis];
            }
            s
        }
        Op::Relu | Op::Abs => s0.clone(),
        Op::LeakyRelu { alpha } => {
            check_finite(name, opn, "alpha", &[*alpha])?;
            s0.clone()
        }
        Op::PRelu { slope } => {
            full("slope", slope)?;
            s0.clone()
        }
        Op::MaxPool { window } => {
            let (c, h, w) = chw(s0).ok_or_else(|| {
                NetError::shape(name, opn, format!("input {s0:?} must be [1, C, H, W]"))
            })?;
            let (oh, ow) = window
                .fit(h, w)
                .map_err(|msg| NetError::shape(name, opn, msg))?;
            let wins = pool_windows(c, h, w, window, oh, ow);
            if wins.iter().any(|v| v.is_empty()) {
                return Err(NetError::shape(
                    name,
                    opn,
                    "a pooling window lies entirely in the padding",
                ));
            }
            return Ok((with_chw(s0, c, oh, ow), wins));
        }
        Op::Maxout { axis, pieces } => {
            if *axis >= s0.len() || *pieces == 0 || s0[*axis] % pieces != 0 {
                return Err(NetError::shape(
                    name,
                    opn,
                    format!("axis {axis} of {s0:?} is not divisible into groups of {pieces}"),
                ));
            }
            let mut s = s0.clone();
            s[*axis] /= pieces;
            let outer: usize = s0[..*axis].iter().product();
            let inner: usize = s0[axis + 1..].iter().product();
            let m = s[*axis];
            let mut wins = Vec::with_capacity(numel(&s));
            for o in 0..outer {
                for j in 0..m {
                    for i in 0..inner {
                        wins.push(
                            (0..*pieces)
                                .map(|p| (((o * s0[*axis]) + j * pieces + p) * inner + i) as u32)
                                .collect(),
                        );
                    }
                }
            }
            return Ok((s, wins));
        }
    };
    Ok((out, Vec::new()))
}

impl Network {
    /// Shape of the input tensor.
    pub fn input_shape(&self) -> &[usize] {
        &self.shapes[0]
    }
    /// Number of input values.
    pub fn input_len(&self) -> usize {
        numel(&self.shapes[0])
    }
    /// The output tensor.
    pub fn output(&self) -> TensorId {
        self.output
    }
    /// Shape of the output tensor.
    pub fn output_shape(&self) -> &[usize] {
        &self.shapes[self.output.index()]
    }
    /// The recorded (skipped) monotone output transform, if any.
    pub fn output_transform(&self) -> Option<OutputTransform> {
        self.transform
    }
    /// Shape of a tensor.
    pub fn shape(&self, t: TensorId) -> &[usize] {
        &self.shapes[t.index()]
    }
    /// Number of elements of a tensor.
    pub fn len_of(&self, t: TensorId) -> usize {
        numel(&self.shapes[t.index()])
    }
    /// Number of tensors (input, node outputs).
    pub fn num_tensors(&self) -> usize {
        self.shapes.len()
    }
    /// The nodes, in topological (evaluation) order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    /// Indices (into [`Network::nodes`]) of the activation and max nodes: one per pattern layer.
    pub fn layer_nodes(&self) -> &[usize] {
        &self.layers
    }
    /// Index of the last node reading tensor `t` (`usize::MAX` for the output);
    /// after that node a form of `t` can be dropped.
    pub fn last_use(&self, t: TensorId) -> usize {
        self.last_use[t.index()]
    }

    /// Re-checks every invariant (shapes, arity, finite weights, windows, order).
    pub fn validate(&self) -> Result<(), NetError> {
        let mut b = NetworkBuilder::new(self.shapes[0].clone())?;
        for n in self.nodes.iter() {
            if n.inputs.iter().any(|t| t.index() >= b.shapes.len()) {
                return Err(NetError::MissingInput {
                    node: n.name.clone(),
                    op: n.op.name().into(),
                    input: "a later tensor".into(),
                });
            }
            let t = b.push(n.name.clone(), n.op.clone(), n.inputs.clone())?;
            if t != n.output
                || b.shapes[t.index()] != self.shapes[t.index()]
                || b.nodes[b.nodes.len() - 1].windows != n.windows
            {
                return Err(NetError::shape(
                    &n.name,
                    n.op.name(),
                    "stored shape or windows differ from inferred",
                ));
            }
        }
        if b.shapes.len() != self.shapes.len() || self.output.index() >= self.shapes.len() {
            return Err(NetError::Model(
                "tensor count or output inconsistent".into(),
            ));
        }
        Ok(())
    }
}
