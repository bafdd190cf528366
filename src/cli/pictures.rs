//! Picture options and writing SVG/PNG files of a partition.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use splinecam::io::atomic::Staged;
use splinecam::partition::Partition;
use splinecam::render::{self, Fill, Style};

use super::inputs::{commit_files, stage_file};

/// How regions are filled.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FillArg {
    /// By class (a palette per class; neutral without a boundary).
    Class,
    /// By the norm of the region's slope (input-gradient of output 0), viridis.
    Slope,
    /// A stable pseudo-random colour per activation pattern.
    Random,
}

impl From<FillArg> for Fill {
    fn from(f: FillArg) -> Fill {
        match f {
            FillArg::Class => Fill::Class,
            FillArg::Slope => Fill::SlopeNorm,
            FillArg::Random => Fill::Random,
        }
    }
}

/// Picture options.
#[derive(Args, Clone, Debug)]
pub struct PictureArgs {
    /// How regions are filled.
    #[arg(long, value_enum, default_value_t = FillArg::Class, conflicts_with = "no_pictures")]
    pub fill: FillArg,
    /// Picture size in pixels: WIDTHxHEIGHT.
    #[arg(
        long,
        value_name = "WxH",
        default_value = "1000x800",
        value_parser = parse_size,
        conflicts_with = "no_pictures"
    )]
    pub size: (u32, u32),
    /// No axes or tick labels.
    #[arg(long, conflicts_with = "no_pictures")]
    pub no_axes: bool,
    /// Write no pictures (only the JSON).
    #[arg(long)]
    pub no_pictures: bool,
}

impl PictureArgs {
    /// The render style.
    pub fn style(&self) -> Style {
        Style {
            fill: self.fill.into(),
            width: self.size.0,
            height: self.size.1,
            draw_axes: !self.no_axes,
            ..Style::default()
        }
    }
}

/// Writes `dir/stem.svg` and `dir/stem.png`; returns their paths.
pub fn write_pictures(
    p: &Partition,
    style: &Style,
    dir: &Path,
    stem: &str,
) -> Result<Vec<PathBuf>> {
    let staged = stage_pictures(p, style, dir, stem)?;
    let paths = staged.iter().map(|s| s.path().to_path_buf()).collect();
    commit_files(staged)?;
    Ok(paths)
}

/// Renders `dir/stem.svg` and `dir/stem.png` into temporary files next to
/// them, for [`commit_files`].
pub fn stage_pictures(p: &Partition, style: &Style, dir: &Path, stem: &str) -> Result<Vec<Staged>> {
    let svg = stage_file(
        &dir.join(format!("{stem}.svg")),
        render::to_svg(p, style).as_bytes(),
    )?;
    let png = render::to_png(p, style).context("rendering the PNG")?;
    let png = stage_file(&dir.join(format!("{stem}.png")), &png)?;
    Ok(vec![svg, png])
}

/// Parses `WxH` (each side 1..=16384).
fn parse_size(s: &str) -> std::result::Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WIDTHxHEIGHT such as 1000x800, got '{s}'"))?;
    let side = |t: &str| -> std::result::Result<u32, String> {
        match t.trim().parse::<u32>() {
            Ok(v) if (1..=render::MAX_PNG_SIDE).contains(&v) => Ok(v),
            Ok(v) => Err(format!(
                "{v} pixels: each side must be between 1 and {}",
                render::MAX_PNG_SIDE
            )),
            Err(_) => Err(format!("'{t}' is not a whole number of pixels")),
        }
    };
    Ok((side(w)?, side(h)?))
}
