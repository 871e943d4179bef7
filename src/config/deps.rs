//! Dependencies without the BSR: the modules a side declares (buf.yaml `deps:`, the commits its
//! buf.lock pins, the keys of protosync.toml `[deps]`) and the mappings from a module name to a
//! protosync input that resolve them (`--dep NAME=INPUT`, `[deps]`).
//!
//! Owns parsing, choosing the mapping of each dependency, the buf.lock commit rule and the hint
//! for an unmapped dependency. Loading the inputs is the pipeline's job (docs/CONFIG.md,
//! "Dependencies").

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, bail, Result};
use serde_norway::Value;

use crate::input::{self, Format, GitWant, Spec};

/// What one side says about its dependencies.
#[derive(Debug, Clone, Default)]
pub struct Deps {
    /// Declared dependencies, in the order written.
    pub declared: Vec<Declared>,
    /// Mappings of the side's own protosync.toml `[deps]`.
    pub mappings: Vec<Mapping>,
}

/// A dependency a side declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The module name without a `:ref` suffix (`buf.build/googleapis/googleapis`).
    pub name: String,
    /// Where it was declared (`proto/buf.yaml:4`), for messages.
    pub place: String,
    /// The commit buf.lock pins (a BSR commit id, not a git sha).
    pub lock_commit: Option<String>,
}

/// A module name → input mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub name: String,
    /// The input spec as written (it may hold a `{commit}` placeholder).
    pub input: String,
    /// buf.lock commit → git revision (a sha) of the mirror.
    pub commits: BTreeMap<String, String>,
    /// Where it was written (`--dep`, `protosync.toml:7:1`), for messages.
    pub place: String,
    /// The directory a relative local input is relative to (a protosync.toml's on disk);
    /// `None`: the working directory.
    pub base: Option<std::path::PathBuf>,
}

/// A dependency ready to load.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub name: String,
    pub spec: Spec,
    /// Where its mapping was written.
    pub place: String,
}

/// A module name as buf writes it in `deps:`, without its `:ref` suffix.
pub fn module_name(raw: &str) -> &str {
    let raw = raw.trim();
    // `host/owner/repo:ref`; a ':' can only start the ref (hosts carry no port in buf names).
    raw.split_once(':').map_or(raw, |(name, _)| name)
}

/// `deps:` of a buf.yaml (v1 and v2: a top-level list of module names).
pub fn from_buf_yaml(doc: &Value, text: &str, file: &str) -> Result<Vec<Declared>> {
    let list = match doc.get("deps") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Sequence(items)) => items,
        Some(_) => bail!("{file}: deps: expected a list of module names"),
    };
    let mut out: Vec<Declared> = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let raw = item
            .as_str()
            .ok_or_else(|| anyhow!("{file}: deps[{i}]: expected a module name (a string)"))?;
        let name = module_name(raw);
        if name.split('/').filter(|p| !p.is_empty()).count() != 3 {
            bail!("{file}: deps[{i}]: {raw:?} is not a module name (expected host/owner/repository, e.g. buf.build/googleapis/googleapis)");
        }
        let place = match text.lines().position(|l| l.contains(raw)) {
            Some(i) => format!("{file}:{}", i + 1),
            None => file.to_owned(),
        };
        if out.iter().all(|d| d.name != name) {
            out.push(Declared {
                name: name.to_owned(),
                place,
                lock_commit: None,
            });
        }
    }
    Ok(out)
}

/// Reads a buf.lock (v1: `deps: [{remote, owner, repository, commit}]`; v2:
/// `deps: [{name, commit, digest}]`) into (module name, commit) pairs.
pub fn parse_buf_lock(text: &str, file: &str) -> Result<Vec<(String, String)>> {
    let doc: Value = serde_norway::from_str(text).map_err(|e| anyhow!("{file}: {e}"))?;
    let v2 = doc.get("version").and_then(Value::as_str) == Some("v2");
    let list = match doc.get("deps") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Sequence(items)) => items,
        Some(_) => bail!("{file}: deps: expected a list"),
    };
    let mut out = Vec::new();
    for (i, d) in list.iter().enumerate() {
        let field = |k: &str| -> Result<String> {
            d.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("{file}: deps[{i}].{k}: expected a string"))
        };
        let name = if v2 {
            module_name(&field("name")?).to_owned()
        } else {
            format!(
                "{}/{}/{}",
                field("remote")?,
                field("owner")?,
                field("repository")?
            )
        };
        out.push((name, field("commit")?));
    }
    Ok(out)
}

/// Declarations of a buf.yaml with the commits of the buf.lock next to it (`lock`: its text
/// and how to name it); a dependency only buf.lock lists (a transitive one) is declared too.
pub fn with_lock(
    mut declared: Vec<Declared>,
    lock: Option<(String, String)>,
) -> Result<Vec<Declared>> {
    let Some((file, text)) = lock else {
        return Ok(declared);
    };
    for (name, commit) in parse_buf_lock(&text, &file)? {
        match declared.iter_mut().find(|d| d.name == name) {
            Some(d) => d.lock_commit = Some(commit),
            None => declared.push(Declared {
                name,
                place: file.clone(),
                lock_commit: Some(commit),
            }),
        }
    }
    Ok(declared)
}

/// `[deps]` of a protosync.toml: `"name" = "INPUT"` or
/// `"name" = { input = "INPUT", commits = { "<buf.lock commit>" = "<git sha>" } }`.
pub fn from_toml(
    deps: &BTreeMap<String, toml::Spanned<toml::Value>>,
    text: &str,
    file: &str,
) -> Result<Vec<Mapping>> {
    let mut out = Vec::new();
    for (name, value) in deps {
        let (l, c) = super::line_col(text, value.span().start);
        let at = format!("{file}:{l}:{c}");
        let key = format!("deps.{name:?}");
        check_name(name).map_err(|why| anyhow!("{at}: {key}: {why}"))?;
        let (input, commits) = match value.get_ref() {
            toml::Value::String(s) => (s.clone(), BTreeMap::new()),
            toml::Value::Table(t) => {
                if let Some(k) = t
                    .keys()
                    .find(|k| !matches!(k.as_str(), "input" | "commits"))
                {
                    bail!("{at}: {key}.{k}: unknown key (expected input, commits)");
                }
                let input = t
                    .get("input")
                    .and_then(toml::Value::as_str)
                    .ok_or_else(|| anyhow!("{at}: {key}.input: expected the input (a string)"))?;
                let mut commits = BTreeMap::new();
                match t.get("commits") {
                    None => {}
                    Some(toml::Value::Table(m)) => {
                        for (k, v) in m {
                            let v = v.as_str().ok_or_else(|| {
                                anyhow!("{at}: {key}.commits.{k}: expected a git commit (a string)")
                            })?;
                            commits.insert(k.clone(), v.to_owned());
                        }
                    }
                    Some(_) => bail!(
                        "{at}: {key}.commits: expected a table of buf.lock commit = git commit"
                    ),
                }
                (input.to_owned(), commits)
            }
            _ => bail!("{at}: {key}: expected an input (a string) or a table with `input`"),
        };
        out.push(Mapping {
            name: name.clone(),
            input,
            commits,
            place: at,
            base: Path::new(file)
                .parent()
                .filter(|p| !p.as_os_str().is_empty() && p.is_dir())
                .map(Path::to_path_buf),
        });
    }
    Ok(out)
}

fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.contains(char::is_whitespace) || name.contains('=') {
        return Err("expected a module name such as buf.build/googleapis/googleapis".into());
    }
    Ok(())
}

/// One `--dep NAME=INPUT` value.
pub fn parse_flag(value: &str) -> Result<Mapping, String> {
    let (name, input) = value.split_once('=').ok_or_else(|| {
        format!("expected NAME=INPUT (e.g. buf.build/googleapis/googleapis=../googleapis), got {value:?}")
    })?;
    let name = module_name(name);
    check_name(name)?;
    if input.trim().is_empty() {
        return Err(format!("{name}: the input is empty"));
    }
    Ok(Mapping {
        name: name.to_owned(),
        input: input.to_owned(),
        commits: BTreeMap::new(),
        place: format!("--dep {name}"),
        base: None,
    })
}

/// The dependencies of one side and the mappings that resolve them: `flags` first, then the
/// side's own `[deps]`, then `project`'s (the protosync.toml of the working directory), the
/// last only for declared names. Returns the resolved dependencies and the declared ones no
/// mapping names.
pub fn resolve(
    side: &Deps,
    flags: &[Mapping],
    project: &[Mapping],
) -> Result<(Vec<Resolved>, Vec<Declared>)> {
    let mut names: Vec<&str> = side.declared.iter().map(|d| d.name.as_str()).collect();
    for m in side.mappings.iter().chain(flags) {
        if !names.contains(&m.name.as_str()) {
            names.push(&m.name);
        }
    }
    let (mut resolved, mut unmapped) = (Vec::new(), Vec::new());
    for name in names {
        let declared = side.declared.iter().find(|d| d.name == name);
        let own = side.mappings.iter().find(|m| m.name == name);
        let mapping = flags
            .iter()
            .rev()
            .find(|m| m.name == name)
            .or(own)
            .or_else(|| project.iter().find(|m| m.name == name));
        let Some(mapping) = mapping else {
            unmapped.extend(declared.cloned());
            continue;
        };
        let lock = declared.and_then(|d| d.lock_commit.as_deref());
        resolved.push(pin(mapping, lock)?);
    }
    Ok((resolved, unmapped))
}

/// A mapping's input for a side whose buf.lock pins the dependency at `lock` (if it does): the
/// buf.lock commit rule of docs/CONFIG.md.
fn pin(m: &Mapping, lock: Option<&str>) -> Result<Resolved> {
    let at = &m.place;
    let input = match (m.input.contains("{commit}"), lock) {
        (false, _) => m.input.clone(),
        (true, Some(c)) => m.input.replace("{commit}", c),
        (true, None) => bail!(
            "{at}: {}: the input uses {{commit}} but no buf.lock pins this dependency",
            m.name
        ),
    };
    let mut spec = input::spec::parse(&input).map_err(|e| anyhow!("{at}: {}: {e}", m.name))?;
    if matches!(spec.format, Format::Binpb | Format::Json) {
        bail!(
            "{at}: {}: a dependency must be a directory or a git input, not an image",
            m.name
        );
    }
    if let Some(base) = m.base.as_deref().filter(|_| !spec.is_remote()) {
        let loc = Path::new(&spec.location);
        if loc.is_relative() {
            spec.location = base.join(loc).display().to_string();
        }
    }
    if let (Format::Git, Some(lock)) = (spec.format, lock) {
        if let Some(sha) = m.commits.get(lock) {
            spec.want = GitWant::Commit(sha.clone());
        } else if !m.commits.is_empty() {
            bail!(
                "{at}: {}: buf.lock pins commit {lock}, and the mapping's commits table has no entry for it (it maps {})",
                m.name,
                m.commits.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        } else if !matches!(spec.want, GitWant::Commit(_) | GitWant::Tag(_))
            && !m.input.contains("{commit}")
        {
            bail!(
                "{at}: {name}: buf.lock pins commit {lock} (a BSR commit, not a git commit), but the mapping follows {want}: pin the mirror's matching commit with `#commit=<git sha>` (or a tag), or map buf.lock's commit: `[deps.\"{name}\"] input = \"{loc}\", commits = {{ \"{lock}\" = \"<git sha>\" }}`",
                name = m.name,
                want = spec.want,
                loc = spec.location,
            );
        }
    }
    Ok(Resolved {
        name: m.name.clone(),
        spec,
        place: m.place.clone(),
    })
}

/// The `[deps]` mappings of the protosync.toml found walking up from `start` (none when there
/// is none).
pub fn project_mappings(start: &Path) -> Result<Vec<Mapping>> {
    let Some(path) = crate::sync::config::find_config(start) else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
    let parsed = super::schema::parse(&text)
        .map_err(|e| anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
    from_toml(&parsed.deps, &text, &path.display().to_string())
}

/// Known git mirrors of BSR modules, for the hint.
const MIRRORS: &[(&str, &str)] = &[
    (
        "buf.build/googleapis/googleapis",
        "https://github.com/googleapis/googleapis.git",
    ),
    (
        "buf.build/bufbuild/protovalidate",
        "https://github.com/bufbuild/protovalidate.git#commit=<git sha>,subdir=proto/protovalidate",
    ),
    (
        "buf.build/grpc-ecosystem/grpc-gateway",
        "https://github.com/grpc-ecosystem/grpc-gateway.git",
    ),
    (
        "buf.build/envoyproxy/protoc-gen-validate",
        "https://github.com/bufbuild/protoc-gen-validate.git",
    ),
];

/// What to write to map `d`: the `[deps]` line and the `--dep` flag.
pub fn suggestion(d: &Declared) -> (String, String) {
    let input = match MIRRORS.iter().find(|(n, _)| *n == d.name) {
        Some((_, url)) if url.contains('#') => (*url).to_owned(),
        Some((_, url)) => format!("{url}#commit=<git sha>"),
        None => "<git URL or directory>#commit=<git sha>".to_owned(),
    };
    (
        format!("\"{}\" = \"{input}\"", d.name),
        format!("--dep '{}={input}'", d.name),
    )
}

/// The help for a side whose compile failed on a missing import while `unmapped` are declared
/// and not mapped.
pub fn unmapped_help(unmapped: &[Declared]) -> Option<String> {
    if unmapped.is_empty() {
        return None;
    }
    let mut out = String::from(
        "protosync cannot reach the BSR, and these declared dependencies have no mapping to an input:",
    );
    for d in unmapped {
        let pinned = match &d.lock_commit {
            Some(c) => format!(", buf.lock commit {c}"),
            None => String::new(),
        };
        out.push_str(&format!(
            "\n   {} (declared in {}{pinned})",
            d.name, d.place
        ));
    }
    out.push_str("\n map each to a git mirror or a directory, in protosync.toml:\n   [deps]");
    for d in unmapped {
        out.push_str(&format!("\n   {}", suggestion(d).0));
    }
    out.push_str("\n or on the command line:");
    for d in unmapped {
        out.push_str(&format!("\n   {}", suggestion(d).1));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(name: &str, lock: Option<&str>) -> Declared {
        Declared {
            name: name.into(),
            place: "buf.yaml:3".into(),
            lock_commit: lock.map(str::to_owned),
        }
    }

    #[test]
    fn buf_lock_v1_and_v2() {
        let v1 = "version: v1\ndeps:\n  - remote: buf.build\n    owner: googleapis\n    repository: googleapis\n    commit: 28151c0d0a1641bf938a7672c500e01d\n    digest: shake256:abc\n";
        assert_eq!(
            parse_buf_lock(v1, "buf.lock").unwrap(),
            [(
                "buf.build/googleapis/googleapis".to_owned(),
                "28151c0d0a1641bf938a7672c500e01d".to_owned()
            )]
        );
        let v2 = "# Generated by buf. DO NOT EDIT.\nversion: v2\ndeps:\n  - name: buf.build/acme/common\n    commit: 0123456789abcdef0123456789abcdef\n    digest: b5:00\n";
        assert_eq!(
            parse_buf_lock(v2, "buf.lock").unwrap(),
            [(
                "buf.build/acme/common".to_owned(),
                "0123456789abcdef0123456789abcdef".to_owned()
            )]
        );
        let err = parse_buf_lock("version: v2\ndeps:\n  - commit: x\n", "buf.lock").unwrap_err();
        assert_eq!(err.to_string(), "buf.lock: deps[0].name: expected a string");
    }

    #[test]
    fn flags_win_and_the_lock_rule_refuses_a_followed_branch() {
        let side = Deps {
            declared: vec![decl("buf.build/a/b", Some("c0ffee"))],
            mappings: vec![],
        };
        let branch = parse_flag("buf.build/a/b=https://example.com/b.git#branch=main").unwrap();
        let err = resolve(&side, &[branch], &[]).unwrap_err().to_string();
        assert!(err.starts_with("--dep buf.build/a/b: buf.build/a/b: buf.lock pins commit c0ffee (a BSR commit, not a git commit), but the mapping follows branch main"), "{err}");
        let pinned = parse_flag("buf.build/a/b=https://example.com/b.git#tag=v1").unwrap();
        let project = parse_flag("buf.build/a/b=elsewhere").unwrap();
        let (ok, unmapped) = resolve(&side, &[pinned], std::slice::from_ref(&project)).unwrap();
        assert_eq!(ok[0].spec.want, GitWant::Tag("v1".into()));
        assert!(unmapped.is_empty());
        let (ok, _) = resolve(&side, &[], &[project]).unwrap();
        assert_eq!(ok[0].spec.location, "elsewhere");
        let mut table = parse_flag("buf.build/a/b=https://example.com/b.git").unwrap();
        table.commits.insert("c0ffee".into(), "1234567".into());
        let (ok, _) = resolve(&side, &[table], &[]).unwrap();
        assert_eq!(ok[0].spec.want, GitWant::Commit("1234567".into()));
        let (ok, unmapped) = resolve(&side, &[], &[]).unwrap();
        assert!(ok.is_empty());
        assert_eq!(unmapped, side.declared);
        let placeholder =
            parse_flag("buf.build/a/b=https://example.com/b.git#tag=bsr-{commit}").unwrap();
        let (ok, _) = resolve(&side, &[placeholder], &[]).unwrap();
        assert_eq!(ok[0].spec.want, GitWant::Tag("bsr-c0ffee".into()));
    }

    #[test]
    fn bad_flags_and_names() {
        assert!(parse_flag("nothing")
            .unwrap_err()
            .contains("expected NAME=INPUT"));
        assert_eq!(
            parse_flag("buf.build/a/b:v1=dir").unwrap().name,
            "buf.build/a/b"
        );
        let doc: Value = serde_norway::from_str("version: v1\ndeps:\n  - googleapis\n").unwrap();
        let err = from_buf_yaml(&doc, "", "buf.yaml").unwrap_err().to_string();
        assert!(
            err.contains("deps[0]: \"googleapis\" is not a module name"),
            "{err}"
        );
    }
}
