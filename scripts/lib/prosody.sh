# shellcheck shell=bash
# A private Prosody for tests and local runs, under $STATE/prosody, on 127.0.0.1 only.
# Source scripts/lib/common.sh first. Entry points: prosody_up, prosody_down,
# prosody_status, prosody_env.
#
#   $STATE/prosody/prosody.cfg.lua  written at every start (fresh ports and secret)
#   $STATE/prosody/data             Prosody's data_path (accounts survive restarts)
#   $STATE/prosody/prosody.log      its log; console.log has its stdout/stderr
#   $STATE/prosody/pid              what the last prosody_up started
#   $STATE/prosody/env              the export lines for the XMPP side
#
# Hosts (TESTBED_* in scripts/lib/common.sh): example.test (agents, plain passwords), guest.example.test (anonymous
# visitors, also over WebSocket and BOSH), components chat.example.test (for local
# runs and scripts/bench.sh) and chat1..chat8.example.test (one per concurrently
# running test), Prosody's own MUC on conference.example.test (the baseline of
# cmd/parleyload; anonymous guests may create rooms there) and echo.example.test,
# a spare component domain for parleyload's echo baseline; upload.example.test, the
# XEP-0363 file share (mod_http_file_share) for example.test's users, served on the
# same HTTP port under the host name "localhost" (requests for 127.0.0.1 go to
# the guest host's WebSocket and BOSH), so its URLs are http://localhost:PORT/file_share/….

PROSODY_DIR="$STATE/prosody"
PROSODY_CFG="$PROSODY_DIR/prosody.cfg.lua"
PROSODY_DATA="$PROSODY_DIR/data"
PROSODY_LOG="$PROSODY_DIR/prosody.log"

# Prosody's own addition to the test bed's hosts (TESTBED_* in common.sh).
PROSODY_UPLOAD=upload.example.test

prosody_pid() { cat "$PROSODY_DIR/pid" 2>/dev/null || true; }
prosody_running() { pid_alive "$(prosody_pid)" prosody; }

# Prosody's file storage names a host's folder with '.' as %2e (and other
# punctuation %-escaped).
prosody_store_name() {
	local s="$1" out="" c i
	for (( i = 0; i < ${#s}; i++ )); do
		c="${s:i:1}"
		if [[ "$c" =~ [a-zA-Z0-9] ]]; then out+="$c"; else out+="$(printf '%%%02x' "'$c")"; fi
	done
	echo "$out"
}

# PROSODY_FEDERATION=1 (set by scripts/lib/federation.sh's caller) starts Prosody
# with s2s on $FED_PROSODY_IP:5269, dialback and no TLS; otherwise s2s is off.
PROSODY_FEDERATION="${PROSODY_FEDERATION:-}"

prosody_s2s_config() {
	if [[ -z "$PROSODY_FEDERATION" ]]; then
		echo 'modules_disabled = { "s2s", "tls" }'
		return
	fi
	cat <<-EOF
		-- Federation (scripts/lib/federation.sh): s2s on a loopback address of its own,
		-- dialback, no certificates; names resolve through the hosts file.
		modules_disabled = { "tls" }
		s2s_interfaces = { "$FED_PROSODY_IP" }
		s2s_ports = { 5269 }
		s2s_require_encryption = false
		s2s_secure_auth = false
		unbound = { hoststxt = true }
	EOF
}

# PARLEY_PROSODY_PROFILE=FILE (scripts/lib/bench-profile.sh) loads a sampling
# profiler of Prosody's Lua code that writes its counts to FILE.
prosody_profile_config() {
	[[ -n "${PARLEY_PROSODY_PROFILE:-}" ]] || return 0
	printf 'plugin_paths = { %s }\nparley_profile_file = %s\n' \
		"$(dquote "$ROOT/scripts/lib/prosody-modules")" "$(dquote "$PARLEY_PROSODY_PROFILE")"
}

prosody_write_config() {
	local c2s="$1" comp="$2" http="$3" secret="$4"
	local root_line=""
	(( EUID == 0 )) && root_line="run_as_root = true"
	{
		cat <<-EOF
			-- Written by scripts/testbed.sh at every start; edits are lost.
			$root_line
			pidfile = $(dquote "$PROSODY_DIR/prosody.pid")
			data_path = $(dquote "$PROSODY_DATA")
			log = { info = $(dquote "$PROSODY_LOG") }

			interfaces = { "127.0.0.1" }
			local_interfaces = { "127.0.0.1" }
			c2s_interfaces = { "127.0.0.1" }
			c2s_ports = { $c2s }
			component_interface = "127.0.0.1"
			component_interfaces = { "127.0.0.1" }
			component_ports = { $comp }
			http_interfaces = { "127.0.0.1" }
			http_ports = { $http }
			https_ports = {}
			-- Requests to ws://127.0.0.1:PORT/ carry no known Host: serve them as the guest host.
			http_default_host = "$TESTBED_GUEST_HOST"

			modules_enabled = {
				"roster"; "saslauth"; "disco"; "ping"; "presence"; "version"; "time";
				"websocket"; "bosh";${PROSODY_FEDERATION:+ 'dialback';}${PARLEY_PROSODY_PROFILE:+ 'parley_profile';}
			}
			$(prosody_profile_config)
			$(prosody_s2s_config)
			c2s_require_encryption = false
			allow_unencrypted_plain_auth = true
			consider_websocket_secure = true
			consider_bosh_secure = true
			cross_domain_websocket = true -- deprecated in 0.12 (CORS is on by default); harmless
			cross_domain_bosh = true

			storage = "internal"
			authentication = "internal_plain"
			network_settings = { nagle = false; opportunistic_writes = true }

			VirtualHost "$TESTBED_AGENT_HOST"

			VirtualHost "$TESTBED_GUEST_HOST"
				authentication = "anonymous"
		EOF
		# Prosody's own MUC, the load tool's baseline: rooms are created on the
		# first join by anyone (the anonymous guests included) and open at once.
		printf '\nComponent "%s" "muc"\n\trestrict_room_creation = false\n\tmuc_room_locking = false\n' "$TESTBED_MUC"
		# Room for the load tool's day scenario (thousands of live rooms): past
		# muc_room_cache_size (default 100) Prosody swaps live rooms to disk.
		printf '\tmuc_room_cache_size = 10000\n'
		# XEP-0363 uploads (agents' files in the agent console): a 1 MiB limit
		# is plenty for tests; only example.test's users may upload (the default).
		printf '\nComponent "%s" "http_file_share"\n\thttp_host = "localhost"\n\thttp_file_share_size_limit = 1048576\n' "$PROSODY_UPLOAD"
		local comp_host
		for comp_host in "$TESTBED_MAIN_COMPONENT" $TESTBED_TEST_COMPONENTS "$TESTBED_ECHO_COMPONENT"; do
			printf '\nComponent "%s"\n\tcomponent_secret = %s\n' "$comp_host" "$(dquote "$secret")"
			# Components answer s2s only with dialback loaded on them.
			if [[ -n "$PROSODY_FEDERATION" ]]; then printf '\tmodules_enabled = { "dialback" }\n'; fi
		done
	} >"$PROSODY_CFG.tmp"
	mv "$PROSODY_CFG.tmp" "$PROSODY_CFG"
}

# Writes the accounts straight into Prosody's internal storage (what
# `prosodyctl register` does, without its half second per account).
prosody_write_accounts() {
	local dir u
	dir="$PROSODY_DATA/$(prosody_store_name "$TESTBED_AGENT_HOST")/accounts"
	mkdir -p "$dir"
	for u in $TESTBED_ACCOUNTS; do
		if [[ ! -f "$dir/$u.dat" ]]; then
			printf 'return {\n\t["password"] = %s;\n};\n' "$(dquote "$TESTBED_PASSWORD")" >"$dir/$u.dat"
		fi
	done
}

prosody_up() {
	# certs/ only keeps Prosody's certificate manager from logging an error at start.
	mkdir -p "$PROSODY_DIR" "$PROSODY_DATA" "$PROSODY_DIR/certs"
	chmod 700 "$PROSODY_DATA"
	if prosody_running; then
		if [[ "$(cat "$PROSODY_DIR/federation" 2>/dev/null)" == "${PROSODY_FEDERATION:-0}" ]]; then
			log "prosody: already running (pid $(prosody_pid))"
			return 0
		fi
		log "prosody: restarting (federation ${PROSODY_FEDERATION:+on}${PROSODY_FEDERATION:-off})"
		prosody_down
	fi
	command -v prosody >/dev/null || die "prosody is not installed (run scripts/install-deps.sh)"

	local ports c2s comp http secret
	ports="$(free_ports 3)"
	{ read -r c2s; read -r comp; read -r http; } <<<"$ports"
	secret="$(random_hex 16)"
	prosody_write_config "$c2s" "$comp" "$http" "$secret"
	prosody_write_accounts

	log "prosody: starting (c2s $c2s, component $comp, http $http)"
	local start_line
	start_line=1
	[[ -f "$PROSODY_LOG" ]] && start_line=$(( $(wc -l <"$PROSODY_LOG") + 1 ))
	(
		cd "$PROSODY_DIR" || exit 1
		exec setsid prosody --config "$PROSODY_CFG" -F </dev/null >>"$PROSODY_DIR/console.log" 2>&1 9>&-
	) &
	local pid=$!
	echo "$pid" >"$PROSODY_DIR/pid"
	echo "${PROSODY_FEDERATION:-0}" >"$PROSODY_DIR/federation"
	if ! wait_ports 30 "$pid" 127.0.0.1 "$c2s" "$comp" "$http" ||
		{ [[ -n "$PROSODY_FEDERATION" ]] && ! wait_ports 10 "$pid" "$FED_PROSODY_IP" 5269; }; then
		log "prosody: did not come up; log tail:"
		tail -n +"$start_line" "$PROSODY_LOG" 2>/dev/null | tail -n 30 >&2
		tail -n 10 "$PROSODY_DIR/console.log" >&2
		stop_pid "$pid" prosody TERM 10
		rm -f "$PROSODY_DIR/pid"
		die "prosody: failed to start (config $PROSODY_CFG)"
	fi

	{
		testbed_env prosody "$PROSODY_LOG" "$comp" "$c2s" "$http" "$secret"
		echo "export PARLEY_TEST_UPLOAD_HOST='$PROSODY_UPLOAD'"
		echo "export PARLEY_TEST_PROSODY_LOG=$(shell_quote "$PROSODY_LOG")"
	} >"$PROSODY_DIR/env"
}

prosody_down() {
	local pid
	pid="$(prosody_pid)"
	if prosody_running; then
		log "prosody: stopping pid $pid"
		stop_pid "$pid" prosody TERM 20
	fi
	rm -f "$PROSODY_DIR/pid"
}

prosody_status() {
	if prosody_running; then
		echo "prosody: running, pid $(prosody_pid), $(grep -hoE "^export PARLEY_(XMPP_ADDR|TEST_C2S_ADDR|TEST_HTTP_ADDR)='[^']*'" "$PROSODY_DIR/env" 2>/dev/null | sed -E "s/^export //; s/'//g" | tr '\n' ' ')"
		return 0
	fi
	echo "prosody: stopped"
	return 1
}

prosody_env() { cat "$PROSODY_DIR/env"; }

# Writes accounts PREFIX1…PREFIXN (password $TESTBED_PASSWORD) into Prosody's
# internal storage, the way prosody_write_accounts does: idempotent (an
# existing account is left as it is, the fixed accounts among them), read by
# a running Prosody at the next login, about a millisecond per account where
# `prosodyctl register` takes half a second. For load scenarios with many
# agents (`scripts/testbed.sh agents N`).
prosody_write_agents() {
	local n="$1" prefix="${2:-agent}" dir i made=0 line
	dir="$PROSODY_DATA/$(prosody_store_name "$TESTBED_AGENT_HOST")/accounts"
	mkdir -p "$dir"
	line="$(printf 'return {\n\t["password"] = %s;\n};\n' "$(dquote "$TESTBED_PASSWORD")")"
	for (( i = 1; i <= n; i++ )); do
		if [[ ! -f "$dir/$prefix$i.dat" ]]; then
			printf '%s\n' "$line" >"$dir/$prefix$i.dat"
			made=$(( made + 1 ))
		fi
	done
	log "prosody: $n accounts ${prefix}1…${prefix}$n on $TESTBED_AGENT_HOST ($made new)"
}
