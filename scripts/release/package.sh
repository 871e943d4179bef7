#!/usr/bin/env bash
# Packages one release asset: the archive the GitHub Action (scripts/action/install.sh) and
# `cargo binstall` (Cargo.toml's [package.metadata.binstall]) download, and its checksum.
#
#   scripts/release/package.sh TARGET BINARY OUT_DIR
#
#   TARGET   a Rust target triple, e.g. x86_64-unknown-linux-musl
#   BINARY   the built protosync binary for that target (protosync.exe on Windows)
#   OUT_DIR  where the asset goes (created if missing)
#
# Writes OUT_DIR/protosync-TARGET.tar.gz (OUT_DIR/protosync-TARGET.zip for a windows target)
# holding protosync-TARGET/{protosync[.exe],README.md,CHANGELOG.md}, and next to it
# OUT_DIR/protosync-TARGET.tar.gz.sha256: "<sha256>  protosync-TARGET.tar.gz", the format
# `sha256sum -c` reads and install.sh verifies. Prints the asset's path.
#
# The release workflow (.github/workflows/release.yml) runs this once per target with the binary
# it built; tests/action.rs runs it on the binary the test build made.
set -euo pipefail

usage() {
    echo "usage: $0 TARGET BINARY OUT_DIR" >&2
    exit 2
}
[ "$#" -eq 3 ] || usage
target="$1"
binary="$2"
out="$3"
[[ "$target" =~ ^[a-z0-9_]+(-[a-z0-9_.]+){2,3}$ ]] || {
    echo "error: \"$target\" is not a target triple (e.g. x86_64-unknown-linux-musl)" >&2
    exit 2
}
[ -f "$binary" ] || {
    echo "error: $binary: no such file (build protosync for $target first)" >&2
    exit 2
}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exe=protosync
case "$target" in *windows*) exe=protosync.exe ;; esac
mkdir -p "$out"
out="$(cd "$out" && pwd)"
name="protosync-$target"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name"
cp "$binary" "$stage/$name/$exe"
chmod 755 "$stage/$name/$exe"
for doc in README.md CHANGELOG.md; do
    [ -f "$root/$doc" ] && cp "$root/$doc" "$stage/$name/$doc"
done

case "$target" in
    *windows*)
        asset="$name.zip"
        rm -f "$out/$asset"
        if command -v zip >/dev/null 2>&1; then
            (cd "$stage" && zip -q -r -X "$out/$asset" "$name")
        elif command -v 7z >/dev/null 2>&1; then
            (cd "$stage" && 7z a -tzip -bd "$out/$asset" "$name" >/dev/null)
        else
            echo "error: neither zip nor 7z is installed" >&2
            exit 2
        fi
        ;;
    *)
        asset="$name.tar.gz"
        # Reproducible where GNU tar is there (Linux): sorted, no owner, one mtime.
        flags=()
        if tar --version 2>/dev/null | grep -q 'GNU tar'; then
            flags=(--sort=name --owner=0 --group=0 --numeric-owner "--mtime=@${SOURCE_DATE_EPOCH:-0}")
        fi
        (cd "$stage" && tar ${flags[@]+"${flags[@]}"} -cf - "$name" | gzip -n >"$out/$asset")
        ;;
esac

if command -v sha256sum >/dev/null 2>&1; then
    sum="$(sha256sum "$out/$asset" | awk '{print $1}')"
else
    sum="$(shasum -a 256 "$out/$asset" | awk '{print $1}')"
fi
printf '%s  %s\n' "$sum" "$asset" >"$out/$asset.sha256"
echo "$out/$asset"
