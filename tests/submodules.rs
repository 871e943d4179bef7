//! `recurse_submodules=true` on git inputs, with real repositories in temporary directories: a
//! superproject whose `proto/common` is a submodule, bumped to a commit that deletes a field.
//! Without the flag the gitlink is skipped (as buf skips it); with it the submodule's files are
//! read from `.git/modules`, from the URL in `.gitmodules` (a bare clone has no modules), and
//! for a remote over loopback smart HTTP, fetched from the relative URL resolved against the
//! superproject's.

use std::path::{Path, PathBuf};
use std::time::Duration;

#[path = "support/common.rs"]
mod common;
use common::{git, stderr, stdout, write};

#[path = "support/git_http.rs"]
mod git_http;

const MONEY_V1: &str = "syntax = \"proto3\";\n\npackage common.v1;\n\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n";
const MONEY_V2: &str =
    "syntax = \"proto3\";\n\npackage common.v1;\n\nmessage Money {\n  string currency = 1;\n}\n";
const APP: &str = "syntax = \"proto3\";\n\npackage acme.v1;\n\nimport \"common/v1/money.proto\";\n\nmessage Invoice {\n  common.v1.Money total = 1;\n}\n";

fn protosync(dir: &Path, cache: &Path, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(dir)
        .env("PROTOSYNC_CACHE_DIR", cache)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("no_proxy", "127.0.0.1")
        .env_remove("PROTOSYNC_GIT_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .timeout(Duration::from_secs(120))
        .arg("breaking")
        .args(args)
        .output()
        .unwrap()
}

/// `lib` with two commits (the second deletes `units`); their ids.
fn lib(root: &Path) -> (PathBuf, String, String) {
    let lib = root.join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    git(&lib, &["init", "-q", "-b", "main"]);
    write(&lib, "v1/money.proto", MONEY_V1);
    git(&lib, &["add", "-A"]);
    git(&lib, &["commit", "-qm", "money"]);
    let v1 = git(&lib, &["rev-parse", "HEAD"]).trim().to_owned();
    write(&lib, "v1/money.proto", MONEY_V2);
    git(&lib, &["commit", "-qam", "drop units"]);
    let v2 = git(&lib, &["rev-parse", "HEAD"]).trim().to_owned();
    (lib, v1, v2)
}

const FINDING: &str = "common/v1/money.proto:5:1: FIELD_NO_DELETE Previously present field \"2\" with name \"units\" on message \"Money\" was deleted.\n";

#[test]
fn local_submodules_are_read_from_git_modules_or_their_url() {
    let t = tempfile::tempdir().unwrap();
    let (lib, v1, _) = lib(t.path());
    let app = t.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    git(&app, &["init", "-q", "-b", "main"]);
    write(&app, "proto/acme/v1/invoice.proto", APP);
    let lib_path = lib.display().to_string();
    git(
        &app,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            &lib_path,
            "proto/common",
        ],
    );
    git(&app.join("proto/common"), &["checkout", "-q", &v1]);
    git(&app, &["add", "-A"]);
    git(&app, &["commit", "-qm", "app"]);
    git(&app, &["tag", "v1"]);
    git(&app.join("proto/common"), &["checkout", "-q", "main"]);
    git(&app, &["commit", "-qam", "bump common"]);
    let cache = t.path().join("cache");

    // Without the flag the gitlink is skipped: the import is not found.
    let head = ".git#subdir=proto";
    let out = protosync(
        &app,
        &cache,
        &[head, "--against", ".git#tag=v1,subdir=proto"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("common/v1/money.proto"),
        "{}",
        stderr(&out)
    );

    // With it, from .git/modules/proto/common.
    let (head, base) = (
        ".git#subdir=proto,recurse_submodules=true",
        ".git#tag=v1,subdir=proto,recurse_submodules=true",
    );
    let out = protosync(&app, &cache, &[head, "--against", base]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("proto/{FINDING}"));
    assert!(app.join(".git/modules/proto/common").is_dir());

    // A bare clone has no modules: the commit comes from the URL in .gitmodules.
    git(t.path(), &["clone", "-q", "--bare", "app", "app.git"]);
    let (head, base) = (
        "app.git#subdir=proto,recurse_submodules=true",
        "app.git#tag=v1,subdir=proto,recurse_submodules=true",
    );
    let out = protosync(t.path(), &cache, &[head, "--against", base]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("proto/{FINDING}"));

    // Nowhere to be found: a clear error, exit 2.
    std::fs::rename(&lib, t.path().join("moved")).unwrap();
    let out = protosync(t.path(), &cache, &[head, "--against", base]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("submodule \"proto/common\""), "{err}");
    assert!(
        err.contains("git submodule update --init --recursive"),
        "{err}"
    );
}

/// A superproject commit whose `proto/common` gitlink points at `sub` of `../lib.git`.
fn link_commit(app: &Path, sub: &str, message: &str) {
    write(
        app,
        ".gitmodules",
        "[submodule \"common\"]\n\tpath = proto/common\n\turl = ../lib.git\n",
    );
    git(app, &["add", ".gitmodules", "proto"]);
    let info = format!("160000,{sub},proto/common");
    git(app, &["update-index", "--add", "--cacheinfo", &info]);
    git(app, &["commit", "-qm", message]);
}

#[test]
fn remote_submodules_are_fetched_from_their_relative_url() {
    let t = tempfile::tempdir().unwrap();
    let (lib, v1, v2) = lib(t.path());
    let srv = t.path().join("srv");
    std::fs::create_dir_all(&srv).unwrap();
    git(
        &srv,
        &[
            "clone",
            "-q",
            "--bare",
            &lib.display().to_string(),
            "lib.git",
        ],
    );
    let app = t.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    git(&app, &["init", "-q", "-b", "main"]);
    write(&app, "proto/acme/v1/invoice.proto", APP);
    link_commit(&app, &v1, "app");
    git(&app, &["tag", "v1"]);
    link_commit(&app, &v2, "bump common");
    git(
        &srv,
        &[
            "clone",
            "-q",
            "--bare",
            &app.display().to_string(),
            "app.git",
        ],
    );
    let server = git_http::Server::start(&srv, None);
    let url = server.url("app.git");
    let cache = t.path().join("cache");
    let head = format!("{url}#branch=main,subdir=proto,recurse_submodules=true");
    let base = format!("{url}#tag=v1,subdir=proto,recurse_submodules=true");
    let out = protosync(t.path(), &cache, &[&head, "--against", &base]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // Remote inputs keep their module paths.
    assert_eq!(stdout(&out), FINDING);
    let lib_requests = server
        .requests()
        .iter()
        .filter(|r| r.contains("/lib.git/"))
        .count();
    assert!(lib_requests > 0, "{:?}", server.requests());

    // Offline, from the cache alone.
    let out = protosync(t.path(), &cache, &[&head, "--against", &base, "--offline"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), FINDING);
}
