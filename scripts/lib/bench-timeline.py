#!/usr/bin/env python3
"""A quiet message's hops between processes, from a loopback capture.

Usage: bench-timeline.py CAPTURE.pcap C2S_PORT COMPONENT_PORT POSTGRES_PORT

Reads the capture scripts/lib/bench-timeline.sh took while parleyload ran the
unloaded modes, finds each load message by its body ("pl TAG ROOM DIR SEQ
NANOS", cmd/parleyload/load.go) in every packet that carries it, and prints per
mode (one TAG each) the time between the packets of each message, by the
kernel's timestamps:

  client -> server        the sender's packet to the packet the server writes
                          to the component (the server's routing in)
  component in -> pg      (parley) the component's read, decode, engine and
                          the commit's send, to its packet to Postgres
  postgres                (parley) that packet to Postgres's answer
  pg -> component out     (parley) the answer to the component's packet back
                          (delivery, the writer)
  component turnaround    (echo) the component's read to its packet back
  server -> recipient     the component's packet to the server's packet to
                          the other client (the server's routing out)
  recipient -> reflection (parley) then to the sender's own copy
  total                   the sender's packet to the recipient's

tcpdump prints the packets (tcpdump -r -A); no other library is needed. A
message whose packets are not all found (a marker split across segments, a
retransmission) is left out and counted.
"""
import collections
import re
import statistics
import subprocess
import sys

HEADER = re.compile(r"^(\d+\.\d+) IP6? (\S+)\.(\d+) > (\S+)\.(\d+): ")
MARK = re.compile(r"pl (\w+) (\d+) ([va]) (\d+) ")


def packets(path):
    text = subprocess.run(["tcpdump", "-nn", "-tt", "-A", "-r", path], capture_output=True, text=True, check=True).stdout
    out, cur = [], None
    for line in text.split("\n"):
        m = HEADER.match(line)
        if m:
            cur = [float(m.group(1)), m.group(3), m.group(5), []]
            out.append(cur)
        elif cur is not None:
            cur[3].append(line)
    return [(t, sp, dp, "".join(body)) for t, sp, dp, body in out]


def main():
    path, c2s, comp, pg = sys.argv[1:5]
    pk = packets(path)
    msgs = collections.defaultdict(dict)
    for i, (t, sp, dp, pay) in enumerate(pk):
        for m in MARK.finditer(pay):
            d = msgs[m.group(1, 2, 3, 4)]
            if dp == c2s:
                d.setdefault("sent", (t, sp))  # sp: the sender's own port
            elif sp == comp:
                d.setdefault("comp_in", t)
            elif dp == pg and "pg_out" not in d:
                d["pg_out"] = t
                for t2, sp2, dp2, _ in pk[i + 1:]:
                    if sp2 == pg and dp2 == sp:
                        d["pg_in"] = t2
                        break
            elif dp == comp:
                d.setdefault("comp_out", t)
            elif sp == c2s:
                d.setdefault("to", []).append((t, dp))
    modes = collections.defaultdict(lambda: collections.defaultdict(list))
    skipped = collections.Counter()
    for (tag, _room, _dir, _seq), d in msgs.items():
        if "sent" not in d or "comp_in" not in d or "comp_out" not in d or not d.get("to"):
            skipped[tag] += 1
            continue
        t0, port = d["sent"]
        recipient = [t for t, dp in d["to"] if dp != port]
        own = [t for t, dp in d["to"] if dp == port]
        if not recipient:  # the echo: the sender is the recipient
            recipient, own = own, []
        h = modes[tag]
        h["client -> server"].append(d["comp_in"] - t0)
        if "pg_out" in d and "pg_in" in d:
            h["component in -> pg"].append(d["pg_out"] - d["comp_in"])
            h["postgres"].append(d["pg_in"] - d["pg_out"])
            h["pg -> component out"].append(d["comp_out"] - d["pg_in"])
        else:
            h["component turnaround"].append(d["comp_out"] - d["comp_in"])
        h["server -> recipient"].append(recipient[0] - d["comp_out"])
        if own:
            h["recipient -> reflection"].append(own[0] - recipient[0])
        h["total"].append(recipient[0] - t0)
    if not modes:
        print("no load messages found in the capture")
        return 1
    for tag, hops in modes.items():
        kind = "parley" if "postgres" in hops else "echo"
        print("%s (run %s): %d messages%s; µs by the kernel's packet timestamps"
              % (kind, tag, len(hops["total"]), (", %d left out" % skipped[tag]) if skipped[tag] else ""))
        print("  %-26s %8s %8s %8s" % ("hop", "p50", "p90", "mean"))
        for name, v in hops.items():
            v = sorted(x * 1e6 for x in v)
            p90 = v[min(len(v) - 1, int(0.9 * len(v)))]
            print("  %-26s %8.0f %8.0f %8.0f" % (name, statistics.median(v), p90, statistics.mean(v)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
