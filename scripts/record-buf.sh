#!/usr/bin/env bash
# Re-record the reference outputs of the breaking-change fixture corpus.
#
# For every case directory fixtures/breaking/<case>/ (or only the cases named on the command line)
# this runs, from inside the case directory:
#
#   buf breaking current --against previous --error-format json > buf.jsonl
#   echo $? > buf.exit
#
# buf exits 0 when it finds nothing and 100 when it reports breaking changes; any other exit code
# (bad config, build failure, buf bug) fails this script, and so does an annotation of type COMPILE.
#
# buf itself: the pinned version (BUF_VERSION, default below) is used from PATH when it is there,
# otherwise it is installed with npm (package @bufbuild/buf) into a cache directory and reused on the
# next run. Set BUF=/path/to/buf to force a specific binary. Only bash, node and npm are needed.
#
# Usage: scripts/record-buf.sh [case ...]
set -euo pipefail

BUF_VERSION="${BUF_VERSION:-1.75.0}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fixtures="${repo_root}/fixtures/breaking"
cache_dir="${PROTOSYNC_BUF_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/protosync/buf-${BUF_VERSION}}"

find_buf() {
  if [[ -n "${BUF:-}" ]]; then
    echo "${BUF}"
    return
  fi
  if command -v buf >/dev/null 2>&1 && [[ "$(buf --version 2>/dev/null)" == "${BUF_VERSION}" ]]; then
    command -v buf
    return
  fi
  local cached="${cache_dir}/node_modules/.bin/buf"
  if [[ ! -x "${cached}" ]] || [[ "$("${cached}" --version 2>/dev/null)" != "${BUF_VERSION}" ]]; then
    command -v npm >/dev/null 2>&1 || {
      echo "record-buf: buf ${BUF_VERSION} is not on PATH and npm is not available to install it" >&2
      exit 1
    }
    echo "record-buf: installing @bufbuild/buf@${BUF_VERSION} into ${cache_dir}" >&2
    mkdir -p "${cache_dir}"
    npm install --prefix "${cache_dir}" --no-audit --no-fund --loglevel=error \
      "@bufbuild/buf@${BUF_VERSION}" >&2
  fi
  echo "${cached}"
}

buf_bin="$(find_buf)"
actual_version="$("${buf_bin}" --version)"
if [[ "${actual_version}" != "${BUF_VERSION}" ]]; then
  echo "record-buf: warning: using buf ${actual_version}, the corpus is pinned to ${BUF_VERSION}" >&2
fi

cases=()
if [[ $# -gt 0 ]]; then
  for name in "$@"; do
    cases+=("${name%/}")
  done
else
  for dir in "${fixtures}"/*/; do
    dir="${dir%/}"
    [[ -d "${dir}/previous" && -d "${dir}/current" ]] && cases+=("$(basename "${dir}")")
  done
fi

if [[ ${#cases[@]} -eq 0 ]]; then
  echo "record-buf: no cases found under ${fixtures}" >&2
  exit 1
fi

failed=0
changed=0
stderr_file="$(mktemp)"
trap 'rm -f "${stderr_file}"' EXIT

for name in "${cases[@]}"; do
  dir="${fixtures}/${name}"
  if [[ ! -d "${dir}/previous" || ! -d "${dir}/current" ]]; then
    echo "record-buf: ${name}: not a case (needs previous/ and current/)" >&2
    failed=$((failed + 1))
    continue
  fi
  if [[ -f "${dir}/buf.unsupported" ]]; then
    # buf cannot run this case at all (the file says why); only expected.snap pins it.
    echo "record-buf: ${name}: skipped (buf.unsupported)" >&2
    continue
  fi
  old="$(cat "${dir}/buf.jsonl" "${dir}/buf.exit" 2>/dev/null || true)"
  rc=0
  (cd "${dir}" && "${buf_bin}" breaking current --against previous --error-format json) \
    >"${dir}/buf.jsonl" 2>"${stderr_file}" || rc=$?
  echo "${rc}" >"${dir}/buf.exit"
  if [[ ${rc} -ne 0 && ${rc} -ne 100 ]]; then
    echo "record-buf: ${name}: buf exited ${rc}:" >&2
    sed 's/^/    /' "${stderr_file}" >&2
    failed=$((failed + 1))
    continue
  fi
  if grep -q '"type":"COMPILE"' "${dir}/buf.jsonl"; then
    echo "record-buf: ${name}: a side does not compile:" >&2
    sed 's/^/    /' "${dir}/buf.jsonl" >&2
    failed=$((failed + 1))
    continue
  fi
  new="$(cat "${dir}/buf.jsonl" "${dir}/buf.exit")"
  if [[ "${old}" != "${new}" ]]; then
    changed=$((changed + 1))
    echo "record-buf: ${name}: output changed (exit ${rc})" >&2
  fi
done

echo "record-buf: ${#cases[@]} case(s) recorded with buf ${actual_version}, ${changed} changed, ${failed} failed" >&2
[[ ${failed} -eq 0 ]]
