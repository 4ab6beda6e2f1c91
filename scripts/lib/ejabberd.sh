# shellcheck shell=bash
# A private ejabberd (Debian's 23.01) for tests and local runs, under $STATE/<name>,
# on 127.0.0.1 only. Source scripts/lib/common.sh first. Entry points, each taking
# the instance's name (a folder under $STATE):
#
#   ejabberd_up NAME KIND    start it: KIND "main" (the same hosts and accounts as
#                            the test bed's Prosody) or "agents" (the agents' domain
#                            of the federation test bed, see scripts/lib/federation.sh)
#   ejabberd_down NAME       stop it (by PID)
#   ejabberd_status NAME     say whether it runs
#   ejabberd_env NAME        the export lines for the XMPP side
#
#   $STATE/NAME/ejabberd.yml   written at every start (fresh ports and secret)
#   $STATE/NAME/spool          Mnesia (accounts and rosters survive restarts)
#   $STATE/NAME/ejabberd.log   its log; console.log has its stdout/stderr
#   $STATE/NAME/pid            what the last ejabberd_up started
#   $STATE/NAME/env            the export lines
#
# The Erlang VM runs without distribution (no -sname/-name): it needs no epmd and no
# cookie, so it never meets a system-wide ejabberd or another test bed's. Accounts are
# made through mod_http_api (loopback only), which also lets scripts stop s2s links.
#
# Hosts of KIND main (TESTBED_* in scripts/lib/common.sh): example.test (agents, plain passwords), guest.example.test
# (anonymous, also over WebSocket and BOSH), ejabberd's own MUC on
# conference.example.test (the load tool's baseline), and one XEP-0114 listener that
# accepts any component domain (chat.example.test, chat1..8.example.test,
# echo.example.test) with the secret and routes only the domain that connected
# (no `hosts`, `global_routes: false`).

EJABBERD_EBIN_GLOB="/usr/lib/x86_64-linux-gnu/ejabberd-*/ebin /usr/lib/ejabberd*/ebin /usr/lib/erlang/lib/ejabberd-*/ebin"

ejabberd_dir() { echo "$STATE/$1"; }
ejabberd_pid() { cat "$(ejabberd_dir "$1")/pid" 2>/dev/null || true; }
# The VM's command line names the instance's spool, which tells ours apart.
ejabberd_running() { pid_alive "$(ejabberd_pid "$1")" "$(ejabberd_dir "$1")/spool"; }

# The folder holding ejabberd.app: ERL_LIBS is its grandparent.
ejabberd_libs() {
	local d
	# shellcheck disable=SC2086 # the globs expand here
	for d in $EJABBERD_EBIN_GLOB; do
		if [[ -f "$d/ejabberd.app" ]]; then dirname "$(dirname "$d")"; return 0; fi
	done
	return 1
}

# ejabberd_write_config NAME KIND C2S COMP HTTP SECRET [S2S_IP]
ejabberd_write_config() {
	local name="$1" kind="$2" c2s="$3" comp="$4" http="$5" secret="$6" s2s_ip="${7:-}"
	local dir cfg
	dir="$(ejabberd_dir "$name")"
	cfg="$dir/ejabberd.yml"
	{
		echo "# Written by scripts/testbed.sh at every start; edits are lost."
		echo "loglevel: info"
		echo "hide_sensitive_log_data: false"
		echo "log_rotate_count: 0"
		echo "hosts:"
		if [[ "$kind" == agents ]]; then
			echo "  - $FED_AGENTS_HOST"
		else
			echo "  - $TESTBED_AGENT_HOST"
			echo "  - $TESTBED_GUEST_HOST"
		fi
		cat <<-EOF
			certfiles: []
			auth_method: [internal]
			auth_password_format: plain
			acl:
			  loopback:
			    ip: ["127.0.0.0/8", "::1/128"]
			access_rules:
			  c2s:
			    allow: all
			  muc_create:
			    allow: all
			api_permissions:
			  "loopback":
			    from: [mod_http_api]
			    who:
			      ip: "127.0.0.0/8"
			    what: "*"
			shaper_rules: {}
			max_fsm_queue: 100000
			listen:
			  - port: $c2s
			    ip: "127.0.0.1"
			    module: ejabberd_c2s
			    starttls: false
			    access: c2s
			  - port: $http
			    ip: "127.0.0.1"
			    module: ejabberd_http
			    request_handlers:
			      /xmpp-websocket: ejabberd_http_ws
			      /http-bind: mod_bosh
			      /api: mod_http_api
		EOF
		if [[ -n "$comp" ]]; then
			cat <<-EOF
				  - port: $comp
				    ip: "127.0.0.1"
				    module: ejabberd_service
				    password: $(dquote "$secret")
				    global_routes: false
			EOF
		fi
		if [[ -n "$s2s_ip" ]]; then
			# Federation: s2s on port 5269 of a loopback address of its own, dialback,
			# no TLS (scripts/lib/federation.sh).
			# federation_link comments the listener out (and back in) between the marks.
			cat <<-EOF
				  # s2s listener begin
				  - port: 5269
				    ip: "$s2s_ip"
				    module: ejabberd_s2s_in
				  # s2s listener end
				s2s_use_starttls: false
				outgoing_s2s_port: 5269
				outgoing_s2s_families: [ipv4]
				outgoing_s2s_ipv4_address: "$s2s_ip"
				s2s_max_retry_delay: 2
				s2s_access: all
			EOF
		fi
		cat <<-EOF
			modules:
			  mod_roster: {}
			  mod_disco: {}
			  mod_ping: {}
			  mod_version: {}
			  mod_time: {}
			  mod_bosh: {}
			  mod_http_api: {}
			  mod_stream_mgmt: {}
		EOF
		if [[ -n "$s2s_ip" ]]; then
			echo "  mod_s2s_dialback: {}"
		fi
		if [[ "$kind" != agents ]]; then
			# ejabberd's own MUC on conference.example.test only (the load tool's
			# baseline): rooms are created on the first join by anyone, the
			# anonymous guests included, and open at once.
			cat <<-EOF
				append_host_config:
				  $TESTBED_AGENT_HOST:
				    modules:
				      mod_muc:
				        host: $TESTBED_MUC
				        access: all
				        access_create: muc_create
				        access_persistent: muc_create
				        max_users_presence: 10000
				host_config:
				  $TESTBED_GUEST_HOST:
				    auth_method: [anonymous]
				    anonymous_protocol: sasl_anon
				    allow_multiple_connections: true
			EOF
		fi
	} >"$cfg.tmp"
	mv "$cfg.tmp" "$cfg"
}

# ejabberd_api NAME COMMAND JSON: calls mod_http_api; prints the answer.
ejabberd_api() {
	local dir http
	dir="$(ejabberd_dir "$1")"
	http="$(cat "$dir/http_port")"
	curl -fsS --max-time 10 -H 'Content-Type: application/json' -d "$3" "http://127.0.0.1:$http/api/$2"
}

# ejabberd_register NAME HOST USER... with the test password (existing ones stay).
ejabberd_register() {
	local name="$1" host="$2" u out
	shift 2
	for u in "$@"; do
		out="$(ejabberd_api "$name" register "{\"user\":\"$u\",\"host\":\"$host\",\"password\":\"$TESTBED_PASSWORD\"}" 2>&1)" \
			|| [[ "$out" == *"already registered"* || "$out" == *"409"* ]] \
			|| die "$name: registering $u@$host: $out"
	done
}

# ejabberd_start NAME KIND [S2S_IP]: starts the VM with the config at its ports.
ejabberd_up() {
	local name="$1" kind="$2" s2s_ip="${3:-}"
	local dir libs
	dir="$(ejabberd_dir "$name")"
	mkdir -p "$dir/spool"
	if ejabberd_running "$name"; then
		log "$name: already running (pid $(ejabberd_pid "$name"))"
		return 0
	fi
	command -v erl >/dev/null || die "erl is not installed (run scripts/install-deps.sh)"
	libs="$(ejabberd_libs)" || die "ejabberd is not installed (run scripts/install-deps.sh)"

	local ports c2s comp="" http secret
	if [[ "$kind" == agents ]]; then
		ports="$(free_ports 2)"
		{ read -r c2s; read -r http; } <<<"$ports"
	else
		ports="$(free_ports 3)"
		{ read -r c2s; read -r comp; read -r http; } <<<"$ports"
	fi
	secret="$(random_hex 16)"
	ejabberd_write_config "$name" "$kind" "$c2s" "$comp" "$http" "$secret" "$s2s_ip"
	echo "$http" >"$dir/http_port"

	log "$name: starting ejabberd (c2s $c2s${comp:+, component $comp}, http $http${s2s_ip:+, s2s $s2s_ip:5269})"
	local start_line=1
	[[ -f "$dir/ejabberd.log" ]] && start_line=$(( $(wc -l <"$dir/ejabberd.log") + 1 ))
	(
		cd "$dir" || exit 1
		export ERL_LIBS="$libs" EJABBERD_CONFIG_PATH="$dir/ejabberd.yml" EJABBERD_LOG_PATH="$dir/ejabberd.log" \
			ERL_CRASH_DUMP="$dir/erl_crash.dump" ERL_MAX_PORTS=32000 ERL_MAX_ETS_TABLES=1400
		unset ERL_INETRC
		exec setsid erl -noinput +K true +P 250000 -mnesia dir "\"$dir/spool\"" -s ejabberd \
			</dev/null >>"$dir/console.log" 2>&1 9>&-
	) &
	local pid=$!
	echo "$pid" >"$dir/pid"
	local want=("$c2s" "$http")
	[[ -n "$comp" ]] && want+=("$comp")
	if ! wait_ports 60 "$pid" 127.0.0.1 "${want[@]}" || { [[ -n "$s2s_ip" ]] && ! wait_ports 10 "$pid" "$s2s_ip" 5269; }; then
		log "$name: did not come up; log tail:"
		tail -n +"$start_line" "$dir/ejabberd.log" 2>/dev/null | tail -n 30 >&2
		tail -n 10 "$dir/console.log" >&2
		stop_pid "$pid" "$dir/spool" TERM 15
		rm -f "$dir/pid"
		die "$name: failed to start (config $dir/ejabberd.yml)"
	fi
	if [[ "$kind" == agents ]]; then
		# shellcheck disable=SC2086
		ejabberd_register "$name" "$FED_AGENTS_HOST" $FED_ACCOUNTS
		cat >"$dir/env" <<-EOF
			export PARLEY_TEST_REMOTE_C2S_ADDR='127.0.0.1:$c2s'
			export PARLEY_TEST_REMOTE_HOST='$FED_AGENTS_HOST'
			export PARLEY_TEST_REMOTE_API='http://127.0.0.1:$http/api'
			export PARLEY_TEST_REMOTE_LOG=$(shell_quote "$dir/ejabberd.log")
		EOF
		return 0
	fi
	# shellcheck disable=SC2086
	ejabberd_register "$name" "$TESTBED_AGENT_HOST" $TESTBED_ACCOUNTS
	testbed_env ejabberd "$dir/ejabberd.log" "$comp" "$c2s" "$http" "$secret" >"$dir/env"
}

ejabberd_down() {
	local name="$1" pid dir
	dir="$(ejabberd_dir "$name")"
	pid="$(ejabberd_pid "$name")"
	if ejabberd_running "$name"; then
		log "$name: stopping pid $pid"
		stop_pid "$pid" "$dir/spool" TERM 20
	fi
	rm -f "$dir/pid"
}

ejabberd_status() {
	local name="$1" dir
	dir="$(ejabberd_dir "$name")"
	if ejabberd_running "$name"; then
		echo "$name: running, pid $(ejabberd_pid "$name"), $(grep -hoE "^export PARLEY_(XMPP_ADDR|TEST_C2S_ADDR|TEST_HTTP_ADDR|TEST_REMOTE_C2S_ADDR)='[^']*'" "$dir/env" 2>/dev/null | sed -E "s/^export //; s/'//g" | tr '\n' ' ')"
		return 0
	fi
	echo "$name: stopped"
	return 1
}

ejabberd_env() { cat "$(ejabberd_dir "$1")/env"; }
