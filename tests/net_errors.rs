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

/// A native JSON model with the given `ops` (a JSON array's text).
fn json_model(ops: &str) -> String {
    format!(r#"{{"format":"splinecam-model","version":1,"input_shape":[2],"ops":{ops}}}"#)
}

#[test]
fn json_unknown_field_is_rejected_with_node_op_and_suggestion() {
    // A typo for "bias" used to be ignored (bias silently 0).
    let text = json_model(
        r#"[{"op":"dense","weight":[[1,-1],[0.5,2]],"bais":[0,1]},{"op":"relu"},{"op":"dense","weight":[[1,1]]}]"#,
    );
    let e = json::from_str(&text).expect_err("typo must be an error");
    assert!(
        matches!(&e, NetError::JsonNode { index: 0, name: None, op: Some(op), line: 1, .. } if op == "dense"),
        "{e:?}"
    );
    let s = e.to_string();
    for part in [
        "node 0 (dense)",
        "unknown field \"bais\"",
        "did you mean \"bias\"?",
        "\"weight\" and \"bias\"",
        "\"name\"",
        "\"inputs\"",
    ] {
        assert!(s.contains(part), "{s:?} lacks {part:?}");
    }
    // The column points at the key.
    let NetError::JsonNode { column, .. } = e else {
        unreachable!()
    };
    let key_end = text.find("\"bais\"").expect("key") + "\"bais\"".len();
    assert_eq!(column, key_end, "{s}");

    // An op without fields of its own, and a named one.
    let e = json::from_str(&json_model(
        r#"[{"op":"dense","weight":[[1,1]]},{"op":"relu","name":"act","extra":5}]"#,
    ))
    .expect_err("extra field");
    assert!(
        matches!(&e, NetError::JsonNode { index: 1, name: Some(n), op: Some(op), .. } if n == "act" && op == "relu"),
        "{e:?}"
    );
    assert!(e.to_string().contains("node 1 ('act', relu)"), "{e}");
    assert!(e.to_string().contains("no fields besides"), "{e}");

    // Unknown top-level fields too.
    let e = json::from_str(
        r#"{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[],"outptu":"x"}"#,
    )
    .expect_err("top-level typo");
    assert!(matches!(e, NetError::Json(_)), "{e:?}");
    assert!(
        e.to_string()
            .contains("unknown top-level field \"outptu\" (did you mean \"output\"?)"),
        "{e}"
    );
}

#[test]
fn json_missing_field_names_node_and_op() {
    let e = json::from_str(&json_model(
        r#"[{"op":"dense","name":"fc0","weight":[[1,0],[0,1]]},{"op":"relu"},{"op":"dense","name":"fc1","bias":[0]}]"#,
    ))
    .expect_err("missing weight");
    assert!(
        matches!(&e, NetError::JsonNode { index: 2, name: Some(n), op: Some(op), .. } if n == "fc1" && op == "dense"),
        "{e:?}"
    );
    let s = e.to_string();
    assert!(s.contains("node 2 ('fc1', dense) at line 1 column"), "{s}");
    assert!(s.contains("missing field") && s.contains("weight"), "{s}");
}

#[test]
fn json_wrong_type_names_node_op_field_and_position() {
    // Pretty-printed, so the position is on a later line.
    let text = r#"{
  "format": "splinecam-model",
  "version": 1,
  "input_shape": [2],
  "ops": [
    {"op": "dense", "name": "fc0", "weight": [[1, 0], [0, 1]]},
    {"op": "leaky_relu", "alpha": 0.125},
    {"op": "dense", "name": "out",
     "weight": [["1", -1]]}
  ]
}"#;
    let e = json::from_str(text).expect_err("string weight");
    assert!(
        matches!(&e, NetError::JsonNode { index: 2, name: Some(n), op: Some(op), line: 9, .. } if n == "out" && op == "dense"),
        "{e:?}"
    );
    let s = e.to_string();
    assert!(s.contains("node 2 ('out', dense) at line 9 column"), "{s}");
    assert!(
        s.contains("field \"weight\": invalid type: string \"1\", expected f64"),
        "{s}"
    );
    // The column is that of the bad value (serde_json points at its end).
    let NetError::JsonNode { column, .. } = e else {
        unreachable!()
    };
    let line9 = text.lines().nth(8).expect("line 9");
    assert_eq!(column, line9.find("\"1\"").expect("value") + 3, "{s}");

    // The same for the fields every op has.
    let e = json::from_str(&json_model(r#"[{"op":"relu","inputs":"input"}]"#))
        .expect_err("inputs not a list");
    assert!(
        matches!(&e, NetError::JsonNode { index: 0, op: Some(op), .. } if op == "relu"),
        "{e:?}"
    );
    assert!(e.to_string().contains("field \"inputs\""), "{e}");
}

#[test]
fn json_non_string_op_lists_the_operations() {
    for (op, found) in [
        ("5", "the number 5"),
        ("null", "null"),
        ("[\"relu\"]", "an array"),
    ] {
        let e = json::from_str(&json_model(&format!(
            r#"[{{"op":"dense","weight":[[1,1]]}},{{"name":"a","op":{op}}}]"#
        )))
        .expect_err("non-string op");
        assert!(
            matches!(&e, NetError::JsonNode { index: 1, name: Some(n), op: None, .. } if n == "a"),
            "{e:?}"
        );
        let s = e.to_string();
        assert!(
            s.contains("\"op\" must be a string naming one of the supported operations"),
            "{s}"
        );
        assert!(s.contains(found), "{s}");
        for name in json::OPS {
            assert!(s.contains(name), "{s} lacks {name}");
        }
        // It used to report a field of an unrelated op ("missing field `kernel`").
        assert!(!s.contains("kernel"), "{s}");
    }
    let e = json::from_str(&json_model(r#"[{"name":"a"}]"#)).expect_err("no op");
    assert!(
        matches!(
            &e,
            NetError::JsonNode {
                index: 0,
                op: None,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("missing field \"op\""), "{e}");
    let e = json::from_str(&json_model(r#"[{"op":"Relu"}]"#)).expect_err("case");
    assert!(
        e.to_string()
            .contains("unknown op \"Relu\" (did you mean \"relu\"?)"),
        "{e}"
    );
    let e = json::from_str(&json_model(r#"[5]"#)).expect_err("not an object");
    assert!(
        matches!(
            &e,
            NetError::JsonNode {
                index: 0,
                op: None,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("must be a JSON object"), "{e}");
}

#[test]
fn json_repeated_keys_are_rejected() {
    // Which of two "bias" values counts would be a silent guess.
    let e = json::from_str(&json_model(
        r#"[{"op":"dense","weight":[[1,1]],"bias":[0],"bias":[1]}]"#,
    ))
    .expect_err("repeated bias");
    assert!(
        matches!(&e, NetError::JsonNode { index: 0, op: Some(op), .. } if op == "dense"),
        "{e:?}"
    );
    assert!(e.to_string().contains("duplicate field"), "{e}");
    let e = json::from_str(
        r#"{"format":"splinecam-model","version":1,"version":1,"input_shape":[2],"ops":[]}"#,
    )
    .expect_err("repeated version");
    assert!(e.to_string().contains("duplicate field"), "{e}");
}
