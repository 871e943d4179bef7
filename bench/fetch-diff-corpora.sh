#!/usr/bin/env bash
# Fetch the non-googleapis corpora of the widened differential (bench/differential.py)
# from the package registries only, pinned, and lay them out as include trees under
# bench/.cache/diff/corpora/<name>/. Nothing here is committed (bench/.cache/ is git-ignored).
#
#   protobuf    crates.io protobuf-src (vendors protobuf's sources): src/ (unittest*.proto,
#               map_*, test_messages_*, edition_unittest, delimited, custom options),
#               editions/ (golden + codegen_tests, mounted at google/protobuf/editions/ as
#               their imports expect) and java/core/src/test/proto (proto2/extension-heavy)
#   envoy       crates.io envoy-types (vendors envoy data-plane-api, xds, udpa, validate,
#               googleapis subset, cel, opentelemetry): one overlaid tree
#   gapi        PyPI googleapis-common-protos wheel (google/api, google/rpc, google/type, ...)
#
# Idempotent. Env: PROTOBUF_SRC_VERSION, ENVOY_TYPES_VERSION, GAPI_COMMON_VERSION.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="$here/.cache/diff"
out="$cache/corpora"
PROTOBUF_SRC_VERSION="${PROTOBUF_SRC_VERSION:-2.1.1+27.1}"
ENVOY_TYPES_VERSION="${ENVOY_TYPES_VERSION:-0.7.7}"
GAPI_COMMON_VERSION="${GAPI_COMMON_VERSION:-1.70.0}"
stamp="$out/.versions"
want="protobuf-src=$PROTOBUF_SRC_VERSION envoy-types=$ENVOY_TYPES_VERSION googleapis-common-protos=$GAPI_COMMON_VERSION"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "corpora present: $want" >&2
  exit 0
fi
rm -rf "$out" "$cache/dl"
mkdir -p "$out" "$cache/dl"

# --- crates.io: a throw-away package whose only job is `cargo fetch` of the two crates
proj="$cache/dl/cargo-fetch"
mkdir -p "$proj/src"
echo 'fn main() {}' >"$proj/src/main.rs"
cat >"$proj/Cargo.toml" <<TOML
[package]
name = "diff-corpus-fetch"
version = "0.0.0"
edition = "2021"
publish = false
[workspace]
[dependencies]
protobuf-src = "=$PROTOBUF_SRC_VERSION"
envoy-types = "=$ENVOY_TYPES_VERSION"
TOML
echo "cargo fetch protobuf-src@$PROTOBUF_SRC_VERSION envoy-types@$ENVOY_TYPES_VERSION ..." >&2
(cd "$proj" && cargo fetch -q)
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
crate() {
  local f
  f="$(find "$cargo_home/registry/cache" -name "$1-$2.crate" | head -1)"
  [[ -n "$f" ]] || { echo "crate $1-$2 not in the cargo cache" >&2; exit 1; }
  echo "$f"
}
tar xzf "$(crate protobuf-src "$PROTOBUF_SRC_VERSION")" -C "$cache/dl"
tar xzf "$(crate envoy-types "$ENVOY_TYPES_VERSION")" -C "$cache/dl"

pb="$cache/dl/protobuf-src-$PROTOBUF_SRC_VERSION/protobuf"
mkdir -p "$out/protobuf/google/protobuf/editions"
cp -r "$pb/src/google" "$out/protobuf/"
cp -r "$pb/editions/golden" "$pb/editions/codegen_tests" "$pb/editions/proto" "$out/protobuf/google/protobuf/editions/"
cp -r "$pb/java/core/src/test/proto/com" "$out/protobuf/"
find "$out/protobuf" -type f ! -name '*.proto' -delete

ev="$cache/dl/envoy-types-$ENVOY_TYPES_VERSION/proto"
mkdir -p "$out/envoy"
for root in data-plane-api xds protoc-gen-validate googleapis cel-spec/proto opentelemetry-proto client_model ratelimit; do
  [[ -d "$ev/$root" ]] && cp -rn "$ev/$root/." "$out/envoy/"
done
find "$out/envoy" -type f ! -name '*.proto' -delete

# --- PyPI: the wheel ships the .proto sources beside the generated code
echo "pip download googleapis-common-protos==$GAPI_COMMON_VERSION ..." >&2
python3 -m pip download -q --no-deps -d "$cache/dl/pypi" "googleapis-common-protos==$GAPI_COMMON_VERSION"
mkdir -p "$out/gapi"
python3 - "$cache/dl/pypi" "$out/gapi" <<'PY'
import glob, os, sys, zipfile
whl = glob.glob(os.path.join(sys.argv[1], "googleapis_common_protos-*.whl"))[0]
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n.endswith(".proto"):
            dst = os.path.join(sys.argv[2], n)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "wb") as f:
                f.write(z.read(n))
PY
find "$out" -type d -empty -delete
echo "$want" >"$stamp"
for c in protobuf envoy gapi; do
  echo "$c: $(find "$out/$c" -name '*.proto' | wc -l) .proto" >&2
done
