//! Micro-benchmarks of the exact kernel: one filtered sign test, one face
//! cut, and the fallback rate on random and on degenerate inputs.
//!
//! Run: `cargo bench --bench kernel`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use splinecam::exact::predicates::{det2_sign, side_of_crossing};
use splinecam::exact::{Kernel, Line, PredicateStats};
use splinecam::mesh::{Label, Mesh};

fn random_line(rng: &mut ChaCha8Rng) -> Line {
    Line::from_f64(
        rng.gen_range(-1.0..1.0),
        rng.gen_range(-1.0..1.0),
        rng.gen_range(-0.5..0.5),
    )
    .unwrap()
}

/// A line with non-representable rational coefficients (err > 0), as the
/// partition engine produces.
fn random_rational_line(rng: &mut ChaCha8Rng) -> Line {
    let r = |rng: &mut ChaCha8Rng| {
        rug::Rational::from((
            rng.gen_range(-1000i64..1000),
            rng.gen_range(1u64..999) * 2 + 1,
        ))
    };
    Line::from_rationals([r(rng), r(rng), r(rng)])
}

fn sign_tests(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let triples: Vec<(Line, Line, Line)> = (0..1024)
        .map(|_| {
            (
                random_line(&mut rng),
                random_line(&mut rng),
                random_line(&mut rng),
            )
        })
        .collect();
    let mut st = PredicateStats::default();
    let d2s: Vec<_> = triples
        .iter()
        .map(|(a, b, _)| det2_sign(Kernel::Filtered, a, b, &mut st))
        .collect();
    c.bench_function("side_of_crossing filtered (f64 lines), per call", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & 1023;
            let (l1, l2, l3) = &triples[i];
            side_of_crossing(Kernel::Filtered, l1, l2, d2s[i], black_box(l3), &mut st)
        })
    });
    let rtriples: Vec<(Line, Line, Line)> = (0..1024)
        .map(|_| {
            (
                random_rational_line(&mut rng),
                random_rational_line(&mut rng),
                random_rational_line(&mut rng),
            )
        })
        .collect();
    let rd2s: Vec<_> = rtriples
        .iter()
        .map(|(a, b, _)| det2_sign(Kernel::Filtered, a, b, &mut st))
        .collect();
    c.bench_function(
        "side_of_crossing filtered (rational lines), per call",
        |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) & 1023;
                let (l1, l2, l3) = &rtriples[i];
                side_of_crossing(Kernel::Filtered, l1, l2, rd2s[i], black_box(l3), &mut st)
            })
        },
    );
    c.bench_function("side_of_crossing exact integers, per call", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & 1023;
            let (l1, l2, l3) = &rtriples[i];
            side_of_crossing(Kernel::Rational, l1, l2, rd2s[i], black_box(l3), &mut st)
        })
    });
}

/// A mesh with ~`n` random lines inserted, for cutting.
fn mesh_with_lines(n: usize, rng: &mut ChaCha8Rng) -> Mesh {
    let mut m = Mesh::from_convex_polygon(
        &[[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]],
        Kernel::Filtered,
    )
    .unwrap();
    for i in 0..n {
        let id = m.add_line(random_line(rng));
        m.insert_line(id, Label(i as u32)).unwrap();
    }
    m
}

fn cuts(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let base = mesh_with_lines(30, &mut rng);
    let faces: Vec<_> = base.faces().collect();
    let lines: Vec<Line> = (0..64).map(|_| random_line(&mut rng)).collect();
    c.bench_function(
        &format!(
            "64 cut_face calls on a {}-face mesh (clone excluded)",
            faces.len()
        ),
        |b| {
            b.iter_batched(
                || base.clone(),
                |mut m| {
                    // Cut 64 faces with 64 lines; report per-cut time by dividing.
                    for (k, l) in lines.iter().enumerate() {
                        let id = m.add_line(l.clone());
                        black_box(
                            m.cut_face(faces[k % faces.len()], id, Label(1000 + k as u32))
                                .unwrap(),
                        );
                    }
                    m
                },
                criterion::BatchSize::LargeInput,
            )
        },
    );
    c.bench_function(
        "insert 100 random lines into a square (whole arrangement)",
        |b| {
            b.iter(|| {
                let mut rng = ChaCha8Rng::seed_from_u64(3);
                black_box(mesh_with_lines(100, &mut rng).num_faces())
            })
        },
    );
}

fn fallback_rates() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let m = mesh_with_lines(200, &mut rng);
    let st = m.stats();
    println!(
        "fallback rate, 200 random f64 lines ({} faces): {:.4}% of {} sign tests (adaptive {}, exact {})",
        m.num_faces(),
        100.0 * st.fallback_rate(),
        st.total(),
        st.adaptive,
        st.exact
    );
    // Quantized weights: integer-grid lines (many concurrent/parallel).
    let mut m = Mesh::from_convex_polygon(
        &[[-4.0, -4.0], [4.0, -4.0], [4.0, 4.0], [-4.0, 4.0]],
        Kernel::Filtered,
    )
    .unwrap();
    for i in 0..200u32 {
        let l = Line::from_f64(
            rng.gen_range(-3..=3) as f64,
            rng.gen_range(-3..=3) as f64,
            rng.gen_range(-6..=6) as f64,
        )
        .unwrap();
        let id = m.add_line(l);
        m.insert_line(id, Label(i)).unwrap();
    }
    let st = m.stats();
    println!(
        "fallback rate, 200 integer-grid lines ({} faces): {:.4}% of {} sign tests (adaptive {}, exact {})",
        m.num_faces(),
        100.0 * st.fallback_rate(),
        st.total(),
        st.adaptive,
        st.exact
    );
}

fn all(c: &mut Criterion) {
    fallback_rates();
    sign_tests(c);
    cuts(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
