/* Unit tests for exchange: from a parsed request (or a parse fault) to a
 * complete response plan, with no socket anywhere: every status it chooses,
 * the keep-alive decision for HTTP/1.0 and 1.1 under every Connection field,
 * HEAD against GET, error pages, and the router's rows. */
#include "autoconfig.h"

#include "cors.h"
#include "exchange.h"
#include "fallback.h"
#include "filecache.h"
#include "health.h"
#include "http_parser.h"
#include "site.h"
#include "static.h"

#include "check_run.h"

#include <check.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char root[] = "/var/tmp/check_exchange.XXXXXX";
/* The one site (no site blocks): its files settings are what the tests change. */
static struct site the_site;
static struct site_table sites = {.sites = &the_site, .count = 1};
static struct static_site *const site = &the_site.files;
static struct router router;
static struct exchange_ctx ctx;

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", root, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static struct error_page not_found_page = {404, (char *)"/404.html"};

static void setup(void)
{
	strcpy(root, "/var/tmp/check_exchange.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	write_file("index.html", "<p>home</p>\n");
	write_file("hello.txt", "hello\n");
	write_file("empty.txt", "");
	write_file("404.html", "<p>no such page</p>\n");
	char sub[300];
	snprintf(sub, sizeof sub, "%s/dir", root);
	ck_assert_int_eq(mkdir(sub, 0755), 0);

	static const char *const index_names[] = {"index.html"};
	memset(site, 0, sizeof *site);
	site->default_type = "application/octet-stream";
	site->symlinks = SYMLINKS_INSIDE_ROOT;
	site->index_names = index_names;
	site->index_count = 1;
	site->listing = true;
	char err[256];
	ck_assert_int_eq(static_site_open(site, root, err, sizeof err), 0);

	router_init(&router, &exchange_static_route);
	ctx = (struct exchange_ctx){
	    .sites = &sites,
	    .router = &router,
	    .max_discard_body = 1024,
	    .keepalive = true,
	    .max_keepalive_requests = 100,
	};
}

static void teardown(void)
{
	static_site_close(site);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* Parse text (a whole request head) and plan the answer. */
static void answer(const char *text, unsigned long served, struct exchange_plan *plan)
{
	static struct http_parser parser;
	http_parser_init(&parser);
	enum http_parse_result res = http_parser_feed(&parser, text, strlen(text));
	ck_assert_int_ne(res, HTTP_PARSE_NEED_MORE);
	struct exchange_request in = {
	    .req = &parser.req,
	    .data = text,
	    .error_status = res == HTTP_PARSE_ERROR ? parser.status : 0,
	    .served = served,
	    .now = time(NULL),
	};
	exchange_answer(&ctx, &in, plan);
}

/* The same at a given second of the wall clock. */
static void answer_at(const char *text, time_t now, struct exchange_plan *plan)
{
	static struct http_parser parser;
	http_parser_init(&parser);
	ck_assert_int_eq(http_parser_feed(&parser, text, strlen(text)), HTTP_PARSE_DONE);
	struct exchange_request in = {.req = &parser.req, .data = text, .now = now};
	exchange_answer(&ctx, &in, plan);
}

static int status_of(const char *text)
{
	struct exchange_plan plan;
	answer(text, 0, &plan);
	int status = plan.response.status;
	exchange_plan_release(&plan);
	return status;
}

/* ------------------------------------------------------------ statuses */

struct status_case {
	const char *request;
	int status;
};

static const struct status_case status_cases[] = {
    {"GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 200},
    {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200},
    {"GET /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n\r\n", 206},
    {"GET /dir HTTP/1.1\r\nHost: a\r\n\r\n", 301},
    {"GET /hello.txt HTTP/1.1\r\nHost: a\r\nIf-None-Match: *\r\n\r\n", 304},
    {"GET /missing HTTP/1.1\r\nHost: a\r\n\r\n", 404},
    {"GET /../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"POST /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", 405},
    {"DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", 405},
    {"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501},
    {"GET /hello.txt HTTP/1.1\r\nHost: a\r\nIf-Match: \"x\"\r\n\r\n", 412},
    {"GET /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n", 413},
    {"GET /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=100-\r\n\r\n", 416},
    {"GET / HTTP/1.1\r\n\r\n", 400},                  /* no Host */
    {"GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400}, /* bare LF */
    {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
};

START_TEST(test_status)
{
	const struct status_case *c = &status_cases[_i];
	ck_assert_msg(status_of(c->request) == c->status, "%s: %d, want %d", c->request,
	              status_of(c->request), c->status);
}
END_TEST

START_TEST(test_405_says_allow)
{
	struct exchange_plan plan;
	answer("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 405);
	ck_assert_str_eq(plan.response.allow, "GET, HEAD");
	ck_assert(plan.response.error_page);
	exchange_plan_release(&plan);
}
END_TEST

START_TEST(test_413_and_faults_close_and_discard_nothing)
{
	struct exchange_plan plan;
	answer("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 413);
	ck_assert(plan.close_after);
	ck_assert_uint_eq(plan.discard, 0);
	ck_assert(!plan.peer_closes);
	exchange_plan_release(&plan);

	answer("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert_uint_eq(plan.discard, 7);
	exchange_plan_release(&plan);
}
END_TEST

/* A fault is logged with its request line only when that line was understood. */
START_TEST(test_fault_log_fields)
{
	struct exchange_plan plan;
	answer("GET / HTTP/1.1\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.log.status, 400);
	ck_assert_uint_eq(plan.log.request_line_len, strlen("GET / HTTP/1.1"));
	exchange_plan_release(&plan);

	answer("G\x01T / HTTP/1.1\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.log.status, 400);
	ck_assert_uint_eq(plan.log.request_line_len, 0);
	ck_assert(plan.close_after);
	exchange_plan_release(&plan);
}
END_TEST

START_TEST(test_log_fields)
{
	struct exchange_plan plan;
	const char *text =
	    "GET /hello.txt HTTP/1.1\r\nHost: a\r\nReferer: r\r\nUser-Agent: ua/1\r\n\r\n";
	answer(text, 0, &plan);
	ck_assert_int_eq(plan.log.status, 200);
	ck_assert_uint_eq(plan.log.request_line_len, strlen("GET /hello.txt HTTP/1.1"));
	ck_assert(plan.log.request_line == text);
	ck_assert_uint_eq(plan.log.referer_len, 1);
	ck_assert_mem_eq(plan.log.user_agent, "ua/1", 4);
	exchange_plan_release(&plan);
}
END_TEST

/* --------------------------------------------------------- keep-alive */

struct keepalive_case {
	const char *version;
	const char *connection; /* NULL: no field */
	enum response_connection want;
	bool peer_closes;
};

static const struct keepalive_case keepalive_cases[] = {
    {"1.1", NULL, RESPONSE_KEEP_ALIVE, false},
    {"1.1", "close", RESPONSE_CLOSE, true},
    {"1.1", "keep-alive", RESPONSE_KEEP_ALIVE, false},
    {"1.1", "Keep-Alive, Upgrade", RESPONSE_KEEP_ALIVE, false},
    {"1.1", "CLOSE", RESPONSE_CLOSE, true},
    {"1.1", "keep-alive, close", RESPONSE_CLOSE, true},
    {"1.0", NULL, RESPONSE_CLOSE, true},
    {"1.0", "keep-alive", RESPONSE_KEEP_ALIVE_HTTP10, false},
    {"1.0", "Keep-Alive", RESPONSE_KEEP_ALIVE_HTTP10, false},
    {"1.0", "close", RESPONSE_CLOSE, true},
    {"1.0", "keep-alive, close", RESPONSE_CLOSE, true},
    {"1.0", "close, Keep-Alive", RESPONSE_CLOSE, true},
};

START_TEST(test_keepalive)
{
	const struct keepalive_case *c = &keepalive_cases[_i];
	char text[256];
	snprintf(text, sizeof text, "GET /hello.txt HTTP/%s\r\nHost: a\r\n%s%s%s\r\n", c->version,
	         c->connection ? "Connection: " : "", c->connection ? c->connection : "",
	         c->connection ? "\r\n" : "");
	struct exchange_plan plan;
	answer(text, 0, &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert_msg(plan.response.connection == c->want, "HTTP/%s Connection: %s: %d, want %d",
	              c->version, c->connection, plan.response.connection, c->want);
	ck_assert_int_eq(plan.close_after, c->want == RESPONSE_CLOSE);
	ck_assert_int_eq(plan.peer_closes, c->peer_closes);
	exchange_plan_release(&plan);
}
END_TEST

START_TEST(test_keepalive_limits)
{
	const char *text = "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n";
	struct exchange_plan plan;

	answer(text, 98, &plan); /* the 99th of 100 */
	ck_assert_int_eq(plan.response.connection, RESPONSE_KEEP_ALIVE);
	exchange_plan_release(&plan);
	answer(text, 99, &plan); /* the last one allowed closes */
	ck_assert_int_eq(plan.response.connection, RESPONSE_CLOSE);
	exchange_plan_release(&plan);

	ctx.keepalive = false;
	answer(text, 0, &plan);
	ck_assert_int_eq(plan.response.connection, RESPONSE_CLOSE);
	ck_assert(plan.close_after);
	exchange_plan_release(&plan);
	ctx.keepalive = true;

	ctx.stopping = true;
	answer(text, 0, &plan);
	ck_assert_int_eq(plan.response.connection, RESPONSE_CLOSE);
	exchange_plan_release(&plan);
	ctx.stopping = false;

	/* Not understood: nothing after it is trusted. */
	answer("GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 400);
	ck_assert_int_eq(plan.response.connection, RESPONSE_CLOSE);
	exchange_plan_release(&plan);

	/* A 404 keeps the connection. */
	answer("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.connection, RESPONSE_KEEP_ALIVE);
	exchange_plan_release(&plan);
}
END_TEST

/* A body that ends with the connection (a listing for HTTP/1.0) closes it. */
START_TEST(test_listing_framing)
{
	struct exchange_plan plan;
	answer("GET /dir/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert_int_eq(plan.response.framing, FRAMING_CLOSE);
	ck_assert_int_eq(plan.response.connection, RESPONSE_CLOSE);
	ck_assert_int_eq(plan.response.body.kind, BODY_GENERATED);
	exchange_plan_release(&plan);

	answer("GET /dir/ HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.framing, FRAMING_CHUNKED);
	ck_assert_int_eq(plan.response.connection, RESPONSE_KEEP_ALIVE);
	exchange_plan_release(&plan);
}
END_TEST

/* ----------------------------------------------------------- HEAD, bodies */

START_TEST(test_head_has_fields_no_body)
{
	struct exchange_plan get, head;
	answer("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 0, &get);
	answer("HEAD /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 0, &head);
	/* A small file is sent from the bytes its ETag was computed from. */
	ck_assert_int_eq(get.response.body.kind, BODY_MEMORY);
	ck_assert_uint_eq(get.response.body.remaining, 6);
	ck_assert(!get.response.head_only);
	ck_assert(head.response.head_only);
	ck_assert_int_eq(head.response.body.kind, BODY_NONE);
	ck_assert_uint_eq(head.response.content_length, get.response.content_length);
	ck_assert_str_eq(head.response.etag, get.response.etag);
	ck_assert_str_eq(head.response.content_type, get.response.content_type);
	exchange_plan_release(&get);
	exchange_plan_release(&head);

	answer("HEAD /dir/ HTTP/1.1\r\nHost: a\r\n\r\n", 0, &head);
	ck_assert_int_eq(head.response.body.kind, BODY_NONE);
	exchange_plan_release(&head);
}
END_TEST

START_TEST(test_empty_file_sends_nothing)
{
	struct exchange_plan plan;
	answer("GET /empty.txt HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert_uint_eq(plan.response.content_length, 0);
	ck_assert_int_eq(plan.response.body.kind, BODY_NONE);
	exchange_plan_release(&plan);
}
END_TEST

START_TEST(test_range_body)
{
	struct exchange_plan plan;
	answer("GET /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=1-3\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 206);
	ck_assert_uint_eq(plan.response.body.offset, 1);
	ck_assert_uint_eq(plan.response.body.remaining, 3);
	ck_assert_uint_eq(plan.response.content_length, 3);
	exchange_plan_release(&plan);
}
END_TEST

/* ------------------------------------------------------------ error pages */

START_TEST(test_builtin_error_page)
{
	struct exchange_plan plan;
	answer("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 404);
	ck_assert(plan.response.error_page);
	ck_assert_int_eq(plan.response.body.kind, BODY_NONE);
	ck_assert_str_eq(plan.response.content_type, "text/html; charset=utf-8");
	ck_assert_uint_gt(plan.response.content_length, 0);
	exchange_plan_release(&plan);
}
END_TEST

START_TEST(test_configured_error_page)
{
	site->error_pages = &not_found_page;
	site->error_page_count = 1;
	struct exchange_plan plan;
	answer("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 404);
	ck_assert(!plan.response.error_page);
	ck_assert_int_eq(plan.response.body.kind, BODY_FILE);
	ck_assert_uint_eq(plan.response.content_length, strlen("<p>no such page</p>\n"));
	ck_assert_str_eq(plan.response.content_type, "text/html");
	exchange_plan_release(&plan);

	/* HEAD: the page's fields, not its bytes. */
	answer("HEAD /missing HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.body.kind, BODY_NONE);
	ck_assert_uint_eq(plan.response.content_length, strlen("<p>no such page</p>\n"));
	exchange_plan_release(&plan);

	/* Another status keeps our own page. */
	answer("BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert(plan.response.error_page);
	exchange_plan_release(&plan);
	site->error_pages = NULL;
	site->error_page_count = 0;
}
END_TEST

/* ------------------------------------------------------------ symlinks */

static void make_symlink(const char *target, const char *name)
{
	char path[300];
	snprintf(path, sizeof path, "%s/%s", root, name);
	ck_assert_int_eq(symlink(target, path), 0);
}

/* An absolute link is followed when it stays inside the root ("inside"
 * policy), refused when it leads out. */
START_TEST(test_absolute_symlinks)
{
	char target[300];
	snprintf(target, sizeof target, "%s/hello.txt", root);
	make_symlink(target, "abs-in.txt");
	snprintf(target, sizeof target, "%s/dir", root);
	make_symlink(target, "abs-dir");
	make_symlink("/etc/passwd", "abs-out.txt");
	make_symlink("/etc", "abs-out-dir");

	struct exchange_plan plan;
	answer("GET /abs-in.txt HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert_uint_eq(plan.response.content_length, 6);
	exchange_plan_release(&plan);
	ck_assert_int_eq(status_of("GET /abs-dir/ HTTP/1.1\r\nHost: a\r\n\r\n"), 200);
	ck_assert_int_eq(status_of("GET /abs-out.txt HTTP/1.1\r\nHost: a\r\n\r\n"), 403);
	ck_assert_int_eq(status_of("GET /abs-out-dir/passwd HTTP/1.1\r\nHost: a\r\n\r\n"), 403);

	/* "never" refuses them all. */
	site->symlinks = SYMLINKS_NEVER;
	ck_assert_int_eq(status_of("GET /abs-in.txt HTTP/1.1\r\nHost: a\r\n\r\n"), 403);
	ck_assert_int_eq(status_of("GET /abs-out.txt HTTP/1.1\r\nHost: a\r\n\r\n"), 403);
	site->symlinks = SYMLINKS_INSIDE_ROOT;
}
END_TEST

/* ------------------------------------------------------------ listings */

/* A listing has no validator, but it exists: "If-None-Match: *" is false. */
START_TEST(test_listing_preconditions)
{
	ck_assert_int_eq(status_of("GET /dir/ HTTP/1.1\r\nHost: a\r\nIf-None-Match: *\r\n\r\n"),
	                 304);
	ck_assert_int_eq(status_of("HEAD /dir/ HTTP/1.1\r\nHost: a\r\nIf-None-Match: *\r\n\r\n"),
	                 304);
	ck_assert_int_eq(status_of("GET /dir/ HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r\n\r\n"),
	                 200);
	ck_assert_int_eq(status_of("GET /dir/ HTTP/1.1\r\nHost: a\r\nIf-Match: *\r\n\r\n"), 200);
	ck_assert_int_eq(status_of("GET /dir/ HTTP/1.1\r\nHost: a\r\nIf-Match: \"x\"\r\n\r\n"),
	                 412);
}
END_TEST

/* ------------------------------------------------------------ add_header */

static bool has_extra(const struct response *r, const char *line)
{
	for (size_t i = 0; i < r->extra_count; i++)
		if (strcmp(r->extra[i], line) == 0)
			return true;
	return false;
}

static struct header_rule header_rules[] = {
    {NULL, (char *)"X-Always: 1\r\n", true},
    {NULL, (char *)"X-Success: 1\r\n", false},
    {(char *)"/dir", (char *)"X-Dir: 1\r\n", true},
};

struct header_case {
	const char *request;
	int status;
	bool always, success, dir;
};

static const struct header_case header_cases[] = {
    {"GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 200, true, true, false},
    {"GET /hello.txt HTTP/1.1\r\nHost: a\r\nIf-None-Match: *\r\n\r\n", 304, true, true, false},
    {"GET /dir/ HTTP/1.1\r\nHost: a\r\n\r\n", 200, true, true, true},
    {"GET /dir HTTP/1.1\r\nHost: a\r\n\r\n", 301, true, false, true},
    {"GET /dir/missing HTTP/1.1\r\nHost: a\r\n\r\n", 404, true, false, true},
    {"GET /missing HTTP/1.1\r\nHost: a\r\n\r\n", 404, true, false, false},
    {"GET /hello.txt HTTP/1.1\r\nHost: a\r\nIf-Match: \"x\"\r\n\r\n", 412, true, false, false},
    {"POST /dir/ HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n", 405, true, false, true},
    {"BREW /dir/ HTTP/1.1\r\nHost: a\r\n\r\n", 501, true, false, true},
    {"GET /dir/ HTTP/1.1\r\nHost: a\r\nContent-Length: 99999\r\n\r\n", 413, true, false, true},
    {"GET /../x HTTP/1.1\r\nHost: a\r\n\r\n", 400, true, false, false},
    {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, true, false, false},
};

/* "always" rules go on every status, the server's own errors and redirects
 * included; the others only on 2xx and 304. */
START_TEST(test_add_header_always)
{
	const struct header_case *c = &header_cases[_i];
	site->headers = header_rules;
	site->header_count = sizeof header_rules / sizeof header_rules[0];
	struct exchange_plan plan;
	answer(c->request, 0, &plan);
	const struct response *r = &plan.response;
	ck_assert_int_eq(r->status, c->status);
	ck_assert_msg(has_extra(r, "X-Always: 1\r\n") == c->always, "X-Always on %d", c->status);
	ck_assert_msg(has_extra(r, "X-Success: 1\r\n") == c->success, "X-Success on %d", c->status);
	ck_assert_msg(has_extra(r, "X-Dir: 1\r\n") == c->dir, "X-Dir on %d", c->status);
	ck_assert_uint_eq(r->extra_count, (size_t)c->always + c->success + c->dir);
	exchange_plan_release(&plan);
	site->headers = NULL;
	site->header_count = 0;
}
END_TEST

/* ------------------------------------------------------------ deploys */

/* A release directory under root/releases, with hello.txt saying text. */
static void make_release(const char *name, const char *text)
{
	char dir[300];
	snprintf(dir, sizeof dir, "%s/releases", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof dir, "%s/releases/%s", root, name);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	char file[64];
	snprintf(file, sizeof file, "releases/%s/hello.txt", name);
	write_file(file, text);
	snprintf(file, sizeof file, "releases/%s/other.txt", name);
	write_file(file, text);
}

/* ln -s releases/NAME tmp && mv -T tmp current */
static void switch_release(const char *name)
{
	char target[300], tmp[300], current[300];
	snprintf(target, sizeof target, "releases/%s", name);
	snprintf(tmp, sizeof tmp, "%s/current.tmp", root);
	snprintf(current, sizeof current, "%s/current", root);
	ck_assert_int_eq(symlink(target, tmp), 0);
	ck_assert_int_eq(rename(tmp, current), 0);
}

/* The body of GET target at now: the release it came from. */
static char release_seen_for(const char *target, time_t now)
{
	char request[128];
	snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", target);
	struct exchange_plan plan;
	answer_at(request, now, &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert_int_eq(plan.response.body.kind, BODY_MEMORY);
	char seen = plan.response.body.mem->bytes[0];
	exchange_plan_release(&plan);
	return seen;
}

static char release_seen(time_t now)
{
	return release_seen_for("/hello.txt", now);
}

/* The root is a symlink switched to another release: seen at the next
 * second (the path is opened again at most once a second), or at once when
 * the old release is gone. The file cache never answers for the old one. */
START_TEST(test_root_switch)
{
	make_release("v1", "1");
	make_release("v2", "2");
	make_release("v3", "3");
	switch_release("v1");
	char current[300], err[256];
	snprintf(current, sizeof current, "%s/current", root);
	static_site_close(site);
	site->cache = filecache_new(1 << 20, 1 << 16);
	ck_assert_int_eq(static_site_open(site, current, err, sizeof err), 0);
	time_t now = time(NULL) + 10; /* the files are settled: they are kept */

	ck_assert_int_eq(release_seen(now), '1');
	switch_release("v2");
	ck_assert_int_eq(release_seen(now), '1'); /* within the same second */
	ck_assert_int_eq(release_seen(now + 1), '2');
	ck_assert_int_eq(release_seen(now + 1), '2');

	/* The old release deleted right after the switch: no 404, no wait. */
	switch_release("v3");
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s/releases/v2'", root);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(release_seen_for("/other.txt", now + 1), '3');
	/* What the cache held was flushed with the old release. */
	ck_assert_int_eq(release_seen(now + 1), '3');
	ck_assert_int_eq(status_of("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"), 404);
	filecache_free(site->cache);
	site->cache = NULL;
}
END_TEST

/* ------------------------------------------------------------ the router */

static void answer_teapot(const struct exchange_ctx *c, const struct route *route,
                          const struct exchange_request *in, struct response *r)
{
	(void)c;
	(void)in;
	r->status = *(const int *)route->arg;
	r->content_type = "text/plain";
}

START_TEST(test_router_rows)
{
	static const int exact_status = 299, prefix_status = 298;
	struct route exact = {"/status",     ROUTE_EXACT, ROUTE_GET_HEAD, answer_teapot,
	                      &exact_status, false,       false};
	struct route prefix = {"/api/",       ROUTE_PREFIX,   ROUTE_METHOD(HTTP_METHOD_GET),
	                       answer_teapot, &prefix_status, false,
	                       false};
	ck_assert_int_eq(router_add(&router, &exact), 0);
	ck_assert_int_eq(router_add(&router, &prefix), 0);

	ck_assert_int_eq(status_of("GET /status HTTP/1.1\r\nHost: a\r\n\r\n"), 299);
	ck_assert_int_eq(status_of("HEAD /status?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"), 299);
	ck_assert_int_eq(status_of("GET /status/ HTTP/1.1\r\nHost: a\r\n\r\n"), 404);
	ck_assert_int_eq(status_of("GET /statusx HTTP/1.1\r\nHost: a\r\n\r\n"), 404);
	ck_assert_int_eq(status_of("GET /api/v1/x HTTP/1.1\r\nHost: a\r\n\r\n"), 298);
	ck_assert_int_eq(status_of("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"), 200);

	struct exchange_plan plan;
	answer("HEAD /api/x HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 405);
	ck_assert_str_eq(plan.response.allow, "GET");
	exchange_plan_release(&plan);
}
END_TEST

START_TEST(test_router_table)
{
	struct route row = {"/x", ROUTE_EXACT, ROUTE_GET_HEAD, answer_teapot, NULL, false, false};
	for (size_t i = 0; i < ROUTER_MAX_ROUTES; i++)
		ck_assert_int_eq(router_add(&router, &row), 0);
	ck_assert_int_eq(router_add(&router, &row), -1);
	ck_assert_ptr_eq(router_find(&router, "/y", 2), &router.fallback);
	ck_assert_ptr_eq(router_find(&router, "/x?q", 4), &router.routes[0]);
	char allow[64];
	ck_assert_uint_eq(
	    router_allow(ROUTE_METHOD(HTTP_METHOD_GET) | ROUTE_METHOD(HTTP_METHOD_OPTIONS), allow,
	                 sizeof allow),
	    strlen("GET, OPTIONS"));
	ck_assert_str_eq(allow, "GET, OPTIONS");
	ck_assert_uint_eq(router_allow(ROUTE_GET_HEAD, allow, 5), 0);
}
END_TEST

/* ------------------------------------------------------------ health */

START_TEST(test_health_route)
{
	struct route health = health_route("/healthz", true);
	ck_assert_int_eq(router_add(&router, &health), 0);
	struct exchange_plan plan;

	answer("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert_int_eq(plan.response.body.kind, BODY_STATIC);
	ck_assert_uint_eq(plan.response.content_length, 3);
	ck_assert_mem_eq(plan.response.body.bytes, "ok\n", 3);
	ck_assert_str_eq(plan.response.extra[0], "Cache-Control: no-store\r\n");
	ck_assert(plan.unlogged);
	ck_assert_int_eq(plan.response.connection, RESPONSE_KEEP_ALIVE);
	exchange_plan_release(&plan);

	/* The query is not part of the path; Connection: close is honoured. */
	answer("GET /healthz?probe=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert(plan.close_after);
	exchange_plan_release(&plan);

	answer("HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert_int_eq(plan.response.body.kind, BODY_NONE);
	ck_assert_uint_eq(plan.response.content_length, 3);
	exchange_plan_release(&plan);

	answer("POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 405);
	exchange_plan_release(&plan);

	ctx.draining = true;
	answer("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 503);
	ck_assert_mem_eq(plan.response.body.bytes, "draining\n", 9);
	/* Draining, the server still serves files and keeps connections. */
	exchange_plan_release(&plan);
	answer("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert_int_eq(plan.response.connection, RESPONSE_KEEP_ALIVE);
	ck_assert(!plan.unlogged);
	exchange_plan_release(&plan);
	ctx.draining = false;

	/* Other paths are files, as before. */
	ck_assert_int_eq(status_of("GET /healthz/x HTTP/1.1\r\nHost: a\r\n\r\n"), 404);

	struct route logged = health_route("/up", false);
	ck_assert_int_eq(router_add(&router, &logged), 0);
	answer("GET /up HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert(!plan.unlogged);
	exchange_plan_release(&plan);
}
END_TEST

/* ------------------------------------------------------------ CORS and fallback */

static const char *const cors_origin_list[] = {"https://app.example"};

/* CORS on for https://app.example, as the server builds it. */
static struct cors_policy *cors_on(void)
{
	static struct cors_policy policy;
	struct cors_settings s = {
	    .origins = cors_origin_list, .origin_count = 1, .max_age_seconds = 60};
	ck_assert(cors_policy_build(&policy, &s));
	the_site.cors = &policy;
	return &policy;
}

#define PREFLIGHT(path)                                                                            \
	"OPTIONS " path " HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n"                  \
	"Access-Control-Request-Method: GET\r\n\r\n"

/* The preflight is answered before the method rules; without CORS, or on a
 * route that keeps to its origin, OPTIONS stays 405. */
START_TEST(test_cors_preflight)
{
	struct exchange_plan plan;
	answer(PREFLIGHT("/hello.txt"), 0, &plan);
	ck_assert_int_eq(plan.response.status, 405);
	ck_assert_ptr_null(plan.response.cors_origin);
	exchange_plan_release(&plan);

	struct cors_policy *policy = cors_on();
	answer(PREFLIGHT("/no/such/file"), 0, &plan);
	ck_assert_int_eq(plan.response.status, 204);
	ck_assert_str_eq(plan.response.cors_origin, policy->origin_lines[0]);
	ck_assert_str_eq(plan.response.cors_fields, policy->preflight_fields);
	ck_assert(!plan.close_after);
	ck_assert_int_eq(plan.log.status, 204);
	exchange_plan_release(&plan);

	static const int metrics_status = 299;
	struct route metrics = {.path = "/metrics",
	                        .match = ROUTE_EXACT,
	                        .methods = ROUTE_GET_HEAD,
	                        .handler = answer_teapot,
	                        .arg = &metrics_status,
	                        .same_origin_only = true};
	ck_assert_int_eq(router_add(&router, &metrics), 0);
	answer(PREFLIGHT("/metrics"), 0, &plan);
	ck_assert_int_eq(plan.response.status, 405);
	ck_assert_ptr_null(plan.response.cors_origin);
	ck_assert_ptr_null(plan.response.vary_cors);
	exchange_plan_release(&plan);
	answer("GET /metrics HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 299);
	ck_assert_ptr_null(plan.response.cors_origin);
	exchange_plan_release(&plan);
	the_site.cors = NULL;
}
END_TEST

/* Every other answer to an allowed origin carries its field: files, errors,
 * redirects, refused methods, and requests refused before they were read. */
START_TEST(test_cors_every_answer)
{
	struct cors_policy *policy = cors_on();
	static const struct {
		const char *request;
		int status;
	} cases[] = {
	    {"GET /hello.txt HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n\r\n", 200},
	    {"GET /missing HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n\r\n", 404},
	    {"GET /dir HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n\r\n", 301},
	    {"DELETE /hello.txt HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n\r\n", 405},
	    {"GET /hello.txt HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n"
	     "Content-Length: 4096\r\n\r\n",
	     413},
	    {"GET /hello.txt HTTP/1.1\r\nOrigin: https://app.example\r\n\r\n", 400},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct exchange_plan plan;
		answer(cases[i].request, 0, &plan);
		ck_assert_int_eq(plan.response.status, cases[i].status);
		ck_assert_msg(plan.response.cors_origin == policy->origin_lines[0], "%d: no ACAO",
		              cases[i].status);
		ck_assert_str_eq(plan.response.vary_cors, "Origin");
		exchange_plan_release(&plan);
	}
	/* A request line that could not be read names no route: no field. */
	struct exchange_plan plan;
	answer("GET /hello.txt HTTP/9.9\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_ge(plan.response.status, 400);
	ck_assert_ptr_null(plan.response.cors_origin);
	exchange_plan_release(&plan);
	the_site.cors = NULL;
}
END_TEST

/* A path that names nothing gets the fallback; refusals keep their status. */
START_TEST(test_fallback_through_the_exchange)
{
	static struct fallback_rule rule = {(char *)"/index.html", FALLBACK_EXTENSIONLESS};
	site->fallback = &rule;
	struct exchange_plan plan;
	answer("GET /app/route HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert_uint_eq(plan.response.content_length, strlen("<p>home</p>\n"));
	exchange_plan_release(&plan);
	ck_assert_int_eq(status_of("GET /app/route.png HTTP/1.1\r\nHost: a\r\n\r\n"), 404);
	ck_assert_int_eq(status_of("GET /.hidden HTTP/1.1\r\nHost: a\r\n\r\n"), 404);
	ck_assert_int_eq(status_of("GET /a%00 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	ck_assert_int_eq(status_of("GET /hello.txt/x/ HTTP/1.1\r\nHost: a\r\n\r\n"), 200);
	ck_assert_int_eq(status_of("POST /app/route HTTP/1.1\r\nHost: a\r\n\r\n"), 405);
	rule.scope = FALLBACK_ALL;
	ck_assert_int_eq(status_of("GET /app/route.png HTTP/1.1\r\nHost: a\r\n\r\n"), 200);
	rule.path = (char *)"/dir"; /* not a file: paths that name nothing stay 404 */
	ck_assert_int_eq(status_of("GET /app/route HTTP/1.1\r\nHost: a\r\n\r\n"), 404);
	site->fallback = NULL;
	ck_assert_int_eq(status_of("GET /app/route HTTP/1.1\r\nHost: a\r\n\r\n"), 404);
}
END_TEST

/* auth_basic / over the whole site: files need a password, health does not. */
START_TEST(test_basic_auth)
{
	/* "secret", bcrypt at cost 4. */
	write_file("users", "alice:$2b$04$W73itq7llVcfKoPX0RNfoO8hsAnx8jamatX4zUC5BJ3iMrni8sSIG\n");
	char users[300], err[512];
	snprintf(users, sizeof users, "%s/users", root);
	static struct auth_rule rule;
	static struct auth auth;
	ck_assert_msg(auth_rule_parse("/", "Site", users, &rule, err, sizeof err) == 0, "%s", err);
	auth_cache_init(&auth.cache);
	auth_reset(&auth);
	ctx.auth = &auth;
	the_site.auth_rules = &rule;
	the_site.auth_rule_count = 1;
	struct route health = health_route("/healthz", true);
	ck_assert_int_eq(router_add(&router, &health), 0);
	struct exchange_plan plan;

	ck_assert_int_eq(status_of("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"), 200);

	answer("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 401);
	ck_assert_uint_eq(plan.response.extra_count, 1);
	ck_assert_str_eq(plan.response.extra[0],
	                 "WWW-Authenticate: Basic realm=\"Site\", charset=\"UTF-8\"\r\n");
	ck_assert_int_eq(plan.response.connection, RESPONSE_KEEP_ALIVE);
	ck_assert_uint_eq(plan.log.user_len, 0);
	exchange_plan_release(&plan);

	/* alice:secret */
	const char *right = "GET /hello.txt HTTP/1.1\r\nHost: a\r\n"
	                    "Authorization: Basic YWxpY2U6c2VjcmV0\r\n\r\n";
	auth_turn_begin(&auth);
	answer(right, 0, &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert(!plan.deferred);
	ck_assert_uint_eq(plan.log.user_len, 5);
	ck_assert_mem_eq(plan.log.user, "alice", 5);
	exchange_plan_release(&plan);

	/* alice:wrong, twice in one turn: the second waits, with nothing planned. */
	const char *wrong = "GET /hello.txt HTTP/1.1\r\nHost: a\r\n"
	                    "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n\r\n";
	auth_turn_begin(&auth);
	ck_assert_int_eq(status_of(wrong), 401);
	answer(wrong, 0, &plan);
	ck_assert(plan.deferred);
	ck_assert_int_eq(plan.response.body.kind, BODY_NONE);
	exchange_plan_release(&plan);
	/* The cached right password is not held up by the spent budget. */
	ck_assert_int_eq(status_of(right), 200);
	auth_turn_begin(&auth);
	ck_assert_int_eq(status_of(wrong), 401);

	/* Malformed credentials: 400, and the connection closes. */
	answer("GET /hello.txt HTTP/1.1\r\nHost: a\r\nAuthorization: Basic !\r\n\r\n", 0, &plan);
	ck_assert_int_eq(plan.response.status, 400);
	ck_assert(plan.close_after);
	ck_assert_uint_eq(plan.response.extra_count, 0);
	exchange_plan_release(&plan);

	ctx.auth = NULL;
	the_site.auth_rules = NULL;
	the_site.auth_rule_count = 0;
	auth_rule_free(&rule);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exchange");
	TCase *tc = tcase_create("exchange");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_status, 0,
	                    (int)(sizeof status_cases / sizeof status_cases[0]));
	tcase_add_test(tc, test_405_says_allow);
	tcase_add_test(tc, test_413_and_faults_close_and_discard_nothing);
	tcase_add_test(tc, test_fault_log_fields);
	tcase_add_test(tc, test_log_fields);
	tcase_add_loop_test(tc, test_keepalive, 0,
	                    (int)(sizeof keepalive_cases / sizeof keepalive_cases[0]));
	tcase_add_test(tc, test_keepalive_limits);
	tcase_add_test(tc, test_listing_framing);
	tcase_add_test(tc, test_head_has_fields_no_body);
	tcase_add_test(tc, test_empty_file_sends_nothing);
	tcase_add_test(tc, test_range_body);
	tcase_add_test(tc, test_builtin_error_page);
	tcase_add_test(tc, test_configured_error_page);
	tcase_add_test(tc, test_absolute_symlinks);
	tcase_add_test(tc, test_root_switch);
	tcase_add_test(tc, test_listing_preconditions);
	tcase_add_loop_test(tc, test_add_header_always, 0,
	                    (int)(sizeof header_cases / sizeof header_cases[0]));
	tcase_add_test(tc, test_router_rows);
	tcase_add_test(tc, test_router_table);
	tcase_add_test(tc, test_health_route);
	tcase_add_test(tc, test_cors_preflight);
	tcase_add_test(tc, test_cors_every_answer);
	tcase_add_test(tc, test_fallback_through_the_exchange);
	tcase_add_test(tc, test_basic_auth);
	suite_add_tcase(s, tc);
	return check_run(s);
}
