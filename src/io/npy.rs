//! Points of the input space in NumPy's `.npy` format.
//!
//! [`read_points`] accepts one point (any array with exactly as many numbers
//! as the network's input, e.g. an image of shape `(1, 28, 28)`) or a batch
//! (an array whose first axis counts points and whose other axes hold one
//! input each), in `float64`, `float32` or any fixed-size integer type (an
//! 8-bit image stays in 0..255: scale it yourself if the network expects
//! 0..1). [`write_points`] writes a batch as `float64` in the shape
//! `(N, *input_shape)`, atomically.
//!
//! ```
//! use splinecam::io::npy;
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("pts.npy");
//! let pts = vec![vec![0.5, 1.0, -2.0, 0.0], vec![1.0, 2.0, 3.0, 4.0]];
//! npy::write_points(&path, &pts, &[1, 2, 2]).unwrap();
//! assert_eq!(npy::read_points(&path, 4).unwrap(), pts);
//! ```

use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{ReadNpyError, ReadNpyExt, ReadableElement, WriteNpyExt};

/// Errors of [`read_points`] and [`write_points`].
#[derive(Debug, thiserror::Error)]
pub enum NpyError {
    /// The file cannot be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The file is not a `.npy` array of a supported type.
    #[error("{path}: not a readable .npy array ({detail}); save it with numpy.save as float64 or float32")]
    Format {
        /// The file.
        path: String,
        /// The reader's complaint.
        detail: String,
    },
    /// The array's size does not fit the network's input.
    #[error("{path}: the array has shape {shape:?} ({len} numbers), which is neither one input of {input_len} numbers nor a batch of them (shape (N, ...) with {input_len} numbers per row)")]
    Shape {
        /// The file.
        path: String,
        /// The array's shape.
        shape: Vec<usize>,
        /// Its number of elements.
        len: usize,
        /// Numbers per input.
        input_len: usize,
    },
    /// A value is NaN or infinite.
    #[error("{path}: value {index} is {value}; every number must be finite")]
    NotFinite {
        /// The file.
        path: String,
        /// Flat index of the value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// The array cannot be encoded or written as `.npy`.
    #[error("cannot encode the points as .npy: {msg}")]
    Encode {
        /// The encoder's complaint.
        msg: String,
    },
    /// The points do not match the shape to write.
    #[error("point {index} has {len} numbers but the input shape {shape:?} holds {expected}")]
    Length {
        /// Which point.
        index: usize,
        /// Its length.
        len: usize,
        /// The shape requested.
        shape: Vec<usize>,
        /// Numbers in that shape.
        expected: usize,
    },
}

/// An array's shape and its elements in f64.
type Shaped = (Vec<usize>, Vec<f64>);

/// Reads the array as `T` and converts it, or says the type did not match.
fn try_read<T: ReadableElement + Copy>(
    bytes: &[u8],
    path: &str,
    conv: impl Fn(T) -> f64,
) -> Result<Option<Shaped>, NpyError> {
    match ArrayD::<T>::read_npy(bytes) {
        Ok(a) => Ok(Some((
            a.shape().to_vec(),
            a.iter().map(|&x| conv(x)).collect(),
        ))),
        Err(ReadNpyError::WrongDescriptor(_)) => Ok(None),
        Err(e) => Err(NpyError::Format {
            path: path.to_string(),
            detail: e.to_string(),
        }),
    }
}

/// Reads one input point or a batch of them (see the module doc) of
/// `input_len` numbers each.
pub fn read_points(path: impl AsRef<Path>, input_len: usize) -> Result<Vec<Vec<f64>>, NpyError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| NpyError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_points(&bytes, &path.display().to_string(), input_len)
}

/// [`read_points`] on the bytes of a `.npy` file; `name` names it in errors.
pub fn parse_points(bytes: &[u8], name: &str, input_len: usize) -> Result<Vec<Vec<f64>>, NpyError> {
    let path = name;
    let mut found = try_read::<f64>(bytes, path, |x| x)?;
    macro_rules! next {
        ($t:ty) => {
            if found.is_none() {
                found = try_read::<$t>(bytes, path, |x| x as f64)?;
            }
        };
    }
    next!(f32);
    next!(i64);
    next!(i32);
    next!(i16);
    next!(i8);
    next!(u64);
    next!(u32);
    next!(u16);
    next!(u8);
    let path = path.to_string();
    let Some((shape, data)) = found else {
        return Err(NpyError::Format {
            path,
            detail: "unsupported element type (not a float or fixed-size integer)".into(),
        });
    };
    if let Some((index, &value)) = data.iter().enumerate().find(|(_, x)| !x.is_finite()) {
        return Err(NpyError::NotFinite { path, index, value });
    }
    let shape_err = || NpyError::Shape {
        path: path.clone(),
        shape: shape.clone(),
        len: data.len(),
        input_len,
    };
    if input_len == 0 {
        return Err(shape_err());
    }
    if data.len() == input_len {
        return Ok(vec![data]);
    }
    let per_row: usize = shape.iter().skip(1).product();
    if shape.len() >= 2 && per_row == input_len {
        return Ok(data.chunks(input_len).map(<[f64]>::to_vec).collect());
    }
    Err(shape_err())
}

/// Writes `points` as a `float64` array of shape `(N, *input_shape)`,
/// atomically (see [`crate::io::atomic`]).
pub fn write_points<P: AsRef<[f64]>>(
    path: impl AsRef<Path>,
    points: &[P],
    input_shape: &[usize],
) -> Result<(), NpyError> {
    let path = path.as_ref();
    let array = to_array(points, input_shape)?;
    let mut bytes = Vec::new();
    array
        .write_npy(&mut bytes)
        .map_err(|e| NpyError::Encode { msg: e.to_string() })?;
    crate::io::atomic::write_atomic(path, &bytes).map_err(|source| NpyError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Writes the `.npy` file of [`write_points`] to `w` (e.g. a file staged
/// with [`crate::io::atomic::stage_with`] to be committed together with
/// others), without building its bytes in memory first. A failed write is
/// an [`NpyError::Encode`] error.
///
/// ```
/// use splinecam::io::npy;
/// let mut bytes = Vec::new();
/// npy::to_writer(&mut bytes, &[[1.0, 2.0].as_slice()], &[2]).unwrap();
/// assert_eq!(npy::parse_points(&bytes, "mem", 2).unwrap(), vec![vec![1.0, 2.0]]);
/// ```
pub fn to_writer<P: AsRef<[f64]>>(
    w: impl std::io::Write,
    points: &[P],
    input_shape: &[usize],
) -> Result<(), NpyError> {
    to_array(points, input_shape)?
        .write_npy(w)
        .map_err(|e| NpyError::Encode { msg: e.to_string() })
}

/// `points` as one array of shape `(N, *input_shape)`.
fn to_array<P: AsRef<[f64]>>(points: &[P], input_shape: &[usize]) -> Result<ArrayD<f64>, NpyError> {
    let expected: usize = input_shape.iter().product();
    let mut flat = Vec::with_capacity(points.len().saturating_mul(expected));
    for (index, p) in points.iter().enumerate() {
        let p = p.as_ref();
        if p.len() != expected {
            return Err(NpyError::Length {
                index,
                len: p.len(),
                shape: input_shape.to_vec(),
                expected,
            });
        }
        flat.extend_from_slice(p);
    }
    let mut shape = vec![points.len()];
    shape.extend_from_slice(input_shape);
    ArrayD::from_shape_vec(IxDyn(&shape), flat).map_err(|e| NpyError::Encode { msg: e.to_string() })
}
