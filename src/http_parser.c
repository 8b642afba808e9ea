#include "autoconfig.h"

#include "http_parser.h"

#include "httpchars.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

enum { STATE_REQUEST_LINE, STATE_FIELDS, STATE_DONE, STATE_ERROR };

/* Largest Content-Length accepted: far beyond any file, far from overflow. */
#define MAX_CONTENT_LENGTH_DIGITS 18

static struct http_span span(size_t from, size_t to)
{
	return (struct http_span){(uint32_t)from, (uint32_t)(to - from)};
}

bool http_span_equals(const char *data, struct http_span s, const char *lower)
{
	size_t n = strlen(lower);
	return s.len == n && strncasecmp(data + s.off, lower, n) == 0;
}

void http_parser_init(struct http_parser *p)
{
	memset(p, 0, sizeof *p);
	p->state = STATE_REQUEST_LINE;
}

static enum http_parse_result fail(struct http_parser *p, int status)
{
	p->state = STATE_ERROR;
	p->status = status;
	return HTTP_PARSE_ERROR;
}

static const struct {
	const char *name;
	enum http_method method;
} known_methods[] = {
    {"GET", HTTP_METHOD_GET},         {"HEAD", HTTP_METHOD_HEAD},
    {"POST", HTTP_METHOD_POST},       {"PUT", HTTP_METHOD_PUT},
    {"DELETE", HTTP_METHOD_DELETE},   {"CONNECT", HTTP_METHOD_CONNECT},
    {"OPTIONS", HTTP_METHOD_OPTIONS}, {"TRACE", HTTP_METHOD_TRACE},
    {"PATCH", HTTP_METHOD_PATCH},
};

/* Methods are case-sensitive (RFC 9110 section 9.1): "get" is an unknown method. */
static enum http_method classify_method(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof known_methods / sizeof known_methods[0]; i++)
		if (strlen(known_methods[i].name) == len &&
		    memcmp(known_methods[i].name, name, len) == 0)
			return known_methods[i].method;
	return HTTP_METHOD_OTHER;
}

/* "HTTP/" DIGIT "." DIGIT; returns the status on error, 0 when fine. */
static int parse_version(struct http_parser *p, const char *v, size_t len)
{
	if (len != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
	    v[7] < '0' || v[7] > '9')
		return 400;
	if (v[5] != '1')
		return 505;
	p->req.version_minor = v[7] - '0' > 1 ? 1 : v[7] - '0';
	return 0;
}

/* request-line = method SP request-target SP HTTP-version, exactly one SP each. */
static enum http_parse_result parse_request_line(struct http_parser *p, const char *data,
                                                 size_t start, size_t end)
{
	size_t i = start;
	while (i < end && http_is_tchar((unsigned char)data[i]))
		i++;
	if (i == start || i == end || data[i] != ' ')
		return fail(p, 400);
	p->req.method_name = span(start, i);
	p->req.method = classify_method(data + start, i - start);

	size_t target_start = ++i;
	while (i < end && data[i] > 0x20 && data[i] < 0x7f)
		i++;
	/* No second SP: an HTTP/0.9 request, or a target with a forbidden byte. */
	if (i == target_start || i == end || data[i] != ' ')
		return fail(p, 400);
	p->req.target = span(target_start, i);

	int status = parse_version(p, data + i + 1, end - i - 1);
	if (status != 0)
		return fail(p, status);
	p->req.request_line = span(start, end);
	p->state = STATE_FIELDS;
	p->fields_start = end + 2;
	return HTTP_PARSE_NEED_MORE;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* unreserved / sub-delims (RFC 3986 section 2): the bytes of a reg-name. */
static bool is_host_byte(char c)
{
	static const char extra[] = "-._~!$&'()*+,;=";
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr(extra, c) != NULL);
}

/* Host = uri-host [ ":" port ] (RFC 9110 section 7.2): a reg-name or IPv4
 * address (with %XX escapes), or an IP-literal in brackets; empty is allowed. */
static bool valid_host(const char *v, size_t len)
{
	size_t i = 0;
	if (len > 0 && v[0] == '[') {
		for (i = 1; i < len && v[i] != ']'; i++)
			if (!is_hex(v[i]) && v[i] != ':' && v[i] != '.' && !is_host_byte(v[i]))
				return false;
		if (i == len)
			return false;
		i++;
	} else {
		for (; i < len && v[i] != ':'; i++) {
			if (v[i] == '%') {
				if (i + 2 >= len || !is_hex(v[i + 1]) || !is_hex(v[i + 2]))
					return false;
				i += 2;
			} else if (!is_host_byte(v[i])) {
				return false;
			}
		}
	}
	if (i == len)
		return true;
	if (v[i] != ':')
		return false;
	for (i++; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

static bool parse_content_length(const char *v, size_t len, uint64_t *out)
{
	if (len == 0 || len > MAX_CONTENT_LENGTH_DIGITS)
		return false;
	uint64_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	*out = n;
	return true;
}

/* Connection = #connection-option: note "close" and "keep-alive". */
static void parse_connection_options(struct http_request *req, const char *data,
                                     struct http_span value)
{
	size_t i = value.off, end = (size_t)value.off + value.len;
	while (i < end) {
		while (i < end && (http_is_ows((unsigned char)data[i]) || data[i] == ','))
			i++;
		size_t tok = i;
		while (i < end && data[i] != ',' && !http_is_ows((unsigned char)data[i]))
			i++;
		struct http_span option = span(tok, i);
		if (http_span_equals(data, option, "close"))
			req->connection_close = true;
		else if (http_span_equals(data, option, "keep-alive"))
			req->connection_keep_alive = true;
	}
}

static size_t skip_ows(const char *data, size_t i, size_t end)
{
	while (i < end && http_is_ows((unsigned char)data[i]))
		i++;
	return i;
}

static size_t skip_token(const char *data, size_t i, size_t end)
{
	while (i < end && http_is_tchar((unsigned char)data[i]))
		i++;
	return i;
}

/* quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE, starting at i: the
 * index after the closing quote, or i when there is none. Every byte of a field
 * value is a qdtext byte but DQUOTE and backslash, or may follow a backslash. */
static size_t skip_quoted_string(const char *data, size_t i, size_t end)
{
	if (i == end || data[i] != '"')
		return i;
	for (size_t j = i + 1; j < end; j++) {
		if (data[j] == '"')
			return j + 1;
		if (data[j] == '\\' && ++j == end)
			break;
	}
	return i;
}

/* *( OWS ";" OWS token BWS "=" BWS ( token / quoted-string ) ) from i: the
 * index after the last parameter (i when there is none), or SIZE_MAX when a
 * parameter is malformed. */
static size_t skip_transfer_parameters(const char *data, size_t i, size_t end, bool *any)
{
	for (;;) {
		size_t j = skip_ows(data, i, end);
		if (j == end || data[j] != ';')
			return i;
		size_t name = skip_ows(data, j + 1, end);
		j = skip_ows(data, skip_token(data, name, end), end);
		if (j == name || j == end || data[j] != '=')
			return SIZE_MAX;
		size_t value = skip_ows(data, j + 1, end);
		size_t value_end = value < end && data[value] == '"'
		                       ? skip_quoted_string(data, value, end)
		                       : skip_token(data, value, end);
		if (value_end == value)
			return SIZE_MAX;
		*any = true;
		i = value_end;
	}
}

/* One coding of the Transfer-Encoding list, in the order of the fields. */
static enum http_parse_result take_transfer_coding(struct http_parser *p, const char *data,
                                                   struct http_span name, bool has_parameters)
{
	bool chunked = http_span_equals(data, name, "chunked");
	/* Anything after chunked: chunked is not final, or applied twice. Chunked
	 * has no parameters: with one it is not the coding we decode. */
	if (p->te_last_chunked || (chunked && has_parameters))
		return fail(p, 400);
	p->te_last_chunked = chunked;
	p->te_unknown = p->te_unknown || !chunked;
	return HTTP_PARSE_NEED_MORE;
}

/* Transfer-Encoding = #transfer-coding; transfer-coding = token *( OWS ";" OWS
 * transfer-parameter ). Empty list elements are ignored (RFC 9110 section
 * 5.6.1.2), but a field must name at least one coding. */
static enum http_parse_result take_transfer_encoding(struct http_parser *p, const char *data,
                                                     struct http_span value)
{
	size_t i = value.off, end = (size_t)value.off + value.len;
	unsigned codings = 0;
	p->req.has_transfer_encoding = true;
	while (i < end) {
		i = skip_ows(data, i, end);
		if (i < end && data[i] == ',') {
			i++;
			continue;
		}
		size_t name_end = skip_token(data, i, end);
		bool has_parameters = false;
		size_t next = skip_transfer_parameters(data, name_end, end, &has_parameters);
		if (name_end == i || next == SIZE_MAX)
			return fail(p, 400);
		next = skip_ows(data, next, end);
		if (next < end && data[next] != ',')
			return fail(p, 400);
		if (take_transfer_coding(p, data, span(i, name_end), has_parameters) !=
		    HTTP_PARSE_NEED_MORE)
			return HTTP_PARSE_ERROR;
		codings++;
		i = next;
	}
	return codings > 0 ? HTTP_PARSE_NEED_MORE : fail(p, 400);
}

static enum http_parse_result take_content_length(struct http_parser *p, const char *data,
                                                  struct http_span value)
{
	uint64_t n;
	if (!parse_content_length(data + value.off, value.len, &n))
		return fail(p, 400);
	if (p->req.has_content_length && p->req.content_length != n)
		return fail(p, 400);
	p->req.has_content_length = true;
	p->req.content_length = n;
	return HTTP_PARSE_NEED_MORE;
}

/* Remember the fields the server acts on; all others are only validated. */
static enum http_parse_result take_field(struct http_parser *p, const char *data,
                                         struct http_span name, struct http_span value)
{
	struct http_request *req = &p->req;
	static const struct {
		const char *name;
		size_t offset;
	} spans[] = {
	    {"user-agent", offsetof(struct http_request, user_agent)},
	    {"referer", offsetof(struct http_request, referer)},
	    {"if-match", offsetof(struct http_request, if_match)},
	    {"if-unmodified-since", offsetof(struct http_request, if_unmodified_since)},
	    {"if-modified-since", offsetof(struct http_request, if_modified_since)},
	    {"if-none-match", offsetof(struct http_request, if_none_match)},
	    {"range", offsetof(struct http_request, range)},
	    {"if-range", offsetof(struct http_request, if_range)},
	    {"accept-encoding", offsetof(struct http_request, accept_encoding)},
	};

	if (http_span_equals(data, name, "host")) {
		if (!valid_host(http_span_ptr(data, value), value.len))
			return fail(p, 400);
		req->host = value;
		req->host_count++;
	} else if (http_span_equals(data, name, "connection")) {
		parse_connection_options(req, data, value);
	} else if (http_span_equals(data, name, "content-length")) {
		return take_content_length(p, data, value);
	} else if (http_span_equals(data, name, "transfer-encoding")) {
		return take_transfer_encoding(p, data, value);
	} else {
		for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
			if (http_span_equals(data, name, spans[i].name))
				*(struct http_span *)((char *)req + spans[i].offset) = value;
	}
	return HTTP_PARSE_NEED_MORE;
}

/* field-line = field-name ":" OWS field-value OWS */
static enum http_parse_result parse_field_line(struct http_parser *p, const char *data,
                                               size_t start, size_t end)
{
	if (++p->nfields > HTTP_MAX_HEADER_FIELDS)
		return fail(p, 431);
	size_t i = start;
	while (i < end && http_is_tchar((unsigned char)data[i]))
		i++;
	/* Covers obs-fold (leading whitespace), space before the colon, and names
	 * with bytes that are not tchar. */
	if (i == start || i == end || data[i] != ':')
		return fail(p, 400);
	struct http_span name = span(start, i);

	i++;
	while (i < end && http_is_ows((unsigned char)data[i]))
		i++;
	size_t value_start = i;
	for (; i < end; i++)
		if (!http_is_field_value_byte((unsigned char)data[i]))
			return fail(p, 400);
	size_t value_end = end;
	while (value_end > value_start && http_is_ows((unsigned char)data[value_end - 1]))
		value_end--;
	return take_field(p, data, name, span(value_start, value_end));
}

/* Framing rules that need the whole head (RFC 9112 sections 3.2, 6.1, 6.3);
 * the order of the Transfer-Encoding rules is the one in http_parser.h. */
static enum http_parse_result finish_head(struct http_parser *p, size_t head_len)
{
	struct http_request *req = &p->req;
	if (req->host_count > 1 || (req->version_minor >= 1 && req->host_count == 0))
		return fail(p, 400);
	if (req->has_transfer_encoding) {
		if (req->has_content_length || req->version_minor == 0 || !p->te_last_chunked)
			return fail(p, 400);
		if (p->te_unknown)
			return fail(p, 501);
		req->chunked = true;
	}
	req->head_len = head_len;
	p->state = STATE_DONE;
	return HTTP_PARSE_DONE;
}

/* One complete line: [start, end) without its CRLF; next = the byte after LF.
 * Its size and line ending were checked before. */
static enum http_parse_result parse_line(struct http_parser *p, const char *data, size_t start,
                                         size_t end, size_t next)
{
	if (p->state == STATE_REQUEST_LINE) {
		if (start == end) /* an empty line before the request-line */
			return HTTP_PARSE_NEED_MORE;
		return parse_request_line(p, data, start, end);
	}
	if (start == end)
		return finish_head(p, next);
	return parse_field_line(p, data, start, end);
}

/* The last index where the current line's LF may be without the head growing
 * past its limits, or SIZE_MAX when there is none to apply. */
static size_t last_lf_index(const struct http_parser *p, const char *data, size_t len)
{
	if (p->state == STATE_REQUEST_LINE)
		return HTTP_MAX_REQUEST_LINE + 1;
	size_t end = p->fields_start + HTTP_MAX_HEADER_BYTES; /* one past the section */
	size_t s = p->line_start;
	/* The empty line that ends the head does not count toward the section. */
	if ((s + 1 == end || s == end) && s < len && data[s] == '\r')
		return SIZE_MAX;
	return end - 1 > s ? end - 1 : s;
}

/* The index where a bare CR is certain (the byte after it), or SIZE_MAX. Scans
 * [from, to): a CR in the last place is not yet known to be bare. */
static size_t bare_cr_index(struct http_parser *p, const char *data, size_t to)
{
	size_t from = p->cr_checked > p->line_start ? p->cr_checked : p->line_start;
	const char *cr = from < to ? memchr(data + from, '\r', to - from) : NULL;
	while (cr != NULL) {
		size_t i = (size_t)(cr - data);
		if (i + 1 < to && data[i + 1] != '\n')
			return i + 1;
		if (i + 1 >= to)
			break;
		cr = memchr(cr + 1, '\r', to - i - 1);
	}
	p->cr_checked = to > from && data[to - 1] == '\r' ? to - 1 : to;
	return SIZE_MAX;
}

/* Of the framing faults in [line_start, to), the first in byte order; on a tie
 * the line ending (400) is reported. lf: the line's LF, or SIZE_MAX. */
static enum http_parse_result check_line(struct http_parser *p, const char *data, size_t to,
                                         size_t lf)
{
	size_t cr = bare_cr_index(p, data, lf != SIZE_MAX ? lf + 1 : to);
	size_t bare_lf =
	    lf != SIZE_MAX && (lf == p->line_start || data[lf - 1] != '\r') ? lf : SIZE_MAX;
	/* Too large is certain once the byte where the LF must be at the latest
	 * is here and is not it. */
	size_t last_lf = last_lf_index(p, data, to);
	size_t limit = last_lf < to && lf != last_lf ? last_lf : SIZE_MAX;
	size_t ending = cr < bare_lf ? cr : bare_lf;
	if (ending != SIZE_MAX && ending <= limit)
		return fail(p, 400);
	if (limit != SIZE_MAX)
		return fail(p, p->state == STATE_REQUEST_LINE ? 414 : 431);
	return HTTP_PARSE_NEED_MORE;
}

enum http_parse_result http_parser_feed(struct http_parser *p, const char *data, size_t len)
{
	if (p->state == STATE_DONE)
		return HTTP_PARSE_DONE;
	if (p->state == STATE_ERROR)
		return HTTP_PARSE_ERROR;

	while (p->pos < len) {
		const char *lf = memchr(data + p->pos, '\n', len - p->pos);
		if (lf == NULL) {
			p->pos = len;
			break;
		}
		size_t lf_off = (size_t)(lf - data);
		p->pos = lf_off + 1;
		if (check_line(p, data, p->pos, lf_off) != HTTP_PARSE_NEED_MORE)
			return HTTP_PARSE_ERROR;
		enum http_parse_result r = parse_line(p, data, p->line_start, lf_off - 1, p->pos);
		if (r != HTTP_PARSE_NEED_MORE)
			return r;
		p->line_start = p->pos;
	}
	/* An unfinished line: refuse it as soon as it cannot become valid, so that
	 * a peer cannot make us buffer more than a head can be. */
	if (check_line(p, data, len, SIZE_MAX) != HTTP_PARSE_NEED_MORE)
		return HTTP_PARSE_ERROR;
	return HTTP_PARSE_NEED_MORE;
}
