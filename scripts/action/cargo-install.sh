#!/usr/bin/env bash
# GitHub Action step 3 of 3 when there is no release asset (step 2 restores CARGO_ROOT with
# actions/cache): build protosync with `cargo install --locked` into CARGO_ROOT, unless the
# cache already holds it, and put it on PATH.
#
#   source=path: cargo install --locked --root CARGO_ROOT --path GITHUB_ACTION_PATH
#   source=git:  cargo install --locked --root CARGO_ROOT --git GIT_URL --rev REV protosync
#
# Inputs (environment): CARGO_ROOT, SOURCE, GIT_URL, REV (install.sh's outputs),
# GITHUB_ACTION_PATH. Output: binary-path. Hook: PROTOSYNC_BIN, a protosync binary copied into CARGO_ROOT instead of
# running cargo (tests, and runners without a Rust toolchain that bring their own build).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"

root="${CARGO_ROOT:?CARGO_ROOT is not set (install.sh sets it)}"
action_path="${GITHUB_ACTION_PATH:-$(cd "$here/../.." && pwd)}"
exe=protosync
case "$(runner_target)" in *windows*) exe=protosync.exe ;; esac

if [ -x "$root/bin/$exe" ] && "$root/bin/$exe" --version >/dev/null 2>&1; then
    gh_add_path "$root/bin"
    gh_output binary-path "$root/bin/$exe"
    echo "using the cached build: $("$root/bin/$exe" --version)"
    exit 0
fi

case "${SOURCE:-}" in
    path) cmd=(cargo install --locked --root "$root" --path "$action_path") ;;
    git) cmd=(cargo install --locked --root "$root" --git "${GIT_URL:?}" --rev "${REV:?}" protosync) ;;
    *) die "SOURCE must be path or git, not \"${SOURCE:-}\"" ;;
esac

if [ -n "${PROTOSYNC_BIN:-}" ]; then
    [ -x "$PROTOSYNC_BIN" ] || die "PROTOSYNC_BIN=$PROTOSYNC_BIN is not an executable file"
    echo "PROTOSYNC_BIN is set: copying it instead of running: ${cmd[*]}"
    mkdir -p "$root/bin"
    cp "$PROTOSYNC_BIN" "$root/bin/$exe"
    chmod +x "$root/bin/$exe"
else
    command -v cargo >/dev/null 2>&1 ||
        die "cargo is not installed and there is no release asset for this version: install Rust first (for example with dtolnay/rust-toolchain), or set the version input to a release"
    echo "${cmd[*]}"
    "${cmd[@]}"
fi
gh_add_path "$root/bin"
gh_output binary-path "$root/bin/$exe"
echo "installed $("$root/bin/$exe" --version)"
