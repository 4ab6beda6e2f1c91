"""scripts/lib/bench-ab.sh's lines and medians.

  bench-ab.py line ROUND SIDE RUN.json METRICS   one run's line
  bench-ab.py medians SUMMARY                    each side's medians of its lines
"""
import json
import re
import statistics
import sys


def stages(path):
    """parley_stage_seconds per stage: p50 (from the buckets) and mean, µs."""
    buckets, sums, counts = {}, {}, {}
    for line in open(path):
        m = re.match(r'parley_stage_seconds_(bucket|sum|count)\{(.*)\} (\S+)', line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        st, v = labels.get("stage"), float(m.group(3))
        if m.group(1) == "bucket":
            le = float("inf") if labels["le"] == "+Inf" else float(labels["le"])
            buckets.setdefault(st, []).append((le, v))
        elif m.group(1) == "sum":
            sums[st] = v
        else:
            counts[st] = v
    out = []
    for st in sorted(buckets):
        bs = sorted(buckets[st])
        total = bs[-1][1]
        if total == 0:
            continue
        half, lo, below, p50 = total / 2, 0.0, 0.0, 0.0
        for le, n in bs:
            if n >= half:
                p50 = lo if le == float("inf") else lo + (le - lo) * (half - below) / max(n - below, 1e-9)
                break
            lo, below = le, n
        out.append(f"{st}={p50 * 1e6:.0f}/{sums.get(st, 0) / max(counts.get(st, 1), 1) * 1e6:.0f}")
    return " ".join(out)


def line(rnd, side, run, metrics):
    modes = {m["mode"]: m for m in json.load(open(run))["modes"]}
    p = modes["parley"]
    if "echo" in modes:
        e = modes["echo"]
        head = (f"parley p50 {p['p50_ms']:.2f} p99 {p['p99_ms']:.2f} echo p50 {e['p50_ms']:.2f} "
                f"gap {p['p50_ms'] - e['p50_ms']:.2f} ms")
    else:
        mu = modes["muc"]
        head = (f"parley {p['per_second']:.0f}/s muc {mu['per_second']:.0f}/s "
                f"ratio {p['per_second'] / mu['per_second']:.2f}")
    cpu = p.get("parleyd_cpu_us_per_message", 0)
    print(f"{rnd} {side} {head} parleyd {cpu:.0f} µs/msg | {stages(metrics)}")


def medians(summary):
    rows = {}
    for ln in open(summary):
        m = re.match(r"\d+ ([AB]) (.*?) \|", ln)
        if not m:
            continue
        nums = re.findall(r"([a-z0-9]+(?: p50| p99)?) (-?[0-9.]+)", m.group(2))
        for k, v in nums:
            rows.setdefault(m.group(1), {}).setdefault(k, []).append(float(v))
    for side in sorted(rows):
        parts = [f"{k} {statistics.median(v):.2f}" for k, v in rows[side].items()]
        print(f"median {side}: " + ", ".join(parts))


if __name__ == "__main__":
    if sys.argv[1] == "line":
        line(*sys.argv[2:6])
    else:
        medians(sys.argv[2])
