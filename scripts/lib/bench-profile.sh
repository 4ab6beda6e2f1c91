#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # the function run from the EXIT trap is reachable
# Where Prosody spends its time on a Parley message and on an echo round
# trip (issue 13), run by `scripts/bench.sh -prosody-profile`:
#
#   1. restarts the test bed's Prosody with a sampling profiler of its Lua
#      code (scripts/lib/prosody-modules/mod_parley_profile.lua; the test bed
#      is stopped first, and brought back as it was at the end, without it);
#   2. builds parleyd and parleyload into .state/bench/profile/ and starts
#      parleyd with a schema of its own (parley_bench_profile);
#   3. runs parleyload loaded, mode parley alone, then mode echo alone, and
#      takes the profiler's counts before, between and after;
#   4. prints, per mode, the samples per message in the parts of Prosody that
#      matter here (what a client sends, what a component sends, parsing,
#      serialising, JIDs) and the functions that differ most
#      (scripts/lib/bench-profile.py).
#
# The profiler slows Prosody down (about twice): read the ratios, not the
# rates. PROFILE_ROOMS (48) rooms, PROFILE_MESSAGES (50) messages each way.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source=pg.sh
. "$ROOT/scripts/lib/pg.sh"

log() { printf '%s\n' "bench -prosody-profile: $*" >&2; }
die() { printf '%s\n' "bench -prosody-profile: error: $*" >&2; exit 1; }

ROOMS="${PROFILE_ROOMS:-48}"
MESSAGES="${PROFILE_MESSAGES:-50}"
DOMAIN=chat.example.test
SCHEMA=parley_bench_profile
OUT="$STATE/bench/profile"
bench_begin "$OUT" "scripts/bench.sh -prosody-profile"
AGENTS=agent1,agent2,agent3,agent4,agent5,agent6,agent7,agent8,agent9,agent10,agent11,agent12

parleyd_pid=""
was_up=0
scripts/testbed.sh status >/dev/null 2>&1 && was_up=1
cleanup() {
	local rc=$?
	bench_stop_parleyd
	scripts/testbed.sh down >/dev/null 8>&- || true
	if (( was_up )); then
		unset PARLEY_PROSODY_PROFILE
		scripts/testbed.sh up >/dev/null 8>&- || true
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_stop_stale_parleyd "$OUT"
log "restarting the test bed with Prosody's profiler"
scripts/testbed.sh down >/dev/null 8>&- || true
rm -f "$OUT/counts.txt"
PARLEY_PROSODY_PROFILE="$OUT/counts.txt" scripts/testbed.sh up >/dev/null 8>&-
unset PARLEY_TEST_ECHO_COMPONENT
# shellcheck source=/dev/null
. "$STATE/testbed.env"
[[ -n "${PARLEY_TEST_ECHO_COMPONENT:-}" ]] || die "the test bed's Prosody has no echo component"

log "building parleyd and parleyload"
go build -o "$OUT/parleyd" ./cmd/parleyd
go build -o "$OUT/parleyload" ./cmd/parleyload
psql_bin="$(command -v psql || echo "$(pg_bindir)/psql")"
bench_schema "$PARLEY_DATABASE_URL" "$SCHEMA" "$psql_bin"
bench_start_parleyd "$OUT/parleyd.log"

# snapshot NAME: the profiler's counts now (it writes them every 2 s).
snapshot() {
	sleep 2.5
	[[ -f "$OUT/counts.txt" ]] || die "the profiler wrote nothing (Prosody's log: $PARLEY_TEST_PROSODY_LOG)"
	cp "$OUT/counts.txt" "$OUT/counts-$1.txt"
}
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
load0="$(cut -d' ' -f1-3 /proc/loadavg)"
snapshot 0
for mode in parley echo; do
	log "parleyload: mode $mode, $ROOMS rooms, $MESSAGES messages each way"
	"$OUT/parleyload" --service "$DOMAIN" --database-url "$DSN" --modes "$mode" --agents "$AGENTS" \
		--rooms "$ROOMS" --messages "$MESSAGES" --concurrency "$ROOMS" --window 4 --rounds 1 --stall 30s \
		>"$OUT/parleyload-$mode.txt" 2>"$OUT/parleyload-$mode.log" 8>&- || { cat "$OUT/parleyload-$mode.log" >&2; die "parleyload failed"; }
	snapshot "$mode"
done
messages() { awk -v m="$1" '$1 == m { print $3; exit }' "$OUT/parleyload-$1.txt"; }
{
	echo "== Prosody's Lua code per message (commit $commit, $(date -u +%FT%TZ), $(nproc) cores, load $load0 before) =="
	grep -hE '^(mode|parley|echo) ' "$OUT/parleyload-parley.txt" "$OUT/parleyload-echo.txt" | awk '!seen[$0]++' | head -3
	"$(system_python)" "$ROOT/scripts/lib/bench-profile.py" "$OUT/counts-0.txt" "$OUT/counts-parley.txt" "$OUT/counts-echo.txt" \
		"$(messages parley)" "$(messages echo)"
} | tee "$OUT/summary.txt"
log "counts and summary in ${OUT#"$ROOT"/}/"
