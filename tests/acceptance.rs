//! Acceptance parity with protoc: every case under fixtures/compile/ is a small source tree with
//! protoc 36.2's recorded verdict (`protoc.exit`, `protoc.txt`; re-recorded by
//! scripts/record-protoc.sh, which runs `protoc -o` and then `--cpp_out`). protosync must refuse
//! exactly what protoc refuses: exit 2 with a `file:line:column: message` error on the file and
//! line protoc names (only the file when protoc gives no line, as for the C++ generator's
//! checks), and a clean exit 0 for what protoc accepts. fixtures/compile/known-differences.toml
//! lists the cases that still differ, with why; they must keep differing until removed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/compile")
}

#[derive(serde::Deserialize)]
struct Known {
    case: Vec<KnownCase>,
}

#[derive(serde::Deserialize)]
struct KnownCase {
    name: String,
    reason: String,
    owner: String,
}

fn known() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join("known-differences.toml")).unwrap();
    let known: Known = toml::from_str(&text).unwrap();
    known
        .case
        .into_iter()
        .map(|c| {
            assert!(
                !c.reason.trim().is_empty() && !c.owner.trim().is_empty(),
                "{}",
                c.name
            );
            (c.name, c.reason)
        })
        .collect()
}

/// protoc's first error (warnings skipped): file and, when it gave one, line.
fn protoc_error(text: &str) -> Option<(String, Option<usize>)> {
    let line = text
        .lines()
        .find(|l| !l.contains(": warning: ") && !l.trim().is_empty())?;
    let line = line.strip_prefix("--cpp_out: ").unwrap_or(line);
    let mut parts = line.splitn(3, ':');
    let file = parts.next()?.trim().to_owned();
    let number = parts.next().and_then(|p| p.trim().parse().ok());
    Some((file, number))
}

/// protosync's error line: `error: <side> does not compile: file:line:col: message`.
fn ours(stderr: &str) -> Option<(String, usize, usize)> {
    let line = stderr.lines().find(|l| l.contains("does not compile: "))?;
    let rest = line.split("does not compile: ").nth(1)?;
    let mut parts = rest.splitn(4, ':');
    let file = parts.next()?.to_owned();
    let line_no = parts.next()?.parse().ok()?;
    let col = parts.next()?.parse().ok()?;
    Some((file, line_no, col))
}

struct Outcome {
    agrees: bool,
    detail: String,
}

fn run_case(dir: &Path) -> Outcome {
    let expected_exit: i32 = std::fs::read_to_string(dir.join("protoc.exit"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let protoc_txt = std::fs::read_to_string(dir.join("protoc.txt")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_protosync"))
        .arg("breaking")
        .arg(dir)
        .arg("--against")
        .arg(dir)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "{}: protosync panicked:\n{stderr}",
        dir.display()
    );
    if expected_exit == 0 {
        return Outcome {
            agrees: code == 0,
            detail: format!(
                "protoc accepts; protosync exit {code}: {stderr}{}",
                String::from_utf8_lossy(&out.stdout)
            ),
        };
    }
    let (pfile, pline) = protoc_error(&protoc_txt).expect("protoc.txt names an error");
    let mine = ours(&stderr);
    let agrees = code == 2
        && mine
            .as_ref()
            .is_some_and(|(file, line, _)| *file == pfile && pline.is_none_or(|p| p == *line));
    Outcome {
        agrees,
        detail: format!(
            "protoc: {}\nprotosync (exit {code}): {}",
            protoc_txt.trim(),
            stderr.trim()
        ),
    }
}

#[test]
fn protosync_refuses_exactly_what_protoc_refuses() {
    let known = known();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("protoc.exit").is_file())
        .collect();
    cases.sort();
    let refused = cases
        .iter()
        .filter(|c| {
            std::fs::read_to_string(c.join("protoc.exit"))
                .unwrap()
                .trim()
                != "0"
        })
        .count();
    assert!(
        cases.len() >= 135,
        "acceptance corpus went missing: {}",
        cases.len()
    );
    assert!(
        refused >= 90 && cases.len() - refused >= 40,
        "{refused} refused of {}",
        cases.len()
    );
    for name in known.keys() {
        assert!(
            root().join(name).is_dir(),
            "known-differences.toml names a missing case {name}"
        );
    }

    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let outcome = run_case(case);
        match (outcome.agrees, known.get(&name)) {
            (true, None) | (false, Some(_)) => {}
            (false, None) => {
                failures.push(format!("{name}: disagrees with protoc\n{}", outcome.detail))
            }
            (true, Some(_)) => failures.push(format!(
                "{name}: now agrees with protoc; delete it from known-differences.toml"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn refusals_are_located_with_the_source_line() {
    // One case end to end: the message, its position and the caret line.
    let out = Command::new(env!("CARGO_BIN_EXE_protosync"))
        .arg("breaking")
        .arg(root().join("reserved-name-used"))
        .arg("--against")
        .arg(root().join("reserved-name-used"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("a.proto:5:9: Field name \"x\" is reserved."),
        "{stderr}"
    );
    assert!(stderr.contains("5 |   int32 x = 1;"), "{stderr}");
}
