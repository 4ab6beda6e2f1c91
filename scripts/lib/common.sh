# shellcheck shell=bash
# Helpers shared by the scripts in scripts/. Source it; it defines functions and the
# variables ROOT (the repository root) and STATE (ROOT/.state) unless already set.

if [[ -z "${ROOT:-}" ]]; then
	ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fi
STATE="${STATE:-$ROOT/.state}"

# The test bed's XMPP side, the same on every server (scripts/lib/prosody.sh,
# scripts/lib/ejabberd.sh): agents on example.test with plain passwords,
# anonymous visitors on guest.example.test (also over WebSocket and BOSH),
# components chat.example.test (for local runs and scripts/bench.sh) and
# chat1..chat8.example.test (one per concurrently running test), the server's
# own MUC on conference.example.test (the baseline of cmd/parleyload) and
# echo.example.test, a spare component domain for parleyload's echo baseline.
TESTBED_AGENT_HOST=example.test
TESTBED_GUEST_HOST=guest.example.test
TESTBED_MAIN_COMPONENT=chat.example.test
TESTBED_MUC=conference.example.test
TESTBED_ECHO_COMPONENT=echo.example.test
TESTBED_TEST_COMPONENTS="chat1.example.test chat2.example.test chat3.example.test chat4.example.test chat5.example.test chat6.example.test chat7.example.test chat8.example.test"
TESTBED_PASSWORD=agentpass
TESTBED_ACCOUNTS="agent1 agent2 agent3 agent4 agent5 agent6 agent7 agent8 agent9 agent10 agent11 agent12 super admin nochat"

log() { printf '%s\n' "testbed: $*" >&2; }
die() { printf '%s\n' "testbed: error: $*" >&2; exit 1; }

# The python that has Debian's packages (slixmpp); a pyenv python3 earlier on PATH may not.
system_python() {
	if [[ -x /usr/bin/python3 ]]; then echo /usr/bin/python3; else command -v python3; fi
}

# free_ports N: prints N distinct TCP ports, free on 127.0.0.1 right now, one a line.
# The sockets are held until all N are picked so the ports differ.
free_ports() {
	local n="$1" py
	py="$(system_python || true)"
	if [[ -n "$py" ]]; then
		"$py" - "$n" <<-'EOF'
			import socket, sys
			socks = []
			for _ in range(int(sys.argv[1])):
			    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
			    s.bind(("127.0.0.1", 0))
			    socks.append(s)
			for s in socks:
			    print(s.getsockname()[1])
			    s.close()
		EOF
		return
	fi
	# No python: random ports from 20000-29999 that nothing listens on.
	local picked=" " p
	while (( n > 0 )); do
		p=$(( 20000 + RANDOM % 10000 ))
		[[ "$picked" == *" $p "* ]] && continue
		if ! ss -Hltn "sport = :$p" | grep -q .; then
			picked+="$p "
			echo "$p"
			n=$(( n - 1 ))
		fi
	done
}

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
	(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# wait_ports SECONDS PID HOST PORT...: waits until every PORT on HOST accepts
# connections. Fails early when PID (if not empty) dies.
wait_ports() {
	local secs="$1" pid="$2" host="$3"; shift 3
	local deadline=$(( SECONDS + secs )) p
	for p in "$@"; do
		until port_open "$host" "$p"; do
			if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
				log "process $pid exited before port $p opened"
				return 1
			fi
			if (( SECONDS >= deadline )); then
				log "port $host:$p did not open within ${secs}s"
				return 1
			fi
			sleep 0.1
		done
	done
}

# pid_alive PID WORD: true when PID runs and its command line mentions WORD
# (guards against a recycled PID).
pid_alive() {
	local pid="$1" word="$2"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || [[ -d "/proc/$pid" ]] || return 1
	[[ -r "/proc/$pid/cmdline" ]] || return 0
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$word"
}

# stop_pid PID WORD SIGNAL SECONDS: sends SIGNAL, waits up to SECONDS for the process
# to go, then SIGKILL.
stop_pid() {
	local pid="$1" word="$2" sig="$3" secs="$4"
	pid_alive "$pid" "$word" || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	local deadline=$(( SECONDS + secs ))
	while pid_alive "$pid" "$word"; do
		if (( SECONDS >= deadline )); then
			log "pid $pid ($word) still running after ${secs}s, sending KILL"
			kill -KILL "$pid" 2>/dev/null || true
			sleep 0.2
			break
		fi
		sleep 0.1
	done
}

# random_hex BYTES
random_hex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# shell_quote VALUE: VALUE in single quotes, safe for `export K=...` lines.
shell_quote() {
	local s="$1"
	printf "'%s'" "${s//\'/\'\\\'\'}"
}

# dquote VALUE: VALUE as a double-quoted string literal of Lua or YAML
# (backslash and double quote escaped), for the servers' configurations.
dquote() {
	local s="$1"
	s="${s//\\/\\\\}"
	s="${s//\"/\\\"}"
	printf '"%s"' "$s"
}

# testbed_env SERVER LOG COMP C2S HTTP SECRET: the export lines of a test-bed
# server's env file (what internal/testbed reads): SERVER (prosody or
# ejabberd) with its log file LOG, listening on 127.0.0.1 with the component
# port COMP, the client port C2S and the HTTP port HTTP (WebSocket and BOSH).
testbed_env() {
	local server="$1" log="$2" comp="$3" c2s="$4" http="$5" secret="$6"
	cat <<-EOF
		export PARLEY_TEST_SERVER='$server'
		export PARLEY_XMPP_ADDR='127.0.0.1:$comp'
		export PARLEY_SECRET='$secret'
		export PARLEY_DOMAIN='$TESTBED_MAIN_COMPONENT'
		export PARLEY_TEST_C2S_ADDR='127.0.0.1:$c2s'
		export PARLEY_TEST_WS_URL='ws://127.0.0.1:$http/xmpp-websocket'
		export PARLEY_TEST_BOSH_URL='http://127.0.0.1:$http/http-bind'
		export PARLEY_TEST_HTTP_ADDR='127.0.0.1:$http'
		export PARLEY_TEST_AGENT_HOST='$TESTBED_AGENT_HOST'
		export PARLEY_TEST_GUEST_HOST='$TESTBED_GUEST_HOST'
		export PARLEY_TEST_PASSWORD='$TESTBED_PASSWORD'
		export PARLEY_TEST_COMPONENTS='$TESTBED_TEST_COMPONENTS'
		export PARLEY_TEST_MUC='$TESTBED_MUC'
		export PARLEY_TEST_ECHO_COMPONENT='$TESTBED_ECHO_COMPONENT'
		export PARLEY_TEST_SERVER_LOG=$(shell_quote "$log")
	EOF
}

# BENCH_AWK_MEDIAN is an awk function for the benchmark scripts: median(key)
# of the values val[key, 1..cnt[key]] (an insertion sort; -count is small).
# shellcheck disable=SC2016 # awk's own dollars
BENCH_AWK_MEDIAN='
function median(key,   n, i, j, t, v) {
	n = cnt[key]
	if (n == 0) return 0
	for (i = 1; i <= n; i++) v[i] = val[key, i]
	for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j-1] > v[j]; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t }
	return n % 2 ? v[(n+1)/2] : (v[n/2] + v[n/2+1]) / 2
}
'
export BENCH_AWK_MEDIAN

# bench_stop_stale_parleyd DIR: a parleyd left by a benchmark that was killed
# outright (its pid in DIR/parleyd.pid) holds the component: stop it.
bench_stop_stale_parleyd() {
	local old
	old="$(cat "$1/parleyd.pid" 2>/dev/null || true)"
	if pid_alive "$old" parleyd; then
		log "stopping parleyd pid $old left by an earlier run"
		stop_pid "$old" parleyd TERM 15
	fi
	rm -f "$1/parleyd.pid"
}

# bench_schema URL SCHEMA PSQL: makes SCHEMA afresh in the database URL and
# sets DSN to URL with that schema as its search_path (a benchmark's parleyd
# gets a schema of its own).
bench_schema() {
	local url="$1" schema="$2" psql="$3"
	"$psql" -X -q -v ON_ERROR_STOP=1 "$url" \
		-c "SET client_min_messages = warning" \
		-c "DROP SCHEMA IF EXISTS $schema CASCADE" -c "CREATE SCHEMA $schema" >/dev/null \
		|| die "could not make schema $schema in $url"
	case "$url" in
		*://*\?*) DSN="$url&search_path=$schema" ;;
		*://*) DSN="$url?search_path=$schema" ;;
		*) DSN="$url search_path=$schema" ;;
	esac
}

# bench_begin DIR WHAT: a benchmark's start: its output directory DIR made,
# its lock (DIR/bench.lock on fd 8, so that two runs of WHAT never share
# DIR) taken, and Go on PATH where the install script put it.
bench_begin() {
	mkdir -p "$1"
	exec 8>"$1/bench.lock"
	flock -n 8 || die "another $2 is running (lock $1/bench.lock)"
	if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
		PATH="$PATH:/usr/local/go/bin"
	fi
}

# bench_traps: a benchmark's EXIT, INT and TERM traps: at the end it stops
# its parleyd (bench_start_parleyd) and, when bench_testbed_up started the
# test bed, the test bed; BENCH_AT_EXIT, when set, is run first (what else
# the benchmark started).
bench_traps() {
	parleyd_pid=""
	started_testbed=0
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

bench_cleanup() {
	local rc=$?
	if [[ -n "${BENCH_AT_EXIT:-}" ]]; then "$BENCH_AT_EXIT" || true; fi
	bench_stop_parleyd
	if (( started_testbed )); then
		scripts/testbed.sh down 8>&- || true
	fi
	exit "$rc"
}

# bench_testbed_up: brings the test bed up (and down again at the end, from
# bench_traps, only when it was down) and reads its environment.
bench_testbed_up() {
	scripts/testbed.sh status >/dev/null 2>&1 || started_testbed=1
	scripts/testbed.sh up >/dev/null 8>&-
	# shellcheck source=/dev/null
	. "$STATE/testbed.env"
}

# bench_start_parleyd LOG [FLAG...]: a benchmark's parleyd, $OUT/parleyd,
# serving DOMAIN on the test bed's component port with the schema of DSN
# (bench_schema), its metrics on HTTP_ADDR (a free port, set here), the
# per-JID rate limit out of the way (a defence, not a subject of the
# benchmarks), FLAGs after; parleyd_pid set and in $OUT/parleyd.pid; returns
# once it answers /readyz.
bench_start_parleyd() {
	local logf="$1"; shift
	HTTP_ADDR="127.0.0.1:$(free_ports 1)"
	log "starting parleyd on $DOMAIN (log ${logf#"$ROOT"/})"
	"$OUT/parleyd" serve --domain "$DOMAIN" --xmpp-addr "$PARLEY_XMPP_ADDR" --secret "$PARLEY_SECRET" \
		--database-url "$DSN" --http-addr "$HTTP_ADDR" --rate 1000000 --burst 1000000 "$@" \
		>"$logf" 2>&1 </dev/null 8>&- &
	parleyd_pid=$!
	echo "$parleyd_pid" >"$OUT/parleyd.pid"
	bench_wait_ready "$parleyd_pid" "$HTTP_ADDR" "$logf"
}

# bench_stop_parleyd: stops the parleyd bench_start_parleyd started, if any.
bench_stop_parleyd() {
	if [[ -n "${parleyd_pid:-}" ]]; then
		log "stopping parleyd (pid $parleyd_pid)"
		stop_pid "$parleyd_pid" parleyd TERM 15 2>/dev/null # quiet: it may be gone between checks
		wait "$parleyd_pid" 2>/dev/null || true
		rm -f "$OUT/parleyd.pid"
		parleyd_pid=""
	fi
}

# bench_wait_ready PID ADDR LOG: waits up to 20 s for the parleyd PID to
# answer /readyz on ADDR; dies with its LOG if it exits or never does.
bench_wait_ready() {
	local pid="$1" addr="$2" logf="$3"
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || { cat "$logf" >&2; die "parleyd exited"; }
		curl -fsS --max-time 2 "http://$addr/readyz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	cat "$logf" >&2
	die "parleyd did not become ready"
}
