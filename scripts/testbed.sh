#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The private test bed: PostgreSQL and the XMPP servers on 127.0.0.1, state under .state/.
#
#   scripts/testbed.sh up [--server S]      start what is not running; writes the env file(s)
#   scripts/testbed.sh down                 stop everything `up` started (by PID); data stays
#   scripts/testbed.sh status [--server S]  say what runs; exit 0 only when all of S does
#   scripts/testbed.sh env [--server S]     print S's env file (source it: eval "$(scripts/testbed.sh env)")
#   scripts/testbed.sh link down|up         drop or restore the federation's s2s link
#   scripts/testbed.sh agents N [PREFIX]    make Prosody accounts PREFIX1…PREFIXN (default agent;
#                                           idempotent; agent1…agent12 stay as they are)
#
# S is the XMPP server: prosody (the default) writes .state/testbed.env; ejabberd
# (Debian's, with the same hosts, accounts and component domains) writes
# .state/testbed-ejabberd.env; both starts the two; all starts both and the federation test bed
# (scripts/lib/federation.sh: a second server for agents.example.test linked to
# Prosody over s2s; needs root, edits /etc/hosts and undoes it at `down`).
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
# shellcheck source=lib/ejabberd.sh
. "$ROOT/scripts/lib/ejabberd.sh"
# shellcheck source=lib/federation.sh
. "$ROOT/scripts/lib/federation.sh"

ENV_FILE="$STATE/testbed.env"
EJABBERD_ENV_FILE="$STATE/testbed-ejabberd.env"
EJABBERD_NAME=ejabberd

usage() {
	echo "usage: $0 up|down|status|env [--server prosody|ejabberd|both|all] | link down|up | agents N [PREFIX]" >&2
	exit 2
}

SERVER=prosody
parse_server() {
	while (( $# > 0 )); do
		case "$1" in
			--server) SERVER="${2:-}"; shift 2 || usage ;;
			--server=*) SERVER="${1#--server=}"; shift ;;
			*) usage ;;
		esac
	done
	case "$SERVER" in prosody | ejabberd | both | all) ;; *) usage ;; esac
}
wants() { [[ "$SERVER" == all || "$SERVER" == both || "$SERVER" == "$1" ]]; }

# One up/down at a time. Started servers get fd 9 closed so they do not hold the lock.
lock() {
	mkdir -p "$STATE"
	exec 9>"$STATE/testbed.lock"
	flock -w 300 9 || die "another scripts/testbed.sh is busy (lock $STATE/testbed.lock)"
}

write_env() {
	if prosody_running; then
		{
			echo "# Written by scripts/testbed.sh up; source it to reach the test bed (Prosody)."
			pg_env
			prosody_env
			if [[ "$(cat "$PROSODY_DIR/federation" 2>/dev/null)" == 1 ]] && ejabberd_running "$FED_NAME"; then
				federation_env
			fi
		} >"$ENV_FILE.tmp"
		mv "$ENV_FILE.tmp" "$ENV_FILE"
	fi
	if ejabberd_running "$EJABBERD_NAME"; then
		{
			echo "# Written by scripts/testbed.sh up; source it to reach the test bed's ejabberd."
			pg_env
			ejabberd_env "$EJABBERD_NAME"
		} >"$EJABBERD_ENV_FILE.tmp"
		mv "$EJABBERD_ENV_FILE.tmp" "$EJABBERD_ENV_FILE"
	fi
}

cmd_up() {
	parse_server "$@"
	lock
	# Whatever fails half-way is stopped again, hosts lines included.
	trap 'rc=$?; if (( rc != 0 )); then log "up failed; stopping what it started"; federation_down || true; fi' EXIT
	pg_up
	if wants prosody; then
		if [[ "$SERVER" == all ]]; then
			federation_prepare
			PROSODY_FEDERATION=1
		fi
		prosody_up
	fi
	if wants ejabberd; then
		ejabberd_up "$EJABBERD_NAME" main
	fi
	if [[ "$SERVER" == all ]]; then
		federation_up
	fi
	trap - EXIT
	write_env
	log "up; environment in ${ENV_FILE#"$ROOT"/}$(if wants ejabberd; then echo " and ${EJABBERD_ENV_FILE#"$ROOT"/}"; fi)"
	if [[ "$SERVER" == ejabberd ]]; then cat "$EJABBERD_ENV_FILE"; else cat "$ENV_FILE"; fi
}

cmd_down() {
	[[ $# -eq 0 ]] || usage
	lock
	federation_down
	ejabberd_down "$EJABBERD_NAME"
	prosody_down
	pg_down
	log "down (data kept in $STATE)"
}

cmd_status() {
	parse_server "$@"
	local rc=0 file="$ENV_FILE"
	pg_status || rc=3
	if wants prosody; then prosody_status || rc=3; fi
	if wants ejabberd; then ejabberd_status "$EJABBERD_NAME" || rc=3; fi
	if [[ "$SERVER" == all ]]; then federation_status || rc=3; fi
	[[ "$SERVER" == ejabberd ]] && file="$EJABBERD_ENV_FILE"
	if (( rc == 0 )) && [[ -f "$file" ]]; then
		echo "env: $file"
	fi
	return "$rc"
}

cmd_env() {
	parse_server "$@"
	local file="$ENV_FILE"
	[[ "$SERVER" == ejabberd ]] && file="$EJABBERD_ENV_FILE"
	[[ -f "$file" ]] || die "no $file: run scripts/testbed.sh up${SERVER:+ --server $SERVER}"
	cmd_status "$@" >/dev/null || log "warning: the test bed is not (fully) running; run scripts/testbed.sh up --server $SERVER"
	cat "$file"
}

cmd_link() {
	case "${1:-}" in down | up) ;; *) usage ;; esac
	federation_link "$1"
}

cmd_agents() {
	[[ "${1:-}" =~ ^[0-9]+$ && $# -le 2 ]] || usage
	[[ -z "${2:-}" || "$2" =~ ^[a-z][a-z0-9-]*$ ]] || die "agents: PREFIX must be lower-case letters, digits and -"
	prosody_write_agents "$1" "${2:-agent}"
}

cmd="${1:-}"
shift || true
case "$cmd" in
	up) cmd_up "$@" ;;
	down) cmd_down "$@" ;;
	status) cmd_status "$@" ;;
	env) cmd_env "$@" ;;
	link) cmd_link "$@" ;;
	agents) cmd_agents "$@" ;;
	*) usage ;;
esac
