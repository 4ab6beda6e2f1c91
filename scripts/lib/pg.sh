# shellcheck shell=bash
# A private PostgreSQL cluster for tests and local runs, under $STATE/pg.
# Source scripts/lib/common.sh first. Entry points: pg_up, pg_down, pg_status, pg_env.
#
#   $STATE/pg/data          the cluster (initdb -U postgres, trust auth on 127.0.0.1)
#   $STATE/pg/sock          its unix socket directory
#   $STATE/pg/postgres.log  the server log
#   $STATE/pg/pid, port     what the last pg_up started
#   $STATE/pg/env           the export lines for PARLEY_DATABASE_URL
#   $STATE/pg/external      present when PARLEY_DATABASE_URL was given: nothing started
#
# Postgres refuses to run as root; as root the server runs as the system user
# `postgres` (made by Debian's package) or, failing that, a `parley-pg` made here.

PG_DIR="$STATE/pg"
PG_DATA="$PG_DIR/data"
PG_SOCK="$PG_DIR/sock"
PG_LOG="$PG_DIR/postgres.log"
PG_DB=parley

# The newest /usr/lib/postgresql/<version>/bin, or $PG_BINDIR.
pg_bindir() {
	if [[ -n "${PG_BINDIR:-}" ]]; then echo "$PG_BINDIR"; return; fi
	local d
	d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
	[[ -n "$d" && -x "$d/postgres" ]] || die "no PostgreSQL server under /usr/lib/postgresql/*/bin (run scripts/install-deps.sh)"
	echo "$d"
}

# The user the server runs as: empty when not root (then: ourselves).
pg_run_user() {
	(( EUID == 0 )) || return 0
	if id -u postgres >/dev/null 2>&1; then echo postgres; return; fi
	if ! id -u parley-pg >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin parley-pg \
			|| die "could not create system user parley-pg"
	fi
	echo parley-pg
}

# pg_as CMD...: runs CMD as the server's user, from a directory it can read.
pg_as() {
	local u
	u="$(pg_run_user)"
	if [[ -n "$u" ]]; then
		(cd "$PG_DIR" && runuser -u "$u" -- "$@")
	else
		(cd "$PG_DIR" && "$@")
	fi
}

pg_pid() { cat "$PG_DIR/pid" 2>/dev/null || true; }
pg_port() { cat "$PG_DIR/port" 2>/dev/null || true; }
pg_running() { pid_alive "$(pg_pid)" postgres; }

pg_url_for_port() {
	echo "postgres://postgres@127.0.0.1:$1/$PG_DB?sslmode=disable"
}

pg_write_env() {
	local url="$1" own="$2"
	{
		echo "export PARLEY_DATABASE_URL=$(shell_quote "$url")"
		# Lets a later `up` from a shell that sourced testbed.env tell our own URL
		# from one given on purpose.
		if [[ "$own" == own ]]; then
			echo "export PARLEY_TESTBED_OWN_DATABASE_URL=$(shell_quote "$url")"
		fi
	} >"$PG_DIR/env"
}

pg_up() {
	mkdir -p "$PG_DIR"
	local given="${PARLEY_DATABASE_URL:-}"
	if [[ -n "$given" && "$given" == "${PARLEY_TESTBED_OWN_DATABASE_URL:-}" ]]; then
		given="" # the testbed's own URL, inherited from a sourced testbed.env
	fi
	if [[ -n "$given" ]]; then
		log "postgres: using PARLEY_DATABASE_URL from the environment; starting nothing"
		printf '%s\n' "$given" >"$PG_DIR/external"
		pg_write_env "$given" external
		return 0
	fi
	rm -f "$PG_DIR/external"

	if pg_running; then
		log "postgres: already running (pid $(pg_pid), port $(pg_port))"
		pg_write_env "$(pg_url_for_port "$(pg_port)")" own
		return 0
	fi

	local bindir user port
	bindir="$(pg_bindir)"
	user="$(pg_run_user)"

	mkdir -p "$PG_DATA" "$PG_SOCK"
	chmod 700 "$PG_DATA"
	if [[ -n "$user" ]]; then
		# Only the data and socket directories and the log belong to the server's user.
		touch "$PG_LOG"
		chown -R "$user": "$PG_DATA" "$PG_SOCK" "$PG_LOG"
		runuser -u "$user" -- test -w "$PG_SOCK" \
			|| die "user $user cannot reach $PG_SOCK: every directory above the repository must be searchable by others (chmod o+x)"
	fi

	if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
		log "postgres: initdb into $PG_DATA"
		pg_as "$bindir/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C -N \
			>"$PG_DIR/initdb.log" 2>&1 || { tail -n 30 "$PG_DIR/initdb.log" >&2; die "postgres: initdb failed"; }
		echo "include_if_exists = 'testbed.conf'" >>"$PG_DATA/postgresql.conf"
	fi
	local have want
	have="$(cat "$PG_DATA/PG_VERSION")"
	want="$("$bindir/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')"
	if [[ "$have" != "$want" ]]; then
		die "postgres: $PG_DATA is a version $have cluster but the server is $want; remove $PG_DIR to start over"
	fi

	port="$(free_ports 1)"
	local sock_q="${PG_SOCK//\'/\'\'}"
	# Settings for a disposable test database: fast rather than durable.
	cat >"$PG_DATA/testbed.conf" <<-EOF
		# Written by scripts/testbed.sh at every start.
		listen_addresses = '127.0.0.1'
		port = $port
		unix_socket_directories = '$sock_q'
		max_connections = 200
		fsync = off
		synchronous_commit = off
		full_page_writes = off
	EOF
	[[ -n "$user" ]] && chown "$user": "$PG_DATA/testbed.conf"

	log "postgres: starting on 127.0.0.1:$port"
	if ! pg_as "$bindir/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null 9>&-; then
		tail -n 30 "$PG_LOG" >&2
		die "postgres: failed to start (log: $PG_LOG)"
	fi
	local pid
	pid="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
	pid_alive "$pid" postgres || { tail -n 30 "$PG_LOG" >&2; die "postgres: no server process after start"; }
	echo "$pid" >"$PG_DIR/pid"
	echo "$port" >"$PG_DIR/port"
	wait_ports 30 "$pid" 127.0.0.1 "$port" || { tail -n 30 "$PG_LOG" >&2; die "postgres: port $port not open"; }

	local psql=("$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -tA)
	if [[ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]]; then
		"${psql[@]}" -c "CREATE DATABASE $PG_DB" >/dev/null || die "postgres: could not create database $PG_DB"
	fi
	pg_write_env "$(pg_url_for_port "$port")" own
}

pg_down() {
	local pid
	pid="$(pg_pid)"
	if pg_running; then
		log "postgres: stopping pid $pid"
		# SIGINT is Postgres's fast shutdown: it ends sessions and stops cleanly.
		stop_pid "$pid" postgres INT 60
	fi
	rm -f "$PG_DIR/pid"
}

# pg_status: prints one line; true when the database is usable (running, or external).
pg_status() {
	if [[ -f "$PG_DIR/external" ]]; then
		echo "postgres: external ($(cat "$PG_DIR/external"))"
		return 0
	fi
	if pg_running; then
		echo "postgres: running, pid $(pg_pid), 127.0.0.1:$(pg_port), data $PG_DATA"
		return 0
	fi
	echo "postgres: stopped"
	return 1
}

pg_env() { cat "$PG_DIR/env"; }
