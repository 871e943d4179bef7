//! Building archive inputs in tests: the fixture trees of fixtures/archives/ packed as tar
//! (plain, gzip, zstd) and zip with the same entries scripts/record-buf-archives.sh packs, and
//! raw tar entries (names and link targets written byte for byte, as a hostile archive would).
//!
//! Use from a test file with `#[path = "support/archives.rs"] mod archives;`.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/archives")
}

/// Every file under `root`, by its `/`-separated path, sorted.
pub fn entries(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(root).unwrap().to_owned();
                let rel = rel.to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A tar stream of `files` (regular files, mode 0644, time 0).
pub fn tar(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        b.append_data(&mut h, path, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

/// One raw tar entry: `name` and `link` are written into the header unchecked.
pub enum Raw<'a> {
    File(&'a str, &'a [u8]),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
}

pub fn raw_tar(entries: &[Raw]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        let (name, link, kind, data): (&str, &str, tar::EntryType, &[u8]) = match e {
            Raw::File(n, d) => (n, "", tar::EntryType::Regular, d),
            Raw::Symlink(n, l) => (n, l, tar::EntryType::Symlink, &[]),
            Raw::HardLink(n, l) => (n, l, tar::EntryType::Link, &[]),
        };
        let gnu = h.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

pub fn zip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, data) in files {
        z.start_file(path.as_str(), opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// The archives scripts/record-buf-archives.sh builds, written into `dir`, plus `.tar.zst`
/// and an extension-less zstd tar (`-tzst`), which buf's recording does not cover.
pub fn write_all(dir: &Path) {
    for (side, short) in [("previous", "prev"), ("current", "cur")] {
        let files = entries(&fixture().join(side));
        let t = tar(&files);
        let gz = gzip(&t);
        let z = zip(&files);
        for (name, bytes) in [
            (".tar", &t),
            (".tar.gz", &gz),
            (".tgz", &gz),
            ("-tgz", &gz),
            (".zip", &z),
            ("-zip", &z),
            (".tar.zst", &zstd(&t)),
            ("-tzst", &zstd(&t)),
        ] {
            std::fs::write(dir.join(format!("{short}{name}")), bytes).unwrap();
        }
    }
}
