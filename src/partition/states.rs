//! Shared activation-state vectors.
//!
//! Every region keeps, per layer, the states of that layer's units (its
//! [`crate::net::Pattern`]). Many regions share a layer's states: all
//! sub-faces of a face for the layers before it was cut, and, in deep
//! layers, regions far apart (a 2-64x8-1 MLP's 8,139 regions have 101, 35,
//! 2, 2 and 1 distinct state vectors in its last five layers). [`States`]
//! hands out one shared copy per distinct vector, so a partition holds each
//! only once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rustc_hash::FxBuildHasher;
use smallvec::SmallVec;

/// Shards of [`States`] (threads rarely wait on one another).
const SHARDS: usize = 16;

/// Vectors with the same [`key`], in one shard.
type Shard = HashMap<u64, SmallVec<[Arc<[u32]>; 1]>, FxBuildHasher>;

/// A set of shared state vectors, safe to use from several threads.
pub(super) struct States {
    shards: Vec<Mutex<Shard>>,
}

impl Default for States {
    fn default() -> Self {
        States {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

/// A 64-bit key of a state vector: the vector read as 64-bit words (two
/// states each), each times its own odd constant, summed in four lanes (no
/// chain of dependent steps: a 256-unit layer's vector takes about a
/// hundred cycles), then mixed (MurmurHash3's finalizer). Vectors that
/// differ in one word always get different sums; equal keys are compared
/// in full, so a collision costs a comparison, never a wrong answer.
fn key(states: &[u32]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut acc = [states.len() as u64; 4];
    let mut chunks = states.chunks_exact(8);
    let mut j = 1u64;
    for c in &mut chunks {
        for (l, a) in acc.iter_mut().enumerate() {
            let w = c[2 * l] as u64 | (c[2 * l + 1] as u64) << 32;
            *a = a.wrapping_add(w.wrapping_mul(K.wrapping_mul(2 * (j + l as u64) + 1)));
        }
        j += 4;
    }
    for (i, &s) in chunks.remainder().iter().enumerate() {
        acc[0] =
            acc[0].wrapping_add((s as u64).wrapping_mul(K.wrapping_mul(2 * (j + i as u64) + 1)));
    }
    let mut h = acc[0] ^ acc[1].rotate_left(16) ^ acc[2].rotate_left(32) ^ acc[3].rotate_left(48);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

impl States {
    /// The shared copy of `states` (made on first use).
    pub(super) fn get(&self, states: &[u32]) -> Arc<[u32]> {
        let k = key(states);
        let shard = &self.shards[(k >> 60) as usize % SHARDS];
        let mut map = shard.lock().unwrap_or_else(|e| e.into_inner());
        let same = map.entry(k).or_default();
        if let Some(a) = same.iter().find(|a| ***a == *states) {
            return Arc::clone(a);
        }
        let a: Arc<[u32]> = Arc::from(states);
        same.push(Arc::clone(&a));
        a
    }
}

#[cfg(test)]
mod tests {
    use super::{key, States};
    use std::sync::Arc;

    /// Vectors that differ in one state (any position, any length, 0/1 or
    /// argmax values) or only in length get different keys.
    #[test]
    fn one_state_apart_means_another_key() {
        for n in [1usize, 7, 8, 9, 64, 100, 256] {
            let base: Vec<u32> = (0..n).map(|i| ((i * 7 + 3) % 5 == 0) as u32).collect();
            let k = key(&base);
            let mut shorter = base.clone();
            shorter.pop();
            assert_ne!(k, key(&shorter), "n = {n}: a prefix");
            for i in 0..n {
                for v in [base[i] ^ 1, 3] {
                    let mut other = base.clone();
                    other[i] = v;
                    assert_ne!(k, key(&other), "n = {n}, state {i} set to {v}");
                }
            }
        }
    }

    #[test]
    fn equal_vectors_share_one_copy_and_others_do_not() {
        let s = States::default();
        let a = s.get(&[1, 0, 1, 1]);
        let b = s.get(&[1, 0, 1, 1]);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, &[1, 0, 1, 1]);
        // Different contents, lengths (a prefix, the empty vector) and
        // values beyond 0/1 (argmax states) stay apart.
        let others = [
            &[1, 0, 1][..],
            &[1, 0, 1, 1, 0],
            &[],
            &[1, 0, 1, 2],
            &[0, 0, 0, 0],
        ];
        for o in others {
            let c = s.get(o);
            assert_eq!(&*c, o);
            assert!(!Arc::ptr_eq(&a, &c));
            assert!(Arc::ptr_eq(&c, &s.get(o)));
        }
        // From several threads: one copy.
        let copies: Vec<Arc<[u32]>> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..4).map(|_| sc.spawn(|| s.get(&[7, 7, 7]))).collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(copies.windows(2).all(|w| Arc::ptr_eq(&w[0], &w[1])));
    }
}
