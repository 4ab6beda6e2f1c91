# shellcheck shell=bash
# The federation test bed: a second XMPP server for an agents' domain, linked over s2s
# to the test bed's Prosody (which serves the shop's domains and the components), on
# loopback, with dialback and no certificates. Source scripts/lib/common.sh,
# prosody.sh and ejabberd.sh first. Entry points: federation_up, federation_down,
# federation_status, federation_link (down|up).
#
#   Prosody  s2s on 127.0.0.2:5269 for example.test and every component domain
#   ejabberd s2s on 127.0.0.3:5269 for agents.example.test (instance ejabberd-agents,
#            accounts agent1..agent4 and nochat), its c2s on a free 127.0.0.1 port
#
# Prosody 0.12 connects out only to port 5269 and, with libunbound, reads the hosts
# file only with `unbound = { hoststxt = true }`; ejabberd resolves through the system
# resolver and is told `outgoing_s2s_port: 5269`. So both names resolve through
# /etc/hosts: federation_up adds one line per name, each tagged with this checkout's
# path, under a machine-wide lock, and federation_down removes exactly those lines.
# Only one federation test bed can run on a machine (the addresses and port are
# fixed); a second one says so and stops.

FED_AGENTS_HOST=agents.example.test
FED_ACCOUNTS="agent1 agent2 agent3 agent4 nochat"
FED_PROSODY_IP=127.0.0.2
FED_AGENTS_IP=127.0.0.3
FED_NAME=ejabberd-agents
FED_HOSTS_FILE="${FED_HOSTS_FILE:-/etc/hosts}"
FED_LOCK="${FED_LOCK:-/tmp/parley-testbed-hosts.lock}"
FED_MARK="# parley test bed $ROOT"

# The names Prosody's side answers for over s2s (the component domains: dialback
# connects back to them).
fed_prosody_names() {
	echo "$TESTBED_MAIN_COMPONENT $TESTBED_TEST_COMPONENTS $TESTBED_ECHO_COMPONENT"
}

fed_hosts_lines() {
	local n
	for n in $(fed_prosody_names); do
		echo "$FED_PROSODY_IP $n $FED_MARK"
	done
	echo "$FED_AGENTS_IP $FED_AGENTS_HOST $FED_MARK"
}

# fed_hosts add|remove: edits the hosts file in place (it may be a bind mount:
# rewrite its content, never replace the file), under the lock.
fed_hosts() {
	local action="$1" tmp
	(
		exec 8>>"$FED_LOCK"
		flock -w 30 8 || die "federation: $FED_LOCK is held by someone else"
		tmp="$(mktemp)"
		# Our exact lines go first (remove), then come back (add): never twice.
		grep -vxF -f <(fed_hosts_lines) "$FED_HOSTS_FILE" >"$tmp" || true
		if [[ "$action" == add ]]; then
			fed_hosts_lines >>"$tmp"
		fi
		if ! cmp -s "$tmp" "$FED_HOSTS_FILE"; then
			cat "$tmp" >"$FED_HOSTS_FILE" || { rm -f "$tmp"; die "federation: cannot write $FED_HOSTS_FILE (run as root)"; }
		fi
		rm -f "$tmp"
	)
}

fed_hosts_present() { grep -qxF "$FED_AGENTS_IP $FED_AGENTS_HOST $FED_MARK" "$FED_HOSTS_FILE" 2>/dev/null; }

# fed_check_port IP: dies with a clear message when something else holds IP:5269.
fed_check_port() {
	if port_open "$1" 5269; then
		local who
		who="$(ss -Hltnp "sport = :5269" 2>/dev/null | grep -F "$1:" | sed -E 's/.*users:\(\("([^"]+)",pid=([0-9]+).*/\1 (pid \2)/' | head -n 1)"
		die "federation: $1:5269 is taken${who:+ by $who}: another test bed's federation or a server runs there; stop it (scripts/testbed.sh down in its checkout) and retry"
	fi
}

# federation_prepare: before Prosody starts with s2s. Checks the addresses and port
# and adds the hosts lines.
federation_prepare() {
	[[ -w "$FED_HOSTS_FILE" ]] || die "federation: $FED_HOSTS_FILE is not writable (the federation test bed needs root)"
	if ! prosody_running; then
		fed_check_port "$FED_PROSODY_IP"
	fi
	if ! ejabberd_running "$FED_NAME"; then
		fed_check_port "$FED_AGENTS_IP"
	fi
	fed_hosts add
}

federation_up() {
	ejabberd_up "$FED_NAME" agents "$FED_AGENTS_IP"
}

federation_down() {
	ejabberd_down "$FED_NAME"
	if fed_hosts_present; then
		log "federation: removing our lines from $FED_HOSTS_FILE"
		fed_hosts remove
	fi
}

federation_status() {
	ejabberd_status "$FED_NAME" || return 1
	fed_hosts_present || { echo "federation: the $FED_HOSTS_FILE lines are missing"; return 1; }
}

federation_env() { ejabberd_env "$FED_NAME"; }

# federation_link down|up: takes the agents' server's s2s listener away (and every
# s2s connection with it) or brings it back, without touching its clients.
federation_link() {
	local dir
	dir="$(ejabberd_dir "$FED_NAME")"
	ejabberd_running "$FED_NAME" || die "federation: $FED_NAME is not running"
	case "$1" in
		down) sed -i '/# s2s listener begin/,/# s2s listener end/{/# s2s listener/!s/^#*/#/}' "$dir/ejabberd.yml" ;;
		up) sed -i '/# s2s listener begin/,/# s2s listener end/{/# s2s listener/!s/^#*//}' "$dir/ejabberd.yml" ;;
		*) die "federation_link down|up" ;;
	esac
	ejabberd_api "$FED_NAME" reload_config '{}' >/dev/null || die "federation: reload_config failed"
	ejabberd_api "$FED_NAME" stop_s2s_connections '{}' >/dev/null || die "federation: stop_s2s_connections failed"
	if [[ "$1" == down ]]; then
		local deadline=$(( SECONDS + 10 ))
		while port_open "$FED_AGENTS_IP" 5269; do
			(( SECONDS < deadline )) || die "federation: $FED_AGENTS_IP:5269 still open"
			sleep 0.1
		done
	else
		wait_ports 10 "" "$FED_AGENTS_IP" 5269 || die "federation: $FED_AGENTS_IP:5269 did not reopen"
	fi
	log "federation: link $1"
}
