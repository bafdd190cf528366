//! Runs the fuzz target's check over its committed corpus
//! (`fuzz/corpus/cut_lines/`), so the default test command exercises it.

use splinecam::exact::Kernel;
use splinecam::strategies::ArrangementCase;

#[test]
fn fuzz_corpus_cut_lines() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/cut_lines");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("corpus folder") {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let case = ArrangementCase::from_bytes(&data);
        let fast = case
            .check_each_insertion(Kernel::Filtered)
            .unwrap_or_else(|e| panic!("{}: {e}\n{case:?}", path.display()));
        let exact = case.check_each_insertion(Kernel::Rational).unwrap();
        assert_eq!(
            fast.vertices_exact(),
            exact.vertices_exact(),
            "{}",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 20, "corpus has only {n} inputs");
}
