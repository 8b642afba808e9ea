"""Malformed and hostile requests, table-driven: about 200 inputs.

Each row is raw request bytes, the statuses of the responses they must get,
and what happens next. Every input is sent followed by a valid "canary"
request (GET /canary.txt) on the same connection:

  - "close": after the expected responses the server closes the connection
    and sends nothing more; the canary is never answered. This is the rule
    for every error that leaves the request's framing in doubt: a byte after
    a bad request is never taken as a new request, so no proxy in front can
    be desynchronised by what follows it;
  - "open": the request was well framed (a 404, a 405, a 501 for an unknown
    method...), so the connection stays usable: the next response is the
    canary's, with its body, and nothing else follows.

Responses are read with the strict h11 reader (CRLF-only heads, exact
framing, no byte after a response that says close). No response may ever
contain the secret file that lies next to the document root.

The rows follow the strictness policies of src/http_parser.h and the README
("Limits and strictness", "Targets"): bare LF / bare CR, NUL bytes, obs-fold,
whitespace before a colon, invalid field names, Content-Length (huge,
negative, non-numeric, lists, duplicates), Transfer-Encoding in many
spellings and with Content-Length, absolute-form targets with odd schemes,
traversal (plain, percent-encoded, double-encoded, overlong UTF-8,
backslashes), header sections around 16 KiB and 100 fields, invalid UTF-8
in the target, the 8 KiB request line, versions, methods, Host rules, and
pipelining after an error.

Run as `$PYTHON tests/hostile/test_malformed.py` with SWITCHBOARD set.
"""

import collections
import functools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hostile import Failure, expect, figure, harness  # noqa: E402
from harness import Client, add_test, test, wait_closed  # noqa: E402

SMALL = b"small.txt: the file most rows ask for\n"
CANARY_BODY = b"canary: answered only on a connection that stayed in sync\n"
INDEX = b"<!doctype html><title>index</title>\n"
FF_BODY = b"a file whose name is the byte 0xff then .txt\n"
CANARY = b"GET /canary.txt HTTP/1.1\r\nHost: canary.test\r\n\r\n"

RL = b"GET /small.txt HTTP/1.1"
H = b"Host: hostile.test"
SECRET = harness.DocRoot.SECRET


@functools.lru_cache(maxsize=None)
def docroot():
    root = harness.DocRoot("switchboard-malformed-")
    root.write("small.txt", SMALL)
    root.write("canary.txt", CANARY_BODY)
    root.write("index.html", INDEX)
    root.write("sub/page.txt", b"page in sub\n")
    path = os.path.join(os.fsencode(root.root), b"\xff.txt")
    with open(path, "wb") as f:
        f.write(FF_BODY)
    os.chmod(path, 0o644)
    return root


SERVER = harness.SharedServer(lambda: docroot().root)


def head(*lines, body=b""):
    """Request bytes: the lines joined by CRLF, the empty line, the body."""
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def get(target, *fields, version=b"HTTP/1.1", method=b"GET", host=True, body=b""):
    lines = [method + b" " + target + b" " + version] + ([H] if host else []) + list(fields)
    return head(*lines, body=body)


def fields_of_size(total):
    """Host plus one X-Big field: exactly `total` bytes of field lines with CRLFs."""
    host = H + b"\r\n"
    pad = total - len(host) - len(b"X-Big: \r\n")
    return [H, b"X-Big: " + b"b" * pad]


def request_line_of(length):
    """GET /small.txt?qqq... HTTP/1.1 of exactly `length` bytes (without CRLF)."""
    fixed = len(b"GET /small.txt? HTTP/1.1")
    return b"GET /small.txt?" + b"q" * (length - fixed) + b" HTTP/1.1"


# ---------------------------------------------------------------- the table

Row = collections.namedtuple("Row", "name raw statuses after methods check")
ROWS = []
SEEN = collections.Counter()


def row(name, raw, statuses, after, methods=None, check=None):
    if isinstance(statuses, int):
        statuses = [statuses]
    ROWS.append(Row(name, raw, statuses, after, methods or ["GET"] * len(statuses), check))


def bodies(*expected):
    def check(replies):
        for i, (reply, body) in enumerate(zip(replies, expected)):
            if body is not None and reply.body != body:
                raise Failure(f"response {i + 1}: body {reply.body[:60]!r}, want {body[:60]!r}")
    return check


def allow_get_head(replies):
    allow = replies[0].header("allow")
    if allow is None or [m.strip() for m in allow.split(",")] != ["GET", "HEAD"]:
        raise Failure(f"405 with Allow {allow!r}, want 'GET, HEAD'")


ok_small = bodies(SMALL)

# Line endings: CRLF only.
row("bare_lf_everywhere", b"GET /small.txt HTTP/1.1\nHost: h\n\n", 400, "close")
row("bare_lf_after_request_line", b"GET /small.txt HTTP/1.1\nHost: h\r\n\r\n", 400, "close")
row("bare_lf_after_field", b"GET /small.txt HTTP/1.1\r\nHost: h\n\r\n", 400, "close")
row("bare_lf_as_empty_line", b"GET /small.txt HTTP/1.1\r\nHost: h\r\n\n", 400, "close")
row("bare_lf_before_request", b"\n" + get(b"/small.txt"), 400, "close")
row("lf_cr_swapped", b"GET /small.txt HTTP/1.1\n\rHost: h\r\n\r\n", 400, "close")
row("bare_cr_line_ends", b"GET /small.txt HTTP/1.1\rHost: h\r\r", 400, "close")
row("bare_cr_in_request_line", b"GET /small.txt\rHTTP/1.1\r\nHost: h\r\n\r\n", 400, "close")
row("bare_cr_in_field_value", get(b"/small.txt", b"X-A: a\rb"), 400, "close")
row("bare_cr_in_field_name", get(b"/small.txt", b"X-A\r: b"), 400, "close")
row("cr_cr_lf", b"GET /small.txt HTTP/1.1\r\nHost: h\r\r\n\r\n", 400, "close")
row("empty_lines_before_request_skipped", b"\r\n\r\n" + get(b"/small.txt"), 200, "open",
    check=ok_small)

# NUL bytes.
row("nul_in_method", get(b"/small.txt", method=b"G\x00T"), 400, "close")
row("nul_first_byte", b"\x00" + get(b"/small.txt"), 400, "close")
row("nul_in_target", get(b"/small\x00.txt"), 400, "close")
row("nul_in_version", get(b"/small.txt", version=b"HTTP/1.1\x00"), 400, "close")
row("nul_in_field_name", get(b"/small.txt", b"X-A\x00B: c"), 400, "close")
row("nul_in_field_value", get(b"/small.txt", b"X-A: a\x00b"), 400, "close")
row("percent_00_in_target", get(b"/small.txt%00"), 400, "close")
row("percent_00_in_segment", get(b"/sm%00all.txt"), 400, "close")

# obs-fold and leading whitespace.
row("obs_fold_space", get(b"/small.txt", b"X-A: a", b" b"), 400, "close")
row("obs_fold_tab", get(b"/small.txt", b"X-A: a", b"\tb"), 400, "close")
row("obs_fold_host", head(RL, b"Host:", b" hostile.test"), 400, "close")
row("first_field_line_indented", head(RL, b" Host: hostile.test"), 400, "close")

# Whitespace between a field name and its colon.
row("space_before_colon", head(RL, b"Host : hostile.test"), 400, "close")
row("tab_before_colon", head(RL, b"Host\t: hostile.test"), 400, "close")
row("space_before_colon_content_length",
    get(b"/small.txt", b"Content-Length : 5", body=b"hello"), 400, "close")
row("space_before_colon_transfer_encoding",
    get(b"/small.txt", b"Transfer-Encoding : chunked"), 400, "close")

# Field names: tchar only.
for label, name in [("space", b"X A"), ("paren", b"X(A)"), ("quote", b'X"A'), ("slash", b"X/A"),
                    ("at", b"X@A"), ("brace", b"X{A}"), ("semicolon", b"X;A"), ("equals", b"X=A"),
                    ("comma", b"X,A"), ("bracket", b"X[A]"), ("high_byte", b"X\xffA"),
                    ("del", b"X\x7fA"), ("ctl", b"X\x01A"), ("empty", b"")]:
    row(f"field_name_{label}", get(b"/small.txt", name + b": value"), 400, "close")
row("field_line_without_colon", get(b"/small.txt", b"JustAName"), 400, "close")

# Field values.
row("field_value_del", get(b"/small.txt", b"X-A: a\x7fb"), 400, "close")
row("field_value_ctl", get(b"/small.txt", b"X-A: a\x01b"), 400, "close")
row("field_value_escape", get(b"/small.txt", b"X-A: \x1b[31mred"), 400, "close")
row("field_value_vertical_tab", get(b"/small.txt", b"X-A: a\x0bb"), 400, "close")
row("field_value_obs_text_allowed", get(b"/small.txt", b"X-A: caf\xe9"), 200, "open",
    check=ok_small)
row("field_value_tab_allowed", get(b"/small.txt", b"X-A: a\tb"), 200, "open", check=ok_small)
row("field_value_empty_allowed", get(b"/small.txt", b"X-A:"), 200, "open", check=ok_small)

# Content-Length.
for label, value in [("20_digits", b"99999999999999999999"), ("19_digits", b"1000000000000000000"),
                     ("u64_overflow", b"18446744073709551616"), ("negative", b"-1"),
                     ("plus_sign", b"+5"), ("letters", b"abc"), ("hex", b"0x10"),
                     ("inner_space", b"5 5"), ("comma_list", b"5, 5"), ("comma_pair", b"5,5"),
                     ("empty", b""), ("decimal", b"5.0"), ("exponent", b"1e3"),
                     ("trailing_letter", b"5a")]:
    row(f"content_length_{label}", get(b"/small.txt", b"Content-Length: " + value,
                                       body=b"hello"), 400, "close")
row("content_length_duplicate_differing",
    get(b"/small.txt", b"Content-Length: 5", b"Content-Length: 6", body=b"hello!"), 400, "close")
row("content_length_18_digits_too_large",
    get(b"/small.txt", b"Content-Length: 100000000000000000"), 413, "close")
row("content_length_over_64_kib", get(b"/small.txt", b"Content-Length: 65537"), 413, "close")
row("content_length_duplicate_agreeing_body_discarded",
    get(b"/small.txt", b"Content-Length: 5", b"Content-Length: 5", body=b"hello"), 200, "open",
    check=ok_small)
row("content_length_64_kib_body_discarded",
    get(b"/small.txt", b"Content-Length: 65536", body=b"x" * 65536), 200, "open", check=ok_small)
row("content_length_leading_zeros", get(b"/small.txt", b"Content-Length: 005", body=b"hello"),
    200, "open", check=ok_small)
row("content_length_surrounding_whitespace",
    get(b"/small.txt", b"Content-Length: \t 5 \t", body=b"hello"), 200, "open", check=ok_small)
INNER = b"GET /index.html HTTP/1.1\r\nHost: smuggled.test\r\n\r\n"
row("content_length_body_holding_a_request_is_not_a_request",
    get(b"/small.txt", b"Content-Length: %d" % len(INNER), body=INNER), 200, "open",
    check=ok_small)
row("content_length_on_head", get(b"/small.txt", b"Content-Length: 5", method=b"HEAD",
                                  body=b"hello"), 200, "open", methods=["HEAD"])

# Transfer-Encoding (RFC 9112 sections 6 and 7): a list ending in chunked is
# decoded and the body dropped; one that does not end in chunked cannot frame
# the body (400); a coding we do not know before chunked is 501.
EMPTY_CHUNKED = b"0\r\n\r\n"
for label, value in [("chunked", b"chunked"), ("capitalised", b"Chunked"),
                     ("upper_case", b"CHUNKED"), ("leading_space", b"  chunked"),
                     ("leading_tab", b"\tchunked"), ("trailing_comma", b"chunked,")]:
    row(f"transfer_encoding_{label}",
        get(b"/small.txt", b"Transfer-Encoding: " + value, body=EMPTY_CHUNKED), 200, "open",
        check=ok_small)
for label, value in [("chunked_identity", b"chunked, identity"), ("identity", b"identity"),
                     ("x", b"x"), ("empty", b"")]:
    row(f"transfer_encoding_{label}", get(b"/small.txt", b"Transfer-Encoding: " + value),
        400, "close")
for label, value in [("identity_chunked", b"identity, chunked"),
                     ("gzip_chunked", b"gzip, chunked")]:
    row(f"transfer_encoding_{label}", get(b"/small.txt", b"Transfer-Encoding: " + value),
        501, "close")
row("transfer_encoding_duplicated",
    get(b"/small.txt", b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"), 400, "close")
row("transfer_encoding_lower_case_name",
    get(b"/small.txt", b"transfer-encoding: chunked", body=EMPTY_CHUNKED), 200, "open",
    check=ok_small)
row("transfer_encoding_upper_case_name",
    get(b"/small.txt", b"TRANSFER-ENCODING: chunked", body=EMPTY_CHUNKED), 200, "open",
    check=ok_small)
row("transfer_encoding_with_chunked_body",
    get(b"/small.txt", b"Transfer-Encoding: chunked", body=b"5\r\nhello\r\n0\r\n\r\n"),
    200, "open", check=ok_small)
row("chunked_body_with_extensions_and_trailers",
    get(b"/small.txt", b"Transfer-Encoding: chunked",
        body=b"5;a=b;c=\"d e\"\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"), 200, "open",
    check=ok_small)
# A body holding a request is data, not a request.
row("chunked_body_holding_a_request_is_not_a_request",
    get(b"/small.txt", b"Transfer-Encoding: chunked",
        body=b"%x\r\n" % len(INNER) + INNER + b"\r\n0\r\n\r\n"), 200, "open", check=ok_small)
row("chunked_size_not_hex", get(b"/small.txt", b"Transfer-Encoding: chunked",
                                body=b"5x\r\nhello\r\n0\r\n\r\n"), 400, "close")
row("chunked_size_0x", get(b"/small.txt", b"Transfer-Encoding: chunked",
                           body=b"0x5\r\nhello\r\n0\r\n\r\n"), 400, "close")
row("chunked_size_17_digits", get(b"/small.txt", b"Transfer-Encoding: chunked",
                                 body=b"0" * 16 + b"1\r\n"), 400, "close")
row("chunked_data_too_long", get(b"/small.txt", b"Transfer-Encoding: chunked",
                                 body=b"3\r\nhello\r\n0\r\n\r\n"), 400, "close")
row("chunked_bare_lf", get(b"/small.txt", b"Transfer-Encoding: chunked",
                           body=b"5\nhello\r\n0\r\n\r\n"), 400, "close")
row("chunked_trailer_obs_fold", get(b"/small.txt", b"Transfer-Encoding: chunked",
                                    body=b"0\r\nX: a\r\n b\r\n\r\n"), 400, "close")
# The same bound as a Content-Length body: 413, before the data is read.
row("chunked_body_over_the_limit", get(b"/small.txt", b"Transfer-Encoding: chunked",
                                       body=b"100000\r\n"), 413, "close")
row("transfer_encoding_then_content_length",
    get(b"/small.txt", b"Transfer-Encoding: chunked", b"Content-Length: 5", body=b"hello"),
    400, "close")
row("content_length_then_transfer_encoding",
    get(b"/small.txt", b"Content-Length: 5", b"Transfer-Encoding: chunked", body=b"hello"),
    400, "close")
row("transfer_encoding_http_1_0",
    get(b"/small.txt", b"Transfer-Encoding: chunked", version=b"HTTP/1.0"), 400, "close")
row("transfer_encoding_value_vertical_tab",
    get(b"/small.txt", b"Transfer-Encoding: chunked\x0b"), 400, "close")
row("transfer_encoding_name_nul", get(b"/small.txt", b"Transfer-Encoding\x00: chunked"),
    400, "close")

# Absolute-form and odd targets.
for label, target in [("http", b"http://hostile.test/small.txt"),
                      ("http_upper_case", b"HTTP://hostile.test/small.txt"),
                      ("https", b"https://hostile.test/small.txt"),
                      ("with_port", b"http://hostile.test:8080/small.txt"),
                      ("other_authority_than_host", b"http://other.test/small.txt"),
                      ("ipv6_authority", b"http://[::1]/small.txt")]:
    row(f"absolute_form_{label}", get(target), 200, "open", check=ok_small)
row("absolute_form_without_path", get(b"http://hostile.test"), 200, "open", check=bodies(INDEX))
row("absolute_form_query_only", get(b"http://hostile.test?x=1"), 200, "open",
    check=bodies(INDEX))
for label, target in [("ftp", b"ftp://hostile.test/small.txt"),
                      ("one_slash", b"http:/small.txt"),
                      ("userinfo", b"http://user@hostile.test/small.txt"),
                      ("userinfo_password", b"http://user:pw@hostile.test/small.txt"),
                      ("empty_authority", b"http:///small.txt"),
                      ("file", b"file:///etc/passwd"),
                      ("javascript", b"javascript:alert(1)"),
                      ("no_scheme_no_slash", b"small.txt"),
                      ("asterisk", b"*"),
                      ("authority_form", b"hostile.test:80"),
                      ("traversal", b"http://hostile.test/../secret.txt"),
                      ("fragment", b"/small.txt#frag")]:
    row(f"target_{label}", get(target), 400, "close")
row("target_network_path", get(b"//hostile.test/small.txt"), 404, "open")

# Traversal: nothing above the root, ever.
for label, target in [("plain", b"/../secret.txt"), ("encoded", b"/%2e%2e/secret.txt"),
                      ("encoded_upper", b"/%2E%2E/secret.txt"), ("half_encoded", b"/.%2e/secret.txt"),
                      ("encoded_slash", b"/..%2fsecret.txt"), ("encoded_slash_upper",
                                                               b"/..%2Fsecret.txt"),
                      ("after_dir", b"/sub/../../secret.txt"),
                      ("encoded_after_dir", b"/sub/%2e%2e/%2e%2e/secret.txt"),
                      ("many", b"/" + b"../" * 50 + b"secret.txt"), ("root_dotdot", b"/.."),
                      ("into_root_sibling", b"/../root/small.txt"),
                      ("percent_u", b"/%u002e%u002e/secret.txt"),
                      ("nul_between_dots", b"/.%00./secret.txt")]:
    row(f"traversal_{label}", get(target), 400, "close")
for label, target in [("double_encoded", b"/%252e%252e/secret.txt"),
                      ("overlong_utf8_dots", b"/%c0%ae%c0%ae/secret.txt"),
                      ("overlong_utf8_slash", b"/..%c0%afsecret.txt"),
                      ("backslash", b"/..\\secret.txt"), ("backslash_encoded", b"/..%5csecret.txt"),
                      ("backslash_encoded_both", b"/%5c..%5csecret.txt"),
                      ("four_dots", b"/..../secret.txt"), ("dots_and_spaces", b"/..%20/secret.txt")]:
    row(f"traversal_{label}", get(target), 404, "open")
for label, target in [("dot_segment", b"/./small.txt"), ("dotdot_inside", b"/sub/../small.txt"),
                      ("encoded_dot", b"/%2e/small.txt"), ("double_slash", b"//small.txt")]:
    row(f"normalised_{label}", get(target), 200, "open", check=ok_small)
for label, target in [("lone_percent", b"/%"), ("short_percent", b"/%4"), ("bad_hex", b"/%zz"),
                      ("encoded_slash_at_end", b"/small.txt%2f")]:
    row(f"percent_{label}", get(target), 400, "close")

# Header section limits: 16 KiB and 100 fields.
row("fields_exactly_16_kib", get(b"/small.txt", *fields_of_size(16384), host=False), 200, "open",
    check=ok_small)
row("fields_16_kib_plus_one", get(b"/small.txt", *fields_of_size(16385), host=False), 431,
    "close")
row("fields_64_kib", get(b"/small.txt", *fields_of_size(65536), host=False), 431, "close")
row("fields_value_20_kib_unfinished",
    b"GET /small.txt HTTP/1.1\r\nHost: hostile.test\r\nX-Big: " + b"v" * 20480, 431, "close")
row("fields_100", get(b"/small.txt", *[b"X-F%d: v" % i for i in range(99)]), 200, "open",
    check=ok_small)
row("fields_101", get(b"/small.txt", *[b"X-F%d: v" % i for i in range(100)]), 431, "close")
row("fields_5000_tiny", get(b"/small.txt", *[b"a:b"] * 5000), 431, "close")

# Bytes >= 0x80 in the target: raw is 400; percent-encoded is a name.
row("utf8_raw_invalid", get(b"/\xff.txt"), 400, "close")
row("utf8_raw_valid", get(b"/caf\xc3\xa9.txt"), 400, "close")
row("utf8_raw_in_query", get(b"/small.txt?\xff"), 400, "close")
row("utf8_encoded_invalid_existing_file", get(b"/%ff.txt"), 200, "open", check=bodies(FF_BODY))
row("utf8_encoded_invalid_upper_case", get(b"/%FF.txt"), 200, "open", check=bodies(FF_BODY))
row("utf8_encoded_invalid_missing", get(b"/%fe%ff.txt"), 404, "open")
row("utf8_encoded_valid_missing", get(b"/caf%c3%a9.txt"), 404, "open")
row("utf8_encoded_overlong_nul", get(b"/%c0%80.txt"), 404, "open")

# The request line: 8 KiB.
row("request_line_exactly_8_kib", head(request_line_of(8192), H), 200, "open", check=ok_small)
row("request_line_8_kib_plus_one", head(request_line_of(8193), H), 414, "close")
row("request_line_20_kib", head(request_line_of(20480), H), 414, "close")
row("request_line_unfinished_9_kib", b"GET /" + b"a" * 9000, 414, "close")
row("method_9_kib", head(b"A" * 9000 + b" / HTTP/1.1", H), 414, "close")

# Versions.
row("version_1_2_served_as_1_1", get(b"/small.txt", version=b"HTTP/1.2"), 200, "open",
    check=ok_small)
row("version_1_9_served_as_1_1", get(b"/small.txt", version=b"HTTP/1.9"), 200, "open",
    check=ok_small)
for label, version in [("2_0", b"HTTP/2.0"), ("3_0", b"HTTP/3.0"), ("0_9", b"HTTP/0.9"),
                       ("9_9", b"HTTP/9.9")]:
    row(f"version_{label}", get(b"/small.txt", version=version), 505, "close")
row("http_0_9_request_without_version", b"GET /small.txt\r\n\r\n", 400, "close")
for label, version in [("trailing_space", b"HTTP/1.1 "), ("lower_case", b"http/1.1"),
                       ("1_10", b"HTTP/1.10"), ("no_minor", b"HTTP/1"), ("no_dot", b"HTTP/11"),
                       ("suffix", b"HTTP/1.1x"), ("https", b"HTTPS/1.1"),
                       ("leading_zero", b"HTTP/01.1"), ("letters", b"HTTP/a.b"),
                       ("empty", b"")]:
    row(f"version_{label}", get(b"/small.txt", version=version), 400, "close")
row("http_1_0_without_host_then_close", get(b"/small.txt", version=b"HTTP/1.0", host=False),
    200, "close", check=ok_small)
row("http_1_0_keep_alive", get(b"/small.txt", b"Connection: keep-alive", version=b"HTTP/1.0"),
    200, "open", check=ok_small)

# Request-line syntax.
row("two_spaces_after_method", b"GET  /small.txt HTTP/1.1\r\nHost: h\r\n\r\n", 400, "close")
row("two_spaces_before_version", b"GET /small.txt  HTTP/1.1\r\nHost: h\r\n\r\n", 400, "close")
row("tab_separators", b"GET\t/small.txt\tHTTP/1.1\r\nHost: h\r\n\r\n", 400, "close")
row("leading_space", b" GET /small.txt HTTP/1.1\r\nHost: h\r\n\r\n", 400, "close")
row("missing_target", b"GET  HTTP/1.1\r\nHost: h\r\n\r\n", 400, "close")
row("extra_token", b"GET /small.txt HTTP/1.1 extra\r\nHost: h\r\n\r\n", 400, "close")
row("space_in_target", b"GET /sm all.txt HTTP/1.1\r\nHost: h\r\n\r\n", 400, "close")
row("method_only", b"GET\r\nHost: h\r\n\r\n", 400, "close")

# Methods: case-sensitive; known ones other than GET/HEAD are 405.
row("method_lower_case_get", get(b"/small.txt", method=b"get"), 501, "open")
row("method_mixed_case_get", get(b"/small.txt", method=b"Get"), 501, "open")
row("method_unknown", get(b"/small.txt", method=b"FOO"), 501, "open")
row("method_unknown_with_body", get(b"/small.txt", b"Content-Length: 5", method=b"BREW",
                                    body=b"hello"), 501, "open")
row("method_put_405_allow", get(b"/small.txt", b"Content-Length: 5", method=b"PUT",
                                body=b"hello"), 405, "open", check=allow_get_head)
for method in (b"POST", b"DELETE", b"OPTIONS", b"TRACE", b"PATCH"):
    row(f"method_{method.decode().lower()}_405", get(b"/small.txt", method=method), 405, "open",
        check=allow_get_head)
row("method_connect_405", get(b"hostile.test:443", method=b"CONNECT"), 405, "open",
    check=allow_get_head)
row("method_invalid_character", get(b"/small.txt", method=b"G@T"), 400, "close")
row("method_head_error_has_no_body", get(b"/small.txt", method=b"HEAD", version=b"HTTP/2.0"),
    505, "close", methods=["HEAD"])

# Host rules.
row("host_missing_http_1_1", get(b"/small.txt", host=False), 400, "close")
row("host_twice_differing", get(b"/small.txt", b"Host: other.test"), 400, "close")
row("host_twice_same", get(b"/small.txt", H), 400, "close")
row("host_twice_http_1_0", get(b"/small.txt", H, version=b"HTTP/1.0"), 400, "close")
row("host_empty_value", get(b"/small.txt", b"Host:", host=False), 200, "open", check=ok_small)
row("host_missing_with_absolute_form", get(b"http://hostile.test/small.txt", host=False), 400,
    "close")
row("host_lower_case_name", get(b"/small.txt", b"host: hostile.test", host=False), 200, "open",
    check=ok_small)

# Pipelining: what follows an error is never answered.
row("pipeline_good_then_bad", get(b"/small.txt") + b"BAD\r\n\r\n", [200, 400], "close",
    check=ok_small)
row("pipeline_two_good_then_bad", get(b"/small.txt") + get(b"/index.html") + b"GET /\n\n",
    [200, 200, 400], "close", check=bodies(SMALL, INDEX))
row("pipeline_bad_then_good", get(b"/small.txt", b"X A: b") + get(b"/index.html"), 400, "close")
row("pipeline_after_transfer_encoding",
    get(b"/small.txt", b"Transfer-Encoding: chunked", body=b"0\r\n\r\n") + get(b"/index.html"),
    [200, 200], "open", check=bodies(SMALL, INDEX))
row("pipeline_after_bad_chunked_body",
    get(b"/small.txt", b"Transfer-Encoding: chunked", body=b"z\r\n") + get(b"/index.html"),
    400, "close")
# HTTP/1.0: "close" wins over "keep-alive" (RFC 9112 section 9.3).
row("http10_keep_alive_and_close",
    get(b"/small.txt", b"Connection: keep-alive, close", version=b"HTTP/1.0") + get(b"/index.html"),
    200, "close", check=ok_small)
row("http10_keep_alive_and_close_in_two_fields",
    get(b"/small.txt", b"Connection: keep-alive", b"Connection: close", version=b"HTTP/1.0")
    + get(b"/index.html"), 200, "close", check=ok_small)
row("pipeline_after_413", get(b"/small.txt", b"Content-Length: 100000") + get(b"/index.html"),
    413, "close")
row("pipeline_after_505", get(b"/small.txt", version=b"HTTP/2.0") + get(b"/index.html"),
    505, "close")
row("pipeline_404_then_good", get(b"/missing.txt") + get(b"/small.txt"), [404, 200], "open",
    check=bodies(None, SMALL))
row("connection_close_honoured", get(b"/small.txt", b"Connection: close"), 200, "close",
    check=ok_small)


# ---------------------------------------------------------------- running a row


def target_of(raw):
    parts = raw.split(b"\r\n", 1)[0].split(b" ")
    return parts[1] if len(parts) >= 3 else b""


def run_row(r):
    port = SERVER.get().port
    with Client(port, timeout=5.0) as client:
        client.send(r.raw + CANARY)
        replies = []
        for i, (want, method) in enumerate(zip(r.statuses, r.methods)):
            reply = client.read_response(method)
            replies.append(reply)
            SEEN[reply.status] += 1
            if reply.body and SECRET in reply.body:
                raise Failure("the secret file next to the root was served")
            target = target_of(r.raw)
            if reply.status >= 400 and len(target) >= 4 and reply.body and target in reply.body:
                raise Failure(f"the {reply.status} page echoes the request target {target!r}")
            if reply.status != want:
                raise Failure(f"response {i + 1}: expected {want}, got {reply.status} "
                              f"{reply.reason} (input {harness.short(r.raw, 80)})")
        if r.check is not None:
            r.check(replies)
        last = replies[-1]
        if r.after == "close":
            if not last.closed:
                # Still open: is the canary (or anything) answered? That is the desync.
                how, extra, _ = wait_closed(client.sock, 1.0)
                raise Failure(f"connection not closed after the {last.status} "
                              f"(then: {how}, {harness.short(extra, 80)})")
            return
        canary = client.read_response("GET")
        SEEN[canary.status] += 1
        if canary.status != 200 or canary.body != CANARY_BODY:
            raise Failure(f"the canary after the input got {canary.status} "
                          f"{harness.short(canary.body or b'', 60)}")
        if last.closed or canary.closed:
            raise Failure("the connection was closed although the request was well framed")
        how, extra, _ = wait_closed(client.sock, 0.1)
        if extra or how != "timeout":
            raise Failure(f"after the canary: {how}, {harness.short(extra, 80)}")


for _r in ROWS:
    add_test(f"malformed_{_r.name}", functools.partial(run_row, _r), timeout=15.0)


@test(timeout=10)
def malformed_table_size_and_figures():
    figure("malformed_inputs", len(ROWS))
    figure("malformed_inputs_expected_to_close", sum(1 for r in ROWS if r.after == "close"))
    figure("malformed_statuses_seen", dict(sorted(SEEN.items())))
    expect(len(ROWS) >= 100, f"only {len(ROWS)} rows")
    expect(SERVER.get().alive(), "the server is not running")


if __name__ == "__main__":
    harness.main(budget=110.0)
