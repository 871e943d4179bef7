//! Archives at http(s) URLs, downloaded into the remote cache and read from there.
//!
//! Cache layout: `<cache>/archives/<key>/` per URL (`<key>` as for git remotes: the first 32
//! hex digits of the SHA-256 of the normalised URL), holding `archive` (the bytes as
//! downloaded), `etag.txt` (the server's validator, if it sent one), `url.txt` and `lock`
//! (locked while downloading, as git entries are). A run without `--offline` asks the server
//! again, conditionally when it has a validator; `--offline` reads the cache only.
//!
//! Credentials: the token git remotes get (`PROTOSYNC_GIT_TOKEN`, `GITHUB_TOKEN` for the
//! GitHub host only), as `Authorization: Bearer`, over https or to a loopback host only, and
//! never to a host a redirect names (ureq drops the header on every redirect).

use std::fs;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use super::LoadOptions;
use crate::git::auth::Auth;
use crate::git::cache::{cache_root, Entry};
use crate::git::url::{RemoteUrl, Scheme};
use crate::trace::note as trace;

/// Downloads larger than this are refused (the archive as sent, before decompression).
pub const MAX_DOWNLOAD: u64 = 512 << 20;
/// A whole download gives up after this long.
const BODY_TIMEOUT: Duration = Duration::from_secs(600);
/// Redirects followed (the token never follows one).
const MAX_REDIRECTS: u32 = 5;

/// The cached archive of `location` (an http(s) URL): downloaded now, or with
/// `opts.offline` only looked up.
pub fn fetch(location: &str, opts: &LoadOptions) -> Result<PathBuf> {
    let url = RemoteUrl::parse(location)?;
    if !url.is_http() {
        bail!("{}: an archive URL must be http(s)", url.display);
    }
    let root = cache_root(opts.cache_dir.as_deref())?;
    let entry = Entry {
        dir: root.join("archives").join(url.key()),
        existed: false,
    };
    let archive = entry.dir.join("archive");
    let have = archive.is_file();
    if opts.offline {
        if have {
            trace(&format!("{}: cached archive, --offline", url.display));
            return Ok(archive);
        }
        bail!(
            "{} is not in the cache and --offline forbids downloading; run once without --offline",
            url.display
        );
    }
    let _lock = entry.lock(&url)?;
    let url_txt = entry.dir.join("url.txt");
    if !url_txt.is_file() {
        write_atomic(&url_txt, format!("{}\n", url.normal).as_bytes())?;
    }
    let etag_path = entry.dir.join("etag.txt");
    let etag = if have {
        fs::read_to_string(&etag_path).ok()
    } else {
        None
    };
    let auth = Auth::from_env(&url);
    let started = std::time::Instant::now();
    match download(
        location,
        &url,
        &auth,
        etag.as_deref().map(str::trim),
        &archive,
    ) {
        Ok(Got::NotModified) => {
            trace(&format!("{}: not modified, cached archive", url.display));
            Ok(archive)
        }
        Ok(Got::New { bytes, etag }) => {
            match etag {
                Some(tag) => write_atomic(&etag_path, tag.as_bytes())?,
                None => {
                    let _ = fs::remove_file(&etag_path);
                }
            }
            crate::trace::since(
                &format!("{}: downloaded {bytes} bytes", url.display),
                started,
            );
            Ok(archive)
        }
        Err(e) => {
            let hint = if have {
                "; the cache holds an earlier download: add --offline to use it"
            } else {
                ""
            };
            Err(anyhow!("{}{hint}", auth.redact(&format!("{e:#}"))))
        }
    }
}

enum Got {
    NotModified,
    New { bytes: u64, etag: Option<String> },
}

fn loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

// long: one GET with its guards in order: the agent's timeouts and redirect policy, the
// token's conditions, the status answers, and the size limit while streaming to a temp file.
fn download(
    location: &str,
    url: &RemoteUrl,
    auth: &Auth,
    etag: Option<&str>,
    dest: &std::path::Path,
) -> Result<Got> {
    let timeouts = crate::git::timeout::timeouts()?;
    let local = loopback(&url.host);
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(timeouts.connect))
        .timeout_recv_response(Some(timeouts.idle))
        .timeout_recv_body(Some(BODY_TIMEOUT))
        .max_redirects(MAX_REDIRECTS)
        .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
        .user_agent(format!("protosync/{}", env!("CARGO_PKG_VERSION")))
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
        );
    if local {
        config = config.proxy(None);
    }
    let agent: ureq::Agent = config.build().into();
    let mut request = agent.get(location);
    let token = auth
        .token
        .as_ref()
        .filter(|_| url.scheme == Scheme::Https || local);
    if let Some((_, token)) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if let Some(tag) = etag.filter(|t| !t.is_empty()) {
        request = request.header("If-None-Match", tag);
    }
    let shown = &url.display;
    let mut response = request
        .call()
        .map_err(|e| anyhow!("cannot download {shown}: {e}"))?;
    let status = response.status().as_u16();
    match status {
        304 if etag.is_some() => return Ok(Got::NotModified),
        200 => {}
        401 | 403 => {
            let why = match (&auth.token, token) {
                (Some((var, _)), Some(_)) => format!("the token in {var} was refused"),
                (Some((var, _)), None) => {
                    format!("the token in {var} is sent over https only (or to this machine)")
                }
                (None, _) => "no token is set (PROTOSYNC_GIT_TOKEN)".to_owned(),
            };
            bail!("cannot download {shown}: HTTP {status}; {why}");
        }
        s if (300..400).contains(&s) => {
            bail!("cannot download {shown}: HTTP {status} (more than {MAX_REDIRECTS} redirects, or one without a location)")
        }
        _ => bail!("cannot download {shown}: HTTP {status}"),
    }
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let tmp = dest.with_extension("tmp");
    let mut out =
        fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    let mut body = response.body_mut().as_reader().take(MAX_DOWNLOAD + 1);
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                bail!("cannot download {shown}: {e} after {total} bytes");
            }
        };
        total += n as u64;
        if total > MAX_DOWNLOAD {
            drop(out);
            let _ = fs::remove_file(&tmp);
            bail!(
                "cannot download {shown}: larger than {} MiB; refusing it",
                MAX_DOWNLOAD >> 20
            );
        }
        out.write_all(&buf[..n])
            .with_context(|| format!("cannot write {}", tmp.display()))?;
    }
    out.sync_all().ok();
    drop(out);
    fs::rename(&tmp, dest).with_context(|| format!("cannot move {} into place", tmp.display()))?;
    Ok(Got::New { bytes: total, etag })
}

fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, bytes)
        .and_then(|()| fs::rename(&tmp, path))
        .with_context(|| format!("cannot write {}", path.display()))
}
