//! The result file: a partition saved as versioned JSON
//! (`"format": "splinecam-result"`, `"version": 1`), documented in
//! `docs/output-format.md`.
//!
//! [`ResultFile::from_partition`] collects everything a reader needs without
//! this crate: vertices as `f64` and as exact rationals (`"p/q"` strings),
//! faces as counter-clockwise vertex cycles with their activation pattern,
//! class, exact output map and exact area, edges with the units whose zero
//! set contains them, the decision-boundary segments and the statistics.
//! [`ResultFile::write`] writes atomically ([`crate::io::atomic`]);
//! [`ResultFile::read`] checks the format tag and version before anything
//! else. [`crate::verify::verify`] re-checks a file against its model.
//!
//! This module converts and serialises; it decides no geometry.
//!
//! ```
//! use splinecam::{domain::Slice, io::output::ResultFile, net::json, partition::{Options, Partition}};
//! let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
//!   "ops":[{"op":"dense","weight":[[1,0]],"bias":[0]},{"op":"relu"},
//!          {"op":"dense","weight":[[1]],"bias":[-0.25]}]}"#).unwrap();
//! let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
//! let p = Partition::compute(&net, &slice, &Options::default()).unwrap();
//! let r = ResultFile::from_partition(&p).unwrap();
//! assert_eq!(r.faces.len(), 3);
//! let back = ResultFile::from_json_str(&r.to_json_pretty().unwrap()).unwrap();
//! assert_eq!(back, r);
//! ```

use std::path::{Path, PathBuf};

use rug::{Integer, Rational};
use serde::{Deserialize, Serialize};

use crate::mesh::{FaceId, MeshError};
use crate::metrics::Metrics;
use crate::partition::{Boundary, LabelKind, Partition, PartitionError};

/// The `format` tag of a result file.
pub const FORMAT: &str = "splinecam-result";

/// The schema version this crate writes and reads.
pub const VERSION: u32 = 1;

/// Errors of reading, writing and serialising result files.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The text is not valid JSON or does not follow the schema.
    #[error("{path}: not a valid splinecam result file: {source}")]
    Json {
        /// The file (`<string>` for text in memory).
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The `format` tag is missing or names another format.
    #[error("{path}: not a splinecam result file ({msg})")]
    Format {
        /// The file.
        path: PathBuf,
        /// What was found.
        msg: String,
    },
    /// The schema version is not one this crate reads.
    #[error("{path}: result file version {found} is not supported (this splinecam reads version {supported}); re-run the partition with this version")]
    Version {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: String,
        /// The version this crate reads.
        supported: u32,
    },
}

/// A saved partition (the whole result file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// What the network looks like (to match a file with its model).
    pub model: ModelSummary,
    /// The slice, exactly.
    pub slice: SliceRecord,
    /// The decision boundary that was inserted (classes follow it).
    pub boundary: BoundarySpec,
    /// The mesh vertices; faces and edges refer to them by 0-based index.
    pub vertices: Vec<VertexRecord>,
    /// The regions, in [`Partition::regions`] order.
    pub faces: Vec<FaceRecord>,
    /// The mesh edges (including the slice polygon's sides).
    pub edges: Vec<EdgeRecord>,
    /// The decision-boundary segments, as vertex index pairs (the edges
    /// whose `boundary` flag is set, in edge order).
    pub boundary_segments: Vec<[usize; 2]>,
    /// The statistics ([`Metrics`], serialised as is).
    pub statistics: serde_json::Value,
}

/// The network's shape: enough to refuse a file computed for another model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// Input tensor shape.
    pub input_shape: Vec<usize>,
    /// Output tensor shape.
    pub output_shape: Vec<usize>,
    /// The pattern layers (activation and max nodes), in pattern order.
    pub layers: Vec<LayerSummary>,
}

/// One pattern layer of [`ModelSummary`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerSummary {
    /// Node name.
    pub node: String,
    /// Operation name (`relu`, `max_pool`, ...).
    pub op: String,
    /// Number of units (entries of this layer in a pattern).
    pub units: usize,
}

/// The slice `x(u, v) = origin + u·e1 + v·e2`, `(u, v)` in `polygon`; all
/// numbers exact `"p/q"` strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SliceRecord {
    /// The origin (one entry per input).
    pub origin: Vec<String>,
    /// The first direction.
    pub e1: Vec<String>,
    /// The second direction.
    pub e2: Vec<String>,
    /// The polygon's corners `[u, v]`, counter-clockwise.
    pub polygon: Vec<[String; 2]>,
    /// Slice coordinates of the samples the slice goes through.
    pub anchors: Vec<[String; 2]>,
}

/// The decision boundary of a result, with `auto` resolved.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundarySpec {
    /// No boundary; every class is `null`.
    None,
    /// Class = index of the largest output (lowest index on ties).
    Argmax,
    /// Class = index of the smallest output (lowest index on ties).
    Argmin,
    /// Class 1 where `output[output] > value`, else 0.
    Level {
        /// Which output.
        output: usize,
        /// The level (an exact binary float).
        value: f64,
    },
}

impl BoundarySpec {
    /// Resolves a [`Boundary`] option for a network with `outputs` outputs
    /// (`auto`: the zero set of a single output, else argmax).
    pub fn resolve(b: Boundary, outputs: usize) -> BoundarySpec {
        match b {
            Boundary::None => BoundarySpec::None,
            Boundary::Auto if outputs == 1 => BoundarySpec::Level {
                output: 0,
                value: 0.0,
            },
            Boundary::Auto | Boundary::Argmax => BoundarySpec::Argmax,
            Boundary::Argmin => BoundarySpec::Argmin,
            Boundary::Level { output, value } => BoundarySpec::Level { output, value },
        }
    }

    /// The equivalent [`Boundary`] option.
    pub fn to_boundary(self) -> Boundary {
        match self {
            BoundarySpec::None => Boundary::None,
            BoundarySpec::Argmax => Boundary::Argmax,
            BoundarySpec::Argmin => Boundary::Argmin,
            BoundarySpec::Level { output, value } => Boundary::Level { output, value },
        }
    }
}

/// One vertex.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VertexRecord {
    /// `u`, the exact value rounded to `f64`.
    pub x: f64,
    /// `v`, the exact value rounded to `f64`.
    pub y: f64,
    /// `[u, v]` exactly, as `"p/q"`.
    pub exact: [String; 2],
}

/// One face (region).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaceRecord {
    /// Vertex indices, counter-clockwise.
    pub vertices: Vec<usize>,
    /// Activation pattern: per pattern layer, per unit (see
    /// [`crate::net::Pattern`]).
    pub pattern: Vec<Vec<u32>>,
    /// Class under [`ResultFile::boundary`]; `null` without a boundary.
    pub class: Option<u32>,
    /// Per output, its exact affine map `[a_u, a_v, a_1]` on the face
    /// (`output = a_u·u + a_v·v + a_1`).
    pub output: Vec<[String; 3]>,
    /// Exact area in slice units.
    pub area: String,
    /// The area rounded to `f64`.
    pub area_f64: f64,
}

/// One edge between two vertices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeRecord {
    /// Start vertex.
    pub a: usize,
    /// End vertex.
    pub b: usize,
    /// The face to the left of `a → b` (`null` outside the polygon).
    pub left: Option<usize>,
    /// The face to the right of `a → b` (`null` outside the polygon).
    pub right: Option<usize>,
    /// The functions whose zero set contains the edge (empty for the
    /// polygon's sides).
    pub labels: Vec<EdgeLabel>,
    /// Whether the edge lies on the decision boundary (its two faces have
    /// different classes).
    pub boundary: bool,
}

/// What an edge lies on: the partition's own [`LabelKind`], serialised
/// tagged by `"kind"`.
pub type EdgeLabel = LabelKind;

/// An exact rational as `"p/q"` (`q > 0`, lowest terms; integers as `"p/1"`).
pub fn rational_string(r: &Rational) -> String {
    format!("{}/{}", r.numer(), r.denom())
}

/// Parses `"p/q"` or `"p"` (decimal integers, `q != 0`); `None` otherwise.
///
/// ```
/// use splinecam::io::output::parse_rational;
/// assert_eq!(parse_rational("-6/4").unwrap(), rug::Rational::from((-3, 2)));
/// assert_eq!(parse_rational("7").unwrap(), 7);
/// assert!(parse_rational("1/0").is_none() && parse_rational("x").is_none());
/// ```
pub fn parse_rational(s: &str) -> Option<Rational> {
    let (p, q) = match s.split_once('/') {
        Some((p, q)) => (p, q),
        None => (s, "1"),
    };
    let digits = |t: &str| {
        let t = t.strip_prefix('-').unwrap_or(t);
        !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit())
    };
    if !digits(p) || !digits(q) {
        return None;
    }
    let p: Integer = p.parse().ok()?;
    let q: Integer = q.parse().ok()?;
    if q == 0 {
        return None;
    }
    Some(Rational::from((p, q)))
}

fn pair(p: &(Rational, Rational)) -> [String; 2] {
    [rational_string(&p.0), rational_string(&p.1)]
}

/// Twice the signed area (counter-clockwise positive) of a polygon, exactly.
fn twice_area(pts: &[&(Rational, Rational)]) -> Rational {
    let n = pts.len();
    let mut s = Rational::new();
    for i in 0..n {
        let (p, q) = (pts[i], pts[(i + 1) % n]);
        s += Rational::from(&p.0 * &q.1) - Rational::from(&q.0 * &p.1);
    }
    s
}

impl ResultFile {
    /// Collects a partition into a result file: exact vertices, faces with
    /// their exact output maps (one exact propagation per region), edges,
    /// boundary segments and [`Metrics`].
    pub fn from_partition(p: &Partition) -> Result<ResultFile, PartitionError> {
        Self::with_metrics(p, &Metrics::of(p)?)
    }

    /// [`ResultFile::from_partition`] with the partition's metrics already
    /// computed (they are the file's `statistics`).
    pub fn with_metrics(p: &Partition, metrics: &Metrics) -> Result<ResultFile, PartitionError> {
        let mesh = p.mesh();
        let net = p.network();
        let slice = p.slice();
        let pts = mesh.vertices_exact().map_err(MeshError::from)?;

        let model = ModelSummary {
            input_shape: net.input_shape().to_vec(),
            output_shape: net.output_shape().to_vec(),
            layers: net
                .layer_nodes()
                .iter()
                .map(|&i| {
                    let node = &net.nodes()[i];
                    LayerSummary {
                        node: node.name.clone(),
                        op: node.op.name().to_string(),
                        units: net.len_of(node.output),
                    }
                })
                .collect(),
        };
        let strings = |v: &[Rational]| v.iter().map(rational_string).collect::<Vec<_>>();
        let slice_rec = SliceRecord {
            origin: strings(slice.origin()),
            e1: strings(slice.e1()),
            e2: strings(slice.e2()),
            polygon: slice.polygon().iter().map(pair).collect(),
            anchors: slice.anchors().iter().map(pair).collect(),
        };
        let vertices = pts
            .iter()
            .map(|p| VertexRecord {
                x: p.0.to_f64(),
                y: p.1.to_f64(),
                exact: pair(p),
            })
            .collect();

        // Face handle -> 0-based index in `regions()` order.
        let regions: Vec<FaceId> = p.regions().collect();
        let mut index = vec![None; regions.iter().map(|f| f.index() + 1).max().unwrap_or(0)];
        for (i, f) in regions.iter().enumerate() {
            index[f.index()] = Some(i);
        }
        let face_index = |f: FaceId| index.get(f.index()).copied().flatten();

        let mut faces = Vec::with_capacity(regions.len());
        for &f in &regions {
            let cycle: Vec<usize> = mesh.face_vertices(f).map(|v| v.index()).collect();
            let corners: Vec<&(Rational, Rational)> = cycle.iter().map(|&v| &pts[v]).collect();
            let area = twice_area(&corners) / 2u32;
            let r = p.region(f);
            let output = p
                .output_exact(f)?
                .iter()
                .map(|c| {
                    [
                        rational_string(&c[0]),
                        rational_string(&c[1]),
                        rational_string(&c[2]),
                    ]
                })
                .collect();
            faces.push(FaceRecord {
                vertices: cycle,
                pattern: r.pattern.layers.iter().map(|l| l.to_vec()).collect(),
                class: r.class,
                output,
                area_f64: area.to_f64(),
                area: rational_string(&area),
            });
        }

        let mut edges = Vec::with_capacity(mesh.num_edges());
        let mut boundary_segments = Vec::new();
        for h in mesh.edges() {
            let (a, b) = (mesh.origin(h).index(), mesh.dest(h).index());
            let boundary = p.is_boundary_edge(h);
            if boundary {
                boundary_segments.push([a, b]);
            }
            edges.push(EdgeRecord {
                a,
                b,
                left: face_index(mesh.face(h)),
                right: face_index(mesh.face(h.twin())),
                labels: mesh
                    .edge_labels(h)
                    .iter()
                    .map(|&l| p.label_kind(l))
                    .collect(),
                boundary,
            });
        }

        let statistics = serde_json::to_value(metrics)
            .map_err(|e| PartitionError::Option(format!("cannot serialise statistics: {e}")))?;
        Ok(ResultFile {
            format: FORMAT.to_string(),
            version: VERSION,
            model,
            slice: slice_rec,
            boundary: BoundarySpec::resolve(p.boundary(), net.len_of(net.output())),
            vertices,
            faces,
            edges,
            boundary_segments,
            statistics,
        })
    }

    /// The file's text: pretty-printed JSON.
    pub fn to_json_pretty(&self) -> Result<String, OutputError> {
        serde_json::to_string_pretty(self).map_err(|source| OutputError::Json {
            path: PathBuf::from("<string>"),
            source,
        })
    }

    /// Writes the file atomically ([`crate::io::atomic::write_atomic`]).
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), OutputError> {
        let path = path.as_ref();
        let mut text = self.to_json_pretty()?;
        text.push('\n');
        super::atomic::write_atomic(path, text.as_bytes()).map_err(|source| OutputError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads a result file: checks the format tag and version, then the
    /// schema. Numbers are not checked here ([`crate::verify::verify`]
    /// does that).
    pub fn read(path: impl AsRef<Path>) -> Result<ResultFile, OutputError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| OutputError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses the text of a result file (as [`ResultFile::read`]).
    pub fn from_json_str(text: &str) -> Result<ResultFile, OutputError> {
        Self::parse(text, Path::new("<string>"))
    }

    fn parse(text: &str, path: &Path) -> Result<ResultFile, OutputError> {
        let json_err = |source| OutputError::Json {
            path: path.to_path_buf(),
            source,
        };
        let value: serde_json::Value = serde_json::from_str(text).map_err(json_err)?;
        let format = value.get("format").and_then(|f| f.as_str());
        if format != Some(FORMAT) {
            let msg = match value.get("format") {
                None => "no \"format\" field".to_string(),
                Some(f) => format!("\"format\" is {f}, expected \"{FORMAT}\""),
            };
            return Err(OutputError::Format {
                path: path.to_path_buf(),
                msg,
            });
        }
        match value.get("version") {
            Some(v) if v.as_u64() == Some(u64::from(VERSION)) => {}
            other => {
                return Err(OutputError::Version {
                    path: path.to_path_buf(),
                    found: other.map_or_else(|| "(missing)".to_string(), |v| v.to_string()),
                    supported: VERSION,
                })
            }
        }
        serde_json::from_value(value).map_err(json_err)
    }
}
