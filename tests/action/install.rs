//! Installing protosync from a release asset (verified, pinned) or with cargo.

use super::*;

// ---------------------------------------------------------------------------------------------
// Installation

/// A loopback HTTP server for release assets: path → (status, body); records the paths asked.
struct AssetServer {
    port: u16,
    asked: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl AssetServer {
    fn start(files: BTreeMap<String, Vec<u8>>) -> AssetServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, s) = (asked.clone(), stop.clone());
        std::thread::spawn(move || {
            let started = Instant::now();
            while !s.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(120) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.by_ref().take(8192).read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                }
                let path = line.split(' ').nth(1).unwrap_or("").to_owned();
                a.lock().unwrap().push(path.clone());
                let (status, body) = match files.get(&path) {
                    Some(b) => ("200 OK", b.clone()),
                    None => ("404 Not Found", b"Not Found".to_vec()),
                };
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            }
        });
        AssetServer { port, asked, stop }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/releases/download", self.port)
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl Drop for AssetServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The release target of the fake runner (`RUNNER_OS=Linux`, `RUNNER_ARCH=X64`): the static
/// musl build. The test binary (a debug build for the host) stands in for it.
pub(crate) const TARGET: &str = "x86_64-unknown-linux-musl";

/// The release asset `protosync-<target>.tar.gz` and its sha256, made by
/// scripts/release/package.sh, the script the release workflow runs, from the test binary
/// (once per test run: compressing a debug build takes a while).
pub(crate) fn release_asset(_dir: &Path) -> (Vec<u8>, String) {
    static ASSET: std::sync::OnceLock<(Vec<u8>, String)> = std::sync::OnceLock::new();
    ASSET.get_or_init(package_release_asset).clone()
}

fn package_release_asset() -> (Vec<u8>, String) {
    let tmp = TempDir::new_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let out = tmp.path().join("dist");
    let o = Command::new("bash")
        .arg(Path::new(ROOT).join("scripts/release/package.sh"))
        .args([TARGET, bin().to_str().unwrap(), out.to_str().unwrap()])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert_code(&o, 0);
    let archive = out.join(format!("protosync-{TARGET}.tar.gz"));
    assert_eq!(text(&o).0.trim(), archive.display().to_string());
    let bytes = std::fs::read(&archive).unwrap();
    let sum_file =
        std::fs::read_to_string(out.join(format!("protosync-{TARGET}.tar.gz.sha256"))).unwrap();
    // `<sha256>  <name>`, as `sha256sum` writes it and checks it.
    let o = Command::new("sha256sum")
        .arg("--check")
        .arg(format!("protosync-{TARGET}.tar.gz.sha256"))
        .current_dir(&out)
        .output()
        .unwrap();
    assert_code(&o, 0);
    let sum = sum_file.split_whitespace().next().unwrap().to_owned();
    assert_eq!(sum_file, format!("{sum}  protosync-{TARGET}.tar.gz\n"));
    (bytes, sum)
}

/// The files a release serves for `version`: the asset and its checksum file.
fn release_files(version: &str, tgz: Vec<u8>, sum: &str) -> BTreeMap<String, Vec<u8>> {
    let asset = format!("/releases/download/{version}/protosync-{TARGET}.tar.gz");
    BTreeMap::from([
        (
            format!("{asset}.sha256"),
            format!("{sum}  protosync-{TARGET}.tar.gz\n").into_bytes(),
        ),
        (asset, tgz),
    ])
}

fn install_runner(assets: &AssetServer) -> Runner {
    let mut gh = Runner::new();
    gh.set("PROTOSYNC_RELEASE_BASE_URL", assets.url())
        .set("ACTION_REPOSITORY", "acme/protosync")
        .set("ACTION_REF", "v9.9.9")
        .set("GITHUB_ACTION_PATH", ROOT)
        .set("INPUT_VERSION", "");
    gh
}

#[test]
fn install_takes_a_verified_release_asset() {
    let tmp = TempDir::new().unwrap();
    let (tgz, sum) = release_asset(tmp.path());
    let asset = format!("/releases/download/v9.9.9/protosync-{TARGET}.tar.gz");
    let assets = AssetServer::start(release_files("v9.9.9", tgz, &sum));
    let gh = install_runner(&assets);
    let o = gh.script("install.sh", tmp.path());
    assert_code(&o, 0);
    let (out, _) = text(&o);
    assert!(out.contains(&format!("sha256 {sum} verified")), "{out}");
    let outputs = gh.outputs();
    assert_eq!(outputs["method"], "release");
    assert_eq!(outputs["version"], "v9.9.9");
    assert_eq!(outputs["target"], TARGET);
    let bin_dir = PathBuf::from(&outputs["bin-dir"]);
    assert!(
        bin_dir.starts_with(gh.dir().join("tool-cache")),
        "{bin_dir:?}"
    );
    assert_eq!(gh.path_file().trim(), bin_dir.display().to_string());
    assert_eq!(
        outputs["binary-path"],
        bin_dir.join("protosync").display().to_string()
    );
    let v = Command::new(bin_dir.join("protosync"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(text(&v).0.starts_with("protosync "), "{:?}", v);
    assert_eq!(assets.asked(), [asset.clone(), format!("{asset}.sha256")]);

    // The installed binary gives a verdict: the action's main step, with it on PATH in place
    // of the test build's directory.
    let r = repo(tmp.path());
    let mut gh = breaking_runner(&r);
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    gh.set("PATH", path);
    let o = gh.script("run.sh", &r.checkout);
    assert_code(&o, 1);
    let (out, _) = text(&o);
    assert!(
        out.contains("::error file=") && out.contains(",title=FIELD_NO_DELETE::"),
        "{out}"
    );
    assert_eq!(gh.outputs()["findings"], "1");

    // setup-only: installed and on PATH, nothing run (no report, no outputs but the install's).
    gh.set("INPUT_SETUP_ONLY", "true");
    let o = gh.script("run.sh", &r.checkout);
    assert_code(&o, 0);
    let (out, _) = text(&o);
    assert!(
        out.starts_with(&format!(
            "setup-only: protosync {} is on PATH ({}); nothing run",
            env!("CARGO_PKG_VERSION"),
            bin_dir.join("protosync").display()
        )),
        "{out}"
    );
    assert!(gh.outputs().is_empty(), "{:?}", gh.outputs());
    assert!(gh.summary().is_empty());
}

#[test]
fn a_pinned_checksum_must_match_too() {
    let tmp = TempDir::new().unwrap();
    let (tgz, sum) = release_asset(tmp.path());
    let assets = AssetServer::start(release_files("v9.9.9", tgz, &sum));
    // The right pin (any case, with or without `sha256:`): installed.
    let mut gh = install_runner(&assets);
    gh.set("INPUT_CHECKSUM", format!("sha256:{}", sum.to_uppercase()));
    let o = gh.script("install.sh", tmp.path());
    assert_code(&o, 0);
    assert!(
        text(&o).0.contains(&format!(
            "sha256 {sum} verified (the release's .sha256 and the checksum input agree)"
        )),
        "{}",
        text(&o).0
    );
    assert_eq!(gh.outputs()["method"], "release");

    // A release whose asset and .sha256 were both replaced: its own checksum agrees, the pin
    // does not.
    let other = format!("{:064x}", 7);
    let mut gh = install_runner(&assets);
    gh.set("INPUT_CHECKSUM", other.clone());
    let o = gh.script("install.sh", tmp.path());
    assert_code(&o, 1);
    let (out, _) = text(&o);
    assert!(
        out.contains(&format!("::error title=protosync::checksum mismatch for protosync-{TARGET}.tar.gz of v9.9.9: the checksum input pins {other}, downloaded {sum}")),
        "{out}"
    );
    assert!(!gh.outputs().contains_key("method"));
    assert!(gh.path_file().is_empty());

    // A pin and no release asset for the version: no silent build from source.
    let mut gh = install_runner(&assets);
    gh.set("INPUT_VERSION", "v0.0.1")
        .set("INPUT_CHECKSUM", sum.clone());
    let o = gh.script("install.sh", tmp.path());
    assert_code(&o, 1);
    assert!(
        text(&o).0.contains("the checksum input pins a release asset, and there is no protosync-x86_64-unknown-linux-musl asset for version \"v0.0.1\""),
        "{}",
        text(&o).0
    );
    assert!(!gh.outputs().contains_key("method"));

    // Not a sha256: refused before anything is downloaded.
    let before = assets.asked().len();
    let mut gh = install_runner(&assets);
    gh.set("INPUT_CHECKSUM", "abc123");
    let o = gh.script("install.sh", tmp.path());
    assert_code(&o, 2);
    assert!(
        text(&o)
            .0
            .contains("checksum input \"abc123\" is not a sha256"),
        "{}",
        text(&o).0
    );
    assert_eq!(assets.asked().len(), before);
}

#[test]
fn install_refuses_a_tampered_or_unverifiable_asset() {
    let tmp = TempDir::new().unwrap();
    let (mut tgz, sum) = release_asset(tmp.path());
    let asset = format!("/releases/download/v9.9.9/protosync-{TARGET}.tar.gz");
    let n = tgz.len();
    tgz[n / 2] ^= 0xff;
    let tampered = AssetServer::start(release_files("v9.9.9", tgz.clone(), &sum));
    let mut gh = install_runner(&tampered);
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    gh.set("TMPDIR", scratch.display().to_string());
    let o = gh.script("install.sh", tmp.path());
    assert_code(&o, 1);
    // The refused download is not left behind.
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0);
    let (out, _) = text(&o);
    assert!(
        out.contains(&format!("::error title=protosync::checksum mismatch for protosync-{TARGET}.tar.gz of v9.9.9: expected {sum}, downloaded ")),
        "{out}"
    );
    let outputs = gh.outputs();
    assert!(!outputs.contains_key("method"), "{outputs:?}");
    assert!(gh.path_file().is_empty());
    assert!(!gh.dir().join("tool-cache/protosync").exists());

    // An asset without its checksum file is not installed either.
    let unverifiable = AssetServer::start(BTreeMap::from([(asset.clone(), tgz)]));
    let gh = install_runner(&unverifiable);
    let o = gh.script("install.sh", tmp.path());
    assert_code(&o, 1);
    assert!(
        text(&o).0.contains("has no checksum file"),
        "{}",
        text(&o).0
    );
    assert!(gh.path_file().is_empty());
}

#[test]
fn without_a_release_asset_protosync_is_built_with_cargo_and_cached() {
    let tmp = TempDir::new().unwrap();
    let assets = AssetServer::start(BTreeMap::new());
    let gh = install_runner(&assets);
    let o = gh.script("install.sh", tmp.path());
    assert_code(&o, 0);
    assert!(text(&o).0.contains("no release asset"), "{}", text(&o).0);
    let outputs = gh.outputs();
    assert_eq!(outputs["method"], "cargo");
    // Building the action's own ref: from the files the runner downloaded, keyed by their hash.
    assert_eq!(outputs["source"], "path");
    let key = outputs["cache-key"].clone();
    let digest = key
        .strip_prefix(&format!("protosync-{TARGET}-src-"))
        .unwrap_or_else(|| panic!("{key}"));
    assert!(
        digest.len() == 32 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
        "{key}"
    );
    let root = PathBuf::from(&outputs["cargo-root"]);
    assert_eq!(root, gh.dir().join("tool-cache/protosync").join(&key));
    assert!(gh.path_file().is_empty());

    // The cargo step, with the test binary standing in for the build (PROTOSYNC_BIN).
    let mut cargo = Runner::new();
    cargo
        .set("CARGO_ROOT", root.display().to_string())
        .set("SOURCE", "path")
        .set("GIT_URL", outputs["git-url"].clone())
        .set("REV", outputs["rev"].clone())
        .set("GITHUB_ACTION_PATH", ROOT)
        .set("PROTOSYNC_BIN", bin().display().to_string());
    let o = cargo.script("cargo-install.sh", tmp.path());
    assert_code(&o, 0);
    let (out, _) = text(&o);
    assert!(
        out.contains(&format!(
            "copying it instead of running: cargo install --locked --root {} --path {ROOT}",
            root.display()
        )),
        "{out}"
    );
    assert!(root.join("bin/protosync").is_file());
    assert_eq!(
        cargo.path_file().trim(),
        root.join("bin").display().to_string()
    );
    assert_eq!(
        cargo.outputs()["binary-path"],
        root.join("bin/protosync").display().to_string()
    );
    // The next run finds it (what a cache hit of actions/cache restores).
    cargo.unset("PROTOSYNC_BIN");
    let o = cargo.script("cargo-install.sh", tmp.path());
    assert_code(&o, 0);
    assert!(
        text(&o).0.contains("using the cached build: protosync "),
        "{}",
        text(&o).0
    );

    // Another version than the action's ref: built from git at that version.
    let mut gh = install_runner(&assets);
    gh.set("INPUT_VERSION", "v0.0.1");
    assert_code(&gh.script("install.sh", tmp.path()), 0);
    let outputs = gh.outputs();
    assert_eq!(outputs["source"], "git");
    assert_eq!(outputs["rev"], "v0.0.1");
    assert_eq!(outputs["git-url"], "https://github.com/acme/protosync");
    assert_eq!(outputs["cache-key"], format!("protosync-{TARGET}-v0.0.1"));
    let mut cargo = Runner::new();
    cargo
        .set("CARGO_ROOT", outputs["cargo-root"].clone())
        .set("SOURCE", "git")
        .set("GIT_URL", outputs["git-url"].clone())
        .set("REV", "v0.0.1")
        .set("PROTOSYNC_BIN", bin().display().to_string());
    let o = cargo.script("cargo-install.sh", tmp.path());
    assert_code(&o, 0);
    assert!(
        text(&o).0.contains("cargo install --locked --root ")
            && text(&o)
                .0
                .contains(" --git https://github.com/acme/protosync --rev v0.0.1 protosync"),
        "{}",
        text(&o).0
    );

    // The runner left github.action_* empty: they come from where it put the action.
    let action_dir = tmp.path().join("_work/_actions/acme/protosync/v2.0.0");
    std::fs::create_dir_all(&action_dir).unwrap();
    let mut gh = install_runner(&assets);
    gh.unset("ACTION_REPOSITORY")
        .unset("ACTION_REF")
        .set("GITHUB_ACTION_PATH", action_dir.display().to_string());
    assert_code(&gh.script("install.sh", tmp.path()), 0);
    let outputs = gh.outputs();
    assert_eq!(outputs["version"], "v2.0.0");
    assert_eq!(outputs["git-url"], "https://github.com/acme/protosync");
    assert_eq!(outputs["source"], "git");
    assert!(assets.asked().contains(&format!(
        "/releases/download/v2.0.0/protosync-{TARGET}.tar.gz"
    )));
}
