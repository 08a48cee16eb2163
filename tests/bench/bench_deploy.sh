#!/usr/bin/env bash
# bench_deploy.sh BUILD_DIR — how fast and how lean fazt takes a deploy, and whether the
# admin API stays quick while the server is busy.
#
# 1. A 5,000-file, 100 MiB site (tests/bench/deploy/make_site.py: deterministic HTML, CSS and
#    JS of 1-30 KiB, and 60 incompressible images of 100 KiB-2 MiB), packed once as .tar.gz,
#    is POSTed to /api/sites/NAME/deploys with curl; the time is until the 201. Peer: `tar -xzf`
#    of the same archive into a fresh folder (no fsync, no hashing, no database). Each of
#    BENCH_DEPLOY_RUNS runs gets a fresh copy of the database: blobs are content-addressed, so
#    a second deploy of the same bytes into the same database would store almost nothing.
#    Next to it: `fazt deploy FOLDER` of the same site (packing, uploading, following the job),
#    into a fresh database too. Target: at most 1.5x the time of curl with the ready archive.
# 2. One file of BENCH_DEPLOY_BIG_MIB (1023: the upload limit is 1 GiB including the archive's
#    own bytes, so a file of exactly 1 GiB cannot be deployed) of incompressible bytes in a
#    plain .tar. The server's RSS growth (peak VmRSS, sampled every 100 ms, minus the RSS
#    before) must stay within the upload RAM buffer plus a few MiB; FAZT_TEMP_DIR must
#    be empty once the deploy answered. Peer: `tar -xf` of the same archive.
# 3. Latency of GET /api/sites, one request after the other on one keep-alive connection
#    (curl with BENCH_DEPLOY_BATCH URLs per command), alone, while wrk -t1 -c64 saturates a
#    user site, and while a BENCH_DEPLOY_LOAD_MIB deploy is uploaded and stored. Target:
#    p99 under 20 ms.
#
# Peak RSS of the server: the largest VmRSS sample and the kernel's VmHWM (reset when the
# server is ready, so it covers the deploy only); of tar: the kernel's peak of its largest
# process. A benchmark is not a test: a missed target does not fail the script; a deploy
# that fails or a server that cannot start does.
#
# Needs python3 (the site generator) and about 7 GB free in BUILD_DIR (archives, databases,
# the spilled upload, tar's output; all in one scratch folder, so fazt and tar write to the same
# filesystem); takes about 1.5 minutes. Every measurement starts after a sync, so write-back
# of the previous one does not land in it.
#
# Knobs (environment): BENCH_DEPLOY_RUNS (3), BENCH_DEPLOY_BIG_MIB (1023),
# BENCH_DEPLOY_LOAD_MIB (300), BENCH_DEPLOY_WRK_SECONDS (20), BENCH_DEPLOY_BATCH (200),
# BENCH_DEPLOY_SCRATCH (the folder to make the scratch folder in; BUILD_DIR),
# BENCH_DEPLOY_KEEP=1 keeps the scratch folder (archives, databases, logs, samples),
# BENCH_DEPLOY_SITE_ONLY=1 runs part 1 only (the 5,000-file site: curl, fazt deploy DIR, tar).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
fazt=$build/server/fazt
runs=${BENCH_DEPLOY_RUNS:-3}
big_mib=${BENCH_DEPLOY_BIG_MIB:-1023}
load_mib=${BENCH_DEPLOY_LOAD_MIB:-300}
wrk_seconds=${BENCH_DEPLOY_WRK_SECONDS:-20}
batch=${BENCH_DEPLOY_BATCH:-200}
site_only=${BENCH_DEPLOY_SITE_ONLY:-0}
site_files=5000
site_mib=100
# The upload RAM buffer `server start` takes on this machine (Capacity: 10 % of the budget, at most 64 MiB).
upload_ram_mib=$("$fazt" probe --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["limits"]["uploadRamBytes"] >> 20)')
rss_slack_mib=8   # "a few MiB" on top of the upload buffer
latency_target_ms=20

source "$(dirname "$0")/common.sh"
die() {
    say "bench_deploy: $*"
    exit 1
}

# --- prerequisites -----------------------------------------------------------------------

for tool in curl wrk python3 openssl tar gzip setsid ss awk; do
    command -v "$tool" >/dev/null || die "'$tool' is missing; run: bash installers/deps.sh bench (python3: apt-get install python3)"
done
[[ -x $fazt ]] || die "$fazt does not exist; build first (make build)."
[[ -n ${EPOCHREALTIME:-} ]] || die "bash 5 is needed (EPOCHREALTIME)."
scratch_parent=$(cd "${BENCH_DEPLOY_SCRATCH:-$build}" && pwd)
free_kib=$(df -Pk "$scratch_parent" | awk 'NR == 2 { print $4 }')
((free_kib > 7 * 1024 * 1024)) || die "$scratch_parent has $((free_kib >> 20)) GiB free; this benchmark needs about 7."

# --- scratch folder, cleanup -------------------------------------------------------------

tmp=$(mktemp -d "$scratch_parent/bench-deploy.XXXXXX")
uploads=$tmp/uploads # FAZT_TEMP_DIR
mkdir -p "$uploads"

server_pid=""
sampler_pid=""
background_pids=()

# The sampler stops at its next round when told by a file, never halfway through a line
# (and without a signal trap: bash can misparse a trap that fires inside a $(...)).
stop_sampler() {
    [[ -n $sampler_pid ]] || return 0
    touch "$tmp/stop-sampler"
    wait "$sampler_pid" 2>/dev/null || true
    rm -f "$tmp/stop-sampler"
    sampler_pid=""
}

# The server runs in its own session (setsid): its pid is its process group.

cleanup() {
    local pid
    for pid in "${background_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    stop_sampler
    stop_server
    if [[ ${BENCH_DEPLOY_KEEP:-0} == 1 ]]; then
        say "bench_deploy: kept $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers -----------------------------------------------------------------------------

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

status_kib() { # PID FIELD -> the field of /proc/PID/status in KiB (0 when gone)
    local key value rest
    while read -r key value rest; do
        if [[ $key == "$2:" ]]; then
            echo "$value"
            return 0
        fi
    done 2>/dev/null <"/proc/$1/status" || true
    echo 0
}

micros() { echo "${EPOCHREALTIME/./}"; }

# Every 100 ms one line "MS_SINCE_START VMRSS_KIB RSSANON_KIB BYTES_OF_SPILLED_UPLOADS" to OUT.
sample() { # OUT PID
    local out=$1 pid=$2 start bytes
    local -a spilled
    start=$(micros)
    while [[ ! -e $tmp/stop-sampler ]] && kill -0 "$pid" 2>/dev/null; do
        bytes=0
        spilled=("$uploads"/fazt-upload-*)
        [[ ! -e ${spilled[0]} ]] || bytes=$(stat -c %s "${spilled[@]}" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
        printf '%d %s %s %s\n' $((($(micros) - start) / 1000)) "$(status_kib "$pid" VmRSS)" \
            "$(status_kib "$pid" RssAnon)" "$bytes" >>"$out"
        sleep 0.1
    done
}

# VmHWM := VmRSS, so that VmHWM afterwards covers the deploy only.
reset_hwm() { echo 5 2>/dev/null >"/proc/$server_pid/clear_refs" || say "  (cannot reset VmHWM: it covers the start too)"; }

start_sampler() { # OUT
    : >"$1"
    sample "$1" "$server_pid" &
    sampler_pid=$!
}

# The largest VmRSS sample and the RssAnon of that sample.
peak_sample() { awk 'BEGIN { m = 0; a = 0 } $2 > m { m = $2; a = $3 } END { print m, a }' "$1"; }


admin() { # PATH [curl args...] — an admin API request
    local path=$1
    shift
    curl -sS --max-time 600 -H "Host: admin.localhost" -H "Authorization: Bearer $token" "$@" \
        "http://127.0.0.1:$port$path"
}

start_server() { # DB LOG
    local db=$1 log=$2 i
    port=$(free_port) || die "no free port found"
    # FAZT_SESSION_NICE=0: the server leads its session here (setsid) but does not favour it
    # (as under systemd it would): the client and the tar/cat peers run on equal terms with it.
    FAZT_SESSION_NICE=0 FAZT_TEMP_DIR=$uploads setsid "$fazt" server start --db "$db" --port "$port" --listen 127.0.0.1 \
        >"$log" 2>&1 </dev/null &
    server_pid=$!
    for ((i = 0; i < 300; i++)); do
        kill -0 "$server_pid" 2>/dev/null || die "fazt exited while starting:
$(tail -n 20 "$log")"
        [[ $(admin /api/sites -o /dev/null -w '%{http_code}' 2>/dev/null) == 200 ]] && return 0
        sleep 0.1
    done
    die "fazt did not answer on port $port within 30 s:
$(tail -n 20 "$log")"
}

fresh_database() { # OUT — a copy of the template (the init process has exited: no WAL left)
    rm -f "$1" "$1-wal" "$1-shm"
    cp "$tmp/template.db" "$1"
    [[ ! -e $tmp/template.db-wal ]] || cp "$tmp/template.db-wal" "$1-wal"
}

# POSTs ARCHIVE as a new deploy of SITE; prints "SECONDS HTTP_CODE" and leaves the body in OUT.
deploy() { # ARCHIVE SITE TYPE OUT
    admin "/api/sites/$2/deploys" -X POST -H "Content-Type: $3" -T "$1" -o "$4" \
        -w '%{time_total} %{http_code}' || true
}

json_number() { # FILE KEY
    sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"
}

median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }


# --- the inputs --------------------------------------------------------------------------

make_inputs() {
    local t0 summary
    if [[ $site_only == 1 ]]; then
        say "bench_deploy: generating the ${site_files}-file site"
    else
        say "bench_deploy: generating the ${site_files}-file site, two ${big_mib} MiB and one ${load_mib} MiB archives"
    fi
    t0=$(now)
    read -r -a summary <<<"$(python3 "$here/deploy/make_site.py" "$tmp/site" "$site_files" "$site_mib")"
    site_count=${summary[0]}
    site_bytes=${summary[1]}
    tar --sort=name --owner=0 --group=0 --numeric-owner -cf - -C "$tmp/site" . | gzip -6n >"$tmp/site.tar.gz"

    # Incompressible and deterministic: AES-CTR of zeros, a different key per archive.
    local name mib
    if [[ $site_only == 1 ]]; then
        say "  took $(elapsed "$t0" "$(now)") s; site.tar.gz $(stat -c %s "$tmp/site.tar.gz") B"
        return 0
    fi
    for name in big big2 load; do
        mib=$big_mib
        [[ $name == load ]] && mib=$load_mib
        mkdir -p "$tmp/$name"
        { openssl enc -aes-128-ctr -nosalt -pbkdf2 -iter 1 -pass "pass:fazt-bench-$name" </dev/zero 2>/dev/null ||
            true; } | head -c $((mib << 20)) >"$tmp/$name/$name.bin" # openssl ends on SIGPIPE
        tar --owner=0 --group=0 --numeric-owner -cf "$tmp/$name.tar" -C "$tmp/$name" "$name.bin"
        rm -rf "${tmp:?}/$name"
    done
    say "  took $(elapsed "$t0" "$(now)") s; site.tar.gz $(stat -c %s "$tmp/site.tar.gz") B," \
        "big.tar and big2.tar $(stat -c %s "$tmp/big.tar") B, load.tar $(stat -c %s "$tmp/load.tar") B"

    # A small site for wrk to hammer in part 3.
    mkdir -p "$tmp/www"
    {
        printf '<!doctype html><html><head><title>fazt</title></head><body><p>'
        printf 'Fazt hosts many sites. %.0s' {1..40}
        printf '</p></body></html>\n'
    } >"$tmp/www/index.html"
    tar -czf "$tmp/www.tar.gz" -C "$tmp/www" index.html
}

make_template() {
    printf 'bench-deploy-password\n' >"$tmp/password"
    "$fazt" server init --domain example.com --db "$tmp/template.db" --password-file "$tmp/password" \
        >"$tmp/init.log" 2>&1 || die "fazt server init failed: $(cat "$tmp/init.log")"
    token=$("$fazt" server create-token --name bench --scopes admin --db "$tmp/template.db" 2>>"$tmp/init.log" | tail -n 1)
    [[ $token == fazt_* ]] || die "fazt server create-token printed no token: $(cat "$tmp/init.log")"
}

uploads_left() { find "$uploads" -mindepth 1 | wc -l; }

# --- 1: the 5,000-file site --------------------------------------------------------------

declare -a fazt_s fazt_peak fazt_hwm fazt_before tar_s tar_peak cli_s

bench_site() { # RUN
    local run=$1 db=$tmp/site-$1.db out=$tmp/site-$1.json samples=$tmp/site-$1.rss result files
    fresh_database "$db"
    start_server "$db" "$tmp/server-site-$run.log"
    fazt_before[run]=$(status_kib "$server_pid" VmRSS)
    sync
    reset_hwm
    start_sampler "$samples"
    read -r -a result <<<"$(deploy "$tmp/site.tar.gz" "site$run" application/gzip "$out")"
    stop_sampler
    fazt_hwm[run]=$(status_kib "$server_pid" VmHWM)
    [[ ${result[1]:-} == 201 ]] || die "deploy $run answered ${result[1]:-nothing}: $(cat "$out")"
    files=$(json_number "$out" fileCount)
    [[ $files == "$site_count" ]] || die "deploy $run stored $files files, not $site_count: $(cat "$out")"
    fazt_s[run]=${result[0]}
    read -r "fazt_peak[run]" _ <<<"$(peak_sample "$samples")"
    stop_server
    (($(uploads_left) == 0)) || say "  WARNING: FAZT_TEMP_DIR is not empty after deploy $run: $(ls "$uploads")"
    rm -f "$db" "$db-wal" "$db-shm"

    # The same site as a folder, with the CLI (it packs, uploads and follows the deploy).
    fresh_database "$db"
    start_server "$db" "$tmp/server-cli-$run.log"
    sync
    local t0
    t0=$(now)
    "$fazt" deploy "$tmp/site" --site "cli$run" --server "http://127.0.0.1:$port" --token "$token" \
        >"$tmp/cli-$run.out" 2>"$tmp/cli-$run.err" || die "fazt deploy $run failed: $(tail -n 5 "$tmp/cli-$run.err")"
    cli_s[run]=$(elapsed "$t0" "$(now)")
    grep -q "Deployed cli$run: $site_count files" "$tmp/cli-$run.out" || die "fazt deploy $run: $(cat "$tmp/cli-$run.out")"
    stop_server
    rm -f "$db" "$db-wal" "$db-shm"

    rm -rf "$tmp/extract" && mkdir "$tmp/extract" && sync
    read -r -a result <<<"$(python3 "$here/deploy/timed.py" tar -xzf "$tmp/site.tar.gz" -C "$tmp/extract")"
    [[ ${result[2]} == 0 ]] || die "tar -xzf failed"
    files=$(find "$tmp/extract" -type f | wc -l)
    [[ $files == "$site_count" ]] || die "tar -xzf wrote $files files, not $site_count"
    tar_s[run]=${result[0]}
    tar_peak[run]=${result[1]}
    rm -rf "$tmp/extract"
    say "  run $run: fazt $(seconds_list "${fazt_s[run]}") s, fazt deploy DIR ${cli_s[run]} s (RSS before $(mib "${fazt_before[run]}") MiB, peak $(mib "${fazt_peak[run]}"), VmHWM $(mib "${fazt_hwm[run]}")); tar -xzf ${tar_s[run]} s"
}

# --- 2: one big file ---------------------------------------------------------------------

declare -A big_s big_before big_peak big_anon big_hwm big_after big_received big_left big_size

# LABEL: "cold" (the server's first deploy) or "warm" (its second, other bytes).
bench_big() { # LABEL ARCHIVE
    local label=$1 archive=$2 out=$tmp/big-$1.json samples=$tmp/big-$1.rss result left i
    big_size[$label]=$(stat -c %s "$archive")
    sync
    big_before[$label]=$(status_kib "$server_pid" VmRSS)
    reset_hwm
    start_sampler "$samples"
    read -r -a result <<<"$(deploy "$archive" "big-$label" application/x-tar "$out")"
    stop_sampler
    big_hwm[$label]=$(status_kib "$server_pid" VmHWM)
    [[ ${result[1]:-} == 201 ]] || die "the $label big deploy answered ${result[1]:-nothing}: $(cat "$out")"
    left=$(uploads_left)
    big_left[$label]="$left right after the 201"
    if ((left > 0)); then
        for ((i = 0; i < 50 && $(uploads_left) > 0; i++)); do sleep 0.1; done
        big_left[$label]+=", $(uploads_left) $(awk -v i="$i" 'BEGIN { print i / 10 }') s later"
    fi
    big_s[$label]=${result[0]}
    read -r "big_peak[$label]" "big_anon[$label]" <<<"$(peak_sample "$samples")"
    # The body is all received when the spilled upload reaches the archive's size.
    big_received[$label]=$(awk -v s="${big_size[$label]}" '$4 >= s { printf "%.1f", $1 / 1000; exit }
        END { if (NR == 0) print "?" }' "$samples")
    big_received[$label]=${big_received[$label]:-?}
    sleep 0.5
    big_after[$label]=$(status_kib "$server_pid" VmRSS)
    say "  $label: fazt $(seconds_list "${big_s[$label]}") s (body received after ~${big_received[$label]} s)," \
        "RSS $(mib "${big_before[$label]}") -> peak $(mib "${big_peak[$label]}") -> $(mib "${big_after[$label]}") MiB"
}

bench_big_tar() {
    local result
    rm -rf "$tmp/extract" && mkdir "$tmp/extract" && sync
    read -r -a result <<<"$(python3 "$here/deploy/timed.py" tar -xf "$tmp/big.tar" -C "$tmp/extract")"
    [[ ${result[2]} == 0 ]] || die "tar -xf failed"
    big_tar_s=${result[0]}
    big_tar_peak=${result[1]}
    rm -rf "$tmp/extract"
    say "  tar -xf $big_tar_s s"
}

# --- 3: admin latency --------------------------------------------------------------------

# One curl, BATCH requests on one kept-alive connection; lines "HTTP_CODE CONNECTS SECONDS".
admin_batch() { # OUT
    local -a urls=()
    local i
    for ((i = 0; i < batch; i++)); do urls+=(-o /dev/null "http://127.0.0.1:$port/api/sites"); done
    curl -s --max-time 60 -H "Host: admin.localhost" -H "Authorization: Bearer $token" \
        -w '%{http_code} %{num_connects} %{time_total}\n' "${urls[@]}" >>"$1" || true
}

# Batches until PID exits (at least one).
admin_batches_while() { # OUT PID
    admin_batch "$1"
    while kill -0 "$2" 2>/dev/null; do admin_batch "$1"; done
}

declare -A lat_n lat_p50 lat_p99 lat_max lat_bad lat_note

latency_stats() { # KEY FILE
    local -a v
    read -r -a v <<<"$(awk '$1 != 200 { bad++ } $1 == 200 { print $3 * 1000 } END { print "bad", bad + 0 > "/dev/stderr" }' "$2" 2>"$2.bad" |
        sort -g | awk '{ v[NR] = $1 } END {
            if (NR == 0) { print 0, "?", "?", "?"; exit }
            p50 = int(NR * 0.50); if (p50 < NR * 0.50) p50++
            p99 = int(NR * 0.99); if (p99 < NR * 0.99) p99++
            printf "%d %.2f %.2f %.2f\n", NR, v[p50], v[p99], v[NR] }')"
    lat_n[$1]=${v[0]}
    lat_p50[$1]=${v[1]}
    lat_p99[$1]=${v[2]}
    lat_max[$1]=${v[3]}
    lat_bad[$1]=$(awk '{ print $2 }' "$2.bad")
}

bench_latency() {
    local out pid result wrk_out=$tmp/wrk.txt
    read -r -a result <<<"$(deploy "$tmp/www.tar.gz" www application/gzip "$tmp/www.json")"
    [[ ${result[1]:-} == 201 ]] || die "deploying the wrk site answered ${result[1]:-nothing}: $(cat "$tmp/www.json")"
    [[ $(curl -sS -o /dev/null -w '%{http_code}' -H "Host: www.localhost" "http://127.0.0.1:$port/") == 200 ]] ||
        die "the wrk site does not answer 200"

    # Baseline: one warm-up batch, then three.
    admin_batch "$tmp/lat-warmup"
    out=$tmp/lat-idle
    : >"$out"
    admin_batch "$out"
    admin_batch "$out"
    admin_batch "$out"
    latency_stats idle "$out"
    say "  idle: p99 ${lat_p99[idle]} ms"

    # While wrk saturates a user site (from its second second on).
    out=$tmp/lat-wrk
    : >"$out"
    wrk -t1 -c64 -d"${wrk_seconds}s" -H "Host: www.localhost" "http://127.0.0.1:$port/" >"$wrk_out" 2>&1 &
    pid=$!
    background_pids+=("$pid")
    sleep 1
    admin_batches_while "$out" "$pid"
    wait "$pid" || say "  wrk exited with an error: $(cat "$wrk_out")"
    background_pids=()
    latency_stats wrk "$out"
    wrk_rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$wrk_out")
    wrk_non2xx=$(awk '/Non-2xx/ { print $NF }' "$wrk_out")
    lat_note[wrk]="wrk ${wrk_rps:-?} req/s, non-2xx ${wrk_non2xx:-0}"
    say "  under wrk: p99 ${lat_p99[wrk]} ms (${lat_note[wrk]})"

    # While a large deploy is uploaded and stored.
    out=$tmp/lat-deploy
    : >"$out"
    sync
    deploy "$tmp/load.tar" load application/x-tar "$tmp/load.json" >"$tmp/load.result" &
    pid=$!
    background_pids+=("$pid")
    admin_batches_while "$out" "$pid"
    wait "$pid" || true
    background_pids=()
    read -r -a result <<<"$(cat "$tmp/load.result")"
    [[ ${result[1]:-} == 201 ]] || die "the ${load_mib} MiB deploy answered ${result[1]:-nothing}: $(cat "$tmp/load.json")"
    latency_stats deploy "$out"
    lat_note[deploy]="the deploy took $(printf '%.2f' "${result[0]}") s"
    say "  during a ${load_mib} MiB deploy: p99 ${lat_p99[deploy]} ms (${lat_note[deploy]})"
}

# --- the tables --------------------------------------------------------------------------

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? b / s / 1e6 : 0) }'; }
seconds_list() { printf '%.2f ' "$@" | sed 's/ $//'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
met() { awk -v ok="$1" 'BEGIN { print ok ? "met" : "MISSED" }'; }
rule() { printf '  %s\n' "$(printf '%.0s-' {1..86})"; }

print_tables() {
    local s t fp fh tp
    echo
    echo "Deploys: fazt vs tar (same archive, same run), and admin API latency under load"
    echo "  $(nproc) cores, shared by the server, curl, tar and wrk (nothing is pinned); 127.0.0.1 only."
    echo "  CPU busy with other work: ${busy_before}% before, ${busy_after}% after."
    echo "  Scratch folder (fazt's databases and uploads, tar's output): $scratch_parent"
    if ((busy_before > 10 || busy_after > 10)); then
        echo "  WARNING: the machine was busy with other work; the numbers are noisy."
    fi
    echo "  fazt: curl -T ARCHIVE POST /api/sites/NAME/deploys until the 201 (upload, checks, SHA-256,"
    echo "  SQLite writes with fsync at commit); tar: extract to a fresh folder (page cache, no fsync)."
    echo "  peak RSS: fazt = largest VmRSS sample (100 ms) / VmHWM during the deploy; tar = kernel peak of its"
    echo "  largest process (tar or gzip)."

    echo
    echo "1. Site of $site_count files, $(mbps "$site_bytes" 1) MB ($(stat -c %s "$tmp/site.tar.gz" | awk '{ printf "%.1f", $1 / 1e6 }') MB .tar.gz); median of $runs runs, each into a fresh database"
    rule
    printf '  %-14s %9s %9s %9s %13s %13s %s\n' "" "time s" "files/s" "MB/s" "RSS before" "peak RSS MiB" "(VmHWM)"
    rule
    s=$(median "${fazt_s[@]}")
    fp=$(median "${fazt_peak[@]}")
    fh=$(median "${fazt_hwm[@]}")
    printf '  %-14s %9.2f %9s %9s %13s %13s %s\n' "fazt deploy" "$s" "$(rate "$site_count" "$s")" "$(mbps "$site_bytes" "$s")" \
        "$(mib "$(median "${fazt_before[@]}")")" "$(mib "$fp")" "($(mib "$fh"))"
    t=$(median "${tar_s[@]}")
    tp=$(median "${tar_peak[@]}")
    printf '  %-14s %9.2f %9s %9s %13s %13s\n' "tar -xzf" "$t" "$(rate "$site_count" "$t")" "$(mbps "$site_bytes" "$t")" "-" "$(mib "$tp")"
    rule
    printf '  %-14s %9s   (fazt time / tar time; runs: fazt %s s, tar %s s)\n' "ratio" "$(ratio "$s" "$t")x" \
        "$(seconds_list "${fazt_s[@]}")" "$(seconds_list "${tar_s[@]}")"
    local c
    c=$(median "${cli_s[@]}")
    printf '  %-14s %9.2f %9s %9s   (the folder: packs, uploads, follows the job; runs: %s s)\n' "fazt deploy DIR" "$c" \
        "$(rate "$site_count" "$c")" "$(mbps "$site_bytes" "$c")" "$(seconds_list "${cli_s[@]}")"
    printf '  %-14s %9s   (fazt deploy DIR / curl of the ready archive; target <= 1.5x: %s)\n' "ratio" "$(ratio "$c" "$s")x" \
        "$(met "$(awk -v c="$c" -v s="$s" 'BEGIN { print (c <= 1.5 * s) }')")"

    [[ $site_only == 1 ]] && return 0
    echo
    echo "2. One file of $big_mib MiB (incompressible, plain .tar of $(awk -v b="${big_size[cold]}" 'BEGIN { printf "%.1f", b / 1e6 }') MB), one run each:"
    echo "   cold = the first deploy of a freshly started server, warm = its second (other bytes)"
    rule
    printf '  %-14s %8s %7s %9s %8s %8s %8s %7s %9s\n' "" "time s" "MB/s" "received" "RSS bef" "peak" "(anon)" "VmHWM" "RSS after"
    rule
    local label
    for label in cold warm; do
        printf '  %-14s %8.2f %7s %8ss %8s %8s %8s %7s %9s\n' "fazt $label" "${big_s[$label]}" \
            "$(mbps "${big_size[$label]}" "${big_s[$label]}")" "${big_received[$label]}" "$(mib "${big_before[$label]}")" \
            "$(mib "${big_peak[$label]}")" "($(mib "${big_anon[$label]}"))" "$(mib "${big_hwm[$label]}")" "$(mib "${big_after[$label]}")"
    done
    printf '  %-14s %8.2f %7s %9s %8s %8s %8s %7s %9s\n' "tar -xf" "$big_tar_s" "$(mbps "${big_size[cold]}" "$big_tar_s")" "-" "-" \
        "$(mib "$big_tar_peak")" "" "" ""
    rule
    printf '  ratio fazt/tar time: cold %sx, warm %sx. "received": when the whole body was in FAZT_TEMP_DIR.\n' \
        "$(ratio "${big_s[cold]}" "$big_tar_s")" "$(ratio "${big_s[warm]}" "$big_tar_s")"
    local limit=$(((upload_ram_mib + rss_slack_mib) * 1024)) growth hwm_growth
    echo "  RSS growth during the deploy (peak sample - RSS before; VmHWM - RSS before),"
    echo "  target <= $upload_ram_mib MiB upload buffer + $rss_slack_mib MiB:"
    for label in cold warm; do
        growth=$((big_peak[$label] - big_before[$label]))
        hwm_growth=$((big_hwm[$label] - big_before[$label]))
        printf '    %-5s %6s MiB sampled, %6s MiB by VmHWM: %s\n' "$label" "$(mib "$growth")" "$(mib "$hwm_growth")" \
            "$(met "$((growth <= limit && hwm_growth <= limit))")"
    done
    printf '  FAZT_TEMP_DIR entries: cold %s; warm %s; at the end %s: %s\n' "${big_left[cold]}" "${big_left[warm]}" \
        "$(uploads_left)" "$(met "$(($(uploads_left) == 0))")"
    echo
    echo "3. GET /api/sites latency, sequential requests on one keep-alive connection ($batch per curl)"
    rule
    printf '  %-34s %8s %8s %8s %8s %7s  %s\n' "while" "requests" "p50 ms" "p99 ms" "max ms" "non-200" "p99 < ${latency_target_ms} ms"
    rule
    local key label
    for key in idle wrk deploy; do
        case $key in
        idle) label="nothing else (baseline)" ;;
        wrk) label="wrk -t1 -c64 on a user site" ;;
        deploy) label="a ${load_mib} MiB deploy" ;;
        esac
        printf '  %-34s %8s %8s %8s %8s %7s  %s\n' "$label" "${lat_n[$key]}" "${lat_p50[$key]}" "${lat_p99[$key]}" \
            "${lat_max[$key]}" "${lat_bad[$key]}" \
            "$(met "$(awk -v p="${lat_p99[$key]}" -v t="$latency_target_ms" 'BEGIN { print (p != "?" && p < t) }')")${lat_note[$key]:+ (${lat_note[$key]})}"
    done
    rule
}

# --- run ---------------------------------------------------------------------------------

make_inputs
make_template
busy_before=$(cpu_busy)

say "bench_deploy: 1. the ${site_files}-file site, $runs runs"
for ((run = 1; run <= runs; run++)); do bench_site "$run"; done

if [[ $site_only != 1 ]]; then
    say "bench_deploy: 2. one ${big_mib} MiB file"
    fresh_database "$tmp/big.db"
    start_server "$tmp/big.db" "$tmp/server-big.log"
    sleep 1 # let the start settle before taking "RSS before"
    bench_big cold "$tmp/big.tar"
    bench_big warm "$tmp/big2.tar"
    bench_big_tar
    rm -f "$tmp/big.tar" "$tmp/big2.tar"

    say "bench_deploy: 3. admin latency (same server)"
    bench_latency
    stop_server
fi
busy_after=$(cpu_busy)
print_tables
