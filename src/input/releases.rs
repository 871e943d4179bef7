//! Tag patterns: `.git#tag=v*` names every release of a local repository whose tag matches.
//!
//! Owns matching (a glob over tag names, `*` also matching `/`, as `git tag -l` does), the
//! release order (tags that read as versions, `v1.2.3`, `1.2`, `v2.0.0-rc.1`, in semantic
//! version order, then the others by commit time and name) and the grouping of tags whose
//! trees are identical (one version to compile, several names to report). Reading the trees is
//! [`super::git`]'s job.

use std::cmp::Ordering;

use anyhow::{anyhow, bail, Result};
use git2::{ObjectType, Oid, Repository};

use super::{GitWant, Spec};

/// Characters that make a tag name a pattern.
const GLOB_CHARS: &[char] = &['*', '?', '['];

/// The tag pattern a spec names (`.git#tag=v*`), if it names one.
pub fn tag_pattern(spec: &Spec) -> Option<&str> {
    match &spec.want {
        GitWant::Tag(t) if is_pattern(t) => Some(t),
        _ => None,
    }
}

/// Whether a tag name is a pattern.
pub fn is_pattern(tag: &str) -> bool {
    tag.contains(GLOB_CHARS)
}

/// One version to check: the tags (in release order) whose commits have the same tree.
#[derive(Debug, Clone)]
pub struct Release {
    pub names: Vec<String>,
    /// The commit of the first name.
    pub commit: Oid,
    /// Each name's place in the order of all matching tags.
    pub indexes: Vec<usize>,
}

/// Every tag of `repo` matching `pattern`, in release order, grouped by identical tree (of
/// `subdir`, when given). No match is an error naming the pattern and the nearest tags.
pub fn expand(repo: &Repository, pattern: &str, subdir: Option<&str>) -> Result<Vec<Release>> {
    let pattern = pattern.strip_prefix("refs/tags/").unwrap_or(pattern);
    let glob = globset::GlobBuilder::new(pattern)
        .literal_separator(false)
        .build()
        .map_err(|e| anyhow!("tag pattern {pattern:?} is not a valid glob: {e}"))?
        .compile_matcher();
    let mut all: Vec<String> = Vec::new();
    let mut tags: Vec<(String, Oid, i64)> = Vec::new();
    for r in repo.references_glob("refs/tags/*")?.flatten() {
        let Some(name) = r.name().ok().and_then(|n| n.strip_prefix("refs/tags/")) else {
            continue;
        };
        all.push(name.to_owned());
        if !glob.is_match(name) {
            continue;
        }
        // A tag of a tree or a blob is no release.
        let Ok(commit) = r.peel_to_commit() else {
            continue;
        };
        tags.push((name.to_owned(), commit.id(), commit.time().seconds()));
    }
    if tags.is_empty() {
        all.sort();
        let names: Vec<&str> = all.iter().map(String::as_str).collect();
        let literal: String = pattern
            .chars()
            .filter(|c| !GLOB_CHARS.contains(c))
            .collect();
        let hint = crate::suggest::ref_hint("tag", &literal, &[], &names, "repository");
        let place = repo
            .workdir()
            .unwrap_or_else(|| repo.path())
            .display()
            .to_string();
        bail!("no tag matches {pattern:?} in repository {place}{hint}");
    }
    tags.sort_by(|a, b| release_order((&a.0, a.2), (&b.0, b.2)));
    let mut releases: Vec<Release> = Vec::new();
    let mut by_tree: std::collections::HashMap<Oid, usize> = std::collections::HashMap::new();
    for (i, (name, commit, _)) in tags.into_iter().enumerate() {
        let tree = tree_of(repo, commit, subdir).unwrap_or(commit);
        match by_tree.get(&tree) {
            Some(&r) => {
                releases[r].names.push(name);
                releases[r].indexes.push(i);
            }
            None => {
                by_tree.insert(tree, releases.len());
                releases.push(Release {
                    names: vec![name],
                    commit,
                    indexes: vec![i],
                });
            }
        }
    }
    Ok(releases)
}

/// The tree of `subdir` (or the root) at a commit; `None` when it has no such directory (the
/// error is reported when the release is read).
fn tree_of(repo: &Repository, commit: Oid, subdir: Option<&str>) -> Option<Oid> {
    let tree = repo.find_commit(commit).ok()?.tree().ok()?;
    match subdir {
        None => Some(tree.id()),
        Some(sub) => {
            let entry = tree.get_path(std::path::Path::new(sub)).ok()?;
            (entry.kind() == Some(ObjectType::Tree)).then(|| entry.id())
        }
    }
}

/// Versions first, in semantic version order (equal versions by name), then the other tags
/// by commit time, then name.
fn release_order(a: (&str, i64), b: (&str, i64)) -> Ordering {
    match (Version::parse(a.0), Version::parse(b.0)) {
        (Some(va), Some(vb)) => va.cmp(&vb).then_with(|| a.0.cmp(b.0)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.1.cmp(&b.1).then_with(|| a.0.cmp(b.0)),
    }
}

/// A tag read as a version: `v1.2.3`, `1.2` (missing parts are 0), `v2.0.0-rc.1`, with build
/// metadata (`+…`) ignored, as semantic versioning orders them. A prefix before the number
/// (`release-1.2.0`, `api/v1.2.0`) is allowed when it ends in `v`, `-`, `_` or `/`.
#[derive(Debug, PartialEq, Eq)]
struct Version<'a> {
    numbers: [u64; 3],
    pre: Option<&'a str>,
}

impl<'a> Version<'a> {
    fn parse(tag: &'a str) -> Option<Version<'a>> {
        let start = tag.find(|c: char| c.is_ascii_digit())?;
        let prefix = &tag[..start];
        if !(prefix.is_empty() || prefix.ends_with(['v', 'V', '-', '_', '/'])) {
            return None;
        }
        let rest = &tag[start..];
        let rest = rest.split('+').next().unwrap_or(rest);
        let (core, pre) = match rest.split_once('-') {
            Some((core, pre)) if !pre.is_empty() => (core, Some(pre)),
            Some(_) => return None,
            None => (rest, None),
        };
        let mut numbers = [0u64; 3];
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() > 3 {
            return None;
        }
        for (n, p) in numbers.iter_mut().zip(&parts) {
            if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            *n = p.parse().ok()?;
        }
        Some(Version { numbers, pre })
    }
}

impl Ord for Version<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers
            .cmp(&other.numbers)
            .then_with(|| match (self.pre, other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => pre_order(a, b),
            })
    }
}

impl PartialOrd for Version<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Pre-release precedence: dot-separated identifiers, numbers numerically and below words.
fn pre_order(a: &str, b: &str) -> Ordering {
    let (mut xs, mut ys) = (a.split('.'), b.split('.'));
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_as_semver_then_the_rest_by_time() {
        let mut tags = vec![
            ("v1.10.0", 1),
            ("v1.2.0", 9),
            ("nightly", 5),
            ("v2.0.0-rc.1", 2),
            ("v2.0.0", 3),
            ("v2.0.0-beta.11", 4),
            ("v2.0.0-beta.2", 8),
            ("release-1.3", 7),
            ("latest", 0),
            ("v1", 6),
        ];
        tags.sort_by(|a, b| release_order(*a, *b));
        let names: Vec<&str> = tags.iter().map(|t| t.0).collect();
        assert_eq!(
            names,
            [
                "v1",
                "v1.2.0",
                "release-1.3",
                "v1.10.0",
                "v2.0.0-beta.2",
                "v2.0.0-beta.11",
                "v2.0.0-rc.1",
                "v2.0.0",
                "latest",
                "nightly"
            ]
        );
        assert!(Version::parse("v1.2.3.4").is_none());
        assert!(Version::parse("x1.2").is_none());
        assert!(Version::parse("v1.2-").is_none());
        assert_eq!(Version::parse("v1.2.3+build.5").unwrap().numbers, [1, 2, 3]);
    }
}
