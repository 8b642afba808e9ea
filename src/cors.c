#include "autoconfig.h"

#include "cors.h"

#include "httpchars.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What a preflight answer varies on, besides the Origin of a list. */
#define VARY_PREFLIGHT "Access-Control-Request-Method, Access-Control-Request-Headers"

/* ------------------------------------------------------------ settings */

static int fail(char *err, size_t err_size, const char *what, const char *text)
{
	snprintf(err, err_size, "invalid origin '%s' (%s)", text, what);
	return -1;
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 section 3.1) */
static size_t scheme_length(const char *s)
{
	if (!isalpha((unsigned char)s[0]))
		return 0;
	size_t n = 1;
	while (isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '-' || s[n] == '.')
		n++;
	return n;
}

/* A host: a name or an IPv4 address (RFC 3986 reg-name bytes, no escape), or
 * an IP literal in brackets. Its length, 0 when there is none. */
static size_t host_length(const char *s)
{
	size_t n = 0;
	if (s[0] == '[') {
		n = 1 + strspn(s + 1, "0123456789abcdefABCDEF:.");
		return s[n] == ']' && n > 1 ? n + 1 : 0;
	}
	while (s[n] != '\0' && s[n] != ':' && http_is_host_byte((unsigned char)s[n]))
		n++;
	return n;
}

/* ":port": 1 to 65535 without leading zeros. Its value, or 0. */
static unsigned long port_value(const char *s)
{
	if (s[0] < '1' || s[0] > '9' || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
		return 0;
	unsigned long port = strtoul(s, NULL, 10);
	return port <= 65535 ? port : 0;
}

static bool is_default_port(const char *scheme, size_t scheme_len, unsigned long port)
{
	return (scheme_len == 4 && strncmp(scheme, "http", 4) == 0 && port == 80) ||
	       (scheme_len == 5 && strncmp(scheme, "https", 5) == 0 && port == 443);
}

int cors_origin_normalize(const char *text, char *out, size_t out_size, char *err, size_t err_size)
{
	size_t len = strlen(text);
	if (strcmp(text, "*") == 0) {
		snprintf(out, out_size, "*");
		return 0;
	}
	if (strcasecmp(text, "null") == 0)
		return fail(err, err_size,
		            "the opaque origin 'null' is shared by every sandboxed page and local "
		            "file: it cannot be allowed",
		            text);
	if (len > CORS_ORIGIN_MAX || len >= out_size)
		return fail(err, err_size, "too long", text);
	size_t scheme_len = scheme_length(text);
	if (scheme_len == 0 || strncmp(text + scheme_len, "://", 3) != 0)
		return fail(err, err_size, "scheme://host[:port], like https://app.example", text);
	const char *host = text + scheme_len + 3;
	size_t host_len = host_length(host);
	if (host_len == 0)
		return fail(err, err_size, "no host after the scheme", text);
	const char *rest = host + host_len;
	unsigned long port = 0;
	if (rest[0] == ':' && (port = port_value(rest + 1)) == 0)
		return fail(err, err_size, "the port is a number from 1 to 65535", text);
	if (rest[0] != '\0' && rest[0] != ':')
		return fail(err, err_size, "an origin has no path, not even a final '/'", text);
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)text[i]);
	out[len] = '\0';
	if (is_default_port(out, scheme_len, port))
		out[rest - text] = '\0'; /* a browser never writes the default port */
	return 0;
}

int cors_header_name_check(const char *name, char *err, size_t err_size)
{
	if (strcmp(name, "*") == 0)
		return 0;
	size_t len = strlen(name);
	bool token = len > 0;
	for (size_t i = 0; i < len && token; i++)
		token = http_is_tchar((unsigned char)name[i]);
	if (!token || len > CORS_HEADER_NAME_MAX) {
		snprintf(err, err_size,
		         "invalid header name '%s' (a field name of at most %d bytes)", name,
		         CORS_HEADER_NAME_MAX);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ the policy */

/* What snprintf wrote into size bytes, whatever it wanted to. */
static size_t written(int n, size_t size)
{
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

/* "NAME: a, b, c\r\n" into out (CORS_FIELDS_MAX holds the longest list the
 * configuration takes). Returns its length. */
static size_t join_field(char *out, size_t size, const char *name, const char *const *items,
                         size_t count)
{
	size_t n = written(snprintf(out, size, "%s: ", name), size);
	for (size_t i = 0; i < count; i++)
		n += written(snprintf(out + n, size - n, "%s%s", i > 0 ? ", " : "", items[i]),
		             size - n);
	return n + written(snprintf(out + n, size - n, "\r\n"), size - n);
}

static bool has_star(const char *const *items, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(items[i], "*") == 0)
			return true;
	return false;
}

/* The longest preflight fields: no list is cut, no line loses its CRLF. */
_Static_assert(CORS_FIELDS_MAX >= sizeof "Access-Control-Allow-Methods: GET, HEAD\r\n" +
                                      sizeof "Access-Control-Allow-Headers: \r\n" + CORS_LIST_MAX +
                                      sizeof "Access-Control-Max-Age: \r\n" + 20,
               "room for the preflight's fields");

static void build_preflight_fields(struct cors_policy *p, const struct cors_settings *s)
{
	size_t size = sizeof p->preflight_fields;
	char *out = p->preflight_fields;
	size_t n =
	    written(snprintf(out, size, "Access-Control-Allow-Methods: GET, HEAD\r\n"), size);
	if (s->header_count > 0) {
		static const char *const star[] = {"*"};
		n += join_field(out + n, size - n, "Access-Control-Allow-Headers",
		                p->any_header ? star : s->headers,
		                p->any_header ? 1 : p->header_count);
	}
	snprintf(out + n, size - n, "Access-Control-Max-Age: %lld\r\n",
	         (long long)s->max_age_seconds);
}

bool cors_policy_build(struct cors_policy *p, const struct cors_settings *s)
{
	memset(p, 0, sizeof *p);
	if (s->origin_count == 0)
		return false;
	p->any_origin = has_star(s->origins, s->origin_count);
	p->origin_count = p->any_origin ? 1 : s->origin_count;
	if (p->origin_count > CORS_MAX_ORIGINS)
		p->origin_count = CORS_MAX_ORIGINS;
	for (size_t i = 0; i < p->origin_count; i++) {
		const char *origin = p->any_origin ? "*" : s->origins[i];
		snprintf(p->origins[i], sizeof p->origins[i], "%s", origin);
		snprintf(p->origin_lines[i], sizeof p->origin_lines[i],
		         "Access-Control-Allow-Origin: %s\r\n", origin);
	}
	p->any_header = has_star(s->headers, s->header_count);
	p->header_count = s->header_count < CORS_MAX_HEADERS ? s->header_count : CORS_MAX_HEADERS;
	for (size_t i = 0; i < p->header_count; i++)
		snprintf(p->headers[i], sizeof p->headers[i], "%s", s->headers[i]);
	build_preflight_fields(p, s);
	if (s->expose_count > 0) {
		static const char *const star[] = {"*"};
		bool any = has_star(s->expose, s->expose_count);
		size_t count =
		    s->expose_count < CORS_MAX_HEADERS ? s->expose_count : CORS_MAX_HEADERS;
		join_field(p->expose_field, sizeof p->expose_field, "Access-Control-Expose-Headers",
		           any ? star : s->expose, any ? 1 : count);
	}
	return true;
}

/* ------------------------------------------------------------ decisions */

bool cors_is_preflight(const struct http_request *req)
{
	return req->method == HTTP_METHOD_OPTIONS && req->origin.len > 0 &&
	       req->access_control_request_method.len > 0;
}

int cors_find_origin(const struct cors_policy *p, const char *origin, size_t len)
{
	if (p->any_origin)
		return 0;
	for (size_t i = 0; i < p->origin_count; i++)
		if (strlen(p->origins[i]) == len && strncasecmp(p->origins[i], origin, len) == 0)
			return (int)i;
	return -1;
}

static bool header_allowed(const struct cors_policy *p, const char *name, size_t len)
{
	if (p->any_header)
		return true;
	for (size_t i = 0; i < p->header_count; i++)
		if (strlen(p->headers[i]) == len && strncasecmp(p->headers[i], name, len) == 0)
			return true;
	return false;
}

bool cors_headers_allowed(const struct cors_policy *p, const char *list, size_t len)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && (http_is_ows((unsigned char)list[i]) || list[i] == ','))
			i++;
		size_t start = i;
		while (i < len && http_is_tchar((unsigned char)list[i]))
			i++;
		size_t name_len = i - start;
		while (i < len && http_is_ows((unsigned char)list[i]))
			i++;
		if (i < len && list[i] != ',')
			return false; /* not a token list */
		if (name_len > 0 && !header_allowed(p, list + start, name_len))
			return false;
	}
	return true;
}

/* A method a preflight may ask for: the ones the files are served with.
 * Methods are case-sensitive (RFC 9110 section 9.1). */
static bool method_allowed(const char *method, size_t len)
{
	return (len == 3 && memcmp(method, "GET", 3) == 0) ||
	       (len == 4 && memcmp(method, "HEAD", 4) == 0);
}

void cors_plan_preflight(const struct cors_policy *p, const struct http_request *req,
                         const char *data, struct response *r)
{
	int origin = cors_find_origin(p, http_span_ptr(data, req->origin), req->origin.len);
	bool allowed =
	    origin >= 0 &&
	    method_allowed(http_span_ptr(data, req->access_control_request_method),
	                   req->access_control_request_method.len) &&
	    cors_headers_allowed(p, http_span_ptr(data, req->access_control_request_headers),
	                         req->access_control_request_headers.len);
	if (allowed) {
		r->status = 204; /* no content: no Content-Type, no Content-Length */
		r->cors_fields = p->preflight_fields;
	} else {
		response_error(r, 403);
	}
	if (origin >= 0)
		r->cors_origin = p->origin_lines[origin];
	r->vary_cors = p->any_origin ? VARY_PREFLIGHT : "Origin, " VARY_PREFLIGHT;
}

void cors_add_fields(const struct cors_policy *p, const struct http_request *req, const char *data,
                     struct response *r)
{
	if (!p->any_origin)
		r->vary_cors = "Origin";
	int origin = req->origin.len > 0 || p->any_origin
	                 ? cors_find_origin(p, http_span_ptr(data, req->origin), req->origin.len)
	                 : -1;
	if (origin < 0)
		return;
	r->cors_origin = p->origin_lines[origin];
	if (p->expose_field[0] != '\0')
		r->cors_fields = p->expose_field;
}
