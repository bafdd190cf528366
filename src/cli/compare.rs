//! `splinecam compare MODEL... --slices K --seed S`: metrics of several
//! models over the same K random slices, mean and spread side by side.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args, ValueEnum};
use rand::seq::index::sample as draw_indices;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use splinecam::domain::{Slice, SliceError};
use splinecam::metrics::{summarize, Metrics, Summary};
use splinecam::net::Network;
use splinecam::partition::Partition;

use super::inputs::{load_model, read_point, read_points};
use super::slice::{box_slice, parse_box, parse_non_negative, parse_positive, RunArgs};

/// Arguments of `compare`.
#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).args(["samples", "around", "box_bounds"])))]
pub struct CompareArgs {
    /// The models (same input shape), ONNX or splinecam JSON.
    #[arg(required = true)]
    models: Vec<PathBuf>,
    /// How many random slices.
    #[arg(
        long,
        value_name = "K",
        default_value_t = 5,
        conflicts_with = "box_bounds"
    )]
    slices: usize,
    /// Seed of the random slices (same slices for every model).
    #[arg(
        long,
        value_name = "S",
        default_value_t = 0,
        conflicts_with = "box_bounds"
    )]
    seed: u64,
    /// Planes through random triples of these samples (.npy batches or single
    /// points, .json, VNN-LIB centres; at least three points in all).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    samples: Option<Vec<PathBuf>>,
    /// With --samples: grow each triangle by the factor 1 + M (M >= 0).
    #[arg(
        long,
        value_name = "M",
        default_value_t = 0.0,
        value_parser = parse_non_negative,
        allow_hyphen_values = true,
        requires = "samples",
        conflicts_with_all = ["around", "box_bounds"]
    )]
    margin: f64,
    /// Random square planes (half side --pad) through this point.
    #[arg(long, value_name = "POINT")]
    around: Option<PathBuf>,
    /// With --around: half side of the squares (R > 0).
    #[arg(
        long,
        value_name = "R",
        default_value_t = 0.1,
        value_parser = parse_positive,
        allow_hyphen_values = true,
        requires = "around",
        conflicts_with_all = ["samples", "box_bounds"]
    )]
    pad: f64,
    /// 2-input networks: this one box (then --slices is 1).
    #[arg(
        long = "box",
        value_name = "X0,X1,Y0,Y1",
        value_parser = parse_box,
        allow_hyphen_values = true
    )]
    box_bounds: Option<[f64; 4]>,
    #[command(flatten)]
    run: RunArgs,
    /// Table format.
    #[arg(long, value_enum, default_value_t = TableFormat::Markdown)]
    format: TableFormat,
}

/// How `compare` prints.
#[derive(Clone, Copy, ValueEnum)]
enum TableFormat {
    /// One row per metric, one column per model: "mean ± std".
    Markdown,
    /// model,metric,slices,mean,std,min,max.
    Csv,
}

/// Builds the K slices (shared by all models, which must agree on the input shape).
fn slices(a: &CompareArgs, shape: &[usize], n: usize) -> Result<Vec<Slice>> {
    if a.slices == 0 {
        bail!("--slices must be at least 1");
    }
    if let Some(b) = a.box_bounds {
        return Ok(vec![box_slice(
            shape,
            b,
            "--samples FILE... or --around POINT",
        )?]);
    }
    if let Some(file) = &a.around {
        let point = read_point(file, n)?;
        return (0..a.slices as u64)
            .map(|i| {
                Ok(Slice::square_around(
                    shape,
                    &point,
                    a.pad,
                    a.seed.wrapping_add(i),
                )?)
            })
            .collect();
    }
    let mut points = Vec::new();
    for f in a.samples.iter().flatten() {
        points.extend(read_points(f, n)?);
    }
    if points.len() < 3 {
        bail!(
            "--samples gave {} point(s); random planes through triples need at least 3",
            points.len()
        );
    }
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    let mut out = Vec::with_capacity(a.slices);
    let mut tries = 0;
    while out.len() < a.slices {
        tries += 1;
        if tries > 20 * a.slices + 100 {
            bail!(
                "only {} of {} random triples of the samples span a plane; give more distinct samples",
                out.len(),
                a.slices
            );
        }
        let idx = draw_indices(&mut rng, points.len(), 3);
        let (i, j, k) = (idx.index(0), idx.index(1), idx.index(2));
        match Slice::through_points(shape, &points[i], &points[j], &points[k], a.margin) {
            Ok(s) => out.push(s),
            // Collinear or repeated samples: draw again.
            Err(SliceError::Degenerate(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// Runs every model on every slice and prints the table.
pub fn run(a: &CompareArgs) -> Result<()> {
    let nets: Vec<Network> = a
        .models
        .iter()
        .map(|m| load_model(m))
        .collect::<Result<_>>()?;
    let shape = nets[0].input_shape().to_vec();
    for (m, net) in a.models.iter().zip(&nets) {
        if net.input_shape() != shape.as_slice() {
            bail!(
                "{} takes input shape {:?} but {} takes {:?}; compared models must share the input shape",
                m.display(),
                net.input_shape(),
                a.models[0].display(),
                shape
            );
        }
    }
    let slices = slices(a, &shape, nets[0].input_len())?;
    let options = a.run.options(None)?;
    let bar = super::term::bar(a.run.quiet, nets.len() * slices.len(), "partitions");
    let mut table: Vec<Vec<Summary>> = Vec::new();
    for (m, net) in a.models.iter().zip(&nets) {
        let mut list = Vec::with_capacity(slices.len());
        for (k, s) in slices.iter().enumerate() {
            bar.set_message(format!("{} slice {k}", m.display()));
            let p = Partition::compute(net, s, &options)
                .with_context(|| format!("{} on slice {k}", m.display()))?;
            list.push(Metrics::of(&p)?);
            bar.inc(1);
        }
        table.push(summarize(&list));
    }
    bar.finish_and_clear();
    let names: Vec<String> = a
        .models
        .iter()
        .map(|m| {
            m.file_name().map_or_else(
                || m.display().to_string(),
                |f| f.to_string_lossy().into_owned(),
            )
        })
        .collect();
    match a.format {
        TableFormat::Csv => {
            outln!("model,metric,slices,mean,std,min,max");
            for (name, rows) in names.iter().zip(&table) {
                for r in rows {
                    outln!(
                        "{},{},{},{},{},{},{}",
                        csv_field(name),
                        r.name,
                        r.count,
                        r.mean,
                        r.std,
                        r.min,
                        r.max
                    );
                }
            }
        }
        TableFormat::Markdown => {
            outln!(
                "{} slice(s), seed {}; each cell: mean ± standard deviation over the slices",
                slices.len(),
                a.seed
            );
            outln!();
            outln!("| metric | {} |", names.join(" | "));
            outln!("|---|{}", "--:|".repeat(names.len()));
            let mut metric_names: Vec<&str> = Vec::new();
            for rows in &table {
                for r in rows {
                    if !metric_names.contains(&r.name.as_str()) {
                        metric_names.push(&r.name);
                    }
                }
            }
            for metric in metric_names {
                let cells: Vec<String> = table
                    .iter()
                    .map(|rows| {
                        rows.iter()
                            .find(|r| r.name == metric)
                            .map_or_else(|| "–".to_string(), cell)
                    })
                    .collect();
                outln!("| {metric} | {} |", cells.join(" | "));
            }
        }
    }
    Ok(())
}

/// "mean ± std", with 4 significant digits.
fn cell(r: &Summary) -> String {
    format!("{} ± {}", sig(r.mean), sig(r.std))
}

fn sig(x: f64) -> String {
    if x == 0.0 || (x.abs() >= 1e-3 && x.abs() < 1e6) {
        let s = format!("{x:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{x:.3e}")
    }
}

/// Quotes a CSV field if needed.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
