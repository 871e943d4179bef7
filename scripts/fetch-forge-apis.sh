#!/usr/bin/env bash
# Downloads the published forge API descriptions that the loopback forge server of the tests
# (tests/support/forge_server/) validates every request and answer against, into a cache
# directory (never into the repository). Pinned by version and checked by sha256; idempotent
# (does nothing when the pinned versions are already there). Called by
# scripts/install-test-tools.sh.
#
# * GitHub: npm `@octokit/openapi` (MIT), generated/api.github.com.json (OpenAPI 3.0), fetched
#   with `npm pack`.
# * Gitea/Forgejo: the crate `forgejo-api` (Apache-2.0 OR MIT) ships Forgejo's swagger.v1.json
#   (Swagger 2.0); the .crate archive comes from the crates.io registry.
# * GitLab publishes no package with its openapi_v2.yaml: the tests carry the few GitLab
#   operations protosync calls themselves (docs/FORGES.md, "Tests").
#
# Where: $PROTOSYNC_FORGE_APIS, else ${XDG_CACHE_HOME:-$HOME/.cache}/protosync/forge-apis, as
# github.json and gitea.json, each beside a .source file naming what it was taken from.
# To follow a newer description, change a version and its sha256 below (the script prints the
# sha256 it found when they differ).
set -euo pipefail

OCTOKIT_OPENAPI_VERSION="23.0.2"
OCTOKIT_OPENAPI_SHA256="71a18407dd5e8464f4e0525daf03deabbe65abd9287d6adc7b5d98f516cd0d0c"
FORGEJO_API_VERSION="0.12.0"
FORGEJO_API_SHA256="1597f08c98eed3f55fedcfeee8b005f9e617dab3c61393a2d8ce437181ad5d0b"

DEST="${PROTOSYNC_FORGE_APIS:-${XDG_CACHE_HOME:-$HOME/.cache}/protosync/forge-apis}"
mkdir -p "$DEST"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# check FILE SHA256: fails, saying what was found, unless FILE has that sha256.
check() {
    local found
    found="$(sha256sum "$1" | awk '{print $1}')"
    if [ "$found" != "$2" ]; then
        echo "error: $(basename "$1"): sha256 $found, expected $2" >&2
        return 1
    fi
}

# install NAME SOURCE MEMBER ARCHIVE: extracts MEMBER of the tar.gz ARCHIVE as $DEST/NAME.json.
install() {
    tar -xzf "$4" -C "$tmp" "$3"
    mv "$tmp/$3" "$DEST/$1.json.part"
    mv "$DEST/$1.json.part" "$DEST/$1.json"
    printf '%s\n' "$2" >"$DEST/$1.json.source"
    echo "forge API: $DEST/$1.json ($2)"
}

# current NAME SOURCE: whether $DEST/NAME.json is the one SOURCE names.
current() {
    [ -s "$DEST/$1.json" ] && [ "$(cat "$DEST/$1.json.source" 2>/dev/null)" = "$2" ]
}

github_source="npm @octokit/openapi@$OCTOKIT_OPENAPI_VERSION generated/api.github.com.json (sha256 of the package $OCTOKIT_OPENAPI_SHA256)"
if ! current github "$github_source"; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "error: npm is needed to fetch @octokit/openapi (apt-get install npm)" >&2
        exit 1
    fi
    npm pack --silent --pack-destination "$tmp" "@octokit/openapi@$OCTOKIT_OPENAPI_VERSION" >/dev/null
    archive="$tmp/octokit-openapi-$OCTOKIT_OPENAPI_VERSION.tgz"
    check "$archive" "$OCTOKIT_OPENAPI_SHA256"
    install github "$github_source" package/generated/api.github.com.json "$archive"
fi

gitea_source="crate forgejo-api@$FORGEJO_API_VERSION swagger.v1.json (sha256 of the crate $FORGEJO_API_SHA256)"
if ! current gitea "$gitea_source"; then
    archive="$tmp/forgejo-api-$FORGEJO_API_VERSION.crate"
    curl --fail --silent --show-error --location --retry 3 -o "$archive" \
        "https://static.crates.io/crates/forgejo-api/forgejo-api-$FORGEJO_API_VERSION.crate"
    check "$archive" "$FORGEJO_API_SHA256"
    install gitea "$gitea_source" "forgejo-api-$FORGEJO_API_VERSION/swagger.v1.json" "$archive"
fi
