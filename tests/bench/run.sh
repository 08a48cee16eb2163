#!/usr/bin/env bash
# Runs every benchmark against the build in $1 (default: build). Each prints its own table.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/../.."
cmake --build "$build" --target bench_vfs bench_memory naivestatsserver fazt
"$build/tests/bench/bench_vfs"
bash tests/bench/bench_http.sh "$build"
bash tests/bench/bench_deploy.sh "$build"
bash tests/bench/bench_stats.sh "$build"
bash tests/bench/bench_functions.sh "$build"
bash tests/bench/bench_cockpit.sh "$build"
bash tests/bench/bench_dashboard.sh "$build"
"$build/tests/bench/bench_memory" "$build/server/fazt" 60 16
