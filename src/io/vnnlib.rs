//! A small reader for the input boxes of VNN-LIB property files.
//!
//! Understands `(declare-const X_i Real)`, `(assert (<= X_i c))` and
//! `(assert (>= X_i c))` (also with the constant first); comments (`;`) are
//! skipped and every assertion that mentions an output `Y_j` is ignored.

use std::collections::BTreeMap;

/// Errors of the VNN-LIB reader.
#[derive(Debug, thiserror::Error)]
pub enum VnnlibError {
    /// Reading the file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Malformed text.
    #[error("VNN-LIB syntax error at byte {pos}: {msg}")]
    Syntax {
        /// Byte offset.
        pos: usize,
        /// What is wrong.
        msg: String,
    },
    /// A declared input lacks a lower or upper bound, or bounds are inconsistent.
    #[error("input X_{index}: {msg}")]
    Bound {
        /// Input index.
        index: usize,
        /// What is wrong.
        msg: String,
    },
}

/// Per-input bounds `[lo, hi]` of a VNN-LIB input box.
#[derive(Clone, Debug, PartialEq)]
pub struct InputBox {
    /// Lower bounds.
    pub lo: Vec<f64>,
    /// Upper bounds.
    pub hi: Vec<f64>,
}

impl InputBox {
    /// The box centre `(lo + hi) / 2` per input (rounded to nearest in f64).
    pub fn centre(&self) -> Vec<f64> {
        self.lo
            .iter()
            .zip(&self.hi)
            .map(|(a, b)| a / 2.0 + b / 2.0)
            .collect()
    }
    /// Number of inputs.
    pub fn len(&self) -> usize {
        self.lo.len()
    }
    /// Whether there are no inputs.
    pub fn is_empty(&self) -> bool {
        self.lo.is_empty()
    }
}

#[derive(Debug)]
enum Sexp {
    Atom(String),
    List(Vec<Sexp>, usize),
}

fn parse_all(text: &str) -> Result<Vec<Sexp>, VnnlibError> {
    let bytes = text.as_bytes();
    let mut stack: Vec<(Vec<Sexp>, usize)> = vec![(Vec::new(), 0)];
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b';' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' => {
                stack.push((Vec::new(), i));
                i += 1;
            }
            b')' => {
                let (list, pos) = stack.pop().ok_or(VnnlibError::Syntax {
                    pos: i,
                    msg: "unbalanced ')'".into(),
                })?;
                match stack.last_mut() {
                    Some(top) => top.0.push(Sexp::List(list, pos)),
                    _ => {
                        return Err(VnnlibError::Syntax {
                            pos: i,
                            msg: "unbalanced ')'".into(),
                        })
                    }
                }
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                while i < bytes.len()
                    && !bytes[i].is_ascii_whitespace()
                    && bytes[i] != b'('
                    && bytes[i] != b')'
                    && bytes[i] != b';'
                {
                    i += 1;
                }
                let atom = String::from_utf8_lossy(&bytes[start..i]).into_owned();
                if let Some(top) = stack.last_mut() {
                    top.0.push(Sexp::Atom(atom));
                }
            }
        }
    }
    if stack.len() != 1 {
        return Err(VnnlibError::Syntax {
            pos: bytes.len(),
            msg: "unbalanced '(' (truncated file?)".into(),
        });
    }
    Ok(stack.pop().map(|s| s.0).unwrap_or_default())
}

fn input_index(s: &str) -> Option<usize> {
    s.strip_prefix("X_").and_then(|r| r.parse().ok())
}

fn mentions_output(e: &Sexp) -> bool {
    match e {
        Sexp::Atom(a) => a.starts_with("Y_"),
        Sexp::List(l, _) => l.iter().any(mentions_output),
    }
}

/// Parses the input box of a VNN-LIB text.
pub fn parse_input_box(text: &str) -> Result<InputBox, VnnlibError> {
    let mut lo: BTreeMap<usize, f64> = BTreeMap::new();
    let mut hi: BTreeMap<usize, f64> = BTreeMap::new();
    let mut declared: Vec<usize> = Vec::new();
    for e in parse_all(text)? {
        let Sexp::List(l, pos) = &e else { continue };
        match l.first() {
            Some(Sexp::Atom(h)) if h == "declare-const" => {
                if let Some(Sexp::Atom(name)) = l.get(1) {
                    if let Some(i) = input_index(name) {
                        declared.push(i);
                    }
                }
            }
            Some(Sexp::Atom(h)) if h == "assert" => {
                if mentions_output(&e) {
                    continue;
                }
                let Some(Sexp::List(c, cpos)) = l.get(1) else {
                    return Err(VnnlibError::Syntax {
                        pos: *pos,
                        msg: "assert needs a comparison".into(),
                    });
                };
                let (op, a, b) = match c.as_slice() {
                    [Sexp::Atom(op), Sexp::Atom(a), Sexp::Atom(b)] => {
                        (op.as_str(), a.as_str(), b.as_str())
                    }
                    _ => {
                        return Err(VnnlibError::Syntax {
                            pos: *cpos,
                            msg: "only (<= X_i c) and (>= X_i c) input constraints are supported"
                                .into(),
                        })
                    }
                };
                let (var, num, upper) = match (input_index(a), input_index(b), op) {
                    (Some(i), None, "<=") => (i, b, true),
                    (Some(i), None, ">=") => (i, b, false),
                    (None, Some(i), "<=") => (i, a, false),
                    (None, Some(i), ">=") => (i, a, true),
                    _ => {
                        return Err(VnnlibError::Syntax {
                            pos: *cpos,
                            msg: format!("unsupported input constraint ({op} {a} {b})"),
                        })
                    }
                };
                let v: f64 = num.parse().map_err(|_| VnnlibError::Syntax {
                    pos: *cpos,
                    msg: format!("'{num}' is not a number"),
                })?;
                if !v.is_finite() {
                    return Err(VnnlibError::Bound {
                        index: var,
                        msg: format!("non-finite bound {num}"),
                    });
                }
                let m = if upper { &mut hi } else { &mut lo };
                let e = m.entry(var).or_insert(v);
                *e = if upper { e.min(v) } else { e.max(v) };
            }
            _ => {}
        }
    }
    declared.sort_unstable();
    declared.dedup();
    let n = declared.len();
    if declared.iter().enumerate().any(|(k, &i)| k != i) {
        return Err(VnnlibError::Bound {
            index: n,
            msg: "inputs must be declared as X_0 .. X_{n-1}".into(),
        });
    }
    let mut bx = InputBox {
        lo: Vec::with_capacity(n),
        hi: Vec::with_capacity(n),
    };
    for i in 0..n {
        let (Some(&l), Some(&h)) = (lo.get(&i), hi.get(&i)) else {
            return Err(VnnlibError::Bound {
                index: i,
                msg: "needs both a lower and an upper bound".into(),
            });
        };
        if l > h {
            return Err(VnnlibError::Bound {
                index: i,
                msg: format!("empty interval [{l}, {h}]"),
            });
        }
        bx.lo.push(l);
        bx.hi.push(h);
    }
    if let Some((&i, _)) = lo.iter().chain(hi.iter()).find(|(i, _)| **i >= n) {
        return Err(VnnlibError::Bound {
            index: i,
            msg: "bounded but not declared".into(),
        });
    }
    Ok(bx)
}

/// Reads the input box of a VNN-LIB file.
pub fn read_input_box(path: impl AsRef<std::path::Path>) -> Result<InputBox, VnnlibError> {
    let p = path.as_ref();
    let text = std::fs::read_to_string(p).map_err(|source| VnnlibError::Io {
        path: p.display().to_string(),
        source,
    })?;
    parse_input_box(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_box_and_ignores_outputs() {
        let t = "; c\n(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n\
                 (assert (<= X_0 1.5))\n(assert (>= X_0 -0.5))\n(assert (>= 2 X_1))\n(assert (<= 0 X_1))\n\
                 (assert (or (and (>= Y_0 Y_0))))";
        let b = parse_input_box(t).unwrap();
        assert_eq!(b.lo, vec![-0.5, 0.0]);
        assert_eq!(b.hi, vec![1.5, 2.0]);
        assert_eq!(b.centre(), vec![0.5, 1.0]);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            parse_input_box("(declare-const X_0 Real) (assert (<= X_0 1)"),
            Err(VnnlibError::Syntax { .. })
        ));
        assert!(matches!(
            parse_input_box("(declare-const X_0 Real) (assert (<= X_0 1))"),
            Err(VnnlibError::Bound { .. })
        ));
        assert!(matches!(
            parse_input_box("(declare-const X_0 Real) (assert (<= X_0 abc))"),
            Err(VnnlibError::Syntax { .. })
        ));
        assert!(matches!(
            parse_input_box("(declare-const X_0 Real) (assert (<= X_0 0)) (assert (>= X_0 1))"),
            Err(VnnlibError::Bound { .. })
        ));
        assert!(matches!(
            parse_input_box(")"),
            Err(VnnlibError::Syntax { .. })
        ));
    }
}
