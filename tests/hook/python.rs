//! The pre-commit hooks that install the released wheel (`language: python`).

use super::*;

// ---------------------------------------------------------------------------------------------
// The fast path: the same hooks with `language: python`, from a wheel carrying the binary

fn yaml_file(path: &Path) -> serde_norway::Value {
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// python/pre-commit/ (the hooks repository published with each release) holds the hooks of
/// .pre-commit-hooks.yaml with `language: python` and nothing else changed, and pins the
/// `protosync` wheel of this version; the root pyproject.toml builds that wheel with maturin
/// (`bindings = "bin"`).
#[test]
fn the_python_hooks_are_the_rust_hooks_installing_this_versions_wheel() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rust = yaml_file(&root.join(".pre-commit-hooks.yaml"));
    let python = yaml_file(&root.join("python/pre-commit/.pre-commit-hooks.yaml"));
    let rust = rust.as_sequence().unwrap();
    let python = python.as_sequence().unwrap();
    assert_eq!(rust.len(), 2);
    assert_eq!(rust.len(), python.len());
    for (r, p) in rust.iter().zip(python) {
        assert_eq!(r["language"].as_str(), Some("rust"));
        assert_eq!(p["language"].as_str(), Some("python"));
        let mut r = r.as_mapping().unwrap().clone();
        let mut p = p.as_mapping().unwrap().clone();
        r.remove("language");
        p.remove("language");
        assert_eq!(r, p);
    }
    let version = env!("CARGO_PKG_VERSION");
    let mirror: toml::Value = toml::from_str(
        &std::fs::read_to_string(root.join("python/pre-commit/pyproject.toml")).unwrap(),
    )
    .unwrap();
    assert_eq!(mirror["project"]["version"].as_str(), Some(version));
    assert_eq!(
        mirror["project"]["dependencies"].as_array().unwrap(),
        &vec![toml::Value::String(format!("protosync=={version}"))]
    );
    let wheel: toml::Value =
        toml::from_str(&std::fs::read_to_string(root.join("pyproject.toml")).unwrap()).unwrap();
    assert_eq!(wheel["project"]["name"].as_str(), Some("protosync"));
    assert_eq!(
        wheel["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
    assert_eq!(wheel["tool"]["maturin"]["bindings"].as_str(), Some("bin"));
}

/// A `protosync-<version>-py3-none-any.whl` holding `binary` as
/// `protosync-<version>.data/scripts/protosync`, the layout maturin gives a `bindings = "bin"`
/// wheel, in `dir`; returns `dir`. Assembled with Python's zipfile (stored, not compressed):
/// building the real wheel runs a release build of the crate, minutes the release workflow
/// spends and this test does not.
fn binary_wheel(binary: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let script = r#"
import base64, hashlib, sys, zipfile
binary, out, version = sys.argv[1], sys.argv[2], sys.argv[3]
name = f"protosync-{version}"
files = {
    f"{name}.data/scripts/protosync": open(binary, "rb").read(),
    f"{name}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: protosync\nVersion: {version}\n".encode(),
    f"{name}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: protosync-tests\nRoot-Is-Purelib: false\nTag: py3-none-any\n",
}
record = ""
with zipfile.ZipFile(f"{out}/{name}-py3-none-any.whl", "w", zipfile.ZIP_STORED) as z:
    for path, data in files.items():
        info = zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0))
        info.external_attr = (0o100755 if "/scripts/" in path else 0o100644) << 16
        z.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\n"
    record += f"{name}.dist-info/RECORD,,\n"
    z.writestr(f"{name}.dist-info/RECORD", record)
"#;
    let o = Std::new("python3")
        .args(["-c", script])
        .arg(binary)
        .arg(dir)
        .arg(env!("CARGO_PKG_VERSION"))
        .output()
        .expect("python3 runs");
    assert_code(&o, 0);
    dir.to_path_buf()
}

/// The wheels virtualenv embeds (setuptools, for building the hooks repository's empty
/// package): with them and the protosync wheel as `PIP_FIND_LINKS`, pip needs no index.
fn virtualenv_embedded_wheels(pre_commit: &Path) -> Option<PathBuf> {
    let python = pre_commit
        .parent()
        .map(|d| d.join("python"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("python3"));
    let o = Std::new(python)
        .args([
            "-c",
            "import os, virtualenv.seed.wheels.embed as e; print(os.path.dirname(e.__file__))",
        ])
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
}

/// The hooks repository of python/pre-commit/ through the real framework, installing the
/// `protosync` wheel (here one holding the test binary) with pip from local files only: both
/// hooks pass on a clean repository; a commit that changes only buf.yaml runs them (`files`);
/// `args: [--against, …]` replaces protosync-breaking's HEAD default instead of failing with
/// "--against cannot be used multiple times".
#[test]
fn pre_commit_python_hooks_use_the_wheel_and_take_files_and_args() {
    let Some(pre_commit) = find_pre_commit() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "pre-commit is missing: run scripts/install-test-tools.sh (or set PRE_COMMIT_BIN)"
        );
        eprintln!("skipped: pre-commit not installed (scripts/install-test-tools.sh installs it)");
        return;
    };
    let embedded = virtualenv_embedded_wheels(&pre_commit)
        .expect("pre-commit's virtualenv package has its embedded wheels");
    let w = World::new();
    let wheels = binary_wheel(&protosync_bin(), &w.tmp.path().join("wheels"));
    // The hooks repository, as the release workflow publishes it.
    let hooks_repo = w.tmp.path().join("protosync-pre-commit");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/pre-commit");
    std::fs::create_dir_all(&hooks_repo).unwrap();
    for f in [".pre-commit-hooks.yaml", "pyproject.toml", "README.md"] {
        std::fs::copy(src.join(f), hooks_repo.join(f)).unwrap();
    }
    git(&hooks_repo, &["init", "-q", "-b", "main"]);
    git(&hooks_repo, &["add", "-A"]);
    git(&hooks_repo, &["commit", "-q", "-m", "hooks"]);
    let rev = git(&hooks_repo, &["rev-parse", "HEAD"]).trim().to_owned();
    let repo_arg = hooks_repo.to_str().unwrap().to_owned();
    let pc_home = w.tmp.path().join("pre-commit-home");
    let find_links = format!("{} {}", wheels.display(), embedded.display());
    // No protosync on PATH but the one the hook's virtualenv gets from the wheel.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let run = |args: &[&str]| -> Output {
        let mut c = Std::new(&pre_commit);
        c.args(args)
            .current_dir(&w.repo)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", &pc_home)
            .env("PRE_COMMIT_COLOR", "never")
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", &find_links)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PROTOSYNC_CACHE_DIR", w.tmp.path().join("cache"))
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Dev")
            .env("GIT_AUTHOR_EMAIL", "dev@example.com")
            .env("GIT_COMMITTER_NAME", "Dev")
            .env("GIT_COMMITTER_EMAIL", "dev@example.com")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_DIR");
        c.output().unwrap()
    };

    // Clean: both hooks pass on every file, run by the wheel's binary.
    let o = run(&[
        "try-repo",
        &repo_arg,
        "--ref",
        &rev,
        "--all-files",
        "--verbose",
    ]);
    assert_code(&o, 0);
    let out = all(&o);
    assert_eq!(out.matches("Passed").count(), 2, "{out}");
    // Only buf.yaml staged: the hooks run (they would say "(no files to check)Skipped" if
    // `files` left it out).
    write(&w.svc, "buf.yaml", "version: v2\n");
    git(&w.repo, &["add", "buf.yaml"]);
    let o = run(&["try-repo", &repo_arg, "--ref", &rev]);
    assert_code(&o, 0);
    let out = all(&o);
    assert_eq!(out.matches("Passed").count(), 2, "{out}");
    assert!(!out.contains("Skipped"), "{out}");
    git(&w.repo, &["commit", "-q", "-m", "buf.yaml"]);

    // args: [--against, .git#branch=before]: a breaking change already committed on HEAD is
    // invisible against HEAD (the default) and found against the branch named in args.
    git(&w.repo, &["branch", "before"]);
    write(&w.svc, OWN_PATH, &breaking_own());
    git(&w.repo, &["commit", "-q", "-am", "breaking", "--no-verify"]);
    let config = |args: &str| {
        write(
            &w.repo,
            ".pre-commit-config.yaml",
            &format!(
                "repos:\n  - repo: {repo_arg}\n    rev: {rev}\n    hooks:\n      - id: protosync-breaking\n{args}"
            ),
        );
    };
    config("");
    let o = run(&["run", "protosync-breaking", "--all-files"]);
    assert_code(&o, 0);
    assert!(all(&o).contains("Passed"), "{}", all(&o));
    config("        args: [--against, '.git#branch=before']\n");
    let o = run(&["run", "protosync-breaking", "--all-files"]);
    assert_code(&o, 1);
    let out = all(&o);
    assert!(!out.contains("cannot be used multiple times"), "{out}");
    assert!(out.contains("- hook id: protosync-breaking"), "{out}");
    assert!(out.contains(FINDING), "{out}");
    // The binary the hooks ran is the wheel's, installed into the hook's virtualenv (in
    // PRE_COMMIT_HOME for `pre-commit run`; try-repo uses a store of its own).
    let mut installed = Vec::new();
    let mut dirs = vec![pc_home.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() && !p.is_symlink() {
                dirs.push(p);
            } else if p.ends_with("bin/protosync") {
                installed.push(p);
            }
        }
    }
    assert_eq!(installed.len(), 1, "{}", all(&o));
    assert_eq!(
        std::fs::metadata(&installed[0]).unwrap().len(),
        std::fs::metadata(protosync_bin()).unwrap().len()
    );
}
