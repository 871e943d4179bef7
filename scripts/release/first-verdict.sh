#!/usr/bin/env bash
# Measures the time from a fresh runner-like environment to protosync's first verdict, through
# the GitHub Action's own steps (scripts/action/install.sh, cargo-install.sh, run.sh):
#
#   cargo path:   no release asset, so `cargo install --locked --path <checkout>` into a new
#                 CARGO_HOME and target directory (what a runner does on a cache miss), then a
#                 `breaking` verdict;
#   release path: the asset scripts/release/package.sh makes from that build, served over
#                 loopback HTTP, installed by install.sh (download, checksum, unpack), then the
#                 same verdict.
#
# "Fresh" is: an empty HOME, no git configuration (GIT_CONFIG_NOSYSTEM=1,
# GIT_CONFIG_GLOBAL=/dev/null), GITHUB_ACTIONS=true, an empty tool cache, an empty CARGO_HOME
# (crates downloaded from the registry) and target directory. The Rust toolchain itself is taken
# as installed (RUSTUP_HOME), as on GitHub's hosted runners.
#
#   scripts/release/first-verdict.sh [JOBS]     # JOBS: cargo's -j (default 2)
#
# With FIRST_VERDICT_BINARY=<a protosync binary>, the cargo path is skipped and the release path
# packages that binary (a quick check of the script itself).
#
# Prints one line per path; docs/PERFORMANCE.md records a run. Takes minutes (the cargo path).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
jobs="${1:-2}"
work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

cargo_bin="$(command -v cargo)"
rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"
base_path="$(dirname "$cargo_bin"):/usr/local/bin:/usr/bin:/bin"

# The repository the verdict is about: main, and a checkout of a branch that deletes a field.
mkdir -p "$work/src/proto/acme/billing/v1"
proto() {
    printf 'syntax = "proto3";\n\npackage acme.billing.v1;\n\nmessage Invoice {\n  string id = 1;\n  int64 total_cents = 2;%s\n}\n' "$1" \
        >"$work/src/proto/acme/billing/v1/billing.proto"
}
g() { git -C "$work/src" -c user.name=Dev -c user.email=dev@example.com "$@"; }
g init -q -b main
proto $'\n  string memo = 4;'
g add -A && g commit -q -m billing
g checkout -q -b feature
proto ""
g commit -q -am "drop memo"

# A fresh runner for one path: its own HOME, tool cache, temp and step files.
runner() {
    local dir="$work/$1"
    mkdir -p "$dir/home" "$dir/tool-cache" "$dir/temp"
    : >"$dir/output"
    : >"$dir/path"
    # shellcheck disable=SC2016 # the script runs in the fresh environment and expands there
    env -i \
        PATH="$base_path" HOME="$dir/home" RUSTUP_HOME="$rustup_home" CARGO_HOME="$dir/home/.cargo" \
        CARGO_TARGET_DIR="$dir/target" CARGO_BUILD_JOBS="$jobs" CARGO_TERM_COLOR=never \
        GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GITHUB_ACTIONS=true CI=true \
        RUNNER_OS=Linux RUNNER_ARCH=X64 RUNNER_TOOL_CACHE="$dir/tool-cache" RUNNER_TEMP="$dir/temp" \
        GITHUB_OUTPUT="$dir/output" GITHUB_PATH="$dir/path" GITHUB_ACTION_PATH="$root" \
        ACTION_REPOSITORY=acme/protosync ACTION_REF="$2" \
        PROTOSYNC_RELEASE_BASE_URL="$3" INPUT_VERSION="" NO_COLOR=1 SRC="$work/src" \
        bash -c '
            set -e
            bash "$GITHUB_ACTION_PATH/scripts/action/install.sh"
            if grep -qx "method=cargo" "$GITHUB_OUTPUT"; then
                out() { sed -n "s/^$1=//p" "$GITHUB_OUTPUT" | tail -n1; }
                CARGO_ROOT="$(out cargo-root)" SOURCE="$(out source)" GIT_URL="$(out git-url)" REV="$(out rev)" \
                    bash "$GITHUB_ACTION_PATH/scripts/action/cargo-install.sh"
            fi
            PATH="$(tail -n1 "$GITHUB_PATH"):$PATH"
            cd "$SRC"
            INPUT_COMMAND=breaking INPUT_INPUT=proto INPUT_AGAINST=".git#branch=main,subdir=proto" \
                bash "$GITHUB_ACTION_PATH/scripts/action/run.sh" || test $? = 1
        ' >"$dir/log" 2>&1
}

# Loopback release server (the assets directory; a 404 for anything else).
mkdir -p "$work/assets/v9.9.9"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$work/assets" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
    port="$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$work/server.log" | head -n1)"
    [ -n "$port" ] && break
    sleep 0.1
done
base="http://127.0.0.1:$port"

if [ -n "${FIRST_VERDICT_BINARY:-}" ]; then
    built="$FIRST_VERDICT_BINARY"
else
    t0="$(now)"
    runner cargo v0-unreleased "$base" || { cat "$work/cargo/log"; exit 1; }
    t1="$(now)"
    grep -q "FIELD_NO_DELETE" "$work/cargo/log" || { cat "$work/cargo/log"; exit 1; }
    echo "cargo path:   $(elapsed "$t0" "$t1") s to the first verdict (cargo install -j $jobs, empty CARGO_HOME and target)"
    built="$(sed -n 's/^binary-path=//p' "$work/cargo/output" | tail -n1)"
fi
bash "$root/scripts/release/package.sh" x86_64-unknown-linux-musl "$built" "$work/assets/v9.9.9" >/dev/null
size="$(wc -c <"$work/assets/v9.9.9/protosync-x86_64-unknown-linux-musl.tar.gz")"
t0="$(now)"
runner release v9.9.9 "$base" || { cat "$work/release/log"; exit 1; }
t1="$(now)"
if ! grep -q "from the release asset" "$work/release/log" || ! grep -q "FIELD_NO_DELETE" "$work/release/log"; then
    cat "$work/release/log"
    exit 1
fi
echo "release path: $(elapsed "$t0" "$t1") s to the first verdict (install.sh from loopback, asset $((size / 1024)) KiB)"
