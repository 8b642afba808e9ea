#!/bin/sh
# tools/include-cycles: it finds a real #include cycle (and names it), is not
# fooled by forward declarations, system headers or files outside the
# directory, layers an acyclic graph correctly, and finds no cycle in src/.
#
# Environment: SB_SRCDIR (the source tree).
# Exit status: 0 all passed, 1 something failed.

SB_SRCDIR=${SB_SRCDIR:-.}
TOOL="$SB_SRCDIR/tools/include-cycles"

. "$(dirname "$0")/results.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_include_cycles.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# tree NAME FILE=TEXT...: a directory of files, \n in TEXT for new lines.
tree() {
	mkdir "$tmp/$1" || exit 1
	dir=$tmp/$1
	shift
	for spec in "$@"; do
		printf '%b\n' "${spec#*=}" >"$dir/${spec%%=*}"
	done
}

# run NAME: the tool's output in $out, its exit status in $status.
run() {
	out=$(sh "$TOOL" "$tmp/$1" 2>&1)
	status=$?
}

# expect NAME STATUS TEXT: the tool exits STATUS and prints TEXT (fixed string).
expect() {
	run "$1"
	if [ "$status" -ne "$2" ]; then
		fail "$1: $3" "exit status $status, not $2: $out"
	elif ! printf '%s\n' "$out" | grep -qF -- "$3"; then
		fail "$1: $3" "not in the output: $out"
	else
		pass "$1: $3"
	fi
}

tree cycle3 'a.h=#include "b.h"' 'b.h=#include <stdio.h>\n#include "c.h"' \
	'c.h=/* c */\n#  include "a.h"' 'main.c=#include "a.h"'
expect cycle3 1 "include cycle: a.h -> b.h -> c.h -> a.h"
expect cycle3 1 'c.h:2: #include "a.h"'

tree self 'self.h=#include "self.h"' 'other.h=int x;'
expect self 1 "include cycle: self.h -> self.h"

# conn.h and server.h name each other's struct: a forward declaration is
# not an include.
tree forward 'conn.h=struct server;\nstruct conn { struct server *s; };' \
	'server.h=#include "conn.h"\nstruct server { struct conn *c; };'
expect forward 0 "no include cycle"

# A diamond, with a generated header and a path outside the directory that
# do not exist there: not part of the graph.
tree diamond 'a.h=#include "b.h"\n#include "c.h"' 'b.h=#include "d.h"' \
	'c.h=#include "d.h"\n#include "autoconfig.h"\n#include "../elsewhere/a.h"' \
	'd.h=#include <stddef.h>' 'a.c=#include "autoconfig.h"\n#include "a.h"'
expect diamond 0 "  0: d.h"
expect diamond 0 "  1: b.h c.h"
expect diamond 0 "  2: a.h"
expect diamond 0 "  3: a.c"

run missing
if [ "$status" -eq 2 ]; then
	pass "missing directory"
else
	fail "missing directory" "exit status $status, not 2: $out"
fi

out=$(sh "$TOOL" "$SB_SRCDIR/src" 2>&1)
status=$?
if [ "$status" -eq 0 ]; then
	pass "src/ has no include cycle"
	printf '%s\n' "$out"
else
	fail "src/ has an include cycle" "$out"
fi

finish
