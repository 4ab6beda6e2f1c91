#!/usr/bin/python3
"""The done-when lines of issue 13 from scripts/bench.sh's parleyload runs.

    bench-summary.py OUT SERVER

reads OUT/load-{loaded,unloaded}[-durable].json (parleyload --json-out) and
prints each ratio with its target and "met" / "NOT met" (or "not measured").
SERVER names the XMPP server of the run. Another block of bench.sh adds its
own lines (e.g. the day of many idle sessions) after these.
"""
import json
import os
import sys

out, server = sys.argv[1], sys.argv[2]


def load(name):
    try:
        with open(os.path.join(out, "load-%s.json" % name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def mode(rep, m):
    for r in (rep or {}).get("modes") or []:
        if r.get("mode") == m:
            return r
    return None


def ratio(rep, pair, key):
    return ((rep or {}).get("ratios") or {}).get(pair, {}).get(key)


def verdict(ok):
    if ok is None:
        return "not measured"
    return "met" if ok else "NOT met"


def line(text, value, fmt, target, ok, detail=""):
    v = "n/a" if value is None else fmt % value
    print("  %-62s %-10s %-11s %s" % (text, v, target, verdict(ok)))
    if detail:
        print("      " + detail)


loaded, unloaded = load("loaded"), load("unloaded")
dloaded, dunloaded = load("loaded-durable"), load("unloaded-durable")

print("issue 13, done when (server: %s; each figure the median of the run's rounds):" % server)
for name, rep in (("loaded", loaded), ("unloaded", unloaded), ("loaded-durable", dloaded), ("unloaded-durable", dunloaded)):
    if rep is not None and not rep.get("ok"):
        print("  WARNING: load-%s: some messages were not delivered exactly once (see load-%s.txt)" % (name, name))
print("  %-62s %-10s %-11s %s" % ("ratio", "measured", "target", ""))

t = ratio(loaded, "parley/muc", "throughput")
line("loaded: parley/muc throughput", t, "%.2f", ">= 1.25", None if t is None else t >= 1.25)
c = ratio(loaded, "parley/echo", "server_cpu")
line("loaded: %s CPU per parley message / per echo round trip" % server, c, "%.2f", "<= 1.6", None if c is None else c <= 1.6)


def budget(rep, label):
    p, e = mode(rep, "parley"), mode(rep, "echo")
    commit = (rep or {}).get("commit")
    text = "unloaded p50, %s: echo + commit + 0.3 ms - parley" % label
    if not (p and e and commit):
        line(text, None, "", ">= 0", None)
        return
    slack = e["p50_ms"] + commit["p50_ms"] + 0.3 - p["p50_ms"]
    line(text, slack, "%+.2f ms", ">= 0", slack >= 0,
         "parley p50 %.2f ms, echo p50 %.2f ms, one commit p50 %.3f ms (%s idle before each)" % (p["p50_ms"], e["p50_ms"], commit["p50_ms"], commit.get("gap", "0s")))


budget(unloaded, "fsync off")
budget(dunloaded, "fsync on")
p99 = ratio(unloaded, "parley/muc", "p99")
line("unloaded: parley/muc p99", p99, "%.2f", "<= 1.2", None if p99 is None else p99 <= 1.2)
pf, pd = mode(loaded, "parley"), mode(dloaded, "parley")
if pf and pd and pf.get("per_second"):
    d = pd["per_second"] / pf["per_second"]
    # The issue asks for "nearly free"; 0.9 is this script's reading of it.
    line("loaded: parley throughput, fsync on / fsync off", d, "%.2f", ">= 0.9 (*)", d >= 0.9,
         "%.0f vs %.0f messages/s" % (pd["per_second"], pf["per_second"]))
else:
    line("loaded: parley throughput, fsync on / fsync off", None, "", ">= 0.9 (*)", None)
print("  (*) the issue says \"nearly free\" under load; 0.9 is bench.sh's reading of it")
print("  many idle sessions, 100k live sessions, 1M stored: not in this block (their own flags of scripts/bench.sh)")

print()
print("per delivered message (CPU in µs from /proc; what the component wrote on its stream):")
print("  %-17s %-7s %8s %8s %8s %8s %8s %8s %8s %9s" % ("run", "mode", "msgs/s", "p50 ms", "server", "parleyd", "postgres", "stanzas", "bytes", "writes"))
for name, rep in (("loaded", loaded), ("unloaded", unloaded), ("loaded-durable", dloaded), ("unloaded-durable", dunloaded)):
    for r in (rep or {}).get("modes") or []:
        print("  %-17s %-7s %8.0f %8.2f %8.1f %8.1f %8.1f %8.2f %8.1f %9.2f" % (
            name, r["mode"], r.get("per_second", 0), r.get("p50_ms", 0),
            r.get("server_cpu_us_per_message", 0), r.get("parleyd_cpu_us_per_message", 0),
            r.get("postgres_cpu_us_per_message", 0), r.get("component_stanzas_per_message", 0),
            r.get("component_bytes_per_message", 0), r.get("component_writes_per_message", 0)))
    if rep and rep.get("commit"):
        print("  %-17s commit  p50 %.3f ms, p99 %.3f ms (one transcript entry, pgstore.Commit with the fence, %s idle before each)" % (name, rep["commit"]["p50_ms"], rep["commit"]["p99_ms"], rep["commit"].get("gap", "0s")))
print("  (parley: parleyd's writes per message delivered, the reflection to the sender included; echo: the echo")
print("   component's writes per round trip, one stanza in and one out through the component by construction)")
