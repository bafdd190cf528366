//! Bad input: every case returns an error naming the node and operator, never a panic.

use protobuf::Message;
use splinecam::net::{json, onnx, NetError};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/net");
const ACAS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/models/acasxu/ACASXU_run2a_1_1_batch_2000.onnx"
);

fn load(name: &str) -> Result<splinecam::net::Network, NetError> {
    onnx::from_path(format!("{DIR}/{name}"))
}

#[test]
fn truncated_file() {
    let bytes = std::fs::read(ACAS).expect("read");
    for cut in [10, 100, bytes.len() / 2, bytes.len() - 3] {
        let e = onnx::from_bytes(&bytes[..cut]).expect_err("truncated must fail");
        assert!(
            matches!(
                e,
                NetError::Decode(_)
                    | NetError::Shape { .. }
                    | NetError::Model(_)
                    | NetError::MissingInput { .. }
            ),
            "{e}"
        );
    }
}

#[test]
fn corrupt_bytes() {
    let mut bytes = std::fs::read(ACAS).expect("read");
    for i in (0..bytes.len()).step_by(97) {
        bytes[i] ^= 0x5a;
    }
    assert!(onnx::from_bytes(&bytes).is_err());
    assert!(matches!(
        onnx::from_bytes(b"not an onnx file at all \xff\xff\xff"),
        Err(NetError::Decode(_))
    ));
    assert!(onnx::from_bytes(&[]).is_err());
    // Deterministic pseudo-random garbage never panics.
    let mut s = 12345u64;
    for len in [1usize, 7, 64, 1000] {
        let v: Vec<u8> = (0..len)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 56) as u8
            })
            .collect();
        let _ = onnx::from_bytes(&v);
    }
}

#[test]
fn tanh_in_the_middle_is_not_piecewise_linear() {
    let e = load("bad_tanh_middle.onnx").expect_err("tanh");
    assert!(
        matches!(&e, NetError::NotPiecewiseLinear { node, op, .. } if node == "act1" && op == "Tanh"),
        "{e}"
    );
    assert!(e.to_string().contains("not piecewise linear"));
}

#[test]
fn softmax_in_the_middle_is_not_piecewise_linear() {
    let mut m = onnx_protobuf::ModelProto::parse_from_bytes(
        &std::fs::read(format!("{DIR}/dense_ops.onnx")).expect("read"),
    )
    .expect("parse");
    m.graph.as_mut().expect("graph").node[1].op_type = "Softmax".into();
    let e = onnx::from_model(&m).expect_err("softmax");
    assert!(
        matches!(&e, NetError::NotPiecewiseLinear { op, .. } if op == "Softmax"),
        "{e}"
    );
}

#[test]
fn unsupported_operator() {
    let e = load("bad_unsupported_op.onnx").expect_err("clip");
    assert!(
        matches!(&e, NetError::Unsupported { node, op, .. } if node == "clip1" && op == "Clip"),
        "{e}"
    );
}

#[test]
fn nan_weight() {
    let e = load("bad_nan_weight.onnx").expect_err("nan");
    assert!(
        matches!(&e, NetError::NonFinite { node, .. } if node == "fc_nan"),
        "{e}"
    );
}

#[test]
fn missing_initializer() {
    let e = load("bad_missing_init.onnx").expect_err("missing");
    assert!(
        matches!(&e, NetError::MissingInput { node, input, .. } if node == "fc_missing" && input == "b"),
        "{e}"
    );
}

#[test]
fn shape_mismatch() {
    let e = load("bad_shape_mismatch.onnx").expect_err("shape");
    assert!(
        matches!(&e, NetError::Shape { node, op, .. } if node == "fc_shape" && op == "Gemm"),
        "{e}"
    );
}

#[test]
fn unresolvable_dynamic_shape() {
    let e = load("bad_dynamic_dim.onnx").expect_err("dynamic");
    assert!(matches!(&e, NetError::Shape { .. }), "{e}");
    assert!(e.to_string().contains("dynamic"));
}

#[test]
fn unsupported_opset_and_attributes() {
    let bytes = std::fs::read(format!("{DIR}/conv_ops.onnx")).expect("read");
    let mut m = onnx_protobuf::ModelProto::parse_from_bytes(&bytes).expect("parse");
    m.opset_import[0].version = 7;
    assert!(matches!(onnx::from_model(&m), Err(NetError::Model(_))));
    let mut m = onnx_protobuf::ModelProto::parse_from_bytes(&bytes).expect("parse");
    let g = m.graph.as_mut().expect("graph");
    let mp = g
        .node
        .iter_mut()
        .find(|n| n.op_type == "MaxPool")
        .expect("maxpool");
    let mut a = onnx_protobuf::AttributeProto::new();
    a.name = "ceil_mode".into();
    a.i = 1;
    a.type_ = protobuf::EnumOrUnknown::new(onnx_protobuf::attribute_proto::AttributeType::INT);
    mp.attribute.push(a);
    let e = onnx::from_model(&m).expect_err("ceil");
    assert!(
        matches!(&e, NetError::Unsupported { op, .. } if op == "MaxPool"),
        "{e}"
    );
}

#[test]
fn initializer_with_wrong_length() {
    let bytes = std::fs::read(format!("{DIR}/dense_ops.onnx")).expect("read");
    let mut m = onnx_protobuf::ModelProto::parse_from_bytes(&bytes).expect("parse");
    let init = &mut m.graph.as_mut().expect("graph").initializer[0];
    init.raw_data.truncate(init.raw_data.len() - 4);
    assert!(matches!(onnx::from_model(&m), Err(NetError::Shape { .. })));
}

#[test]
fn json_errors() {
    assert!(matches!(json::from_str("{"), Err(NetError::Json(_))));
    assert!(matches!(
        json::from_str(r#"{"format":"other","version":1}"#),
        Err(NetError::Json(_))
    ));
    assert!(matches!(
        json::from_str(r#"{"format":"splinecam-model","version":2,"input_shape":[2],"ops":[]}"#),
        Err(NetError::Json(_))
    ));
    let e = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[{"op":"dense","name":"d","weight":[[1,2,3]]}]}"#).expect_err("shape");
    assert!(
        matches!(&e, NetError::Shape { node, .. } if node == "d"),
        "{e}"
    );
    let e = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[{"op":"add","inputs":["input","nope"]}]}"#).expect_err("missing");
    assert!(matches!(e, NetError::MissingInput { .. }));
    let e = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[{"op":"divide","divisor":0}]}"#).expect_err("div0");
    assert!(matches!(e, NetError::Invalid { .. }));
    assert!(json::from_str(
        r#"{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[{"op":"tanh"}]}"#
    )
    .is_err());
}

#[test]
fn bad_points() {
    let net = onnx::from_path(ACAS).expect("load");
    assert!(matches!(
        net.forward_f64(&[0.0; 4]),
        Err(NetError::Argument(_))
    ));
    assert!(matches!(
        net.forward_f64(&[0.0, 0.0, f64::NAN, 0.0, 0.0]),
        Err(NetError::Argument(_))
    ));
    assert!(matches!(
        net.forward_exact_f64(&[0.0, 0.0, f64::INFINITY, 0.0, 0.0]),
        Err(NetError::Argument(_))
    ));
}
