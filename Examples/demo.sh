#!/usr/bin/env bash
# make demo: a fresh data directory, devices provisioned with PSK and sealing keys, the gateway and
# three simulated nodes reporting sealed SenML over DTLS for about 20 seconds, an attacker with a
# wrong key and a replayed message, then a summary. Everything on 127.0.0.1, on free ports; every
# process this script starts is stopped by PID when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=$(swift build --show-bin-path)
WORK=$(mktemp -d /tmp/securecoap-demo.XXXXXX)
DATA=$WORK/data
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

say "Provisioning three nodes, a meter and an admin in a fresh registry ($DATA)"
mkdir -p "$DATA"
export SECURECOAP_REGISTRY_DB=$DATA/registry.db
REG=("$BIN/coap-registry")
"${REG[@]}" init >/dev/null
declare -A PSK
for device in node-1 node-2 node-3 meter-9 admin; do
    PSK[$device]=$(hex 16)
    hex 32 > "$WORK/$device.secret" && chmod 600 "$WORK/$device.secret"
done
kid=1
for device in node-1 node-2 node-3 meter-9; do
    "${REG[@]}" add "$device" --psk-key-hex "${PSK[$device]}" --sealing-secret-file "$WORK/$device.secret" \
        --kid "0$kid" --allow "POST /readings" --allow "GET /readings/{device}" >/dev/null
    kid=$((kid + 1))
done
"${REG[@]}" add admin --psk-key-hex "${PSK[admin]}" --admin --allow "GET /readings/*" --allow "GET /security" >/dev/null
"${REG[@]}" list

say "Starting the gateway (plain CoAP and DTLS on free loopback ports)"
"$BIN/coap-gateway" run --data "$DATA" --port 0 --dtls-port 0 --ports-file "$WORK/ports" --log-level notice \
    2> >(sed -u 's/^/  [gateway] /' >&2) &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/ports" ] && break; sleep 0.1; done
read -r PLAIN DTLS < "$WORK/ports"
echo "  plain CoAP on 127.0.0.1:$PLAIN (sealed readings only), DTLS on 127.0.0.1:$DTLS"
ADMIN=(--psk-identity admin --psk-key-hex "${PSK[admin]}")

say "Watching each node's readings as they arrive (an observer per node, as admin)"
for device in node-1 node-2 node-3; do
    "$BIN/coap" observe "coaps://127.0.0.1:$DTLS/readings/$device?limit=1" "${ADMIN[@]}" --duration 26 \
        2>/dev/null | python3 -u Examples/senml-lines.py "$device" &
    PIDS+=($!)
done
sleep 1

say "Three nodes report sealed SenML CBOR over DTLS, every 2 s for 20 s"
reading_lines() {
    for _ in $(seq 10); do
        t=$((200 + RANDOM % 60)); h=$((35 + RANDOM % 20)); b=$((30 + RANDOM % 6))
        printf 'temp=%d.%d,Cel hum=%d,%%RH bat=%d.%d,V\n' $((t / 10)) $((t % 10)) "$h" $((b / 10)) $((b % 10))
        sleep 2
    done
}
NODE_PIDS=()
kid=1
for device in node-1 node-2 node-3; do
    reading_lines | "$BIN/coap-node" report --gateway "coaps://127.0.0.1:$DTLS" --device "$device" \
        --psk-key-hex "${PSK[$device]}" --sealing-secret-file "$WORK/$device.secret" --kid "0$kid" \
        --stdin -v --queue "$WORK/queue-$device" --state-dir "$WORK/state-$device" > "$WORK/$device.out" 2>&1 &
    NODE_PIDS+=($!)
    kid=$((kid + 1))
done
PIDS+=("${NODE_PIDS[@]}")

sleep 4
say "An attacker: node-2's identity with a wrong key"
if "$BIN/coap-node" report --gateway "coaps://127.0.0.1:$DTLS" --device node-2 --psk-key-hex "$(hex 16)" \
    --sealing-secret-file "$WORK/node-2.secret" --kid 02 --value temp=99,Cel --handshake-timeout 2 \
    --state-dir "$WORK/state-attacker" 2>&1 | sed 's/^/  [attacker] /'; then
    echo "  UNEXPECTED: the wrong key was accepted"; exit 1
fi
echo "  refused: the handshake never completes"

say "A replayed message: meter-9's sealed reading captured and sent again"
printf '[{"bn":"meter-9/","n":"energy","u":"kWh","v":1234.5}]' |
    "$BIN/coap" seal --secret-file "$WORK/meter-9.secret" --kid 04 --device meter-9 --seq 1 --content-format 110 > "$WORK/captured.cose"
"$BIN/coap" post "coap://127.0.0.1:$PLAIN/readings" --payload-file "$WORK/captured.cose" --content-format cose -v 2>&1 |
    sed -n '1s/^/  [meter-9, original] /p'
if "$BIN/coap" post "coap://127.0.0.1:$PLAIN/readings" --payload-file "$WORK/captured.cose" --content-format cose 2>&1 |
    sed 's/^/  [attacker, replay] /'; then
    echo "  UNEXPECTED: the replay was accepted"; exit 1
fi

say "Waiting for the nodes to finish"
status=0
for i in "${!NODE_PIDS[@]}"; do
    if ! wait "${NODE_PIDS[$i]}"; then status=1; fi
done
sleep 1

say "Summary"
printf '  %-8s %s\n' device "readings stored"
for device in node-1 node-2 node-3 meter-9; do
    "$BIN/coap" get "coaps://127.0.0.1:$DTLS/readings/$device?limit=1000" "${ADMIN[@]}" > "$WORK/$device.readings" || true
    n=$(grep -o '"n":"[^"]*temp"\|"n":"[^"]*energy"' "$WORK/$device.readings" | wc -l)
    printf '  %-8s %s\n' "$device" "$n"
    if [ "$device" != meter-9 ] && [ "$n" -lt 5 ]; then status=1; fi
done
echo "  refused attempts (GET /security, as admin):"
"$BIN/coap" get "coaps://127.0.0.1:$DTLS/security" "${ADMIN[@]}" | python3 -c '
import json, sys
report = json.load(sys.stdin)
for kind, count in sorted(report.get("totals", {}).items()):
    print(f"    {kind:20} {count}")
'
for device in node-1 node-2 node-3; do sed "s/^/  [$device] /" "$WORK/$device.out" | tail -2; done
exit $status
