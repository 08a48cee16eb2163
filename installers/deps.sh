#!/usr/bin/env bash
# Installs what Fazt needs on Debian 12 (bookworm). Idempotent: installs only what is missing,
# runs `apt-get update` at most once per call, and does nothing when everything is present.
#
#   installers/deps.sh            build dependencies (what `make` and `make run` need)
#   installers/deps.sh package    + what `make package` needs (CPack's dpkg-shlibdeps)
#   installers/deps.sh test       + what `make test` needs
#   installers/deps.sh bench      + what `make bench` needs (nginx, Caddy, wrk)
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
)
package=(dpkg-dev file)
# systemd: systemd-analyze verify and systemd-socket-activate; debootstrap: the clean Debian 12
# the packages are installed into (tests/integration/tst_install.cpp)
# wrk: the load under which a restart must refuse nothing (tests/integration/tst_systemd.cpp)
test=(sqlite3 curl procps clang libclang-rt-dev qml6-module-qttest xvfb xauth pebble
  "${package[@]}" systemd debootstrap wrk)
bench=(nginx-light caddy wrk python3)

wanted=("${build[@]}")
for group in "$@"; do
  case "$group" in
    build) ;;
    package) wanted+=("${package[@]}") ;;
    test) wanted+=("${test[@]}") ;;
    bench) wanted+=("${test[@]}" "${bench[@]}") ;;
    *) echo "deps.sh: unknown group '$group' (use: build, package, test, bench)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "deps.sh: missing packages: ${missing[*]}; run as root or install them." >&2; exit 1
  fi
else
  SUDO=
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
