//! Content hashes shared by the lock (per-file sha256), the remote cache (directory names) and
//! the report fingerprints (SARIF, GitLab Code Quality).

use std::fmt::Write;

use sha2::{Digest, Sha256};

/// The sha256 of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        let _ = write!(out, "{b:02x}");
    }
    out
}
