#!/usr/bin/env bash
# GitHub Action step 1 of 3: install protosync from a release asset, or prepare a cargo build.
#
# Which protosync: the `version` input, else the ref the action was used at (`uses:
# owner/protosync@REF`). For that version and this runner's platform it downloads
#   <server>/<action repo>/releases/download/<version>/protosync-<target>.tar.gz
# (`.zip` on Windows) and its `.sha256`, verifies the checksum (a mismatch fails the step), and
# the pinned `checksum` input when one is given (both must match), unpacks the binary and puts
# it on PATH. The assets are what scripts/release/package.sh makes in the release workflow. When there is no such asset (404: an unreleased ref, a branch, a commit, a
# major tag like v1 that no release is named after), it sets `method=cargo` and the key and
# directory of the cargo build that the action then restores with actions/cache and runs
# (cargo-install.sh).
#
# Inputs (environment): INPUT_VERSION, INPUT_CHECKSUM, ACTION_REPOSITORY and ACTION_REF (github.action_*; read
# from GITHUB_ACTION_PATH when the runner leaves them empty), GITHUB_ACTION_PATH,
# GITHUB_SERVER_URL, RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE / RUNNER_TEMP.
# Outputs: method (release | cargo), version, target, bin-dir and binary-path (release),
# cargo-root, cache-key, source (path | git), git-url, rev.
#
# Hooks (documented in docs/ACTION.md): PROTOSYNC_RELEASE_BASE_URL replaces
# `<server>/<repo>/releases/download` (tests serve assets on loopback); PROTOSYNC_BIN set means
# "this binary, not a download": the release is not tried and cargo-install.sh uses it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"

action_path="${GITHUB_ACTION_PATH:-$(cd "$here/../.." && pwd)}"
repo="${ACTION_REPOSITORY:-}"
ref="${ACTION_REF:-}"
# Composite actions sometimes get empty github.action_repository / action_ref; the runner
# downloads an action to _actions/OWNER/NAME/REF, which says the same.
if [ -z "$repo" ] || [ -z "$ref" ]; then
    case "$action_path" in
        */_actions/*/*/*)
            rest="${action_path#*/_actions/}"
            owner="${rest%%/*}"
            rest="${rest#*/}"
            name="${rest%%/*}"
            [ -n "$repo" ] || repo="$owner/$name"
            [ -n "$ref" ] || ref="${rest#*/}"
            ;;
    esac
fi
version="${INPUT_VERSION:-}"
[ -n "$version" ] || version="$ref"
target="$(runner_target)"
server="${GITHUB_SERVER_URL:-https://github.com}"
tools="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}"

gh_output version "$version"
gh_output target "$target"

pinned="$(printf '%s' "${INPUT_CHECKSUM:-}" | tr -d '[:space:]' | tr '[:upper:]' '[:lower:]')"
pinned="${pinned#sha256:}"
if [ -n "$pinned" ] && ! [[ "$pinned" =~ ^[0-9a-f]{64}$ ]]; then
    die "checksum input \"${INPUT_CHECKSUM}\" is not a sha256 (64 hex digits, optionally prefixed sha256:)"
fi

# A version or ref as a directory name.
safe() { printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_'; }

try_release() {
    [ -n "$version" ] || return 1
    [ -n "$repo" ] || [ -n "${PROTOSYNC_RELEASE_BASE_URL:-}" ] || return 1
    local base="${PROTOSYNC_RELEASE_BASE_URL:-$server/$repo/releases/download}"
    local asset="protosync-$target.tar.gz"
    case "$target" in *windows*) asset="protosync-$target.zip" ;; esac
    local url="${base%/}/$version/$asset"
    local tmp code
    tmp="$(mktemp -d)"
    # Also on the failures below that exit: a refused download leaves nothing behind.
    release_tmp="$tmp"
    trap 'rm -rf "$release_tmp"' EXIT
    echo "protosync $version: looking for the release asset $url"
    code="$(curl -sSL --retry 3 --retry-delay 2 -o "$tmp/$asset" -w '%{http_code}' "$url" 2>"$tmp/err")" || code="${code:-000}"
    case "$code" in
        200) ;;
        404)
            echo "no release asset $asset for $version: building from source instead"
            rm -rf "$tmp"
            return 1
            ;;
        *)
            warning "downloading $url failed (HTTP $code: $(head -c 300 "$tmp/err")); building from source instead"
            rm -rf "$tmp"
            return 1
            ;;
    esac
    # An asset without its checksum is not installed: a partial upload is not a release.
    code="$(curl -sSL --retry 3 --retry-delay 2 -o "$tmp/$asset.sha256" -w '%{http_code}' "$url.sha256" 2>"$tmp/err")" || code="${code:-000}"
    if [ "$code" != 200 ]; then
        error "release asset $asset of $version has no checksum file ($url.sha256: HTTP $code); refusing to install it unverified"
        exit 1
    fi
    local want got
    want="$(awk 'NR == 1 {print tolower($1)}' "$tmp/$asset.sha256")"
    got="$(sha256_of "$tmp/$asset")"
    if ! [[ "$want" =~ ^[0-9a-f]{64}$ ]]; then
        error "checksum file $url.sha256 holds no sha256 (expected \"<64 hex digits>  $asset\")"
        exit 1
    fi
    if [ "$want" != "$got" ]; then
        error "checksum mismatch for $asset of $version: expected $want, downloaded $got; not installed"
        exit 1
    fi
    if [ -n "$pinned" ] && [ "$pinned" != "$got" ]; then
        error "checksum mismatch for $asset of $version: the checksum input pins $pinned, downloaded $got (the release's own $asset.sha256 agrees with the download: the release changed since it was pinned); not installed"
        exit 1
    fi
    if [ -n "$pinned" ]; then
        echo "sha256 $got verified (the release's .sha256 and the checksum input agree)"
    else
        echo "sha256 $got verified"
    fi
    local dest
    dest="$tools/protosync/$(safe "$version")/$target"
    mkdir -p "$tmp/unpacked"
    case "$asset" in
        *.zip)
            if command -v unzip >/dev/null 2>&1; then
                unzip -q "$tmp/$asset" -d "$tmp/unpacked"
            elif command -v 7z >/dev/null 2>&1; then
                7z x -bd -y "-o$tmp/unpacked" "$tmp/$asset" >/dev/null
            else
                pwsh -NoProfile -Command "Expand-Archive -LiteralPath '$tmp/$asset' -DestinationPath '$tmp/unpacked'"
            fi
            ;;
        *) tar -xzf "$tmp/$asset" -C "$tmp/unpacked" --no-same-owner ;;
    esac
    local exe=protosync
    case "$target" in *windows*) exe=protosync.exe ;; esac
    local found
    found="$(find "$tmp/unpacked" -type f -name "$exe" | head -n 1)"
    if [ -z "$found" ]; then
        error "release asset $asset of $version has no $exe in it"
        exit 1
    fi
    rm -rf "$dest"
    mkdir -p "$dest/bin"
    mv "$found" "$dest/bin/$exe"
    chmod +x "$dest/bin/$exe"
    rm -rf "$tmp"
    gh_add_path "$dest/bin"
    echo "installed $("$dest/bin/$exe" --version) from the release asset"
    gh_output method release
    gh_output bin-dir "$dest/bin"
    gh_output binary-path "$dest/bin/$exe"
    return 0
}

if [ -n "${PROTOSYNC_BIN:-}" ]; then
    echo "PROTOSYNC_BIN is set ($PROTOSYNC_BIN): no download; it stands in for the cargo build"
elif try_release; then
    exit 0
fi
# A pinned checksum names one release asset: building something else would defeat it.
if [ -n "$pinned" ] && [ -z "${PROTOSYNC_BIN:-}" ]; then
    error "the checksum input pins a release asset, and there is no protosync-$target asset for version \"$version\"; not building from source instead (set version to the release the checksum is for, or drop checksum)"
    exit 1
fi

# The cargo build: from the action's own files when building the ref the action was used at
# (the runner downloaded exactly that source; this also works for private action repositories
# and for `uses: ./`), else from git at the requested version.
if [ -f "$action_path/Cargo.toml" ] && { [ -z "$version" ] || [ "$version" = "$ref" ]; }; then
    source=path
    # The key follows the source itself, so a moved tag or branch rebuilds.
    digest="$(cd "$action_path" && find Cargo.toml Cargo.lock src -type f 2>/dev/null | LC_ALL=C sort |
        while IFS= read -r f; do printf '%s %s\n' "$(sha256_of "$f")" "$f"; done | sha256_of /dev/stdin)"
    key="protosync-$target-src-${digest:0:32}"
else
    [ -n "$repo" ] || die "cannot tell which repository to build protosync from: set the version input to a release, or use the action as owner/protosync@REF"
    [ -n "$version" ] || die "no version to build: set the version input"
    source=git
    key="protosync-$target-$(safe "$version")"
fi
gh_output method cargo
gh_output source "$source"
gh_output git-url "$server/$repo"
gh_output rev "$version"
gh_output cache-key "$key"
gh_output cargo-root "$tools/protosync/$key"
echo "protosync will be built with cargo ($source source), cached as $key"
