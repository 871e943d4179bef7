//! The HTTP layer shared by the forge clients: one ureq agent, JSON in and out, retries with
//! backoff, API error messages, and token redaction.
//!
//! Nothing here ever formats a full URL into an error: errors name the method and the API path
//! (`POST /repos/acme/billing/pulls`), never the base URL, the headers or the token. Every error
//! text is passed through [`Secret::redact`] as a last line of defence.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use serde_json::Value;

use super::ForgeKind;

/// The GitHub REST API version protosync is written against (`X-GitHub-Api-Version`).
pub const GITHUB_API_VERSION: &str = "2022-11-28";

/// Connecting gives up after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// One whole request (connect, send, receive) gives up after this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// No single wait between attempts is longer than this; a server asking for more (a rate
/// limit that resets in ten minutes) makes the call fail at once, saying when to retry.
const MAX_WAIT: Duration = Duration::from_secs(60);
/// Default first backoff delay (then 2×, 4×, …), overridable with `PROTOSYNC_HTTP_RETRY_BASE_MS`.
const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(1000);
/// Default attempts per call (the first one included), overridable with
/// `PROTOSYNC_HTTP_RETRY_ATTEMPTS`.
const DEFAULT_ATTEMPTS: u32 = 5;
/// Network errors (connection refused, reset, timed out) are retried at most this many times
/// in all, whatever the attempt budget: a host that is down stays down.
const NETWORK_ATTEMPTS: u32 = 3;
/// Bodies larger than this are refused (a PR list page is well under 1 MiB).
const MAX_BODY: u64 = 16 * 1024 * 1024;

/// A token: never shown by `Debug`, and scrubbed from any text with [`Secret::redact`].
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(token: String) -> Secret {
        Secret(token)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the token (also percent-encoded) replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_owned();
        }
        let mut out = text.replace(&self.0, "***");
        let encoded = encode(&self.0);
        if encoded != self.0 {
            out = out.replace(&encoded, "***");
        }
        out
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Retry policy: attempts per call and the first backoff delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    pub base_delay: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            attempts: DEFAULT_ATTEMPTS,
            base_delay: DEFAULT_BASE_DELAY,
        }
    }
}

impl Retry {
    /// The policy from `PROTOSYNC_HTTP_RETRY_BASE_MS` / `PROTOSYNC_HTTP_RETRY_ATTEMPTS` (test
    /// hooks: tests make the delays a millisecond), read through `env`; unparsable values are
    /// ignored.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Retry {
        let mut retry = Retry::default();
        if let Some(ms) = env("PROTOSYNC_HTTP_RETRY_BASE_MS").and_then(|v| v.trim().parse().ok()) {
            retry.base_delay = Duration::from_millis(ms);
        }
        if let Some(n) = env("PROTOSYNC_HTTP_RETRY_ATTEMPTS").and_then(|v| v.trim().parse().ok()) {
            retry.attempts = u32::max(n, 1);
        }
        retry
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.base_delay.saturating_mul(factor).min(MAX_WAIT)
    }
}

/// An API call that failed: the HTTP status (none for network errors) and the whole message,
/// already redacted.
#[derive(Debug, Clone)]
pub struct HttpError {
    pub status: Option<u16>,
    /// The API's own message (`message`, `errors[].message`, `error`), redacted; empty if none.
    pub api_message: String,
    message: String,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HttpError {}

/// The status of an error returned by [`Api::call`], if it was an HTTP answer.
pub fn status_of(err: &anyhow::Error) -> Option<u16> {
    err.downcast_ref::<HttpError>().and_then(|e| e.status)
}

/// The API message of an error returned by [`Api::call`] (empty if none).
pub fn api_message_of(err: &anyhow::Error) -> &str {
    err.downcast_ref::<HttpError>()
        .map(|e| e.api_message.as_str())
        .unwrap_or("")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
        }
    }
}

/// One forge API: base URL, fixed headers (authentication among them), retries.
pub struct Api {
    agent: ureq::Agent,
    /// Base URL without a trailing slash (`https://api.github.com`, `https://host/api/v4`).
    base: String,
    /// "GitHub API", "GitLab API", "Gitea API": the start of every error.
    label: &'static str,
    /// Sent with every request. The authentication header's value holds the token.
    headers: Vec<(&'static str, String)>,
    secret: Secret,
    retry: Retry,
    /// GitHub's secondary rate limit answers 403; other forges' 403 is only a refusal.
    github_rate_limits: bool,
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("base", &self.base)
            .field("label", &self.label)
            .field("token", &self.secret)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// What [`Api::new`] needs.
pub struct ApiConfig {
    pub base: String,
    pub label: &'static str,
    /// Accept header value.
    pub accept: &'static str,
    /// Headers besides Accept, User-Agent and authentication.
    pub extra_headers: Vec<(&'static str, String)>,
    /// Authentication header name and value (the value contains the token).
    pub auth_header: (&'static str, String),
    pub secret: Secret,
    pub retry: Retry,
    pub github_rate_limits: bool,
}

impl ApiConfig {
    /// How `kind`'s API is spoken: its error label, the Accept header (GitHub: its media type
    /// and REST version), the header the token goes in, and whether GitHub's rate-limit 403s
    /// apply.
    pub fn for_forge(kind: ForgeKind, base: &str, token: Secret, retry: Retry) -> ApiConfig {
        let (label, accept, extra_headers, auth_header) = match kind {
            ForgeKind::Github => (
                "GitHub API",
                "application/vnd.github+json",
                vec![("X-GitHub-Api-Version", GITHUB_API_VERSION.to_owned())],
                ("Authorization", format!("Bearer {}", token.expose())),
            ),
            ForgeKind::Gitlab => (
                "GitLab API",
                "application/json",
                Vec::new(),
                ("PRIVATE-TOKEN", token.expose().to_owned()),
            ),
            ForgeKind::Gitea => (
                "Gitea API",
                "application/json",
                Vec::new(),
                ("Authorization", format!("token {}", token.expose())),
            ),
        };
        ApiConfig {
            base: base.to_owned(),
            label,
            accept,
            extra_headers,
            auth_header,
            secret: token,
            retry,
            github_rate_limits: kind == ForgeKind::Github,
        }
    }
}

impl Api {
    pub fn new(cfg: ApiConfig) -> Result<Api> {
        let base = cfg.base.trim_end_matches('/').to_owned();
        let uri: ureq::http::Uri = base.parse().map_err(|_| {
            anyhow::anyhow!(
                "{}: invalid API URL {:?}",
                cfg.label,
                cfg.secret.redact(&base)
            )
        })?;
        match uri.scheme_str() {
            Some("http") | Some("https") => {}
            _ => anyhow::bail!(
                "{}: API URL {:?} is not http(s)",
                cfg.label,
                cfg.secret.redact(&base)
            ),
        }
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            anyhow::bail!(
                "{}: API URL must not carry credentials; set the token variable instead",
                cfg.label
            );
        }
        let host = uri.host().unwrap_or("");
        let loopback = host == "localhost"
            || host == "[::1]"
            || host == "::1"
            || host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback());
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            .max_redirects(0)
            .user_agent(format!("protosync/{}", env!("CARGO_PKG_VERSION")))
            .accept(cfg.accept)
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                    .build(),
            );
        if loopback {
            // A forge on this machine is never reached through a proxy (HTTPS_PROXY etc.).
            config = config.proxy(None);
        }
        let agent = config.build().new_agent();
        let mut headers = cfg.extra_headers;
        headers.push(cfg.auth_header);
        Ok(Api {
            agent,
            base,
            label: cfg.label,
            headers,
            secret: cfg.secret,
            retry: cfg.retry,
            github_rate_limits: cfg.github_rate_limits,
        })
    }

    pub fn label(&self) -> &'static str {
        self.label
    }

    pub fn get(&self, path: &str) -> Result<Value> {
        self.call(Method::Get, path, None)
    }

    /// Calls `method path` (path starting with `/`, query included, every value encoded with
    /// [`encode`]) with an optional JSON body; returns the JSON answer of a 2xx (`Null` when
    /// empty). Retries 429, 5xx, GitHub's rate-limit 403 and network errors with backoff.
    // long: one retry loop; each answer decides (return, wait and retry, fail) with the same
    // attempt count, so the branches stay together.
    pub fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value> {
        let shown = path.split('?').next().unwrap_or(path);
        let what = format!("{}: {} {}", self.label, method.as_str(), shown);
        let payload = body.map(|b| b.to_string());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.retry.attempts;
            let response = match self.send_once(method, path, payload.as_deref()) {
                Ok(r) => r,
                Err(e) => {
                    let transient = matches!(
                        e,
                        ureq::Error::Io(_)
                            | ureq::Error::Timeout(_)
                            | ureq::Error::ConnectionFailed
                            | ureq::Error::HostNotFound
                            | ureq::Error::Protocol(_)
                    );
                    if transient && !last && attempt < NETWORK_ATTEMPTS {
                        std::thread::sleep(self.retry.backoff(attempt));
                        continue;
                    }
                    let text = format!("{what}: {}", describe_transport(&e));
                    return Err(self.error(None, String::new(), text));
                }
            };
            let (parts, mut body) = response.into_parts();
            let status = parts.status.as_u16();
            let text = match body.with_config().limit(MAX_BODY).read_to_string() {
                Ok(t) => t,
                Err(e) if (200..300).contains(&status) => {
                    let text = format!(
                        "{what}: {status}: reading the answer: {}",
                        describe_transport(&e)
                    );
                    return Err(self.error(Some(status), String::new(), text));
                }
                Err(_) => String::new(),
            };
            if (200..300).contains(&status) {
                if text.trim().is_empty() {
                    return Ok(Value::Null);
                }
                return serde_json::from_str(&text).map_err(|e| {
                    let msg = format!("{what}: {status}: answer is not JSON: {e}");
                    self.error(Some(status), String::new(), msg)
                });
            }
            let header = |name: &str| {
                parts
                    .headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .map(str::to_owned)
            };
            let rate_limited_403 = self.github_rate_limits
                && status == 403
                && (header("retry-after").is_some()
                    || header("x-ratelimit-remaining").as_deref() == Some("0"));
            let retryable = status == 429 || (500..600).contains(&status) || rate_limited_403;
            let api_message = api_message(&text);
            let reason = parts.status.canonical_reason().unwrap_or("");
            let mut msg = format!("{what}: {status} {reason}").trim_end().to_owned();
            if !api_message.is_empty() {
                msg = format!("{msg}: {api_message}");
            }
            if (300..400).contains(&status) {
                if let Some(location) = header("location") {
                    let location = location.split('?').next().unwrap_or("").to_owned();
                    msg = format!("{msg} (moved to {location}; update the remote or API URL)");
                }
            }
            if retryable && !last {
                let asked = requested_wait(
                    &header("retry-after"),
                    &header("x-ratelimit-remaining"),
                    &header("x-ratelimit-reset"),
                );
                let wait = match asked {
                    Some(w) if w > MAX_WAIT => {
                        let msg = format!("{msg} (the server asks to retry in {} s)", w.as_secs());
                        return Err(self.error(Some(status), api_message, msg));
                    }
                    Some(w) => w,
                    None => self.retry.backoff(attempt),
                };
                std::thread::sleep(wait);
                continue;
            }
            if retryable && attempt > 1 {
                msg = format!("{msg} (after {attempt} attempts)");
            }
            return Err(self.error(Some(status), api_message, msg));
        }
    }

    fn send_once(
        &self,
        method: Method,
        path: &str,
        payload: Option<&str>,
    ) -> std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let url = format!("{}{}", self.base, path);
        let mut builder = ureq::http::Request::builder()
            .method(method.as_str())
            .uri(url.as_str());
        for (name, value) in &self.headers {
            builder = builder.header(*name, value.as_str());
        }
        match payload {
            Some(p) => {
                let request = builder
                    .header("Content-Type", "application/json")
                    .body(p.as_bytes().to_vec())
                    .map_err(ureq::Error::Http)?;
                self.agent.run(request)
            }
            None => {
                let request = builder.body(()).map_err(ureq::Error::Http)?;
                self.agent.run(request)
            }
        }
    }

    fn error(&self, status: Option<u16>, api_message: String, message: String) -> anyhow::Error {
        anyhow::Error::new(HttpError {
            status,
            api_message: self.secret.redact(&api_message),
            message: self.secret.redact(&message),
        })
    }
}

/// A transport error in a few words, without the URL (ureq's text can carry it).
fn describe_transport(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => format!("network error: {}", io.kind()),
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        ureq::Error::Tls(t) => format!("TLS error: {t}"),
        ureq::Error::BodyExceedsLimit(n) => format!("answer larger than {n} bytes"),
        ureq::Error::Protocol(p) => format!("HTTP protocol error: {p}"),
        // The rest (bad URI, proxy settings, invalid header) name no secret: the base URL
        // never carries credentials (refused in `Api::new`), and errors are redacted anyway.
        other => other.to_string(),
    }
}

/// How long the server asked to wait: `Retry-After` (seconds), or the time until
/// `x-ratelimit-reset` when `x-ratelimit-remaining` is 0.
fn requested_wait(
    retry_after: &Option<String>,
    remaining: &Option<String>,
    reset: &Option<String>,
) -> Option<Duration> {
    if let Some(secs) = retry_after.as_deref().and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs));
    }
    if remaining.as_deref() == Some("0") {
        if let Some(reset) = reset.as_deref().and_then(|v| v.parse::<u64>().ok()) {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            return Some(Duration::from_secs(reset.saturating_sub(now)));
        }
    }
    None
}

/// The message an API put in an error body: GitHub's `message` plus `errors[].message`,
/// GitLab's `message` (a string, a list, or field → list) or `error`, Gitea's `message`. A
/// body that is not JSON gives its first line (cut at 200 characters).
pub fn api_message(body: &str) -> String {
    let Ok(json) = serde_json::from_str::<Value>(body) else {
        let line = body
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("");
        if line.starts_with('<') {
            // An HTML error page (a proxy's, a load balancer's): the status says it all.
            return String::new();
        }
        return line.chars().take(200).collect();
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(m) = json.get("message") {
        flatten_message(m, None, &mut parts);
    }
    if let Some(e) = json.get("error").and_then(Value::as_str) {
        parts.push(e.to_owned());
    }
    if let Some(desc) = json.get("error_description").and_then(Value::as_str) {
        parts.push(desc.to_owned());
    }
    let mut details: Vec<String> = Vec::new();
    if let Some(errors) = json.get("errors").and_then(Value::as_array) {
        for e in errors {
            match e {
                Value::String(s) => details.push(s.clone()),
                Value::Object(o) => {
                    if let Some(m) = o.get("message").and_then(Value::as_str) {
                        details.push(m.to_owned());
                    } else {
                        let field = o.get("field").and_then(Value::as_str).unwrap_or("");
                        let code = o.get("code").and_then(Value::as_str).unwrap_or("");
                        let text = format!("{field} {code}").trim().to_owned();
                        if !text.is_empty() {
                            details.push(text);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = parts.join(": ");
    if !details.is_empty() {
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&details.join("; "));
    }
    out
}

fn flatten_message(m: &Value, field: Option<&str>, out: &mut Vec<String>) {
    match m {
        Value::String(s) => out.push(match field {
            Some(f) => format!("{f} {s}"),
            None => s.clone(),
        }),
        Value::Array(items) => {
            for item in items {
                flatten_message(item, field, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                flatten_message(v, Some(k), out);
            }
        }
        Value::Null => {}
        other => out.push(other.to_string()),
    }
}

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const NOT_UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything but RFC 3986's unreserved characters: for path segments and
/// query values alike (`acme/billing` → `acme%2Fbilling`).
pub fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

/// Reads a string field, `""` when absent or null.
pub fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A required number field, or an error naming what answered without it.
pub fn u64_field(v: &Value, key: &str, what: &str) -> Result<u64> {
    v.get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| anyhow::anyhow!("{what}: answer has no {key:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_messages_from_each_forge() {
        let github = r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for acme:protosync/contracts."}],"documentation_url":"https://docs.github.com/rest"}"#;
        assert_eq!(
            api_message(github),
            "Validation Failed: A pull request already exists for acme:protosync/contracts."
        );
        let gitlab = r#"{"message":["Another open merge request already exists for this source branch: !5"]}"#;
        assert_eq!(
            api_message(gitlab),
            "Another open merge request already exists for this source branch: !5"
        );
        let gitlab_fields = r#"{"message":{"title":["can't be blank"]}}"#;
        assert_eq!(api_message(gitlab_fields), "title can't be blank");
        assert_eq!(
            api_message(r#"{"error":"source_branch is missing"}"#),
            "source_branch is missing"
        );
        assert_eq!(api_message("<html>\n<h1>Bad gateway</h1>"), "");
        assert_eq!(api_message("upstream timed out\n"), "upstream timed out");
        let field_code =
            r#"{"message":"Validation Failed","errors":[{"field":"head","code":"invalid"}]}"#;
        assert_eq!(api_message(field_code), "Validation Failed: head invalid");
    }

    #[test]
    fn redaction_covers_plain_and_encoded_tokens() {
        let s = Secret::new("ghp_s3cret/+=".to_owned());
        assert_eq!(s.redact("a ghp_s3cret/+= b"), "a *** b");
        assert_eq!(s.redact("q=ghp_s3cret%2F%2B%3D"), "q=***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(Secret::new(String::new()).redact("x"), "x");
    }

    #[test]
    fn encoding_and_backoff() {
        assert_eq!(encode("group/sub proj:x"), "group%2Fsub%20proj%3Ax");
        assert_eq!(encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(encode("é%+"), "%C3%A9%25%2B");
        let r = Retry {
            attempts: 5,
            base_delay: Duration::from_millis(100),
        };
        assert_eq!(r.backoff(1), Duration::from_millis(100));
        assert_eq!(r.backoff(3), Duration::from_millis(400));
        let big = Retry {
            attempts: 5,
            base_delay: Duration::from_secs(50),
        };
        assert_eq!(big.backoff(4), MAX_WAIT);
        let env = |k: &str| match k {
            "PROTOSYNC_HTTP_RETRY_BASE_MS" => Some("1".to_owned()),
            "PROTOSYNC_HTTP_RETRY_ATTEMPTS" => Some("0".to_owned()),
            _ => None,
        };
        let r = Retry::from_env(&env);
        assert_eq!(r.base_delay, Duration::from_millis(1));
        assert_eq!(r.attempts, 1);
    }

    #[test]
    fn waits_asked_by_the_server() {
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            requested_wait(&s("3"), &None, &None),
            Some(Duration::from_secs(3))
        );
        assert_eq!(requested_wait(&None, &s("5"), &s("99999999999")), None);
        let past = requested_wait(&None, &s("0"), &s("1"));
        assert_eq!(past, Some(Duration::ZERO));
        let far = requested_wait(&None, &s("0"), &s("99999999999")).unwrap();
        assert!(far > MAX_WAIT);
    }
}
