//! The fuzz targets' code (fuzz/src/lib.rs) as plain tests on stable: replays the committed seeds,
//! the bundled Sigma rules and every crash input saved in `fuzz/regressions/<target>/`, so a
//! crash found by fuzzing stays fixed without cargo-fuzz or a nightly toolchain.

#[path = "../fuzz/src/lib.rs"]
mod fuzz_entry;

/// The fuzz entry points accept anything, including empty and non-UTF-8 input.
#[test]
fn entry_points_take_degenerate_input() {
    for input in [
        &b""[..],
        b"\xff\xfe\x00",
        b"ElfFile\x00",
        b"detection:\n  condition: x\n",
    ] {
        fuzz_entry::sigma_load(input);
        fuzz_entry::spl_load_eval(input);
        fuzz_entry::evtx_read(input);
    }
}

/// The SPL wrapper keeps the search intact inside YAML single quotes.
#[test]
fn spl_wrapper_round_trips_quotes() {
    let doc = fuzz_entry::spl_detection("`sysmon` Image='x' | stats count\u{7}");
    let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&doc).unwrap();
    assert_eq!(
        v["search"].as_str(),
        Some("`sysmon` Image='x' | stats count")
    );
}
