//! The action's sync and fan-out: pull requests, outputs, and commits on a runner without a git
//! identity.

use super::*;

#[test]
fn sync_with_pr_sets_the_pull_request_url() {
    let tmp = TempDir::new().unwrap();
    let contracts = tmp.path().join("contracts");
    std::fs::create_dir_all(&contracts).unwrap();
    git(&contracts, &["init", "-q", "-b", "main"]);
    write(&contracts, "acme/billing/v1/billing.proto", &billing(false));
    git(&contracts, &["add", "-A"]);
    git(&contracts, &["commit", "-q", "-m", "billing"]);
    let bare = tmp.path().join("forge/acme/billing.git");
    std::fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare", "-b", "main"]);
    let work = tmp.path().join("billing");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            bare.to_str().unwrap(),
            work.to_str().unwrap(),
        ],
    );
    git(&work, &["checkout", "-q", "-b", "main"]);
    let o = Command::new(bin())
        .current_dir(&work)
        .env("PROTOSYNC_CACHE_DIR", tmp.path().join("cache"))
        .args([
            "init",
            "--contract",
            &format!("file://{}", contracts.display()),
            "--from",
            "acme/billing/v1",
            "--to",
            "third_party/proto/acme/billing/v1",
        ])
        .output()
        .unwrap();
    assert_code(&o, 0);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "vendor"]);
    git(&work, &["push", "-q", "origin", "main"]);
    write(&contracts, "acme/billing/v1/billing.proto", &billing(true));
    git(&contracts, &["commit", "-q", "-am", "memo"]);

    let server = ForgeServer::start(ForgeKind::Github, TOKEN);
    let mut gh = Runner::new();
    gh.set("INPUT_COMMAND", "sync")
        .set("INPUT_ARGS", "--pr --forge github --label contracts")
        .set("INPUT_TOKEN", TOKEN)
        .set("GITHUB_API_URL", server.url())
        .set("GITHUB_EVENT_NAME", "workflow_dispatch");
    let o = gh.script("run.sh", &work);
    assert_code(&o, 0);
    let (out, err) = text(&o);
    assert!(
        out.contains("sync: updated, 1 files changed, pull request created: http://127.0.0.1:"),
        "{out}\n{err}"
    );
    let outputs = gh.outputs();
    let prs = server.prs("acme", "billing");
    assert_eq!(prs.len(), 1);
    assert_eq!(prs[0].labels, ["contracts"]);
    assert_eq!(
        outputs["pull-request-url"],
        format!("{}/acme/billing/pull/1", server.web_url())
    );
    assert_eq!(outputs["findings"], "0");
    assert_eq!(outputs["breaking"], "false");
    let summary = gh.summary();
    assert!(summary.contains("### protosync sync"), "{summary}");
    assert!(
        summary.contains("Pull request [#1](http://127.0.0.1:"),
        "{summary}"
    );
    assert!(
        summary.contains("| `third_party/proto/acme/billing/v1/billing.proto` |"),
        "{summary}"
    );
    server.assert_no_invalid_requests();
    // The runner has no git identity: the commit is github-actions[bot]'s, as
    // create-pull-request makes it, and the outputs describe the pull request like its own.
    let bare_git = |args: &[&str]| git(&bare, args);
    let branch = "protosync/contracts";
    let bot = "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>";
    assert_eq!(
        bare_git(&["log", "-1", "--format=%an <%ae>|%cn <%ce>", branch]).trim(),
        format!("{bot}|{bot}")
    );
    let head = bare_git(&["rev-parse", branch]).trim().to_owned();
    assert_eq!(outputs["pull-request-number"], "1");
    assert_eq!(outputs["pull-request-operation"], "created");
    assert_eq!(outputs["pull-request-branch"], branch);
    assert_eq!(outputs["pull-request-head-sha"], head);

    // A new contract commit with the action's author, committer, title and body: the pull
    // request is updated, the commit made as told.
    write(
        &contracts,
        "acme/billing/v1/billing.proto",
        &billing(true).replace("}\n", "  string note = 5;\n}\n"),
    );
    git(&contracts, &["commit", "-q", "-am", "note"]);
    gh.set("INPUT_AUTHOR", "Ann Lee <ann@example.com>")
        .set("INPUT_COMMITTER", "Contract Bot <contracts@example.com>")
        .set("INPUT_TITLE", "Contracts: billing, with the note field")
        .set("INPUT_BODY", "Adds `note`.\n\nReviewed by the API guild.")
        .set("INPUT_ASSIGNEES", "octocat, @hubot");
    let o = gh.script("run.sh", &work);
    assert_code(&o, 0);
    let outputs = gh.outputs();
    assert_eq!(outputs["pull-request-operation"], "updated");
    assert_eq!(outputs["pull-request-number"], "1");
    assert_eq!(
        bare_git(&["log", "-1", "--format=%an <%ae>|%cn <%ce>", branch]).trim(),
        "Ann Lee <ann@example.com>|Contract Bot <contracts@example.com>"
    );
    let head = bare_git(&["rev-parse", branch]).trim().to_owned();
    assert_eq!(outputs["pull-request-head-sha"], head);
    let prs = server.prs("acme", "billing");
    assert_eq!(prs.len(), 1);
    assert_eq!(prs[0].title, "Contracts: billing, with the note field");
    assert!(
        prs[0]
            .body
            .starts_with("Adds `note`.\n\nReviewed by the API guild.\n\n<!-- protosync: contract="),
        "{}",
        prs[0].body
    );
    // Assignees: one POST to GitHub's issues/{n}/assignees with the logins, the token, and the
    // headers GitHub documents. (The loopback server's subset of GitHub's description does not
    // hold that operation, so it answers 404: the action warns, the job does not fail.)
    let assign: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path().ends_with("/assignees"))
        .collect();
    assert_eq!(assign.len(), 1, "{assign:?}");
    assert_eq!(assign[0].method, "POST");
    assert_eq!(assign[0].path(), "/repos/acme/billing/issues/1/assignees");
    assert_eq!(
        serde_json::from_str::<Value>(&assign[0].body).unwrap(),
        json!({"assignees": ["octocat", "hubot"]})
    );
    let header = |n: &str| {
        assign[0]
            .headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(header("accept"), Some("application/vnd.github+json"));
    assert_eq!(header("x-github-api-version"), Some("2022-11-28"));
    let (out, _) = text(&o);
    assert!(
        out.contains("::warning title=protosync::could not assign pull request #1:"),
        "{out}"
    );
    assert!(!out.contains(TOKEN), "{out}");

    // main gets the same update another way (the sync left it in the working tree; someone
    // commits it): the update is empty, the pull request is closed and, with delete-branch,
    // the branch deleted.
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "sync by hand"]);
    git(&work, &["push", "-q", "origin", "main"]);
    gh.unset("INPUT_ASSIGNEES")
        .set("INPUT_DELETE_BRANCH", "true");
    let o = gh.script("run.sh", &work);
    assert_code(&o, 0);
    let outputs = gh.outputs();
    assert_eq!(
        outputs["pull-request-operation"],
        "closed",
        "{}",
        text(&o).0
    );
    assert_eq!(outputs["pull-request-number"], "1");
    assert_eq!(outputs["pull-request-branch"], branch);
    assert_eq!(outputs["pull-request-head-sha"], "");
    assert!(server.open_prs("acme", "billing").is_empty());
    assert!(bare_git(&["branch", "--list", branch]).trim().is_empty());
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs["report"]).unwrap()).unwrap();
    assert_eq!(report["publish"]["branch_deleted"], json!(true));
    // Nothing left to do: no pull request, operation none.
    let o = gh.script("run.sh", &work);
    assert_code(&o, 0);
    assert_eq!(gh.outputs()["pull-request-operation"], "none");
    assert_eq!(gh.outputs()["pull-request-number"], "");

    // sync prints JSON only: another format is refused before anything runs.
    gh.set("INPUT_FORMAT", "text");
    assert_code(&gh.script("run.sh", &work), 2);
}

#[test]
fn sync_without_any_git_identity_outside_a_ci_says_how_to_set_one() {
    let tmp = TempDir::new().unwrap();
    let contracts = tmp.path().join("contracts");
    std::fs::create_dir_all(&contracts).unwrap();
    git(&contracts, &["init", "-q", "-b", "main"]);
    write(&contracts, "acme/billing/v1/billing.proto", &billing(false));
    git(&contracts, &["add", "-A"]);
    git(&contracts, &["commit", "-q", "-m", "billing"]);
    let work = tmp.path().join("billing");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    let run = |args: &[&str], env: &[(&str, &str)]| {
        Command::new(bin())
            .current_dir(&work)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", tmp.path().join("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("PROTOSYNC_CACHE_DIR", tmp.path().join("cache"))
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let o = run(
        &[
            "init",
            "--contract",
            &format!("file://{}", contracts.display()),
            "--from",
            "acme/billing/v1",
            "--to",
            "third_party/proto/acme/billing/v1",
        ],
        &[],
    );
    assert_code(&o, 0);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "vendor"]);
    write(&contracts, "acme/billing/v1/billing.proto", &billing(true));
    git(&contracts, &["commit", "-q", "-am", "memo"]);
    let o = run(&["sync", "--commit"], &[]);
    assert_code(&o, 2);
    assert!(
        text(&o).1.contains("no commit author: set user.name and user.email in git config, or PROTOSYNC_GIT_AUTHOR=\"Name <email>\""),
        "{}",
        text(&o).1
    );
    // GitLab CI: the pipeline's user.
    git(&work, &["checkout", "-q", "--", "."]);
    let o = run(
        &["sync", "--commit"],
        &[
            ("GITLAB_CI", "true"),
            ("GITLAB_USER_NAME", "Ann Lee"),
            ("GITLAB_USER_EMAIL", "ann@example.com"),
        ],
    );
    assert_code(&o, 0);
    assert_eq!(
        git(
            &work,
            &[
                "log",
                "-1",
                "--format=%an <%ae>|%cn <%ce>",
                "protosync/contracts"
            ]
        )
        .trim(),
        "Ann Lee <ann@example.com>|Ann Lee <ann@example.com>"
    );
}

/// The contract-fanout.yml setup on a runner with no git identity: the action's fanout pushes a
/// sync commit made by github-actions[bot] and opens the pull request.
#[test]
fn fanout_commits_as_github_actions_bot_on_a_runner_without_identity() {
    let tmp = TempDir::new().unwrap();
    let contracts = tmp.path().join("contracts");
    std::fs::create_dir_all(&contracts).unwrap();
    git(&contracts, &["init", "-q", "-b", "main"]);
    write(&contracts, "acme/billing/v1/billing.proto", &billing(false));
    git(&contracts, &["add", "-A"]);
    git(&contracts, &["commit", "-q", "-m", "billing"]);
    let bare = tmp.path().join("forge/acme/billing.git");
    std::fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare", "-b", "main"]);
    let work = tmp.path().join("billing");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            bare.to_str().unwrap(),
            work.to_str().unwrap(),
        ],
    );
    git(&work, &["checkout", "-q", "-b", "main"]);
    let o = Command::new(bin())
        .current_dir(&work)
        .env("PROTOSYNC_CACHE_DIR", tmp.path().join("cache"))
        .args([
            "init",
            "--contract",
            &format!("file://{}", contracts.display()),
            "--from",
            "acme/billing/v1",
            "--to",
            "third_party/proto/acme/billing/v1",
        ])
        .output()
        .unwrap();
    assert_code(&o, 0);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "vendor"]);
    git(&work, &["push", "-q", "origin", "main"]);
    write(
        &contracts,
        "protosync.toml",
        &format!(
            "[[service]]\nname = \"billing\"\nrepo = \"file://{}\"\nbranch = \"main\"\nforge = \"github\"\n",
            bare.display()
        ),
    );
    write(&contracts, "acme/billing/v1/billing.proto", &billing(true));
    git(&contracts, &["add", "-A"]);
    git(&contracts, &["commit", "-q", "-m", "memo"]);

    let server = ForgeServer::start(ForgeKind::Github, TOKEN);
    let mut gh = Runner::new();
    gh.set("INPUT_COMMAND", "fanout")
        .set("INPUT_ARGS", "--label contracts")
        .set("INPUT_TOKEN", TOKEN)
        .set("GITHUB_API_URL", server.url())
        .set("GITHUB_EVENT_NAME", "push");
    let o = gh.script("run.sh", &contracts);
    assert_code(&o, 0);
    let (out, _) = text(&o);
    assert!(
        out.contains(
            "1 services: 1 created, 0 updated, 0 unchanged, 0 closed, 0 skipped, 0 failed"
        ),
        "{out}"
    );
    let bot = "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>";
    assert_eq!(
        git(
            &bare,
            &[
                "log",
                "-1",
                "--format=%an <%ae>|%cn <%ce>",
                "protosync/contracts"
            ]
        )
        .trim(),
        format!("{bot}|{bot}")
    );
    assert_eq!(server.prs("acme", "billing").len(), 1);
    server.assert_no_invalid_requests();
}

#[test]
fn fanout_failures_become_annotations_and_a_summary_table() {
    let tmp = TempDir::new().unwrap();
    let contracts = tmp.path().join("contracts");
    write(&contracts, "acme/billing/v1/billing.proto", &billing(true));
    write(
        &contracts,
        "protosync.toml",
        &format!(
            "[[service]]\nname = \"broken\"\nrepo = \"file://{}\"\nforge = \"github\"\n",
            tmp.path().join("missing/acme/broken.git").display()
        ),
    );
    git(&contracts, &["init", "-q", "-b", "main"]);
    git(&contracts, &["add", "-A"]);
    git(&contracts, &["commit", "-q", "-m", "contracts"]);
    let mut gh = Runner::new();
    gh.set("INPUT_COMMAND", "fanout")
        .set("INPUT_TOKEN", TOKEN)
        .set("GITHUB_EVENT_NAME", "push");
    let o = gh.script("run.sh", &contracts);
    assert_code(&o, 1);
    let (out, _) = text(&o);
    assert!(
        out.contains("::error title=protosync fanout: broken::"),
        "{out}"
    );
    assert!(
        out.contains(
            "1 services: 0 created, 0 updated, 0 unchanged, 0 closed, 0 skipped, 1 failed"
        ),
        "{out}"
    );
    let summary = gh.summary();
    assert!(
        summary.contains("| Service | Outcome | Pull request | Detail |"),
        "{summary}"
    );
    assert!(summary.contains("| `broken` | failed |"), "{summary}");
    assert_eq!(gh.outputs()["exit-code"], "1");
}
