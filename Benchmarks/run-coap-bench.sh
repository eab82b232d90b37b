#!/usr/bin/env bash
# CoAP server benchmark: our CoAPServer (coap-bench-server, a handler that does not suspend)
# against libcoap's coap-server-openssl, loaded by Benchmarks/coap-load (libcoap client API) in
# the same run, alternating servers round by round. Plain CoAP and DTLS-PSK: a config whose
# coap-load arguments hold `-i` runs over DTLS (both servers get the same PSK; coap-load then
# targets their DTLS ports), and with `-N` every request is a new DTLS session (handshake + GET).
# Ingestion rows compare the Gateway (Benchmarks/IngestBench: sealed SenML readings POSTed and
# committed before the 2.01, encrypted at rest) with the same without encryption at rest, with
# coap-server-openssl answering GETs, and the same gateway's own GETs with libcoap's. Prints a
# Markdown table and writes it to Benchmarks/out/coap-bench.md (raw lines in
# Benchmarks/out/coap-bench-raw.txt).
#
#   bash Benchmarks/run-coap-bench.sh
#
# Environment:
#   ROUNDS=5 DURATION=4 WARMUP=1   rounds per configuration; measured and warm-up seconds per run
#   CONFIGS="name:coap-load-args[:A,B];..."  default below. A and B are the two servers compared
#                (default ours,libcoap): ours = coap-bench-server, libcoap = $LIBCOAP_SERVER,
#                aiocoap = aiocoap's server (Benchmarks/aiocoap-bench-server.py, in .venv),
#                ingest = the Gateway ingesting sealed readings (POST /readings, committed
#                before the 2.01, encrypted at rest), ingest-clear = the same with readings
#                stored in clear, ingest-power = the same with --durability power (a flush to
#                the device per commit), gateway-get = the same Gateway answering GET
#                /health (its own handler, ~170 bytes of JSON: no seal, no commit). Any of
#                ours, ingest, ingest-clear, ingest-power and gateway-get with "@base" runs the
#                binary of the same name from BASE_BIN_DIR instead: a build of another commit,
#                compared side by side with this one (e.g. "ours,ours@base").
#   BASE_BIN_DIR the release bin directory of that other build (`swift build -c release
#                --show-bin-path` in its checkout)
#   PIN=0        1: pin the server to CPU 1 and the load generator to CPU 0 (taskset), when there
#                are at least 2 CPUs
#   SKIP_BUILD=1 use the binaries already built
#   NICE=0       priority of the servers and the load generator (e.g. -10 as root; does not help
#                against processes in other cgroups)
#   OTHER_MAX=15 a run during which other processes took more than this % of one CPU (from
#                /proc/stat, minus the server and the load generator) is repeated, up to
#                RETRIES=2 times after a pause; the table reports how many kept runs were noisy
#
# Both servers answer GET / with the same bytes: libcoap's index text (138 bytes, 2.05, Max-Age
# 0x2ffff); see Benchmarks/BenchServer/main.swift. Servers bind 127.0.0.1 only, on free ports,
# each run under `timeout`, and are killed by PID when the run (or this script) ends. Every server
# must exit with status 0 when told to stop (SIGTERM): one that crashes or hangs instead is named
# in the output and makes this script exit 1, after the table is written.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT_DIR=$ROOT/Benchmarks/out
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-4}
WARMUP=${WARMUP:-1}
PIN=${PIN:-0}
REQ_PATH=/
# NON runs keep 128 in flight, not 256: with 256 NON requests in flight the server's UDP receive
# buffer (net.core.rmem_default 212992, about 190 queued datagrams) overflows on loopback for
# either server (UdpRcvbufErrors), and every dropped request parks its slot for the 1 s timeout.
PSK_IDENTITY=bench
PSK_KEY=${PSK_KEY:-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}   # made per run
DTLS_ARGS="-i $PSK_IDENTITY -K $PSK_KEY"   # the gateway's devices: -i bench-%d (one identity per device)
DEFAULT_CONFIGS="CON k=1 s=1:-k 1 -s 1;CON k=1 s=16:-k 1 -s 16;CON k=16 s=16:-k 16 -s 16;NON k=8 s=16:-n -k 8 -s 16"
DEFAULT_CONFIGS+=";CON k=1 s=1 vs aiocoap:-k 1 -s 1:ours,aiocoap;CON k=16 s=16 vs aiocoap:-k 16 -s 16:ours,aiocoap"
DEFAULT_CONFIGS+=";DTLS CON k=1 s=1:-k 1 -s 1 $DTLS_ARGS;DTLS CON k=16 s=16:-k 16 -s 16 $DTLS_ARGS"
DEFAULT_CONFIGS+=";DTLS new session s=1:-N -s 1 $DTLS_ARGS;DTLS new session s=16:-N -s 16 $DTLS_ARGS"
DEFAULT_CONFIGS+=";ingest vs GET k=1 s=1:-k 1 -s 1:ingest,libcoap;ingest vs GET k=4 s=16:-k 4 -s 16:ingest,libcoap"
DEFAULT_CONFIGS+=";ingest vs GET DTLS k=4 s=16:-k 4 -s 16 -i bench-%d -K $PSK_KEY:ingest,libcoap"
DEFAULT_CONFIGS+=";gateway GET vs GET k=4 s=16:-k 4 -s 16:gateway-get,libcoap"
DEFAULT_CONFIGS+=";encryption at rest k=1 s=1:-k 1 -s 1:ingest,ingest-clear;encryption at rest k=4 s=16:-k 4 -s 16:ingest,ingest-clear"
DEFAULT_CONFIGS+=";power-loss durability k=4 s=16:-k 4 -s 16:ingest-power,ingest"
CONFIGS=${CONFIGS:-$DEFAULT_CONFIGS}
LIBCOAP_SERVER=${LIBCOAP_SERVER:-coap-server-openssl}
OTHER_MAX=${OTHER_MAX:-15}
RETRIES=${RETRIES:-2}
NICE=${NICE:-0}
RUN_LIMIT=$(awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { printf "%d", d + w + 30 }')  # seconds one run may live

mkdir -p "$OUT_DIR"
RAW=$OUT_DIR/coap-bench-raw.txt
: > "$RAW"
: > "$OUT_DIR/coap-bench.tsv"   # config, ours, peer, ours rps, peer rps, ratio (for Benchmarks/report.py)
WORK=$(mktemp -d)
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "$*" >&2; }

# --- build ------------------------------------------------------------------------------------
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building coap-bench-server and ingest-bench (release) ..."
    swift build -c release --product coap-bench-server >&2
    swift build -c release --product ingest-bench >&2
    log "building coap-load ..."
    gcc -O2 -Wall -o Benchmarks/coap-load Benchmarks/coap-load.c $(pkg-config --cflags --libs libcoap-3-openssl)
fi
OURS_BIN=$(swift build -c release --show-bin-path)/coap-bench-server
INGEST_BIN=$(swift build -c release --show-bin-path)/ingest-bench
INGEST_MESSAGES=${INGEST_MESSAGES:-24000}   # sealed readings made per device per run (16 devices; one session alone sends ~13k)
LOAD_BIN=$ROOT/Benchmarks/coap-load
[[ -x $OURS_BIN && -x $INGEST_BIN && -x $LOAD_BIN ]] || { log "missing binaries ($OURS_BIN, $INGEST_BIN, $LOAD_BIN)"; exit 1; }
command -v "$LIBCOAP_SERVER" >/dev/null || { log "$LIBCOAP_SERVER not found (apt package libcoap3-bin)"; exit 1; }

SERVER_PIN=() LOAD_PIN=()
if [[ $NICE != 0 ]]; then
    SERVER_PIN=(nice -n "$NICE")
    LOAD_PIN=(nice -n "$NICE")
fi
if [[ $PIN == 1 ]] && command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
    SERVER_PIN+=(taskset -c 1)
    LOAD_PIN+=(taskset -c 0)
fi

# --- servers ----------------------------------------------------------------------------------
SERVER_TPID=""   # the `timeout` wrapping the server (killing it forwards SIGTERM to the server)
SERVER_PID=""    # the server process itself (for its CPU time)
SERVER_PORT=""
LOAD_PORT=""     # where coap-load sends: SERVER_PORT, or the server's DTLS port
DTLS=0           # 1 while a DTLS config runs

child_of() {  # the single child of a PID, waiting for it to exist
    local c="" i
    for i in $(seq 1 100); do
        c=$(pgrep -P "$1" | head -n1 || true)
        [[ -n $c ]] && { echo "$c"; return 0; }
        sleep 0.02
    done
    return 1
}

free_udp_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if [[ -z $(ss -Hlun "sport = :$p" 2>/dev/null) ]]; then echo "$p"; return 0; fi
    done
    return 1
}

# await_ports NAME OUT ERR TRIES: waits (TRIES × 20 ms) for the server started as SERVER_TPID to
# print "listening on PORT" (and, for a DTLS config, "dtls on PORT") to OUT; sets SERVER_PORT and
# LOAD_PORT, or exits with the server's stderr.
await_ports() {
    local name=$1 out=$2 err=$3 tries=$4
    for _ in $(seq 1 "$tries"); do
        SERVER_PORT=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$out")
        LOAD_PORT=$SERVER_PORT
        [[ $DTLS == 1 ]] && LOAD_PORT=$(sed -n 's/^dtls on \([0-9]*\)$/\1/p' "$out")
        [[ -n $SERVER_PORT && -n $LOAD_PORT ]] && return 0
        kill -0 "$SERVER_TPID" 2>/dev/null || { log "$name died: $(cat "$err")"; exit 1; }
        sleep 0.02
    done
    log "$name did not start"
    exit 1
}

# binary NAME WHICH: the path of our binary NAME for server WHICH (from BASE_BIN_DIR for X@base).
binary() {
    if [[ $2 == *@base ]]; then
        [[ -x ${BASE_BIN_DIR:-}/$1 ]] || { log "$2: no $1 in BASE_BIN_DIR (${BASE_BIN_DIR:-unset})"; exit 1; }
        echo "$BASE_BIN_DIR/$1"
    else
        echo "$(dirname "$OURS_BIN")/$1"
    fi
}

start_ours() {
    local out=$WORK/ours.out bin
    bin=$(binary coap-bench-server "$1")
    : > "$out"
    local psk=()
    [[ $DTLS == 1 ]] && psk=(--psk "$PSK_IDENTITY:$PSK_KEY")
    timeout -s TERM "$RUN_LIMIT" "${SERVER_PIN[@]}" "$bin" 0 "${psk[@]}" > "$out" 2> "$WORK/ours.err" &
    SERVER_TPID=$!
    PIDS+=("$SERVER_TPID")
    await_ports coap-bench-server "$out" "$WORK/ours.err" 250
    SERVER_PID=$(child_of "$SERVER_TPID")
}

# The Gateway with a fresh data directory and fresh devices; it writes the sealed readings
# coap-load will send (-f) before it listens.
start_ingest() {
    local out=$WORK/ingest.out clear=() psk=() durability=() bin
    bin=$(binary ingest-bench "$1")
    [[ ${1%@base} == ingest-clear ]] && clear=(--no-encryption)
    [[ ${1%@base} == ingest-power ]] && durability=(--durability power)
    [[ $DTLS == 1 ]] && psk=(--device-psk "$PSK_KEY")   # device bench-N: PSK identity bench-N
    rm -rf "$WORK/ingest-data" "$WORK/payloads"
    : > "$out"
    timeout -s TERM "$((RUN_LIMIT + 60))" "${SERVER_PIN[@]}" "$bin" "$WORK/ingest-data" "$WORK/payloads" \
        --devices 16 --messages "$INGEST_MESSAGES" "${clear[@]}" "${durability[@]}" "${psk[@]}" > "$out" 2> "$WORK/ingest.err" &
    SERVER_TPID=$!
    PIDS+=("$SERVER_TPID")
    await_ports ingest-bench "$out" "$WORK/ingest.err" 3000
    SERVER_PID=$(child_of "$SERVER_TPID")
}

start_aiocoap() {
    local out=$WORK/aiocoap.out python=${SECURECOAP_VENV:-$ROOT/.venv}/bin/python
    [[ -x $python ]] || { log "no venv at $python (make venv)"; exit 1; }
    : > "$out"
    timeout -s TERM "$RUN_LIMIT" "${SERVER_PIN[@]}" "$python" "$ROOT/Benchmarks/aiocoap-bench-server.py" 0 > "$out" 2> "$WORK/aiocoap.err" &
    SERVER_TPID=$!
    PIDS+=("$SERVER_TPID")
    await_ports aiocoap-bench-server "$out" "$WORK/aiocoap.err" 500
    SERVER_PID=$(child_of "$SERVER_TPID")
}

start_libcoap() {
    local attempt
    for attempt in 1 2 3 4 5; do
        SERVER_PORT=$(free_udp_port)
        # libcoap's example server opens its DTLS endpoint on PORT+1 when given a key (-k).
        local psk=() probe=(coap-client-notls -B 1 -m get "coap://127.0.0.1:$SERVER_PORT/")
        LOAD_PORT=$SERVER_PORT
        if [[ $DTLS == 1 ]]; then
            LOAD_PORT=$((SERVER_PORT + 1))
            psk=(-k "$PSK_KEY")
            probe=(coap-client-openssl -B 2 -m get -u "$PSK_IDENTITY" -k "$PSK_KEY" "coaps://127.0.0.1:$LOAD_PORT/")
        fi
        timeout -s TERM "$RUN_LIMIT" "${SERVER_PIN[@]}" "$LIBCOAP_SERVER" -A 127.0.0.1 -p "$SERVER_PORT" "${psk[@]}" \
            > /dev/null 2> "$WORK/libcoap.err" &
        SERVER_TPID=$!
        PIDS+=("$SERVER_TPID")
        for _ in $(seq 1 50); do
            if "${probe[@]}" 2>/dev/null | grep -q "test server"; then
                SERVER_PID=$(child_of "$SERVER_TPID")
                return 0
            fi
            kill -0 "$SERVER_TPID" 2>/dev/null || break
            sleep 0.05
        done
        stop_server   # port taken meanwhile, or not answering: try another port
    done
    log "$LIBCOAP_SERVER did not start: $(cat "$WORK/libcoap.err")"
    exit 1
}

SERVER_NAME=""   # which server runs (for UNCLEAN)
UNCLEAN=()       # servers that did not exit with status 0 when stopped after a run

# stop_server [check]: SIGTERM to the server (through its `timeout`); with `check`, a status
# other than 0 (a crash, or `timeout`'s 124 when the server outlived its limit) goes to UNCLEAN.
stop_server() {
    local status=0
    if [[ -n $SERVER_TPID ]]; then
        kill -TERM "$SERVER_TPID" 2>/dev/null || true
        wait "$SERVER_TPID" 2>/dev/null || status=$?
        if [[ ${1:-} == check && $status != 0 ]]; then
            UNCLEAN+=("$SERVER_NAME exited with status $status")
            log "$SERVER_NAME exited with status $status after the run"
        fi
    fi
    SERVER_TPID="" SERVER_PID="" SERVER_PORT="" LOAD_PORT=""
}

# run_one SERVER(ours|libcoap) LOAD-ARGS -> coap-load's result line in RESULT (no subshell, so
# the EXIT trap knows every server PID)
RESULT=""
run_one() {
    local which=$1 args=$2
    DTLS=0
    [[ " $args " == *" -i "* ]] && DTLS=1
    local path=$REQ_PATH extra=()
    SERVER_NAME=$which
    case $which in
        ours|ours@base) start_ours "$which" ;;
        libcoap) start_libcoap ;;
        aiocoap) start_aiocoap ;;
        ingest|ingest-clear|ingest-power|ingest@base|ingest-clear@base|ingest-power@base)
            start_ingest "$which"; path=/readings; extra=(-f "$WORK/payloads") ;;
        gateway-get|gateway-get@base) start_ingest "$which"; path=/health ;;
        *) log "unknown server $which"; exit 1 ;;
    esac
    # shellcheck disable=SC2086
    if ! timeout -s KILL "$RUN_LIMIT" "${LOAD_PIN[@]}" "$LOAD_BIN" $args "${extra[@]}" -d "$DURATION" -w "$WARMUP" \
        -P "$SERVER_PID" 127.0.0.1 "$LOAD_PORT" "$path" > "$WORK/load.out"; then
        log "coap-load failed ($which $args)"
        exit 1
    fi
    stop_server check
    RESULT=$(cat "$WORK/load.out")
}

kv() {  # kv KEY LINE
    tr ' ' '\n' <<< "$2" | sed -n "s/^$1=//p"
}

median() {  # numbers on stdin
    sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# --- runs -------------------------------------------------------------------------------------
IFS=';' read -r -a CONFIG_LIST <<< "$CONFIGS"
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
log "rounds=$ROUNDS duration=${DURATION}s warmup=${WARMUP}s configs=${#CONFIG_LIST[@]} server prefix: ${SERVER_PIN[*]:-none}"

declare -A SERVER_OF   # "role|config" -> server (role: ours = the config's A, peer = its B)
for cfg in "${CONFIG_LIST[@]}"; do
    IFS=: read -r name args pair <<< "$cfg"
    pair=${pair:-ours,libcoap}
    SERVER_OF["ours|$name"]=${pair%,*}
    SERVER_OF["peer|$name"]=${pair#*,}
done

for round in $(seq 1 "$ROUNDS"); do
    for cfg in "${CONFIG_LIST[@]}"; do
        IFS=: read -r name args _ <<< "$cfg"
        # alternate which server goes first, round by round
        if (( round % 2 )); then order=(ours peer); else order=(peer ours); fi
        for role in "${order[@]}"; do
            which=${SERVER_OF["$role|$name"]}
            for attempt in $(seq 0 "$RETRIES"); do
                run_one "$which" "$args"
                other=$(awk -v h="$(kv host_busy_pct "$RESULT")" -v s="$(kv srv_cpu_pct "$RESULT")" \
                    -v c="$(kv cli_cpu_pct "$RESULT")" 'BEGIN { o = h - s - c; printf "%.1f", (o < 0 ? 0 : o) }')
                RESULT="$RESULT other_pct=$other"
                log "round $round  $name  $which: $RESULT"
                if awk -v o="$other" -v m="$OTHER_MAX" 'BEGIN { exit !(o <= m) }'; then break; fi
                if (( attempt < RETRIES )); then
                    log "  other processes took ${other}% of a CPU (> ${OTHER_MAX}%): pausing, then repeating this run"
                    sleep $((3 + 3 * attempt))
                else
                    RESULT="$RESULT noisy=1"
                fi
            done
            echo "$role|$name|$round|$RESULT" >> "$RAW"
        done
    done
done
END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# --- table ------------------------------------------------------------------------------------
values() {  # values SERVER CONFIG KEY -> one value per round
    local which=$1 name=$2 key=$3
    grep -F "$which|$name|" "$RAW" | while IFS='|' read -r _ _ _ line; do kv "$key" "$line"; done
}
med() { values "$@" | median; }
round_ratios() {  # round_ratios CONFIG -> ours/peer rps of each round (same round = adjacent runs)
    join <(grep -F "ours|$1|" "$RAW" | while IFS='|' read -r _ _ r line; do echo "$r $(kv rps "$line")"; done | sort) \
         <(grep -F "peer|$1|" "$RAW" | while IFS='|' read -r _ _ r line; do echo "$r $(kv rps "$line")"; done | sort) |
        awk '{ if ($3 > 0) printf "%.3f\n", $2 / $3 }'
}
total() { values "$@" | awk '{ s += $1 } END { print s + 0 }'; }
fmt0() { printf '%.0f' "$1"; }
label() {  # label SERVER -> what the table calls it
    case $1 in
        ours) echo "coap-bench-server GET" ;;
        libcoap) echo "$LIBCOAP_SERVER GET" ;;
        aiocoap) echo "aiocoap $(${SECURECOAP_VENV:-$ROOT/.venv}/bin/python -c 'import aiocoap.meta; print(aiocoap.meta.version)' 2>/dev/null) GET" ;;
        ingest) echo "Gateway POST sealed, encrypted at rest" ;;
        ingest-clear) echo "Gateway POST sealed, stored in clear" ;;
        ingest-power) echo "Gateway POST sealed, flushed to the device per commit" ;;
        gateway-get) echo "Gateway GET /health" ;;
    esac
}
fmt1() { printf '%.1f' "$1"; }

{
    echo "## CoAP, DTLS and ingestion: our servers vs $LIBCOAP_SERVER (libcoap $(dpkg-query -W -f='${Version}' libcoap3 2>/dev/null || echo '?'))"
    echo
    echo "| config | ours | peer | ours rps | peer rps | ratio | per-round ratio median (min–max) | ours p50/p99/p99.9 µs | peer p50/p99/p99.9 µs | ours server CPU µs/req | peer server CPU µs/req | CPU ratio (peer/ours) | errors ours/peer | load-gen CPU % ours/peer | other CPU % ours/peer (noisy runs) |"
    echo "| --- | --- | --- | ---: | ---: | ---: | --- | --- | --- | ---: | ---: | ---: | --- | --- | --- |"
    for cfg in "${CONFIG_LIST[@]}"; do
        IFS=: read -r name _ _ <<< "$cfg"
        o_rps=$(med ours "$name" rps); l_rps=$(med peer "$name" rps)
        o_cpu=$(med ours "$name" srv_cpu_us); l_cpu=$(med peer "$name" srv_cpu_us)
        ratio=$(awk -v a="$o_rps" -v b="$l_rps" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
        cpu_ratio=$(awk -v a="$l_cpu" -v b="$o_cpu" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
        o_lat="$(fmt0 "$(med ours "$name" p50_us)")/$(fmt0 "$(med ours "$name" p99_us)")/$(fmt0 "$(med ours "$name" p999_us)")"
        l_lat="$(fmt0 "$(med peer "$name" p50_us)")/$(fmt0 "$(med peer "$name" p99_us)")/$(fmt0 "$(med peer "$name" p999_us)")"
        o_err=$(total ours "$name" errors); l_err=$(total peer "$name" errors)
        noisy=$(( $(total ours "$name" noisy) + $(total peer "$name" noisy) ))
        rr=$(round_ratios "$name")
        rr_text="$(printf '%.3f' "$(median <<< "$rr")") ($(sort -g <<< "$rr" | head -n1)–$(sort -g <<< "$rr" | tail -n1))"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(label "${SERVER_OF["ours|$name"]}")" "$(label "${SERVER_OF["peer|$name"]}")" \
            "$(fmt0 "$o_rps")" "$(fmt0 "$l_rps")" "$ratio" >> "$OUT_DIR/coap-bench.tsv"
        echo "| $name | $(label "${SERVER_OF["ours|$name"]}") | $(label "${SERVER_OF["peer|$name"]}") | $(fmt0 "$o_rps") | $(fmt0 "$l_rps") | **$ratio** | $rr_text | $o_lat | $l_lat | $(fmt1 "$o_cpu") | $(fmt1 "$l_cpu") | $cpu_ratio | $o_err/$l_err | $(fmt0 "$(med ours "$name" cli_cpu_pct)")/$(fmt0 "$(med peer "$name" cli_cpu_pct)") | $(fmt0 "$(med ours "$name" other_pct)")/$(fmt0 "$(med peer "$name" other_pct)") ($noisy) |"
    done
    echo
    echo "Medians of $ROUNDS rounds × ${DURATION} s (after ${WARMUP} s warm-up), servers alternating (first server swaps each round), a fresh server process per run. ratio = median ours rps / median peer rps; per-round ratio pairs the two runs of one round (adjacent in time), which cancels slow drifts of this shared VM."
    echo "k = requests in flight per session, s = sessions (each its own local port; a session is replaced after 30,000 requests so no peer pair nears its 65,536 message IDs)."
    echo "CON runs set NSTART = k on each session, so all k are really in flight. NON requests unanswered after 1 s count as errors (summed over all rounds). NON keeps 128 in flight: 256 overflow the server's UDP receive buffer (rmem_default $(cat /proc/sys/net/core/rmem_default 2>/dev/null || echo ?)) for either server."
    echo "Server CPU = the server process's utime+stime over the measured window / successful requests. Load-gen CPU % near 100 means the single-threaded load generator, not the server, sets the rate: then compare server CPU per request."
    echo "Other CPU = what other processes on this shared machine took during the window (% of one CPU, /proc/stat minus server and load generator); runs above ${OTHER_MAX}% were repeated up to ${RETRIES} times, and 'noisy runs' counts those kept anyway."
    echo "DTLS rows: DTLS 1.2 with a pre-shared key (identity \"$PSK_IDENTITY\", a random key made for the run, the same for both servers; OpenSSL picks the suite on both sides). 'new session' runs open a session per request — cookie exchange, full PSK handshake, one GET, close_notify — so rps there is new sessions per second."
    echo "Ingestion rows: 16 devices, one session each (-s 16) or one (-s 1); each POST /readings carries a new sealed reading (COSE_Encrypt0, AES-CCM-16-64-128, a three-value SenML CBOR pack, ~110 bytes) made before the run, and 2.01 comes only after the SQLite commit (WAL, synchronous=NORMAL: the default --durability process, kept if the gateway is killed; 'flushed to the device per commit' is --durability power, synchronous=FULL). A commit worker stores what arrived meanwhile in one transaction and answers each reading on its held-back ACK (one datagram each way). 'stored in clear' is the same gateway with encryption at rest switched off (a benchmark-only switch). 'Gateway GET /health' is the same gateway answering GET /health (its own handler, ~170 bytes of JSON; no seal, no commit)."
    echo "Request: GET / (no other options); response: 2.05, Max-Age 0x2ffff, 138-byte text — the same bytes from both servers."
    echo
    echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r); load average $START_LOAD at start, $END_LOAD at end. Started with: ${SERVER_PIN[*]:-nothing} (servers), ${LOAD_PIN[*]:-nothing} (load generator)."
    echo "Swift: $(swift --version 2>/dev/null | head -n1)."
    if (( ${#UNCLEAN[@]} )); then
        echo "Server exits: **$(IFS=';'; echo "${UNCLEAN[*]}" | sed 's/;/; /g')** (every other run's server exited with status 0 when stopped)."
    else
        echo "Server exits: every server process exited with status 0 when stopped after its run."
    fi
    echo
    echo "Command: \`ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP NICE=$NICE PIN=$PIN bash Benchmarks/run-coap-bench.sh\`; each run: \`${LOAD_PIN[*]:+${LOAD_PIN[*]} }Benchmarks/coap-load <args> -d $DURATION -w $WARMUP -P <server pid> 127.0.0.1 <port> $REQ_PATH\` with <args> per config:"
    for cfg in "${CONFIG_LIST[@]}"; do IFS=: read -r name args _ <<< "$cfg"; echo "- $name: \`${args//$PSK_KEY/<random key>}\`"; done
} | tee "$OUT_DIR/coap-bench.md"
if (( ${#UNCLEAN[@]} )); then
    log "servers that did not exit cleanly: ${UNCLEAN[*]}"
    exit 1
fi
