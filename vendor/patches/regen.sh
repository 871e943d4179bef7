#!/usr/bin/env bash
# Regenerates vendor/patches/<crate>.diff: the vendored crate's src/ against the upstream release
# in cargo's registry cache (`cargo fetch` puts it there), upstream test files left out.
# Usage: vendor/patches/regen.sh   (from anywhere)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vendor="$(dirname "${here}")"
registry="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/index.crates.io-*/ | head -1)"
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
for pair in prost-reflect:prost-reflect-0.16.5 protox-parse:protox-parse-0.10.0; do
  name="${pair%%:*}"
  upstream="${registry}${pair##*:}"
  [[ -d "${upstream}" ]] || { echo "regen: ${upstream} missing: run cargo fetch" >&2; exit 1; }
  rm -rf "${tmp:?}"/*
  mkdir -p "${tmp}/a" "${tmp}/b"
  cp -a "${upstream}/src" "${tmp}/a/src"
  cp -a "${vendor}/${name}/src" "${tmp}/b/src"
  find "${tmp}/a/src" -name tests.rs -delete
  (cd "${tmp}" && diff -ru a/src b/src || true) |
    sed -E 's/^(---|\+\+\+) ([^\t]+)\t.*/\1 \2/' >"${here}/${name}.diff"
done
