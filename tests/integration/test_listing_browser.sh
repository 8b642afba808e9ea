#!/bin/sh
# A real browser renders a directory listing: headless Chromium takes a
# screenshot of switchboard's listing page (it must exist and not be blank)
# and dumps the DOM it built from it (every row and link must be there).
#
# Environment: SWITCHBOARD (the binary); SB_ARTIFACTS (optional: a directory
# that receives listing.png).
# Exit status: 0 all passed, 1 something failed, 77 skipped (no chromium).

SWITCHBOARD=${SWITCHBOARD:-src/switchboard}
BUDGET=85 # seconds for the whole script

if ! command -v chromium >/dev/null 2>&1; then
	echo "SKIP: chromium is not installed (apt-get install chromium)"
	exit 77
fi

LC_ALL=C
export LC_ALL
umask 022

. "$(dirname "$0")/results.sh"

deadline=$(($(date +%s) + BUDGET))
# At most $1 seconds, and never past the script's budget.
bounded() {
	left=$((deadline - $(date +%s)))
	test "$left" -lt "$1" && set -- "$left"
	test "$1" -lt 1 && set -- 1
	echo "$1"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_listing_browser.XXXXXX") || exit 1
chmod 755 "$tmp"
server_pid=
cleanup() {
	if test -n "$server_pid"; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# ------------------------------------------------------------ the site
# Started as root, the server drops to nobody: everything is world-readable.

root="$tmp/root"
mkdir -p "$root/docs/old" "$root/images"
printf 'Read me first.\n' >"$root/README.txt"
printf 'notes\n' >"$root/notes & ideas.md"
printf 'report\n' >"$root/report <2024>.pdf"
printf 'unicode\n' >"$root/ünïcode.txt"
printf 'zeta\n' >"$root/zeta.txt"
dd if=/dev/zero of="$root/archive.bin" bs=1024 count=3072 2>/dev/null
printf 'guide\n' >"$root/docs/guide.txt"
printf 'old\n' >"$root/docs/old/changes.txt"
printf 'hidden\n' >"$root/.secret"
chmod -R a+rX "$root"

cat >"$tmp/switchboard.conf" <<EOF
listen 127.0.0.1:0
root $root
listing on
EOF
chmod 644 "$tmp/switchboard.conf"

"$SWITCHBOARD" -c "$tmp/switchboard.conf" 2>"$tmp/server.log" &
server_pid=$!
url=
tries=0
while test -z "$url" && test "$tries" -lt 100; do
	url=$(sed -n 's|.*\(http://127\.0\.0\.1:[0-9][0-9]*/\).*|\1|p' "$tmp/server.log" | head -n 1)
	test -n "$url" && break
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 0.1
	tries=$((tries + 1))
done
if test -z "$url"; then
	fail "server starts" "no URL on its start-up line: $(cat "$tmp/server.log")"
	finish
fi
pass "server starts ($url)"

# Chromium as root needs --no-sandbox; its profile, cache and home stay in $tmp.
browser() {
	limit=$1
	shift
	HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_CACHE_HOME="$tmp/home/.cache" \
		timeout "$(bounded "$limit")" chromium --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$tmp/profile" "$@"
}

# ------------------------------------------------------------ screenshot

browser 60 --screenshot="$tmp/listing.png" --window-size=1024,768 "$url" \
	>"$tmp/screenshot.log" 2>&1
status=$?
if test -f "$tmp/listing.png"; then
	size=$(wc -c <"$tmp/listing.png" | tr -d ' ')
	magic=$(head -c 8 "$tmp/listing.png" | od -An -tx1 | tr -d ' \n')
	if test "$magic" != "89504e470d0a1a0a"; then
		fail "screenshot" "listing.png is not a PNG (starts with $magic)"
	elif test "$size" -le 5120; then
		fail "screenshot" "listing.png is only $size bytes: a blank page?"
	else
		pass "screenshot ($size bytes)"
	fi
	if test -n "${SB_ARTIFACTS:-}"; then
		mkdir -p "$SB_ARTIFACTS" && cp "$tmp/listing.png" "$SB_ARTIFACTS/listing.png"
	fi
else
	fail "screenshot" "no listing.png (chromium exited $status): $(tail -n 5 "$tmp/screenshot.log")"
fi

# ------------------------------------------------------------ the DOM

# $1 test name, $2 DOM file, $3 fixed string that must be in it.
expect_in_dom() {
	if grep -qF -- "$3" "$2"; then
		pass "$1"
	else
		fail "$1" "'$3' is not in the DOM"
	fi
}

line_of() {
	grep -nF -- "$2" "$1" | head -n 1 | cut -d: -f1
}

browser 30 --dump-dom "$url" >"$tmp/root.dom" 2>"$tmp/dump.log"
status=$?
if test "$status" -ne 0 || ! grep -q '<table' "$tmp/root.dom"; then
	fail "dump-dom /" "chromium exited $status, no table: $(tail -n 5 "$tmp/dump.log")"
else
	dom="$tmp/root.dom"
	expect_in_dom "title" "$dom" '<title>Index of /</title>'
	expect_in_dom "heading" "$dom" '<h1>Index of /</h1>'
	expect_in_dom "row docs/" "$dom" '<a href="docs/">docs/</a>'
	expect_in_dom "row images/" "$dom" '<a href="images/">images/</a>'
	expect_in_dom "row README.txt" "$dom" '<a href="README.txt">README.txt</a>'
	expect_in_dom "row with '&'" "$dom" \
		'<a href="notes%20%26%20ideas.md">notes &amp; ideas.md</a>'
	expect_in_dom "row with '<>'" "$dom" \
		'<a href="report%20%3C2024%3E.pdf">report &lt;2024&gt;.pdf</a>'
	expect_in_dom "row in UTF-8" "$dom" '<a href="%C3%BCn%C3%AFcode.txt">ünïcode.txt</a>'
	expect_in_dom "row archive.bin (3 MiB)" "$dom" \
		'<a href="archive.bin">archive.bin</a></td><td class="size">3.0 MiB</td>'
	if grep -qF '.secret' "$dom"; then
		fail "hidden file left out" ".secret is in the DOM"
	else
		pass "hidden file left out"
	fi
	if grep -qF '>../</a>' "$dom"; then
		fail "no parent link at the root" "'../' is in the DOM"
	else
		pass "no parent link at the root"
	fi
	# 8 entries, each a row with one link, plus the header row.
	rows=$(grep -o '<tr>' "$dom" | wc -l | tr -d ' ')
	links=$(grep -o '<a href="[^"/][^"]*">' "$dom" | wc -l | tr -d ' ')
	if test "$rows" -eq 9 && test "$links" -eq 8; then
		pass "rows and links ($rows rows, $links links)"
	else
		fail "rows and links" "$rows rows and $links links, expected 9 and 8"
	fi
	first_dir=$(line_of "$dom" '"docs/"')
	second_dir=$(line_of "$dom" '"images/"')
	first_file=$(line_of "$dom" '"README.txt"')
	last_file=$(line_of "$dom" '"zeta.txt"')
	utf8_file=$(line_of "$dom" '"%C3%BCn%C3%AFcode.txt"')
	if test -n "$first_dir" && test -n "$utf8_file" &&
		test "$first_dir" -lt "$second_dir" && test "$second_dir" -lt "$first_file" &&
		test "$first_file" -lt "$last_file" && test "$last_file" -lt "$utf8_file"; then
		pass "order: directories first, then byte order"
	else
		lines="docs=$first_dir images=$second_dir README=$first_file zeta=$last_file"
		fail "order" "lines $lines unicode=$utf8_file"
	fi
fi

browser 30 --dump-dom "${url}docs/" >"$tmp/docs.dom" 2>"$tmp/dump.log"
status=$?
if test "$status" -ne 0 || ! grep -q '<table' "$tmp/docs.dom"; then
	fail "dump-dom /docs/" "chromium exited $status, no table: $(tail -n 5 "$tmp/dump.log")"
else
	expect_in_dom "subdirectory heading" "$tmp/docs.dom" '<h1>Index of /docs/</h1>'
	expect_in_dom "parent link" "$tmp/docs.dom" '<a href="../">../</a>'
	expect_in_dom "subdirectory row" "$tmp/docs.dom" '<a href="old/">old/</a>'
	expect_in_dom "file row in a subdirectory" "$tmp/docs.dom" \
		'<a href="guide.txt">guide.txt</a>'
fi

# ------------------------------------------------------------ clean stop

kill -TERM "$server_pid"
wait "$server_pid"
status=$?
server_pid=
if test "$status" -eq 0; then
	pass "server stops cleanly"
else
	fail "server stops cleanly" "exit status $status after SIGTERM: $(tail -n 5 "$tmp/server.log")"
fi
finish
