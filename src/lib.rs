//! protosync: keeps protobuf/gRPC contracts aligned across service repositories.
//!
//! The library does all the work; the `protosync` binary only parses arguments, calls in here
//! and maps errors to exit codes. Data flows one way:
//! input spec → source tree → compile (protox) → schema model → compare → findings → report.

pub mod breaking;
pub mod cli;
pub mod clock;
pub mod comment;
pub mod compile;
pub mod config;
pub mod diff;
pub mod fleet;
pub mod forge;
pub mod git;
pub mod hash;
pub mod hook;
pub mod input;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod suggest;
pub mod sync;
pub mod trace;
pub mod workers;

/// The number of threads worth running at once, read once per process (the standard
/// library reads cgroup files on every call).
pub fn parallelism() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
