//! A small worker pool for per-service work (`fanout`, `impact`, `fleet`): items are taken in
//! order by `jobs` threads; results come back in the items' order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Runs `work(state, index, item)` for every item on at most `jobs` threads. Each thread makes
/// its own `state` with `init` first (for what cannot be shared between threads, such as an
/// open repository).
pub fn map<I: Sync, T: Send, S>(
    items: &[I],
    jobs: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize, &I) -> T + Sync,
) -> Vec<T> {
    let jobs = jobs.max(1).min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                let mut state = init();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(i) else {
                        break;
                    };
                    let r = work(&mut state, i, item);
                    results.lock().expect("worker results")[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("worker results")
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<usize> = (0..50).collect();
        let out = super::map(
            &items,
            4,
            || 0usize,
            |seen, i, x| {
                *seen += 1;
                (i, x * 2)
            },
        );
        assert_eq!(out, (0..50).map(|i| (i, i * 2)).collect::<Vec<_>>());
        assert!(super::map(&[] as &[u8], 4, || (), |_, _, x| *x).is_empty());
    }
}
