//! Each degenerate case of cutting a face has a defined result.

use rug::Rational;
use splinecam::exact::{Kernel, Line, Sign};
use splinecam::mesh::{CutOutcome, FaceId, Label, Mesh, MeshError};

fn unit_square(kernel: Kernel) -> Mesh {
    Mesh::from_convex_polygon(&[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], kernel).unwrap()
}

fn line(a: f64, b: f64, c: f64) -> Line {
    Line::from_f64(a, b, c).unwrap()
}

fn only_face(m: &Mesh) -> FaceId {
    m.faces().next().unwrap()
}

fn check(m: &Mesh) {
    m.validate().unwrap();
    assert_eq!(m.total_area_exact(), sum_areas(m));
}

fn sum_areas(m: &Mesh) -> Rational {
    m.faces().map(|f| m.face_area_exact(f)).sum()
}

#[test]
fn generic_cut_adds_two_vertices() {
    for kernel in [Kernel::Filtered, Kernel::Rational] {
        let mut m = unit_square(kernel);
        let l = m.add_line(line(1.0, 0.0, -0.5)); // u = 1/2
        let f = only_face(&m);
        let out = m.cut_face(f, l, Label(0)).unwrap();
        let CutOutcome::Split {
            positive,
            negative,
            edge,
        } = out
        else {
            panic!("{out:?}")
        };
        assert_eq!(m.face(edge), negative);
        assert_eq!(m.face(edge.twin()), positive);
        assert_eq!((m.num_vertices(), m.num_edges(), m.num_faces()), (6, 7, 2));
        assert_eq!(m.face_area_exact(positive), Rational::from((1, 2)));
        // The positive face is the one with u > 1/2.
        assert!(m.face_vertices(positive).all(|v| m.vertex_xy(v)[0] >= 0.5));
        // New vertices record the label; the new edge carries it.
        let labelled = m
            .vertices()
            .filter(|&v| m.vertex_labels(v) == [Label(0)])
            .count();
        assert_eq!(labelled, 2);
        assert_eq!(m.edge_labels(edge), [Label(0)]);
        check(&m);
    }
}

#[test]
fn line_through_existing_vertices_reuses_them() {
    let mut m = unit_square(Kernel::Filtered);
    let l = m.add_line(line(1.0, -1.0, 0.0)); // diagonal through two corners
    let f = only_face(&m);
    assert!(matches!(
        m.cut_face(f, l, Label(0)).unwrap(),
        CutOutcome::Split { .. }
    ));
    assert_eq!((m.num_vertices(), m.num_faces()), (4, 2));
    // Through one corner and one side's interior, crossing the diagonal.
    let l2 = m.add_line(line(1.0, 2.0, -2.0)); // (0,1), (1, 1/2), crosses u = v at (2/3, 2/3)
    assert_eq!(m.insert_line(l2, Label(1)).unwrap(), 2);
    assert_eq!((m.num_vertices(), m.num_faces()), (6, 4));
    // A third line through the crossing (2/3, 2/3) and the corner (0, 0)... is
    // the diagonal itself; take the one through (2/3, 2/3) and (1, 0) instead.
    let l3 = m.add_line(line(2.0, 1.0, -2.0));
    assert_eq!(m.insert_line(l3, Label(2)).unwrap(), 2);
    assert_eq!((m.num_vertices(), m.num_faces()), (7, 6));
    check(&m);
}

#[test]
fn line_along_a_side_cuts_nothing_and_labels_only_inner_edges() {
    for kernel in [Kernel::Filtered, Kernel::Rational] {
        let mut m = unit_square(kernel);
        let l = m.add_line(line(0.0, 1.0, 0.0)); // v = 0, the bottom side
        let f = only_face(&m);
        assert_eq!(
            m.cut_face(f, l, Label(3)).unwrap(),
            CutOutcome::Missed {
                side: Sign::Positive
            }
        );
        // A side of the domain polygon carries no labels (output format).
        assert!(m.edges().all(|h| m.edge_labels(h).is_empty()));
        assert_eq!(m.num_faces(), 1);
        // An inner edge along a line is labelled by it: u = 1/2 cuts the
        // square, then the same line again (another label) runs along the
        // new edge of either half, and along sides of the square too.
        let half = m.add_line(line(2.0, 0.0, -1.0));
        let CutOutcome::Split { edge, .. } = m.cut_face(f, half, Label(0)).unwrap() else {
            panic!("u = 1/2 splits the square")
        };
        let again = m.add_line(line(-4.0, 0.0, 2.0));
        for g in m.faces().collect::<Vec<_>>() {
            assert!(matches!(
                m.cut_face(g, again, Label(5)).unwrap(),
                CutOutcome::Missed { .. }
            ));
        }
        assert_eq!(m.edge_labels(edge), [Label(0), Label(5)]);
        let side = m.add_line(line(1.0, 0.0, -1.0)); // u = 1, the right side
        for g in m.faces().collect::<Vec<_>>() {
            m.cut_face(g, side, Label(6)).unwrap();
        }
        let labelled: Vec<_> = m
            .edges()
            .filter(|&h| !m.edge_labels(h).is_empty())
            .collect();
        assert_eq!(labelled, [edge], "only the inner edge is labelled");
        check(&m);
    }
}

#[test]
fn line_touching_one_corner_only() {
    let mut m = unit_square(Kernel::Filtered);
    let l = m.add_line(line(1.0, 1.0, 0.0)); // u + v = 0 touches (0, 0)
    let f = only_face(&m);
    assert_eq!(
        m.cut_face(f, l, Label(1)).unwrap(),
        CutOutcome::Missed {
            side: Sign::Positive
        }
    );
    let touched: Vec<_> = m
        .vertices()
        .filter(|&v| m.vertex_labels(v) == [Label(1)])
        .collect();
    assert_eq!(touched.len(), 1);
    assert_eq!(m.vertex_xy(touched[0]), [0.0, 0.0]);
    check(&m);
}

#[test]
fn parallel_and_missing_lines() {
    let mut m = unit_square(Kernel::Filtered);
    let f = only_face(&m);
    let out = m.add_line(line(1.0, 0.0, 5.0)); // u = -5
    assert_eq!(
        m.cut_face(f, out, Label(0)).unwrap(),
        CutOutcome::Missed {
            side: Sign::Positive
        }
    );
    let a = m.add_line(line(1.0, 0.0, -0.25));
    let b = m.add_line(line(2.0, 0.0, -1.5)); // u = 3/4, parallel to a
    m.insert_line(a, Label(1)).unwrap();
    m.insert_line(b, Label(2)).unwrap();
    assert_eq!(m.num_faces(), 3);
    // Constant and zero lines.
    let c = m.add_line(line(0.0, 0.0, -1.0));
    let z = m.add_line(line(0.0, 0.0, 0.0));
    for f in m.faces().collect::<Vec<_>>() {
        assert_eq!(
            m.cut_face(f, c, Label(3)).unwrap(),
            CutOutcome::Missed {
                side: Sign::Negative
            }
        );
        assert_eq!(
            m.cut_face(f, z, Label(4)).unwrap(),
            CutOutcome::Missed { side: Sign::Zero }
        );
    }
    // The zero line labels no edge.
    assert!(m.edges().all(|h| !m.edge_labels(h).contains(&Label(4))));
    check(&m);
}

#[test]
fn duplicated_lines_cut_once_and_label_twice() {
    let mut m = unit_square(Kernel::Filtered);
    let a = m.add_line(line(1.0, 1.0, -1.0));
    let b = m.add_line(line(-3.0, -3.0, 3.0)); // same line, other scale and orientation
    m.insert_line(a, Label(0)).unwrap();
    assert_eq!(m.insert_line(b, Label(1)).unwrap(), 0);
    assert_eq!(m.num_faces(), 2);
    let both = m
        .edges()
        .filter(|&h| m.edge_labels(h) == [Label(0), Label(1)])
        .count();
    assert_eq!(both, 1);
    check(&m);
}

/// Many zero sets through one vertex and along one edge: the label sets
/// (inline up to four, then on the heap) stay sorted and complete.
#[test]
fn many_labels_on_one_vertex_and_one_edge() {
    for kernel in [Kernel::Filtered, Kernel::Rational] {
        let mut m = unit_square(kernel);
        // Six lines through the centre (1/2, 1/2), labels 0..6.
        let through = [
            line(1.0, 0.0, -0.5),
            line(0.0, 1.0, -0.5),
            line(1.0, -1.0, 0.0),
            line(1.0, 1.0, -1.0),
            line(2.0, -1.0, -0.5),
            line(1.0, -2.0, 0.5),
        ];
        for (k, l) in through.into_iter().enumerate() {
            let id = m.add_line(l);
            m.insert_line(id, Label(k as u32)).unwrap();
        }
        // The first line five more times (labels 10..15), scaled.
        for k in 10..15u32 {
            let s = f64::from(k);
            let id = m.add_line(line(s, 0.0, -0.5 * s));
            assert_eq!(m.insert_line(id, Label(k)).unwrap(), 0);
        }
        assert_eq!(m.num_faces(), 12);
        let centre: Vec<_> = m
            .vertices()
            .filter(|&v| m.vertex_xy(v) == [0.5, 0.5])
            .collect();
        assert_eq!(centre.len(), 1);
        let want: Vec<Label> = (0..6).chain(10..15).map(Label).collect();
        assert_eq!(m.vertex_labels(centre[0]), want.as_slice());
        // The two halves of the line u = 1/2 carry its six labels.
        let on_first: Vec<Label> = [0].into_iter().chain(10..15).map(Label).collect();
        let along = m
            .edges()
            .filter(|&h| m.edge_labels(h) == on_first.as_slice())
            .count();
        assert_eq!(along, 2);
        check(&m);
    }
}

#[test]
fn shared_edge_is_split_once_and_neighbour_sees_the_vertex() {
    let mut m = unit_square(Kernel::Filtered);
    let a = m.add_line(line(1.0, 0.0, -0.5)); // u = 1/2
    m.insert_line(a, Label(0)).unwrap();
    let faces: Vec<_> = m.faces().collect();
    // Cut only the left face by v = 1/2 ... then a different line for the
    // same label in the right face through the same point (1/2, 1/2), as a
    // network's neighbouring affine map would give.
    let left = faces
        .iter()
        .copied()
        .find(|&f| m.face_vertices(f).any(|v| m.vertex_xy(v) == [0.0, 0.0]))
        .unwrap();
    let right = faces.iter().copied().find(|&f| f != left).unwrap();
    let l_left = m.add_line(line(0.0, 1.0, -0.5));
    m.cut_face(left, l_left, Label(9)).unwrap();
    let v_before = m.num_vertices();
    // The right face now has 5 vertices: the crossing on the shared edge.
    assert_eq!(m.face_vertices(right).count(), 5);
    // v - 1/2 = (u - 1/2) * 1/2  <=>  -0.5u + v - 0.25 = 0, through (1/2, 1/2).
    let l_right = m.add_line(line(-0.5, 1.0, -0.25));
    assert!(matches!(
        m.cut_face(right, l_right, Label(9)).unwrap(),
        CutOutcome::Split { .. }
    ));
    // One new vertex on the right side u = 1, none on the shared edge.
    assert_eq!(m.num_vertices(), v_before + 1);
    assert_eq!(m.num_faces(), 4);
    check(&m);
}

#[test]
fn bad_polygons_are_refused_with_a_reason() {
    let k = Kernel::Filtered;
    let cases: Vec<Vec<[f64; 2]>> = vec![
        vec![[0.0, 0.0], [1.0, 0.0]],
        vec![[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]],
        vec![[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
        vec![[0.0, 0.0], [2.0, 0.0], [0.5, 0.5], [0.0, 2.0]],
        vec![[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]],
        vec![[0.0, 0.0], [f64::NAN, 0.0], [0.0, 1.0]],
        vec![[0.0, 0.0], [1.0, 0.0], [1.0, f64::INFINITY]],
    ];
    for c in cases {
        match Mesh::from_convex_polygon(&c, k) {
            Err(MeshError::BadPolygon(msg)) => assert!(!msg.is_empty()),
            other => panic!("{c:?} gave {other:?}"),
        }
    }
    // Clockwise input is accepted and stored counter-clockwise.
    let m = Mesh::from_convex_polygon(&[[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]], k).unwrap();
    assert_eq!(m.total_area_exact(), Rational::from((1, 2)));
    m.validate().unwrap();
}

#[test]
fn exact_rational_polygon() {
    let p = |x: (i32, u32), y: (i32, u32)| (Rational::from(x), Rational::from(y));
    let tri = [
        p((-1, 10), (-1, 10)),
        p((11, 10), (-1, 10)),
        p((-1, 10), (11, 10)),
    ];
    let mut m = Mesh::from_convex_polygon_exact(&tri, Kernel::Filtered).unwrap();
    assert_eq!(m.total_area_exact(), Rational::from((72, 100)));
    let l = m.add_line(Line::from_rationals([
        1.into(),
        1.into(),
        Rational::from((-1, 1)),
    ]));
    m.insert_line(l, Label(0)).unwrap();
    check(&m);
}

/// Merging every face back gives the original square: edges removed,
/// vertices left on straight sides dissolved, tombstones compacted.
#[test]
fn merging_everything_restores_the_square() {
    let mut m = unit_square(Kernel::Filtered);
    let lines = [
        line(1.0, 0.0, -0.5),
        line(0.0, 1.0, -0.5),
        line(1.0, 1.0, -1.0), // through the centre crossing
        line(1.0, -1.0, 0.25),
    ];
    for (i, l) in lines.into_iter().enumerate() {
        let id = m.add_line(l);
        m.insert_line(id, Label(i as u32)).unwrap();
    }
    check(&m);
    assert!(m.num_faces() > 6);
    let inner: Vec<_> = m
        .edges()
        .filter(|&h| m.face(h) != FaceId::OUTER && m.face(h.twin()) != FaceId::OUTER)
        .collect();
    let merges = m.merge_across(&inner, |_, _| true).unwrap();
    assert!(!merges.is_empty());
    let remap = m.compact();
    assert_eq!(remap.faces.iter().flatten().count(), 2); // outer + one
    assert_eq!((m.num_vertices(), m.num_edges(), m.num_faces()), (4, 4, 1));
    check(&m);
}

/// Merging only some faces keeps the others and a valid mesh.
#[test]
fn merging_two_halves_of_a_strip() {
    let mut m = unit_square(Kernel::Filtered);
    let a = m.add_line(line(1.0, 0.0, -0.5)); // u = 1/2
    m.insert_line(a, Label(0)).unwrap();
    let b = m.add_line(line(0.0, 1.0, -0.5)); // v = 1/2
    m.insert_line(b, Label(1)).unwrap();
    assert_eq!(m.num_faces(), 4);
    // Merge across v = 1/2 only where u < 1/2.
    let left_cut: Vec<_> = m
        .edges()
        .filter(|&h| {
            m.edge_labels(h) == [Label(1)]
                && m.vertex_xy(m.origin(h))[0] + m.vertex_xy(m.dest(h))[0] < 1.0
        })
        .collect();
    assert_eq!(left_cut.len(), 1);
    m.merge_across(&left_cut, |_, _| true).unwrap();
    m.compact();
    assert_eq!(m.num_faces(), 3);
    // The centre vertex (1/2, 1/2) stays: three edges meet there.
    check(&m);
}

/// The batched signs of one line at many vertices equal the one-by-one
/// signs (and leave the same zero-set records), on degenerate input: lines
/// through existing vertices, a line parallel to a side, a duplicated line,
/// a line with rounding in it, under both kernels.
#[test]
fn batched_vertex_signs_equal_single_ones() {
    for kernel in [Kernel::Filtered, Kernel::Rational] {
        let mut m = unit_square(kernel);
        // A grid of cuts, so that vertices lie on several lines.
        for (k, l) in [
            line(1.0, 0.0, -0.5),
            line(0.0, 1.0, -0.5),
            line(1.0, -1.0, 0.0),
            line(1.0, 1.0, -1.0),
        ]
        .into_iter()
        .enumerate()
        {
            let id = m.add_line(l);
            let faces: Vec<FaceId> = m.faces().collect();
            for f in faces {
                m.cut_face(f, id, Label(k as u32)).unwrap();
            }
        }
        check(&m);
        let probes = [
            line(1.0, 0.0, -0.5),        // the same line as a cut (zero on it)
            line(1.0, -1.0, 0.0),        // through the centre and two corners
            line(0.0, 1.0, -1.0),        // along the top side
            line(1.0, 2.0, -1.5),        // through (1/2, 1/2) and (1, 1/4)
            line(1.0 / 3.0, 1.0, -0.25), // rounding in it
            line(0.0, 0.0, 1.0),         // no zero anywhere
        ];
        let verts: Vec<_> = m.vertices().collect();
        for (k, l) in probes.into_iter().enumerate() {
            let label = Label(10 + k as u32);
            let mut one = m.clone();
            let mut many = m.clone();
            let id = one.add_line(l.clone());
            assert_eq!(many.add_line(l), id);
            let singles: Vec<Sign> = verts
                .iter()
                .map(|&v| one.side_of_vertex(v, id, label))
                .collect();
            let mut batched = Vec::new();
            many.sides_of_vertices(&verts, id, label, |_, s| batched.push(s));
            assert_eq!(singles, batched, "line {k}, {kernel:?}");
            for &v in &verts {
                assert_eq!(one.vertex_labels(v), many.vertex_labels(v));
            }
            assert_eq!(one.stats(), many.stats());
        }
    }
}

#[test]
fn huge_coefficients_still_give_finite_vertices_within_their_radius() {
    // Coefficients near 1e300: the f64 crossing overflows (1e300 · 1e300),
    // so new vertices are rounded from their exact crossing instead.
    for kernel in [Kernel::Filtered, Kernel::Rational] {
        let mut m = unit_square(kernel);
        let f = only_face(&m);
        let a = m.add_line(line(1e300, 1e300, -1e300)); // u + v = 1
        m.cut_face(f, a, Label(0)).unwrap();
        let b = m.add_line(line(3e300, -1e300, -1e300)); // 3u - v = 1
        for g in m.faces().collect::<Vec<_>>() {
            m.cut_face(g, b, Label(1)).unwrap();
        }
        assert_eq!(m.num_faces(), 4);
        for v in m.vertices() {
            let [x, y] = m.vertex_xy(v);
            let r = m.vertex_radius(v);
            assert!(x.is_finite() && y.is_finite() && r.is_finite(), "{v:?}");
            let (ex, ey) = m.vertex_exact(v).unwrap();
            let near = |c: f64, e: &Rational| (Rational::from_f64(c).unwrap() - e).abs() <= r;
            assert!(
                near(x, &ex) && near(y, &ey),
                "{v:?} is not within {r} of its exact point"
            );
        }
        check(&m);
    }
}
