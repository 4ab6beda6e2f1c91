#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # the function run from the EXIT trap is reachable
# A quiet message's way between processes (issue 13), run by `scripts/bench.sh
# -timeline`: parleyd's own stages (parley_stage_seconds) cover what happens
# inside it; this covers the hops between the processes, from the kernel's
# own timestamps of every packet on the loopback interface.
#
#   1. brings the test bed up (Prosody; stopped again only when this script
#      started it);
#   2. builds parleyd and parleyload into .state/bench/timeline/ and starts
#      parleyd with a schema of its own (parley_bench_timeline);
#   3. captures the client, component and Postgres ports with tcpdump while
#      parleyload runs the unloaded modes parley and echo (one room, one
#      message in flight each way);
#   4. prints, per mode, each hop's p50, p90 and mean over the messages
#      (scripts/lib/bench-timeline.py), and keeps the capture in
#      .state/bench/timeline/.
#
# tcpdump needs root (or CAP_NET_RAW); scripts/install-deps.sh installs it.
# TIMELINE_MESSAGES (200) messages each way, one round. Under a minute.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source=pg.sh
. "$ROOT/scripts/lib/pg.sh"

log() { printf '%s\n' "bench -timeline: $*" >&2; }
die() { printf '%s\n' "bench -timeline: error: $*" >&2; exit 1; }

MESSAGES="${TIMELINE_MESSAGES:-200}"
DOMAIN=chat.example.test
SCHEMA=parley_bench_timeline
OUT="$STATE/bench/timeline"
bench_begin "$OUT" "scripts/bench.sh -timeline"
command -v tcpdump >/dev/null || die "no tcpdump (scripts/install-deps.sh installs it)"

tcpdump_pid=""
stop_tcpdump() {
	if [[ -n "$tcpdump_pid" ]]; then
		kill "$tcpdump_pid" 2>/dev/null || true
		wait "$tcpdump_pid" 2>/dev/null || true
	fi
}
BENCH_AT_EXIT=stop_tcpdump
bench_traps
bench_stop_stale_parleyd "$OUT"
unset PARLEY_TEST_ECHO_COMPONENT
bench_testbed_up
[[ -n "${PARLEY_TEST_ECHO_COMPONENT:-}" ]] || die "the test bed's Prosody has no echo component: restart it (scripts/testbed.sh down && scripts/testbed.sh up)"

log "building parleyd and parleyload"
go build -o "$OUT/parleyd" ./cmd/parleyd
go build -o "$OUT/parleyload" ./cmd/parleyload
psql_bin="$(command -v psql || echo "$(pg_bindir)/psql")"
bench_schema "$PARLEY_DATABASE_URL" "$SCHEMA" "$psql_bin"

bench_start_parleyd "$OUT/parleyd.log"

c2s_port="${PARLEY_TEST_C2S_ADDR##*:}"
comp_port="${PARLEY_XMPP_ADDR##*:}"
pg_port="$(sed -E 's|^[a-z]+://[^/]*:([0-9]+)/.*|\1|' <<<"$PARLEY_DATABASE_URL")"
[[ "$pg_port" =~ ^[0-9]+$ ]] || die "no Postgres port in PARLEY_DATABASE_URL"
rm -f "$OUT/capture.pcap"
tcpdump -i lo -nn -U -B 16384 -s 2048 -w "$OUT/capture.pcap" "tcp port $c2s_port or tcp port $comp_port or tcp port $pg_port" \
	2>"$OUT/tcpdump.log" 8>&- &
tcpdump_pid=$!
for _ in $(seq 50); do
	grep -q 'listening on' "$OUT/tcpdump.log" 2>/dev/null && break
	kill -0 "$tcpdump_pid" 2>/dev/null || { cat "$OUT/tcpdump.log" >&2; die "tcpdump did not start (it needs root or CAP_NET_RAW)"; }
	sleep 0.1
done

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
load0="$(cut -d' ' -f1-3 /proc/loadavg)"
log "parleyload: modes parley,echo, 1 room, $MESSAGES messages each way, window 1 (load $load0)"
"$OUT/parleyload" --service "$DOMAIN" --database-url "$DSN" --modes parley,echo --agents agent1 \
	--rooms 1 --messages "$MESSAGES" --concurrency 1 --window 1 --rounds 1 --stall 30s \
	>"$OUT/parleyload.txt" 2>"$OUT/parleyload.log" 8>&- || { cat "$OUT/parleyload.log" >&2; die "parleyload failed"; }
# tcpdump writes behind the traffic: let it catch up before it stops (it
# says how many packets it saw and how many it wrote).
sleep 2
kill -INT "$tcpdump_pid" 2>/dev/null || true
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=""

{
	echo "== timeline (commit $commit, $(date -u +%FT%TZ), $(nproc) cores, load $load0 before) =="
	grep -E '^(mode|parley|echo) ' "$OUT/parleyload.txt" | head -3
	grep -E 'captured|received by filter|dropped' "$OUT/tcpdump.log" | tr '\n' ' ' | sed 's/^/tcpdump: /; s/ $/\n/'
	"$(system_python)" "$ROOT/scripts/lib/bench-timeline.py" "$OUT/capture.pcap" "$c2s_port" "$comp_port" "$pg_port"
} | tee "$OUT/summary.txt"
log "capture and summary in ${OUT#"$ROOT"/}/"
