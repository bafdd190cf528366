//! Pictures of a partition: SVG text and PNG images.
//!
//! [`to_svg`] draws the slice's polygon, maps it to the image with its aspect
//! ratio preserved, fills each region ([`Fill`]), draws each edge in the
//! colour of the layer whose neuron made it, the decision boundary in bold
//! black, the slice's anchors as small circles and, optionally, axes with
//! tick labels in slice coordinates (drawn as strokes, so no fonts are
//! needed and the output is the same on every machine). [`to_png`]
//! rasterises that SVG with `resvg`.
//!
//! ```
//! use splinecam::{domain::Slice, net::json, partition::{Options, Partition}};
//! use splinecam::render::{self, Fill, Style};
//! let net = json::from_str(r#"{"format":"splinecam-model","version":1,"input_shape":[2],
//!   "ops":[{"op":"dense","weight":[[1,0],[0,1],[1,1]],"bias":[0,0,-0.5]},{"op":"relu"},
//!          {"op":"dense","weight":[[1,-1,1]],"bias":[-0.25]}]}"#).unwrap();
//! let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
//! let p = Partition::compute(&net, &slice, &Options::default()).unwrap();
//! let style = Style { fill: Fill::SlopeNorm, width: 200, height: 200, ..Style::default() };
//! let svg = render::to_svg(&p, &style);
//! assert!(svg.starts_with("<svg"));
//! let png = render::to_png(&p, &style).unwrap();
//! assert_eq!(&png[1..4], b"PNG");
//! ```

mod color;
mod glyphs;
mod montage;

pub use montage::{image_layout, montage, MAX_TILES};

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::mesh::FaceId;
use crate::partition::{LabelKind, Partition};

use color::Rgb;

/// How regions are filled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fill {
    /// A palette per class (one neutral palette without a boundary), in
    /// lighter and darker shades so that neighbouring regions of a class
    /// stand apart.
    #[default]
    Class,
    /// The norm of the gradient of output 0 on the region (in input-space
    /// units, through the slice's Gram matrix) on a viridis ramp, from the
    /// smallest norm (dark) to the largest (yellow), as in the SplineCam
    /// paper's figures.
    SlopeNorm,
    /// A stable pseudo-random colour per activation pattern.
    Random,
}

/// How to draw a partition.
#[derive(Clone, Debug, PartialEq)]
pub struct Style {
    /// How regions are filled.
    pub fill: Fill,
    /// Image width in pixels (at least 1 is used).
    pub width: u32,
    /// Image height in pixels (at least 1 is used).
    pub height: u32,
    /// Draw axes with tick labels in slice coordinates (and, for
    /// [`Fill::SlopeNorm`], a colour bar; for [`Fill::Class`] with a
    /// boundary, a legend of the classes present).
    pub draw_axes: bool,
    /// Width in pixels of the edges between regions (0: not drawn).
    pub edge_width: f64,
    /// Width in pixels of the decision boundary (0: not drawn).
    pub boundary_width: f64,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            fill: Fill::Class,
            width: 1000,
            height: 800,
            draw_axes: true,
            edge_width: 0.7,
            boundary_width: 3.0,
        }
    }
}

/// At most this many classes are listed in the legend (the smallest ones).
const MAX_LEGEND: usize = 24;

/// The largest image side [`to_png`] accepts.
pub const MAX_PNG_SIDE: u32 = 16384;

/// Errors of [`to_png`].
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The image size is 0 or above [`MAX_PNG_SIDE`].
    #[error("cannot render a {width}×{height} image: each side must be between 1 and {max} pixels", max = MAX_PNG_SIDE)]
    Size {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// The SVG could not be parsed (a bug: please report it).
    #[error("internal SVG error: {0}")]
    Svg(String),
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// Rasterises [`to_svg`]'s picture to exactly `style.width × style.height`
/// pixels and returns the PNG file's bytes.
pub fn to_png(p: &Partition, style: &Style) -> Result<Vec<u8>, RenderError> {
    use resvg::{tiny_skia, usvg};
    let (width, height) = (style.width, style.height);
    if width == 0 || height == 0 || width > MAX_PNG_SIDE || height > MAX_PNG_SIDE {
        return Err(RenderError::Size { width, height });
    }
    let svg = to_svg(p, style);
    let tree = usvg::Tree::from_str(&svg, &usvg::Options::default())
        .map_err(|e| RenderError::Svg(e.to_string()))?;
    let mut pixmap =
        tiny_skia::Pixmap::new(width, height).ok_or(RenderError::Size { width, height })?;
    // The SVG's own size is width × height: no scaling.
    resvg::render(
        &tree,
        tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| RenderError::Png(e.to_string()))
}

/// Draws the partition as an SVG document of `style.width × style.height`
/// pixels. Region `f` is the path with id `region-<f.index()>`; the output
/// depends only on the partition and the style.
pub fn to_svg(p: &Partition, style: &Style) -> String {
    let w = f64::from(style.width.max(1));
    let h = f64::from(style.height.max(1));
    let edge_width = sane_width(style.edge_width);
    let boundary_width = sane_width(style.boundary_width);
    let fills = region_fills(p, style.fill);

    // The polygon's bounding box in slice coordinates.
    let poly: Vec<[f64; 2]> = p
        .slice()
        .polygon_f64()
        .into_iter()
        .filter(|q| q[0].is_finite() && q[1].is_finite())
        .collect();
    let (mut umin, mut umax, mut vmin, mut vmax) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for q in &poly {
        umin = umin.min(q[0]);
        umax = umax.max(q[0]);
        vmin = vmin.min(q[1]);
        vmax = vmax.max(q[1]);
    }
    if poly.is_empty() {
        (umin, umax, vmin, vmax) = (0.0, 1.0, 0.0, 1.0);
    }
    let du = (umax - umin).max(f64::MIN_POSITIVE);
    let dv = (vmax - vmin).max(f64::MIN_POSITIVE);

    // Layout: tick labels and the colour bar take room in the margins.
    let font = (w.min(h) * 0.022).clamp(7.0, 28.0);
    let pad = (w.min(h) * 0.03).clamp(4.0, 40.0);
    let tick_len = font * 0.45;
    let gap = font * 0.35;
    let ticks_u = nice_ticks(umin, umax);
    let ticks_v = nice_ticks(vmin, vmax);
    let label_w_v = ticks_v
        .iter()
        .map(|(_, s)| glyphs::text_width(s, font))
        .fold(0.0, f64::max);
    let colorbar = match (style.fill, style.draw_axes) {
        (Fill::SlopeNorm, true) => slope_range(p),
        _ => None,
    };
    let cb_labels = colorbar.map(|(lo, hi)| (short_number(lo), short_number(hi)));
    let mut margins = [pad, pad, pad, pad]; // left, right, top, bottom
    if style.draw_axes {
        margins[0] += gap + tick_len + gap + label_w_v + gap * 2.0 + font;
        margins[3] += gap + tick_len + gap + font + gap * 2.0 + font;
        margins[2] += font * 0.5;
        margins[1] += font * 0.5;
    }
    let cb_width = font * 1.2;
    // A legend of the classes present (class fill with a boundary).
    let legend: Vec<u32> = match (style.fill, style.draw_axes) {
        (Fill::Class, true) => {
            let mut c: Vec<u32> = p.regions().filter_map(|f| p.region(f).class).collect();
            c.sort_unstable();
            c.dedup();
            c.truncate(MAX_LEGEND);
            c
        }
        _ => Vec::new(),
    };
    if !legend.is_empty() {
        let lw = legend
            .iter()
            .map(|k| glyphs::text_width(&k.to_string(), font))
            .fold(0.0, f64::max);
        margins[1] += font * 1.5 + cb_width + gap + lw;
    }
    if let Some((lo, hi)) = &cb_labels {
        let lw = glyphs::text_width(lo, font).max(glyphs::text_width(hi, font));
        margins[1] += font * 1.5 + cb_width + gap + lw;
    }
    let avail_w = w - margins[0] - margins[1];
    let avail_h = h - margins[2] - margins[3];
    let decorate = style.draw_axes && avail_w > 8.0 * font && avail_h > 8.0 * font;
    if !decorate {
        margins = [pad; 4];
        if w <= 2.0 * pad || h <= 2.0 * pad {
            margins = [0.0; 4];
        }
    }
    let avail_w = (w - margins[0] - margins[1]).max(1.0);
    let avail_h = (h - margins[2] - margins[3]).max(1.0);
    let s = (avail_w / du).min(avail_h / dv);
    let x0 = margins[0] + (avail_w - du * s) / 2.0;
    let y0 = margins[2] + (avail_h - dv * s) / 2.0;
    let map = |u: f64, v: f64| -> (f64, f64) { (x0 + (u - umin) * s, y0 + (vmax - v) * s) };

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#
    );
    svg.push('\n');
    let _ = writeln!(svg, r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##);

    // Regions, each stroked in its own colour to close antialiasing seams.
    let mesh = p.mesh();
    svg.push_str(r#"<g id="regions" stroke-width="0.8" stroke-linejoin="round">"#);
    svg.push('\n');
    for f in p.regions() {
        let c = fills[f.index()];
        let mut d = String::new();
        for (i, vtx) in mesh.face_vertices(f).enumerate() {
            let [u, v] = mesh.vertex_xy(vtx);
            let (x, y) = map(u, v);
            let _ = write!(d, "{}{:.2} {:.2}", if i == 0 { 'M' } else { 'L' }, x, y);
        }
        d.push('Z');
        let _ = writeln!(
            svg,
            r#"<path id="region-{}" d="{d}" fill="{c}" stroke="{c}"/>"#,
            f.index()
        );
    }
    svg.push_str("</g>\n");

    // Edges, grouped by the layer that made them; the boundary apart.
    let mut by_layer: BTreeMap<usize, String> = BTreeMap::new();
    let mut other = String::new();
    let mut boundary = String::new();
    for he in mesh.edges() {
        let labels = mesh.edge_labels(he);
        if labels.is_empty() {
            continue; // a side of the polygon: drawn as the frame
        }
        let (a, b) = (
            mesh.vertex_xy(mesh.origin(he)),
            mesh.vertex_xy(mesh.dest(he)),
        );
        let (xa, ya) = map(a[0], a[1]);
        let (xb, yb) = map(b[0], b[1]);
        let target = if p.is_boundary_edge(he) {
            &mut boundary
        } else {
            let layer = labels
                .iter()
                .filter_map(|&l| match p.label_kind(l) {
                    LabelKind::Neuron { layer, .. } | LabelKind::MaxPair { layer, .. } => {
                        Some(layer)
                    }
                    _ => None,
                })
                .min();
            match layer {
                Some(layer) => by_layer.entry(layer).or_default(),
                None => &mut other,
            }
        };
        let _ = write!(target, "M{xa:.2} {ya:.2}L{xb:.2} {yb:.2}");
    }
    if edge_width > 0.0 {
        svg.push_str(r#"<g id="edges" fill="none" stroke-linecap="round">"#);
        svg.push('\n');
        for (layer, d) in &by_layer {
            let _ = writeln!(
                svg,
                r#"<path id="layer-{layer}" d="{d}" stroke="{}" stroke-opacity="0.8" stroke-width="{edge_width}"/>"#,
                color::layer_color(*layer)
            );
        }
        if !other.is_empty() {
            let _ = writeln!(
                svg,
                r##"<path id="other-edges" d="{other}" stroke="#555555" stroke-opacity="0.8" stroke-width="{edge_width}"/>"##
            );
        }
        svg.push_str("</g>\n");
    }

    // The frame: the polygon's sides.
    if !poly.is_empty() {
        let mut d = String::new();
        for (i, q) in poly.iter().enumerate() {
            let (x, y) = map(q[0], q[1]);
            let _ = write!(d, "{}{:.2} {:.2}", if i == 0 { 'M' } else { 'L' }, x, y);
        }
        d.push('Z');
        let fw = (edge_width * 1.5).max(1.0);
        let _ = writeln!(
            svg,
            r##"<path id="frame" d="{d}" fill="none" stroke="#333333" stroke-width="{fw}" stroke-linejoin="round"/>"##
        );
    }

    if boundary_width > 0.0 && !boundary.is_empty() {
        // A white halo keeps the boundary visible on dark fills.
        let halo = boundary_width + 2.0 * (boundary_width * 0.35).max(1.0);
        let _ = writeln!(
            svg,
            r##"<path id="boundary-halo" d="{boundary}" fill="none" stroke="#ffffff" stroke-opacity="0.85" stroke-width="{halo}" stroke-linecap="round" stroke-linejoin="round"/>"##
        );
        let _ = writeln!(
            svg,
            r#"<path id="boundary" d="{boundary}" fill="none" stroke="{}" stroke-width="{boundary_width}" stroke-linecap="round" stroke-linejoin="round"/>"#,
            color::BLACK
        );
    }

    // Anchors.
    let anchors = p.slice().anchors();
    if !anchors.is_empty() {
        let r = (font * 0.4).max(2.5);
        svg.push_str(r##"<g id="anchors" fill="#ffffff" stroke="#000000" stroke-width="1.5">"##);
        svg.push('\n');
        for (u, v) in anchors {
            let (x, y) = map(u.to_f64(), v.to_f64());
            if x.is_finite() && y.is_finite() {
                let _ = writeln!(svg, r#"<circle cx="{x:.2}" cy="{y:.2}" r="{r:.2}"/>"#);
            }
        }
        svg.push_str("</g>\n");
    }

    if decorate {
        let ink = "#333333";
        let left = x0 - gap;
        let bottom = y0 + dv * s + gap;
        let (right, top) = (x0 + du * s, y0);
        let mut axes = format!("M{left:.2} {top:.2}L{left:.2} {bottom:.2}L{right:.2} {bottom:.2}");
        let mut text = String::new();
        for (u, label) in &ticks_u {
            let (x, _) = map(*u, vmin);
            let _ = write!(axes, "M{x:.2} {bottom:.2}l0 {tick_len:.2}");
            let tw = glyphs::text_width(label, font);
            glyphs::text_path(
                &mut text,
                label,
                x - tw / 2.0,
                bottom + tick_len + gap,
                font,
            );
        }
        for (v, label) in &ticks_v {
            let (_, y) = map(umin, *v);
            let _ = write!(axes, "M{left:.2} {y:.2}l{:.2} 0", -tick_len);
            let tw = glyphs::text_width(label, font);
            glyphs::text_path(
                &mut text,
                label,
                left - tick_len - gap - tw,
                y - font / 2.0,
                font,
            );
        }
        // Axis names.
        let name_w = glyphs::text_width("u", font);
        glyphs::text_path(
            &mut text,
            "u",
            (x0 + right) / 2.0 - name_w / 2.0,
            bottom + tick_len + gap * 3.0 + font,
            font,
        );
        glyphs::text_path(
            &mut text,
            "v",
            left - tick_len - gap * 3.0 - label_w_v - name_w,
            (top + bottom) / 2.0 - font / 2.0,
            font,
        );
        let _ = writeln!(
            svg,
            r#"<path id="axes" d="{axes}" fill="none" stroke="{ink}" stroke-width="1"/>"#
        );
        let _ = writeln!(
            svg,
            r#"<path id="labels" d="{text}" fill="none" stroke="{ink}" stroke-width="{:.2}" stroke-linecap="round" stroke-linejoin="round"/>"#,
            (font * 0.11).max(0.8)
        );

        if !legend.is_empty() {
            // One swatch per class, top down, labelled with the class.
            let bx = right + font * 1.5;
            let mut t = String::new();
            svg.push_str(r#"<g id="legend" stroke-width="1">"#);
            svg.push('\n');
            for (i, k) in legend.iter().enumerate() {
                let y = top + i as f64 * font * 1.6;
                let _ = writeln!(
                    svg,
                    r#"<rect x="{bx:.2}" y="{y:.2}" width="{cb_width:.2}" height="{font:.2}" fill="{}" stroke="{ink}"/>"#,
                    color::class_shade(Some(*k), 1)
                );
                glyphs::text_path(&mut t, &k.to_string(), bx + cb_width + gap, y, font);
            }
            svg.push_str("</g>\n");
            let _ = writeln!(
                svg,
                r#"<path id="legend-labels" d="{t}" fill="none" stroke="{ink}" stroke-width="{:.2}" stroke-linecap="round" stroke-linejoin="round"/>"#,
                (font * 0.11).max(0.8)
            );
        }
        if let Some((lo, hi)) = &cb_labels {
            // A vertical viridis bar from the smallest norm (bottom) to the
            // largest (top), labelled at both ends.
            let bx = right + font * 1.5;
            let (by0, by1) = (top, y0 + dv * s);
            svg.push_str(r#"<defs><linearGradient id="viridis" x1="0" y1="1" x2="0" y2="0">"#);
            for i in 0..=8 {
                let t = f64::from(i) / 8.0;
                let _ = write!(
                    svg,
                    r#"<stop offset="{t}" stop-color="{}"/>"#,
                    color::viridis(t)
                );
            }
            svg.push_str("</linearGradient></defs>\n");
            let _ = writeln!(
                svg,
                r#"<rect id="colorbar" x="{bx:.2}" y="{by0:.2}" width="{cb_width:.2}" height="{:.2}" fill="url(#viridis)" stroke="{ink}" stroke-width="1"/>"#,
                by1 - by0
            );
            let mut t = String::new();
            let lx = bx + cb_width + gap;
            glyphs::text_path(&mut t, hi, lx, by0, font);
            glyphs::text_path(&mut t, lo, lx, by1 - font, font);
            let _ = writeln!(
                svg,
                r#"<path id="colorbar-labels" d="{t}" fill="none" stroke="{ink}" stroke-width="{:.2}" stroke-linecap="round" stroke-linejoin="round"/>"#,
                (font * 0.11).max(0.8)
            );
        }
    }

    svg.push_str("</svg>\n");
    svg
}

/// A stroke width: negative, NaN or infinite widths become 0.
fn sane_width(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x.min(1e4)
    } else {
        0.0
    }
}

/// The fill of each region, indexed by face index (entry 0 unused).
fn region_fills(p: &Partition, fill: Fill) -> Vec<Rgb> {
    let n = p.num_regions() + 1;
    let mut out = vec![color::WHITE; n];
    match fill {
        Fill::Class => {
            // Greedy colouring: each region takes the first shade of its
            // class that no already-coloured neighbour of the same class has.
            let mesh = p.mesh();
            let mut shade: Vec<Option<usize>> = vec![None; n];
            for f in p.regions() {
                let class = p.region(f).class;
                let mut used = [false; color::NUM_SHADES];
                for he in mesh.face_half_edges(f) {
                    let g = mesh.face(he.twin());
                    if g == FaceId::OUTER || g.index() >= n {
                        continue;
                    }
                    if let Some(k) = shade[g.index()] {
                        if p.region(g).class == class {
                            used[k] = true;
                        }
                    }
                }
                let k = used.iter().position(|&u| !u).unwrap_or(0);
                shade[f.index()] = Some(k);
                out[f.index()] = color::class_shade(class, k);
            }
        }
        Fill::SlopeNorm => {
            let norms: Vec<Option<f64>> = (0..n)
                .map(|i| {
                    if i == 0 {
                        None
                    } else {
                        slope_norm(p, FaceId::from_index(i))
                    }
                })
                .collect();
            let (lo, hi) = slope_range(p).unwrap_or((0.0, 1.0));
            for f in p.regions() {
                out[f.index()] = match norms[f.index()] {
                    Some(x) if hi > lo => color::viridis((x - lo) / (hi - lo)),
                    Some(_) => color::viridis(0.5),
                    None => Rgb::hex(0xbbbbbb),
                };
            }
        }
        Fill::Random => {
            for f in p.regions() {
                let pattern = &p.region(f).pattern;
                let words = pattern.layers.iter().flat_map(|layer| {
                    std::iter::once(layer.len() as u64).chain(layer.iter().map(|&s| u64::from(s)))
                });
                out[f.index()] = color::hashed(color::stable_hash(words));
            }
        }
    }
    out
}

/// The norm of the gradient of output 0 on region `f`, in input-space units:
/// `sqrt(aᵀ G⁻¹ a)` for the slice gradient `a = (∂u, ∂v)` and Gram matrix
/// `G` (the plain Euclidean norm of `a` if `G` is singular).
fn slope_norm(p: &Partition, f: FaceId) -> Option<f64> {
    let out = p.output(f).ok()?;
    let (a, b) = (*out.u().first()?, *out.v().first()?);
    let g = p.slice().gram_f64();
    let det = g[0][0] * g[1][1] - g[0][1] * g[1][0];
    let sq = if det.is_finite() && det > 0.0 {
        (g[1][1] * a * a - 2.0 * g[0][1] * a * b + g[0][0] * b * b) / det
    } else {
        a * a + b * b
    };
    let n = sq.max(0.0).sqrt();
    n.is_finite().then_some(n)
}

/// The smallest and largest [`slope_norm`] over the regions.
fn slope_range(p: &Partition) -> Option<(f64, f64)> {
    let mut range: Option<(f64, f64)> = None;
    for f in p.regions() {
        if let Some(x) = slope_norm(p, f) {
            range = Some(match range {
                None => (x, x),
                Some((lo, hi)) => (lo.min(x), hi.max(x)),
            });
        }
    }
    range
}

/// Round tick values (about 5) in `[lo, hi]` with their labels.
fn nice_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let d = hi - lo;
    if !(d.is_finite() && d > 0.0) {
        return Vec::new();
    }
    let raw = d / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&st| st >= raw * 0.999)
        .unwrap_or(10.0 * mag);
    if !(step.is_finite() && step > 0.0) {
        return Vec::new();
    }
    let k0 = (lo / step - 1e-9).ceil();
    let k1 = (hi / step + 1e-9).floor();
    if !(k0.is_finite() && k1.is_finite()) || k1 - k0 > 50.0 {
        return Vec::new();
    }
    let decimals = (-(step.log10() + 1e-9).floor()).max(0.0) as usize;
    let big = lo.abs().max(hi.abs()) >= 1e5 || decimals > 4;
    let mut out = Vec::new();
    let mut k = k0;
    while k <= k1 {
        let x = k * step;
        let x = if x.abs() < step * 1e-6 { 0.0 } else { x };
        let label = if big {
            format!("{x:.1e}")
        } else {
            format!("{x:.decimals$}")
        };
        out.push((x, label));
        k += 1.0;
    }
    out
}

/// A short label for a number: 3 significant digits.
fn short_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    let e = x.abs().log10().floor();
    if !(-3.0..5.0).contains(&e) {
        return format!("{x:.2e}");
    }
    let decimals = (2.0 - e).max(0.0) as usize;
    format!("{x:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks() {
        let t: Vec<String> = nice_ticks(-1.5, 2.5).into_iter().map(|t| t.1).collect();
        assert_eq!(t, ["-1", "0", "1", "2"]);
        let t: Vec<String> = nice_ticks(-1.0, 1.5).into_iter().map(|t| t.1).collect();
        assert_eq!(t, ["-1.0", "-0.5", "0.0", "0.5", "1.0", "1.5"]);
        assert!(nice_ticks(1.0, 1.0).is_empty());
        assert!(nice_ticks(f64::NAN, 1.0).is_empty());
        assert_eq!(short_number(0.123456), "0.123");
        assert_eq!(short_number(12.5), "12.5");
    }
}
