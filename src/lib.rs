//! evtxscan: an offline forensic scanner for Windows event logs.
//!
//! The pipeline, one module per stage:
//! [`discover`] (find EVTX files by magic) → [`read`] (chunks and records, with damage
//! accounting) → [`event`] (the normalized record) → [`dispatch`] (which rules can see an event)
//! → [`rules`] (Sigma and SPL engines behind the [`rules::Rule`] interface) → [`report`]
//! (timelines, summaries, incident reports). [`scan`] runs the stages; [`cli`] is the
//! command-line glue. [`evtxgen`] writes EVTX files for samples, tests and benchmarks.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod collect;
pub mod discover;
pub mod dispatch;
pub mod event;
pub mod evidence;
pub mod evtxgen;
pub mod hit;
pub mod read;
pub mod report;
pub mod rules;
pub mod scan;
pub mod util;
