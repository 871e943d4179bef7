# Shared helpers of the GitHub Action's steps (action.yml, docs/ACTION.md). Sourced, not run.
#
# Everything here talks to the runner through its files and workflow commands only:
# $GITHUB_OUTPUT, $GITHUB_PATH, $GITHUB_STEP_SUMMARY and `::error::` lines on stdout. Outside
# Actions (those variables unset) outputs and PATH additions are printed instead, so the
# scripts also run by hand.

# Sets step output NAME to VALUE (multi-line values use a random delimiter, as GitHub documents).
gh_output() {
    local name="$1" value="${2-}"
    if [ -z "${GITHUB_OUTPUT:-}" ]; then
        printf 'output %s=%s\n' "$name" "$value" >&2
        return
    fi
    if [[ "$value" == *$'\n'* ]]; then
        local delim
        delim="protosync_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
        printf '%s<<%s\n%s\n%s\n' "$name" "$delim" "$value" "$delim" >>"$GITHUB_OUTPUT"
    else
        printf '%s=%s\n' "$name" "$value" >>"$GITHUB_OUTPUT"
    fi
}

# Puts DIR first on PATH for the following steps (and for the rest of this script).
gh_add_path() {
    if [ -n "${GITHUB_PATH:-}" ]; then
        printf '%s\n' "$1" >>"$GITHUB_PATH"
    else
        printf 'path %s\n' "$1" >&2
    fi
    export PATH="$1:$PATH"
}

# Appends stdin to the job summary (when there is one).
gh_summary() {
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        cat >>"$GITHUB_STEP_SUMMARY"
    else
        cat >/dev/null
    fi
}

# Escapes workflow-command data (the message after `::`).
gh_escape_data() {
    local s="$1"
    s="${s//'%'/%25}"
    s="${s//$'\r'/%0D}"
    s="${s//$'\n'/%0A}"
    printf '%s' "$s"
}

# Escapes a workflow-command property value (file=, title=).
gh_escape_prop() {
    local s
    s="$(gh_escape_data "$1")"
    s="${s//:/%3A}"
    s="${s//,/%2C}"
    printf '%s' "$s"
}

# The reverse of gh_escape_prop.
gh_unescape_prop() {
    local s="$1"
    s="${s//%2C/,}"
    s="${s//%3A/:}"
    s="${s//%0A/$'\n'}"
    s="${s//%0D/$'\r'}"
    s="${s//%25/%}"
    printf '%s' "$s"
}

error() { printf '::error title=protosync::%s\n' "$(gh_escape_data "$*")"; }
warning() { printf '::warning title=protosync::%s\n' "$(gh_escape_data "$*")"; }
notice() { printf '::notice title=protosync::%s\n' "$(gh_escape_data "$*")"; }

# Prints an error annotation and exits 2 (protosync's "usage or configuration error").
die() {
    error "$*"
    exit 2
}

# sha256 of FILE, hex.
sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | awk '{print $1}'
    else
        shasum -a 256 "$1" | awk '{print $1}'
    fi
}

# Reads a value from the webhook event with jq (empty when there is no event or no value).
event() {
    if [ -n "${GITHUB_EVENT_PATH:-}" ] && [ -f "$GITHUB_EVENT_PATH" ]; then
        jq -r "$1 // empty" "$GITHUB_EVENT_PATH" 2>/dev/null || true
    fi
}

# True for "true", "yes", "1", "on" (any case).
truthy() {
    case "$(printf '%s' "${1:-}" | tr '[:upper:]' '[:lower:]')" in
        true | yes | 1 | on) return 0 ;;
        *) return 1 ;;
    esac
}

# The Rust target triple of this runner's release asset: from RUNNER_OS / RUNNER_ARCH, else
# from uname. Linux assets are static (musl) builds, which run on any distribution.
runner_target() {
    local os="${RUNNER_OS:-}" arch="${RUNNER_ARCH:-}"
    if [ -z "$os" ]; then
        case "$(uname -s)" in
            Linux) os=Linux ;;
            Darwin) os=macOS ;;
            MINGW* | MSYS* | CYGWIN*) os=Windows ;;
            *) os="$(uname -s)" ;;
        esac
    fi
    if [ -z "$arch" ]; then
        case "$(uname -m)" in
            x86_64 | amd64) arch=X64 ;;
            aarch64 | arm64) arch=ARM64 ;;
            *) arch="$(uname -m)" ;;
        esac
    fi
    case "$os/$arch" in
        Linux/X64) echo x86_64-unknown-linux-musl ;;
        Linux/ARM64) echo aarch64-unknown-linux-musl ;;
        macOS/X64) echo x86_64-apple-darwin ;;
        macOS/ARM64) echo aarch64-apple-darwin ;;
        Windows/X64) echo x86_64-pc-windows-msvc ;;
        Windows/ARM64) echo aarch64-pc-windows-msvc ;;
        *) echo "unknown-$os-$arch" ;;
    esac
}
