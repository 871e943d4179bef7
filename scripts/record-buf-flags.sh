#!/usr/bin/env bash
# Re-record buf's outputs for its command-line flags on fixtures/buf-flags/ (tests/buf_flags.rs).
#
# A temporary git repository gets previous/ committed on `main`, then current/ in its work
# tree; from its root, for every line `name | args` of fixtures/buf-flags/cases.txt:
#
#   buf breaking . --against '.git#branch=main' ARGS > recorded/NAME.out; echo $? > recorded/NAME.exit
#
# An argument `@FILE` stands for the contents of fixtures/buf-flags/FILE (inline --config data).
# BUF=/path/to/buf selects the binary (default: buf on PATH; pin 1.75.0 as scripts/record-buf.sh).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${repo_root}/fixtures/buf-flags"
buf="${BUF:-buf}"
"${buf}" --version
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
cp -r "${dir}/previous/." "${tmp}/"
git -C "${tmp}" init -q -b main
git -C "${tmp}" add -A
git -C "${tmp}" -c user.name=fixture -c user.email=fixture@example.com commit -qm previous
find "${tmp}" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
cp -r "${dir}/current/." "${tmp}/"
mkdir -p "${dir}/recorded"
grep -v '^#' "${dir}/cases.txt" | while IFS='|' read -r name args; do
  name="$(echo "${name}" | xargs)"
  [[ -z "${name}" ]] && continue
  read -r -a argv <<<"${args}"
  for i in "${!argv[@]}"; do
    if [[ "${argv[$i]}" == @* ]]; then argv[$i]="$(cat "${dir}/${argv[$i]#@}")"; fi
  done
  set +e
  (cd "${tmp}" && "${buf}" breaking . --against '.git#branch=main' "${argv[@]}") \
    >"${dir}/recorded/${name}.out" 2>/dev/null
  echo $? >"${dir}/recorded/${name}.exit"
  set -e
done
echo "recorded $(ls "${dir}/recorded" | grep -c '\.exit$') cases into ${dir}/recorded"
