#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # the function run from the EXIT trap is reachable
# A contact center's day on one machine (issue 13), run by `scripts/bench.sh
# -day`: parleyload --scenario day (cmd/parleyload/day.go) with thousands of
# mostly idle sessions, Parley against Prosody's own MUC with the same clients
# and pacing, the modes interleaved round by round.
#
#   1. brings the test bed up (stopped again only when this script started
#      it) with the open-files limit raised for the connections;
#   2. makes the agent accounts (scripts/testbed.sh agents N);
#   3. builds parleyd and parleyload into .state/bench/day/ and starts parleyd
#      on chat.example.test with a schema of its own (parley_bench_day, made
#      afresh), every per-JID and per-visitor limit and the queue limit out of
#      the way; stops it by PID at the end;
#   4. runs the scenario (modes parley,muc, DAY_ROUNDS rounds) with /proc
#      figures for parleyd and Prosody, and writes summary.txt.
#
# Sizes (environment): DAY_SESSIONS (2000), DAY_PER_AGENT (4), DAY_INTERVAL
# (5s: each side sends every 5 to 10 s), DAY_DURATION (3m per mode and round),
# DAY_ROUNDS (3), DAY_DIAL (32 logins, requests and joins in flight). The
# defaults take about 25 minutes; DAY_ROUNDS=1 about 9.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source=pg.sh
. "$ROOT/scripts/lib/pg.sh"

log() { printf '%s\n' "bench -day: $*" >&2; }
die() { printf '%s\n' "bench -day: error: $*" >&2; exit 1; }

SESSIONS="${DAY_SESSIONS:-2000}"
PER_AGENT="${DAY_PER_AGENT:-4}"
INTERVAL="${DAY_INTERVAL:-5s}"
DURATION="${DAY_DURATION:-3m}"
ROUNDS="${DAY_ROUNDS:-3}"
DIAL="${DAY_DIAL:-32}"
AGENTS=$(( (SESSIONS + PER_AGENT - 1) / PER_AGENT ))
DOMAIN=chat.example.test
SCHEMA=parley_bench_day

OUT="$STATE/bench/day"
bench_begin "$OUT" "scripts/bench.sh -day"

# Every session is two c2s connections on each side of Prosody's socket,
# and parleyload holds all of them: raise the open-files limit (inherited by
# a Prosody and parleyd started here).
need_fds=$(( 2 * (SESSIONS + AGENTS) + 512 ))
if (( $(ulimit -n) < need_fds )); then
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	(( $(ulimit -n) >= need_fds )) || die "open-files limit $(ulimit -n) is below $need_fds (raise the hard limit)"
fi

bench_traps
bench_stop_stale_parleyd "$OUT"
unset PARLEY_TEST_MUC
bench_testbed_up
[[ -n "${PARLEY_TEST_MUC:-}" ]] || die "the test bed's Prosody has no MUC: restart it (scripts/testbed.sh down && scripts/testbed.sh up)"
prosody_pid="$(cat "$STATE/prosody/pid")"
grep -q muc_room_cache_size "$STATE/prosody/prosody.cfg.lua" \
	|| die "the test bed's Prosody was started before its MUC could hold thousands of rooms: restart it (scripts/testbed.sh down && scripts/testbed.sh up) when no tests use it"
prosody_fds="$(awk '/^Max open files/ {print $4}' "/proc/$prosody_pid/limits")"
(( prosody_fds >= SESSIONS + AGENTS + 256 )) \
	|| die "the test bed's Prosody may open $prosody_fds files, fewer than $SESSIONS + $AGENTS connections: restart it from here (scripts/testbed.sh down; run this again)"
scripts/testbed.sh agents "$AGENTS" 8>&-

log "building parleyd and parleyload"
go build -o "$OUT/parleyd" ./cmd/parleyd
go build -o "$OUT/parleyload" ./cmd/parleyload

psql_bin="$(command -v psql || echo "$(pg_bindir)/psql")"
bench_schema "$PARLEY_DATABASE_URL" "$SCHEMA" "$psql_bin"

# Defences, not subjects of the benchmark, out of the way: the queue limit
# (2,000 requests at once), the per-visitor limits; the offer waits longer
# than a busy machine's slowest join.
bench_start_parleyd "$OUT/parleyd.log" \
	--queue-limit 0 --visitor-requests-per-minute 0 --visitor-sessions 0 --visitor-queued 0 \
	--capacity "$PER_AGENT" --offer-timeout 2m --idle-suspend 1h

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
log "parleyload --scenario day: $SESSIONS sessions, $PER_AGENT per agent, every $INTERVAL to 2x, $DURATION per mode, $ROUNDS rounds (load $(cut -d' ' -f1-3 /proc/loadavg))"
load0="$(cut -d' ' -f1-3 /proc/loadavg)"
status=0
"$OUT/parleyload" --scenario day --json -v --service "$DOMAIN" --database-url "$DSN" --modes parley,muc \
	--sessions "$SESSIONS" --per-agent "$PER_AGENT" --interval "$INTERVAL" --duration "$DURATION" \
	--rounds "$ROUNDS" --dial "$DIAL" --stall 60s --parleyd-pid "$parleyd_pid" --server-pid "$prosody_pid" \
	>"$OUT/day.json" 2> >(tee "$OUT/day.log" >&2) 8>&- || status=1
load1="$(cut -d' ' -f1-3 /proc/loadavg)"

{
	echo
	echo "== day summary (commit $commit, $(date -u +%FT%TZ), $(nproc) cores, load $load0 before, $load1 after) =="
	python3 - "$OUT/day.json" <<-'EOF' || echo "no report: see ${OUT#"$ROOT"/}/day.log"
		import json, sys
		rep = json.load(open(sys.argv[1]))
		print("%d sessions (%d agents x %d), a message each way every %s to 2x, %s per mode, %d rounds; logins %.0fs"
		      % (rep["sessions"], rep["agents"], rep["per_agent"], rep["interval"], rep["duration"], len(rep["rounds"]), rep["login_seconds"]))
		for m in rep["modes"]:
		    print("%-6s sent %d, delivered %d, lost %d, duplicates %d, errors %d; p50 %.2f ms, p99 %.2f ms, max %.1f ms; setup %.0fs%s"
		          % (m["mode"], m["sent"], m["delivered"], m["lost"], m["duplicates"], m["errors"], m["p50_ms"], m["p99_ms"], m["max_ms"],
		             m["setup_seconds"], ("; FAILED: " + m["failure"]) if m.get("failure") else ""))
		    for who in ("parleyd", "server", "client"):
		        f = m.get(who)
		        if f:
		            print("       %-7s RSS %.1f KB per live session (%d KB before, %d KB steady), CPU %.2f ms per session-minute (%.1f s)"
		                  % ({"server": "prosody", "client": "clients"}.get(who, who), f["rss_kb_per_session"], f["base_rss_kb"], f["steady_rss_kb"],
		                     f["cpu_ms_per_session_minute"], f["cpu_seconds"]))
		r = (rep.get("ratios") or {}).get("parley/muc")
		if r:
		    print("parley/muc p99 %.2f (target <= 1.2: %s), p50 %.2f, prosody CPU %.2f"
		          % (r["p99"], "met" if r["p99"] <= 1.2 else "NOT met", r["p50"], r.get("server_cpu", 0)))
		else:
		    print("parley/muc: no ratio (a mode lost messages or failed)")
		print("nothing lost or duplicated" if rep["ok"] else "NOT OK: some messages were not delivered exactly once")
	EOF
	echo "(figures in ${OUT#"$ROOT"/}/: day.json, day.log, parleyd.log)"
	if (( status != 0 )); then echo "THE DAY SCENARIO FAILED: see above"; fi
} | tee "$OUT/summary.txt"
exit "$status"
