//! A tiny stroke font for tick labels, so that pictures need no font files
//! and render identically everywhere.
//!
//! Glyphs are polylines in a box of height 1 (y down, baseline at 1).

/// A glyph's polylines.
type Strokes = &'static [&'static [(f64, f64)]];

/// The polylines of a glyph and its advance (both in units of the height);
/// `None` for characters the font does not have.
fn glyph(c: char) -> Option<(Strokes, f64)> {
    const D: f64 = 0.8; // advance of digits and letters
    Some(match c {
        '0' => (
            &[&[
                (0.15, 0.0),
                (0.45, 0.0),
                (0.6, 0.15),
                (0.6, 0.85),
                (0.45, 1.0),
                (0.15, 1.0),
                (0.0, 0.85),
                (0.0, 0.15),
                (0.15, 0.0),
            ]],
            D,
        ),
        '1' => (
            &[
                &[(0.1, 0.2), (0.35, 0.0), (0.35, 1.0)],
                &[(0.1, 1.0), (0.6, 1.0)],
            ],
            D,
        ),
        '2' => (
            &[&[
                (0.0, 0.15),
                (0.15, 0.0),
                (0.45, 0.0),
                (0.6, 0.15),
                (0.6, 0.35),
                (0.0, 1.0),
                (0.6, 1.0),
            ]],
            D,
        ),
        '3' => (
            &[
                &[
                    (0.0, 0.1),
                    (0.1, 0.0),
                    (0.5, 0.0),
                    (0.6, 0.1),
                    (0.6, 0.4),
                    (0.5, 0.5),
                    (0.2, 0.5),
                ],
                &[
                    (0.5, 0.5),
                    (0.6, 0.6),
                    (0.6, 0.9),
                    (0.5, 1.0),
                    (0.1, 1.0),
                    (0.0, 0.9),
                ],
            ],
            D,
        ),
        '4' => (&[&[(0.45, 1.0), (0.45, 0.0), (0.0, 0.7), (0.6, 0.7)]], D),
        '5' => (
            &[&[
                (0.6, 0.0),
                (0.05, 0.0),
                (0.0, 0.45),
                (0.45, 0.42),
                (0.6, 0.57),
                (0.6, 0.85),
                (0.45, 1.0),
                (0.1, 1.0),
                (0.0, 0.9),
            ]],
            D,
        ),
        '6' => (
            &[&[
                (0.55, 0.05),
                (0.45, 0.0),
                (0.15, 0.0),
                (0.0, 0.15),
                (0.0, 0.85),
                (0.15, 1.0),
                (0.45, 1.0),
                (0.6, 0.85),
                (0.6, 0.6),
                (0.45, 0.45),
                (0.15, 0.45),
                (0.0, 0.55),
            ]],
            D,
        ),
        '7' => (&[&[(0.0, 0.0), (0.6, 0.0), (0.2, 1.0)]], D),
        '8' => (
            &[&[
                (0.15, 0.5),
                (0.05, 0.4),
                (0.05, 0.1),
                (0.15, 0.0),
                (0.45, 0.0),
                (0.55, 0.1),
                (0.55, 0.4),
                (0.45, 0.5),
                (0.15, 0.5),
                (0.0, 0.62),
                (0.0, 0.88),
                (0.12, 1.0),
                (0.48, 1.0),
                (0.6, 0.88),
                (0.6, 0.62),
                (0.45, 0.5),
            ]],
            D,
        ),
        '9' => (
            &[&[
                (0.05, 0.95),
                (0.15, 1.0),
                (0.45, 1.0),
                (0.6, 0.85),
                (0.6, 0.15),
                (0.45, 0.0),
                (0.15, 0.0),
                (0.0, 0.15),
                (0.0, 0.4),
                (0.15, 0.55),
                (0.45, 0.55),
                (0.6, 0.45),
            ]],
            D,
        ),
        '-' => (&[&[(0.05, 0.55), (0.5, 0.55)]], 0.7),
        '+' => (
            &[&[(0.3, 0.4), (0.3, 0.9)], &[(0.05, 0.65), (0.55, 0.65)]],
            D,
        ),
        '.' => (&[&[(0.1, 0.97), (0.12, 0.97)]], 0.35),
        'e' => (
            &[&[
                (0.0, 0.7),
                (0.6, 0.7),
                (0.6, 0.55),
                (0.45, 0.4),
                (0.15, 0.4),
                (0.0, 0.55),
                (0.0, 0.85),
                (0.15, 1.0),
                (0.55, 1.0),
            ]],
            D,
        ),
        'u' => (
            &[
                &[
                    (0.0, 0.4),
                    (0.0, 0.85),
                    (0.15, 1.0),
                    (0.45, 1.0),
                    (0.6, 0.85),
                ],
                &[(0.6, 0.4), (0.6, 1.0)],
            ],
            D,
        ),
        'v' => (&[&[(0.0, 0.4), (0.3, 1.0), (0.6, 0.4)]], D),
        ' ' => (&[], 0.5),
        _ => return None,
    })
}

/// Horizontal squeeze of the glyphs.
const ASPECT: f64 = 0.75;

/// The width of `text` as drawn by [`text_path`] at height `size` (unknown
/// characters take no room).
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    // The last glyph's trailing space (advance minus ink) is not counted.
    let total: f64 = text.chars().filter_map(glyph).map(|(_, a)| a).sum();
    let trailing = text
        .chars()
        .rev()
        .find_map(glyph)
        .map_or(0.0, |(_, a)| a - 0.6);
    (total - trailing.max(0.0)).max(0.0) * size * ASPECT
}

/// Appends SVG path data (`M`/`L` commands) drawing `text` with its top-left
/// corner at `(x, y)` and height `size`.
pub(crate) fn text_path(out: &mut String, text: &str, x: f64, y: f64, size: f64) {
    use std::fmt::Write;
    let mut pen = x;
    for (lines, advance) in text.chars().filter_map(glyph) {
        for line in lines {
            for (i, &(gx, gy)) in line.iter().enumerate() {
                let cmd = if i == 0 { 'M' } else { 'L' };
                let _ = write!(
                    out,
                    "{cmd}{:.2} {:.2}",
                    pen + gx * size * ASPECT,
                    y + gy * size
                );
            }
        }
        pen += advance * size * ASPECT;
    }
}
