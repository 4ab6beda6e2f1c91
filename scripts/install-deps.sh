#!/usr/bin/env bash
# Installs with apt-get what the test bed and the tests need and is missing.
# Idempotent: when every package is installed it does not touch apt at all.
# Go (/usr/local/go) and node/npm are expected to be on the machine already; the
# widget's npm packages are installed by scripts/test.sh (npm ci in web/).
set -euo pipefail

PACKAGES=(
	prosody          # the XMPP server (0.12 ships mod_websocket and mod_bosh)
	postgresql       # server binaries under /usr/lib/postgresql/<version>/bin
	python3-slixmpp  # XMPP client for checks, for /usr/bin/python3
	ejabberd         # the second XMPP server the e2e suite runs against (and the federated agents' domain)
	lua-unbound      # Prosody's DNS resolver that reads /etc/hosts (unbound.hoststxt): the federation test bed
	profanity        # a terminal XMPP client of another implementation, driven in tmux by the agent tests
	tmux             # drives profanity
	chromium         # headless browser for the widget's browser tests (driven by playwright-core)
	fonts-dejavu-core  # a font for the browser's screenshots
	ca-certificates
	curl
	tcpdump          # scripts/bench.sh -timeline: the hops between processes from a loopback capture
)

installed() {
	dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done

if (( ${#missing[@]} == 0 )); then
	echo "install-deps: all present (${PACKAGES[*]})"
else
	echo "install-deps: installing ${missing[*]}"
	sudo=()
	if (( EUID != 0 )); then
		command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
		sudo=(sudo)
	fi
	export DEBIAN_FRONTEND=noninteractive
	# Another process (unattended upgrades, a second install) may hold apt's
	# locks for a while: wait for them instead of failing.
	apt=("${sudo[@]}" apt-get -o DPkg::Lock::Timeout=1200 -o Acquire::Retries=3)
	# Try the existing package lists first; update them only if that fails.
	if ! "${apt[@]}" install -y --no-install-recommends "${missing[@]}"; then
		"${apt[@]}" update
		"${apt[@]}" install -y --no-install-recommends "${missing[@]}"
	fi
	# The packages' own services are not used (scripts/testbed.sh runs private
	# servers); stop any that the install started so they hold no ports.
	for svc in ejabberd prosody postgresql; do
		if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
			"${sudo[@]}" systemctl stop "$svc" || true
		fi
	done
	# Any system-wide Postgres cluster or Prosody the packages set up is not
	# used: scripts/testbed.sh runs its own.
fi

# Tools used directly, checked after installing.
for tool in go prosody runuser flock node npm chromium; do
	command -v "$tool" >/dev/null || { echo "install-deps: $tool not found on PATH" >&2; exit 1; }
done
ls -d /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 \
	|| { echo "install-deps: no /usr/lib/postgresql/*/bin/postgres" >&2; exit 1; }
