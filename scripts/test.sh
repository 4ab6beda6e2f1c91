#!/usr/bin/env bash
# The project's one test command: dependencies, test bed, vet, tests.
#
#   scripts/test.sh [go test flags/packages...]   default: -count=1 -race ./...
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

step go vet ./...
if (( $# > 0 )); then
	step go test "$@"
else
	step go test -count=1 -race ./...
fi

# ---- web client tests (hook) -------------------------------------------------
# Runs when the web client exists. It sees the same PARLEY_* environment.
if [[ -f web/package.json ]]; then
	step bash -c 'cd web && npm ci && npm test'
fi
# ---- end of web client tests -------------------------------------------------

if (( status == 0 )); then echo "==> all passed" >&2; fi
exit "$status"
