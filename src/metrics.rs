//! Summary statistics of a partition: counts, linear pieces, region areas
//! and shapes, densities, and the decision boundary's length and pieces.
//!
//! This module owns [`Metrics`], the numbers the Python SplineCam reports per
//! slice (region count, areas, eccentricity, centrality, density, boundary
//! length), plus the ones this crate adds (linear pieces, boundary pieces,
//! the exact total area). Shape statistics are `f64` and are computed from
//! the vertices' `f64` coordinates: they are measurements, not decisions.
//! The one topological decision, whether two adjacent regions carry the same
//! output map (linear pieces, DESIGN §1), is exact: the `f64` output forms
//! are compared under their error bounds first and the exact maps
//! ([`Partition::output_exact`]) decide whatever the bounds leave open.
//!
//! Input-space units: a slice vector `(du, dv)` has length
//! `sqrt([du dv] G [du dv]ᵀ)` and a slice area is multiplied by
//! `sqrt(det G)`, with `G` the slice's Gram matrix
//! ([`crate::domain::Slice::gram_exact`]).
//!
//! ```
//! use splinecam::{domain::Slice, metrics::Metrics, net::json, partition::{Options, Partition}};
//! // relu(u) - 0.25 on [-1, 1]²: regions u < 0, 0 < u < 1/4, u > 1/4; the
//! // boundary is the segment u = 1/4.
//! let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
//!   "ops":[{"op":"dense","weight":[[1,0]],"bias":[0]},{"op":"relu"},
//!          {"op":"dense","weight":[[1]],"bias":[-0.25]}]}"#).unwrap();
//! let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
//! let p = Partition::compute(&net, &slice, &Options::default()).unwrap();
//! let m = Metrics::of(&p).unwrap();
//! // Three faces; the boundary splits the "on" activation region in two.
//! assert_eq!((m.regions, m.activation_regions, m.linear_pieces), (3, 2, 2));
//! assert_eq!((m.boundary_pieces, m.boundary_length), (1, 2.0));
//! assert_eq!(m.total_area_exact, "4/1");
//! println!("{}", m.to_table());
//! ```

use rug::Rational;
use serde::Serialize;

use crate::graph::RegionGraph;
use crate::mesh::FaceId;
use crate::net::AffineForm;
use crate::partition::{Partition, PartitionError};

/// Summary statistics of one partition (see the module documentation for
/// units). Means and standard deviations are over regions; standard
/// deviations are population ones (divide by the count, as numpy's default).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    /// Regions: the faces of the partition (each with one activation pattern
    /// and class; with a decision boundary, the boundary splits activation
    /// regions further).
    pub regions: usize,
    /// Activation regions: distinct activation patterns (what SplineCam
    /// counts); at most `regions`.
    pub activation_regions: usize,
    /// Maximal connected unions of adjacent regions whose exact output maps
    /// are identical.
    pub linear_pieces: usize,
    /// Faces after each activation/max layer (and after the boundary cut,
    /// last, when there is one).
    pub regions_per_layer: Vec<usize>,
    /// Mesh vertices.
    pub vertices: usize,
    /// Mesh edges (including the sides of the slice polygon).
    pub edges: usize,
    /// Adjacencies: edges shared by two regions (region graph edges).
    pub adjacencies: usize,
    /// Mean number of vertices of a region.
    pub mean_vertices_per_region: f64,
    /// `sqrt(det G)`: input-space area of one unit of slice area.
    pub area_factor: f64,
    /// Mean region area, slice units.
    pub area_mean: f64,
    /// Standard deviation of region areas, slice units.
    pub area_std: f64,
    /// Mean region area, input-space units.
    pub area_input_mean: f64,
    /// Standard deviation of region areas, input-space units.
    pub area_input_std: f64,
    /// Mean eccentricity: per region, the longest over the shortest distance
    /// between two of its vertices (input-space metric).
    pub eccentricity_mean: f64,
    /// Standard deviation of the eccentricity.
    pub eccentricity_std: f64,
    /// Mean centrality: per region, the mean distance of its vertices to
    /// their centroid (input-space units).
    pub centrality_mean: f64,
    /// Standard deviation of the centrality.
    pub centrality_std: f64,
    /// Regions per unit of slice area.
    pub density: f64,
    /// Regions per unit of input-space area.
    pub density_input: f64,
    /// Total length of the decision boundary, slice units.
    pub boundary_length: f64,
    /// Total length of the decision boundary, input-space units.
    pub boundary_length_input: f64,
    /// Connected pieces of the decision boundary.
    pub boundary_pieces: usize,
    /// Regions with at least one edge on the decision boundary.
    pub regions_touching_boundary: usize,
    /// The exact area of the slice polygon (the sum of the regions' exact
    /// areas), slice units, as `"p/q"`.
    pub total_area_exact: String,
    /// The slice polygon's area, slice units (rounded).
    pub total_area: f64,
    /// The slice polygon's area, input-space units (rounded).
    pub total_area_input: f64,
}

/// One value of a metrics row.
enum Value<'a> {
    Count(usize),
    Real(f64),
    Text(&'a str),
    Counts(&'a [usize]),
}

impl Metrics {
    /// Computes the metrics of a partition (building its region graph).
    ///
    /// Errors only if an exact output map cannot be computed
    /// ([`Partition::output_exact`]).
    pub fn of(p: &Partition) -> Result<Metrics, PartitionError> {
        Metrics::with_graph(p, &RegionGraph::new(p))
    }

    /// Computes the metrics of a partition whose region graph is at hand
    /// (`graph` must be [`RegionGraph::new`] of this `p`).
    pub fn with_graph(p: &Partition, graph: &RegionGraph) -> Result<Metrics, PartitionError> {
        let mesh = p.mesh();
        let slice = p.slice();
        let g = slice.gram_f64();
        let ge = slice.gram_exact();
        let det = Rational::from(&ge[0][0] * &ge[1][1]) - Rational::from(&ge[0][1] * &ge[1][0]);
        let area_factor = det.to_f64().max(0.0).sqrt();
        let len_input = |d: [f64; 2]| {
            (g[0][0] * d[0] * d[0] + (g[0][1] + g[1][0]) * d[0] * d[1] + g[1][1] * d[1] * d[1])
                .max(0.0)
                .sqrt()
        };

        let n = p.num_regions();
        let mut areas = Vec::with_capacity(n);
        let mut ecc = Vec::with_capacity(n);
        let mut cent = Vec::with_capacity(n);
        let mut n_verts = 0usize;
        let mut pts: Vec<[f64; 2]> = Vec::new();
        for f in p.regions() {
            pts.clear();
            pts.extend(mesh.face_vertices(f).map(|v| mesh.vertex_xy(v)));
            n_verts += pts.len();
            areas.push(mesh.face_area_f64(f));
            if let Some(e) = eccentricity(&pts, len_input) {
                ecc.push(e);
            }
            if !pts.is_empty() {
                let k = pts.len() as f64;
                let cu = pts.iter().map(|q| q[0]).sum::<f64>() / k;
                let cv = pts.iter().map(|q| q[1]).sum::<f64>() / k;
                let c = pts
                    .iter()
                    .map(|q| len_input([q[0] - cu, q[1] - cv]))
                    .sum::<f64>()
                    / k;
                cent.push(c);
            }
        }
        let (area_mean, area_std) = mean_std(&areas);

        let mut boundary_length = 0.0;
        let mut boundary_length_input = 0.0;
        for e in graph.graph().edge_weights().filter(|e| e.boundary) {
            let a = mesh.vertex_xy(mesh.origin(e.half_edge));
            let b = mesh.vertex_xy(mesh.dest(e.half_edge));
            let d = [b[0] - a[0], b[1] - a[1]];
            boundary_length += d[0].hypot(d[1]);
            boundary_length_input += len_input(d);
        }

        let total = slice.area_exact();
        let total_area = total.to_f64();
        let total_area_input = total_area * area_factor;
        let per = |x: f64| if x > 0.0 { n as f64 / x } else { 0.0 };
        let (eccentricity_mean, eccentricity_std) = mean_std(&ecc);
        let (centrality_mean, centrality_std) = mean_std(&cent);
        Ok(Metrics {
            regions: n,
            activation_regions: p
                .regions()
                .map(|f| &p.region(f).pattern)
                .collect::<std::collections::HashSet<_>>()
                .len(),
            linear_pieces: linear_pieces_with_graph(p, graph)?.len(),
            regions_per_layer: p.stats().faces_after_layer.clone(),
            vertices: mesh.num_vertices(),
            edges: mesh.num_edges(),
            adjacencies: graph.num_adjacencies(),
            mean_vertices_per_region: if n > 0 {
                n_verts as f64 / n as f64
            } else {
                0.0
            },
            area_factor,
            area_mean,
            area_std,
            area_input_mean: area_mean * area_factor,
            area_input_std: area_std * area_factor,
            eccentricity_mean,
            eccentricity_std,
            centrality_mean,
            centrality_std,
            density: per(total_area),
            density_input: per(total_area_input),
            boundary_length,
            boundary_length_input,
            boundary_pieces: graph.boundary_pieces(),
            regions_touching_boundary: graph.boundary_regions().len(),
            total_area_exact: format!("{}/{}", total.numer(), total.denom()),
            total_area,
            total_area_input,
        })
    }

    /// The metrics as `(name, value)` rows, in field order; lists are
    /// written `a;b;c`, reals with full precision.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        self.values()
            .into_iter()
            .map(|(k, v)| (k, format_value(&v, false)))
            .collect()
    }

    /// The metrics as an aligned text table, one `name  value` row per
    /// line (reals rounded to 6 decimals).
    ///
    /// ```
    /// # use splinecam::{domain::Slice, metrics::Metrics, net::json, partition::{Options, Partition}};
    /// # let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
    /// #   "ops":[{"op":"dense","weight":[[1,0]],"bias":[0]},{"op":"relu"},
    /// #          {"op":"dense","weight":[[1]],"bias":[-0.25]}]}"#).unwrap();
    /// # let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    /// # let p = Partition::compute(&net, &slice, &Options::default()).unwrap();
    /// let table = Metrics::of(&p).unwrap().to_table();
    /// assert!(table.lines().any(|l| l.split_whitespace().eq(["regions", "3"])));
    /// ```
    pub fn to_table(&self) -> String {
        let values = self.values();
        let width = values.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (k, v) in &values {
            out.push_str(&format!("{k:<width$}  {}\n", format_value(v, true)));
        }
        out
    }

    /// The metrics as CSV: a header line of names and one line of values
    /// (lists written `a;b;c`, reals with full precision), so that the
    /// value lines of several slices stack under one header.
    ///
    /// ```
    /// # use splinecam::{domain::Slice, metrics::Metrics, net::json, partition::{Options, Partition}};
    /// # let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
    /// #   "ops":[{"op":"dense","weight":[[1,0]],"bias":[0]},{"op":"relu"},
    /// #          {"op":"dense","weight":[[1]],"bias":[-0.25]}]}"#).unwrap();
    /// # let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    /// # let p = Partition::compute(&net, &slice, &Options::default()).unwrap();
    /// let csv = Metrics::of(&p).unwrap().to_csv();
    /// let lines: Vec<&str> = csv.lines().collect();
    /// assert_eq!(lines.len(), 2);
    /// assert!(lines[0].starts_with("regions,activation_regions,linear_pieces,"));
    /// assert!(lines[1].starts_with("3,2,"));
    /// ```
    pub fn to_csv(&self) -> String {
        let rows = self.rows();
        let header: Vec<&str> = rows.iter().map(|(k, _)| *k).collect();
        let values: Vec<&str> = rows.iter().map(|(_, v)| v.as_str()).collect();
        format!("{}\n{}\n", header.join(","), values.join(","))
    }

    /// The numeric metrics as `(name, value)` pairs, in table order, with
    /// `regions_per_layer` spread out as `regions_after_layer_0`, ... (the
    /// exact total area, a string, is left out).
    pub fn numeric(&self) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        for (k, v) in self.values() {
            match v {
                Value::Count(c) => out.push((k.to_string(), c as f64)),
                Value::Real(x) => out.push((k.to_string(), x)),
                Value::Counts(c) => {
                    for (i, &n) in c.iter().enumerate() {
                        out.push((format!("regions_after_layer_{i}"), n as f64));
                    }
                }
                Value::Text(_) => {}
            }
        }
        out
    }

    fn values(&self) -> Vec<(&'static str, Value<'_>)> {
        use Value::{Count, Counts, Real, Text};
        vec![
            ("regions", Count(self.regions)),
            ("activation_regions", Count(self.activation_regions)),
            ("linear_pieces", Count(self.linear_pieces)),
            ("regions_per_layer", Counts(&self.regions_per_layer)),
            ("vertices", Count(self.vertices)),
            ("edges", Count(self.edges)),
            ("adjacencies", Count(self.adjacencies)),
            (
                "mean_vertices_per_region",
                Real(self.mean_vertices_per_region),
            ),
            ("area_factor", Real(self.area_factor)),
            ("area_mean", Real(self.area_mean)),
            ("area_std", Real(self.area_std)),
            ("area_input_mean", Real(self.area_input_mean)),
            ("area_input_std", Real(self.area_input_std)),
            ("eccentricity_mean", Real(self.eccentricity_mean)),
            ("eccentricity_std", Real(self.eccentricity_std)),
            ("centrality_mean", Real(self.centrality_mean)),
            ("centrality_std", Real(self.centrality_std)),
            ("density", Real(self.density)),
            ("density_input", Real(self.density_input)),
            ("boundary_length", Real(self.boundary_length)),
            ("boundary_length_input", Real(self.boundary_length_input)),
            ("boundary_pieces", Count(self.boundary_pieces)),
            (
                "regions_touching_boundary",
                Count(self.regions_touching_boundary),
            ),
            ("total_area_exact", Text(&self.total_area_exact)),
            ("total_area", Real(self.total_area)),
            ("total_area_input", Real(self.total_area_input)),
        ]
    }
}

fn format_value(v: &Value<'_>, rounded: bool) -> String {
    match v {
        Value::Count(c) => c.to_string(),
        Value::Real(x) if rounded => format!("{x:.6}"),
        Value::Real(x) => format!("{x}"),
        Value::Text(s) => (*s).to_string(),
        Value::Counts(c) => c
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(";"),
    }
}

/// Population mean and standard deviation; `(0, 0)` for no values.
fn mean_std(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.max(0.0).sqrt())
}

/// Longest over shortest distance between two of the points; `None` if
/// fewer than two points or the shortest distance rounds to zero.
fn eccentricity(pts: &[[f64; 2]], len: impl Fn([f64; 2]) -> f64) -> Option<f64> {
    let mut lo = f64::INFINITY;
    let mut hi = 0.0f64;
    for (i, a) in pts.iter().enumerate() {
        for b in &pts[i + 1..] {
            let d = len([b[0] - a[0], b[1] - a[1]]);
            lo = lo.min(d);
            hi = hi.max(d);
        }
    }
    let r = hi / lo;
    (lo > 0.0 && r.is_finite()).then_some(r)
}

/// What the `f64` forms with their error bounds prove about two maps.
enum FilterVerdict {
    Different,
    Equal,
    Unknown,
}

/// Compares two `f64` output forms under their error bounds.
fn filter_outputs(a: &AffineForm, b: &AffineForm) -> FilterVerdict {
    if a.len() != b.len() {
        return FilterVerdict::Different;
    }
    let mut all_exact_equal = true;
    let triples = [
        (a.u(), a.err_u(), b.u(), b.err_u()),
        (a.v(), a.err_v(), b.v(), b.err_v()),
        (a.c(), a.err_c(), b.c(), b.err_c()),
    ];
    for (xa, ea, xb, eb) in triples {
        for k in 0..xa.len() {
            let (Some(&x), Some(&y), Some(&ex), Some(&ey)) =
                (xa.get(k), xb.get(k), ea.get(k), eb.get(k))
            else {
                return FilterVerdict::Unknown;
            };
            let d = (x - y).abs();
            let e = ex + ey;
            // The margin covers the rounding of `x - y` and `ex + ey`; any
            // NaN or infinity makes the comparison false (undecided).
            if d > e * (1.0 + 1e-12) + f64::MIN_POSITIVE {
                return FilterVerdict::Different;
            }
            if !(d == 0.0 && e == 0.0) {
                all_exact_equal = false;
            }
        }
    }
    if all_exact_equal {
        // Zero error bounds: the f64 values are the exact coefficients.
        FilterVerdict::Equal
    } else {
        FilterVerdict::Unknown
    }
}

/// The cheap exact tests first: one activation pattern means one output map
/// (the map is a function of the pattern: regions split only by the
/// decision boundary share it); then the `f64` forms under their bounds.
fn filter(p: &Partition, f: FaceId, g: FaceId) -> Result<FilterVerdict, PartitionError> {
    if p.region(f).pattern == p.region(g).pattern {
        return Ok(FilterVerdict::Equal);
    }
    Ok(filter_outputs(p.output(f)?, p.output(g)?))
}

/// Whether two regions' output affine maps are identical, decided exactly
/// (equal activation patterns, then the `f64` forms under their error
/// bounds, then the exact maps when the bounds cannot tell). `f` and `g`
/// must be regions of `p` (as for [`Partition::region`]).
///
/// ```
/// use splinecam::{domain::Slice, metrics, net::json, partition::{Boundary, Options, Partition}};
/// // relu(u) + 0·relu(v): the two quadrants with u > 0 share the map u.
/// let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
///   "ops":[{"op":"dense","weight":[[1,0],[0,1]],"bias":[0,0]},{"op":"relu"},
///          {"op":"dense","weight":[[1,0]],"bias":[0]}]}"#).unwrap();
/// let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
/// let options = Options { boundary: Boundary::None, ..Options::default() };
/// let p = Partition::compute(&net, &slice, &options).unwrap();
/// let faces: Vec<_> = p.regions().collect();
/// let equal = faces.iter().filter(|&&g| metrics::same_output_map(&p, faces[0], g).unwrap()).count();
/// assert_eq!(equal, 2); // faces[0] itself and the quadrant beside it
/// ```
pub fn same_output_map(p: &Partition, f: FaceId, g: FaceId) -> Result<bool, PartitionError> {
    if f == g {
        return Ok(true);
    }
    match filter(p, f, g)? {
        FilterVerdict::Different => Ok(false),
        FilterVerdict::Equal => Ok(true),
        FilterVerdict::Unknown => Ok(p.output_exact(f)? == p.output_exact(g)?),
    }
}

/// The linear pieces of a partition: maximal connected unions of adjacent
/// regions whose output maps are identical (exactly compared). Each piece
/// is sorted; pieces are ordered by their first region.
pub fn linear_pieces(p: &Partition) -> Result<Vec<Vec<FaceId>>, PartitionError> {
    linear_pieces_with_graph(p, &RegionGraph::new(p))
}

/// [`linear_pieces`] with the partition's region graph at hand (`graph`
/// must be [`RegionGraph::new`] of this `p`).
pub fn linear_pieces_with_graph(
    p: &Partition,
    graph: &RegionGraph,
) -> Result<Vec<Vec<FaceId>>, PartitionError> {
    // Exact maps are computed at most once per region.
    let mut exact: Vec<Option<Vec<[Rational; 3]>>> = vec![None; graph.graph().node_count()];
    let mut error = None;
    let pieces = graph.components_by(|f, g, _| {
        if error.is_some() {
            return false;
        }
        match filter(p, f, g) {
            Err(e) => {
                error = Some(e);
                false
            }
            Ok(FilterVerdict::Different) => false,
            Ok(FilterVerdict::Equal) => true,
            Ok(FilterVerdict::Unknown) => {
                let (Some(a), Some(b)) = (graph.node(f), graph.node(g)) else {
                    return false;
                };
                for (n, face) in [(a, f), (b, g)] {
                    if exact[n.index()].is_none() {
                        match p.output_exact(face) {
                            Ok(m) => exact[n.index()] = Some(m),
                            Err(e) => {
                                error = Some(e);
                                return false;
                            }
                        }
                    }
                }
                exact[a.index()] == exact[b.index()]
            }
        }
    });
    match error {
        Some(e) => Err(e),
        None => Ok(pieces),
    }
}

/// Mean and spread of one metric over several slices (see [`summarize`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The metric's name (as in [`Metrics::numeric`]).
    pub name: String,
    /// Slices that have the metric.
    pub count: usize,
    /// Mean.
    pub mean: f64,
    /// Standard deviation (population; 0 for one slice).
    pub std: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Per metric, its mean, spread and range over `list` (e.g. one model on
/// several random slices), in table order. A metric that only some slices
/// have (a per-layer count of a deeper network) counts those slices only.
///
/// ```
/// # use splinecam::{domain::Slice, metrics::{self, Metrics}, net::json, partition::{Options, Partition}};
/// # let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
/// #   "ops":[{"op":"dense","weight":[[1,0]],"bias":[0]},{"op":"relu"},
/// #          {"op":"dense","weight":[[1]],"bias":[-0.25]}]}"#).unwrap();
/// let m = |b| {
///     let s = Slice::square_box(&[2], b).unwrap();
///     Metrics::of(&Partition::compute(&net, &s, &Options::default()).unwrap()).unwrap()
/// };
/// // 3 regions on [-1,1]², 1 region on [1,2]x[0,1].
/// let rows = metrics::summarize(&[m([-1.0, 1.0, -1.0, 1.0]), m([1.0, 2.0, 0.0, 1.0])]);
/// let regions = rows.iter().find(|r| r.name == "regions").unwrap();
/// assert_eq!((regions.mean, regions.std, regions.min, regions.max), (2.0, 1.0, 1.0, 3.0));
/// ```
pub fn summarize(list: &[Metrics]) -> Vec<Summary> {
    let mut names: Vec<String> = Vec::new();
    let mut values: std::collections::HashMap<String, Vec<f64>> = std::collections::HashMap::new();
    for m in list {
        for (k, v) in m.numeric() {
            if !values.contains_key(&k) {
                names.push(k.clone());
            }
            values.entry(k).or_default().push(v);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let v = &values[&name];
            let n = v.len() as f64;
            let mean = v.iter().sum::<f64>() / n;
            let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
            Summary {
                count: v.len(),
                mean,
                std: var.sqrt(),
                min: v.iter().copied().fold(f64::INFINITY, f64::min),
                max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                name,
            }
        })
        .collect()
}
