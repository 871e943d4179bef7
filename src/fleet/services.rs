//! The `[[service]]` list of a contract repository's `protosync.toml`: the services fan-out
//! syncs, `impact` judges and `fleet` reports on.

use std::path::Path;

use anyhow::{anyhow, bail, Result};

use crate::config::schema::ServiceSection;

/// A validated `[[service]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub repo: String,
    /// Base branch of the service; default `main`.
    pub branch: String,
    /// Path of its `protosync.toml` in its repository; default `protosync.toml`.
    pub config: String,
    pub forge: Option<crate::forge::ForgeKind>,
    /// `protosync.toml:12:1`.
    pub place: String,
}

/// Reads the `[[service]]` list of a contract repository's `protosync.toml`.
pub fn load_services(path: &Path) -> Result<Vec<Service>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
    parse_services(path, &text)
}

/// Parses and validates `[[service]]` entries: names unique and usable in branch and file
/// names, repos non-empty, `config` a safe relative path, `forge` one of github, gitlab, gitea.
pub fn parse_services(path: &Path, text: &str) -> Result<Vec<Service>> {
    let name = path.display().to_string();
    let parsed =
        crate::config::schema::parse(text).map_err(|e| crate::sync::toml_error(&name, text, &e))?;
    let places = crate::sync::Places::new(&name, text);
    let at = |offset: usize| places.at(offset);
    if let Some(secs) = crate::config::git_timeout(&name, text, parsed.git.as_ref())? {
        crate::input::remote::set_configured_timeout(secs);
    }
    let mut out: Vec<Service> = Vec::new();
    for (i, s) in parsed.service.iter().enumerate() {
        let service = parse_service(i + 1, s, &at, &out)?;
        out.push(service);
    }
    if out.is_empty() {
        bail!(
            "{name}: no [[service]] entries (fanout needs `[[service]] name = \"…\" repo = \"…\"`)"
        );
    }
    Ok(out)
}

/// Validates the `n`th `[[service]]` (`at` turns offsets into `file:line:column`; `seen`
/// are the entries before it).
fn parse_service(
    n: usize,
    s: &ServiceSection,
    at: &dyn Fn(usize) -> String,
    seen: &[Service],
) -> Result<Service> {
    let sname = s.name.get_ref().trim();
    if sname.is_empty()
        || !sname
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        bail!(
            "{}: service[{n}].name: {:?} must be non-empty letters, digits, `-`, `_` or `.`",
            at(s.name.span().start),
            s.name.get_ref()
        );
    }
    if let Some(first) = seen.iter().find(|o| o.name == sname) {
        bail!(
            "{}: service[{n}].name: {sname:?} is listed twice (first at {})",
            at(s.name.span().start),
            first.place
        );
    }
    let repo = s.repo.get_ref().trim();
    if repo.is_empty() {
        bail!(
            "{}: service[{n}].repo: must not be empty",
            at(s.repo.span().start)
        );
    }
    let branch = match &s.branch {
        None => crate::sync::config::DEFAULT_REF.to_owned(),
        Some(b) if b.get_ref().trim().is_empty() || b.get_ref().contains(char::is_whitespace) => {
            bail!(
                "{}: service[{n}].branch: {:?} is not a branch name",
                at(b.span().start),
                b.get_ref()
            )
        }
        Some(b) => b.get_ref().trim().to_owned(),
    };
    let config = match &s.config {
        None => crate::sync::config::CONFIG_FILE.to_owned(),
        Some(c) => crate::sync::fsafe::normalize_rel(c.get_ref(), false).map_err(|why| {
            anyhow!(
                "{}: service[{n}].config: {:?} {why}",
                at(c.span().start),
                c.get_ref()
            )
        })?,
    };
    let forge = match &s.forge {
        None => None,
        Some(f) => Some(match f.get_ref().as_str() {
            "github" => crate::forge::ForgeKind::Github,
            "gitlab" => crate::forge::ForgeKind::Gitlab,
            "gitea" | "forgejo" => crate::forge::ForgeKind::Gitea,
            other => bail!(
                "{}: service[{n}].forge: {other:?} is not github, gitlab or gitea",
                at(f.span().start)
            ),
        }),
    };
    // Credentials in the URL are never shown, stored or sent: the service is reached
    // without them (tokens come from the environment), and a warning says so once.
    let place = format!("{}: service[{n}].repo", at(s.repo.span().start));
    crate::forge::warn_credentials_in_url(&place, repo);
    let repo = crate::forge::display_url(repo);
    Ok(Service {
        name: sname.to_owned(),
        repo,
        branch,
        config,
        forge,
        place: at(s.name.span().start),
    })
}

/// The `[[service]]` entries of `path`, only those named when names are given (an unknown
/// name is an error listing the known ones).
pub fn select_services(path: &Path, names: &[String]) -> Result<Vec<Service>> {
    let mut services = load_services(path)?;
    for wanted in names {
        if !services.iter().any(|s| &s.name == wanted) {
            bail!(
                "--service {wanted:?}: no such [[service]] in {} (known: {})",
                path.display(),
                services
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if !names.is_empty() {
        services.retain(|s| names.contains(&s.name));
    }
    Ok(services)
}
