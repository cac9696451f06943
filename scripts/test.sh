#!/usr/bin/env bash
# Everything CI checks, in order, stopping at the first failure; prints step durations at the end.
#
#   deps → rustfmt → UI (svelte-check, vitest, build) → clippy → build → cargo test → e2e
#
# The build step compiles the whole workspace with the UI bundled into the app
# (takt-desktop/custom-protocol); `cargo test` then reuses that compile, and the e2e test
# (tests/e2e) drives the resulting binary through tauri-driver under Xvfb.
# Respects CARGO_TARGET_DIR (default: target). The e2e screenshot ends up in $target/e2e/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

target="${CARGO_TARGET_DIR:-target}"
case "$target" in
/*) ;;
*) target="$PWD/$target" ;;
esac
app="$target/debug/takt-desktop"

# The whole workspace with the UI bundled into the app. takt-e2e is left out of the build and
# `cargo test` steps (same package set = same feature resolution = one compile); it runs last.
cargo_features=(--features takt-desktop/custom-protocol)
workspace=(--workspace --exclude takt-e2e)

step_names=()
step_times=()
step_results=()

summary() {
    printf '\n%-14s %9s  %s\n' "step" "duration" "result"
    printf '%-14s %9s  %s\n' "--------------" "---------" "------"
    local i
    for i in "${!step_names[@]}"; do
        printf '%-14s %8ss  %s\n' "${step_names[$i]}" "${step_times[$i]}" "${step_results[$i]}"
    done
}

# run_step NAME COMMAND...: runs COMMAND, records its duration, stops everything if it fails.
run_step() {
    local name="$1"
    shift
    printf '\n==> [%s] %s\n' "$name" "$*"
    local start=$SECONDS status=0
    "$@" || status=$?
    step_names+=("$name")
    step_times+=($((SECONDS - start)))
    if [ "$status" -ne 0 ]; then
        step_results+=("FAILED (exit $status)")
        summary
        printf '\nFAILED: step "%s" exited with %s:\n    %s\n' "$name" "$status" "$*" >&2
        exit "$status"
    fi
    step_results+=("ok")
}

run_step deps scripts/install-deps.sh --test
run_step fmt cargo fmt --all -- --check
run_step ui-check npm --prefix ui run check
run_step ui-test npm --prefix ui test
run_step ui-build npm --prefix ui run build
run_step clippy cargo clippy --workspace --all-targets "${cargo_features[@]}" -- -D warnings
# `cargo test` alone would not link the app binary (src-tauri has no integration tests):
# build all targets first, with the same packages and features as the test step.
run_step build cargo build "${workspace[@]}" --all-targets "${cargo_features[@]}"
run_step test cargo test "${workspace[@]}" "${cargo_features[@]}"
run_step e2e env TAKT_APP_BINARY="$app" cargo test -p takt-e2e -- --nocapture

summary
printf '\nAll checks passed. E2E screenshot: %s\n' "$target/e2e/overview.png"
