#!/usr/bin/env bash
# bench_http.sh BUILD_DIR — how fast fazt serves static files next to nginx and Caddy.
#
# One server at a time (the machine's cores are shared with wrk) serves the same two files
# from 127.0.0.1: a 1 KiB index.html, a 100 KiB text file (100k.js) and a 10 MiB binary
# (10m.bin: above fazt's cache threshold, so streamed from SQLite), and wrk -t2 with
# keep-alive measures five scenarios: the small files at 64 and at 2,000 connections, the
# large one at 16. CPU us/req is the server's user+system time over the measured run (all
# its processes) divided by the requests answered. A round
# starts each server in turn and gives every scenario a warm-up that is not counted and one
# measured run; the table shows the median over BENCH_HTTP_RUNS rounds. Rounds, rather than
# all runs of one server back to back, spread a busy spell of a shared machine over every
# server instead of one. Peak RSS is the largest sum of VmRSS over the server's process
# group (nginx: master and workers), sampled every 200 ms during a scenario, over all rounds.
#
# wrk sends no Accept-Encoding, so every server answers with the identity encoding;
# the check before measuring makes sure of it, and that each server sends the right bytes.
#
# The targets (from the issues): fazt >= 1.0x nginx on the 1 KiB file, >= 0.8x nginx on
# 100 KiB and 10 MiB, >= 2x Caddy on the small files, a lower peak RSS than Caddy, and on
# 10 MiB at most 3x nginx's CPU per response. A benchmark is not a test:
# a missed target does not fail the script; a server that cannot start or serves wrong
# bytes does.
#
# Knobs (environment): BENCH_HTTP_DURATION (seconds per run, 4), BENCH_HTTP_RUNS (rounds, 3),
# BENCH_HTTP_WARMUP (seconds, 2), BENCH_HTTP_SERVERS ("fazt nginx caddy"),
# BENCH_HTTP_KEEP=1 keeps the scratch folder (configs, logs, raw wrk output).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
fazt=$build/server/fazt
duration=${BENCH_HTTP_DURATION:-4}
runs=${BENCH_HTTP_RUNS:-3}
warmup=${BENCH_HTTP_WARMUP:-2}
read -r -a servers <<<"${BENCH_HTTP_SERVERS:-fazt nginx caddy}"

scenario_names=("1 KiB, 64 conns" "100 KiB, 64 conns" "1 KiB, 2000 conns" "100 KiB, 2000 conns"
    "10 MiB, 16 conns")
scenario_paths=(index.html 100k.js index.html 100k.js 10m.bin)
scenario_conns=(64 64 2000 2000 16)
# fazt/nginx req/s target per scenario; fazt/Caddy is 2.0 everywhere.
scenario_nginx_target=(1.0 0.8 1.0 0.8 0.8)
caddy_target=2.0

source "$(dirname "$0")/common.sh"
die() { say "bench_http: $*"; exit 1; }

has_server() {
    local s
    for s in "${servers[@]}"; do [[ $s == "$1" ]] && return 0; done
    return 1
}

# --- prerequisites -----------------------------------------------------------------------

for tool in wrk curl ss pgrep setsid timeout awk; do
    command -v "$tool" >/dev/null || die "'$tool' is missing; run: bash installers/deps.sh bench"
done
has_server nginx && { command -v nginx >/dev/null || die "nginx is missing; run: bash installers/deps.sh bench"; }
has_server caddy && { command -v caddy >/dev/null || die "caddy is missing; run: bash installers/deps.sh bench"; }
if has_server fazt; then
    [[ -x $fazt ]] || die "$fazt does not exist; build first (make build)."
    "$fazt" preview --help >/dev/null 2>&1 || die "$fazt has no 'preview' command; rebuild it."
fi

# 2,000 connections need 2,000 descriptors in wrk and as many in the server, which
# inherits this limit.
hard=$(ulimit -Hn)
[[ $hard == unlimited ]] && hard=65536
((hard >= 8192)) || die "the open-files limit is $hard; 2,000 connections need 8192 (raise the hard limit)."
ulimit -n $((hard < 65536 ? hard : 65536))

# --- scratch folder, cleanup -------------------------------------------------------------

tmp=$(mktemp -d "$build/bench-http.XXXXXX")
chmod 755 "$tmp" # nginx workers run as nobody when started by root
root=$tmp/site
mkdir -p "$root" "$tmp/home" "$tmp/fazt-tmp"

server_pid=""
sampler_pid=""

stop_sampler() {
    [[ -n $sampler_pid ]] || return 0
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=""
}

# Servers run in their own session (setsid), so the process group id is the server's pid
# and stopping the group also stops nginx's workers.

cleanup() {
    stop_sampler
    stop_server
    if [[ ${BENCH_HTTP_KEEP:-0} == 1 ]]; then
        say "bench_http: kept $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the files ---------------------------------------------------------------------------

make_files() {
    local head='<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fazt benchmark</title></head>
<body>
<h1>Benchmark page</h1>
<p>'
    local tail='</p>
</body></html>
'
    local filler="Fazt hosts many websites from one executable and one SQLite file. "
    local body=""
    while ((${#body} < 1024)); do body+=$filler; done
    body=${body:0:$((1024 - ${#head} - ${#tail}))}
    printf '%s%s%s' "$head" "$body" "$tail" >"$root/index.html"

    # Random bytes in base64: text like minified code, but not as compressible.
    {
        printf '// fazt benchmark payload\nconst payload = [\n'
        head -c 90000 /dev/urandom | base64 -w 72 | sed 's/.*/  "&",/'
    } >"$root/100k.js"
    truncate -s 102400 "$root/100k.js"
    head -c $((10 << 20)) /dev/urandom >"$root/10m.bin"

    [[ $(stat -c %s "$root/index.html") == 1024 ]] || die "index.html is not 1024 bytes"
    [[ $(stat -c %s "$root/100k.js") == 102400 ]] || die "100k.js is not 102400 bytes"
    chmod 755 "$root"
    chmod 644 "$root"/*
}

# --- starting and checking a server ------------------------------------------------------


fill_template() { # TEMPLATE OUT PORT
    sed -e "s|@TMP@|$tmp|g" -e "s|@ROOT@|$root|g" -e "s|@PORT@|$3|g" "$1" >"$2"
}

start_server() { # NAME PORT
    local name=$1 port=$2 log=$tmp/$1.log
    case $name in
    fazt)
        TMPDIR=$tmp/fazt-tmp HOME=$tmp/home \
            setsid "$fazt" preview "$root" --no-live-reload --listen 127.0.0.1 --port "$port" --workers 2 \
            >"$log" 2>&1 </dev/null &
        ;;
    nginx)
        fill_template "$here/http/nginx.conf.in" "$tmp/nginx.conf" "$port"
        nginx -t -q -e "$tmp/nginx-error.log" -p "$tmp" -c "$tmp/nginx.conf" >"$log" 2>&1 ||
            die "nginx rejects its config: $(cat "$log")"
        setsid nginx -e "$tmp/nginx-error.log" -p "$tmp" -c "$tmp/nginx.conf" >"$log" 2>&1 </dev/null &
        ;;
    caddy)
        fill_template "$here/http/Caddyfile.in" "$tmp/Caddyfile" "$port"
        HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/config XDG_DATA_HOME=$tmp/home/data \
            setsid caddy run --config "$tmp/Caddyfile" --adapter caddyfile >"$log" 2>&1 </dev/null &
        ;;
    *) die "unknown server '$name' (use fazt, nginx, caddy)" ;;
    esac
    server_pid=$!

    local i
    for ((i = 0; i < 300; i++)); do
        kill -0 "$server_pid" 2>/dev/null || die "$name exited while starting:
$(tail -n 20 "$log")"
        curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/index.html" 2>/dev/null && return 0
        sleep 0.1
    done
    die "$name did not answer on port $port within 30 s:
$(tail -n 20 "$log")"
}

# Same bytes, status 200, identity encoding, and a kept-alive connection; prints one line.
check_server() { # NAME PORT
    local name=$1 port=$2 file status type encoding connects summary=""
    for file in index.html 100k.js; do
        status=$(curl -sS --max-time 5 -D "$tmp/headers" -o "$tmp/body" -w '%{http_code}' \
            "http://127.0.0.1:$port/$file") || die "$name: GET /$file failed"
        [[ $status == 200 ]] || die "$name: GET /$file answered $status"
        cmp -s "$tmp/body" "$root/$file" || die "$name: GET /$file sent different bytes"
        encoding=$(tr -d '\r' <"$tmp/headers" | awk -F': *' 'tolower($1) == "content-encoding" { print $2 }')
        [[ -z $encoding ]] || die "$name: GET /$file is $encoding-encoded without Accept-Encoding"
        type=$(tr -d '\r' <"$tmp/headers" | awk -F': *' 'tolower($1) == "content-type" { print $2 }')
        summary+="/$file $(stat -c %s "$tmp/body") B ${type:-no content-type}; "
    done
    connects=$(curl -sS --max-time 5 -o /dev/null -o /dev/null -w '%{num_connects} ' \
        "http://127.0.0.1:$port/index.html" "http://127.0.0.1:$port/100k.js")
    [[ $connects == "1 0 " ]] && summary+="keep-alive" || summary+="NO keep-alive (connects: $connects)"
    printf '%s' "$summary"
}

# --- measuring ---------------------------------------------------------------------------

group_ticks() { # PID... -> their user+system CPU ticks, summed
    local pid sum=0 t
    for pid in "$@"; do
        t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
        sum=$((sum + t))
    done
    echo "$sum"
}

rss_kib() { # PID... -> sum of VmRSS in KiB
    local pid key value rest sum=0
    for pid in "$@"; do
        [[ -r /proc/$pid/status ]] || continue
        while read -r key value rest; do
            if [[ $key == VmRSS: ]]; then
                sum=$((sum + value))
                break
            fi
        done 2>/dev/null <"/proc/$pid/status" || true
    done
    echo "$sum"
}

sample_rss() { # OUT PID... — keeps the largest sum seen in OUT until killed
    local out=$1 max=0 sum
    shift
    trap 'exit 0' TERM # runs between commands, so never halfway through writing OUT
    while true; do
        sum=$(rss_kib "$@")
        if ((sum > max)); then
            max=$sum
            echo "$max" >"$out"
        fi
        sleep 0.2
    done
}

# Per KEY "server,scenario": the runs' req/s and p99 (space-separated), their error
# counts summed over the runs, and the largest RSS seen.
declare -A rps_runs p99_runs cpu_runs non2xx sockets peak idle checked crashed
socket_kinds=(connect read write timeout)

measure() { # NAME PORT SCENARIO ROUND
    local name=$1 port=$2 i=$3 round=$4
    local url=http://127.0.0.1:$port/${scenario_paths[$i]} conns=${scenario_conns[$i]}
    local key=$name,$i rss_file=$tmp/rss.$name.$i.$round raw=$tmp/wrk.$name.$i.$round k max
    local -a fields

    # shellcheck disable=SC2046 # one pid per word
    sample_rss "$rss_file" $(pgrep -g "$server_pid") &
    sampler_pid=$!
    timeout -k 5 $((warmup + 30)) wrk -t2 -c"$conns" -d"${warmup}s" "$url" >"$raw.warmup" 2>&1 || true
    # shellcheck disable=SC2046 # one pid per word
    local ticks_before ticks_after
    ticks_before=$(group_ticks $(pgrep -g "$server_pid"))
    timeout -k 5 $((duration + 30)) wrk -t2 -c"$conns" -d"${duration}s" --latency "$url" >"$raw" 2>&1 ||
        say "  wrk exited with an error"
    # shellcheck disable=SC2046
    ticks_after=$(group_ticks $(pgrep -g "$server_pid"))
    stop_sampler

    read -r -a fields <<<"$(awk -f "$here/http/wrkstats.awk" "$raw")"
    say "  round $round, $name, ${scenario_names[$i]}: ${fields[0]} req/s, p99 ${fields[1]} ms," \
        "non-2xx ${fields[2]}, socket errors: connect ${fields[3]}, read ${fields[4]}, write ${fields[5]}, timeout ${fields[6]}"
    [[ ${fields[0]} != "?" ]] || sed 's/^/    wrk: /' "$raw" >&2
    rps_runs[$key]+=" ${fields[0]}"
    cpu_runs[$key]+=" $(awk -v t=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" -v n="${fields[7]}" \
        'BEGIN { if (n == "?" || n + 0 == 0) print "?"; else printf "%.1f", t / hz * 1e6 / n }')"
    p99_runs[$key]+=" ${fields[1]}"
    non2xx[$key]=$((${non2xx[$key]:-0} + fields[2]))
    for k in 0 1 2 3; do
        sockets[$key,$k]=$((${sockets[$key,$k]:-0} + fields[k + 3]))
    done
    max=$(cat "$rss_file" 2>/dev/null || echo 0)
    ((max <= ${peak[$key]:-0})) || peak[$key]=$max

    kill -0 "$server_pid" 2>/dev/null || crashed[$name]="in round $round, ${scenario_names[$i]}"
}

bench_server() { # NAME ROUND
    local name=$1 round=$2 port i summary
    [[ -z ${crashed[$name]:-} ]] || return 0
    port=$(free_port) || die "no free port found"
    say "bench_http: round $round/$runs, $name on 127.0.0.1:$port"
    start_server "$name" "$port"
    summary=$(check_server "$name" "$port")
    if ((round == 1)); then
        checked[$name]=$summary
        say "  $summary"
        # shellcheck disable=SC2046 # one pid per word
        idle[$name]=$(rss_kib $(pgrep -g "$server_pid"))
    fi
    for i in "${!scenario_names[@]}"; do
        measure "$name" "$port" "$i" "$round"
        if [[ -n ${crashed[$name]:-} ]]; then
            say "bench_http: $name died ${crashed[$name]}; its log ends with:"
            tail -n 20 "$tmp/$name.log" >&2
            break
        fi
    done
    stop_server
}

# How busy the machine is without us: percent of CPU time used over one second.

# --- the table ---------------------------------------------------------------------------

declare -A rps p99 cpu sockerr sockdetail

# Medians over the rounds, and the socket errors as a total and as "read 65, timeout 3".
summarize() {
    local s i k key
    for s in "${servers[@]}"; do
        for i in "${!scenario_names[@]}"; do
            key=$s,$i
            [[ -n ${rps_runs[$key]:-} ]] || continue
            # shellcheck disable=SC2086 # one value per word
            rps[$key]=$(median ${rps_runs[$key]})
            # shellcheck disable=SC2086
            cpu[$key]=$(median ${cpu_runs[$key]})
            # shellcheck disable=SC2086
            p99[$key]=$(median ${p99_runs[$key]})
            sockerr[$key]=0
            sockdetail[$key]=""
            for k in 0 1 2 3; do
                sockerr[$key]=$((sockerr[$key] + sockets[$key,$k]))
                ((sockets[$key,$k] == 0)) ||
                    sockdetail[$key]+="${sockdetail[$key]:+, }${socket_kinds[k]} ${sockets[$key,$k]}"
            done
        done
    done
}

mib() { awk -v k="$1" 'BEGIN { if (k == "?") print "?"; else printf "%.1f MiB", k / 1024 }'; }

met_total=0
target_total=0

# One verdict line: LABEL RATIO OP TARGET NOTE — OP is ">=" or "<".
verdict() {
    local label=$1 value=$2 op=$3 target=$4 note=$5 result
    if [[ $value == n/a ]]; then
        printf '  %-19s %-16s %7s  (target %s %.1fx)  not measured\n' "" "$label" "n/a" "$op" "$target"
        return
    fi
    target_total=$((target_total + 1))
    if awk -v v="$value" -v t="$target" -v op="$op" 'BEGIN { exit !(op == ">=" ? v >= t : v < t) }'; then
        result=met
    else
        result=MISSED
    fi
    # Speed bought with failed requests is not a win.
    [[ $note == *"fazt had"* ]] && result=MISSED
    [[ $result == met ]] && met_total=$((met_total + 1))
    printf '  %-19s %-16s %6sx  (target %s %.1fx)  %s%s\n' "" "$label" "$value" "$op" "$target" "$result" "$note"
}

# " (fazt had 3 non-2xx; nginx had socket errors: read 65)" for the servers compared that
# had errors during scenario I, or nothing.
error_note() { # I SERVER...
    local i=$1 s key note=""
    shift
    for s in "$@"; do
        key=$s,$i
        ((${non2xx[$key]:-0} == 0)) || note+="${note:+; }$s had ${non2xx[$key]} non-2xx"
        [[ -z ${sockdetail[$key]:-} ]] || note+="${note:+; }$s had socket errors: ${sockdetail[$key]}"
    done
    [[ -z $note ]] || echo " ($note)"
}

print_table() {
    local i s key
    echo
    echo "HTTP static serving: fazt vs nginx $(nginx -v 2>&1 | sed 's|.*nginx/||') and Caddy $(caddy version | awk '{ print $1 }')"
    echo "  $(nproc) cores shared with wrk -t2; keep-alive; identity encoding (wrk sends no Accept-Encoding);"
    echo "  median of $runs rounds; a round starts each server in turn, alone, and gives every scenario"
    echo "  a ${warmup} s warm-up and one ${duration} s run."
    echo "  peak RSS: largest sum of VmRSS over the server's processes, sampled every 200 ms."
    echo "  CPU busy with other work: ${busy_before}% before the first round, ${busy_after}% after the last."
    if ((busy_before > 10 || busy_after > 10)); then
        echo "  WARNING: the machine was busy with other work; the numbers are noisy (BENCH_HTTP_RUNS=5 helps)."
    fi
    echo
    printf '  %-19s %-8s %10s %9s %11s %8s %9s %11s\n' scenario server "req/s" "p99 ms" "peak RSS" "non-2xx" "sock err" "CPU us/req"
    for i in "${!scenario_names[@]}"; do
        printf '  %s\n' "$(printf '%.0s-' {1..80})"
        local first=1
        for s in "${servers[@]}"; do
            key=$s,$i
            printf '  %-19s %-8s %10s %9s %11s %8s %9s %11s\n' \
                "$( ((first)) && echo "${scenario_names[$i]}")" "$s" \
                "$(awk -v v="${rps[$key]:-?}" 'BEGIN { if (v == "?") print "?"; else printf "%.0f", v }')" \
                "$(awk -v v="${p99[$key]:-?}" 'BEGIN { if (v == "?") print "?"; else printf "%.2f", v }')" \
                "$(mib "${peak[$key]:-?}")" "${non2xx[$key]:-?}" "${sockerr[$key]:-?}" "${cpu[$key]:-?}"
            first=0
        done
        verdict "req/s fazt/nginx" "$(ratio "${rps[fazt,$i]:-?}" "${rps[nginx,$i]:-?}")" ">=" \
            "${scenario_nginx_target[$i]}" "$(error_note "$i" fazt nginx)"
        if [[ ${scenario_paths[$i]} == 10m.bin ]]; then
            verdict "CPU fazt/nginx" "$(ratio "${cpu[fazt,$i]:-?}" "${cpu[nginx,$i]:-?}")" "<" 3.0 ""
        else
            verdict "req/s fazt/Caddy" "$(ratio "${rps[fazt,$i]:-?}" "${rps[caddy,$i]:-?}")" ">=" \
                "$caddy_target" "$(error_note "$i" fazt caddy)"
        fi
        verdict "RSS fazt/Caddy" "$(ratio "${peak[fazt,$i]:-?}" "${peak[caddy,$i]:-?}")" "<" 1.0 ""
    done
    printf '  %s\n' "$(printf '%.0s-' {1..80})"
    echo
    for s in "${servers[@]}"; do
        printf '  %-6s idle RSS %s; %s%s\n' "$s" "$(mib "${idle[$s]:-?}")" "${checked[$s]:-not checked}" \
            "${crashed[$s]:+; CRASHED ${crashed[$s]}}"
    done
    echo
    echo "  targets met: $met_total of $target_total"
}

# --- run ---------------------------------------------------------------------------------

make_files
busy_before=$(cpu_busy)
for ((round = 1; round <= runs; round++)); do
    for s in "${servers[@]}"; do
        bench_server "$s" "$round"
    done
done
if has_server nginx && [[ -s $tmp/nginx-error.log ]]; then
    say "bench_http: nginx's error log:"
    tail -n 20 "$tmp/nginx-error.log" >&2
fi
busy_after=$(cpu_busy)
summarize
print_table
