#!/usr/bin/env bash
# Re-record buf's findings on archive inputs (tests/archives.rs): fixtures/archives/previous/
# and current/ are packed (by Python's tarfile/zipfile, deterministic: sorted entries, fixed
# times) into tar, tar.gz, tgz, zip and extension-less archives in a temporary directory, and for
# every line `name | input | against` of fixtures/archives/cases.txt, from that directory:
#
#   buf breaking INPUT --against AGAINST --error-format msvs > recorded/NAME.out; echo $? > recorded/NAME.exit
#
# BUF=/path/to/buf selects the binary (default: buf on PATH; pin 1.75.0 as scripts/record-buf.sh).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${repo_root}/fixtures/archives"
buf="${BUF:-buf}"
"${buf}" --version
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
cp -r "${dir}/previous" "${dir}/current" "${tmp}/"
python3 - "${dir}" "${tmp}" <<'PY'
import io, os, sys, tarfile, zipfile
src, out = sys.argv[1], sys.argv[2]
def entries(side):
    root = os.path.join(src, side)
    found = []
    for d, dirs, files in os.walk(root):
        for f in files:
            full = os.path.join(d, f)
            found.append((os.path.relpath(full, root).replace(os.sep, "/"), open(full, "rb").read()))
    return sorted(found)
for side, short in (("previous", "prev"), ("current", "cur")):
    files = entries(side)
    def tar(mode, name):
        with tarfile.open(os.path.join(out, name), mode, format=tarfile.PAX_FORMAT) as t:
            for path, data in files:
                info = tarfile.TarInfo(path); info.size = len(data); info.mtime = 0; info.mode = 0o644
                t.addfile(info, io.BytesIO(data))
    tar("w", short + ".tar"); tar("w:gz", short + ".tar.gz"); tar("w:gz", short + ".tgz"); tar("w:gz", short + "-tgz")
    for name in (short + ".zip", short + "-zip"):
        with zipfile.ZipFile(os.path.join(out, name), "w", zipfile.ZIP_DEFLATED) as z:
            for path, data in files:
                z.writestr(zipfile.ZipInfo(path, (1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
PY
mkdir -p "${dir}/recorded"
grep -v '^#' "${dir}/cases.txt" | while IFS='|' read -r name input against; do
  name="$(echo "${name}" | xargs)"
  [[ -z "${name}" ]] && continue
  input="$(echo "${input}" | xargs)"; against="$(echo "${against}" | xargs)"
  set +e
  (cd "${tmp}" && "${buf}" breaking "${input}" --against "${against}" --error-format msvs) \
    >"${dir}/recorded/${name}.out" 2>"${tmp}/stderr"
  echo $? >"${dir}/recorded/${name}.exit"
  set -e
  sed 's/^/  /' "${tmp}/stderr" >&2
done
echo "recorded $(ls "${dir}/recorded" | grep -c '\.exit$') cases into ${dir}/recorded"
