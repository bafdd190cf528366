//! The layer-wise algorithm.
//!
//! Per network node, for every face:
//! - linear node: push the face's affine forms through it (in parallel over
//!   faces; faces that share their input forms share the result);
//! - activation node: cut the face by each neuron's line, one neuron after
//!   the other, over all sub-faces made so far; each sub-face gets the
//!   neuron's state from the side it lies on;
//! - max node: per unit, track the current maximum of each sub-face and cut
//!   by the difference line of the next candidate and that maximum; then
//!   merge sub-faces that ended with equal states (difference lines may
//!   over-split an argmax cell).
//!
//! Mesh edits are sequential in face order, so the result does not depend on
//! the number of threads; the read-only work of an activation layer (forms,
//! point filter) and the building of the sub-faces' states overlap them on
//! other threads ([`pipeline::ordered`], [`Engine::activation`]), sibling
//! sub-faces get the next dense layer's forms by rank-one steps
//! (`net::step`), and a face that many lines cross is cut along each line's
//! zone only ([`zone`]). A line's exact coefficients are computed only if a
//! predicate asks (lazily, per face and layer, by an exact propagation).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Instant;

use rayon::prelude::*;
use rug::Rational;
use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

use crate::domain::Slice;
use crate::exact::predicates::{
    classify_lines_at, classify_lines_at_points, side_of_point, LineClass, PointSet,
};
use crate::exact::{Kernel, Line, PredicateStats, Sign};
use crate::mesh::{CutOutcome, FaceId, HalfEdgeId, LineId, Mesh, VertexId};
use crate::net::{
    ActKind, AffineForm, ExactAffineForm, NetError, Network, Op, OpClass, Pattern, TensorId,
};

use super::checkpoints::{form_from, form_from_input, DdForms, Exact, ExactForms, F64};
use super::finish::{member_of, sibling_order, Finisher, Members, Scratch};
use super::labels::{LabelKind, LabelTable};
use super::pipeline;
use super::split;
use super::states::States;
use super::vertex_pass::{self, VertexPass};
use super::zone;
use super::{Boundary, Options, Partition, PartitionError, Region, Stats};

const U: f64 = f64::EPSILON / 2.0;

/// Parallel loops over faces hand at least this many faces to one task
/// when the work per face is small: small layers then run on one thread
/// without waking the others (on small networks the wake-ups cost more than
/// the work). See [`min_faces_per_task`].
const MIN_PAR_FACES: usize = 128;

/// An activation layer of few faces ([`min_faces_per_task`]) runs on the
/// calling thread alone (no hand-over to the pool) unless its faces times
/// its width squared (about the multiply-adds of its forms) exceeds this:
/// a few faces of a wide layer (an image net's second layer: 17 faces 256
/// wide) are worth sharing.
const SERIAL_LAYER_WORK: usize = 1 << 17;

/// Faces per parallel task for per-face work proportional to `elements`
/// (the sizes of the tensors involved): [`MIN_PAR_FACES`] for small
/// tensors, fewer for large ones (a convolution's output, where one face is
/// already worth a task).
pub(super) fn min_faces_per_task(elements: usize) -> usize {
    (65_536 / elements.max(1)).clamp(1, MIN_PAR_FACES)
}
/// The same for cheap per-face work (dropping dead forms).
const MIN_PAR_CHEAP: usize = 1024;

/// How a face holds the affine form of one live tensor.
#[derive(Clone)]
pub(super) enum Slot {
    /// The form itself (shared by faces with the same form).
    Ready(Arc<AffineForm>),
    /// The output of activation/max node `node`, kept as its input form
    /// (shared by all sub-faces of one parent) and applied on demand with
    /// the face's states: sub-faces do not each store a copy of a wide
    /// layer's output.
    Activated { node: usize, pre: Arc<AffineForm> },
    /// The output of dense node `node` applied to the output of ReLU node
    /// `act` (whose input form is `pre`), not computed yet: computed where
    /// it is needed (by the pre-pass of the next activation layer, in
    /// parallel with that layer's cutting). Used when the dense output has
    /// one consumer and a form of its own on every face.
    Pending {
        node: usize,
        act: usize,
        pre: Arc<AffineForm>,
    },
    /// The input of a ReLU layer that feeds a much narrower dense node, on
    /// a face whose run-ahead stopped at that layer: kept folded
    /// ([`Folded`]) instead of whole (only that layer reads it: step 1 takes
    /// it out of the face's state and hands it to steps 2 and 3).
    Folded(Arc<Folded>),
    /// The form of `tensor`, not kept: made where it is read from the
    /// face's form `form` of an earlier tensor `from` through the face's
    /// pattern. A face the vertex pass took through a layer holds this,
    /// from the slice's input form, for the next layer's input
    /// ([`VertexPass`]), which it mostly needs no form of.
    Replay {
        tensor: TensorId,
        from: TensorId,
        form: Arc<AffineForm>,
    },
}

/// A ReLU layer's input form on a face, folded: the next dense node's
/// output with every neuron whose line may cross the face turned off, and
/// those neurons' rows. The layer needs no more: the point filter's classes
/// are known already (the run-ahead that stopped there found them), a line
/// is made from its neuron's row, and a sub-face's dense form is `fixed`
/// plus one rank-one step per such neuron that is on in it
/// ([`Network::apply_dense_relu_rows_f64`]). Between two layers, a wide
/// layer's faces hold this instead of their whole form: a 256-wide form is
/// 6 KiB, a face's folded form a few hundred bytes.
pub(super) struct Folded {
    /// The dense node's output with the known states, the others off
    /// (`None` where the dense node is not made: a last hop's, see
    /// [`Hop::dense`]).
    fixed: Option<Arc<AffineForm>>,
    /// The neurons whose lines may cross the face, ascending.
    index: Box<[u32]>,
    /// Their rows `[u, v, c]` and the rows' bounds.
    rows: Box<[([f64; 3], [f64; 3])]>,
}

impl Folded {
    /// Folds `form` (the input of ReLU node `r`, read by it alone) for dense
    /// node `nd` after it, given the point filter's `class`es on the face:
    /// `None` where the fold would not be smaller than the form (many open
    /// neurons: a row and its bounds are six numbers, a unit of a form
    /// three) or a value is not finite (the face keeps its whole form).
    fn new(
        net: &Network,
        (r, nd): (usize, Option<usize>),
        form: &AffineForm,
        class: &[LineClass],
        sbuf: &mut Vec<u32>,
    ) -> Option<Folded> {
        let index: Box<[u32]> = (0..class.len() as u32)
            .filter(|&k| class[k as usize] == LineClass::Unknown)
            .collect();
        let outputs = nd.map_or(0, |nd| net.len_of(net.nodes()[nd].output));
        if 2 * index.len() + outputs >= class.len() || !form.all_finite() {
            return None;
        }
        let fixed = match nd {
            Some(nd) => {
                sbuf.clear();
                sbuf.extend(class.iter().map(|c| class_state(ActKind::Relu, *c)));
                let fixed = dense_after_relu(net, (r, nd), form, sbuf).ok()?;
                if !fixed.all_finite() {
                    return None;
                }
                Some(Arc::new(fixed))
            }
            None => None,
        };
        let (u, v, c) = (form.u(), form.v(), form.c());
        let rows = index
            .iter()
            .map(|&k| {
                let k = k as usize;
                ([u[k], v[k], c[k]], form.err_at(k))
            })
            .collect();
        Some(Folded { fixed, index, rows })
    }

    /// The fixed part (an error where the dense node is not made).
    fn fixed(&self, nd: usize) -> Result<&Arc<AffineForm>, NetError> {
        self.fixed.as_ref().ok_or_else(|| {
            NetError::Argument(format!(
                "internal: node {nd} read from a fold made without it"
            ))
        })
    }

    /// Neuron `k`'s row and its bounds, if the fold kept it.
    fn row(&self, k: usize) -> Option<([f64; 3], [f64; 3])> {
        let i = self.index.binary_search(&(k as u32)).ok()?;
        Some(self.rows[i])
    }

    /// The dense node's output on a sub-face with `states` (this layer's,
    /// equal to the fold's known states outside [`Folded::index`]): `fixed`
    /// with the open neurons that are on turned on.
    pub(super) fn dense(
        &self,
        net: &Network,
        nd: usize,
        states: &[u32],
    ) -> Result<Arc<AffineForm>, NetError> {
        let on: SmallVec<[(usize, f64); 8]> = self
            .index
            .iter()
            .map(|&k| k as usize)
            .filter(|&k| states[k] == 1)
            .map(|k| (k, 1.0))
            .collect();
        let fixed = self.fixed(nd)?;
        if on.is_empty() {
            return Ok(Arc::clone(fixed));
        }
        let row = |k: usize| self.row(k).expect("a kept row");
        net.apply_dense_relu_rows_f64(nd, row, fixed, &on)
            .map(Arc::new)
            .ok_or_else(|| {
                NetError::Argument(format!(
                    "node {nd}: a dense output is not finite in f64 (weights or inputs too large)"
                ))
            })
    }

    /// The same from a sibling's output `from` (with states `from_states`)
    /// by one rank-one step per differing open neuron; `None` (make it with
    /// [`Folded::dense`]) where more than a quarter of them differ, or a
    /// value is not finite.
    pub(super) fn step(
        &self,
        net: &Network,
        nd: usize,
        from: &AffineForm,
        (from_states, states): (&[u32], &[u32]),
    ) -> Option<AffineForm> {
        let mut diff: SmallVec<[(usize, f64); 8]> = SmallVec::new();
        for &k in self.index.iter() {
            let k = k as usize;
            if states[k] != from_states[k] {
                diff.push((k, if states[k] == 1 { 1.0 } else { -1.0 }));
                if diff.len() > (self.index.len() / 4).max(2) {
                    return None;
                }
            }
        }
        let row = |k: usize| self.row(k).expect("a kept row");
        net.apply_dense_relu_rows_f64(nd, row, from, &diff)
    }
}

/// A ReLU layer's input on a face, as step 2 reads it: whole or folded.
pub(super) enum LayerInput {
    Form(Arc<AffineForm>),
    Folded(Arc<Folded>),
}

impl LayerInput {
    /// Neuron `k`'s row `[u, v, c]` and its bounds (`k` one of the
    /// neurons step 1 left to step 2).
    fn row(&self, k: usize) -> ([f64; 3], [f64; 3]) {
        match self {
            LayerInput::Form(f) => ([f.u()[k], f.v()[k], f.c()[k]], f.err_at(k)),
            LayerInput::Folded(fd) => fd.row(k).expect("a neuron the filter left open"),
        }
    }
}

/// What a face carries between nodes.
#[derive(Clone)]
pub(super) struct FaceState {
    /// States of the activation/max layers passed so far (shared between a
    /// parent's sub-faces up to the layer where they differ).
    pub(super) pattern: Vec<Arc<[u32]>>,
    /// Affine forms of the live tensors.
    pub(super) forms: Vec<(TensorId, Slot)>,
    /// The point filter's classes for the next activation layer's lines,
    /// found by a run-ahead that stopped there (that layer's step 1 reads
    /// them instead of testing again).
    pub(super) classified: Option<Classified>,
}

/// The point filter's classes of a layer's lines on a face, and how many
/// signs it proved.
#[derive(Clone)]
pub(super) struct Classified {
    class: Box<[LineClass]>,
    decided: u64,
}

impl FaceState {
    fn slot(&self, t: TensorId) -> &Slot {
        &self
            .forms
            .iter()
            .find(|(id, _)| *id == t)
            .expect("live tensor")
            .1
    }

    /// The form of tensor `t` on this face.
    fn form(&self, net: &Network, t: TensorId) -> Result<Arc<AffineForm>, NetError> {
        self.slot(t).form(net, &self.pattern)
    }

    /// Takes the slot of tensor `t` out of the face's forms.
    fn take_slot(&mut self, t: TensorId) -> Option<Slot> {
        let i = self.forms.iter().position(|(id, _)| *id == t)?;
        Some(self.forms.swap_remove(i).1)
    }
}

impl Slot {
    /// The form this slot holds, on a face with the given pattern.
    fn form(&self, net: &Network, pattern: &[Arc<[u32]>]) -> Result<Arc<AffineForm>, NetError> {
        match self {
            Slot::Ready(a) => Ok(Arc::clone(a)),
            Slot::Activated { node, pre } => {
                let layer = net.nodes()[*node]
                    .layer
                    .expect("activation nodes have a layer");
                Ok(Arc::new(net.apply_activation_f64(
                    *node,
                    pre,
                    &pattern[layer],
                )?))
            }
            Slot::Pending { node, act, pre } => {
                let layer = net.nodes()[*act]
                    .layer
                    .expect("activation nodes have a layer");
                dense_after_relu(net, (*act, *node), pre, &pattern[layer]).map(Arc::new)
            }
            Slot::Folded(_) => Err(NetError::Argument(
                "internal: a folded form read whole (only its ReLU layer reads it)".into(),
            )),
            Slot::Replay { tensor, from, form } => replay(net, (*from, form), pattern, *tensor),
        }
    }
}

/// The form of `tensor` on a face with `pattern`, from its form `form` of
/// an earlier tensor `from` ([`Slot::Replay`]): each ReLU and the dense
/// node after it by the fused kernel (as a run-ahead makes them), a dense
/// node on its own by the generic one, anything else by [`form_from`].
fn replay(
    net: &Network,
    (from, form): (TensorId, &Arc<AffineForm>),
    pattern: &[Arc<[u32]>],
    tensor: TensorId,
) -> Result<Arc<AffineForm>, NetError> {
    let nodes = net.nodes();
    let (mut t, mut f) = (from, Arc::clone(form));
    while t != tensor {
        let Some(i) = nodes.iter().position(|n| n.inputs == [t]) else {
            return form_from::<F64>(net, (t, &f), pattern, tensor).map(Arc::new);
        };
        let next = nodes
            .get(i + 1)
            .filter(|d| matches!(d.op, Op::Dense { .. }) && d.inputs == [nodes[i].output]);
        (f, t) = match (&nodes[i].op, next, nodes[i].layer) {
            (Op::Dense { .. }, _, _) => {
                (Arc::new(net.apply_linear_f64(i, &[&f])?), nodes[i].output)
            }
            (Op::Relu, Some(d), Some(layer)) if nodes[i].output != tensor => (
                Arc::new(dense_after_relu(net, (i, i + 1), &f, &pattern[layer])?),
                d.output,
            ),
            _ => return form_from::<F64>(net, (t, &f), pattern, tensor).map(Arc::new),
        };
    }
    Ok(f)
}

/// Exact forms of one face, computed on first use.
struct LazyExact {
    /// The partition's checkpoints while it is being made (not kept alive
    /// by the result's lines: afterwards the pass starts from the input).
    forms: Weak<ExactForms>,
    net: Arc<Network>,
    input: Arc<ExactAffineForm>,
    pattern: Vec<Arc<[u32]>>,
    tensor: TensorId,
    cell: OnceLock<ExactAffineForm>,
}

impl LazyExact {
    /// The exact form, if a predicate has made it already.
    fn made(&self) -> Option<&ExactAffineForm> {
        self.cell.get()
    }

    fn get(&self) -> &ExactAffineForm {
        self.cell.get_or_init(|| {
            match self.forms.upgrade() {
                Some(forms) => forms.form(&self.pattern, self.tensor),
                None => {
                    form_from_input::<Exact>(&self.net, &self.input, &self.pattern, self.tensor)
                }
            }
            .expect("the f64 pass of the same face succeeded")
        })
    }
}

/// How a face's `f64` layer input was tightened (at most once per tier).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tight {
    /// Not at all: its bounds are the `f64` pass's.
    No,
    /// From its double-double form (or that was tried and gave none).
    Dd,
    /// From its exact form.
    Exact,
}

/// Bounds this far past a row's rounding (relative `2⁻⁴⁰`, against `2⁻⁵³`
/// for a rounded form) are worth a double-double pass when the filter
/// leaves a sign: below, the point is about as close to the line as the
/// rounding, and the exact form is what decides.
const DD_WORTH: f64 = 1.0 / 1_099_511_627_776.0;

/// Whether the row's bounds are loose enough for [`DD_WORTH`].
fn dd_worth((coef, err): ([f64; 3], [f64; 3])) -> bool {
    let size: f64 = coef.iter().map(|x| x.abs()).sum();
    let bound: f64 = err.iter().sum();
    // NaN bounds count as loose.
    bound > DD_WORTH * size || bound.is_nan()
}

/// Whether a face's lines, classified at its corners (`class`), include
/// one that the filter leaves at some corner on a row worth a
/// double-double pass ([`dd_worth`]).
fn needs_dd(form: &AffineForm, class: &[LineClass], corners: &[([f64; 2], f64)]) -> bool {
    let [u, v, c] = form.values();
    class.iter().enumerate().any(|(k, cl)| {
        if *cl != LineClass::Unknown {
            return false;
        }
        let row = ([u[k], v[k], c[k]], form.err_at(k));
        dd_worth(row)
            && corners
                .iter()
                .any(|&(xy, r)| side_of_point(row.0, row.1, xy, r).is_none())
    })
}

/// The lazy exact form of `tensor` on a face with the given pattern.
fn lazy_exact(forms: &Arc<ExactForms>, pattern: &[Arc<[u32]>], tensor: TensorId) -> Arc<LazyExact> {
    Arc::new(LazyExact {
        forms: Arc::downgrade(forms),
        net: Arc::clone(forms.net()),
        input: Arc::clone(forms.input()),
        pattern: pattern.to_vec(),
        tensor,
        cell: OnceLock::new(),
    })
}

/// How many nodes read each tensor (the network's output counts once more).
fn tensor_uses(net: &Network) -> Vec<usize> {
    let n = net.num_tensors();
    let mut uses = vec![0usize; n];
    for t in net
        .nodes()
        .iter()
        .flat_map(|n| &n.inputs)
        .chain([&net.output()])
    {
        if let Some(u) = uses.get_mut(t.index()) {
            *u += 1;
        }
    }
    uses
}

/// `x − y` in f64 and a rigorous bound on its distance to the exact
/// difference of the values that `x` and `y` approximate within `ex`, `ey`.
/// The rounding error of the subtraction is computed exactly (Knuth's
/// TwoSum), so exact inputs whose difference is representable keep a zero
/// bound (and their lines stay eligible for the exact-float predicates).
fn diff_with_err(x: f64, ex: f64, y: f64, ey: f64) -> (f64, f64) {
    let d = x - y;
    let yy = d - x;
    let rounding = ((x - (d - yy)) + (-y - yy)).abs();
    if !d.is_finite() {
        return (d, f64::INFINITY);
    }
    if ex == 0.0 && ey == 0.0 && rounding == 0.0 {
        return (d, 0.0);
    }
    // Three nonnegative terms; the inflation covers the two roundings of
    // the sum and the tiny term a possible underflow in TwoSum.
    (
        d,
        (ex + ey + rounding) * (1.0 + 4.0 * U) + f64::from_bits(1),
    )
}

/// Dense node `idx` applied to a face's input form in one fused pass (see
/// [`Network::apply_dense_relu_f64`]; the ReLU of an `Activated` input is
/// folded in). `None` when that does not apply.
fn fused_dense(net: &Network, idx: usize, st: &FaceState) -> Option<AffineForm> {
    let node = &net.nodes()[idx];
    if node.inputs.len() != 1 {
        return None;
    }
    match st.slot(node.inputs[0]) {
        Slot::Ready(a) => net.apply_dense_relu_f64(idx, a, None),
        Slot::Activated { node: act, pre } => {
            let an = &net.nodes()[*act];
            if an.op.class() != OpClass::Activation(ActKind::Relu) {
                return None;
            }
            let layer = an.layer.expect("activation nodes have a layer");
            net.apply_dense_relu_f64(idx, pre, Some(&st.pattern[layer][..]))
        }
        Slot::Pending { .. } | Slot::Replay { .. } => {
            let x = st.form(net, node.inputs[0]).ok()?;
            net.apply_dense_relu_f64(idx, &x, None)
        }
        Slot::Folded(_) => None,
    }
}

/// Dense node `nd` applied to the output of ReLU node `act` with `states`,
/// on the ReLU's input form `pre`: the fused kernel, or where it declines
/// (non-finite values) the ReLU and the dense node one after the other.
pub(super) fn dense_after_relu(
    net: &Network,
    (act, nd): (usize, usize),
    pre: &AffineForm,
    states: &[u32],
) -> Result<AffineForm, NetError> {
    dense_after_relu_in(net, (act, nd), pre, states, (Vec::new(), None))
}

/// [`dense_after_relu`] into `buf`'s memory where it fits, given `pre`'s
/// bounds as arrays where it is proven finite (see
/// [`Network::apply_dense_relu_f64_in`]).
fn dense_after_relu_in(
    net: &Network,
    (act, nd): (usize, usize),
    pre: &AffineForm,
    states: &[u32],
    (buf, finite): (Vec<f64>, Option<[&[f64]; 3]>),
) -> Result<AffineForm, NetError> {
    if let Some(f) = net.apply_dense_relu_f64_in(nd, pre, Some(states), buf, finite) {
        return Ok(f);
    }
    let x = net.apply_activation_f64(act, pre, states)?;
    net.apply_linear_f64(nd, &[&x])
}

/// Faces per block of [`Outlines::read`].
const OUTLINE_BLOCK: usize = 1024;

/// Each face's corners (`f64` position and radius) at the start of an
/// activation layer, for its point filter (step 1 reads them while step 2
/// edits the mesh). Read in parallel, in blocks of [`OUTLINE_BLOCK`] faces.
#[derive(Default)]
struct Outlines {
    blocks: Vec<OutlineBlock>,
}

/// The corners of face `f` in order, as the point filter takes them: each
/// vertex's `f64` position and radius.
fn face_corners(mesh: &Mesh, f: FaceId) -> impl Iterator<Item = ([f64; 2], f64)> + '_ {
    mesh.face_vertices(f)
        .map(|v| (mesh.vertex_xy(v), mesh.vertex_radius(v)))
}

/// The corners of a block of faces one after the other, and where each
/// face's start (one more entry than faces).
pub(super) struct OutlineBlock {
    corners: Vec<([f64; 2], f64)>,
    starts: Vec<usize>,
}

impl OutlineBlock {
    /// The corners of `faces`, in order.
    pub(super) fn read(mesh: &Mesh, faces: impl ExactSizeIterator<Item = FaceId>) -> Self {
        let mut corners = Vec::with_capacity(6 * faces.len());
        let mut starts = Vec::with_capacity(faces.len() + 1);
        starts.push(0);
        for f in faces {
            corners.extend(face_corners(mesh, f));
            starts.push(corners.len());
        }
        OutlineBlock { corners, starts }
    }

    /// The corners of the `j`-th face read.
    pub(super) fn get(&self, j: usize) -> &[([f64; 2], f64)] {
        &self.corners[self.starts[j]..self.starts[j + 1]]
    }
}

impl Outlines {
    fn read(mesh: &Mesh, faces: &[FaceId]) -> Self {
        let blocks = faces
            .par_chunks(OUTLINE_BLOCK)
            .map(|block| OutlineBlock::read(mesh, block.iter().copied()))
            .collect();
        Self { blocks }
    }

    /// The corners of the `i`-th face read.
    fn get(&self, i: usize) -> &[([f64; 2], f64)] {
        self.blocks[i / OUTLINE_BLOCK].get(i % OUTLINE_BLOCK)
    }
}

/// Lines crossing a face from which its cutting walks each line's zone
/// instead of trying every sub-face (see [`Engine::activation`]): below,
/// the walk costs more than it saves.
const ZONE_MIN_LINES: usize = 8;

/// Sub-faces per batch of an activation layer's step 3 handed to the pool
/// while the layer is still being cut (see [`Engine::activation`]).
const FINISH_BATCH: usize = 64;

/// While this many sub-faces wait for step 3 in the pool, the cutting
/// thread finishes its next batch itself instead of handing it over: on a
/// wide layer whose sibling products cost more than its cuts (2-256x4-1's
/// third), what waits would otherwise grow to most of the layer. (Lower in
/// debug builds, so that the tests' small networks take that path too: the
/// result is the same either way, each group's step 3 is its own.)
const MAX_WAITING: usize = if cfg!(debug_assertions) { 128 } else { 4096 };

/// The line of element `k` of a form whose row `k` and its bounds are
/// `(coef, err)`.
fn row_line((coef, err): ([f64; 3], [f64; 3]), k: usize, lazy: &Arc<LazyExact>) -> Line {
    let lazy = Arc::clone(lazy);
    Line::with_error(coef, err, Arc::new(move || lazy.get().coeffs(k)))
}

/// The line `element a − element b` of a form (positive where `a` is
/// larger), whose rounded row is `row` ([`difference_row`]).
fn difference_line(row: ([f64; 3], [f64; 3]), a: usize, b: usize, lazy: &Arc<LazyExact>) -> Line {
    let (coef, err) = row;
    let lazy = Arc::clone(lazy);
    Line::with_error(
        coef,
        err,
        Arc::new(move || {
            let f = lazy.get();
            let (pa, pb) = (f.coeffs(a), f.coeffs(b));
            let [a0, a1, a2] = pa;
            let [b0, b1, b2] = pb;
            [a0 - b0, a1 - b1, a2 - b2]
        }),
    )
}

/// The row `element a − element b` of a form and its bounds (the numbers
/// of [`difference_line`], without the line).
fn difference_row(form: &AffineForm, a: usize, b: usize) -> ([f64; 3], [f64; 3]) {
    let (ea, eb) = (form.err_at(a), form.err_at(b));
    let [x0, x1, x2] = form.values();
    let d = |x: &[f64], j: usize| diff_with_err(x[a], ea[j], x[b], eb[j]);
    let ((u, eu), (v, ev), (c, ec)) = (d(x0, 0), d(x1, 1), d(x2, 2));
    ([u, v, c], [eu, ev, ec])
}

/// The candidate (a position in `cands`, elements of `form`) that the point
/// filter proves better than every other (larger; smaller for `argmin`) at
/// every corner (`f64` position and radius) of a convex face, so on the
/// whole face: its argmax cell is the face, and no difference line can cut
/// it. `None` where the filter does not prove that (a line may cross or
/// touch the face, two candidates may tie, or the rounding is too coarse):
/// the caller then cuts, as without it. Also returns the signs proved.
///
/// Both kernels take this shortcut, on the same `f64` data, so that they
/// settle the same faces and their partitions stay identical handle for
/// handle (a face the cuts would split and merge back comes out numbered
/// otherwise); what it proves is proved (the filter's bound is rigorous),
/// and where it proves nothing the kernel's own signs decide.
fn strict_winner(
    form: &AffineForm,
    cands: &[usize],
    corners: &[([f64; 2], f64)],
    argmin: bool,
) -> Option<(u32, u64)> {
    let ([x, y], _) = *corners.first()?;
    // The likely winner: the best value at one corner (proved below).
    let value = |k: usize| form.eval(k, x, y);
    let mut w = 0;
    for i in 1..cands.len() {
        let (vi, vw) = (value(cands[i]), value(cands[w]));
        if (argmin && vi < vw) || (!argmin && vi > vw) {
            w = i;
        }
    }
    for (i, &k) in cands.iter().enumerate() {
        if i == w {
            continue;
        }
        // Positive where the winner is better.
        let (coef, err) = if argmin {
            difference_row(form, k, cands[w])
        } else {
            difference_row(form, cands[w], k)
        };
        for &(xy, r) in corners {
            if side_of_point(coef, err, xy, r) != Some(Sign::Positive) {
                return None;
            }
        }
    }
    Some((w as u32, ((cands.len() - 1) * corners.len()) as u64))
}

/// The line `element k − value`.
fn level_line(form: &AffineForm, k: usize, value: f64, lazy: &Arc<LazyExact>) -> Line {
    let [eu, ev, ec] = form.err_at(k);
    let (c, ec) = diff_with_err(form.c()[k], ec, value, 0.0);
    let lazy = Arc::clone(lazy);
    let value = Rational::from_f64(value).unwrap_or_default();
    Line::with_error(
        [form.u()[k], form.v()[k], c],
        [eu, ev, ec],
        Arc::new(move || {
            let [a, b, c] = lazy.get().coeffs(k);
            [a, b, c - &value]
        }),
    )
}

/// The state of a neuron whose pre-activation has sign `side` on a face
/// (see `net::Pattern`: ReLU-like units are on iff `> 0`, abs is 1 iff `>= 0`).
fn state_of(kind: ActKind, side: Sign) -> u32 {
    (match kind {
        ActKind::Abs => side != Sign::Negative,
        _ => side == Sign::Positive,
    }) as u32
}

/// The state of a neuron whose line the point filter classed as `class`
/// on a face (0 while unknown: step 2 decides it).
fn class_state(kind: ActKind, class: LineClass) -> u32 {
    match class {
        LineClass::Positive => state_of(kind, Sign::Positive),
        LineClass::Negative => state_of(kind, Sign::Negative),
        LineClass::Unknown => 0,
    }
}

/// A ReLU layer a face can be taken through at once ([`Engine::hops`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct Hop {
    /// The ReLU node.
    relu: usize,
    /// Its dense node and that node's output; `None` for a last hop whose
    /// dense node is not made (the network's output, left out: see
    /// [`Engine::skips`]): a face that passes it has its last states and
    /// no form.
    dense: Option<(usize, TensorId)>,
    /// Whether a face whose run-ahead stops there keeps its input form
    /// folded ([`Slot::Folded`]: the dense node is at most a
    /// [`FOLD_SHARE`]th as wide, or not made).
    fold: bool,
}

/// At most this many hops of run-ahead on a plain chain of dense and ReLU
/// nodes, where the vertex pass can take over ([`Engine::hops`]).
const PLAIN_HOPS: usize = 2;

/// The vertex pass runs on plain chains of at least this many ReLU layers
/// (with fewer, run-ahead takes the faces of a settled mesh to the end for
/// less than the pass costs to start: measured on 2-16x8-1 and 2-64x8-1,
/// where it cost a third more instructions).
const VERTEX_MIN_LAYERS: usize = 12;

/// The vertex pass runs on layers of at most this many neurons. Wider, a
/// vertex's values cost about what a face's form does, and their bounds
/// (the vertex's radius times the layers' absolute weights, where a form
/// has the face's slopes) outgrow the values sooner: 2-64x20-1 took 20 %
/// longer with the pass (two threads), a few hundred faces left open.
const VERTEX_MAX_WIDTH: usize = 32;

/// The vertex pass is given up for the rest of a partition once it leaves
/// more than one face in this many open on a layer. Its bounds grow by
/// the layers' absolute row sums, from the vertex's radius and rounding,
/// where a form's grow from its rounding alone: on 2-32x80-1 they outgrow
/// the values after some 45 layers, and the open faces' forms (made again
/// from their last one, then tightened by double-double passes) cost
/// twice the run without the pass.
const VERTEX_MAX_OPEN: usize = 16;

/// The vertex pass starts on a settled mesh with at least this many ReLU
/// layers to go (its first layer's values are made from the faces' forms,
/// and a face it leaves open later makes its form again from there).
const VERTEX_MIN_AHEAD: usize = 3;

/// A ReLU layer's input is folded on the faces where a run-ahead stops
/// ([`Folded`]) when the dense node after it is at most this many times
/// narrower: the last hidden layer of a classifier, a bottleneck.
const FOLD_SHARE: usize = 4;

/// [`run_ahead`]'s scratch (a thread's [`Scratch`], taken apart): the
/// lines' classes, a form's bounds, states, and per hop the last shared
/// states it interned.
pub(super) type ScratchRefs<'a> = (
    &'a mut Vec<LineClass>,
    &'a mut Vec<f64>,
    &'a mut Vec<u32>,
    &'a mut Vec<Arc<[u32]>>,
);

/// Run-ahead from `first`, the form of `tensor` (the input of the first hop's
/// ReLU) on a face with the given corners: while every line of the next
/// hop's ReLU provably misses the face at these corners, its states are
/// final and the hop's dense node is applied. Returns what it made
/// ([`Ahead`]): the last form, its tensor, the states of the layers passed
/// and the signs the point filter proved for them, and the classes of the
/// layer where it stopped (that layer takes them, and counts their signs,
/// instead of testing again). Where that layer folds its input (see
/// [`Hop`]), the form is returned folded.
///
/// The same decisions as those layers' own point filter, as long as the
/// corners are the face's corners at the start of the first hop's layer
/// (after the cut of its own group, for a sub-face): the forms are the
/// same, and a neighbour's cut cannot end on a side of a face whose lines
/// of that layer all miss it (pre-activations are continuous across
/// sides), so no vertex is added to the face's outline while it runs
/// ahead.
pub(super) fn run_ahead(
    net: &Network,
    shared: &States,
    hops: &[Hop],
    (first, mut tensor): (Arc<AffineForm>, TensorId),
    corners: &[([f64; 2], f64)],
    (class, ebuf, sbuf, recent): ScratchRefs<'_>,
) -> Result<Ahead, NetError> {
    let mut states = Vec::new();
    let mut decided = 0;
    let mut stopped = None;
    let mut folded = None;
    let mut passed_all = false;
    // The forms made here are owned until the last is returned, and each
    // one's memory is reused for the next but one (no allocation per hop).
    let mut made: Option<AffineForm> = None;
    let mut spare: Vec<f64> = Vec::new();
    let points = PointSet::new(corners);
    for (h, &Hop { relu, dense, fold }) in hops.iter().enumerate() {
        let form: &AffineForm = made.as_ref().unwrap_or(&first);
        let m = form.len();
        class.clear();
        class.resize(m, LineClass::Unknown);
        let errors = form.errors_into(ebuf);
        let d = classify_lines_at(form.values(), errors, &points, class);
        if corners.is_empty() || d != (m * corners.len()) as u64 {
            // Kept for that layer (same decisions, see above).
            stopped = Some(Classified {
                class: class.as_slice().into(),
                decided: d,
            });
            if fold {
                let nd = dense.map(|(nd, _)| nd);
                folded = Folded::new(net, (relu, nd), form, class, sbuf).map(Arc::new);
            }
            break;
        }
        sbuf.clear();
        sbuf.extend(class.iter().map(|c| class_state(ActKind::Relu, *c)));
        // The shared copy: this thread's last one for this hop where the
        // states are the same (a sibling's, often), else from `shared`.
        let s = match recent.get(h) {
            Some(r) if **r == **sbuf => Arc::clone(r),
            _ => {
                let s = shared.get(sbuf);
                if h < recent.len() {
                    recent[h] = Arc::clone(&s);
                } else if h == recent.len() {
                    recent.push(Arc::clone(&s));
                }
                s
            }
        };
        states.push(s);
        decided += d;
        let Some((nd, t)) = dense else {
            // The last hop: nothing reads the ReLU's output.
            passed_all = true;
            break;
        };
        let next = dense_after_relu_in(
            net,
            (relu, nd),
            form,
            states.last().expect("pushed"),
            // Every line decided: every value and bound is finite.
            (std::mem::take(&mut spare), Some(errors)),
        )?;
        if let Some(old) = made.replace(next) {
            spare = old.into_buffer();
        }
        tensor = t;
    }
    let form = match made {
        Some(f) => Arc::new(f),
        None => first,
    };
    Ok(Ahead {
        form: (!passed_all).then_some(form),
        folded,
        tensor,
        states,
        decided,
        stopped,
    })
}

/// [`Ahead::into_parts`].
pub(super) type AheadParts = (
    Option<(TensorId, Slot)>,
    Vec<Arc<[u32]>>,
    Option<Classified>,
);

/// What [`run_ahead`] made: the last form and its tensor, the states of
/// the layers passed, the signs proved for them, and the classes of the
/// layer where it stopped on a line the filter could not decide.
pub(super) struct Ahead {
    /// `None` past a last hop with no dense node (no form is read after).
    pub(super) form: Option<Arc<AffineForm>>,
    /// `form` folded, where the layer it stopped at folds its input.
    pub(super) folded: Option<Arc<Folded>>,
    pub(super) tensor: TensorId,
    pub(super) states: Vec<Arc<[u32]>>,
    pub(super) decided: u64,
    pub(super) stopped: Option<Classified>,
}

impl Ahead {
    /// The slot of the form made (none past a last hop with no dense
    /// node), the states of the layers passed and the classes of the layer
    /// where it stopped.
    pub(super) fn into_parts(self) -> AheadParts {
        let slot = match (self.folded, self.form) {
            (Some(f), _) => Some(Slot::Folded(f)),
            (None, Some(form)) => Some(Slot::Ready(form)),
            (None, None) => None,
        };
        (slot.map(|s| (self.tensor, s)), self.states, self.stopped)
    }
}

/// If signs at a convex face's vertices show that a line does not cross its
/// interior, the sign on the interior; `None` if it may cross, or if it runs
/// along a side (two adjacent zeros: the side must be labelled by a real
/// cut).
fn missed_side(signs: &[Sign]) -> Option<Sign> {
    let pos = signs.contains(&Sign::Positive);
    let neg = signs.contains(&Sign::Negative);
    if pos && neg {
        return None;
    }
    let n = signs.len();
    if (0..n).any(|i| signs[i] == Sign::Zero && signs[(i + 1) % n] == Sign::Zero) {
        return if pos || neg { None } else { Some(Sign::Zero) };
    }
    Some(if pos {
        Sign::Positive
    } else if neg {
        Sign::Negative
    } else {
        Sign::Zero
    })
}

struct Engine {
    net: Arc<Network>,
    mesh: Mesh,
    states: Vec<Option<FaceState>>,
    labels: LabelTable,
    /// Exact forms of faces' tensors, for the signs the filter leaves.
    exact: Arc<ExactForms>,
    /// Double-double forms of faces' tensors, to tighten a face's loose
    /// `f64` form before its signs go exact (`None`: a network with ops
    /// that have no double-double kernel).
    dd: Option<DdForms>,
    /// Faces whose form was tightened from their double-double pass.
    dd_tightened: usize,
    /// Seconds the cutting thread spent cutting faces in the current
    /// activation layer (step 2; `Stats::cut_seconds`), if
    /// `time_cutting`.
    cut_seconds: f64,
    time_cutting: bool,
    /// Uses of each tensor by nodes (and the network output).
    uses: Vec<usize>,
    signs: VertexSigns,
    marks: zone::FaceMarks,
    /// Per layer, the faces it left alone thanks to run-ahead.
    run_ahead: Vec<usize>,
    /// Whether regions get their output forms now (`Options::output_forms`
    /// or a boundary): if not, the network's output is not computed when
    /// nothing else reads it ([`Engine::skips`]).
    need_output: bool,
    /// Per activation/max layer, the faces whose input came folded.
    folded: Vec<usize>,
    /// The state vectors made so far, one copy each.
    shared: States,
    /// The slice's input form (the start of a [`Slot::Replay`]).
    input: Arc<AffineForm>,
    /// The vertex pass's values (of the last layer it ran on).
    points: VertexPass,
    /// Whether the network is a plain chain of dense and ReLU nodes, of at
    /// least [`VERTEX_MIN_LAYERS`] layers of at most [`VERTEX_MAX_WIDTH`]
    /// (the vertex pass can run on its layers; run-ahead is then kept
    /// short), and the pass has not been given up ([`VERTEX_MAX_OPEN`]).
    plain: bool,
    /// Whether the last layer added few faces (the vertex pass starts).
    settled: bool,
    /// Per layer, the faces the vertex pass took through it, and those it
    /// left open (cut the usual way).
    vertex_pass: Vec<usize>,
    vertex_open: Vec<usize>,
}

/// Per vertex, the sign of the line being inserted (one epoch per line).
#[derive(Default)]
pub(super) struct VertexSigns {
    /// The sign (valid where `stamp` equals `epoch`).
    sign: Vec<Sign>,
    /// The epoch in which `sign` was written.
    stamp: Vec<u32>,
    epoch: u32,
}

impl VertexSigns {
    /// Starts a new line on a mesh of `nv` vertices: forgets all signs.
    pub(super) fn begin(&mut self, nv: usize) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.iter_mut().for_each(|e| *e = 0);
            self.epoch = 1;
        }
        if self.stamp.len() < nv {
            self.stamp.resize(nv, 0);
            self.sign.resize(nv, Sign::Zero);
        }
    }

    pub(super) fn set(&mut self, v: VertexId, s: Sign) {
        self.sign[v.index()] = s;
        self.stamp[v.index()] = self.epoch;
    }

    /// The sign of this epoch at `v`, if it has one.
    pub(super) fn get(&self, v: VertexId) -> Option<Sign> {
        (self.stamp.get(v.index()) == Some(&self.epoch)).then(|| self.sign[v.index()])
    }

    /// The side of the current line on face `f` from the vertex signs of
    /// the current epoch, if the face lies on one side (or on the zero line
    /// entirely) and has no side along the line; `None` if `cut_face` must
    /// run (both signs, or a side on the line to label). Vertices without a
    /// sign of this epoch were made by this line's cuts: they lie on it.
    fn one_side(&self, mesh: &Mesh, f: FaceId) -> Option<Sign> {
        let (mut pos, mut neg, mut run) = (false, false, false);
        let mut first_zero = None;
        let mut prev_zero = false;
        for v in mesh.face_vertices(f) {
            let s = if self.stamp.get(v.index()) == Some(&self.epoch) {
                self.sign[v.index()]
            } else {
                Sign::Zero
            };
            let z = s == Sign::Zero;
            pos |= s == Sign::Positive;
            neg |= s == Sign::Negative;
            run |= z && prev_zero;
            first_zero.get_or_insert(z);
            prev_zero = z;
        }
        run |= prev_zero && first_zero == Some(true);
        match (pos, neg) {
            (true, true) => None,
            (true, false) if !run => Some(Sign::Positive),
            (false, true) if !run => Some(Sign::Negative),
            (false, false) => Some(Sign::Zero),
            _ => None,
        }
    }
}

/// What step 1 of an activation layer finds for one face:
/// its input form, the states of the neurons whose lines provably miss it
/// (others 0), the other neurons (ascending), and how many signs it proved.
type FacePre = (Formed, Vec<u32>, Vec<u32>, u64);

/// What a face's group carries to `finish_layer`: the layer's input form,
/// or (for a face no line of the layer crosses, when a dense node reads the
/// ReLU's output alone and is no wider) that dense node's form on it,
/// made at once so the input form can be freed.
pub(super) enum Formed {
    Pre(Arc<AffineForm>),
    /// The layer's input form, folded ([`Folded`]).
    Folded(Arc<Folded>),
    /// A dense node's form on a face no line crosses, with the face's
    /// states for this layer (made shared at once: the face is its group's
    /// only member, and its states are final): the next dense node's, or,
    /// where the lines of the ReLU layers after it provably miss the face
    /// too (run-ahead, see [`Engine::hops`]), a later one's, with the
    /// states of those layers.
    Next {
        states: Arc<[u32]>,
        ahead: Ahead,
    },
    /// The node's own output on each member of the group, made at once
    /// where they are smaller than the input form (a max-pool layer reads a
    /// wide input and keeps a narrow output).
    Outputs(Vec<Arc<AffineForm>>),
}

/// A group of sub-faces of one original face, each with its states for the
/// current layer.
pub(super) type Group = Vec<(FaceId, Vec<u32>)>;

pub(super) fn compute(
    net: &Network,
    slice: &Slice,
    options: &Options,
) -> Result<Partition, PartitionError> {
    let start = Instant::now();
    if slice.input_len() != net.input_len() {
        return Err(PartitionError::Option(format!(
            "the slice lives in an input space of {} numbers but the network takes {} (input shape {:?})",
            slice.input_len(),
            net.input_len(),
            net.input_shape()
        )));
    }
    let net = Arc::new(net.clone());
    if options.halves {
        if let Some(mut p) = split::compute(&net, slice, options)? {
            p.stats.seconds = start.elapsed().as_secs_f64();
            return Ok(p);
        }
    }
    let mut p = compute_on(&net, slice, slice.mesh(options.kernel)?, options)?;
    p.stats.seconds = start.elapsed().as_secs_f64();
    Ok(p)
}

/// The partition of the one face of `mesh` (the slice's polygon, or a part
/// of it): the layer-wise algorithm itself.
pub(super) fn compute_on(
    net: &Arc<Network>,
    slice: &Slice,
    mesh: Mesh,
    options: &Options,
) -> Result<Partition, PartitionError> {
    let start = Instant::now();
    let net = Arc::clone(net);
    let layer_units: Vec<usize> = net
        .layer_nodes()
        .iter()
        .map(|&i| {
            let node = &net.nodes()[i];
            match node.op.class() {
                OpClass::Max => node.windows.len(),
                _ => net.len_of(node.output),
            }
        })
        .collect();
    let (input, input_exact) = slice.input_forms();
    let need_output = options.output_forms || options.boundary != Boundary::None;
    let first = FaceState {
        classified: None,
        // Room for every layer's states (sub-faces inherit the vector).
        pattern: Vec::with_capacity(net.layer_nodes().len()),
        forms: vec![(TensorId(0), Slot::Ready(Arc::clone(&input)))],
    };
    let plain = net.layer_nodes().len() >= VERTEX_MIN_LAYERS
        && net.layer_nodes().iter().all(|&i| {
            vertex_pass::eligible(&net, i)
                && net.len_of(net.nodes()[i].inputs[0]) <= VERTEX_MAX_WIDTH
        });
    let mut states = vec![None; 2];
    states[1] = Some(first);
    let mut e = Engine {
        net: Arc::clone(&net),
        mesh,
        states,
        labels: LabelTable::new(&layer_units),
        dd: (options.double_double && net.supports_dd())
            .then(|| DdForms::lazy(Arc::clone(&net), slice.input_dd())),
        dd_tightened: 0,
        cut_seconds: 0.0,
        time_cutting: options.time_cutting,
        exact: Arc::new(ExactForms::lazy(Arc::clone(&net), move || input_exact)),
        uses: tensor_uses(&net),
        signs: VertexSigns::default(),
        marks: zone::FaceMarks::default(),
        run_ahead: vec![0; net.layer_nodes().len()],
        folded: vec![0; net.layer_nodes().len()],
        shared: States::default(),
        need_output,
        input,
        points: VertexPass::default(),
        plain,
        settled: false,
        vertex_pass: vec![0; net.layer_nodes().len()],
        vertex_open: vec![0; net.layer_nodes().len()],
    };
    let mut faces_after_layer = Vec::new();
    let (mut layer_seconds, mut cut_seconds) = (Vec::new(), Vec::new());
    let mut layer_start = Instant::now();
    let n_nodes = net.nodes().len();
    for idx in 0..n_nodes {
        let node = &net.nodes()[idx];
        let layer = match node.op.class() {
            OpClass::Linear => {
                e.linear(idx)?;
                false
            }
            OpClass::Activation(kind) => {
                e.cut_seconds = 0.0;
                e.activation(idx, kind)?;
                true
            }
            OpClass::Max => {
                e.cut_seconds = 0.0;
                e.max(idx)?;
                true
            }
        };
        if layer {
            let before = faces_after_layer.last().copied().unwrap_or(1);
            if let Some(l) = node.layer.filter(|&l| e.vertex_open[l] > 0) {
                // Faces the vertex pass left open that no line cut: its
                // bounds have outgrown the values (deep layers). Forms and
                // run-ahead from here on.
                let added = e.mesh.num_faces().saturating_sub(before);
                let missed = e.vertex_open[l].saturating_sub(added);
                if missed * VERTEX_MAX_OPEN > e.vertex_pass[l] + e.vertex_open[l] {
                    e.plain = false;
                    e.points.clear();
                }
            }
            faces_after_layer.push(e.mesh.num_faces());
            // Settled: the layer added at most one face in 64.
            e.settled = match faces_after_layer[..] {
                [.., a, b] => b <= a + a / 64,
                _ => false,
            };
            layer_seconds.push(layer_start.elapsed().as_secs_f64());
            if options.time_cutting {
                cut_seconds.push(e.cut_seconds);
            }
            layer_start = Instant::now();
        }
        e.states
            .par_iter_mut()
            .with_min_len(MIN_PAR_CHEAP)
            .flatten()
            .for_each(|s| s.forms.retain(|(t, _)| net.last_use(*t) > idx));
        if let Some(p) = &options.progress {
            p(idx + 1, n_nodes, e.mesh.num_faces());
        }
        if let Some(limit) = options.max_regions {
            if e.mesh.num_faces() > limit {
                return Err(PartitionError::TooManyRegions {
                    found: e.mesh.num_faces(),
                    limit,
                    node: idx,
                    name: node.name.clone(),
                });
            }
        }
    }
    let classes = e.boundary(options.boundary)?;
    if classes.is_some() {
        faces_after_layer.push(e.mesh.num_faces());
        layer_seconds.push(layer_start.elapsed().as_secs_f64());
        if options.time_cutting {
            cut_seconds.push(0.0);
        }
        if let Some(limit) = options.max_regions.filter(|&l| e.mesh.num_faces() > l) {
            return Err(PartitionError::TooManyRegions {
                found: e.mesh.num_faces(),
                limit,
                node: n_nodes,
                name: "the decision boundary, after the last node".into(),
            });
        }
    }
    let out_t = net.output();
    let mut regions = Vec::with_capacity(e.states.len());
    // The outer face's placeholder.
    regions.push(Region::new(Pattern::default(), None, None));
    // Each face's state is consumed as its region is built (the input forms
    // that pending outputs are computed from are freed as they go).
    let states = std::mem::take(&mut e.states);
    debug_assert_eq!(states.len(), e.mesh.num_faces() + 1, "a state per face");
    let built: Vec<Result<Region, NetError>> = states
        .into_par_iter()
        .enumerate()
        .skip(1)
        .with_min_len(MIN_PAR_CHEAP)
        .map(|(i, st)| {
            let mut st = st.expect("every face has a state");
            // The slot's form goes to the region as it is (shared by the
            // faces that had the same one). Without `need_output`, a form
            // made anyway is kept and none is made (`Partition::output`
            // makes it on demand).
            let output = match st.take_slot(out_t) {
                Some(Slot::Ready(form)) => Some(form),
                Some(slot) if need_output => Some(slot.form(&net, &st.pattern)?),
                _ => None,
            };
            Ok(Region::new(
                Pattern { layers: st.pattern },
                classes.as_ref().map(|c| c[i]),
                output,
            ))
        })
        .collect();
    for r in built {
        regions.push(r?);
    }
    let stats = Stats {
        faces_after_layer,
        predicates: e.mesh.stats(),
        run_ahead: e.run_ahead,
        vertex_pass: e.vertex_pass,
        vertex_open: e.vertex_open,
        folded: e.folded,
        dd_tightened: e.dd_tightened,
        layer_seconds,
        cut_seconds,
        halved: false,
        seconds: start.elapsed().as_secs_f64(),
    };
    Ok(Partition {
        mesh: e.mesh,
        regions,
        labels: e.labels,
        net,
        slice: slice.clone(),
        boundary: options.boundary,
        stats,
    })
}

impl Engine {
    fn live_faces(&self) -> Vec<FaceId> {
        self.mesh.faces().collect()
    }

    fn lazy(&self, f: FaceId, tensor: TensorId) -> Arc<LazyExact> {
        let st = self.states[f.index()].as_ref().expect("state");
        lazy_exact(&self.exact, &st.pattern, tensor)
    }

    /// Applies a linear node to every face's forms (in parallel; faces with
    /// the same input forms share the result).
    fn linear(&mut self, idx: usize) -> Result<(), PartitionError> {
        let node = &self.net.nodes()[idx];
        if self.skips(node.output) {
            return Ok(());
        }
        if let (Op::Reshape { .. }, [x]) = (&node.op, &node.inputs[..]) {
            // A row-major reshape leaves the flat data as it is: every face
            // reads its input's slot (shared, still lazy) as the output.
            let (x, out) = (*x, node.output);
            self.states
                .par_iter_mut()
                .with_min_len(MIN_PAR_CHEAP)
                .flatten()
                .for_each(|st| {
                    if !st.forms.iter().any(|(t, _)| *t == out) {
                        let slot = st.slot(x).clone();
                        st.forms.push((out, slot));
                    }
                });
            return Ok(());
        }
        // A dense node read once, on a face whose input is a ReLU's output:
        // left pending (see `Slot::Pending`).
        let deferrable = matches!(node.op, Op::Dense { .. })
            && node.inputs.len() == 1
            && self.uses.get(node.output.index()) == Some(&1);
        let pending = |st: &FaceState| -> Option<Slot> {
            match st.slot(node.inputs[0]) {
                Slot::Activated { node: act, pre }
                    if deferrable
                        && self.net.nodes()[*act].op.class()
                            == OpClass::Activation(ActKind::Relu) =>
                {
                    Some(Slot::Pending {
                        node: idx,
                        act: *act,
                        pre: Arc::clone(pre),
                    })
                }
                _ => None,
            }
        };
        // Faces whose inputs are all the same shared forms form one job.
        let mut jobs: HashMap<Vec<usize>, usize> = HashMap::new();
        let mut reps: Vec<usize> = Vec::new();
        let mut job_of = vec![usize::MAX; self.states.len()];
        let mut deferred: Vec<(usize, Slot)> = Vec::new();
        // Layers passed so far: a face whose pattern is longer is ahead
        // (run-ahead) and holds a later node's form instead of this one's.
        let layers_done = self.net.nodes()[..idx]
            .iter()
            .filter_map(|n| n.layer)
            .map(|l| l + 1)
            .max()
            .unwrap_or(0);
        for (f, st) in self.states.iter().enumerate() {
            let Some(st) = st else { continue };
            if st.forms.iter().any(|(t, _)| *t == node.output) || st.pattern.len() > layers_done {
                // Made by the previous layer (`finish_layer`), or later.
                continue;
            }
            if let Some(slot) = pending(st) {
                deferred.push((f, slot));
                continue;
            }
            // A face with an activated (or pending) input has forms of its
            // own: its own job, no lookup.
            if node.inputs.iter().any(|t| {
                matches!(
                    st.slot(*t),
                    Slot::Activated { .. }
                        | Slot::Pending { .. }
                        | Slot::Folded(_)
                        | Slot::Replay { .. }
                )
            }) {
                job_of[f] = reps.len();
                reps.push(f);
                continue;
            }
            let key: Vec<usize> = node
                .inputs
                .iter()
                .map(|t| match st.slot(*t) {
                    Slot::Ready(a) => Arc::as_ptr(a) as usize,
                    Slot::Activated { .. }
                    | Slot::Pending { .. }
                    | Slot::Folded(_)
                    | Slot::Replay { .. } => {
                        unreachable!("checked above")
                    }
                })
                .collect();
            let n = reps.len();
            let j = *jobs.entry(key).or_insert_with(|| {
                reps.push(f);
                n
            });
            job_of[f] = j;
        }
        let net = &self.net;
        let states = &self.states;
        let elements = node
            .inputs
            .iter()
            .map(|t| self.net.len_of(*t))
            .sum::<usize>()
            + self.net.len_of(node.output);
        let outs: Vec<Arc<AffineForm>> = reps
            .par_iter()
            .with_min_len(min_faces_per_task(elements))
            .map(|&f| {
                let st = states[f].as_ref().expect("state");
                if let Some(out) = fused_dense(net, idx, st) {
                    return Ok(Arc::new(out));
                }
                let ins: Vec<Arc<AffineForm>> = node
                    .inputs
                    .iter()
                    .map(|t| st.form(net, *t))
                    .collect::<Result<_, _>>()?;
                let refs: Vec<&AffineForm> = ins.iter().map(|a| a.as_ref()).collect();
                net.apply_linear_f64(idx, &refs).map(Arc::new)
            })
            .collect::<Vec<Result<_, NetError>>>()
            .into_iter()
            .collect::<Result<_, NetError>>()?;
        for (f, st) in self.states.iter_mut().enumerate() {
            if let Some(st) = st {
                if job_of[f] != usize::MAX {
                    st.forms
                        .push((node.output, Slot::Ready(Arc::clone(&outs[job_of[f]]))));
                }
            }
        }
        for (f, slot) in deferred {
            if let Some(st) = &mut self.states[f] {
                st.forms.push((node.output, slot));
            }
        }
        Ok(())
    }

    /// Cuts every face by the lines of an activation node's neurons.
    ///
    /// Same result, vertex for vertex, as cutting each face by every neuron
    /// in index order over all its sub-faces; the work is arranged so that
    /// little of it is spent on lines that miss a face, and so that two
    /// threads help:
    ///
    /// 1. produced on any thread (the mesh is not edited; the face's input
    ///    slot is taken from its state if this is its last use): the face's
    ///    input form (a pending dense layer is computed here) and, by the point filter
    ///    at the face's vertices at the start of the layer, which neurons
    ///    provably miss the face (their state is then known for every
    ///    sub-face). A line that misses the face at the start of the layer
    ///    misses it whatever vertices neighbours add later on its sides (they
    ///    lie between the old ones); every other neuron is left to step 2;
    /// 2. consumed on this thread, face by face in order, while later faces
    ///    are still in step 1 ([`pipeline::ordered`]): for the remaining
    ///    neurons in index order, the exact signs on the face's outline
    ///    decide whether the line misses it after all; a crossing line gets
    ///    its sign once per vertex of the sub-faces it may meet (all of them
    ///    for a face that few lines cross; from [`ZONE_MIN_LINES`] on, only
    ///    those of its zone, walked from where it enters the face), and of
    ///    those only the sub-faces with vertices on both sides (or a side on
    ///    the line) are cut, in the sub-faces' order. The sub-faces' states
    ///    come last: the face's own for each line, then across each shared
    ///    edge the states of the neurons whose lines carry it flip;
    /// 3. handed to the pool as each face's group is cut, in batches of about
    ///    [`FINISH_BATCH`] sub-faces: the sub-faces' states
    ///    ([`Finisher::group`], with the next dense node's forms by sibling
    ///    steps), built by whichever thread is free while step 2 goes on.
    ///
    /// A face that no line crosses is also tested against the following
    /// ReLU layers' lines in step 1, and the sub-faces of a cut face in
    /// step 3 (run-ahead, [`run_ahead`]); the layers whose lines all miss
    /// a face leave it out.
    fn activation(&mut self, idx: usize, kind: ActKind) -> Result<(), PartitionError> {
        let node = self.net.nodes()[idx].clone();
        let layer = node.layer.expect("activation layer");
        let x = node.inputs[0];
        let n = self.net.len_of(x);
        // Faces that an earlier layer's run-ahead took through this one
        // (their states for it are in their patterns, no line of it crosses
        // them) are left out and keep their state as it is.
        let (faces, passed): (Vec<FaceId>, Vec<FaceId>) =
            self.live_faces().into_iter().partition(|f| {
                self.states[f.index()]
                    .as_ref()
                    .is_some_and(|st| st.pattern.len() <= layer)
            });
        self.run_ahead[layer] = passed.len();
        if faces.is_empty() {
            // Every face was taken through this layer (deep networks, once
            // the mesh is settled): nothing to do, every state stays put.
            return Ok(());
        }
        let filtered = self.mesh.kernel() == Kernel::Filtered;
        // On a settled mesh, the faces whose corners prove every line of
        // the layer misses them are taken through it by the vertex pass.
        let vertex = filtered && self.vertex_pass_here(idx, kind, n);
        let (faces, passed) = if vertex {
            self.take_through(idx, (layer, n), faces, passed)?
        } else {
            self.points.clear();
            (faces, passed)
        };
        if faces.is_empty() {
            return Ok(());
        }
        // Each face's outline at the start of the layer (step 1 reads it
        // while step 2 edits the mesh).
        let outlines = if filtered {
            Outlines::read(&self.mesh, &faces)
        } else {
            Outlines::default()
        };
        // Whether this node is the last use of its input: then step 1 takes
        // each face's input slot out of its state as soon as the face's form
        // is made, so the previous layer's forms are freed while this
        // layer's are made (not both held to the end of the layer).
        let last = self.net.last_use(x) == idx;
        // The dense node whose forms uncut faces get at once (when it is
        // no wider than this layer: never more memory than the input form).
        let eager = self.eager(idx);
        // Step 3 runs beside steps 1 and 2: each group, once cut, is handed
        // to the pool to build its sub-faces' states, with its parent's
        // state taken out of `cells` (a face's cell is read or written only
        // by its own steps 1 and 2 before that, one after the other, so its
        // lock is never contended).
        let fin_net = Arc::clone(&self.net);
        // The dense node after this layer whose forms are made here, and
        // the ReLU layers after it that faces run ahead through (an uncut
        // face in step 1, where `eager` is that same node; the sub-faces of
        // a cut one in step 3).
        let stepped = self.next_dense(idx);
        let keep_output = !self.unread(self.net.nodes()[idx].output);
        // No run-ahead where the vertex pass runs: it takes the faces
        // through the next layers for less.
        let hops = if filtered && !vertex {
            self.hops(stepped.map(|(nd, _)| nd))
        } else {
            Vec::new()
        };
        let cells: Vec<Mutex<Option<FaceState>>> = std::mem::take(&mut self.states)
            .into_iter()
            .map(Mutex::new)
            .collect();
        let cell = |f: FaceId| cells[f.index()].lock().unwrap_or_else(|e| e.into_inner());
        let built: Vec<OnceLock<Result<Members, NetError>>> =
            (0..faces.len()).map(|_| OnceLock::new()).collect();
        let Engine {
            net,
            mesh,
            labels,
            exact,
            dd,
            dd_tightened,
            cut_seconds,
            time_cutting,
            signs: vs,
            marks: fm,
            shared,
            ..
        } = self;
        let (net, labels, exact, dd, shared) = (&*net, &*labels, &*exact, dd.as_ref(), &*shared);
        let cutting_timed = *time_cutting;
        let fin = Finisher::new(&fin_net, idx, stepped, &hops, shared, keep_output);
        // Faces whose input comes folded.
        let folded = AtomicUsize::new(0);
        // Faces tightened from their double-double form in step 1.
        let dd_early = AtomicUsize::new(0);
        // Scratch per thread: the neurons' classes, the form's bounds, states.
        let produce = |i: usize,
                       (class, ebuf, sbuf, recent): &mut Scratch|
         -> Result<FacePre, NetError> {
            let f = faces[i];
            let mut state = cell(f);
            let st = state.as_mut().expect("state");
            debug_assert_eq!(st.pattern.len(), layer, "a face not run ahead");
            let slot = if last {
                st.take_slot(x).expect("live tensor")
            } else {
                st.slot(x).clone()
            };
            let form = match slot {
                Slot::Folded(fd) => {
                    folded.fetch_add(1, Ordering::Relaxed);
                    LayerInput::Folded(fd)
                }
                slot => LayerInput::Form(slot.form(net, &st.pattern)?),
            };
            let stored = st.classified.take();
            drop(state);
            let form = match form {
                LayerInput::Form(form) if !filtered => {
                    return Ok((Formed::Pre(form), vec![0; n], (0..n as u32).collect(), 0));
                }
                form => form,
            };
            let corners = outlines.get(i);
            let decided = match (stored, &form) {
                // Found by a run-ahead that stopped at this layer.
                (Some(c), _) => {
                    class.clear();
                    class.extend_from_slice(&c.class);
                    c.decided
                }
                (None, LayerInput::Form(form)) => {
                    class.clear();
                    class.resize(n, LineClass::Unknown);
                    classify_lines_at_points(form.values(), form.errors_into(ebuf), corners, class)
                }
                (None, LayerInput::Folded(_)) => {
                    return Err(NetError::Argument(
                        "internal: a folded form without its classes".into(),
                    ))
                }
            };
            // Deep networks: where the filter leaves a line's sign at a
            // corner and the row's bounds are far past rounding, the face's
            // form is tightened from its double-double pass here, in
            // parallel, rather than on the cutting thread in step 2, and
            // its lines classified again.
            let (form, decided) = match form {
                LayerInput::Form(f) if dd.is_some() && needs_dd(&f, class, corners) => {
                    let tight = cell(faces[i])
                        .as_ref()
                        .and_then(|st| dd?.form(&st.pattern, x).ok())
                        .and_then(|d| d.to_f64());
                    match tight {
                        Some(t) => {
                            dd_early.fetch_add(1, Ordering::Relaxed);
                            class.fill(LineClass::Unknown);
                            let d = classify_lines_at_points(
                                t.values(),
                                t.errors_into(ebuf),
                                corners,
                                class,
                            );
                            (LayerInput::Form(Arc::new(t)), d)
                        }
                        None => (LayerInput::Form(f), decided),
                    }
                }
                form => (form, decided),
            };
            // Every line decided at every corner: none crosses (no scan).
            let missed = !corners.is_empty() && decided == (n * corners.len()) as u64;
            let state = |cl: &LineClass| class_state(kind, *cl);
            let todo: Vec<u32> = if missed {
                debug_assert!(class.iter().all(|c| *c != LineClass::Unknown));
                Vec::new()
            } else {
                (0..n as u32)
                    .filter(|&k| class[k as usize] == LineClass::Unknown)
                    .collect()
            };
            if let (true, Some(nd)) = (todo.is_empty(), eager) {
                // No line crosses the face: its states are final (written
                // straight into the shared slice), its next form made now
                // and its input form freed.
                sbuf.clear();
                sbuf.extend(class.iter().map(state));
                let init = shared.get(sbuf);
                let next = match form {
                    LayerInput::Form(form) => dense_after_relu(net, (idx, nd), &form, &init)?,
                    // Every neuron known: the fold's fixed part is it.
                    LayerInput::Folded(fd) => AffineForm::clone(fd.fixed(nd)?),
                };
                // Run-ahead through the following ReLU layers whose lines
                // miss the face too, while the form is in cache (see
                // `run_ahead`): those layers leave the face out.
                let ahead = run_ahead(
                    net,
                    shared,
                    &hops,
                    (Arc::new(next), net.nodes()[nd].output),
                    corners,
                    (class, ebuf, sbuf, recent),
                )?;
                let decided = decided + ahead.decided;
                return Ok((
                    Formed::Next {
                        states: init,
                        ahead,
                    },
                    Vec::new(),
                    todo,
                    decided,
                ));
            }
            let formed = match form {
                LayerInput::Form(form) => Formed::Pre(form),
                LayerInput::Folded(fd) => Formed::Folded(fd),
            };
            Ok((formed, class.iter().map(state).collect(), todo, decided))
        };
        let mut outline: Vec<HalfEdgeId> = Vec::new();
        let mut signs: Vec<Sign> = Vec::new();
        let mut zone: Vec<usize> = Vec::new();
        let mut scratch = zone::Scratch::default();
        let mut gverts: Vec<VertexId> = Vec::new();
        let first_label = labels.neuron(layer, 0).0;
        // Step 2 on one face: its group, and the group's sibling order
        // where step 3 needs one.
        type Cut = (
            Formed,
            Group,
            Option<Vec<(usize, Option<usize>)>>,
            Option<OutlineBlock>,
        );
        let mut cut = |i: usize, pre: Result<FacePre, NetError>| -> Result<Cut, PartitionError> {
            let f = faces[i];
            let (form, init, todo, decided) = pre?;
            mesh.add_stats(&PredicateStats {
                filtered: decided,
                ..PredicateStats::default()
            });
            let form = match form {
                Formed::Pre(form) if !todo.is_empty() => LayerInput::Form(form),
                Formed::Folded(fd) if !todo.is_empty() => LayerInput::Folded(fd),
                formed => return Ok((formed, vec![(f, init)], None, None)),
            };
            let started = cutting_timed.then(Instant::now);
            // The face's sides now (neighbours may have added vertices on
            // them): a line that misses the face misses every sub-face.
            outline.clear();
            outline.extend(mesh.face_half_edges(f));
            // The sub-faces (`f` keeps the positive side of every cut), the
            // states they all share, and `f`'s state for each line that
            // reaches the face's interior (the others' states follow from
            // the lines along their shared edges, below).
            // Room for a sub-face per crossing line (their usual number).
            let mut members: Vec<FaceId> = Vec::with_capacity(todo.len() + 1);
            members.push(f);
            let mut base = init;
            let mut root: Vec<(usize, u32)> = Vec::with_capacity(todo.len());
            fm.begin_group();
            fm.add(f, 0);
            // Faces cut by few lines: every sub-face is tried (from the
            // line's signs at all their vertices); by many: only the zone.
            let zoned = todo.len() >= ZONE_MIN_LINES;
            // Where every sub-face is tried, each gets its state for each
            // line as it goes (no walk over the shared edges at the end).
            let mut tried: Option<Vec<Vec<u32>>> = None;
            if !zoned {
                gverts.clear();
                gverts.extend(outline.iter().map(|&h| mesh.origin(h)));
                let mut states = Vec::with_capacity(todo.len() + 1);
                states.push(base.clone());
                tried = Some(states);
            }
            // The face's exact input form, made once if a sign needs it.
            let exact_form = || {
                let st = cell(f);
                lazy_exact(exact, &st.as_ref().expect("state").pattern, x)
            };
            // The face's form rounded from its double-double pass.
            let dd_form = || -> Option<AffineForm> {
                let st = cell(f);
                let pattern = &st.as_ref()?.pattern;
                dd?.form(pattern, x).ok()?.to_f64()
            };
            let mut lazy: Option<Arc<LazyExact>> = None;
            let mut form = form;
            // How the face's `f64` form was tightened so far.
            let mut tight = Tight::No;
            for &k in &todo {
                let k = k as usize;
                // Once a sign has needed the face's exact form, the `f64`
                // form is replaced by its rounding: its bounds (grown with
                // every layer's worst case, past the values in deep
                // narrow networks) become the rounding's, so that the
                // filter decides again, here and in the layers its
                // sub-faces' forms are made from it.
                if filtered && tight != Tight::Exact {
                    if let (Some(ex), LayerInput::Form(_)) =
                        (lazy.as_ref().and_then(|l| l.made()), &form)
                    {
                        form = LayerInput::Form(Arc::new(AffineForm::rounded(ex)));
                        tight = Tight::Exact;
                    }
                }
                let label = labels.neuron(layer, k);
                let mut row = form.row(k);
                let mut line: Option<Line> = None;
                signs.clear();
                for &h in &outline {
                    let v = mesh.origin(h);
                    let (xy, r) = (mesh.vertex_xy(v), mesh.vertex_radius(v));
                    let mut s = side_of_point(row.0, row.1, xy, r);
                    // Before a sign goes exact on a face whose bounds have
                    // grown far past rounding, the face's form is replaced
                    // (once) by the rounding of its double-double form:
                    // bounds as tight as the exact form's rounding, at a
                    // fraction of its cost. Signs decided before stay
                    // proven; only the `f64` view changes.
                    if s.is_none()
                        && filtered
                        && tight == Tight::No
                        && matches!(form, LayerInput::Form(_))
                        && dd_worth(row)
                        && !mesh.vertex_on(v, label)
                    {
                        tight = Tight::Dd;
                        if let Some(t) = dd_form() {
                            *dd_tightened += 1;
                            form = LayerInput::Form(Arc::new(t));
                            row = form.row(k);
                            s = side_of_point(row.0, row.1, xy, r);
                        }
                    }
                    let s = match s {
                        Some(s) if filtered => {
                            mesh.add_stats(&PredicateStats {
                                filtered: 1,
                                ..PredicateStats::default()
                            });
                            s
                        }
                        _ => {
                            let l = line.get_or_insert_with(|| {
                                row_line(row, k, lazy.get_or_insert_with(exact_form))
                            });
                            mesh.side_of_vertex_unstored(v, l, label)
                        }
                    };
                    signs.push(s);
                }
                if let Some(side) = missed_side(&signs) {
                    base[k] = state_of(kind, side);
                    for st in tried.iter_mut().flatten() {
                        st[k] = base[k];
                    }
                    continue;
                }
                let line =
                    line.unwrap_or_else(|| row_line(row, k, lazy.get_or_insert_with(exact_form)));
                let id = mesh.add_line(line);
                vs.begin(mesh.num_vertices());
                zone.clear();
                if zoned {
                    let entry = zone::Entry {
                        outline: &outline,
                        signs: &signs,
                    };
                    zone::walk(mesh, vs, fm, entry, (id, label), &mut scratch, &mut zone);
                } else {
                    mesh.sides_of_vertices(&gverts, id, label, |v, s| vs.set(v, s));
                    zone.extend(0..members.len());
                }
                let before = mesh.num_vertices();
                // Cut in the members' order (as if every member were tried).
                let mut split = false;
                let mut root_side = None;
                for &j in &zone {
                    let fj = members[j];
                    let side = match vs.one_side(mesh, fj) {
                        Some(side) => side,
                        None => match mesh.cut_face_knowing(fj, id, label, |v| vs.get(v))? {
                            CutOutcome::Missed { side } => side,
                            CutOutcome::Split { negative, .. } => {
                                split = true;
                                fm.add(negative, members.len());
                                members.push(negative);
                                if let Some(st) = &mut tried {
                                    let mut other = st[j].clone();
                                    other[k] = state_of(kind, Sign::Negative);
                                    st.push(other);
                                }
                                Sign::Positive
                            }
                        },
                    };
                    if let Some(st) = &mut tried {
                        st[j][k] = state_of(kind, side);
                    }
                    if j == 0 {
                        root_side = Some(side);
                    }
                }
                // Outside the zone, `f` lies on one side: any vertex tells.
                let root_side = root_side.unwrap_or_else(|| {
                    let v = mesh.origin(mesh.face_edge(f));
                    mesh.side_of_vertex(v, id, label)
                });
                debug_assert_ne!(root_side, Sign::Zero, "a face off the line has a side");
                root.push((k, state_of(kind, root_side)));
                if !split {
                    mesh.pop_unused_line(id);
                }
                if !zoned {
                    gverts.extend((before..mesh.num_vertices()).map(VertexId::from_index));
                }
            }
            let group: Group = match tried {
                Some(states) => members.into_iter().zip(states).collect(),
                None => zone::states(mesh, fm, members, base, &root, (first_label, n)),
            };
            let formed = match form {
                LayerInput::Form(form) => Formed::Pre(form),
                LayerInput::Folded(fd) => Formed::Folded(fd),
            };
            // The marks still hold this group's members.
            let order = fin
                .needs_order(&formed, &group)
                .then(|| sibling_order(mesh, &group, |g| fm.member(g)));
            // The members' corners for their run-ahead: final for this
            // layer once the group is cut (a later face's cut cannot end
            // inside one of their sides: it would meet the same neuron's
            // line of this face, which was cut there already).
            let corners = fin
                .runs_ahead(&formed, &group)
                .then(|| OutlineBlock::read(mesh, group.iter().map(|(g, _)| *g)));
            if let Some(t) = started {
                *cut_seconds += t.elapsed().as_secs_f64();
            }
            Ok((formed, group, order, corners))
        };
        // Step 3 in batches of about `FINISH_BATCH` sub-faces.
        type Job = (
            usize,
            FaceState,
            Formed,
            Group,
            Option<Vec<(usize, Option<usize>)>>,
            Option<OutlineBlock>,
        );
        let run = |jobs: Vec<Job>| {
            for (i, parent, formed, group, order, corners) in jobs {
                let members = fin.group(parent, formed, group, order.as_deref(), corners.as_ref());
                built[i]
                    .set(members)
                    .ok()
                    .expect("each group is finished once");
            }
        };
        // Chunks small enough for both threads to stay busy, large enough
        // that handing them over costs little.
        let chunk = (faces.len() / 64).clamp(1, min_faces_per_task(n).min(32));
        // Sub-faces handed to the pool for step 3 and not finished yet.
        let waiting = &AtomicUsize::new(0);
        rayon::in_place_scope(|scope| -> Result<(), PartitionError> {
            let mut jobs: Vec<Job> = Vec::new();
            let mut batch = 0;
            let mut consume = |i: usize, pre: Result<FacePre, NetError>| {
                let (formed, group, order, corners) = cut(i, pre)?;
                let parent = cell(faces[i]).take().expect("state");
                batch += group.len();
                jobs.push((i, parent, formed, group, order, corners));
                if batch >= FINISH_BATCH {
                    let jobs = std::mem::take(&mut jobs);
                    if waiting.load(Ordering::Relaxed) >= MAX_WAITING {
                        // Step 3 is behind: this thread does the batch
                        // (what waits holds parent forms and the members'
                        // states, up to a layer's worth on a wide layer).
                        run(jobs);
                    } else {
                        waiting.fetch_add(batch, Ordering::Relaxed);
                        let done = batch;
                        scope.spawn(move |_| {
                            run(jobs);
                            waiting.fetch_sub(done, Ordering::Relaxed);
                        });
                    }
                    batch = 0;
                }
                Ok::<(), PartitionError>(())
            };
            if faces.len() <= min_faces_per_task(n)
                && faces.len().saturating_mul(n.saturating_mul(n)) <= SERIAL_LAYER_WORK
            {
                // Too little work to share: one thread, no hand-over.
                let mut scratch = Scratch::default();
                for i in 0..faces.len() {
                    consume(i, produce(i, &mut scratch))?;
                }
            } else {
                pipeline::ordered(faces.len(), chunk, Scratch::default, produce, &mut consume)?;
            }
            run(jobs);
            Ok(())
        })?;
        let mut built = built
            .into_iter()
            .map(|m| m.into_inner().expect("every group is finished"))
            .collect::<Result<Vec<_>, NetError>>()?;
        built.extend(
            passed
                .into_iter()
                .map(|f| Members::from_buf([(f, cell(f).take().expect("state"))])),
        );
        self.mesh.add_stats(&PredicateStats {
            filtered: fin.decided(),
            ..PredicateStats::default()
        });
        self.folded[layer] = folded.into_inner();
        self.dd_tightened += dd_early.into_inner();
        self.place(built);
        Ok(())
    }

    /// Whether the vertex pass runs on activation node `idx` (of width
    /// `n`): a ReLU of a plain chain ([`vertex_pass::eligible`]) whose
    /// output is read by the next dense node alone (or not at all), with
    /// the values in [`vertex_pass::MAX_ELEMENTS`]; where it ran on the
    /// layer before (its faces hold no forms), or on a settled mesh with a
    /// few more ReLU layers to come ([`VERTEX_MIN_AHEAD`], this one
    /// included).
    fn vertex_pass_here(&self, idx: usize, kind: ActKind, n: usize) -> bool {
        // `plain`: every ReLU of the network is eligible.
        if kind != ActKind::Relu
            || !self.plain
            || self.mesh.num_vertices().saturating_mul(n) > vertex_pass::MAX_ELEMENTS
        {
            return false;
        }
        let next = self.next_dense(idx);
        if next.is_none() && !self.unread(self.net.nodes()[idx].output) {
            return false;
        }
        let continuing = self.points.node().is_some_and(|p| p + 2 == idx);
        let ahead = self.net.layer_nodes().iter().filter(|&&i| i >= idx).count();
        continuing || (self.settled && ahead >= VERTEX_MIN_AHEAD)
    }

    /// The vertex pass on ReLU node `idx` (layer `layer`, `n` neurons):
    /// the faces whose corners agree on every neuron's sign get their
    /// states, drop their input form and hold a [`Slot::Replay`] of the
    /// next dense node's output (where one is made), and join `passed`;
    /// the others are returned to be cut.
    fn take_through(
        &mut self,
        idx: usize,
        (layer, n): (usize, usize),
        faces: Vec<FaceId>,
        mut passed: Vec<FaceId>,
    ) -> Result<(Vec<FaceId>, Vec<FaceId>), PartitionError> {
        let x = self.net.nodes()[idx].inputs[0];
        // The faces' forms of the layer's input, where they have one made:
        // the values at their corners follow from them.
        let known: Vec<(FaceId, Arc<AffineForm>)> = faces
            .iter()
            .filter_map(|&f| {
                let st = self.states[f.index()].as_ref()?;
                match st.forms.iter().find(|(t, _)| *t == x) {
                    Some((_, Slot::Ready(a))) => Some((f, Arc::clone(a))),
                    _ => None,
                }
            })
            .collect();
        self.points
            .update(&self.net, &self.mesh, (&self.input, &known), idx)?;
        drop(known);
        let next = self.next_dense(idx).map(|(_, t)| t);
        let (points, mesh, shared) = (&self.points, &self.mesh, &self.shared);
        let decided: Vec<Option<(Arc<[u32]>, usize)>> = faces
            .par_iter()
            .with_min_len(MIN_PAR_CHEAP)
            .map_init(
                || (Vec::new(), Vec::new(), (Vec::new(), None::<Arc<[u32]>>)),
                |(acc, states, (last_on, last)), &f| {
                    let corners = points.decide(mesh, f, acc)?;
                    // Neighbours mostly share their states: the last
                    // shared copy is tried first (by its masks).
                    let shared = match last.as_ref().filter(|_| *last_on == *acc) {
                        Some(l) => Arc::clone(l),
                        None => {
                            points.states(acc, states);
                            last_on.clone_from(acc);
                            last.insert(shared.get(states)).clone()
                        }
                    };
                    Some((shared, corners))
                },
            )
            .collect();
        let mut rest = Vec::new();
        let (mut signs, mut count) = (0u64, 0usize);
        for (f, d) in faces.into_iter().zip(decided) {
            let Some((states, corners)) = d else {
                rest.push(f);
                continue;
            };
            let st = self.states[f.index()].as_mut().expect("state");
            st.pattern.push(states);
            st.classified = None;
            // The face's form is dropped: the next one, if it is read, is
            // made from the input form. (Keeping the face's last form to
            // start from instead held every face's form through the
            // layers the pass runs on: 2-32x30-1's peak heap went from 3
            // to 6.5 MB, for a replay a few layers shorter.)
            drop(st.take_slot(x));
            if let Some(tensor) = next {
                let (from, form) = (TensorId(0), Arc::clone(&self.input));
                st.forms.push((tensor, Slot::Replay { tensor, from, form }));
            }
            signs += (n * corners) as u64;
            count += 1;
            passed.push(f);
        }
        self.vertex_pass[layer] = count;
        self.vertex_open[layer] = rest.len();
        self.mesh.add_stats(&PredicateStats {
            filtered: signs,
            ..PredicateStats::default()
        });
        Ok((rest, passed))
    }

    /// The dense node whose forms a face that no line of activation node
    /// `idx` crosses gets at once ([`Formed::Next`]): the
    /// [`Engine::next_dense`], when it is no wider than the layer (never
    /// more memory than the input form).
    fn eager(&self, idx: usize) -> Option<usize> {
        let n = self.net.len_of(self.net.nodes()[idx].inputs[0]);
        self.next_dense(idx)
            .filter(|&(_, t)| self.net.len_of(t) <= n)
            .map(|(nd, _)| nd)
    }

    /// The run-ahead after dense node `first` (made for the faces of the
    /// current layer): ReLU layers that a face is taken through at once, as
    /// long as their lines provably miss it. Each hop is a ReLU node right
    /// after the previous hop's dense node and alone reading its output,
    /// with its own eager dense node (none for a last ReLU whose output is
    /// unread, [`Engine::unread`]), and whether a face whose run-ahead stops
    /// there keeps the ReLU's input folded (the dense node at most a
    /// [`FOLD_SHARE`]th as wide, or none).
    fn hops(&self, first: Option<usize>) -> Vec<Hop> {
        let mut out = Vec::new();
        let Some(mut nd) = first else {
            return out;
        };
        loop {
            let t = self.net.nodes()[nd].output;
            let r = nd + 1;
            let Some(node) = self.net.nodes().get(r) else {
                break;
            };
            if node.op.class() != OpClass::Activation(ActKind::Relu)
                || node.inputs != [t]
                || self.uses.get(t.index()) != Some(&1)
            {
                break;
            }
            let Some(next) = self.eager(r) else {
                // A last ReLU whose output nothing made reads: a hop that
                // only finds its states (and folds to its rows where it
                // stops).
                if self.unread(node.output) {
                    out.push(Hop {
                        relu: r,
                        dense: None,
                        fold: true,
                    });
                }
                break;
            };
            let out_t = self.net.nodes()[next].output;
            let fold = self.net.len_of(out_t) * FOLD_SHARE <= self.net.len_of(t);
            out.push(Hop {
                relu: r,
                dense: Some((next, out_t)),
                fold,
            });
            nd = next;
        }
        if self.plain {
            // The vertex pass takes faces through a settled mesh's layers
            // for less (see `vertex_pass`); it starts where the engine is
            // back on a layer.
            out.truncate(PLAIN_HOPS);
        }
        out
    }

    /// Whether tensor `t` is left out: the network's output, read by no
    /// node, when regions do not get their output forms now.
    fn skips(&self, t: TensorId) -> bool {
        !self.need_output && t == self.net.output() && self.uses.get(t.index()) == Some(&1)
    }

    /// Whether nothing that is made reads tensor `t`: it is skipped, or
    /// its one reader is a linear node whose output is skipped.
    fn unread(&self, t: TensorId) -> bool {
        self.skips(t)
            || (self.uses.get(t.index()) == Some(&1)
                && self.net.nodes().iter().any(|n| {
                    n.inputs.contains(&t) && n.op.class() == OpClass::Linear && self.skips(n.output)
                }))
    }

    /// The dense node right after ReLU node `idx` that alone reads its
    /// output (index, output tensor), if there is one: its forms are made
    /// from the ReLU's input form directly (fused, or by sibling steps).
    fn next_dense(&self, idx: usize) -> Option<(usize, TensorId)> {
        let output = self.net.nodes()[idx].output;
        self.net
            .nodes()
            .get(idx + 1)
            .filter(|nd| {
                self.net.nodes()[idx].op.class() == OpClass::Activation(ActKind::Relu)
                    && matches!(nd.op, Op::Dense { .. })
                    && nd.inputs == [output]
                    && self.uses.get(output.index()) == Some(&1)
                    && !self.skips(nd.output)
            })
            .map(|nd| (idx + 1, nd.output))
    }

    /// Builds every group's sub-face states ([`Finisher::group`]), in
    /// parallel: `groups` pairs each parent's state and what was formed for
    /// it with its sub-faces (a max layer's; an activation layer does this
    /// while it cuts).
    fn finish_layer(
        &mut self,
        idx: usize,
        groups: Vec<(FaceState, Formed, Group)>,
    ) -> Result<(), PartitionError> {
        let keep_output = !self.unread(self.net.nodes()[idx].output);
        let fin = Finisher::new(
            &self.net,
            idx,
            self.next_dense(idx),
            &[],
            &self.shared,
            keep_output,
        );
        let mesh = &self.mesh;
        // Groups per task: `min_members`, except that a layer of fewer,
        // larger groups (a few faces cut by many lines, as in an image net's
        // second layer) shares them out one by one.
        let members: usize = groups.iter().map(|(_, _, g)| g.len()).sum();
        let min_groups = if groups.len() <= fin.min_members && members > 4 * fin.min_members {
            1
        } else {
            fin.min_members
        };
        let built: Vec<Members> = groups
            .into_par_iter()
            .with_min_len(min_groups)
            .map(|(parent, formed, group)| {
                let order = fin
                    .needs_order(&formed, &group)
                    .then(|| sibling_order(mesh, &group, member_of(&group)));
                fin.group(parent, formed, group, order.as_deref(), None)
            })
            .collect::<Result<_, NetError>>()?;
        self.place(built);
        Ok(())
    }

    /// The states of the faces after a layer, from every group's members
    /// (each face of the mesh is a member of one group).
    fn place(&mut self, built: Vec<Members>) {
        self.states = vec![None; self.mesh.num_faces() + 1];
        for (f, st) in built.into_iter().flatten() {
            self.states[f.index()] = Some(st);
        }
    }

    /// Splits faces into the argmax cells of each max unit.
    fn max(&mut self, idx: usize) -> Result<(), PartitionError> {
        let node = self.net.nodes()[idx].clone();
        let layer = node.layer.expect("max layer");
        let x = node.inputs[0];
        let units = node.windows.len();
        let mut groups: Vec<(FaceState, Formed, Group)> = Vec::new();
        for f in self.live_faces() {
            let form = self.states[f.index()]
                .as_ref()
                .expect("state")
                .form(&self.net, x)?;
            let lazy = self.lazy(f, x);
            let mut group: Group = vec![(f, vec![0; units])];
            for (j, window) in node.windows.iter().enumerate() {
                let cands: Vec<usize> = window.iter().map(|&w| w as usize).collect();
                let pair_label = |a: u32, b: u32| LabelKind::MaxPair {
                    layer,
                    unit: j,
                    a,
                    b,
                };
                self.argmax_cells(&mut group, j, &cands, &form, &lazy, pair_label, false)?;
            }
            let parent = self.states[f.index()].take().expect("state");
            // The members' outputs now if they take less memory than the
            // input form (which is then freed).
            let formed = if group.len() * self.net.len_of(node.output) <= form.len() {
                let own = group
                    .iter()
                    .map(|(_, st)| self.net.apply_activation_f64(idx, &form, st).map(Arc::new))
                    .collect::<Result<Vec<_>, NetError>>()?;
                Formed::Outputs(own)
            } else {
                Formed::Pre(form)
            };
            groups.push((parent, formed, group));
        }
        let remap = self.mesh.compact();
        for (_, _, group) in groups.iter_mut() {
            for (s, _) in group.iter_mut() {
                *s = remap.faces[s.index()].expect("live sub-face");
            }
        }
        self.finish_layer(idx, groups)
    }

    /// Splits the faces of `group` into argmax (or argmin) cells of the
    /// candidates `cands` (indices into `form`), writing the winner's
    /// position into state `j`, then merges over-split cells.
    #[allow(clippy::too_many_arguments)]
    fn argmax_cells(
        &mut self,
        group: &mut Group,
        j: usize,
        cands: &[usize],
        form: &AffineForm,
        lazy: &Arc<LazyExact>,
        label_of: impl Fn(u32, u32) -> LabelKind,
        argmin: bool,
    ) -> Result<(), PartitionError> {
        for member in group.iter_mut() {
            member.1[j] = 0;
        }
        // A member where one candidate is better than every other at every
        // corner is that candidate's cell already: no line is made or tried
        // for it (in a pooling layer, most windows of most faces).
        let mut settled = vec![false; group.len()];
        let mut corners: Vec<([f64; 2], f64)> = Vec::new();
        let mut proved = 0;
        for (m, member) in group.iter_mut().enumerate() {
            corners.clear();
            corners.extend(face_corners(&self.mesh, member.0));
            if let Some((w, signs)) = strict_winner(form, cands, &corners, argmin) {
                member.1[j] = w;
                settled[m] = true;
                proved += signs;
            }
        }
        self.mesh.add_stats(&PredicateStats {
            filtered: proved,
            ..PredicateStats::default()
        });
        let mut cut_any = false;
        for i in 1..cands.len() {
            // Lines "candidate i beats candidate b", per current winner b.
            // (`None`: the two are equal, no line.)
            let mut lines: FxHashMap<u32, Option<LineId>> = FxHashMap::default();
            let mut used: FxHashMap<u32, bool> = FxHashMap::default();
            for m in 0..group.len() {
                if settled.get(m) == Some(&true) {
                    continue;
                }
                let b = group[m].1[j];
                let id = match lines.get(&b) {
                    Some(&id) => id,
                    None => {
                        let (p, q) = if argmin {
                            (b as usize, i)
                        } else {
                            (i, b as usize)
                        };
                        let row = difference_row(form, cands[p], cands[q]);
                        // No line where the two candidates are equal on
                        // the whole face (exactly: two neurons that are
                        // off, say).
                        let id = (row != ([0.0; 3], [0.0; 3])).then(|| {
                            let line = difference_line(row, cands[p], cands[q], lazy);
                            self.mesh.add_line(line)
                        });
                        lines.insert(b, id);
                        id
                    }
                };
                let Some(id) = id else {
                    // Equal: the lower position keeps winning (ties),
                    // nothing to cut.
                    continue;
                };
                let label = self.labels.intern(label_of(i as u32, b));
                match self.mesh.cut_face(group[m].0, id, label)? {
                    CutOutcome::Missed { side } => {
                        if side == Sign::Positive {
                            group[m].1[j] = i as u32;
                        }
                    }
                    CutOutcome::Split { negative, .. } => {
                        used.insert(b, true);
                        cut_any = true;
                        let st = group[m].1.clone();
                        group[m].1[j] = i as u32;
                        group.push((negative, st));
                    }
                }
            }
            // Lines that cut nothing are dropped (only the newest can be).
            let mut ids: Vec<(u32, LineId)> = lines
                .into_iter()
                .filter_map(|(b, id)| Some((b, id?)))
                .collect();
            ids.sort_by_key(|(_, id)| std::cmp::Reverse(*id));
            for (b, id) in ids {
                if !used.contains_key(&b) {
                    self.mesh.pop_unused_line(id);
                }
            }
        }
        if cut_any {
            self.merge_group(group)?;
        }
        Ok(())
    }

    /// Merges adjacent members of a group whose states are equal.
    fn merge_group(&mut self, group: &mut Group) -> Result<(), PartitionError> {
        let index: FxHashMap<FaceId, usize> = group
            .iter()
            .enumerate()
            .map(|(i, (f, _))| (*f, i))
            .collect();
        let mut candidates: Vec<HalfEdgeId> = Vec::new();
        for (f, _) in group.iter() {
            for h in self.mesh.face_half_edges(*f) {
                let g = self.mesh.face(h.twin());
                if h.0 < h.twin().0 && index.contains_key(&g) {
                    candidates.push(h);
                }
            }
        }
        let merges = {
            let g = &*group;
            self.mesh
                .merge_across(&candidates, |a, b| match (index.get(&a), index.get(&b)) {
                    (Some(&i), Some(&j)) => g[i].1 == g[j].1,
                    _ => false,
                })?
        };
        if !merges.is_empty() {
            let dead: FxHashSet<FaceId> = merges.iter().map(|(d, _)| *d).collect();
            group.retain(|(f, _)| !dead.contains(f));
        }
        Ok(())
    }

    /// Inserts the decision boundary; returns each face's class.
    fn boundary(&mut self, b: Boundary) -> Result<Option<Vec<u32>>, PartitionError> {
        let out_t = self.net.output();
        let k_out = self.net.len_of(out_t);
        let b = match b {
            Boundary::None => return Ok(None),
            Boundary::Auto if k_out == 1 => Boundary::Level {
                output: 0,
                value: 0.0,
            },
            Boundary::Auto => Boundary::Argmax,
            other => other,
        };
        if let Boundary::Level { output, value } = b {
            if output >= k_out || !value.is_finite() {
                return Err(PartitionError::Option(format!(
                    "level set of output {output} at {value}: the network has {k_out} output(s) and the level must be finite"
                )));
            }
        }
        let mut groups: Vec<(FaceId, Group)> = Vec::new();
        for f in self.live_faces() {
            let form = self.states[f.index()]
                .as_ref()
                .expect("state")
                .form(&self.net, out_t)?;
            let lazy = self.lazy(f, out_t);
            let mut group: Group = vec![(f, vec![0])];
            match b {
                Boundary::Level { output, value } => {
                    let label = self.labels.intern(LabelKind::Level {
                        output: output as u32,
                    });
                    let id = self.mesh.add_line(level_line(&form, output, value, &lazy));
                    match self.mesh.cut_face(f, id, label)? {
                        CutOutcome::Missed { side } => {
                            group[0].1[0] = (side == Sign::Positive) as u32;
                            self.mesh.pop_unused_line(id);
                        }
                        CutOutcome::Split { negative, .. } => {
                            group[0].1[0] = 1;
                            group.push((negative, vec![0]));
                        }
                    }
                }
                _ => {
                    let cands: Vec<usize> = (0..k_out).collect();
                    let argmin = b == Boundary::Argmin;
                    let label = |a: u32, b: u32| LabelKind::OutputPair { a, b };
                    self.argmax_cells(&mut group, 0, &cands, &form, &lazy, label, argmin)?;
                }
            }
            groups.push((f, group));
        }
        let remap = self.mesh.compact();
        let mut states = vec![None; self.mesh.num_faces() + 1];
        let mut classes = vec![0u32; self.mesh.num_faces() + 1];
        for (f, group) in groups {
            let parent = self.states[f.index()].take().expect("state");
            for (s, c) in group {
                let ns = remap.faces[s.index()].expect("live");
                states[ns.index()] = Some(parent.clone());
                classes[ns.index()] = c[0];
            }
        }
        self.states = states;
        Ok(Some(classes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A form from rows `[u, v, c]` with the given bounds on every entry.
    fn form_of(rows: &[[f64; 3]], err: f64) -> AffineForm {
        let col = |j: usize| rows.iter().map(|r| r[j]).collect::<Vec<f64>>();
        let e = vec![err; rows.len()];
        AffineForm::from_parts([&col(0), &col(1), &col(2)], [&e, &e, &e]).unwrap()
    }

    /// The unit square's corners, exact (radius 0).
    const SQUARE: [([f64; 2], f64); 4] = [
        ([0.0, 0.0], 0.0),
        ([1.0, 0.0], 0.0),
        ([1.0, 1.0], 0.0),
        ([0.0, 1.0], 0.0),
    ];

    /// Degenerate candidates settle nothing: two equal ones (a duplicated
    /// neuron, or two that are off: zero rows), a difference line through a
    /// corner or along a side, and bounds as large as the margin. A clear
    /// winner settles, for argmax and for argmin, wherever it stands in the
    /// window.
    #[test]
    fn strict_winner_settles_only_what_it_proves() {
        let cands = [0, 1, 2];
        let f = form_of(&[[0.0, 0.0, 0.0], [1.0, 1.0, 5.0], [0.5, -1.0, 1.0]], 0.0);
        assert_eq!(strict_winner(&f, &cands, &SQUARE, false), Some((1, 8)));
        assert_eq!(
            strict_winner(&f, &cands, &SQUARE, true),
            None,
            "0 and 2 tie at (0, 1)"
        );
        let f = form_of(&[[0.0, 0.0, 3.0], [1.0, 1.0, 5.0], [0.5, -1.0, 1.0]], 0.0);
        assert_eq!(strict_winner(&f, &cands, &SQUARE, true), Some((2, 8)));
        // Equal candidates (duplicated, or both zero) tie everywhere.
        let f = form_of(&[[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, -9.0]], 0.0);
        assert_eq!(strict_winner(&f, &cands, &SQUARE, false), None);
        let f = form_of(&[[0.0; 3], [0.0; 3], [0.0, 0.0, -1.0]], 0.0);
        assert_eq!(strict_winner(&f, &cands, &SQUARE, false), None);
        // Candidate 1 − candidate 0 = u: zero along the side u = 0.
        let f = form_of(&[[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]], 0.0);
        assert_eq!(strict_winner(&f, &[0, 1], &SQUARE, false), None);
        // ... = u + v: zero at the corner (0, 0) only.
        let f = form_of(&[[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]], 0.0);
        assert_eq!(strict_winner(&f, &[0, 1], &SQUARE, false), None);
        // A margin of 1 everywhere: settled with tight bounds, not with
        // bounds that could close it.
        let rows = [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
        assert_eq!(
            strict_winner(&form_of(&rows, 0.0), &[0, 1], &SQUARE, false),
            Some((1, 4))
        );
        assert_eq!(
            strict_winner(&form_of(&rows, 0.5), &[0, 1], &SQUARE, false),
            None
        );
        // A corner known only within a radius as large as the margin.
        let fuzzy = [([0.5, 0.5], 0.0), ([2.0, 0.5], 1.0)];
        let f = form_of(&[[0.0, 0.0, 0.0], [-1.0, 0.0, 2.5]], 0.0);
        assert_eq!(strict_winner(&f, &[0, 1], &fuzzy[..1], false), Some((1, 1)));
        assert_eq!(strict_winner(&f, &[0, 1], &fuzzy, false), None);
        // No corners, no proof.
        assert_eq!(strict_winner(&f, &[0, 1], &[], false), None);
    }

    /// Against exact rational evaluation, on random small-integer rows
    /// (many ties) and random corners: whatever is settled is right (the
    /// winner is strictly best at every corner, exactly), and with exact
    /// rows and corners every strict winner is found.
    #[test]
    fn strict_winner_agrees_with_exact_evaluation() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5e771e);
        let q = |x: f64| Rational::from_f64(x).expect("finite");
        for case in 0..3000 {
            let n = rng.gen_range(1..=5usize);
            let rows: Vec<[f64; 3]> = (0..n)
                .map(|_| [0; 3].map(|_| rng.gen_range(-2i32..=2) as f64 / 2.0))
                .collect();
            let k = rng.gen_range(1..=5usize);
            let corners: Vec<([f64; 2], f64)> = (0..k)
                .map(|_| ([0; 2].map(|_| rng.gen_range(-4i32..=4) as f64 / 4.0), 0.0))
                .collect();
            let argmin = rng.gen_bool(0.5);
            let cands: Vec<usize> = (0..n).collect();
            let f = form_of(&rows, 0.0);
            let value = |i: usize, (xy, _): &([f64; 2], f64)| {
                let [a, b, c] = rows[i].map(q);
                a * q(xy[0]) + b * q(xy[1]) + c
            };
            let strictly_best = |w: usize| {
                corners.iter().all(|p| {
                    (0..n).filter(|&i| i != w).all(|i| {
                        let (vw, vi) = (value(w, p), value(i, p));
                        if argmin {
                            vw < vi
                        } else {
                            vw > vi
                        }
                    })
                })
            };
            let exact = (0..n).find(|&w| strictly_best(w));
            let got = strict_winner(&f, &cands, &corners, argmin).map(|(w, _)| w as usize);
            assert_eq!(
                got, exact,
                "case {case}: rows {rows:?} corners {corners:?} argmin {argmin}"
            );
        }
    }

    /// A double-double pass is tried only where a row's bounds are far
    /// past its rounding: not on a tight row, an exactly known one (zero
    /// bounds, a zero row included), but on a loose one and on NaN or
    /// infinite bounds.
    #[test]
    fn dd_is_worth_it_only_on_loose_rows() {
        // |coefficients| sum to 3, so the threshold is exact.
        let row = |e: f64| ([1.0, -1.5, 0.5], [e, e, e]);
        assert!(!dd_worth(row(0.0)));
        assert!(!dd_worth(([0.0; 3], [0.0; 3])));
        assert!(!dd_worth(row(1e-16)));
        assert!(!dd_worth(row(DD_WORTH)), "exactly at the threshold");
        assert!(dd_worth(row(DD_WORTH * (1.0 + f64::EPSILON))));
        assert!(dd_worth(row(1e-6)));
        assert!(dd_worth(row(2.0)));
        assert!(dd_worth(row(f64::NAN)));
        assert!(dd_worth(row(f64::INFINITY)));
        assert!(
            dd_worth(([0.0; 3], [1e-300, 0.0, 0.0])),
            "bounds on a zero row"
        );
    }
}
