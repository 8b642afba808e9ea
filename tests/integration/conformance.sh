#!/bin/sh
# Run the shared black-box conformance suite against the freshly built server.
#
# Environment (from make check): SWITCHBOARD, PYTHON, SB_SHARED.
# Exit status: 0 pass, 1 fail, 77 skip (the suite is not there).

suite_dir="${SB_SHARED:-}/conformance"
if [ ! -f "$suite_dir/suite.py" ]; then
	echo "conformance: ${SB_SHARED:-}/conformance not found, skipped"
	exit 77
fi
if [ -z "${SWITCHBOARD:-}" ] || [ ! -x "$SWITCHBOARD" ]; then
	echo "conformance: SWITCHBOARD (${SWITCHBOARD:-unset}) is not an executable"
	exit 1
fi
PYTHON=${PYTHON:-python3}

START_SECONDS=10
STOP_SECONDS=15
SANITIZER_REPORT='ERROR: AddressSanitizer|runtime error:|LeakSanitizer|==ERROR'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-conformance.XXXXXX") || exit 1
# Started as root, the server drops to an unprivileged user: it must reach the root.
chmod 755 "$tmp"
server_pid=

cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -KILL "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	chmod -R u+rwX "$tmp" 2>/dev/null # the fixture has a mode-000 file
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

pause() {
	sleep 0.1 2>/dev/null || sleep 1
}

# Print the server's base URL once its startup line is in the log (bounded).
wait_for_url() {
	deadline=$(($(date +%s) + START_SECONDS))
	while [ "$(date +%s)" -le "$deadline" ]; do
		found=$(sed -n 's#^.*\(http://[0-9.][0-9.]*:[0-9][0-9]*\)/.*$#\1#p' "$tmp/server.log" | head -n 1)
		if [ -n "$found" ]; then
			echo "$found"
			return 0
		fi
		kill -0 "$server_pid" 2>/dev/null || return 1
		pause
	done
	return 1
}

# SIGTERM the server and wait for it (bounded); sets server_status.
# Not to be run in a subshell: only this shell can wait for its child.
stop_server() {
	kill -TERM "$server_pid" 2>/dev/null
	deadline=$(($(date +%s) + STOP_SECONDS))
	while kill -0 "$server_pid" 2>/dev/null && [ "$(date +%s)" -le "$deadline" ]; do
		# a zombie still answers kill -0: look at its state
		state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$server_pid/status" 2>/dev/null)
		[ "$state" = Z ] && break
		pause
	done
	kill -KILL "$server_pid" 2>/dev/null
	wait "$server_pid"
	server_status=$?
	server_pid=
}

if ! "$PYTHON" "$suite_dir/make_docroot.py" "$tmp/docroot"; then
	echo "conformance: make_docroot.py failed"
	exit 1
fi

"$SWITCHBOARD" --listen 127.0.0.1:0 --root "$tmp/docroot" \
	--header-timeout 5s --keepalive-timeout 5s </dev/null >/dev/null 2>"$tmp/server.log" &
server_pid=$!

if ! url=$(wait_for_url); then
	echo "conformance: the server announced no URL within $START_SECONDS s; its log:"
	cat "$tmp/server.log"
	exit 1
fi

"$PYTHON" "$suite_dir/suite.py" --base-url "$url" --docroot "$tmp/docroot" --idle-timeout 10
suite_status=$?

stop_server
status=0
if [ "$suite_status" -ne 0 ]; then
	echo "conformance: the suite failed (exit status $suite_status)"
	status=1
fi
if [ "$server_status" != 0 ]; then
	echo "conformance: the server exited with status $server_status after SIGTERM"
	status=1
fi
if grep -E "$SANITIZER_REPORT" "$tmp/server.log" >/dev/null; then
	echo "conformance: sanitizer report in the server's log:"
	cat "$tmp/server.log"
	status=1
fi
exit "$status"
