//! `protosync.lock`: which contract commit the vendored copy came from and the sha256 of every
//! vendored file (format in docs/LOCK.md).
//!
//! Written by protosync only, committed with the service repository. [`Lock::to_toml`] is
//! deterministic (fixed key order, files sorted by path, one escaping), so writing a lock that
//! was read back gives the same bytes and an unchanged sync changes nothing in git. [`Lock::parse`]
//! refuses unknown keys, bad hashes, bad paths and duplicate paths with the file, line, column
//! and key.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{anyhow, bail, Result};
use serde::Deserialize;
use toml::Spanned;

use super::fsafe::normalize_rel;
use super::{toml_error, Places};

/// The name of the lock file, next to `protosync.toml`.
pub const LOCK_FILE: &str = "protosync.lock";

/// The format version this protosync reads and writes.
pub const LOCK_VERSION: i64 = 1;

/// The first lines of every lock.
pub const HEADER: &str =
    "# protosync.lock: written by protosync (`protosync sync`), do not edit by hand.\n\
# It records the contract commit the vendored files came from and the sha256 of each file.\n";

/// The lock's `[contract]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedContract {
    /// The contract repository, as configured when the lock was written.
    pub repo: String,
    /// The ref that was resolved (`main`, `v3`, …).
    pub ref_: String,
    /// The full commit id the ref resolved to (40 or 64 lowercase hex digits).
    pub commit: String,
}

/// One vendored file of the lock (its repo-relative path is the key of [`Lock::files`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedFile {
    /// sha256 of the bytes written, 64 lowercase hex digits.
    pub sha256: String,
    /// The path the file came from in the contract repository (root included).
    pub from: String,
}

/// A parsed or to-be-written lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    pub contract: LockedContract,
    /// Repo-relative path (forward slashes, normalised) → file; sorted by path.
    pub files: BTreeMap<String, LockedFile>,
    /// Where each `[[file]]` entry's `path` was written (`protosync.lock:7:8`), for messages;
    /// empty for a lock that was not read from a file. Not part of the lock's value.
    pub places: EntryLines,
}

/// Path → where it was written in the lock file. Equal to any other (two locks with the same
/// content are the same lock wherever their entries were written).
#[derive(Debug, Clone, Default)]
pub struct EntryLines(pub BTreeMap<String, String>);

impl PartialEq for EntryLines {
    fn eq(&self, _: &EntryLines) -> bool {
        true
    }
}

impl Eq for EntryLines {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLock {
    version: Spanned<i64>,
    contract: RawContract,
    #[serde(default)]
    file: Vec<RawFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContract {
    repo: Spanned<String>,
    #[serde(rename = "ref")]
    ref_: Spanned<String>,
    commit: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    path: Spanned<String>,
    sha256: Spanned<String>,
    from: Spanned<String>,
}

pub use crate::hash::sha256_hex;

fn is_lower_hex(s: &str, lens: &[usize]) -> bool {
    lens.contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Lock {
    /// Reads the lock at `path`; `Ok(None)` when there is none.
    pub fn load(path: &Path) -> Result<Option<Lock>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Lock::parse(path, &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow!("cannot read {}: {e}", path.display())),
        }
    }

    /// Parses lock text; `path` names the file in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Lock> {
        let name = path.display().to_string();
        let raw: RawLock = toml::from_str(text).map_err(|e| toml_error(&name, text, &e))?;
        let places = Places::new(&name, text);
        let at = |offset: usize| places.at(offset);
        let version = *raw.version.get_ref();
        if version != LOCK_VERSION {
            let hint = if version > LOCK_VERSION {
                "written by a newer protosync; upgrade protosync"
            } else {
                "not a version protosync ever wrote"
            };
            bail!(
                "{}: version: lock version {version} is not supported (this protosync reads version {LOCK_VERSION}; {hint})",
                at(raw.version.span().start)
            );
        }
        let contract = locked_contract(&raw.contract, &places)?;
        let mut files = BTreeMap::new();
        let mut first_seen: BTreeMap<String, String> = BTreeMap::new();
        for (i, f) in raw.file.iter().enumerate() {
            let n = i + 1;
            let key_path = |key: &str, value: &Spanned<String>| -> Result<String> {
                let v = value.get_ref();
                match normalize_rel(v, false) {
                    Ok(clean) if &clean == v => Ok(clean),
                    Ok(clean) => Err(anyhow!(
                        "{}: file[{n}].{key}: {v:?} is not in normal form (expected {clean:?})",
                        at(value.span().start)
                    )),
                    Err(why) => Err(anyhow!(
                        "{}: file[{n}].{key}: {v:?} {why}",
                        at(value.span().start)
                    )),
                }
            };
            let path = key_path("path", &f.path)?;
            let from = key_path("from", &f.from)?;
            if !is_lower_hex(f.sha256.get_ref(), &[64]) {
                bail!(
                    "{}: file[{n}].sha256: {:?} is not a sha256 (64 lowercase hex digits)",
                    at(f.sha256.span().start),
                    f.sha256.get_ref()
                );
            }
            let here = at(f.path.span().start);
            if let Some(earlier) = first_seen.get(&path) {
                bail!("{here}: file[{n}].path: {path:?} is listed twice (first at {earlier})");
            }
            first_seen.insert(path.clone(), here);
            files.insert(
                path,
                LockedFile {
                    sha256: f.sha256.get_ref().clone(),
                    from,
                },
            );
        }
        Ok(Lock {
            contract,
            files,
            places: EntryLines(first_seen),
        })
    }

    /// The lock as written to disk: the header comment, `version`, `[contract]`, then one
    /// `[[file]]` per file sorted by path. The same lock always gives the same bytes.
    pub fn to_toml(&self) -> String {
        let mut out = String::with_capacity(200 + self.files.len() * 200);
        out.push_str(HEADER);
        let _ = writeln!(out, "version = {LOCK_VERSION}");
        out.push_str("\n[contract]\n");
        let _ = writeln!(out, "repo = {}", quote(&self.contract.repo));
        let _ = writeln!(out, "ref = {}", quote(&self.contract.ref_));
        let _ = writeln!(out, "commit = {}", quote(&self.contract.commit));
        for (path, file) in &self.files {
            out.push_str("\n[[file]]\n");
            let _ = writeln!(out, "path = {}", quote(path));
            let _ = writeln!(out, "sha256 = {}", quote(&file.sha256));
            let _ = writeln!(out, "from = {}", quote(&file.from));
        }
        out
    }
}

/// A TOML basic string: `"`, `\` and control characters escaped, everything else as is.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `[contract]` table, checked: repo and ref not empty, commit a full commit id.
fn locked_contract(c: &RawContract, places: &Places) -> Result<LockedContract> {
    let at = |offset: usize| places.at(offset);
    for (key, value) in [("contract.repo", &c.repo), ("contract.ref", &c.ref_)] {
        if value.get_ref().trim().is_empty() {
            bail!("{}: {key}: must not be empty", at(value.span().start));
        }
    }
    if !is_lower_hex(c.commit.get_ref(), &[40, 64]) {
        bail!(
            "{}: contract.commit: {:?} is not a full commit id (40 or 64 lowercase hex digits)",
            at(c.commit.span().start),
            c.commit.get_ref()
        );
    }
    Ok(LockedContract {
        repo: c.repo.get_ref().clone(),
        ref_: c.ref_.get_ref().clone(),
        commit: c.commit.get_ref().clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    fn sample() -> Lock {
        let mut files = BTreeMap::new();
        for (path, from, body) in [
            (
                "third_party/proto/acme/billing/v1/z.proto",
                "proto/acme/billing/v1/z.proto",
                "z",
            ),
            (
                "third_party/proto/acme/billing/v1/a.proto",
                "proto/acme/billing/v1/a.proto",
                "a",
            ),
            (
                "third_party/proto/acme/common/ünïcode \"q\".proto",
                "proto/acme/common/ünïcode \"q\".proto",
                "u",
            ),
        ] {
            files.insert(
                path.to_owned(),
                LockedFile {
                    sha256: sha256_hex(body.as_bytes()),
                    from: from.to_owned(),
                },
            );
        }
        Lock {
            contract: LockedContract {
                repo: "https://github.com/acme/contracts.git".into(),
                ref_: "main".into(),
                commit: COMMIT.into(),
            },
            files,
            places: EntryLines::default(),
        }
    }

    fn p(text: &str) -> Result<Lock> {
        Lock::parse(Path::new("protosync.lock"), text)
    }

    fn err(text: &str) -> String {
        format!("{:#}", p(text).unwrap_err())
    }

    const HEAD: &str = "version = 1\n[contract]\nrepo = \"r\"\nref = \"main\"\ncommit = \"0123456789abcdef0123456789abcdef01234567\"\n";

    #[test]
    fn sha256_hex_known_values() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn round_trip_is_byte_identical_and_sorted() {
        let lock = sample();
        let text = lock.to_toml();
        assert!(text.starts_with("# protosync.lock: written by protosync"));
        let back = p(&text).unwrap();
        assert_eq!(back, lock);
        assert_eq!(back.to_toml(), text);
        let a = text.find("billing/v1/a.proto").unwrap();
        let z = text.find("billing/v1/z.proto").unwrap();
        assert!(a < z, "{text}");
        assert!(text.contains(r#"ünïcode \"q\".proto"#), "{text}");
    }

    #[test]
    fn exact_format() {
        let mut lock = sample();
        lock.files.retain(|p, _| p.ends_with("a.proto"));
        let expected = format!(
            "{HEADER}version = 1\n\n[contract]\nrepo = \"https://github.com/acme/contracts.git\"\nref = \"main\"\ncommit = \"{COMMIT}\"\n\n[[file]]\npath = \"third_party/proto/acme/billing/v1/a.proto\"\nsha256 = \"{}\"\nfrom = \"proto/acme/billing/v1/a.proto\"\n",
            sha256_hex(b"a")
        );
        assert_eq!(lock.to_toml(), expected);
        // No files at all is a valid lock.
        lock.files.clear();
        assert_eq!(p(&lock.to_toml()).unwrap(), lock);
    }

    #[test]
    fn unsorted_input_is_read_and_written_sorted() {
        let text = format!(
            "{HEAD}[[file]]\npath = \"b\"\nsha256 = \"{0}\"\nfrom = \"b\"\n[[file]]\npath = \"a\"\nsha256 = \"{0}\"\nfrom = \"a\"\n",
            sha256_hex(b"")
        );
        let lock = p(&text).unwrap();
        assert_eq!(lock.files.keys().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn errors_name_key_and_line() {
        let good = sha256_hex(b"x");
        let file = |path: &str, sha: &str, from: &str| {
            format!("[[file]]\npath = \"{path}\"\nsha256 = \"{sha}\"\nfrom = \"{from}\"\n")
        };
        let cases: Vec<(String, &str)> = vec![
            (format!("{HEAD}extra = 1\n"), "protosync.lock:6:1: contract.extra: unknown field `extra`"),
            (format!("{HEAD}{}", file("a", &good, "a").replace("from =", "size = 3\nfrom =")), "protosync.lock:9:1: file[1].size: unknown field `size`"),
            (format!("{HEAD}{}", file("a", "abc", "a")), "protosync.lock:8:10: file[1].sha256: \"abc\" is not a sha256"),
            (format!("{HEAD}{}", file("a", &good.to_uppercase(), "a")), "file[1].sha256:"),
            (format!("{HEAD}{}", file("../a", &good, "a")), "protosync.lock:7:8: file[1].path: \"../a\" contains `..`"),
            (format!("{HEAD}{}", file("/a", &good, "a")), "file[1].path: \"/a\" is absolute"),
            (format!("{HEAD}{}", file("./a", &good, "a")), "file[1].path: \"./a\" is not in normal form (expected \"a\")"),
            (format!("{HEAD}{}", file("a", &good, "x/../../a")), "protosync.lock:9:8: file[1].from: \"x/../../a\" contains `..`"),
            (format!("{HEAD}{}{}", file("a", &good, "a"), file("a", &good, "b")), "protosync.lock:11:8: file[2].path: \"a\" is listed twice (first at protosync.lock:7:8)"),
            (format!("{HEAD}{}", file("a", &good, "a").replace("from = \"a\"\n", "")), "protosync.lock:6:1: file[1]: missing field `from`"),
            (HEAD.replace("0123456789abcdef0123456789abcdef01234567", "main"), "protosync.lock:5:10: contract.commit: \"main\" is not a full commit id"),
            (HEAD.replace("0123456789abcdef0123456789abcdef01234567", "0123456"), "contract.commit: \"0123456\" is not a full commit id"),
            (HEAD.replace("version = 1", "version = 2"), "protosync.lock:1:11: version: lock version 2 is not supported (this protosync reads version 1; written by a newer protosync"),
            (HEAD.replace("version = 1", "version = \"1\""), "protosync.lock:1:11: version: invalid type"),
            (HEAD.replace("version = 1\n", ""), "missing field `version`"),
            (HEAD.replace("repo = \"r\"", "repo = \"\""), "protosync.lock:3:8: contract.repo: must not be empty"),
            (HEAD.replace("ref = \"main\"\n", ""), "contract: missing field `ref`"),
            ("version = 1\n[contract\n".to_owned(), "protosync.lock:2:"),
        ];
        for (text, want) in cases {
            let e = err(&text);
            assert!(
                e.contains(want),
                "want {want:?}, got {e}\n--- text:\n{text}"
            );
        }
    }

    #[test]
    fn the_documented_example_is_a_canonical_lock() {
        let doc = include_str!("../../docs/LOCK.md");
        let start = doc.find("```toml\n").unwrap() + "```toml\n".len();
        let example = &doc[start..start + doc[start..].find("```").unwrap()];
        let lock = p(example).unwrap();
        assert_eq!(lock.to_toml(), example);
    }

    #[test]
    fn load_missing_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Lock::load(&dir.path().join(LOCK_FILE)).unwrap(), None);
        std::fs::write(dir.path().join(LOCK_FILE), sample().to_toml()).unwrap();
        assert_eq!(
            Lock::load(&dir.path().join(LOCK_FILE)).unwrap(),
            Some(sample())
        );
    }

    #[test]
    fn quote_escapes_what_toml_needs() {
        let s = "a\"b\\c\nd\te\u{1}f";
        let text = format!("v = {}\n", quote(s));
        let v: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(v["v"].as_str(), Some(s));
    }
}
