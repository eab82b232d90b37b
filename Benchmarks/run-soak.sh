#!/usr/bin/env bash
# The soak (`make soak`): SESSIONS DTLS sessions (default 1,000), each a device reporting one sealed
# reading a second, as a sleepy node does, for SOAK_SECONDS (default 600) against the Gateway library
# (ingest-bench: every reading committed to SQLite, encrypted at rest, before its 2.01).
# Reports what was acknowledged and what was stored (an acknowledged reading never missing),
# latency p50/p99, and the gateway's RSS when every session is open and at the end; writes
# Benchmarks/out/soak.md. Exits non-zero when a reading was refused or an acknowledged one is
# missing. Everything binds to 127.0.0.1; the processes it starts are stopped by PID.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SESSIONS=${SESSIONS:-1000}
SECONDS_=${SOAK_SECONDS:-600}   # not SECONDS: bash keeps its own
WARMUP=${WARMUP:-30}
PAUSE_MS=${PAUSE_MS:-1000}
SWIFT=${SWIFT:-swift}
KEY=soak-key-$RANDOM$RANDOM
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
log() { echo "soak: $*" >&2; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

cd "$ROOT"
log "building ingest-bench (release) and coap-load ..."
$SWIFT build -c release --product ingest-bench >&2
BIN=$($SWIFT build -c release --show-bin-path)
gcc -O2 -Wall -o Benchmarks/coap-load Benchmarks/coap-load.c $(pkg-config --cflags --libs libcoap-3-openssl)
ulimit -n $((SESSIONS + 1024))

# Enough sealed readings per device for the whole run, and a few over.
MESSAGES=$(( (WARMUP + SECONDS_) * 1000 / PAUSE_MS + 30 ))
log "sealing $MESSAGES readings for each of $SESSIONS devices ..."
timeout -s TERM $((SECONDS_ + WARMUP + 900)) "$BIN/ingest-bench" "$WORK/data" "$WORK/payloads" \
    --devices "$SESSIONS" --messages "$MESSAGES" --device-psk "$KEY" > "$WORK/gateway.out" 2> "$WORK/gateway.err" &
GATEWAY_TIMEOUT=$!
PIDS+=("$GATEWAY_TIMEOUT")
for _ in $(seq 1 6000); do
    grep -q '^dtls on ' "$WORK/gateway.out" 2>/dev/null && break
    kill -0 "$GATEWAY_TIMEOUT" 2>/dev/null || { cat "$WORK/gateway.err" >&2; exit 1; }
    sleep 0.1
done
DTLS_PORT=$(awk '/^dtls on / { print $3 }' "$WORK/gateway.out")
[[ -n $DTLS_PORT ]] || { log "the gateway did not start"; cat "$WORK/gateway.err" >&2; exit 1; }
GATEWAY=$(pgrep -P "$GATEWAY_TIMEOUT" | head -1)   # ingest-bench itself, under timeout

log "$SESSIONS sessions, one reading each every ${PAUSE_MS} ms, ${WARMUP} s to open them, then ${SECONDS_} s measured ..."
timeout -s TERM $((SECONDS_ + WARMUP + 300)) Benchmarks/coap-load -s "$SESSIONS" -I "$PAUSE_MS" -w "$WARMUP" -d "$SECONDS_" \
    -m 1000000 -P "$GATEWAY" -i 'bench-%d' -K "$KEY" -f "$WORK/payloads" 127.0.0.1 "$DTLS_PORT" readings \
    > "$WORK/load.out" 2> "$WORK/load.err" &
LOAD=$!
PIDS+=("$LOAD")
sleep "$WARMUP"
RSS_START=$(rss_kb "$GATEWAY")
RSS_PEAK=$RSS_START
while kill -0 "$LOAD" 2>/dev/null; do
    r=$(rss_kb "$GATEWAY" 2>/dev/null || echo 0)
    (( r > RSS_PEAK )) && RSS_PEAK=$r
    (( r > 0 )) && RSS_END=$r
    sleep 5
done
wait "$LOAD" || { log "coap-load failed"; cat "$WORK/load.err" >&2; }
kill -TERM "$GATEWAY"
wait "$GATEWAY_TIMEOUT" || true
cat "$WORK/load.err" >&2

field() { grep -o "$1=[0-9.]*" "$WORK/load.out" | head -1 | cut -d= -f2; }
OK=$(field ok_total); ERRORS=$(field errors_total); P50=$(field p50_us); P99=$(field p99_us); RPS=$(field rps)
SRV_CPU=$(field srv_cpu_pct)
STORED=$(grep -o 'stored=[0-9]*' "$WORK/gateway.out" | cut -d= -f2)
MISSING=$(( OK > STORED ? OK - STORED : 0 ))
mkdir -p Benchmarks/out
cat > Benchmarks/out/soak.md <<MD
| sessions | measured | readings/s | acknowledged (whole run) | refused or given up | stored | acknowledged, not stored | p50 | p99 | gateway CPU | RSS, all open → end (peak) |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
| $SESSIONS | ${SECONDS_} s | $RPS | $OK | $ERRORS | $STORED | $MISSING | $(awk "BEGIN { printf \"%.1f ms\", $P50 / 1000 }") | $(awk "BEGIN { printf \"%.1f ms\", $P99 / 1000 }") | ${SRV_CPU}% of a core | $(awk "BEGIN { printf \"%.1f → %.1f MB (%.1f)\", $RSS_START / 1024, $RSS_END / 1024, $RSS_PEAK / 1024 }") |
MD
cat Benchmarks/out/soak.md
(( ERRORS == 0 && MISSING == 0 ))
