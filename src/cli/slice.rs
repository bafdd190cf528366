//! The slice options shared by `partition`, `sample` and `stats`, and the
//! options of one partition run.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{ArgGroup, Args, ValueEnum};
use splinecam::domain::{Slice, SliceError};
use splinecam::net::Network;
use splinecam::partition::{Boundary, Options, ProgressFn};

use super::inputs::{naming_file, read_point};

/// Which 2-D slice of the input space to partition (exactly one of them).
///
/// An option of one kind of slice (e.g. `--pad` of `--square-around`) given
/// with another kind is refused. (`requires` alone does not do it: clap
/// excuses a required argument that conflicts with a present one, and the
/// slice kinds conflict with each other through their group.)
#[derive(Args, Clone, Debug)]
#[command(group(
    ArgGroup::new("slice")
        .required(true)
        .args(["box_bounds", "through", "square_around", "vnnlib_box", "polygon"])
))]
pub struct SliceArgs {
    /// A box of a 2-input network: x0,x1,y0,y1 (x0 < x1, y0 < y1).
    #[arg(
        long = "box",
        value_name = "X0,X1,Y0,Y1",
        value_parser = parse_box,
        allow_hyphen_values = true
    )]
    pub box_bounds: Option<[f64; 4]>,
    /// The plane through three points, on the triangle they span: .npy
    /// inputs, .json lists of numbers, or VNN-LIB files (their box centres).
    #[arg(long, num_args = 3, value_names = ["A", "B", "C"])]
    pub through: Option<Vec<PathBuf>>,
    /// With --through: grow the triangle about its centroid by the factor 1 + M (M >= 0).
    #[arg(
        long,
        value_name = "M",
        default_value_t = 0.0,
        value_parser = parse_non_negative,
        allow_hyphen_values = true,
        requires = "through",
        conflicts_with_all = ["box_bounds", "square_around", "vnnlib_box", "polygon"]
    )]
    pub margin: f64,
    /// A square around one point (random orthonormal directions, half side
    /// --pad), or a rectangle through two points (a random second
    /// direction, padded by --pad in units of |B - A|), as SplineCam offers.
    #[arg(long, num_args = 1..=2, value_names = ["A", "B"])]
    pub square_around: Option<Vec<PathBuf>>,
    /// With --square-around: the padding (R > 0 around one point, R >= 0 through two).
    #[arg(
        long,
        value_name = "R",
        default_value_t = 0.1,
        value_parser = parse_non_negative,
        allow_hyphen_values = true,
        requires = "square_around",
        conflicts_with_all = ["box_bounds", "through", "vnnlib_box", "polygon"]
    )]
    pub pad: f64,
    /// With --square-around: seed of the random directions.
    #[arg(
        long,
        value_name = "S",
        default_value_t = 0,
        requires = "square_around",
        conflicts_with_all = ["box_bounds", "through", "vnnlib_box", "polygon"]
    )]
    pub seed: u64,
    /// The 2-D face, through its centre, of a VNN-LIB property's input box (needs --dims).
    #[arg(long, value_name = "FILE", requires = "dims")]
    pub vnnlib_box: Option<PathBuf>,
    /// The two input dimensions of the --vnnlib-box face: I,J (0-based, flat input index).
    #[arg(
        long,
        value_name = "I,J",
        value_parser = parse_dims,
        requires = "vnnlib_box",
        conflicts_with_all = ["box_bounds", "through", "square_around", "polygon"]
    )]
    pub dims: Option<(usize, usize)>,
    /// A convex polygon in slice coordinates: "u,v u,v u,v ..." (counter-clockwise
    /// or clockwise). Of the input plane of a 2-input network, or of --plane.
    #[arg(long, value_name = "U,V U,V ...", value_parser = parse_polygon, allow_hyphen_values = true)]
    pub polygon: Option<Polygon>,
    /// With --polygon: the plane origin + u·E1 + v·E2 (three point files).
    #[arg(
        long,
        num_args = 3,
        value_names = ["O", "E1", "E2"],
        requires = "polygon",
        conflicts_with_all = ["box_bounds", "through", "square_around", "vnnlib_box"]
    )]
    pub plane: Option<Vec<PathBuf>>,
    /// Any slice but --polygon: keep its plane, but partition this convex
    /// polygon of its slice coordinates instead ("u,v u,v ..."), e.g. a
    /// small window around one of the --through samples.
    #[arg(long, value_name = "U,V U,V ...", value_parser = parse_polygon, allow_hyphen_values = true, conflicts_with = "polygon")]
    pub window: Option<Polygon>,
}

impl SliceArgs {
    /// The slice for `net`.
    pub fn build(&self, net: &Network) -> Result<Slice> {
        let slice = self.plane_slice(net)?;
        Ok(match &self.window {
            Some(w) => slice.with_polygon(&w.0)?,
            None => slice,
        })
    }

    fn plane_slice(&self, net: &Network) -> Result<Slice> {
        let shape = net.input_shape();
        let n = net.input_len();
        Ok(if let Some(b) = self.box_bounds {
            box_slice(shape, b, "--through A B C, --square-around A, --vnnlib-box FILE --dims I,J, or --polygon ... --plane O E1 E2")?
        } else if let Some(file) = &self.vnnlib_box {
            let Some(dims) = self.dims else {
                bail!("--vnnlib-box needs --dims I,J");
            };
            Slice::vnnlib_face(shape, file, dims)
                .map_err(|e| naming_file(e, file, "--vnnlib-box"))?
        } else if let Some(files) = &self.through {
            let [a, b, c] = files.as_slice() else {
                bail!("--through needs exactly three files");
            };
            let (pa, pb, pc) = (read_point(a, n)?, read_point(b, n)?, read_point(c, n)?);
            Slice::through_points(shape, &pa, &pb, &pc, self.margin)?
        } else if let Some(files) = &self.square_around {
            match files.as_slice() {
                [a] => {
                    if self.pad <= 0.0 {
                        bail!(
                            "--pad must be > 0 for a square around one point (it is the half side)"
                        );
                    }
                    Slice::square_around(shape, &read_point(a, n)?, self.pad, self.seed)?
                }
                [a, b] => Slice::through_two(
                    shape,
                    &read_point(a, n)?,
                    &read_point(b, n)?,
                    self.pad,
                    self.seed,
                )?,
                _ => bail!("--square-around takes one or two point files"),
            }
        } else if let Some(polygon) = &self.polygon {
            match &self.plane {
                Some(files) => {
                    let [o, e1, e2] = files.as_slice() else {
                        bail!("--plane needs exactly three files: O E1 E2");
                    };
                    let (o, e1, e2) = (read_point(o, n)?, read_point(e1, n)?, read_point(e2, n)?);
                    Slice::explicit(shape, &o, &e1, &e2, &polygon.0)?
                }
                None => {
                    if n != 2 {
                        bail!(
                            "--polygon without --plane is a polygon of the input plane of a 2-input network, but this network takes {n} inputs (shape {shape:?}); add --plane O E1 E2"
                        );
                    }
                    Slice::explicit(shape, &[0.0, 0.0], &[1.0, 0.0], &[0.0, 1.0], &polygon.0)?
                }
            }
        } else {
            bail!("give a slice: --box, --through, --square-around, --vnnlib-box with --dims, or --polygon");
        })
    }
}

/// `--box`: the box slice of a 2-input network. For another network the
/// message names the options to use instead (`others`), not the library's
/// constructors.
pub fn box_slice(shape: &[usize], bounds: [f64; 4], others: &str) -> Result<Slice> {
    let n: usize = shape.iter().product();
    match Slice::square_box(shape, bounds) {
        Err(SliceError::InputShape { .. }) if n != 2 => bail!(
            "--box is a box of a network with 2 inputs, but this one has {n} (input shape {shape:?}); use {others} instead"
        ),
        r => Ok(r?),
    }
}

/// The decision boundary to cut in after the last layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BoundaryArg {
    /// One output: its zero set; several: the argmax boundary.
    Auto,
    /// Boundary between argmax cells of the outputs.
    Argmax,
    /// Boundary between argmin cells (ACAS Xu picks the minimum score).
    Argmin,
    /// The level set output_K = C of a regression network (--level C, --level-output K).
    Level,
    /// No boundary: activation regions only.
    None,
}

/// Options of one partition run.
#[derive(Args, Clone, Debug)]
pub struct RunArgs {
    /// The decision boundary to cut in after the last layer.
    #[arg(long, value_enum, default_value_t = BoundaryArg::Auto)]
    pub boundary: BoundaryArg,
    /// With --boundary level: the level C.
    #[arg(
        long,
        value_name = "C",
        allow_hyphen_values = true,
        required_if_eq("boundary", "level")
    )]
    pub level: Option<f64>,
    /// With --boundary level: which output (0-based).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub level_output: usize,
    /// Stop with an error beyond this many regions.
    #[arg(long, value_name = "N")]
    pub max_regions: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

impl RunArgs {
    /// The partition options, with an optional progress callback.
    pub fn options(&self, progress: Option<ProgressFn>) -> Result<Options> {
        Ok(Options {
            boundary: self.boundary()?,
            max_regions: self.max_regions,
            progress,
            ..Options::default()
        })
    }

    /// The boundary to compute.
    pub fn boundary(&self) -> Result<Boundary> {
        Ok(match self.boundary {
            BoundaryArg::Auto => Boundary::Auto,
            BoundaryArg::Argmax => Boundary::Argmax,
            BoundaryArg::Argmin => Boundary::Argmin,
            BoundaryArg::None => Boundary::None,
            BoundaryArg::Level => {
                let Some(value) = self.level else {
                    bail!("--boundary level needs --level C (the value of the level set)");
                };
                Boundary::Level {
                    output: self.level_output,
                    value,
                }
            }
        })
    }
}

/// Parses `x0,x1,y0,y1` (four finite numbers).
pub fn parse_box(s: &str) -> std::result::Result<[f64; 4], String> {
    let v = parse_numbers(s)?;
    <[f64; 4]>::try_from(v.as_slice()).map_err(|_| {
        format!(
            "expected 4 comma-separated numbers x0,x1,y0,y1, got {}",
            v.len()
        )
    })
}

/// Parses a finite number >= 0 (`--margin`, `--pad`).
pub fn parse_non_negative(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        Ok(_) => Err("must be a finite number >= 0".into()),
        Err(_) => Err(format!("'{s}' is not a number")),
    }
}

/// Parses a finite number > 0.
pub fn parse_positive(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(_) => Err("must be a finite number > 0".into()),
        Err(_) => Err(format!("'{s}' is not a number")),
    }
}

/// Parses a comma-separated list of finite numbers.
fn parse_numbers(s: &str) -> std::result::Result<Vec<f64>, String> {
    s.split(',')
        .map(|t| {
            let t = t.trim();
            match t.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                Ok(_) => Err(format!("'{t}' is not a finite number")),
                Err(_) => Err(format!("'{t}' is not a number")),
            }
        })
        .collect()
}

/// The corners of `--polygon`, in slice coordinates.
#[derive(Clone, Debug)]
pub struct Polygon(pub Vec<[f64; 2]>);

/// Parses `u,v u,v ...` (at least three corners; `;` also separates).
fn parse_polygon(s: &str) -> std::result::Result<Polygon, String> {
    let corners: Vec<[f64; 2]> = s
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|t| !t.is_empty())
        .map(|t| {
            let v = parse_numbers(t)?;
            <[f64; 2]>::try_from(v.as_slice())
                .map_err(|_| format!("corner '{t}' is not two numbers u,v"))
        })
        .collect::<std::result::Result<_, _>>()?;
    if corners.len() < 3 {
        return Err(format!(
            "a polygon needs at least 3 corners \"u,v u,v u,v\", got {}",
            corners.len()
        ));
    }
    Ok(Polygon(corners))
}

/// Parses `i,j` (two distinct input dimensions).
fn parse_dims(s: &str) -> std::result::Result<(usize, usize), String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [i, j] = parts.as_slice() else {
        return Err(format!(
            "expected two comma-separated dimensions I,J, got {}",
            parts.len()
        ));
    };
    let dim = |t: &str| {
        t.parse::<usize>()
            .map_err(|_| format!("'{t}' is not a non-negative integer"))
    };
    let (i, j) = (dim(i)?, dim(j)?);
    if i == j {
        return Err(format!("the two dimensions must differ, got {i} twice"));
    }
    Ok((i, j))
}
