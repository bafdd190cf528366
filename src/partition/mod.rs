//! The SplineCam partition: the exact linear regions of a network on a slice.
//!
//! This module owns the layer-wise algorithm (DESIGN §2): it walks the
//! network op by op, keeps per face the affine forms of the live tensors,
//! cuts faces by each neuron's line ([`crate::mesh::Mesh::cut_face`]),
//! splits faces into argmax cells for max-pool, maxout and multi-class
//! decision boundaries (cutting by difference lines, then merging cells that
//! were over-split), and records per region its activation pattern, output
//! map and class. It decides no sign itself (the mesh asks
//! [`crate::exact::predicates`]) and does no I/O.
//!
//! ```
//! use splinecam::{domain::Slice, net::json, partition::{Boundary, Options, Partition}};
//! let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
//!   "ops":[{"op":"dense","weight":[[1,0],[0,1],[1,1]],"bias":[0,0,-0.5]},{"op":"relu"},
//!          {"op":"dense","weight":[[1,-1,1]],"bias":[-0.25]}]}"#).unwrap();
//! let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
//! let regions_only = Options { boundary: Boundary::None, ..Options::default() };
//! let p = Partition::compute(&net, &slice, &regions_only).unwrap();
//! // Three lines (u = 0, v = 0, u + v = 1/2) in general position: 7 regions.
//! assert_eq!(p.num_regions(), 7);
//! p.validate().unwrap();
//! // With the decision boundary (the output's zero set) cut in as well:
//! let p = Partition::compute(&net, &slice, &Options::default()).unwrap();
//! assert!(p.num_regions() > 7);
//! p.validate().unwrap();
//! ```

mod check;
mod checkpoints;
mod engine;
mod finish;
mod labels;
mod pipeline;
mod split;
mod states;
mod vertex_pass;
mod zone;

use std::sync::{Arc, OnceLock};

use rug::Rational;

use crate::domain::Slice;
use crate::exact::{Kernel, PredicateStats};
use crate::mesh::{FaceId, HalfEdgeId, Mesh, MeshError};
use crate::net::{AffineForm, NetError, Network, Pattern};

pub use check::PartitionViolation;
pub use labels::LabelKind;

/// Which decision boundary (or level set) to insert after the last layer.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Boundary {
    /// No boundary: only activation regions.
    None,
    /// One output: its zero set (class 1 where positive); several outputs:
    /// the argmax boundary.
    #[default]
    Auto,
    /// The boundary between argmax cells of the outputs.
    Argmax,
    /// The boundary between argmin cells (ACAS Xu picks the minimum score).
    Argmin,
    /// The level set `output[k] = value` (class 1 where above).
    Level {
        /// Which output.
        output: usize,
        /// The level.
        value: f64,
    },
}

/// A progress callback: `(nodes done, node count, faces so far)`.
pub type ProgressFn = Arc<dyn Fn(usize, usize, usize) + Send + Sync>;

/// Options of [`Partition::compute`].
#[derive(Clone)]
pub struct Options {
    /// The kernel that decides signs (`Filtered` in production, `Rational`
    /// as the reference).
    pub kernel: Kernel,
    /// The decision boundary to insert.
    pub boundary: Boundary,
    /// Stop with [`PartitionError::TooManyRegions`] beyond this many faces.
    pub max_regions: Option<usize>,
    /// Called after each network node with `(node index, node count, faces)`.
    pub progress: Option<ProgressFn>,
    /// Before a sign the `f64` filter leaves goes exact, tighten the face's
    /// form from a double-double pass (`net::dd`) where its bounds have
    /// grown far past rounding (deep networks). On by default; it changes
    /// no result, only which arithmetic decides. Off only to test or
    /// measure the exact path alone. Networks with convolutions or average
    /// pooling have no double-double kernels and always go straight to
    /// exact.
    pub double_double: bool,
    /// Time the cutting of each activation layer on the thread that edits
    /// the mesh ([`Stats::cut_seconds`]). Off by default: it reads the
    /// clock twice per cut face (a few percent of a small network's time).
    pub time_cutting: bool,
    /// Cut the slice in two along a seam (a vertical line near the middle)
    /// and compute the two halves side by side, each by itself, then glue
    /// them and remove the seam: the same regions, found by two threads
    /// without waiting for each other. On by default; the result does not
    /// depend on the thread count either way (one thread computes the
    /// halves one after the other). Where a region boundary runs along the
    /// seam the halves are thrown away and the whole slice is computed at
    /// once, as without this option.
    pub halves: bool,
    /// Make each region's `f64` output forms ([`Partition::output`]) while
    /// partitioning. On by default. Off, with [`Boundary::None`], the
    /// partition skips the network's last dense layer altogether (regions
    /// and patterns only, as a region count needs) and
    /// [`Partition::output`] computes a region's forms from its pattern
    /// when first asked. A boundary needs the forms, so it makes them
    /// either way.
    pub output_forms: bool,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("kernel", &self.kernel)
            .field("boundary", &self.boundary)
            .field("max_regions", &self.max_regions)
            .field("progress", &self.progress.is_some())
            .field("double_double", &self.double_double)
            .field("time_cutting", &self.time_cutting)
            .field("halves", &self.halves)
            .field("output_forms", &self.output_forms)
            .finish()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kernel: Kernel::Filtered,
            boundary: Boundary::Auto,
            max_regions: None,
            progress: None,
            double_double: true,
            time_cutting: false,
            halves: true,
            output_forms: true,
        }
    }
}

/// Errors of [`Partition::compute`].
#[derive(Debug, thiserror::Error)]
pub enum PartitionError {
    /// The network and the slice do not fit together, or the network failed.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The mesh broke an invariant (a bug: please report it).
    #[error(transparent)]
    Mesh(#[from] MeshError),
    /// The slice was refused.
    #[error(transparent)]
    Slice(#[from] crate::domain::SliceError),
    /// More regions than `Options::max_regions`.
    #[error("stopped after {found} regions at node {node} ('{name}'): more than the limit of {limit}; raise --max-regions or use a smaller slice")]
    TooManyRegions {
        /// Regions found so far.
        found: usize,
        /// The limit.
        limit: usize,
        /// Node index.
        node: usize,
        /// Node name.
        name: String,
    },
    /// A bad option.
    #[error("{0}")]
    Option(String),
}

/// What is known of one region (one inner face of the mesh).
#[derive(Clone, Debug)]
pub struct Region {
    /// Activation pattern (per activation/max layer, per unit).
    pub pattern: Pattern,
    /// The class (argmax/argmin index, or 0/1 for a zero or level set);
    /// `None` without a boundary.
    pub class: Option<u32>,
    /// The network's outputs on the region ([`Partition::output`]), once
    /// made (shared with the faces that had the same form: a pointer, so
    /// that a region without one stays small).
    pub(crate) output: OnceLock<Arc<AffineForm>>,
}

impl Region {
    /// A region with the given pattern and class, its output forms made
    /// already (`Some`) or to be made on demand.
    pub(crate) fn new(
        pattern: Pattern,
        class: Option<u32>,
        output: Option<Arc<AffineForm>>,
    ) -> Region {
        Region {
            pattern,
            class,
            output: output.map_or_else(OnceLock::new, OnceLock::from),
        }
    }
}

/// Counters of one computation.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Faces after each activation/max layer (and after the boundary, last).
    pub faces_after_layer: Vec<usize>,
    /// How the kernel decided signs. With [`Options::halves`], this and the
    /// counts below (`run_ahead`, `folded`, `dd_tightened`) are the two
    /// halves' added (a face the seam cuts is counted in each half).
    pub predicates: PredicateStats,
    /// Per activation/max layer, the faces it left alone because, while an
    /// earlier layer was cut, no line of it could cross them (run-ahead:
    /// their states and the next dense layer's forms, where one is made,
    /// were made then).
    pub run_ahead: Vec<usize>,
    /// Per activation layer, the faces the vertex pass took through it: a
    /// plain chain of dense and ReLU nodes, once a layer adds few faces,
    /// is evaluated at every vertex, and a face whose corners agree on
    /// every neuron's sign needs no form for the layer (see
    /// `docs/algorithm.md`, The vertex pass).
    pub vertex_pass: Vec<usize>,
    /// Per activation layer, the faces the vertex pass left open (some
    /// corner left a sign undecided): they were tested and cut the usual
    /// way, their form made again from the input form where they had none.
    pub vertex_open: Vec<usize>,
    /// Per activation/max layer, the faces that held its input folded (a
    /// ReLU layer feeding a dense node at most a quarter as wide, or one
    /// not made ([`Options::output_forms`]), on faces whose run-ahead
    /// stopped there: the next dense node's output with the known neurons
    /// applied, if it is made, and the rows of the others; see
    /// `docs/algorithm.md`, Folded inputs).
    pub folded: Vec<usize>,
    /// Faces whose `f64` layer input was replaced by the rounding of its
    /// double-double form because the filter left a sign on it (deep
    /// networks, whose `f64` bounds outgrow the values; see
    /// `docs/algorithm.md`, Exact forms).
    pub dd_tightened: usize,
    /// Seconds per entry of `faces_after_layer`: each activation/max layer
    /// with the linear nodes before it, then the boundary with those after
    /// the last layer. With [`Options::halves`], the two halves' times
    /// added (on two threads, which run the halves at once, they can add up
    /// to more than the wall-clock `seconds`).
    pub layer_seconds: Vec<f64>,
    /// With [`Options::time_cutting`] (empty without), per entry of
    /// `faces_after_layer`, the seconds spent cutting faces on the thread
    /// that edits the mesh (an activation layer's step 2, which runs in face
    /// order on one thread; see `docs/algorithm.md`): the part of the layer
    /// that more threads cannot share. `0` for max layers and the boundary,
    /// which time none. With [`Options::halves`], the two halves' added.
    pub cut_seconds: Vec<f64>,
    /// Whether the slice was computed in two halves ([`Options::halves`]);
    /// false when the option is off, when the seam ([`Partition::seam`])
    /// misses the slice, and where the whole slice was computed again: a
    /// region boundary runs along the seam, or the halves passed
    /// [`Options::max_regions`].
    pub halved: bool,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The exact partition of a slice by a network.
pub struct Partition {
    pub(crate) mesh: Mesh,
    /// Indexed by face index; entry 0 (the outer face) is a placeholder.
    pub(crate) regions: Vec<Region>,
    pub(crate) labels: labels::LabelTable,
    pub(crate) net: Arc<Network>,
    pub(crate) slice: Slice,
    pub(crate) boundary: Boundary,
    pub(crate) stats: Stats,
}

impl Partition {
    /// Computes the partition of `slice` by `net`.
    pub fn compute(
        net: &Network,
        slice: &Slice,
        options: &Options,
    ) -> Result<Partition, PartitionError> {
        engine::compute(net, slice, options)
    }

    /// The seam `u = c` along which [`Options::halves`] cuts `slice` in
    /// two (near the middle of its range of `u`), or `None` if it cannot.
    ///
    /// ```
    /// use splinecam::{domain::Slice, partition::Partition};
    /// let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    /// let c = Partition::seam(&slice).unwrap();
    /// assert!(c > -0.1 && c < 0.0);
    /// ```
    pub fn seam(slice: &Slice) -> Option<f64> {
        split::seam_u(&slice.mesh(crate::exact::Kernel::Filtered).ok()?)
    }

    /// The mesh (faces are regions; the outer face is not one).
    pub fn mesh(&self) -> &Mesh {
        &self.mesh
    }

    /// The slice.
    pub fn slice(&self) -> &Slice {
        &self.slice
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The boundary option used.
    pub fn boundary(&self) -> Boundary {
        self.boundary
    }

    /// Number of regions (faces).
    pub fn num_regions(&self) -> usize {
        self.mesh.num_faces()
    }

    /// The regions' faces.
    pub fn regions(&self) -> impl ExactSizeIterator<Item = FaceId> {
        self.mesh.faces()
    }

    /// What is known of a region.
    pub fn region(&self, f: FaceId) -> &Region {
        &self.regions[f.index()]
    }

    /// What a label (recorded on vertices and edges) stands for.
    pub fn label_kind(&self, l: crate::mesh::Label) -> LabelKind {
        self.labels.kind(l)
    }

    /// Counters of the computation.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The network's outputs on region `f`, as `f64` affine forms of
    /// `(u, v)` with rigorous error bounds ([`Partition::output_exact`]
    /// gives the exact map). Made while partitioning, unless
    /// [`Options::output_forms`] was off without a boundary: then made from
    /// the region's pattern when first asked for, and kept.
    ///
    /// ```
    /// use splinecam::{domain::Slice, net::json, partition::{Boundary, Options, Partition}};
    /// let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
    ///   "ops":[{"op":"dense","weight":[[1,0],[0,1]],"bias":[0,0]},{"op":"relu"},
    ///          {"op":"dense","weight":[[1,1]],"bias":[-0.5]}]}"#).unwrap();
    /// let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    /// let lazy = Options { boundary: Boundary::None, output_forms: false, ..Options::default() };
    /// let p = Partition::compute(&net, &slice, &lazy).unwrap();
    /// for f in p.regions() {
    ///     // u + v − 1/2 where both are positive, and so on.
    ///     let (out, exact) = (p.output(f).unwrap(), p.output_exact(f).unwrap());
    ///     assert_eq!([out.u()[0], out.v()[0], out.c()[0]], exact[0].clone().map(|q| q.to_f64()));
    /// }
    /// ```
    pub fn output(&self, f: FaceId) -> Result<&AffineForm, PartitionError> {
        let r = &self.regions[f.index()];
        if let Some(form) = r.output.get() {
            return Ok(form);
        }
        let form = self
            .net
            .propagate_f64(self.slice.input_form_f64(), &r.pattern, |_, _| {})?;
        Ok(r.output.get_or_init(|| Arc::new(form)))
    }

    /// The exact output affine map of a region: per output, `[a_u, a_v, a_1]`.
    pub fn output_exact(&self, f: FaceId) -> Result<Vec<[Rational; 3]>, PartitionError> {
        let pattern = &self.regions[f.index()].pattern;
        let out = self
            .net
            .propagate_exact(self.slice.input_form_exact(), pattern, |_, _| {})?;
        Ok((0..out.len()).map(|k| out.coeffs(k)).collect())
    }

    /// Whether the edge of `h` lies on the decision boundary: it separates
    /// two regions of different classes.
    pub fn is_boundary_edge(&self, h: HalfEdgeId) -> bool {
        let (f, g) = (self.mesh.face(h), self.mesh.face(h.twin()));
        if f == FaceId::OUTER || g == FaceId::OUTER {
            return false;
        }
        let (a, b) = (self.regions[f.index()].class, self.regions[g.index()].class);
        a.is_some() && b.is_some() && a != b
    }

    /// An exact point in the interior of a region (the mean of its vertices).
    pub fn interior_point(&self, f: FaceId) -> (Rational, Rational) {
        let mut x = Rational::new();
        let mut y = Rational::new();
        let mut n = 0u32;
        for v in self.mesh.face_vertices(f) {
            let (px, py) = self.mesh.vertex_exact(v).expect("valid vertex");
            x += px;
            y += py;
            n += 1;
        }
        (x / n, y / n)
    }
}
