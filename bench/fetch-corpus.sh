#!/usr/bin/env bash
# Fetch the googleapis corpus (npm package `google-proto-files`) into
# bench/.cache/ and lay it out as an include root:
#
#   bench/.cache/googleapis/            <- include root (-I / buf input)
#       google/...                      (~8,000 .proto, incl. google/protobuf)
#       grafeas/...                     (imported by google/devtools/containeranalysis)
#       gapic/metadata/...
#       buf.yaml                        (copy of bench/googleapis.buf.yaml)
#
# Idempotent: if the corpus for the pinned version is already there it only
# prints the file count. The corpus is never committed (bench/.cache/ is
# git-ignored; this script makes sure of that).
#
# Env:
#   GOOGLE_PROTO_FILES_VERSION   npm version to fetch (default pinned below so
#                                that numbers stay comparable between runs)
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
CACHE="$BENCH_DIR/.cache"
ROOT="$CACHE/googleapis"
# 5.0.3 is the newest release whose `engines` accepts Node 20 (6.x wants
# Node >= 22); we only unpack the tarball, so Node does not matter, but we pin
# one version so that measurements are reproducible.
VERSION="${GOOGLE_PROTO_FILES_VERSION:-5.0.3}"
STAMP="$ROOT/.google-proto-files-version"

# --- keep the cache out of git ---------------------------------------------
GITIGNORE="$REPO_DIR/.gitignore"
touch "$GITIGNORE"
for line in "/target" "bench/.cache/"; do
  grep -qxF "$line" "$GITIGNORE" || echo "$line" >>"$GITIGNORE"
done

count_protos() { find "$1" -name '*.proto' -type f | wc -l; }

# The corpus root is also a buf module: buf.yaml (from bench/googleapis.buf.yaml)
# excludes google/protobuf/**, whose protobuf test protos do not compile.
# buf and protosync both read it from the input and the against directory
# (bench/mutate.py copies it into the mutated tree).
install_buf_yaml() {
  cmp -s "$BENCH_DIR/googleapis.buf.yaml" "$1/buf.yaml" ||
    cp "$BENCH_DIR/googleapis.buf.yaml" "$1/buf.yaml"
}

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" ]]; then
  install_buf_yaml "$ROOT"
  n=$(count_protos "$ROOT")
  echo "corpus already present: $ROOT (google-proto-files@$VERSION, $n .proto files)"
  exit 0
fi

command -v npm >/dev/null || { echo "npm is required (apt-get install -y npm)" >&2; exit 1; }

mkdir -p "$CACHE/npm"
WORK="$(mktemp -d "$CACHE/fetch.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

TGZ="$CACHE/npm/google-proto-files-$VERSION.tgz"
if [[ ! -s "$TGZ" ]]; then
  echo "fetching google-proto-files@$VERSION from the npm registry ..."
  # `npm pack` downloads just the package tarball: no dependencies, no
  # install scripts.
  (cd "$WORK" && npm pack --silent "google-proto-files@$VERSION" >/dev/null)
  mv "$WORK"/google-proto-files-*.tgz "$TGZ"
fi

tar -xzf "$TGZ" -C "$WORK"
mkdir -p "$WORK/root"
for d in google grafeas gapic; do
  [[ -d "$WORK/package/$d" ]] && mv "$WORK/package/$d" "$WORK/root/$d"
done
# Keep only .proto files (the package also ships a few .yaml/.json bits).
find "$WORK/root" -type f ! -name '*.proto' -delete
echo "$VERSION" >"$WORK/root/.google-proto-files-version"
install_buf_yaml "$WORK/root"

rm -rf "$ROOT"
mv "$WORK/root" "$ROOT"
# A new corpus invalidates derived data.
rm -rf "$CACHE/googleapis-mutated" "$CACHE/mutations.json" "$CACHE/small"

n=$(count_protos "$ROOT")
nt=$(find "$ROOT" -name '*.proto' -type f ! -path "$ROOT/google/protobuf/*" | wc -l)
echo "corpus ready: $ROOT (google-proto-files@$VERSION)"
echo "$n .proto files ($nt outside google/protobuf/)"
