#!/usr/bin/env bash
# Builds Takt with the UI bundled and starts it. Without a settings file the app runs the
# embedded demo plant (its own MQTT broker and simulator): no network or broker needed.
# Arguments are passed on to the app. Set TAKT_HOME to keep its files somewhere else.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

step "Installing missing dependencies"
scripts/install-deps.sh

step "Building the UI (npm --prefix ui run build)"
npm --prefix ui run build

step "Building the desktop app (cargo build -p takt-desktop --features custom-protocol)"
cargo build -p takt-desktop --features custom-protocol

target="${CARGO_TARGET_DIR:-target}"
app="$target/debug/takt-desktop"
[ -x "$app" ] || {
    echo "ERROR: $app was not built" >&2
    exit 1
}

step "Starting $app $*"
exec "$app" "$@"
