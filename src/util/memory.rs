//! Handing freed memory back to the operating system at chosen points.
//!
//! The allocator is the binary's choice (mimalloc), so the library only keeps a hook that the
//! binary sets. An allocator keeps a thread's freed pages until that thread allocates again;
//! the scan calls [`release_freed_memory`] where a thread is about to idle (the reader threads
//! once the scan ends) or before a step that needs much memory (a large rule's `finish`).

use std::sync::OnceLock;

static RELEASE_HOOK: OnceLock<fn()> = OnceLock::new();

/// Set how freed memory is handed back (once; later calls are ignored).
pub fn set_release_hook(hook: fn()) {
    let _ = RELEASE_HOOK.set(hook);
}

/// Hand the calling thread's freed memory back to the operating system, if a hook is set.
pub fn release_freed_memory() {
    if let Some(hook) = RELEASE_HOOK.get() {
        hook();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    fn count() {
        CALLS.fetch_add(1, Ordering::Relaxed);
    }

    #[test]
    fn the_hook_runs_when_set() {
        super::set_release_hook(count);
        super::release_freed_memory();
        super::release_freed_memory();
        assert_eq!(CALLS.load(Ordering::Relaxed), 2);
    }
}
