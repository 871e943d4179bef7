#!/usr/bin/env bash
# Re-record buf's outputs for single-file inputs, include_package_files, text images and the
# refused option combinations on fixtures/file-inputs/ (tests/file_inputs.rs).
#
# A temporary git repository gets previous/ committed on `main`, then current/ in its work
# tree, plus base/ (an untracked copy of previous/) and previous.txtpb / previous.binpb (buf's
# images of main's proto/, also stored in the fixture for the tests, with previous.protoc.txtpb:
# protoc's image of it decoded to text by protoc); from its root, for every
# line `name | args` of fixtures/file-inputs/cases.txt:
#
#   buf breaking ARGS > recorded/NAME.out; echo $? > recorded/NAME.exit
#
# BUF=/path/to/buf selects the binary (default: buf on PATH; pin 1.75.0 as scripts/record-buf.sh).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${repo_root}/fixtures/file-inputs"
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
mkdir -p "${tmp}/base"
cp -r "${dir}/previous/." "${tmp}/base/"
(cd "${tmp}" && "${buf}" build '.git#branch=main,subdir=proto' -o "${dir}/previous.txtpb")
(cd "${tmp}" && "${buf}" build '.git#branch=main,subdir=proto' -o "${dir}/previous.binpb")
# protoc's own text form of a protoc image (PROTOC=/path/to/protoc, default protoc on PATH).
protoc="${PROTOC:-protoc}"
(cd "${tmp}/base/proto" && "${protoc}" --include_source_info -o "${tmp}/protoc.binpb" $(find . -name '*.proto' | sed 's|^\./||' | sort))
"${protoc}" --decode=google.protobuf.FileDescriptorSet google/protobuf/descriptor.proto \
  <"${tmp}/protoc.binpb" >"${dir}/previous.protoc.txtpb"
cp "${dir}/previous.txtpb" "${dir}/previous.binpb" "${tmp}/"
rm -rf "${dir}/recorded"
mkdir -p "${dir}/recorded"
grep -v '^#' "${dir}/cases.txt" | while IFS='|' read -r name args; do
  name="$(echo "${name}" | xargs)"
  [[ -z "${name}" ]] && continue
  read -r -a argv <<<"${args}"
  set +e
  (cd "${tmp}" && "${buf}" breaking "${argv[@]}") >"${dir}/recorded/${name}.out" 2>/dev/null
  echo $? >"${dir}/recorded/${name}.exit"
  set -e
done
echo "recorded $(ls "${dir}/recorded" | grep -c '\.exit$') cases into ${dir}/recorded"
