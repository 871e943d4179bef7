//! `protosync explain RULE_ID` and the examples it shows.
//!
//! The examples are generated from the fixture corpus (fixtures/breaking/): for each rule, the
//! smallest case whose reviewed snapshot reports it, shown as a diff of the case's files and
//! the snapshot's findings for that rule. They are committed as src/breaking/examples.rs; this
//! test regenerates the table and fails if the committed file differs
//! (`PROTOSYNC_REGENERATE=1 cargo test --test explain` rewrites it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use protosync::breaking::rules::{Status, RULES};
use protosync::breaking::Version;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file of a tree, by relative path.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    out
}

/// The finding lines of a snapshot.
fn findings(snap: &str) -> Vec<String> {
    let body = snap.splitn(3, "---\n").nth(2).unwrap_or("");
    body.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

fn rule_of(line: &str) -> Option<&str> {
    // `path:line:col: RULE message`, `path: RULE message` or `<input>:1:1: RULE message`.
    let after = line.split(": ").nth(1)?;
    after.split_whitespace().next()
}

fn diff(prev: &BTreeMap<String, String>, cur: &BTreeMap<String, String>) -> String {
    let mut paths: Vec<&String> = prev.keys().chain(cur.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut out = String::new();
    for p in paths {
        let (a, b) = (prev.get(p), cur.get(p));
        if a == b {
            continue;
        }
        let (old, new) = (
            a.map(String::as_str).unwrap_or(""),
            b.map(String::as_str).unwrap_or(""),
        );
        let d = similar::TextDiff::from_lines(old, new);
        let head_a = if a.is_some() {
            format!("previous/{p}")
        } else {
            "/dev/null".into()
        };
        let head_b = if b.is_some() {
            format!("current/{p}")
        } else {
            "/dev/null".into()
        };
        out.push_str(
            &d.unified_diff()
                .context_radius(2)
                .header(&head_a, &head_b)
                .to_string(),
        );
    }
    out
}

fn generate() -> String {
    let fixtures = root().join("fixtures/breaking");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.snap").is_file())
        .collect();
    cases.sort();
    // rule -> ((not the rule's own case, size), case, diff, findings): the case named after the
    // rule when there is one, else the smallest.
    let mut best: BTreeMap<String, ((bool, usize), String, String, String)> = BTreeMap::new();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let (prev, cur) = (files(&case.join("previous")), files(&case.join("current")));
        // Configuration cases show layouts and settings, not a rule: skip them. Elsewhere a
        // buf.yaml only selects the rules the case exercises; the example shows the protos.
        if name.starts_with("config_") {
            continue;
        }
        let protos = |m: BTreeMap<String, String>| -> BTreeMap<String, String> {
            m.into_iter()
                .filter(|(k, _)| k.ends_with(".proto"))
                .collect()
        };
        let (prev, cur) = (protos(prev), protos(cur));
        let size: usize = prev.values().chain(cur.values()).map(String::len).sum();
        let lines = findings(&std::fs::read_to_string(case.join("expected.snap")).unwrap());
        let mut by_rule: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for l in &lines {
            if let Some(r) = rule_of(l) {
                by_rule.entry(r.to_owned()).or_default().push(l.clone());
            }
        }
        for (rule, ls) in by_rule {
            let score = (name != rule.to_ascii_lowercase(), size);
            if best.get(&rule).is_some_and(|b| b.0 <= score) {
                continue;
            }
            let shown: Vec<String> = ls.iter().take(3).cloned().collect();
            let mut text = shown.join("\n");
            if ls.len() > 3 {
                text.push_str(&format!("\n… and {} more", ls.len() - 3));
            }
            best.insert(rule, (score, name.clone(), diff(&prev, &cur), text));
        }
    }
    let mut out = String::from(
        "//! Before/after examples for `protosync explain`, one per rule: generated by\n\
         //! tests/explain.rs from fixtures/breaking (the smallest case whose reviewed snapshot\n\
         //! reports the rule). Do not edit; `PROTOSYNC_REGENERATE=1 cargo test --test explain`\n\
         //! rewrites it.\n\n\
         /// A fixture case that shows a rule firing.\n\
         pub struct Example {\n    /// The case under fixtures/breaking/.\n    pub case: &'static str,\n    /// Unified diff of the case's files, previous → current.\n    pub diff: &'static str,\n    /// What protosync reports for the rule (at most three lines).\n    pub findings: &'static str,\n}\n\n\
         /// The example for a rule id, if the corpus has one.\n\
         pub fn example(id: &str) -> Option<&'static Example> {\n    EXAMPLES.iter().find(|(r, _)| *r == id).map(|(_, e)| e)\n}\n\n\
         static EXAMPLES: &[(&str, Example)] = &[\n",
    );
    for (rule, (_, case, diff, findings)) in best {
        out.push_str(&format!(
            "    (\n        \"{rule}\",\n        Example {{\n            case: \"{case}\",\n            diff: r####\"{diff}\"####,\n            findings: r####\"{findings}\"####,\n        }},\n    ),\n"
        ));
    }
    out.push_str("];\n");
    out
}

#[test]
fn committed_examples_are_generated_from_the_fixtures() {
    let path = root().join("src/breaking/examples.rs");
    let want = generate();
    if std::env::var_os("PROTOSYNC_REGENERATE").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "src/breaking/examples.rs is stale: run `PROTOSYNC_REGENERATE=1 cargo test --test explain`"
    );
}

#[test]
fn every_active_rule_has_an_example_and_explain_shows_it() {
    for r in RULES {
        let active = [Version::V1Beta1, Version::V1, Version::V2]
            .iter()
            .any(|v| matches!(r.status(*v), Status::Active(_)));
        let id = r.id.as_str();
        let ex = protosync::breaking::examples::example(id);
        assert_eq!(
            ex.is_some(),
            active,
            "{id}: example present iff the rule is active"
        );
        let out = Command::cargo_bin("protosync")
            .unwrap()
            .args(["explain", id])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{id}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with(&format!("{id}\n")), "{text}");
        assert!(text.contains(r.why), "{text}");
        if let Some(ex) = ex {
            for line in ex.findings.lines() {
                assert!(text.contains(&format!("  {line}\n")), "{id}: {text}");
            }
            // The findings shown are the rule's own.
            assert!(
                ex.findings
                    .lines()
                    .all(|l| l.contains(id) || l.starts_with('…')),
                "{id}"
            );
        }
    }
}

#[test]
fn explain_prints_why_categories_and_the_example() {
    let out = Command::cargo_bin("protosync")
        .unwrap()
        .args(["explain", "field_same_type"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
    let out = Command::cargo_bin("protosync")
        .unwrap()
        .args(["explain", "FIELD_SAME_TYPO"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("unknown rule \"FIELD_SAME_TYPO\""), "{err}");
    assert!(err.contains("did you mean FIELD_SAME_TYPE or"), "{err}");
}
