//! Input spec syntax: `<location>[#key=value,...]`, close to buf's so users need not relearn it.
//!
//! Owns parsing and validation only: unknown, duplicate, empty and conflicting keys are
//! rejected with a message that shows the spec and marks the offending part.

use std::fmt;

/// What kind of input a location is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A directory of .proto files.
    Dir,
    /// A git repository (local path, `.git` dir, bare repo, or URL).
    Git,
    /// A serialised `FileDescriptorSet` (`protoc -o`, `buf build -o`); `-` is stdin.
    Binpb,
    /// A `FileDescriptorSet` in protobuf JSON.
    Json,
    /// A tar archive (`.tar`, `.tar.gz`/`.tgz`, `.tar.zst`), a local file or an http(s) URL.
    Tar,
    /// A zip archive (`.zip`), a local file or an http(s) URL.
    Zip,
    /// A `FileDescriptorSet` in the protobuf text format (`buf build -o x.txtpb`).
    Txtpb,
    /// One `.proto` file, read in the module that holds it (`input::protofile`).
    ProtoFile,
}

impl Format {
    fn parse(s: &str) -> Option<Format> {
        match s {
            "dir" => Some(Format::Dir),
            "git" => Some(Format::Git),
            "binpb" | "bin" => Some(Format::Binpb),
            "json" => Some(Format::Json),
            "tar" => Some(Format::Tar),
            "zip" => Some(Format::Zip),
            "txtpb" => Some(Format::Txtpb),
            "protofile" => Some(Format::ProtoFile),
            _ => None,
        }
    }
}

/// How a tar archive is compressed (`compression=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    fn parse(s: &str) -> Option<Compression> {
        match s {
            "none" => Some(Compression::None),
            "gzip" => Some(Compression::Gzip),
            "zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }
}

/// The options of an archive input (`.tar*`, `.zip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArchiveOptions {
    /// `compression=`, else what the file name says (`.tar.gz`, `.tgz`, `.tar.zst`); `None`
    /// when neither says: the data's first bytes decide.
    pub compression: Option<Compression>,
    /// `strip_components=N`: leading path components dropped from every entry.
    pub strip_components: u32,
}

/// Which revision of a git input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitWant {
    /// The repository's HEAD.
    Head,
    /// A branch; a local branch first, else `origin/<name>` (CI checkouts often lack locals).
    Branch(String),
    /// A tag, lightweight or annotated.
    Tag(String),
    /// A commit by full or abbreviated sha.
    Commit(String),
    /// Any revision expression git understands (`HEAD~1`, `refs/...`, short sha), optionally
    /// on a branch (`branch=main,ref=HEAD~1` means `main~1`).
    Ref {
        expr: String,
        branch: Option<String>,
    },
}

impl fmt::Display for GitWant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitWant::Head => write!(f, "HEAD"),
            GitWant::Branch(b) => write!(f, "branch {b}"),
            GitWant::Tag(t) => write!(f, "tag {t}"),
            GitWant::Commit(c) => write!(f, "commit {c}"),
            GitWant::Ref { expr, branch: None } => write!(f, "ref {expr}"),
            GitWant::Ref {
                expr,
                branch: Some(b),
            } => write!(f, "ref {expr} on branch {b}"),
        }
    }
}

/// A parsed input spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The spec as written.
    pub raw: String,
    /// The part before `#`.
    pub location: String,
    pub format: Format,
    pub want: GitWant,
    /// Sub-directory of the repository to use as the input root.
    pub subdir: Option<String>,
    /// Fetch depth for remote repositories.
    pub depth: Option<u32>,
    /// Compression and stripped components of archive inputs.
    pub archive: ArchiveOptions,
    /// The boolean options: `include_package_files`, `recurse_submodules`.
    pub flags: SpecFlags,
}

/// A spec's boolean options (buf's `include_package_files=` and `recurse_submodules=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpecFlags {
    /// A `.proto` file input: also every other file of its package in the module.
    pub include_package_files: bool,
    /// A git input: also the trees of its submodules, at the commits the gitlinks record.
    pub recurse_submodules: bool,
}

impl Spec {
    /// A directory input.
    pub fn dir(path: &std::path::Path) -> Spec {
        let location = path.display().to_string();
        Spec {
            raw: location.clone(),
            location,
            format: Format::Dir,
            want: GitWant::Head,
            subdir: None,
            depth: None,
            archive: ArchiveOptions::default(),
            flags: SpecFlags::default(),
        }
    }

    /// A commit of the local repository at `repo`, rooted at `subdir` (`""`: the top).
    pub fn git_commit(repo: &std::path::Path, commit: &str, subdir: &str) -> Spec {
        let location = repo.display().to_string();
        let subdir = (!subdir.is_empty()).then(|| subdir.to_owned());
        let raw = match &subdir {
            Some(s) => format!("{location}#format=git,commit={commit},subdir={s}"),
            None => format!("{location}#format=git,commit={commit}"),
        };
        Spec {
            raw,
            location,
            format: Format::Git,
            want: GitWant::Commit(commit.to_owned()),
            subdir,
            depth: None,
            archive: ArchiveOptions::default(),
            flags: SpecFlags::default(),
        }
    }

    /// A git repository at `location` (a URL or a path) at revision `want`, written as the
    /// spec would be (`URL#branch=main`), so equal specs have equal `raw` text.
    pub fn git(location: &str, want: GitWant) -> Spec {
        let keys = match &want {
            GitWant::Head => String::new(),
            GitWant::Branch(b) => format!("#branch={b}"),
            GitWant::Tag(t) => format!("#tag={t}"),
            GitWant::Commit(c) => format!("#commit={c}"),
            GitWant::Ref { expr, branch: None } => format!("#ref={expr}"),
            GitWant::Ref {
                expr,
                branch: Some(b),
            } => format!("#branch={b},ref={expr}"),
        };
        Spec {
            raw: format!("{location}{keys}"),
            location: location.to_owned(),
            format: Format::Git,
            want,
            subdir: None,
            depth: None,
            archive: ArchiveOptions::default(),
            flags: SpecFlags::default(),
        }
    }

    /// Whether the location is a URL (a remote repository or a downloaded archive).
    pub fn is_remote(&self) -> bool {
        is_url(&self.location)
    }

    /// Whether this is an archive input (tar or zip).
    pub fn is_archive(&self) -> bool {
        matches!(self.format, Format::Tar | Format::Zip)
    }
}

/// A spec error: the message and the byte range of the offending part of the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub spec: String,
    pub message: String,
    pub range: (usize, usize),
}

impl std::error::Error for SpecError {}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (start, end) = self.range;
        let pad = self.spec[..start].chars().count();
        let width = self.spec[start..end].chars().count().max(1);
        write!(
            f,
            "invalid input {:?}: {}\n  {}\n  {}{}",
            self.spec,
            self.message,
            self.spec,
            " ".repeat(pad),
            "^".repeat(width)
        )
    }
}

const KEYS: &[&str] = &[
    "format",
    "branch",
    "tag",
    "commit",
    "ref",
    "subdir",
    "depth",
    "strip_components",
    "compression",
    "recurse_submodules",
    "include_package_files",
];
const GIT_ONLY: &[&str] = &[
    "branch",
    "tag",
    "commit",
    "ref",
    "depth",
    "recurse_submodules",
];
/// Keys of archive inputs; `subdir` applies to git and archive inputs both.
const ARCHIVE_ONLY: &[&str] = &["strip_components", "compression"];
/// Pairs of keys that cannot be combined.
const CONFLICTS: &[(&str, &str)] = &[
    ("branch", "tag"),
    ("branch", "commit"),
    ("tag", "commit"),
    ("tag", "ref"),
    ("commit", "ref"),
];

fn is_url(location: &str) -> bool {
    ["https://", "http://", "ssh://", "git://", "file://"]
        .iter()
        .any(|p| location.starts_with(p))
        || (location.contains('@') && location.contains(':') && !location.contains("://") && {
            // scp-like `git@host:org/repo.git`
            let before_colon = location.split(':').next().unwrap_or("");
            before_colon.contains('@') && !before_colon.contains('/')
        })
}

/// The archive kind (and compression) a file name says, buf's extensions: `.tar`, `.tar.gz`,
/// `.tgz`, `.tar.zst`, `.zip`. A URL's query and fragment-free path is what counts.
fn archive_by_name(location: &str) -> Option<(Format, Option<Compression>)> {
    let path = if is_url(location) {
        location.split(['?', '#']).next().unwrap_or(location)
    } else {
        location
    };
    let name = path.trim_end_matches('/').to_ascii_lowercase();
    if name.ends_with(".tar") {
        Some((Format::Tar, Some(Compression::None)))
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        Some((Format::Tar, Some(Compression::Gzip)))
    } else if name.ends_with(".tar.zst") {
        Some((Format::Tar, Some(Compression::Zstd)))
    } else if name.ends_with(".zip") {
        Some((Format::Zip, None))
    } else {
        None
    }
}

fn infer(location: &str) -> Format {
    if location == "-" {
        return Format::Binpb;
    }
    if let Some((format, _)) = archive_by_name(location) {
        return format;
    }
    let trimmed = location.trim_end_matches('/');
    if is_url(location) || trimmed.ends_with(".git") {
        return Format::Git;
    }
    if trimmed.ends_with(".binpb") || trimmed.ends_with(".bin") || trimmed.ends_with(".pb") {
        return Format::Binpb;
    }
    if trimmed.ends_with(".json") {
        return Format::Json;
    }
    if let Some(format) = infer_file(trimmed) {
        return format;
    }
    Format::Dir
}

/// `.txtpb` images, and `.proto` files (that are not directories), as buf infers them.
fn infer_file(location: &str) -> Option<Format> {
    if location.ends_with(".txtpb") {
        return Some(Format::Txtpb);
    }
    (location.ends_with(".proto") && !std::path::Path::new(location).is_dir())
        .then_some(Format::ProtoFile)
}

/// The boolean options, each checked against the format (`recurse_submodules` is checked
/// with the other git keys).
fn flags(
    pairs: &[(&str, &str, (usize, usize))],
    format: Format,
) -> Result<SpecFlags, (String, (usize, usize))> {
    let mut flags = SpecFlags::default();
    for (k, v, range) in pairs {
        let slot = match *k {
            "include_package_files" => &mut flags.include_package_files,
            "recurse_submodules" => &mut flags.recurse_submodules,
            _ => continue,
        };
        // Go's strconv.ParseBool, which buf uses.
        *slot = match *v {
            "true" | "TRUE" | "True" | "t" | "T" | "1" => true,
            "false" | "FALSE" | "False" | "f" | "F" | "0" => false,
            _ => return Err((format!("{k} must be true or false, not {v:?}"), *range)),
        };
        if *k == "include_package_files" && format != Format::ProtoFile {
            return Err((
                format!(
                    "\"include_package_files\" applies to .proto file inputs only (this input is \
                     read as {format:?}; for a directory or repository, every file is already \
                     included: limit the check with --path)"
                ),
                *range,
            ));
        }
    }
    Ok(flags)
}

/// Parses an input spec.
/// `buf.build/owner/repo[:ref]` (or a private BSR's `*.buf.dev/…`): the module it names.
fn bsr_module(location: &str) -> Option<&str> {
    let (host, _) = location.split_once('/')?;
    if host != "buf.build" && !host.ends_with(".buf.dev") {
        return None;
    }
    Some(location.split(':').next().unwrap_or(location))
}

// long: one pass over the spec's `key=value` parts, each checked against the format, the
// other keys and the location, with the offending part's range for the error.
pub fn parse(raw: &str) -> Result<Spec, SpecError> {
    let err = |message: String, range: (usize, usize)| SpecError {
        spec: raw.to_owned(),
        message,
        range,
    };
    if raw.is_empty() {
        return Err(err("the spec is empty".into(), (0, 0)));
    }
    let (location, options, opt_start) = match raw.find('#') {
        Some(i) => (&raw[..i], Some(&raw[i + 1..]), i + 1),
        None => (raw, None, raw.len()),
    };
    if location.is_empty() {
        return Err(err("the location before '#' is empty".into(), (0, 1)));
    }
    if let Some(module) = bsr_module(location) {
        return Err(err(
            format!(
                "{module} is a Buf Schema Registry module; protosync does not reach the BSR. \
                 Compare against the git repository the module is built from instead, e.g. \
                 `https://github.com/OWNER/REPO.git#branch=main,subdir=proto`, or a local checkout \
                 (docs/MIGRATING.md)"
            ),
            (0, location.len()),
        ));
    }
    let mut pairs: Vec<(&str, &str, (usize, usize))> = Vec::new();
    if let Some(options) = options {
        if let Some(second) = options.find('#') {
            let at = opt_start + second;
            return Err(err("only one '#' is allowed".into(), (at, at + 1)));
        }
        if options.is_empty() {
            return Err(err(
                "nothing after '#' (expected key=value pairs)".into(),
                (opt_start - 1, opt_start),
            ));
        }
        let mut offset = opt_start;
        for part in options.split(',') {
            let range = (offset, offset + part.len());
            offset += part.len() + 1;
            let Some((k, v)) = part.split_once('=') else {
                return Err(err(format!("{part:?} is not key=value"), range));
            };
            if k.is_empty() {
                return Err(err("empty key".into(), range));
            }
            if v.is_empty() {
                return Err(err(format!("empty value for {k:?}"), range));
            }
            if !KEYS.contains(&k) {
                return Err(err(
                    format!("unknown key {k:?} (expected one of {})", KEYS.join(", ")),
                    (range.0, range.0 + k.len()),
                ));
            }
            if pairs.iter().any(|(pk, _, _)| *pk == k) {
                return Err(err(format!("duplicate key {k:?}"), range));
            }
            pairs.push((k, v, range));
        }
    }
    let get = |k: &str| pairs.iter().find(|(pk, _, _)| *pk == k);
    for (a, b) in CONFLICTS {
        if let (Some(_), Some((_, _, rb))) = (get(a), get(b)) {
            return Err(err(format!("{a:?} and {b:?} cannot be combined"), *rb));
        }
    }
    let format = match get("format") {
        Some((_, v, range)) => Format::parse(v).ok_or_else(|| {
            err(
                format!(
                    "unknown format {v:?} (expected dir, git, binpb, json, txtpb, protofile, \
                     tar or zip)"
                ),
                *range,
            )
        })?,
        None => infer(location),
    };
    let archive = matches!(format, Format::Tar | Format::Zip);
    if format != Format::Git {
        let git_only = |k: &&str| GIT_ONLY.contains(k) || (*k == "subdir" && !archive);
        if let Some((k, _, range)) = pairs.iter().find(|(k, _, _)| git_only(k)) {
            let what = if *k == "subdir" {
                "git and archive inputs"
            } else {
                "git inputs"
            };
            return Err(err(
                format!("{k:?} applies to {what} only (this input is read as {format:?}; add format=git if it is a repository)"),
                *range,
            ));
        }
    }
    if !archive {
        if let Some((k, _, range)) = pairs.iter().find(|(k, _, _)| ARCHIVE_ONLY.contains(k)) {
            return Err(err(
                format!("{k:?} applies to archive inputs only (this input is read as {format:?}; add format=tar or format=zip if it is an archive)"),
                *range,
            ));
        }
    }
    let archive_opts = archive_options(location, format, &get, &err)?;
    let flags = flags(&pairs, format).map_err(|(m, range)| err(m, range))?;
    let depth = match get("depth") {
        Some((_, v, range)) => match v.parse::<u32>() {
            Ok(d) if d > 0 => Some(d),
            _ => {
                return Err(err(
                    format!("depth must be a positive number, not {v:?}"),
                    *range,
                ))
            }
        },
        None => None,
    };
    let subdir = match get("subdir") {
        Some((_, v, range)) => {
            let clean = v.trim_matches('/');
            if clean.split('/').any(|c| c == ".." || c.is_empty()) || v.starts_with('/') {
                return Err(err(
                    format!("subdir {v:?} must be a relative path inside the input"),
                    *range,
                ));
            }
            if clean == "." {
                None
            } else {
                Some(clean.to_owned())
            }
        }
        None => None,
    };
    let s = |k: &str| get(k).map(|(_, v, _)| (*v).to_owned());
    let want = match (s("branch"), s("tag"), s("commit"), s("ref")) {
        (Some(b), None, None, None) => GitWant::Branch(b),
        (None, Some(t), None, None) => GitWant::Tag(t),
        (None, None, Some(c), None) => GitWant::Commit(c),
        (branch, None, None, Some(expr)) => GitWant::Ref { expr, branch },
        _ => GitWant::Head,
    };
    Ok(Spec {
        raw: raw.to_owned(),
        location: location.to_owned(),
        format,
        want,
        subdir,
        depth,
        archive: archive_opts,
        flags,
    })
}

type Part<'a> = (&'a str, &'a str, (usize, usize));

/// `compression=` and `strip_components=` of an archive input, checked.
fn archive_options<'a>(
    location: &str,
    format: Format,
    get: &dyn Fn(&str) -> Option<&'a Part<'a>>,
    err: &dyn Fn(String, (usize, usize)) -> SpecError,
) -> Result<ArchiveOptions, SpecError> {
    if !matches!(format, Format::Tar | Format::Zip) {
        return Ok(ArchiveOptions::default());
    }
    if !std::path::Path::new(location).exists() && is_url(location) {
        let scheme_ok = ["https://", "http://"]
            .iter()
            .any(|p| location.to_ascii_lowercase().starts_with(p));
        if !scheme_ok {
            return Err(err(
                "an archive is a local file or an http(s) URL".into(),
                (0, location.len()),
            ));
        }
    }
    let compression = match get("compression") {
        Some((_, v, range)) => {
            let c = Compression::parse(v).ok_or_else(|| {
                err(
                    format!("unknown compression {v:?} (expected none, gzip or zstd)"),
                    *range,
                )
            })?;
            if format == Format::Zip {
                return Err(err(
                    "compression applies to tar archives only (a zip archive compresses each entry itself)".into(),
                    *range,
                ));
            }
            Some(c)
        }
        None => archive_by_name(location)
            .filter(|(f, _)| *f == format)
            .and_then(|(_, c)| c),
    };
    let strip_components = match get("strip_components") {
        Some((_, v, range)) => v.parse::<u32>().map_err(|_| {
            err(
                format!("strip_components must be a number (0 or more), not {v:?}"),
                *range,
            )
        })?,
        None => 0,
    };
    Ok(ArchiveOptions {
        compression,
        strip_components,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_inferred() {
        assert_eq!(parse("proto").unwrap().format, Format::Dir);
        assert_eq!(parse(".git").unwrap().format, Format::Git);
        assert_eq!(
            parse("../contracts.git#tag=v1").unwrap().format,
            Format::Git
        );
        assert_eq!(
            parse("https://h/o/r.git#branch=main").unwrap().format,
            Format::Git
        );
        assert_eq!(parse("git@github.com:o/r.git").unwrap().format, Format::Git);
        assert_eq!(parse("image.binpb").unwrap().format, Format::Binpb);
        assert_eq!(parse("-").unwrap().format, Format::Binpb);
        assert_eq!(parse("image.json").unwrap().format, Format::Json);
        assert_eq!(parse("repo#format=git").unwrap().format, Format::Git);
    }

    #[test]
    fn git_wants() {
        let s = parse(".git#branch=main,subdir=proto").unwrap();
        assert_eq!(s.want, GitWant::Branch("main".into()));
        assert_eq!(s.subdir.as_deref(), Some("proto"));
        assert_eq!(
            parse(".git#tag=v1.4.0").unwrap().want,
            GitWant::Tag("v1.4.0".into())
        );
        assert_eq!(
            parse(".git#commit=abc123").unwrap().want,
            GitWant::Commit("abc123".into())
        );
        assert_eq!(
            parse(".git#branch=main,ref=HEAD~1").unwrap().want,
            GitWant::Ref {
                expr: "HEAD~1".into(),
                branch: Some("main".into())
            }
        );
        assert_eq!(parse(".git").unwrap().want, GitWant::Head);
    }

    fn error(spec: &str) -> (String, String) {
        let e = parse(spec).unwrap_err();
        (e.message.clone(), spec[e.range.0..e.range.1].to_owned())
    }

    #[test]
    fn bad_specs_point_at_the_offending_part() {
        assert_eq!(error(".git#branch=main,tga=v1").1, "tga");
        assert!(error(".git#branch=main,tga=v1")
            .0
            .starts_with("unknown key \"tga\""));
        assert_eq!(
            error(".git#branch=a,branch=b"),
            ("duplicate key \"branch\"".into(), "branch=b".into())
        );
        assert_eq!(error(".git#branch=").1, "branch=");
        assert_eq!(error(".git#=x").0, "empty key");
        assert_eq!(error(".git#branch=main,tag=v1").1, "tag=v1");
        assert_eq!(error(".git#branch=main#x").1, "#");
        assert_eq!(
            error(".git#").0,
            "nothing after '#' (expected key=value pairs)"
        );
        assert_eq!(error(".git#depth=0").1, "depth=0");
        assert_eq!(error(".git#subdir=../x").1, "subdir=../x");
        assert_eq!(error("proto#branch=main").1, "branch=main");
        assert_eq!(error("x#format=tarball").1, "format=tarball");
        assert_eq!(error("#branch=main").0, "the location before '#' is empty");
        let shown = parse(".git#branch=main,tga=v1").unwrap_err().to_string();
        assert!(
            shown.ends_with("  .git#branch=main,tga=v1\n                   ^^^"),
            "{shown}"
        );
    }

    #[test]
    fn archives_are_inferred_with_their_compression() {
        let a = |spec: &str| {
            let s = parse(spec).unwrap();
            (s.format, s.archive.compression, s.archive.strip_components)
        };
        use Compression::{Gzip, Zstd};
        assert_eq!(a("x.tar"), (Format::Tar, Some(Compression::None), 0));
        assert_eq!(a("x.tar.gz"), (Format::Tar, Some(Gzip), 0));
        assert_eq!(a("X.TGZ"), (Format::Tar, Some(Gzip), 0));
        assert_eq!(a("x.tar.zst"), (Format::Tar, Some(Zstd), 0));
        assert_eq!(a("x.zip#strip_components=2"), (Format::Zip, None, 2));
        assert_eq!(
            a("https://h/o/r/archive/main.tar.gz?x=1"),
            (Format::Tar, Some(Gzip), 0)
        );
        assert_eq!(a("blob#format=tar"), (Format::Tar, None, 0));
        assert_eq!(
            a("blob#format=tar,compression=zstd"),
            (Format::Tar, Some(Zstd), 0)
        );
        assert_eq!(
            a("x.tar.gz#compression=none"),
            (Format::Tar, Some(Compression::None), 0)
        );
        let s = parse("x.tgz#strip_components=1,subdir=proto/").unwrap();
        assert_eq!(s.subdir.as_deref(), Some("proto"));
        assert!(s.is_archive());
    }

    #[test]
    fn archive_keys_are_checked() {
        assert_eq!(error("x.zip#compression=gzip").1, "compression=gzip");
        assert_eq!(error("x.tar#compression=xz").1, "compression=xz");
        assert_eq!(error("x.tar#strip_components=-1").1, "strip_components=-1");
        assert_eq!(error("x.tar#branch=main").1, "branch=main");
        assert_eq!(error("proto#strip_components=1").1, "strip_components=1");
        assert_eq!(error(".git#compression=gzip").1, "compression=gzip");
        assert_eq!(error("x.tar#subdir=../up").1, "subdir=../up");
        assert_eq!(error("ssh://h/x.tar.gz").1, "ssh://h/x.tar.gz");
        assert!(error("proto#subdir=x").0.contains("git and archive inputs"));
    }

    #[test]
    fn file_inputs_and_their_flags() {
        assert_eq!(parse("x.txtpb").unwrap().format, Format::Txtpb);
        assert_eq!(parse("img#format=txtpb").unwrap().format, Format::Txtpb);
        assert_eq!(parse("a/b.proto").unwrap().format, Format::ProtoFile);
        let s = parse("a/b.proto#include_package_files=true").unwrap();
        assert!(s.flags.include_package_files);
        assert!(
            !parse("a/b.proto#include_package_files=0")
                .unwrap()
                .flags
                .include_package_files
        );
        assert!(
            parse(".git#recurse_submodules=true")
                .unwrap()
                .flags
                .recurse_submodules
        );
        assert_eq!(
            error("proto#include_package_files=true").1,
            "include_package_files=true"
        );
        assert!(error("proto#include_package_files=true")
            .0
            .contains(".proto file inputs only"));
        assert_eq!(
            error("proto#recurse_submodules=true").1,
            "recurse_submodules=true"
        );
        assert_eq!(
            error("a.proto#include_package_files=yes"),
            (
                "include_package_files must be true or false, not \"yes\"".into(),
                "include_package_files=yes".into()
            )
        );
        assert_eq!(
            error("a.txtpb#recurse_submodules=true").1,
            "recurse_submodules=true"
        );
    }
}
