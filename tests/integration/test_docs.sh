#!/bin/sh
# The documentation agrees with the program: every directive that
# --list-directives prints has an entry in switchboard.conf(5) (which says
# whether a reload applies it and whether a site block may hold it) and a line, at
# its default, in the example config; every long option in --help appears in
# switchboard(8); the example config passes -t; mandoc finds nothing at
# warning level in either page.
#
# Environment: SWITCHBOARD (the binary), SB_SRCDIR (the source tree).
# Exit status: 0 all passed, 1 something failed, 77 skipped (no mandoc).

SWITCHBOARD=${SWITCHBOARD:-src/switchboard}
SB_SRCDIR=${SB_SRCDIR:-.}
MAN8="$SB_SRCDIR/man/switchboard.8"
MAN5="$SB_SRCDIR/man/switchboard.conf.5"
CONF="$SB_SRCDIR/conf/switchboard.conf"

if ! command -v mandoc >/dev/null 2>&1; then
	echo "SKIP: mandoc is not installed"
	echo "0 passed, 0 failed"
	exit 77
fi

. "$(dirname "$0")/results.sh"
# Text as an extended regular expression that matches just that text.
quote_ere() {
	printf '%s\n' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_docs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# ------------------------------------------------------------ directives

if "$SWITCHBOARD" --list-directives >"$tmp/directives" 2>"$tmp/err" &&
	test -s "$tmp/directives"; then
	pass "--list-directives prints the directives"
else
	fail "--list-directives prints the directives" "$(cat "$tmp/err")"
fi

tab=$(printf '\t')
while IFS="$tab" read -r name default when scope; do
	test -n "$name" || continue

	# (a) an entry of its own in the page: ".It Ic name ...".
	if grep -Eq "^\\.It Ic $name( |\$)" "$MAN5"; then
		pass "$name has an entry in switchboard.conf.5"
	else
		fail "$name has an entry in switchboard.conf.5" "no '.It Ic $name' line"
	fi
	# The entry says whether a reload applies it, as the program does.
	case $when in
	reload) phrase="A reload applies a change" ;;
	*) phrase="A change needs a restart" ;;
	esac
	entry=$(awk -v name="$name" '
		$1 == ".It" && $2 == "Ic" { inside = ($3 == name) ; next }
		/^\.(El|Ss|Sh)/ { inside = 0 }
		inside { print }' "$MAN5" | tr '\n' ' ')
	case $entry in
	"") fail "$name: switchboard.conf.5 says '$phrase'" "no entry" ;;
	*"$phrase"*) pass "$name: switchboard.conf.5 says '$phrase'" ;;
	*) fail "$name: switchboard.conf.5 says '$phrase'" \
		"--list-directives says '$when', the entry does not" ;;
	esac
	# The entry says whether a site block may hold it, as the program does.
	case $scope:$entry in
	site:*"May be given in a site block."*) pass "$name: switchboard.conf.5 says it is per site" ;;
	site:*) fail "$name: switchboard.conf.5 says it is per site" \
		"--list-directives says 'site', the entry does not" ;;
	*"May be given in a site block."*) fail "$name: switchboard.conf.5 does not say it is per site" \
		"--list-directives says '$scope', the entry says it is per site" ;;
	*) pass "$name: switchboard.conf.5 does not say it is per site" ;;
	esac

	# (b) a line in the example config, commented out at its default
	# (directives without a default only need to be there).
	if [ "$default" = "-" ]; then
		if grep -Eq "^#$name( |$tab)" "$CONF"; then
			pass "$name is in conf/switchboard.conf"
		else
			fail "$name is in conf/switchboard.conf" "no '#$name ...' line"
		fi
	elif grep -Eq "^#$name[ $tab]+$(quote_ere "$default")[ $tab]*\$" "$CONF"; then
		pass "$name is in conf/switchboard.conf at its default"
	else
		fail "$name is in conf/switchboard.conf at its default" \
			"no '#$name $default' line"
	fi
done <"$tmp/directives"

# ------------------------------------------------------------ options

# The page as a reader sees it, without the overstrike of bold and underline.
bs=$(printf '\b')
if mandoc -Tascii "$MAN8" 2>"$tmp/err" | sed "s/.$bs//g" >"$tmp/man8.txt" &&
	test -s "$tmp/man8.txt"; then
	pass "switchboard.8 renders"
else
	fail "switchboard.8 renders" "$(cat "$tmp/err")"
fi

"$SWITCHBOARD" --help >"$tmp/help" 2>&1
options=$(grep -Eo -- '--[a-z][a-z-]*' "$tmp/help" | sort -u)
if [ -n "$options" ]; then
	pass "--help lists long options"
else
	fail "--help lists long options" "none found"
fi
for option in $options; do
	if grep -Eq -- "$option([^a-z-]|\$)" "$tmp/man8.txt"; then
		pass "$option is in switchboard.8"
	else
		fail "$option is in switchboard.8" "not in the rendered page"
	fi
done

# ------------------------------------------------------------ example config

# Its default root "." must exist: run it from an empty directory of our own.
mkdir "$tmp/site"
out=$(cd "$tmp/site" && "$SWITCHBOARD" -c "$CONF" -t 2>&1)
status=$?
if [ $status -eq 0 ] && [ "$out" = "configuration OK" ]; then
	pass "conf/switchboard.conf passes -t"
else
	fail "conf/switchboard.conf passes -t" "exit $status: $out"
fi

# ------------------------------------------------------------ lint

for page in "$MAN8" "$MAN5"; do
	out=$(mandoc -Tlint -Wwarning "$page" 2>&1)
	status=$?
	if [ $status -eq 0 ] && [ -z "$out" ]; then
		pass "mandoc -Tlint -Wwarning ${page##*/}"
	else
		fail "mandoc -Tlint -Wwarning ${page##*/}" "exit $status: $out"
	fi
done

finish
