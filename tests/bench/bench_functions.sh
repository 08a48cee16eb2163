#!/usr/bin/env bash
# bench_functions.sh BUILD_DIR — what a function costs next to a static file, in the same run.
#
# One `fazt server start` on a fresh database serves a site with hello.json (a static file)
# and api/main.js (the function). wrk -t2 over keep-alive from 127.0.0.1 drives, in turn:
#   static     GET /hello.json             the same JSON bytes from the file cache
#   function   GET /api/hello              a trivial function returning that object
#   kv-read    GET /api/kv                 a function reading one fazt.kv key
# Every scenario runs BENCH_FUNCTIONS_RUNS rounds (interleaved), after a one-second warm-up
# each; figures are medians. "ok/s" counts only 2xx answers: when every JS slot is busy and
# the waiting room is full the server answers 429, and those are shown as a share, not
# counted as served.
#
# Targets (from the issue): the trivial function >= 20 % of static throughput, and its p99
# under 5 ms at 64 connections. A missed target does not fail the script; a server that will
# not start or a function that does not answer does.
#
# Each round also shows the host's steal: the share of time the hypervisor gave this VM's
# vCPUs to other guests. On a shared host the tail latency follows it (a vCPU taken away for
# a few milliseconds stalls every request on it), so the p99 is also given over the quiet
# rounds alone (steal under 2 %), next to the median of all rounds.
#
# Knobs: BENCH_FUNCTIONS_DURATION (seconds per run, 5), BENCH_FUNCTIONS_RUNS (5),
# BENCH_FUNCTIONS_CONNS (64), BENCH_KEEP=1 keeps the scratch folder.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
fazt=$build/server/fazt
duration=${BENCH_FUNCTIONS_DURATION:-5}
runs=${BENCH_FUNCTIONS_RUNS:-5}
conns=${BENCH_FUNCTIONS_CONNS:-64}

source "$here/common.sh"
bench_setup bench_functions wrk curl ss pgrep setsid timeout awk

mkdir -p "$tmp/site/api"
printf '{"hello":"world","n":42}' >"$tmp/site/hello.json"
cat >"$tmp/site/api/main.js" <<'JS'
module.exports = function (request) {
    if (request.path === '/api/hello')
        return { hello: 'world', n: 42 };
    if (request.path === '/api/kv')
        return { value: fazt.kv.get('greeting') };
    if (request.path === '/api/seed') {
        fazt.kv.set('greeting', { hello: 'world', n: 42 });
        return { seeded: true };
    }
    return { status: 404, body: { error: 'no such function' } };
};
JS
cat >"$tmp/site.lua" <<'LUA'
wrk.headers["Host"] = "bench.localhost"
LUA

db=$tmp/fazt.db
port=$(free_port) || die "no free port"
"$fazt" server init --domain localhost --db "$db" >/dev/null 2>&1 || die "server init failed"
token=$("$fazt" server create-token --name bench --scopes admin --db "$db" 2>/dev/null | tail -n 1)
setsid "$fazt" server start --db "$db" --listen 127.0.0.1 --port "$port" --workers 2 \
    >"$tmp/server.log" 2>&1 </dev/null &
server_pid=$!
for ((i = 0; i < 300; i++)); do
    kill -0 "$server_pid" 2>/dev/null || die "fazt exited while starting: $(tail -n 5 "$tmp/server.log")"
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/health" 2>/dev/null && break
    sleep 0.1
done
"$fazt" deploy "$tmp/site" --site bench --server "http://127.0.0.1:$port" --token "$token" \
    >/dev/null 2>&1 || die "deploy failed"
curl -fsS -o /dev/null -H 'Host: bench.localhost' "http://127.0.0.1:$port/api/seed" ||
    die "the function does not answer"
for path in hello.json api/hello api/kv; do
    curl -fsS -o /dev/null -H 'Host: bench.localhost' "http://127.0.0.1:$port/$path" ||
        die "/$path does not answer"
    # Warm the file cache and every JS thread's engine (each compiles the site on its first
    # request; one client at a time would reach only one thread): measured is the steady state.
    wrk -t2 -c"$conns" -d1s -s "$tmp/site.lua" "http://127.0.0.1:$port/$path" >/dev/null 2>&1 || true
done
slots=$(curl -fsS -H 'Host: admin.localhost' -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/api/system/metrics" |
    sed -n 's/.*"functions":{[^}]*"slots":\([0-9]*\).*/\1/p')

declare -A rps_runs ok_runs p99_runs refused_runs steal_runs quiet_p99_runs
quiet_steal=2 # % of host steal under which a round counts as quiet
# run NAME PATH ROUND
run() {
    local name=$1 path=$2 round=$3 raw=$tmp/wrk.$1.$3
    local -a f
    local before steal
    before=$(cpu_ticks)
    timeout -k 5 $((duration + 30)) wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$tmp/site.lua" \
        "http://127.0.0.1:$port/$path" >"$raw" 2>&1 || say "  wrk exited with an error"
    steal=$(steal_share "$before" "$(cpu_ticks)")
    read -r -a f <<<"$(awk -f "$here/http/wrkstats.awk" "$raw")"
    local ok refused
    ok=$(awk -v r="${f[0]}" -v n="${f[7]}" -v e="${f[2]}" 'BEGIN { if (n == "?" || n == 0) print "?"; else printf "%.0f", r * (n - e) / n }')
    refused=$(awk -v n="${f[7]}" -v e="${f[2]}" 'BEGIN { if (n == "?" || n == 0) print "?"; else printf "%.1f", 100 * e / n }')
    rps_runs[$name]+=" ${f[0]}"
    ok_runs[$name]+=" $ok"
    p99_runs[$name]+=" ${f[1]}"
    refused_runs[$name]+=" $refused"
    steal_runs[$name]+=" $steal"
    if awk -v s="$steal" -v q="$quiet_steal" 'BEGIN { exit !(s < q) }'; then
        quiet_p99_runs[$name]+=" ${f[1]}"
    fi
    say "  round $round, $name: ${f[0]} req/s, $ok ok/s, p99 ${f[1]} ms, non-2xx $refused %, socket errors $((f[3] + f[4] + f[5] + f[6])), host steal $steal %"
}

say "bench_functions: $runs rounds of ${duration}s, $conns connections, $slots JS slots, machine busy $(cpu_busy)% before start"
for ((round = 1; round <= runs; round++)); do
    run static hello.json "$round"
    run function api/hello "$round"
    run kv-read api/kv "$round"
done
rss=$(awk '/VmHWM/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || echo "?")

declare -A ok p99
printf '\nFunctions (median of %d rounds, %ss each, %d connections, wrk -t2, 2 fazt workers, %s JS slots)\n' \
    "$runs" "$duration" "$conns" "$slots"
printf '  %-10s %12s %12s %10s %10s %8s %14s\n' scenario "req/s" "ok/s" "p99 ms" "non-2xx %" \
    "steal %" "quiet p99 ms"
for name in static function kv-read; do
    # shellcheck disable=SC2086
    ok[$name]=$(median ${ok_runs[$name]})
    # shellcheck disable=SC2086
    p99[$name]=$(median ${p99_runs[$name]})
    # shellcheck disable=SC2086
    # shellcheck disable=SC2086
    printf '  %-10s %12s %12s %10s %10s %8s %14s\n' "$name" "$(median ${rps_runs[$name]})" "${ok[$name]}" \
        "${p99[$name]}" "$(median ${refused_runs[$name]})" "$(median ${steal_runs[$name]})" \
        "$(median ${quiet_p99_runs[$name]:-?})"
done
# shellcheck disable=SC2086
quiet_function=$(median ${quiet_p99_runs[function]:-?})
# shellcheck disable=SC2086
quiet_rounds=$(set -- ${quiet_p99_runs[function]:-}; echo $#)
function_vs_static=$(ratio "${ok[function]}" "${ok[static]}")
kv_vs_static=$(ratio "${ok[kv-read]}" "${ok[static]}")
printf '\n  trivial function / static (ok/s): %s (target >= 0.20: %s)\n' "$function_vs_static" \
    "$(awk -v r="$function_vs_static" 'BEGIN { print (r != "n/a" && r >= 0.2) ? "met" : "MISSED" }')"
printf '  kv-read function / static (ok/s): %s\n' "$kv_vs_static"
printf '  trivial function p99: %s ms (target < 5 ms: %s)\n' "${p99[function]}" \
    "$(awk -v p="${p99[function]}" 'BEGIN { print (p != "?" && p < 5) ? "met" : "MISSED" }')"
# Steal is time the host took from this VM; a round with much of it measures the neighbours.
printf '  trivial function p99 in the %d of %d rounds with host steal < %d %%: %s ms (target < 5 ms: %s)\n' \
    "$quiet_rounds" "$runs" "$quiet_steal" "$quiet_function" \
    "$(awk -v p="$quiet_function" 'BEGIN { print (p != "?" && p < 5) ? "met" : (p == "?" ? "no quiet round" : "MISSED") }')"
printf '  server peak RSS: %s KiB\n' "$rss"
