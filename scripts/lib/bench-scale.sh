#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # the function run from the EXIT trap is reachable
# The scale benchmarks (issue 13), run by `scripts/bench.sh -scale`: the cost
# that must stay flat as state grows, read as ratios of the same benchmark at
# two sizes of the same run.
#
#   - sessions: a visitor's message, a request, a timer tick with 1k, 10k and
#     100k live sessions in the engine, and a restore (a start) of as many;
#     the ratio is of the CPU time per operation (cpu-ns/op, which a busy
#     machine skews less than wall time), 100k over 1k;
#   - pgstore: the request's token lookup and the reconnect's session lookup
#     against the test bed's Postgres with 1k and 1M stored sessions, the two
#     sizes measured in alternating rounds; the ratio is of the p99, 1M over 1k.
#
# Every figure is the median of SCALE_COUNT runs (-count, default 5; the
# Postgres benchmark seeds its million rows once and takes SCALE_COUNT rounds
# inside one run). Seeding a million sessions takes minutes on a busy
# machine; SCALE_STORED=small runs the 1k case alone (no ratio). The machine's
# load average is printed with each step and kept in .state/bench/scale/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=common.sh
. "$ROOT/scripts/lib/common.sh"

log() { printf '%s\n' "bench -scale: $*" >&2; }

COUNT="${SCALE_COUNT:-5}"
OUT="$STATE/bench/scale"
mkdir -p "$OUT"

if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
	PATH="$PATH:/usr/local/go/bin"
fi

started_testbed=0
cleanup() {
	local rc=$?
	if (( started_testbed )); then
		scripts/testbed.sh down || true
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/testbed.sh status >/dev/null 2>&1 || started_testbed=1
scripts/testbed.sh up >/dev/null
# shellcheck source=/dev/null
. "$STATE/testbed.env"

log "building the test binaries"
go test -c -o "$OUT/sessions.test" ./sessions
go test -c -o "$OUT/pgstore.test" ./sessions/pgstore

run() { # file, binary, args…
	local file="$1" bin="$2"; shift 2
	echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg): $*" >>"$OUT/$file"
	log "$(basename "$bin") $* (load $(cut -d' ' -f1-3 /proc/loadavg))"
	(cd "$(dirname "$bin")" && "$bin" -test.run '^$' -test.benchmem "$@") | tee -a "$OUT/$file"
}

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
{
	echo "# scripts/bench.sh -scale, commit $commit$(git diff --quiet 2>/dev/null || echo ' (modified)'), $(date -u +%FT%TZ), $(nproc) cores"
} | tee "$OUT/engine.txt" >"$OUT/store.txt"
status=0
# The request benchmark adds a session per operation: a fixed count.
run engine.txt "$OUT/sessions.test" -test.bench 'BenchmarkScale(Message|Tick)/' -test.benchtime 20000x -test.count "$COUNT" || status=1
run engine.txt "$OUT/sessions.test" -test.bench 'BenchmarkScaleRequest/' -test.benchtime 2000x -test.count "$COUNT" || status=1
run engine.txt "$OUT/sessions.test" -test.bench 'BenchmarkScale(SupervisorPage|VisitorItems|AgentItems|Workspace)/' -test.benchtime 2000x -test.count "$COUNT" || status=1
run engine.txt "$OUT/sessions.test" -test.bench 'BenchmarkWatchedMessage/' -test.benchtime 5000x -test.count "$COUNT" || status=1
run engine.txt "$OUT/sessions.test" -test.bench 'BenchmarkScaleRestore/' -test.benchtime 3x -test.count "$COUNT" || status=1
stored=1000,1000000
[[ "${SCALE_STORED:-}" == small ]] && stored=1000
PARLEY_BENCH_ROUNDS="$COUNT" PARLEY_BENCH_STORED="$stored" \
	run store.txt "$OUT/pgstore.test" -test.bench 'BenchmarkScaleLookup/' -test.benchtime 5000x -test.count 1 -test.timeout 60m || status=1

{
	echo
	echo "== scale summary (commit $commit, $(date -u +%FT%TZ), load now $(cut -d' ' -f1-3 /proc/loadavg)) =="
	awk "$BENCH_AWK_MEDIAN"'
		/^Benchmark/ {
			name = $1; sub(/-[0-9]+$/, "", name)
			for (i = 2; i < NF; i++) if ($(i+1) ~ /^(ns\/op|cpu-ns\/op|cpu-ns\/session|p50-µs\/.*|p99-µs\/.*)$/) { k = name " " $(i+1); val[k, ++cnt[k]] = $i }
		}
		function ratio(what, a, b, unit, target,   x, y) {
			x = median(a " " unit); y = median(b " " unit)
			if (x <= 0 || y <= 0) return
			printf "%-34s %7.2f  (%s %.0f vs %.0f; target <= %s: %s)\n", what, y / x, unit, y, x, target, (y / x <= target ? "met" : "NOT met")
		}
		END {
			split("Message Request Tick SupervisorPage VisitorItems AgentItems Workspace", ops, " ")
			for (k = 1; k <= 7; k++) {
				o = ops[k]
				ratio(tolower(o) " 100k/1k sessions", "BenchmarkScale" o "/sessions=1000", "BenchmarkScale" o "/sessions=100000", "cpu-ns/op", 1.3)
				ratio(tolower(o) " 10k/1k sessions", "BenchmarkScale" o "/sessions=1000", "BenchmarkScale" o "/sessions=10000", "cpu-ns/op", 1.3)
			}
			ratio("watched message 1000/10 agents", "BenchmarkWatchedMessage/agents=10", "BenchmarkWatchedMessage/agents=1000", "cpu-ns/op", 1.3)
			ratio("restore per session 100k/1k", "BenchmarkScaleRestore/sessions=1000", "BenchmarkScaleRestore/sessions=100000", "cpu-ns/session", 1.3)
			split("token session", lk, " ")
			for (k = 1; k <= 2; k++) {
				o = "BenchmarkScaleLookup/op=" lk[k]
				x = median(o " p99-µs/1k"); y = median(o " p99-µs/1M")
				if (x > 0 && y > 0) printf "%-34s %7.2f  (p99-µs %.0f vs %.0f, p50-µs %.0f vs %.0f; target <= 1.5: %s)\n", lk[k] " lookup p99 1M/1k stored", y / x, y, x, median(o " p50-µs/1M"), median(o " p50-µs/1k"), (y / x <= 1.5 ? "met" : "NOT met")
			}
		}' "$OUT/engine.txt" "$OUT/store.txt"
	echo "(figures in ${OUT#"$ROOT"/}/; the through-Prosody ratios are the default mode of scripts/bench.sh)"
	if (( status != 0 )); then echo "SOME BENCHMARKS FAILED: see above"; fi
} | tee "$OUT/summary.txt"
exit "$status"
