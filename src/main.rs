//! The `evtxscan` command: see `evtxscan --help`.

fn main() {
    std::process::exit(evtxscan::cli::main());
}
