//! Every case under fixtures/breaking/: protosync's findings are snapshot-tested next to the
//! case (`expected.snap`), and compared with the reference tool's recorded output (`buf.jsonl`,
//! re-recorded by scripts/record-buf.sh). Differences are allowed only where docs/PARITY.md
//! explains them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use protosync::pipeline::{run_breaking, BreakingOptions};
use protosync::report::{render, Format};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/breaking");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("current").is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() > 60,
        "fixture corpus went missing: {}",
        cases.len()
    );
    cases
}

fn run(case: &Path) -> protosync::pipeline::BreakingReport {
    let opts = BreakingOptions {
        input: case.join("current").display().to_string(),
        against: case.join("previous").display().to_string(),
        ..BreakingOptions::default()
    };
    run_breaking(&opts).unwrap_or_else(|e| panic!("{}: {e:#}", case.display()))
}

type Row = (Option<String>, u32, u32, u32, u32, String, String);

/// fixtures/breaking/parity-exceptions.toml: deliberate differences, explained in docs/PARITY.md.
#[derive(serde::Deserialize)]
struct Exceptions {
    #[serde(default)]
    wording: Vec<Wording>,
    #[serde(default)]
    case: Vec<Deliberate>,
}

#[derive(serde::Deserialize)]
struct Wording {
    from: String,
    to: String,
}

#[derive(serde::Deserialize)]
struct Deliberate {
    name: String,
    kind: String,
    reason: String,
}

fn exceptions() -> Exceptions {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/breaking/parity-exceptions.toml");
    let ex: Exceptions = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for c in &ex.case {
        assert!(
            matches!(c.kind.as_str(), "extra" | "differs"),
            "{}: kind {}",
            c.name,
            c.kind
        );
        assert!(
            !c.reason.trim().is_empty(),
            "{}: a deliberate difference needs a reason",
            c.name
        );
    }
    ex
}

fn reference(case: &Path, ours: &BTreeSet<Row>, wording: &[Wording]) -> Option<BTreeSet<Row>> {
    let text = std::fs::read_to_string(case.join("buf.jsonl")).ok()?;
    let our_paths: Vec<String> = ours.iter().filter_map(|r| r.0.clone()).collect();
    let mut out = BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let n = |k: &str| v.get(k).and_then(|x| x.as_u64()).unwrap_or(1) as u32;
        // buf prints paths as given on its command line; ours are module-relative.
        let path = v.get("path").and_then(|p| p.as_str()).map(|p| {
            let p = p.strip_prefix("current/").unwrap_or(p);
            our_paths
                .iter()
                .find(|o| p.ends_with(&format!("/{o}")))
                .cloned()
                .unwrap_or_else(|| p.to_owned())
        });
        out.insert((
            path,
            n("start_line"),
            n("start_column"),
            n("end_line"),
            n("end_column"),
            v["type"].as_str().unwrap().to_owned(),
            wording
                .iter()
                .fold(v["message"].as_str().unwrap().to_owned(), |m, w| {
                    m.replace(&w.from, &w.to)
                }),
        ));
    }
    Some(out)
}

#[test]
fn every_case_matches_its_snapshot_and_the_reference_tool() {
    let ex = exceptions();
    let mut mismatches = Vec::new();
    let mut deliberate_seen = 0;
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let report = run(&case);
        insta::with_settings!({
            snapshot_path => case.clone(),
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("protosync breaking current --against previous ({name})"),
        }, {
            insta::assert_snapshot!("expected", render(&report, Format::Text));
        });
        let ours: BTreeSet<Row> = report
            .findings
            .iter()
            .map(|f| {
                let s = f.span.unwrap_or(protosync::model::Span::UNKNOWN);
                (
                    f.path.clone(),
                    s.start_line,
                    s.start_column,
                    s.end_line,
                    s.end_column,
                    f.rule.to_string(),
                    f.message.clone(),
                )
            })
            .collect();
        if let Some(expected) = reference(&case, &ours, &ex.wording) {
            let ok = match ex.case.iter().find(|c| c.name == name) {
                // A deliberate difference must still be a difference, of the declared kind.
                Some(d) => {
                    deliberate_seen += 1;
                    expected != ours && (d.kind == "differs" || expected.is_subset(&ours))
                }
                None => expected == ours,
            };
            if !ok {
                mismatches.push(format!(
                    "{name}:\n  reference only: {:?}\n  protosync only: {:?}",
                    expected.difference(&ours).collect::<Vec<_>>(),
                    ours.difference(&expected).collect::<Vec<_>>()
                ));
            }
        }
    }
    assert_eq!(
        deliberate_seen,
        ex.case.len(),
        "parity-exceptions.toml names a case that does not exist"
    );
    assert!(
        mismatches.is_empty(),
        "differences from the reference tool:\n{}",
        mismatches.join("\n")
    );
}

/// Every rule that can report fires in at least one case (near misses, `*_ok`, are pinned by
/// their snapshots and the reference output).
#[test]
fn the_corpus_exercises_every_rule() {
    use protosync::breaking::rules::{Status, Version, RULES};
    let mut fired = BTreeSet::new();
    for case in cases() {
        for f in run(&case).findings {
            fired.insert(f.rule);
        }
    }
    for rule in RULES {
        let reports = Version::ALL
            .iter()
            .any(|v| matches!(rule.status(*v), Status::Active(_)));
        if reports {
            assert!(
                fired.contains(&rule.id),
                "no fixture case makes {} fire",
                rule.id
            );
        }
    }
}
