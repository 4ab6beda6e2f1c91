"""Prosody's Lua samples per message, Parley against the echo
(scripts/lib/bench-profile.sh). Arguments: the profiler's counts before, after
the parley run and after the echo run, then the messages each run delivered."""
import sys


def load(path):
    d = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            d[tuple(parts[:-1])] = int(parts[-1])
    return d


def delta(after, before):
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) > 0}


def main():
    c0, c1, c2 = (load(p) for p in sys.argv[1:4])
    n = {"parley": int(sys.argv[4]), "echo": int(sys.argv[5])}
    d = {"parley": delta(c1, c0), "echo": delta(c2, c1)}
    per = {m: {k: v / n[m] for k, v in d[m].items()} for m in d}
    total = {m: sum(v for k, v in per[m].items() if k[0] == "S") for m in per}
    print(f"samples (one per 997 Lua instructions) per message: parley {total['parley']:.2f}, "
          f"echo {total['echo']:.2f}, ratio {total['parley'] / total['echo']:.2f}")
    print(f"  {'stream the work came from':<12} {'doing':<9} {'parley':>7} {'echo':>7}")
    rows = sorted({k[1:] for m in per for k in per[m] if k[0] == "B"})
    for origin, activity in rows:
        p, e = per["parley"].get(("B", origin, activity), 0), per["echo"].get(("B", origin, activity), 0)
        print(f"  {origin:<12} {activity:<9} {p:7.2f} {e:7.2f}")
    for origin in ("client", "component", "other"):
        p = sum(v for k, v in per["parley"].items() if k[0] == "B" and k[1] == origin)
        e = sum(v for k, v in per["echo"].items() if k[0] == "B" and k[1] == origin)
        print(f"  {origin + ', all':<22} {p:7.2f} {e:7.2f}")
    print("  functions that differ most (own samples per message; file:line of the definition):")
    keys = {k for m in per for k in per[m] if k[0] == "S"}
    for k in sorted(keys, key=lambda k: -abs(per["parley"].get(k, 0) - per["echo"].get(k, 0)))[:12]:
        print(f"    {per['parley'].get(k, 0):6.2f} {per['echo'].get(k, 0):6.2f}  {k[1]}")


if __name__ == "__main__":
    main()
