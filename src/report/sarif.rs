//! SARIF 2.1.0 (GitHub code scanning, IDE viewers): one run whose driver lists every rule id of
//! the registry, and one `error` result per finding with its physical location (docs/OUTPUT.md).
//!
//! Paths are the findings' paths (forward slashes, percent-encoded, relative to `%SRCROOT%`: as
//! reached from the working directory, which in CI is the repository root), positions 1-based in characters, the end column one past the last character, as SARIF
//! wants. A finding without a file (a deleted file or package) points at the file it came from in
//! the previous version and names the element in a logical location: code scanning rejects a
//! whole upload when one result has no physical location.

use serde_json::{json, Map, Value};

use crate::breaking::report::Report;
use crate::breaking::rules::{Status, RULES};
use crate::breaking::{Finding, Version};
use crate::hash::sha256_hex;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where relative `artifactLocation.uri`s start: the working directory (the checkout's root).
const SRCROOT: &str = "%SRCROOT%";
/// The `partialFingerprints` key (versioned, as SARIF recommends).
pub(crate) const FINGERPRINT_KEY: &str = "protosync/v1";

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&value(report)).expect("JSON of plain values");
    s.push('\n');
    s
}

pub(crate) fn value(report: &Report) -> Value {
    let mut driver = Map::new();
    driver.insert("name".into(), json!("protosync"));
    driver.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
    if let Some(uri) = information_uri() {
        driver.insert("informationUri".into(), json!(uri));
    }
    driver.insert(
        "rules".into(),
        RULES.iter().map(|r| rule(r, report.version)).collect(),
    );
    let results: Vec<Value> = report.findings.iter().map(result).collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "configVersion": report.version.as_str(),
                "files": report.files,
                "againstFiles": report.against_files,
                "allowed": report.allowed,
            },
        }],
    })
}

/// The crate's homepage or repository, when Cargo.toml names one.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|s| !s.is_empty())
}

/// `FIELD_SAME_TYPE` -> `FieldSameType`.
fn pascal(id: &str) -> String {
    id.split('_')
        .map(|w| {
            let mut cs = w.chars();
            cs.next()
                .map(|c| c.to_ascii_uppercase().to_string() + &cs.as_str().to_ascii_lowercase())
                .unwrap_or_default()
        })
        .collect()
}

/// One `reportingDescriptor`: every id of the registry, whether or not it fired, with its
/// categories in the report's configuration version as tags.
fn rule(r: &crate::breaking::rules::Rule, version: Version) -> Value {
    let status = r.status(version);
    let tags: Vec<&str> = status.categories().iter().map(|c| c.id()).collect();
    let standing = match status {
        Status::Active(_) => format!(" Categories ({version}): {}.", tags.join(", ")),
        // The why of a deprecated id says so already.
        Status::Deprecated(_) if r.why.starts_with("Deprecated") => String::new(),
        Status::Deprecated(_) => format!(" Deprecated in configuration version {version}."),
        Status::Absent => format!(" Not a rule of configuration version {version}."),
    };
    let full = format!("{}{standing}", r.why);
    let id = r.id.as_str();
    // How to accept a reviewed change, for ids that can report.
    let (allow_text, allow_markdown) = match status {
        Status::Active(_) => (
            format!(
                "\n\nTo accept a reviewed change, add an allowance to protosync.toml: \
                 [[breaking.allow]] with rule = \"{id}\", the element's fully-qualified name \
                 and a reason."
            ),
            format!(
                "\n\nTo accept a reviewed change, add an allowance to `protosync.toml`:\n\n\
                 ```toml\n[[breaking.allow]]\nrule = \"{id}\"\n\
                 element = \"<fully-qualified name>\"\nreason = \"<why it is safe>\"\n```"
            ),
        ),
        _ => (String::new(), String::new()),
    };
    json!({
        "id": id,
        "name": pascal(id),
        "shortDescription": {"text": r.why},
        "fullDescription": {"text": full},
        "help": {
            "text": format!("{full}{allow_text}"),
            "markdown": format!("**{id}**: {full}{allow_markdown}"),
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": tags},
    })
}

/// What `uri` leaves as it is: unreserved characters, sub-delimiters, `@` and `/` (RFC 3986
/// `pchar` and the segment separator). `:` is encoded too, since a colon in the first segment
/// would read as a scheme.
const PATH_KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b'@');

/// A path as a relative URI reference (forward slashes, UTF-8 percent-encoded).
pub(crate) fn uri(path: &str) -> String {
    percent_encoding::utf8_percent_encode(&path.replace('\\', "/"), PATH_KEEP).to_string()
}

/// The file a finding is shown in: its own, or for a finding without one (a deleted file or
/// package) the previous file the element came from.
fn shown_path(f: &Finding) -> Option<&str> {
    f.path.as_deref().or(f.against_path.as_deref())
}

/// `sha256(rule NUL path NUL element)`: the same finding keeps it when lines move or the
/// message's wording changes.
pub(crate) fn fingerprint(f: &Finding) -> String {
    let path = shown_path(f).unwrap_or("");
    sha256_hex(format!("{}\0{path}\0{}", f.rule.as_str(), f.element).as_bytes())
}

fn location(f: &Finding) -> Option<Value> {
    let mut loc = Map::new();
    if let Some(path) = shown_path(f) {
        let mut artifact = Map::new();
        artifact.insert("uri".into(), json!(uri(path)));
        artifact.insert("uriBaseId".into(), json!(SRCROOT));
        if f.path.is_none() {
            artifact.insert(
                "description".into(),
                json!({"text": "The file in the previous version: the finding has no place in the input."}),
            );
        }
        let mut physical = Map::new();
        physical.insert("artifactLocation".into(), Value::Object(artifact));
        if let (Some(_), Some(s)) = (&f.path, f.span) {
            physical.insert(
                "region".into(),
                json!({
                    "startLine": s.start_line,
                    "startColumn": s.start_column,
                    "endLine": s.end_line,
                    "endColumn": s.end_column,
                }),
            );
        }
        loc.insert("physicalLocation".into(), Value::Object(physical));
    }
    if f.path.is_none() {
        loc.insert(
            "logicalLocations".into(),
            json!([{"fullyQualifiedName": f.element}]),
        );
    }
    (!loc.is_empty()).then_some(Value::Object(loc))
}

fn result(f: &Finding) -> Value {
    let index = RULES
        .iter()
        .position(|r| r.id == f.rule)
        .expect("every rule id is in the registry");
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.rule.as_str()));
    r.insert("ruleIndex".into(), json!(index));
    r.insert("level".into(), json!("error"));
    r.insert("message".into(), json!({"text": f.shown_message()}));
    if let Some(loc) = location(f) {
        r.insert("locations".into(), json!([loc]));
    }
    r.insert(
        "partialFingerprints".into(),
        json!({FINGERPRINT_KEY: fingerprint(f)}),
    );
    let mut props = json!({"element": f.element});
    if !f.releases.is_empty() {
        props["releases"] = json!(f.releases.iter().map(|r| &r.name).collect::<Vec<_>>());
    }
    r.insert("properties".into(), props);
    Value::Object(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_references() {
        assert_eq!(uri("acme/v1/a.proto"), "acme/v1/a.proto");
        assert_eq!(uri("a b/c:d#e%.proto"), "a%20b/c%3Ad%23e%25.proto");
        assert_eq!(uri("a\\b/é.proto"), "a/b/%C3%A9.proto");
    }

    #[test]
    fn names_are_pascal_case() {
        assert_eq!(pascal("FIELD_SAME_TYPE"), "FieldSameType");
        assert_eq!(pascal("RPC_NO_DELETE"), "RpcNoDelete");
    }
}
