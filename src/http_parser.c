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

/* Where the time goes: the parser runs for every request, so a line is parsed
 * in one pass of table lookups (httpchars.h), which also finds its end. No
 * class of the grammar holds CR or LF, so these scans need no bound as long as
 * an LF is known to follow: the one that ends the data, or one found with
 * memchr when the data ends inside a line. A line that parses ends in CRLF,
 * holds no other CR or LF and is within its size limit. Only an unfinished line
 * and a line that does not parse are searched for the framing faults (bare CR,
 * bare LF, the size limits), so that the first of those in byte order is the
 * answer however the bytes arrive. */

static inline bool in_class(const char *data, size_t i, unsigned classes)
{
	return (http_char_class[(unsigned char)data[i]] & classes) != 0;
}

/* The first index from i whose byte is not in the classes; the caller knows
 * that such a byte follows (the LF of the line, at the latest), and each byte
 * is read only once the one before it is known to be in the classes. Four bytes
 * a round: the loop costs less than the lookups. */
static inline size_t skip_class(const char *data, size_t i, unsigned classes)
{
	for (;; i += 4) {
		if (!in_class(data, i, classes))
			return i;
		if (!in_class(data, i + 1, classes))
			return i + 1;
		if (!in_class(data, i + 2, classes))
			return i + 2;
		if (!in_class(data, i + 3, classes))
			return i + 3;
	}
}

/* n bytes from s as one number, compared only for equality (so the byte
 * order does not matter). */
static uint64_t load_bytes(const char *s, size_t n)
{
	uint64_t v = 0;
	memcpy(&v, s, n);
	return v;
}

/* Case-insensitive: do the n bytes at s spell word (n bytes of lower-case
 * letters and '-')? c | 0x20 turns an upper-case letter into its lower case
 * and keeps lower-case letters and '-'; the only other byte it maps onto one of
 * them is CR (onto '-'), and CR is never inside a line that parses. Eight or
 * four bytes at a time, then one at a time. */
static inline bool is_word(const char *s, const char *word, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		if ((load_bytes(s + i, 8) | 0x2020202020202020u) != load_bytes(word + i, 8))
			return false;
	if (i + 4 <= n) {
		if ((load_bytes(s + i, 4) | 0x20202020u) != load_bytes(word + i, 4))
			return false;
		i += 4;
	}
	for (; i < n; i++)
		if ((s[i] | 0x20) != word[i])
			return false;
	return true;
}

/* is_word for the bytes [from, to) of data. */
static bool span_is_word(const char *data, size_t from, size_t to, const char *word)
{
	size_t n = strlen(word);
	return to - from == n && is_word(data + from, word, n);
}

/* memcmp() == 0, without a call for the few bytes of a method. */
static bool same_bytes(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

#define METHOD(name, method)                                                                       \
	{                                                                                          \
		name, sizeof(name) - 1, method                                                     \
	}

static const struct {
	const char *name;
	size_t len;
	enum http_method method;
} known_methods[] = {
    METHOD("GET", HTTP_METHOD_GET),         METHOD("HEAD", HTTP_METHOD_HEAD),
    METHOD("POST", HTTP_METHOD_POST),       METHOD("PUT", HTTP_METHOD_PUT),
    METHOD("DELETE", HTTP_METHOD_DELETE),   METHOD("CONNECT", HTTP_METHOD_CONNECT),
    METHOD("OPTIONS", HTTP_METHOD_OPTIONS), METHOD("TRACE", HTTP_METHOD_TRACE),
    METHOD("PATCH", HTTP_METHOD_PATCH),
};

/* Methods are case-sensitive (RFC 9110 section 9.1): "get" is an unknown method. */
static enum http_method classify_method(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof known_methods / sizeof known_methods[0]; i++)
		if (known_methods[i].len == len && same_bytes(known_methods[i].name, name, len))
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

/* The last index where the current line's LF may be without the head growing
 * past its limits, or SIZE_MAX when there is none to apply. */
static inline size_t last_lf_index(const struct http_parser *p, const char *data, size_t len)
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

/* Does the line that starts at line_start end with a CRLF whose CR is at cr,
 * within its size limit? Then *lf is where its LF is. The bytes before cr have
 * parsed, so none is an LF: the one known to follow is at cr or after it, and
 * data[cr + 1] is read only when data[cr] is a CR. */
static inline bool line_ends_at(const struct http_parser *p, const char *data, size_t cr,
                                size_t *lf)
{
	if (data[cr] != '\r' || data[cr + 1] != '\n')
		return false;
	/* No line reaches its limit but near the end of a section: look closer
	 * only there. */
	size_t bound = p->state == STATE_REQUEST_LINE ? HTTP_MAX_REQUEST_LINE + 1
	                                              : p->fields_start + HTTP_MAX_HEADER_BYTES - 1;
	if (cr + 1 > bound && cr + 1 > last_lf_index(p, data, cr + 2))
		return false;
	*lf = cr + 1;
	return true;
}

/* request-line = method SP request-target SP HTTP-version, exactly one SP
 * each, from line_start; *lf is set when it is valid. */
static int parse_request_line(struct http_parser *p, const char *data, size_t *lf)
{
	size_t start = p->line_start;
	if (data[start] == '\r') /* an empty line before the request-line */
		return line_ends_at(p, data, start, lf) ? 0 : 400;
	size_t method_end = skip_class(data, start, HTTP_CHAR_TCHAR);
	if (method_end == start || data[method_end] != ' ')
		return 400;
	/* Noted as soon as known: the answer to a faulty HEAD has no body. */
	p->req.method_name = span(start, method_end);
	p->req.method = classify_method(data + start, method_end - start);
	size_t target_start = method_end + 1;
	size_t target_end = skip_class(data, target_start, HTTP_CHAR_VCHAR);
	/* No second SP: an HTTP/0.9 request, or a target with a forbidden byte. */
	if (target_end == target_start || data[target_end] != ' ')
		return 400;
	p->req.target = span(target_start, target_end);
	size_t version = target_end + 1;
	size_t end = skip_class(data, version, HTTP_CHAR_VCHAR);
	if (!line_ends_at(p, data, end, lf))
		return 400;
	int status = parse_version(p, data + version, end - version);
	if (status != 0)
		return status;
	p->req.request_line = span(start, end);
	p->state = STATE_FIELDS;
	p->fields_start = end + 2;
	return 0;
}

/* [ ":" port ] over [i, end): empty, or a colon and digits. */
static bool valid_port(const char *data, size_t i, size_t end)
{
	return i == end || (data[i] == ':' && skip_class(data, i + 1, HTTP_CHAR_DIGIT) == end);
}

/* Host = uri-host [ ":" port ] (RFC 9110 section 7.2): a reg-name or IPv4
 * address (with %XX escapes), or an IP-literal in brackets; empty is allowed.
 * The byte after a field value (OWS or the CR of its line) is neither a
 * reg-name byte nor a digit, so the scans of those stop at it at the latest. */
static bool valid_host(const char *data, struct http_span value)
{
	size_t i = value.off, end = (size_t)value.off + value.len;
	if (i < end && data[i] == '[') {
		/* HEXDIG, ":" and "." of an address: ":" is the only one that is not
		 * a reg-name byte. */
		i++;
		while (i < end && (http_is_host_byte((unsigned char)data[i]) || data[i] == ':'))
			i++;
		if (i == end || data[i] != ']')
			return false;
		i++;
	} else {
		for (;;) {
			i = skip_class(data, i, HTTP_CHAR_HOST);
			if (i + 2 >= end || data[i] != '%' ||
			    !http_is_hex((unsigned char)data[i + 1]) ||
			    !http_is_hex((unsigned char)data[i + 2]))
				break;
			i += 3;
		}
	}
	return valid_port(data, i, end);
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
		if (span_is_word(data, tok, i, "close"))
			req->connection_close = true;
		else if (span_is_word(data, tok, i, "keep-alive"))
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
static int take_transfer_coding(struct http_parser *p, const char *data, struct http_span name,
                                bool has_parameters)
{
	bool chunked = span_is_word(data, name.off, (size_t)name.off + name.len, "chunked");
	/* Anything after chunked: chunked is not final, or applied twice. Chunked
	 * has no parameters: with one it is not the coding we decode. */
	if (p->te_last_chunked || (chunked && has_parameters))
		return 400;
	p->te_last_chunked = chunked;
	p->te_unknown = p->te_unknown || !chunked;
	return 0;
}

/* Transfer-Encoding = #transfer-coding; transfer-coding = token *( OWS ";" OWS
 * transfer-parameter ). Empty list elements are ignored (RFC 9110 section
 * 5.6.1.2), but a field must name at least one coding. */
static int take_transfer_encoding(struct http_parser *p, const char *data, struct http_span value)
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
			return 400;
		next = skip_ows(data, next, end);
		if (next < end && data[next] != ',')
			return 400;
		int status = take_transfer_coding(p, data, span(i, name_end), has_parameters);
		if (status != 0)
			return status;
		codings++;
		i = next;
	}
	return codings > 0 ? 0 : 400;
}

static int take_content_length(struct http_parser *p, const char *data, struct http_span value)
{
	uint64_t n;
	if (!parse_content_length(data + value.off, value.len, &n))
		return 400;
	if (p->req.has_content_length && p->req.content_length != n)
		return 400;
	p->req.has_content_length = true;
	p->req.content_length = n;
	return 0;
}

static int take_host(struct http_parser *p, const char *data, struct http_span value)
{
	if (!valid_host(data, value))
		return 400;
	p->req.host = value;
	p->req.host_count++;
	return 0;
}

/* The fields the server acts on; all others are only validated. */
enum field_use {
	FIELD_NONE,  /* an empty slot of the table */
	FIELD_SPAN,  /* remembered in struct http_request, the last value when repeated */
	FIELD_LINES, /* every line kept (struct http_field_lines), the latest when many */
	FIELD_HOST,
	FIELD_CONNECTION,
	FIELD_CONTENT_LENGTH,
	FIELD_TRANSFER_ENCODING,
};

struct known_field {
	const char *name; /* in lower case */
	size_t len;
	enum field_use use;
	size_t span_offset; /* FIELD_SPAN: the member of struct http_request */
};

/* A field name is looked up by its length and last byte, which no two known
 * names share in this table of 64: a second name for a slot would override an
 * initializer, which the compilers report (-Wextra: -Woverride-init in GCC,
 * -Winitializer-overrides in Clang).
 * The name in the slot is then compared in full. */
#define FIELD_SLOTS 64u
#define FIELD_SLOT(len, last) (((len)*5u + ((unsigned)(last) | 0x20u)) % FIELD_SLOTS)
#define KNOWN_FIELD(name, last, use, offset)                                                       \
	[FIELD_SLOT(sizeof(name) - 1, last)] = {name, sizeof(name) - 1, use, offset}
#define SPAN_FIELD(name, last, member)                                                             \
	KNOWN_FIELD(name, last, FIELD_SPAN, offsetof(struct http_request, member))
#define LINES_FIELD(name, last, member)                                                            \
	KNOWN_FIELD(name, last, FIELD_LINES, offsetof(struct http_request, member))

static const struct known_field known_fields[FIELD_SLOTS] = {
    KNOWN_FIELD("host", 't', FIELD_HOST, 0),
    KNOWN_FIELD("connection", 'n', FIELD_CONNECTION, 0),
    KNOWN_FIELD("content-length", 'h', FIELD_CONTENT_LENGTH, 0),
    KNOWN_FIELD("transfer-encoding", 'g', FIELD_TRANSFER_ENCODING, 0),
    SPAN_FIELD("user-agent", 't', user_agent),
    SPAN_FIELD("referer", 'r', referer),
    SPAN_FIELD("if-match", 'h', if_match),
    SPAN_FIELD("if-unmodified-since", 'e', if_unmodified_since),
    SPAN_FIELD("if-modified-since", 'e', if_modified_since),
    SPAN_FIELD("if-none-match", 'h', if_none_match),
    SPAN_FIELD("range", 'e', range),
    SPAN_FIELD("if-range", 'e', if_range),
    SPAN_FIELD("accept-encoding", 'g', accept_encoding),
    SPAN_FIELD("accept", 't', accept),
    SPAN_FIELD("authorization", 'n', authorization),
    SPAN_FIELD("origin", 'n', origin),
    SPAN_FIELD("access-control-request-method", 'd', access_control_request_method),
    SPAN_FIELD("access-control-request-headers", 's', access_control_request_headers),
    LINES_FIELD("x-forwarded-for", 'r', x_forwarded_for),
    LINES_FIELD("forwarded", 'd', forwarded),
};

/* One more line of a list field; when full, the earliest goes (the list is
 * read from the right, where the entries a trusted proxy appended are). */
static void keep_field_line(struct http_field_lines *l, struct http_span value)
{
	if (l->count == HTTP_MAX_FIELD_LINES) {
		memmove(&l->lines[0], &l->lines[1],
		        (HTTP_MAX_FIELD_LINES - 1) * sizeof l->lines[0]);
		l->count--;
		l->dropped = true;
	}
	l->lines[l->count++] = value;
}

/* The entry for a field name (len > 0, tchar only), or NULL when unknown. */
static const struct known_field *find_known_field(const char *name, size_t len)
{
	const struct known_field *f = &known_fields[FIELD_SLOT(len, (unsigned char)name[len - 1])];
	return f->len == len && is_word(name, f->name, len) ? f : NULL;
}

static int take_field(struct http_parser *p, const char *data, struct http_span name,
                      struct http_span value)
{
	const struct known_field *f = find_known_field(data + name.off, name.len);
	switch (f != NULL ? f->use : FIELD_NONE) {
	case FIELD_NONE:
		break;
	case FIELD_SPAN:
		*(struct http_span *)((char *)&p->req + f->span_offset) = value;
		break;
	case FIELD_LINES:
		keep_field_line((struct http_field_lines *)((char *)&p->req + f->span_offset),
		                value);
		break;
	case FIELD_HOST:
		return take_host(p, data, value);
	case FIELD_CONNECTION:
		parse_connection_options(&p->req, data, value);
		break;
	case FIELD_CONTENT_LENGTH:
		return take_content_length(p, data, value);
	case FIELD_TRANSFER_ENCODING:
		return take_transfer_encoding(p, data, value);
	}
	return 0;
}

/* field-line = field-name ":" OWS field-value OWS, from line_start; *lf is
 * set when it is valid. */
static int parse_field_line(struct http_parser *p, const char *data, size_t *lf)
{
	if (++p->nfields > HTTP_MAX_HEADER_FIELDS)
		return 431;
	size_t start = p->line_start;
	size_t colon = skip_class(data, start, HTTP_CHAR_TCHAR);
	/* Covers obs-fold (leading whitespace), space before the colon, and names
	 * with bytes that are not tchar. */
	if (colon == start || data[colon] != ':')
		return 400;
	size_t value_start = skip_class(data, colon + 1, HTTP_CHAR_OWS);
	size_t end = skip_class(data, value_start, HTTP_CHAR_VALUE);
	if (!line_ends_at(p, data, end, lf))
		return 400;
	size_t value_end = end;
	while (value_end > value_start && http_is_ows((unsigned char)data[value_end - 1]))
		value_end--;
	return take_field(p, data, span(start, colon), span(value_start, value_end));
}

/* Framing rules that need the whole head (RFC 9112 sections 3.2, 6.1, 6.3);
 * the order of the Transfer-Encoding rules is the one in http_parser.h. */
static int finish_head(struct http_parser *p, size_t head_len)
{
	struct http_request *req = &p->req;
	if (req->host_count > 1 || (req->version_minor >= 1 && req->host_count == 0))
		return 400;
	if (req->has_transfer_encoding) {
		if (req->has_content_length || req->version_minor == 0 || !p->te_last_chunked)
			return 400;
		if (p->te_unknown)
			return 501;
		req->chunked = true;
	}
	req->head_len = head_len;
	p->state = STATE_DONE;
	return 0;
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

/* Of the framing faults in [line_start, to), the status of the first in byte
 * order, or 0; on a tie the line ending (400) is reported. lf: the line's LF,
 * or SIZE_MAX. */
static int framing_fault(struct http_parser *p, const char *data, size_t to, size_t lf)
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
		return 400;
	if (limit != SIZE_MAX)
		return p->state == STATE_REQUEST_LINE ? 414 : 431;
	return 0;
}

/* The line from line_start, which an LF is known to follow: 0 when it is
 * valid and taken (then *lf is its LF), or the status its syntax gives. */
static int parse_line(struct http_parser *p, const char *data, size_t *lf)
{
	if (p->state == STATE_REQUEST_LINE)
		return parse_request_line(p, data, lf);
	if (data[p->line_start] == '\r') /* the empty line that ends the head */
		return line_ends_at(p, data, p->line_start, lf) ? finish_head(p, *lf + 1) : 400;
	return parse_field_line(p, data, lf);
}

/* The status for a line that did not parse, with the given syntax status,
 * whose LF is the first at or after pos: a framing fault comes first, as it
 * comes earlier in byte order than the end of the line, where syntax is
 * judged. A line with a framing fault is not read at all: what the parse of
 * a request-line noted is forgotten (nothing before it notes anything). */
static int line_fault(struct http_parser *p, const char *data, size_t len, int status)
{
	const char *lf = memchr(data + p->pos, '\n', len - p->pos);
	size_t lf_off = (size_t)(lf - data);
	int framing = framing_fault(p, data, lf_off + 1, lf_off);
	if (framing == 0)
		return status;
	if (p->state == STATE_REQUEST_LINE) {
		p->req.method = HTTP_METHOD_OTHER;
		p->req.method_name = p->req.target = (struct http_span){0, 0};
	}
	return framing;
}

enum http_parse_result http_parser_feed(struct http_parser *p, const char *data, size_t len)
{
	if (p->state == STATE_DONE)
		return HTTP_PARSE_DONE;
	if (p->state == STATE_ERROR)
		return HTTP_PARSE_ERROR;

	/* Data that ends in LF has one after every line that starts in it. */
	bool ends_in_lf = len > 0 && data[len - 1] == '\n';
	while (p->pos < len) {
		if (!ends_in_lf && memchr(data + p->pos, '\n', len - p->pos) == NULL) {
			p->pos = len;
			break;
		}
		size_t lf;
		int status = parse_line(p, data, &lf);
		if (status != 0)
			return fail(p, line_fault(p, data, len, status));
		p->pos = p->line_start = lf + 1;
		if (p->state == STATE_DONE)
			return HTTP_PARSE_DONE;
	}
	/* An unfinished line: refuse it as soon as it cannot become valid, so that
	 * a peer cannot make us buffer more than a head can be. */
	int status = framing_fault(p, data, len, SIZE_MAX);
	return status != 0 ? fail(p, status) : HTTP_PARSE_NEED_MORE;
}
