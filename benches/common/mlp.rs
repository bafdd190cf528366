//! The random MLPs of the partition benchmark, `2 - width x depth - 1` with
//! PyTorch's default `nn.Linear` initialisation drawn as `f32` from a fixed
//! ChaCha8 seed. Shared by `benches/partition.rs`, `examples/mlp_profile.rs`
//! and `tests/regioncam_diff.rs` (each includes this file with `#[path]`),
//! so that all build the very same weights.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use splinecam::net::{json, Network};

/// The splinecam network of the benchmark row `2-{width}x{depth}-1`
/// (seed `1000 · width + depth`).
pub fn network(width: usize, depth: usize) -> Network {
    to_splinecam(&mlp(
        &vec![width; depth],
        1000 * width as u64 + depth as u64,
    ))
}

/// One dense layer in PyTorch layout: `weight[out][in]`.
pub struct Dense {
    pub weight: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
}

/// The MLP `2 - hidden[0] - … - 1` with PyTorch's default initialisation.
pub fn mlp(hidden: &[usize], seed: u64) -> Vec<Dense> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut dims = vec![2];
    dims.extend_from_slice(hidden);
    dims.push(1);
    dims.windows(2)
        .map(|d| {
            let (fan_in, fan_out) = (d[0], d[1]);
            let bound = 1.0 / (fan_in as f32).sqrt();
            let mut draw = || rng.gen_range(-bound..bound);
            let weight = (0..fan_out)
                .map(|_| (0..fan_in).map(|_| draw()).collect())
                .collect();
            let bias = (0..fan_out).map(|_| draw()).collect();
            Dense { weight, bias }
        })
        .collect()
}

/// The splinecam network (native JSON; every `f32` converted exactly to `f64`,
/// which serde_json writes and reads back without rounding).
pub fn to_splinecam(layers: &[Dense]) -> Network {
    to_splinecam_with(layers, "relu")
}

/// [`to_splinecam`] with another activation op between the layers
/// (`"relu"`, `"abs"`, …: a JSON op without parameters).
pub fn to_splinecam_with(layers: &[Dense], activation: &str) -> Network {
    let mut ops = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let weight: Vec<Vec<f64>> = l
            .weight
            .iter()
            .map(|r| r.iter().map(|&w| w as f64).collect())
            .collect();
        let bias: Vec<f64> = l.bias.iter().map(|&b| b as f64).collect();
        ops.push(serde_json::json!({"op": "dense", "weight": weight, "bias": bias}));
        if i + 1 < layers.len() {
            ops.push(serde_json::json!({ "op": activation }));
        }
    }
    let model = serde_json::json!({
        "format": "splinecam-model", "version": 1, "input_shape": [2], "ops": ops
    });
    json::from_str(&model.to_string()).expect("valid model")
}
