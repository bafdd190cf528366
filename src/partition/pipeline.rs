//! An ordered producer/consumer loop: items are produced in parallel (by
//! every thread of the current rayon pool) and consumed in index order on
//! the calling thread while later items are still being produced.
//!
//! The partition engine uses it for activation layers: producing is the
//! per-face work that only reads (a face's affine forms and which neuron
//! lines provably miss it), consuming is the mesh editing, which must run
//! in face order so that the result does not depend on the thread count.
//! Overlapping the two, instead of running them one after the other, is
//! what lets two threads help on networks where editing is a sizeable part.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// How many chunks producers may run ahead of the consumer.
pub(super) const LEAD: usize = 64;

/// A producer that is [`LEAD`] chunks ahead and finds no other job yields
/// its core this many times in a row, then naps [`IDLE_NAP`] at a time.
const IDLE_YIELDS: u32 = 64;
const IDLE_NAP: std::time::Duration = std::time::Duration::from_micros(50);

/// A produced chunk, or the panic that stopped its producer.
type Chunk<T> = std::thread::Result<Vec<T>>;

/// Runs `consume(i, produce(i, scratch))` for `i` in `0..n`, in order of `i`
/// for `consume`; `produce` runs on any thread, in chunks of `chunk`
/// consecutive items, each thread with its own scratch from `init`.
///
/// The calling thread consumes; while the next chunk it needs is not ready
/// it produces the next unclaimed chunk itself, so the loop never waits for
/// a thread that has not started (it also runs on a pool of one thread).
/// Producers stay at most [`LEAD`] chunks ahead of the consumer (a producer
/// that gets there runs other jobs of the pool, such as the layer's step 3,
/// and with none to run yields its core, then sleeps in short naps, until
/// the consumer catches up): what waits to be consumed (a wide layer's faces
/// with their forms and states) stays bounded.
///
/// `produce` must not wait inside rayon (`join`, parallel iterators,
/// scopes, a nested `ordered`): a thread waiting there may start a producer
/// of this loop on top of the chunk it holds, and that producer would wait
/// for the consumer, which waits for that chunk. `consume` may (the
/// partition engine finishes groups there when step 3 falls behind): a
/// producer started on the consumer's own thread never waits, it leaves
/// the rest to the others.
/// Stops at the first error of `consume` (producers stop claiming chunks);
/// a panic in `produce` on another thread is resumed on the calling thread
/// when the consumer reaches that chunk.
pub(super) fn ordered<T, S, E>(
    n: usize,
    chunk: usize,
    init: impl Fn() -> S + Sync,
    produce: impl Fn(usize, &mut S) -> T + Sync,
    mut consume: impl FnMut(usize, T) -> Result<(), E>,
) -> Result<(), E>
where
    T: Send,
{
    let chunk = chunk.max(1);
    let chunks = n.div_ceil(chunk);
    let threads = rayon::current_num_threads();
    if threads <= 1 || chunks <= 1 {
        let mut scratch = init();
        for i in 0..n {
            consume(i, produce(i, &mut scratch))?;
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    // Chunks taken by the consumer so far.
    let taken = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let slots: Vec<Mutex<Option<Chunk<T>>>> = (0..chunks).map(|_| Mutex::new(None)).collect();
    let make = |c: usize, scratch: &mut S| -> Vec<T> {
        (c * chunk..((c + 1) * chunk).min(n))
            .map(|i| produce(i, scratch))
            .collect()
    };
    // Claims the next chunk and produces it: `Made`, or `Ahead` while the
    // next chunk is [`LEAD`] or more ahead of the consumer, `Done` when none
    // is left.
    let claim = |scratch: &mut S| -> Claim {
        if stop.load(Ordering::Relaxed) {
            return Claim::Done;
        }
        let limit = taken.load(Ordering::Acquire) + LEAD;
        let claimed = next.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
            (c < chunks && c < limit).then_some(c + 1)
        });
        let c = match claimed {
            Ok(c) => c,
            Err(c) if c >= chunks => return Claim::Done,
            Err(_) => return Claim::Ahead,
        };
        // A panic is kept for the consumer, which resumes it when it reaches
        // this chunk; production goes on (stopping it here could leave an
        // earlier chunk unclaimed that the consumer waits for).
        let items = catch_unwind(AssertUnwindSafe(|| make(c, scratch)));
        *slots[c].lock().unwrap_or_else(|e| e.into_inner()) = Some(items);
        Claim::Made
    };
    let consumer = rayon::current_thread_index();
    rayon::in_place_scope(|scope| {
        for _ in 1..threads.min(chunks) {
            scope.spawn(|_| {
                let mut scratch = init();
                // Rounds in a row without work.
                let mut idle = 0u32;
                loop {
                    match claim(&mut scratch) {
                        Claim::Made => idle = 0,
                        Claim::Done => break,
                        // Started on the consumer's thread (inside `consume`
                        // waiting in rayon): waiting here would wait for
                        // itself.
                        Claim::Ahead if rayon::current_thread_index() == consumer => break,
                        // Too far ahead: run another job of the pool; with
                        // none, let the consumer's thread have the core, and
                        // after a while nap (a long wait, e.g. a slow exact
                        // sign, should not keep a core spinning).
                        Claim::Ahead => {
                            if rayon::yield_now() == Some(rayon::Yield::Executed) {
                                idle = 0;
                            } else if idle < IDLE_YIELDS {
                                idle += 1;
                                std::thread::yield_now();
                            } else {
                                std::thread::sleep(IDLE_NAP);
                            }
                        }
                    }
                }
            });
        }
        // Producers stop once the consumer is done, also when a panic
        // (its own, or a producer's it resumes) ends it: they would
        // otherwise wait for it to catch up, and the scope for them.
        let _stop = StopOnDrop(&stop);
        let mut scratch = init();
        let result = (|| {
            for (c, slot) in slots.iter().enumerate() {
                let items = loop {
                    if let Some(items) = slot.lock().unwrap_or_else(|e| e.into_inner()).take() {
                        break items;
                    }
                    if claim(&mut scratch) != Claim::Made {
                        // Chunk `c` is claimed: another thread is
                        // producing it.
                        std::thread::yield_now();
                    }
                };
                taken.store(c + 1, Ordering::Release);
                let items = items.unwrap_or_else(|panic| resume_unwind(panic));
                for (k, item) in items.into_iter().enumerate() {
                    consume(c * chunk + k, item)?;
                }
            }
            Ok(())
        })();
        result
    })
}

/// Sets its flag when dropped.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// What one claim did.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Claim {
    Made,
    Ahead,
    Done,
}

#[cfg(test)]
mod tests {
    use super::{ordered, LEAD};

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
    }

    fn run(threads: usize, n: usize, chunk: usize, fail_at: Option<usize>) -> (Vec<usize>, bool) {
        let pool = pool(threads);
        pool.install(|| {
            let mut seen = Vec::new();
            let r = ordered(
                n,
                chunk,
                || 0usize,
                |i, calls: &mut usize| {
                    *calls += 1;
                    i * i
                },
                |i, sq| {
                    assert_eq!(sq, i * i, "item {i} consumed with another item's value");
                    if Some(i) == fail_at {
                        return Err(());
                    }
                    seen.push(i);
                    Ok(())
                },
            );
            (seen, r.is_ok())
        })
    }

    #[test]
    fn consumes_every_item_once_in_order_on_any_pool() {
        for threads in [1, 2, 3] {
            for (n, chunk) in [(0, 4), (1, 4), (7, 1), (100, 3), (1000, 64), (5, 10)] {
                let (seen, ok) = run(threads, n, chunk, None);
                assert!(ok);
                assert_eq!(
                    seen,
                    (0..n).collect::<Vec<_>>(),
                    "{threads} thr n={n} chunk={chunk}"
                );
            }
        }
    }

    #[test]
    fn a_producer_panic_reaches_the_caller() {
        for threads in [1, 2] {
            let pool = pool(threads);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pool.install(|| {
                    ordered(
                        300,
                        4,
                        || (),
                        |i, _| {
                            assert!(i != 77 && i != 3, "item {i}");
                            i
                        },
                        |_, _| Ok::<(), ()>(()),
                    )
                })
            }));
            assert!(r.is_err(), "{threads} thread(s): the panic was lost");
        }
    }

    #[test]
    fn producers_stay_within_the_lead_of_a_slow_consumer() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        for threads in [2, 3] {
            let pool = pool(threads);
            let (n, chunk) = (40 * LEAD, 2);
            let consumed = AtomicUsize::new(0);
            let lead = AtomicUsize::new(0);
            let r = pool.install(|| {
                ordered(
                    n,
                    chunk,
                    || (),
                    |i, _| {
                        // Chunks the consumer has taken: at most one more
                        // than those it has finished.
                        let taken = consumed.load(Ordering::SeqCst) / chunk + 1;
                        lead.fetch_max(i / chunk + 1 - taken.min(i / chunk + 1), Ordering::SeqCst);
                        i
                    },
                    |i, x| {
                        assert_eq!(i, x);
                        // A slow consumer: producers would run far ahead.
                        std::thread::sleep(std::time::Duration::from_micros(20));
                        consumed.fetch_add(1, Ordering::SeqCst);
                        Ok::<(), ()>(())
                    },
                )
            });
            assert!(r.is_ok());
            let lead = lead.load(Ordering::SeqCst);
            assert!(
                lead <= LEAD,
                "{threads} thr: a producer ran {lead} chunks ahead"
            );
            assert!(
                lead >= LEAD / 2,
                "{threads} thr: producers never ran ahead ({lead})"
            );
        }
    }

    /// A consumer that waits inside rayon (as the engine's does when it
    /// finishes groups itself) still gets every item once, in order. (Such
    /// a consumer may start a producer of its own loop while it waits, which
    /// must then not wait for the consumer; rayon's stealing order makes
    /// that rare, and this test does not force it.)
    #[test]
    fn a_consumer_may_wait_inside_rayon() {
        use rayon::prelude::*;
        for threads in [2, 3] {
            let pool = pool(threads);
            let mut seen = Vec::new();
            let r = pool.install(|| {
                ordered(
                    20 * LEAD,
                    1,
                    || (),
                    |i, _| i,
                    |i, x| {
                        assert_eq!(i, x);
                        let s: usize = (0..256usize).into_par_iter().map(|k| k * i).sum();
                        assert_eq!(s, i * 255 * 128);
                        seen.push(i);
                        Ok::<(), ()>(())
                    },
                )
            });
            assert!(r.is_ok());
            assert_eq!(seen, (0..20 * LEAD).collect::<Vec<_>>());
        }
    }

    #[test]
    fn stops_at_the_first_consumer_error() {
        for threads in [1, 2] {
            let (seen, ok) = run(threads, 500, 7, Some(123));
            assert!(!ok);
            assert_eq!(seen, (0..123).collect::<Vec<_>>());
        }
    }
}
