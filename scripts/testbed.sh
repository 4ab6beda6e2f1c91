#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The private test bed: PostgreSQL and Prosody on 127.0.0.1, state under .state/.
#
#   scripts/testbed.sh up      start what is not running; writes .state/testbed.env
#   scripts/testbed.sh down    stop what `up` started (by PID); data stays
#   scripts/testbed.sh status  say what runs; exit 0 only when all of it does
#   scripts/testbed.sh env     print .state/testbed.env (source it: eval "$(scripts/testbed.sh env)")
#
# With PARLEY_DATABASE_URL set at `up`, that database is used and no Postgres started.
# Ports are picked free at every start, and the component secret is new each time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source=lib/pg.sh
. "$ROOT/scripts/lib/pg.sh"
# shellcheck source=lib/prosody.sh
. "$ROOT/scripts/lib/prosody.sh"

ENV_FILE="$STATE/testbed.env"

usage() {
	echo "usage: $0 up|down|status|env" >&2
	exit 2
}

# One up/down at a time. Started servers get fd 9 closed so they do not hold the lock.
lock() {
	mkdir -p "$STATE"
	exec 9>"$STATE/testbed.lock"
	flock -w 300 9 || die "another scripts/testbed.sh is busy (lock $STATE/testbed.lock)"
}

write_env() {
	{
		echo "# Written by scripts/testbed.sh up; source it to reach the test bed."
		pg_env
		prosody_env
	} >"$ENV_FILE.tmp"
	mv "$ENV_FILE.tmp" "$ENV_FILE"
}

cmd_up() {
	lock
	pg_up
	prosody_up
	write_env
	log "up; environment in $ENV_FILE"
	cat "$ENV_FILE"
}

cmd_down() {
	lock
	prosody_down
	pg_down
	log "down (data kept in $STATE)"
}

cmd_status() {
	local rc=0
	pg_status || rc=3
	prosody_status || rc=3
	if (( rc == 0 )) && [[ -f "$ENV_FILE" ]]; then
		echo "env: $ENV_FILE"
	fi
	return "$rc"
}

cmd_env() {
	[[ -f "$ENV_FILE" ]] || die "no $ENV_FILE: run scripts/testbed.sh up"
	cmd_status >/dev/null || log "warning: the test bed is not (fully) running; run scripts/testbed.sh up"
	cat "$ENV_FILE"
}

case "${1:-}" in
	up) cmd_up ;;
	down) cmd_down ;;
	status) cmd_status ;;
	env) cmd_env ;;
	*) usage ;;
esac
