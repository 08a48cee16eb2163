# Helpers shared by the benchmark scripts; sourced, not run. They expect `tmp` (a scratch
# folder) and `server_pid` (the server under test, started in its own process group).

say() { printf '%s\n' "$*" >&2; }

# The start every fazt benchmark shares: NAME TOOLS... — checks the tools and the binary
# ($fazt), makes the scratch folder $tmp under $build, and removes it (and stops the server)
# on exit unless BENCH_KEEP=1. Defines die().
bench_setup() {
    bench_name=$1
    shift
    die() { say "$bench_name: $*"; exit 1; }
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "'$tool' is missing; run: bash installers/deps.sh bench"
    done
    [[ -x $fazt ]] || die "$fazt does not exist; build first (make build)."
    tmp=$(mktemp -d "$build/$bench_name.XXXXXX")
    server_pid=""
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

bench_cleanup() {
    stop_server
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "$bench_name: kept $tmp"; else rm -rf "$tmp"; fi
}

stop_server() {
    [[ -n $server_pid ]] || return 0
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
        pgrep -g "$server_pid" >/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

free_port() {
    local port i
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + RANDOM % 12000)) # below the ephemeral range wrk's sockets use
        if [[ -z $(ss -Hltn "sport = :$port") ]]; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

cpu_busy() {
    local a b
    a=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    sleep 1
    b=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; idle = y[2] - x[2]
        printf "%.0f", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0 }'
}

# The machine's CPU counters (/proc/stat's "cpu" line), for steal_share.
cpu_ticks() { awk '$1 == "cpu" { $1 = ""; print }' /proc/stat; }

# BEFORE AFTER (two cpu_ticks) -> the share of time, in %, the hypervisor gave this VM's
# vCPUs to someone else ("steal"). On a shared host it is what makes one round's tail latency
# ten times another's: a vCPU taken away for a few milliseconds stalls every request on it.
steal_share() {
    awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); split(b, y, " "); total = 0
        for (i = 1; i <= n && i <= 8; i++) total += y[i] - x[i]
        printf "%.1f", (total > 0 ? 100 * (y[8] - x[8]) / total : 0) }'
}

median() { # VALUES... ("?" counts as missing)
    printf '%s\n' "$@" | grep -v '^?$' | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "?"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() { # A B -> A/B with two decimals, or "n/a"
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "?" || b == "?" || a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}
