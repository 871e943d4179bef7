//! The schema of `protosync.toml`, parsed once per file by [`parse`]; the commands validate
//! the sections they use (the breaking configuration in [`super`], `[contract]`/`[[vendor]]` in
//! `sync::config`, `[[service]]` in fan-out) and never parse the text again.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// Parses `protosync.toml` text into its typed sections (unknown keys refused).
pub fn parse(text: &str) -> Result<ProtosyncToml, toml::de::Error> {
    toml::from_str(text)
}

/// The `[breaking]` section as written (ids not yet validated).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakingSection {
    /// Configuration version whose categories apply; protosync.toml defaults to v2.
    pub version: Option<String>,
    #[serde(rename = "use", default)]
    pub use_: Vec<Spanned<String>>,
    #[serde(default)]
    pub except: Vec<Spanned<String>>,
    #[serde(default)]
    pub ignore: Vec<Spanned<String>>,
    #[serde(default)]
    pub ignore_only: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub ignore_unstable_packages: bool,
    #[serde(default)]
    pub allow: Vec<AllowEntry>,
    /// WIRE/WIRE_JSON type checks accept a type moved to another name if it is structurally
    /// wire-identical (docs/PARITY.md: a deliberate difference, off by default).
    #[serde(default)]
    pub structural: bool,
}

/// An element-level allowance: one rule may report on one element (or everything under it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    pub rule: Spanned<String>,
    pub element: String,
    pub reason: Spanned<String>,
    /// Who approved the break (the trail; shown with the allowance).
    #[serde(default)]
    pub approved_by: Option<String>,
    /// `YYYY-MM-DD` (a TOML date or a string): from the day after, the allowance no longer
    /// allows.
    #[serde(default)]
    pub expires: Option<Spanned<DateValue>>,
}

/// A date as TOML writes it (`2026-12-31`) or as a string (`"2026-12-31"`).
#[derive(Debug, Clone)]
pub enum DateValue {
    Date(toml::value::Datetime),
    Text(String),
}

impl<'de> Deserialize<'de> for DateValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(d)? {
            toml::Value::Datetime(t) => Ok(DateValue::Date(t)),
            toml::Value::String(s) => Ok(DateValue::Text(s)),
            other => Err(serde::de::Error::custom(format!(
                "expected a date (YYYY-MM-DD), found {}",
                other.type_str()
            ))),
        }
    }
}

impl DateValue {
    /// The date as written (a TOML date-time with a time of day keeps it, and is refused).
    pub fn text(&self) -> String {
        match self {
            DateValue::Date(d) => d.to_string(),
            DateValue::Text(t) => t.trim().to_owned(),
        }
    }
}

/// `protosync.toml`, the whole file: every section is typed here, so unknown keys and wrong
/// types are refused by every command that reads it. `[contract]` and `[[vendor]]` are
/// validated by the sync commands, `[[service]]` by fan-out, `[breaking]`, `[build]` and
/// `[git]` by [`super::parse_protosync_toml`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtosyncToml {
    #[serde(default)]
    pub breaking: Option<BreakingSection>,
    #[serde(default)]
    pub contract: Option<ContractSection>,
    #[serde(default)]
    pub vendor: Vec<VendorSection>,
    #[serde(default)]
    pub service: Vec<ServiceSection>,
    #[serde(default)]
    pub build: Option<BuildSection>,
    #[serde(default)]
    pub git: Option<GitSection>,
    /// `[deps]`: module name → input (a string) or `{ input, commits }` (checked by
    /// `config::deps::from_toml`).
    #[serde(default)]
    pub deps: BTreeMap<String, Spanned<toml::Value>>,
}

/// `[git]`: network settings of the git operations (fetching contracts, pushing sync branches).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitSection {
    /// Connect and idle timeout in seconds (`PROTOSYNC_GIT_TIMEOUT` wins).
    #[serde(default)]
    pub timeout: Option<Spanned<i64>>,
}

/// `[build]`: where the .proto files of a repository are rooted (import paths are relative to
/// a root). A service repository lists its own proto directory and the vendored copy's, e.g.
/// `roots = ["proto", "third_party/proto"]`. Default: the directory of `protosync.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildSection {
    #[serde(default)]
    pub roots: Vec<Spanned<String>>,
}

/// `[contract]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractSection {
    pub repo: Spanned<String>,
    #[serde(rename = "ref", default)]
    pub ref_: Option<Spanned<String>>,
    #[serde(default)]
    pub root: Option<Spanned<String>>,
}

/// One `[[vendor]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorSection {
    pub from: Spanned<String>,
    pub to: Spanned<String>,
}

/// One `[[service]]` of a contract repository's `protosync.toml` (for `fanout`), as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    pub name: Spanned<String>,
    pub repo: Spanned<String>,
    #[serde(default)]
    pub branch: Option<Spanned<String>>,
    /// Path of the service's `protosync.toml` inside its repository.
    #[serde(default)]
    pub config: Option<Spanned<String>>,
    #[serde(default)]
    pub forge: Option<Spanned<String>>,
}
