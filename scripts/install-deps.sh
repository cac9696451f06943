#!/usr/bin/env bash
# Installs what building Takt needs on Debian/Ubuntu; with --test also what testing it needs.
# Idempotent: only what is missing gets installed.
#
#   scripts/install-deps.sh          system libraries for Tauri, Rust, Node.js, ui/node_modules
#   scripts/install-deps.sh --test   + Xvfb, WebKitWebDriver, tauri-driver, Mosquitto, ImageMagick,
#                                      pysparkplug (Sparkplug B interop test) in a venv in the user cache
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() {
    printf '\nERROR: %s\n' "$*" >&2
    exit 1
}

with_test=false
for arg in "$@"; do
    case "$arg" in
    --test) with_test=true ;;
    -h | --help)
        sed -n '2,7p' "$0"
        exit 0
        ;;
    *) die "unknown argument: $arg (usage: $0 [--test])" ;;
    esac
done

# Root installs directly; anyone else goes through sudo.
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "not root and no sudo: run this as root"
    SUDO=(sudo)
fi

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$cargo_bin:$PATH"

# --- System packages --------------------------------------------------------------------------
# fonts-dejavu-core: the TrueType font PNG and PDF reports are drawn with (found at run time, not bundled).
packages=(libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
    libayatana-appindicator3-dev librsvg2-dev pkg-config fonts-dejavu-core)
if $with_test; then
    packages+=(webkit2gtk-driver xvfb xauth mosquitto mosquitto-clients imagemagick python3 python3-venv)
fi
if ! command -v node >/dev/null; then
    packages+=(nodejs npm)
fi

step "Checking system packages (${#packages[@]})"
missing=()
for pkg in "${packages[@]}"; do
    # "install ok installed" only: a removed package can leave a config-files entry behind.
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    note "all installed"
else
    note "missing: ${missing[*]}"
    step "apt-get update"
    "${SUDO[@]}" apt-get update
    step "apt-get install ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

# --- Rust -------------------------------------------------------------------------------------
step "Checking Rust"
if ! command -v cargo >/dev/null; then
    note "cargo not found: installing Rust with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
        sh -s -- -y --profile minimal --component rustfmt --component clippy
fi
note "$(cargo --version)"
if $with_test && command -v rustup >/dev/null; then
    for component in rustfmt clippy; do
        if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
            step "rustup component add $component"
            rustup component add "$component"
        fi
    done
fi

# --- Node.js ----------------------------------------------------------------------------------
step "Checking Node.js (20 or newer)"
command -v node >/dev/null || die "node is still missing after installing nodejs"
command -v npm >/dev/null || die "npm is missing: install the npm package"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
note "node $(node --version), npm $(npm --version)"
if [ "$node_major" -lt 20 ]; then
    printf '\nWARNING: Node.js %s is too old: the UI needs Node.js 20 or newer (e.g. from NodeSource).\n' \
        "$(node --version)" >&2
fi

# --- UI dependencies --------------------------------------------------------------------------
step "Checking ui/node_modules"
# npm keeps a copy of the lock file it installed from in node_modules/.package-lock.json.
if [ -f ui/node_modules/.package-lock.json ] && [ ui/node_modules/.package-lock.json -nt ui/package-lock.json ]; then
    note "up to date with ui/package-lock.json"
else
    step "npm ci --prefix ui"
    npm ci --prefix ui
fi

# --- Test tools -------------------------------------------------------------------------------
if $with_test; then
    step "Checking tauri-driver"
    if command -v tauri-driver >/dev/null; then
        note "$(command -v tauri-driver)"
    else
        step "cargo install tauri-driver --locked --version ^2 (a few minutes)"
        cargo install tauri-driver --locked --version '^2'
    fi
    command -v WebKitWebDriver >/dev/null || die "WebKitWebDriver missing: install webkit2gtk-driver"
    command -v Xvfb >/dev/null || die "Xvfb missing: install xvfb"

    # An independent Sparkplug B implementation for tests/sparkplug_interop.rs, which looks for
    # it at the same place (and pins the same version).
    step "Checking pysparkplug (Sparkplug B interop peer)"
    spb_venv="${XDG_CACHE_HOME:-$HOME/.cache}/takt/sparkplug-venv"
    if "$spb_venv/bin/python" -c 'import pysparkplug' 2>/dev/null; then
        note "$spb_venv"
    else
        step "python3 -m venv $spb_venv && pip install pysparkplug==0.6.1"
        python3 -m venv "$spb_venv"
        "$spb_venv/bin/python" -m pip install --quiet 'pysparkplug==0.6.1'
    fi
fi

if $with_test; then
    step "Dependencies ready (with test tools)"
else
    step "Dependencies ready"
fi
