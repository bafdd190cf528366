//! `splinecam info MODEL`: the network as loaded.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use splinecam::net::OpClass;

use super::inputs::load_model;

/// Arguments of `info`.
#[derive(Args)]
pub struct InfoArgs {
    /// An ONNX (.onnx) or splinecam JSON (.json) model.
    model: PathBuf,
}

/// Prints the nodes, shapes and neuron counts of a model.
pub fn run(a: &InfoArgs) -> Result<()> {
    let path = &a.model;
    let net = load_model(path)?;
    let shape = |s: &[usize]| format!("{s:?}");
    outln!("model: {}", path.display());
    outln!("input shape: {}", shape(net.input_shape()));
    outln!("output shape: {}", shape(net.output_shape()));
    if let Some(t) = net.output_transform() {
        outln!("output transform: {t:?} (monotone, skipped for geometry)");
    }
    let nodes = net.nodes();
    outln!("nodes: {}", nodes.len());
    let rows: Vec<[String; 5]> = nodes
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let ins = n
                .inputs
                .iter()
                .map(|&t| shape(net.shape(t)))
                .collect::<Vec<_>>()
                .join(", ");
            [
                k.to_string(),
                n.name.clone(),
                n.op.name().to_string(),
                ins,
                shape(net.shape(n.output)),
            ]
        })
        .collect();
    let header = ["#", "name", "op", "input shapes", "output shape"].map(String::from);
    let mut widths = header.clone().map(|h| h.len());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    for r in std::iter::once(&header).chain(&rows) {
        outln!(
            "  {:>w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
    }

    let layers = net.layer_nodes();
    outln!("activation layers: {}", layers.len());
    let mut total = 0usize;
    for (l, &k) in layers.iter().enumerate() {
        let n = &nodes[k];
        let (units, what) = match n.op.class() {
            OpClass::Max => (n.windows.len(), "max units"),
            _ => (net.len_of(n.output), "neurons"),
        };
        total += units;
        outln!(
            "  layer {l}: node {k} '{}' ({}): {units} {what}",
            n.name,
            n.op.name()
        );
    }
    outln!("total: {total} neurons/units");
    Ok(())
}
