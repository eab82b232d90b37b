"""Prints each SenML JSON notification that `coap observe` writes as one short line:
    [node-1] 04:41:10  temp 21.3 Cel  hum 40 %RH  bat 3.5 V
Used by demo.sh; the label comes from the first argument."""
import json
import sys
import time

label = sys.argv[1] if len(sys.argv) > 1 else "?"
for line in sys.stdin:
    try:
        records = json.loads(line)
    except ValueError:
        continue
    if not records:
        continue
    when = time.strftime("%H:%M:%S", time.localtime(records[0].get("t", 0)))
    values = []
    for r in records:
        name = r.get("n", "?").split("/")[-1]
        value = r.get("v", r.get("vs", r.get("vb", "")))
        values.append(f"{name} {value} {r.get('u', '')}".strip())
    print(f"  [{label}] {when}  " + "  ".join(values), flush=True)
