#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # the function run from the EXIT trap is reachable
# Two parleyds against each other on the same test bed (issue 13), run by
# `scripts/bench.sh -ab A B [ROUNDS]`: A and B are git revisions (built into
# .state/bench/ab/) or parleyd binaries; AB_ENV_A / AB_ENV_B are environment
# assignments for that side only (AB_ENV_B='GOMAXPROCS=1' measures a
# setting, with A=B=HEAD). ROUNDS (5) times, alternating A and B, each on a
# fresh schema: parleyload unloaded (modes parley and echo, one room, one
# message in flight per sender, AB_MESSAGES (300) each way), or loaded with
# AB_LOADED=1 (modes parley and muc, 48 rooms, window 4). One line per run:
# the p50s (unloaded: parley − echo, the machine's noise largely cancels) or
# the throughputs, parleyd's CPU per message, and parleyd's stages
# (parley_stage_seconds: p50/mean in µs). The runs' medians at the end. A
# machine whose echo p50 moves by more than the difference measures nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source=pg.sh
. "$ROOT/scripts/lib/pg.sh"

log() { printf '%s\n' "bench -ab: $*" >&2; }
die() { printf '%s\n' "bench -ab: error: $*" >&2; exit 1; }

(( $# >= 2 )) || die "usage: scripts/bench.sh -ab A B [ROUNDS] (git revisions or parleyd binaries)"
ROUNDS="${3:-5}"
MESSAGES="${AB_MESSAGES:-300}"
DOMAIN=chat.example.test
SCHEMA=parley_bench_ab
OUT="$STATE/bench/ab"
bench_begin "$OUT" "scripts/bench.sh -ab"

# side_binary NAME SPEC: SPEC built or copied to $OUT/parleyd-NAME.
side_binary() {
	local name="$1" spec="$2" dst="$OUT/parleyd-$1"
	if [[ -f "$spec" && -x "$spec" ]]; then
		cp "$spec" "$dst"
		return
	fi
	git rev-parse --verify -q "$spec^{commit}" >/dev/null || die "$spec: neither a binary nor a git revision"
	local tree="$OUT/tree-$name"
	rm -rf "$tree"
	git worktree add -q --detach "$tree" "$spec" 8>&-
	(cd "$tree" && go build -o "$dst" ./cmd/parleyd) 8>&-
	git worktree remove --force "$tree" 8>&-
}

bench_traps
bench_stop_stale_parleyd "$OUT"
bench_testbed_up
log "building A ($1) and B ($2), and parleyload"
side_binary A "$1"
side_binary B "$2"
go build -o "$OUT/parleyload" ./cmd/parleyload
psql_bin="$(command -v psql || echo "$(pg_bindir)/psql")"
AGENTS=agent1,agent2,agent3,agent4,agent5,agent6,agent7,agent8,agent9,agent10,agent11,agent12

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "== A/B (A $1 ${AB_ENV_A:-}, B $2 ${AB_ENV_B:-}; tree $commit, $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) before; ${AB_LOADED:+loaded}${AB_LOADED:-unloaded}) ==" |
	tee "$OUT/summary.txt"
for i in $(seq "$ROUNDS"); do
	for side in A B; do
		cp "$OUT/parleyd-$side" "$OUT/parleyd"
		envvar="AB_ENV_$side"
		bench_schema "$PARLEY_DATABASE_URL" "$SCHEMA" "$psql_bin" >/dev/null
		# This side's assignments, for its parleyd only.
		# What the caller had under the same names is put back after.
		read -r -a assigns <<<"${!envvar:-}"
		saved=()
		for a in "${assigns[@]}"; do
			[[ "$a" == [A-Za-z_]*=* ]] || die "$envvar: $a is not NAME=VALUE"
			name="${a%%=*}"
			if [[ -v "$name" ]]; then saved+=("$name=${!name}"); else saved+=("$name"); fi
			export "${a?}"
		done
		bench_start_parleyd "$OUT/parleyd-$side.log" 2>/dev/null
		for s in "${saved[@]}"; do
			if [[ "$s" == *=* ]]; then export "${s?}"; else unset "$s"; fi
		done
		if [[ -n "${AB_LOADED:-}" ]]; then
			"$OUT/parleyload" --service "$DOMAIN" --database-url "$DSN" --modes parley,muc --agents "$AGENTS" \
				--rooms 48 --messages 100 --concurrency 48 --window 4 --rounds 1 --stall 30s \
				--cpu-parleyd-pid "$parleyd_pid" --json-out "$OUT/run.json" >/dev/null 2>"$OUT/parleyload.log" 8>&- ||
				{ cat "$OUT/parleyload.log" >&2; die "parleyload failed"; }
		else
			"$OUT/parleyload" --service "$DOMAIN" --database-url "$DSN" --modes parley,echo --agents agent1 \
				--rooms 1 --messages "$MESSAGES" --concurrency 1 --window 1 --rounds 1 --stall 30s \
				--cpu-parleyd-pid "$parleyd_pid" --json-out "$OUT/run.json" >/dev/null 2>"$OUT/parleyload.log" 8>&- ||
				{ cat "$OUT/parleyload.log" >&2; die "parleyload failed"; }
		fi
		curl -fsS "http://$HTTP_ADDR/metrics" >"$OUT/metrics.txt"
		bench_stop_parleyd 2>/dev/null
		"$(system_python)" "$ROOT/scripts/lib/bench-ab.py" line "$i" "$side" "$OUT/run.json" "$OUT/metrics.txt" |
			tee -a "$OUT/summary.txt"
	done
done
"$(system_python)" "$ROOT/scripts/lib/bench-ab.py" medians "$OUT/summary.txt" | tee -a "$OUT/summary.txt"
log "summary in ${OUT#"$ROOT"/}/summary.txt"
