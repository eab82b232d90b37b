#!/usr/bin/env bash
# Memory per idle DTLS session: the gateway (Benchmarks/IngestBench, the Gateway library with a
# PSK device) and libcoap's coap-server-openssl, each holding 1, 1,000 and 5,000 idle DTLS-PSK
# sessions opened by Benchmarks/coap-load -H (one GET each, then idle). Writes
# Benchmarks/out/memory.md and Benchmarks/out/memory.tsv.
#
#   bash Benchmarks/run-memory-bench.sh          (SESSIONS="1 1000 5000" SKIP_BUILD=1)
#
# RSS is read from /proc/PID/status (VmRSS) once every session has its answer. Servers bind
# 127.0.0.1 on free ports, run under `timeout`, and are stopped by PID.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT_DIR=$ROOT/Benchmarks/out
SESSIONS=${SESSIONS:-"1 1000 5000"}
KEY=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "$*" >&2; }

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    swift build -c release --product ingest-bench >&2
    gcc -O2 -Wall -o Benchmarks/coap-load Benchmarks/coap-load.c $(pkg-config --cflags --libs libcoap-3-openssl)
fi
INGEST_BIN=$(swift build -c release --show-bin-path)/ingest-bench
# One socket per client session, plus the server's: raise the soft limit for both.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
need=$(( $(tr ' ' '\n' <<< "$SESSIONS" | sort -n | tail -n1) + 200 ))
(( $(ulimit -n) >= need )) || { log "ulimit -n is $(ulimit -n); $need file descriptors are needed"; exit 1; }

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

SERVER_PID="" DTLS_PORT=""
start_gateway() {
    timeout -s TERM 300 "$INGEST_BIN" "$WORK/data-$1" "$WORK/payloads" --devices 1 --messages 1 --psk "bench:$KEY" \
        > "$WORK/gw.out" 2> "$WORK/gw.err" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 1 500); do
        DTLS_PORT=$(sed -n 's/^dtls on \([0-9]*\)$/\1/p' "$WORK/gw.out")
        [[ -n $DTLS_PORT ]] && break
        sleep 0.02
    done
    [[ -n $DTLS_PORT ]] || { log "ingest-bench did not start: $(cat "$WORK/gw.err")"; exit 1; }
    SERVER_PID=$(pgrep -P "$SERVER_PID" | head -n1 || echo "$SERVER_PID")
}
start_libcoap() {
    local port=$((20000 + RANDOM % 40000))
    timeout -s TERM 300 coap-server-openssl -A 127.0.0.1 -p "$port" -k "$KEY" > /dev/null 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    DTLS_PORT=$((port + 1))
    for _ in $(seq 1 100); do
        coap-client-openssl -B 2 -m get -u bench -k "$KEY" "coaps://127.0.0.1:$DTLS_PORT/" 2>/dev/null | grep -q "test server" && break
        sleep 0.05
    done
    SERVER_PID=$(pgrep -P "$SERVER_PID" | head -n1 || echo "$SERVER_PID")
}

: > "$OUT_DIR/memory.tsv"
mkdir -p "$OUT_DIR"
for server in gateway libcoap; do
    for n in $SESSIONS; do
        if [[ $server == gateway ]]; then start_gateway "$n"; path=/health; else start_libcoap; path=/; fi
        base=$(rss_kb "$SERVER_PID")
        Benchmarks/coap-load -i bench -K "$KEY" -s "$n" -H 4 127.0.0.1 "$DTLS_PORT" "$path" > "$WORK/hold.out" 2> "$WORK/hold.err" &
        load=$!
        for _ in $(seq 1 3000); do grep -q '^ready' "$WORK/hold.err" && break; kill -0 "$load" 2>/dev/null || break; sleep 0.05; done
        grep -q '^ready' "$WORK/hold.err" || { log "coap-load: $(cat "$WORK/hold.err")"; exit 1; }
        sleep 1
        held=$(rss_kb "$SERVER_PID")
        wait "$load" || true
        answered=$(sed -n 's/^ready sessions=\([0-9]*\).*/\1/p' "$WORK/hold.err")
        log "$server $answered of $n sessions: RSS $base kB before, $held kB holding them"
        printf '%s\t%s\t%s\t%s\n' "$server" "$answered" "$base" "$held" >> "$OUT_DIR/memory.tsv"
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        sleep 0.3
    done
done

per_session() {  # per_session SERVER -> kB per session between the smallest and largest count
    awk -F'\t' -v s="$1" '$1 == s { n[++c] = $2; r[c] = $4 } END {
        if (c < 2 || n[c] == n[1]) { print "—"; exit }
        printf "%.1f", (r[c] - r[1]) / (n[c] - n[1]) }' "$OUT_DIR/memory.tsv"
}
{
    echo "## Memory: server RSS holding idle DTLS-PSK sessions"
    echo
    echo "| server | $(for n in $SESSIONS; do printf '%s sessions | ' "$n"; done)kB per session |"
    echo "| --- | $(for _ in $SESSIONS; do printf -- '---: | '; done)---: |"
    for server in gateway libcoap; do
        label=$([[ $server == gateway ]] && echo "Gateway (ingest-bench)" || echo "coap-server-openssl")
        row=$(awk -F'\t' -v s="$server" '$1 == s { printf "%s kB | ", $4 }' "$OUT_DIR/memory.tsv")
        echo "| $label | ${row}$(per_session "$server") |"
    done
    echo
    echo "Each session: a DTLS 1.2 PSK handshake and one GET (/health on the gateway, / on libcoap), then idle; RSS (VmRSS) read once all are answered. kB per session = (RSS at the largest count − RSS at the smallest) / (difference in sessions)."
    echo "Command: \`bash Benchmarks/run-memory-bench.sh\` (SESSIONS=\"$SESSIONS\")."
} | tee "$OUT_DIR/memory.md"
