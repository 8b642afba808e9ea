# Sourced by test_debian.sh: the checks run against the installed package in
# the booted container (container.sh), each printing PASS or FAIL.
#
# Both variants serve the same site on the same port, 80, as an administrator
# switching between them would have it: switchboard.service binds
# 127.0.0.1:80 and [::1]:80 itself (the configuration below), switchboard.socket
# binds [::]:80 (IPv4 too) as shipped.

CONF=/etc/switchboard/switchboard.conf
ACCESS_LOG=/var/log/switchboard/access.log
SITE_A="site A, served by switchboard"
SITE_B="site B, served after a reload"
CURL_TIMEOUT=5
SWITCHES=10
SWITCH_PERIOD_MS=2500 # one switch each way
LOAD_REQUESTS=600  # the request loop under logrotate, at LOAD_RATE
LOAD_RATE=100/s
# The server marks its error lines with the <3> priority prefix when stderr is
# the journal; 1 would report a missing priority as XFAIL instead of a failure.
JOURNAL_PRIORITY_XFAIL=0

# ---------------------------------------------------------------- helpers

show() { # show UNIT PROPERTY: one property's value
	in_container systemctl show -P "$2" "$1"
}

# curl inside the container: the body of URL, or nothing and a non-zero status.
get() {
	in_container curl -sS --fail --max-time "$CURL_TIMEOUT" "$1" 2>&1
}

write_file() { # write_file PATH-IN-CONTAINER TEXT
	printf '%s\n' "$2" >"$(container_path "$1")"
}

good_config() { # good_config ROOT
	write_file "$CONF" "# written by the system test
listen 127.0.0.1:80
listen [::1]:80
root $1
access_log $ACCESS_LOG"
}

# A file that fails on line 3 with a directive the server does not know.
BROKEN_LINE=3
broken_config() {
	write_file "$CONF" "listen 127.0.0.1:80
root /srv/www
no_such_directive on"
}

# Wait up to SECONDS for a shell condition to hold.
wait_for() {
	local seconds=$1 _
	shift
	for _ in $(seq $((seconds * 10))); do
		eval "$*" && return 0
		sleep 0.1
	done
	eval "$*"
}

expect_site() { # expect_site NAME URL TEXT
	local body
	body=$(get "$2")
	if [ "$body" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "GET $2 gave '$body', not '$3'"
	fi
}

# ---------------------------------------------------------------- the package

check_lintian() {
	local deb=$1 changes out
	if ! command -v lintian >/dev/null 2>&1; then
		echo "# lintian is not installed: not checked"
		return
	fi
	# The .changes next to a package just built names the package and its dbgsym.
	changes=$(find "$(dirname "$deb")" -maxdepth 1 -name 'switchboard_*.changes' | head -n 1)
	if out=$(timeout 300 lintian --fail-on error,warning "${changes:-$deb}" 2>&1) &&
		! printf '%s\n' "$out" | grep -q '^[EW]: '; then
		pass "lintian: no error, no warning"
	else
		fail "lintian" "$(printf '%s\n' "$out" | grep '^[EW]: ' | head -n 10)"
	fi
}

check_install() {
	local deb=$1 out
	cp "$deb" "$(container_path /var/tmp/switchboard.deb)"
	if out=$(in_container_for 180 env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends /var/tmp/switchboard.deb 2>&1); then
		pass "apt-get install the package (no network: every dependency already there)"
	else
		fail "apt-get install" "$(printf '%s\n' "$out" | tail -n 5)"
		return 1
	fi
	if [ "$(in_container systemctl is-enabled switchboard.service)" = enabled ] &&
		[ "$(show switchboard.service ActiveState)" = active ]; then
		pass "switchboard.service is enabled and started on installation"
	else
		fail "install" "switchboard.service is $(in_container systemctl is-enabled switchboard.service) and $(show switchboard.service ActiveState)"
	fi
	if [ "$(in_container systemctl is-enabled switchboard.socket)" = disabled ] &&
		[ "$(show switchboard.socket ActiveState)" = inactive ]; then
		pass "switchboard.socket is installed, neither enabled nor started"
	else
		fail "install" "switchboard.socket is $(in_container systemctl is-enabled switchboard.socket)"
	fi
	# shellcheck disable=SC2016 # ${Conffiles} is dpkg-query's, not the shell's
	if in_container dpkg-query -W -f='${Conffiles}' switchboard | grep -qF "$CONF"; then
		pass "$CONF is a conffile"
	else
		fail "conffile" "$CONF is not a conffile"
	fi
	mkdir -p "$(container_path /srv/www)" "$(container_path /srv/www2)"
	write_file /srv/www/index.html "$SITE_A"
	write_file /srv/www2/index.html "$SITE_B"
}

# ---------------------------------------------------------------- the service

check_start() {
	local out status
	good_config /srv/www
	if ! out=$(in_container systemctl restart switchboard.service 2>&1); then
		fail "start" "systemctl restart: $out"
		return
	fi
	# Type=notify: systemctl returns once the unit is active, which must be
	# once the server has said READY=1, with its sockets listening: the very
	# first request, made without a retry, is answered.
	if [ "$(show switchboard.service Type)" = notify ]; then
		expect_site "active only once ready (Type=notify): the first request after systemctl start is served" \
			http://127.0.0.1/ "$SITE_A"
	else
		fail "start" "switchboard.service is Type=$(show switchboard.service Type), not notify"
	fi
	status=$(show switchboard.service StatusText)
	if [[ $status == *127.0.0.1:80* && $status == *"[::1]:80"* ]]; then
		pass "StatusText names the listen addresses: $status"
	else
		fail "StatusText" "'$status' does not name both listen addresses"
	fi
	expect_site "curl gets a file over IPv6" "http://[::1]/index.html" "$SITE_A"
}

check_reload() {
	local pid out
	pid=$(show switchboard.service MainPID)
	good_config /srv/www2
	if out=$(in_container systemctl reload switchboard.service 2>&1); then
		pass "systemctl reload with a good configuration succeeds"
	else
		fail "reload" "systemctl reload: $out"
	fi
	expect_site "the reloaded configuration serves the new root" http://127.0.0.1/ "$SITE_B"
	broken_config
	if in_container systemctl reload switchboard.service >/dev/null 2>&1; then
		fail "broken reload" "systemctl reload of a broken configuration reported success"
	else
		pass "systemctl reload of a broken configuration reports failure"
	fi
	expect_site "after the failed reload the old configuration keeps serving" http://127.0.0.1/ "$SITE_B"
	if [ "$(show switchboard.service MainPID)" = "$pid" ] &&
		[ "$(show switchboard.service ActiveState)" = active ]; then
		pass "reloads keep the same main process, active"
	else
		fail "reload" "main process $pid became $(show switchboard.service MainPID), $(show switchboard.service ActiveState)"
	fi
	good_config /srv/www
	in_container systemctl reload switchboard.service >/dev/null 2>&1
}

check_stop() {
	in_container systemctl stop switchboard.service
	if [ "$(show switchboard.service ActiveState)" = inactive ] &&
		[ "$(show switchboard.service Result)" = success ] &&
		! get http://127.0.0.1/ >/dev/null; then
		pass "systemctl stop: inactive, exit 0, port closed"
	else
		fail "stop" "$(show switchboard.service ActiveState), result $(show switchboard.service Result)"
	fi
}

check_restart_after_kill() {
	local pid restarts
	in_container systemctl start switchboard.service
	pid=$(show switchboard.service MainPID)
	restarts=$(show switchboard.service NRestarts)
	in_container bash -c "kill -9 $pid"
	# RestartSec=2s
	if wait_for 15 '[ "$(show switchboard.service MainPID)" != "$pid" ] &&
		[ "$(show switchboard.service MainPID)" != 0 ] &&
		[ "$(show switchboard.service ActiveState)" = active ]'; then
		pass "kill -9 of the main process: systemd restarts it (restarts $restarts -> $(show switchboard.service NRestarts))"
	else
		fail "restart after kill -9" "main process $pid, now $(show switchboard.service MainPID), $(show switchboard.service ActiveState)"
	fi
	expect_site "serving again after the restart" http://127.0.0.1/ "$SITE_A"
}

# A configuration error is exit 78: systemd must not restart that forever.
check_no_restart_loop() {
	local state restarts status
	broken_config
	in_container systemctl restart switchboard.service >/dev/null 2>&1
	# Three RestartSec=2s periods: time for two restarts, were there any.
	sleep 7
	state=$(show switchboard.service ActiveState)
	restarts=$(show switchboard.service NRestarts)
	status=$(show switchboard.service ExecMainStatus)
	if [ "$state" = failed ] && [ "$restarts" = 0 ] && [ "$status" = 78 ]; then
		pass "a configuration error (exit 78) leaves the unit failed, not restarted"
	else
		fail "restart loop" "after a configuration error: $state, exit $status, $restarts restarts"
	fi
	check_journal_error
	good_config /srv/www
	in_container systemctl reset-failed switchboard.service
	in_container systemctl start switchboard.service
}

# The configuration error of the start above, in the journal at priority err.
check_journal_error() {
	local wanted="$CONF:$BROKEN_LINE:"
	if in_container journalctl -u switchboard.service -p err -o cat | grep -qF "$wanted"; then
		pass "journalctl -u switchboard -p err shows the server's '$wanted' error"
	elif [ "$JOURNAL_PRIORITY_XFAIL" = 1 ] &&
		in_container journalctl -u switchboard.service -o cat | grep -qF "$wanted"; then
		# The line is there, but at the default priority (info) of a plain
		# stderr line: the server does not prefix its error lines with <3>.
		xfail "journal priority" "needs <3> priority prefixes: '$wanted' reaches the journal, but not at priority err"
	else
		fail "journal" "no '$wanted' line in journalctl -u switchboard"
	fi
}

# ---------------------------------------------------------------- hardening

# status_field PID FIELD: a field of /proc/PID/status in the container.
status_field() {
	in_container awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"
}

check_hardening() { # check_hardening UNIT EXPECTED-CapEff
	local unit=$1 caps=$2 pid uid mounts
	pid=$(show "$unit" MainPID)
	if [ "${pid:-0}" = 0 ]; then
		fail "$unit" "not running: no process to check"
		return
	fi
	uid=$(status_field "$pid" Uid)
	if [ -n "$uid" ] && ! printf '%s\n' "$uid" | tr -s '\t ' '\n' | grep -qx 0; then
		pass "$unit: runs as a transient user (Uid $uid), not root"
	else
		fail "$unit" "Uid '$uid'"
	fi
	if [ "$(status_field "$pid" NoNewPrivs)" = 1 ] && [ "$(status_field "$pid" Seccomp)" = 2 ]; then
		pass "$unit: NoNewPrivs 1, seccomp filter on"
	else
		fail "$unit" "NoNewPrivs $(status_field "$pid" NoNewPrivs), Seccomp $(status_field "$pid" Seccomp)"
	fi
	if [ "$(status_field "$pid" CapEff)" = "$caps" ] && [ "$(status_field "$pid" CapBnd)" = "$caps" ]; then
		pass "$unit: capabilities $caps, nothing more"
	else
		fail "$unit" "CapEff $(status_field "$pid" CapEff), CapBnd $(status_field "$pid" CapBnd), wanted $caps"
	fi
	# ProtectSystem=strict: / is read-only; only the unit's own directories are not.
	mounts=$(in_container cat "/proc/$pid/mountinfo")
	if printf '%s\n' "$mounts" | awk '$5 == "/" { split($6, o, ","); exit o[1] != "ro" }' &&
		printf '%s\n' "$mounts" | awk '$5 == "/run/switchboard" { split($6, o, ","); found = o[1] == "rw" }
			END { exit !found }'; then
		pass "$unit: / mounted read-only, /run/switchboard writable"
	else
		fail "$unit" "mounts: $(printf '%s\n' "$mounts" | awk '$5 == "/" || $5 ~ /switchboard/ { print $5, $6 }')"
	fi
}

# IPAddressDeny= is enforced only with BPF firewalling, which systemd says
# when it has not got.
check_firewall_supported() {
	if in_container journalctl -b -o cat | grep -qi 'BPF.*firewall.*not supported\|does not support BPF'; then
		fail "IPAddressDeny" "systemd says BPF firewalling is not supported here"
	else
		pass "systemd enforces IPAddressDeny= (BPF firewalling supported)"
	fi
}

# The README states what `systemd-analyze security` rates the units.
readme_score() { # readme_score UNIT
	tr '\n' ' ' <"$SB_SRCDIR/README" | grep -o "conf/$1 [0-9][0-9.]*" | head -n 1 | awk '{ print $2 }'
}

check_security_score() { # check_security_score UNIT
	local unit=$1 score claim
	score=$(in_container systemd-analyze security --no-pager "$unit" |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	claim=$(readme_score "$unit")
	echo "# systemd-analyze security $unit: $score (the README says ${claim:-nothing})"
	if [ -z "$claim" ]; then
		fail "security score" "the README states no score for $unit"
	elif [ "$score" = "$claim" ]; then
		pass "systemd-analyze security $unit on Debian 12: $score, as the README says"
	else
		fail "security score" "$unit rates '$score' on Debian 12, the README says $claim"
	fi
}

# ---------------------------------------------------------------- logrotate

# logrotate -f with the shipped /etc/logrotate.d/switchboard while a bounded
# request loop runs: every request is logged exactly once, the rotated file
# holds the first ones and gets nothing after postrotate has signalled.
check_logrotate() {
	local loop_pid rotated_size out n
	in_container systemctl stop switchboard.service
	in_container sh -c "rm -f $ACCESS_LOG $ACCESS_LOG.*"
	in_container systemctl start switchboard.service
	in_container_for 60 curl -s -o /dev/null --rate "$LOAD_RATE" \
		"http://127.0.0.1/index.html?request=[1-$LOAD_REQUESTS]" &
	loop_pid=$!
	wait_for 20 '[ "$(in_container sh -c "wc -l < $ACCESS_LOG" 2>/dev/null || echo 0)" -ge 100 ]'
	if out=$(in_container logrotate -f /etc/logrotate.d/switchboard 2>&1); then
		pass "logrotate -f /etc/logrotate.d/switchboard during a request loop"
	else
		fail "logrotate" "$out"
	fi
	rotated_size=$(in_container stat -c %s "$ACCESS_LOG.1" 2>/dev/null)
	wait "$loop_pid"
	sleep 0.5
	n=$(in_container cat "$ACCESS_LOG.1" "$ACCESS_LOG" 2>/dev/null |
		sed -n 's/.*GET \/index.html?request=\([0-9]*\) .*/\1/p' | sort -n | uniq -c |
		awk -v n="$LOAD_REQUESTS" '$1 == 1 { once++ } END { print once + 0 }')
	if [ "$n" = "$LOAD_REQUESTS" ]; then
		pass "each of the $LOAD_REQUESTS requests is logged exactly once across $ACCESS_LOG.1 and $ACCESS_LOG"
	else
		fail "logrotate" "$n of $LOAD_REQUESTS requests logged exactly once ($(in_container sh -c "wc -l $ACCESS_LOG.1 $ACCESS_LOG" | tr '\n' ' '))"
	fi
	if [ -n "$rotated_size" ] && [ "$(in_container stat -c %s "$ACCESS_LOG.1")" = "$rotated_size" ] &&
		[ "$(in_container sh -c "wc -l < $ACCESS_LOG")" -gt 0 ]; then
		pass "after postrotate the server writes to the new $ACCESS_LOG only"
	else
		fail "logrotate" "$ACCESS_LOG.1 grew from '$rotated_size' to '$(in_container stat -c %s "$ACCESS_LOG.1" 2>/dev/null)' bytes after postrotate"
	fi
}

# ---------------------------------------------------------------- the variants

# Start the next check from a clean slate, whatever the last one left.
reset_units() {
	in_container systemctl reset-failed switchboard.service switchboard.socket \
		switchboard-activated.service 2>/dev/null
}

check_switches() {
	local _ to_pair=0 to_service=0 why_pair='' why_service='' out next_switch
	reset_units
	in_container systemctl start switchboard.service
	for _ in $(seq "$SWITCHES"); do
		# systemd refuses a sixth start of a unit within 10 s (StartLimitBurst=):
		# an administrator does not switch that often, nor does this loop.
		next_switch=$(($(date +%s%N) + SWITCH_PERIOD_MS * 1000000))
		if out=$(in_container systemctl start switchboard.socket 2>&1) &&
			[ "$(get http://127.0.0.1/)" = "$SITE_A" ] &&
			[ "$(show switchboard-activated.service ActiveState)" = active ]; then
			to_pair=$((to_pair + 1))
		else
			why_pair="${out:-site not served by switchboard-activated.service} ($(show switchboard-activated.service Result))"
		fi
		if out=$(in_container systemctl start switchboard.service 2>&1) &&
			[ "$(get http://127.0.0.1/)" = "$SITE_A" ] &&
			[ "$(show switchboard.socket ActiveState)" = inactive ]; then
			to_service=$((to_service + 1))
		else
			why_service="${out:-site not served by switchboard.service} ($(show switchboard.service Result))"
		fi
		while [ "$(date +%s%N)" -lt "$next_switch" ]; do sleep 0.1; done
	done
	if [ "$to_pair" = "$SWITCHES" ]; then
		pass "switchboard.service -> socket pair: $to_pair of $SWITCHES switches serve the site"
	else
		fail "switch to the socket pair" "$to_pair of $SWITCHES switches worked; last: $why_pair"
	fi
	if [ "$to_service" = "$SWITCHES" ]; then
		pass "socket pair -> switchboard.service: $to_service of $SWITCHES switches serve the site"
	else
		fail "switch to switchboard.service" "$to_service of $SWITCHES switches worked; last: $why_service"
	fi
}

# The first connection, on IPv4 then on IPv6, starts the server.
check_socket_activation() {
	local url
	reset_units
	in_container systemctl start switchboard.socket
	for url in http://127.0.0.1/ "http://[::1]/"; do
		in_container systemctl stop switchboard-activated.service 2>/dev/null
		if [ "$(show switchboard-activated.service ActiveState)" != inactive ]; then
			fail "socket activation" "switchboard-activated.service did not stop"
			continue
		fi
		expect_site "socket activation: the first request to $url starts the server and is served" \
			"$url" "$SITE_A"
		if [ "$(show switchboard-activated.service ActiveState)" != active ]; then
			fail "socket activation" "switchboard-activated.service is not active after $url"
		fi
	done
}

reinstall() {
	in_container_for 180 env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --reinstall /var/tmp/switchboard.deb >/dev/null 2>&1
}

# An upgrade (a reinstall runs the same maintainer scripts) restarts the setup
# the administrator chose, and does not bring back the other one.
check_upgrade() {
	local pid
	reset_units
	in_container systemctl disable --now switchboard.service 2>/dev/null
	in_container systemctl enable --now switchboard.socket 2>/dev/null
	get http://127.0.0.1/ >/dev/null
	pid=$(show switchboard-activated.service MainPID)
	if ! reinstall; then
		fail "upgrade" "apt-get install --reinstall failed"
	elif [ "$(show switchboard.service ActiveState)" = inactive ] &&
		[ "$(show switchboard.socket ActiveState)" = active ] &&
		[ "$(show switchboard-activated.service MainPID)" != "$pid" ] &&
		[ "$(get http://127.0.0.1/)" = "$SITE_A" ]; then
		pass "upgrade with the socket pair chosen: the pair restarted, switchboard.service left off"
	else
		fail "upgrade" "socket pair chosen; after the upgrade switchboard.service is $(show switchboard.service ActiveState), the socket $(show switchboard.socket ActiveState), the server $pid -> $(show switchboard-activated.service MainPID)"
	fi
	in_container systemctl disable --now switchboard.socket 2>/dev/null
	in_container systemctl enable --now switchboard.service 2>/dev/null
	pid=$(show switchboard.service MainPID)
	if reinstall && [ "$(show switchboard.socket ActiveState)" = inactive ] &&
		[ "$(show switchboard.service MainPID)" != "$pid" ] &&
		[ "$(show switchboard.service ActiveState)" = active ]; then
		pass "upgrade with switchboard.service chosen: it is restarted, the pair left off"
	else
		fail "upgrade" "switchboard.service chosen; after the upgrade it is $(show switchboard.service ActiveState) (main process $pid -> $(show switchboard.service MainPID)), the socket $(show switchboard.socket ActiveState)"
	fi
	# Removal must stop the pair too: leave it running for check_purge.
	in_container systemctl start switchboard.socket
	get http://127.0.0.1/ >/dev/null
}

# Purge stops every unit and removes the configuration and the logs.
check_purge() {
	local out path left=''
	if ! out=$(in_container_for 180 env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q switchboard 2>&1); then
		fail "purge" "$(printf '%s\n' "$out" | tail -n 5)"
		return
	fi
	for path in "$CONF" /etc/logrotate.d/switchboard /var/log/switchboard /var/log/private/switchboard; do
		in_container test -e "$path" && left="$left $path"
	done
	if get http://127.0.0.1/ >/dev/null; then
		fail "purge" "something still answers on port 80"
	elif [ -n "$left" ]; then
		fail "purge" "left behind:$left"
	else
		pass "apt-get purge stops the server and removes the configuration and the logs"
	fi
}

run_checks() {
	local deb=$1
	check_install "$deb" || return
	check_start
	check_reload
	check_hardening switchboard.service 0000000000000400 # CAP_NET_BIND_SERVICE
	check_security_score switchboard.service
	check_stop
	check_restart_after_kill
	check_logrotate
	check_no_restart_loop
	check_switches
	check_socket_activation
	check_hardening switchboard-activated.service 0000000000000000
	check_firewall_supported
	check_security_score switchboard-activated.service
	check_upgrade
	check_purge
}
