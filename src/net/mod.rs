//! Network IR, loaders and passes.
//!
//! This module owns the computation graph of a piecewise-linear network
//! ([`Network`]: static shapes, topologically ordered [`Node`]s), its loaders
//! (ONNX in [`onnx`], the native JSON format in [`json`]), the f64 and exact
//! point forward passes with activation [`Pattern`]s, and affine-form
//! propagation ([`AffineForm`], [`ExactAffineForm`]) that the partition engine
//! drives op by op. It decides no geometric signs (that is `exact`'s job) and
//! knows nothing of meshes.
//!
//! Walking the graph for one face:
//!
//! ```
//! use splinecam::net::{json, AffineForm, OpClass};
//! let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
//!   "ops":[{"op":"dense","weight":[[1,-1],[0.5,2]],"bias":[0,1]},{"op":"relu"},
//!          {"op":"dense","weight":[[1,1]],"bias":[0]}]}"#).unwrap();
//! let (y, pattern) = net.forward_f64(&[0.5, 0.25]).unwrap();
//! let input = AffineForm::input(&[0.0, 0.0], &[1.0, 0.0], &[0.0, 1.0]).unwrap();
//! let out = net.propagate_f64(input, &pattern, |_layer, _pre| {}).unwrap();
//! assert!((out.eval(0, 0.5, 0.25) - y[0]).abs() < 1e-12);
//! assert_eq!(net.nodes()[1].op.class(), OpClass::Activation(splinecam::net::ActKind::Relu));
//! ```

pub mod affine;
pub mod dd;
pub mod error;
pub mod forward;
pub mod ir;
pub mod json;
mod kernels;
pub mod onnx;
pub mod points;
mod step;

pub use affine::{AffineForm, ExactAffineForm};
pub use error::NetError;
pub use forward::{ExactTensor, Pattern};
pub use ir::{
    ActKind, Network, NetworkBuilder, Node, Op, OpClass, OutputTransform, TensorId, Window2d,
};
