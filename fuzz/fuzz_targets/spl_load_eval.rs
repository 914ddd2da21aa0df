//! cargo-fuzz target: see `evtxscan_fuzz::spl_load_eval`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evtxscan_fuzz::spl_load_eval(data);
});
