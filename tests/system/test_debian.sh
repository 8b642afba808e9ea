#!/bin/sh
# switchboard's Debian package under the real Debian 12 systemd.
#
# Builds the package from this source tree (dpkg-buildpackage, the unit and
# integration tests skipped: make check runs them) or takes SB_DEB=PATH, checks
# it with lintian, makes a Debian 12 tree with debootstrap (cached under
# SB_SYSTEM_CACHE, default /var/cache/switchboard-system-test), boots it with
# systemd-nspawn with systemd as PID 1 and no network but its own loopback,
# installs the package with apt and drives it with systemctl, curl, journalctl
# and logrotate inside: see checks.sh for what is checked.
#
# It needs root, systemd-nspawn (systemd-container), debootstrap, a writable
# cgroup v2 hierarchy, and a few minutes: under make check it runs only with
# SB_SYSTEM_TEST=1 (.ci/run runs it as a step of its own). SB_SYSTEM_KEEP=1
# keeps the container's tree after the run, for a post-mortem.
#
# Output: PASS/FAIL lines (XFAIL for a known defect awaiting its fix) and a
# closing "N passed, N failed". Exit status: 0 all passed, 1 something failed,
# 77 skipped.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SB_SRCDIR=${SB_SRCDIR:-$(cd "$HERE/../.." && pwd)}

skip() {
	echo "SKIP: $*"
	echo "0 passed, 0 failed"
	exit 77
}

if [ "${SB_SYSTEM_TEST:-0}" != 1 ]; then
	skip "boots a Debian 12 container as root for a few minutes: run with SB_SYSTEM_TEST=1 (.ci/run does)"
fi
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, systemd-nspawn)"
for tool in systemd-nspawn:systemd-container debootstrap:debootstrap nsenter:util-linux \
	flock:util-linux pgrep:procps timeout:coreutils; do
	command -v "${tool%%:*}" >/dev/null 2>&1 ||
		skip "${tool%%:*} is not installed (Debian: apt-get install ${tool#*:}; tools/install-system-test-deps)"
done
if [ -z "${SB_DEB:-}" ]; then
	[ -d "$SB_SRCDIR/debian" ] || skip "no debian/ directory in $SB_SRCDIR (a release tarball): pass SB_DEB=PATH"
	command -v dpkg-buildpackage >/dev/null 2>&1 ||
		skip "dpkg-buildpackage is not installed (Debian: apt-get install dpkg-dev debhelper dh-exec)"
fi
cgroup2=
for dir in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if [ "$(stat -fc %T "$dir" 2>/dev/null)" = cgroup2fs ] && [ -w "$dir" ]; then
		cgroup2=$dir
		break
	fi
done
[ -n "$cgroup2" ] || skip "no writable cgroup v2 hierarchy (/sys/fs/cgroup or /sys/fs/cgroup/unified)"

. "$SB_SRCDIR/tests/integration/results.sh"
. "$HERE/container.sh"
. "$HERE/checks.sh"

xfailed=0
# A check that fails only for a known defect whose fix is on its way.
xfail() {
	echo "XFAIL $1: $2"
	xfailed=$((xfailed + 1))
}

BUILD_DIR=
cleanup() {
	cleanup_container
	[ -n "$BUILD_DIR" ] && rm -rf --one-file-system "$BUILD_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The package, from the files git knows of (tracked, or new and not ignored)
# copied out of the tree, so that a configured source tree stays as it is.
# Run in a command substitution: BUILD_DIR, for the clean-up, is made before.
build_package() {
	local src=$BUILD_DIR/switchboard
	mkdir "$src"
	if git -C "$SB_SRCDIR" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$SB_SRCDIR" ls-files -z --cached --others --exclude-standard |
			(cd "$SB_SRCDIR" && tar --null -T - -cf -) | tar -C "$src" -xf -
	else
		cp -a "$SB_SRCDIR/." "$src/"
	fi
	echo "# dpkg-buildpackage -us -uc -b (nocheck)" >&2
	# nocheck, and without SB_SYSTEM_TEST: a build that ran make check would
	# run this test again, inside itself.
	if ! (cd "$src" && DEB_BUILD_OPTIONS=nocheck DEB_BUILD_PROFILES=nocheck timeout 900 env -u SB_SYSTEM_TEST \
		dpkg-buildpackage -us -uc -b) \
		>"$BUILD_DIR/build.log" 2>&1; then
		tail -n 30 "$BUILD_DIR/build.log" >&2
		return 1
	fi
	ls "$BUILD_DIR"/switchboard_*.deb
}

mkdir -p "$SYSTEM_CACHE" && exec 9>>"$SYSTEM_CACHE/lock" && timeout 900 flock 9 ||
	{ fail "lock" "another run holds $SYSTEM_CACHE/lock"; finish; }

if [ -n "${SB_DEB:-}" ]; then
	deb=$SB_DEB
elif BUILD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-deb.XXXXXX") && deb=$(build_package); then
	pass "dpkg-buildpackage -us -uc -b builds $(basename "$deb")"
else
	fail "dpkg-buildpackage" "the package did not build"
	finish
fi
check_lintian "$deb"

mirror=$(host_mirror)
if ! base=$(base_tree "$mirror"); then
	fail "debootstrap" "no Debian $SUITE tree from $mirror"
	finish
fi
if ! prepare_root "$base" || ! boot_container 900; then
	fail "boot" "the Debian $SUITE container did not boot"
	finish
fi
pass "the Debian $SUITE container boots with systemd $(in_container systemctl --version | awk 'NR == 1 { print $2 }') as PID 1"

run_checks "$deb"
[ "$xfailed" -gt 0 ] && echo "# $xfailed expected failure(s), listed as XFAIL above"
finish
