//! Printers: one file per output format, all fed by the same findings. The engine never
//! formats; printers never decide anything.

pub mod adopt;
pub mod diff;
pub mod fanout;
pub mod fleet;
pub mod github;
pub(crate) mod gitlab;
pub mod impact;
mod json;
pub(crate) mod junit;
pub(crate) mod markdown;
pub mod msvs;
pub mod progress;
pub mod pull_request;
pub mod rules;
mod sarif;
pub mod sync;
mod text;
pub mod transitive;

use crate::breaking::report::Report;
use crate::breaking::rules::Category;
use crate::breaking::{Finding, Version};

/// The formats a breaking report prints in (`breaking --format`, `check --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Github,
    Sarif,
    Junit,
    /// JUnit without the `file` and `line` attributes, valid against the strict Jenkins XSD.
    JunitStrict,
    Gitlab,
    Markdown,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::Text,
        Format::Json,
        Format::Github,
        Format::Sarif,
        Format::Junit,
        Format::JunitStrict,
        Format::Gitlab,
        Format::Markdown,
    ];

    /// The name on the command line and in docs/OUTPUT.md.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Github => "github",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::JunitStrict => "junit-strict",
            Format::Gitlab => "gitlab",
            Format::Markdown => "markdown",
        }
    }
}

/// `1 file`, `2 files`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The first 7 characters of a commit id (`1a2b3c4`).
pub(crate) fn short(commit: &str) -> &str {
    &commit[..commit.len().min(7)]
}

/// Categories of a finding's rule in the configuration version in force.
pub fn categories(f: &Finding, version: Version) -> Vec<Category> {
    f.rule.rule().status(version).categories()
}

/// The JSON value of a breaking report (what `--format json` prints), for embedding.
pub fn json_value(report: &Report) -> serde_json::Value {
    json::value(report)
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => text::render(report),
        Format::Json => json::render(report),
        Format::Github => github::render(report),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report, false),
        Format::JunitStrict => junit::render(report, true),
        Format::Gitlab => gitlab::render(report),
        Format::Markdown => markdown::render(report),
    }
}
