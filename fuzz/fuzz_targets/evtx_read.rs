//! cargo-fuzz target: see `evtxscan_fuzz::evtx_read`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evtxscan_fuzz::evtx_read(data);
});
