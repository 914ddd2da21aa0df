//! The `evtxscan` command: see `evtxscan --help`.

/// Events are many small strings: mimalloc allocates and frees them faster than the system
/// allocator, from several threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(evtxscan::cli::main());
}
