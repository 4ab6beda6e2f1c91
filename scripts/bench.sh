#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # the functions run from the EXIT trap are reachable
# Parley's benchmarks, read as ratios against baselines run alongside them
# (docs/benchmarks.md explains the figures):
#
#   scripts/bench.sh
#   scripts/bench.sh --server ejabberd   # the same against the ejabberd test bed (or BENCH_SERVER=ejabberd)
#   scripts/bench.sh --server both       # Prosody, then ejabberd; one summary file for both
#   scripts/bench.sh -scale   # only the scale benchmarks (scripts/lib/bench-scale.sh)
#   scripts/bench.sh -day     # only a contact center's day, 2,000 sessions (scripts/lib/bench-day.sh)
#   scripts/bench.sh -timeline  # only a quiet message's hops between processes, from a packet capture (scripts/lib/bench-timeline.sh)
#   scripts/bench.sh -prosody-profile  # only where Prosody's Lua code goes, per Parley message and per echo round trip (scripts/lib/bench-profile.sh)
#   scripts/bench.sh -ab A B [ROUNDS]  # two parleyds (git revisions or binaries) alternated on the same test bed (scripts/lib/bench-ab.sh)
#
# 1. Brings the test bed up (scripts/testbed.sh up; stopped again at the end
#    only when this script started it).
# 2. Builds parleyd and parleyload into .state/bench/, starts parleyd on
#    chat.example.test with a Postgres schema of its own (parley_bench, made
#    afresh each run) and a per-JID rate limit out of the way, and stops it by
#    PID at the end.
# 3. Runs `go test -run '^$' -bench . -benchmem` over the packages that have
#    benchmarks, BENCH_ROUNDS times each (in-process baselines: the engine
#    next to the bare room, one commit of 100 entries next to 100 commits).
# 4. Runs parleyload in every mode (parley, the server's own MUC, an echo
#    component) twice: loaded (many rooms at once) and unloaded (one room,
#    one message in flight), with the CPU of the server, parleyd and Postgres
#    per message (/proc), what parleyd writes per message (its /metrics) and,
#    unloaded, one commit's latency (--commit-probe).
# 5. Durable (BENCH_DURABLE=0 skips it): starts a second Postgres of its own
#    with fsync and synchronous_commit on (scripts/lib/bench-durable.sh),
#    restarts parleyd on it and runs the loaded and unloaded parleyload again
#    (modes parley and echo); stops that Postgres at the end.
# 6. Prints a summary: the ratios, then issue 13's done-when lines with their
#    targets and met / NOT met (scripts/lib/bench-summary.py). Everything it
#    printed is kept in .state/bench/.
#
# A few minutes on 2 cores (more with BENCH_ROUNDS=5). Not part of scripts/test.sh
# (too long for CI). The scale benchmarks (BenchmarkScale*: 100k live sessions
# in the engine, 1M stored in Postgres) are left out of step 3: -scale runs
# them alone and prints their ratios (tens of minutes, most of it seeding).
# Other load on the machine (tests running against the same test bed) skews
# the figures: the script says so when it sees some.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ "${1:-}" == "-scale" || "${1:-}" == "--scale" ]]; then
	exec "$ROOT/scripts/lib/bench-scale.sh"
fi
[[ "${1:-}" == "-day" || "${1:-}" == "--day" ]] && exec "$ROOT/scripts/lib/bench-day.sh" # a contact center's day (scripts/lib/bench-day.sh)
[[ "${1:-}" == "-timeline" || "${1:-}" == "--timeline" ]] && exec "$ROOT/scripts/lib/bench-timeline.sh" # the hops between processes (scripts/lib/bench-timeline.sh)
[[ "${1:-}" == "-prosody-profile" || "${1:-}" == "--prosody-profile" ]] && exec "$ROOT/scripts/lib/bench-profile.sh" # Prosody's Lua code per message (scripts/lib/bench-profile.sh)
if [[ "${1:-}" == "-ab" || "${1:-}" == "--ab" ]]; then
	shift
	exec "$ROOT/scripts/lib/bench-ab.sh" "$@" # two parleyds against each other (scripts/lib/bench-ab.sh)
fi
# shellcheck source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source=lib/pg.sh
. "$ROOT/scripts/lib/pg.sh"
# shellcheck source=lib/bench-durable.sh
. "$ROOT/scripts/lib/bench-durable.sh"
# The XMPP server of the test bed to measure through: prosody or ejabberd.
SERVER="${BENCH_SERVER:-prosody}"
while (( $# > 0 )); do
	case "$1" in
		--server) SERVER="${2:-}"; shift 2 || { echo "bench: --server needs a value" >&2; exit 2; } ;;
		--server=*) SERVER="${1#--server=}"; shift ;;
		*) echo "usage: $0 [-scale | -day | -timeline | -prosody-profile | -ab A B [ROUNDS] | --server prosody|ejabberd|both]" >&2; exit 2 ;;
	esac
done
case "$SERVER" in prosody | ejabberd | both) ;; *) echo "bench: unknown server $SERVER (prosody, ejabberd, both)" >&2; exit 2 ;; esac
# both: this script twice, Prosody then ejabberd (the Go benchmarks only in
# the first; each run brings up and stops what it needs of the test bed);
# the two summaries in one file, .state/bench/summary-both.txt (ejabberd's
# figures in .state/bench/ejabberd/).
if [[ "$SERVER" == both ]]; then
	both_rc=0
	BENCH_SERVER=prosody BENCH_OUT="$STATE/bench" "$0" || both_rc=1
	BENCH_SERVER=ejabberd BENCH_OUT="$STATE/bench/ejabberd" BENCH_GO=0 "$0" || both_rc=1
	cat "$STATE/bench/summary.txt" - "$STATE/bench/ejabberd/summary.txt" <<<"" >"$STATE/bench/summary-both.txt" || both_rc=1
	echo "bench: both summaries in ${STATE#"$ROOT"/}/bench/summary-both.txt" >&2
	exit "$both_rc"
fi

log() { printf '%s\n' "bench: $*" >&2; }
die() { printf '%s\n' "bench: error: $*" >&2; exit 1; }

# Sizes of the parleyload runs (override from the environment). Twelve agents
# with four rooms each: one connection carrying many busy rooms queues its
# own messages behind each other, which is not what is measured here.
AGENTS=agent1,agent2,agent3,agent4,agent5,agent6,agent7,agent8,agent9,agent10,agent11,agent12
LOADED_ROOMS="${BENCH_ROOMS:-48}"
LOADED_MESSAGES="${BENCH_MESSAGES:-50}"
LOADED_WINDOW="${BENCH_WINDOW:-4}"
UNLOADED_MESSAGES="${BENCH_UNLOADED_MESSAGES:-100}"
# One commit's latency: this many commits timed after each unloaded round.
COMMIT_PROBE="${BENCH_COMMIT_PROBE:-200}"
# The durable runs (a Postgres with fsync on): 0 leaves them out.
DURABLE="${BENCH_DURABLE:-1}"
# BENCH_GO=0 leaves the Go benchmarks out (they do not depend on the server).
# Every figure is the median of this many runs (the modes interleaved), so
# that a burst of other work on the machine moves one run, not the result.
ROUNDS="${BENCH_ROUNDS:-3}"
DOMAIN=chat.example.test
SCHEMA=parley_bench

OUT="${BENCH_OUT:-$STATE/bench}"
bench_begin "$OUT" "scripts/bench.sh"

parleyd_pid=""
sampler_pid=""
started_testbed=0
started_durable=0
started_ejabberd=0
cleanup() {
	local rc=$?
	if [[ -n "$sampler_pid" ]]; then
		kill "$sampler_pid" 2>/dev/null || true
		wait "$sampler_pid" 2>/dev/null || true
	fi
	bench_stop_parleyd
	if (( started_durable )); then
		bench_durable_down
	fi
	if (( started_testbed )); then
		scripts/testbed.sh down 8>&- || true
	elif (( started_ejabberd )); then
		# The rest of the test bed ran before: only the ejabberd this run started goes.
		(
			# shellcheck source=lib/ejabberd.sh
			. "$ROOT/scripts/lib/ejabberd.sh"
			exec 9>"$STATE/testbed.lock"
			flock -w 60 9 || exit 0
			ejabberd_down ejabberd
		) 8>&- || true
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_stop_stale_parleyd "$OUT"

if ! scripts/testbed.sh status --server "$SERVER" >/dev/null 2>&1; then
	if [[ "$SERVER" == ejabberd ]] && pg_running; then
		started_ejabberd=1 # Postgres (and maybe Prosody) ran before: they stay
	else
		started_testbed=1
	fi
fi
scripts/testbed.sh up --server "$SERVER" >/dev/null 8>&-
unset PARLEY_TEST_MUC PARLEY_TEST_ECHO_COMPONENT
if [[ "$SERVER" == ejabberd ]]; then
	# shellcheck source=/dev/null
	. "$STATE/testbed-ejabberd.env"
	SERVER_PID="$(cat "$STATE/ejabberd/pid" 2>/dev/null || true)" # the Erlang VM (beam.smp)
else
	# shellcheck source=/dev/null
	. "$STATE/testbed.env"
	SERVER_PID="$(cat "$STATE/prosody/pid" 2>/dev/null || true)"
	grep -q 'nagle = false; opportunistic_writes = true' "$STATE/prosody/prosody.cfg.lua" \
		|| die "the test bed's Prosody runs with Nagle on or without opportunistic writes (started by an older scripts/lib/prosody.sh): restart it (scripts/testbed.sh down && scripts/testbed.sh up) when no tests use it"
fi
[[ -n "${PARLEY_TEST_MUC:-}" && -n "${PARLEY_TEST_ECHO_COMPONENT:-}" ]] \
	|| die "the test bed's $SERVER was started before it had a MUC and an echo component: restart it (scripts/testbed.sh down && scripts/testbed.sh up) when no tests use it"
[[ -d "/proc/$SERVER_PID" ]] || die "no $SERVER process (pid '$SERVER_PID')"
# The test bed's postmaster: its backends' CPU is summed (none with an external database).
PG_PID=""
[[ -f "$PG_DIR/external" ]] || PG_PID="$(pg_pid)"

# Other tests or a browser running meanwhile take CPU from what is measured:
# a sampler notes them (our own benchmark binaries carry -test.bench).
others() {
	pgrep -af 'chromium|\.test -test\.' 2>/dev/null | grep -v -e 'test\.bench=' -e 'pgrep' | awk '{print $2}' | sed 's|.*/||' | sort -u | tr '\n' ' ' || true
}
: >"$OUT/busy.txt"
(
	while sleep 2; do
		o="$(others)"
		[[ -n "$o" ]] && echo "$(date +%T) $o" >>"$OUT/busy.txt"
	done
) 8>&- &
sampler_pid=$!

log "building parleyd and parleyload"
go build -o "$OUT/parleyd" ./cmd/parleyd
go build -o "$OUT/parleyload" ./cmd/parleyload

psql_bin="$(command -v psql || echo "$(pg_bindir)/psql")"
# start_parleyd DATABASE_URL LOG: parleyd's own schema in that database, made
# afresh (connections select it with search_path: DSN), then parleyd on it,
# serving its metrics on HTTP_ADDR.
start_parleyd() {
	local url="$1" logf="$2"
	bench_schema "$url" "$SCHEMA" "$psql_bin"
	bench_start_parleyd "$logf"
}
start_parleyd "$PARLEY_DATABASE_URL" "$OUT/parleyd.log"

status=0

# Packages with benchmarks.
# shellcheck disable=SC2016 # a Go template, not shell
mapfile -t pkgs < <(go list -f '{{$d := .Dir}}{{range .TestGoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .XTestGoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}' ./... \
	| xargs grep -l '^func Benchmark' | xargs -n1 dirname | sort -u | sed "s|^$ROOT|.|")
log "go benchmarks: ${pkgs[*]}"
if [[ "${BENCH_GO:-1}" != 0 ]]; then
	go test -run '^$' -bench . -skip 'BenchmarkScale' -benchmem -benchtime 0.5s -count "$ROUNDS" "${pkgs[@]}" 8>&- | tee "$OUT/go-bench.txt" || status=1
else
	log "go benchmarks left out (BENCH_GO=0)"
	: >"$OUT/go-bench.txt"
fi

# load NAME [FLAG...]: one parleyload run against the running parleyd (on
# DSN, its metrics on HTTP_ADDR), its Postgres's postmaster PGPID, the
# server SERVER_PID; the report in load-NAME.txt and load-NAME.json.
PGPID="$PG_PID"
load() {
	local name="$1"; shift
	local cost=(--cpu-server-pids "$SERVER_PID" --cpu-parleyd-pid "$parleyd_pid" --parleyd-metrics "http://$HTTP_ADDR/metrics")
	if [[ -n "$PGPID" ]]; then cost+=(--cpu-postgres-pid "$PGPID"); fi
	rm -f "$OUT/load-$name.json"
	log "parleyload ($name): $*"
	"$OUT/parleyload" --service "$DOMAIN" --database-url "$DSN" --modes parley,muc,echo --agents "$AGENTS" \
		--rounds "$ROUNDS" --stall 30s --time-limit 3m -v "${cost[@]}" --json-out "$OUT/load-$name.json" "$@" \
		2>"$OUT/load-$name.log" 8>&- | tee "$OUT/load-$name.txt" || status=1
}
LOADED=(--rooms "$LOADED_ROOMS" --messages "$LOADED_MESSAGES" --concurrency "$LOADED_ROOMS" --window "$LOADED_WINDOW")
UNLOADED=(--rooms 1 --messages "$UNLOADED_MESSAGES" --concurrency 1 --window 1 --commit-probe "$COMMIT_PROBE")
load loaded "${LOADED[@]}"
load unloaded "${UNLOADED[@]}"

# Durable: the same against a Postgres that syncs every commit to disk.
rm -f "$OUT"/load-*-durable.*
if [[ "$DURABLE" != 0 ]]; then
	bench_stop_parleyd
	started_durable=1
	bench_durable_up
	log "durable Postgres on ${DURABLE_URL} (pid $DURABLE_PID): fsync, synchronous_commit, full_page_writes on"
	start_parleyd "$DURABLE_URL" "$OUT/parleyd-durable.log"
	PGPID="$DURABLE_PID"
	load loaded-durable "${LOADED[@]}" --modes parley,echo
	load unloaded-durable "${UNLOADED[@]}" --modes parley,echo
	bench_stop_parleyd
	bench_durable_down
	started_durable=0
fi

# The summary: ratios only (docs/benchmarks.md tells how to read them).
{
	echo
	echo "== summary (ratios; server $SERVER; machine: $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)) =="
	# Medians of the -count runs of each benchmark.
	awk "$BENCH_AWK_MEDIAN"'
		/^Benchmark/ {
			name = $1; sub(/-[0-9]+$/, "", name)
			for (i = 2; i < NF; i++) if ($(i+1) == "ns/op" || $(i+1) == "ns/entry") { k = name " " $(i+1); val[k, ++cnt[k]] = $i }
		}
		END {
			split("100 500", hs, " ")
			for (k = 1; k <= 2; k++) {
				h = hs[k]
				e = median("BenchmarkEngineGroupchat/history=" h "/batch=1 ns/op"); b = median("BenchmarkRoomSendBaseline/history=" h " ns/op")
				if (e > 0 && b > 0) printf "engine/room (history %s): %.2f  (Engine.Process %.0f ns vs muc.Room.Send %.0f ns per message)\n", h, e / b, e, b
			}
			one = median("BenchmarkCommit/100x1 ns/entry"); many = median("BenchmarkCommit/1x100 ns/entry")
			if (one > 0 && many > 0) printf "commit 100x1 / 1x100: %.1f  (ns per transcript entry, one entry per commit vs 100)\n", one / many
		}' "$OUT/go-bench.txt"
	for name in loaded unloaded loaded-durable unloaded-durable; do
		if [[ -f "$OUT/load-$name.txt" ]]; then sed -n "s/^\(parley\/[a-z]*\): /parleyload $name, \1: /p" "$OUT/load-$name.txt"; fi
	done
	echo
	"$(system_python)" "$ROOT/scripts/lib/bench-summary.py" "$OUT" "$SERVER" || echo "(no done-when summary: scripts/lib/bench-summary.py failed)"
	echo "(figures in ${OUT#"$ROOT"/}/)"
	if [[ -s "$OUT/busy.txt" ]]; then
		echo "WARNING: other work ran during the benchmark ($(cut -d' ' -f2- "$OUT/busy.txt" | tr ' ' '\n' | grep . | sort -u | tr '\n' ' ')): the figures are noisy"
	fi
	if (( status != 0 )); then echo "SOME BENCHMARKS FAILED: see above"; fi
} | tee "$OUT/summary.txt"
exit "$status"
