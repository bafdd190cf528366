//! The `splinecam` command-line tool.
//!
//! Until the partition engine lands, `demo` shows the exact kernel at work
//! on a bundled line arrangement with quantized (small-integer) coefficients,
//! the case where float-based tools go wrong.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use splinecam::exact::{Kernel, Line};
use splinecam::mesh::{Label, Mesh};

#[derive(Parser)]
#[command(
    name = "splinecam",
    version,
    about = "Exact linear regions of piecewise-linear networks on 2-D slices"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the bundled example and print what was computed.
    Demo,
}

/// One hidden layer of 32 ReLU neurons on the square [-1, 1]², weights in
/// {-3..3}/4 and biases in {-3..3}/8: the zero sets of its neurons are 32
/// lines with many exact concurrences, parallels and duplicates.
fn quantized_layer() -> Vec<[f64; 3]> {
    // A fixed linear congruential sequence, so the example is reproducible.
    let mut s: u64 = 0x5eed;
    let mut next = |m: u64| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) % m) as f64
    };
    (0..32)
        .map(|_| {
            [
                (next(7) - 3.0) / 4.0,
                (next(7) - 3.0) / 4.0,
                (next(7) - 3.0) / 8.0,
            ]
        })
        .collect()
}

fn demo() -> Result<()> {
    let square = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]];
    let mut mesh =
        Mesh::from_convex_polygon(&square, Kernel::Filtered).context("building the domain")?;
    let t = std::time::Instant::now();
    for (k, [a, b, c]) in quantized_layer().into_iter().enumerate() {
        let line = Line::from_f64(a, b, c).context("bundled weights are finite")?;
        let id = mesh.add_line(line);
        mesh.insert_line(id, Label(k as u32))?;
    }
    let elapsed = t.elapsed();
    mesh.validate().context("validating the mesh")?;
    let areas: rug::Rational = mesh.faces().map(|f| mesh.face_area_exact(f)).sum();
    let st = mesh.stats();
    println!(
        "splinecam {} demo: one ReLU layer, 32 neurons, quantized weights, on [-1,1]^2",
        env!("CARGO_PKG_VERSION")
    );
    println!("  regions (faces): {}", mesh.num_faces());
    println!(
        "  vertices: {}, edges: {}",
        mesh.num_vertices(),
        mesh.num_edges()
    );
    println!(
        "  Euler V - E + F = {}",
        mesh.num_vertices() as i64 - mesh.num_edges() as i64 + mesh.num_faces() as i64
    );
    println!(
        "  exact area sum = {} (domain area {})",
        areas,
        mesh.total_area_exact()
    );
    println!(
        "  sign tests: {} ({} by the f64 filter, {} adaptive, {} exact integer)",
        st.total(),
        st.filtered,
        st.adaptive,
        st.exact
    );
    println!(
        "  time: {:.3} ms; mesh validated exactly",
        elapsed.as_secs_f64() * 1e3
    );
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => demo(),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
