//! The region adjacency graph of a partition and the queries on it.
//!
//! This module owns [`RegionGraph`]: a `petgraph` undirected graph with one
//! node per region (inner face) and one edge per mesh edge shared by two
//! regions, carrying the labels whose zero set contains that edge and
//! whether it lies on the decision boundary (DESIGN §1). Two regions that
//! share several collinear mesh edges are joined by several graph edges.
//! It decides no sign and computes no geometry: everything it knows comes
//! from the mesh's topology and the partition's region data.
//!
//! ```
//! use splinecam::{domain::Slice, graph::RegionGraph, net::json, partition::{Boundary, Options, Partition}};
//! // relu(u) and relu(v) on [-1, 1]²: the four quadrants.
//! let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
//!   "ops":[{"op":"dense","weight":[[1,0],[0,1]],"bias":[0,0]},{"op":"relu"},
//!          {"op":"dense","weight":[[1,1]],"bias":[0]}]}"#).unwrap();
//! let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
//! let options = Options { boundary: Boundary::None, ..Options::default() };
//! let p = Partition::compute(&net, &slice, &options).unwrap();
//! let g = RegionGraph::new(&p);
//! assert_eq!((g.graph().node_count(), g.graph().edge_count()), (4, 4));
//! for f in p.regions() {
//!     assert_eq!(g.neighbours(f).len(), 2);
//! }
//! ```

use petgraph::graph::{NodeIndex, UnGraph};
use petgraph::unionfind::UnionFind;
use petgraph::visit::EdgeRef;

use crate::mesh::{FaceId, HalfEdgeId};
use crate::partition::{LabelKind, Partition};

/// What a graph edge (one mesh edge shared by two regions) carries.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeInfo {
    /// The mesh half-edge of the shared edge whose face is the first node of
    /// the graph edge's stored endpoints (`graph().edge_endpoints(e)`); its
    /// [`HalfEdgeId::twin`] belongs to the second.
    pub half_edge: HalfEdgeId,
    /// What the labels whose zero set contains the edge stand for (the
    /// neurons, max-unit pairs or output pairs that made the cut), in the
    /// mesh's label order.
    pub labels: Vec<LabelKind>,
    /// Whether the edge lies on the decision boundary (its two regions have
    /// different classes, see [`Partition::is_boundary_edge`]).
    pub boundary: bool,
}

/// The region adjacency graph: one node per region, weighted by its
/// [`FaceId`], one edge per shared mesh edge, weighted by [`EdgeInfo`].
///
/// Nodes are added in the order of [`Partition::regions`], so node `i` is the
/// `i`-th region. Edges are added in the mesh's edge order.
#[derive(Clone, Debug)]
pub struct RegionGraph {
    graph: UnGraph<FaceId, EdgeInfo>,
    /// Indexed by face index; `None` for the outer face.
    node_of: Vec<Option<NodeIndex>>,
    /// Indexed by node index: the region's class.
    classes: Vec<Option<u32>>,
    /// Connected components of the boundary segments.
    boundary_pieces: usize,
}

impl RegionGraph {
    /// Builds the adjacency graph of a partition's regions.
    ///
    /// ```
    /// use splinecam::{domain::Slice, graph::RegionGraph, net::json, partition::{Options, Partition}};
    /// // relu(u) - 0.25: regions u < 0, 0 < u < 1/4, u > 1/4, the boundary at u = 1/4.
    /// let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
    ///   "ops":[{"op":"dense","weight":[[1,0]],"bias":[0]},{"op":"relu"},
    ///          {"op":"dense","weight":[[1]],"bias":[-0.25]}]}"#).unwrap();
    /// let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    /// let p = Partition::compute(&net, &slice, &Options::default()).unwrap();
    /// let g = RegionGraph::new(&p);
    /// assert_eq!(g.graph().node_count(), 3);
    /// assert_eq!(g.boundary_regions().len(), 2);
    /// assert_eq!(g.boundary_pieces(), 1);
    /// assert_eq!(g.class_components(0).len(), 1);
    /// ```
    pub fn new(p: &Partition) -> RegionGraph {
        let mesh = p.mesh();
        let n_faces = mesh.num_faces();
        let mut graph = UnGraph::with_capacity(n_faces, mesh.num_edges());
        let mut node_of = vec![None; n_faces + 1];
        for f in p.regions() {
            node_of[f.index()] = Some(graph.add_node(f));
        }
        let node = |f: FaceId| node_of.get(f.index()).copied().flatten();
        let mut boundary_edges = Vec::new();
        for h in mesh.edges() {
            let (Some(a), Some(b)) = (node(mesh.face(h)), node(mesh.face(h.twin()))) else {
                continue;
            };
            if a == b {
                continue;
            }
            let boundary = p.is_boundary_edge(h);
            if boundary {
                boundary_edges.push((mesh.origin(h).index(), mesh.dest(h).index()));
            }
            let labels = mesh
                .edge_labels(h)
                .iter()
                .map(|&l| p.label_kind(l))
                .collect();
            graph.add_edge(
                a,
                b,
                EdgeInfo {
                    half_edge: h,
                    labels,
                    boundary,
                },
            );
        }
        // Boundary pieces: union-find over the boundary edges' endpoints.
        let mut uf = UnionFind::<usize>::new(mesh.num_vertices());
        for &(a, b) in &boundary_edges {
            uf.union(a, b);
        }
        let mut roots: Vec<usize> = boundary_edges.iter().map(|&(a, _)| uf.find(a)).collect();
        roots.sort_unstable();
        roots.dedup();
        let classes = graph.node_weights().map(|&f| p.region(f).class).collect();
        RegionGraph {
            graph,
            node_of,
            classes,
            boundary_pieces: roots.len(),
        }
    }

    /// The underlying `petgraph` graph (node weights are faces, edge weights
    /// [`EdgeInfo`]).
    pub fn graph(&self) -> &UnGraph<FaceId, EdgeInfo> {
        &self.graph
    }

    /// The node of a region; `None` for the outer face or a face this
    /// partition does not have.
    pub fn node(&self, f: FaceId) -> Option<NodeIndex> {
        self.node_of.get(f.index()).copied().flatten()
    }

    /// The number of regions (nodes).
    pub fn num_regions(&self) -> usize {
        self.graph.node_count()
    }

    /// The number of adjacencies (graph edges: shared mesh edges).
    pub fn num_adjacencies(&self) -> usize {
        self.graph.edge_count()
    }

    /// The distinct regions adjacent to `f` (sharing at least one mesh edge
    /// with it), in increasing order; empty for a face that is not a region.
    pub fn neighbours(&self, f: FaceId) -> Vec<FaceId> {
        let Some(n) = self.node(f) else {
            return Vec::new();
        };
        let mut out: Vec<FaceId> = self.graph.neighbors(n).map(|m| self.graph[m]).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The graph edges (shared mesh edges) between `f` and `g`.
    pub fn edges_between(&self, f: FaceId, g: FaceId) -> Vec<&EdgeInfo> {
        let (Some(a), Some(b)) = (self.node(f), self.node(g)) else {
            return Vec::new();
        };
        self.graph
            .edges(a)
            .filter(|e| e.target() == b)
            .map(|e| e.weight())
            .collect()
    }

    /// The connected components of the subgraph keeping every region and
    /// only the edges for which `joined(f, g, edge)` holds; each component
    /// sorted, components ordered by their first region.
    pub fn components_by(
        &self,
        mut joined: impl FnMut(FaceId, FaceId, &EdgeInfo) -> bool,
    ) -> Vec<Vec<FaceId>> {
        let mut uf = UnionFind::<usize>::new(self.graph.node_count());
        for e in self.graph.edge_references() {
            let (a, b) = (e.source(), e.target());
            if joined(self.graph[a], self.graph[b], e.weight()) {
                uf.union(a.index(), b.index());
            }
        }
        self.collect_components(&uf, |_| true)
    }

    /// The connected components of the regions of class `class`, joined by
    /// edges between two regions of that class; each component sorted,
    /// components ordered by their first region. Empty without a decision
    /// boundary (regions have no class then).
    pub fn class_components(&self, class: u32) -> Vec<Vec<FaceId>> {
        let of = |n: NodeIndex| self.classes.get(n.index()).copied().flatten();
        let mut uf = UnionFind::<usize>::new(self.graph.node_count());
        for e in self.graph.edge_references() {
            let (a, b) = (e.source(), e.target());
            if of(a) == Some(class) && of(b) == Some(class) {
                uf.union(a.index(), b.index());
            }
        }
        self.collect_components(&uf, |n| of(n) == Some(class))
    }

    /// The class of a region as recorded in the partition (`None` without a
    /// boundary, or for a face that is not a region).
    pub fn class(&self, f: FaceId) -> Option<u32> {
        self.node(f)
            .and_then(|n| self.classes.get(n.index()).copied().flatten())
    }

    /// The regions that have at least one edge on the decision boundary, in
    /// increasing order.
    pub fn boundary_regions(&self) -> Vec<FaceId> {
        let mut out = Vec::new();
        for e in self.graph.edge_references() {
            if e.weight().boundary {
                out.push(self.graph[e.source()]);
                out.push(self.graph[e.target()]);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The number of graph edges on the decision boundary.
    pub fn num_boundary_edges(&self) -> usize {
        self.graph
            .edge_references()
            .filter(|e| e.weight().boundary)
            .count()
    }

    /// The number of connected pieces of the decision boundary, seen as a
    /// set of segments (boundary edges that share a vertex are one piece);
    /// 0 without a boundary.
    pub fn boundary_pieces(&self) -> usize {
        self.boundary_pieces
    }

    /// Groups nodes by union-find root, keeping the regions `keep` accepts.
    fn collect_components(
        &self,
        uf: &UnionFind<usize>,
        keep: impl Fn(NodeIndex) -> bool,
    ) -> Vec<Vec<FaceId>> {
        let mut by_root: std::collections::HashMap<usize, Vec<FaceId>> =
            std::collections::HashMap::new();
        for n in self.graph.node_indices() {
            if keep(n) {
                by_root
                    .entry(uf.find(n.index()))
                    .or_default()
                    .push(self.graph[n]);
            }
        }
        let mut out: Vec<Vec<FaceId>> = by_root.into_values().collect();
        for c in &mut out {
            c.sort_unstable();
        }
        out.sort_unstable_by_key(|c| c[0]);
        out
    }
}
