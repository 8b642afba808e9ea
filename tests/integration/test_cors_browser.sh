#!/bin/sh
# A real browser enforces CORS against switchboard: headless Chromium loads a
# page from one instance (http://127.0.0.1:P1, through its fallback: the page
# is asked for as /app/route) whose script fetches data.json from a second
# instance on another origin (http://127.0.0.2:P2), then writes what it could
# read into the DOM, which --dump-dom prints.
#  - with cors_origins naming the page's origin on the second instance, the
#    plain fetch succeeds, the fetch with a custom header succeeds after a
#    preflight (seen in the access log: OPTIONS answered 204), the exposed
#    ETag is readable, and a header that is not allowed is refused (403);
#  - without CORS on the second instance, every fetch fails;
#  - with cors_origins naming another origin, every fetch fails too.
#
# Environment: SWITCHBOARD (the binary).
# Exit status: 0 all passed, 1 something failed, 77 skipped (no chromium).

SWITCHBOARD=${SWITCHBOARD:-src/switchboard}
BUDGET=100 # seconds for the whole script

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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_cors_browser.XXXXXX") || exit 1
chmod 755 "$tmp"
pids=
cleanup() {
	for pid in $pids; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# ------------------------------------------------------------ the sites
# Started as root, the server drops to nobody: everything is world-readable.

mkdir -p "$tmp/page" "$tmp/data"
printf '{"answer": 42}\n' >"$tmp/data/data.json"
# The page fetches data.json from the origin in its query (?target=...) three
# ways and writes one word per way into #out.
cat >"$tmp/page/page.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>cors</title></head>
<body><pre id="out">pending</pre>
<script>
const target = new URLSearchParams(location.search).get("target");
async function probe(name, headers) {
	try {
		const reply = await fetch(target + "/data.json", {headers: headers});
		const body = await reply.json();
		const etag = reply.headers.get("ETag") ? "etag-visible" : "etag-hidden";
		return name + "=read:" + reply.status + ":" + body.answer + ":" + etag;
	} catch (e) {
		return name + "=blocked";
	}
}
(async () => {
	const results = [];
	results.push(await probe("simple", {}));
	results.push(await probe("preflighted", {"X-Token": "t"}));
	results.push(await probe("refused", {"X-Other": "t"}));
	document.getElementById("out").textContent = "results " + results.join(" ");
})();
</script>
</body></html>
EOF
chmod -R a+rX "$tmp/page" "$tmp/data"

# $1 name, $2 listen address, then config lines: starts a server, sets
# $url to the address it announces (or fails the script).
start_server() {
	name=$1
	listen=$2
	shift 2
	{
		echo "listen $listen"
		for line in "$@"; do echo "$line"; done
	} >"$tmp/$name.conf"
	chmod 644 "$tmp/$name.conf"
	"$SWITCHBOARD" -c "$tmp/$name.conf" 2>"$tmp/$name.log" &
	pid=$!
	pids="$pids $pid"
	url=
	tries=0
	while test -z "$url" && test "$tries" -lt 100; do
		url=$(sed -n 's|.*\(http://127\.0\.0\.[0-9]*:[0-9][0-9]*\)/.*|\1|p' "$tmp/$name.log" |
			head -n 1)
		test -n "$url" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		tries=$((tries + 1))
	done
	if test -z "$url"; then
		fail "$name starts" "no URL on its start-up line: $(cat "$tmp/$name.log")"
		finish
	fi
	pass "$name starts ($url)"
}

start_server page 127.0.0.1:0 "root $tmp/page" "fallback /page.html"
page_url=$url

start_server shared 127.0.0.2:0 "root $tmp/data" "access_log $tmp/shared.access" \
	"cors_origins $page_url" "cors_headers X-Token" "cors_expose_headers ETag"
shared_url=$url
start_server closed 127.0.0.2:0 "root $tmp/data"
closed_url=$url
start_server elsewhere 127.0.0.2:0 "root $tmp/data" "cors_origins https://elsewhere.example" \
	"cors_headers X-Token" "cors_expose_headers ETag"
elsewhere_url=$url

# Chromium as root needs --no-sandbox; its profile, cache and home stay in $tmp.
# $1 the data server's URL, $2 the DOM file.
browse() {
	HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_CACHE_HOME="$tmp/home/.cache" \
		timeout "$(bounded 30)" chromium --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$tmp/profile" \
		--virtual-time-budget=10000 --dump-dom "$page_url/app/route?target=$1" \
		>"$2" 2>"$2.log"
	status=$?
	if test "$status" -ne 0 || ! grep -q 'id="out">results ' "$2"; then
		fail "chromium ran the page ($2)" \
			"exit $status, no results: $(grep -o 'id="out">[^<]*' "$2") $(tail -n 3 "$2.log")"
		return 1
	fi
	pass "chromium ran the page from the fallback ($(basename "$2"))"
}

# $1 test name, $2 DOM file, $3 the word that must be there.
expect_word() {
	if grep -qF -- "$3" "$2"; then
		pass "$1"
	else
		fail "$1" "no '$3' in: $(grep -o 'id="out">[^<]*' "$2")"
	fi
}

# ------------------------------------------------------------ with CORS

dom="$tmp/shared.dom"
if browse "$shared_url" "$dom"; then
	expect_word "a simple fetch reads the data" "$dom" "simple=read:200:42:etag-visible"
	expect_word "a preflighted fetch reads it" "$dom" "preflighted=read:200:42:etag-visible"
	expect_word "a header not allowed is refused" "$dom" "refused=blocked"
	if grep -q '"OPTIONS /data.json HTTP/1.1" 204 ' "$tmp/shared.access"; then
		pass "the browser sent a preflight, answered 204"
	else
		fail "the browser sent a preflight, answered 204" "$(cat "$tmp/shared.access")"
	fi
	if grep -q '"OPTIONS /data.json HTTP/1.1" 403 ' "$tmp/shared.access"; then
		pass "the preflight for X-Other was refused with 403"
	else
		fail "the preflight for X-Other was refused with 403" "$(cat "$tmp/shared.access")"
	fi
fi

# ------------------------------------------------------------ without CORS

dom="$tmp/closed.dom"
if browse "$closed_url" "$dom"; then
	expect_word "no CORS: the simple fetch fails" "$dom" "simple=blocked"
	expect_word "no CORS: the preflighted fetch fails" "$dom" "preflighted=blocked"
	expect_word "no CORS: the third fails" "$dom" "refused=blocked"
fi

dom="$tmp/elsewhere.dom"
if browse "$elsewhere_url" "$dom"; then
	expect_word "another origin allowed: the simple fetch fails" "$dom" "simple=blocked"
	expect_word "another origin allowed: the preflighted fetch fails" "$dom" \
		"preflighted=blocked"
fi

# ------------------------------------------------------------ clean stop

for pid in $pids; do
	kill -TERM "$pid"
	wait "$pid"
	status=$?
	if test "$status" -eq 0; then
		pass "server $pid stops cleanly"
	else
		fail "server $pid stops cleanly" "exit status $status after SIGTERM"
	fi
done
pids=
finish
