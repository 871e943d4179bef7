//! Archive inputs: tar (plain, gzip, zstd) and zip files, read into memory as [`MemFiles`] the
//! way a git tree is, so configuration and module layout work as for a directory.
//!
//! Owns reading entries, `strip_components`, `subdir`, and refusing hostile archives: entry
//! paths that are absolute or leave the archive, links that point out of it, entries that
//! appear twice, entries and streams larger than [`Limits`], and corrupt data. Nothing is ever
//! written to disk. Downloading http(s) archives is [`super::download`]'s job.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};

use super::spec::{Compression, Format};
use super::{MemFiles, Spec, CONFIG_FILES};

/// Size limits that keep a hostile archive (a decompression bomb, a billion entries) from
/// exhausting memory or time. Every limit is far above what a tree of .proto files needs.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// One file kept from the archive (a .proto or configuration file).
    pub entry: u64,
    /// All bytes decompressed from the archive, skipped entries included.
    pub total: u64,
    /// Entries in the archive.
    pub entries: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            entry: 16 << 20,
            total: 1 << 30,
            entries: 200_000,
        }
    }
}

/// What to take from an archive: its name for messages and the spec's options.
pub struct Want<'a> {
    /// How to name the archive in messages (the spec's location).
    pub label: &'a str,
    pub strip_components: u32,
    pub subdir: Option<&'a str>,
    pub limits: Limits,
}

/// Reads the archive file at `path` as `spec` describes it.
pub fn load(spec: &Spec, path: &Path) -> Result<MemFiles> {
    let want = Want {
        label: &spec.location,
        strip_components: spec.archive.strip_components,
        subdir: spec.subdir.as_deref(),
        limits: Limits::default(),
    };
    let file = std::fs::File::open(path)
        .map_err(|e| anyhow!("archive {}: cannot read it: {e}", spec.location))?;
    match spec.format {
        Format::Zip => read_zip(file, &want),
        _ => read_tar(BufReader::new(file), spec.archive.compression, &want),
    }
}

/// The compression the first bytes of a stream show.
fn sniff(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

fn name(c: Compression) -> &'static str {
    match c {
        Compression::None => "none",
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
    }
}

/// Reads a tar stream, decompressing it as `compression` says (`None`: as its first bytes
/// show).
pub fn read_tar<R: BufRead>(
    mut reader: R,
    compression: Option<Compression>,
    want: &Want,
) -> Result<MemFiles> {
    let label = want.label;
    let head = reader
        .fill_buf()
        .map_err(|e| anyhow!("archive {label}: cannot read it: {e}"))?;
    let seen = sniff(head);
    let compression = compression.unwrap_or(seen);
    if compression != seen && seen != Compression::None {
        bail!(
            "archive {label}: the data is {}-compressed, not {}; use compression={}",
            name(seen),
            name(compression),
            name(seen)
        );
    }
    let stream: Box<dyn Read> = match compression {
        Compression::None => Box::new(reader),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(reader)),
        Compression::Zstd => Box::new(ZstdFrames {
            frame: Some(
                ruzstd::decoding::StreamingDecoder::new(reader)
                    .map_err(|e| anyhow!("archive {label}: not zstd data: {e}"))?,
            ),
        }),
    };
    let limited = Limited {
        inner: stream,
        left: want.limits.total,
        hit: false,
        message: too_big_total(want),
    };
    let mut collect = Collect::new(want);
    let mut archive = tar::Archive::new(limited);
    let entries = archive
        .entries()
        .map_err(|e| anyhow!("archive {label}: not a tar archive: {e}"))?;
    let mut last = String::new();
    for (n, entry) in entries.enumerate() {
        let corrupt = |e: std::io::Error, last: &str| corrupt(label, last, &e);
        let mut entry = entry.map_err(|e| corrupt(e, &last))?;
        if n >= want.limits.entries {
            bail!(
                "archive {label}: more than {} entries; refusing to read on",
                want.limits.entries
            );
        }
        let raw = entry.path_bytes().into_owned();
        let path = entry_path(label, &raw)?;
        last.clone_from(&path);
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            collect.dir(&path);
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            let target = entry.link_name_bytes().unwrap_or_default().into_owned();
            let target = String::from_utf8(target).map_err(|_| {
                anyhow!("archive {label}: entry {path}: the link target is not UTF-8")
            })?;
            collect.link(&path, &target, kind.is_symlink())?;
            continue;
        }
        if !(kind.is_file() || kind.is_contiguous()) {
            continue; // devices, FIFOs, GNU/PAX metadata: nothing protosync reads
        }
        let size = entry.size();
        collect.file(&path, size, &mut entry)?;
    }
    // A stream that ended early inside an entry shows as an error above; a bomb as `hit`.
    if archive.into_inner().hit {
        bail!(too_big_total(want));
    }
    collect.finish()
}

fn too_big_total(want: &Want) -> String {
    format!(
        "archive {}: more than {} MiB once decompressed; refusing to read on (a decompression bomb?)",
        want.label,
        want.limits.total >> 20
    )
}

fn corrupt(label: &str, last: &str, e: &std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::FileTooLarge {
        return anyhow!("{e}"); // the limit's own message
    }
    let at = if last.is_empty() {
        "at its start".to_owned()
    } else {
        format!("after entry {last}")
    };
    anyhow!("archive {label}: corrupt or truncated data {at}: {e}")
}

/// Reads a zip archive.
pub fn read_zip<R: Read + Seek>(reader: R, want: &Want) -> Result<MemFiles> {
    let label = want.label;
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| anyhow!("archive {label}: not a zip archive: {e}"))?;
    if zip.len() > want.limits.entries {
        bail!(
            "archive {label}: more than {} entries; refusing to read it",
            want.limits.entries
        );
    }
    let mut collect = Collect::new(want);
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| anyhow!("archive {label}: entry {i}: {e}"))?;
        let name = entry
            .name()
            .map_err(|e| anyhow!("archive {label}: entry {i}: {e}"))?
            .into_owned();
        let path = entry_path(label, name.as_bytes())?;
        if entry.is_dir() {
            collect.dir(&path);
            continue;
        }
        if entry.is_symlink() {
            let mut target = String::new();
            (&mut entry)
                .take(4096)
                .read_to_string(&mut target)
                .map_err(|e| anyhow!("archive {label}: entry {path}: {e}"))?;
            collect.link(&path, &target, true)?;
            continue;
        }
        let size = entry.size();
        collect.file(&path, size, &mut entry)?;
    }
    collect.finish()
}

/// An entry's path, normalised (`./` and empty components dropped), or an error for paths
/// that are absolute, leave the archive, or are not UTF-8.
fn entry_path(label: &str, raw: &[u8]) -> Result<String> {
    let text = std::str::from_utf8(raw).map_err(|_| {
        anyhow!(
            "archive {label}: entry {:?}: the path is not UTF-8",
            String::from_utf8_lossy(raw)
        )
    })?;
    let bad = |why: &str| anyhow!("archive {label}: entry {text:?}: {why}; refusing the archive");
    if text.starts_with('/') || text.contains('\\') || text.as_bytes().get(1) == Some(&b':') {
        return Err(bad("an absolute path"));
    }
    let mut parts = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(bad("the path leaves the archive")),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// `target` of a link at `link` resolved inside the archive (symlinks relative to the link's
/// directory, hard links to the archive root), or `None` when it leaves the archive.
fn resolve_link(link: &str, target: &str, symbolic: bool) -> Option<String> {
    if target.starts_with('/') || target.contains('\\') {
        return None;
    }
    let mut parts: Vec<&str> = if symbolic {
        let mut p: Vec<&str> = link.split('/').collect();
        p.pop();
        p
    } else {
        Vec::new()
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Gathers the entries protosync reads, by their path in the archive.
struct Collect<'a> {
    want: &'a Want<'a>,
    /// Archive path → contents, for .proto and configuration files.
    files: HashMap<String, Arc<str>>,
    /// Every file and link path seen (duplicates are refused).
    seen: HashSet<String>,
    /// (link path, resolved target) of links protosync would read.
    links: Vec<(String, String)>,
    /// Whether any entry lands in the input (under `subdir`, after `strip_components`).
    placed: bool,
    /// Bytes of kept files read so far.
    read: u64,
}

impl<'a> Collect<'a> {
    fn new(want: &'a Want<'a>) -> Collect<'a> {
        Collect {
            want,
            files: HashMap::new(),
            seen: HashSet::new(),
            links: Vec::new(),
            placed: false,
            read: 0,
        }
    }

    fn dir(&mut self, path: &str) {
        if self.place(path).is_some() {
            self.placed = true;
        }
    }

    /// Where `path` lands in the input (strip_components and subdir applied), if anywhere.
    fn place(&self, path: &str) -> Option<String> {
        let n = self.want.strip_components as usize;
        let mut parts = path.split('/');
        for _ in 0..n {
            parts.next()?;
        }
        let rest: Vec<&str> = parts.collect();
        if rest.is_empty() {
            return None;
        }
        let rest = rest.join("/");
        match self.want.subdir {
            Some(sub) => rest.strip_prefix(sub)?.strip_prefix('/').map(str::to_owned),
            None => Some(rest),
        }
    }

    /// Whether the input keeps a file at `rel` (a .proto or a configuration file, anywhere:
    /// a workspace's modules have their own).
    fn keeps(rel: &str) -> bool {
        rel.ends_with(".proto") || super::is_config_file(rel)
    }

    fn first_time(&mut self, path: &str) -> Result<()> {
        if !self.seen.insert(path.to_owned()) {
            bail!(
                "archive {}: entry {path} appears twice; refusing the archive",
                self.want.label
            );
        }
        Ok(())
    }

    // long: one entry's checks in order (duplicate, kept, declared size, read with limits,
    // UTF-8), each with its own message naming the archive and the entry.
    fn file(&mut self, path: &str, size: u64, body: &mut dyn Read) -> Result<()> {
        self.first_time(path)?;
        self.dir(path);
        // Kept: .proto and configuration files anywhere (a link may point at one outside
        // `subdir`); the rest is skipped unread.
        let base = path.rsplit('/').next().unwrap_or(path);
        if !(base.ends_with(".proto") || CONFIG_FILES.contains(&base)) {
            return Ok(());
        }
        let label = self.want.label;
        let limit = self.want.limits.entry;
        if size > limit {
            bail!(
                "archive {label}: entry {path} is {size} bytes, more than the {} MiB a file may have",
                limit >> 20
            );
        }
        let mut bytes = Vec::with_capacity(size.min(limit) as usize);
        body.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::FileTooLarge => anyhow!("{e}"),
                _ => anyhow!("archive {label}: entry {path}: corrupt or truncated data: {e}"),
            })?;
        if bytes.len() as u64 > limit {
            bail!(
                "archive {label}: entry {path} is more than the {} MiB a file may have",
                limit >> 20
            );
        }
        self.read += bytes.len() as u64;
        if self.read > self.want.limits.total {
            bail!(too_big_total(self.want));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = crate::compile::utf8_error_place(e.as_bytes()).unwrap_or_default();
            anyhow!("archive {label}: {path}:{at}: not valid UTF-8 (protosync reads .proto files as UTF-8)")
        })?;
        self.files.insert(path.to_owned(), Arc::from(text));
        Ok(())
    }

    fn link(&mut self, path: &str, target: &str, symbolic: bool) -> Result<()> {
        self.first_time(path)?;
        self.dir(path);
        let kind = if symbolic {
            "symbolic link"
        } else {
            "hard link"
        };
        let resolved = resolve_link(path, target, symbolic).ok_or_else(|| {
            anyhow!(
                "archive {}: entry {path} is a {kind} to {target:?}, outside the archive; refusing the archive",
                self.want.label
            )
        })?;
        if self.place(path).is_some_and(|rel| Self::keeps(&rel)) {
            self.links.push((path.to_owned(), resolved));
        }
        Ok(())
    }

    fn finish(mut self) -> Result<MemFiles> {
        let label = self.want.label;
        for (link, target) in std::mem::take(&mut self.links) {
            // One level: a link to a link is looked up among the files only.
            let text = self.files.get(&target).cloned().ok_or_else(|| {
                anyhow!("archive {label}: entry {link} links to {target}, which is not a file of the archive")
            })?;
            self.files.insert(link, text);
        }
        let mut files = BTreeMap::new();
        for (path, text) in &self.files {
            if let Some(rel) = self.place(path).filter(|rel| Self::keeps(rel)) {
                files.insert(rel, text.clone());
            }
        }
        if !files.keys().any(|k| k.ends_with(".proto")) {
            match (self.want.subdir, self.placed) {
                (Some(sub), false) => {
                    bail!("archive {label}: subdir {sub:?} does not exist in it (after strip_components={})", self.want.strip_components)
                }
                (Some(sub), true) => bail!("archive {label}: subdir {sub:?} holds no .proto files"),
                (None, _) => bail!(
                    "archive {label}: no .proto files in it (after strip_components={})",
                    self.want.strip_components
                ),
            }
        }
        Ok(MemFiles {
            label: label.to_owned(),
            files,
        })
    }
}

/// A zstd stream of one frame or several (`cat a.zst b.zst`, pzstd's output), read frame
/// after frame.
struct ZstdFrames<R: BufRead> {
    frame: Option<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>,
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let Some(frame) = self.frame.as_mut() else {
                return Ok(0);
            };
            let n = frame.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let mut rest = self.frame.take().expect("a frame").into_inner();
            if rest.fill_buf()?.is_empty() {
                return Ok(0);
            }
            let next = ruzstd::decoding::StreamingDecoder::new(rest)
                .map_err(|e| std::io::Error::other(format!("zstd: {e}")))?;
            self.frame = Some(next);
        }
    }
}

/// A reader that stops (with an error the tar reader reports) after `left` bytes.
struct Limited<R> {
    inner: R,
    left: u64,
    hit: bool,
    /// The error's text.
    message: String,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // Is there more? One byte tells.
            let mut one = [0u8; 1];
            if self.inner.read(&mut one)? == 0 {
                return Ok(0);
            }
            self.hit = true;
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                self.message.clone(),
            ));
        }
        let max = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths_are_normalised_or_refused() {
        assert_eq!(entry_path("a", b"./x//y/./z.proto").unwrap(), "x/y/z.proto");
        for bad in [&b"../x"[..], b"x/../../y", b"/x", b"C:/x", b"x\\y", b"\xff"] {
            assert!(entry_path("a", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn links_resolve_inside_the_archive_only() {
        assert_eq!(resolve_link("a/b/l", "../c", true).as_deref(), Some("a/c"));
        assert_eq!(resolve_link("a/b/l", "a/c", false).as_deref(), Some("a/c"));
        assert_eq!(resolve_link("a/l", "../../x", true), None);
        assert_eq!(resolve_link("a/l", "/etc/passwd", true), None);
        assert_eq!(resolve_link("a/l", "../x", false), None);
    }

    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in files {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, path, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn zstd_streams_of_several_frames_are_read_whole() {
        use ruzstd::encoding::{compress_to_vec, CompressionLevel};
        let data = tar_of(&[("a.proto", b"syntax = \"proto3\";"), ("b.proto", b"// b")]);
        let (one, two) = data.split_at(700);
        let mut z = compress_to_vec(one, CompressionLevel::Fastest);
        z.extend(compress_to_vec(two, CompressionLevel::Fastest));
        let want = Want {
            label: "two.tar.zst",
            strip_components: 0,
            subdir: None,
            limits: Limits::default(),
        };
        let files = read_tar(&z[..], Some(Compression::Zstd), &want).unwrap();
        assert_eq!(
            files.files.keys().collect::<Vec<_>>(),
            ["a.proto", "b.proto"]
        );
    }

    #[test]
    fn a_stream_over_the_total_limit_is_refused() {
        // 3 MiB of skipped entries under a 2 MiB total: a bomb, though no file is kept.
        let big = vec![0u8; 1 << 20];
        let data = tar_of(&[
            ("a.proto", b"syntax = \"proto3\";"),
            ("x1.bin", &big),
            ("x2.bin", &big),
            ("x3.bin", &big),
        ]);
        let want = Want {
            label: "bomb.tar",
            strip_components: 0,
            subdir: None,
            limits: Limits {
                entry: 1 << 20,
                total: 2 << 20,
                entries: 100,
            },
        };
        let e = read_tar(&data[..], None, &want).err().unwrap().to_string();
        assert!(
            e.contains("archive bomb.tar: more than 2 MiB once decompressed"),
            "{e}"
        );
        let want = Want {
            limits: Limits {
                entries: 2,
                ..want.limits
            },
            ..want
        };
        let e = read_tar(&data[..], None, &want).err().unwrap().to_string();
        assert!(e.contains("more than 2 entries"), "{e}");
    }
}
