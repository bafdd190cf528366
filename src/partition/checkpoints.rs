//! Checkpointed forms of a face's tensors, continued from its ancestors':
//! the exact ones and the double-double ones.
//!
//! When the `f64` filter cannot decide a sign, a tighter form of that
//! face's layer input is needed: from a pass through the network with the
//! face's pattern, in double-double (a tighter `f64` form, see `net::dd`)
//! or exactly (the exact line). Made from the input each time, that pass
//! costs a face at layer `L` `L` layers (of rational arithmetic, on numbers
//! that grow with `L`, for the exact one), so a network whose filter fails
//! at every deep layer (deep narrow MLPs: their worst-case bounds grow
//! faster than their values) costs `O(L²)` layers per face.
//!
//! [`Checkpoints`] keeps, per pattern prefix (a trie over the per-layer
//! state vectors, compared by content), the forms of the tensors still live
//! after that layer's activation (a *checkpoint*), and continues a face's
//! pass from the deepest checkpoint of its prefix. Faces of one lineage
//! share their ancestors' checkpoints, so each layer is passed once per
//! distinct prefix. The values are those of the pass from the input (the
//! same operations on the same numbers, split at the checkpoints).
//! A pass keeps the checkpoint where it ends and every [`KEEP_EVERY`]th
//! one it passes, while they are small (at most
//! [`MAX_CHECKPOINT_ELEMENTS`] live elements, [`Tier::MAX_BYTES`] in all);
//! beyond that a pass continues from the deepest one kept.
//!
//! One trie per [`Tier`]: [`ExactForms`] (rationals) and [`DdForms`]
//! (double-double).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use rustc_hash::FxBuildHasher;

use crate::net::dd::DdAffineForm;
use crate::net::{AffineForm, ExactAffineForm, NetError, Network, OpClass, TensorId};

/// A checkpoint is kept only if its live tensors hold at most this many
/// elements (wide layers, where the filter rarely fails, keep none).
pub(super) const MAX_CHECKPOINT_ELEMENTS: usize = 4096;

/// A pass keeps the checkpoint where it ends (for the face's own
/// descendants) and those of the layers it passes that are multiples of
/// this (so that a face of a lineage that split off earlier passes at most
/// this many layers more than from its split). Keeping every layer's was
/// slower and larger: on 2-32x80-1 a face's lineage is mostly its own past
/// its first few layers, and the checkpoints that nothing reads filled the
/// budget (exact tier alone: 12.1 s and 197 MB at every layer, 5.7 s and
/// 130 MB at every 16th; double-double: 1.0 s and 221 MB against 0.5 s
/// and 67 MB).
const KEEP_EVERY: usize = 16;

/// The arithmetic of a pass: its forms and how nodes apply to them.
pub(super) trait Tier {
    /// A face's form of one tensor.
    type Form: Clone + Send + Sync + 'static;
    /// Linear node `idx` on the forms of its inputs.
    fn linear(net: &Network, idx: usize, ins: &[&Self::Form]) -> Result<Self::Form, NetError>;
    /// Activation or max node `idx` with the face's states of its layer.
    fn activation(
        net: &Network,
        idx: usize,
        x: &Self::Form,
        states: &[u32],
    ) -> Result<Self::Form, NetError>;
    /// The form's elements.
    fn elements(form: &Self::Form) -> usize;
    /// About how many bytes the form takes.
    fn bytes(form: &Self::Form) -> usize;
    /// Checkpoints kept in all, in bytes (about).
    const MAX_BYTES: usize;
}

/// Exact forms (rationals).
pub(super) struct Exact;

impl Tier for Exact {
    type Form = ExactAffineForm;
    const MAX_BYTES: usize = 128 << 20;
    fn linear(net: &Network, idx: usize, ins: &[&Self::Form]) -> Result<Self::Form, NetError> {
        net.apply_linear_exact(idx, ins)
    }
    fn activation(
        net: &Network,
        idx: usize,
        x: &Self::Form,
        states: &[u32],
    ) -> Result<Self::Form, NetError> {
        net.apply_activation_exact(idx, x, states)
    }
    fn elements(form: &Self::Form) -> usize {
        form.u.num.len()
    }
    fn bytes(form: &Self::Form) -> usize {
        let tensor = |t: &crate::net::ExactTensor| {
            t.num
                .iter()
                .chain([&t.den])
                .map(|x| x.significant_bits() as usize / 8 + 24)
                .sum::<usize>()
        };
        tensor(&form.u) + tensor(&form.v) + tensor(&form.c) + 32
    }
}

/// `f64` forms with bounds (the engine's own), for a form made again from
/// an earlier one ([`form_from`]; no checkpoints are kept of them).
pub(super) struct F64;

impl Tier for F64 {
    type Form = AffineForm;
    const MAX_BYTES: usize = 0;
    fn linear(net: &Network, idx: usize, ins: &[&Self::Form]) -> Result<Self::Form, NetError> {
        net.apply_linear_f64(idx, ins)
    }
    fn activation(
        net: &Network,
        idx: usize,
        x: &Self::Form,
        states: &[u32],
    ) -> Result<Self::Form, NetError> {
        net.apply_activation_f64(idx, x, states)
    }
    fn elements(form: &Self::Form) -> usize {
        form.len()
    }
    fn bytes(form: &Self::Form) -> usize {
        48 * form.len() + 64
    }
}

/// Double-double forms (`net::dd`).
pub(super) struct DoubleDouble;

impl Tier for DoubleDouble {
    type Form = DdAffineForm;
    /// A double-double layer costs about as much to redo as its memory to
    /// fill (page faults), so the budget is smaller.
    const MAX_BYTES: usize = 32 << 20;
    fn linear(net: &Network, idx: usize, ins: &[&Self::Form]) -> Result<Self::Form, NetError> {
        net.apply_linear_dd(idx, ins)
    }
    fn activation(
        net: &Network,
        idx: usize,
        x: &Self::Form,
        states: &[u32],
    ) -> Result<Self::Form, NetError> {
        net.apply_activation_dd(idx, x, states)
    }
    fn elements(form: &Self::Form) -> usize {
        form.len()
    }
    fn bytes(form: &Self::Form) -> usize {
        9 * 8 * form.len() + 3 * 72
    }
}

/// Exact forms on faces of one partition.
pub(super) type ExactForms = Checkpoints<Exact>;

/// Double-double forms on faces of one partition.
pub(super) type DdForms = Checkpoints<DoubleDouble>;

/// The forms of the tensors live at a checkpoint.
type Live<F> = Vec<(TensorId, F)>;

/// A tier's input form, made on first use ([`Checkpoints::lazy`]).
type Input<F> = LazyLock<Arc<F>, Box<dyn FnOnce() -> Arc<F> + Send>>;

/// One pattern prefix: its checkpoint (if made and kept) and its longer
/// prefixes.
struct Node<F> {
    live: OnceLock<Arc<Live<F>>>,
    children: Mutex<Children<F>>,
}

/// A prefix's longer prefixes, by the next layer's states.
type Children<F> = HashMap<Arc<[u32]>, Arc<Node<F>>, FxBuildHasher>;

impl<F> Default for Node<F> {
    fn default() -> Self {
        Node {
            live: OnceLock::new(),
            children: Mutex::default(),
        }
    }
}

/// Dropped without recursion: a face at layer `L` makes a path of `L`
/// nodes, and a recursive drop of a very deep network's trie would
/// overflow the stack.
impl<F> Drop for Node<F> {
    fn drop(&mut self) {
        let mut stack: Vec<Arc<Node<F>>> = Vec::new();
        let take = |n: &mut Node<F>, s: &mut Vec<Arc<Node<F>>>| {
            let m = n.children.get_mut().unwrap_or_else(|e| e.into_inner());
            s.extend(m.drain().map(|(_, c)| c));
        };
        take(self, &mut stack);
        while let Some(c) = stack.pop() {
            // A child still shared elsewhere is dropped by its last owner.
            if let Ok(mut n) = Arc::try_unwrap(c) {
                take(&mut n, &mut stack);
            }
        }
    }
}

impl<F> Node<F> {
    /// The node of this prefix followed by `states`.
    fn child(&self, states: &Arc<[u32]>) -> Arc<Node<F>> {
        let mut map = self.children.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = map.get(&**states) {
            return Arc::clone(c);
        }
        let c = Arc::new(Node::default());
        map.insert(Arc::clone(states), Arc::clone(&c));
        c
    }
}

/// Forms of one tier on faces of one partition (see the module
/// documentation).
pub(super) struct Checkpoints<T: Tier> {
    net: Arc<Network>,
    input: Input<T::Form>,
    /// The empty prefix; its checkpoint is the input form.
    root: Arc<Node<T::Form>>,
    /// The node that makes each tensor (`None` for the input).
    maker: Vec<Option<usize>>,
    /// Bytes of the checkpoints kept.
    bytes: AtomicUsize,
    /// Checkpoints kept: at most this many live elements each, and this
    /// many bytes in all.
    limits: (usize, usize),
}

impl<T: Tier> Checkpoints<T> {
    /// Forms of `net` on the slice whose input form is `input`.
    #[cfg(test)]
    pub(super) fn new(net: Arc<Network>, input: Arc<T::Form>) -> Self {
        Self::lazy(net, move || input)
    }

    /// Forms of `net` on the slice whose input form `input` makes, on
    /// first use: most partitions never need a form of this tier, and an
    /// image net's input form costs exact arithmetic per input (the
    /// double-double one of the MNIST plane took a fifth of its partition).
    pub(super) fn lazy(
        net: Arc<Network>,
        input: impl FnOnce() -> Arc<T::Form> + Send + 'static,
    ) -> Self {
        let n = net.num_tensors();
        let mut maker = vec![None; n];
        for (i, node) in net.nodes().iter().enumerate() {
            maker[node.output.index()] = Some(i);
        }
        // The root's checkpoint (the input form) is made with the input, on
        // the first pass that needs it (`Checkpoints::form`).
        let root = Arc::new(Node::default());
        Checkpoints {
            net,
            input: LazyLock::new(Box::new(input)),
            root,
            maker,
            bytes: AtomicUsize::new(0),
            limits: (MAX_CHECKPOINT_ELEMENTS, T::MAX_BYTES),
        }
    }

    /// The network.
    pub(super) fn net(&self) -> &Arc<Network> {
        &self.net
    }

    /// The slice's input form (made now if not yet).
    pub(super) fn input(&self) -> &Arc<T::Form> {
        &self.input
    }

    /// The form of `tensor` on a face whose pattern (the states of the
    /// layers before `tensor`'s node, at least) is `pattern`.
    pub(super) fn form(
        &self,
        pattern: &[Arc<[u32]>],
        tensor: TensorId,
    ) -> Result<T::Form, NetError> {
        let net = &*self.net;
        let Some(&Some(t_idx)) = self.maker.get(tensor.index()) else {
            if tensor == TensorId(0) {
                return Ok(T::Form::clone(self.input()));
            }
            return Err(NetError::Argument(format!(
                "tensor {} is never produced",
                tensor.0
            )));
        };
        let acts = net.layer_nodes();
        // Checkpoint `p` follows the activation of layer `p − 1` (node
        // `acts[p − 1]`); the deepest one before `tensor`'s node:
        let q = acts.iter().take_while(|&&a| a < t_idx).count();
        // The tensor's own node may be layer `q`'s activation.
        let needed = q + usize::from(acts.get(q) == Some(&t_idx));
        if pattern.len() < needed {
            return Err(NetError::Argument(format!(
                "internal: a pattern of {} layers for a tensor that needs {}",
                pattern.len(),
                needed
            )));
        }
        let mut path = Vec::with_capacity(q + 1);
        path.push(Arc::clone(&self.root));
        for states in &pattern[..q] {
            let next = path.last().expect("the root").child(states);
            path.push(next);
        }
        // The deepest checkpoint made, else the root's (the input form).
        let start = (0..=q)
            .rev()
            .find(|&p| path[p].live.get().is_some())
            .unwrap_or(0);
        let mut live = Arc::clone(
            path[start]
                .live
                .get_or_init(|| Arc::new(vec![(TensorId(0), T::Form::clone(self.input()))])),
        );
        for p in start + 1..=q {
            let first = if p == 1 { 0 } else { acts[p - 2] + 1 };
            let next = match run::<T>(net, &live, first..acts[p - 1] + 1, pattern, None)? {
                Ran::Live(next) => next,
                Ran::Target(_) => unreachable!("no target asked for"),
            };
            live = Arc::new(next);
            if p == q || p % KEEP_EVERY == 0 {
                self.keep(&path[p], &live);
            }
        }
        let first = if q == 0 { 0 } else { acts[q - 1] + 1 };
        match run::<T>(net, &live, first..t_idx + 1, pattern, Some(tensor))? {
            Ran::Target(form) => Ok(form),
            Ran::Live(_) => Err(NetError::Argument(format!(
                "tensor {} is never produced",
                tensor.0
            ))),
        }
    }

    /// Keeps `live` as `node`'s checkpoint if it is small enough and the
    /// budget allows.
    fn keep(&self, node: &Node<T::Form>, live: &Arc<Live<T::Form>>) {
        let elements: usize = live.iter().map(|(_, f)| T::elements(f)).sum();
        if elements > self.limits.0 {
            return;
        }
        let bytes: usize = live.iter().map(|(_, f)| T::bytes(f)).sum();
        if self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes > self.limits.1 {
            self.bytes.fetch_sub(bytes, Ordering::Relaxed);
            return;
        }
        if node.live.set(Arc::clone(live)).is_err() {
            // Another thread made the same checkpoint first.
            self.bytes.fetch_sub(bytes, Ordering::Relaxed);
        }
    }
}

/// The form of `tensor` on a face whose pattern is `pattern`, by a pass
/// from the input (no checkpoints): for the exact lines of a finished
/// partition, whose checkpoints are gone.
pub(super) fn form_from_input<T: Tier>(
    net: &Network,
    input: &T::Form,
    pattern: &[Arc<[u32]>],
    tensor: TensorId,
) -> Result<T::Form, NetError> {
    if tensor == TensorId(0) {
        return Ok(input.clone());
    }
    let never = || NetError::Argument(format!("tensor {} is never produced", tensor.0));
    let t_idx = net
        .nodes()
        .iter()
        .position(|n| n.output == tensor)
        .ok_or_else(never)?;
    let base = [(TensorId(0), input.clone())];
    match run::<T>(net, &base, 0..t_idx + 1, pattern, Some(tensor))? {
        Ran::Target(form) => Ok(form),
        Ran::Live(_) => Err(never()),
    }
}

/// The form of `tensor` on a face whose pattern is `pattern`, by a pass
/// from the face's form `form` of an earlier tensor `from` (the nodes after
/// the one that makes `from` must read only `from` and what they make: a
/// chain, as the networks the vertex pass runs on are).
pub(super) fn form_from<T: Tier>(
    net: &Network,
    (from, form): (TensorId, &T::Form),
    pattern: &[Arc<[u32]>],
    tensor: TensorId,
) -> Result<T::Form, NetError> {
    if tensor == from {
        return Ok(form.clone());
    }
    let producer = |t: TensorId| net.nodes().iter().position(|n| n.output == t);
    let never = || NetError::Argument(format!("tensor {} is never produced", tensor.0));
    let t_idx = producer(tensor).ok_or_else(never)?;
    let start = if from == TensorId(0) {
        0
    } else {
        producer(from).ok_or_else(never)? + 1
    };
    let base = [(from, form.clone())];
    match run::<T>(net, &base, start..t_idx + 1, pattern, Some(tensor))? {
        Ran::Target(form) => Ok(form),
        Ran::Live(_) => Err(never()),
    }
}

/// What [`run`] ends with.
enum Ran<F> {
    /// The tensors live after the last node (sorted by tensor).
    Live(Live<F>),
    /// The form of the tensor asked for.
    Target(F),
}

/// Applies nodes `range` to the live tensors `base` (linear nodes, and
/// activation nodes with the pattern's states of their layer), dropping each
/// tensor after its last reader; stops at `target` if one of them makes it.
/// The base's forms are read in place, and copied only if still live at
/// the end.
fn run<T: Tier>(
    net: &Network,
    base: &[(TensorId, T::Form)],
    range: std::ops::Range<usize>,
    pattern: &[Arc<[u32]>],
    target: Option<TensorId>,
) -> Result<Ran<T::Form>, NetError> {
    let mut borrowed: Vec<(TensorId, &T::Form)> = base.iter().map(|(t, f)| (*t, f)).collect();
    let mut owned: Live<T::Form> = Vec::new();
    for idx in range {
        let node = &net.nodes()[idx];
        let get = |t: &TensorId| -> &T::Form {
            owned
                .iter()
                .find(|(o, _)| o == t)
                .map(|(_, f)| f)
                .or_else(|| borrowed.iter().find(|(b, _)| b == t).map(|(_, f)| *f))
                .expect("live tensor")
        };
        let out = match node.op.class() {
            OpClass::Linear => {
                let ins: Vec<&T::Form> = node.inputs.iter().map(get).collect();
                T::linear(net, idx, &ins)?
            }
            _ => {
                let layer = node.layer.expect("activation nodes have a layer");
                T::activation(net, idx, get(&node.inputs[0]), &pattern[layer])?
            }
        };
        if Some(node.output) == target {
            return Ok(Ran::Target(out));
        }
        owned.push((node.output, out));
        owned.retain(|(t, _)| net.last_use(*t) > idx);
        borrowed.retain(|(t, _)| net.last_use(*t) > idx);
    }
    owned.extend(borrowed.into_iter().map(|(t, f)| (t, f.clone())));
    owned.sort_by_key(|(t, _)| *t);
    Ok(Ran::Live(owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::json;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rug::Rational;

    /// Dense, ReLU, leaky ReLU, abs, maxout and a residual addition that
    /// reads a tensor from two layers back (live across a checkpoint).
    const MODEL: &str = r#"{"format": "splinecam-model", "version": 1, "input_shape": [2], "ops": [
        {"op": "dense", "name": "a", "weight": [[1, -0.5], [0.25, 2], [-1, 0.75]], "bias": [0.5, -0.25, 0.125]},
        {"op": "relu", "name": "ra"},
        {"op": "dense", "name": "b", "weight": [[0.5, 1, -1], [2, -0.25, 0.5], [1, 1, 1]], "bias": [0, 0.5, -1]},
        {"op": "leaky_relu", "name": "rb", "alpha": 0.125},
        {"op": "add", "name": "s", "inputs": ["rb", "ra"]},
        {"op": "abs", "name": "as"},
        {"op": "dense", "name": "c", "weight": [[1, -2, 0.5], [0.25, 0.25, -1], [3, 0, 1], [-0.5, 1, 1]], "bias": [1, 0, -0.5, 0.25]},
        {"op": "maxout", "name": "m", "pieces": 2},
        {"op": "dense", "name": "d", "weight": [[1, -1], [0.5, 0.75]], "bias": [0.25, -0.125]},
        {"op": "relu", "name": "rd"},
        {"op": "dense", "name": "out", "weight": [[1, -3]], "bias": [0.5]}
    ]}"#;

    /// The exact input form of the box `[-1, 2] x [-0.5, 1.5]`'s plane.
    fn input() -> ExactAffineForm {
        let r = |x: f64| Rational::from_f64(x).unwrap();
        ExactAffineForm::input_rational(&[r(0.0), r(0.0)], &[r(1.0), r(0.0)], &[r(0.0), r(1.0)])
            .unwrap()
    }

    /// The form from the input, with no checkpoint (the pass as it was).
    fn from_input(net: &Network, pattern: &[Arc<[u32]>], t: TensorId) -> ExactAffineForm {
        let mut forms: HashMap<TensorId, ExactAffineForm> = HashMap::new();
        forms.insert(TensorId(0), input());
        for (idx, node) in net.nodes().iter().enumerate() {
            let out = match node.op.class() {
                OpClass::Linear => {
                    let ins: Vec<&ExactAffineForm> =
                        node.inputs.iter().map(|t| &forms[t]).collect();
                    net.apply_linear_exact(idx, &ins).unwrap()
                }
                _ => {
                    let layer = node.layer.unwrap();
                    net.apply_activation_exact(idx, &forms[&node.inputs[0]], &pattern[layer])
                        .unwrap()
                }
            };
            if node.output == t {
                return out;
            }
            forms.insert(node.output, out);
        }
        panic!("tensor {t:?} is never produced")
    }

    /// Random states for every layer (argmax positions for maxout).
    fn random_pattern(net: &Network, rng: &mut ChaCha8Rng) -> Vec<Arc<[u32]>> {
        net.layer_nodes()
            .iter()
            .map(|&i| {
                let node = &net.nodes()[i];
                let states: Vec<u32> = match node.op.class() {
                    OpClass::Max => (0..node.windows.len())
                        .map(|_| rng.gen_range(0..2))
                        .collect(),
                    _ => (0..net.len_of(node.output))
                        .map(|_| rng.gen_range(0..2))
                        .collect(),
                };
                Arc::from(states)
            })
            .collect()
    }

    /// Every tensor's form, asked for in random orders by patterns that
    /// share prefixes, equals the pass from the input, whether checkpoints
    /// are kept (both limits), none are kept, or only small ones.
    #[test]
    fn forms_from_checkpoints_equal_forms_from_the_input() {
        let net = Arc::new(json::from_str(MODEL).unwrap());
        let tensors: Vec<TensorId> = net.nodes().iter().map(|n| n.output).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for limits in [
            (usize::MAX, usize::MAX),
            (0, usize::MAX),
            (3, usize::MAX),
            (usize::MAX, 0),
        ] {
            let mut forms = ExactForms::new(Arc::clone(&net), Arc::new(input()));
            forms.limits = limits;
            // A few lineages: patterns that agree on a random prefix.
            let base = random_pattern(&net, &mut rng);
            for _ in 0..40 {
                let mut p = random_pattern(&net, &mut rng);
                let keep = rng.gen_range(0..=p.len());
                p[..keep].clone_from_slice(&base[..keep]);
                let t = tensors[rng.gen_range(0..tensors.len())];
                let got = forms.form(&p, t).unwrap();
                assert_eq!(
                    got,
                    from_input(&net, &p, t),
                    "tensor {t:?}, limits {limits:?}"
                );
                assert_eq!(
                    got,
                    form_from_input::<Exact>(&net, &input(), &p, t).unwrap()
                );
            }
            assert_eq!(forms.form(&base, TensorId(0)).unwrap(), input());
            if limits.0 == 0 || limits.1 == 0 {
                assert_eq!(forms.bytes.load(Ordering::Relaxed), 0, "nothing kept");
            } else {
                assert!(forms.bytes.load(Ordering::Relaxed) > 0, "checkpoints kept");
            }
        }
    }

    /// The double-double tier: forms asked for in random orders by
    /// patterns that share prefixes equal the pass from the input, bit for
    /// bit (the same operations on the same numbers), whatever is kept.
    #[test]
    fn dd_forms_from_checkpoints_equal_forms_from_the_input() {
        let net = Arc::new(json::from_str(MODEL).unwrap());
        assert!(net.supports_dd());
        let tensors: Vec<TensorId> = net.nodes().iter().map(|n| n.output).collect();
        let dd_input = DdAffineForm::from_exact(&input());
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        for limits in [(usize::MAX, usize::MAX), (0, usize::MAX), (usize::MAX, 0)] {
            let mut forms = DdForms::new(Arc::clone(&net), Arc::new(dd_input.clone()));
            forms.limits = limits;
            let base = random_pattern(&net, &mut rng);
            for _ in 0..40 {
                let mut p = random_pattern(&net, &mut rng);
                let keep = rng.gen_range(0..=p.len());
                p[..keep].clone_from_slice(&base[..keep]);
                let t = tensors[rng.gen_range(0..tensors.len())];
                let got = forms.form(&p, t).unwrap();
                let want = form_from_input::<DoubleDouble>(&net, &dd_input, &p, t).unwrap();
                assert_eq!(got, want, "tensor {t:?}, limits {limits:?}");
            }
            let kept = forms.bytes.load(Ordering::Relaxed);
            assert_eq!(kept > 0, limits.0 > 0 && limits.1 > 0, "{limits:?}");
        }
    }

    /// A trie 20,000 layers deep is dropped on a 256 KiB stack (a
    /// recursive drop needs about 100 bytes per level), and a pattern too
    /// short for its tensor is an error, not a panic.
    #[test]
    fn a_very_deep_trie_drops_without_recursion() {
        let layers = 20_000;
        let mut ops = String::new();
        for _ in 0..layers {
            ops.push_str(
                r#"{"op": "dense", "weight": [[1, 0], [0, 1]], "bias": [0, 0]}, {"op": "relu"}, "#,
            );
        }
        ops.push_str(r#"{"op": "dense", "weight": [[1, 1]], "bias": [-0.5]}"#);
        let model = format!(
            r#"{{"format": "splinecam-model", "version": 1, "input_shape": [2], "ops": [{ops}]}}"#
        );
        let net = Arc::new(json::from_str(&model).unwrap());
        let forms = ExactForms::new(Arc::clone(&net), Arc::new(input()));
        let pattern: Vec<Arc<[u32]>> = (0..layers).map(|_| Arc::from(vec![1u32, 1])).collect();
        let out = forms.form(&pattern, net.output()).unwrap();
        assert_eq!(
            out.eval(&Rational::from(1), &Rational::from(2)),
            [Rational::from((5, 2))]
        );
        // The last ReLU's output needs all `layers` states.
        let relu_out = net.nodes()[net.layer_nodes()[layers - 1]].output;
        assert!(forms.form(&pattern[..layers - 1], relu_out).is_err());
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || drop(forms))
            .unwrap()
            .join()
            .expect("dropped without overflowing the stack");
    }

    /// The output's form on a face, evaluated at an exact point of the
    /// face, is the exact forward pass there (an independent oracle: the
    /// pattern is the one the forward pass finds at that point).
    #[test]
    fn output_forms_agree_with_exact_forward_passes() {
        let net = Arc::new(json::from_str(MODEL).unwrap());
        let forms = ExactForms::new(Arc::clone(&net), Arc::new(input()));
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..200 {
            let u = Rational::from((rng.gen_range(-64i64..=128), 64));
            let v = Rational::from((rng.gen_range(-32i64..=96), 64));
            let (y, pattern) = net.forward_exact(&[u.clone(), v.clone()]).unwrap();
            let layers: Vec<Arc<[u32]>> = pattern.layers.iter().map(Arc::clone).collect();
            let f = forms.form(&layers, net.output()).unwrap();
            assert_eq!(f.eval(&u, &v), y, "at ({u}, {v})");
        }
    }
}
