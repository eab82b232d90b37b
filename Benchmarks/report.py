#!/usr/bin/env python3
"""Benchmarks/RESULTS.md and Benchmarks/results.svg from what `make bench` measured.

    python3 Benchmarks/report.py        (reads Benchmarks/out/, standard library only)

Inputs: out/coap-bench.tsv and .md (run-coap-bench.sh), out/seal-bench.md (seal-bench),
out/memory.tsv and .md (run-memory-bench.sh), out/wire.txt (WireSizeTests' printout).
Every ratio target from the issues is listed with its measured value, met or not.
"""

import csv
import html
import os
import platform
import re
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")


def read(name):
    path = os.path.join(OUT, name)
    return open(path, encoding="utf-8").read() if os.path.exists(path) else ""


def coap_rows():
    rows = []
    text = read("coap-bench.tsv")
    for fields in csv.reader(text.splitlines(), delimiter="\t"):
        if len(fields) == 6:
            name, ours, peer, ours_rps, peer_rps, ratio = fields
            rows.append(dict(name=name, ours=ours, peer=peer, ours_rps=float(ours_rps),
                             peer_rps=float(peer_rps), ratio=float(ratio)))
    return rows


def seal_rows():
    rows = []
    for line in read("seal-bench.md").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].endswith(" B") and re.match(r"^[0-9.]+", cells[3]):
            rows.append(dict(name=f"seal+open {cells[0]} vs raw EVP AES-CCM",
                             ratio=float(re.match(r"^[0-9.]+", cells[3]).group(0))))
    return rows


def target_for(name):
    """(target ratio, issue) for a row, from the issues' done-criteria."""
    if name.startswith("encryption at rest"):
        return 0.9, "#10 encryption at rest vs in clear"
    if name.startswith("power-loss durability"):
        return None, "cost of --durability power"
    if name.startswith("gateway GET"):
        return None, "#6 the gateway's own GETs vs coap-server-openssl"
    if name.startswith("ingest vs GET"):
        return 0.5, "#6 ingestion vs plain GETs"
    if name.startswith("DTLS"):
        return 0.95, "#3 DTLS vs coap-server-openssl"
    if name.startswith("seal+open"):
        return 0.8, "#4 sealing vs raw OpenSSL"
    if "vs aiocoap" in name:
        return None, "comparison"
    return 0.95, "#2 CoAP GET vs coap-server-openssl"


def wire_bytes():
    text = read("wire.txt")
    rows = re.findall(r"^\s*(.+?):\s+([0-9.]+) B\s+—\s+(.*)$", text, re.M)
    return [(label.strip(), float(value), detail.strip()) for label, value, detail in rows]


def svg_chart(rows, path):
    """Horizontal bars: each row's ratio, with its target as a red tick; axis 0–1.5×."""
    width, left, bar_h, gap, top = 860, 330, 18, 8, 40
    scale_max = 1.5
    plot_w = width - left - 60
    height = top + len(rows) * (bar_h + gap) + 40
    x = lambda v: left + plot_w * min(v, scale_max) / scale_max
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">SecureCoAP vs peers: ratio '
           f'(ours / theirs, higher is better; red tick = target)</text>']
    for tick in (0, 0.5, 1.0, 1.5):
        out.append(f'<line x1="{x(tick):.1f}" y1="{top - 6}" x2="{x(tick):.1f}" y2="{height - 30}" stroke="#ccc"/>')
        out.append(f'<text x="{x(tick):.1f}" y="{height - 14}" text-anchor="middle">{tick:.1f}×</text>')
    for i, row in enumerate(rows):
        y = top + i * (bar_h + gap)
        target = row["target"]
        met = target is None or row["ratio"] >= target
        color = "#3b7dd8" if met else "#e0a030"
        out.append(f'<text x="{left - 8}" y="{y + bar_h - 5}" text-anchor="end">{html.escape(row["name"])}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{x(row["ratio"]) - left:.1f}" height="{bar_h}" fill="{color}"/>')
        label = f'{row["ratio"]:.2f}×' + ("" if row["ratio"] <= scale_max else " (off scale)")
        out.append(f'<text x="{x(row["ratio"]) + 4:.1f}" y="{y + bar_h - 5}">{label}</text>')
        if target is not None:
            out.append(f'<line x1="{x(target):.1f}" y1="{y - 2}" x2="{x(target):.1f}" y2="{y + bar_h + 2}" '
                       f'stroke="#d0021b" stroke-width="3"/>')
    out.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()
    return f"{os.cpu_count()} CPUs, {cpu}, Linux {platform.release()}; {swift[0] if swift else 'Swift ?'}"


def main():
    rows = []
    for row in coap_rows() + seal_rows():
        row["target"], row["issue"] = target_for(row["name"])
        rows.append(row)
    if not rows:
        sys.exit("report.py: nothing measured yet (run make bench)")
    charted = [r for r in rows if r["target"] is not None]
    svg_chart(charted, os.path.join(HERE, "results.svg"))

    lines = ["# Benchmark results", "",
             "Produced by `make bench` (release builds, loopback; the contenders alternate run by run in the same session).",
             f"Machine: {machine()}.", "",
             "**Absolute figures vary on shared machines (this one is a 2-CPU VM with other tenants); the ratios, "
             "measured side by side in the same run, are the claim.**", "",
             "![ratios](results.svg)", "",
             "## Targets", "",
             "| row | what | measured ratio | target | met |", "| --- | --- | ---: | ---: | --- |"]
    for r in rows:
        if r["target"] is None:
            continue
        met = "yes" if r["ratio"] >= r["target"] else "**no**"
        lines.append(f'| {r["name"]} | {r["issue"]} | {r["ratio"]:.3f}× | ≥ {r["target"]}× | {met} |')
    wires = wire_bytes()
    for label, value, detail in wires:
        if "DTLS" in label and "8 readings" not in label:
            met = "yes" if value <= 100 else "**no**"
            lines.append(f"| {label} | #7 bytes per reading over DTLS | {value:.0f} B | ≤ 100 B | {met} |")
    lines += ["", "## Side by side (requests per second)", "",
              "| row | ours | peer | ours rps | peer rps | ratio |", "| --- | --- | --- | ---: | ---: | ---: |"]
    for r in rows:
        if "ours_rps" in r:
            lines.append(f'| {r["name"]} | {r["ours"]} | {r["peer"]} | {r["ours_rps"]:,.0f} | {r["peer_rps"]:,.0f} | {r["ratio"]:.3f}× |')
    if wires:
        lines += ["", "## Bytes on the wire per reading", "",
                  "Measured through a UDP relay (`swift test --filter WireSizeTests`):", "",
                  "| reading | UDP payload | parts |", "| --- | ---: | --- |"]
        lines += [f"| {label} | {value:g} B | {detail} |" for label, value, detail in wires]
    for name in ("memory.md", "seal-bench.md", "coap-bench.md"):
        text = read(name).strip()
        if text:
            lines += ["", "---", "", text.replace("## ", "### ", 1) if text.startswith("## ") else text]
    # Figures behind choices in the code, kept by hand (the code's comments point here).
    with open(os.path.join(HERE, "measurements.md"), encoding="utf-8") as f:
        lines += ["", "---", "", f.read().strip()]
    with open(os.path.join(HERE, "RESULTS.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {os.path.join(HERE, 'RESULTS.md')} and results.svg ({len(rows)} ratios)")


if __name__ == "__main__":
    main()
