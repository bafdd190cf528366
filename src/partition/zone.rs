//! Inserting one line into a face that many lines cross: the line's zone.
//!
//! A face that [`super::engine`] cuts by `ZONE_MIN_LINES` lines or more
//! inserts each line by walking from where it enters the face through the
//! sub-faces it meets ([`walk`]) instead of testing every sub-face, and
//! derives the sub-faces' states at the end from the lines along their
//! shared edges ([`states`]).

use crate::exact::Sign;
use crate::mesh::{FaceId, HalfEdgeId, Label, LineId, Mesh, VertexId};

use super::engine::{Group, VertexSigns};

/// Per face, whether it is a member of the group being cut (and which)
/// and whether the current line's zone has reached it (epochs, as in
/// [`VertexSigns`]).
#[derive(Default)]
pub(super) struct FaceMarks {
    /// The group epoch in which the face was made a member.
    group: Vec<u32>,
    /// Its position in the group (valid where `group` is current).
    index: Vec<u32>,
    /// The line epoch in which the zone reached the face.
    zone: Vec<u32>,
    group_epoch: u32,
    zone_epoch: u32,
}

impl FaceMarks {
    /// Starts a new group (no members).
    pub(super) fn begin_group(&mut self) {
        self.group_epoch = self.group_epoch.wrapping_add(1);
        if self.group_epoch == 0 {
            self.group.iter_mut().for_each(|e| *e = 0);
            self.group_epoch = 1;
        }
    }

    /// Starts a new line (no face reached).
    pub(super) fn begin_line(&mut self) {
        self.zone_epoch = self.zone_epoch.wrapping_add(1);
        if self.zone_epoch == 0 {
            self.zone.iter_mut().for_each(|e| *e = 0);
            self.zone_epoch = 1;
        }
    }

    fn grow(&mut self, f: FaceId) {
        if self.group.len() <= f.index() {
            let n = (f.index() + 1).max(2 * self.group.len());
            self.group.resize(n, 0);
            self.index.resize(n, 0);
            self.zone.resize(n, 0);
        }
    }

    /// Makes `f` member `i` of the current group.
    pub(super) fn add(&mut self, f: FaceId, i: usize) {
        self.grow(f);
        self.group[f.index()] = self.group_epoch;
        self.index[f.index()] = i as u32;
    }

    /// `f`'s position in the current group, if it is a member.
    pub(super) fn member(&self, f: FaceId) -> Option<usize> {
        (self.group.get(f.index()) == Some(&self.group_epoch))
            .then(|| self.index[f.index()] as usize)
    }

    /// Marks `f` reached by the current line's zone; `false` if it was.
    pub(super) fn reach(&mut self, f: FaceId) -> bool {
        self.grow(f);
        let first = self.zone[f.index()] != self.zone_epoch;
        self.zone[f.index()] = self.zone_epoch;
        first
    }
}

/// The faces around vertex `v`, from an out-edge `e0` of `v`, handed to
/// `put`.
pub(super) fn faces_around(mesh: &Mesh, e0: HalfEdgeId, mut put: impl FnMut(FaceId)) {
    let mut e = e0;
    loop {
        put(mesh.face(e));
        e = mesh.next(e.twin());
        if e == e0 {
            break;
        }
    }
}

/// Where a line enters the face being cut: the face's sides at the start
/// of its cutting (`outline[j]` starts at the `j`-th corner, which it keeps
/// however later cuts split the side) and the line's exact signs at those
/// corners; the line has both signs there, or a zero.
pub(super) struct Entry<'a> {
    pub(super) outline: &'a [HalfEdgeId],
    pub(super) signs: &'a [Sign],
}

/// Scratch of [`walk`], kept between lines.
#[derive(Default)]
pub(super) struct Scratch {
    queue: Vec<FaceId>,
    cycle: Vec<HalfEdgeId>,
    fresh: Vec<VertexId>,
}

/// The zone of line `id` (label `label`) in the group whose members `fm`
/// marks: the members its zero set meets, in `zone` (member positions,
/// ascending), with the line's exact signs at their vertices in `vs` (each
/// vertex signed once). The walk starts where the line enters the face
/// (through a corner on it, or through the piece of a side whose ends it
/// separates, along that side's pieces split by earlier lines) and goes on
/// through every member that has a vertex on the line (to all members
/// around that vertex) or a side whose ends it separates (to the member
/// across): the line's segment in the face is connected, so every member it
/// meets is reached.
pub(super) fn walk(
    mesh: &mut Mesh,
    vs: &mut VertexSigns,
    fm: &mut FaceMarks,
    entry: Entry<'_>,
    (id, label): (LineId, Label),
    s: &mut Scratch,
    zone: &mut Vec<usize>,
) {
    fm.begin_line();
    s.queue.clear();
    if let Some(j) = entry.signs.iter().position(|s| *s == Sign::Zero) {
        faces_around(mesh, entry.outline[j], |g| s.queue.push(g));
    } else {
        let j = (0..entry.outline.len())
            .find(|&j| entry.signs[j] != entry.signs[(j + 1) % entry.outline.len()])
            .expect("a line with both signs on the outline separates two neighbours");
        let mut e = entry.outline[j];
        loop {
            let w = mesh.dest(e);
            let mut sw = Sign::Zero;
            mesh.sides_of_vertices(&[w], id, label, |w, sign| {
                vs.set(w, sign);
                sw = sign;
            });
            if sw == Sign::Zero {
                faces_around(mesh, mesh.next(e), |g| s.queue.push(g));
                break;
            }
            if sw != entry.signs[j] {
                s.queue.push(mesh.face(e));
                break;
            }
            // The next piece of the side: the out-edge of `w`
            // between a sub-face and the outside.
            let mut next = mesh.next(e);
            while fm.member(mesh.face(next.twin())).is_some() {
                next = mesh.next(next.twin());
            }
            e = next;
        }
    }
    while let Some(g) = s.queue.pop() {
        let Some(j) = fm.member(g) else { continue };
        if !fm.reach(g) {
            continue;
        }
        s.cycle.clear();
        s.cycle.extend(mesh.face_half_edges(g));
        s.fresh.clear();
        s.fresh.extend(
            s.cycle
                .iter()
                .map(|&h| mesh.origin(h))
                .filter(|&v| vs.get(v).is_none()),
        );
        mesh.sides_of_vertices(&s.fresh, id, label, |v, sign| vs.set(v, sign));
        let mut meets = false;
        for &h in &s.cycle {
            let sv = vs.get(mesh.origin(h)).expect("signed above");
            let sw = vs.get(mesh.dest(h)).expect("signed above");
            if sv == Sign::Zero {
                meets = true;
                faces_around(mesh, h, |g| s.queue.push(g));
            } else if sw != Sign::Zero && sw != sv {
                meets = true;
                s.queue.push(mesh.face(h.twin()));
            }
        }
        if meets {
            zone.push(j);
        }
    }
    zone.sort_unstable();
}

/// The states of a group cut along its lines' zones: the face's own
/// (`base`, with `root`'s `(neuron, state)` for the lines that reached its
/// interior), then from sub-face to adjacent sub-face (`members`, member
/// positions in `fm`), flipping the neurons whose lines carry their shared
/// edge (the edge's labels from `first_label` on, `n` of them). Every
/// cycle of sub-faces must agree (checked in debug builds).
pub(super) fn states(
    mesh: &Mesh,
    fm: &FaceMarks,
    members: Vec<FaceId>,
    mut base: Vec<u32>,
    root: &[(usize, u32)],
    (first_label, n): (u32, usize),
) -> Group {
    let flip = |st: &mut [u32], h: HalfEdgeId| {
        for l in mesh.edge_labels(h) {
            if let Some(s) = st.get_mut(l.0.wrapping_sub(first_label) as usize) {
                *s ^= 1;
            }
        }
    };
    let mut states: Vec<Option<Vec<u32>>> = vec![None; members.len()];
    for &(k, s) in root {
        base[k] = s;
    }
    states[0] = Some(base);
    let mut stack = vec![0usize];
    while let Some(j) = stack.pop() {
        for h in mesh.face_half_edges(members[j]) {
            let Some(m) = fm.member(mesh.face(h.twin())) else {
                continue;
            };
            if states[m].is_some() && !cfg!(debug_assertions) {
                continue;
            }
            let mut st = states[j].clone().expect("reached");
            flip(&mut st[..n], h);
            match &states[m] {
                Some(known) => debug_assert_eq!(known, &st, "states around a cycle agree"),
                None => {
                    states[m] = Some(st);
                    stack.push(m);
                }
            }
        }
    }
    members
        .into_iter()
        .zip(states)
        .map(|(g, st)| (g, st.expect("the sub-faces of a face are connected")))
        .collect()
}
