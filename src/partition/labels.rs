//! What the labels on vertices and edges stand for.
//!
//! A label names one continuous function of the slice whose zero set a cut
//! follows: a neuron's pre-activation, the difference of two candidates of a
//! max unit, or the difference of two outputs. By continuity a vertex lies
//! in a label's zero set for every face around it, which is why the mesh may
//! reuse the record (DESIGN §3).

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Serialize};

use crate::mesh::Label;

/// What a [`Label`] stands for. Serialised (in result files) as an object
/// tagged by `"kind"`: `{"kind":"neuron","layer":0,"unit":3}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LabelKind {
    /// Neuron `unit` of activation layer `layer`: its pre-activation is 0.
    Neuron {
        /// Activation layer index (in [`crate::net::Network::layer_nodes`]).
        layer: usize,
        /// Unit within the layer.
        unit: usize,
    },
    /// Max unit `unit` of layer `layer`: candidates `a` and `b` (positions in
    /// its window) are equal.
    MaxPair {
        /// Layer index.
        layer: usize,
        /// Unit.
        unit: usize,
        /// One candidate position.
        a: u32,
        /// The other candidate position.
        b: u32,
    },
    /// Outputs `a` and `b` are equal (multi-class boundary).
    OutputPair {
        /// One output.
        a: u32,
        /// The other output.
        b: u32,
    },
    /// The level set of one output (single-output boundary or level set).
    Level {
        /// The output.
        output: u32,
    },
}

/// Labels: neurons get `base[layer] + unit`; the rest are interned.
#[derive(Clone, Debug, Default)]
pub(crate) struct LabelTable {
    base: Vec<u32>,
    units: Vec<u32>,
    extra: Vec<LabelKind>,
    /// Interned kinds (looked up once per cut of a max pair or boundary).
    index: HashMap<LabelKind, u32, FxBuildHasher>,
    neurons: u32,
}

impl LabelTable {
    pub fn new(layer_units: &[usize]) -> LabelTable {
        let mut base = Vec::new();
        let mut n = 0u32;
        for &u in layer_units {
            base.push(n);
            n += u as u32;
        }
        LabelTable {
            base,
            units: layer_units.iter().map(|&u| u as u32).collect(),
            extra: Vec::new(),
            index: HashMap::default(),
            neurons: n,
        }
    }

    pub fn neuron(&self, layer: usize, unit: usize) -> Label {
        Label(self.base[layer] + unit as u32)
    }

    pub fn intern(&mut self, kind: LabelKind) -> Label {
        if let LabelKind::Neuron { layer, unit } = kind {
            return self.neuron(layer, unit);
        }
        if let Some(&i) = self.index.get(&kind) {
            return Label(self.neurons + i);
        }
        let i = self.extra.len() as u32;
        self.extra.push(kind);
        self.index.insert(kind, i);
        Label(self.neurons + i)
    }

    /// Takes in the labels of `other` (a table for the same network, whose
    /// interned kinds may have other numbers): returns, per label of
    /// `other`, the same kind's label here.
    pub fn absorb(&mut self, other: &LabelTable) -> Vec<Label> {
        debug_assert_eq!((&self.base, self.neurons), (&other.base, other.neurons));
        (0..other.neurons)
            .map(Label)
            .chain(other.extra.iter().map(|&k| self.intern(k)))
            .collect()
    }

    pub fn kind(&self, l: Label) -> LabelKind {
        if l.0 < self.neurons {
            let layer = self.base.partition_point(|&b| b <= l.0) - 1;
            debug_assert!(l.0 - self.base[layer] < self.units[layer]);
            LabelKind::Neuron {
                layer,
                unit: (l.0 - self.base[layer]) as usize,
            }
        } else {
            self.extra[(l.0 - self.neurons) as usize]
        }
    }
}
