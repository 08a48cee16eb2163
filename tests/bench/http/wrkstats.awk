# Reduces one `wrk --latency` report to a line:
#   REQ_PER_SEC P99_MS NON_2XX CONNECT READ WRITE TIMEOUT REQUESTS
# NON_2XX is wrk's "Non-2xx or 3xx responses"; CONNECT..TIMEOUT are its socket errors.
# A field wrk did not print stays at its default (errors 0, others "?").
function ms(v,   n) {
    n = v + 0
    if (v ~ /us$/) return n / 1000
    if (v ~ /ms$/) return n
    if (v ~ /s$/) return n * 1000
    if (v ~ /m$/) return n * 60000
    return n
}
BEGIN { rps = "?"; p99 = "?"; non2xx = 0; requests = "?"; split("0 0 0 0", sock, " ") }
$1 == "Requests/sec:" { rps = $2 }
$1 == "99%" { p99 = ms($2) }
$2 == "requests" && $3 == "in" { requests = $1 }
/Non-2xx or 3xx responses:/ { non2xx = $NF }
/Socket errors:/ {
    line = $0
    sub(/.*Socket errors:/, "", line)
    n = split(line, parts, ",")
    for (i = 1; i <= n && i <= 4; i++) { split(parts[i], kv, " "); sock[i] = kv[2] + 0 }
}
END { printf "%s %s %d %d %d %d %d %s\n", rps, p99, non2xx, sock[1], sock[2], sock[3], sock[4], requests }
