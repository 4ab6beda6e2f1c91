#!/usr/bin/env bash
# The project's one test command: dependencies, test bed, widget build and unit
# tests, vet, Go tests (browser tests included).
#
#   scripts/test.sh [go test flags/packages...]   default: -count=1 -race ./...
#
# Without arguments the Go tests run against the test bed's Prosody (with the
# federation test bed: agents on a second server over s2s), then the e2e suite
# runs a second time against the test bed's ejabberd (every e2e test but the
# browser ones: -skip Browser; its lines start with [ejabberd]). With arguments,
# only those, against Prosody.
#
# PARLEY_TEST_FEDERATION=off leaves the federation test bed out (for a machine where
# another checkout's holds 127.0.0.2/3:5269); the federated tests then skip.
#
# Starts the test bed (scripts/testbed.sh up --server all) and stops it again on
# exit, unless it was already running before (then it is left running). With CI=true
# (see .ci/run) tests that need the test bed fail instead of skipping when it is
# unreachable.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

scripts/install-deps.sh

servers=all
[[ "${PARLEY_TEST_FEDERATION:-}" == off ]] && servers=both
started=0
if ! scripts/testbed.sh status --server "$servers" >/dev/null 2>&1; then
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
scripts/testbed.sh up --server "$servers" >/dev/null
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

# The e2e suite against ejabberd, after the main run (side by side they loaded
# small machines enough to break offer timeouts): the environment is the
# ejabberd env file's alone (no PARLEY_* of Prosody's), and every line of its
# output is prefixed with [ejabberd].
# shellcheck disable=SC2317 # run by step
e2e_ejabberd() {
	(
		# shellcheck disable=SC2046 # the names are single words
		unset $(compgen -e | grep '^PARLEY_') || true
		export PARLEY_TESTBED_ENV=.state/testbed-ejabberd.env
		set -o pipefail
		go test -count=1 -race -skip Browser ./e2e 2>&1 | sed -u 's/^/[ejabberd] /'
	)
}

step go vet ./...
if (( $# > 0 )); then
	step go test "$@"
else
	t0=$SECONDS
	step go test -count=1 -race ./...
	t1=$SECONDS
	step e2e_ejabberd
	echo "==> durations: go test ./... on Prosody (federated-agent tests included) $(( t1 - t0 ))s, e2e on ejabberd $(( SECONDS - t1 ))s" >&2
fi

if (( status == 0 )); then echo "==> all passed" >&2; fi
exit "$status"
