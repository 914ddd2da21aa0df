//! The `evtxscan` command: see `evtxscan --help`.

/// Events are many small strings: mimalloc allocates and frees them faster than the system
/// allocator, from several threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(target_os = "linux")]
unsafe extern "C" {
    /// mimalloc's option setter (exported by the static library the `mimalloc` crate links).
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_arena_eager_commit` in mimalloc's option enumeration (v2 and v3).
#[cfg(target_os = "linux")]
const MI_OPTION_ARENA_EAGER_COMMIT: std::ffi::c_int = 4;

/// `mi_option_purge_delay` (milliseconds before freed memory goes back to the OS; v2 and v3).
#[cfg(target_os = "linux")]
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// mimalloc v3 waits 1 s before purging freed pages; 10 ms (v2's default) took ~25 MB off the
/// peak RSS of a full-rule scan at no measurable speed cost (docs/PERFORMANCE.md, "Memory").
#[cfg(target_os = "linux")]
const PURGE_DELAY_MS: std::ffi::c_long = 10;

/// Commit arena memory as pages are used rather than up front: on Linux (overcommit) the
/// default commits eagerly and keeps freed pages resident, which cost ~80 MB of peak RSS on a
/// full-rule scan at no measurable speed gain (docs/PERFORMANCE.md, "Memory"). The option is
/// read when the first arena is made, at the first allocation, so it is set by a constructor
/// that runs before the Rust runtime allocates.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static SET_ALLOCATOR_OPTIONS: extern "C" fn() = set_allocator_options;

#[cfg(target_os = "linux")]
extern "C" fn set_allocator_options() {
    // SAFETY: a plain setter of an integer option; it runs single-threaded, before `main`.
    unsafe {
        mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
    }
}

#[cfg(target_os = "linux")]
unsafe extern "C" {
    /// mimalloc: free the calling thread's empty pages now (and with `force`, purge them).
    fn mi_collect(force: bool);
}

/// Hand the calling thread's freed pages back to the OS.
#[cfg(target_os = "linux")]
fn release_freed_memory() {
    // SAFETY: mi_collect only walks the calling thread's own heap.
    unsafe { mi_collect(true) }
}

fn main() {
    #[cfg(target_os = "linux")]
    evtxscan::util::memory::set_release_hook(release_freed_memory);
    std::process::exit(evtxscan::cli::main());
}
