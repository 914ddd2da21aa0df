//! cargo-fuzz target: see `evtxscan_fuzz::sigma_load`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evtxscan_fuzz::sigma_load(data);
});
