# shellcheck shell=bash
# A second, private PostgreSQL cluster that really syncs to disk (fsync=on,
# synchronous_commit=on, full_page_writes=on), for scripts/bench.sh's durable
# runs: the test bed's own cluster runs with fsync off. Under $OUT/pg-durable
# (OUT is scripts/bench.sh's .state/bench), on a free port, made and started
# by scripts/lib/pg.sh's own pg_up with its folders pointed there; the
# durable settings are laid over the test bed's with ALTER SYSTEM (read after
# testbed.conf) and a reload. Source common.sh and pg.sh first.
#
#   bench_durable_up     starts it (initdb the first time); sets DURABLE_URL
#                        (database parley) and DURABLE_PID (the postmaster)
#   bench_durable_down   stops it by PID (the data stays)

bench_durable_vars() {
	PG_DIR="$OUT/pg-durable"
	PG_DATA="$PG_DIR/data"
	PG_SOCK="$PG_DIR/sock"
	PG_LOG="$PG_DIR/postgres.log"
}

bench_durable_up() {
	(
		bench_durable_vars
		# Not the test bed's URL: a cluster of its own.
		unset PARLEY_DATABASE_URL PARLEY_TESTBED_OWN_DATABASE_URL
		pg_up
	) 8>&- || die "could not start the durable Postgres in $OUT/pg-durable"
	local port psql
	DURABLE_PID="$(cat "$OUT/pg-durable/pid")"
	port="$(cat "$OUT/pg-durable/port")"
	DURABLE_URL="postgres://postgres@127.0.0.1:$port/parley?sslmode=disable"
	psql="$(command -v psql || echo "$(pg_bindir)/psql")"
	"$psql" -X -q -v ON_ERROR_STOP=1 "$DURABLE_URL" \
		-c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
		-c "ALTER SYSTEM SET full_page_writes = on" -c "SELECT pg_reload_conf()" >/dev/null \
		|| die "could not make $DURABLE_URL durable"
	local got=""
	for _ in $(seq 50); do
		got="$("$psql" -X -qtA "$DURABLE_URL" -c "SELECT current_setting('fsync') || ',' || current_setting('synchronous_commit') || ',' || current_setting('full_page_writes')")"
		[[ "$got" == on,on,on ]] && return 0
		sleep 0.1
	done
	die "the durable Postgres runs with fsync,synchronous_commit,full_page_writes = $got"
}

bench_durable_down() {
	(
		bench_durable_vars
		pg_down
	) || true
}
