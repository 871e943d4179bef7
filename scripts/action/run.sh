#!/usr/bin/env bash
# GitHub Action, the main step: runs `protosync COMMAND` the way a workflow wants it
# (docs/ACTION.md), with protosync already on PATH.
#
# * check / breaking: compares against the pull request's base branch by default (fetched when
#   the checkout lacks it), prints annotations (`format: github`, paths made relative to the
#   repository root), writes the Markdown report to the job summary, optionally posts or
#   updates one pull-request comment, and fails with protosync's exit code, except that
#   breaking findings do not fail a pull request carrying the skip label.
# * sync / fanout: run once with `--format json` (they change things: never twice), print a
#   digest and the JSON, write a summary table, and set the pull-request outputs (sync) or
#   `matrix` (fanout --format github-matrix). Commits are made as INPUT_AUTHOR /
#   INPUT_COMMITTER when given, else as git is configured, else as github-actions[bot]
#   (protosync's own default under GitHub Actions).
# * setup-only: nothing runs; protosync is on PATH for the steps after this one.
#
# Inputs (environment): INPUT_COMMAND, INPUT_INPUT, INPUT_AGAINST, INPUT_FORMAT, INPUT_TOKEN,
# INPUT_SKIP_LABEL, INPUT_COMMENT, INPUT_ARGS, INPUT_WORKING_DIRECTORY, INPUT_SETUP_ONLY,
# INPUT_AUTHOR, INPUT_COMMITTER, INPUT_TITLE, INPUT_BODY, INPUT_ASSIGNEES, INPUT_DELETE_BRANCH,
# and the runner's GITHUB_* variables. Outputs: findings, breaking, skipped, exit-code, report,
# pull-request-url, pull-request-number, pull-request-operation, pull-request-head-sha,
# pull-request-branch, matrix, comment-url.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"

if truthy "${INPUT_SETUP_ONLY:-false}"; then
    command -v protosync >/dev/null 2>&1 || die "protosync is not on PATH (the install step puts it there)"
    echo "setup-only: $(protosync --version) is on PATH ($(command -v protosync)); nothing run"
    exit 0
fi

command="${INPUT_COMMAND:-check}"
case "$command" in
    check | breaking | sync | fanout) ;;
    *) die "command must be check, breaking, sync or fanout, not \"$command\"" ;;
esac
command -v jq >/dev/null 2>&1 || die "jq is not installed (GitHub-hosted runners have it; install it on self-hosted ones)"
command -v protosync >/dev/null 2>&1 || die "protosync is not on PATH (the install step puts it there)"
if [ -n "${INPUT_WORKING_DIRECTORY:-}" ]; then
    cd "$INPUT_WORKING_DIRECTORY" || die "working-directory $INPUT_WORKING_DIRECTORY does not exist"
fi
# protosync reads the token from GITHUB_TOKEN (pull requests, comments, git over https on GitHub).
if [ -n "${INPUT_TOKEN:-}" ]; then
    export GITHUB_TOKEN="$INPUT_TOKEN"
fi
# Who commits (sync, fanout): protosync reads "Name <email>" from these.
if [ -n "${INPUT_AUTHOR:-}" ]; then
    export PROTOSYNC_GIT_AUTHOR="$INPUT_AUTHOR"
fi
if [ -n "${INPUT_COMMITTER:-}" ]; then
    export PROTOSYNC_GIT_COMMITTER="$INPUT_COMMITTER"
fi

out="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/protosync.XXXXXX")"

# Pass-through arguments, split as a shell would (quotes respected, nothing expanded).
extra=()
if [[ "${INPUT_ARGS:-}" =~ [^[:space:]] ]]; then
    printf '%s' "$INPUT_ARGS" | xargs printf '%s\0' >"$out/args" ||
        die "args: cannot split \"$INPUT_ARGS\" into arguments (unbalanced quotes?)"
    while IFS= read -r -d '' a; do extra+=("$a"); done <"$out/args"
fi
has_arg() {
    local a
    for a in ${extra[@]+"${extra[@]}"}; do
        case "$a" in "$1" | "$1"=*) return 0 ;; esac
    done
    return 1
}

# The pull request, its base branch and its labels, from the webhook event.
pr_number="$(event .pull_request.number)"
base_ref="$(event .pull_request.base.ref)"
[ -n "$base_ref" ] || base_ref="${GITHUB_BASE_REF:-}"
labels="$(event '[.pull_request.labels[]?.name] | join("\n")')"
skip_label="${INPUT_SKIP_LABEL-protosync skip breaking}"
has_skip_label=false
if [ -n "$skip_label" ] && [ -n "$labels" ]; then
    want="$(printf '%s' "$skip_label" | tr '[:upper:]' '[:lower:]')"
    while IFS= read -r l; do
        if [ "$(printf '%s' "$l" | tr '[:upper:]' '[:lower:]')" = "$want" ]; then
            has_skip_label=true
        fi
    done <<<"$labels"
fi
# Who applied the skip label: the event says when this run is the label's own `labeled`
# event (its sender); other events (a push to the pull request) do not carry it.
skip_applier=""
if $has_skip_label && [ "$(event .action)" = labeled ] &&
    [ "$(event .label.name | tr '[:upper:]' '[:lower:]')" = "$want" ]; then
    skip_applier="$(event .sender.login)"
fi

in_git=false
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    in_git=true
    cdup="$(git rev-parse --show-cdup)"
fi

# `<path to the top>/.git#SELECTOR[,subdir=SUB]`: a revision of this repository, as input spec.
git_spec() {
    local spec="${cdup}.git#$1"
    if [ -n "${2:-}" ]; then
        spec="$spec,subdir=$2"
    fi
    printf '%s' "$spec"
}

# DIR's path from the repository's top (no trailing slash; empty for the top itself).
repo_subdir() {
    local p
    p="$(git -C "$1" rev-parse --show-prefix 2>/dev/null)" || return 1
    printf '%s' "${p%/}"
}

shallow_args() {
    if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
        printf '%s\n' --depth=1
    fi
}

# Makes sure branch $1 can be read (a local branch or origin/$1), fetching it if not.
ensure_branch() {
    if git show-ref --verify --quiet "refs/heads/$1" || git show-ref --verify --quiet "refs/remotes/origin/$1"; then
        return 0
    fi
    echo "fetching the base branch $1 (this checkout does not have it)"
    local depth
    depth="$(shallow_args)"
    # shellcheck disable=SC2086 # $depth is empty or one word
    git fetch --no-tags $depth origin "+refs/heads/$1:refs/remotes/origin/$1" ||
        die "cannot fetch the base branch $1 from origin: check out with fetch-depth: 0, or fetch it before this step"
}

# Makes sure commit $1 is here, fetching it if not.
ensure_commit() {
    if git cat-file -e "$1^{commit}" 2>/dev/null; then
        return 0
    fi
    echo "fetching $1 (this checkout does not have it)"
    local depth
    depth="$(shallow_args)"
    # shellcheck disable=SC2086
    git fetch --no-tags $depth origin "$1" ||
        die "cannot fetch commit $1 from origin: check out with fetch-depth: 0, or set against"
}

# The annotations as protosync printed them: its paths are as reached from the working
# directory. GitHub resolves `file=` from the top of the checkout, so with a working-directory
# below it the only change is that directory in front. With $1 = true, errors become warnings
# (the skip label is on).
soften_annotations() {
    local soften="$1" top="" here="" offset="" line raw
    top="$(git rev-parse --show-toplevel 2>/dev/null || true)"
    [ -n "${GITHUB_WORKSPACE:-}" ] && top="$(cd "$GITHUB_WORKSPACE" && pwd -P)"
    here="$(pwd -P)"
    if [ -n "$top" ] && [[ "$here" == "$top"/* ]]; then
        offset="${here#"$top"/}/"
    fi
    while IFS= read -r line || [ -n "$line" ]; do
        if [ "$soften" = true ]; then
            line="${line/#::error /::warning }"
        fi
        if [ -n "$offset" ] && [[ "$line" =~ ^::(error|warning|notice)\ ([^:]*,)?file=([^,:/][^,:]*) ]]; then
            raw="${BASH_REMATCH[3]}"
            line="${line/"file=$raw"/"file=$(gh_escape_prop "$offset")$raw"}"
        fi
        printf '%s\n' "$line"
    done
}

# Markdown-escapes text for a table cell.
jq_md='def md: tostring | gsub("&"; "&amp;") | gsub("<"; "&lt;") | gsub(">"; "&gt;") | gsub("\\|"; "\\|") | gsub("\r?\n"; "<br>");'

finish() {
    gh_output exit-code "$1"
    exit "$1"
}

# Assigns pull request $1 (web URL $3: .../OWNER/REPO/pull/N) to the comma- or
# newline-separated logins $2 through GitHub's REST API, with the token; a failure is a warning:
# the pull request stands.
assign() {
    local logins api repo
    if ! [[ "$3" =~ /([^/]+)/([^/]+)/pull/[0-9]+$ ]]; then
        warning "assignees: cannot tell the repository of $3; pull request #$1 not assigned"
        return 0
    fi
    repo="${BASH_REMATCH[1]}/${BASH_REMATCH[2]}"
    logins="$(printf '%s' "$2" | tr ',\n' '  ' | xargs -n1 printf '%s\n' | sed 's/^@//' | jq -R . | jq -cs '{assignees: .}')"
    api="${GITHUB_API_URL:-https://api.github.com}"
    if [ -z "${GITHUB_TOKEN:-}" ]; then
        warning "assignees: needs a token; pull request #$1 not assigned"
        return 0
    fi
    if curl -sS --fail-with-body -X POST -o "$out/assign.json" \
        -H "Authorization: Bearer $GITHUB_TOKEN" -H "Accept: application/vnd.github+json" \
        -H "Content-Type: application/json" -H "X-GitHub-Api-Version: 2022-11-28" \
        --data "$logins" "$api/repos/$repo/issues/$1/assignees" 2>"$out/assign.err"; then
        echo "pull request #$1 assigned to $(jq -r '[.assignees[]?.login] | join(", ")' "$out/assign.json")"
    else
        warning "could not assign pull request #$1: $(jq -r '.message // empty' "$out/assign.json" 2>/dev/null) $(tr '\n' ' ' <"$out/assign.err")"
    fi
}

# --------------------------------------------------------------------------------------------
# sync and fanout: one run, JSON.

if [ "$command" = sync ] || [ "$command" = fanout ]; then
    fmt="${INPUT_FORMAT:-json}"
    case "$command/$fmt" in
        sync/json | fanout/json | fanout/github-matrix) ;;
        *) die "format $fmt: the action runs $command with json$([ "$command" = fanout ] && echo ' or github-matrix')" ;;
    esac
    publish=()
    if [ "$command" = sync ]; then
        [ -n "${INPUT_TITLE:-}" ] && publish+=(--title "$INPUT_TITLE")
        [ -n "${INPUT_BODY:-}" ] && publish+=(--body "$INPUT_BODY")
        truthy "${INPUT_DELETE_BRANCH:-false}" && publish+=(--delete-branch)
    elif [ -n "${INPUT_TITLE:-}${INPUT_BODY:-}${INPUT_ASSIGNEES:-}" ] || truthy "${INPUT_DELETE_BRANCH:-false}"; then
        warning "title, body, assignees and delete-branch apply to sync; fanout ignores them"
    fi
    report="$out/report.json"
    protosync "$command" --format "$fmt" ${publish[@]+"${publish[@]}"} ${extra[@]+"${extra[@]}"} >"$report"
    rc=$?
    gh_output report "$report"
    if [ "$fmt" = github-matrix ]; then
        [ "$rc" = 0 ] || finish "$rc"
        matrix="$(tr -d '\n' <"$report")"
        gh_output matrix "$matrix"
        count="$(jq '.include | length' "$report")"
        echo "$count affected services: $matrix"
        printf '### protosync fanout\n\n%s services would change: %s\n' "$count" \
            "$(jq -r '[.include[] | "`\(.service)`"] | join(", ") | if . == "" then "none" else . end' "$report")" | gh_summary
        finish 0
    fi
    if ! jq -e . "$report" >/dev/null 2>&1; then
        error "protosync $command failed (exit $rc); see the log"
        finish "$rc"
    fi
    echo "::group::protosync $command --format json"
    cat "$report"
    echo "::endgroup::"
    if [ "$command" = sync ]; then
        url="$(jq -r '.publish.pull_request.url // empty' "$report")"
        number="$(jq -r '.publish.pull_request.number // empty' "$report")"
        findings="$(jq -r '.breaking.summary.findings // 0' "$report")"
        gh_output pull-request-url "$url"
        gh_output pull-request-number "$number"
        # As peter-evans/create-pull-request names them.
        gh_output pull-request-operation "$(jq -r '
            if .publish.pull_request == null then "none"
            else {"created": "created", "updated": "updated", "closed": "closed"}[.publish.outcome] // "none" end' "$report")"
        gh_output pull-request-branch "$(jq -r '.publish.branch // empty' "$report")"
        gh_output pull-request-head-sha "$(jq -r 'if .publish.branch_deleted then empty else .publish.commit // empty end' "$report")"
        if [ -n "${INPUT_ASSIGNEES:-}" ] && [ -n "$number" ]; then
            assign "$number" "$INPUT_ASSIGNEES" "$url"
        fi
        gh_output findings "$findings"
        gh_output breaking "$([ "$findings" -gt 0 ] && echo true || echo false)"
        jq -r '"sync: \(.outcome), \(.changes | length) files changed\(if .publish.pull_request then ", pull request \(.publish.outcome): \(.publish.pull_request.url)" else "" end)"' "$report"
        jq -r "$jq_md"'
            "### protosync sync\n",
            "**\(.outcome | gsub("_"; " "))**: contract `\(.contract.repo | md)` (`\(.contract.ref | md)`)"
              + (if .contract.commit then " at `\(.contract.commit[0:7])`" else "" end)
              + (if .contract.locked_commit then ", was `\(.contract.locked_commit[0:7])`" else "" end) + ".\n",
            (if .publish.pull_request then "Pull request [#\(.publish.pull_request.number)](\(.publish.pull_request.url)): \(.publish.outcome).\n" else empty end),
            (if (.changes | length) > 0 then
                "| File | Change | + | − |\n| --- | --- | --- | --- |",
                (.changes[] | "| `\(.path | md)` | \(.action) | \(.added_lines) | \(.removed_lines) |"),
                ""
             else "No vendored file changes.\n" end),
            (if (.breaking.findings | length) > 0 then
                "**\(.breaking.findings | length) breaking changes** for this copy:\n",
                "| Location | Rule | Message |\n| --- | --- | --- |",
                (.breaking.findings[] | "| `\(.path // "<input>" | md)\(if .start_line then ":\(.start_line):\(.start_column)" else "" end)` | `\(.rule)` | \(.message | md) |"),
                ""
             else empty end)' "$report" | gh_summary
    else
        jq -r '.services[] | select(.verdict == "failed") | "::error title=protosync fanout: \(.name)::\(.detail | gsub("%"; "%25") | gsub("\r"; "%0D") | gsub("\n"; "%0A"))"' "$report"
        jq -r '.services[] | select(.verdict == "skipped") | "::warning title=protosync fanout: \(.name)::\(.detail | gsub("%"; "%25") | gsub("\r"; "%0D") | gsub("\n"; "%0A"))"' "$report"
        jq -r '.summary | "\(.services) services: \(.created) created, \(.updated) updated, \(.unchanged) unchanged, \(.closed) closed, \(.skipped) skipped, \(.failed) failed"' "$report"
        jq -r "$jq_md"'
            "### protosync fanout\n",
            (.summary | "\(.services) services: \(.created) created, \(.updated) updated, \(.unchanged) unchanged, \(.closed) closed, \(.skipped) skipped, \(.failed) failed.\n"),
            (if (.services | length) > 0 then
                "| Service | Outcome | Pull request | Detail |\n| --- | --- | --- | --- |",
                (.services[] | "| `\(.name | md)` | \(.verdict) | \(if .pull_request then "[link](\(.pull_request))" else "" end) | \(.detail | md) |")
             else empty end)' "$report" | gh_summary
    fi
    finish "$rc"
fi

# --------------------------------------------------------------------------------------------
# check and breaking.

fmt="${INPUT_FORMAT:-github}"
case "$fmt" in
    text | json | github | sarif | junit | gitlab | markdown) ;;
    *) die "format $fmt: $command prints text, json, github, sarif, junit, gitlab or markdown" ;;
esac
input="${INPUT_INPUT:-.}"
against="${INPUT_AGAINST:-}"
if has_arg --against; then
    against=""
elif [ -z "$against" ]; then
    # The subdirectory the compared tree sits in: check's configuration directory, or
    # breaking's input directory.
    sub=""
    if $in_git; then
        if [ "$command" = breaking ] && [ -d "$input" ]; then
            sub="$(repo_subdir "$input")"
        elif [ "$command" = check ]; then
            sub="$(repo_subdir .)"
        fi
    fi
    before="$(event .before)"
    if [ -n "$base_ref" ] && $in_git; then
        ensure_branch "$base_ref"
        against="$(git_spec "branch=$base_ref" "$sub")"
    elif [ "${GITHUB_EVENT_NAME:-}" = push ] && [ -n "$before" ] && [[ ! "$before" =~ ^0+$ ]] && $in_git; then
        ensure_commit "$before"
        against="$(git_spec "commit=$before" "$sub")"
    elif [ "$command" = breaking ]; then
        die "breaking needs something to compare with: set against (outside pull_request and push events there is no default)"
    fi
fi
[ -n "$against" ] && echo "against: $against"

args=("$command")
[ "$command" = breaking ] && args+=("$input")
[ -n "$against" ] && args+=(--against "$against")
args+=(${extra[@]+"${extra[@]}"})
ext="$fmt"
case "$fmt" in text | github) ext=txt ;; markdown) ext=md ;; junit) ext=xml ;; gitlab) ext=json ;; esac
report="$out/report.$ext"
echo "protosync ${args[*]} --format $fmt"
# The action writes the job summary itself (below): protosync must not append one too.
GITHUB_STEP_SUMMARY="" protosync "${args[@]}" --format "$fmt" >"$report"
rc=$?
gh_output report "$report"
if [ "$rc" -ge 2 ]; then
    cat "$report"
    error "protosync $command failed (exit $rc); see the log above"
    printf '### protosync %s\n\nprotosync failed (exit %s): see the job log.\n' "$command" "$rc" | gh_summary
    finish "$rc"
fi

# Secondary runs (json for the counts, markdown for the summary) reuse the main one when it
# printed that format already; their warnings were shown once.
rerun() {
    if [ "$fmt" = "$1" ]; then
        cp "$report" "$2"
        return 0
    fi
    protosync "${args[@]}" --format "$1" >"$2" 2>"$out/stderr"
    local code=$?
    if [ "$code" -ge 2 ]; then
        cat "$out/stderr" >&2
        error "protosync ${args[*]} --format $1 failed (exit $code)"
        finish "$code"
    fi
}
rerun json "$out/report.json"
if [ "$command" = check ]; then
    drift="$(jq '.drift | length' "$out/report.json")"
    breaking="$(jq '.breaking.summary.findings // 0' "$out/report.json")"
    behind_fails="$(jq '.fail_behind and ((.behind.files // []) | length > 0)' "$out/report.json")"
else
    drift=0
    breaking="$(jq '.summary.findings' "$out/report.json")"
    behind_fails=false
fi
findings=$((drift + breaking))
gh_output findings "$findings"
gh_output breaking "$([ "$breaking" -gt 0 ] && echo true || echo false)"

# The skip label forgives breaking findings only: drift and --fail-behind still fail.
skipped=false
if [ "$rc" = 1 ] && $has_skip_label && [ "$breaking" -gt 0 ] && [ "$drift" = 0 ] && [ "$behind_fails" = false ]; then
    skipped=true
fi
gh_output skipped "$skipped"

if [ "$fmt" = github ]; then
    soften_annotations "$skipped" <"$report"
else
    cat "$report"
fi

rerun markdown "$out/report.md"
note=""
if $skipped; then
    note="> [!NOTE]
> $breaking breaking change(s) found, not failing this job: the pull request has the label \`$skip_label\`."
    if [ -n "$skip_applier" ]; then
        note="$note
> The label was applied by @$skip_applier."
    fi
fi
{
    cat "$out/report.md"
    [ -n "$note" ] && printf '\n%s\n' "$note"
    printf '\n'
} | gh_summary

if truthy "${INPUT_COMMENT:-false}"; then
    if [ -z "$pr_number" ]; then
        notice "comment: this run is not for a pull request (event ${GITHUB_EVENT_NAME:-none}); no comment posted"
    else
        # One comment per command and directory, so that a check and a breaking step (or two
        # services of a monorepo) keep their own.
        where="$(repo_subdir . 2>/dev/null || true)"
        id="$command${where:+:$where}"
        id="$(printf '%s' "$id" | sed -e 's/--*/-/g' -e 's/[<>]//g')"
        marker="<!-- protosync:comment:$id -->"
        {
            cat "$out/report.md"
            [ -n "$note" ] && printf '\n%s\n' "$note"
            if [ -n "${GITHUB_RUN_ID:-}" ] && [ -n "${GITHUB_REPOSITORY:-}" ]; then
                printf '\n<sub>%s · [workflow run](%s/%s/actions/runs/%s)</sub>\n' \
                    "$(protosync --version)" "${GITHUB_SERVER_URL:-https://github.com}" "$GITHUB_REPOSITORY" "$GITHUB_RUN_ID"
            fi
        } >"$out/comment.md"
        comment_args=(comment --body-file "$out/comment.md" --marker "$marker" --pr "$pr_number")
        if [ "$rc" = 0 ]; then
            # Clean: say so in the comment posted before, post none if there is none.
            comment_args+=(--update-only)
        fi
        if protosync "${comment_args[@]}" >"$out/comment.out" 2>"$out/comment.err"; then
            cat "$out/comment.out"
            url="$(sed -n 's/^comment [a-z]*: //p' "$out/comment.out")"
            gh_output comment-url "$url"
        else
            warning "could not post the pull-request comment: $(tr '\n' ' ' <"$out/comment.err")"
        fi
    fi
fi

if $skipped; then
    notice "$breaking breaking change(s) found, not failing: the pull request has the label \"$skip_label\""
    finish 0
fi
finish "$rc"
