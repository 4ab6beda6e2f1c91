#!/usr/bin/env bash
# The project's one test command: dependencies, test bed, widget build and unit
# tests, vet, Go tests (browser tests included).
#
#   scripts/test.sh [go test flags/packages...]   default: -count=1 -race -timeout 30m ./...
#
# Starts the test bed (scripts/testbed.sh up) and stops it again on exit, unless it
# was already running before (then it is left running). With CI=true (see .ci/run)
# tests that need the test bed fail instead of skipping when it is unreachable.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

scripts/install-deps.sh

started=0
if ! scripts/testbed.sh status >/dev/null 2>&1; then
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
scripts/testbed.sh up >/dev/null
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

# The agent console (web/agent: stock Converse.js and Parley's plugin): its npm
# packages before go test (the Converse.js browser tests in e2e/), and a rebuild
# that must reproduce the committed web/agent/dist exactly.
# shellcheck disable=SC2317 # run by step
agent_check() {
	(cd web/agent && npm ci --no-audit --no-fund && npm run build) || return
	if git rev-parse --git-dir >/dev/null 2>&1; then
		if ! git diff --exit-code --stat -- web/agent/dist || [[ -n "$(git status --porcelain -- web/agent/dist)" ]]; then
			echo "web/agent/dist differs from a fresh build of web/agent: run 'npm run build' in web/agent and commit web/agent/dist" >&2
			git status --short -- web/agent/dist >&2
			return 1
		fi
	fi
}
step agent_check

step go vet ./...
if (( $# > 0 )); then
	step go test "$@"
else
	# The e2e package alone takes several minutes under -race on 2 shared cores:
	# more than go test's default 10m timeout.
	step go test -count=1 -race -timeout 30m ./...
fi

if (( status == 0 )); then echo "==> all passed" >&2; fi
exit "$status"
