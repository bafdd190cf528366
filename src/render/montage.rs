//! A PNG montage of image-shaped input points (e.g. samples along a decision
//! boundary), encoded by `tiny-skia` (through `resvg`).

use resvg::tiny_skia::Pixmap;

use super::RenderError;

/// Tiles drawn at most (the first ones).
pub const MAX_TILES: usize = 400;

/// The image layout `(channels, height, width)` of an input shape, if it is
/// one: `[H, W]`, `[C, H, W]` or `[1, C, H, W]` (channels first, as PyTorch)
/// with `C` 1 or 3 and both sides at least 4.
///
/// ```
/// use splinecam::render::image_layout;
/// assert_eq!(image_layout(&[1, 1, 28, 28]), Some((1, 28, 28)));
/// assert_eq!(image_layout(&[3, 32, 32]), Some((3, 32, 32)));
/// assert_eq!(image_layout(&[8, 8]), Some((1, 8, 8)));
/// assert_eq!(image_layout(&[784]), None);
/// assert_eq!(image_layout(&[1, 5]), None);
/// ```
pub fn image_layout(shape: &[usize]) -> Option<(usize, usize, usize)> {
    let mut s = shape;
    while s.len() > 3 && s[0] == 1 {
        s = &s[1..];
    }
    let (c, h, w) = match *s {
        [h, w] => (1, h, w),
        [c, h, w] => (c, h, w),
        _ => return None,
    };
    ((c == 1 || c == 3) && h >= 4 && w >= 4).then_some((c, h, w))
}

/// A grid of the `points` (flat, in the input shape's order) as one PNG, or
/// `None` if the input shape is not an image ([`image_layout`]).
///
/// All tiles share one grey (or colour) scale: the smallest value over all
/// drawn points is black, the largest white. Each tile is scaled up by a
/// whole factor to at least 64 pixels a side; tiles are separated by a
/// 2-pixel grey gap. At most [`MAX_TILES`] points are drawn.
///
/// ```
/// use splinecam::render::montage;
/// let pts = vec![vec![0.0; 64], vec![1.0; 64], vec![0.5; 64]];
/// let png = montage(&pts, &[1, 8, 8]).unwrap().unwrap();
/// assert_eq!(&png[1..4], b"PNG");
/// assert!(montage(&pts, &[64]).is_none());
/// ```
pub fn montage(points: &[Vec<f64>], shape: &[usize]) -> Option<Result<Vec<u8>, RenderError>> {
    let (c, h, w) = image_layout(shape)?;
    Some(draw(&points[..points.len().min(MAX_TILES)], c, h, w))
}

fn draw(points: &[Vec<f64>], c: usize, h: usize, w: usize) -> Result<Vec<u8>, RenderError> {
    let n = points.len().max(1);
    let cols = (n as f64).sqrt().ceil() as usize;
    let rows = n.div_ceil(cols);
    let scale = 64usize.div_ceil(h.min(w)).max(1);
    let gap = 2usize;
    let (tw, th) = (w * scale, h * scale);
    let width = cols * tw + (cols + 1) * gap;
    let height = rows * th + (rows + 1) * gap;
    let too_big = || RenderError::Size {
        width: width as u32,
        height: height as u32,
    };
    if width > super::MAX_PNG_SIDE as usize || height > super::MAX_PNG_SIDE as usize {
        return Err(too_big());
    }
    let mut pixmap = Pixmap::new(width as u32, height as u32).ok_or_else(too_big)?;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in points {
        for &x in p.iter().take(c * h * w) {
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    let span = if hi > lo { hi - lo } else { 1.0 };
    let data = pixmap.data_mut();
    for px in data.chunks_exact_mut(4) {
        px.copy_from_slice(&[128, 128, 128, 255]);
    }
    for (k, p) in points.iter().enumerate() {
        if p.len() != c * h * w {
            continue;
        }
        let (x0, y0) = (gap + (k % cols) * (tw + gap), gap + (k / cols) * (th + gap));
        for y in 0..th {
            for x in 0..tw {
                let (sy, sx) = (y / scale, x / scale);
                let mut rgb = [0u8; 3];
                for (ch, out) in rgb.iter_mut().enumerate() {
                    let src = if c == 1 { 0 } else { ch };
                    let v = (p[src * h * w + sy * w + sx] - lo) / span;
                    *out = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                }
                let i = 4 * ((y0 + y) * width + x0 + x);
                data[i..i + 3].copy_from_slice(&rgb);
            }
        }
    }
    pixmap
        .encode_png()
        .map_err(|e| RenderError::Png(e.to_string()))
}
