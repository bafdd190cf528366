//! Oracles shared by the integration tests, independent of the mesh.
#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap, HashSet};

use rug::{Integer, Rational};
use splinecam::exact::predicates::crossing_exact;
use splinecam::exact::Line;
use splinecam::partition::Partition;

type Pt = (Rational, Rational);

/// A canonical key for a geometric line: primitive integers (divided by
/// their gcd here: the library's integers are only scaled, not reduced),
/// first nonzero coefficient positive.
fn key(l: &Line) -> [Integer; 3] {
    let mut c = l.exact().coef.clone();
    let mut g = Integer::new();
    for x in &c {
        g.gcd_mut(x);
    }
    if g > 1 {
        for x in &mut c {
            x.div_exact_mut(&g);
        }
    }
    if let Some(first) = c.iter().find(|x| **x != 0) {
        if *first < 0 {
            for x in &mut c {
                *x = Integer::from(-&*x);
            }
        }
    }
    c
}

fn eval(l: &Line, p: &Pt) -> Rational {
    l.exact().eval(&p.0, &p.1)
}

/// Counts from first principles: `F = 1 + L + Σ_p (m_p − 1)` over interior
/// crossing points `p`, and `V = |corners ∪ boundary hits| + #interior points`.
pub fn arrangement_counts(polygon: &[[f64; 2]], all_lines: &[Line]) -> (usize, usize) {
    let corners: Vec<Pt> = polygon
        .iter()
        .map(|p| {
            (
                Rational::from_f64(p[0]).unwrap(),
                Rational::from_f64(p[1]).unwrap(),
            )
        })
        .collect();
    let n = corners.len();
    let sides: Vec<Line> = (0..n)
        .map(|i| Line::through(&corners[i], &corners[(i + 1) % n]).unwrap())
        .collect();
    let inside = |p: &Pt| sides.iter().all(|s| eval(s, p) > 0);
    let on_boundary = |p: &Pt| sides.iter().all(|s| eval(s, p) >= 0) && !inside(p);
    // Distinct geometric lines that cross the interior.
    let mut seen = HashSet::new();
    let mut lines = Vec::new();
    for l in all_lines {
        let signs: Vec<_> = corners.iter().map(|c| eval(l, c).cmp0()).collect();
        let crosses = signs.contains(&std::cmp::Ordering::Less)
            && signs.contains(&std::cmp::Ordering::Greater);
        if crosses && seen.insert(key(l)) {
            lines.push(l.clone());
        }
    }
    let mut through: HashMap<Pt, BTreeSet<usize>> = HashMap::new();
    let mut boundary: HashSet<Pt> = corners.iter().cloned().collect();
    for i in 0..lines.len() {
        for s in &sides {
            if let Some(p) = crossing_exact(&lines[i], s) {
                if on_boundary(&p) {
                    boundary.insert(p);
                }
            }
        }
        for j in 0..i {
            if let Some(p) = crossing_exact(&lines[i], &lines[j]) {
                if inside(&p) {
                    let e = through.entry(p).or_default();
                    e.insert(i);
                    e.insert(j);
                }
            }
        }
    }
    let faces = 1 + lines.len() + through.values().map(|s| s.len() - 1).sum::<usize>();
    (faces, boundary.len() + through.len())
}

/// Whether two partitions are the same, vertex for vertex: exact vertex
/// coordinates, each region's cycle, pattern and class.
pub fn identical(a: &Partition, b: &Partition) -> Result<(), String> {
    let (va, vb) = (
        a.mesh().vertices_exact().unwrap(),
        b.mesh().vertices_exact().unwrap(),
    );
    if va != vb {
        return Err("the exact vertices differ".into());
    }
    if a.num_regions() != b.num_regions() {
        return Err(format!(
            "{} regions against {}",
            a.num_regions(),
            b.num_regions()
        ));
    }
    for f in a.regions() {
        if !a.mesh().face_vertices(f).eq(b.mesh().face_vertices(f)) {
            return Err(format!("region {f:?}: the cycles differ"));
        }
        if a.region(f).pattern != b.region(f).pattern {
            return Err(format!("region {f:?}: the patterns differ"));
        }
        if a.region(f).class != b.region(f).class {
            return Err(format!("region {f:?}: the classes differ"));
        }
    }
    Ok(())
}

/// Every region's `f64` output map is within its bounds of the exact one.
pub fn assert_outputs_within_bounds(p: &Partition) {
    for f in p.regions() {
        let out = p.output(f).unwrap();
        for (k, exact) in p.output_exact(f).unwrap().iter().enumerate() {
            let approx = [out.u()[k], out.v()[k], out.c()[k]];
            for j in 0..3 {
                let dev = Rational::from_f64(approx[j]).unwrap() - &exact[j];
                assert!(
                    dev.abs() <= Rational::from_f64(out.err_at(k)[j]).unwrap(),
                    "region {f:?} output {k} coefficient {j}"
                );
            }
        }
    }
}

/// A fixed-seed linear congruential generator: draws uniform in [-1, 1).
pub fn lcg(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// A random MLP (`widths[0]` inputs, then the given widths; ReLU between
/// dense layers) from [`lcg`] as native JSON: layer by layer, the weights
/// row by row from `weight(draw, fan_in)`, then the biases from
/// `bias(draw)`, then `edit(layer, weights, biases)`.
pub fn lcg_mlp_with(
    widths: &[usize],
    seed: u64,
    weight: impl Fn(f64, usize) -> f64,
    bias: impl Fn(f64) -> f64,
    mut edit: impl FnMut(usize, &mut [Vec<f64>], &mut [f64]),
) -> String {
    let mut next = lcg(seed);
    let mut ops = Vec::new();
    for (l, w) in widths.windows(2).enumerate() {
        let mut weights: Vec<Vec<f64>> = (0..w[1])
            .map(|_| (0..w[0]).map(|_| weight(next(), w[0])).collect())
            .collect();
        let mut biases: Vec<f64> = (0..w[1]).map(|_| bias(next())).collect();
        edit(l, &mut weights, &mut biases);
        ops.push(serde_json::json!({"op": "dense", "weight": weights, "bias": biases}).to_string());
        ops.push(r#"{"op":"relu"}"#.to_string());
    }
    ops.pop();
    format!(
        r#"{{"format":"splinecam-model","version":1,"input_shape":[{}],"ops":[{}]}}"#,
        widths[0],
        ops.join(",")
    )
}

/// [`lcg_mlp_with`] with weights uniform in ±1.5/sqrt(fan_in) and biases
/// in ±0.3.
pub fn lcg_mlp(widths: &[usize], seed: u64) -> String {
    lcg_mlp_with(
        widths,
        seed,
        |d, fan_in| d * (1.5 / (fan_in as f64).sqrt()),
        |d| d * 0.3,
        |_, _, _| {},
    )
}
