//! Fuzz target: arbitrary bytes -> a convex polygon and a line set (with
//! many degeneracies); every cut must leave a valid mesh, and the filtered
//! and rational kernels must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use splinecam::exact::Kernel;
use splinecam::strategies::ArrangementCase;

fuzz_target!(|data: &[u8]| {
    let case = ArrangementCase::from_bytes(data);
    let fast = case.check_each_insertion(Kernel::Filtered);
    let exact = case.check_each_insertion(Kernel::Rational);
    match (fast, exact) {
        (Ok(a), Ok(b)) => assert_eq!(a.vertices_exact(), b.vertices_exact(), "{case:?}"),
        (a, b) => panic!("{case:?}: filtered {:?}, rational {:?}", a.err(), b.err()),
    }
});
