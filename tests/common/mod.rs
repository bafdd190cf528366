//! Oracles shared by the integration tests, independent of the mesh.
#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap, HashSet};

use rug::{Integer, Rational};
use splinecam::exact::predicates::crossing_exact;
use splinecam::exact::Line;

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
