//! Property tests of the mesh against an independent brute-force oracle.
//!
//! Random convex polygons receive random lines with common degeneracies
//! (see `splinecam::strategies`). After each insertion the mesh must be
//! valid; at the end the face and vertex counts must match counts computed
//! directly from the exact lines, areas must sum exactly to the polygon's,
//! and the filtered kernel must build the identical mesh as the rational
//! kernel.

mod common;

use std::collections::BTreeSet;

use common::arrangement_counts;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use rug::Rational;
use splinecam::exact::{Kernel, Line};
use splinecam::mesh::{FaceId, Label, Mesh};
use splinecam::strategies::{arrangement_case, ArrangementCase, Recipe};

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x5911_eca3),
        failure_persistence: None,
        ..Config::default()
    }
}

/// A face's exact corners, printed and sorted: independent of where its
/// cycle starts.
fn face_corners(m: &Mesh, f: FaceId) -> Vec<Point> {
    let mut vs: Vec<Point> = m
        .face_vertices(f)
        .map(|v| {
            let (x, y) = m.vertex_exact(v).unwrap();
            (x.to_string(), y.to_string())
        })
        .collect();
    vs.sort();
    vs
}

/// Faces as sets of exact vertices: independent of insertion order.
fn face_sets(m: &Mesh) -> BTreeSet<Vec<Point>> {
    m.faces().map(|f| face_corners(m, f)).collect()
}

fn check_case(case: &ArrangementCase) -> Result<(), TestCaseError> {
    let mut m = Mesh::from_convex_polygon(&case.polygon(), Kernel::Filtered).unwrap();
    let total = m.total_area_exact();
    for (i, l) in case.lines().into_iter().enumerate() {
        let id = m.add_line(l);
        m.insert_line(id, Label(i as u32)).unwrap();
        prop_assert_eq!(m.validate(), Ok(()));
    }
    let area: Rational = m.faces().map(|f| m.face_area_exact(f)).sum();
    prop_assert_eq!(area, total);
    let (faces, verts) = arrangement_counts(&case.polygon(), &case.lines());
    prop_assert_eq!(m.num_faces(), faces, "face count vs 1 + L + sum(m_p - 1)");
    prop_assert_eq!(m.num_vertices(), verts, "vertex count vs brute force");
    // The rational kernel builds the identical mesh, vertex for vertex.
    let r = case.build(Kernel::Rational).unwrap();
    prop_assert_eq!(m.vertices_exact().unwrap(), r.vertices_exact().unwrap());
    for f in m.faces() {
        prop_assert!(m.face_vertices(f).eq(r.face_vertices(f)));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn random_arrangements_match_the_oracle(case in arrangement_case(10)) {
        check_case(&case)?;
    }

    #[test]
    fn insertion_order_does_not_change_the_faces(case in arrangement_case(8), seed in any::<u64>()) {
        use rand::seq::SliceRandom;
        use rand::SeedableRng;
        let a = case.build(Kernel::Filtered).unwrap();
        let mut lines: Vec<(usize, Line)> = case.lines().into_iter().enumerate().collect();
        lines.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
        let mut b = Mesh::from_convex_polygon(&case.polygon(), Kernel::Filtered).unwrap();
        for (i, l) in lines {
            let id = b.add_line(l);
            b.insert_line(id, Label(i as u32)).unwrap();
        }
        b.validate().unwrap();
        prop_assert_eq!(face_sets(&a), face_sets(&b));
    }
}

proptest! {
    #![proptest_config(config(300))]

    /// Many lines through few points: heavy concurrency.
    #[test]
    fn concurrent_pencils(k in 2usize..6, normals in prop::collection::vec((-4i8..=4, -4i8..=4), 2..14)) {
        let mut recipes: Vec<Recipe> = (0..k).map(|i| Recipe::Grid(1, i as i8 - 2, (i as i8) - 1)).collect();
        for (j, (a, b)) in normals.into_iter().enumerate() {
            recipes.push(Recipe::ThroughCrossing(j % k, (j + 1) % k, a, b));
        }
        let case = ArrangementCase { corners: vec![(-5, -5), (5, -5), (5, 5), (-5, 5)], scale: 0.5, recipes };
        check_case(&case)?;
    }
}

proptest! {
    #![proptest_config(config(1000))]

    /// Merging every face of a random arrangement back restores the polygon:
    /// edge removal, dangling chains and vertex dissolution in any order.
    #[test]
    fn merging_all_faces_restores_the_polygon(case in arrangement_case(10), seed in any::<u64>()) {
        use rand::seq::SliceRandom;
        use rand::SeedableRng;
        let mut m = case.build(Kernel::Filtered).unwrap();
        let mut inner: Vec<_> = m
            .edges()
            .filter(|&h| m.face(h) != FaceId::OUTER && m.face(h.twin()) != FaceId::OUTER)
            .collect();
        inner.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
        m.merge_across(&inner, |_, _| true).unwrap();
        m.compact();
        prop_assert_eq!(m.validate(), Ok(()));
        prop_assert_eq!(m.total_area_exact(), m.face_area_exact(m.faces().next().unwrap()));
        prop_assert_eq!((m.num_vertices(), m.num_faces()), (case.corners.len(), 1));
    }
}

proptest! {
    #![proptest_config(config(600))]

    /// Filling the holes that merges leave ([`Mesh::fill_holes`]) gives the
    /// mesh that compacting gives, up to numbering; its face moves keep an
    /// array indexed by face in step, and faces before the first hole keep
    /// their handles.
    #[test]
    fn filling_holes_is_compacting(
        case in arrangement_case(10),
        seed in any::<u64>(),
        quarters in 0usize..=4,
    ) {
        use rand::seq::SliceRandom;
        use rand::SeedableRng;
        let mut m = case.build(Kernel::Filtered).unwrap();
        let mut inner: Vec<_> = m
            .edges()
            .filter(|&h| m.face(h) != FaceId::OUTER && m.face(h.twin()) != FaceId::OUTER)
            .collect();
        // The inner edges of some of the lines: without them the faces are
        // those of the other lines' arrangement, convex again.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut lines: Vec<_> = inner.iter().map(|&h| m.edge_line(h)).collect();
        lines.sort();
        lines.dedup();
        lines.shuffle(&mut rng);
        lines.truncate(lines.len() * quarters / 4);
        inner.retain(|&h| lines.contains(&m.edge_line(h)));
        inner.shuffle(&mut rng);
        m.merge_across(&inner, |_, _| true).unwrap();
        // Each face's corners, by its handle before.
        let mut at: Vec<Option<Vec<Point>>> = vec![None; m.num_faces() + 1];
        for f in m.faces().filter(|&f| !m.is_dead_face(f)) {
            at[f.index()] = Some(face_corners(&m, f));
        }
        let first_hole = m.faces().find(|&f| m.is_dead_face(f)).map_or(usize::MAX, |f| f.index());
        let before = at.clone();
        let mut c = m.clone();
        c.compact();
        let moves = m.fill_holes();
        moves.apply(&mut at);
        prop_assert_eq!(m.validate(), Ok(()));
        prop_assert_eq!(c.validate(), Ok(()));
        prop_assert_eq!(
            (m.num_vertices(), m.num_edges(), m.num_faces()),
            (c.num_vertices(), c.num_edges(), c.num_faces())
        );
        prop_assert_eq!(face_sets(&m), face_sets(&c));
        prop_assert_eq!(vertex_labels(&m), vertex_labels(&c));
        prop_assert_eq!(edge_labels(&m), edge_labels(&c));
        prop_assert_eq!(at.len(), m.num_faces() + 1);
        for f in m.faces() {
            prop_assert_eq!(at[f.index()].as_ref(), Some(&face_corners(&m, f)));
            if f.index() < first_hole {
                prop_assert_eq!(&before[f.index()], &at[f.index()]);
            }
        }
        prop_assert_eq!(m.total_area_exact(), c.total_area_exact());
    }
}

/// Lines through one point, then the same lines moved by one ulp: the filter
/// sees them as nearly concurrent and must not guess.
#[test]
fn one_ulp_perturbations_agree_with_the_rational_kernel() {
    let mut recipes = vec![
        Recipe::Float(0.3, 0.7, -0.1),
        Recipe::Float(-0.6, 0.2, 0.05),
    ];
    for (a, b) in [(1, 1), (2, -1), (1, 3), (-3, 1), (5, 2)] {
        recipes.push(Recipe::ThroughCrossing(0, 1, a, b));
    }
    for i in 0..7 {
        recipes.push(Recipe::Ulp(i, i % 2 == 0));
    }
    let case = ArrangementCase {
        corners: vec![(-3, -3), (3, -3), (3, 3), (-3, 3)],
        scale: 1.0 / 3.0,
        recipes,
    };
    check_case(&case).unwrap();
    let m = case.build(Kernel::Filtered).unwrap();
    let st = m.stats();
    assert!(
        st.exact + st.adaptive > 0,
        "near-degenerate input must reach the exact fallback: {st:?}"
    );
}

/// Vertices as exact points with their labels: independent of numbering.
fn vertex_labels(m: &Mesh) -> BTreeSet<((String, String), Vec<u32>)> {
    m.vertices()
        .map(|v| {
            let (x, y) = m.vertex_exact(v).unwrap();
            let labels = m.vertex_labels(v).iter().map(|l| l.0).collect();
            ((x.to_string(), y.to_string()), labels)
        })
        .collect()
}

/// An exact point, printed.
type Point = (String, String);

/// Edges as pairs of exact end points with their labels.
fn edge_labels(m: &Mesh) -> BTreeSet<(Vec<Point>, Vec<u32>)> {
    m.edges()
        .map(|h| {
            let mut ends: Vec<Point> = [m.origin(h), m.dest(h)]
                .iter()
                .map(|&v| {
                    let (x, y) = m.vertex_exact(v).unwrap();
                    (x.to_string(), y.to_string())
                })
                .collect();
            ends.sort();
            (ends, m.edge_labels(h).iter().map(|l| l.0).collect())
        })
        .collect()
}

/// Cuts the polygon in two along `seam`, inserts every line into each half
/// on its own, glues the halves and removes the seam: the same faces,
/// vertices (with their labels) and edges (with theirs) as inserting the
/// lines into the whole polygon, and a valid mesh. A seam on one of the
/// lines is glued but not removed (its edges lie between different cells).
fn check_seam(case: &ArrangementCase, seam: Line, kernel: Kernel) -> Result<(), TestCaseError> {
    let whole = case.build(kernel).unwrap();
    let lines = case.lines();
    let Some(h) = Mesh::from_convex_polygon(&case.polygon(), kernel)
        .unwrap()
        .halves(seam.clone())
        .unwrap()
    else {
        return Ok(());
    };
    let (mut a, mut b) = (h.positive, h.negative);
    for m in [&mut a, &mut b] {
        prop_assert_eq!(m.num_faces(), 1);
        prop_assert_eq!(m.validate(), Ok(()));
        for (i, l) in lines.iter().enumerate() {
            let id = m.add_line(l.clone());
            m.insert_line(id, Label(i as u32)).unwrap();
        }
    }
    let (fa, fb) = (a.num_faces(), b.num_faces());
    let g = Mesh::glue(a, b, h.seam, h.shared_lines).unwrap();
    let mut m = g.mesh;
    prop_assert_eq!(m.validate(), Ok(()));
    prop_assert_eq!(m.num_faces(), fa + fb);
    prop_assert_eq!(m.total_area_exact(), whole.total_area_exact());
    for &s in &g.seam {
        prop_assert_eq!(m.edge_line(s), h.seam);
        prop_assert!(m.face(s).index() <= fa && m.face(s.twin()).index() > fa);
    }
    // A line equal to the seam (as a set): its cells differ across it.
    let on_seam = lines.iter().any(|l| {
        let (p, q) = (l.exact(), seam.exact());
        let cross = |i: usize, j: usize| {
            Rational::from(&p.coef[i] * &q.coef[j]) - Rational::from(&p.coef[j] * &q.coef[i])
        };
        cross(0, 1) == 0 && cross(0, 2) == 0 && cross(1, 2) == 0
    });
    if on_seam {
        return Ok(());
    }
    m.unseam(&g.seam, h.seam).unwrap();
    m.compact();
    prop_assert_eq!(m.validate(), Ok(()));
    prop_assert_eq!(face_sets(&m), face_sets(&whole));
    prop_assert_eq!(vertex_labels(&m), vertex_labels(&whole));
    prop_assert_eq!(edge_labels(&m), edge_labels(&whole));
    prop_assert_eq!(
        (m.num_vertices(), m.num_edges(), m.num_faces()),
        (whole.num_vertices(), whole.num_edges(), whole.num_faces())
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(600))]

    /// Seams through the polygon's grid: often through vertices of the
    /// arrangement, along its lines, or through the polygon's corners.
    #[test]
    fn halving_gluing_and_unseaming_is_inserting_into_the_whole(
        case in arrangement_case(10),
        seam in (-3i64..=3, -3i64..=3, -6i64..=6),
        rational in any::<bool>(),
    ) {
        let (a, b, c) = seam;
        prop_assume!((a, b) != (0, 0));
        let s = Rational::from_f64(case.scale).unwrap();
        let seam = Line::from_rationals([a.into(), b.into(), Rational::from(c) * s]);
        let kernel = if rational { Kernel::Rational } else { Kernel::Filtered };
        check_seam(&case, seam, kernel)?;
    }
}

/// The seam of the engine, `u = c` with an irregular `c`, on arrangements
/// whose lines meet it anywhere (concurrent with it at vertices, too).
#[test]
fn seam_through_crossings_and_corners() {
    let case = ArrangementCase {
        corners: vec![(-4, -4), (4, -4), (4, 4), (-4, 4)],
        scale: 0.25,
        recipes: vec![
            Recipe::Grid(1, 1, 0),
            Recipe::Grid(1, -1, 0),
            Recipe::Grid(0, 1, 0),
            Recipe::Grid(1, 0, 2),
            Recipe::Through([0, -4, 0, 4]),
            Recipe::Through([-4, -4, 4, 4]),
            Recipe::Parallel(2, 1),
            Recipe::Repeat(0, 1, true),
        ],
    };
    for seam in [
        Line::from_f64(1.0, 0.0, 0.0).unwrap(),
        Line::from_f64(1.0, 0.0, -0.123_456_789).unwrap(),
        Line::from_f64(1.0, -1.0, 0.0).unwrap(),
        Line::from_f64(0.0, 1.0, -0.25).unwrap(),
        Line::from_f64(1.0, 1.0, -1.0).unwrap(),
    ] {
        for kernel in [Kernel::Filtered, Kernel::Rational] {
            check_seam(&case, seam.clone(), kernel).unwrap();
        }
    }
}

/// Misused gluing is an error, not a panic: halves that do not share the
/// lines claimed, halves of different seams, a relabelling map without an
/// entry for some label.
#[test]
fn gluing_refuses_what_does_not_fit() {
    let square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
    let m = Mesh::from_convex_polygon(&square, Kernel::Filtered).unwrap();
    let h = m
        .halves(Line::from_f64(1.0, 0.0, -0.5).unwrap())
        .unwrap()
        .unwrap();
    let (a, b) = (h.positive.clone(), h.negative.clone());
    assert!(Mesh::glue(a.clone(), b.clone(), h.seam, h.shared_lines + 1).is_err());
    assert!(Mesh::glue(a.clone(), b.clone(), h.seam, h.seam.index()).is_err());
    // A seam of other halves: the count of seam edges differs.
    let mut b3 = b.clone();
    let l = b3.add_line(Line::from_f64(0.0, 1.0, -0.5).unwrap());
    b3.insert_line(l, Label(0)).unwrap();
    let mut a3 = a.clone();
    let l = a3.add_line(Line::from_f64(0.0, 1.0, -0.25).unwrap());
    a3.insert_line(l, Label(0)).unwrap();
    let l = a3.add_line(Line::from_f64(0.0, 1.0, -0.75).unwrap());
    a3.insert_line(l, Label(1)).unwrap();
    assert!(Mesh::glue(a3, b3.clone(), h.seam, h.shared_lines).is_err());
    assert!(b3.clone().relabel(&[]).is_err());
    assert!(b3.relabel(&[Label(5)]).is_ok());
    assert_eq!(
        b3.edge_labels(b3.edges().find(|&e| !b3.edge_labels(e).is_empty()).unwrap()),
        [Label(5)]
    );
    // The halves themselves glue back into the square.
    let g = Mesh::glue(a, b, h.seam, h.shared_lines).unwrap();
    assert_eq!(g.mesh.validate(), Ok(()));
    assert_eq!((g.mesh.num_faces(), g.seam.len()), (2, 1));
    assert!(m
        .halves(Line::from_f64(1.0, 0.0, -2.0).unwrap())
        .unwrap()
        .is_none());
}
