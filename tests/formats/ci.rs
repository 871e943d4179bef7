//! The formats as CI consumers read them: `check` paths from the working directory, annotation
//! order and the job summary, strict JUnit, GitHub code scanning's rules (SARIF Multitool), and
//! colours.

use super::*;

// ---------------------------------------------------------------------------------------------
// GitHub's SARIF ingestion rules, `check` in a monorepo, the job summary, colours

/// Runs git in `dir` with a fixed identity (the tests run with none).
fn git_in(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

fn put(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const SVC: &str = "syntax = \"proto3\";\n\npackage acme.svc.v1;\n\nimport \"acme/billing/v1/billing.proto\";\n\nmessage Request {\n  acme.billing.v1.Invoice invoice = 1;\n  string reason = 2;\n}\n";
const BILLING: &str =
    "syntax = \"proto3\";\n\npackage acme.billing.v1;\n\nmessage Invoice {\n  string id = 1;\n}\n";

/// A contract repository and a monorepo whose service lives in `services/billing` (its
/// protosync.toml there, its own protos under `proto/`, the contract vendored under
/// `third_party/proto/`), everything committed and in sync. Returns (temp dir, monorepo).
fn monorepo() -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::TempDir::new().unwrap();
    let contracts = t.path().join("contracts");
    let mono = t.path().join("mono");
    std::fs::create_dir_all(mono.join("services/billing")).unwrap();
    put(&contracts, "proto/acme/billing/v1/billing.proto", BILLING);
    git_in(&contracts, &["init", "-q", "-b", "main"]);
    git_in(&contracts, &["add", "-A"]);
    git_in(&contracts, &["commit", "-q", "-m", "first"]);
    put(&mono, "README.md", "monorepo\n");
    git_in(&mono, &["init", "-q", "-b", "main"]);
    let svc = mono.join("services/billing");
    let o = protosync(&svc, &[])
        .args([
            "init",
            "--contract",
            contracts.to_str().unwrap(),
            "--root",
            "proto",
        ])
        .args([
            "--from",
            "acme/billing/v1",
            "--to",
            "third_party/proto/acme/billing/v1",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let mut config = std::fs::read_to_string(svc.join("protosync.toml")).unwrap();
    config.push_str("\n[build]\nroots = [\"proto\", \"third_party/proto\"]\n");
    std::fs::write(svc.join("protosync.toml"), config).unwrap();
    put(&svc, "proto/acme/svc/v1/svc.proto", SVC);
    git_in(&mono, &["add", "-A"]);
    git_in(&mono, &["commit", "-q", "-m", "service"]);
    (t, mono)
}

/// Drift (an edited vendored file), a breaking change of the service's own protos and a
/// contract that moved on, in the monorepo of [`monorepo`].
fn monorepo_with_everything() -> (tempfile::TempDir, std::path::PathBuf) {
    let (t, mono) = monorepo();
    let svc = mono.join("services/billing");
    put(
        &svc,
        "proto/acme/svc/v1/svc.proto",
        &SVC.replace("string reason", "int32 reason"),
    );
    let vendored = "third_party/proto/acme/billing/v1/billing.proto";
    put(&svc, vendored, &format!("{BILLING}// edited\n"));
    let contracts = t.path().join("contracts");
    put(
        &contracts,
        "proto/acme/billing/v1/billing.proto",
        &BILLING.replace("string id = 1;", "string id = 1;\n  string note = 2;"),
    );
    git_in(&contracts, &["commit", "-q", "-a", "-m", "note"]);
    (t, mono)
}

/// The binary in `dir` with no colour, CI or summary settings from the environment but `env`.
fn protosync(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut c = Command::cargo_bin("protosync").unwrap();
    c.current_dir(dir);
    for var in [
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "TERM",
        "CI",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
    ] {
        c.env_remove(var);
    }
    c.env("PROTOSYNC_CACHE_DIR", dir.join("../.protosync-cache"));
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

/// `check` from the monorepo's root for the service in services/billing.
fn check_from_root(mono: &Path, format: &str, env: &[(&str, &str)]) -> String {
    let o = protosync(mono, env)
        .args(["check", "--config", "services/billing/protosync.toml"])
        .args(["--against", ".git#branch=main,subdir=services/billing"])
        .args(["--format", format])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{format}: {o:?}");
    String::from_utf8(o.stdout).unwrap()
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[test]
fn check_names_files_as_reached_from_the_working_directory_in_every_format() {
    let (_t, mono) = monorepo_with_everything();
    let exists = |p: &str, what: &str| {
        assert!(
            mono.join(p).is_file(),
            "{what}: {p} is not a file of the repository"
        );
    };
    let breaking = "services/billing/proto/acme/svc/v1/svc.proto";
    let drift = "services/billing/third_party/proto/acme/billing/v1/billing.proto";
    let lock = "services/billing/protosync.lock";

    let text = check_from_root(&mono, "text", &[]);
    assert!(text.contains(&format!("{drift}: edited: ")), "{text}");
    assert!(
        text.contains(&format!("{breaking}:9:3: FIELD_SAME_TYPE")),
        "{text}"
    );
    assert!(
        text.contains(&format!("  {drift} (changed upstream)")),
        "{text}"
    );

    let json: Value = serde_json::from_str(&check_from_root(&mono, "json", &[])).unwrap();
    assert_eq!(json["drift"][0]["path"], drift);
    assert_eq!(json["breaking"]["findings"][0]["path"], breaking);
    assert_eq!(json["behind"]["files"][0]["path"], drift);

    let sarif: Value = serde_json::from_str(&check_from_root(&mono, "sarif", &[])).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let uris: Vec<String> = results
        .iter()
        .map(|r| {
            let art = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            assert_eq!(art["uriBaseId"], "%SRCROOT%");
            percent_decode(art["uri"].as_str().expect("every result has a location"))
        })
        .collect();
    assert_eq!(uris, [breaking, drift, lock]);
    let rule_ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(
        rule_ids,
        ["FIELD_SAME_TYPE", "PROTOSYNC_DRIFT", "PROTOSYNC_BEHIND"]
    );
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        assert!(rule["help"]["text"].is_string(), "{}", rule["id"]);
        assert!(rule["help"]["markdown"].is_string(), "{}", rule["id"]);
    }
    assert_valid_sarif(&sarif_validator(), &sarif, "check");

    let junit = check_from_root(&mono, "junit", &[]);
    let doc = Xml::parse(&junit).unwrap();
    let mut files = Vec::new();
    for suite in doc.all("testsuite") {
        for case in suite.all("testcase") {
            files.push((case.attr("file").to_owned(), case.attr("line").to_owned()));
        }
    }
    let want = [(drift, "1"), (lock, "1"), (breaking, "9")];
    assert_eq!(files, want.map(|(f, l)| (f.to_owned(), l.to_owned())));

    let gitlab: Value = serde_json::from_str(&check_from_root(&mono, "gitlab", &[])).unwrap();
    let paths: Vec<&str> = gitlab
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [breaking, drift, lock]);

    let github = check_from_root(&mono, "github", &[]);
    let files: Vec<&str> = github
        .lines()
        .map(|l| l.split("file=").nth(1).unwrap().split(',').next().unwrap())
        .collect();
    assert_eq!(files, [breaking, drift, lock]);

    let markdown = check_from_root(&mono, "markdown", &[]);
    assert!(
        markdown.contains(&format!("| `{drift}` | edited |")),
        "{markdown}"
    );
    assert!(markdown.contains(breaking), "{markdown}");

    for p in [breaking, drift, lock] {
        exists(p, "check");
    }

    // From the service's own directory, the paths are the service's.
    let o = protosync(&mono.join("services/billing"), &[])
        .args([
            "check",
            "--against",
            "../../.git#branch=main,subdir=services/billing",
        ])
        .args(["--format", "github"])
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.starts_with("::error file=proto/acme/svc/v1/svc.proto,"),
        "{out}"
    );
    assert!(out.contains("::warning file=protosync.lock,"), "{out}");
}

#[test]
fn github_annotations_put_the_most_important_first_and_the_report_in_the_job_summary() {
    let (t, mono) = monorepo_with_everything();
    let summary = t.path().join("summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let s = summary.to_str().unwrap();
    let out = check_from_root(&mono, "github", &[("GITHUB_STEP_SUMMARY", s)]);
    let kinds: Vec<&str> = out.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(kinds, ["::error", "::error", "::warning"], "{out}");
    assert!(out
        .lines()
        .next()
        .unwrap()
        .contains("title=FIELD_SAME_TYPE::"));
    // Properties escape `:` (GitHub's workflow-command escaping), data does not.
    assert!(out.contains("title=protosync%3A vendored file edited::vendored file differs"));
    let markdown = check_from_root(&mono, "markdown", &[]);
    let written = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(written, format!("# earlier step\n{markdown}\n"));

    // `breaking --format github` appends its Markdown report too.
    std::fs::write(&summary, "").unwrap();
    let o = protosync(root(), &[("GITHUB_STEP_SUMMARY", s)])
        .args([
            "breaking",
            "fixtures/demo/current",
            "--against",
            "fixtures/demo/previous",
        ])
        .args(["--format", "github"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let (_, markdown) = breaking(
        "fixtures/demo/current",
        "fixtures/demo/previous",
        "markdown",
    );
    assert_eq!(
        std::fs::read_to_string(&summary).unwrap(),
        format!("{markdown}\n")
    );

    // A summary that cannot be written is a warning; the verdict stands.
    let o = protosync(
        &mono,
        &[("GITHUB_STEP_SUMMARY", t.path().to_str().unwrap())],
    )
    .args([
        "check",
        "--config",
        "services/billing/protosync.toml",
        "--format",
        "github",
    ])
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning: cannot append the report to GITHUB_STEP_SUMMARY"),
        "{err}"
    );
}

#[test]
fn junit_strict_leaves_out_file_and_line() {
    let (_, loose) = breaking("fixtures/demo/current", "fixtures/demo/previous", "junit");
    let (code, strict) = breaking(
        "fixtures/demo/current",
        "fixtures/demo/previous",
        "junit-strict",
    );
    assert_eq!(code, 1);
    assert!(loose.contains(" line=\"9\""));
    assert!(
        !strict.contains(" file=\"") && !strict.contains(" line=\""),
        "{strict}"
    );
    let stripped: String = loose
        .lines()
        .map(|l| match l.find(" file=\"") {
            Some(i) => format!("{}>\n", &l[..i]),
            None => format!("{l}\n"),
        })
        .collect();
    assert_eq!(stripped, strict);
    let (_t, mono) = monorepo_with_everything();
    let strict = check_from_root(&mono, "junit-strict", &[]);
    Xml::parse(&strict).unwrap();
    assert!(
        !strict.contains(" file=\"") && !strict.contains(" line=\""),
        "{strict}"
    );
}

/// The SARIF Multitool (scripts/install-test-tools.sh): `$SARIF_MULTITOOL`, else the binary of
/// the npm package under the cache directory.
fn multitool() -> Option<std::path::PathBuf> {
    let platform = if cfg!(target_os = "linux") {
        "sarif-multitool-linux/Sarif.Multitool"
    } else if cfg!(target_os = "macos") {
        "sarif-multitool-darwin/Sarif.Multitool"
    } else {
        "sarif-multitool-win32/Sarif.Multitool.exe"
    };
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .map(|c| {
            c.join("protosync/sarif-multitool/node_modules/@microsoft")
                .join(platform)
        });
    [std::env::var_os("SARIF_MULTITOOL").map(Into::into), cache]
        .into_iter()
        .flatten()
        .find(|p| {
            std::process::Command::new(p)
                .arg("--version")
                .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// What `Sarif.Multitool validate --rule-kind Gh` (the checks of GitHub code scanning's
/// ingestion) reports about `sarif`: one line per error or warning.
fn github_rule_violations(tool: &Path, sarif: &str) -> Vec<String> {
    let dir = tempfile::TempDir::new().unwrap();
    let input = dir.path().join("in.sarif");
    let output = dir.path().join("out.sarif");
    std::fs::write(&input, sarif).unwrap();
    let o = std::process::Command::new(tool)
        .args([
            "validate",
            "--rule-kind",
            "Gh",
            "--log",
            "ForceOverwrite",
            "-o",
        ])
        .arg(&output)
        .arg(&input)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "multitool: {o:?}");
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    let run = &log["runs"][0];
    // What fired comes from GitHub's rules (GH1xxx, GH2xxx) only.
    let results = run["results"].as_array().cloned().unwrap_or_default();
    assert!(results
        .iter()
        .all(|r| r["ruleId"].as_str().unwrap().starts_with("GH")));
    results
        .iter()
        .filter(|r| matches!(r["level"].as_str(), Some("error" | "warning") | None))
        .map(|r| format!("{}: {}", r["ruleId"], r["message"]["text"]))
        .collect()
}

#[test]
fn sarif_passes_github_code_scanning_rules() {
    let Some(tool) = multitool() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the SARIF Multitool is not installed; run scripts/install-test-tools.sh"
        );
        eprintln!("skipped: SARIF Multitool not installed (scripts/install-test-tools.sh)");
        return;
    };
    let mut logs = Vec::new();
    for (name, input, against) in CASES {
        logs.push((name.to_owned(), breaking(input, against, "sarif").1));
    }
    let (_t, mono) = monorepo_with_everything();
    logs.push(("check".to_owned(), check_from_root(&mono, "sarif", &[])));
    for (name, sarif) in &logs {
        let violations = github_rule_violations(&tool, sarif);
        assert!(violations.is_empty(), "{name}:\n{}", violations.join("\n"));
    }
    // The validator can fail: a result without a location is refused.
    let mut doc: Value = serde_json::from_str(&logs.last().unwrap().1).unwrap();
    let results = doc["runs"][0]["results"].as_array_mut().unwrap();
    results
        .last_mut()
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove("locations");
    let violations = github_rule_violations(&tool, &doc.to_string());
    assert!(!violations.is_empty(), "a result without a location passed");
}

/// `sync --dry-run` prints the diff of a contract update; whether it is coloured.
fn diff_is_coloured(mono: &Path, args: &[&str], env: &[(&str, &str)]) -> bool {
    let o = protosync(&mono.join("services/billing"), env)
        .args(args)
        .args(["sync", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("+  string note = 2;"), "{out}");
    out.contains("\x1b[32m+  string note = 2;\x1b[0m")
}

#[test]
fn colours_follow_color_no_color_clicolor_force_and_term() {
    let (t, mono) = monorepo();
    let contracts = t.path().join("contracts");
    put(
        &contracts,
        "proto/acme/billing/v1/billing.proto",
        &BILLING.replace("string id = 1;", "string id = 1;\n  string note = 2;"),
    );
    git_in(&contracts, &["commit", "-q", "-a", "-m", "note"]);
    // Piped (not a terminal): `auto` colours only with CLICOLOR_FORCE, which NO_COLOR beats.
    assert!(!diff_is_coloured(&mono, &[], &[]));
    assert!(diff_is_coloured(&mono, &[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!diff_is_coloured(
        &mono,
        &[],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    ));
    assert!(!diff_is_coloured(
        &mono,
        &["--color", "never"],
        &[("CLICOLOR_FORCE", "1")]
    ));
    // An explicit `always` wins over the environment.
    assert!(diff_is_coloured(
        &mono,
        &["--color", "always"],
        &[("NO_COLOR", "1")]
    ));
    assert!(diff_is_coloured(
        &mono,
        &["--color", "always"],
        &[("TERM", "dumb")]
    ));

    // On a terminal (util-linux `script` gives the command one): colour unless TERM=dumb,
    // NO_COLOR or CLICOLOR=0.
    let bin = assert_cmd::cargo::cargo_bin("protosync");
    let on_tty = |env: &[(&str, &str)]| -> Option<bool> {
        let cmd = format!("{} sync --dry-run", bin.display());
        let mut c = protosync(&mono.join("services/billing"), env);
        let o = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(mono.join("services/billing"))
            .env_clear()
            .envs(
                c.get_envs()
                    .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
            )
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .output()
            .ok()?;
        let _ = &mut c;
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(out.contains("string note = 2;"), "{out}");
        Some(out.contains("\x1b[32m+  string note = 2;\x1b[0m"))
    };
    let Some(coloured) = on_tty(&[("TERM", "xterm-256color")]) else {
        eprintln!("skipped the terminal cases: no `script` command");
        return;
    };
    assert!(coloured);
    assert_eq!(on_tty(&[("TERM", "dumb")]), Some(false));
    assert_eq!(
        on_tty(&[("TERM", "xterm-256color"), ("NO_COLOR", "1")]),
        Some(false)
    );
    assert_eq!(
        on_tty(&[("TERM", "xterm-256color"), ("CLICOLOR", "0")]),
        Some(false)
    );
}
