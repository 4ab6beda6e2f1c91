#!/usr/bin/env bash
# Runs every Go fuzz target for a set time each, one after the other, at low
# priority, and prints a summary (executions, new corpus entries, crashes).
#
#   scripts/fuzz.sh [seconds]      default 60 seconds per target
#
# Environment: FUZZ_TARGETS="pkg:Target ..." to run only some; FUZZ_PARALLEL
# (default 1) workers per target. Seeds are in each package's testdata/fuzz/<Target>;
# an input that fails is written there too by go test (commit it with its fix: it
# then runs in every plain `go test`). Logs: test-artifacts/fuzz/<Target>.log.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

secs="${1:-60}"
targets="${FUZZ_TARGETS:-./xmpp:FuzzParse ./xmpp:FuzzDocumentOrder ./gateway:FuzzDecodeStanza ./gateway:FuzzRelayed ./gateway:FuzzParseMAM ./gateway:FuzzAdHocForm}"
parallel="${FUZZ_PARALLEL:-1}"
logs="test-artifacts/fuzz"
mkdir -p "$logs"

status=0
summary=()
for t in $targets; do
	pkg="${t%%:*}" name="${t##*:}"
	log="$logs/$name.log"
	echo "==> $name in $pkg for ${secs}s" >&2
	if nice -n 19 go test -run '^$' -fuzz "^${name}\$" -fuzztime "${secs}s" -parallel "$parallel" "$pkg" >"$log" 2>&1; then
		result=ok
	elif grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
		# Go's fuzz coordinator can report the end of -fuzztime itself as a
		# failure on a loaded machine (golang/go#75804, fixed in Go 1.27): no
		# input failed and none was written, so it is not a finding.
		result=ok-deadline
	else
		result=FAILED
		status=1
	fi
	# The last progress line: "fuzz: elapsed: 60s, execs: 1234567 (20576/sec), new interesting: 12 (total: 57)".
	last="$(grep -E '^fuzz: elapsed' "$log" | tail -n 1 || true)"
	execs="$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")"
	interesting="$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")"
	summary+=("$(printf '%-18s %-10s %6s  execs %12s  new interesting %4s' "$name" "$pkg" "$result" "${execs:-?}" "${interesting:-?}")")
	if [[ "$result" == FAILED ]]; then
		tail -n 30 "$log" >&2
	fi
done
printf '%s\n' "${summary[@]}"
exit "$status"
