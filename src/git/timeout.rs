//! Network timeouts of git operations (`PROTOSYNC_GIT_TIMEOUT`, `[git] timeout`), and the hints for errors caused by timeouts or refused redirects.

use std::time::Duration;

use super::auth::Auth;
use super::url::RemoteUrl;
use anyhow::{anyhow, Result};

/// Default time to wait for a connection to a remote (http, https, ssh, git://).
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time to wait for a remote to send anything once connected: a server that accepts
/// the connection and then says nothing fails after this long instead of hanging CI.
pub(crate) const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// The environment variable that sets both timeouts, in seconds (it wins over the config).
pub const TIMEOUT_VAR: &str = "PROTOSYNC_GIT_TIMEOUT";

/// `[git] timeout` of the protosync.toml a command read, in seconds (0 = not configured).
pub(crate) static CONFIGURED_TIMEOUT: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// Sets the git network timeout from a configuration (`[git] timeout`, seconds, both the
/// connect and the idle timeout). `PROTOSYNC_GIT_TIMEOUT` still wins.
pub fn set_configured_timeout(secs: u64) {
    CONFIGURED_TIMEOUT.store(secs, std::sync::atomic::Ordering::Relaxed);
}

/// The git network timeouts: (connect, idle) and where they came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timeouts {
    pub(crate) connect: Duration,
    pub(crate) idle: Duration,
    pub(crate) source: &'static str,
}

/// Parses a timeout in whole seconds, 1 to 86400.
pub fn parse_timeout(text: &str) -> std::result::Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=86_400).contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a timeout in seconds (a whole number from 1 to 86400)"
        )),
    }
}

pub(crate) fn timeouts() -> Result<Timeouts> {
    if let Some(v) = std::env::var_os(TIMEOUT_VAR) {
        let text = v.to_string_lossy();
        let secs = parse_timeout(&text).map_err(|why| anyhow!("{TIMEOUT_VAR}: {why}"))?;
        let d = Duration::from_secs(secs);
        return Ok(Timeouts {
            connect: d,
            idle: d,
            source: TIMEOUT_VAR,
        });
    }
    match CONFIGURED_TIMEOUT.load(std::sync::atomic::Ordering::Relaxed) {
        0 => Ok(Timeouts {
            connect: DEFAULT_CONNECT_TIMEOUT,
            idle: DEFAULT_IDLE_TIMEOUT,
            source: "default",
        }),
        secs => Ok(Timeouts {
            connect: Duration::from_secs(secs),
            idle: Duration::from_secs(secs),
            source: "[git] timeout",
        }),
    }
}

/// Sets libgit2's connect and idle timeouts (process-wide; every caller sets the same values)
/// before a network operation. They apply to http(s), git:// and ssh alike: libgit2 polls its
/// sockets with them and hands the idle timeout to libssh2.
pub(crate) fn apply_timeouts() -> Result<Timeouts> {
    let t = timeouts()?;
    let ms = |d: Duration| d.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: these only store an int in libgit2's global settings, read when a socket is
    // opened; every thread stores the same values.
    unsafe {
        git2::opts::set_server_connect_timeout_in_milliseconds(ms(t.connect))
            .map_err(|e| anyhow!("cannot set the git connect timeout: {}", e.message()))?;
        git2::opts::set_server_timeout_in_milliseconds(ms(t.idle))
            .map_err(|e| anyhow!("cannot set the git timeout: {}", e.message()))?;
    }
    Ok(t)
}

/// A hint for an error message of libgit2 that reports a timeout.
pub(crate) fn timeout_hint(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    if !(lower.contains("timed out") || lower.contains("timeout")) {
        return String::new();
    }
    match timeouts() {
        Ok(t) if t.source == "default" => format!(
            "; no answer within {} s (connect) / {} s (idle): set {TIMEOUT_VAR} or `[git] timeout` (seconds) to wait longer",
            t.connect.as_secs(),
            t.idle.as_secs()
        ),
        Ok(t) => format!(
            "; no answer within {} s ({}): raise it to wait longer",
            t.idle.as_secs(),
            t.source
        ),
        Err(_) => String::new(),
    }
}

/// The message for a redirect to another host that libgit2 refused because a token is held
/// for the original host (`cannot redirect from 'a' to 'b'`), if `message` is one.
pub(crate) fn redirect_refusal(url: &RemoteUrl, auth: &Auth, message: &str) -> Option<String> {
    let rest = message.split("cannot redirect from '").nth(1)?;
    let (from, rest) = rest.split_once('\'')?;
    let to = rest.strip_prefix(" to '")?.split('\'').next()?;
    let var = auth.token.as_ref().map(|(v, _)| *v).unwrap_or("the token");
    Some(format!(
        "{from} redirected to another host, {to}; protosync holds a token ({var}) for {} and never \
         sends it to another host, so it does not follow the redirect: use the repository's new URL \
         (on {to}) instead",
        url.host
    ))
}
