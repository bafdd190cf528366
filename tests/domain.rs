//! Tests of `splinecam::domain`: each constructor's result and each refusal.

use rug::Rational;
use splinecam::domain::{Slice, SliceError};
use splinecam::exact::Kernel;

const PROP_1: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/models/acasxu/prop_1.vnnlib"
);

fn q(x: f64) -> Rational {
    Rational::from_f64(x).expect("finite")
}

fn exact(xs: &[f64]) -> Vec<Rational> {
    xs.iter().map(|&x| q(x)).collect()
}

fn r(n: i64, d: i64) -> Rational {
    Rational::from((n, d))
}

/// Checks the invariants every slice has.
fn check_common(s: &Slice) {
    let n = s.input_len();
    assert_eq!(n, s.input_shape().iter().product::<usize>());
    assert_eq!(s.origin().len(), n);
    assert_eq!(s.e1().len(), n);
    assert_eq!(s.e2().len(), n);
    // Counter-clockwise, positive area, mesh builds with the same area.
    assert!(s.area_exact() > 0);
    let m = s.mesh(Kernel::Filtered).expect("mesh");
    assert_eq!(m.total_area_exact(), s.area_exact());
    m.validate().expect("valid mesh");
    let m = s.mesh(Kernel::Rational).expect("mesh");
    assert_eq!(m.total_area_exact(), s.area_exact());
    // The f64 accessors agree with the exact ones.
    assert_eq!(
        s.polygon_f64(),
        s.polygon()
            .iter()
            .map(|(u, v)| [u.to_f64(), v.to_f64()])
            .collect::<Vec<_>>()
    );
    let g = s.gram_exact();
    assert_eq!(g[0][1], g[1][0]);
    let gf = s.gram_f64();
    assert_eq!(gf[0][0], g[0][0].to_f64());
    // Forms.
    let fe = s.input_form_exact();
    assert_eq!(fe.len(), n);
    let (u, v) = (r(1, 3), r(-2, 7));
    assert_eq!(fe.eval(&u, &v), s.point_exact(&u, &v));
    let ff = s.input_form_f64();
    assert_eq!(ff.len(), n);
    for k in 0..n {
        assert_eq!(ff.u()[k], s.e1()[k].to_f64());
        assert_eq!(ff.v()[k], s.e2()[k].to_f64());
        assert_eq!(ff.c()[k], s.origin()[k].to_f64());
    }
}

/// All three slice vectors are exact floats, so the f64 form has no error.
fn assert_error_free(s: &Slice) {
    let f = s.input_form_f64();
    assert!(
        f.err_u()
            .iter()
            .chain(f.err_v().iter())
            .chain(f.err_c().iter())
            .all(|&e| e == 0.0),
        "{f:?}"
    );
}

fn msg(e: SliceError) -> String {
    e.to_string()
}

fn assert_refused(res: Result<Slice, SliceError>, words: &[&str]) {
    match res {
        Ok(s) => panic!("accepted: {s:?}"),
        Err(e) => {
            let m = msg(e);
            for w in words {
                assert!(m.contains(w), "message {m:?} lacks {w:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// square_box

#[test]
fn square_box_shape() {
    let s = Slice::square_box(&[1, 2], [-1.0, 3.0, 0.25, 0.75]).unwrap();
    check_common(&s);
    assert_error_free(&s);
    assert_eq!(s.input_shape(), &[1, 2]);
    assert_eq!(s.origin(), &[Rational::new(), Rational::new()][..]);
    assert_eq!(s.e1(), &[Rational::from(1), Rational::new()][..]);
    assert_eq!(s.e2(), &[Rational::new(), Rational::from(1)][..]);
    assert_eq!(s.area_exact(), 2);
    assert_eq!(
        s.polygon_f64(),
        vec![[-1.0, 0.25], [3.0, 0.25], [3.0, 0.75], [-1.0, 0.75]]
    );
    assert!(s.anchors().is_empty());
    assert_eq!(s.gram_f64(), [[1.0, 0.0], [0.0, 1.0]]);
    assert_eq!(s.point_f64(0.5, 0.3), vec![0.5, 0.3]);
    // A box of non-dyadic bounds: area exact in the dyadic values.
    let s = Slice::square_box(&[2], [0.0, 0.1, 0.0, 0.3]).unwrap();
    assert_eq!(s.area_exact(), q(0.1) * q(0.3));
}

#[test]
fn square_box_refuses_wrong_input_length() {
    assert_refused(
        Slice::square_box(&[3], [0.0, 1.0, 0.0, 1.0]),
        &["exactly 2 inputs", "has 3", "through samples"],
    );
    assert_refused(
        Slice::square_box(&[1, 28, 28], [0.0, 1.0, 0.0, 1.0]),
        &["784"],
    );
    assert_refused(
        Slice::square_box(&[0], [0.0, 1.0, 0.0, 1.0]),
        &["no inputs"],
    );
    assert_refused(
        Slice::square_box(&[usize::MAX, 2], [0.0, 1.0, 0.0, 1.0]),
        &["overflows"],
    );
}

#[test]
fn square_box_refuses_non_finite() {
    assert_refused(
        Slice::square_box(&[2], [0.0, f64::INFINITY, 0.0, 1.0]),
        &["x1", "finite"],
    );
    assert_refused(
        Slice::square_box(&[2], [0.0, 1.0, f64::NAN, 1.0]),
        &["y0", "NaN", "finite"],
    );
}

#[test]
fn square_box_refuses_empty_intervals() {
    assert_refused(
        Slice::square_box(&[2], [1.0, 1.0, 0.0, 1.0]),
        &["x0 = 1", "less than x1 = 1"],
    );
    assert_refused(
        Slice::square_box(&[2], [0.0, 1.0, 2.0, -2.0]),
        &["y0 = 2", "less than y1 = -2"],
    );
}

// ---------------------------------------------------------------------------
// through_points

#[test]
fn through_points_shape() {
    let p0 = [0.1, 0.2, 0.3, 0.4];
    let p1 = [0.7, -0.2, 0.3, 1e-300];
    let p2 = [0.1, 0.2, 5.5, 0.4];
    let s = Slice::through_points(&[1, 4], &p0, &p1, &p2, 0.0).unwrap();
    check_common(&s);
    // Exact differences.
    let e1: Vec<Rational> = p1.iter().zip(&p0).map(|(a, b)| q(*a) - q(*b)).collect();
    assert_eq!(s.e1(), &e1[..]);
    assert_eq!(s.origin(), &exact(&p0)[..]);
    // The anchors are the corners of the unit triangle and map to the samples exactly.
    let anchors = s.anchors().to_vec();
    assert_eq!(
        anchors,
        vec![(r(0, 1), r(0, 1)), (r(1, 1), r(0, 1)), (r(0, 1), r(1, 1))]
    );
    for ((u, v), p) in anchors.iter().zip([&p0, &p1, &p2]) {
        assert_eq!(s.point_exact(u, v), exact(p));
    }
    assert_eq!(s.polygon(), &anchors[..]);
    assert_eq!(s.area_exact(), r(1, 2));
    // e1 = p1 - p0 is not an exact float here: the f64 form carries errors,
    // but the exact form is exact.
    let f = s.input_form_f64();
    assert!(f.err_u().iter().any(|&e| e > 0.0));
    assert!(f.err_c().iter().all(|&e| e == 0.0));
}

#[test]
fn through_points_margin_grows_about_centroid() {
    let s = Slice::through_points(&[2], &[0.0, 0.0], &[1.0, 0.0], &[0.0, 1.0], 0.5).unwrap();
    check_common(&s);
    assert_error_free(&s);
    // Scale 3/2 about (1/3, 1/3): (0,0) -> (-1/6, -1/6), (1,0) -> (4/3, -1/6), (0,1) -> (-1/6, 4/3).
    assert_eq!(
        s.polygon(),
        &[
            (r(-1, 6), r(-1, 6)),
            (r(4, 3), r(-1, 6)),
            (r(-1, 6), r(4, 3))
        ][..]
    );
    assert_eq!(s.area_exact(), r(9, 8));
    // Centroid fixed; anchors unchanged.
    assert_eq!(s.anchors().len(), 3);
    // A non-dyadic margin is used exactly as its dyadic value.
    let s = Slice::through_points(&[2], &[0.0, 0.0], &[1.0, 0.0], &[0.0, 1.0], 0.1).unwrap();
    let k = q(0.1) + 1u32;
    assert_eq!(s.area_exact(), Rational::from(&k * &k) / 2u32);
}

#[test]
fn through_points_refuses_wrong_lengths() {
    assert_refused(
        Slice::through_points(&[3], &[0.0; 3], &[1.0, 0.0], &[0.0, 1.0, 0.0], 0.0),
        &["p1 has 2 entries", "3 inputs"],
    );
    assert_refused(
        Slice::through_points(&[1], &[0.0], &[1.0], &[2.0], 0.0),
        &["at least 2 inputs"],
    );
}

#[test]
fn through_points_refuses_non_finite() {
    assert_refused(
        Slice::through_points(&[2], &[0.0, f64::NAN], &[1.0, 0.0], &[0.0, 1.0], 0.0),
        &["p0[1]", "finite"],
    );
    assert_refused(
        Slice::through_points(
            &[2],
            &[0.0, 0.0],
            &[1.0, 0.0],
            &[f64::NEG_INFINITY, 1.0],
            0.0,
        ),
        &["p2[0]", "finite"],
    );
}

#[test]
fn through_points_refuses_bad_margin() {
    let (a, b, c) = ([0.0, 0.0], [1.0, 0.0], [0.0, 1.0]);
    assert_refused(
        Slice::through_points(&[2], &a, &b, &c, -0.1),
        &["margin", ">= 0"],
    );
    assert_refused(
        Slice::through_points(&[2], &a, &b, &c, f64::NAN),
        &["margin", "finite"],
    );
    assert_refused(
        Slice::through_points(&[2], &a, &b, &c, f64::INFINITY),
        &["margin", "finite"],
    );
}

#[test]
fn through_points_refuses_collinear_and_coincident() {
    let p0 = [0.0, 0.0, 0.0];
    assert_refused(
        Slice::through_points(&[3], &p0, &[1.0, 2.0, 3.0], &[-2.0, -4.0, -6.0], 0.0),
        &["collinear"],
    );
    assert_refused(
        Slice::through_points(&[3], &p0, &p0, &[1.0, 0.0, 0.0], 0.0),
        &["p0 and p1 are the same point"],
    );
    assert_refused(
        Slice::through_points(&[3], &p0, &[1.0, 0.0, 0.0], &p0, 0.0),
        &["p0 and p2 are the same point"],
    );
    assert_refused(
        Slice::through_points(&[3], &p0, &[1.0, 0.5, 0.0], &[1.0, 0.5, 0.0], 0.0),
        &["p1 and p2 are the same point"],
    );
    // Collinear exactly, with non-dyadic coordinates.
    assert_refused(
        Slice::through_points(&[2], &[0.1, 0.1], &[0.2, 0.2], &[0.3, 0.3], 0.0),
        &["collinear"],
    );
}

#[test]
fn through_points_nearly_collinear_is_accepted() {
    // p2 is one ulp off the line through p0 and p1: not collinear, exactly.
    let y = 2.0f64.next_up();
    let s = Slice::through_points(&[2], &[0.0, 0.0], &[1.0, 1.0], &[2.0, y], 0.0).unwrap();
    check_common(&s);
    assert_error_free(&s);
}

// ---------------------------------------------------------------------------
// explicit

#[test]
fn explicit_shape() {
    let o = [1.0, 2.0, 3.0];
    let e1 = [0.5, 0.0, 0.0];
    let e2 = [0.0, 0.25, 0.25];
    // Clockwise pentagon: stored counter-clockwise.
    let poly = [
        [0.0, 1.0],
        [1.0, 0.5],
        [1.0, -0.5],
        [0.0, -1.0],
        [-1.0, 0.0],
    ];
    let s = Slice::explicit(&[3], &o, &e1, &e2, &poly).unwrap();
    check_common(&s);
    assert_error_free(&s);
    let mut rev = poly.to_vec();
    rev.reverse();
    assert_eq!(s.polygon_f64(), rev);
    assert_eq!(s.area_exact(), r(5, 2));
    assert!(s.anchors().is_empty());
    assert_eq!(s.point_exact(&r(2, 1), &r(4, 1)), exact(&[2.0, 3.0, 4.0]));
    assert_eq!(s.point_f64(2.0, 4.0), vec![2.0, 3.0, 4.0]);
    let g = s.gram_exact();
    assert_eq!(g, [[r(1, 4), r(0, 1)], [r(0, 1), r(1, 8)]]);
}

#[test]
fn explicit_refuses_dependent_directions() {
    let poly = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
    let o = [0.0; 3];
    assert_refused(
        Slice::explicit(&[3], &o, &[0.0; 3], &[1.0, 0.0, 0.0], &poly),
        &["e1 is the zero vector", "independent"],
    );
    assert_refused(
        Slice::explicit(&[3], &o, &[1.0, 0.0, 0.0], &[-0.0; 3], &poly),
        &["e2 is the zero vector"],
    );
    assert_refused(
        Slice::explicit(&[3], &o, &[0.1, 0.2, 0.3], &[0.2, 0.4, 0.6], &poly),
        &["parallel"],
    );
}

#[test]
fn explicit_refuses_bad_polygons() {
    let (o, e1, e2) = ([0.0; 2], [1.0, 0.0], [0.0, 1.0]);
    assert_refused(
        Slice::explicit(&[2], &o, &e1, &e2, &[[0.0, 0.0], [1.0, 0.0]]),
        &["polygon", "at least 3"],
    );
    assert_refused(
        Slice::explicit(&[2], &o, &e1, &e2, &[]),
        &["polygon", "at least 3"],
    );
    assert_refused(
        Slice::explicit(&[2], &o, &e1, &e2, &[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]),
        &["polygon", "collinear"],
    );
    assert_refused(
        Slice::explicit(
            &[2],
            &o,
            &e1,
            &e2,
            &[[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
        ),
        &["polygon", "repeated"],
    );
    // Non-convex (an arrowhead) and self-intersecting (a bow tie).
    assert_refused(
        Slice::explicit(
            &[2],
            &o,
            &e1,
            &e2,
            &[[0.0, 0.0], [2.0, 1.0], [0.0, 2.0], [0.5, 1.0]],
        ),
        &["polygon", "not convex"],
    );
    assert_refused(
        Slice::explicit(
            &[2],
            &o,
            &e1,
            &e2,
            &[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]],
        ),
        &["polygon", "not convex"],
    );
    assert_refused(
        Slice::explicit(
            &[2],
            &o,
            &e1,
            &e2,
            &[[0.0, 0.0], [1.0, f64::NAN], [0.0, 1.0]],
        ),
        &["polygon corner 1", "finite"],
    );
}

#[test]
fn explicit_refuses_wrong_lengths_and_non_finite() {
    let poly = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
    assert_refused(
        Slice::explicit(
            &[2, 2],
            &[0.0; 4],
            &[1.0, 0.0, 0.0, 0.0],
            &[0.0, 1.0],
            &poly,
        ),
        &["e2 has 2 entries", "4 inputs", "[2, 2]"],
    );
    assert_refused(
        Slice::explicit(&[2], &[0.0; 3], &[1.0, 0.0], &[0.0, 1.0], &poly),
        &["origin has 3 entries"],
    );
    assert_refused(
        Slice::explicit(&[2], &[0.0, 0.0], &[f64::INFINITY, 0.0], &[0.0, 1.0], &poly),
        &["e1[0]", "finite"],
    );
}

// ---------------------------------------------------------------------------
// box_face and vnnlib_face

#[test]
fn box_face_shape() {
    let lo = [0.0, -1.0, 0.1, 2.0];
    let hi = [1.0, 1.0, 0.2, 2.0];
    let s = Slice::box_face(&[4], &lo, &hi, (2, 0)).unwrap();
    check_common(&s);
    // The centre is (lo + hi) / 2 exactly (0.1 + 0.2 is not rounded).
    let c: Vec<Rational> = lo
        .iter()
        .zip(&hi)
        .map(|(a, b)| (q(*a) + q(*b)) / 2u32)
        .collect();
    assert_eq!(s.origin(), &c[..]);
    assert_eq!(s.e1(), &exact(&[0.0, 0.0, 1.0, 0.0])[..]);
    assert_eq!(s.e2(), &exact(&[1.0, 0.0, 0.0, 0.0])[..]);
    assert_eq!(s.area_exact(), q(0.2) - q(0.1));
    // The polygon's corners map to the box's corners exactly.
    let corners: Vec<Vec<Rational>> = s
        .polygon()
        .iter()
        .map(|(u, v)| s.point_exact(u, v))
        .collect();
    assert_eq!(corners[0], exact(&[0.0, 0.0, 0.1, 2.0]));
    assert_eq!(corners[2], exact(&[1.0, 0.0, 0.2, 2.0]));
    assert_eq!(s.gram_f64(), [[1.0, 0.0], [0.0, 1.0]]);
    assert!(s.anchors().is_empty());
}

#[test]
fn box_face_refuses_bad_dims() {
    let (lo, hi) = ([0.0; 3], [1.0; 3]);
    assert_refused(
        Slice::box_face(&[3], &lo, &hi, (1, 1)),
        &["dims", "same input twice"],
    );
    assert_refused(
        Slice::box_face(&[3], &lo, &hi, (0, 3)),
        &["dims", "out of range", "below 3"],
    );
}

#[test]
fn box_face_refuses_bad_boxes() {
    assert_refused(
        Slice::box_face(&[3], &[0.0, 2.0, 0.0], &[1.0, 1.0, 1.0], (0, 2)),
        &["lo[1] = 2", "hi[1] = 1", "empty"],
    );
    assert_refused(
        Slice::box_face(&[3], &[0.0, 0.5, 0.0], &[1.0, 0.5, 1.0], (1, 2)),
        &["zero width in input 1"],
    );
    assert_refused(
        Slice::box_face(&[3], &[0.0, 0.0], &[1.0, 1.0, 1.0], (0, 1)),
        &["lo has 2 entries"],
    );
    assert_refused(
        Slice::box_face(&[3], &[0.0, 0.0, 0.0], &[1.0, f64::NAN, 1.0], (0, 1)),
        &["hi[1]", "finite"],
    );
}

#[test]
fn vnnlib_face_shape() {
    let s = Slice::vnnlib_face(&[1, 1, 1, 5], PROP_1, (0, 3)).unwrap();
    check_common(&s);
    assert_eq!(s.input_len(), 5);
    // Centre of X_0 in [0.6, 0.679857769] and X_3 in [0.45, 0.5], exactly.
    assert_eq!(s.origin()[0], (q(0.6) + q(0.679857769)) / 2u32);
    assert_eq!(s.origin()[4], (q(-0.5) + q(-0.45)) / 2u32);
    assert_eq!(
        s.area_exact(),
        (q(0.679857769) - q(0.6)) * (q(0.5) - q(0.45))
    );
    let corners: Vec<Vec<Rational>> = s
        .polygon()
        .iter()
        .map(|(u, v)| s.point_exact(u, v))
        .collect();
    assert_eq!(corners[0][0], q(0.6));
    assert_eq!(corners[0][3], q(0.45));
    assert_eq!(corners[2][0], q(0.679857769));
    assert_eq!(corners[2][3], q(0.5));
}

#[test]
fn vnnlib_face_refuses() {
    assert_refused(
        Slice::vnnlib_face(&[5], "/nonexistent/prop.vnnlib", (0, 1)),
        &["VNN-LIB", "/nonexistent/prop.vnnlib"],
    );
    assert_refused(
        Slice::vnnlib_face(&[1, 1, 1, 6], PROP_1, (0, 1)),
        &["declares 5 inputs", "has 6"],
    );
    assert_refused(Slice::vnnlib_face(&[5], PROP_1, (0, 5)), &["out of range"]);
}

// ---------------------------------------------------------------------------
// square_around

#[test]
fn square_around_shape() {
    let anchor = [0.3, -0.2, 0.1, 0.9, 0.0];
    let s = Slice::square_around(&[5], &anchor, 0.25, 42).unwrap();
    check_common(&s);
    assert_error_free(&s);
    assert_eq!(s.origin(), &exact(&anchor)[..]);
    assert_eq!(s.area_exact(), r(1, 4));
    assert_eq!(s.anchors(), &[(r(0, 1), r(0, 1))][..]);
    assert_eq!(s.point_exact(&r(0, 1), &r(0, 1)), exact(&anchor));
    let g = s.gram_f64();
    assert!((g[0][0] - 1.0).abs() < 1e-12, "{g:?}");
    assert!((g[1][1] - 1.0).abs() < 1e-12, "{g:?}");
    assert!(g[0][1].abs() < 1e-12, "{g:?}");
    // Deterministic in the seed, different across seeds.
    assert_eq!(s, Slice::square_around(&[5], &anchor, 0.25, 42).unwrap());
    assert_ne!(s, Slice::square_around(&[5], &anchor, 0.25, 43).unwrap());
    // Works for two inputs too.
    let s2 = Slice::square_around(&[2], &[0.0, 0.0], 1.0, 0).unwrap();
    check_common(&s2);
    assert_eq!(s2.area_exact(), 4);
}

#[test]
fn square_around_refuses() {
    assert_refused(
        Slice::square_around(&[1], &[0.0], 1.0, 0),
        &["at least 2 inputs"],
    );
    assert_refused(
        Slice::square_around(&[3], &[0.0; 3], 0.0, 0),
        &["pad", "> 0"],
    );
    assert_refused(
        Slice::square_around(&[3], &[0.0; 3], -1.0, 0),
        &["pad", "> 0"],
    );
    assert_refused(
        Slice::square_around(&[3], &[0.0; 3], f64::NAN, 0),
        &["pad", "finite"],
    );
    assert_refused(
        Slice::square_around(&[3], &[0.0; 2], 1.0, 0),
        &["anchor has 2 entries"],
    );
    assert_refused(
        Slice::square_around(&[3], &[0.0, f64::INFINITY, 0.0], 1.0, 0),
        &["anchor[1]", "finite"],
    );
}

// ---------------------------------------------------------------------------
// through_two

#[test]
fn through_two_shape() {
    let a = [0.1, 0.2, 0.3, 0.4];
    let b = [0.5, -0.2, 0.3, 1.4];
    let s = Slice::through_two(&[2, 2], &a, &b, 0.25, 9).unwrap();
    check_common(&s);
    assert_eq!(s.origin(), &exact(&a)[..]);
    let e1: Vec<Rational> = b.iter().zip(&a).map(|(x, y)| q(*x) - q(*y)).collect();
    assert_eq!(s.e1(), &e1[..]);
    // The anchors map to a and b exactly.
    assert_eq!(s.anchors(), &[(r(0, 1), r(0, 1)), (r(1, 1), r(0, 1))][..]);
    assert_eq!(s.point_exact(&r(0, 1), &r(0, 1)), exact(&a));
    assert_eq!(s.point_exact(&r(1, 1), &r(0, 1)), exact(&b));
    // P = [-1/4, 5/4] x [-3/4, 3/4].
    assert_eq!(
        s.polygon(),
        &[
            (r(-1, 4), r(-3, 4)),
            (r(5, 4), r(-3, 4)),
            (r(5, 4), r(3, 4)),
            (r(-1, 4), r(3, 4))
        ][..]
    );
    assert_eq!(s.area_exact(), r(9, 4));
    // e2 is orthogonal to e1 and as long, up to f64 rounding.
    let g = s.gram_f64();
    assert!((g[1][1] / g[0][0] - 1.0).abs() < 1e-12, "{g:?}");
    assert!(g[0][1].abs() < 1e-12 * g[0][0], "{g:?}");
    assert_eq!(s, Slice::through_two(&[2, 2], &a, &b, 0.25, 9).unwrap());
    // pad = 0 is allowed.
    let s0 = Slice::through_two(&[2], &[0.0, 0.0], &[1.0, 0.0], 0.0, 1).unwrap();
    check_common(&s0);
    assert_eq!(s0.area_exact(), 1);
    assert_error_free(&s0);
}

#[test]
fn through_two_extreme_scales() {
    // Far apart and very close: e2 still has |e1| and the slice is valid
    // (up to `MAX_EXTENT`; beyond it, a clear refusal).
    let s = Slice::through_two(&[2], &[-1e90, 0.0], &[1e90, 0.0], 0.1, 5).unwrap();
    check_common(&s);
    let g = s.gram_exact();
    let len2 = (q(1e90) * 2u32).square();
    assert_eq!(g[0][0], len2);
    assert!(g[1][1] > 0);
    let tiny = f64::from_bits(1);
    let s = Slice::through_two(&[2], &[0.0, 0.0], &[tiny, 0.0], 0.1, 5);
    // Either a valid slice or a clear refusal, never a panic.
    if let Err(e) = s {
        assert!(msg(e).contains("degenerate"));
    }
    assert_refused(
        Slice::through_two(&[2], &[-1e300, 0.0], &[1e300, 0.0], 0.1, 5),
        &["beyond 1e100"],
    );
    // |b - a| beyond the f64 range is refused.
    assert_refused(
        Slice::through_two(&[2], &[-f64::MAX, 0.0], &[f64::MAX, 0.0], 0.1, 5),
        &["f64"],
    );
}

#[test]
fn through_two_refuses() {
    assert_refused(
        Slice::through_two(&[3], &[0.5; 3], &[0.5; 3], 0.1, 0),
        &["a and b are the same point"],
    );
    assert_refused(
        Slice::through_two(&[3], &[0.0; 3], &[1.0; 3], -0.5, 0),
        &["pad", ">= 0"],
    );
    assert_refused(
        Slice::through_two(&[3], &[0.0; 3], &[1.0; 3], f64::INFINITY, 0),
        &["pad", "finite"],
    );
    assert_refused(
        Slice::through_two(&[3], &[0.0; 3], &[1.0; 4], 0.1, 0),
        &["b has 4 entries"],
    );
    assert_refused(
        Slice::through_two(&[1], &[0.0], &[1.0], 0.1, 0),
        &["at least 2 inputs"],
    );
    assert_refused(
        Slice::through_two(&[2], &[f64::NAN, 0.0], &[1.0, 0.0], 0.1, 0),
        &["a[0]", "finite"],
    );
}

// ---------------------------------------------------------------------------
// extent: slices whose f64 areas and lengths would overflow are refused

#[test]
fn slices_beyond_the_extent_limit_are_refused() {
    use splinecam::domain::MAX_EXTENT;
    assert_refused(
        Slice::square_box(&[2], [-1e160, 1e160, -1.0, 1.0]),
        &["polygon corner", "1e100", "smaller slice"],
    );
    // Within the limit in slice coordinates, beyond it in input space.
    assert_refused(
        Slice::explicit(
            &[3],
            &[0.0, 0.0, 0.0],
            &[1e90, 0.0, 0.0],
            &[0.0, 1.0, 0.0],
            &[[0.0, 0.0], [1e20, 0.0], [0.0, 1.0]],
        ),
        &["input 0", "1e100"],
    );
    assert_refused(
        Slice::through_points(&[2], &[0.0, 0.0], &[1e200, 0.0], &[0.0, 1.0], 0.0),
        &["1e100"],
    );
    let s = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    assert_refused(
        s.with_polygon(&[[0.0, 0.0], [2e100, 0.0], [0.0, 1.0]]),
        &["polygon corner 1 u"],
    );
    // The limit itself is allowed, and every f64 quantity stays finite.
    let big = Slice::square_box(&[2], [-MAX_EXTENT, MAX_EXTENT, -MAX_EXTENT, MAX_EXTENT]).unwrap();
    assert!(big.area_exact().to_f64().is_finite());
    check_common(&big);
}
