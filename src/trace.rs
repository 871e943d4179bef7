//! `PROTOSYNC_TRACE=1`: where the time goes, printed to stderr. Off by default; nothing here
//! changes what a command does.

use std::time::Instant;

/// Whether tracing is on (`PROTOSYNC_TRACE` set), read once.
pub fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PROTOSYNC_TRACE").is_some())
}

/// `trace: <what>`.
pub fn note(what: &str) {
    if enabled() {
        eprintln!("trace: {what}");
    }
}

/// `trace: <what>: <seconds since> s`.
pub fn since(what: &str, since: Instant) {
    if enabled() {
        eprintln!("trace: {what}: {:.3} s", since.elapsed().as_secs_f64());
    }
}
