//! The semver verdict of a set of changes, and the package-version advice of Google's API
//! versioning guidance (AIP-185): a breaking change in a stable package (`acme.billing.v1`)
//! calls for a new major package version (`acme.billing.v2`); alpha and beta packages
//! (`v1alpha`, `v1beta2`, `v1p1beta1`, `v2test`) are unstable and may break.

use std::collections::BTreeMap;

use super::changes::{Change, Impact};

/// `major` if any change is breaking, `minor` if any is compatible, `patch` if all are
/// cosmetic, `none` if nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Semver {
    None,
    Patch,
    Minor,
    Major,
}

impl Semver {
    pub fn as_str(self) -> &'static str {
        match self {
            Semver::None => "none",
            Semver::Patch => "patch",
            Semver::Minor => "minor",
            Semver::Major => "major",
        }
    }
}

pub fn verdict(changes: &[Change]) -> Semver {
    changes
        .iter()
        .map(|c| match c.impact {
            Impact::Breaking => Semver::Major,
            Impact::Compatible => Semver::Minor,
            Impact::Cosmetic => Semver::Patch,
        })
        .max()
        .unwrap_or(Semver::None)
}

/// What the version suffix of a package says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stability {
    /// `v1`, `v2`: breaking changes call for the next major version.
    Stable { major: u64 },
    /// `v1alpha`, `v1beta2`, `v1p1beta1`, `v1test`: breaking changes are allowed.
    Unstable,
    /// No version suffix (`acme.billing`).
    Unversioned,
}

impl Stability {
    pub fn as_str(&self) -> &'static str {
        match self {
            Stability::Stable { .. } => "stable",
            Stability::Unstable => "unstable",
            Stability::Unversioned => "unversioned",
        }
    }
}

/// Reads a package's version suffix (its last component).
pub fn stability(package: &str) -> Stability {
    let last = package.rsplit('.').next().unwrap_or(package);
    let Some(rest) = last.strip_prefix('v') else {
        return Stability::Unversioned;
    };
    let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || package.split('.').count() < 2 {
        return Stability::Unversioned;
    }
    let (major, suffix) = rest.split_at(digits);
    if suffix.is_empty() {
        return match major.parse() {
            Ok(major) => Stability::Stable { major },
            Err(_) => Stability::Unversioned,
        };
    }
    // `p<N>` point releases, then alpha / beta / test with an optional number.
    let mut s = suffix;
    if let Some(r) = s.strip_prefix('p') {
        let d = r.chars().take_while(|c| c.is_ascii_digit()).count();
        if d == 0 {
            return Stability::Unversioned;
        }
        s = &r[d..];
    }
    let tail = ["alpha", "beta", "test"]
        .iter()
        .find_map(|w| s.strip_prefix(w));
    match tail {
        Some(t) if t.chars().all(|c| c.is_ascii_digit()) => Stability::Unstable,
        _ => Stability::Unversioned,
    }
}

/// The advice for one package that has breaking changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageAdvice {
    pub package: String,
    pub stability: Stability,
    /// Breaking changes in the package.
    pub breaking: usize,
    /// The package a stable package's breaking changes belong in (`acme.billing.v2`).
    pub next: Option<String>,
}

/// One entry per package that has a breaking change, sorted by package.
pub fn advice(changes: &[Change]) -> Vec<PackageAdvice> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for c in changes.iter().filter(|c| c.impact == Impact::Breaking) {
        *count.entry(c.package.as_str()).or_default() += 1;
    }
    count
        .into_iter()
        .map(|(package, breaking)| {
            let stability = stability(package);
            let next = match &stability {
                Stability::Stable { major } => {
                    let base = package.rsplit_once('.').map_or("", |(b, _)| b);
                    Some(format!("{base}.v{}", major + 1))
                }
                _ => None,
            };
            PackageAdvice {
                package: package.to_owned(),
                stability,
                breaking,
                next,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_version_suffixes() {
        assert_eq!(stability("acme.billing.v1"), Stability::Stable { major: 1 });
        assert_eq!(
            stability("google.cloud.v12"),
            Stability::Stable { major: 12 }
        );
        for p in [
            "acme.v1alpha",
            "acme.v1beta2",
            "acme.v1p1beta1",
            "acme.v2test",
            "acme.v1alpha1",
        ] {
            assert_eq!(stability(p), Stability::Unstable, "{p}");
        }
        for p in [
            "acme.billing",
            "v1",
            "acme.version",
            "acme.v1gamma",
            "acme.vx",
            "",
        ] {
            assert_eq!(stability(p), Stability::Unversioned, "{p}");
        }
    }
}
