//! `Partition::validate`: the checks of DESIGN §4, in exact arithmetic.

use std::collections::HashMap;

use rug::Rational;

use crate::mesh::{FaceId, HalfEdgeId, InvariantViolation};
use crate::net::{OpClass, Pattern};

use super::labels::LabelKind;
use super::{Boundary, Partition};

/// The first failed check of [`Partition::validate`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PartitionViolation {
    /// The mesh broke an invariant.
    #[error(transparent)]
    Mesh(#[from] InvariantViolation),
    /// Region areas do not sum to the domain's area.
    #[error("region areas sum to {sum}, the domain's area is {domain}")]
    Area {
        /// Sum of the regions' exact areas.
        sum: String,
        /// Exact area of the slice polygon.
        domain: String,
    },
    /// An exact forward pass at an interior point gives another pattern.
    #[error("region {face:?}: the exact forward pass at an interior point has another activation pattern")]
    Pattern {
        /// The region.
        face: FaceId,
    },
    /// Two regions have the same pattern and class.
    #[error("regions {a:?} and {b:?} have the same pattern and class")]
    Duplicate {
        /// One region.
        a: FaceId,
        /// The other.
        b: FaceId,
    },
    /// The region's class is not the class of the exact outputs inside it.
    #[error("region {face:?}: its class is not the exact outputs' class at an interior point")]
    Class {
        /// The region.
        face: FaceId,
    },
    /// The region's exact output map disagrees with the exact forward pass.
    #[error("region {face:?}: its output map disagrees with the exact forward pass")]
    Output {
        /// The region.
        face: FaceId,
    },
    /// A side of the domain polygon records a zero set (sides carry no
    /// labels).
    #[error("edge {he:?} is a side of the slice polygon but carries labels")]
    SideLabels {
        /// The edge.
        he: HalfEdgeId,
    },
    /// Two regions differ in a unit whose zero set the edge between them is
    /// not recorded in.
    #[error("edge {he:?}: its regions differ in {what} but the edge does not record it")]
    EdgeLabels {
        /// The edge.
        he: HalfEdgeId,
        /// Which unit.
        what: String,
    },
    /// The network failed on a point of the slice.
    #[error("network evaluation failed: {0}")]
    Net(String),
}

/// The class of exact outputs under a boundary option (lowest index wins
/// ties, as in the engine).
pub(crate) fn class_of(y: &[Rational], boundary: Boundary) -> Option<u32> {
    let k = y.len();
    let b = match boundary {
        Boundary::None => return None,
        Boundary::Auto if k == 1 => Boundary::Level {
            output: 0,
            value: 0.0,
        },
        Boundary::Auto => Boundary::Argmax,
        other => other,
    };
    match b {
        Boundary::Level { output, value } => {
            let v = Rational::from_f64(value).unwrap_or_default();
            Some((y[output] > v) as u32)
        }
        Boundary::Argmin => {
            let mut best = 0;
            for i in 1..k {
                if y[i] < y[best] {
                    best = i;
                }
            }
            Some(best as u32)
        }
        _ => {
            let mut best = 0;
            for i in 1..k {
                if y[i] > y[best] {
                    best = i;
                }
            }
            Some(best as u32)
        }
    }
}

impl Partition {
    /// Checks the partition exactly (DESIGN §4): mesh invariants and Euler's
    /// formula, areas summing to the domain's, each region's pattern, class
    /// and output map against an exact forward pass at an interior point,
    /// patterns pairwise distinct, and each edge recording the units in which
    /// its two regions differ.
    pub fn validate(&self) -> Result<(), PartitionViolation> {
        self.mesh.validate()?;
        let sum: Rational = self.regions().map(|f| self.mesh.face_area_exact(f)).sum();
        let domain = self.slice.area_exact();
        if sum != domain {
            return Err(PartitionViolation::Area {
                sum: sum.to_string(),
                domain: domain.to_string(),
            });
        }
        let mut seen: HashMap<(&Pattern, Option<u32>), FaceId> = HashMap::new();
        for f in self.regions() {
            let r = self.region(f);
            if let Some(&a) = seen.get(&(&r.pattern, r.class)) {
                return Err(PartitionViolation::Duplicate { a, b: f });
            }
            seen.insert((&r.pattern, r.class), f);
            let (u, v) = self.interior_point(f);
            let x = self.slice.point_exact(&u, &v);
            let (y, pattern) = self
                .net
                .forward_exact(&x)
                .map_err(|e| PartitionViolation::Net(e.to_string()))?;
            if pattern != r.pattern {
                return Err(PartitionViolation::Pattern { face: f });
            }
            if class_of(&y, self.boundary) != r.class {
                return Err(PartitionViolation::Class { face: f });
            }
            let map = self
                .output_exact(f)
                .map_err(|e| PartitionViolation::Net(e.to_string()))?;
            for (k, [a, b, c]) in map.iter().enumerate() {
                let val = Rational::from(a * &u) + Rational::from(b * &v) + c;
                if val != y[k] {
                    return Err(PartitionViolation::Output { face: f });
                }
            }
        }
        self.check_edge_labels()
    }

    fn check_edge_labels(&self) -> Result<(), PartitionViolation> {
        let layer_is_max: Vec<bool> = self
            .net
            .layer_nodes()
            .iter()
            .map(|&i| self.net.nodes()[i].op.class() == OpClass::Max)
            .collect();
        for h in self.mesh.edges() {
            let (f, g) = (self.mesh.face(h), self.mesh.face(h.twin()));
            if f == FaceId::OUTER || g == FaceId::OUTER {
                // A side of the domain polygon carries no labels.
                if !self.mesh.edge_labels(h).is_empty() {
                    return Err(PartitionViolation::SideLabels { he: h });
                }
                continue;
            }
            let labels: Vec<LabelKind> = self
                .mesh
                .edge_labels(h)
                .iter()
                .map(|l| self.labels.kind(*l))
                .collect();
            let (rf, rg) = (self.region(f), self.region(g));
            for (layer, (sf, sg)) in rf.pattern.layers.iter().zip(&rg.pattern.layers).enumerate() {
                for (unit, (a, b)) in sf.iter().zip(sg.iter()).enumerate() {
                    if a == b {
                        continue;
                    }
                    let ok = if layer_is_max[layer] {
                        labels.iter().any(|k| {
                            matches!(k, LabelKind::MaxPair { layer: l, unit: u, .. } if *l == layer && *u == unit)
                        })
                    } else {
                        labels.contains(&LabelKind::Neuron { layer, unit })
                    };
                    if !ok {
                        return Err(PartitionViolation::EdgeLabels {
                            he: h,
                            what: format!("layer {layer} unit {unit}"),
                        });
                    }
                }
            }
            if rf.class != rg.class
                && !labels
                    .iter()
                    .any(|k| matches!(k, LabelKind::OutputPair { .. } | LabelKind::Level { .. }))
            {
                return Err(PartitionViolation::EdgeLabels {
                    he: h,
                    what: "class".into(),
                });
            }
        }
        Ok(())
    }
}
