//! Load errors say what is wrong in words (which parameter, which output),
//! never with Rust debug text such as `Window2d { .. }` or `Some(..)`.

use protobuf::Message;
use splinecam::net::{json, onnx, NetError};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/net");

fn json_error(op: &str) -> String {
    let text = format!(
        r#"{{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[
        {{"op":"reshape","shape":[1,1,1,2]}},{op},{{"op":"flatten"}}]}}"#
    );
    let e = json::from_str(&text).map(|_| ()).expect_err(op).to_string();
    assert!(
        !e.contains('{') && !e.contains("Some("),
        "debug text in {e:?}"
    );
    e
}

#[test]
fn windows_name_the_parameter_that_is_wrong() {
    let conv = |extra: &str| {
        format!(r#"{{"op":"conv2d","out_channels":1,"kernel":[1,2],"weight":[1,1]{extra}}}"#)
    };
    let cases = [
        (conv(r#","stride":[0,0]"#), "the stride is 0x0"),
        (conv(r#","dilation":[1,0]"#), "the dilation is 1x0"),
        (
            r#"{"op":"conv2d","out_channels":1,"kernel":[0,0],"weight":[]}"#.to_string(),
            "the kernel is 0x0",
        ),
        (
            r#"{"op":"conv2d","out_channels":1,"kernel":[1,3],"weight":[1,1,1]}"#.to_string(),
            "kernel 1x3, stride 1x1",
        ),
        (
            r#"{"op":"max_pool","kernel":[1,2],"stride":[0,1]}"#.to_string(),
            "the stride is 0x1",
        ),
        (
            r#"{"op":"avg_pool","kernel":[0,0]}"#.to_string(),
            "the kernel is 0x0",
        ),
    ];
    for (op, want) in cases {
        let e = json_error(&op);
        assert!(e.contains(want), "{op}: {e:?} lacks {want:?}");
    }
}

fn model(name: &str) -> onnx_protobuf::ModelProto {
    let bytes = std::fs::read(format!("{DIR}/{name}")).expect("fixture");
    onnx_protobuf::ModelProto::parse_from_bytes(&bytes).expect("parse")
}

#[test]
fn onnx_kernels_of_size_zero_and_second_outputs_are_explained() {
    // maxout_pool.onnx: Gemm, Reshape, MaxPool, Flatten, Gemm, Sigmoid.
    let mut m = model("maxout_pool.onnx");
    let g = m.graph.as_mut().expect("graph");
    let pool = g
        .node
        .iter()
        .position(|n| n.op_type == "MaxPool")
        .expect("a MaxPool");
    let attr = g.node[pool]
        .attribute
        .iter_mut()
        .find(|a| a.name == "kernel_shape")
        .expect("kernel_shape");
    attr.ints = vec![0, 0];
    let e = onnx::from_model(&m).expect_err("kernel 0").to_string();
    assert!(e.contains("each size must be at least 1"), "{e}");

    // The graph output is MaxPool's `Indices` output.
    let mut m = model("maxout_pool.onnx");
    let g = m.graph.as_mut().expect("graph");
    g.node.truncate(pool + 1);
    g.node[pool].output.push("idx".into());
    g.output[0].name = "idx".into();
    let e = onnx::from_model(&m).expect_err("indices");
    assert!(
        matches!(&e, NetError::Unsupported { op, .. } if op == "MaxPool"),
        "{e}"
    );
    assert!(e.to_string().contains("only its first output"), "{e}");
}

#[test]
fn an_input_dimension_of_zero_is_named_as_such() {
    use onnx_protobuf::tensor_shape_proto::dimension::Value;
    let mut m = model("dense_ops.onnx");
    let g = m.graph.as_mut().expect("graph");
    let shape = g.input[0]
        .type_
        .as_mut()
        .expect("input type")
        .mut_tensor_type()
        .shape
        .as_mut()
        .expect("input shape");
    let last = shape.dim.len() - 1;
    shape.dim[last].value = Some(Value::DimValue(0));
    let e = onnx::from_model(&m).expect_err("dim 0").to_string();
    assert!(
        e.contains("is 0; every dimension after the batch must be at least 1"),
        "{e}"
    );
    assert!(!e.contains("Some("), "{e}");
}

#[test]
fn a_tensor_written_twice_is_refused() {
    let mut m = model("dense_ops.onnx");
    let g = m.graph.as_mut().expect("graph");
    let first = g.node[0].output[0].clone();
    let name = g.node[1].name.clone();
    g.node[1].output[0] = first.clone();
    let e = onnx::from_model(&m).expect_err("written twice").to_string();
    assert!(
        e.contains(&format!("its output '{first}' is also written by node")),
        "{e}"
    );
    assert!(e.contains(&name) || name.is_empty(), "{e}");
    // Writing over the graph input is refused too.
    let mut m = model("dense_ops.onnx");
    let g = m.graph.as_mut().expect("graph");
    let input = g.input[0].name.clone();
    g.node[0].output[0] = input;
    let e = onnx::from_model(&m).expect_err("the input").to_string();
    assert!(e.contains("is also the graph input"), "{e}");
}
