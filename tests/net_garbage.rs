//! Loaders never panic: truncations and byte flips of real models, and
//! random bytes, give errors or networks, never a panic.

use rand::{Rng, SeedableRng};
use splinecam::net::{json, onnx};

#[test]
fn mangled_onnx_files_never_panic() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/models/acasxu/ACASXU_run2a_1_1_batch_2000.onnx"
    );
    let bytes = std::fs::read(path).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    for i in 0..400 {
        let mut b = bytes.clone();
        if i % 2 == 0 {
            b.truncate(rng.gen_range(0..bytes.len()));
        } else {
            for _ in 0..rng.gen_range(1..8) {
                let k = rng.gen_range(0..b.len());
                b[k] = rng.gen();
            }
        }
        let r = std::panic::catch_unwind(|| {
            onnx::from_bytes(&b).map(|n| n.forward_f64(&[0.0; 5]).map(|_| ()))
        });
        assert!(r.is_ok(), "case {i} panicked");
    }
    for len in [0usize, 1, 7, 100, 1000] {
        let b: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        assert!(std::panic::catch_unwind(|| onnx::from_bytes(&b).is_err()).unwrap_or(false));
    }
}

#[test]
fn mangled_json_models_never_panic() {
    let good = r#"{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[{"op":"dense","weight":[[1,2],[3,4]],"bias":[0,1]},{"op":"relu"},{"op":"maxout","pieces":2},{"op":"dense","weight":[[1]]}]}"#;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
    for i in 0..2000 {
        let mut b = good.as_bytes().to_vec();
        match i % 3 {
            0 => b.truncate(rng.gen_range(0..b.len())),
            1 => {
                let k = rng.gen_range(0..b.len());
                b[k] = b"0123456789[]{},:-.e\"x"[rng.gen_range(0..21)];
            }
            _ => {
                let k = rng.gen_range(0..b.len());
                b.remove(k);
            }
        }
        let s = String::from_utf8_lossy(&b).to_string();
        let r = std::panic::catch_unwind(|| {
            json::from_str(&s).map(|n| n.forward_f64(&[0.5, -0.5]).map(|_| ()))
        });
        assert!(r.is_ok(), "case {i} panicked on {s}");
    }
}

#[test]
fn renamed_json_keys_are_errors_naming_the_node() {
    // No misspelt key is ever ignored: renaming any key of any op gives an
    // error that names that op (index, and the op unless "op" itself was renamed).
    let good = r#"{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[{"op":"dense","name":"fc","weight":[[1,2],[3,4]],"bias":[0,1]},{"op":"leaky_relu","alpha":0.25},{"op":"maxout","pieces":2,"axis":0},{"op":"dense","inputs":["maxout_2"],"weight":[[1]]}]}"#;
    assert!(json::from_str(good).is_ok());
    let model: serde_json::Value = serde_json::from_str(good).unwrap();
    let n_ops = model["ops"].as_array().unwrap().len();
    let mut checked = 0;
    for i in 0..n_ops {
        let keys: Vec<String> = model["ops"][i]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        for k in keys {
            let mut m = model.clone();
            let op = m["ops"][i].as_object_mut().unwrap();
            let v = op.remove(&k).unwrap();
            op.insert(format!("{k}x"), v);
            let e = json::from_str(&m.to_string()).expect_err(&format!("op {i} key {k}x"));
            match &e {
                splinecam::net::NetError::JsonNode { index, op, .. } => {
                    assert_eq!(*index, i, "{e}");
                    assert_eq!(op.is_none(), k == "op", "{e}");
                }
                _ => panic!("op {i} key {k}x: {e:?}"),
            }
            if k != "op" {
                assert!(e.to_string().contains(&format!("\"{k}x\"")), "{e}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}
