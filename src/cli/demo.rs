//! `splinecam demo`: the whole tool on the bundled examples, written to a
//! folder.
//!
//! 1. The two-moons classifier (`examples/models/two_moons.json`, a 2-16-16-1
//!    ReLU MLP trained by `scripts/train_toy.py`) on a box around the data.
//! 2. The digits classifier (`examples/models/digits_mlp.json`, a
//!    64-64-64-10 ReLU MLP on 8x8 images, trained by
//!    `scripts/train_digits.py`) on the plane through three test images
//!    (`examples/images/digit{0,3,7}.npy`), with its argmax boundary.
//!
//! Each gets its result JSON, metrics, pictures, boundary samples, and an
//! independent exact verification of the written result. Everything is
//! embedded in the binary, so the demo runs from any folder.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use splinecam::domain::Slice;
use splinecam::io::npy;
use splinecam::io::output::ResultFile;
use splinecam::metrics::Metrics;
use splinecam::net::{json, Network};
use splinecam::partition::{Options, Partition};
use splinecam::render::{Fill, Style};
use splinecam::sample;

use super::inputs::{create_dir, write_file};
use super::pictures::write_pictures;
use super::sample::write_samples;
use super::term::fmt_duration;

/// Arguments of `demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Folder to write the results into (created if missing).
    #[arg(long, value_name = "DIR", default_value = "splinecam-demo")]
    out: PathBuf,
}

/// The two-moons model.
const MOONS_MODEL: &str = include_str!("../../examples/models/two_moons.json");
/// The box `[x0, x1, y0, y1]` around the two moons.
const MOONS_BOX: [f64; 4] = [-1.5, 2.5, -1.0, 1.5];
/// The digits model.
const DIGITS_MODEL: &str = include_str!("../../examples/models/digits_mlp.json");
/// The three digit images and their names.
const DIGITS: [(&str, &[u8]); 3] = [
    (
        "digit0.npy",
        include_bytes!("../../examples/images/digit0.npy"),
    ),
    (
        "digit3.npy",
        include_bytes!("../../examples/images/digit3.npy"),
    ),
    (
        "digit7.npy",
        include_bytes!("../../examples/images/digit7.npy"),
    ),
];
/// How far the triangle through the digits is grown about its centroid.
const DIGITS_MARGIN: f64 = 0.5;
/// Boundary samples drawn per example.
const SAMPLES: usize = 64;

/// Runs the demo.
pub fn run(a: &DemoArgs) -> Result<()> {
    let moons = json::from_str(MOONS_MODEL).context("the bundled two-moons model")?;
    let slice = Slice::square_box(moons.input_shape(), MOONS_BOX).context("the demo box")?;
    let [x0, x1, y0, y1] = MOONS_BOX;
    outln!(
        "splinecam {} demo, writing to {}",
        env!("CARGO_PKG_VERSION"),
        a.out.display()
    );
    outln!();
    outln!("1. two moons: 2-16-16-1 ReLU classifier on [{x0}, {x1}] x [{y0}, {y1}]");
    let m = example(&moons, &slice, &a.out.join("two_moons"))?;
    outln!();
    out!("{}", m.to_table());

    let digits = json::from_str(DIGITS_MODEL).context("the bundled digits model")?;
    let n = digits.input_len();
    let mut images = Vec::new();
    for (name, bytes) in DIGITS {
        images.extend(npy::parse_points(bytes, name, n)?);
    }
    let slice = Slice::through_points(
        digits.input_shape(),
        &images[0],
        &images[1],
        &images[2],
        DIGITS_MARGIN,
    )
    .context("the plane through the digits")?;
    outln!();
    outln!(
        "2. digits: 64-64-64-10 ReLU classifier of 8x8 images, on the plane through three test images (0, 3, 7), triangle grown by {DIGITS_MARGIN}"
    );
    example(&digits, &slice, &a.out.join("digits"))?;
    Ok(())
}

/// Partitions, validates, writes and verifies one example into `dir`.
fn example(net: &Network, slice: &Slice, dir: &Path) -> Result<Metrics> {
    let t = Instant::now();
    let p = Partition::compute(net, slice, &Options::default()).context("partitioning")?;
    let compute_time = t.elapsed();
    let t = Instant::now();
    p.validate().context("validating the partition")?;
    let validate_time = t.elapsed();
    let metrics = Metrics::of(&p).context("computing the metrics")?;
    let st = &p.stats().predicates;
    outln!(
        "  regions: {} (after each layer, then the boundary: {})",
        p.num_regions(),
        metrics
            .regions_per_layer
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" -> ")
    );
    outln!(
        "  decision boundary: {} piece(s), length {:.4}, {} regions touch it",
        metrics.boundary_pieces,
        metrics.boundary_length,
        metrics.regions_touching_boundary
    );
    outln!(
        "  time: {} partition, {} exact validation (passed)",
        fmt_duration(compute_time),
        fmt_duration(validate_time)
    );
    outln!(
        "  sign tests: {} ({} by the f64 filter, {} adaptive, {} exact integer)",
        st.total(),
        st.filtered,
        st.adaptive,
        st.exact
    );

    create_dir(dir)?;
    let mut written = Vec::new();
    let path = dir.join("metrics.json");
    let mut text = serde_json::to_string_pretty(&metrics).context("serialising the metrics")?;
    text.push('\n');
    write_file(&path, text.as_bytes())?;
    written.push(path);

    let result = ResultFile::with_metrics(&p, &metrics).context("collecting the result")?;
    let path = dir.join("result.json");
    write_file(
        &path,
        result
            .to_json_pretty()
            .context("serialising the result")?
            .as_bytes(),
    )?;
    written.push(path.clone());
    let t = Instant::now();
    // Re-read the file and check it by the independent exact path.
    let back = ResultFile::read(&path).context("reading the result back")?;
    let report = splinecam::verify::verify(net, &back).context("verifying the written result")?;
    outln!(
        "  result.json verified independently in {}: {} exact forward passes",
        fmt_duration(t.elapsed()),
        report.forward_passes
    );

    let class = Style::default();
    written.extend(write_pictures(&p, &class, dir, "partition")?);
    let slope = Style {
        fill: Fill::SlopeNorm,
        ..Style::default()
    };
    written.extend(write_pictures(&p, &slope, dir, "slope")?);
    let samples = sample::boundary_samples(&p, SAMPLES, 0)?;
    written.extend(write_samples(
        &p,
        &samples,
        "boundary",
        Some(0),
        &dir.join("boundary_samples"),
    )?);
    outln!(
        "  wrote {}",
        written
            .iter()
            .map(|w| w.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(metrics)
}
