//! Spreading a pure computation over the machine's cores: building the bot reads thousands of
//! articles and analyses thousands of labelled questions, each independent of the others.

/// `f` applied to each of `items`, in order, on as many threads as the machine has cores
/// (one thread for a handful of items).
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const AT_LEAST_PER_THREAD: usize = 64;
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(items.len().div_ceil(AT_LEAST_PER_THREAD)).max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>())).collect();
        // A worker only panics if `f` does: carry that panic on rather than lose its results.
        workers.into_iter().flat_map(|worker| worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_the_order_of_the_items() {
        let items: Vec<u32> = (0..1000).collect();
        assert_eq!(super::map(&items, |n| n * 2), items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert_eq!(super::map(&[] as &[u32], |n| n + 1), Vec::<u32>::new());
    }
}
