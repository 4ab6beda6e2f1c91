#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # the functions run from the EXIT trap are reachable
# Runs Parley locally, in the foreground, until Ctrl-C:
#
#   scripts/run.sh [--fresh] [--server prosody|ejabberd]
#
# Installs what is missing (scripts/install-deps.sh), starts a private XMPP server
# (Prosody, the default, or Debian's ejabberd with --server ejabberd: the same hosts,
# accounts and component domain) and Postgres on 127.0.0.1 with their state in
# .state/run/ (apart from the test bed's
# .state/), builds bin/parleyd, applies migrations, grants permissions to the demo
# accounts, adds canned responses and runs `parleyd serve` for chat.example.test.
# Ctrl-C (or SIGTERM) stops parleyd, the XMPP server and Postgres by PID; data stays in
# .state/run/ for the next run (sessions included: they survive restarts, as in
# production). Running it again reuses or restarts what it left; --fresh first
# deletes that data (database, the XMPP servers') to start over.
#
# PARLEY_HTTP_ADDR chooses parleyd's HTTP listener (default 127.0.0.1:8080 when free,
# else a free port). Other PARLEY_* settings (see bin/parleyd serve --help) pass
# through to parleyd, except the ones this script owns: the domain, the component
# address and secret, the database URL and the widget's WebSocket URL and host.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.state/run"
# shellcheck source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source=lib/pg.sh
. "$ROOT/scripts/lib/pg.sh"
# shellcheck source=lib/prosody.sh
. "$ROOT/scripts/lib/prosody.sh"
# shellcheck source=lib/ejabberd.sh
. "$ROOT/scripts/lib/ejabberd.sh"

log() { printf '%s\n' "run: $*" >&2; }
die() { printf '%s\n' "run: error: $*" >&2; exit 1; }
# The lib's pid_alive, quiet: Prosody is our child here and lingers a moment as a
# zombie whose cmdline tr cannot read ("tr: read error").
eval "lib_$(declare -f pid_alive)"
pid_alive() { lib_pid_alive "$@" 2>/dev/null; }

FRESH=""
SERVER=prosody
usage="usage: $0 [--fresh] [--server prosody|ejabberd]   (--fresh: start over with empty Postgres and XMPP server data)"
while (( $# > 0 )); do
	case "$1" in
		--fresh) FRESH=1; shift ;;
		--server) SERVER="${2:-}"; shift 2 || die "$usage" ;;
		--server=*) SERVER="${1#--server=}"; shift ;;
		-h | --help) echo "$usage"; exit 0 ;;
		*) die "$usage" ;;
	esac
done
case "$SERVER" in
	prosody) SERVER_NAME=Prosody ;;
	ejabberd) SERVER_NAME=ejabberd ;;
	*) die "$usage" ;;
esac
EJABBERD_NAME=ejabberd

PARLEYD="$ROOT/bin/parleyd"
PARLEYD_PID_FILE="$STATE/parleyd.pid"
PARLEYD_LOG="$STATE/parleyd.log"
RUN_ENV="$STATE/run.env"
DOMAIN="$TESTBED_MAIN_COMPONENT"

# This run owns its database, component and domain: nothing inherited (say, from a
# shell that sourced .state/testbed.env) may point parleyd elsewhere.
unset PARLEY_DATABASE_URL PARLEY_TESTBED_OWN_DATABASE_URL PARLEY_XMPP_ADDR PARLEY_SECRET PARLEY_DOMAIN

mkdir -p "$STATE"
# One run at a time. What we start gets fd 9 closed so it does not hold the lock.
exec 9>"$STATE/run.lock"
flock -n 9 || die "another scripts/run.sh is running (lock $STATE/run.lock)"

# child_running PID: true while our child PID runs (not yet a zombie).
child_running() {
	local st
	st="$(sed -E 's/^.*\) //; s/ .*//' "/proc/$1/stat" 2>/dev/null)" || return 1
	[[ -n "$st" && "$st" != Z ]]
}

# stop_child PID SECONDS: SIGINT, then SIGKILL after SECONDS; reaps it.
stop_child() {
	local pid="$1" deadline=$(( SECONDS + $2 ))
	kill -INT "$pid" 2>/dev/null || true
	while child_running "$pid"; do
		if (( SECONDS >= deadline )); then
			log "pid $pid still running after ${2}s, sending KILL"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	wait "$pid" 2>/dev/null || true
}

# pg_adopt: a server of ours whose start was interrupted before pg_up noted its
# pid (in $PG_DIR/pid) is noted now, from postmaster.pid, so pg_up reuses it and
# pg_down stops it.
pg_adopt() {
	[[ -f "$PG_DIR/pid" || ! -f "$PG_DATA/postmaster.pid" ]] && return 0
	local pid port
	{ read -r pid; read -r _; read -r _; read -r port; } <"$PG_DATA/postmaster.pid" || true
	if pid_alive "$pid" postgres 2>/dev/null && [[ "$port" =~ ^[0-9]+$ ]]; then
		echo "$pid" >"$PG_DIR/pid"
		echo "$port" >"$PG_DIR/port"
	fi
}

parleyd_pid=""
tail_pid=""
stopping=""

cleanup() {
	local rc=$?
	[[ -n "$stopping" ]] && return
	stopping=1
	trap '' INT TERM HUP
	echo >&2
	log "stopping"
	if [[ -n "$parleyd_pid" ]]; then
		stop_child "$parleyd_pid" 15
		rm -f "$PARLEYD_PID_FILE"
	fi
	if [[ -n "$tail_pid" ]]; then
		# tail follows parleyd's log until parleyd is gone; give it a moment to show the last lines.
		local deadline=$(( SECONDS + 3 ))
		while kill -0 "$tail_pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.1; done
		kill "$tail_pid" 2>/dev/null || true
		wait "$tail_pid" 2>/dev/null || true
	fi
	prosody_down
	ejabberd_down "$EJABBERD_NAME"
	pg_adopt
	pg_down
	log "stopped (data kept in ${STATE#"$ROOT"/})"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# A parleyd left by a run that was killed outright holds the component: stop it.
old="$(cat "$PARLEYD_PID_FILE" 2>/dev/null || true)"
if pid_alive "$old" parleyd; then
	log "stopping parleyd pid $old left by an earlier run"
	stop_pid "$old" parleyd INT 15
fi
rm -f "$PARLEYD_PID_FILE"

if [[ -n "$FRESH" ]]; then
	log "--fresh: removing the data of earlier runs"
	pg_adopt
	prosody_down
	ejabberd_down "$EJABBERD_NAME"
	pg_down
	rm -rf "$PG_DIR" "$PROSODY_DIR" "$(ejabberd_dir "$EJABBERD_NAME")" "$PARLEYD_LOG" "$RUN_ENV"
fi

# Go's official tarball installs to /usr/local/go, not always on PATH.
if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
	PATH="$PATH:/usr/local/go/bin"
fi
"$ROOT/scripts/install-deps.sh" 9>&-

log "building bin/parleyd"
(cd "$ROOT" && go build -o bin/parleyd ./cmd/parleyd) 9>&- || die "go build failed"

pg_adopt
pg_up
# The XMPP server gets a fresh configuration (ports, secret) at every start; one
# left running by a killed run is restarted so this run knows its settings for
# sure, and the other server is stopped (both would serve the same domains).
if prosody_running; then
	log "prosody: stopping the one left by an earlier run"
	prosody_down
fi
if ejabberd_running "$EJABBERD_NAME"; then
	log "ejabberd: stopping the one left by an earlier run"
	ejabberd_down "$EJABBERD_NAME"
fi
if [[ "$SERVER" == ejabberd ]]; then
	ejabberd_up "$EJABBERD_NAME" main
	SERVER_ENV="$(ejabberd_dir "$EJABBERD_NAME")/env"
else
	prosody_up
	SERVER_ENV="$PROSODY_DIR/env"
fi

# The settings both parts were started with.
# shellcheck disable=SC1091
. "$PG_DIR/env"
# shellcheck disable=SC1090
. "$SERVER_ENV"
unset PARLEY_TESTBED_OWN_DATABASE_URL
DATABASE_URL="$PARLEY_DATABASE_URL"
XMPP_ADDR="$PARLEY_XMPP_ADDR"
SECRET="$PARLEY_SECRET"
C2S_ADDR="$PARLEY_TEST_C2S_ADDR"
WS_URL="$PARLEY_TEST_WS_URL"
BOSH_URL="$PARLEY_TEST_BOSH_URL"
unset PARLEY_TEST_C2S_ADDR PARLEY_TEST_WS_URL PARLEY_TEST_BOSH_URL PARLEY_TEST_HTTP_ADDR PARLEY_TEST_AGENT_HOST \
	PARLEY_TEST_GUEST_HOST PARLEY_TEST_PASSWORD PARLEY_TEST_COMPONENTS PARLEY_TEST_PROSODY_LOG \
	PARLEY_TEST_SERVER PARLEY_TEST_SERVER_LOG PARLEY_TEST_MUC PARLEY_TEST_ECHO_COMPONENT PARLEY_TEST_UPLOAD_HOST
export PARLEY_DATABASE_URL="$DATABASE_URL" PARLEY_XMPP_ADDR="$XMPP_ADDR" PARLEY_SECRET="$SECRET" PARLEY_DOMAIN="$DOMAIN"
# The widget at / logs visitors in over this server's WebSocket, anonymously.
export PARLEY_WIDGET_WEBSOCKET="$WS_URL" PARLEY_WIDGET_ANONYMOUS_HOST="$TESTBED_GUEST_HOST"
# The agent console at /agent/: the same WebSocket, logins on the agents' host.
export PARLEY_AGENT_DOMAIN="$TESTBED_AGENT_HOST"

# parleyd's HTTP listener: PARLEY_HTTP_ADDR, else 8080 when free, else any free port.
if [[ -n "${PARLEY_HTTP_ADDR:-}" ]]; then
	HTTP_ADDR="$PARLEY_HTTP_ADDR"
elif ! port_open 127.0.0.1 8080; then
	HTTP_ADDR=127.0.0.1:8080
else
	HTTP_ADDR="127.0.0.1:$(free_ports 1)"
	log "port 8080 is taken; parleyd's HTTP goes to $HTTP_ADDR"
fi
export PARLEY_HTTP_ADDR="$HTTP_ADDR"
HTTP_PORT="${HTTP_ADDR##*:}"
HTTP_HOST="${HTTP_ADDR%:*}"
case "$HTTP_HOST" in "" | 0.0.0.0 | "[::]" | "::") HTTP_HOST=127.0.0.1 ;; esac
HTTP_URL="http://$HTTP_HOST:$HTTP_PORT"

log "applying migrations, granting permissions, adding canned responses"
"$PARLEYD" migrate >/dev/null 9>&-
"$PARLEYD" grant agent1@example.test chat 9>&-
"$PARLEYD" grant agent2@example.test chat 9>&-
"$PARLEYD" grant super@example.test supervise 9>&-
"$PARLEYD" grant admin@example.test admin 9>&-
"$PARLEYD" canned add greeting "Greeting" "Hello! Thanks for waiting. How can I help you today?" 9>&-
"$PARLEYD" canned add order-status "Order status" "Could you give me your order number, please? I will look it up." 9>&-
"$PARLEYD" canned add goodbye "Goodbye" "Is there anything else I can do for you? Have a nice day!" 9>&-

{
	echo "# Written by scripts/run.sh; what the local run uses (source it to reach it)."
	echo "export PARLEY_DATABASE_URL=$(shell_quote "$DATABASE_URL")"
	echo "export PARLEY_DOMAIN=$(shell_quote "$DOMAIN")"
	echo "export PARLEY_XMPP_ADDR=$(shell_quote "$XMPP_ADDR")"
	echo "export PARLEY_SECRET=$(shell_quote "$SECRET")"
	echo "export PARLEY_HTTP_ADDR=$(shell_quote "$HTTP_ADDR")"
	echo "export PARLEY_WIDGET_WEBSOCKET=$(shell_quote "$WS_URL")"
	echo "export PARLEY_WIDGET_ANONYMOUS_HOST=$(shell_quote "$TESTBED_GUEST_HOST")"
	echo "export PARLEY_RUN_C2S_ADDR=$(shell_quote "$C2S_ADDR")"
	echo "export PARLEY_RUN_WS_URL=$(shell_quote "$WS_URL")"
	echo "export PARLEY_RUN_BOSH_URL=$(shell_quote "$BOSH_URL")"
	echo "export PARLEY_RUN_SERVER=$(shell_quote "$SERVER")"
} >"$RUN_ENV"

# parleyd logs to a file; it is shown (from its first line) once the block below is out.
log "starting parleyd (log ${PARLEYD_LOG#"$ROOT"/})"
: >"$PARLEYD_LOG"
"$PARLEYD" serve >>"$PARLEYD_LOG" 2>&1 </dev/null 9>&- &
parleyd_pid=$!
echo "$parleyd_pid" >"$PARLEYD_PID_FILE"

if ! wait_ports 30 "$parleyd_pid" "$HTTP_HOST" "$HTTP_PORT"; then
	cat "$PARLEYD_LOG" >&2
	die "parleyd did not start"
fi
ready=""
for _ in $(seq 100); do
	kill -0 "$parleyd_pid" 2>/dev/null || { cat "$PARLEYD_LOG" >&2; die "parleyd exited"; }
	if ready="$(curl -fsS --max-time 2 "$HTTP_URL/readyz" 2>/dev/null)"; then break; fi
	ready=""
	sleep 0.1
done
widget=""
if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$HTTP_URL/" || true)" == 200 ]]; then
	widget=1
fi

C2S_PORT="${C2S_ADDR##*:}"
VISITOR_PY=scripts/visitor.py
[[ "$PWD" == "$ROOT" ]] || VISITOR_PY="$ROOT/scripts/visitor.py"
cat <<EOF

================================================================================
 Parley is running: component $DOMAIN on $SERVER_NAME, parleyd pid $parleyd_pid
$(if [[ -z "$ready" ]]; then echo " WARNING: $HTTP_URL/readyz does not say ready yet; see the log below"; fi)
 Agent - log in with any XMPP client (Gajim, Pidgin, profanity, ...):
   server 127.0.0.1, port $C2S_PORT (set it as the connection's host and port:
   the domain example.test does not resolve)
   account agent1@example.test (or agent2), password agentpass
   plain authentication without TLS (the server listens on loopback only)
   then add agents@$DOMAIN as a contact to sign in (one "add contact";
   approve its subscription request if your client asks; $DOMAIN itself
   works too, and directed presence to either), and join a room when
   invited: accept the invitation. Steps per client: docs/standard-clients.md
   Also: super@example.test may supervise, admin@example.test administer.

 Visitor - anonymous login to guest.example.test:
   WebSocket  $WS_URL
   BOSH       $BOSH_URL
   in a terminal (type lines to chat, Ctrl-D to leave):
     /usr/bin/python3 $VISITOR_PY --server $C2S_ADDR --name Ann "Where is my parcel?"
$(if [[ -n "$widget" ]]; then printf '\n Web widget (a demo shop page with the chat): %s/\n' "$HTTP_URL"; fi)
$(if [[ -n "$widget" ]]; then printf ' Agent console (Converse.js with the Parley plugin): %s/agent/\n   log in as agent1@example.test, password agentpass; pick Available and Sign in\n' "$HTTP_URL"; fi)
 Metrics   $HTTP_URL/metrics
 Health    $HTTP_URL/healthz   $HTTP_URL/readyz

 Settings in ${RUN_ENV#"$ROOT"/}; Ctrl-C stops parleyd, $SERVER_NAME and Postgres.
 Sessions of earlier runs are kept; scripts/run.sh --fresh starts over.
================================================================================

EOF

tail -n +1 -s 0.2 -f --pid="$parleyd_pid" "$PARLEYD_LOG" 9>&- &
tail_pid=$!

# Until parleyd ends (or a signal: the traps run cleanup).
set +e
wait "$parleyd_pid"
rc=$?
set -e
parleyd_pid_done="$parleyd_pid"
parleyd_pid=""
rm -f "$PARLEYD_PID_FILE"
log "parleyd (pid $parleyd_pid_done) exited with status $rc"
exit "$rc"
