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

/// Faces as sets of exact vertices: independent of insertion order.
fn face_sets(m: &Mesh) -> BTreeSet<Vec<(String, String)>> {
    m.faces()
        .map(|f| {
            let mut vs: Vec<(String, String)> = m
                .face_vertices(f)
                .map(|v| {
                    let (x, y) = m.vertex_exact(v).unwrap();
                    (x.to_string(), y.to_string())
                })
                .collect();
            vs.sort();
            vs
        })
        .collect()
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
