//! The end of a layer: each group's sub-faces get their states (pattern,
//! live forms) and, before a dense node that reads a ReLU alone, that
//! node's forms, by rank-one steps from an adjacent sibling where they have
//! one ([`Finisher`], [`sibling_forms`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rayon::prelude::*;
use smallvec::SmallVec;

use crate::exact::predicates::LineClass;
use crate::mesh::{FaceId, Mesh};
use crate::net::{AffineForm, NetError, Network, TensorId};

use super::engine::{
    dense_after_relu, min_faces_per_task, run_ahead, AheadParts, Classified, FaceState, Formed,
    Group, Hop, LayerInput, OutlineBlock, Slot,
};
use super::states::States;

/// Members per block of [`sibling_forms`]: a fixed number, so that which
/// form is stepped from which does not depend on the thread count.
const SIBLING_BLOCK: usize = 64;

/// The output of dense node `nd` (reading the output of ReLU node `act`) on
/// every sub-face of one group (siblings sharing the ReLU's input form
/// `pre`, with their states).
///
/// The sub-faces are put in the order of a depth-first walk over their
/// shared edges ([`sibling_order`]: each one after the sibling it was
/// reached from, its parent) and cut into blocks of [`SIBLING_BLOCK`], made
/// in parallel. In a block, a sub-face whose parent is in the same block
/// gets its form from the parent's by rank-one steps for the neurons whose
/// states differ ([`Network::apply_dense_relu_step_f64`]); the others (a
/// block's first, the few whose parent is in an earlier block) and any
/// where a step does not apply get a full product. A folded input
/// ([`super::engine::Folded`]) works the same way: its "full product" is
/// the fold's output with the member's open neurons turned on, its steps
/// read the fold's rows.
///
/// Each member's form goes through `then(member, form, scratch)` as soon as
/// its block is made (while the block is in cache; only the blocks in the
/// making hold forms the caller would drop, such as those that `then`
/// folds), and the results come back in member order.
pub(super) fn sibling_forms<T: Send>(
    net: &Network,
    order: &[(usize, Option<usize>)],
    (act, nd): (usize, usize),
    pre: &LayerInput,
    group: &Group,
    then: impl Fn(usize, Arc<AffineForm>, &mut Scratch) -> Result<T, NetError> + Sync,
) -> Result<Vec<T>, NetError> {
    let full = |states: &[u32]| match pre {
        LayerInput::Form(pre) => dense_after_relu(net, (act, nd), pre, states).map(Arc::new),
        LayerInput::Folded(fd) => fd.dense(net, nd, states),
    };
    let step = |from: &AffineForm, from_states: &[u32], states: &[u32]| match pre {
        LayerInput::Form(pre) => net.apply_dense_relu_step_f64(nd, pre, from, from_states, states),
        LayerInput::Folded(fd) => fd.step(net, nd, from, (from_states, states)),
    };
    let m = group.len();
    debug_assert_eq!(order.len(), m, "every sibling is in the order");
    let mut pos = vec![0usize; m];
    for (p, &(i, _)) in order.iter().enumerate() {
        pos[i] = p;
    }
    let make_block = |(b, block): (usize, &[(usize, Option<usize>)])| {
        let start = b * SIBLING_BLOCK;
        let mut made: Vec<Arc<AffineForm>> = Vec::with_capacity(block.len());
        for &(j, parent) in block {
            let stepped = parent
                .filter(|&i| pos[i] >= start)
                .and_then(|i| step(&made[pos[i] - start], &group[i].1, &group[j].1));
            made.push(match stepped {
                Some(f) => Arc::new(f),
                None => full(&group[j].1)?,
            });
        }
        let mut scratch = Scratch::default();
        block
            .iter()
            .zip(made)
            .map(|(&(j, _), f)| then(j, f, &mut scratch))
            .collect::<Result<Vec<T>, NetError>>()
    };
    // One block: no parallel hand-over.
    let blocks: Vec<Vec<T>> = if m <= SIBLING_BLOCK {
        vec![make_block((0, order))?]
    } else {
        order
            .par_chunks(SIBLING_BLOCK)
            .enumerate()
            .map(make_block)
            .collect::<Result<_, NetError>>()?
    };
    let mut out: Vec<Option<T>> = (0..m).map(|_| None).collect();
    for (&(j, _), x) in order.iter().zip(blocks.into_iter().flatten()) {
        out[j] = Some(x);
    }
    Ok(out
        .into_iter()
        .map(|x| x.expect("every sibling is in the order"))
        .collect())
}

/// Scratch for a member's run-ahead: the lines' classes, a form's bounds,
/// states, and per hop the last shared states it interned.
pub(super) type Scratch = (Vec<LineClass>, Vec<f64>, Vec<u32>, Vec<Arc<[u32]>>);

/// The order in which [`sibling_forms`] makes a group's forms: a
/// depth-first walk over the sub-faces' shared edges, as `(member, the
/// member it was reached from)`; a parent comes before its children, roots
/// (one per connected part) have none. Read off the mesh as soon as the
/// group is cut (later cuts of other faces split only its outline);
/// `member` gives a face's position in the group, if it is in it.
pub(super) fn sibling_order(
    mesh: &Mesh,
    group: &Group,
    member: impl Fn(FaceId) -> Option<usize>,
) -> Vec<(usize, Option<usize>)> {
    let m = group.len();
    let mut seen = vec![false; m];
    let mut order: Vec<(usize, Option<usize>)> = Vec::with_capacity(m);
    let mut stack: Vec<(usize, Option<usize>)> = Vec::new();
    for root in 0..m {
        stack.push((root, None));
        while let Some((i, parent)) = stack.pop() {
            if seen[i] {
                continue;
            }
            seen[i] = true;
            order.push((i, parent));
            for h in mesh.face_half_edges(group[i].0) {
                if let Some(j) = member(mesh.face(h.twin())) {
                    if !seen[j] {
                        stack.push((j, Some(i)));
                    }
                }
            }
        }
    }
    order
}

/// A group's member lookup by face id, by binary search (a group is its
/// parent face followed by the faces its cuts created, so it is sorted
/// already; sorted if not).
pub(super) fn member_of(group: &Group) -> impl Fn(FaceId) -> Option<usize> {
    let mut index: Vec<(FaceId, usize)> = group
        .iter()
        .enumerate()
        .map(|(i, (f, _))| (*f, i))
        .collect();
    if !index.is_sorted() {
        index.sort_unstable();
    }
    move |f: FaceId| {
        index
            .binary_search_by_key(&f, |&(g, _)| g)
            .ok()
            .map(|p| index[p].1)
    }
}

/// The new states of one group's members (inline for a group of one, the
/// common case: a face no line crossed).
pub(super) type Members = SmallVec<[(FaceId, FaceState); 1]>;

/// The sub-faces' states of one group, in order, with the slots `slots`
/// (one per member, in order): each member but the last from a copy of the
/// parent's vectors (`build`), the last one from the parent itself
/// (`build_last`).
fn serial_members<S, B, L>(
    parent: FaceState,
    group: Group,
    slots: impl Iterator<Item = S>,
    build: B,
    build_last: L,
) -> Members
where
    B: Fn(&FaceState, S, (FaceId, Vec<u32>)) -> (FaceId, FaceState),
    L: Fn(FaceState, S, (FaceId, Vec<u32>)) -> (FaceId, FaceState),
{
    let (n, last) = (group.len(), group.len().saturating_sub(1));
    let mut out = Members::with_capacity(n);
    let mut members = group.into_iter().zip(slots);
    for (m, slot) in members.by_ref().take(last) {
        out.push(build(&parent, slot, m));
    }
    if let Some((m, slot)) = members.next() {
        out.push(build_last(parent, slot, m));
    }
    debug_assert_eq!(out.len(), n, "a slot for every member");
    out
}

/// A member's state with what its run-ahead found: the states of the
/// layers it passed, the classes of the layer where it stopped.
fn with_ahead(
    (f, mut st): (FaceId, FaceState),
    passed: Vec<Arc<[u32]>>,
    stopped: Option<Classified>,
) -> (FaceId, FaceState) {
    st.pattern.extend(passed);
    st.classified = stopped;
    (f, st)
}

/// Builds the sub-faces' states of one group at the end of a layer: each
/// sub-face gets its parent's forms, its pattern and the node's output (as
/// the parent's input form `pre`, applied on demand, or as made already:
/// see [`Formed`]). The group is consumed (and its input form freed) as its
/// sub-faces' states are built.
///
/// When a ReLU layer feeds a dense node that nothing else reads, the dense
/// node's output is made here for groups of several sub-faces: siblings
/// share `pre` and two adjacent siblings differ in the states of the few
/// neurons whose line separates them, so most siblings get their form from
/// an adjacent one by a rank-one step per differing neuron
/// ([`sibling_forms`]) instead of a full matrix product (the first layer of
/// a network is one such group: the whole arrangement). A face no line
/// crossed has that form already (`Formed::Next`, when the dense node is no
/// wider than the layer); the other sub-faces alone in their group keep the
/// lazy route (`Slot::Pending`, made while the next layer is being cut),
/// except where the layer's input is folded: there every member's form is
/// made here (there is no whole input form to keep), and every member runs
/// ahead (a member alone in its group has its final corners too: no line of
/// this layer crosses its sides inside, so no neighbour's cut ends there).
pub(super) struct Finisher<'a> {
    net: &'a Network,
    /// The layer's node.
    idx: usize,
    /// Its output tensor.
    output: TensorId,
    /// Whether members keep a slot for `output` (not where nothing that is
    /// made reads it: see `Engine::unread`).
    keep_output: bool,
    /// The dense node made here (see `Engine::next_dense`).
    stepped: Option<(usize, TensorId)>,
    /// Layers of the network (room in every pattern).
    layers: usize,
    /// Members per parallel task.
    pub(super) min_members: usize,
    /// The ReLU layers after the dense node made here that sub-faces run
    /// ahead through where their lines miss them ([`run_ahead`]); empty
    /// for none.
    hops: &'a [Hop],
    /// Signs the point filter proved while running ahead.
    decided: AtomicU64,
    /// The state vectors made so far, one copy each.
    shared: &'a States,
}

impl<'a> Finisher<'a> {
    pub(super) fn new(
        net: &'a Network,
        idx: usize,
        stepped: Option<(usize, TensorId)>,
        hops: &'a [Hop],
        shared: &'a States,
        keep_output: bool,
    ) -> Self {
        let output = net.nodes()[idx].output;
        Finisher {
            net,
            idx,
            output,
            keep_output,
            stepped,
            layers: net.layer_nodes().len(),
            min_members: min_faces_per_task(net.len_of(output)),
            hops,
            decided: AtomicU64::new(0),
            shared,
        }
    }

    /// Whether [`Finisher::group`] needs the group's [`sibling_order`].
    pub(super) fn needs_order(&self, formed: &Formed, group: &Group) -> bool {
        matches!(formed, Formed::Pre(_) | Formed::Folded(_))
            && self.stepped.is_some()
            && group.len() > 1
    }

    /// Whether [`Finisher::group`] runs the group's members ahead (it
    /// then needs their corners as the cut left them): where it makes
    /// their dense forms.
    pub(super) fn runs_ahead(&self, formed: &Formed, group: &Group) -> bool {
        !self.hops.is_empty()
            && (self.needs_order(formed, group) || matches!(formed, Formed::Folded(_)))
    }

    /// Signs the point filter proved while running ahead, so far.
    pub(super) fn decided(&self) -> u64 {
        self.decided.load(Ordering::Relaxed)
    }

    /// A member's state from a copy of the parent's vectors.
    fn build(
        &self,
        parent: &FaceState,
        slot: Option<(TensorId, Slot)>,
        (f, init): (FaceId, Vec<u32>),
    ) -> (FaceId, FaceState) {
        let mut pattern = Vec::with_capacity(self.layers.max(parent.pattern.len() + 1));
        pattern.extend(parent.pattern.iter().cloned());
        pattern.push(self.shared.get(&init));
        let live = parent
            .forms
            .iter()
            .filter(|(t, _)| self.net.last_use(*t) > self.idx);
        let mut forms = Vec::with_capacity(live.clone().count() + 1);
        forms.extend(live.cloned());
        forms.extend(slot.filter(|s| self.keeps(s)));
        (
            f,
            FaceState {
                pattern,
                forms,
                classified: None,
            },
        )
    }

    /// Whether a member keeps `slot` (all but an unread output).
    fn keeps(&self, slot: &(TensorId, Slot)) -> bool {
        self.keep_output || slot.0 != self.output
    }

    /// The same for a group's last member, which takes the parent's vectors
    /// over instead of copying them (no reference counts touched: a face no
    /// line crossed is a group of one).
    fn take_over(
        &self,
        parent: FaceState,
        slot: Option<(TensorId, Slot)>,
        (f, init): (FaceId, Arc<[u32]>),
    ) -> (FaceId, FaceState) {
        let FaceState {
            mut pattern,
            mut forms,
            ..
        } = parent;
        pattern.push(init);
        forms.retain(|(t, _)| self.net.last_use(*t) > self.idx);
        forms.extend(slot.filter(|s| self.keeps(s)));
        (
            f,
            FaceState {
                pattern,
                forms,
                classified: None,
            },
        )
    }

    /// The members' states, in order, with their slots.
    fn serial(
        &self,
        parent: FaceState,
        group: Group,
        slots: impl Iterator<Item = Option<(TensorId, Slot)>>,
    ) -> Members {
        serial_members(
            parent,
            group,
            slots,
            |p, slot, m| self.build(p, slot, m),
            |p, slot, (f, init)| self.take_over(p, slot, (f, self.shared.get(&init))),
        )
    }

    /// The states of one group's members (`order` is its
    /// [`sibling_order`] where [`Finisher::needs_order`], `corners` its
    /// members' corners where [`Finisher::runs_ahead`]).
    pub(super) fn group(
        &self,
        parent: FaceState,
        formed: Formed,
        group: Group,
        order: Option<&[(usize, Option<usize>)]>,
        corners: Option<&OutlineBlock>,
    ) -> Result<Members, NetError> {
        let min_members = self.min_members;
        // Each member's next dense form, as it is made: where the members'
        // corners came along, the member runs ahead through the ReLU layers
        // after it whose lines miss it (their corners are those of the next
        // layer's start: see `run_ahead`), with the states of those layers.
        let ahead = |j: usize, d: Arc<AffineForm>, (class, ebuf, sbuf, recent): &mut Scratch| {
            let (_, t) = self.stepped.expect("a dense node after the layer");
            let Some(c) = corners else {
                return Ok((Some((t, Slot::Ready(d))), Vec::new(), None));
            };
            let ahead = run_ahead(
                self.net,
                self.shared,
                self.hops,
                (d, t),
                c.get(j),
                (class, ebuf, sbuf, recent),
            )?;
            self.decided.fetch_add(ahead.decided, Ordering::Relaxed);
            Ok(ahead.into_parts())
        };
        // The next dense node's forms: made already for an uncut face, made
        // here for a group of several siblings, or for every member of a
        // group whose input is folded.
        let (pre, dense): (_, Option<Vec<AheadParts>>) = match formed {
            Formed::Next { states, ahead } => match &group[..] {
                &[(f, _)] => {
                    let (slot, passed, stopped) = ahead.into_parts();
                    let member = self.take_over(parent, slot, (f, states));
                    return Ok(Members::from_buf([with_ahead(member, passed, stopped)]));
                }
                _ => unreachable!("made for a face no line crosses"),
            },
            Formed::Outputs(own) => {
                let slots = own.into_iter().map(|a| Some((self.output, Slot::Ready(a))));
                return Ok(self.serial(parent, group, slots));
            }
            Formed::Pre(pre) => {
                let pre = LayerInput::Form(pre);
                let dense = match (self.stepped, order) {
                    (Some((nd, _)), Some(order)) if group.len() > 1 => Some(sibling_forms(
                        self.net,
                        order,
                        (self.idx, nd),
                        &pre,
                        &group,
                        ahead,
                    )?),
                    _ => None,
                };
                (Some(pre), dense)
            }
            Formed::Folded(fd) => {
                // Every member's form is made here (there is no whole input
                // form to keep), from a sibling's where it has one.
                let Some((nd, _)) = self.stepped else {
                    // Folded for a last hop (no dense node is made): the
                    // layer's output is unread, the members get no slot.
                    return Ok(self.serial(parent, group, std::iter::repeat_with(|| None)));
                };
                let items = match order {
                    Some(order) => {
                        let pre = LayerInput::Folded(fd);
                        sibling_forms(self.net, order, (self.idx, nd), &pre, &group, ahead)?
                    }
                    None => {
                        let mut scratch = Scratch::default();
                        group
                            .iter()
                            .enumerate()
                            .map(|(j, (_, states))| {
                                ahead(j, fd.dense(self.net, nd, states)?, &mut scratch)
                            })
                            .collect::<Result<Vec<_>, NetError>>()?
                    }
                };
                (None, Some(items))
            }
        };
        if let Some(items) = dense {
            if group.len() > min_members {
                return Ok(group
                    .into_par_iter()
                    .zip(items)
                    .with_min_len(min_members)
                    .map(|(m, (slot, a, c))| with_ahead(self.build(&parent, slot, m), a, c))
                    .collect::<Vec<_>>()
                    .into());
            }
            return Ok(serial_members(
                parent,
                group,
                items.into_iter(),
                |p, (slot, a, c), m| with_ahead(self.build(p, slot, m), a, c),
                |p, (slot, a, c), (f, init)| {
                    with_ahead(self.take_over(p, slot, (f, self.shared.get(&init))), a, c)
                },
            ));
        }
        // The ReLU's output, kept as its input form (applied on demand).
        let Some(LayerInput::Form(pre)) = pre else {
            unreachable!("a folded input makes every member's form")
        };
        let slot = || {
            Some((
                self.output,
                Slot::Activated {
                    node: self.idx,
                    pre: Arc::clone(&pre),
                },
            ))
        };
        Ok(if group.len() > min_members {
            group
                .into_par_iter()
                .with_min_len(min_members)
                .map(|m| self.build(&parent, slot(), m))
                .collect::<Vec<_>>()
                .into()
        } else {
            self.serial(parent, group, std::iter::repeat_with(slot))
        })
    }
}
