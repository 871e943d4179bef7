//! Printers: one file per output format, all fed by the same findings. The engine never
//! formats; printers never decide anything.

pub mod diff;
pub mod fanout;
pub mod fleet;
pub(crate) mod github;
pub(crate) mod gitlab;
pub mod impact;
mod json;
pub(crate) mod junit;
mod markdown;
pub mod rules;
mod sarif;
pub mod sync;
mod text;

use crate::breaking::rules::Category;
use crate::breaking::{Finding, Version};
use crate::pipeline::BreakingReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
    Sarif,
    Junit,
    Gitlab,
    Markdown,
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
pub fn json_value(report: &BreakingReport) -> serde_json::Value {
    json::value(report)
}

pub fn render(report: &BreakingReport, format: Format) -> String {
    match format {
        Format::Text => text::render(report),
        Format::Json => json::render(report),
        Format::Github => github::render(report),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report),
        Format::Gitlab => gitlab::render(report),
        Format::Markdown => markdown::render(report),
    }
}
