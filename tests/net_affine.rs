//! Property tests of affine-form propagation on random small networks
//! (deterministic seeds, ChaCha RNG): the exact form lies within the f64 form
//! plus/minus its error bound everywhere, and the exact form evaluated at a
//! point equals the exact forward pass at that point under that point's pattern.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rug::Rational;
use splinecam::net::{
    AffineForm, ExactAffineForm, ExactTensor, Network, NetworkBuilder, Op, TensorId, Window2d,
};

fn w(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.gen_range(-1.0f32..1.0) as f64).collect()
}

fn act(rng: &mut ChaCha8Rng, n: usize) -> Op {
    match rng.gen_range(0..4) {
        0 => Op::Relu,
        1 => Op::LeakyRelu { alpha: 0.1 },
        2 => Op::Abs,
        _ => Op::PRelu { slope: w(rng, n) },
    }
}

/// A random conv network on [1, 2, 6, 6] or a random dense network on [4].
fn random_net(rng: &mut ChaCha8Rng) -> Network {
    if rng.gen_bool(0.5) {
        let mut b = NetworkBuilder::new(vec![1, 2, 6, 6]).expect("builder");
        let groups = if rng.gen_bool(0.5) { 2 } else { 1 };
        let k = rng.gen_range(2..=3);
        let window = Window2d {
            kernel: [k, k],
            stride: [rng.gen_range(1..=2), 1],
            pads: [
                rng.gen_range(0..=1),
                rng.gen_range(0..=1),
                rng.gen_range(0..=1),
                0,
            ],
            dilation: [1, rng.gen_range(1..=2)],
        };
        let oc = 4;
        let a = b
            .push(
                "conv1",
                Op::Conv2d {
                    weight: w(rng, oc * (2 / groups) * k * k),
                    bias: w(rng, oc),
                    out_channels: oc,
                    groups,
                    window,
                },
                vec![TensorId(0)],
            )
            .expect("conv1");
        let n = b.shape(a).expect("shape").iter().product();
        let r = b.push("act1", act(rng, n), vec![a]).expect("act1");
        let c2 = b
            .push(
                "conv2",
                Op::Conv2d {
                    weight: w(rng, oc * oc * 9),
                    bias: w(rng, oc),
                    out_channels: oc,
                    groups: 1,
                    window: Window2d {
                        pads: [1; 4],
                        ..Window2d::kernel(3, 3)
                    },
                },
                vec![r],
            )
            .expect("conv2");
        let s = b.push("res", Op::Add, vec![a, c2]).expect("add");
        let r2 = b.push("act2", Op::Relu, vec![s]).expect("act2");
        let p = if rng.gen_bool(0.5) {
            b.push(
                "pool",
                Op::MaxPool {
                    window: Window2d {
                        stride: [2, 2],
                        pads: [0, 0, 1, 1],
                        ..Window2d::kernel(2, 2)
                    },
                },
                vec![r2],
            )
            .expect("maxpool")
        } else {
            b.push(
                "pool",
                Op::AvgPool {
                    window: Window2d {
                        pads: [1, 1, 0, 0],
                        ..Window2d::kernel(3, 3)
                    },
                    count_include_pad: rng.gen_bool(0.5),
                },
                vec![r2],
            )
            .expect("avgpool")
        };
        let shape = b.shape(p).expect("shape").to_vec();
        let n: usize = shape.iter().product();
        let d = b
            .push(
                "div",
                Op::Divide {
                    divisor: vec![3.0; n],
                },
                vec![p],
            )
            .expect("div");
        let f = b
            .push("flat", Op::Reshape { shape: vec![n] }, vec![d])
            .expect("flat");
        let h = b
            .push(
                "fc1",
                Op::Dense {
                    weight: w(rng, 6 * n),
                    bias: w(rng, 6),
                    in_features: n,
                    out_features: 6,
                },
                vec![f],
            )
            .expect("fc1");
        let m = b
            .push("maxout", Op::Maxout { axis: 0, pieces: 2 }, vec![h])
            .expect("maxout");
        let o = b
            .push(
                "fc2",
                Op::Dense {
                    weight: w(rng, 9),
                    bias: w(rng, 3),
                    in_features: 3,
                    out_features: 3,
                },
                vec![m],
            )
            .expect("fc2");
        b.finish(o, None).expect("finish")
    } else {
        let mut b = NetworkBuilder::new(vec![4]).expect("builder");
        let h = b
            .push(
                "fc1",
                Op::Dense {
                    weight: w(rng, 24),
                    bias: w(rng, 6),
                    in_features: 4,
                    out_features: 6,
                },
                vec![TensorId(0)],
            )
            .expect("fc1");
        let a = b.push("a1", act(rng, 6), vec![h]).expect("a1");
        let h2 = b
            .push(
                "fc2",
                Op::Dense {
                    weight: w(rng, 36),
                    bias: w(rng, 6),
                    in_features: 6,
                    out_features: 6,
                },
                vec![a],
            )
            .expect("fc2");
        let s = b.push("res", Op::Sub, vec![h2, h]).expect("sub");
        let a2 = b.push("a2", act(rng, 6), vec![s]).expect("a2");
        let c = b
            .push(
                "shift",
                Op::AddConst {
                    constant: w(rng, 6),
                },
                vec![a2],
            )
            .expect("shift");
        let sc = b
            .push("scale", Op::Scale { factor: w(rng, 6) }, vec![c])
            .expect("scale");
        let cat = b
            .push("cat", Op::Concat { axis: 0 }, vec![sc, a])
            .expect("cat");
        let a3 = b.push("a3", Op::Relu, vec![cat]).expect("a3");
        let o = b
            .push(
                "out",
                Op::Dense {
                    weight: w(rng, 24),
                    bias: w(rng, 2),
                    in_features: 12,
                    out_features: 2,
                },
                vec![a3],
            )
            .expect("out");
        b.finish(o, None).expect("finish")
    }
}

fn within(exact: &ExactTensor, f: &[f64], err: &[f64], what: &str) {
    for k in 0..f.len() {
        let d = (exact.get(k) - Rational::from_f64(f[k]).expect("finite")).abs();
        assert!(
            d <= Rational::from_f64(err[k]).expect("finite"),
            "{what}[{k}]: |exact - f64| = {} > bound {}",
            d.to_f64(),
            err[k]
        );
    }
}

fn check(
    net: &Network,
    o: &[Rational],
    e1: &[Rational],
    e2: &[Rational],
    u: &Rational,
    v: &Rational,
    f64_input: AffineForm,
) {
    // The point's exact pattern and outputs.
    let x: Vec<Rational> = (0..o.len())
        .map(|i| (&o[i] + Rational::from(u * &e1[i])) + Rational::from(v * &e2[i]))
        .collect();
    let (y, pat) = net.forward_exact(&x).expect("exact pass");
    let mut pre_e = Vec::new();
    let out_e = net
        .propagate_exact(
            ExactAffineForm::input_rational(o, e1, e2).expect("form"),
            &pat,
            |_, f| pre_e.push(f.clone()),
        )
        .expect("exact propagate");
    assert_eq!(
        out_e.eval(u, v),
        y,
        "affine form at the point differs from the forward pass"
    );
    // Pre-activations at the point agree with the pattern's states.
    let mut pre_f = Vec::new();
    let out_f = net
        .propagate_f64(f64_input, &pat, |_, f| pre_f.push(f.clone()))
        .expect("f64 propagate");
    assert_eq!(pre_e.len(), pre_f.len());
    for (l, (e, f)) in pre_e.iter().zip(&pre_f).enumerate() {
        within(&e.u, f.u(), &f.err_u(), &format!("layer {l} u"));
        within(&e.v, f.v(), &f.err_v(), &format!("layer {l} v"));
        within(&e.c, f.c(), &f.err_c(), &format!("layer {l} c"));
    }
    within(&out_e.u, out_f.u(), &out_f.err_u(), "output u");
    within(&out_e.v, out_f.v(), &out_f.err_v(), "output v");
    within(&out_e.c, out_f.c(), &out_f.err_c(), "output c");
}

#[test]
fn forms_are_bounded_and_consistent_with_the_exact_pass() {
    for seed in 0..150u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let net = random_net(&mut rng);
        let n = net.input_len();
        let o = w(&mut rng, n);
        let e1 = w(&mut rng, n);
        let e2 = w(&mut rng, n);
        let q = |x: &[f64]| {
            x.iter()
                .map(|v| Rational::from_f64(*v).expect("finite"))
                .collect::<Vec<_>>()
        };
        let u = Rational::from((rng.gen_range(-64i32..64), 64));
        let v = Rational::from((rng.gen_range(-64i32..64), 64));
        check(
            &net,
            &q(&o),
            &q(&e1),
            &q(&e2),
            &u,
            &v,
            AffineForm::input(&o, &e1, &e2).expect("form"),
        );
        // A plane through three samples: e1 = p1 - p0 exactly (not representable in f64 in general).
        let p1: Vec<Rational> = w(&mut rng, n)
            .iter()
            .map(|x| Rational::from_f64(x / 3.0).expect("finite"))
            .collect();
        let p2: Vec<Rational> = w(&mut rng, n)
            .iter()
            .map(|x| Rational::from_f64(*x * 1e-3).expect("finite"))
            .collect();
        let ro = q(&o);
        let d1: Vec<Rational> = p1
            .iter()
            .zip(&ro)
            .map(|(a, b)| Rational::from(a - b) / 7)
            .collect();
        let d2: Vec<Rational> = p2
            .iter()
            .zip(&ro)
            .map(|(a, b)| Rational::from(a - b))
            .collect();
        check(
            &net,
            &ro,
            &d1,
            &d2,
            &u,
            &v,
            AffineForm::input_rational(&ro, &d1, &d2).expect("form"),
        );
    }
}

#[test]
fn stepper_walks_the_graph_op_by_op() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let net = random_net(&mut rng);
    let n = net.input_len();
    let x = w(&mut rng, n);
    let (y, pat) = net.forward_f64(&x).expect("f64");
    let z = vec![0.0; n];
    let mut forms: Vec<Option<AffineForm>> = vec![None; net.num_tensors()];
    forms[0] = Some(AffineForm::input(&x, &z, &z).expect("form"));
    for (i, node) in net.nodes().iter().enumerate() {
        let ins: Vec<&AffineForm> = node
            .inputs
            .iter()
            .map(|t| forms[t.index()].as_ref().expect("live"))
            .collect();
        let out = match node.layer {
            None => net.apply_linear_f64(i, &ins).expect("linear"),
            Some(l) => net
                .apply_activation_f64(i, ins[0], &pat.layers[l])
                .expect("activation"),
        };
        for t in &node.inputs {
            if net.last_use(*t) == i {
                forms[t.index()] = None;
            }
        }
        forms[node.output.index()] = Some(out);
    }
    let out = forms[net.output().index()].take().expect("output");
    assert_eq!(out.c(), y);
    // Wrong states are rejected, not a panic.
    let idx = net.layer_nodes()[0];
    let len = net.len_of(net.nodes()[idx].inputs[0]);
    let f = AffineForm::input(&vec![0.0; len], &vec![0.0; len], &vec![0.0; len]).expect("form");
    assert!(net.apply_activation_f64(idx, &f, &[7]).is_err());
    assert!(net.apply_linear_f64(idx, &[&f]).is_err());
}
