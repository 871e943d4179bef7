//! The action's definition, scripts and example workflows, checked statically (actionlint,
//! shellcheck).

use super::*;
use crate::install::{release_asset, TARGET};

// ---------------------------------------------------------------------------------------------
// action.yml and the workflows

fn yaml(path: &Path) -> serde_norway::Value {
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `${{ … }}` expression of a YAML text.
fn expressions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${{") {
        let after = &rest[i + 3..];
        let end = after.find("}}").expect("closed expression");
        out.push(after[..end].trim().to_owned());
        rest = &after[end + 2..];
    }
    out
}

/// `prefix.NAME` references in `expr` (NAME: letters, digits, - and _).
fn refs(expr: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find(prefix) {
        let before_ok = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric();
        let name: String = rest[i + prefix.len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if before_ok && !name.is_empty() {
            out.push(name);
        }
        rest = &rest[i + prefix.len()..];
    }
    out
}

#[test]
fn action_yml_declares_what_it_uses_and_its_steps_are_scripts_that_exist() {
    let path = Path::new(ROOT).join("action.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = yaml(&path);
    assert_eq!(doc["runs"]["using"].as_str(), Some("composite"));
    let inputs = doc["inputs"].as_mapping().expect("inputs");
    let declared: Vec<String> = inputs
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    for want in [
        "version",
        "command",
        "input",
        "against",
        "format",
        "token",
        "skip-label",
        "comment",
        "working-directory",
        "args",
    ] {
        assert!(declared.iter().any(|d| d == want), "input {want} missing");
    }
    assert_eq!(
        doc["inputs"]["skip-label"]["default"].as_str(),
        Some("protosync skip breaking")
    );
    assert_eq!(
        doc["inputs"]["token"]["default"].as_str(),
        Some("${{ github.token }}")
    );
    for (k, v) in inputs {
        assert!(
            v["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{k:?} has no description"
        );
    }

    // Every inputs.X used is declared, every declared input is used.
    let used: Vec<String> = expressions(&text)
        .iter()
        .flat_map(|e| refs(e, "inputs."))
        .collect();
    for u in &used {
        assert!(declared.contains(u), "inputs.{u} is used but not declared");
    }
    for d in &declared {
        assert!(used.contains(d), "input {d} is declared but never used");
    }

    let steps = doc["runs"]["steps"].as_sequence().expect("steps");
    let ids: Vec<String> = steps
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    // Which script each step with an id runs, and the env it hands it.
    let mut scripts: BTreeMap<String, String> = BTreeMap::new();
    for step in steps {
        if let Some(uses) = step["uses"].as_str() {
            assert!(uses.contains('@'), "{uses} is not pinned to a version");
            continue;
        }
        assert_eq!(step["shell"].as_str(), Some("bash"), "{step:?}");
        let run = step["run"].as_str().expect("run");
        let script = run
            .split_whitespace()
            .find_map(|w| w.trim_matches('"').split("}/").nth(1).map(str::to_owned))
            .unwrap_or_else(|| panic!("step runs no script: {run}"));
        assert!(script.starts_with("scripts/action/"), "{run}");
        let source = std::fs::read_to_string(Path::new(ROOT).join(&script))
            .unwrap_or_else(|e| panic!("{script}: {e}"));
        // Every INPUT_* variable the script reads is handed to it, and every env var given is read.
        let env: Vec<String> = step["env"]
            .as_mapping()
            .map(|m| m.keys().map(|k| k.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default();
        for var in refs(&source, "INPUT_") {
            // Environment variable names end where `${VAR-default}` begins.
            let var = format!("INPUT_{}", var.split('-').next().unwrap());
            assert!(
                env.contains(&var),
                "{script} reads {var}, which the step does not set"
            );
        }
        for var in &env {
            assert!(source.contains(var.as_str()), "{script} never reads {var}");
        }
        if let Some(id) = step["id"].as_str() {
            scripts.insert(id.to_owned(), source);
        }
    }

    // Every steps.X.outputs.Y is a step with that id whose script writes Y.
    for e in expressions(&text) {
        for step_ref in refs(&e, "steps.") {
            assert!(ids.contains(&step_ref), "steps.{step_ref} is no step id");
            let outputs_of = format!("steps.{step_ref}.outputs.");
            for name in refs(&e, &outputs_of) {
                let source = &scripts[&step_ref];
                assert!(
                    source.contains(&format!("gh_output {name} ")),
                    "steps.{step_ref}.outputs.{name}: the script never writes it"
                );
            }
        }
    }
    let outputs = doc["outputs"].as_mapping().expect("outputs");
    for want in ["findings", "breaking", "pull-request-url"] {
        assert!(
            outputs.keys().any(|k| k.as_str() == Some(want)),
            "output {want}"
        );
    }
}

/// actionlint (and shellcheck, which actionlint runs on `run:` scripts when it finds it): the
/// binary from `ACTIONLINT`, PATH, or the tools virtualenv of scripts/install-test-tools.sh.
fn find_tool(name: &str, var: &str) -> Option<PathBuf> {
    let venv = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|c| c.join("protosync/tools-venv/bin").join(name));
    let candidates = [
        std::env::var_os(var).map(PathBuf::from),
        Some(PathBuf::from(name)),
        venv,
    ];
    candidates.into_iter().flatten().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn required_or_skip(tool: &str) {
    // CI installs the tools (scripts/install-test-tools.sh): there the test must run.
    assert!(
        std::env::var_os("CI").is_none(),
        "{tool} is not installed; run scripts/install-test-tools.sh"
    );
    eprintln!("skipped: {tool} not installed (scripts/install-test-tools.sh installs it)");
}

fn example_workflows() -> Vec<PathBuf> {
    let dir = Path::new(ROOT).join("docs/ci");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    files
}

#[test]
fn the_example_workflows_use_only_declared_inputs() {
    let action = yaml(&Path::new(ROOT).join("action.yml"));
    let mut used = 0;
    for f in example_workflows() {
        let doc = yaml(&f);
        for (_, job) in doc["jobs"].as_mapping().unwrap() {
            for step in job["steps"].as_sequence().into_iter().flatten() {
                if !step["uses"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("acme/protosync@")
                {
                    continue;
                }
                used += 1;
                for (k, _) in step["with"].as_mapping().into_iter().flatten() {
                    let k = k.as_str().unwrap();
                    assert!(
                        !action["inputs"][k].is_null(),
                        "{}: input {k} is not declared in action.yml",
                        f.display()
                    );
                }
            }
        }
    }
    assert!(used >= 4, "{used}");
}

/// actionlint on the example workflows, with `uses: acme/protosync@v1` pointed at this
/// checkout's action.yml (`uses: ./` in a project holding a copy of it): actionlint then also
/// checks every `with:` input and `steps.<id>.outputs.<name>` against the action's metadata,
/// and shellcheck checks the `run:` scripts.
#[test]
fn the_example_workflows_pass_actionlint() {
    let Some(actionlint) = find_tool("actionlint", "ACTIONLINT") else {
        return required_or_skip("actionlint");
    };
    let project = TempDir::new().unwrap();
    let workflows = project.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    git(project.path(), &["init", "-q"]);
    std::fs::copy(
        Path::new(ROOT).join("action.yml"),
        project.path().join("action.yml"),
    )
    .unwrap();
    for f in example_workflows() {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(text.contains("uses: acme/protosync@v1"), "{}", f.display());
        let local = text.replace("uses: acme/protosync@v1", "uses: ./");
        std::fs::write(workflows.join(f.file_name().unwrap()), local).unwrap();
    }
    let mut cmd = Command::new(&actionlint);
    cmd.arg("-no-color").current_dir(project.path());
    match find_tool("shellcheck", "SHELLCHECK") {
        Some(sc) => cmd.arg("-shellcheck").arg(sc),
        None => cmd.arg("-shellcheck="),
    };
    let o = cmd.output().unwrap();
    assert_code(&o, 0);

    // And it does catch a mistake against the action's metadata.
    let broken = std::fs::read_to_string(workflows.join("service-check.yml"))
        .unwrap()
        .replace("comment: true", "comments: true")
        .replace("outputs.breaking", "outputs.breaking-changes");
    std::fs::write(workflows.join("service-check.yml"), broken).unwrap();
    let o = Command::new(&actionlint)
        .args(["-no-color", "-oneline", "-shellcheck="])
        .current_dir(project.path())
        .output()
        .unwrap();
    assert_code(&o, 1);
    let (out, _) = text(&o);
    assert!(
        out.contains("input \"comments\" is not defined in action"),
        "{out}"
    );
    assert!(
        out.contains("property \"breaking-changes\" is not defined"),
        "{out}"
    );
}

/// The repository's own workflows (.github/workflows: ci, release) pass actionlint too.
#[test]
fn the_repository_workflows_pass_actionlint() {
    let Some(actionlint) = find_tool("actionlint", "ACTIONLINT") else {
        return required_or_skip("actionlint");
    };
    let dir = Path::new(ROOT).join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    let mut cmd = Command::new(&actionlint);
    cmd.arg("-no-color").current_dir(ROOT);
    match find_tool("shellcheck", "SHELLCHECK") {
        Some(sc) => cmd.arg("-shellcheck").arg(sc),
        None => cmd.arg("-shellcheck="),
    };
    let o = cmd.args(&files).output().unwrap();
    assert_code(&o, 0);
}

/// What the release workflow builds is what install.sh and `cargo binstall` download: the
/// matrix holds exactly the targets install.sh maps GitHub's hosted runners to, every
/// platform is packaged by scripts/release/package.sh (the script the install tests use),
/// and Cargo.toml's binstall metadata names the same files and the binary's place in them.
#[test]
fn the_release_workflow_builds_what_install_and_binstall_download() {
    let wf = yaml(&Path::new(ROOT).join(".github/workflows/release.yml"));
    let targets = |job: &str| -> Vec<String> {
        let mut t: Vec<String> = wf["jobs"][job]["strategy"]["matrix"]["include"]
            .as_sequence()
            .unwrap_or_else(|| panic!("jobs.{job}.strategy.matrix.include"))
            .iter()
            .map(|e| e["target"].as_str().unwrap().to_owned())
            .collect();
        t.sort();
        t
    };
    let built = targets("binaries");
    assert_eq!(targets("wheels"), built);
    // install.sh's target for each hosted runner platform.
    let mut wanted = Vec::new();
    for (os, arch) in [
        ("Linux", "X64"),
        ("Linux", "ARM64"),
        ("macOS", "X64"),
        ("macOS", "ARM64"),
        ("Windows", "X64"),
    ] {
        let o = Command::new("bash")
            .arg("-c")
            .arg(format!(". '{ROOT}/scripts/action/lib.sh' && runner_target"))
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .output()
            .unwrap();
        assert_code(&o, 0);
        wanted.push(text(&o).0.trim().to_owned());
    }
    wanted.sort();
    assert_eq!(built, wanted);
    assert!(built.contains(&"x86_64-unknown-linux-musl".to_owned()));
    let steps = wf["jobs"]["binaries"]["steps"].as_sequence().unwrap();
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(
        runs.iter()
            .any(|r| r.contains("bash scripts/release/package.sh \"$TARGET\" \"$bin\" dist")),
        "{runs:?}"
    );
    let uses: Vec<&str> = wf["jobs"]
        .as_mapping()
        .unwrap()
        .values()
        .flat_map(|j| j["steps"].as_sequence().into_iter().flatten())
        .filter_map(|s| s["uses"].as_str())
        .collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("actions/attest-build-provenance@")),
        "{uses:?}"
    );
    assert!(
        uses.iter().any(|u| u.starts_with("PyO3/maturin-action@")),
        "{uses:?}"
    );

    // cargo binstall: the same asset names, the binary where package.sh puts it.
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).unwrap())
            .unwrap();
    let package = &manifest["package"];
    let repo = package["repository"].as_str().unwrap();
    assert_eq!(repo, env!("CARGO_PKG_REPOSITORY"));
    assert_eq!(
        package["homepage"].as_str(),
        Some(env!("CARGO_PKG_HOMEPAGE"))
    );
    let binstall = &package["metadata"]["binstall"];
    let version = env!("CARGO_PKG_VERSION");
    for target in &built {
        let windows = target.contains("windows");
        let fmt = binstall
            .get("overrides")
            .and_then(|o| o.get(target.as_str()))
            .and_then(|o| o.get("pkg-fmt"))
            .or(binstall.get("pkg-fmt"))
            .and_then(|f| f.as_str())
            .unwrap();
        assert_eq!(fmt, if windows { "zip" } else { "tgz" }, "{target}");
        let suffix = if windows { ".zip" } else { ".tar.gz" };
        let fill = |t: &str| {
            t.replace("{ repo }", repo)
                .replace("{ version }", version)
                .replace("{ target }", target)
                .replace("{ archive-suffix }", suffix)
                .replace("{ bin }", "protosync")
                .replace("{ binary-ext }", if windows { ".exe" } else { "" })
        };
        assert_eq!(
            fill(binstall["pkg-url"].as_str().unwrap()),
            format!("{repo}/releases/download/v{version}/protosync-{target}{suffix}")
        );
        let bin_dir = fill(binstall["bin-dir"].as_str().unwrap());
        assert_eq!(
            bin_dir,
            format!(
                "protosync-{target}/protosync{}",
                if windows { ".exe" } else { "" }
            )
        );
    }
    // And package.sh puts it there.
    let (tgz, _) = release_asset(Path::new(ROOT));
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(&tgz)?;
            c.wait_with_output()
        })
        .unwrap();
    assert_code(&listing, 0);
    let names: Vec<String> = text(&listing).0.lines().map(str::to_owned).collect();
    assert!(
        names.contains(&format!("protosync-{TARGET}/protosync")),
        "{names:?}"
    );
}

#[test]
fn the_action_scripts_pass_shellcheck() {
    let Some(shellcheck) = find_tool("shellcheck", "SHELLCHECK") else {
        return required_or_skip("shellcheck");
    };
    let dir = Path::new(ROOT).join("scripts/action");
    let mut files: Vec<PathBuf> = ["scripts/action", "scripts/release"]
        .iter()
        .flat_map(|d| std::fs::read_dir(Path::new(ROOT).join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .collect();
    files.sort();
    assert!(
        files.iter().any(|f| f.ends_with("release/package.sh")),
        "{files:?}"
    );
    let o = Command::new(shellcheck)
        .args([
            "--shell=bash",
            "--external-sources",
            "--source-path=SCRIPTDIR",
        ])
        .args(&files)
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_code(&o, 0);
}
