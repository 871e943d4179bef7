//! `PROTOSYNC_TRACE=1`: where the time goes, printed to stderr. Off by default; nothing here
//! changes what a command does.

use std::time::Instant;

static FORCED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns tracing on for this process (`--verbose`).
pub fn enable() {
    FORCED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether tracing is on (`--verbose`, or `PROTOSYNC_TRACE` set, read once).
pub fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    FORCED.load(std::sync::atomic::Ordering::Relaxed)
        || *ON.get_or_init(|| std::env::var_os("PROTOSYNC_TRACE").is_some())
}

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--quiet`: no warnings, notes or progress on stderr, no summary line when all is well.
pub fn set_quiet() {
    QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
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
