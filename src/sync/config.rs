//! The sync sections of `protosync.toml`: `[contract]` (where the source of truth lives) and
//! `[[vendor]]` (what this service copies from it, and where to), plus finding the file.
//!
//! The raw sections are typed in [`crate::config::schema`], so unknown keys and wrong types
//! are refused by every command that reads the file. [`parse`] adds the checks the sync commands need (relative
//! paths without `..`, globs that compile, mappings that do not overlap) and returns a
//! validated [`SyncConfig`]. Every error names the file, line, column and key.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};

use super::fsafe::normalize_rel;
use super::{toml_error, Places};
use crate::config::schema::{self, ProtosyncToml};

/// The name of the configuration file.
pub const CONFIG_FILE: &str = "protosync.toml";

/// The default of `contract.ref`.
pub const DEFAULT_REF: &str = "main";

/// Where the contract repository is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractRepo {
    /// `https://…`, `ssh://…`, `git://…`, `file://…` or scp-like `git@host:org/repo.git`.
    Url(String),
    /// A local path; a relative one is relative to the directory of `protosync.toml`.
    Path(PathBuf),
}

/// The validated `[contract]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// As written.
    pub repo: String,
    /// Branch, tag or commit; default `main`.
    pub ref_: String,
    /// Directory of the contract repository the vendor `from` paths are under ("" = its root);
    /// normalised (forward slashes, no `./`, no trailing `/`).
    pub root: String,
    /// Whether `root` was written. When it was not, the sync commands take it from the
    /// contract's own buf configuration where the mappings are not at the repository root
    /// ([`super::roots`]).
    pub root_set: bool,
}

impl Contract {
    /// Classifies `repo`, resolving a relative local path against `config_dir`.
    pub fn location(&self, config_dir: &Path) -> ContractRepo {
        if is_url(&self.repo) {
            ContractRepo::Url(self.repo.clone())
        } else {
            ContractRepo::Path(config_dir.join(&self.repo))
        }
    }

    /// A path under the contract root, as a path of the contract repository.
    pub fn repo_path(&self, under_root: &str) -> String {
        match (self.root.is_empty(), under_root.is_empty()) {
            (true, _) => under_root.to_owned(),
            (false, true) => self.root.clone(),
            (false, false) => format!("{}/{under_root}", self.root),
        }
    }
}

/// Whether a `contract.repo` value is a URL rather than a local path.
pub fn is_url(repo: &str) -> bool {
    if repo.contains("://") {
        return true;
    }
    // scp-like `user@host:path` or `host:path`; a one-letter "host" is a Windows drive.
    match repo.split_once(':') {
        Some((host, _)) => host.len() > 1 && !host.contains('/') && !host.contains('\\'),
        None => false,
    }
}

/// One validated `[[vendor]]` mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    /// Path or glob under `contract.root`, normalised.
    pub from: String,
    /// Whether `from` is a glob (`*`, `?`, `[…]`, `{…}`).
    pub from_is_glob: bool,
    /// Directory of the service repository the files go to, normalised, never empty.
    pub to: String,
    /// Where the mapping was written (`protosync.toml:7:1`), for messages.
    pub place: String,
}

/// The sync configuration of a service repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// The `protosync.toml` it was read from.
    pub path: PathBuf,
    pub contract: Contract,
    pub vendors: Vec<Vendor>,
}

impl SyncConfig {
    /// The service repository root: the directory holding `protosync.toml`.
    pub fn repo_root(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', ']', '{', '}'])
}

/// Reads and validates the sync sections of a `protosync.toml` at `path`.
pub fn load(path: &Path) -> Result<SyncConfig> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
    parse(path, &text)
}

/// Parses `protosync.toml` text (`path` names it in messages) and validates `[contract]` and
/// `[[vendor]]`. The whole file is checked for unknown keys; `[breaking]` ids are validated by
/// the breaking configuration, not here.
pub fn parse(path: &Path, text: &str) -> Result<SyncConfig> {
    let name = path.display().to_string();
    let parsed = schema::parse(text).map_err(|e| toml_error(&name, text, &e))?;
    validate(path, text, &parsed)
}

/// Validates the sync sections of an already parsed `protosync.toml` (`text` is what it was
/// parsed from, for line and column numbers).
// long: one pass over [contract] then every [[vendor]], each check next to its message.
pub fn validate(path: &Path, text: &str, parsed: &ProtosyncToml) -> Result<SyncConfig> {
    let name = path.display().to_string();
    let places = Places::new(&name, text);
    let at = |offset: usize| places.at(offset);
    let Some(section) = &parsed.contract else {
        bail!("{name}: no [contract] section (protosync sync needs `[contract] repo = \"…\"`)");
    };

    let repo = section.repo.get_ref().trim();
    if repo.is_empty() {
        bail!(
            "{}: contract.repo: must not be empty",
            at(section.repo.span().start)
        );
    }
    let ref_ = match &section.ref_ {
        None => DEFAULT_REF.to_owned(),
        Some(r) => {
            let v = r.get_ref().trim();
            if v.is_empty() || v.contains(char::is_whitespace) {
                bail!(
                    "{}: contract.ref: {:?} is not a branch, tag or commit",
                    at(r.span().start),
                    r.get_ref()
                );
            }
            v.to_owned()
        }
    };
    let root = match &section.root {
        None => String::new(),
        Some(r) => normalize_rel(r.get_ref(), true).map_err(|why| {
            anyhow!(
                "{}: contract.root: {:?} {why}",
                at(r.span().start),
                r.get_ref()
            )
        })?,
    };
    // Credentials in the URL are never shown, stored or sent: the contract is fetched without
    // them (tokens come from the environment), and a warning says so once.
    let place = format!("{}: contract.repo", at(section.repo.span().start));
    crate::forge::warn_credentials_in_url(&place, repo);
    let repo = if is_url(repo) {
        crate::forge::display_url(repo)
    } else {
        repo.to_owned()
    };
    let contract = Contract {
        repo,
        ref_,
        root,
        root_set: section.root.is_some(),
    };

    if parsed.vendor.is_empty() {
        bail!("{name}: no [[vendor]] mapping (add `[[vendor]] from = \"…\" to = \"…\"`)");
    }
    let mut vendors: Vec<Vendor> = Vec::with_capacity(parsed.vendor.len());
    let mut seen_to: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for (i, v) in parsed.vendor.iter().enumerate() {
        let n = i + 1;
        let from = normalize_rel(v.from.get_ref(), false).map_err(|why| {
            anyhow!(
                "{}: vendor[{n}].from: {:?} {why}",
                at(v.from.span().start),
                v.from.get_ref()
            )
        })?;
        let from_is_glob = is_glob(&from);
        if from_is_glob {
            globset::Glob::new(&from).map_err(|e| {
                anyhow!(
                    "{}: vendor[{n}].from: {:?} is not a valid glob: {}",
                    at(v.from.span().start),
                    v.from.get_ref(),
                    e.kind()
                )
            })?;
        }
        let to = normalize_rel(v.to.get_ref(), false).map_err(|why| {
            anyhow!(
                "{}: vendor[{n}].to: {:?} {why}",
                at(v.to.span().start),
                v.to.get_ref()
            )
        })?;
        if is_glob(&to) {
            bail!(
                "{}: vendor[{n}].to: {:?} must be a directory, not a glob",
                at(v.to.span().start),
                v.to.get_ref()
            );
        }
        // Whether an earlier mapping's `to` is this one, inside it or around it: ordered
        // lookups (a `/` sorts before every other character in the keys), so thousands of
        // mappings are checked in n log n; the scan below only runs to name the first one.
        let key = to.replace('/', "\0");
        let inside = format!("{key}\0");
        let overlaps = seen_to.contains(&key)
            || key
                .match_indices('\0')
                .any(|(i, _)| seen_to.contains(&key[..i]))
            || seen_to
                .range(inside.clone()..)
                .next()
                .is_some_and(|k| k.starts_with(&inside));
        seen_to.insert(key);
        for (j, earlier) in vendors.iter().enumerate().filter(|_| overlaps) {
            let overlap = if earlier.to == to {
                Some("the same directory as")
            } else if is_under(&to, &earlier.to) {
                Some("a directory inside")
            } else if is_under(&earlier.to, &to) {
                Some("a directory containing")
            } else {
                None
            };
            if let Some(how) = overlap {
                bail!(
                    "{}: vendor[{n}].to: {to:?} is {how} vendor[{}].to {:?} ({}); two mappings must not write the same files",
                    at(v.to.span().start),
                    j + 1,
                    earlier.to,
                    earlier.place
                );
            }
        }
        vendors.push(Vendor {
            from,
            from_is_glob,
            to,
            place: at(v.to.span().start),
        });
    }
    Ok(SyncConfig {
        path: path.to_path_buf(),
        contract,
        vendors,
    })
}

/// Whether normalised path `inner` is strictly under normalised path `outer` (by components).
fn is_under(inner: &str, outer: &str) -> bool {
    inner
        .strip_prefix(outer)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// Walks up from `start` to the first directory holding a `protosync.toml` and returns that
/// file's path. Stops at the filesystem root, and at a directory containing `.git` (a
/// repository root) after checking it: a service repo's config is never looked for above it.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let start = start
        .canonicalize()
        .or_else(|_| std::path::absolute(start))
        .ok()?;
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        let candidate = d.join(CONFIG_FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
        dir = d.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[contract]
repo = "https://github.com/acme/contracts.git"
ref  = "v3"
root = "./proto/"

[[vendor]]
from = "acme/billing/v1"
to   = "third_party/proto/acme/billing/v1"

[[vendor]]
from = "acme/common/**/*.proto"
to   = "third_party/proto/acme/common"

[breaking]
use = ["FILE"]
"#;

    fn p(text: &str) -> Result<SyncConfig> {
        parse(Path::new("protosync.toml"), text)
    }

    fn err(text: &str) -> String {
        format!("{:#}", p(text).unwrap_err())
    }

    #[test]
    fn good_config_parses_and_normalises() {
        let c = p(GOOD).unwrap();
        assert_eq!(
            c.contract,
            Contract {
                repo: "https://github.com/acme/contracts.git".into(),
                ref_: "v3".into(),
                root: "proto".into(),
                root_set: true,
            }
        );
        assert_eq!(c.vendors.len(), 2);
        assert_eq!(c.vendors[0].from, "acme/billing/v1");
        assert!(!c.vendors[0].from_is_glob);
        assert_eq!(c.vendors[0].to, "third_party/proto/acme/billing/v1");
        assert_eq!(c.vendors[0].place, "protosync.toml:9:8");
        assert!(c.vendors[1].from_is_glob);
        assert_eq!(
            c.contract.repo_path("acme/billing/v1"),
            "proto/acme/billing/v1"
        );
        assert_eq!(c.repo_root(), Path::new("."));
        // The breaking side still reads the same file.
        crate::config::parse_protosync_toml(Path::new("protosync.toml"), GOOD).unwrap();
    }

    #[test]
    fn the_documented_example_is_valid() {
        let doc = include_str!("../../docs/CONFIG.md");
        let at = doc.find("```toml\n[contract]").unwrap() + "```toml\n".len();
        let example = &doc[at..at + doc[at..].find("```").unwrap()];
        let c = p(example).unwrap();
        assert_eq!(c.contract.root, "proto");
        assert_eq!(c.vendors[0].to, "third_party/proto/acme/billing/v1");
    }

    #[test]
    fn defaults_for_ref_and_root() {
        let c = p("[contract]\nrepo = \"../contracts\"\n[[vendor]]\nfrom = \"a\"\nto = \"b\"\n")
            .unwrap();
        assert_eq!(c.contract.ref_, "main");
        assert_eq!(c.contract.root, "");
        assert_eq!(c.contract.repo_path("a/x.proto"), "a/x.proto");
        assert_eq!(
            c.contract.location(Path::new("/srv/billing")),
            ContractRepo::Path(PathBuf::from("/srv/billing/../contracts"))
        );
    }

    #[test]
    fn repo_urls_and_paths() {
        for url in [
            "https://github.com/acme/c.git",
            "file:///tmp/c.git",
            "git@github.com:acme/c.git",
            "ssh://git@host:22/c.git",
        ] {
            assert!(is_url(url), "{url}");
        }
        for path in [
            "../contracts",
            "/srv/contracts",
            "C:\\contracts",
            "C:/contracts",
            "a/b:c",
        ] {
            assert!(!is_url(path), "{path}");
        }
    }

    #[test]
    fn unknown_keys_name_key_and_line() {
        let e = err(
            "[contract]\nrepo = \"x\"\nbranch = \"main\"\n[[vendor]]\nfrom = \"a\"\nto = \"b\"\n",
        );
        assert!(
            e.starts_with("protosync.toml:3:1: contract.branch: unknown field `branch`"),
            "{e}"
        );
        let e = err("[contract]\nrepo = \"x\"\n[[vendor]]\nfrom = \"a\"\nto = \"b\"\n[[vendor]]\nfrom = \"c\"\ninto = \"d\"\n");
        assert!(
            e.starts_with("protosync.toml:8:1: vendor[2].into: unknown field `into`"),
            "{e}"
        );
        let e = err("[contract]\nrepo = \"x\"\n[[vendor]]\nfrom = \"a\"\nto = \"b\"\n[nonsense]\n");
        assert!(e.starts_with("protosync.toml:6:"), "{e}");
        assert!(e.contains("unknown field `nonsense`"), "{e}");
    }

    #[test]
    fn wrong_types_and_missing_keys_name_key_and_line() {
        let e = err("[contract]\nrepo = 42\n[[vendor]]\nfrom = \"a\"\nto = \"b\"\n");
        assert!(
            e.starts_with("protosync.toml:2:8: contract.repo: invalid type"),
            "{e}"
        );
        let e = err("[contract]\nrepo = \"x\"\n\n[[vendor]]\nfrom = \"a\"\n");
        assert!(
            e.starts_with("protosync.toml:4:1: vendor[1]: missing field `to`"),
            "{e}"
        );
        let e = err("[contract]\nref = \"main\"\n[[vendor]]\nfrom = \"a\"\nto = \"b\"\n");
        assert!(
            e.starts_with("protosync.toml:1:1: contract: missing field `repo`"),
            "{e}"
        );
        let e = err("[contract]\nrepo = \"x\"\nvendor = 3\n");
        assert!(e.contains("contract.vendor"), "{e}");
    }

    #[test]
    fn missing_sections() {
        assert!(err("[breaking]\nuse = [\"FILE\"]\n").contains("no [contract] section"));
        assert!(err("[contract]\nrepo = \"x\"\n").contains("no [[vendor]] mapping"));
    }

    #[test]
    fn bad_values_name_key_and_line() {
        let head = "[contract]\nrepo = \"x\"\n[[vendor]]\n";
        let cases: &[(&str, &str)] = &[
            (
                "from = \"a\"\nto = \"/etc/proto\"\n",
                "protosync.toml:5:6: vendor[1].to: \"/etc/proto\" is absolute",
            ),
            (
                "from = \"a\"\nto = \"third_party/../../x\"\n",
                "protosync.toml:5:6: vendor[1].to: \"third_party/../../x\" contains `..`",
            ),
            (
                "from = \"a\"\nto = \"\"\n",
                "protosync.toml:5:6: vendor[1].to: \"\" is empty",
            ),
            (
                "from = \"a\"\nto = \".\"\n",
                "protosync.toml:5:6: vendor[1].to: \".\" names the root itself",
            ),
            (
                "from = \"a\"\nto = \".git/x\"\n",
                "vendor[1].to: \".git/x\" points into `.git`",
            ),
            (
                "from = \"a\"\nto = \"x/*\"\n",
                "vendor[1].to: \"x/*\" must be a directory, not a glob",
            ),
            (
                "from = \"../a\"\nto = \"b\"\n",
                "protosync.toml:4:8: vendor[1].from: \"../a\" contains `..`",
            ),
            (
                "from = \"/a\"\nto = \"b\"\n",
                "protosync.toml:4:8: vendor[1].from: \"/a\" is absolute",
            ),
            (
                "from = \"\"\nto = \"b\"\n",
                "protosync.toml:4:8: vendor[1].from: \"\" is empty",
            ),
            (
                "from = \"a/{b\"\nto = \"b\"\n",
                "protosync.toml:4:8: vendor[1].from: \"a/{b\" is not a valid glob",
            ),
        ];
        for (body, want) in cases {
            let e = err(&format!("{head}{body}"));
            assert!(e.contains(want), "want {want:?}, got {e}");
        }
        let e = err("[contract]\nrepo = \"  \"\n[[vendor]]\nfrom = \"a\"\nto = \"b\"\n");
        assert!(
            e.starts_with("protosync.toml:2:8: contract.repo: must not be empty"),
            "{e}"
        );
        let e = err("[contract]\nrepo = \"x\"\nref = \"\"\n[[vendor]]\nfrom = \"a\"\nto = \"b\"\n");
        assert!(e.starts_with("protosync.toml:3:7: contract.ref:"), "{e}");
        let e = err(
            "[contract]\nrepo = \"x\"\nroot = \"../up\"\n[[vendor]]\nfrom = \"a\"\nto = \"b\"\n",
        );
        assert!(
            e.starts_with("protosync.toml:3:8: contract.root: \"../up\" contains `..`"),
            "{e}"
        );
    }

    #[test]
    fn overlapping_mappings_are_refused() {
        let head =
            "[contract]\nrepo = \"x\"\n[[vendor]]\nfrom = \"a\"\nto = \"third_party/proto\"\n";
        let e = err(&format!(
            "{head}[[vendor]]\nfrom = \"b\"\nto = \"./third_party/proto/\"\n"
        ));
        assert!(
            e.starts_with("protosync.toml:8:6: vendor[2].to: \"third_party/proto\" is the same directory as vendor[1].to \"third_party/proto\" (protosync.toml:5:6)"),
            "{e}"
        );
        let e = err(&format!(
            "{head}[[vendor]]\nfrom = \"b\"\nto = \"third_party/proto/acme\"\n"
        ));
        assert!(
            e.contains(
                "vendor[2].to: \"third_party/proto/acme\" is a directory inside vendor[1].to"
            ),
            "{e}"
        );
        let e = err(&format!(
            "{head}[[vendor]]\nfrom = \"b\"\nto = \"third_party\"\n"
        ));
        assert!(e.contains("is a directory containing vendor[1].to"), "{e}");
        // Siblings sharing a name prefix are fine.
        p(&format!(
            "{head}[[vendor]]\nfrom = \"b\"\nto = \"third_party/proto2\"\n"
        ))
        .unwrap();
    }

    #[test]
    fn breaking_parser_refuses_unknown_sync_keys_too() {
        let e = crate::config::parse_protosync_toml(
            Path::new("protosync.toml"),
            "[contract]\nrepo = \"x\"\nbranch = \"y\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown field `branch`"), "{e}");
        // [[service]] stays free-form for the fan-out commands.
        crate::config::parse_protosync_toml(
            Path::new("protosync.toml"),
            "[[service]]\nname = \"billing\"\nrepo = \"https://x/billing.git\"\n",
        )
        .unwrap();
    }

    #[test]
    fn find_config_walks_up_and_stops_at_the_repo_root() {
        let dir = tempfile::tempdir().unwrap();
        let outer = dir.path().canonicalize().unwrap();
        let repo = outer.join("svc");
        let deep = repo.join("a/b/c");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        // Above the repository root: never found.
        std::fs::write(outer.join(CONFIG_FILE), "").unwrap();
        assert_eq!(find_config(&deep), None);
        // At the repository root: found (the `.git` directory is checked after the file).
        std::fs::write(repo.join(CONFIG_FILE), "").unwrap();
        assert_eq!(find_config(&deep), Some(repo.join(CONFIG_FILE)));
        // Nearer: the nearest wins.
        std::fs::write(repo.join("a").join(CONFIG_FILE), "").unwrap();
        assert_eq!(find_config(&deep), Some(repo.join("a").join(CONFIG_FILE)));
        assert_eq!(
            find_config(&repo.join("a")),
            Some(repo.join("a").join(CONFIG_FILE))
        );
        // Without a repository, the walk goes up to the filesystem root.
        let plain = outer.join("plain/x");
        std::fs::create_dir_all(&plain).unwrap();
        assert_eq!(find_config(&plain), Some(outer.join(CONFIG_FILE)));
        // A directory named protosync.toml is not a config file.
        let odd = outer.join("odd");
        std::fs::create_dir_all(odd.join(CONFIG_FILE)).unwrap();
        std::fs::create_dir_all(odd.join(".git")).unwrap();
        assert_eq!(find_config(&odd), None);
    }
}
