//! Colours: class palettes, shades, the viridis ramp and hashed colours.

use std::fmt;

/// An sRGB colour with components in `[0, 1]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rgb(pub f64, pub f64, pub f64);

impl Rgb {
    /// From `0xRRGGBB`.
    pub const fn hex(x: u32) -> Rgb {
        Rgb(
            ((x >> 16) & 0xff) as f64 / 255.0,
            ((x >> 8) & 0xff) as f64 / 255.0,
            (x & 0xff) as f64 / 255.0,
        )
    }

    /// `(1 - t)·self + t·other`.
    pub fn mix(self, other: Rgb, t: f64) -> Rgb {
        let t = if t.is_finite() {
            t.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Rgb(
            self.0 + (other.0 - self.0) * t,
            self.1 + (other.1 - self.1) * t,
            self.2 + (other.2 - self.2) * t,
        )
    }
}

impl fmt::Display for Rgb {
    /// `#rrggbb`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = |x: f64| {
            let x = if x.is_finite() {
                x.clamp(0.0, 1.0)
            } else {
                0.0
            };
            (x * 255.0).round() as u8
        };
        write!(f, "#{:02x}{:02x}{:02x}", c(self.0), c(self.1), c(self.2))
    }
}

pub(crate) const WHITE: Rgb = Rgb(1.0, 1.0, 1.0);
pub(crate) const BLACK: Rgb = Rgb(0.0, 0.0, 0.0);

/// Base colours of the classes (Tableau 10, in an order that puts the two
/// classes of a binary classifier on blue and orange).
const CLASS_BASE: [u32; 10] = [
    0x4e79a7, 0xf28e2b, 0x59a14f, 0xe15759, 0x76b7b2, 0xedc948, 0xb07aa1, 0xff9da7, 0x9c755f,
    0xbab0ac,
];

/// The base colour of regions without a class.
const NO_CLASS: u32 = 0x8fa3bf;

/// How much white is mixed into a class colour, per shade: alternately
/// lighter and darker so that neighbouring regions stand apart.
const SHADES: [f64; 6] = [0.62, 0.40, 0.75, 0.50, 0.84, 0.30];

/// The number of shades per class.
pub(crate) const NUM_SHADES: usize = SHADES.len();

/// The fill of a region of class `class` with shade index `shade`.
pub(crate) fn class_shade(class: Option<u32>, shade: usize) -> Rgb {
    let base = match class {
        Some(k) => Rgb::hex(CLASS_BASE[k as usize % CLASS_BASE.len()]),
        None => Rgb::hex(NO_CLASS),
    };
    base.mix(WHITE, SHADES[shade % SHADES.len()])
}

/// Edge colours by layer (dark, distinct from the light fills).
const LAYER: [u32; 6] = [0x1d2951, 0xb8322a, 0x137a63, 0x6c3483, 0xc25e00, 0x1f618d];

/// The colour of the edges made by activation layer `layer`.
pub(crate) fn layer_color(layer: usize) -> Rgb {
    Rgb::hex(LAYER[layer % LAYER.len()])
}

/// Viridis, sampled at 9 evenly spaced points.
const VIRIDIS: [u32; 9] = [
    0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c, 0x28ae80, 0x5ec962, 0xaddc30, 0xfde725,
];

/// The viridis ramp at `t ∈ [0, 1]` (clamped; NaN maps to 0).
pub(crate) fn viridis(t: f64) -> Rgb {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    Rgb::hex(VIRIDIS[i]).mix(Rgb::hex(VIRIDIS[i + 1]), x - i as f64)
}

/// From hue (degrees), saturation and lightness in `[0, 1]`.
pub(crate) fn hsl(h: f64, s: f64, l: f64) -> Rgb {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = (h.rem_euclid(360.0)) / 60.0;
    let x = c * (1.0 - (hp.rem_euclid(2.0) - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    Rgb(r + m, g + m, b + m)
}

/// A stable 64-bit hash (FNV-1a with a final avalanche), independent of the
/// platform and of the standard library's hasher.
pub(crate) fn stable_hash(words: impl IntoIterator<Item = u64>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for b in w.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    // splitmix64 finaliser.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// A pleasant (pastel, medium) colour picked by a hash.
pub(crate) fn hashed(h: u64) -> Rgb {
    let hue = (h % 360) as f64;
    let s = 0.45 + 0.25 * ((h >> 16) % 256) as f64 / 255.0;
    let l = 0.62 + 0.18 * ((h >> 24) % 256) as f64 / 255.0;
    hsl(hue, s, l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_ramps() {
        assert_eq!(Rgb::hex(0x4e79a7).to_string(), "#4e79a7");
        assert_eq!(viridis(0.0).to_string(), "#440154");
        assert_eq!(viridis(1.0).to_string(), "#fde725");
        assert_eq!(viridis(f64::NAN).to_string(), "#440154");
        assert_eq!(hsl(0.0, 1.0, 0.5).to_string(), "#ff0000");
        assert_eq!(stable_hash([1, 2]), stable_hash([1, 2]));
        assert_ne!(stable_hash([1, 2]), stable_hash([2, 1]));
    }
}
