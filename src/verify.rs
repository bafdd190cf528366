//! Re-checking a saved result ([`ResultFile`]) against its model, exactly.
//!
//! [`verify`] trusts nothing in the file and shares no code with the
//! computation of the partition: it calls neither
//! [`crate::partition::Partition::compute`] nor the mesh. It uses the
//! network's exact point forward pass ([`Network::forward_exact`]) and exact
//! affine-form propagation under a given pattern
//! ([`Network::propagate_exact`]), and rational arithmetic on the file's
//! `"p/q"` numbers.
//!
//! # What is checked
//!
//! 1. The header, the model summary (input and output shapes, pattern
//!    layers) and the slice (exact numbers, the polygon strictly convex and
//!    counter-clockwise).
//! 2. Vertices: exact coordinates parse, are pairwise distinct, and the
//!    `f64` coordinates are their roundings; every vertex is a corner of
//!    some face (checked after the faces).
//! 3. Each face: valid and distinct vertex indices, at least three; convex
//!    and counter-clockwise (every vertex on or left of the line of every
//!    side, so collinear vertices on a side are allowed) with positive
//!    exact area, equal to the recorded area.
//! 4. Each face against the network, at its vertex centroid `c` (an interior
//!    point: a positive combination of non-collinear points): the exact
//!    forward pass at `origin + c_u·e1 + c_v·e2` gives the face's pattern
//!    and class (under the file's boundary), and the recorded output map
//!    evaluated at `c` equals the exact outputs.
//! 5. Each face, on all of it: propagating the exact slice input under the
//!    face's pattern gives every layer's pre-activations as exact affine
//!    functions of `(u, v)`; at every vertex of the face each unit satisfies
//!    its state's closed condition (ReLU-like "on": `x >= 0`, "off":
//!    `x <= 0`; abs alike; max: the chosen candidate `>=` the others). An
//!    affine function satisfying a closed half-space condition at the
//!    vertices of a convex polygon satisfies it on the whole polygon, and an
//!    activation is continuous, so by induction over the layers the network
//!    *is* the propagated affine map on the whole face. That map must equal
//!    the recorded output map coefficient by coefficient, and the class's
//!    closed condition must hold at every vertex as well.
//! 6. `(pattern, class)` pairwise distinct over the faces.
//! 7. Tiling: the face areas sum exactly to the polygon's area; every
//!    directed side `a → b` of a face cycle belongs to one face only; a side
//!    whose reverse `b → a` is no face's side lies on the slice polygon's
//!    boundary, and those sides cover each polygon side exactly once
//!    (contiguously, from corner to corner, in the polygon's direction).
//! 8. Edges: the edge list is exactly the set of face sides (each edge's
//!    `a → b` is a side of its left face, `b → a` of its right face, so
//!    both endpoints are vertices of both faces), the `boundary` flags and
//!    `boundary_segments` are the edges between faces of different classes,
//!    and an edge records every unit in which its two faces' patterns
//!    differ (and a class label where their classes differ). The polygon's
//!    sides carry no labels. Every label of an edge between two faces names
//!    a function of this model and boundary, once: a `neuron` a unit of an
//!    activation layer (its pre-activation), a `max_pair` two different
//!    candidates of a unit of a max layer (their difference), an
//!    `output_pair` two different outputs under an argmax or argmin
//!    boundary, a `level` the file's level-set output (output minus level);
//!    and that function is exactly 0 at both ends of the edge, evaluated
//!    with the exact forms of the edge's left face from check 5. Those forms
//!    are the network's on the closed face and affine there, so the
//!    function is 0 on the whole edge: the edge lies in its zero set. (That
//!    every function vanishing on the edge is listed is not checked beyond
//!    the units in which the two faces differ.)
//! 9. Statistics: every field of [`crate::metrics::Metrics`] is there and
//!    no other. The counts (regions, activation regions, linear pieces,
//!    regions after each layer, vertices, edges, adjacencies, boundary
//!    pieces, regions touching the boundary) and the exact total area
//!    equal what the checked faces and edges give (the regions after
//!    pattern layer `l` are the distinct pattern prefixes up to `l`: the
//!    points with one prefix form a convex set, one face after that layer;
//!    then the regions, after the boundary cut if any); the reals computed from
//!    exact values (`area_factor`, `total_area`, `total_area_input`,
//!    `density`, `density_input`, `mean_vertices_per_region`, and the
//!    input-space area mean and spread from the slice-unit ones) are the
//!    same `f64` results. The shape measurements (region area mean and
//!    spread, eccentricity, centrality, boundary length) are measured on
//!    the engine's `f64` vertex positions, which the file does not hold:
//!    informative, not checked.
//!
//! # Why the faces do not overlap
//!
//! A convex counter-clockwise face `F` has winding number 1 inside and 0
//! outside; winding numbers are additive over 1-chains, so `Σ_F w_F` is the
//! winding number of the chain `Σ_F ∂F`. In that sum each interior side
//! `a → b` cancels against the one face side `b → a` (check 7), and the
//! remaining sides add up to exactly `∂P` (check 7), whose winding number is
//! the indicator of the polygon `P`. Hence `Σ_F w_F = 1_P` almost
//! everywhere: the faces' interiors are disjoint and cover `P` (the exact
//! area sum, also checked, follows). This is the argument behind "areas sum
//! exactly, faces convex, each edge shared by at most two faces", made
//! precise: the shared sides must be shared with opposite directions and
//! the unshared ones must make up the polygon's boundary.
//!
//! With checks 4–6 this certifies the file completely: each face lies in
//! the closure of the set of points with its `(pattern, class)`, its
//! interior has exactly that pattern and class, those sets are convex, the
//! faces tile `P`, and no two faces share a `(pattern, class)`; so the faces
//! are the regions, and on each the network is the recorded affine map.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

use petgraph::unionfind::UnionFind;
use rug::Rational;

use crate::io::output::{
    parse_rational, BoundarySpec, EdgeLabel, FaceRecord, ResultFile, FORMAT, VERSION,
};
use crate::net::{ExactAffineForm, Network, OpClass};

/// Counts of a successful [`verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Vertices checked.
    pub vertices: usize,
    /// Faces checked.
    pub faces: usize,
    /// Edges checked.
    pub edges: usize,
    /// Decision-boundary segments checked.
    pub boundary_segments: usize,
    /// The exact total area (`"p/q"`), equal to the polygon's.
    pub total_area: String,
    /// Exact forward passes run (one per face).
    pub forward_passes: usize,
    /// Exact sign conditions checked at vertices (per face, per vertex, per
    /// unit or candidate pair).
    pub vertex_conditions: usize,
    /// Exact edge-label conditions checked (per edge, per label, per end:
    /// the label's function is 0 there).
    pub label_conditions: usize,
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "verified: {} faces, {} vertices, {} edges, {} boundary segments; total area {}; {} exact forward passes, {} exact vertex conditions, {} exact edge-label conditions",
            self.faces,
            self.vertices,
            self.edges,
            self.boundary_segments,
            self.total_area,
            self.forward_passes,
            self.vertex_conditions,
            self.label_conditions
        )
    }
}

/// The first failed check of [`verify`]; indices are 0-based, as in the
/// file.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum VerifyError {
    /// The header or a number cannot be read.
    #[error("malformed result file: {0}")]
    Malformed(String),
    /// The file was computed for a network of another shape.
    #[error("the result does not belong to this model: {0}")]
    Model(String),
    /// The slice is unusable.
    #[error("slice: {0}")]
    Slice(String),
    /// A vertex is wrong.
    #[error("vertex {vertex}: {what}")]
    Vertex {
        /// The vertex.
        vertex: usize,
        /// What is wrong.
        what: String,
    },
    /// A face is wrong.
    #[error("face {face}: {what}")]
    Face {
        /// The face.
        face: usize,
        /// What is wrong.
        what: String,
    },
    /// Two faces have the same pattern and class.
    #[error("faces {a} and {b} have the same pattern and class")]
    Duplicate {
        /// One face.
        a: usize,
        /// The other.
        b: usize,
    },
    /// The face areas do not sum to the polygon's area.
    #[error("face areas sum to {sum}, the slice polygon's area is {domain}")]
    Area {
        /// Sum of the faces' exact areas.
        sum: String,
        /// The polygon's exact area.
        domain: String,
    },
    /// The faces do not tile the polygon.
    #[error("the faces do not tile the slice polygon: {0}")]
    Tiling(String),
    /// An edge is wrong.
    #[error("edge {edge}: {what}")]
    Edge {
        /// The edge.
        edge: usize,
        /// What is wrong.
        what: String,
    },
    /// The decision-boundary segments are wrong.
    #[error("boundary segments: {0}")]
    Boundary(String),
    /// The statistics block is missing a field, has an unknown one, or
    /// disagrees with what the checked file gives.
    #[error("statistics: {0}")]
    Statistics(String),
    /// The network failed on a face.
    #[error("face {face}: network evaluation failed: {msg}")]
    Net {
        /// The face.
        face: usize,
        /// The network's error.
        msg: String,
    },
}

type Pt = (Rational, Rational);

fn parse(what: impl Fn() -> String, s: &str) -> Result<Rational, VerifyError> {
    parse_rational(s).ok_or_else(|| {
        VerifyError::Malformed(format!("{}: {s:?} is not a rational \"p/q\"", what()))
    })
}

fn parse_vec(what: &str, v: &[String]) -> Result<Vec<Rational>, VerifyError> {
    v.iter()
        .enumerate()
        .map(|(i, s)| parse(|| format!("{what}[{i}]"), s))
        .collect()
}

fn parse_pt(what: impl Fn() -> String, p: &[String; 2]) -> Result<Pt, VerifyError> {
    Ok((parse(&what, &p[0])?, parse(&what, &p[1])?))
}

/// `(q − p) × (r − p)`: positive when `r` is left of `p → q`.
fn orient(p: &Pt, q: &Pt, r: &Pt) -> Rational {
    let (ax, ay) = (Rational::from(&q.0 - &p.0), Rational::from(&q.1 - &p.1));
    let (bx, by) = (Rational::from(&r.0 - &p.0), Rational::from(&r.1 - &p.1));
    ax * by - ay * bx
}

fn twice_area(pts: &[&Pt]) -> Rational {
    let n = pts.len();
    let mut s = Rational::new();
    for i in 0..n {
        let (p, q) = (pts[i], pts[(i + 1) % n]);
        s += Rational::from(&p.0 * &q.1) - Rational::from(&q.0 * &p.1);
    }
    s
}

fn rat(r: &Rational) -> String {
    format!("{}/{}", r.numer(), r.denom())
}

/// A rational for a message: exact when short, else its `f64` rounding.
fn show(r: &Rational) -> String {
    let s = rat(r);
    if s.len() <= 40 {
        s
    } else {
        format!("~{:e}", r.to_f64())
    }
}

/// The class of exact outputs (lowest index on ties), written here again
/// rather than shared with the engine.
fn class_of(y: &[Rational], b: BoundarySpec, level: &Option<Rational>) -> Option<u32> {
    match b {
        BoundarySpec::None => None,
        BoundarySpec::Level { output, .. } => {
            let v = level.as_ref()?;
            Some(u32::from(y.get(output)? > v))
        }
        BoundarySpec::Argmax | BoundarySpec::Argmin => {
            let mut best = 0usize;
            for i in 1..y.len() {
                let better = if b == BoundarySpec::Argmax {
                    y[i] > y[best]
                } else {
                    y[i] < y[best]
                };
                if better {
                    best = i;
                }
            }
            u32::try_from(best).ok()
        }
    }
}

/// Whether outputs `y` (at a vertex) satisfy the closed condition of
/// `class`: the face lies in the closure of that class's cell.
fn class_closed(y: &[Rational], b: BoundarySpec, level: &Option<Rational>, class: u32) -> bool {
    let c = class as usize;
    match b {
        BoundarySpec::None => true,
        BoundarySpec::Level { output, .. } => match (y.get(output), level) {
            (Some(x), Some(v)) => {
                if class == 1 {
                    x >= v
                } else {
                    x <= v
                }
            }
            _ => false,
        },
        BoundarySpec::Argmax => y.get(c).is_some_and(|m| y.iter().all(|x| m >= x)),
        BoundarySpec::Argmin => y.get(c).is_some_and(|m| y.iter().all(|x| m <= x)),
    }
}

/// Re-checks `result` against `net` in exact arithmetic (see the module
/// documentation for the checks and why they certify the partition).
///
/// ```
/// use splinecam::{domain::Slice, io::output::ResultFile, net::json, partition::{Options, Partition}, verify::verify};
/// let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
///   "ops":[{"op":"dense","weight":[[1,0]],"bias":[0]},{"op":"relu"},
///          {"op":"dense","weight":[[1]],"bias":[-0.25]}]}"#).unwrap();
/// let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
/// let mut r = ResultFile::from_partition(&Partition::compute(&net, &slice, &Options::default()).unwrap()).unwrap();
/// assert_eq!(verify(&net, &r).unwrap().faces, 3);
/// r.faces[0].class = r.faces[0].class.map(|c| 1 - c);
/// assert!(verify(&net, &r).is_err());
/// ```
pub fn verify(net: &Network, result: &ResultFile) -> Result<VerifyReport, VerifyError> {
    // 1. Header, model, slice.
    if result.format != FORMAT || result.version != VERSION {
        return Err(VerifyError::Malformed(format!(
            "format {:?} version {}, expected {FORMAT:?} version {VERSION}",
            result.format, result.version
        )));
    }
    let layers = net.layer_nodes();
    let m = &result.model;
    if m.input_shape != net.input_shape() || m.output_shape != net.output_shape() {
        return Err(VerifyError::Model(format!(
            "file: input {:?}, output {:?}; model: input {:?}, output {:?}",
            m.input_shape,
            m.output_shape,
            net.input_shape(),
            net.output_shape()
        )));
    }
    if m.layers.len() != layers.len() {
        return Err(VerifyError::Model(format!(
            "file has {} pattern layers, the model {}",
            m.layers.len(),
            layers.len()
        )));
    }
    for (l, (ls, &i)) in m.layers.iter().zip(layers).enumerate() {
        let node = &net.nodes()[i];
        let units = net.len_of(node.output);
        if ls.units != units || ls.op != node.op.name() {
            return Err(VerifyError::Model(format!(
                "pattern layer {l}: file {} with {} units, model {} with {units}",
                ls.op,
                ls.units,
                node.op.name()
            )));
        }
    }
    let n_in = net.input_len();
    let n_out = net.len_of(net.output());
    let origin = parse_vec("slice.origin", &result.slice.origin)?;
    let e1 = parse_vec("slice.e1", &result.slice.e1)?;
    let e2 = parse_vec("slice.e2", &result.slice.e2)?;
    if origin.len() != n_in || e1.len() != n_in || e2.len() != n_in {
        return Err(VerifyError::Slice(format!(
            "origin, e1, e2 have {}, {}, {} entries; the model has {n_in} inputs",
            origin.len(),
            e1.len(),
            e2.len()
        )));
    }
    let poly: Vec<Pt> = result
        .slice
        .polygon
        .iter()
        .enumerate()
        .map(|(i, p)| parse_pt(|| format!("slice.polygon[{i}]"), p))
        .collect::<Result<_, _>>()?;
    let np = poly.len();
    if np < 3 {
        return Err(VerifyError::Slice(format!("polygon has {np} corners")));
    }
    for i in 0..np {
        for j in 0..np {
            if j != i && j != (i + 1) % np && orient(&poly[i], &poly[(i + 1) % np], &poly[j]) <= 0 {
                return Err(VerifyError::Slice(format!(
                    "polygon is not strictly convex and counter-clockwise at side {i}"
                )));
            }
        }
    }
    let domain = twice_area(&poly.iter().collect::<Vec<_>>()) / 2u32;
    let level = match result.boundary {
        BoundarySpec::Level { output, value } => {
            if output >= n_out {
                return Err(VerifyError::Model(format!(
                    "level set of output {output}, the model has {n_out} outputs"
                )));
            }
            Some(Rational::from_f64(value).ok_or_else(|| {
                VerifyError::Malformed(format!("level value {value} is not finite"))
            })?)
        }
        _ => None,
    };
    let input_form = ExactAffineForm::input_rational(&origin, &e1, &e2)
        .map_err(|e| VerifyError::Slice(e.to_string()))?;

    // 2. Vertices.
    let mut pts: Vec<Pt> = Vec::with_capacity(result.vertices.len());
    let mut seen: HashMap<Pt, usize> = HashMap::with_capacity(result.vertices.len());
    for (i, v) in result.vertices.iter().enumerate() {
        let p = parse_pt(|| format!("vertex {i}"), &v.exact)?;
        if p.0.to_f64() != v.x || p.1.to_f64() != v.y {
            return Err(VerifyError::Vertex {
                vertex: i,
                what: format!(
                    "f64 coordinates ({}, {}) are not the rounding of the exact ones",
                    v.x, v.y
                ),
            });
        }
        if let Some(j) = seen.insert(p.clone(), i) {
            return Err(VerifyError::Vertex {
                vertex: i,
                what: format!("same exact coordinates as vertex {j}"),
            });
        }
        pts.push(p);
    }
    let nv = pts.len();

    // Edge labels (check 8): each names a function of this file, at most
    // once per edge. Where an edge has a face on both sides, its labels are
    // evaluated on its left face, in that face's pass of check 5.
    let nf = result.faces.len();
    let mut labelled: Vec<Vec<usize>> = vec![Vec::new(); nf];
    for (ei, e) in result.edges.iter().enumerate() {
        // Repeats: compared pairwise when few, hashed when many.
        let mut many = (e.labels.len() > 16).then(|| HashSet::with_capacity(e.labels.len()));
        for (i, k) in e.labels.iter().enumerate() {
            if let Err(why) = label_exists(net, layers, n_out, result.boundary, k) {
                return Err(VerifyError::Edge {
                    edge: ei,
                    what: format!("label {} names no function: {why}", label_name(k)),
                });
            }
            let repeated = match many.as_mut() {
                Some(seen) => !seen.insert(k),
                None => e.labels[..i].contains(k),
            };
            if repeated {
                return Err(VerifyError::Edge {
                    edge: ei,
                    what: format!("label {} is listed twice", label_name(k)),
                });
            }
        }
        if let (Some(l), Some(_)) = (e.left, e.right) {
            if l < nf && !e.labels.is_empty() {
                labelled[l].push(ei);
            }
        }
    }

    // 3.–6. Faces.
    let face_err = |face: usize, what: String| VerifyError::Face { face, what };
    let mut sum = Rational::new();
    let mut conditions = 0usize;
    let mut label_conditions = 0usize;
    let mut used = vec![false; nv];
    // Per face, a hash of its exact output map (linear pieces, check 9).
    let mut map_hashes: Vec<u64> = Vec::with_capacity(nf);
    let mut n_corners = 0usize;
    let mut patterns: HashMap<(&Vec<Vec<u32>>, Option<u32>), usize> = HashMap::new();
    // Directed face sides (a, b) -> face.
    let mut sides: HashMap<(usize, usize), usize> = HashMap::new();
    for (fi, face) in result.faces.iter().enumerate() {
        let cyc = &face.vertices;
        let k = cyc.len();
        if k < 3 {
            return Err(face_err(fi, format!("has {k} vertices")));
        }
        let mut own = HashSet::with_capacity(k);
        for &v in cyc {
            if v >= nv {
                return Err(face_err(
                    fi,
                    format!("vertex index {v} out of range (0..{nv})"),
                ));
            }
            if !own.insert(v) {
                return Err(face_err(fi, format!("vertex {v} appears twice")));
            }
            used[v] = true;
        }
        n_corners += k;
        let c: Vec<&Pt> = cyc.iter().map(|&v| &pts[v]).collect();
        for i in 0..k {
            for j in 0..k {
                if orient(c[i], c[(i + 1) % k], c[j]) < 0 {
                    return Err(face_err(
                        fi,
                        format!(
                            "not convex counter-clockwise: vertex {} is right of side {} -> {}",
                            cyc[j],
                            cyc[i],
                            cyc[(i + 1) % k]
                        ),
                    ));
                }
            }
        }
        let area = twice_area(&c) / 2u32;
        if area <= 0 {
            return Err(face_err(fi, "has no positive area".into()));
        }
        if parse(|| format!("face {fi} area"), &face.area)? != area
            || face.area_f64 != area.to_f64()
        {
            return Err(face_err(
                fi,
                format!("recorded area is not its exact area {}", show(&area)),
            ));
        }
        sum += &area;
        for i in 0..k {
            if let Some(g) = sides.insert((cyc[i], cyc[(i + 1) % k]), fi) {
                return Err(VerifyError::Tiling(format!(
                    "side {} -> {} belongs to faces {g} and {fi}",
                    cyc[i],
                    cyc[(i + 1) % k]
                )));
            }
        }

        // Shapes of the pattern and the output map.
        if face.pattern.len() != layers.len() {
            return Err(face_err(
                fi,
                format!(
                    "pattern has {} layers, the model {}",
                    face.pattern.len(),
                    layers.len()
                ),
            ));
        }
        for (l, (states, &ni)) in face.pattern.iter().zip(layers).enumerate() {
            let node = &net.nodes()[ni];
            let units = net.len_of(node.output);
            if states.len() != units {
                return Err(face_err(
                    fi,
                    format!(
                        "pattern layer {l} has {} units, the model {units}",
                        states.len()
                    ),
                ));
            }
            let ok = match node.op.class() {
                OpClass::Max => states
                    .iter()
                    .zip(&node.windows)
                    .all(|(&s, w)| (s as usize) < w.len()),
                _ => states.iter().all(|&s| s <= 1),
            };
            if !ok || (node.op.class() == OpClass::Max && node.windows.len() != units) {
                return Err(face_err(
                    fi,
                    format!("pattern layer {l} has an invalid state"),
                ));
            }
        }
        if face.output.len() != n_out {
            return Err(face_err(
                fi,
                format!(
                    "output map has {} rows, the model {n_out} outputs",
                    face.output.len()
                ),
            ));
        }
        let map = output_map(fi, face)?;
        if (face.class.is_some()) != (result.boundary != BoundarySpec::None) {
            return Err(face_err(
                fi,
                "class is missing or present against the boundary option".into(),
            ));
        }

        // 4. At the vertex centroid: exact forward pass.
        let mut cu = Rational::new();
        let mut cv = Rational::new();
        for p in &c {
            cu += &p.0;
            cv += &p.1;
        }
        cu /= k as u32;
        cv /= k as u32;
        let x: Vec<Rational> = (0..n_in)
            .map(|i| Rational::from(&e1[i] * &cu) + Rational::from(&e2[i] * &cv) + &origin[i])
            .collect();
        let (y, pat) = net.forward_exact(&x).map_err(|e| VerifyError::Net {
            face: fi,
            msg: e.to_string(),
        })?;
        if let Some((l, u)) = pat
            .layers
            .iter()
            .zip(&face.pattern)
            .enumerate()
            .find_map(|(l, (a, b))| a.iter().zip(b).position(|(s, t)| s != t).map(|u| (l, u)))
        {
            return Err(face_err(
                fi,
                format!(
                    "pattern disagrees with the exact forward pass at its centroid ({}, {}): layer {l} unit {u} is {} there, the file says {}",
                    show(&cu), show(&cv), pat.layers[l][u], face.pattern[l][u]
                ),
            ));
        }
        let cls = class_of(&y, result.boundary, &level);
        if cls != face.class {
            return Err(face_err(
                fi,
                format!(
                    "class {:?} disagrees with the exact outputs' class {cls:?} at its centroid",
                    face.class
                ),
            ));
        }
        for (o, [a, b, d]) in map.iter().enumerate() {
            let val = Rational::from(a * &cu) + Rational::from(b * &cv) + d;
            if val != y[o] {
                return Err(face_err(
                    fi,
                    format!(
                        "output map {o} gives {} at its centroid, the exact forward pass {}",
                        show(&val),
                        show(&y[o])
                    ),
                ));
            }
        }

        // 5. On the whole face: pre-activation conditions at every vertex.
        // This face's labelled edges (it is their left face), with the
        // positions of their endpoints in its cycle; an edge whose ends are
        // not on the cycle is refused by check 8.
        let ends: Vec<(usize, (usize, usize))> = labelled[fi]
            .iter()
            .filter_map(|&ei| {
                let e = &result.edges[ei];
                let ia = cyc.iter().position(|&v| v == e.a)?;
                let ib = cyc.iter().position(|&v| v == e.b)?;
                Some((ei, (ia, ib)))
            })
            .collect();
        let mut bad: Option<String> = None;
        let mut bad_label: Option<VerifyError> = None;
        let pattern = crate::net::Pattern {
            layers: face.pattern.iter().map(|l| l.as_slice().into()).collect(),
        };
        let out = net
            .propagate_exact(input_form.clone(), &pattern, |l, pre| {
                if bad.is_some() || bad_label.is_some() {
                    return;
                }
                let node = &net.nodes()[layers[l]];
                let states = &face.pattern[l];
                let at: Vec<Vec<Rational>> = c.iter().map(|p| pre.eval(&p.0, &p.1)).collect();
                for (vi, vals) in cyc.iter().zip(&at) {
                    match node.op.class() {
                        OpClass::Max => {
                            for (unit, (w, &s)) in node.windows.iter().zip(states).enumerate() {
                                let Some(best) = w.get(s as usize).and_then(|&i| vals.get(i as usize)) else {
                                    bad = Some(format!("layer {l} unit {unit}: window out of range"));
                                    return;
                                };
                                for &o in w {
                                    conditions += 1;
                                    if vals.get(o as usize).is_none_or(|x| x > best) {
                                        bad = Some(format!(
                                            "at vertex {vi}, max unit {unit} of layer {l} is not its candidate {s}"
                                        ));
                                        return;
                                    }
                                }
                            }
                        }
                        _ => {
                            for (unit, (x, &s)) in vals.iter().zip(states).enumerate() {
                                conditions += 1;
                                let ok = if s == 1 { *x >= 0 } else { *x <= 0 };
                                if !ok {
                                    bad = Some(format!(
                                        "at vertex {vi}, unit {unit} of layer {l} has pre-activation {} against its state {s}",
                                        show(x)
                                    ));
                                    return;
                                }
                            }
                        }
                    }
                }
                // The labels of this layer on the face's labelled edges vanish
                // at both ends. The pre-activations are the network's on the
                // closed face (the conditions of the layers before hold), and
                // affine there, so the label's function is 0 on the edge.
                for &(ei, (ia, ib)) in &ends {
                    let e = &result.edges[ei];
                    for k in &e.labels {
                        let (unit, pair) = match *k {
                            EdgeLabel::Neuron { layer, unit } if layer == l => (unit, None),
                            EdgeLabel::MaxPair { layer, unit, a, b } if layer == l => {
                                (unit, Some((a as usize, b as usize)))
                            }
                            _ => continue,
                        };
                        for (v, i) in [(e.a, ia), (e.b, ib)] {
                            label_conditions += 1;
                            let x = &at[i];
                            let value = match pair {
                                None => x.get(unit).cloned(),
                                Some((a, b)) => node.windows.get(unit).and_then(|w| {
                                    let p = x.get(*w.get(a)? as usize)?;
                                    let q = x.get(*w.get(b)? as usize)?;
                                    Some(Rational::from(p - q))
                                }),
                            };
                            if let Some(what) = label_fails(k, v, fi, value) {
                                bad_label = Some(VerifyError::Edge { edge: ei, what });
                                return;
                            }
                        }
                    }
                }
            })
            .map_err(|e| VerifyError::Net { face: fi, msg: e.to_string() })?;
        if let Some(what) = bad {
            return Err(face_err(
                fi,
                format!("pattern does not hold on the whole face: {what}"),
            ));
        }
        if let Some(e) = bad_label {
            return Err(e);
        }
        for (o, row) in map.iter().enumerate() {
            if out.coeffs(o) != *row {
                return Err(face_err(
                    fi,
                    format!("output map {o} is not the network's affine map on the face"),
                ));
            }
        }
        // The exact outputs at the vertices (a class, hence output labels,
        // only with a boundary).
        let ys: Vec<Vec<Rational>> = if face.class.is_some() {
            c.iter().map(|p| out.eval(&p.0, &p.1)).collect()
        } else {
            Vec::new()
        };
        if let Some(class) = face.class {
            for (vi, y) in cyc.iter().zip(&ys) {
                conditions += 1;
                if !class_closed(y, result.boundary, &level, class) {
                    return Err(face_err(
                        fi,
                        format!("class {class} does not hold at vertex {vi}"),
                    ));
                }
            }
        }
        // Output labels on the face's labelled edges: zero at both ends.
        for &(ei, (ia, ib)) in &ends {
            let e = &result.edges[ei];
            for k in &e.labels {
                let (p, q) = match *k {
                    EdgeLabel::OutputPair { a, b } => (a as usize, Some(b as usize)),
                    EdgeLabel::Level { output } => (output as usize, None),
                    _ => continue,
                };
                for (v, i) in [(e.a, ia), (e.b, ib)] {
                    label_conditions += 1;
                    let value = ys.get(i).and_then(|y| {
                        let other = match q {
                            Some(q) => y.get(q)?,
                            None => level.as_ref()?,
                        };
                        Some(Rational::from(y.get(p)? - other))
                    });
                    if let Some(what) = label_fails(k, v, fi, value) {
                        return Err(VerifyError::Edge { edge: ei, what });
                    }
                }
            }
        }
        if let Some(a) = patterns.insert((&face.pattern, face.class), fi) {
            return Err(VerifyError::Duplicate { a, b: fi });
        }
        map_hashes.push({
            let mut h = DefaultHasher::new();
            map.hash(&mut h);
            h.finish()
        });
    }

    // 7. Tiling.
    if sum != domain {
        return Err(VerifyError::Area {
            sum: show(&sum),
            domain: show(&domain),
        });
    }
    check_outer_sides(&pts, &poly, &sides)?;
    // Every vertex is a corner of some face.
    if let Some(v) = used.iter().position(|&u| !u) {
        return Err(VerifyError::Vertex {
            vertex: v,
            what: "is a corner of no face".into(),
        });
    }

    // 8. Edges and boundary segments.
    let mut claimed: HashSet<(usize, usize)> = HashSet::with_capacity(sides.len());
    let mut flagged: Vec<[usize; 2]> = Vec::new();
    for (ei, e) in result.edges.iter().enumerate() {
        let err = |what: String| VerifyError::Edge { edge: ei, what };
        if e.a >= nv || e.b >= nv || e.a == e.b {
            return Err(err(format!("bad endpoints {} -> {}", e.a, e.b)));
        }
        for (side, f, dir) in [("left", e.left, (e.a, e.b)), ("right", e.right, (e.b, e.a))] {
            match f {
                Some(f) if f >= nf => return Err(err(format!("{side} face {f} out of range"))),
                Some(f) => {
                    if sides.get(&dir) != Some(&f) {
                        return Err(err(format!(
                            "{} -> {} is not a side of its {side} face {f} (its endpoints must be consecutive vertices of the face)",
                            dir.0, dir.1
                        )));
                    }
                    if !claimed.insert(dir) {
                        return Err(err(format!("{} -> {} listed twice", dir.0, dir.1)));
                    }
                }
                None => {
                    if let Some(g) = sides.get(&dir) {
                        return Err(err(format!(
                            "{side} face is null but {} -> {} is a side of face {g}",
                            dir.0, dir.1
                        )));
                    }
                }
            }
        }
        let (Some(l), Some(r)) = (e.left, e.right) else {
            if e.left.is_none() && e.right.is_none() {
                return Err(err("has no face on either side".into()));
            }
            if e.boundary || !e.labels.is_empty() {
                return Err(err(
                    "a side of the polygon carries labels or a boundary flag".into(),
                ));
            }
            continue;
        };
        let (fl, fr) = (&result.faces[l], &result.faces[r]);
        let is_boundary = fl.class.is_some() && fr.class.is_some() && fl.class != fr.class;
        if e.boundary != is_boundary {
            return Err(err(format!(
                "boundary flag {} but faces {l}, {r} have classes {:?}, {:?}",
                e.boundary, fl.class, fr.class
            )));
        }
        if is_boundary {
            flagged.push([e.a, e.b]);
            if !e
                .labels
                .iter()
                .any(|k| matches!(k, EdgeLabel::OutputPair { .. } | EdgeLabel::Level { .. }))
            {
                return Err(err(
                    "separates two classes but records no output label".into()
                ));
            }
        }
        // The units the labels name (a neuron label names a unit of an
        // activation layer, a max_pair label one of a max layer: checked
        // above); a set when there are many.
        let unit_of = |k: &EdgeLabel| match *k {
            EdgeLabel::Neuron { layer, unit } | EdgeLabel::MaxPair { layer, unit, .. } => {
                Some((layer, unit))
            }
            _ => None,
        };
        let named: Option<HashSet<(usize, usize)>> =
            (e.labels.len() > 16).then(|| e.labels.iter().filter_map(unit_of).collect());
        for (li, (sa, sb)) in fl.pattern.iter().zip(&fr.pattern).enumerate() {
            for (unit, (x, y)) in sa.iter().zip(sb).enumerate() {
                if x == y {
                    continue;
                }
                let ok = match &named {
                    Some(set) => set.contains(&(li, unit)),
                    None => e.labels.iter().any(|k| unit_of(k) == Some((li, unit))),
                };
                if !ok {
                    return Err(err(format!("faces {l} and {r} differ in layer {li} unit {unit}, which the edge does not record")));
                }
            }
        }
    }
    if claimed.len() != sides.len() {
        let missing = sides
            .keys()
            .find(|s| !claimed.contains(s))
            .copied()
            .unwrap_or_default();
        return Err(VerifyError::Edge {
            edge: result.edges.len(),
            what: format!(
                "face side {} -> {} has no edge in the edge list",
                missing.0, missing.1
            ),
        });
    }
    if flagged != result.boundary_segments {
        return Err(VerifyError::Boundary(format!(
            "{} segments listed, {} edges separate two classes (or their order or ends differ)",
            result.boundary_segments.len(),
            flagged.len()
        )));
    }

    // 9. Statistics.
    check_statistics(
        &result.statistics,
        result,
        nv,
        &map_hashes,
        n_corners,
        &domain,
        (&e1, &e2),
    )?;

    Ok(VerifyReport {
        vertices: nv,
        faces: nf,
        edges: result.edges.len(),
        boundary_segments: flagged.len(),
        total_area: rat(&sum),
        forward_passes: nf,
        vertex_conditions: conditions,
        label_conditions,
    })
}

/// A face's exact output map.
fn output_map(fi: usize, face: &FaceRecord) -> Result<Vec<[Rational; 3]>, VerifyError> {
    face.output
        .iter()
        .enumerate()
        .map(|(o, r)| {
            let w = || format!("face {fi} output {o}");
            Ok([parse(w, &r[0])?, parse(w, &r[1])?, parse(w, &r[2])?])
        })
        .collect()
}

/// Whether label `k` names a function of this model and boundary; `Err`
/// says why not.
fn label_exists(
    net: &Network,
    layers: &[usize],
    n_out: usize,
    boundary: BoundarySpec,
    k: &EdgeLabel,
) -> Result<(), String> {
    match *k {
        EdgeLabel::Neuron { layer, unit } | EdgeLabel::MaxPair { layer, unit, .. } => {
            let Some(&ni) = layers.get(layer) else {
                return Err(format!("the model has {} pattern layers", layers.len()));
            };
            let node = &net.nodes()[ni];
            let is_max = node.op.class() == OpClass::Max;
            if let EdgeLabel::MaxPair { a, b, .. } = *k {
                if !is_max {
                    return Err(format!("pattern layer {layer} is not a max layer"));
                }
                let Some(w) = node.windows.get(unit) else {
                    return Err(format!(
                        "max layer {layer} has {} units",
                        node.windows.len()
                    ));
                };
                if a == b || a as usize >= w.len() || b as usize >= w.len() {
                    return Err(format!(
                        "unit {unit} of max layer {layer} has {} candidates, a pair names two different ones",
                        w.len()
                    ));
                }
            } else {
                if is_max {
                    return Err(format!(
                        "pattern layer {layer} is a max layer (its labels are max_pair)"
                    ));
                }
                let units = net.len_of(node.output);
                if unit >= units {
                    return Err(format!("pattern layer {layer} has {units} units"));
                }
            }
            Ok(())
        }
        EdgeLabel::OutputPair { a, b } => {
            if !matches!(boundary, BoundarySpec::Argmax | BoundarySpec::Argmin) {
                return Err("the file's boundary is not argmax or argmin".into());
            }
            if a == b || a as usize >= n_out || b as usize >= n_out {
                return Err(format!(
                    "the model has {n_out} outputs, a pair names two different ones"
                ));
            }
            Ok(())
        }
        EdgeLabel::Level { output } => match boundary {
            BoundarySpec::Level { output: o, .. } if o == output as usize => Ok(()),
            _ => Err(format!(
                "the file's boundary is not a level set of output {output}"
            )),
        },
    }
}

/// A label for a message.
fn label_name(k: &EdgeLabel) -> String {
    match *k {
        EdgeLabel::Neuron { layer, unit } => format!("neuron (layer {layer}, unit {unit})"),
        EdgeLabel::MaxPair { layer, unit, a, b } => {
            format!("max_pair (layer {layer}, unit {unit}, candidates {a} and {b})")
        }
        EdgeLabel::OutputPair { a, b } => format!("output_pair (outputs {a} and {b})"),
        EdgeLabel::Level { output } => format!("level (output {output})"),
    }
}

/// `None` if a label's function is exactly 0 at edge end `v` (`value`, by
/// face `face`'s exact forms), else what is wrong.
fn label_fails(k: &EdgeLabel, v: usize, face: usize, value: Option<Rational>) -> Option<String> {
    match value {
        Some(z) if z == 0 => None,
        Some(z) => Some(format!(
            "label {} does not vanish on the edge: its function is {} at vertex {v} (face {face}'s exact map)",
            label_name(k),
            show(&z)
        )),
        None => Some(format!(
            "label {} cannot be evaluated at vertex {v} on face {face}",
            label_name(k)
        )),
    }
}

/// `null` in JSON: a non-finite `f64` (serde_json writes NaN and ±∞ so).
fn real<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    <Option<f64> as serde::Deserialize>::deserialize(d)
}

/// The `statistics` block as [`crate::metrics::Metrics`] writes it, every
/// field required; `None` reals are non-finite ones. Read here rather than
/// shared with the metrics module.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Statistics {
    regions: usize,
    activation_regions: usize,
    linear_pieces: usize,
    regions_per_layer: Vec<usize>,
    vertices: usize,
    edges: usize,
    adjacencies: usize,
    #[serde(deserialize_with = "real")]
    mean_vertices_per_region: Option<f64>,
    #[serde(deserialize_with = "real")]
    area_factor: Option<f64>,
    #[serde(deserialize_with = "real")]
    area_mean: Option<f64>,
    #[serde(deserialize_with = "real")]
    area_std: Option<f64>,
    #[serde(deserialize_with = "real")]
    area_input_mean: Option<f64>,
    #[serde(deserialize_with = "real")]
    area_input_std: Option<f64>,
    // Informative (measured on the engine's f64 vertex positions, which
    // the file does not hold): required, not checked.
    #[serde(deserialize_with = "real")]
    #[allow(dead_code)]
    eccentricity_mean: Option<f64>,
    #[serde(deserialize_with = "real")]
    #[allow(dead_code)]
    eccentricity_std: Option<f64>,
    #[serde(deserialize_with = "real")]
    #[allow(dead_code)]
    centrality_mean: Option<f64>,
    #[serde(deserialize_with = "real")]
    #[allow(dead_code)]
    centrality_std: Option<f64>,
    #[serde(deserialize_with = "real")]
    density: Option<f64>,
    #[serde(deserialize_with = "real")]
    density_input: Option<f64>,
    #[serde(deserialize_with = "real")]
    #[allow(dead_code)]
    boundary_length: Option<f64>,
    #[serde(deserialize_with = "real")]
    #[allow(dead_code)]
    boundary_length_input: Option<f64>,
    boundary_pieces: usize,
    regions_touching_boundary: usize,
    total_area_exact: String,
    #[serde(deserialize_with = "real")]
    total_area: Option<f64>,
    #[serde(deserialize_with = "real")]
    total_area_input: Option<f64>,
}

/// Whether a recorded real is `want` (`None` for a non-finite `want`).
fn same_real(got: Option<f64>, want: f64) -> bool {
    match got {
        Some(x) => want.is_finite() && x == want,
        None => !want.is_finite(),
    }
}

/// Check 9: the statistics, recomputed from the checked file. Counts and
/// exact values must be equal; reals derived from exact values must be
/// the same `f64` operations' results; the shape measurements (area mean
/// and spread, eccentricity, centrality, boundary length) are measured on
/// the engine's `f64` vertex positions, which the file does not hold, and
/// are only required to be there (the input-space area mean and spread
/// must be the slice-unit ones times `area_factor`).
fn check_statistics(
    stats: &serde_json::Value,
    result: &ResultFile,
    nv: usize,
    map_hashes: &[u64],
    n_corners: usize,
    domain: &Rational,
    (e1, e2): (&[Rational], &[Rational]),
) -> Result<(), VerifyError> {
    let s: Statistics = serde_json::from_value(stats.clone())
        .map_err(|e| VerifyError::Statistics(e.to_string()))?;
    let faces = &result.faces;
    let nf = faces.len();
    let count = |name: &str, got: usize, want: usize| {
        if got == want {
            Ok(())
        } else {
            Err(VerifyError::Statistics(format!(
                "{name} is {got}, the file's faces and edges give {want}"
            )))
        }
    };
    let real = |name: &str, got: Option<f64>, want: f64| {
        if same_real(got, want) {
            Ok(())
        } else {
            Err(VerifyError::Statistics(format!(
                "{name} is {}, recomputed {want}",
                got.map_or("null".to_string(), |x| x.to_string())
            )))
        }
    };

    count("regions", s.regions, nf)?;
    let distinct: HashSet<&Vec<Vec<u32>>> = faces.iter().map(|f| &f.pattern).collect();
    count("activation_regions", s.activation_regions, distinct.len())?;
    // Faces after each pattern layer: the distinct pattern prefixes (each
    // prefix's set of points is convex, so it is one face after that
    // layer), then the regions after the boundary cut, if any.
    let n_layers = result.model.layers.len();
    let mut per_layer = Vec::with_capacity(n_layers + 1);
    let mut prefix = vec![0usize; nf];
    for l in 0..n_layers {
        let mut ids: HashMap<(usize, &[u32]), usize> = HashMap::new();
        for (f, face) in faces.iter().enumerate() {
            let n = ids.len();
            prefix[f] = *ids
                .entry((prefix[f], face.pattern[l].as_slice()))
                .or_insert(n);
        }
        per_layer.push(ids.len());
    }
    if result.boundary != BoundarySpec::None {
        per_layer.push(nf);
    }
    if s.regions_per_layer != per_layer {
        return Err(VerifyError::Statistics(format!(
            "regions_per_layer is {:?}, the faces' patterns give {per_layer:?}",
            s.regions_per_layer
        )));
    }
    count("vertices", s.vertices, nv)?;
    count("edges", s.edges, result.edges.len())?;
    let inner: Vec<(usize, usize, bool)> = result
        .edges
        .iter()
        .filter_map(|e| Some((e.left?, e.right?, e.boundary)))
        .collect();
    count("adjacencies", s.adjacencies, inner.len())?;
    // Equal maps have equal hashes; equal hashes are confirmed exactly.
    let mut pieces = UnionFind::<usize>::new(nf);
    for &(l, r, _) in &inner {
        if map_hashes[l] == map_hashes[r] && output_map(l, &faces[l])? == output_map(r, &faces[r])?
        {
            pieces.union(l, r);
        }
    }
    let roots: HashSet<usize> = (0..nf).map(|f| pieces.find(f)).collect();
    count("linear_pieces", s.linear_pieces, roots.len())?;
    let mut touching = HashSet::new();
    let mut segments = UnionFind::<usize>::new(nv);
    for &(l, r, boundary) in &inner {
        if boundary {
            touching.insert(l);
            touching.insert(r);
        }
    }
    for e in result.edges.iter().filter(|e| e.boundary) {
        segments.union(e.a, e.b);
    }
    let ends: HashSet<usize> = result
        .edges
        .iter()
        .filter(|e| e.boundary)
        .map(|e| segments.find(e.a))
        .collect();
    count("boundary_pieces", s.boundary_pieces, ends.len())?;
    count(
        "regions_touching_boundary",
        s.regions_touching_boundary,
        touching.len(),
    )?;

    if parse_rational(&s.total_area_exact).as_ref() != Some(domain) {
        return Err(VerifyError::Statistics(format!(
            "total_area_exact is {:?}, the slice polygon's area is {}",
            s.total_area_exact,
            show(domain)
        )));
    }
    let dot = |a: &[Rational], b: &[Rational]| {
        a.iter()
            .zip(b)
            .fold(Rational::new(), |acc, (x, y)| acc + Rational::from(x * y))
    };
    let (g11, g12, g22) = (dot(e1, e1), dot(e1, e2), dot(e2, e2));
    let det = g11 * g22 - Rational::from(&g12 * &g12);
    let area_factor = det.to_f64().max(0.0).sqrt();
    real("area_factor", s.area_factor, area_factor)?;
    let total_area = domain.to_f64();
    real("total_area", s.total_area, total_area)?;
    let total_area_input = total_area * area_factor;
    real("total_area_input", s.total_area_input, total_area_input)?;
    let per = |x: f64| if x > 0.0 { nf as f64 / x } else { 0.0 };
    real("density", s.density, per(total_area))?;
    real("density_input", s.density_input, per(total_area_input))?;
    let mean_vertices = if nf > 0 {
        n_corners as f64 / nf as f64
    } else {
        0.0
    };
    real(
        "mean_vertices_per_region",
        s.mean_vertices_per_region,
        mean_vertices,
    )?;
    if let Some(m) = s.area_mean {
        real("area_input_mean", s.area_input_mean, m * area_factor)?;
    }
    if let Some(m) = s.area_std {
        real("area_input_std", s.area_input_std, m * area_factor)?;
    }
    Ok(())
}

/// Check 7's second half: the face sides without an opposite side cover
/// each side of the polygon exactly once, in its direction.
fn check_outer_sides(
    pts: &[Pt],
    poly: &[Pt],
    sides: &HashMap<(usize, usize), usize>,
) -> Result<(), VerifyError> {
    let np = poly.len();
    // Per polygon side: intervals [t_a, t_b] of the parameter along it.
    let mut cover: Vec<Vec<(Rational, Rational)>> = vec![Vec::new(); np];
    for (&(a, b), &f) in sides {
        if sides.contains_key(&(b, a)) {
            continue;
        }
        let (p, q) = (&pts[a], &pts[b]);
        let on = (0..np).find(|&i| {
            let (c0, c1) = (&poly[i], &poly[(i + 1) % np]);
            orient(c0, c1, p) == 0 && orient(c0, c1, q) == 0
        });
        let Some(i) = on else {
            return Err(VerifyError::Tiling(format!(
                "side {a} -> {b} of face {f} has no face on its other side but is not on the polygon's boundary"
            )));
        };
        let (c0, c1) = (&poly[i], &poly[(i + 1) % np]);
        let (dx, dy) = (Rational::from(&c1.0 - &c0.0), Rational::from(&c1.1 - &c0.1));
        let dd = Rational::from(&dx * &dx) + Rational::from(&dy * &dy);
        let t = |r: &Pt| {
            (Rational::from(&r.0 - &c0.0) * &dx + Rational::from(&r.1 - &c0.1) * &dy) / &dd
        };
        let (ta, tb) = (t(p), t(q));
        if !(ta >= 0 && ta < tb && tb <= 1) {
            return Err(VerifyError::Tiling(format!(
                "side {a} -> {b} of face {f} runs against or beyond polygon side {i}"
            )));
        }
        cover[i].push((ta, tb));
    }
    for (i, iv) in cover.iter_mut().enumerate() {
        iv.sort();
        let mut at = Rational::new();
        for (ta, tb) in iv.iter() {
            if *ta != at {
                return Err(VerifyError::Tiling(format!(
                    "polygon side {i} is covered {} at parameter {}",
                    if *ta > at { "with a gap" } else { "twice" },
                    show(&at)
                )));
            }
            at = tb.clone();
        }
        if at != 1 {
            return Err(VerifyError::Tiling(format!(
                "polygon side {i} is covered only up to parameter {}",
                show(&at)
            )));
        }
    }
    Ok(())
}
