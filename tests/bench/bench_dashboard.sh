#!/usr/bin/env bash
# bench_dashboard.sh BUILD_DIR — the web dashboard's first load in Debian's chromium (time to
# the charts drawn, an empty cache each round): dashboard/firstload.mjs against the real fazt.
# Its p99 under load (GET admin.<domain>/ while wrk -c2000 runs) is in bench_cockpit.
# Knobs: BENCH_DASHBOARD_ROUNDS (10).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
root=$(cd "$here/../.." && pwd)
command -v node >/dev/null || { echo "bench_dashboard: node is missing (installers/deps.sh bench)"; exit 1; }
status=0
FAZT_BIN=$build/server/fazt NODE_PATH=$root/node_modules node "$here/dashboard/firstload.mjs" || status=$?
# 77: chromium or playwright-core missing, said above; not a failure of the benchmark run.
[[ $status == 0 || $status == 77 ]] || exit "$status"
