#!/usr/bin/env bash
# The project's one test command: dependencies, test bed, widget build and unit
# tests, vet, Go tests (browser tests included).
#
#   scripts/test.sh [go test flags/packages...]   default: -count=1 -race ./...
#
# Without arguments the Go tests run against the test bed's Prosody (with the
# federation test bed: agents on a second server over s2s), and the e2e suite runs
# a second time, at the same time, against the test bed's ejabberd (every e2e test
# but the browser ones: -skip Browser); its output goes to
# test-artifacts/e2e-ejabberd.log and is shown at the end. With arguments, only
# those, against Prosody.
#
# Starts the test bed (scripts/testbed.sh up --server all) and stops it again on
# exit, unless it was already running before (then it is left running). With CI=true
# (see .ci/run) tests that need the test bed fail instead of skipping when it is
# unreachable.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

scripts/install-deps.sh

started=0
if ! scripts/testbed.sh status --server all >/dev/null 2>&1; then
	started=1
fi
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	if (( started )); then
		scripts/testbed.sh down || true
	else
		echo "test.sh: the test bed was running before; left running" >&2
	fi
}
trap cleanup EXIT
scripts/testbed.sh up --server all >/dev/null
# shellcheck source=/dev/null
. .state/testbed.env

status=0
step() {
	echo "==> $*" >&2
	"$@" || { status=$?; echo "==> failed ($status): $*" >&2; }
}

# The widget (web/): its npm packages before go test (the browser tests in e2e/
# use playwright-core from web/node_modules), its unit tests, and a rebuild
# that must reproduce the committed web/dist exactly.
# shellcheck disable=SC2317 # run by step
web_check() {
	(cd web && npm ci --no-audit --no-fund && npm run build && npm test) || return
	if git rev-parse --git-dir >/dev/null 2>&1; then
		if ! git diff --exit-code --stat -- web/dist || [[ -n "$(git status --porcelain -- web/dist)" ]]; then
			echo "web/dist differs from a fresh build of web/: run 'npm run build' in web/ and commit web/dist" >&2
			git status --short -- web/dist >&2
			return 1
		fi
	fi
}
step web_check

# The e2e suite against ejabberd, in the background beside the main run: the
# environment is the ejabberd env file's alone (no PARLEY_* of Prosody's).
ejabberd_pid=""
EJABBERD_LOG=test-artifacts/e2e-ejabberd.log
# shellcheck disable=SC2317 # run in the background
e2e_ejabberd() {
	# shellcheck disable=SC2046 # the names are single words
	unset $(compgen -e | grep '^PARLEY_') || true
	export PARLEY_TESTBED_ENV=.state/testbed-ejabberd.env
	go test -count=1 -race -skip Browser ./e2e
}

step go vet ./...
if (( $# > 0 )); then
	step go test "$@"
else
	mkdir -p test-artifacts
	echo "==> go test -count=1 -race -skip Browser ./e2e  (on ejabberd, in the background: $EJABBERD_LOG)" >&2
	ejabberd_start=$SECONDS
	( e2e_ejabberd >"$EJABBERD_LOG" 2>&1; echo "exit $? $(( SECONDS - ejabberd_start ))" >>"$EJABBERD_LOG" ) &
	ejabberd_pid=$!
	prosody_start=$SECONDS
	step go test -count=1 -race ./...
	echo "==> go test ./... on Prosody (with the federated-agent tests): $(( SECONDS - prosody_start ))s" >&2
	wait "$ejabberd_pid" || true
	read -r _ ejabberd_rc ejabberd_secs < <(tail -n 1 "$EJABBERD_LOG")
	echo "==> e2e on ejabberd: ${ejabberd_secs}s" >&2
	sed '$d' "$EJABBERD_LOG" | sed 's/^/[ejabberd] /' >&2
	if [[ "$ejabberd_rc" != 0 ]]; then
		status="${ejabberd_rc:-1}"
		echo "==> failed ($status): the e2e suite on ejabberd (log $EJABBERD_LOG)" >&2
	fi
fi

if (( status == 0 )); then echo "==> all passed" >&2; fi
exit "$status"
