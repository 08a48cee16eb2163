#!/usr/bin/env bash
# Installs what Fazt needs on Debian 12 (bookworm). Idempotent: installs only what is missing,
# runs `apt-get update` at most once per call, and does nothing when everything is present.
#
#   installers/deps.sh            build dependencies (what `make` and `make run` need)
#   installers/deps.sh package    + what `make package` needs (CPack's dpkg-shlibdeps)
#   installers/deps.sh test       + what `make test` needs
#   installers/deps.sh bench      + what `make bench` needs (nginx, Caddy, wrk)
#
# Then the npm packages, pinned by package-lock.json (npm ci, again only when the lockfile
# changed): uPlot, bundled into the admin dashboard at build time, and for test and bench
# playwright-core, which drives Debian's chromium in tests/web.
set -euo pipefail

build=(
  build-essential cmake ninja-build pkg-config
  qt6-base-dev qt6-base-dev-tools qt6-declarative-dev
  libsqlite3-dev libarchive-dev libssl-dev libargon2-dev zlib1g-dev libsystemd-dev rapidjson-dev
  # function workers: the seccomp filter, and fazt.fetch (made by the server, pinned to checked addresses)
  libseccomp-dev libcurl4-openssl-dev
  # the Fazt Console (desktop/, qml/): Qt Quick, Qt Charts, QtKeychain and the QML modules it loads
  qt6-declarative-dev qt6-declarative-dev-tools qt6-charts-dev qtkeychain-qt6-dev
  qml6-module-qtqml qml6-module-qtqml-models qml6-module-qtqml-workerscript
  qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-templates
  qml6-module-qtquick-layouts qml6-module-qtquick-window qml6-module-qtquick-dialogs
  qml6-module-qt-labs-settings qml6-module-qtcharts qml6-module-qt-labs-folderlistmodel
  qml6-module-qtquick-shapes
  # the admin dashboard's npm packages (uPlot), installed with npm ci
  nodejs
)
package=(dpkg-dev file)
# systemd: systemd-analyze verify and systemd-socket-activate; debootstrap: the clean Debian 12
# the packages are installed into (tests/integration/tst_install.cpp)
# wrk: the load under which a restart must refuse nothing (tests/integration/tst_systemd.cpp)
test=(sqlite3 curl procps clang libclang-rt-dev qml6-module-qttest xvfb xauth pebble
  "${package[@]}" systemd debootstrap wrk
  # the dashboard's end-to-end tests (tests/web): playwright-core drives Debian's chromium
  chromium)
bench=(nginx-light caddy wrk python3)

wanted=("${build[@]}")
npm_dev=no
for group in "$@"; do
  case "$group" in
    build) ;;
    package) wanted+=("${package[@]}") ;;
    test) wanted+=("${test[@]}"); npm_dev=yes ;;
    bench) wanted+=("${test[@]}" "${bench[@]}"); npm_dev=yes ;;
    *) echo "deps.sh: unknown group '$group' (use: build, package, test, bench)" >&2; exit 2 ;;
  esac
done

npm_packages() {
  cd "$(dirname "$0")/.."
  command -v npm >/dev/null || apt_install npm
  local lock stamp=node_modules/.fazt-deps
  lock=$(sha256sum package-lock.json | cut -d' ' -f1)
  # A stamp "LOCKHASH dev" (devDependencies too) also serves a build; "LOCKHASH prod" does
  # not serve the tests.
  if [[ -f $stamp ]]; then
    read -r have mode < "$stamp" || true
    [[ "$have" == "$lock" && ( "$mode" == dev || $npm_dev == no ) ]] && return 0
  fi
  echo "deps.sh: npm ci (package-lock.json)"
  if [[ $npm_dev == yes ]]; then
    npm ci --no-audit --no-fund --loglevel=error
    echo "$lock dev" > "$stamp"
  else
    npm ci --omit=dev --no-audit --no-fund --loglevel=error
    echo "$lock prod" > "$stamp"
  fi
}

SUDO=
apt_updated=no
apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
      echo "deps.sh: missing packages: $*; run as root or install them." >&2; exit 1
    fi
  fi
  echo "deps.sh: installing $*"
  export DEBIAN_FRONTEND=noninteractive
  if [[ $apt_updated == no ]]; then $SUDO apt-get update -qq; apt_updated=yes; fi
  $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] || apt_install "${missing[@]}"
npm_packages
