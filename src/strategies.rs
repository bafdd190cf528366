//! `proptest` strategies for random domains and line sets, with the
//! degeneracies that real networks produce made common: concurrent lines,
//! parallel lines, repeated lines, lines through existing crossings, lines
//! one ulp away from such, integer ("quantized") and float coefficients.
//!
//! Enabled by the cargo feature `proptest`, so downstream crates can check
//! their own tools against exact partitions:
//!
//! ```
//! use proptest::prelude::*;
//! use splinecam::strategies::{arrangement_case, ArrangementCase};
//! proptest!(ProptestConfig::with_cases(4), |(case in arrangement_case(8))| {
//!     let mesh = case.build(splinecam::exact::Kernel::Filtered).unwrap();
//!     mesh.validate().unwrap();
//! });
//! ```

use proptest::prelude::*;
use rug::Rational;

use crate::exact::predicates::crossing_exact;
use crate::exact::{Kernel, Line};
use crate::mesh::{Label, Mesh, MeshError};

/// How to make one line, possibly from earlier ones.
#[derive(Clone, Debug)]
pub enum Recipe {
    /// Integer coefficients `a·u + b·v + c` (in grid units).
    Grid(i8, i8, i8),
    /// Through two grid points `(x0, y0)`, `(x1, y1)`.
    Through([i8; 4]),
    /// Through the crossing of two earlier lines (indices taken modulo the
    /// number so far), with integer normal `(a, b)`.
    ThroughCrossing(usize, usize, i8, i8),
    /// An earlier line again, scaled by `2^k` and optionally negated.
    Repeat(usize, i8, bool),
    /// Parallel to an earlier line, shifted by an integer.
    Parallel(usize, i8),
    /// Float coefficients.
    Float(f64, f64, f64),
    /// An earlier line with its constant moved by one ulp.
    Ulp(usize, bool),
}

/// A convex polygon (corners on an integer grid times `scale`) and recipes
/// for lines to insert into it.
#[derive(Clone, Debug)]
pub struct ArrangementCase {
    /// Counter-clockwise corners in grid units.
    pub corners: Vec<(i64, i64)>,
    /// Grid unit in slice coordinates (1, a decimal, or a non-dyadic float).
    pub scale: f64,
    /// Recipes of the lines, in insertion order.
    pub recipes: Vec<Recipe>,
}

fn cross(o: (i64, i64), a: (i64, i64), b: (i64, i64)) -> i64 {
    (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
}

/// The strictly convex hull (counter-clockwise) of integer points.
pub fn convex_hull(mut pts: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    pts.sort();
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let mut lower: Vec<(i64, i64)> = Vec::new();
    for &p in &pts {
        while lower.len() >= 2 && cross(lower[lower.len() - 2], lower[lower.len() - 1], p) <= 0 {
            lower.pop();
        }
        lower.push(p);
    }
    let mut upper: Vec<(i64, i64)> = Vec::new();
    for &p in pts.iter().rev() {
        while upper.len() >= 2 && cross(upper[upper.len() - 2], upper[upper.len() - 1], p) <= 0 {
            upper.pop();
        }
        upper.push(p);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

impl ArrangementCase {
    /// The polygon's corners in slice coordinates.
    pub fn polygon(&self) -> Vec<[f64; 2]> {
        self.corners
            .iter()
            .map(|&(x, y)| [x as f64 * self.scale, y as f64 * self.scale])
            .collect()
    }

    /// The lines the recipes make, in slice coordinates.
    pub fn lines(&self) -> Vec<Line> {
        let s = Rational::from_f64(self.scale).expect("finite scale");
        // Lines in grid units, exact; converted to slice units at the end:
        // a·(u/s) + b·(v/s) + c = 0  <=>  a·u + b·v + c·s = 0.
        let mut grid: Vec<[Rational; 3]> = Vec::new();
        let mut out = Vec::new();
        for r in &self.recipes {
            let k = grid.len();
            let g = |i: &usize| grid[*i % k].clone();
            let line: [Rational; 3] = match r {
                Recipe::Grid(a, b, c) => [(*a).into(), (*b).into(), (*c).into()],
                Recipe::Through([x0, y0, x1, y1]) if (x0, y0) != (x1, y1) => {
                    let (x0, y0, x1, y1) = (*x0 as i64, *y0 as i64, *x1 as i64, *y1 as i64);
                    [
                        (y0 - y1).into(),
                        (x1 - x0).into(),
                        (x0 * y1 - x1 * y0).into(),
                    ]
                }
                Recipe::ThroughCrossing(i, j, a, b) if k >= 2 && (*a, *b) != (0, 0) => {
                    let (l1, l2) = (g(i), g(j));
                    let l1 = Line::from_rationals(l1);
                    let l2 = Line::from_rationals(l2);
                    match crossing_exact(&l1, &l2) {
                        Some((x, y)) => {
                            let (a, b) = (Rational::from(*a), Rational::from(*b));
                            let c = -(Rational::from(&a * &x) + Rational::from(&b * &y));
                            [a, b, c]
                        }
                        None => [1.into(), (-1).into(), 0.into()],
                    }
                }
                Recipe::Repeat(i, p, neg) if k >= 1 => {
                    let f = Rational::from(2).pow_ref_2(*p as i32 % 8) * if *neg { -1 } else { 1 };
                    g(i).map(|x| x * &f)
                }
                Recipe::Parallel(i, d) if k >= 1 => {
                    let [a, b, c] = g(i);
                    [a, b, c + *d]
                }
                Recipe::Float(a, b, c) => {
                    [a, b, c].map(|x| Rational::from_f64(*x).unwrap_or_default())
                }
                Recipe::Ulp(i, up) if k >= 1 => {
                    let [a, b, c] = g(i);
                    let cf = c.to_f64();
                    let moved = if *up { cf.next_up() } else { cf.next_down() };
                    [a, b, Rational::from_f64(moved).unwrap_or_default()]
                }
                _ => [1.into(), 1.into(), 0.into()],
            };
            let [a, b, c] = line.clone();
            out.push(Line::from_rationals([a, b, c * &s]));
            grid.push(line);
        }
        out
    }

    /// Decodes arbitrary bytes into a case (for fuzzing): a polygon from up
    /// to 8 grid points, then one recipe per chunk. Every byte string gives
    /// some case.
    pub fn from_bytes(data: &[u8]) -> ArrangementCase {
        let mut it = data.iter().copied();
        let mut next = || it.next().unwrap_or(0);
        let scale = [1.0, 0.25, 0.1, 1.0 / 3.0][(next() % 4) as usize];
        let npts = 3 + (next() % 6) as usize;
        let pts: Vec<(i64, i64)> = (0..npts)
            .map(|_| ((next() % 17) as i64 - 8, (next() % 17) as i64 - 8))
            .collect();
        let mut corners = convex_hull(pts);
        if corners.len() < 3 {
            corners = vec![(-4, -4), (4, -4), (4, 4), (-4, 4)];
        }
        let small = |b: u8, r: i8| (b % (2 * r as u8 + 1)) as i8 - r;
        let mut recipes = Vec::new();
        let rest: Vec<u8> = data.iter().copied().skip(2 + 2 * npts).collect();
        for c in rest.chunks(5).take(24) {
            let b = |i: usize| c.get(i).copied().unwrap_or(0);
            let r = match b(0) % 7 {
                0 => Recipe::Grid(small(b(1), 3), small(b(2), 3), small(b(3), 6)),
                1 => Recipe::Through([
                    small(b(1), 6),
                    small(b(2), 6),
                    small(b(3), 6),
                    small(b(4), 6),
                ]),
                2 => Recipe::ThroughCrossing(
                    b(1) as usize,
                    b(2) as usize,
                    small(b(3), 3),
                    small(b(4), 3),
                ),
                3 => Recipe::Repeat(b(1) as usize, small(b(2), 2), b(3) % 2 == 0),
                4 => Recipe::Parallel(b(1) as usize, small(b(2), 3)),
                5 => {
                    let f = |x: u8| (x as f64 - 127.5) / 127.5 + (x as f64).sin() * 1e-3;
                    Recipe::Float(f(b(1)), f(b(2)), f(b(3)))
                }
                _ => Recipe::Ulp(b(1) as usize, b(2) % 2 == 0),
            };
            recipes.push(r);
        }
        ArrangementCase {
            corners,
            scale,
            recipes,
        }
    }

    /// Inserts the lines one by one with the given kernel and validates the
    /// mesh after every insertion; the fuzz target's check.
    pub fn check_each_insertion(&self, kernel: Kernel) -> Result<Mesh, String> {
        let mut m =
            Mesh::from_convex_polygon(&self.polygon(), kernel).map_err(|e| e.to_string())?;
        for (i, l) in self.lines().into_iter().enumerate() {
            let id = m.add_line(l);
            m.insert_line(id, Label(i as u32))
                .map_err(|e| format!("line {i}: {e}"))?;
            m.validate().map_err(|e| format!("after line {i}: {e}"))?;
        }
        Ok(m)
    }

    /// Builds the mesh and inserts every line (label = its index).
    pub fn build(&self, kernel: Kernel) -> Result<Mesh, MeshError> {
        let mut m = Mesh::from_convex_polygon(&self.polygon(), kernel)?;
        for (i, l) in self.lines().into_iter().enumerate() {
            let id = m.add_line(l);
            m.insert_line(id, Label(i as u32))?;
        }
        Ok(m)
    }
}

trait PowRef {
    fn pow_ref_2(self, p: i32) -> Rational;
}

impl PowRef for Rational {
    fn pow_ref_2(self, p: i32) -> Rational {
        let mut r = Rational::from(1);
        for _ in 0..p.unsigned_abs() {
            if p > 0 {
                r *= &self;
            } else {
                r /= &self;
            }
        }
        r
    }
}

/// One line recipe.
pub fn recipe() -> impl Strategy<Value = Recipe> {
    prop_oneof![
        3 => (-3i8..=3, -3i8..=3, -6i8..=6).prop_map(|(a, b, c)| Recipe::Grid(a, b, c)),
        3 => prop::array::uniform4(-6i8..=6).prop_map(Recipe::Through),
        3 => (any::<usize>(), any::<usize>(), -3i8..=3, -3i8..=3)
            .prop_map(|(i, j, a, b)| Recipe::ThroughCrossing(i, j, a, b)),
        1 => (any::<usize>(), -2i8..=2, any::<bool>()).prop_map(|(i, p, n)| Recipe::Repeat(i, p, n)),
        1 => (any::<usize>(), -3i8..=3).prop_map(|(i, d)| Recipe::Parallel(i, d)),
        2 => (-1.0f64..1.0, -1.0f64..1.0, -1.0f64..1.0).prop_map(|(a, b, c)| Recipe::Float(a, b, c)),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(i, u)| Recipe::Ulp(i, u)),
    ]
}

/// A random convex polygon with up to `max_lines` lines.
pub fn arrangement_case(max_lines: usize) -> impl Strategy<Value = ArrangementCase> {
    let pts = prop::collection::vec((-8i64..=8, -8i64..=8), 3..10);
    let scale = prop_oneof![Just(1.0), Just(0.25), Just(0.1), Just(1.0 / 3.0)];
    (pts, scale, prop::collection::vec(recipe(), 0..=max_lines)).prop_map(
        |(pts, scale, recipes)| {
            let mut corners = convex_hull(pts);
            if corners.len() < 3 {
                corners = vec![(-4, -4), (4, -4), (4, 4), (-4, 4)];
            }
            ArrangementCase {
                corners,
                scale,
                recipes,
            }
        },
    )
}

/// A random small piecewise-linear network on a 2-D input, with its slice
/// box, written as a native JSON model (its `Debug` output pastes into a
/// test).
#[derive(Clone, Debug)]
pub struct NetworkCase {
    /// The model in the native JSON format.
    pub model_json: String,
    /// The slice box `[u0, u1, v0, v1]`.
    pub bounds: [f64; 4],
}

impl NetworkCase {
    /// The network.
    pub fn network(&self) -> crate::net::Network {
        crate::net::json::from_str(&self.model_json).expect("generated models are valid")
    }

    /// The slice.
    pub fn slice(&self) -> crate::domain::Slice {
        crate::domain::Slice::square_box(&[2], self.bounds).expect("generated boxes are valid")
    }
}

/// How a generated layer's weights look.
#[derive(Clone, Copy, Debug)]
pub enum WeightKind {
    /// Multiples of 1/4 in [-3/4, 3/4] (quantized networks).
    Quantized,
    /// Uniform floats in [-1, 1] (PyTorch-like).
    Float,
    /// A mix of both per entry.
    Mixed,
}

/// One hidden layer: width, activation (0 relu, 1 leaky, 2 abs, 3 maxout of
/// 2, 4 prelu), weight kind, and which degeneracies to plant.
#[derive(Clone, Debug)]
pub struct LayerSpec {
    /// Units after the activation.
    pub width: usize,
    /// Activation code.
    pub act: u8,
    /// Weight kind.
    pub kind: WeightKind,
    /// Plant a duplicated row, a negated row, a zero row, a dead unit.
    pub degenerate: [bool; 4],
}

/// Builds the JSON of a network from layer specs and a seed (which also
/// puts a flatten after the activation of layer `i` if its bit `40 + i` is set).
pub fn network_json(layers: &[LayerSpec], outputs: usize, seed: u64) -> String {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut ops: Vec<String> = Vec::new();
    let mut fan_in = 2usize;
    let draw = |rng: &mut rand_chacha::ChaCha8Rng, kind: WeightKind| -> f64 {
        let q = matches!(kind, WeightKind::Quantized)
            || (matches!(kind, WeightKind::Mixed) && rng.gen_bool(0.5));
        if q {
            rng.gen_range(-3i32..=3) as f64 / 4.0
        } else {
            rng.gen_range(-1.0..1.0)
        }
    };
    let fmt = |w: &[Vec<f64>]| {
        let rows: Vec<String> = w
            .iter()
            .map(|r| {
                format!(
                    "[{}]",
                    r.iter()
                        .map(|x| format!("{x:?}"))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect();
        format!("[{}]", rows.join(","))
    };
    let list = |b: &[f64]| {
        format!(
            "[{}]",
            b.iter()
                .map(|x| format!("{x:?}"))
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    for (i, l) in layers.iter().enumerate() {
        let rows = if l.act == 3 { 2 * l.width } else { l.width };
        let mut w: Vec<Vec<f64>> = (0..rows)
            .map(|_| (0..fan_in).map(|_| draw(&mut rng, l.kind)).collect())
            .collect();
        let mut b: Vec<f64> = (0..rows).map(|_| draw(&mut rng, l.kind) / 2.0).collect();
        if rows >= 2 {
            if l.degenerate[0] {
                w[1] = w[0].clone();
                b[1] = b[0];
            }
            if l.degenerate[1] {
                w[rows - 1] = w[0].iter().map(|x| -x).collect();
                b[rows - 1] = -b[0];
            }
        }
        if l.degenerate[2] {
            let r = rows / 2;
            w[r] = vec![0.0; fan_in];
        }
        if l.degenerate[3] && rows >= 3 {
            w[2] = vec![0.0; fan_in];
            b[2] = -1.0;
        }
        ops.push(format!(
            r#"{{"op":"dense","weight":{},"bias":{}}}"#,
            fmt(&w),
            list(&b)
        ));
        ops.push(match l.act {
            0 => r#"{"op":"relu"}"#.to_string(),
            1 => r#"{"op":"leaky_relu","alpha":0.125}"#.to_string(),
            2 => r#"{"op":"abs"}"#.to_string(),
            3 => r#"{"op":"maxout","pieces":2}"#.to_string(),
            _ => format!(
                r#"{{"op":"prelu","slope":{}}}"#,
                list(&(0..rows).map(|i| 0.25 * (i % 3) as f64).collect::<Vec<_>>())
            ),
        });
        if (seed >> (40 + i.min(23))) & 1 == 1 {
            // A flatten (a reshape that leaves the data as it is) between the
            // activation and the next layer, for seeds with bit `40 + i` set.
            ops.push(r#"{"op":"flatten"}"#.to_string());
        }
        fan_in = l.width;
    }
    let w: Vec<Vec<f64>> = (0..outputs)
        .map(|_| {
            (0..fan_in)
                .map(|_| draw(&mut rng, WeightKind::Float))
                .collect()
        })
        .collect();
    let b: Vec<f64> = (0..outputs)
        .map(|_| draw(&mut rng, WeightKind::Float) / 4.0)
        .collect();
    ops.push(format!(
        r#"{{"op":"dense","weight":{},"bias":{}}}"#,
        fmt(&w),
        list(&b)
    ));
    format!(
        r#"{{"format":"splinecam-model","version":1,"input_shape":[2],"ops":[{}]}}"#,
        ops.join(",")
    )
}

/// A layer spec with width up to `max_width`.
pub fn layer_spec(max_width: usize) -> impl Strategy<Value = LayerSpec> {
    let kind = prop_oneof![
        Just(WeightKind::Quantized),
        Just(WeightKind::Float),
        Just(WeightKind::Mixed)
    ];
    (
        1..=max_width,
        0u8..5,
        kind,
        prop::array::uniform4(prop::bool::weighted(0.2)),
    )
        .prop_map(|(width, act, kind, degenerate)| LayerSpec {
            width,
            act,
            kind,
            degenerate,
        })
}

/// A random network of depth `1..=max_depth` and widths `1..=max_width`
/// with 1 to 3 outputs, on a random box around the origin.
pub fn network_case(max_depth: usize, max_width: usize) -> impl Strategy<Value = NetworkCase> {
    let bounds = prop_oneof![
        Just([-1.0, 1.0, -1.0, 1.0]),
        Just([-2.0, 0.5, -0.75, 1.25]),
        Just([-0.1, 0.3, -0.3, 0.1]),
    ];
    (
        prop::collection::vec(layer_spec(max_width), 1..=max_depth),
        1usize..=3,
        any::<u64>(),
        bounds,
    )
        .prop_map(|(layers, outputs, seed, bounds)| NetworkCase {
            model_json: network_json(&layers, outputs, seed),
            bounds,
        })
}
