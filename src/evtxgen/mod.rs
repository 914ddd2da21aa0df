//! Writes EVTX files (placeholder until the writer lands).

pub mod samples;
