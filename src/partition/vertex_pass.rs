//! The vertex pass: a ReLU layer's neuron values at every vertex of the
//! mesh, for the faces of a settled mesh.
//!
//! Deep networks stop adding regions after a few layers (PyTorch's default
//! initialisation: 2-8x70-1 has its 103 regions after three of its seventy
//! layers). From then on every face is tested against every layer's lines
//! and none crosses it. Testing a face through its affine form costs a form
//! per face and layer (three columns through the layer, with bounds) and
//! the filter at each of its corners. The vertex pass instead evaluates the
//! network once per *vertex* and layer, one column and its bounds
//! ([`crate::net::points`]), and keeps for each vertex which neurons have a
//! proven sign there. A face whose corners agree on a strict sign for every
//! neuron of the layer is crossed by none of its lines (the pre-activation
//! is affine on the face, which is the convex hull of its corners): its
//! states follow from the signs, and it needs no form. Faces where some
//! corner leaves a sign open go the usual way (their form is made from
//! their pattern where they have none: `Slot::Replay`).
//!
//! The values are carried from layer to layer for the vertices that
//! existed, and for the vertices that cuts added since read off a face's
//! form at the corner (or, where no face of theirs has one, made from the
//! input).
//! The pass runs only on a plain chain of dense and ReLU nodes and where
//! the values fit in [`MAX_ELEMENTS`] (see [`eligible`]); which layers it
//! runs on is the engine's choice (`Engine::activation`).

use std::sync::Arc;

use rayon::prelude::*;

use crate::exact::predicates::value_sign_masks;
use crate::mesh::{FaceId, Mesh, VertexId};
use crate::net::points::{form_at_point_f64, relu_points_f64};
use crate::net::{AffineForm, NetError, Network, Op, OpClass, TensorId};

/// At most this many values (vertices × layer width) are kept: 16 M, 256 MB
/// with their bounds.
pub(super) const MAX_ELEMENTS: usize = 1 << 24;

/// Vertices per batch of the pass (one batch per parallel task at least).
const BATCH: usize = 64;

/// Whether the vertex pass can evaluate the input of ReLU node `idx`: every
/// node before it is a dense node or a ReLU, each reading the one before
/// (the first the network's input), and node `idx − 1` is dense.
pub(super) fn eligible(net: &Network, idx: usize) -> bool {
    let nodes = net.nodes();
    if idx == 0 || idx >= nodes.len() {
        return false;
    }
    if nodes[idx].op.class() != OpClass::Activation(crate::net::ActKind::Relu)
        || !matches!(nodes[idx - 1].op, Op::Dense { .. })
        || nodes[idx].inputs != [nodes[idx - 1].output]
    {
        return false;
    }
    nodes[..idx].iter().enumerate().all(|(i, node)| {
        let from = if i == 0 {
            TensorId(0)
        } else {
            nodes[i - 1].output
        };
        let plain = match &node.op {
            Op::Dense { in_features, .. } => net.len_of(from) == *in_features,
            Op::Relu => true,
            _ => false,
        };
        plain && node.inputs == [from] && net.len_of(node.output) > 0
    })
}

/// The values of one ReLU layer's input at the mesh's vertices, and which
/// neurons have a proven sign at each.
#[derive(Default)]
pub(super) struct VertexPass {
    /// The ReLU node whose input the values are.
    node: Option<usize>,
    /// Values per vertex (the layer's width).
    width: usize,
    /// Vertices `0..count` have values.
    count: usize,
    x: Vec<f64>,
    e: Vec<f64>,
    /// The next layer's values while they are made (kept for their memory).
    next_x: Vec<f64>,
    next_e: Vec<f64>,
    /// Per vertex, `words` masks of the neurons proven positive, then
    /// `words` of those proven negative.
    signs: Vec<u64>,
    words: usize,
    /// Per vertex not carried, the known form it is read from.
    owner: Vec<u32>,
}

/// Work (values × inputs) under which the pass runs on one thread.
const SERIAL_WORK: usize = 1 << 16;

impl VertexPass {
    /// The ReLU node the values are for, if any.
    pub(super) fn node(&self) -> Option<usize> {
        self.node
    }

    /// Forgets the values (a layer the pass did not run on came between).
    pub(super) fn clear(&mut self) {
        self.node = None;
        self.count = 0;
    }

    /// Brings the values to the input of ReLU node `idx` (which must be
    /// [`eligible`]) at every vertex of `mesh`: carried through the previous
    /// ReLU and dense node where they are that layer's; else from the form
    /// of the layer's input on a face of the vertex, where `known` has one
    /// (faces and their forms); else from the slice's `input` form through
    /// the nodes before. Then the signs.
    pub(super) fn update(
        &mut self,
        net: &Network,
        mesh: &Mesh,
        (input, known): (&AffineForm, &[(FaceId, Arc<AffineForm>)]),
        idx: usize,
    ) -> Result<(), NetError> {
        let width = net.len_of(net.nodes()[idx].inputs[0]);
        let nv = mesh.num_vertices();
        let carried = match self.node {
            Some(p) if p + 2 == idx && self.count <= nv => self.count,
            _ => 0,
        };
        let (pw, words) = (self.width, width.div_ceil(64));
        // Every row is written below: no zeroing.
        let (mut x, mut e) = (
            std::mem::take(&mut self.next_x),
            std::mem::take(&mut self.next_e),
        );
        x.resize(nv * width, 0.0);
        e.resize(nv * width, 0.0);
        self.signs.resize(nv * 2 * words, 0);
        // The vertices not carried: from a form of a face of theirs, if
        // one is known, or else from the input.
        self.owner.clear();
        self.owner.resize(nv - carried, u32::MAX);
        if nv > carried {
            for (j, (f, _)) in known.iter().enumerate() {
                for v in mesh.face_vertices(*f) {
                    if let Some(o) = v.index().checked_sub(carried) {
                        if self.owner[o] == u32::MAX {
                            self.owner[o] = j as u32;
                        }
                    }
                }
            }
        }
        let (px, pe, owner) = (&self.x, &self.e, &self.owner);
        // Rows `first..` of the new values, signs and all.
        let rows = |first: usize, (x, e, s): (&mut [f64], &mut [f64], &mut [u64])| {
            let count = x.len() / width;
            let old = carried.saturating_sub(first).min(count);
            if old > 0 {
                // The previous layer's values: its ReLU, then the dense node.
                net.relu_dense_points_f64(
                    idx - 1,
                    &px[first * pw..(first + old) * pw],
                    &pe[first * pw..(first + old) * pw],
                    &mut x[..old * width],
                    &mut e[..old * width],
                )?;
            }
            let mut rest: Vec<(usize, VertexId)> = Vec::new();
            for j in old..count {
                let v = VertexId::from_index(first + j);
                let (x, e) = (
                    &mut x[j * width..(j + 1) * width],
                    &mut e[j * width..(j + 1) * width],
                );
                match known.get(owner[first + j - carried] as usize) {
                    Some((_, form)) => {
                        form_at_point_f64(form, mesh.vertex_xy(v), mesh.vertex_radius(v), x, e)
                    }
                    None => rest.push((j, v)),
                }
            }
            if !rest.is_empty() {
                let verts: Vec<VertexId> = rest.iter().map(|(_, v)| *v).collect();
                let (rx, re) = from_input(net, mesh, input, idx, &verts)?;
                for (k, (j, _)) in rest.iter().enumerate() {
                    let (to, from) = (j * width..(j + 1) * width, k * width..(k + 1) * width);
                    x[to.clone()].copy_from_slice(&rx[from.clone()]);
                    e[to].copy_from_slice(&re[from]);
                }
            }
            for ((s, x), e) in s
                .chunks_mut(2 * words)
                .zip(x.chunks(width))
                .zip(e.chunks(width))
            {
                let (pos, neg) = s.split_at_mut(words);
                for (i, (x, e)) in x.chunks(64).zip(e.chunks(64)).enumerate() {
                    (pos[i], neg[i]) = value_sign_masks(x, e);
                }
            }
            Ok::<(), NetError>(())
        };
        let signs = &mut self.signs;
        if nv * width * pw.max(width) <= SERIAL_WORK {
            rows(0, (&mut x, &mut e, signs))?;
        } else {
            x.par_chunks_mut(BATCH * width)
                .zip(e.par_chunks_mut(BATCH * width))
                .zip(signs.par_chunks_mut(BATCH * 2 * words))
                .enumerate()
                .try_for_each(|(b, ((x, e), s))| rows(b * BATCH, (x, e, s)))?;
        }
        self.next_x = std::mem::replace(&mut self.x, x);
        self.next_e = std::mem::replace(&mut self.e, e);
        self.node = Some(idx);
        self.width = width;
        self.count = nv;
        self.words = words;
        Ok(())
    }

    /// Whether every neuron of the layer has the same proven sign at every
    /// corner of face `f` (then no line of the layer meets the face): the
    /// number of corners, with the masks of the neurons on (proven
    /// positive) in `acc` (see [`VertexPass::states`]); `None` if some sign
    /// is open. The face's corners must have values
    /// ([`VertexPass::update`] since the last cut).
    pub(super) fn decide(&self, mesh: &Mesh, f: FaceId, acc: &mut Vec<u64>) -> Option<usize> {
        let w = self.words;
        acc.clear();
        acc.resize(2 * w, u64::MAX);
        let mut corners = 0;
        for v in mesh.face_vertices(f) {
            let s = self.signs.get(v.index() * 2 * w..(v.index() + 1) * 2 * w)?;
            for (a, s) in acc.iter_mut().zip(s) {
                *a &= s;
            }
            corners += 1;
        }
        let (pos, neg) = acc.split_at(w);
        for (i, (p, n)) in pos.iter().zip(neg).enumerate() {
            let bits = (self.width - 64 * i).min(64);
            let full = if bits == 64 {
                u64::MAX
            } else {
                (1u64 << bits) - 1
            };
            if (p | n) & full != full {
                return None;
            }
        }
        acc.truncate(w);
        (corners > 0).then_some(corners)
    }

    /// The layer's states (1 on, 0 off) from the masks [`VertexPass::decide`]
    /// left, into `states`.
    pub(super) fn states(&self, on: &[u64], states: &mut Vec<u32>) {
        states.clear();
        states.extend((0..self.width).map(|k| ((on[k / 64] >> (k % 64)) & 1) as u32));
    }
}

/// The input of ReLU node `idx` at vertices `verts`, from the slice's
/// input form through the nodes before it: values and bounds, a row per
/// vertex.
fn from_input(
    net: &Network,
    mesh: &Mesh,
    input: &AffineForm,
    idx: usize,
    verts: &[VertexId],
) -> Result<(Vec<f64>, Vec<f64>), NetError> {
    let count = verts.len();
    let w0 = input.len();
    let mut cur = vec![0.0; count * w0];
    let mut cur_e = vec![0.0; count * w0];
    for (v, (cx, ce)) in verts
        .iter()
        .zip(cur.chunks_mut(w0).zip(cur_e.chunks_mut(w0)))
    {
        form_at_point_f64(input, mesh.vertex_xy(*v), mesh.vertex_radius(*v), cx, ce);
    }
    for (i, node) in net.nodes()[..idx].iter().enumerate() {
        match &node.op {
            Op::Dense { out_features, .. } => {
                let mut nx = vec![0.0; count * out_features];
                let mut ne = vec![0.0; count * out_features];
                net.dense_points_f64(i, &cur, &cur_e, &mut nx, &mut ne)?;
                (cur, cur_e) = (nx, ne);
            }
            Op::Relu => relu_points_f64(&mut cur, &mut cur_e),
            op => {
                return Err(NetError::Argument(format!(
                    "internal: the vertex pass met node {i} ({}), not dense or ReLU",
                    op.name()
                )))
            }
        }
    }
    Ok((cur, cur_e))
}
