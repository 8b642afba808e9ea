# Sourced by test_debian.sh: a Debian 12 tree, booted with systemd-nspawn with
# the real systemd as its PID 1, commands run inside it, and a clean-up that
# undoes every mount, cgroup and process it made, also when a check fails.
#
# The host need not run systemd: the container is booted unregistered
# (--register=no --keep-unit), on the cgroup v2 hierarchy, in a network
# namespace of its own (--private-network: loopback only), and commands enter
# it with nsenter through its PID 1.

SYSTEM_CACHE=${SB_SYSTEM_CACHE:-/var/cache/switchboard-system-test}
SUITE=bookworm
# What the checks need inside the container besides the package.
TREE_PACKAGES="systemd curl logrotate"

# The Debian mirror apt already uses on this host (one-line or deb822 sources),
# else deb.debian.org.
host_mirror() {
	local uri
	uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v suite="$SUITE" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++;
			if ($(i + 1) == suite) { print $i; exit } }')
	if [ -z "$uri" ]; then
		uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			awk -v suite="$SUITE" '
				/^[[:space:]]*$/ { if (uris != "" && has) { print uris; exit } uris = ""; has = 0; next }
				/^URIs:/ { uris = $2 }
				/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) has = 1 }
				END { if (uris != "" && has) print uris }' | head -n 1)
	fi
	echo "${uri:-http://deb.debian.org/debian}"
}

# The cached base tree: debootstrap minbase plus TREE_PACKAGES. Built once per
# machine (about a minute), into a scratch directory renamed into place only
# when complete, so that an interrupted build is never reused.
base_tree() {
	local mirror=$1 key tree scratch
	key=$(printf '%s %s %s\n' "$SUITE" "$mirror" "$TREE_PACKAGES" | sha256sum | cut -c1-12)
	tree=$SYSTEM_CACHE/$SUITE-$key
	if [ -f "$tree/.complete" ]; then
		echo "$tree"
		return 0
	fi
	mkdir -p "$SYSTEM_CACHE"
	scratch=$(mktemp -d "$SYSTEM_CACHE/building.XXXXXX")
	echo "# debootstrap --variant=minbase $SUITE from $mirror" >&2
	if ! timeout 600 debootstrap --variant=minbase "$SUITE" "$scratch/root" "$mirror" >"$scratch/debootstrap.log" 2>&1; then
		tail -n 20 "$scratch/debootstrap.log" >&2
		rm -rf --one-file-system "$scratch"
		return 1
	fi
	echo "# apt-get install $TREE_PACKAGES" >&2
	if ! timeout 600 chroot "$scratch/root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		$TREE_PACKAGES >"$scratch/apt.log" 2>&1; then
		tail -n 20 "$scratch/apt.log" >&2
		rm -rf --one-file-system "$scratch"
		return 1
	fi
	chroot "$scratch/root" apt-get clean
	touch "$scratch/root/.complete"
	rm -rf --one-file-system "$tree"
	mv "$scratch/root" "$tree"
	rm -rf --one-file-system "$scratch"
	echo "$tree"
}

# ---------------------------------------------------------------- the run

RUN_DIR=          # this run's scratch directory: the container's root and logs
NSPAWN_PID=       # the `timeout systemd-nspawn` process
CONTAINER_INIT=   # the container's PID 1, as the host sees it
NSPAWN_TMPFS=     # set when this run mounted the tmpfs on /run/systemd/nspawn
CGROUPS_BEFORE=   # the cgroup directories that existed before the boot

cgroup_dirs() {
	local h
	for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
		[ -d "$h" ] && find "$h" -mindepth 1 -maxdepth 1 -type d \( -name payload -o -name supervisor \) 2>/dev/null
	done | sort -u
}

# A fresh copy of the base tree, so that every run starts from a clean system.
prepare_root() {
	local base=$1
	RUN_DIR=$(mktemp -d "$SYSTEM_CACHE/run.XXXXXX")
	timeout 300 cp -a --reflink=auto "$base" "$RUN_DIR/root"
}

# Boot the copy; wait until its systemd says it has finished starting up.
boot_container() {
	local budget=$1 nspawn _
	mkdir -p /run/systemd/nspawn
	if ! mountpoint -q /run/systemd/nspawn; then
		mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn || return 1
		NSPAWN_TMPFS=1
	fi
	CGROUPS_BEFORE=$(cgroup_dirs)
	SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 timeout --kill-after=10 "$budget" \
		systemd-nspawn --quiet --boot --register=no --keep-unit --private-network \
		--machine="sbtest$$" --directory="$RUN_DIR/root" \
		--system-call-filter="bpf @keyring" --capability=CAP_BPF \
		--console=passive >"$RUN_DIR/nspawn.log" 2>&1 &
	NSPAWN_PID=$!
	for _ in $(seq 100); do
		nspawn=$(pgrep -P "$NSPAWN_PID" systemd-nspawn | head -n 1)
		[ -n "$nspawn" ] && CONTAINER_INIT=$(pgrep -P "$nspawn" | head -n 1)
		[ -n "$CONTAINER_INIT" ] && break
		kill -0 "$NSPAWN_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$CONTAINER_INIT" ]; then
		echo "# systemd-nspawn did not start a container:" >&2
		tail -n 20 "$RUN_DIR/nspawn.log" >&2
		return 1
	fi
	# Until systemd has made its private socket, systemctl cannot connect.
	for _ in $(seq 600); do
		in_container_for 5 test -S /run/systemd/private 2>/dev/null && break
		kill -0 "$NSPAWN_PID" 2>/dev/null || break
		sleep 0.1
	done
	in_container_for 120 systemctl is-system-running --wait >/dev/null
	case $(in_container systemctl is-system-running) in
	running | degraded) return 0 ;;
	*)
		echo "# the container did not finish booting:" >&2
		tail -n 20 "$RUN_DIR/nspawn.log" >&2
		return 1
		;;
	esac
}

# Run a command in the container's namespaces and root, with a clean
# environment, within SECONDS.
in_container_for() {
	local seconds=$1
	shift
	timeout --kill-after=5 "$seconds" nsenter --target "$CONTAINER_INIT" \
		--mount --uts --ipc --net --pid --cgroup --root --wd \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SYSTEMD_PAGER= "$@"
}

in_container() {
	in_container_for 30 "$@"
}

# A path inside the container, as the host sees it.
container_path() {
	echo "$RUN_DIR/root$1"
}

stop_container() {
	local _
	[ -n "$NSPAWN_PID" ] || return 0
	# SIGTERM to systemd-nspawn powers the container off; then a bounded wait.
	pkill -TERM -P "$NSPAWN_PID" systemd-nspawn 2>/dev/null
	for _ in $(seq 300); do
		kill -0 "$NSPAWN_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$NSPAWN_PID" 2>/dev/null; then
		echo "# the container did not power off in 30 s: killing it" >&2
		pkill -KILL -P "$NSPAWN_PID" systemd-nspawn 2>/dev/null
		[ -n "$CONTAINER_INIT" ] && kill -KILL "$CONTAINER_INIT" 2>/dev/null
		kill -KILL "$NSPAWN_PID" 2>/dev/null
	fi
	wait "$NSPAWN_PID" 2>/dev/null
	NSPAWN_PID=
}

# Remove the cgroups systemd-nspawn made for this run (deepest first), once
# every process in them is gone.
remove_cgroups() {
	local top _
	for top in $(cgroup_dirs); do
		printf '%s\n' "$CGROUPS_BEFORE" | grep -qxF "$top" && continue
		for _ in $(seq 50); do
			find "$top" -name cgroup.procs -exec cat {} + 2>/dev/null | grep -q . || break
			sleep 0.1
		done
		find "$top" -depth -type d -exec rmdir {} \; 2>/dev/null
		[ -d "$top" ] && echo "# could not remove the cgroup $top" >&2
	done
}

# Undo everything, in order: processes, cgroups, mounts, files.
cleanup_container() {
	local mnt
	stop_container
	remove_cgroups
	if [ -n "$RUN_DIR" ]; then
		# Anything still mounted below the tree (deepest first) goes before the files.
		awk -v dir="$RUN_DIR/" 'index($5, dir) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
			while read -r mnt; do umount -l "$mnt"; done
		if [ -n "${SB_SYSTEM_KEEP:-}" ]; then
			echo "# kept $RUN_DIR (SB_SYSTEM_KEEP)" >&2
		else
			rm -rf --one-file-system "$RUN_DIR"
		fi
		RUN_DIR=
	fi
	if [ -n "$NSPAWN_TMPFS" ]; then
		umount /run/systemd/nspawn
		NSPAWN_TMPFS=
	fi
}
